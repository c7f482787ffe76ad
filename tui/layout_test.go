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
	cases := []struct {
		w, h   int
		mode   layoutMode
		shown  []panelID
		hidden []panelID
	}{
		{80, 24, modeCompact,
			[]panelID{panelHeader, panelThroughput, panelProgress, panelEngine, panelDevices, panelHints},
			[]panelID{panelLatency, panelHistory, panelCompare, panelHelp}},
		{80, 40, modeCompact,
			[]panelID{panelHeader, panelThroughput, panelLatency, panelProgress, panelEngine, panelDevices, panelHints},
			[]panelID{panelHistory}},
		{90, 60, modeCompact,
			[]panelID{panelThroughput, panelLatency, panelHistory}, nil},
		{120, 24, modeMedium,
			[]panelID{panelThroughput, panelLatency, panelProgress, panelEngine, panelDevices},
			[]panelID{panelHistory}},
		{120, 40, modeMedium,
			[]panelID{panelHeader, panelThroughput, panelLatency, panelProgress, panelEngine, panelDevices, panelHistory, panelHints}, nil},
		{200, 60, modeWide,
			[]panelID{panelHeader, panelThroughput, panelLatency, panelProgress, panelEngine, panelDevices, panelHistory, panelHints}, nil},
		{200, 10, modeTiny,
			[]panelID{panelHeader, panelProgress, panelThroughput, panelHints}, []panelID{panelHistory}},
	}
	for _, c := range cases {
		r := layout(c.w, c.h)
		if r.Mode != c.mode {
			t.Errorf("%dx%d: mode %s, want %s", c.w, c.h, r.Mode, c.mode)
		}
		for _, id := range c.shown {
			if !r.Shown(id) {
				t.Errorf("%dx%d: %s not shown", c.w, c.h, id)
			}
		}
		for _, id := range c.hidden {
			if r.Shown(id) {
				t.Errorf("%dx%d: %s shown, want hidden", c.w, c.h, id)
			}
		}
		checkLayout(t, r)
	}
}

func TestLayoutCompact80x24(t *testing.T) {
	r := layout(80, 24)
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

func TestLayoutMaximized(t *testing.T) {
	r := layoutMaximized(120, 40, panelLatency)
	if r.Mode != modeMaximized {
		t.Fatalf("mode %s", r.Mode)
	}
	want := []panelID{panelHeader, panelLatency, panelHints}
	if got := r.Visible(); !slices.Equal(got, want) {
		t.Fatalf("visible %v, want %v", got, want)
	}
	l := r.Of(panelLatency)
	if l.W != 120 || l.Y != r.Of(panelHeader).H || l.Y+l.H != 39 {
		t.Errorf("maximized rect %+v does not fill the body", l)
	}
}

func TestLayoutIsPure(t *testing.T) {
	for _, s := range [][2]int{{80, 24}, {133, 41}, {250, 70}} {
		a, b := layout(s[0], s[1]), layout(s[0], s[1])
		if a != b {
			t.Errorf("layout(%d, %d) is not deterministic", s[0], s[1])
		}
	}
	if len(layout(0, 10).Visible()) != 0 || len(layout(10, 0).Visible()) != 0 {
		t.Error("an empty terminal must have no panels")
	}
}

func TestRenderFrameCallsVisiblePanels(t *testing.T) {
	r := layout(120, 40)
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
