package tui

import (
	"math"
	"strings"
	"testing"
	"time"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

func stripANSI(s string) string { return ansi.Strip(s) }

// sweepWidths and sweepHeights cover 10x3 to 250x70: every width up to 64 (where
// panels change their arrangement most), then every fifth; every height.
func sweepWidths() []int {
	var ws []int
	for w := 10; w <= 64; w++ {
		ws = append(ws, w)
	}
	for w := 65; w <= 250; w += 5 {
		ws = append(ws, w)
	}
	return ws
}

func sweepHeights() []int {
	var hs []int
	for h := 3; h <= 70; h++ {
		hs = append(hs, h)
	}
	return hs
}

// checkBlock asserts the rendering contract: at most h lines (exactly h), none wider
// than w (each exactly w). Widths are measured by Lip Gloss, independently of the
// panels' own width code.
func checkBlock(t *testing.T, what string, out string, w, h int) bool {
	t.Helper()
	if w <= 0 || h <= 0 {
		if out != "" {
			t.Errorf("%s at %dx%d: want empty output, got %q", what, w, h, out)
			return false
		}
		return true
	}
	lines := strings.Split(out, "\n")
	if len(lines) > h {
		t.Errorf("%s at %dx%d: %d lines, more than the height", what, w, h, len(lines))
		return false
	}
	if len(lines) != h {
		t.Errorf("%s at %dx%d: %d lines, want exactly %d", what, w, h, len(lines), h)
		return false
	}
	for i, l := range lines {
		lw := lipgloss.Width(l)
		if lw > w {
			t.Errorf("%s at %dx%d: line %d is %d cells wide: %q", what, w, h, i, lw, ansi.Strip(l))
			return false
		}
		if lw != w {
			t.Errorf("%s at %dx%d: line %d is %d cells wide, want exactly %d: %q", what, w, h, i, lw, w, ansi.Strip(l))
			return false
		}
	}
	return true
}

func TestPanelInvariantsSweep(t *testing.T) {
	d := newDashboard("nvidia")
	ws, hs := sweepWidths(), sweepHeights()
	if testing.Short() {
		ws, hs = []int{10, 11, 12, 13, 20, 29, 30, 40, 59, 60, 80, 120, 250}, []int{3, 4, 5, 6, 7, 9, 12, 20, 70}
	}
	for id := PanelID(0); id < numPanels; id++ {
		t.Run(id.String(), func(t *testing.T) {
			t.Parallel()
			fails := 0
			for _, w := range ws {
				for _, h := range hs {
					if !checkBlock(t, id.String(), d.render(id, w, h), w, h) {
						if fails++; fails > 5 {
							t.Fatal("too many failures")
						}
					}
				}
			}
		})
	}
}

// TestPanelInvariantsTiny covers sizes below the sweep, down to nothing.
func TestPanelInvariantsTiny(t *testing.T) {
	d := newDashboard("mono")
	for id := PanelID(0); id < numPanels; id++ {
		for w := -1; w <= 12; w++ {
			for h := -1; h <= 4; h++ {
				checkBlock(t, id.String(), d.render(id, w, h), w, h)
			}
		}
	}
}

// TestEmptyPanelInvariants checks panels that have no data yet.
func TestEmptyPanelInvariants(t *testing.T) {
	st := styles("nvidia")
	panels := map[string]interface{ Render(int, int) string }{
		"header": NewHeader(st), "throughput": NewThroughput(st), "latency": NewLatency(st),
		"progress": NewProgress(st), "engine": NewEngine(st), "devices": NewDevices(st),
		"history": NewHistory(st), "compare": NewCompare(st), "help": NewHelp(st), "hints": NewHints(st),
	}
	for name, p := range panels {
		for _, w := range []int{1, 5, 10, 12, 20, 40, 80, 250} {
			for _, h := range []int{1, 2, 3, 4, 10, 70} {
				checkBlock(t, name, p.Render(w, h), w, h)
			}
		}
	}
}

func TestFrameInvariantsSweep(t *testing.T) {
	d := newDashboard("nvidia")
	ws, hs := sweepWidths(), sweepHeights()
	if testing.Short() {
		ws, hs = []int{10, 40, 80, 99, 100, 159, 160, 250}, []int{3, 11, 12, 24, 29, 30, 44, 45, 70}
	}
	for _, w := range ws {
		for _, h := range hs {
			r := Layout(w, h)
			checkLayout(t, r)
			if !checkBlock(t, "frame", d.frame(w, h), w, h) {
				return
			}
		}
	}
	for _, id := range []PanelID{PanelThroughput, PanelLatency, PanelHistory, PanelCompare, PanelHelp} {
		for _, s := range [][2]int{{10, 3}, {80, 24}, {250, 70}} {
			r := LayoutMaximized(s[0], s[1], id)
			checkLayout(t, r)
			checkBlock(t, "maximized "+id.String(), RenderFrame(r, d.render), s[0], s[1])
		}
	}
}

// TestHostileData feeds values and names a real run should not produce (NaN, huge and
// negative numbers, wide and combining characters, empty strings) and checks the
// rendering contract still holds.
func TestHostileData(t *testing.T) {
	st := styles("nvidia")
	nan, inf := math.NaN(), math.Inf(1)
	long := "模型-名称-非常长的名字-🚀-e\u0301-" + strings.Repeat("x", 300)

	h := NewHeader(st)
	h.Model, h.DType, h.Device, h.RunID, h.Detail = long, long, long, long, long
	h.State, h.Spinner, h.LoadProgress = StateLoading, "⣾ ", 7
	h.Settings = Settings{Batch: -1, ISL: 1 << 40, OSL: 0, Requests: math.MaxInt32, Concurrency: -5}
	h.SetPending(Settings{Batch: 1 << 30})

	tp := NewThroughput(st)
	for i, v := range []float64{nan, inf, -5, 1e15, 0, 3} {
		tp.Add(float64(i), v, -v)
	}
	tp.Add(-1, 5, 5) // out of order: ignored

	lat := NewLatency(st)
	lat.SetSamples(MetricTTFT, []float64{nan, inf, -1, 1e12, 0, 0, 0})
	lat.SetSamples(MetricTPOT, []float64{1e-9})

	pr := NewProgress(st)
	pr.Done, pr.Total, pr.Failed, pr.Phase = 900, 10, 1<<20, long
	pr.InputTokens, pr.OutputTokens, pr.Elapsed = -1, 1<<62, -time.Second

	en := NewEngine(st)
	en.Push(-3, 1<<30, nan, 250)
	en.Push(5, 0, inf, -20)

	dv := NewDevices(st)
	dv.SetDevices([]DeviceView{
		{Name: long, Util: []float64{nan, 500, -50}, MemUsed: []float64{inf}, MemTotal: -1, HasPower: true, PowerW: nan, HasTemp: true, TempC: 1e9},
		{},
	})

	hi := NewHistory(st)
	hi.SetRows([]RunRow{{ID: long, Model: long, OutputTokS: nan, TTFTp50: inf, State: RunState(99)}, {}})
	hi.ToggleMark()
	cmp := NewCompare(st)
	cmp.Set(RunRow{ID: long, Model: long, OutputTokS: -1}, RunRow{OutputTokS: inf, ReqS: nan})

	help := NewHelp(st)
	help.Note = long
	help.SetGroups([]HelpGroup{{Title: long, Keys: []HelpKey{{long, long}, {"", ""}}}, {}})
	hints := NewHints(st)
	hints.Keys, hints.Status = []HelpKey{{long, long}, {"?", long}}, long

	panels := map[string]interface{ Render(int, int) string }{
		"header": h, "throughput": tp, "latency": lat, "progress": pr, "engine": en,
		"devices": dv, "history": hi, "compare": cmp, "help": help, "hints": hints,
	}
	for name, p := range panels {
		for _, w := range []int{1, 3, 10, 13, 27, 41, 80, 133, 250} {
			for _, hh := range []int{1, 2, 3, 5, 8, 17, 70} {
				checkBlock(t, name, p.Render(w, hh), w, hh)
			}
		}
	}
	for m := LatencyMetric(0); m < numMetrics; m++ {
		lat.Metric = m
		checkBlock(t, "latency "+m.String(), lat.Render(60, 14), 60, 14)
	}
}

// TestRenderIsPure checks that rendering does not change what the next render shows.
func TestRenderIsPure(t *testing.T) {
	d := newDashboard("nvidia")
	for id := PanelID(0); id < numPanels; id++ {
		a := d.render(id, 90, 20)
		d.render(id, 33, 7)
		if b := d.render(id, 90, 20); a != b {
			t.Errorf("%s renders differently the second time", id)
		}
	}
}
