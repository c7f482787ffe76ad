package engine

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/benchtui/benchtui/dataset"
	"github.com/benchtui/benchtui/internal/alarm"
)

// abortAfter is how many requests must fail, with none succeeding, before a stream run stops
// sending: a server that refuses every request would otherwise take the whole schedule to
// say so.
const abortAfter = 16

// ValidateStream checks requests for a stream backend before anything is sent: every request
// needs a prompt (token ids or text) and at least one output token.
func ValidateStream(reqs []dataset.Request) error {
	if len(reqs) == 0 {
		return errors.New("no requests to run")
	}
	for i := range reqs {
		r := &reqs[i]
		if len(r.InputIDs) == 0 && r.Prompt == "" {
			return fmt.Errorf("%s: empty prompt", requestName(r, i))
		}
		if r.OutputTokens < 1 {
			return fmt.Errorf("%s: output_tokens is %d: it must be at least 1", requestName(r, i), r.OutputTokens)
		}
	}
	return nil
}

// RunStream runs the warmup requests, then every request in reqs, through the stream backend
// b, and records them as Run does for a step backend: the same Records, Snapshots (about ten
// a second, carrying the records finished since the last one read) and Lifecycle events.
// Requests are offered as load says, with cfg.Concurrency as the cap on requests in flight;
// cfg.Warmup, cfg.SnapshotEvery and cfg.MaxBatchSize (the server's slots, for the batch
// occupancy; 0 when unknown) are used, the step scheduler's settings are not.
//
// A request's start is when it is sent; every chunk's time is read at the socket read; a
// request that fails is recorded with its error and the run goes on, except that the run
// stops when its first requests all fail (abortAfter) and fails when every request failed.
// When ctx ends, the streams in flight are ended and marked canceled, and the error wraps
// ErrCanceled.
func RunStream(ctx context.Context, b StreamBackend, reqs []dataset.Request, cfg Config, load Load, ev *Events) (*Result, error) {
	if err := load.Validate(); err != nil {
		return nil, err
	}
	if err := ValidateStream(reqs); err != nil {
		return nil, err
	}
	if cfg.SnapshotEvery <= 0 {
		cfg.SnapshotEvery = 100 * time.Millisecond
	}
	res := &Result{}
	if cfg.Warmup > 0 {
		ev.Publish(Lifecycle{Phase: PhaseWarmup, Total: cfg.Warmup})
		warm := make([]dataset.Request, cfg.Warmup)
		for i := range warm {
			warm[i] = reqs[i%len(reqs)]
		}
		// Warmup opens the connections and wakes the server up: no schedule, no scraping.
		s := newStreamRun(b, warm, cfg, Load{ScrapeEvery: -1}, PhaseWarmup, nil)
		if err := s.run(ctx); err != nil {
			return res, fmt.Errorf("warmup: %w", err)
		}
		for i := range s.records {
			if !s.records[i].Completed() {
				return res, fmt.Errorf("warmup request %d: %s", i, s.records[i].Error)
			}
		}
		res.WarmupRequests = cfg.Warmup
	}
	ev.Publish(Lifecycle{Phase: PhaseRunning, Total: len(reqs)})
	s := newStreamRun(b, reqs, cfg, load, PhaseRunning, ev)
	start := time.Now()
	err := s.run(ctx)
	res.Duration = time.Since(start)
	res.Records = s.records
	res.Series = s.series
	return res, err
}

// streamRun runs one phase's requests. One goroutine (run's) owns the schedule, the slots and
// the counts; each request's goroutine owns its record until it reports on done.
type streamRun struct {
	b     StreamBackend
	reqs  []dataset.Request
	cfg   Config
	load  Load
	phase Phase
	ev    *Events

	epoch   time.Time
	records []Record
	obs     []chunkObserver
	sched   []int64 // arrival times, nil without a rate
	shift   int64   // how far the rest of the schedule moved because the client was late
	// recovered says that the next arrival's share of shift was already won back.
	recovered bool
	done      chan int

	next      int   // next request to arrive
	waiting   []int // arrived, waiting for a concurrency slot (FIFO)
	arrivedAt []int64
	waited    []bool // found every slot taken when it arrived
	inflight  int
	sent      int
	unsent    int // never sent: the run was canceled or stopped
	completed int
	failed    int
	firstErr  string
	stopped   string // why the run stopped sending, when it did

	outTokens atomic.Int64
	inTokens  atomic.Int64

	lastSnap    int64
	lastSnapOut int64
	lastSnapIn  int64
	series      []Snapshot
	finished    []Record
	server      atomic.Pointer[ServerMetrics]
}

func newStreamRun(b StreamBackend, reqs []dataset.Request, cfg Config, load Load, phase Phase, ev *Events) *streamRun {
	s := &streamRun{
		b:         b,
		reqs:      reqs,
		cfg:       cfg,
		load:      load,
		phase:     phase,
		ev:        ev,
		records:   make([]Record, len(reqs)),
		obs:       make([]chunkObserver, len(reqs)),
		done:      make(chan int, len(reqs)),
		arrivedAt: make([]int64, len(reqs)),
		waited:    make([]bool, len(reqs)),
	}
	s.sched = Schedule(len(reqs), load.RequestRate, load.Burstiness, load.Seed)
	for i := range reqs {
		r := &reqs[i]
		s.records[i] = Record{
			Index:              i,
			TaskID:             r.TaskID,
			InputTokens:        len(r.InputIDs),
			TargetOutputTokens: r.OutputTokens,
			StartNS:            -1,
			AdmitNS:            -1,
		}
		if s.sched != nil {
			s.records[i].ScheduledNS = s.sched[i]
		}
		s.obs[i] = chunkObserver{s: s, rec: &s.records[i]}
	}
	return s
}

func (s *streamRun) now() int64 { return int64(time.Since(s.epoch)) }

func (s *streamRun) limit() int {
	if s.cfg.Concurrency <= 0 {
		return math.MaxInt
	}
	return s.cfg.Concurrency
}

func (s *streamRun) run(ctx context.Context) error {
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	s.epoch = time.Now()
	n := len(s.reqs)
	var scrapers sync.WaitGroup
	if src, ok := s.b.(ServerMetricsSource); ok && s.load.ScrapeEvery >= 0 {
		scrapers.Go(func() { s.scrape(runCtx, src) })
	}
	defer func() {
		cancel()
		scrapers.Wait()
	}()

	wake := alarm.New()
	defer wake.Close()
	tick := time.NewTicker(s.cfg.SnapshotEvery)
	defer tick.Stop()
	for s.completed+s.failed < n {
		now := s.now()
		s.arrive(now)
		s.startWaiting(runCtx)
		if s.next < n {
			wake.Set(time.Duration(s.sched[s.next] + s.shift - s.now()))
		}
		select {
		case i := <-s.done:
			s.finish(i)
			// Take every other request that finished meanwhile before looking at the clock.
			for more := true; more; {
				select {
				case i := <-s.done:
					s.finish(i)
				default:
					more = false
				}
			}
			// Requests that a cancel ended are not the server's failures.
			if s.stopped == "" && ctx.Err() == nil && s.completed == 0 && s.failed >= min(abortAfter, n) {
				s.stopped = fmt.Sprintf("not sent: the first %d requests failed", s.failed)
				s.stopSending()
				cancel()
			}
		case <-wake.C:
		case <-tick.C:
			s.snapshot(s.now())
		case <-ctx.Done():
			s.stopped = "canceled"
			s.stopSending()
			cancel()
			s.drain()
			s.snapshot(s.now())
			return fmt.Errorf("%w after %d of %d requests", ErrCanceled, s.completed, n)
		}
	}
	s.snapshot(s.now())
	switch {
	case ctx.Err() != nil:
		// Every request came back (canceled) before the loop saw the cancel.
		return fmt.Errorf("%w after %d of %d requests", ErrCanceled, s.completed, n)
	case s.stopped != "":
		return fmt.Errorf("stopped after the first %d requests failed: %s", min(abortAfter, n), s.firstErr)
	case s.completed == 0:
		return fmt.Errorf("all %d requests failed; the first: %s", n, s.firstErr)
	}
	return nil
}

// arrive moves the requests that are due by now to the slot queue. Without a schedule every
// request is due at once.
func (s *streamRun) arrive(now int64) {
	n := len(s.reqs)
	if s.sched == nil {
		for ; s.next < n; s.next++ {
			s.waiting = append(s.waiting, s.next)
		}
		return
	}
	for s.next < n {
		if s.shift > 0 && s.next > 0 && !s.recovered {
			// Win back a quarter of each gap until the schedule is where it was.
			s.shift = max(0, s.shift-(s.sched[s.next]-s.sched[s.next-1])/4)
			s.recovered = true
		}
		due := s.sched[s.next] + s.shift
		if due > now {
			return
		}
		if late := now - due; late > int64(catchUpLimit) {
			s.shift += late - int64(catchUpLimit)
		}
		s.recovered = false
		// A request that finds a free slot is sent at once; one that waits for a slot counts
		// its wait from now, so that its send lag is the client's lateness alone. Nothing
		// finishes between here and startWaiting, so the slots it will find are known now.
		s.arrivedAt[s.next] = now
		s.waited[s.next] = s.inflight+len(s.waiting) >= s.limit()
		s.waiting = append(s.waiting, s.next)
		s.next++
	}
}

// startWaiting sends waiting requests while the concurrency limit allows.
func (s *streamRun) startWaiting(ctx context.Context) {
	for len(s.waiting) > 0 && s.inflight < s.limit() {
		i := s.waiting[0]
		s.waiting = s.waiting[1:]
		rec := &s.records[i]
		t := s.now()
		rec.StartNS = t
		if s.sched != nil {
			if s.waited[i] {
				rec.SlotWaitNS = t - s.arrivedAt[i]
				rec.SendLagNS = s.arrivedAt[i] - rec.ScheduledNS
			} else {
				rec.SendLagNS = t - rec.ScheduledNS
			}
		}
		rec.TokenNS = make([]int64, 0, s.reqs[i].OutputTokens)
		s.sent++
		s.inflight++
		go s.send(ctx, i)
	}
}

// send runs one request on its own goroutine and reports on done.
func (s *streamRun) send(ctx context.Context, i int) {
	rec := &s.records[i]
	defer func() {
		if p := recover(); p != nil {
			rec.Status, rec.Error = StatusFailed, fmt.Sprintf("stream backend panicked: %v", p)
		}
		s.done <- i
	}()
	req := StreamRequest{Index: i, Warmup: s.phase == PhaseWarmup, Request: &s.reqs[i]}
	reply, err := s.b.Send(ctx, req, &s.obs[i])
	end := s.now()
	s.complete(rec, reply, err, end)
	if err != nil && ctx.Err() != nil {
		// The run ended the stream (a cancel or an abort), not the server.
		rec.Status, rec.Error = StatusCanceled, "canceled"
	}
}

// complete fills a record from the backend's reply. It runs on the request's goroutine.
func (s *streamRun) complete(rec *Record, reply StreamReply, err error, end int64) {
	rec.Endpoint = reply.Endpoint
	rec.UsagePromptTokens = reply.PromptTokens
	rec.UsageOutputTokens = reply.OutputTokens
	rec.FinishReason = reply.FinishReason
	rec.Server = reply.Server
	if rec.InputTokens == 0 && reply.PromptTokens > 0 {
		// A text prompt's length is known only from the server's count.
		rec.InputTokens = reply.PromptTokens
		if rec.Chunks > 0 {
			s.inTokens.Add(int64(rec.InputTokens))
		}
	}
	if err != nil {
		rec.Status, rec.Error = StatusFailed, err.Error()
		return
	}
	before := len(rec.TokenNS)
	if reply.OutputTokens > 0 && reply.OutputTokens != before {
		rec.TokenNS = SpreadTokens(rec.TokenNS, reply.OutputTokens, end)
		s.outTokens.Add(int64(len(rec.TokenNS) - before))
	}
	rec.Status = StatusCompleted
	if len(rec.TokenNS) == 0 {
		rec.EndNS = end
		return
	}
	if before == 0 {
		rec.FirstTokenNS = rec.TokenNS[0]
	}
	rec.EndNS = rec.TokenNS[len(rec.TokenNS)-1]
}

// finish takes a request's record back from its goroutine.
func (s *streamRun) finish(i int) {
	rec := &s.records[i]
	s.inflight--
	if !rec.Completed() {
		s.failed++
		if s.firstErr == "" && rec.Failed() {
			s.firstErr = fmt.Sprintf("request %d: %s", i, rec.Error)
		}
	} else {
		s.completed++
	}
	if s.ev != nil {
		s.finished = append(s.finished, *rec)
	}
}

// stopSending ends every request not yet sent: canceled when the run was, failed (with the
// reason in s.stopped) when it stopped because its requests failed.
func (s *streamRun) stopSending() {
	n := len(s.reqs)
	for ; s.next < n; s.next++ {
		s.waiting = append(s.waiting, s.next)
	}
	for _, i := range s.waiting {
		st := StatusFailed
		if s.stopped == "canceled" {
			st = StatusCanceled
		}
		s.records[i].Status, s.records[i].Error = st, s.stopped
		s.failed++
		s.unsent++
	}
	s.waiting = s.waiting[:0]
}

// drain waits for every request in flight to come back.
func (s *streamRun) drain() {
	for s.inflight > 0 {
		s.finish(<-s.done)
	}
}

// scrape reads the servers' own metrics every load.ScrapeEvery until ctx ends.
func (s *streamRun) scrape(ctx context.Context, src ServerMetricsSource) {
	every := s.load.ScrapeEvery
	if every == 0 {
		every = time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		m, err := src.ServerMetrics(ctx)
		if errors.Is(err, ErrNoServerMetrics) {
			return
		}
		if err == nil {
			m.TimeNS = s.now()
			s.server.Store(&m)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *streamRun) snapshot(t int64) {
	dt := float64(t-s.lastSnap) / 1e9
	out, in := s.outTokens.Load(), s.inTokens.Load()
	var outRate, totRate float64
	if dt > 0 {
		outRate = float64(out-s.lastSnapOut) / dt
		totRate = float64(out-s.lastSnapOut+in-s.lastSnapIn) / dt
	}
	s.lastSnap, s.lastSnapOut, s.lastSnapIn = t, out, in
	snap := Snapshot{
		Phase:              s.phase,
		ElapsedNS:          t,
		OutputTokensPerSec: outRate,
		TotalTokensPerSec:  totRate,
		Running:            s.inflight,
		Queued:             len(s.reqs) - s.sent - s.unsent,
		Completed:          s.completed,
		Failed:             s.failed,
		Total:              len(s.reqs),
		OutputTokens:       out,
		InputTokens:        in,
		Sent:               s.sent,
		TargetRate:         s.load.RequestRate,
		Server:             s.server.Load(),
	}
	if m := snap.Server; m != nil {
		if m.KVUsage >= 0 {
			snap.KVUsage = m.KVUsage
		}
		if m.Running >= 0 && s.cfg.MaxBatchSize > 0 {
			snap.BatchOccupancy = m.Running / float64(s.cfg.MaxBatchSize)
		}
	}
	s.series = append(s.series, snap)
	if s.ev != nil {
		snap.Finished, s.finished = s.finished, nil
		s.ev.Offer(snap)
	}
}

// chunkObserver times one request's chunks on the run's clock. It runs on the request's
// goroutine.
type chunkObserver struct {
	s   *streamRun
	rec *Record
}

// Chunk implements StreamObserver.
func (o *chunkObserver) Chunk(at time.Time, tokens int) {
	t := int64(at.Sub(o.s.epoch))
	rec := o.rec
	if rec.Chunks == 0 {
		rec.FirstTokenNS = t
		o.s.inTokens.Add(int64(rec.InputTokens))
	}
	rec.Chunks++
	for range max(tokens, 1) {
		rec.TokenNS = append(rec.TokenNS, t)
	}
	o.s.outTokens.Add(int64(max(tokens, 1)))
}

// SpreadTokens gives n tokens the times of the k chunks in times (k > 0) when the server's
// count n differs from the chunks': the first token keeps the first chunk's time and the last
// the last chunk's, and the tokens in between are spread over the chunks in proportion. With
// no chunk at all, every token takes the time end, when the stream ended.
func SpreadTokens(times []int64, n int, end int64) []int64 {
	k := len(times)
	out := make([]int64, n)
	if k == 0 {
		for i := range out {
			out[i] = end
		}
		return out
	}
	for i := 1; i <= n; i++ {
		var j int
		if n >= k {
			j = (i*k+n-1)/n - 1 // ceil(i*k/n) - 1
		} else if n > 1 {
			j = (i - 1) * (k - 1) / (n - 1)
		}
		out[i-1] = times[j]
	}
	return out
}
