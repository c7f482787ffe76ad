package report

import "time"

// RateWindow turns cumulative counts, sampled as a run goes, into rates over the last Span
// seconds: the live "recent" throughput of the dashboard's chart and of the headless
// progress lines. A decode step is a burst of tokens, so a rate over one snapshot interval
// swings with the step boundaries, while one over a second or more reads steadily. It is a
// rate of the moment, never a run's result: that is the report's throughput.
type RateWindow struct {
	// Span is the window in seconds.
	Span float64

	t, a, b []float64
}

// Add records the cumulative counts a and b at time t (seconds, increasing) and returns
// their rates per second over the window.
func (w *RateWindow) Add(t, a, b float64) (rateA, rateB float64) {
	w.t, w.a, w.b = append(w.t, t), append(w.a, a), append(w.b, b)
	// Keep one point at or before t - Span as the window's start.
	k := 0
	for k+1 < len(w.t) && w.t[k+1] <= t-w.Span {
		k++
	}
	if k > 0 {
		w.t, w.a, w.b = w.t[k:], w.a[k:], w.b[k:]
	}
	dt := t - w.t[0]
	if dt <= 0 {
		return 0, 0
	}
	return (a - w.a[0]) / dt, (b - w.b[0]) / dt
}

// Reset forgets every point.
func (w *RateWindow) Reset() { w.t, w.a, w.b = w.t[:0], w.a[:0], w.b[:0] }

// ETA estimates the time left of a run that finished done of total requests in elapsed, at
// the pace so far: 0 when every request finished, -1 when nothing finished yet to tell.
func ETA(elapsed time.Duration, done, total int) time.Duration {
	switch {
	case total > 0 && done >= total:
		return 0
	case done <= 0:
		return -1
	}
	return time.Duration(float64(elapsed) / float64(done) * float64(total-done))
}
