package engine_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/benchtui/benchtui/dataset"
	"github.com/benchtui/benchtui/engine"
	"github.com/benchtui/benchtui/report"
)

// fakeStream is a stream backend for unit tests of the driver: each request waits ttft, then
// streams its output_tokens chunks gap apart (perChunk tokens each), and reports usage.
type fakeStream struct {
	ttft, gap time.Duration
	perChunk  int
	usage     func(want int) int // the server's usage count; nil: as many as streamed
	fail      func(i int) error  // nil: never
	warmups   atomic.Int64
	inflight  atomic.Int64
	most      atomic.Int64
	sends     sync.Map // index -> time of Send
}

func (f *fakeStream) Info() engine.BackendInfo { return engine.BackendInfo{Backend: "fake-stream"} }
func (f *fakeStream) Close() error             { return nil }

func (f *fakeStream) Send(ctx context.Context, req engine.StreamRequest, obs engine.StreamObserver) (engine.StreamReply, error) {
	if req.Warmup {
		f.warmups.Add(1)
	} else {
		f.sends.Store(req.Index, time.Now())
	}
	n := f.inflight.Add(1)
	defer f.inflight.Add(-1)
	for {
		m := f.most.Load()
		if n <= m || f.most.CompareAndSwap(m, n) {
			break
		}
	}
	reply := engine.StreamReply{Endpoint: "fake"}
	if f.fail != nil {
		if err := f.fail(req.Index); err != nil {
			return reply, err
		}
	}
	per := max(f.perChunk, 1)
	want := req.Request.OutputTokens
	t := time.NewTimer(f.ttft)
	defer t.Stop()
	sent := 0
	for sent < want {
		select {
		case <-ctx.Done():
			return reply, fmt.Errorf("read: %w", ctx.Err())
		case <-t.C:
		}
		k := min(per, want-sent)
		obs.Chunk(time.Now(), 1)
		sent += k
		t.Reset(f.gap)
	}
	reply.OutputTokens = want
	if f.usage != nil {
		reply.OutputTokens = f.usage(want)
	}
	reply.PromptTokens = 7
	reply.FinishReason = "length"
	return reply, nil
}

func streamReqs(n, osl int) []dataset.Request {
	reqs := make([]dataset.Request, n)
	for i := range reqs {
		reqs[i] = dataset.Request{TaskID: int64(i), InputIDs: []int32{1, 2, 3}, OutputTokens: osl}
	}
	return reqs
}

func TestRunStreamRecordsLikeTheStepDriver(t *testing.T) {
	f := &fakeStream{ttft: 20 * time.Millisecond, gap: 2 * time.Millisecond}
	reqs := streamReqs(40, 10)
	res, err := engine.RunStream(context.Background(), f, reqs, engine.Config{Concurrency: 8, Warmup: 3, MaxBatchSize: 8}, engine.Load{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := f.warmups.Load(); got != 3 {
		t.Errorf("%d warmup requests reached the backend, want 3", got)
	}
	if res.WarmupRequests != 3 {
		t.Errorf("WarmupRequests = %d", res.WarmupRequests)
	}
	if m := f.most.Load(); m > 8 {
		t.Errorf("%d requests in flight at once, the cap is 8", m)
	}
	if len(res.Records) != 40 {
		t.Fatalf("%d records", len(res.Records))
	}
	for i, r := range res.Records {
		if !r.Completed() {
			t.Fatalf("record %d failed: %s", i, r.Error)
		}
		if r.Index != i || r.TaskID != int64(i) || r.InputTokens != 3 || r.TargetOutputTokens != 10 {
			t.Errorf("record %d: %+v", i, r)
		}
		if r.OutputTokens() != 10 || r.Chunks != 10 || r.UsageOutputTokens != 10 || r.UsagePromptTokens != 7 {
			t.Errorf("record %d: %d tokens, %d chunks, usage %d/%d", i, r.OutputTokens(), r.Chunks, r.UsageOutputTokens, r.UsagePromptTokens)
		}
		if r.AdmitNS != -1 || r.StartNS < 0 || r.FirstTokenNS != r.TokenNS[0] || r.EndNS != r.TokenNS[9] {
			t.Errorf("record %d times: start %d admit %d first %d end %d", i, r.StartNS, r.AdmitNS, r.FirstTokenNS, r.EndNS)
		}
		if ttft := time.Duration(r.FirstTokenNS - r.StartNS); ttft < 20*time.Millisecond {
			t.Errorf("record %d: TTFT %v, shorter than the backend's 20 ms", i, ttft)
		}
		if !slices.IsSorted(r.TokenNS) {
			t.Errorf("record %d: token times out of order", i)
		}
		if r.Endpoint != "fake" || r.FinishReason != "length" {
			t.Errorf("record %d: endpoint %q finish %q", i, r.Endpoint, r.FinishReason)
		}
	}
	m := report.ComputeMetrics(res.Records, 1, 1)
	if m.NumCompleted != 40 || m.TotalOutputTokens != 400 {
		t.Errorf("metrics: %+v", m)
	}
}

func TestRunStreamEvents(t *testing.T) {
	f := &fakeStream{ttft: 5 * time.Millisecond, gap: 5 * time.Millisecond}
	reqs := streamReqs(30, 20) // about 0.1 s each, 4 waves of 8: about 0.4 s
	ctx := context.Background()
	ev := engine.NewEvents(ctx)
	type got struct {
		snaps    []engine.Snapshot
		finished []engine.Record
		life     []engine.Lifecycle
	}
	out := make(chan got)
	go func() {
		var g got
		for {
			select {
			case s := <-ev.Snapshots:
				g.snaps = append(g.snaps, s)
				g.finished = append(g.finished, s.Finished...)
				time.Sleep(30 * time.Millisecond) // a slow reader: snapshots are coalesced
			case l, ok := <-ev.Lifecycle:
				if !ok {
					select {
					case s := <-ev.Snapshots:
						g.snaps = append(g.snaps, s)
						g.finished = append(g.finished, s.Finished...)
					default:
					}
					out <- g
					return
				}
				g.life = append(g.life, l)
			}
		}
	}()
	res, err := engine.RunStream(ctx, f, reqs, engine.Config{Concurrency: 8, SnapshotEvery: 20 * time.Millisecond}, engine.Load{}, ev)
	if err != nil {
		t.Fatal(err)
	}
	ev.Close()
	g := <-out
	if len(g.life) != 1 || g.life[0].Phase != engine.PhaseRunning || g.life[0].Total != 30 {
		t.Errorf("lifecycle events: %+v", g.life)
	}
	if len(g.finished) != 30 {
		t.Errorf("the snapshots carried %d finished records, want all 30", len(g.finished))
	}
	seen := map[int]bool{}
	for _, r := range g.finished {
		if seen[r.Index] {
			t.Errorf("record %d delivered twice", r.Index)
		}
		seen[r.Index] = true
	}
	if len(res.Series) < 10 {
		t.Errorf("%d snapshots in the series of a 0.4 s run at 20 ms", len(res.Series))
	}
	last := res.Series[len(res.Series)-1]
	if last.Completed != 30 || last.Running != 0 || last.Queued != 0 || last.OutputTokens != 600 || last.Sent != 30 {
		t.Errorf("last snapshot: %+v", last)
	}
	var sawRunning bool
	for _, s := range res.Series {
		if s.Running > 8 {
			t.Errorf("snapshot with %d running, cap 8", s.Running)
		}
		sawRunning = sawRunning || (s.Running == 8 && s.Queued > 0 && s.OutputTokensPerSec > 0)
	}
	if !sawRunning {
		t.Error("no snapshot showed 8 running, some queued and a token rate")
	}
}

func TestRunStreamKeepsItsSchedule(t *testing.T) {
	// The machine is shared: a run that another process delays is tried again (five times at
	// most), and the lag of an undisturbed attempt must be a scheduler's wake-up, not a
	// timer's millisecond.
	var failures []string
	for attempt := range 5 {
		f := &fakeStream{ttft: time.Millisecond, gap: time.Millisecond}
		load := engine.Load{RequestRate: 1000, Burstiness: 1, Seed: 7}
		res, err := engine.RunStream(context.Background(), f, streamReqs(150, 3), engine.Config{}, load, nil)
		if err != nil {
			t.Fatal(err)
		}
		sched := engine.Schedule(150, 1000, 1, 7)
		for i, r := range res.Records {
			if r.ScheduledNS != sched[i] {
				t.Fatalf("record %d scheduled at %d, the schedule says %d", i, r.ScheduledNS, sched[i])
			}
			if r.SendLagNS != r.StartNS-r.ScheduledNS || r.SlotWaitNS != 0 || r.SendLagNS < 0 {
				t.Errorf("record %d: lag %d, start-scheduled %d, slot wait %d", i, r.SendLagNS, r.StartNS-r.ScheduledNS, r.SlotWaitNS)
			}
		}
		st := report.ComputeLoadStats(res.Records, 1000)
		msg := fmt.Sprintf("attempt %d: send lag p50 %.3f ms p99 %.3f ms; achieved %.1f of %.1f req/s", attempt, st.SendLagMS.P50, st.SendLagMS.P99, st.AchievedRate, st.ScheduledRate)
		t.Log(msg)
		d := st.AchievedRate/st.ScheduledRate - 1
		if st.SendLagMS.P50 < 0.5 && d < 0.05 && d > -0.05 {
			return
		}
		failures = append(failures, msg)
	}
	t.Errorf("no attempt kept the schedule (send lag p50 under 0.5 ms, rate within 5%%):\n%s", strings.Join(failures, "\n"))
}

func TestRunStreamSlotWaitIsNotLag(t *testing.T) {
	f := &fakeStream{ttft: 20 * time.Millisecond, gap: time.Millisecond}
	// 200 requests/s with one slot and 22 ms requests: every request waits for the slot.
	res, err := engine.RunStream(context.Background(), f, streamReqs(20, 3), engine.Config{Concurrency: 1}, engine.Load{RequestRate: 200, Seed: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if m := f.most.Load(); m != 1 {
		t.Errorf("%d in flight with a cap of 1", m)
	}
	waited := 0
	for i, r := range res.Records {
		if r.SlotWaitNS > 0 {
			waited++
		}
		if r.SendLagNS+r.SlotWaitNS != r.StartNS-r.ScheduledNS {
			t.Errorf("record %d: lag %d + wait %d != start %d - scheduled %d", i, r.SendLagNS, r.SlotWaitNS, r.StartNS, r.ScheduledNS)
		}
	}
	st := report.ComputeLoadStats(res.Records, 200)
	if waited < 15 || st.SendLagMS.P50 > 2 {
		t.Errorf("%d of 20 waited for the slot; lag %+v", waited, st.SendLagMS)
	}
}

func TestRunStreamCountsTokensByUsage(t *testing.T) {
	// 4 tokens per chunk, 3 chunks, usage 12: the tokens spread over the chunks.
	f := &fakeStream{perChunk: 4, gap: time.Millisecond}
	res, err := engine.RunStream(context.Background(), f, streamReqs(3, 12), engine.Config{}, engine.Load{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res.Records {
		if r.Chunks != 3 || r.OutputTokens() != 12 || r.UsageOutputTokens != 12 {
			t.Fatalf("%d chunks, %d tokens, usage %d", r.Chunks, r.OutputTokens(), r.UsageOutputTokens)
		}
		distinct := slices.Compact(slices.Clone(r.TokenNS))
		if len(distinct) != 3 || r.TokenNS[0] != r.FirstTokenNS || r.TokenNS[11] != r.EndNS {
			t.Errorf("token times %v", r.TokenNS)
		}
	}
	if last := res.Series[len(res.Series)-1]; last.OutputTokens != 36 {
		t.Errorf("snapshot counts %d output tokens, want 36", last.OutputTokens)
	}
}

func TestSpreadTokens(t *testing.T) {
	for _, c := range []struct {
		times []int64
		n     int
		want  []int64
	}{
		{[]int64{10, 20}, 4, []int64{10, 10, 20, 20}},
		{[]int64{10, 20, 30}, 6, []int64{10, 10, 20, 20, 30, 30}},
		{[]int64{10, 20, 30, 40}, 2, []int64{10, 40}},
		{[]int64{10, 20, 30}, 1, []int64{10}},
		{[]int64{10}, 3, []int64{10, 10, 10}},
		{nil, 2, []int64{99, 99}},
	} {
		if got := engine.SpreadTokens(c.times, c.n, 99); !slices.Equal(got, c.want) {
			t.Errorf("engine.SpreadTokens(%v, %d) = %v, want %v", c.times, c.n, got, c.want)
		}
	}
}

func TestRunStreamFailures(t *testing.T) {
	t.Run("some fail", func(t *testing.T) {
		f := &fakeStream{fail: func(i int) error {
			if i%3 == 0 {
				return fmt.Errorf("POST x: 500 Internal Server Error: boom %d", i)
			}
			return nil
		}}
		res, err := engine.RunStream(context.Background(), f, streamReqs(30, 2), engine.Config{}, engine.Load{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		failed := 0
		for i, r := range res.Records {
			if r.Failed() != (i%3 == 0) {
				t.Errorf("record %d failed=%v (%s)", i, r.Failed(), r.Error)
			}
			if r.Failed() {
				failed++
			}
		}
		if m := report.ComputeMetrics(res.Records, 1, 1); m.NumFailed != 10 || m.NumCompleted != 20 {
			t.Errorf("metrics: %d failed, %d completed", m.NumFailed, m.NumCompleted)
		}
	})
	t.Run("all fail", func(t *testing.T) {
		f := &fakeStream{fail: func(i int) error { return errors.New("POST x: connection refused: no server is listening at x") }}
		start := time.Now()
		res, err := engine.RunStream(context.Background(), f, streamReqs(1000, 2), engine.Config{Concurrency: 4}, engine.Load{RequestRate: 50}, nil)
		if err == nil || !strings.Contains(err.Error(), "connection refused") || !strings.Contains(err.Error(), "first 16") {
			t.Fatalf("err = %v", err)
		}
		if time.Since(start) > 5*time.Second {
			t.Errorf("a run whose requests all fail took %v to stop", time.Since(start))
		}
		var sent, notSent int
		for _, r := range res.Records {
			if !r.Failed() {
				t.Fatal("a record did not fail")
			}
			if r.Status != engine.StatusFailed {
				t.Errorf("record %d: status %q", r.Index, r.Status)
			}
			if r.StartNS < 0 {
				notSent++
				if !strings.HasPrefix(r.Error, "not sent") {
					t.Errorf("unsent record's error %q", r.Error)
				}
			} else {
				sent++
			}
		}
		if sent < 16 || sent > 20 || notSent != 1000-sent {
			t.Errorf("%d sent, %d not sent", sent, notSent)
		}
	})
	t.Run("warmup fails", func(t *testing.T) {
		f := &fakeStream{fail: func(i int) error { return errors.New("boom") }}
		_, err := engine.RunStream(context.Background(), f, streamReqs(5, 2), engine.Config{Warmup: 2}, engine.Load{}, nil)
		if err == nil || !strings.HasPrefix(err.Error(), "warmup") || !strings.Contains(err.Error(), "boom") {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestRunStreamCancel(t *testing.T) {
	f := &fakeStream{ttft: 10 * time.Millisecond, gap: 10 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(150*time.Millisecond, cancel)
	start := time.Now()
	res, err := engine.RunStream(ctx, f, streamReqs(50, 1000), engine.Config{Concurrency: 10}, engine.Load{}, nil)
	if !errors.Is(err, engine.ErrCanceled) {
		t.Fatalf("err = %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("cancel took %v", d)
	}
	var canceled, unsent int
	for _, r := range res.Records {
		switch {
		case r.Status != engine.StatusCanceled:
			t.Errorf("record %d: status %q, error %q", r.Index, r.Status, r.Error)
		case r.Error == "canceled" && r.StartNS >= 0:
			canceled++
			if r.OutputTokens() == 0 {
				t.Error("a canceled stream lost the tokens it had")
			}
		case r.Error == "canceled":
			unsent++
		default:
			t.Errorf("record %d: error %q", r.Index, r.Error)
		}
	}
	if canceled != 10 || unsent != 40 {
		t.Errorf("%d in flight canceled, %d unsent canceled", canceled, unsent)
	}
	if f.inflight.Load() != 0 {
		t.Error("streams still running after engine.RunStream returned")
	}
}

func TestValidateStream(t *testing.T) {
	if err := engine.ValidateStream([]dataset.Request{{Prompt: "hi", OutputTokens: 1}}); err != nil {
		t.Error(err)
	}
	if err := engine.ValidateStream([]dataset.Request{{OutputTokens: 1}}); err == nil || !strings.Contains(err.Error(), "empty prompt") {
		t.Errorf("err = %v", err)
	}
	if err := engine.ValidateStream([]dataset.Request{{Prompt: "x"}}); err == nil || !strings.Contains(err.Error(), "output_tokens") {
		t.Errorf("err = %v", err)
	}
	if err := (engine.Load{RequestRate: -1}).Validate(); err == nil {
		t.Error("a negative rate passed")
	}
	if err := (engine.Load{Burstiness: 2}).Validate(); err == nil {
		t.Error("burstiness without a rate passed")
	}
}
