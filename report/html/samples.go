package html

import (
	"slices"

	"github.com/benchtui/benchtui/engine"
)

// nsPerMS converts the records' nanoseconds to the report's milliseconds.
const nsPerMS = 1e6

// request is one completed request's times in milliseconds from the run's first start, and
// its latencies. The histograms draw report.CollectSamples itself; the timeline and the
// latency over time need each request's values with its times, which CollectSamples does
// not keep, so they are taken here under the same rules (TestRequestsMatchSamples holds the
// two to the same values).
type request struct {
	index, taskID             int64
	isl, osl                  int
	start, admit, first, end  float64 // ms since t0
	queue, ttft, tpot, e2e    float64 // ms
	hasAdmit, hasFirst, hasTP bool
}

// counted reports whether the report's metrics count a record: completed, with its start
// and end in order (report.CollectSamples' rule).
func counted(r *engine.Record) bool { return r.Completed() && r.StartNS >= 0 && r.EndNS >= r.StartNS }

// runRequests returns the counted records as requests sorted by start time (then index),
// and t0, the earliest start in nanoseconds.
func runRequests(records []engine.Record) ([]request, int64) {
	var t0 int64
	n := 0
	for i := range records {
		r := &records[i]
		if !counted(r) {
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
		if !counted(r) {
			continue
		}
		q := request{
			index: int64(r.Index), taskID: r.TaskID, isl: r.InputTokens, osl: r.OutputTokens(),
			start: float64(r.StartNS-t0) / nsPerMS, end: float64(r.EndNS-t0) / nsPerMS,
			e2e: float64(r.EndNS-r.StartNS) / nsPerMS,
		}
		// The same guards as CollectSamples: an admit time outside the request's span was
		// never recorded, and a request without tokens (or a first-token time outside its
		// span) has no TTFT.
		if r.AdmitNS >= r.StartNS && r.AdmitNS <= r.EndNS {
			q.hasAdmit = true
			q.admit = float64(r.AdmitNS-t0) / nsPerMS
			q.queue = float64(r.AdmitNS-r.StartNS) / nsPerMS
		}
		if n := r.OutputTokens(); n > 0 && r.FirstTokenNS >= r.StartNS && r.FirstTokenNS <= r.EndNS {
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
