package engine

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"time"

	"github.com/benchtui/benchtui/dataset"
)

// slot is one sequence of the batch: a request being prefilled or decoded.
type slot struct {
	req      int   // index into the scheduler's requests and records
	admitted int64 // admission order, for prefill priority
	wave     int64 // the step that admitted it: requests admitted together start decoding together
	fed      int   // prompt tokens already in the KV cache (or scheduled this step)
	pos      int32 // position of the next token fed
	last     int32 // last sampled token, fed at the next decode step
	gen      int   // tokens generated so far
	plan     int   // tokens this slot feeds in the step being built
	decoding bool
	done     bool
}

// scheduler runs one set of requests with in-flight batching: every step it feeds one token
// of every decoding sequence, then prompt chunks of prefilling ones within the token budget,
// then admits waiting requests while sequences (and KV cells) are free. Requests join as
// others finish; a finished sequence's KV cells are freed at the start of the next step.
//
// Requests admitted in the same step form a wave, and a wave starts decoding together: a member
// whose prompt is done waits until every member's prompt is done. A burst larger than one
// step's token budget would otherwise start decoding in staggers, which costs throughput twice:
// every step of the burst's prefill carries an extra micro-batch for the early members'
// decodes, and the last steps of the run decode only the late members, each such step reading
// all the weights for a part-empty batch. Sequences already decoding when a wave arrives keep
// decoding, so a request joining a busy engine never stalls the others.
//
// Sequence ids stay compact: the n running requests use ids 0..n-1, and the tokens of a step
// are in increasing id order. llama.cpp's per-sequence KV cache (kv_unified off) splits a
// batch into micro-batches of consecutive sequence ids, and each micro-batch reads all the
// weights once, so gaps in the ids would multiply the cost of a decode step. When requests
// finish, the highest ids are renumbered into the holes (a KV copy inside llama.cpp).
type scheduler struct {
	b     Backend
	reqs  []dataset.Request
	cfg   Config
	hooks Hooks
	phase Phase
	ev    *Events

	records []Record
	epoch   time.Time

	pending  int   // next request to start
	waiting  []int // started, not yet admitted (FIFO)
	slots    []slot
	nActive  int // slots 0..nActive-1 are running
	admitSeq int64
	inflight int
	kvUsed   int // cells reserved by active sequences (prompt + output)

	// KV housekeeping for the next step, from the requests that finished in the last one.
	free  []int32
	moves []SeqMove

	completed, failed int
	outTokens         int64
	inTokens          int64
	decodeRotate      int

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
	s := &scheduler{
		b:        b,
		reqs:     reqs,
		cfg:      cfg,
		hooks:    hooks,
		phase:    phase,
		ev:       ev,
		records:  make([]Record, len(reqs)),
		slots:    make([]slot, cfg.MaxBatchSize),
		out:      make([]int32, cfg.MaxBatchSize),
		rows:     make([]int32, 0, cfg.MaxBatchSize),
		prefills: make([]int32, 0, cfg.MaxBatchSize),
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

func (s *scheduler) run(ctx context.Context, iterLog io.Writer) (int64, error) {
	var enc *json.Encoder
	var bw *bufio.Writer
	if iterLog != nil {
		bw = bufio.NewWriterSize(iterLog, 64<<10)
		enc = json.NewEncoder(bw)
		defer bw.Flush()
	}
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
		ctxReqs, ctxTokens, genReqs := s.build(now)
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
		if enc != nil {
			stepLog = StepLog{
				Iter:           s.steps,
				TimeNS:         tEnd,
				DurationNS:     int64(time.Since(t0)),
				NumTokens:      s.batch.Len(),
				NumCtxRequests: ctxReqs,
				NumCtxTokens:   ctxTokens,
				NumGenRequests: genReqs,
				NumOutputs:     len(s.rows),
				Running:        s.nActive,
				Queued:         len(s.waiting) + (n - s.pending),
				KVUsedCells:    s.kvCells(),
				KVUsage:        s.kvUsage(),
				Completed:      s.completed,
			}
			if err := enc.Encode(&stepLog); err != nil {
				s.failUnfinished(StatusFailed, "write iteration log: "+err.Error())
				return s.steps, fmt.Errorf("write iteration log: %w", err)
			}
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

// build fills the batch for one step and returns how many prompt (context) requests and
// tokens and how many generation requests it holds.
func (s *scheduler) build(now int64) (ctxReqs, ctxTokens, genReqs int) {
	s.batch.Reset()
	s.takeHousekeeping()
	s.rows = s.rows[:0]
	budget := s.cfg.MaxNumTokens

	// Decodes first, one token each. Only when there are more than the budget
	// (max_batch_size > max_num_tokens) does the starting point rotate, so that no
	// sequence starves.
	start := 0
	if s.nActive > budget {
		start = s.decodeRotate % s.nActive
		s.decodeRotate++
	}
	// The oldest wave with a prompt still to feed: its members and any younger ones wait.
	hold := int64(math.MaxInt64)
	for i := 0; i < s.nActive; i++ {
		if !s.slots[i].decoding {
			hold = min(hold, s.slots[i].wave)
		}
	}
	s.prefills = s.prefills[:0]
	for k := 0; k < s.nActive; k++ {
		sl := &s.slots[(start+k)%s.nActive]
		sl.plan = 0
		if !sl.decoding {
			s.prefills = append(s.prefills, int32((start+k)%s.nActive))
			continue
		}
		if budget > 0 && sl.wave < hold {
			sl.plan = 1
			budget--
			genReqs++
		}
	}
	// Then prompt chunks of sequences already prefilling, oldest first.
	slices.SortFunc(s.prefills, func(a, b int32) int { return cmp.Compare(s.slots[a].admitted, s.slots[b].admitted) })
	for _, seq := range s.prefills {
		if budget == 0 {
			break
		}
		sl := &s.slots[seq]
		sl.plan = min(len(s.reqs[sl.req].InputIDs)-sl.fed, budget)
		budget -= sl.plan
		ctxReqs++
		ctxTokens += sl.plan
	}
	// Then new requests, while sequences and KV cells are free, even past the token budget: a
	// request admitted with no budget left waits for its prompt's turn in admission order,
	// and so a burst that needs several steps of prefill still forms one wave. A new request
	// takes the next id after the running ones.
	static := s.cfg.Static && s.nActive > 0 // a static batch admits only into an empty engine
	for !static && len(s.waiting) > 0 && s.nActive < s.cfg.MaxBatchSize {
		i := s.waiting[0]
		need := len(s.reqs[i].InputIDs) + s.reqs[i].OutputTokens
		if s.cfg.KVCapacity > 0 && s.kvUsed+need > s.cfg.KVCapacity {
			break
		}
		s.waiting = s.waiting[1:]
		sl := &s.slots[s.nActive]
		s.nActive++
		s.admitSeq++
		*sl = slot{req: i, admitted: s.admitSeq, wave: s.steps}
		s.kvUsed += need
		s.records[i].AdmitNS = now
		s.records[i].TokenNS = make([]int64, 0, s.reqs[i].OutputTokens)
		sl.plan = min(len(s.reqs[i].InputIDs), budget)
		budget -= sl.plan
		if sl.plan > 0 {
			ctxReqs++
			ctxTokens += sl.plan
		}
	}
	// Emit in increasing sequence id order (see the type's comment).
	for seq := int32(0); seq < int32(s.nActive); seq++ {
		sl := &s.slots[seq]
		if sl.plan == 0 {
			continue
		}
		if sl.decoding {
			s.batch.Add(sl.last, sl.pos, seq, true)
			s.rows = append(s.rows, seq)
			sl.pos++
			continue
		}
		prompt := s.reqs[sl.req].InputIDs
		for j := 0; j < sl.plan; j++ {
			last := sl.fed+j == len(prompt)-1
			s.batch.Add(prompt[sl.fed+j], sl.pos, seq, last)
			sl.pos++
			if last {
				s.rows = append(s.rows, seq)
			}
		}
		sl.fed += sl.plan
	}
	return ctxReqs, ctxTokens, genReqs
}

// collect timestamps the step's sampled tokens, retires finished requests and renumbers the
// remaining sequences so that their ids stay compact.
func (s *scheduler) collect(t int64) {
	finished := 0
	for i, seq := range s.rows {
		sl := &s.slots[seq]
		tok := s.out[i]
		rec := &s.records[sl.req]
		rec.TokenNS = append(rec.TokenNS, t)
		if s.cfg.KeepTokens {
			rec.OutputIDs = append(rec.OutputIDs, tok)
		}
		if sl.gen == 0 {
			rec.FirstTokenNS = t
			sl.decoding = true
			s.inTokens += int64(rec.InputTokens)
		}
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
			s.kvUsed -= len(s.reqs[sl.req].InputIDs) + s.reqs[sl.req].OutputTokens
			s.inflight--
			s.completed++
			finished++
		}
	}
	if finished == 0 {
		return
	}
	// Move the running sequences with the highest ids into the holes below the new count.
	keep := s.nActive - finished
	hole := int32(0)
	for src := int32(keep); src < int32(s.nActive); src++ {
		if s.slots[src].done {
			continue
		}
		for !s.slots[hole].done {
			hole++
		}
		s.slots[hole] = s.slots[src]
		s.slots[src].done = true
		// A sequence admitted whose prompt has not started holds no KV cells to copy.
		if s.slots[hole].pos > 0 {
			s.moves = append(s.moves, SeqMove{Src: src, Dst: hole})
		}
		hole++
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
