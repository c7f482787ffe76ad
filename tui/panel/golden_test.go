package panel_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/benchtui/benchtui/tui/panel"
	"github.com/benchtui/benchtui/tui/panel/paneltest"
	"github.com/charmbracelet/x/ansi"
)

// goldenThemes are the themes the golden files cover: one with colour, one without.
var goldenThemes = []string{"nvidia", "mono"}

// goldenWidths are the widths every panel is rendered at.
var goldenWidths = []int{40, 80, 120, 200}

// panelHeights are the heights the goldens use, about what the layout gives each panel.
var panelHeights = map[string]int{
	"header":     3,
	"throughput": 14,
	"latency":    14,
	"progress":   5,
	"engine":     10,
	"devices":    8,
	"history":    9,
	"hints":      1,
	"compare":    12,
	"help":       16,
	"result":     2,
	"trend":      14,
	"requests":   24,
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
		d := paneltest.New(theme)
		for _, np := range d.Panels() {
			t.Run(np.Name+"_"+theme, func(t *testing.T) {
				var sizes [][2]int
				for _, w := range goldenWidths {
					sizes = append(sizes, [2]int{w, panelHeights[np.Name]})
				}
				// And the degraded forms: short, then a single line.
				sizes = append(sizes, [2]int{60, 4}, [2]int{30, 1})
				got := sheet(np.Panel.Render, sizes)
				paneltest.Golden(t, "panel_"+np.Name+"_"+theme, got)
			})
		}
	}
}

func TestGoldenLatencyMetrics(t *testing.T) {
	d := paneltest.New("nvidia")
	var b strings.Builder
	for m := panel.LatencyMetric(0); m < panel.NumMetrics; m++ {
		d.Latency.Metric = m
		fmt.Fprintf(&b, "── %s ──\n%s\n", m, d.Latency.Render(80, 12))
	}
	paneltest.Golden(t, "latency_metrics_nvidia", b.String())
}

func TestGoldenHeaderStates(t *testing.T) {
	for _, theme := range goldenThemes {
		d := paneltest.New(theme)
		h := d.Header
		var b strings.Builder
		cases := []struct {
			state  panel.RunState
			detail string
			prog   float64
		}{
			{panel.StateIdle, "", -1},
			{panel.StateLoading, "", 0.42},
			{panel.StateLoading, "", -1},
			{panel.StateWarmup, "warmup 3/8", -1},
			{panel.StateRunning, "", -1},
			{panel.StateFinished, "saved runs/3.json", -1},
			{panel.StateFailed, "llama: failed to allocate KV cache (out of memory)", -1},
			{panel.StateCanceled, "canceled by user", -1},
		}
		for _, c := range cases {
			h.State, h.Detail, h.LoadProgress = c.state, c.detail, c.prog
			fmt.Fprintf(&b, "── %s ──\n%s\n%s\n", c.state, h.Render(80, 3), h.Render(50, 2))
		}
		h.ClearPending()
		fmt.Fprintf(&b, "── no pending ──\n%s\n", h.Render(80, 2))
		paneltest.Golden(t, "header_states_"+theme, b.String())
	}
}

func TestGoldenDevicesVariants(t *testing.T) {
	st := paneltest.Styles("nvidia")
	p := panel.NewDevices(st)
	host := panel.DeviceView{Name: "host (16 cores)", Host: true, Util: []float64{12, 40, 88, 95, 97}, MemUsed: []float64{30, 31, 33}, MemTotal: 125.7}
	sparse := panel.DeviceView{Name: "NVIDIA L4", Util: nil, MemUsed: []float64{3.1}, MemTotal: 0}
	var eight []panel.DeviceView
	for i := 0; i < 8; i++ {
		eight = append(eight, panel.DeviceView{Name: "NVIDIA H100 80GB HBM3", Util: []float64{90, 95, float64(80 + i)}, MemUsed: []float64{70}, MemTotal: 79.6,
			PowerW: 650, PowerLimitW: 700, HasPower: true, TempC: float64(70 + 2*i), HasTemp: true})
	}
	var b strings.Builder
	for _, c := range []struct {
		name string
		devs []panel.DeviceView
		w, h int
	}{
		{"host", []panel.DeviceView{host}, 80, 6},
		{"missing fields", []panel.DeviceView{sparse}, 80, 6},
		{"missing fields narrow", []panel.DeviceView{sparse}, 40, 6},
		{"eight GPUs", eight, 100, 10},
		{"eight GPUs short", eight, 70, 6},
		{"none", nil, 40, 4},
	} {
		p.SetDevices(c.devs)
		fmt.Fprintf(&b, "── %s %dx%d ──\n%s\n", c.name, c.w, c.h, p.Render(c.w, c.h))
	}
	paneltest.Golden(t, "devices_variants_nvidia", b.String())
}

func TestGoldenEmptyPanels(t *testing.T) {
	st := paneltest.Styles("nvidia")
	panels := []struct {
		name string
		r    interface{ Render(int, int) string }
	}{
		{"throughput", panel.NewThroughput(st)},
		{"latency", panel.NewLatency(st)},
		{"progress", panel.NewProgress(st)},
		{"engine", panel.NewEngine(st)},
		{"devices", panel.NewDevices(st)},
		{"history", panel.NewHistory(st)},
		{"help", panel.NewHelp(st)},
		{"header", panel.NewHeader(st)},
		{"hints", panel.NewHints(st)},
	}
	var b strings.Builder
	for _, p := range panels {
		fmt.Fprintf(&b, "── %s ──\n%s\n", p.name, p.r.Render(60, 4))
	}
	paneltest.Golden(t, "empty_panels_nvidia", b.String())
}

// TestFocusedBorder checks that focus changes only the border's colour.
func TestFocusedBorder(t *testing.T) {
	d := paneltest.New("nvidia")
	plain := d.Progress.Render(60, 5)
	d.Progress.SetFocused(true)
	focused := d.Progress.Render(60, 5)
	if plain == focused {
		t.Fatal("focus does not change the frame")
	}
	if ansi.Strip(plain) != ansi.Strip(focused) {
		t.Fatal("focus changes the text, not only the colour")
	}
}

func TestProgressETAUnknown(t *testing.T) {
	p := panel.NewProgress(paneltest.Styles("mono"))
	p.Completed, p.Total, p.Elapsed = 10, 100, 3*time.Second
	if got := ansi.Strip(p.Render(60, 5)); !strings.Contains(got, "ETA n/a") {
		t.Errorf("unknown ETA not shown as n/a:\n%s", got)
	}
}

func TestLatencyRenderShowsPercentiles(t *testing.T) {
	d := paneltest.New("mono")
	out := ansi.Strip(d.Latency.Render(80, 14))
	for _, want := range []string{"p50", "p90", "p99", "▲", "TTFT", "ms"} {
		if !strings.Contains(out, want) {
			t.Errorf("latency panel lacks %q:\n%s", want, out)
		}
	}
}

// Without colour the chart's lines and their legend markers differ by shape.
func TestChartLinesDifferByShapeInMono(t *testing.T) {
	d := paneltest.New("mono")
	out := ansi.Strip(d.Throughput.Render(120, 14))
	for _, want := range []string{"─ output", "━ total", "┏", "╭"} {
		if !strings.Contains(out, want) {
			t.Errorf("mono throughput chart lacks %q:\n%s", want, out)
		}
	}
	d.Throughput.SetBaseline("run 2", []float64{0, 60, 119}, []float64{4000, 5000, 5100})
	if out := ansi.Strip(d.Throughput.Render(120, 14)); !strings.Contains(out, "· run 2") || !strings.Contains(out, "··") {
		t.Errorf("mono baseline is not dotted:\n%s", out)
	}
	out = ansi.Strip(d.Trend.Render(120, 14))
	for _, want := range []string{"─ p50", "━ p99", "╌ queue p50", "· baseline p50"} {
		if !strings.Contains(out, want) {
			t.Errorf("mono trend chart lacks %q:\n%s", want, out)
		}
	}
}
