package engine

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/benchtui/benchtui/dataset"
)

// slot is one sequence of the batch: a request being prefilled or decoded.
type slot struct {
	req      int   // index into the scheduler's requests and records
	admitted int64 // admission order, for prefill priority and for pausing the newest first
	wave     int64 // the step that admitted it (waves: admitted together, decode together)
	// prompt is what the sequence prefills: the request's prompt or, after a pause, its
	// prompt followed by every token it had generated (computed again, as TensorRT-LLM does).
	prompt   []int32
	fed      int   // prompt tokens already in the KV cache (or scheduled this step)
	pos      int32 // position of the next token fed
	last     int32 // last sampled token, fed at the next decode step
	gen      int   // tokens generated so far
	plan     int   // tokens this slot feeds in the step being built
	hist     []int32
	decoding bool
	done     bool
}

// scheduler runs one set of requests with in-flight batching, decode first: every step feeds
// one token of every decoding sequence, so a request decodes in every step from the one after
// its prompt is done, then prompt chunks of the sequences being prefilled in the token budget
// left, shared as the chunking policy says, then admits waiting requests while sequences and
// KV cells are free (as the scheduler policy says). Requests join as others finish; a finished
// sequence's KV cells are freed at the start of the next step.
//
// Sequence ids stay compact: the n running requests use ids 0..n-1, and the tokens of a step
// are in increasing id order. llama.cpp's per-sequence KV cache (kv_unified off) splits a
// batch into micro-batches of consecutive sequence ids with the same number of tokens from
// each (see splitter), and each micro-batch reads all the weights once, so gaps in the ids
// would multiply the cost of a decode step. When requests finish, the highest ids are
// renumbered into the holes (a KV copy inside llama.cpp).
//
// Why the default chunking is aligned_finish: a burst that needs several steps of prefill,
// prefilled first come, first served, starts decoding in staggers. Every prefill step then
// carries an extra micro-batch for the early requests' decodes (a decoding sequence has one
// token, and a micro-batch takes as many tokens from each of its sequences), and the last
// steps of the run decode only the late requests, each reading all the weights for a
// part-empty batch. The admission waves avoided that by making early requests wait after
// their first token. Instead, the prompts of a burst now hold back their last tokens until
// all of them fit one step: they produce their first tokens in the same step and decode
// from the next, in full decode steps, with no wait between tokens. The rest of each prompt
// is fed first come, first served, in long chunks of few sequences, the micro-batches that
// attention runs fastest (ggml's CPU flash attention tiles 64 queries of a sequence; feeding
// every prompt a few tokens a step, as equal progress does, reads every sequence's KV cells
// in every micro-batch).
type scheduler struct {
	b     Backend
	reqs  []dataset.Request
	cfg   Config
	rules rules
	hooks Hooks
	phase Phase
	ev    *Events
	split splitter

	records []Record
	epoch   time.Time

	pending  int   // next request to start
	waiting  []int // started, not yet admitted (FIFO; paused requests go back to the head)
	parked   map[int]slot
	slots    []slot
	nActive  int // slots 0..nActive-1 are running
	admitSeq int64
	inflight int
	kvUsed   int // cells reserved by active sequences (prompt + output) when reserving whole

	// KV housekeeping for the next step, from the requests that finished in the last one.
	free  []int32
	moves []SeqMove

	completed, failed int
	outTokens         int64
	inTokens          int64
	decodeRotate      int
	pausedStep        int // requests paused at the end of the last step

	batch    Batch
	rows     []int32 // sequence of each output row
	out      []int32
	prefills []int32 // prefilling sequences, by admission order

	lastSnap    int64
	lastSnapOut int64
	lastSnapIn  int64
	steps       int64
	series      []Snapshot
	finished    []Record // ended since the last snapshot, for the events reader
	hosts       hostTracker
}

func newScheduler(b Backend, reqs []dataset.Request, cfg Config, hooks Hooks, phase Phase, ev *Events) *scheduler {
	info := b.Info()
	s := &scheduler{
		b:        b,
		reqs:     reqs,
		cfg:      cfg,
		rules:    rulesOf(cfg),
		hooks:    hooks,
		phase:    phase,
		ev:       ev,
		records:  make([]Record, len(reqs)),
		slots:    make([]slot, cfg.MaxBatchSize),
		out:      make([]int32, cfg.MaxBatchSize),
		rows:     make([]int32, 0, cfg.MaxBatchSize),
		prefills: make([]int32, 0, cfg.MaxBatchSize),
		parked:   map[int]slot{},
	}
	// llama.cpp takes n_ubatch = n_batch when it is not set.
	s.split = splitter{nUBatch: info.NUBatch, perSeqKV: !info.KVUnified && cfg.MaxBatchSize > 1}
	if s.split.nUBatch <= 0 {
		s.split.nUBatch = cfg.MaxNumTokens
	}
	s.batch = Batch{
		Tokens: make([]int32, 0, cfg.MaxNumTokens),
		Pos:    make([]int32, 0, cfg.MaxNumTokens),
		Seq:    make([]int32, 0, cfg.MaxNumTokens),
		Output: make([]int8, 0, cfg.MaxNumTokens),
	}
	for i := range reqs {
		r := &reqs[i]
		s.records[i] = Record{
			Index:              i,
			TaskID:             r.TaskID,
			InputTokens:        len(r.InputIDs),
			TargetOutputTokens: r.OutputTokens,
		}
	}
	return s
}

func (s *scheduler) now() int64 { return int64(time.Since(s.epoch)) }

// run runs every request to its end. A failure to write the iteration log does not stop the
// run (its measurements are what the user ran it for): the log stops at the failed line and
// the error comes back with the finished run.
func (s *scheduler) run(ctx context.Context, iterLog io.Writer) (int64, error) {
	var log *stepLogWriter
	if iterLog != nil {
		log = newStepLogWriter(iterLog)
	}
	steps, err := s.loop(ctx, log)
	if log != nil {
		if lerr := log.close(); lerr != nil {
			if err == nil {
				return steps, lerr
			}
			return steps, fmt.Errorf("%w; %w", err, lerr)
		}
	}
	return steps, err
}

func (s *scheduler) loop(ctx context.Context, log *stepLogWriter) (int64, error) {
	s.epoch = time.Now()
	s.hosts.start(s.b, 0)
	n := len(s.reqs)
	var stepLog StepLog
	for s.completed+s.failed < n {
		if err := ctx.Err(); err != nil {
			s.failUnfinished(StatusCanceled, "canceled")
			return s.steps, fmt.Errorf("%w after %d of %d requests", ErrCanceled, s.completed, n)
		}
		now := s.now()
		s.issue(now)
		st := s.build(now)
		if s.batch.Len() == 0 {
			// Validate guarantees that a request fits an empty engine, so an empty batch
			// with unfinished requests is a scheduler bug: fail loudly rather than spin.
			s.failUnfinished(StatusFailed, "scheduler stalled")
			return s.steps, fmt.Errorf("scheduler stalled with %d waiting and %d running requests", len(s.waiting), s.nActive)
		}
		t0 := time.Now()
		err := s.b.Step(&s.batch, s.out[:len(s.rows)])
		tEnd := s.now()
		s.steps++
		if err != nil {
			s.failUnfinished(StatusFailed, err.Error())
			return s.steps, fmt.Errorf("decode step %d (%d tokens, %d sequences): %w", s.steps, s.batch.Len(), s.nActive, err)
		}
		s.collect(tEnd)
		if log != nil {
			stepLog = StepLog{
				Iter:            s.steps,
				TimeNS:          tEnd,
				DurationNS:      int64(time.Since(t0)),
				NumTokens:       s.batch.Len(),
				NumCtxRequests:  st.ctxReqs,
				NumCtxTokens:    st.ctxTokens,
				NumGenRequests:  st.genReqs,
				NumOutputs:      len(s.rows),
				NumMicroBatches: st.microBatches,
				Running:         s.nActive,
				Queued:          len(s.waiting) + (n - s.pending),
				Paused:          s.pausedStep,
				KVUsedCells:     s.kvCells(),
				KVUsage:         s.kvUsage(),
				Completed:       s.completed,
			}
			log.write(&stepLog)
		}
		if tEnd-s.lastSnap >= int64(s.cfg.SnapshotEvery) {
			s.snapshot(tEnd)
		}
	}
	s.snapshot(s.now())
	// Free the KV cells of the requests that finished in the last step, so that the next run
	// on this backend starts from an empty cache.
	if len(s.free) > 0 || len(s.moves) > 0 {
		s.batch.Reset()
		s.takeHousekeeping()
		if err := s.b.Step(&s.batch, nil); err != nil {
			return s.steps, fmt.Errorf("free finished sequences: %w", err)
		}
	}
	return s.steps, nil
}

// issue starts requests while the concurrency limit allows; a request's start is now.
func (s *scheduler) issue(now int64) {
	n := len(s.reqs)
	for s.pending < n && (s.cfg.Concurrency <= 0 || s.inflight < s.cfg.Concurrency) {
		s.records[s.pending].StartNS = now
		s.waiting = append(s.waiting, s.pending)
		s.pending++
		s.inflight++
	}
}

// takeHousekeeping moves the pending frees and renumberings into the batch.
func (s *scheduler) takeHousekeeping() {
	s.batch.Free = append(s.batch.Free, s.free...)
	s.batch.Moves = append(s.batch.Moves, s.moves...)
	s.free = s.free[:0]
	s.moves = s.moves[:0]
}

// collect timestamps the step's sampled tokens, retires finished requests, pauses requests
// when the next step's decodes would not fit a shared cache, and renumbers the remaining
// sequences so that their ids stay compact.
func (s *scheduler) collect(t int64) {
	retired := 0
	for i, seq := range s.rows {
		sl := &s.slots[seq]
		tok := s.out[i]
		rec := &s.records[sl.req]
		rec.TokenNS = append(rec.TokenNS, t)
		if s.cfg.KeepTokens {
			rec.OutputIDs = append(rec.OutputIDs, tok)
		}
		if s.rules.canPause {
			sl.hist = append(sl.hist, tok)
		}
		if sl.gen == 0 {
			rec.FirstTokenNS = t
			s.inTokens += int64(rec.InputTokens)
		}
		sl.decoding = true
		sl.gen++
		sl.last = tok
		s.outTokens++
		if sl.gen >= s.reqs[sl.req].OutputTokens || (s.cfg.EOSID >= 0 && tok == s.cfg.EOSID) {
			rec.EndNS = t
			rec.Status = StatusCompleted
			if s.ev != nil {
				s.finished = append(s.finished, *rec)
			}
			sl.done = true
			s.free = append(s.free, seq)
			if s.rules.reserveWhole {
				s.kvUsed -= len(s.reqs[sl.req].InputIDs) + s.reqs[sl.req].OutputTokens
			}
			s.inflight--
			s.completed++
			retired++
		}
	}
	s.pausedStep = 0
	if s.rules.canPause {
		retired += s.pauseToFit()
	}
	if retired > 0 {
		s.compact(retired)
	}
}

// pauseToFit pauses the most recently admitted requests until the next step's decodes fit
// the shared cache (max_utilization), and returns how many it paused.
func (s *scheduler) pauseToFit() int {
	used, decoders := 0, 0
	for i := 0; i < s.nActive; i++ {
		if sl := &s.slots[i]; !sl.done {
			used += int(sl.pos)
			if sl.decoding {
				decoders++
			}
		}
	}
	paused := 0
	for used+decoders > s.cfg.KVCapacity {
		newest := -1
		for i := 0; i < s.nActive; i++ {
			if sl := &s.slots[i]; !sl.done && (newest < 0 || sl.admitted > s.slots[newest].admitted) {
				newest = i
			}
		}
		if newest < 0 {
			break
		}
		sl := &s.slots[newest]
		used -= int(sl.pos)
		if sl.decoding {
			decoders--
		}
		// Computed again from its prompt and the tokens it generated; the last of those is
		// fed with them, and the prefill's last row samples the token after it.
		park := slot{req: sl.req, gen: sl.gen, hist: sl.hist}
		if sl.gen > 0 {
			park.prompt = append(append(make([]int32, 0, len(s.reqs[sl.req].InputIDs)+len(sl.hist)), s.reqs[sl.req].InputIDs...), sl.hist...)
		}
		s.parked[sl.req] = park
		s.waiting = append([]int{sl.req}, s.waiting...)
		if sl.pos > 0 {
			s.free = append(s.free, int32(newest))
		}
		sl.done = true
		paused++
	}
	s.pausedStep = paused
	return paused
}

// compact renumbers the running sequences after retired ones ended or were paused: those
// that hold KV cells take the lowest ids, the ones with the highest ids moving into the holes
// (a KV copy each), and those whose prompt has not started (no cells, nothing to copy) take
// the ids above them in admission order. A sequence admitted but not yet fed is so never a
// gap among the ids of a step's tokens, which would cut its micro-batches apart.
func (s *scheduler) compact(retired int) {
	keep := s.nActive - retired
	holding := 0
	var unstarted []slot
	for i := 0; i < s.nActive; i++ {
		sl := &s.slots[i]
		switch {
		case sl.done:
		case sl.pos > 0:
			holding++
		default:
			unstarted = append(unstarted, *sl)
			sl.done = true // its id is free: it holds nothing
		}
	}
	hole := int32(0)
	for src := int32(holding); src < int32(s.nActive); src++ {
		if s.slots[src].done {
			continue
		}
		for !s.slots[hole].done {
			hole++
		}
		s.slots[hole] = s.slots[src]
		s.slots[src].done = true
		s.moves = append(s.moves, SeqMove{Src: src, Dst: hole})
		hole++
	}
	slices.SortFunc(unstarted, func(a, b slot) int { return cmp.Compare(a.admitted, b.admitted) })
	for i, sl := range unstarted {
		s.slots[holding+i] = sl
	}
	for i := keep; i < s.nActive; i++ {
		s.slots[i] = slot{}
	}
	s.nActive = keep
}

// failUnfinished ends every request that has not finished with status and reason.
func (s *scheduler) failUnfinished(status Status, reason string) {
	for i := range s.records {
		r := &s.records[i]
		if r.Status == "" {
			r.Status, r.Error = status, reason
			s.failed++
		}
	}
	s.nActive = 0
	s.waiting = s.waiting[:0]
	s.pending = len(s.reqs)
}

func (s *scheduler) kvUsage() float64 {
	c := s.kvCapacity()
	if c == 0 {
		return 0
	}
	return float64(s.kvCells()) / float64(c)
}

// kvCapacity is the KV cells available to all sequences together.
func (s *scheduler) kvCapacity() int {
	if s.cfg.KVCapacity > 0 {
		return s.cfg.KVCapacity
	}
	return s.cfg.MaxSeqLen * s.cfg.MaxBatchSize
}

// kvCells counts the cells in use now (positions already written), not those reserved.
func (s *scheduler) kvCells() int {
	n := 0
	for i := 0; i < s.nActive; i++ {
		n += int(s.slots[i].pos)
	}
	return n
}

func (s *scheduler) snapshot(t int64) {
	dt := float64(t-s.lastSnap) / 1e9
	var outRate, totRate float64
	if dt > 0 {
		outRate = float64(s.outTokens-s.lastSnapOut) / dt
		totRate = float64(s.outTokens-s.lastSnapOut+s.inTokens-s.lastSnapIn) / dt
	}
	s.lastSnap, s.lastSnapOut, s.lastSnapIn = t, s.outTokens, s.inTokens
	snap := Snapshot{
		Phase:              s.phase,
		ElapsedNS:          t,
		OutputTokensPerSec: outRate,
		TotalTokensPerSec:  totRate,
		Running:            s.nActive,
		Queued:             len(s.waiting) + len(s.reqs) - s.pending,
		Completed:          s.completed,
		Failed:             s.failed,
		Total:              len(s.reqs),
		OutputTokens:       s.outTokens,
		InputTokens:        s.inTokens,
		KVUsedCells:        s.kvCells(),
		KVCapacity:         s.kvCapacity(),
		BatchOccupancy:     float64(s.nActive) / float64(s.cfg.MaxBatchSize),
		Steps:              s.steps,
	}
	snap.KVUsage = s.kvUsage()
	snap.Hosts = s.hosts.sample(t)
	if s.hooks.SpeedOfLight != nil && s.nActive > 0 {
		snap.SpeedOfLightTokS = s.hooks.SpeedOfLight(s.nActive, int64(snap.KVUsedCells))
	}
	s.series = append(s.series, snap)
	if s.ev != nil {
		snap.Finished, s.finished = s.finished, nil
		s.ev.Offer(snap)
	}
}
