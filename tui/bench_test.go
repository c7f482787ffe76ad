package tui

import (
	"testing"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/benchtui/benchtui/tui/panel"
)

// BenchmarkFrame200x60 renders a full 200x60 frame with every panel filled (the frame
// View produces at 10 Hz). The budget is 2 ms.
func BenchmarkFrame200x60(b *testing.B) {
	d := newFixture("nvidia")
	b.ReportAllocs()
	for b.Loop() {
		_ = d.frame(200, 60)
	}
}

// BenchmarkFrame80x24 is the compact arrangement.
func BenchmarkFrame80x24(b *testing.B) {
	d := newFixture("nvidia")
	b.ReportAllocs()
	for b.Loop() {
		_ = d.frame(80, 24)
	}
}

// BenchmarkPanels200x60 renders each panel at its size in the 200x60 layout.
func BenchmarkPanels200x60(b *testing.B) {
	d := newFixture("nvidia")
	r := layout(200, 60, layoutOpts{})
	for _, id := range r.Visible() {
		rc := r.Of(id)
		b.Run(id.String(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = d.render(id, rc.W, rc.H)
			}
		})
	}
}

// BenchmarkModelView200x60 is the root model drawing a 200x60 frame of a replayed
// 10,000-request run (every panel filled, the requests table on screen). View redraws
// only when something changed, so each iteration marks the frame out of date. The budget
// is 2 ms.
func BenchmarkModelView200x60(b *testing.B) {
	x := fakeExport(b, Settings{Batch: 64, ISL: 128, OSL: 128, Requests: 10_000})
	m := newModel(Options{Replay: x, ReplayName: "bench", Theme: "nvidia"})
	m.Update(tea.WindowSizeMsg{Width: 200, Height: 60})
	b.ReportAllocs()
	for b.Loop() {
		m.dirty = true
		_ = m.View()
	}
}

// BenchmarkModelViewCached is View when nothing changed since the last frame: what every
// message that changes nothing on screen costs.
func BenchmarkModelViewCached(b *testing.B) {
	x := fakeExport(b, Settings{Batch: 64, ISL: 128, OSL: 128, Requests: 10_000})
	m := newModel(Options{Replay: x, ReplayName: "bench", Theme: "nvidia"})
	m.Update(tea.WindowSizeMsg{Width: 200, Height: 60})
	_ = m.View()
	b.ReportAllocs()
	for b.Loop() {
		_ = m.View()
	}
}

// The compositor: the frame of panels rendered once, then joined at their places by
// panel.Compose (hand-made, strings) or by Lip Gloss v2's compositor (layers drawn into a
// cell buffer, then rendered back to a string). Both take the same rendered panels.
func composeParts(d fixture, w, h int) []panel.Placed {
	r := layout(w, h, layoutOpts{})
	var parts []panel.Placed
	for _, id := range r.Visible() {
		rc := r.Of(id)
		parts = append(parts, panel.Placed{Rect: rc, Content: d.render(id, rc.W, rc.H)})
	}
	return parts
}

// BenchmarkCompose200x60 joins a 200x60 frame with panel.Compose.
func BenchmarkCompose200x60(b *testing.B) {
	parts := composeParts(newFixture("nvidia"), 200, 60)
	b.ReportAllocs()
	for b.Loop() {
		_ = panel.Compose(200, 60, parts)
	}
}

// BenchmarkLipglossCanvas200x60 joins the same frame with lipgloss.NewCanvas and one
// lipgloss.NewLayer per panel.
func BenchmarkLipglossCanvas200x60(b *testing.B) {
	parts := composeParts(newFixture("nvidia"), 200, 60)
	b.ReportAllocs()
	for b.Loop() {
		c := lipgloss.NewCanvas(200, 60)
		for _, p := range parts {
			c.Compose(lipgloss.NewLayer(p.Content).X(p.Rect.X).Y(p.Rect.Y))
		}
		_ = c.Render()
	}
}

// BenchmarkLipglossCompositor200x60 does the same through lipgloss.NewCompositor.
func BenchmarkLipglossCompositor200x60(b *testing.B) {
	parts := composeParts(newFixture("nvidia"), 200, 60)
	b.ReportAllocs()
	for b.Loop() {
		layers := make([]*lipgloss.Layer, len(parts))
		for i, p := range parts {
			layers[i] = lipgloss.NewLayer(p.Content).X(p.Rect.X).Y(p.Rect.Y)
		}
		_ = lipgloss.NewCompositor(layers...).Render()
	}
}
