package report

import (
	"math"
	"slices"
)

// Distribution summarises a sample the way trtllm-bench does: percentiles are taken from the
// sorted values as v[int(n*q)], with no interpolation.
type Distribution struct {
	Count   int     `json:"count"`
	Minimum float64 `json:"minimum"`
	Maximum float64 `json:"maximum"`
	Average float64 `json:"average"`
	P50     float64 `json:"p50"`
	P90     float64 `json:"p90"`
	P95     float64 `json:"p95"`
	P99     float64 `json:"p99"`
}

// Summarize computes the Distribution of values. It is the program's one summary of a sample:
// the report, the console, the dashboard's panels, sweeps, compare and replay all take their
// minimum, average and percentiles from it. It sorts a copy; values is left as it is. An
// empty sample gives the zero Distribution.
func Summarize(values []float64) Distribution {
	v := slices.Clone(values)
	slices.Sort(v)
	return SummarizeSorted(v)
}

// SummarizeSorted is Summarize for values already sorted in increasing order, for callers
// that keep the sorted sample (the dashboard's histograms) and must not sort it twice.
func SummarizeSorted(sorted []float64) Distribution {
	n := len(sorted)
	if n == 0 {
		return Distribution{}
	}
	sum := 0.0
	for _, x := range sorted {
		sum += x
	}
	return Distribution{
		Count:   n,
		Minimum: sorted[0],
		Maximum: sorted[n-1],
		Average: sum / float64(n),
		P50:     Percentile(sorted, 0.50),
		P90:     Percentile(sorted, 0.90),
		P95:     Percentile(sorted, 0.95),
		P99:     Percentile(sorted, 0.99),
	}
}

// Percentile returns sorted[int(n*q)] (clamped to the last element), trtllm-bench's rule.
func Percentile(sorted []float64, q float64) float64 {
	n := len(sorted)
	if n == 0 {
		return math.NaN()
	}
	i := int(float64(n) * q)
	if i >= n {
		i = n - 1
	}
	return sorted[i]
}
