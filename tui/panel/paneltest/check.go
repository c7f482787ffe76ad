package paneltest

import (
	"strings"
	"testing"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// SweepWidths and SweepHeights cover 10x3 to 250x70: every width up to 64 (where
// panels change their arrangement most), then every fifth; every height.
func SweepWidths() []int {
	var ws []int
	for w := 10; w <= 64; w++ {
		ws = append(ws, w)
	}
	for w := 65; w <= 250; w += 5 {
		ws = append(ws, w)
	}
	return ws
}

func SweepHeights() []int {
	var hs []int
	for h := 3; h <= 70; h++ {
		hs = append(hs, h)
	}
	return hs
}

// CheckBlock asserts the rendering contract: at most h lines (exactly h), none wider
// than w (each exactly w). Widths are measured by Lip Gloss, independently of the
// panels' own width code.
func CheckBlock(t *testing.T, what string, out string, w, h int) bool {
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
