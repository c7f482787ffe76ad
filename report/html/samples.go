package html

import (
	"slices"

	"github.com/benchtui/benchtui/engine"
)

// nsPerMS converts the records' nanoseconds to the report's milliseconds.
const nsPerMS = 1e6

// request is one successful request's times in milliseconds from the run's first start,
// and its latencies as engine.ComputeMetrics defines them (TestSamplesMatchReport holds the
// two to the same numbers).
type request struct {
	index, taskID             int64
	isl, osl                  int
	start, admit, first, end  float64 // ms since t0
	queue, ttft, tpot, e2e    float64 // ms
	hasAdmit, hasFirst, hasTP bool
}

// runRequests returns the successful records as requests sorted by start time (then index),
// and t0, the earliest start in nanoseconds.
func runRequests(records []engine.Record) ([]request, int64) {
	var t0 int64
	n := 0
	for i := range records {
		r := &records[i]
		if r.Failed() {
			continue
		}
		if n == 0 || r.StartNS < t0 {
			t0 = r.StartNS
		}
		n++
	}
	out := make([]request, 0, n)
	for i := range records {
		r := &records[i]
		if r.Failed() {
			continue
		}
		q := request{
			index: int64(r.Index), taskID: r.TaskID, isl: r.InputTokens, osl: r.OutputTokens(),
			start: float64(r.StartNS-t0) / nsPerMS, end: float64(r.EndNS-t0) / nsPerMS,
			e2e: float64(r.EndNS-r.StartNS) / nsPerMS,
		}
		// The same guards as ComputeMetrics: an admit time before the start was never
		// recorded, and a request without tokens has no first token.
		if r.AdmitNS >= r.StartNS {
			q.hasAdmit = true
			q.admit = float64(r.AdmitNS-t0) / nsPerMS
			q.queue = float64(r.AdmitNS-r.StartNS) / nsPerMS
		}
		if n := r.OutputTokens(); n > 0 {
			q.hasFirst = true
			q.first = float64(r.FirstTokenNS-t0) / nsPerMS
			q.ttft = float64(r.FirstTokenNS-r.StartNS) / nsPerMS
			if n > 1 {
				q.hasTP = true
				q.tpot = float64(r.EndNS-r.FirstTokenNS) / float64(n-1) / nsPerMS
			}
		}
		out = append(out, q)
	}
	slices.SortStableFunc(out, func(a, b request) int {
		switch {
		case a.start < b.start:
			return -1
		case a.start > b.start:
			return 1
		}
		return int(a.index - b.index)
	})
	return out, t0
}

// eachITL calls f with every gap between consecutive output tokens of every successful
// request, in milliseconds: the samples of the report's pooled ITL distribution. It streams
// them, since a long run has millions.
func eachITL(records []engine.Record, f func(ms float64)) {
	for i := range records {
		r := &records[i]
		if r.Failed() {
			continue
		}
		for j := 1; j < len(r.TokenNS); j++ {
			f(float64(r.TokenNS[j]-r.TokenNS[j-1]) / nsPerMS)
		}
	}
}
