package report

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/benchtui/benchtui/engine"
)

// ms converts milliseconds to the records' nanoseconds.
func ms(v int64) int64 { return v * int64(time.Millisecond) }

// msList converts a list of milliseconds to nanoseconds.
func msList(vs ...int64) []int64 {
	out := make([]int64, len(vs))
	for i, v := range vs {
		out[i] = ms(v)
	}
	return out
}

// sampleRecords is a small run whose metrics are worked out by hand in the tests:
//
//	r0: start 0,   admit 10,  tokens 100 120 140 160 180 (5 tokens), ISL 10
//	r1: start 50,  admit 50,  tokens 150 200 300         (3 tokens), ISL 20
//	r2: start 100, admit 120, tokens 400                 (1 token),  ISL 30
//	r3: failed, start 0, one token at 1000 ms, ISL 1000 — must change nothing but NumFailed
//
// (all times in ms).
func sampleRecords() []engine.Record {
	return []engine.Record{
		{Index: 0, TaskID: 10, InputTokens: 10, TargetOutputTokens: 5, StartNS: ms(0), AdmitNS: ms(10),
			FirstTokenNS: ms(100), EndNS: ms(180), TokenNS: msList(100, 120, 140, 160, 180)},
		{Index: 1, TaskID: 11, InputTokens: 20, TargetOutputTokens: 3, StartNS: ms(50), AdmitNS: ms(50),
			FirstTokenNS: ms(150), EndNS: ms(300), TokenNS: msList(150, 200, 300)},
		{Index: 2, TaskID: 12, InputTokens: 30, TargetOutputTokens: 1, StartNS: ms(100), AdmitNS: ms(120),
			FirstTokenNS: ms(400), EndNS: ms(400), TokenNS: msList(400)},
		{Index: 3, TaskID: 13, InputTokens: 1000, TargetOutputTokens: 9, StartNS: ms(0), AdmitNS: ms(5),
			FirstTokenNS: ms(1000), EndNS: ms(1000), TokenNS: msList(1000), Error: "boom"},
	}
}

func approx(t *testing.T, name string, got, want float64) {
	t.Helper()
	if math.Abs(got-want) > 1e-9*math.Max(1, math.Abs(want)) {
		t.Errorf("%s = %.12g, want %.12g", name, got, want)
	}
}

func checkDist(t *testing.T, name string, got Distribution, want Distribution) {
	t.Helper()
	if got.Count != want.Count {
		t.Errorf("%s.Count = %d, want %d", name, got.Count, want.Count)
	}
	approx(t, name+".Minimum", got.Minimum, want.Minimum)
	approx(t, name+".Maximum", got.Maximum, want.Maximum)
	approx(t, name+".Average", got.Average, want.Average)
	approx(t, name+".P50", got.P50, want.P50)
	approx(t, name+".P90", got.P90, want.P90)
	approx(t, name+".P95", got.P95, want.P95)
	approx(t, name+".P99", got.P99, want.P99)
}

func TestComputeMetricsAggregates(t *testing.T) {
	m := ComputeMetrics(sampleRecords(), 2, 1)

	if m.NumCompleted != 3 || m.NumFailed != 1 {
		t.Fatalf("completed/failed = %d/%d, want 3/1", m.NumCompleted, m.NumFailed)
	}
	// sum(ISL) = 10+20+30 = 60 (the failed request's 1000 excluded); sum(n_out) = 5+3+1 = 9.
	if m.TotalInputTokens != 60 || m.TotalOutputTokens != 9 {
		t.Errorf("input/output tokens = %d/%d, want 60/9", m.TotalInputTokens, m.TotalOutputTokens)
	}
	// T = max(end) - min(start) = 400 - 0 = 400 ms = 0.4 s (the failed request's end at
	// 1000 ms must not stretch it).
	approx(t, "TotalLatencyMS", m.TotalLatencyMS, 400)
	// N/T = 3/0.4 = 7.5 req/s.
	approx(t, "RequestThroughput", m.RequestThroughput, 7.5)
	// sum(n_out)/T = 9/0.4 = 22.5 tok/s.
	approx(t, "OutputThroughput", m.OutputThroughput, 22.5)
	// (60+9)/0.4 = 172.5 tok/s.
	approx(t, "TotalTokenThroughput", m.TotalTokenThroughput, 172.5)
	// 22.5 / (tp 2 * pp 1) = 11.25 tok/s per GPU.
	approx(t, "PerGPUOutputThroughput", m.PerGPUOutputThroughput, 11.25)
	// e2e = 180, 250, 300 ms; sum = 730; 730/400 = 1.825 requests in flight on average.
	approx(t, "AvgConcurrentRequests", m.AvgConcurrentRequests, 1.825)
	// 730/3 ms.
	approx(t, "AvgRequestLatencyMS", m.AvgRequestLatencyMS, 730.0/3)
	approx(t, "AvgInputLength", m.AvgInputLength, 20)
	approx(t, "AvgOutputLength", m.AvgOutputLength, 3)
	// Starts 0, 50, 100 ms: 2 gaps in 0.1 s = 20 req/s.
	approx(t, "IssueRate", m.IssueRate, 20)
}

func TestComputeMetricsDistributions(t *testing.T) {
	m := ComputeMetrics(sampleRecords(), 1, 1)

	// Latency sorted [180 250 300], n = 3: p50 = v[int(1.5)] = v[1] = 250; p90 = v[int(2.7)] =
	// v[2] = 300; p95 = v[int(2.85)] = 300; p99 = v[int(2.97)] = 300.
	checkDist(t, "RequestLatencyMS", m.RequestLatencyMS, Distribution{
		Count: 3, Minimum: 180, Maximum: 300, Average: 730.0 / 3, P50: 250, P90: 300, P95: 300, P99: 300})

	// TTFT = 100-0, 150-50, 400-100 = [100 100 300]: p50 = v[1] = 100, p90 = v[2] = 300.
	checkDist(t, "TTFTMS", m.TTFTMS, Distribution{
		Count: 3, Minimum: 100, Maximum: 300, Average: 500.0 / 3, P50: 100, P90: 300, P95: 300, P99: 300})

	// TPOT: r0 (180-100)/4 = 20; r1 (300-150)/2 = 75; r2 has one token and is left out.
	// Sorted [20 75], n = 2: p50 = v[int(1.0)] = v[1] = 75 (an interpolating percentile would
	// say 47.5); p90 = v[int(1.8)] = 75.
	checkDist(t, "TPOTMS", m.TPOTMS, Distribution{
		Count: 2, Minimum: 20, Maximum: 75, Average: 47.5, P50: 75, P90: 75, P95: 75, P99: 75})

	// GTPS = (n_out-1)/(e2e-ttft): r0 4/0.08 = 50; r1 2/0.15 = 13.333...; r2 left out.
	gen1 := 2 / 0.15
	checkDist(t, "GenTPS", m.GenTPS, Distribution{
		Count: 2, Minimum: gen1, Maximum: 50, Average: (50 + gen1) / 2, P50: 50, P90: 50, P95: 50, P99: 50})

	// Per-user output throughput n_out/e2e: 5/0.18, 3/0.25 = 12, 1/0.3; sorted
	// [3.33 12 27.78]: p50 = v[1] = 12.
	u0, u2 := 5/0.18, 1/0.3
	checkDist(t, "OutputPerUser", m.OutputPerUser, Distribution{
		Count: 3, Minimum: u2, Maximum: u0, Average: (u0 + 12 + u2) / 3, P50: 12, P90: u0, P95: u0, P99: u0})

	// ITL pools every gap: r0 20 20 20 20, r1 50 100, r2 none. Sorted [20 20 20 20 50 100],
	// n = 6: p50 = v[3] = 20; p90 = v[int(5.4)] = v[5] = 100 (interpolation would give 75);
	// average 230/6.
	checkDist(t, "ITLMS", m.ITLMS, Distribution{
		Count: 6, Minimum: 20, Maximum: 100, Average: 230.0 / 6, P50: 20, P90: 100, P95: 100, P99: 100})

	// Queue = admit - start: 10, 0, 20 → sorted [0 10 20]: p50 = 10, p90 = 20.
	checkDist(t, "QueueTimeMS", m.QueueTimeMS, Distribution{
		Count: 3, Minimum: 0, Maximum: 20, Average: 10, P50: 10, P90: 20, P95: 20, P99: 20})
}

func TestComputeMetricsPercentileIndexRule(t *testing.T) {
	// Ten requests with latencies 1..10 ms: p50 = v[int(10*0.5)] = v[5] = 6 (not 5.5),
	// p90 = v[9] = 10, p95 = v[int(9.5)] = v[9] = 10, p99 = v[9] = 10.
	var recs []engine.Record
	for i := int64(1); i <= 10; i++ {
		recs = append(recs, engine.Record{StartNS: 0, FirstTokenNS: ms(i), EndNS: ms(i), TokenNS: msList(i)})
	}
	m := ComputeMetrics(recs, 1, 1)
	checkDist(t, "RequestLatencyMS", m.RequestLatencyMS, Distribution{
		Count: 10, Minimum: 1, Maximum: 10, Average: 5.5, P50: 6, P90: 10, P95: 10, P99: 10})
	// Every request has one token: no TPOT, GTPS or ITL samples at all, and no NaN.
	if m.TPOTMS.Count != 0 || m.GenTPS.Count != 0 || m.ITLMS.Count != 0 {
		t.Errorf("single-token requests gave TPOT/GTPS/ITL samples: %d/%d/%d",
			m.TPOTMS.Count, m.GenTPS.Count, m.ITLMS.Count)
	}
}

func TestComputeMetricsEmptyAndDegenerate(t *testing.T) {
	cases := map[string][]engine.Record{
		"nil":        nil,
		"all failed": {{StartNS: 0, EndNS: ms(5), TokenNS: msList(5), Error: "x"}},
		// One request whose every event happens at once: T = 0 and e2e = 0.
		"zero span": {{InputTokens: 3, StartNS: ms(7), AdmitNS: ms(7), FirstTokenNS: ms(7), EndNS: ms(7),
			TokenNS: msList(7, 7)}},
		// A completed request that produced no token at all.
		"no tokens": {{InputTokens: 3, StartNS: 0, EndNS: ms(10), Status: engine.StatusCompleted}},
	}
	for name, recs := range cases {
		t.Run(name, func(t *testing.T) {
			m := ComputeMetrics(recs, 0, 0)
			if _, err := json.Marshal(m); err != nil {
				t.Fatalf("metrics do not encode: %v", err)
			}
			r := Build(Input{Records: recs})
			if _, err := json.Marshal(r); err != nil {
				t.Fatalf("report does not encode: %v", err)
			}
		})
	}
	if m := ComputeMetrics(nil, 1, 1); m != (Metrics{}) {
		t.Errorf("empty run gave %+v, want zero Metrics", m)
	}
	m := ComputeMetrics(cases["no tokens"], 1, 1)
	// The request still counts (1 request in T = 10 ms = 0.01 s: 100 req/s) but has no TTFT.
	approx(t, "no tokens RequestThroughput", m.RequestThroughput, 100)
	if m.TTFTMS.Count != 0 || m.RequestLatencyMS.Count != 1 {
		t.Errorf("no tokens: TTFT/latency counts = %d/%d, want 0/1", m.TTFTMS.Count, m.RequestLatencyMS.Count)
	}
}

func TestTimeSeries(t *testing.T) {
	// 100 ms buckets over [0, 400] ms: [0,100) [100,200) [200,300) [300,400], the run's last
	// instant (r2's token and end at 400) falling into the last bucket.
	got := TimeSeries(sampleRecords(), 100*time.Millisecond)
	want := []TimeSeriesPoint{
		// No token yet; all three requests started by 100 ms and none ended.
		{TimeS: 0, DurationS: 0.1, OutputTokS: 0, TotalTokS: 0, Completed: 0, InFlight: 3},
		// Tokens 100 120 140 160 180 (r0) and 150 (r1) = 6 → 60 tok/s; r0's and r1's prefills
		// completed here, adding 10+20 input tokens: 36 → 360 tok/s; r0 ended at 180.
		{TimeS: 0.1, DurationS: 0.1, OutputTokS: 60, TotalTokS: 360, Completed: 1, InFlight: 2},
		// Token 200 (r1): 10 tok/s; r1 ends exactly at 300, the bucket's end, so it is no
		// longer in flight there.
		{TimeS: 0.2, DurationS: 0.1, OutputTokS: 10, TotalTokS: 10, Completed: 0, InFlight: 1},
		// Tokens 300 (r1) and 400 (r2) = 2 → 20 tok/s; r2's 30 input tokens: 32 → 320 tok/s;
		// r1 and r2 ended.
		{TimeS: 0.3, DurationS: 0.1, OutputTokS: 20, TotalTokS: 320, Completed: 2, InFlight: 0},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d points, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		g, w := got[i], want[i]
		approx(t, "TimeS", g.TimeS, w.TimeS)
		approx(t, "DurationS", g.DurationS, w.DurationS)
		approx(t, "OutputTokS", g.OutputTokS, w.OutputTokS)
		approx(t, "TotalTokS", g.TotalTokS, w.TotalTokS)
		if g.Completed != w.Completed || g.InFlight != w.InFlight {
			t.Errorf("point %d completed/in flight = %d/%d, want %d/%d", i, g.Completed, g.InFlight,
				w.Completed, w.InFlight)
		}
	}
}

func TestTimeSeriesDefaultBucketAndTotals(t *testing.T) {
	// The default 1 s bucket covers the whole 0.4 s run in one point, whose rates are over
	// the 0.4 s it covers: 9/0.4 = 22.5 output tok/s, the run's output throughput.
	got := TimeSeries(sampleRecords(), 0)
	if len(got) != 1 {
		t.Fatalf("got %d points, want 1", len(got))
	}
	approx(t, "DurationS", got[0].DurationS, 0.4)
	approx(t, "OutputTokS", got[0].OutputTokS, 22.5)
	approx(t, "TotalTokS", got[0].TotalTokS, 172.5)
	if got[0].Completed != 3 {
		t.Errorf("Completed = %d, want 3", got[0].Completed)
	}

	// With an uneven bucket (150 ms: [0,150) [150,300) [300,400]), rate × duration still sums
	// to the token totals.
	var out, all float64
	var done int
	for _, p := range TimeSeries(sampleRecords(), 150*time.Millisecond) {
		out += p.OutputTokS * p.DurationS
		all += p.TotalTokS * p.DurationS
		done += p.Completed
	}
	approx(t, "sum output tokens", out, 9)
	approx(t, "sum total tokens", all, 69)
	if done != 3 {
		t.Errorf("completed sum = %d, want 3", done)
	}

	if ts := TimeSeries(nil, time.Second); ts != nil {
		t.Errorf("empty run gave %+v, want nil", ts)
	}
}

func TestTimeSeriesBoundsPoints(t *testing.T) {
	// A one-nanosecond bucket over an hour would be 3.6e12 points; the width is widened.
	recs := []engine.Record{{StartNS: 0, FirstTokenNS: int64(time.Hour), EndNS: int64(time.Hour),
		TokenNS: []int64{int64(time.Hour)}}}
	got := TimeSeries(recs, time.Nanosecond)
	if len(got) == 0 || len(got) > maxTimeSeriesPoints {
		t.Fatalf("got %d points, want 1..%d", len(got), maxTimeSeriesPoints)
	}
	if got[len(got)-1].Completed != 1 {
		t.Errorf("last point completed = %d, want 1", got[len(got)-1].Completed)
	}
}

// After a failed or stopped run the report counts each request by how it ended, and no
// record, however its times look, yields a negative figure.
func TestComputeMetricsAfterEngineError(t *testing.T) {
	recs := []engine.Record{
		// Completed before the failure.
		{Index: 0, InputTokens: 4, StartNS: ms(10), AdmitNS: ms(10), FirstTokenNS: ms(20), EndNS: ms(40),
			TokenNS: msList(20, 30, 40), Status: engine.StatusCompleted},
		// In flight when the backend failed: a start and tokens, no end.
		{Index: 1, InputTokens: 4, StartNS: ms(15), AdmitNS: ms(15), FirstTokenNS: ms(30), TokenNS: msList(30),
			Status: engine.StatusFailed, Error: "decode failed"},
		// Never started.
		{Index: 2, InputTokens: 4, Status: engine.StatusFailed, Error: "decode failed"},
		// Stopped by the user.
		{Index: 3, InputTokens: 4, StartNS: ms(20), Status: engine.StatusCanceled, Error: "canceled"},
		// Saved before records had a status: unfinished, without an error.
		{Index: 4, InputTokens: 4, StartNS: ms(25)},
		// Times that contradict each other (a corrupt file): counted, but no latency.
		{Index: 5, InputTokens: 4, StartNS: ms(50), FirstTokenNS: ms(45), EndNS: ms(30),
			TokenNS: msList(45, 40, 30), Status: engine.StatusCompleted},
		{Index: 6, InputTokens: 4, StartNS: ms(50), AdmitNS: ms(60), FirstTokenNS: ms(40), EndNS: ms(70),
			TokenNS: msList(40, 70), Status: engine.StatusCompleted},
	}
	m := ComputeMetrics(recs, 1, 1)
	if m.NumCompleted != 3 || m.NumFailed != 3 || m.NumCanceled != 1 {
		t.Errorf("completed/failed/canceled = %d/%d/%d, want 3/3/1", m.NumCompleted, m.NumFailed, m.NumCanceled)
	}
	if m.RequestLatencyMS.Count != 2 || m.TTFTMS.Count != 1 || m.TPOTMS.Count != 1 || m.ITLMS.Count != 2 {
		t.Errorf("sample counts: latency %d, TTFT %d, TPOT %d, ITL %d; want 2, 1, 1, 2",
			m.RequestLatencyMS.Count, m.TTFTMS.Count, m.TPOTMS.Count, m.ITLMS.Count)
	}
	// T spans the timed completed requests only: 10..70 ms.
	approx(t, "TotalLatencyMS", m.TotalLatencyMS, 60)
	for name, d := range map[string]Distribution{"latency": m.RequestLatencyMS, "ttft": m.TTFTMS, "tpot": m.TPOTMS,
		"itl": m.ITLMS, "queue": m.QueueTimeMS, "per user": m.OutputPerUser, "gtps": m.GenTPS} {
		if d.Minimum < 0 || d.P50 < 0 || d.Average < 0 {
			t.Errorf("%s has a negative value: %+v", name, d)
		}
	}
	r := Build(Input{Records: recs})
	if r.BenchTUI.NumCanceled != 1 || r.BenchTUI.NumFailed != 3 || r.RequestInfo.NumRequests != 3 {
		t.Errorf("report counts %d completed, %d failed, %d canceled", r.RequestInfo.NumRequests, r.BenchTUI.NumFailed, r.BenchTUI.NumCanceled)
	}
	for _, p := range TimeSeries(recs, 0) {
		if p.OutputTokS < 0 || p.InFlight < 0 {
			t.Errorf("time series point %+v is negative", p)
		}
	}
}
