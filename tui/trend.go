package tui

import (
	"math"
	"slices"

	"github.com/benchtui/benchtui/engine"
	"github.com/benchtui/benchtui/report"
	"github.com/benchtui/benchtui/tui/panel"
)

// trendBuckets is about how many time buckets the latency-over-time chart has: enough to
// show a trend, few enough that each bucket holds several requests.
const trendBuckets = 40

// trendBucket picks a bucket width in seconds for a run of span seconds: a round value
// giving about trendBuckets buckets, at least a quarter of a second.
func trendBucket(span float64) float64 {
	for _, b := range []float64{0.25, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600} {
		if span/b <= trendBuckets {
			return b
		}
	}
	return 1200
}

// runOrigin is the run's time origin on the records' clock: the first request's start.
func runOrigin(recs []engine.Record) (int64, bool) {
	var t0 int64
	ok := false
	for i := range recs {
		if s := recs[i].StartNS; s > 0 && (!ok || s < t0) {
			t0, ok = s, true
		}
	}
	return t0, ok
}

// trendOf buckets the successful requests' latencies by when they happened, in seconds
// since t0: TTFT and the queue time of the same requests at their first token, TPOT and
// E2E at their end, the queue time at admission, every inter-token gap at its token.
// Each bucket's p50 and p99 are the report's percentiles; an empty bucket is NaN.
func trendOf(recs []engine.Record, t0 int64, bucket float64) [panel.NumMetrics]panel.TrendSeries {
	var out [panel.NumMetrics]panel.TrendSeries
	if bucket <= 0 {
		return out
	}
	idx := func(ns int64) int { return max(int(float64(ns-t0)/1e9/bucket), 0) }
	nb := 0
	for i := range recs {
		if r := &recs[i]; !r.Failed() && r.EndNS > 0 {
			nb = max(nb, idx(r.EndNS)+1)
		}
	}
	if nb == 0 {
		return out
	}
	nb = min(nb, 100_000)
	var vals [panel.NumMetrics][][]float64
	for m := range vals {
		vals[m] = make([][]float64, nb)
	}
	ttftQueue := make([][]float64, nb)
	put := func(m panel.LatencyMetric, ns int64, v float64) {
		if b := idx(ns); b < nb {
			vals[m][b] = append(vals[m][b], v)
		}
	}
	const ms = 1e6
	for i := range recs {
		r := &recs[i]
		if r.Failed() {
			continue
		}
		admitted := r.AdmitNS >= r.StartNS
		if admitted {
			put(panel.MetricQueue, r.AdmitNS, float64(r.AdmitNS-r.StartNS)/ms)
		}
		n := r.OutputTokens()
		if n == 0 {
			continue
		}
		put(panel.MetricTTFT, r.FirstTokenNS, float64(r.FirstTokenNS-r.StartNS)/ms)
		if b := idx(r.FirstTokenNS); admitted && b < nb {
			ttftQueue[b] = append(ttftQueue[b], float64(r.AdmitNS-r.StartNS)/ms)
		}
		put(panel.MetricE2E, r.EndNS, float64(r.EndNS-r.StartNS)/ms)
		if n > 1 {
			put(panel.MetricTPOT, r.EndNS, float64(r.EndNS-r.FirstTokenNS)/ms/float64(n-1))
			for j := 1; j < n; j++ {
				put(panel.MetricITL, r.TokenNS[j], float64(r.TokenNS[j]-r.TokenNS[j-1])/ms)
			}
		}
	}
	pct := func(v []float64, q float64) float64 {
		if len(v) == 0 {
			return math.NaN()
		}
		return report.Percentile(v, q)
	}
	for m := range out {
		s := panel.TrendSeries{T: make([]float64, nb), P50: make([]float64, nb), P99: make([]float64, nb)}
		for b := 0; b < nb; b++ {
			v := vals[m][b]
			slices.Sort(v)
			s.T[b] = (float64(b) + 0.5) * bucket
			s.P50[b], s.P99[b] = pct(v, 0.5), pct(v, 0.99)
		}
		if panel.LatencyMetric(m) == panel.MetricTTFT {
			s.Part, s.PartName = make([]float64, nb), "queue p50"
			for b := range ttftQueue {
				slices.Sort(ttftQueue[b])
				s.Part[b] = pct(ttftQueue[b], 0.5)
			}
		}
		out[m] = s
	}
	return out
}
