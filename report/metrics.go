package report

import (
	"time"

	"github.com/benchtui/benchtui/engine"
)

// Metrics are trtllm-bench's benchmark statistics over the successful requests of a run, plus
// benchtui's inter-token latency and queue-time distributions. Latencies are milliseconds,
// throughputs are per second. Every field is finite: divisions by an empty run or a zero span
// give 0, so a Metrics value always survives encoding/json.
type Metrics struct {
	// NumCompleted counts the successful requests that the metrics cover.
	NumCompleted int `json:"num_completed"`
	// NumFailed counts the requests that a failure of the run cut short or kept from
	// starting; they are excluded from every other figure.
	NumFailed int `json:"num_failed"`
	// NumCanceled counts the requests that the run's cancellation cut short or kept from
	// starting; they are excluded from every other figure.
	NumCanceled int `json:"num_canceled"`
	// TotalInputTokens is sum(ISL) over the successful requests.
	TotalInputTokens int64 `json:"total_input_tokens"`
	// TotalOutputTokens is sum(n_out) over the successful requests.
	TotalOutputTokens int64 `json:"total_output_tokens"`

	// TotalLatencyMS is T = max(end) - min(start).
	TotalLatencyMS float64 `json:"total_latency_ms"`
	// RequestThroughput is N/T in requests per second.
	RequestThroughput float64 `json:"request_throughput_req_s"`
	// OutputThroughput is sum(n_out)/T in tokens per second.
	OutputThroughput float64 `json:"system_output_throughput_tok_s"`
	// TotalTokenThroughput is (sum(ISL) + sum(n_out))/T in tokens per second.
	TotalTokenThroughput float64 `json:"system_total_throughput_tok_s"`
	// PerGPUOutputThroughput is OutputThroughput / (tp*pp).
	PerGPUOutputThroughput float64 `json:"output_throughput_per_gpu_tok_s"`
	// AvgConcurrentRequests is sum(e2e)/T: how many requests were in flight on average.
	AvgConcurrentRequests float64 `json:"avg_num_concurrent_requests"`
	// AvgRequestLatencyMS is the mean end-to-end latency.
	AvgRequestLatencyMS float64 `json:"avg_request_latency_ms"`
	// AvgInputLength and AvgOutputLength are mean ISL and OSL in tokens.
	AvgInputLength  float64 `json:"avg_input_length"`
	AvgOutputLength float64 `json:"avg_output_length"`
	// IssueRate is the rate at which requests got their slots, (N-1)/(max(start)-min(start)) in
	// requests per second: N starts delimit N-1 gaps. trtllm-bench reports the mean gap in
	// nanoseconds multiplied by 1e9, which is neither a rate nor in seconds; this is the rate
	// it meant. 0 when fewer than two requests or all started together.
	IssueRate float64 `json:"issue_rate_req_s"`

	// RequestLatencyMS is the distribution of e2e = end - start.
	RequestLatencyMS Distribution `json:"request_latency_ms"`
	// TTFTMS is the distribution of first_token - start, over requests with a first token.
	TTFTMS Distribution `json:"ttft_ms"`
	// TPOTMS is the distribution of (end - first_token)/(n_out - 1). A request with a single
	// output token has no TPOT and is left out (trtllm-bench counts it as 0, which drags the
	// percentiles down).
	TPOTMS Distribution `json:"tpot_ms"`
	// OutputPerUser is the distribution of n_out/e2e in tokens per second: trtllm-bench's
	// "Per User Output Throughput [w/ ctx]", which includes the prefill time.
	OutputPerUser Distribution `json:"output_throughput_per_user_tok_s"`
	// GenTPS is the distribution of (n_out - 1)/(e2e - ttft) in tokens per second, the decode
	// speed a user sees after the first token. Its average is trtllm-bench's "Per User Output
	// Speed". Requests with one output token are left out, as for TPOT.
	GenTPS Distribution `json:"gen_tps"`
	// ITLMS pools every gap between consecutive output tokens of every request, so that its
	// tail shows real stalls (trtllm-bench only has per-request averages).
	ITLMS Distribution `json:"itl_ms"`
	// QueueTimeMS is the distribution of admit - start: how long a request that held a slot
	// waited for the engine to schedule its prompt.
	QueueTimeMS Distribution `json:"queue_time_ms"`
}

// Unit conversions from the records' nanoseconds.
const (
	nsPerMS  = float64(time.Millisecond)
	nsPerSec = float64(time.Second)
)

// ratePerSecond returns count/(ns in seconds), or 0 when the span is not positive, so that an empty
// or instantaneous run never produces Inf or NaN.
func ratePerSecond(count float64, ns int64) float64 {
	if ns <= 0 {
		return 0
	}
	return count / (float64(ns) / nsPerSec)
}

// divOrZero returns a/b, or 0 when b is 0.
func divOrZero(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// ComputeMetrics computes the run's metrics from its records, following trtllm-bench's
// definitions (see docs/trtllm-bench-compat in the shared docs). Failed and canceled records
// are counted but otherwise ignored, and a record whose times contradict each other (an end
// before its start) gives no latency, so that no figure is ever negative. tpSize and ppSize give the number of GPUs for the per-GPU
// throughput; values below 1 count as 1.
func ComputeMetrics(records []engine.Record, tpSize, ppSize int) Metrics {
	var m Metrics
	var minStart, maxEnd, maxStart, sumE2E int64
	timed := 0
	for i := range records {
		r := &records[i]
		switch r.State() {
		case engine.StatusFailed:
			m.NumFailed++
			continue
		case engine.StatusCanceled:
			m.NumCanceled++
			continue
		}
		m.NumCompleted++
		m.TotalInputTokens += int64(r.InputTokens)
		m.TotalOutputTokens += int64(r.OutputTokens())
		if !hasSpan(r) {
			// Times that contradict each other (a corrupt file) count nowhere.
			continue
		}
		if timed == 0 {
			minStart, maxStart, maxEnd = r.StartNS, r.StartNS, r.EndNS
		} else {
			minStart = min(minStart, r.StartNS)
			maxStart = max(maxStart, r.StartNS)
			maxEnd = max(maxEnd, r.EndNS)
		}
		timed++
		sumE2E += r.EndNS - r.StartNS
	}
	if m.NumCompleted == 0 {
		return m
	}

	span := maxEnd - minStart
	n := float64(m.NumCompleted)
	gpus := max(tpSize, 1) * max(ppSize, 1)

	m.TotalLatencyMS = float64(span) / nsPerMS
	m.RequestThroughput = ratePerSecond(n, span)
	m.OutputThroughput = ratePerSecond(float64(m.TotalOutputTokens), span)
	m.TotalTokenThroughput = ratePerSecond(float64(m.TotalInputTokens+m.TotalOutputTokens), span)
	m.PerGPUOutputThroughput = m.OutputThroughput / float64(gpus)
	m.AvgConcurrentRequests = divOrZero(float64(sumE2E), float64(span))
	m.AvgInputLength = float64(m.TotalInputTokens) / n
	m.AvgOutputLength = float64(m.TotalOutputTokens) / n
	m.IssueRate = ratePerSecond(n-1, maxStart-minStart)

	smp := CollectSamples(records)
	m.RequestLatencyMS = Summarize(smp.RequestLatencyMS)
	m.AvgRequestLatencyMS = m.RequestLatencyMS.Average
	m.TTFTMS = Summarize(smp.TTFTMS)
	m.TPOTMS = Summarize(smp.TPOTMS)
	m.OutputPerUser = Summarize(smp.OutputPerUser)
	m.GenTPS = Summarize(smp.GenTPS)
	m.ITLMS = Summarize(smp.ITLMS)
	m.QueueTimeMS = Summarize(smp.QueueTimeMS)
	return m
}

// DefaultTimeSeriesBucket is the bucket width TimeSeries uses when given none.
const DefaultTimeSeriesBucket = time.Second

// maxTimeSeriesPoints bounds the series so that a tiny bucket or a corrupt timestamp cannot
// allocate without limit; the bucket is widened to fit.
const maxTimeSeriesPoints = 100_000

// TimeSeriesPoint is one bucket of the run's throughput over time.
type TimeSeriesPoint struct {
	// TimeS is the bucket's start in seconds since the first request started.
	TimeS float64 `json:"t_s"`
	// DurationS is the bucket's width in seconds; the last bucket stops at the run's end and
	// is usually shorter. Rates are per second of this width.
	DurationS float64 `json:"duration_s"`
	// OutputTokS is the output tokens produced in the bucket per second.
	OutputTokS float64 `json:"output_tok_s"`
	// TotalTokS adds the input tokens of the prompts whose prefill completed in the bucket
	// (a request's input counts at its first token time).
	TotalTokS float64 `json:"total_tok_s"`
	// Completed counts the requests that ended in the bucket.
	Completed int `json:"completed"`
	// InFlight counts the requests that had started and not ended at the bucket's end.
	InFlight int `json:"in_flight"`
}

// TimeSeries buckets the successful records' activity over time, from the first start to the
// last end, into buckets of the given width (DefaultTimeSeriesBucket when bucket <= 0). An
// event at the run's very end falls into the last bucket. Rates divide by the part of the
// bucket inside the run, so rate × DurationS summed over the buckets gives the totals. It
// returns nil when no record succeeded.
func TimeSeries(records []engine.Record, bucket time.Duration) []TimeSeriesPoint {
	if bucket <= 0 {
		bucket = DefaultTimeSeriesBucket
	}
	var t0, tEnd int64
	n := 0
	for i := range records {
		r := &records[i]
		if !r.Completed() || !hasSpan(r) {
			continue
		}
		if n == 0 {
			t0, tEnd = r.StartNS, r.EndNS
		} else {
			t0 = min(t0, r.StartNS)
			tEnd = max(tEnd, r.EndNS)
		}
		n++
	}
	if n == 0 {
		return nil
	}
	span := max(tEnd-t0, 0)
	width := int64(bucket)
	if span/width >= maxTimeSeriesPoints {
		width = span/(maxTimeSeriesPoints-1) + 1
	}
	nb := int(span / width)
	if span%width != 0 || nb == 0 {
		nb++
	}

	// index maps an instant to its bucket, clamping the run's end (and any stray timestamp
	// outside the run) into the series.
	index := func(t int64) int {
		if t <= t0 {
			return 0
		}
		return min(int((t-t0)/width), nb-1)
	}
	outTok := make([]int64, nb)
	allTok := make([]int64, nb)
	done := make([]int, nb)
	// starts and ends count, per bucket, how many requests began at or before the bucket's
	// end and how many ended at or before it; their running difference is the in-flight count.
	starts := make([]int, nb)
	ends := make([]int, nb)
	for i := range records {
		r := &records[i]
		if !r.Completed() || !hasSpan(r) {
			continue
		}
		for _, t := range r.TokenNS {
			b := index(t)
			outTok[b]++
			allTok[b]++
		}
		if len(r.TokenNS) > 0 {
			allTok[index(r.FirstTokenNS)] += int64(r.InputTokens)
		}
		done[index(r.EndNS)]++
		starts[startBucket(r.StartNS, t0, width, nb)]++
		ends[startBucket(r.EndNS, t0, width, nb)]++
	}

	points := make([]TimeSeriesPoint, nb)
	running := 0
	for b := range points {
		lo := int64(b) * width
		hi := min(lo+width, span)
		running += starts[b] - ends[b]
		points[b] = TimeSeriesPoint{
			TimeS:      float64(lo) / nsPerSec,
			DurationS:  float64(hi-lo) / nsPerSec,
			OutputTokS: ratePerSecond(float64(outTok[b]), hi-lo),
			TotalTokS:  ratePerSecond(float64(allTok[b]), hi-lo),
			Completed:  done[b],
			InFlight:   running,
		}
	}
	return points
}

// startBucket returns the first bucket whose end (t0 + (b+1)*width, the last one ending at
// the run's end) is at or after t: the bucket from which on an event at t has happened.
func startBucket(t, t0, width int64, nb int) int {
	if t <= t0 {
		return 0
	}
	// ceil((t-t0)/width) - 1: an event exactly at a bucket's end belongs to that bucket.
	b := int((t-t0+width-1)/width) - 1
	return min(max(b, 0), nb-1)
}
