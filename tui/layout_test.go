package tui

import (
	"slices"
	"strings"
	"testing"
)

// checkLayout asserts that rects lie inside the terminal and do not overlap.
func checkLayout(t *testing.T, r Rects) {
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
		mode   Mode
		shown  []PanelID
		hidden []PanelID
	}{
		{80, 24, ModeCompact,
			[]PanelID{PanelHeader, PanelThroughput, PanelProgress, PanelEngine, PanelDevices, PanelHints},
			[]PanelID{PanelLatency, PanelHistory, PanelCompare, PanelHelp}},
		{80, 40, ModeCompact,
			[]PanelID{PanelHeader, PanelThroughput, PanelLatency, PanelProgress, PanelEngine, PanelDevices, PanelHints},
			[]PanelID{PanelHistory}},
		{90, 60, ModeCompact,
			[]PanelID{PanelThroughput, PanelLatency, PanelHistory}, nil},
		{120, 24, ModeMedium,
			[]PanelID{PanelThroughput, PanelLatency, PanelProgress, PanelEngine, PanelDevices},
			[]PanelID{PanelHistory}},
		{120, 40, ModeMedium,
			[]PanelID{PanelHeader, PanelThroughput, PanelLatency, PanelProgress, PanelEngine, PanelDevices, PanelHistory, PanelHints}, nil},
		{200, 60, ModeWide,
			[]PanelID{PanelHeader, PanelThroughput, PanelLatency, PanelProgress, PanelEngine, PanelDevices, PanelHistory, PanelHints}, nil},
		{200, 10, ModeTiny,
			[]PanelID{PanelHeader, PanelProgress, PanelThroughput, PanelHints}, []PanelID{PanelHistory}},
	}
	for _, c := range cases {
		r := Layout(c.w, c.h)
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
	r := Layout(80, 24)
	if h := r.Of(PanelHeader).H; h < 2 || h > 3 {
		t.Errorf("header height %d, want 2-3", h)
	}
	if r.Of(PanelHints) != (Rect{0, 23, 80, 1}) {
		t.Errorf("hints at %+v, want the last line", r.Of(PanelHints))
	}
	// Engine and devices share one row.
	e, d := r.Of(PanelEngine), r.Of(PanelDevices)
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
	r := LayoutMaximized(120, 40, PanelLatency)
	if r.Mode != ModeMaximized {
		t.Fatalf("mode %s", r.Mode)
	}
	want := []PanelID{PanelHeader, PanelLatency, PanelHints}
	if got := r.Visible(); !slices.Equal(got, want) {
		t.Fatalf("visible %v, want %v", got, want)
	}
	l := r.Of(PanelLatency)
	if l.W != 120 || l.Y != r.Of(PanelHeader).H || l.Y+l.H != 39 {
		t.Errorf("maximized rect %+v does not fill the body", l)
	}
}

func TestLayoutIsPure(t *testing.T) {
	for _, s := range [][2]int{{80, 24}, {133, 41}, {250, 70}} {
		a, b := Layout(s[0], s[1]), Layout(s[0], s[1])
		if a != b {
			t.Errorf("Layout(%d, %d) is not deterministic", s[0], s[1])
		}
	}
	if len(Layout(0, 10).Visible()) != 0 || len(Layout(10, 0).Visible()) != 0 {
		t.Error("an empty terminal must have no panels")
	}
}

func TestComposeClipsAndPads(t *testing.T) {
	parts := []Placed{
		{Rect{0, 0, 3, 2}, "abcdef\nxy"},
		{Rect{5, 1, 10, 5}, "0123456789"},
		{Rect{2, 0, 4, 1}, "overlap"}, // starts inside the first part: skipped
		{Rect{20, 0, 2, 2}, "out of frame"},
	}
	got := Compose(8, 3, parts)
	want := "abc     \nxy   012\n        "
	if got != want {
		t.Errorf("Compose =\n%q\nwant\n%q", got, want)
	}
	if Compose(0, 5, parts) != "" || Compose(5, 0, parts) != "" {
		t.Error("Compose of an empty frame must be empty")
	}
	lines := strings.Split(Compose(4, 2, nil), "\n")
	if len(lines) != 2 || lines[0] != "    " {
		t.Errorf("empty Compose = %q", lines)
	}
}

func TestRenderFrameCallsVisiblePanels(t *testing.T) {
	r := Layout(120, 40)
	var called []PanelID
	RenderFrame(r, func(id PanelID, w, h int) string {
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
