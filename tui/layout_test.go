package tui

import (
	"slices"
	"testing"

	"github.com/benchtui/benchtui/tui/panel"
)

// checkLayout asserts that rects lie inside the terminal and do not overlap.
func checkLayout(t *testing.T, r placement) {
	t.Helper()
	vis := r.Visible()
	for i, a := range vis {
		ra := r.Of(a)
		if ra.X < 0 || ra.Y < 0 || ra.X+ra.W > r.Width || ra.Y+ra.H > r.Height {
			t.Errorf("%dx%d %s: %s %+v outside the terminal", r.Width, r.Height, r.Mode, a, ra)
		}
		for _, b := range vis[i+1:] {
			rb := r.Of(b)
			if ra.X < rb.X+rb.W && rb.X < ra.X+ra.W && ra.Y < rb.Y+rb.H && rb.Y < ra.Y+ra.H {
				t.Errorf("%dx%d %s: %s %+v overlaps %s %+v", r.Width, r.Height, r.Mode, a, ra, b, rb)
			}
		}
	}
}

func TestLayoutBreakpoints(t *testing.T) {
	always := []panelID{panelHeader, panelResult, panelProgress, panelEngine, panelDevices, panelHistory, panelHints}
	cases := []struct {
		w, h   int
		mode   layoutMode
		shown  []panelID
		hidden []panelID
		histH  int
	}{
		{80, 24, modeCompact, []panelID{panelThroughput}, []panelID{panelTrend, panelLatency, panelRequests}, 1},
		{80, 40, modeCompact, []panelID{panelThroughput}, []panelID{panelTrend, panelLatency}, 1},
		{90, 60, modeCompact, []panelID{panelThroughput}, nil, 10},
		{120, 24, modeMedium, []panelID{panelThroughput, panelTrend}, []panelID{panelLatency}, 1},
		{120, 36, modeMedium, []panelID{panelThroughput, panelTrend}, []panelID{panelLatency, panelRequests}, 7},
		{200, 40, modeWide, []panelID{panelThroughput, panelTrend, panelLatency}, []panelID{panelRequests}, 10},
		{200, 60, modeWide, []panelID{panelThroughput, panelTrend, panelLatency, panelRequests}, nil, 16},
	}
	for _, c := range cases {
		r := layout(c.w, c.h, layoutOpts{chart: panelThroughput, hintsH: 1})
		if r.Mode != c.mode {
			t.Errorf("%dx%d: mode %s, want %s", c.w, c.h, r.Mode, c.mode)
		}
		for _, id := range append(slices.Clone(always), c.shown...) {
			if !r.Shown(id) {
				t.Errorf("%dx%d: %s not shown", c.w, c.h, id)
			}
		}
		for _, id := range c.hidden {
			if r.Shown(id) {
				t.Errorf("%dx%d: %s shown, want hidden", c.w, c.h, id)
			}
		}
		if h := r.Of(panelHistory).H; h != c.histH {
			t.Errorf("%dx%d: history %d lines, want %d", c.w, c.h, h, c.histH)
		}
		if h := r.Of(panelResult).H; h != 2 {
			t.Errorf("%dx%d: result strip %d lines, want 2", c.w, c.h, h)
		}
		checkLayout(t, r)
	}
	// The tiny layout keeps the strip and one line per panel.
	r := layout(200, 10, layoutOpts{hintsH: 1})
	if r.Mode != modeTiny || r.Of(panelResult).H != 1 || !r.Shown(panelProgress) {
		t.Errorf("200x10: %s with strip %+v", r.Mode, r.Of(panelResult))
	}
	checkLayout(t, r)
	// g puts each chart in the compact slot; the medium slot holds trend or histogram.
	for _, chart := range []panelID{panelThroughput, panelTrend, panelLatency} {
		if r := layout(80, 24, layoutOpts{chart: chart, hintsH: 1}); !r.Shown(chart) || r.Of(chart).H < 8 {
			t.Errorf("80x24 with chart %s: %+v", chart, r.Of(chart))
		}
	}
	if r := layout(120, 36, layoutOpts{chart: panelLatency, hintsH: 1}); !r.Shown(panelLatency) || r.Shown(panelTrend) {
		t.Error("120x36: g does not put the histogram in the latency slot")
	}
	// A wrapped status takes lines from the body, never from the strip.
	if r := layout(80, 24, layoutOpts{hintsH: 3}); r.Of(panelHints).H != 3 || r.Of(panelResult).H != 2 {
		t.Errorf("80x24 with a 3-line status: hints %+v strip %+v", r.Of(panelHints), r.Of(panelResult))
	}
}

func TestLayoutCompact80x24(t *testing.T) {
	r := layout(80, 24, layoutOpts{})
	if h := r.Of(panelHeader).H; h < 2 || h > 3 {
		t.Errorf("header height %d, want 2-3", h)
	}
	if r.Of(panelHints) != (panel.Rect{X: 0, Y: 23, W: 80, H: 1}) {
		t.Errorf("hints at %+v, want the last line", r.Of(panelHints))
	}
	// Engine and devices share one row.
	e, d := r.Of(panelEngine), r.Of(panelDevices)
	if e.Y != d.Y || e.X+e.W != d.X || d.X+d.W != 80 {
		t.Errorf("engine %+v and devices %+v do not share a row", e, d)
	}
	// The body is fully used: every line belongs to a panel.
	covered := make([]bool, 24)
	for _, id := range r.Visible() {
		rc := r.Of(id)
		for y := rc.Y; y < rc.Y+rc.H; y++ {
			covered[y] = true
		}
	}
	if i := slices.Index(covered, false); i >= 0 {
		t.Errorf("line %d is not covered by any panel", i)
	}
}

// Wide and tall terminals give the charts the room: the engine and devices panels are as
// tall as their content asks, the histogram takes what is left of the side column (the
// devices give way first), and the charts are most of the width.
func TestLayoutGivesChartsTheRoom(t *testing.T) {
	for _, c := range []struct {
		w, h, eng, dev int
		wantDev        int // 0: as asked
	}{
		{200, 60, 6, 4, 0},
		{250, 70, 11, 18, 0},  // a server run; eight GPUs
		{200, 60, 11, 18, 14}, // more than fits: the histogram keeps minHistH
		{200, 60, 11, 40, 14},
		{160, 40, 6, 4, 0},
		{250, 70, 6, 6, 0},
	} {
		r := layout(c.w, c.h, layoutOpts{chart: panelThroughput, hintsH: 1, engineH: c.eng, devicesH: c.dev})
		checkLayout(t, r)
		want := c.wantDev
		if want == 0 {
			want = c.dev
		}
		e, d, l, tp := r.Of(panelEngine), r.Of(panelDevices), r.Of(panelLatency), r.Of(panelThroughput)
		if e.H != c.eng || d.H != want {
			t.Errorf("%dx%d asking %d/%d: engine %d, devices %d lines, want %d/%d", c.w, c.h, c.eng, c.dev, e.H, d.H, c.eng, want)
		}
		if l.H < minHistH {
			t.Errorf("%dx%d: histogram %d lines", c.w, c.h, l.H)
		}
		if tp.W < c.w*6/10 {
			t.Errorf("%dx%d: throughput %d of %d columns", c.w, c.h, tp.W, c.w)
		}
		// The side column is filled to the history.
		if top := r.Of(panelHistory).Y; d.Y+d.H != top {
			t.Errorf("%dx%d: devices end at %d, the history starts at %d", c.w, c.h, d.Y+d.H, top)
		}
	}
	// A medium terminal with room under the side panels shows the histogram there, and
	// the slot holds the latency over time.
	r := layout(120, 36, layoutOpts{chart: panelLatency, hintsH: 1, engineH: 6, devicesH: 4})
	if !r.Shown(panelLatency) || !r.Shown(panelTrend) || r.Of(panelLatency).X == 0 || r.Of(panelDevices).H != 4 {
		t.Errorf("120x36: latency %+v, trend %+v, devices %+v", r.Of(panelLatency), r.Of(panelTrend), r.Of(panelDevices))
	}
	// Without room for the histogram there, a tall engine panel (a server run's) takes what
	// the devices leave rather than losing lines while the devices panel stays half empty.
	r = layout(120, 36, layoutOpts{chart: panelThroughput, hintsH: 1, engineH: 10, devicesH: 4})
	checkLayout(t, r)
	if r.Shown(panelLatency) || r.Of(panelEngine).H != 10 || r.Of(panelDevices).H < 4 {
		t.Errorf("120x36 with a 10-line engine: latency shown %v, engine %+v, devices %+v", r.Shown(panelLatency), r.Of(panelEngine), r.Of(panelDevices))
	}
}

func TestLayoutMaximized(t *testing.T) {
	r := layoutMaximized(120, 40, panelLatency, layoutOpts{})
	if r.Mode != modeMaximized {
		t.Fatalf("mode %s", r.Mode)
	}
	want := []panelID{panelHeader, panelResult, panelLatency, panelHints}
	if got := r.Visible(); !slices.Equal(got, want) {
		t.Fatalf("visible %v, want %v", got, want)
	}
	l := r.Of(panelLatency)
	if l.W != 120 || l.Y != r.Of(panelHeader).H+r.Of(panelResult).H || l.Y+l.H != 39 {
		t.Errorf("maximized rect %+v does not fill the body", l)
	}
}

func TestLayoutIsPure(t *testing.T) {
	for _, s := range [][2]int{{80, 24}, {133, 41}, {250, 70}} {
		a, b := layout(s[0], s[1], layoutOpts{}), layout(s[0], s[1], layoutOpts{})
		if a != b {
			t.Errorf("layout(%d, %d, layoutOpts{}) is not deterministic", s[0], s[1])
		}
	}
	if len(layout(0, 10, layoutOpts{}).Visible()) != 0 || len(layout(10, 0, layoutOpts{}).Visible()) != 0 {
		t.Error("an empty terminal must have no panels")
	}
}

func TestRenderFrameCallsVisiblePanels(t *testing.T) {
	r := layout(120, 40, layoutOpts{})
	var called []panelID
	renderFrame(r, func(id panelID, w, h int) string {
		called = append(called, id)
		if rc := r.Of(id); rc.W != w || rc.H != h {
			t.Errorf("%s rendered at %dx%d, rect %+v", id, w, h, rc)
		}
		return ""
	})
	if !slices.Equal(called, r.Visible()) {
		t.Errorf("rendered %v, want %v", called, r.Visible())
	}
}
