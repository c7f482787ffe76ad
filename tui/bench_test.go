package tui

import "testing"

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
