package report

import (
	"testing"
	"time"
)

func TestRateWindow(t *testing.T) {
	w := RateWindow{Span: 1}
	if a, b := w.Add(0, 0, 0); a != 0 || b != 0 {
		t.Errorf("first point gives %v %v", a, b)
	}
	// 100 tokens/s for 3 s, then 300 tokens/s: the window sees only the last second.
	for i := 1; i <= 30; i++ {
		w.Add(float64(i)/10, float64(i)*10, float64(i)*20)
	}
	for i := 31; i <= 40; i++ {
		a, b := w.Add(float64(i)/10, 300+float64(i-30)*30, 600+float64(i-30)*60)
		if i == 40 && (a < 299.99 || a > 300.01 || b < 599.99 || b > 600.01) {
			t.Errorf("rates after the change %v %v, want 300 and 600", a, b)
		}
	}
	w.Reset()
	if a, _ := w.Add(5, 1000, 0); a != 0 {
		t.Errorf("after Reset: %v", a)
	}
}

func TestETA(t *testing.T) {
	for _, c := range []struct {
		elapsed     time.Duration
		done, total int
		want        time.Duration
	}{
		{10 * time.Second, 0, 64, -1},
		{10 * time.Second, 16, 64, 30 * time.Second},
		{10 * time.Second, 64, 64, 0},
		{0, 0, 0, -1},
	} {
		if got := ETA(c.elapsed, c.done, c.total); got != c.want {
			t.Errorf("ETA(%v, %d, %d) = %v, want %v", c.elapsed, c.done, c.total, got, c.want)
		}
	}
}
