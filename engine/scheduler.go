package engine

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/benchtui/benchtui/dataset"
)

// slot is one sequence of the batch: a request being prefilled or decoded.
type slot struct {
	req      int   // index into the scheduler's requests and records
	seq      int32 // llama.cpp sequence id
	fed      int   // prompt tokens already in the KV cache (or scheduled this step)
	pos      int32 // position of the next token fed
	last     int32 // last sampled token, fed at the next decode step
	gen      int   // tokens generated so far
	decoding bool
	done     bool
}

// scheduler runs one set of requests with in-flight batching: every step it feeds one token
// of every decoding sequence, then prompt chunks of prefilling ones within the token budget,
// then admits waiting requests while sequences (and KV cells) are free. Requests join as
// others finish; a finished sequence's KV cells are freed at the start of the next step.
type scheduler struct {
	b     Backend
	reqs  []dataset.Request
	cfg   Config
	phase Phase
	ev    *Events

	records []Record
	epoch   time.Time

	pending  int   // next request to start
	waiting  []int // started, not yet admitted (FIFO)
	active   []*slot
	slots    []slot
	freeSeqs []int32
	toFree   []int32
	inflight int
	kvUsed   int // cells reserved by active sequences (prompt + output)

	completed, failed int
	outTokens         int64
	inTokens          int64
	decodeRotate      int

	batch Batch
	rows  []*slot
	out   []int32

	lastSnap    int64
	lastSnapOut int64
	lastSnapIn  int64
	steps       int64
	series      []Snapshot
}

func newScheduler(b Backend, reqs []dataset.Request, cfg Config, phase Phase, ev *Events) *scheduler {
	s := &scheduler{
		b:       b,
		reqs:    reqs,
		cfg:     cfg,
		phase:   phase,
		ev:      ev,
		records: make([]Record, len(reqs)),
		slots:   make([]slot, cfg.MaxBatchSize),
		out:     make([]int32, cfg.MaxBatchSize),
		rows:    make([]*slot, 0, cfg.MaxBatchSize),
	}
	s.batch = Batch{
		Tokens: make([]int32, 0, cfg.MaxNumTokens),
		Pos:    make([]int32, 0, cfg.MaxNumTokens),
		Seq:    make([]int32, 0, cfg.MaxNumTokens),
		Output: make([]int8, 0, cfg.MaxNumTokens),
	}
	s.freeSeqs = make([]int32, 0, cfg.MaxBatchSize)
	for i := cfg.MaxBatchSize - 1; i >= 0; i-- {
		s.freeSeqs = append(s.freeSeqs, int32(i))
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
	n := len(s.reqs)
	var stepLog StepLog
	for s.completed+s.failed < n {
		if err := ctx.Err(); err != nil {
			s.failUnfinished("canceled")
			return s.steps, fmt.Errorf("%w after %d of %d requests", ErrCanceled, s.completed, n)
		}
		now := s.now()
		s.issue(now)
		ctxReqs, ctxTokens, genReqs := s.build(now)
		if s.batch.Len() == 0 {
			// Validate guarantees that a request fits an empty engine, so an empty batch
			// with unfinished requests is a scheduler bug: fail loudly rather than spin.
			s.failUnfinished("scheduler stalled")
			return s.steps, fmt.Errorf("scheduler stalled with %d waiting and %d active requests", len(s.waiting), len(s.active))
		}
		t0 := time.Now()
		err := s.b.Step(s.toFree, &s.batch, s.out[:len(s.rows)])
		tEnd := s.now()
		s.toFree = s.toFree[:0]
		s.steps++
		if err != nil {
			s.failUnfinished(err.Error())
			return s.steps, fmt.Errorf("decode step %d (%d tokens, %d sequences): %w", s.steps, s.batch.Len(), len(s.active), err)
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
				Running:        len(s.active),
				Queued:         len(s.waiting) + (n - s.pending),
				KVUsedCells:    s.kvUsed,
				KVUsage:        s.kvUsage(),
				Completed:      s.completed,
			}
			if err := enc.Encode(&stepLog); err != nil {
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
	if len(s.toFree) > 0 {
		s.batch.Reset()
		if err := s.b.Step(s.toFree, &s.batch, nil); err != nil {
			return s.steps, fmt.Errorf("free finished sequences: %w", err)
		}
		s.toFree = s.toFree[:0]
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

// build fills the batch for one step and returns how many prompt (context) requests and
// tokens and how many generation requests it holds.
func (s *scheduler) build(now int64) (ctxReqs, ctxTokens, genReqs int) {
	s.batch.Reset()
	s.rows = s.rows[:0]
	budget := s.cfg.MaxNumTokens

	// Decodes first, one token each. When there are more than the budget (max_batch_size >
	// max_num_tokens), rotate the starting point so no sequence starves.
	na := len(s.active)
	if na > 0 {
		start := s.decodeRotate % na
		for k := 0; k < na && budget > 0; k++ {
			sl := s.active[(start+k)%na]
			if !sl.decoding {
				continue
			}
			s.batch.Add(sl.last, sl.pos, sl.seq, true)
			s.rows = append(s.rows, sl)
			sl.pos++
			budget--
			genReqs++
		}
		s.decodeRotate++
	}
	// Then prompt chunks of sequences already prefilling, oldest first.
	for _, sl := range s.active {
		if budget == 0 {
			break
		}
		if sl.decoding {
			continue
		}
		used := s.feedPrompt(sl, budget)
		budget -= used
		ctxReqs++
		ctxTokens += used
	}
	// Then new requests, while sequences and KV cells are free.
	for budget > 0 && len(s.waiting) > 0 && len(s.freeSeqs) > 0 {
		i := s.waiting[0]
		need := len(s.reqs[i].InputIDs) + s.reqs[i].OutputTokens
		if s.cfg.KVCapacity > 0 && s.kvUsed+need > s.cfg.KVCapacity {
			break
		}
		s.waiting = s.waiting[1:]
		seq := s.freeSeqs[len(s.freeSeqs)-1]
		s.freeSeqs = s.freeSeqs[:len(s.freeSeqs)-1]
		sl := &s.slots[seq]
		*sl = slot{req: i, seq: seq}
		s.active = append(s.active, sl)
		s.kvUsed += need
		s.records[i].AdmitNS = now
		s.records[i].TokenNS = make([]int64, 0, s.reqs[i].OutputTokens)
		used := s.feedPrompt(sl, budget)
		budget -= used
		ctxReqs++
		ctxTokens += used
	}
	return ctxReqs, ctxTokens, genReqs
}

// feedPrompt adds up to budget prompt tokens of sl; the last prompt token asks for an output.
func (s *scheduler) feedPrompt(sl *slot, budget int) int {
	prompt := s.reqs[sl.req].InputIDs
	chunk := min(len(prompt)-sl.fed, budget)
	for j := 0; j < chunk; j++ {
		last := sl.fed+j == len(prompt)-1
		s.batch.Add(prompt[sl.fed+j], sl.pos, sl.seq, last)
		sl.pos++
		if last {
			s.rows = append(s.rows, sl)
		}
	}
	sl.fed += chunk
	return chunk
}

// collect timestamps the step's sampled tokens and retires finished requests.
func (s *scheduler) collect(t int64) {
	anyDone := false
	for i, sl := range s.rows {
		tok := s.out[i]
		rec := &s.records[sl.req]
		rec.TokenNS = append(rec.TokenNS, t)
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
			s.retire(sl)
			s.completed++
			anyDone = true
		}
	}
	if anyDone {
		kept := s.active[:0]
		for _, sl := range s.active {
			if !sl.done {
				kept = append(kept, sl)
			}
		}
		clear(s.active[len(kept):])
		s.active = kept
	}
}

func (s *scheduler) retire(sl *slot) {
	sl.done = true
	s.toFree = append(s.toFree, sl.seq)
	s.freeSeqs = append(s.freeSeqs, sl.seq)
	s.kvUsed -= len(s.reqs[sl.req].InputIDs) + s.reqs[sl.req].OutputTokens
	s.inflight--
}

// failUnfinished marks every request that has not finished as failed with reason.
func (s *scheduler) failUnfinished(reason string) {
	for i := range s.records {
		r := &s.records[i]
		if r.EndNS == 0 && r.Error == "" {
			r.Error = reason
			s.failed++
		}
	}
	s.active = s.active[:0]
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
	for _, sl := range s.active {
		n += int(sl.pos)
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
		Running:            len(s.active),
		Queued:             len(s.waiting) + len(s.reqs) - s.pending,
		Completed:          s.completed,
		Failed:             s.failed,
		Total:              len(s.reqs),
		OutputTokens:       s.outTokens,
		InputTokens:        s.inTokens,
		KVUsedCells:        s.kvCells(),
		KVCapacity:         s.kvCapacity(),
		BatchOccupancy:     float64(len(s.active)) / float64(s.cfg.MaxBatchSize),
		Steps:              s.steps,
	}
	snap.KVUsage = s.kvUsage()
	if s.ev != nil {
		s.series = append(s.series, snap)
		s.ev.Offer(snap)
	}
}
