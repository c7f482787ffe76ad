package report

import (
	"time"

	"github.com/benchtui/benchtui/engine"
)

// LoadStats says how well a stream run's client kept its arrival schedule: the rate it
// achieved against the target and against the schedule's own draw, and how late it sent.
type LoadStats struct {
	// TargetRate is the requested rate (--request_rate) in requests per second; 0 without.
	TargetRate float64 `json:"target_rate_req_s"`
	// ScheduledRate is the rate of the schedule drawn for these requests, (N-1)/(last - first
	// scheduled time): a finite draw of a random process is off its mean, and this is what a
	// perfect client would have achieved.
	ScheduledRate float64 `json:"scheduled_rate_req_s"`
	// AchievedRate is the rate at which requests were sent, (N-1)/(last - first start) over
	// every request that was sent, failed ones included.
	AchievedRate float64 `json:"achieved_rate_req_s"`
	// SendLagMS is the distribution of the requests' send lag (actual minus scheduled send
	// time, less any wait for a concurrency slot).
	SendLagMS Distribution `json:"send_lag_ms"`
	// SlotWaitMS is the distribution of the waits for a concurrency slot, over every sent
	// request (0 for those that did not wait).
	SlotWaitMS Distribution `json:"slot_wait_ms"`
	// Behind marks a run whose client fell behind its schedule (see ClientBehind).
	Behind bool `json:"client_behind"`
}

// ComputeLoadStats summarises the send times of a stream run's records (the dashboard passes
// the records finished so far); targetRate is the run's --request_rate (0 without, and then
// only AchievedRate is set).
func ComputeLoadStats(records []engine.Record, targetRate float64) LoadStats {
	st := LoadStats{TargetRate: targetRate}
	var lag, wait []float64
	var n int
	var firstStart, lastStart, firstSched, lastSched int64
	for i := range records {
		r := &records[i]
		if r.StartNS < 0 {
			continue // never sent
		}
		if n == 0 {
			firstStart, lastStart, firstSched, lastSched = r.StartNS, r.StartNS, r.ScheduledNS, r.ScheduledNS
		}
		n++
		firstStart, lastStart = min(firstStart, r.StartNS), max(lastStart, r.StartNS)
		firstSched, lastSched = min(firstSched, r.ScheduledNS), max(lastSched, r.ScheduledNS)
		if targetRate > 0 {
			lag = append(lag, float64(r.SendLagNS)/nsPerMS)
			wait = append(wait, float64(r.SlotWaitNS)/nsPerMS)
		}
	}
	st.AchievedRate = issueRate(n, lastStart-firstStart)
	if targetRate > 0 {
		st.ScheduledRate = issueRate(n, lastSched-firstSched)
		st.SendLagMS = Summarize(lag)
		st.SlotWaitMS = Summarize(wait)
		st.Behind = ClientBehind(time.Duration(st.SendLagMS.P99*nsPerMS), targetRate)
	}
	return st
}

// issueRate is the rate of n events spread over span nanoseconds: n events delimit n-1
// gaps, as in Metrics.IssueRate. It is 0 for fewer than two events or an empty span.
func issueRate(n int, span int64) float64 {
	if n < 2 {
		return 0
	}
	return ratePerSecond(float64(n-1), span)
}

// ClientBehind reports whether a client whose send lag has this 99th percentile fell behind
// a schedule of rate requests per second: when the lag exceeds a tenth of the mean gap
// between arrivals, or 1 ms for rates above 100 requests per second, the server no longer
// sees the arrival process that was asked for.
func ClientBehind(p99Lag time.Duration, rate float64) bool {
	if rate <= 0 {
		return false
	}
	limit := max(time.Millisecond, time.Duration(0.1/rate*float64(time.Second)))
	return p99Lag > limit
}
