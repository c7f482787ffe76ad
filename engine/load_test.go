package engine

import (
	"math"
	"slices"
	"testing"
)

// TestScheduleFollowsTheGammaLaw checks the arrival process statistically: for each shape,
// 200,000 gaps of a seeded schedule have the mean 1/rate, the coefficient of variation
// 1/sqrt(shape) and the skewness 2/sqrt(shape) of the gamma law, within what a sample of that
// size allows (four standard errors for the mean; the CV's and skewness's bounds are several
// times their standard errors), and fixed seeds make the test deterministic.
func TestScheduleFollowsTheGammaLaw(t *testing.T) {
	const n, rate = 200_001, 50.0
	for _, shape := range []float64{0.25, 0.5, 1, 2, 4} {
		sched := Schedule(n, rate, shape, 42)
		if sched[0] != 0 || !slices.IsSorted(sched) {
			t.Fatalf("shape %v: schedule does not start at 0 and grow", shape)
		}
		gaps := make([]float64, n-1)
		for i := 1; i < n; i++ {
			gaps[i-1] = float64(sched[i]-sched[i-1]) / 1e9
		}
		var sum float64
		for _, g := range gaps {
			sum += g
		}
		mean := sum / float64(len(gaps))
		var m2, m3 float64
		for _, g := range gaps {
			d := g - mean
			m2 += d * d
			m3 += d * d * d
		}
		m2 /= float64(len(gaps))
		m3 /= float64(len(gaps))
		cv := math.Sqrt(m2) / mean
		skew := m3 / math.Pow(m2, 1.5)
		wantCV, wantSkew := 1/math.Sqrt(shape), 2/math.Sqrt(shape)
		t.Logf("shape %.2f: mean gap %.5f s (want %.5f), CV %.4f (want %.4f), skewness %.3f (want %.3f)", shape, mean, 1/rate, cv, wantCV, skew, wantSkew)
		// Four standard errors of the mean: CV/sqrt(n) relative.
		if math.Abs(mean*rate-1) > 4*wantCV/math.Sqrt(float64(len(gaps))) {
			t.Errorf("shape %v: mean rate %.3f, want %v", shape, 1/mean, rate)
		}
		if math.Abs(cv/wantCV-1) > 0.015 {
			t.Errorf("shape %v: CV %.4f, want %.4f", shape, cv, wantCV)
		}
		if math.Abs(skew/wantSkew-1) > 0.1 {
			t.Errorf("shape %v: skewness %.3f, want %.3f", shape, skew, wantSkew)
		}
	}
}

// TestSchedulePoissonTail checks the shape 1 schedule's gaps against the exponential law's
// distribution function at its quartiles and far tail.
func TestSchedulePoissonTail(t *testing.T) {
	const n, rate = 100_001, 10.0
	sched := Schedule(n, rate, 1, 3)
	gaps := make([]float64, n-1)
	for i := 1; i < n; i++ {
		gaps[i-1] = float64(sched[i]-sched[i-1]) / 1e9
	}
	slices.Sort(gaps)
	for _, p := range []float64{0.25, 0.5, 0.75, 0.99} {
		want := -math.Log(1-p) / rate
		got := gaps[int(p*float64(len(gaps)))]
		if math.Abs(got/want-1) > 0.03 {
			t.Errorf("quantile %v of the gaps is %.4f s, the exponential law's is %.4f s", p, got, want)
		}
	}
}

func TestScheduleIsReproducible(t *testing.T) {
	a, b := Schedule(1000, 5, 0.5, 9), Schedule(1000, 5, 0.5, 9)
	if !slices.Equal(a, b) {
		t.Error("the same seed gave two schedules")
	}
	if c := Schedule(1000, 5, 0.5, 10); slices.Equal(a, c) {
		t.Error("two seeds gave the same schedule")
	}
	if Schedule(10, 0, 1, 1) != nil {
		t.Error("a rate of 0 gave a schedule")
	}
}
