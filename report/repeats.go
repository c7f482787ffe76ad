package report

import "math"

// RepeatStat is a figure over the repeats of one sweep point.
type RepeatStat struct {
	Mean   float64 `json:"mean"`
	Stddev float64 `json:"stddev"`
	// CI95 is the half-width of the 95% confidence interval of the mean (Student's t).
	CI95 float64 `json:"ci95"`
	N    int     `json:"n"`
}

// SummarizeRepeats computes the mean (Summarize's average), sample standard deviation and
// 95% interval of a figure's values over repeats.
func SummarizeRepeats(xs []float64) RepeatStat {
	s := RepeatStat{N: len(xs)}
	if len(xs) == 0 {
		return s
	}
	s.Mean = Summarize(xs).Average
	if len(xs) < 2 {
		return s
	}
	var ss float64
	for _, x := range xs {
		ss += (x - s.Mean) * (x - s.Mean)
	}
	s.Stddev = math.Sqrt(ss / float64(len(xs)-1))
	s.CI95 = tQuantile975(len(xs)-1) * s.Stddev / math.Sqrt(float64(len(xs)))
	return s
}

// tQuantile975 is Student's t 0.975 quantile for df degrees of freedom.
func tQuantile975(df int) float64 {
	table := []float64{0, 12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
		2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
		2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042}
	if df < len(table) {
		return table[df]
	}
	return 1.96
}
