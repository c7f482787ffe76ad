package report

import (
	"math"
	"testing"
)

func TestSummarizeRepeats(t *testing.T) {
	s := SummarizeRepeats([]float64{10, 12, 14})
	// mean 12, sample sd 2, t(2) = 4.303: CI = 4.303 * 2 / sqrt(3)
	if s.Mean != 12 || math.Abs(s.Stddev-2) > 1e-12 || math.Abs(s.CI95-4.303*2/math.Sqrt(3)) > 1e-9 || s.N != 3 {
		t.Errorf("%+v", s)
	}
	if s := SummarizeRepeats([]float64{5}); s.Mean != 5 || s.Stddev != 0 || s.CI95 != 0 {
		t.Errorf("one value: %+v", s)
	}
}
