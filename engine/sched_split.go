package engine

// splitter counts the micro-batches (ubatches) llama.cpp cuts a step's batch into, by the
// rules of its llama_batch_allocr (src/llama-batch.cpp in llama.cpp v0.5.0). Each
// micro-batch is one pass over all the model's weights, so on a GPU the count is what a
// decode-heavy step costs; the scheduler plans prefill chunks against it and the iteration
// log records it.
//
// With one KV stream per sequence (kv_unified off, more than one sequence) llama.cpp uses
// split_equal(n_ubatch, sequential = true): a micro-batch takes the sequence of the first
// token not yet used and every following sequence whose id is one more than the last one
// taken (a gap in the ids ends it), then takes the same number of tokens from each of them:
// one token from each, repeated while every one of them has a token left and the next round
// still fits n_ubatch. A decoding sequence has one token, so a micro-batch that holds one
// holds one token of every sequence in it. With one stream (a unified cache, or a single
// sequence) it uses split_simple: consecutive runs of n_ubatch tokens.
type splitter struct {
	nUBatch  int
	perSeqKV bool

	// Scratch space, kept between steps.
	seqs []int32 // distinct sequences of the batch, in batch order
	left []int   // tokens of each not yet in a micro-batch
}

// count returns the number of micro-batches of a batch whose tokens are grouped by sequence,
// in increasing sequence id order (as the scheduler emits them).
func (sp *splitter) count(seq []int32) int {
	n := len(seq)
	if n == 0 {
		return 0
	}
	u := max(sp.nUBatch, 1)
	if !sp.perSeqKV {
		return (n + u - 1) / u
	}
	sp.seqs, sp.left = sp.seqs[:0], sp.left[:0]
	for i, s := range seq {
		if i == 0 || s != seq[i-1] {
			sp.seqs = append(sp.seqs, s)
			sp.left = append(sp.left, 0)
		}
		sp.left[len(sp.left)-1]++
	}
	count := 0
	first := 0 // the first sequence with tokens left: the first unused token is its
	for {
		for first < len(sp.seqs) && sp.left[first] == 0 {
			first++
		}
		if first == len(sp.seqs) {
			return count
		}
		// The run of sequences with consecutive ids, from the first, that still have tokens.
		// A sequence whose tokens are all used does not appear in the scan of unused tokens,
		// so the run continues past it only if the next one's id follows the last taken.
		members := 0
		minLeft := sp.left[first]
		last := sp.seqs[first] - 1
		for j := first; j < len(sp.seqs); j++ {
			if sp.left[j] == 0 {
				continue
			}
			if sp.seqs[j] != last+1 {
				break
			}
			last = sp.seqs[j]
			members++
			minLeft = min(minLeft, sp.left[j])
			if members > u {
				break
			}
		}
		per := min(minLeft, max(1, u/members))
		taken := 0
		for j := first; j < len(sp.seqs) && taken < members; j++ {
			if sp.left[j] == 0 {
				continue
			}
			sp.left[j] -= per
			taken++
		}
		count++
	}
}
