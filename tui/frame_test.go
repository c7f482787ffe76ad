package tui

import (
	"fmt"
	"testing"

	"github.com/benchtui/benchtui/tui/panel/paneltest"
)

// fixture is the panels' test data set with the root's panel ids.
type fixture struct{ *paneltest.Dashboard }

func newFixture(theme string) fixture { return fixture{paneltest.New(theme)} }

// render renders panel id at the given size.
func (d fixture) render(id panelID, w, h int) string {
	for _, np := range d.Panels() {
		if np.Name == id.String() {
			return np.Panel.Render(w, h)
		}
	}
	return ""
}

// frame renders a whole dashboard frame.
func (d fixture) frame(w, h int) string { return renderFrame(layout(w, h, layoutOpts{}), d.render) }

func TestGoldenFrames(t *testing.T) {
	for _, theme := range []string{"nvidia", "mono"} {
		d := newFixture(theme)
		for _, s := range [][2]int{{80, 24}, {120, 40}, {200, 60}, {60, 10}} {
			paneltest.Golden(t, fmt.Sprintf("frame_%s_%dx%d", theme, s[0], s[1]), d.frame(s[0], s[1]))
		}
		d.Latency.SetFocused(true)
		paneltest.Golden(t, "frame_"+theme+"_maximized_100x30", renderFrame(layoutMaximized(100, 30, panelLatency, layoutOpts{}), d.render))
		d.Latency.SetFocused(false)
	}
}

func TestFrameInvariantsSweep(t *testing.T) {
	d := newFixture("nvidia")
	ws, hs := paneltest.SweepWidths(), paneltest.SweepHeights()
	if testing.Short() {
		ws, hs = []int{10, 40, 80, 99, 100, 159, 160, 250}, []int{3, 11, 12, 24, 29, 30, 44, 45, 70}
	}
	for _, w := range ws {
		for _, h := range hs {
			r := layout(w, h, layoutOpts{})
			checkLayout(t, r)
			if !paneltest.CheckBlock(t, "frame", d.frame(w, h), w, h) {
				return
			}
		}
	}
	for _, id := range []panelID{panelThroughput, panelLatency, panelHistory, panelCompare, panelHelp} {
		for _, s := range [][2]int{{10, 3}, {80, 24}, {250, 70}} {
			r := layoutMaximized(s[0], s[1], id, layoutOpts{})
			checkLayout(t, r)
			paneltest.CheckBlock(t, "maximized "+id.String(), renderFrame(r, d.render), s[0], s[1])
		}
	}
}
