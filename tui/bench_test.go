package tui

import (
	"context"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/benchtui/benchtui/engine"
)

// BenchmarkFrame200x60 renders a full 200x60 frame with every panel filled (the frame
// View produces at 10 Hz). The budget is 2 ms.
func BenchmarkFrame200x60(b *testing.B) {
	d := newDashboard("nvidia")
	b.ReportAllocs()
	for b.Loop() {
		_ = d.frame(200, 60)
	}
}

// BenchmarkFrame80x24 is the compact arrangement.
func BenchmarkFrame80x24(b *testing.B) {
	d := newDashboard("nvidia")
	b.ReportAllocs()
	for b.Loop() {
		_ = d.frame(80, 24)
	}
}

// BenchmarkPanels200x60 renders each panel at its size in the 200x60 layout.
func BenchmarkPanels200x60(b *testing.B) {
	d := newDashboard("nvidia")
	r := Layout(200, 60)
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

// BenchmarkLatencySetSamples is the cost of feeding 20k inter-token latencies.
func BenchmarkLatencySetSamples(b *testing.B) {
	d := newDashboard("nvidia")
	samples := d.latency.dist[MetricITL].sorted
	in := make([]float64, len(samples))
	copy(in, samples)
	b.ReportAllocs()
	for b.Loop() {
		d.latency.SetSamples(MetricITL, in)
	}
}

// BenchmarkModelView200x60 is the root model's View at 200x60 on a finished run of 512
// requests (a replay, so every panel the run fills has data). The budget is 2 ms.
func BenchmarkModelView200x60(b *testing.B) {
	fr := &fakeRunner{}
	ev := engine.NewEvents(context.Background())
	x, err := fr.Run(context.Background(), Settings{Batch: 64, ISL: 128, OSL: 128, Requests: 512}, ev)
	ev.Close()
	if err != nil {
		b.Fatal(err)
	}
	m := New(Options{Replay: x, ReplayName: "bench", Theme: "nvidia"})
	m.Update(tea.WindowSizeMsg{Width: 200, Height: 60})
	b.ReportAllocs()
	for b.Loop() {
		_ = m.View()
	}
}
