package report

import (
	"math"
	"strconv"
)

// FormatValue writes a figure with as many decimals as its size wants, as sweep tables and
// compare print it: 1234.5, 12.34, 0.123. Every surface that prints a report's figure takes
// the value from the Report and formats it with one of this file's functions or its own
// layout of the same value, never a value computed again.
func FormatValue(v float64) string {
	switch {
	case math.Abs(v) >= 100:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case math.Abs(v) >= 1:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
	return strconv.FormatFloat(v, 'f', 3, 64)
}

// FormatSummary writes a figure as the console summary and trtllm-bench print it: four
// decimals.
func FormatSummary(v float64) string { return strconv.FormatFloat(v, 'f', 4, 64) }
