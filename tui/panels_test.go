package tui

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// goldenThemes are the themes the golden files cover: one with colour, one without.
var goldenThemes = []string{"nvidia", "mono"}

// goldenWidths are the widths every panel is rendered at.
var goldenWidths = []int{40, 80, 120, 200}

// panelHeights are the heights the goldens use, about what the layout gives each panel.
var panelHeights = map[PanelID]int{
	PanelHeader:     3,
	PanelThroughput: 14,
	PanelLatency:    14,
	PanelProgress:   5,
	PanelEngine:     10,
	PanelDevices:    8,
	PanelHistory:    9,
	PanelHints:      1,
	PanelCompare:    12,
	PanelHelp:       16,
}

// sheet renders one panel at several sizes into one document.
func sheet(render func(w, h int) string, sizes [][2]int) string {
	var b strings.Builder
	for _, s := range sizes {
		fmt.Fprintf(&b, "── %dx%d ──\n%s\n", s[0], s[1], render(s[0], s[1]))
	}
	return b.String()
}

func TestGoldenPanels(t *testing.T) {
	for _, theme := range goldenThemes {
		d := newDashboard(theme)
		for id := PanelID(0); id < numPanels; id++ {
			t.Run(id.String()+"_"+theme, func(t *testing.T) {
				var sizes [][2]int
				for _, w := range goldenWidths {
					sizes = append(sizes, [2]int{w, panelHeights[id]})
				}
				// And the degraded forms: short, then a single line.
				sizes = append(sizes, [2]int{60, 4}, [2]int{30, 1})
				got := sheet(func(w, h int) string { return d.render(id, w, h) }, sizes)
				golden(t, "panel_"+id.String()+"_"+theme, got)
			})
		}
	}
}

func TestGoldenLatencyMetrics(t *testing.T) {
	d := newDashboard("nvidia")
	var b strings.Builder
	for m := LatencyMetric(0); m < numMetrics; m++ {
		d.latency.Metric = m
		fmt.Fprintf(&b, "── %s ──\n%s\n", m, d.latency.Render(80, 12))
	}
	golden(t, "latency_metrics_nvidia", b.String())
}

func TestGoldenHeaderStates(t *testing.T) {
	for _, theme := range goldenThemes {
		d := newDashboard(theme)
		h := d.header
		var b strings.Builder
		cases := []struct {
			state  RunState
			detail string
			prog   float64
		}{
			{StateIdle, "", -1},
			{StateLoading, "", 0.42},
			{StateLoading, "", -1},
			{StateWarmup, "warmup 3/8", -1},
			{StateRunning, "", -1},
			{StateFinished, "saved runs/3.json", -1},
			{StateFailed, "llama: failed to allocate KV cache (out of memory)", -1},
			{StateCanceled, "canceled by user", -1},
		}
		for _, c := range cases {
			h.State, h.Detail, h.LoadProgress = c.state, c.detail, c.prog
			fmt.Fprintf(&b, "── %s ──\n%s\n%s\n", c.state, h.Render(80, 3), h.Render(50, 2))
		}
		h.ClearPending()
		fmt.Fprintf(&b, "── no pending ──\n%s\n", h.Render(80, 2))
		golden(t, "header_states_"+theme, b.String())
	}
}

func TestGoldenDevicesVariants(t *testing.T) {
	st := styles("nvidia")
	p := NewDevices(st)
	host := DeviceView{Name: "host (16 cores)", Host: true, Util: []float64{12, 40, 88, 95, 97}, MemUsed: []float64{30, 31, 33}, MemTotal: 125.7}
	sparse := DeviceView{Name: "NVIDIA L4", Util: nil, MemUsed: []float64{3.1}, MemTotal: 0}
	var eight []DeviceView
	for i := 0; i < 8; i++ {
		eight = append(eight, DeviceView{Name: "NVIDIA H100 80GB HBM3", Util: []float64{90, 95, float64(80 + i)}, MemUsed: []float64{70}, MemTotal: 79.6,
			PowerW: 650, PowerLimitW: 700, HasPower: true, TempC: float64(70 + 2*i), HasTemp: true})
	}
	var b strings.Builder
	for _, c := range []struct {
		name string
		devs []DeviceView
		w, h int
	}{
		{"host", []DeviceView{host}, 80, 6},
		{"missing fields", []DeviceView{sparse}, 80, 6},
		{"missing fields narrow", []DeviceView{sparse}, 40, 6},
		{"eight GPUs", eight, 100, 10},
		{"eight GPUs short", eight, 70, 6},
		{"none", nil, 40, 4},
	} {
		p.SetDevices(c.devs)
		fmt.Fprintf(&b, "── %s %dx%d ──\n%s\n", c.name, c.w, c.h, p.Render(c.w, c.h))
	}
	golden(t, "devices_variants_nvidia", b.String())
}

func TestGoldenEmptyPanels(t *testing.T) {
	st := styles("nvidia")
	panels := []struct {
		name string
		r    interface{ Render(int, int) string }
	}{
		{"throughput", NewThroughput(st)},
		{"latency", NewLatency(st)},
		{"progress", NewProgress(st)},
		{"engine", NewEngine(st)},
		{"devices", NewDevices(st)},
		{"history", NewHistory(st)},
		{"help", NewHelp(st)},
		{"header", NewHeader(st)},
		{"hints", NewHints(st)},
	}
	var b strings.Builder
	for _, p := range panels {
		fmt.Fprintf(&b, "── %s ──\n%s\n", p.name, p.r.Render(60, 4))
	}
	golden(t, "empty_panels_nvidia", b.String())
}

func TestGoldenFrames(t *testing.T) {
	for _, theme := range goldenThemes {
		d := newDashboard(theme)
		for _, s := range [][2]int{{80, 24}, {120, 40}, {200, 60}, {60, 10}} {
			golden(t, fmt.Sprintf("frame_%s_%dx%d", theme, s[0], s[1]), d.frame(s[0], s[1]))
		}
		d.latency.Focused = true
		golden(t, "frame_"+theme+"_maximized_100x30", RenderFrame(LayoutMaximized(100, 30, PanelLatency), d.render))
		d.latency.Focused = false
	}
}

// TestFocusedBorder checks that focus changes only the border's colour.
func TestFocusedBorder(t *testing.T) {
	d := newDashboard("nvidia")
	plain := d.progress.Render(60, 5)
	d.progress.Focused = true
	focused := d.progress.Render(60, 5)
	if plain == focused {
		t.Fatal("focus does not change the frame")
	}
	if stripANSI(plain) != stripANSI(focused) {
		t.Fatal("focus changes the text, not only the colour")
	}
}

func TestProgressETAUnknown(t *testing.T) {
	p := NewProgress(styles("mono"))
	p.Done, p.Total, p.Elapsed = 10, 100, 3*time.Second
	if got := stripANSI(p.Render(60, 5)); !strings.Contains(got, "ETA n/a") {
		t.Errorf("unknown ETA not shown as n/a:\n%s", got)
	}
}
