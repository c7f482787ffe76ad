package engine

import (
	"cmp"
	"math"
	"slices"
)

// stepPlan is what build put into a step, for the iteration log.
type stepPlan struct {
	ctxReqs, ctxTokens, genReqs int
	microBatches                int
}

// build fills the batch for one step: KV housekeeping, admissions, one token of every
// decoding sequence, then prompt chunks in the budget left.
func (s *scheduler) build(now int64) stepPlan {
	s.batch.Reset()
	s.takeHousekeeping()
	s.rows = s.rows[:0]
	s.admit(now)

	budget := s.cfg.MaxNumTokens
	var p stepPlan
	// Decodes first, one token each. Only when there are more than the budget
	// (max_batch_size > max_num_tokens) does the starting point rotate, so that no
	// sequence starves.
	start := 0
	if s.nActive > budget {
		start = s.decodeRotate % s.nActive
		s.decodeRotate++
	}
	// Waves: the oldest wave with a prompt still to feed holds its members and younger ones.
	hold := int64(math.MaxInt64)
	if s.rules.waves {
		for i := 0; i < s.nActive; i++ {
			if !s.slots[i].decoding {
				hold = min(hold, s.slots[i].wave)
			}
		}
	}
	s.prefills = s.prefills[:0]
	for k := 0; k < s.nActive; k++ {
		seq := (start + k) % s.nActive
		sl := &s.slots[seq]
		sl.plan = 0
		if !sl.decoding {
			s.prefills = append(s.prefills, int32(seq))
			continue
		}
		if budget > 0 && sl.wave < hold {
			sl.plan = 1
			budget--
			p.genReqs++
		}
	}
	// A shared cache that pausing keeps full has room only for the cells that are free.
	if s.rules.canPause {
		budget = min(budget, max(0, s.cfg.KVCapacity-s.kvCells()-p.genReqs))
	}
	slices.SortFunc(s.prefills, func(a, b int32) int { return cmp.Compare(s.slots[a].admitted, s.slots[b].admitted) })
	switch s.rules.chunking {
	case ChunkEqualProgress:
		s.planEqualProgress(budget, p.genReqs > 0)
	case ChunkAlignedFinish:
		s.planAlignedFinish(budget)
	default:
		s.planFirstCome(budget)
	}
	for _, seq := range s.prefills {
		if n := s.slots[seq].plan; n > 0 {
			p.ctxReqs++
			p.ctxTokens += n
		}
	}
	s.placeUnstarted()
	s.emit()
	p.microBatches = s.split.count(s.batch.Seq)
	return p
}

// placeUnstarted gives the sequences whose prompts start this step the ids right above those
// that hold KV cells, and those still waiting the ids above them: neither holds cells, so
// renumbering them costs nothing, and a sequence that waits is then never a gap among the ids
// of the step's tokens (which would cut its micro-batches apart).
func (s *scheduler) placeUnstarted() {
	first := s.nActive
	for i := 0; i < s.nActive; i++ {
		if s.slots[i].pos == 0 {
			first = i
			break
		}
	}
	tail := s.slots[first:s.nActive]
	// Stable: admission order is kept within each group.
	slices.SortStableFunc(tail, func(a, b slot) int {
		return cmp.Compare(boolInt(a.plan == 0), boolInt(b.plan == 0))
	})
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// admit takes waiting requests into free sequences while the policy's KV rule allows. A new
// request takes the next id after the running ones; its prompt is fed from this step on.
func (s *scheduler) admit(now int64) {
	if s.rules.static && s.nActive > 0 {
		return // a static batch admits only into an empty engine
	}
	// Cells the requests already admitted will hold when their prompts are done, and one a
	// step for each decoding one (max_utilization's view of what is free).
	committed := 0
	if s.rules.canPause {
		for i := 0; i < s.nActive; i++ {
			sl := &s.slots[i]
			committed += int(sl.pos) + len(sl.prompt) - sl.fed
			if sl.decoding {
				committed++
			}
		}
	}
	from := s.nActive
	defer func() {
		if s.rules.chunking == ChunkFirstComeFirstServed || s.nActive-from < 2 {
			return // first come, first served keeps the order they came in
		}
		// Requests admitted together finish together, so their order among themselves is
		// free: longest prompt first makes a step's chunks fall in length with the ids, and
		// a micro-batch, which takes as many tokens from each of its consecutive sequences,
		// then loses sequences only from its end as they run out (see splitter).
		fresh := s.slots[from:s.nActive]
		seqs := make([]int64, len(fresh))
		for k := range fresh {
			seqs[k] = fresh[k].admitted
		}
		slices.SortStableFunc(fresh, func(a, b slot) int { return cmp.Compare(len(b.prompt), len(a.prompt)) })
		for k := range fresh {
			fresh[k].admitted = seqs[k]
		}
	}()
	for len(s.waiting) > 0 && s.nActive < s.cfg.MaxBatchSize {
		i := s.waiting[0]
		park, resumed := s.parked[i]
		prompt := s.reqs[i].InputIDs
		if resumed && park.prompt != nil {
			prompt = park.prompt
		}
		whole := len(s.reqs[i].InputIDs) + s.reqs[i].OutputTokens
		switch {
		case s.cfg.KVCapacity == 0:
		case s.rules.reserveWhole:
			if s.kvUsed+whole > s.cfg.KVCapacity {
				return
			}
		case committed+len(prompt) > s.cfg.KVCapacity:
			return
		}
		s.waiting = s.waiting[1:]
		sl := &s.slots[s.nActive]
		s.nActive++
		s.admitSeq++
		*sl = slot{req: i, admitted: s.admitSeq, wave: s.steps, prompt: prompt}
		if resumed {
			sl.gen, sl.hist = park.gen, park.hist
			delete(s.parked, i)
		} else {
			s.records[i].AdmitNS = now
			s.records[i].TokenNS = make([]int64, 0, s.reqs[i].OutputTokens)
		}
		if s.rules.reserveWhole {
			s.kvUsed += whole
		}
		committed += len(prompt)
	}
}

// planFirstCome gives the budget to the oldest prompt first, as far as it goes.
func (s *scheduler) planFirstCome(budget int) {
	for _, seq := range s.prefills {
		if budget == 0 {
			return
		}
		sl := &s.slots[seq]
		sl.plan = min(len(sl.prompt)-sl.fed, budget)
		budget -= sl.plan
	}
}

// planAlignedFinish feeds prompts first come, first served, wave by wave (a wave: the
// prompts admitted in one step), and makes a wave's prompts finish in one step. While the
// whole rest of a wave does not fit the budget left, each of its prompts holds back its last
// token and only the rest (its body) is fed; once it fits, every prompt of the wave is fed to
// its end. The last step then holds one token of each prompt (and what is left of the last
// bodies): one micro-batch like a decode step's, where a longer tail would put more tokens
// in micro-batches of a few tokens of many sequences, which CPU attention runs slowly. A
// wave with more prompts than the budget can end together is fed first come, first served.
//
// The bodies of a step are fed in chunks of one length: llama.cpp's micro-batch takes the same
// number of tokens from each of its sequences, so the end of one body and the start of the
// next in one step would cut a micro-batch short. Budget that a whole chunk does not fit is
// left unused (at most one body's length a step).
func (s *scheduler) planAlignedFinish(budget int) {
	for lo := 0; lo < len(s.prefills) && budget > 0; {
		wave := s.slots[s.prefills[lo]].wave
		hi := lo
		rest := 0
		for hi < len(s.prefills) && s.slots[s.prefills[hi]].wave == wave {
			sl := &s.slots[s.prefills[hi]]
			rest += len(sl.prompt) - sl.fed
			hi++
		}
		members := s.prefills[lo:hi]
		lo = hi
		n := len(members)
		if rest <= budget || n > budget {
			for _, seq := range members {
				sl := &s.slots[seq]
				sl.plan = min(len(sl.prompt)-sl.fed, budget)
				budget -= sl.plan
			}
			continue
		}
		first := 0
		for _, seq := range members {
			sl := &s.slots[seq]
			body := len(sl.prompt) - sl.fed - 1
			if body <= 0 {
				continue
			}
			take := min(body, budget)
			if first == 0 {
				first = take
			} else if take < body && take < first {
				break
			}
			sl.plan = take
			budget -= take
		}
		// A wave still prefilling keeps the budget for itself: a younger wave fed now would
		// hold prompts that finish after it anyway.
		return
	}
}

// planEqualProgress feeds every prompt the same number of tokens, so that prompts admitted
// together finish in the same step (see the scheduler's comment). The chunk is rounded to
// what fills llama.cpp's micro-batches: a micro-batch of the n prompts takes n_ubatch/n
// tokens from each, and when decodes share the step, the first token of each prompt rides in
// the decodes' micro-batch. Budget that a whole round cannot use is left unused rather than
// given to a few prompts: uneven chunks would cost micro-batches, and the prompts would no
// longer finish together. Prompts that finish with less than the chunk leave budget that
// the others share in a further round.
func (s *scheduler) planEqualProgress(budget int, decodes bool) {
	lead := 0
	if decodes && s.split.perSeqKV {
		lead = 1
	}
	for budget > 0 {
		open := 0
		for _, seq := range s.prefills {
			if sl := &s.slots[seq]; len(sl.prompt)-sl.fed-sl.plan > 0 {
				open++
			}
		}
		if open == 0 {
			return
		}
		share := budget / open
		if share == 0 {
			// Fewer tokens than prompts: the oldest get one each.
			for _, seq := range s.prefills {
				if sl := &s.slots[seq]; budget > 0 && len(sl.prompt)-sl.fed-sl.plan > 0 {
					sl.plan++
					budget--
				}
			}
			return
		}
		chunk := share
		if s.split.perSeqKV {
			if unit := max(1, s.split.nUBatch/open); share-lead >= unit {
				chunk = lead + (share-lead)/unit*unit
			}
		}
		finished := false
		for _, seq := range s.prefills {
			sl := &s.slots[seq]
			left := len(sl.prompt) - sl.fed - sl.plan
			if left <= 0 {
				continue
			}
			add := min(chunk, left)
			if add < chunk {
				finished = true
			}
			sl.plan += add
			budget -= add
		}
		if !finished {
			return
		}
		lead = 0 // later rounds extend chunks whose first token is placed
	}
}

// emit writes the planned tokens into the batch in increasing sequence id order (see the
// scheduler's comment).
func (s *scheduler) emit() {
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
		for j := 0; j < sl.plan; j++ {
			last := sl.fed+j == len(sl.prompt)-1
			s.batch.Add(sl.prompt[sl.fed+j], sl.pos, seq, last)
			sl.pos++
			if last {
				s.rows = append(s.rows, seq)
			}
		}
		sl.fed += sl.plan
	}
}
