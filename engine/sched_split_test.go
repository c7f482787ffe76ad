package engine

import "testing"

// seqRuns builds a batch's sequence column from (sequence, tokens) pairs, in order.
func seqRuns(pairs ...int) []int32 {
	var out []int32
	for i := 0; i < len(pairs); i += 2 {
		for range pairs[i+1] {
			out = append(out, int32(pairs[i]))
		}
	}
	return out
}

func repeatRuns(first, n, tokens int) []int {
	var p []int
	for s := first; s < first+n; s++ {
		p = append(p, s, tokens)
	}
	return p
}

// The counts follow llama.cpp's split_equal (sequential) and split_simple, worked by hand
// from src/llama-batch.cpp.
func TestSplitterCountsLlamaCppMicroBatches(t *testing.T) {
	cases := []struct {
		name     string
		nUBatch  int
		perSeqKV bool
		seq      []int32
		want     int
	}{
		{"unified 2048", 512, false, seqRuns(repeatRuns(0, 16, 128)...), 4},
		{"unified 513", 512, false, seqRuns(0, 513), 2},
		{"decode 64", 512, true, seqRuns(repeatRuns(0, 64, 1)...), 1},
		// 64 prompts of 32 tokens: 8 tokens of each per micro-batch.
		{"equal chunks", 512, true, seqRuns(repeatRuns(0, 64, 32)...), 4},
		// 16 prompts of 128 tokens: 32 of each per micro-batch.
		{"first come", 512, true, seqRuns(repeatRuns(0, 16, 128)...), 4},
		// 16 decodes then 16 prompt chunks of 127: one token of all 32, then 126 of each
		// prompt at 32 a micro-batch.
		{"decodes and prompts", 512, true, seqRuns(append(repeatRuns(0, 16, 1), repeatRuns(16, 16, 127)...)...), 5},
		// A gap in the ids ends a micro-batch.
		{"gap", 512, true, seqRuns(0, 1, 1, 1, 3, 1), 2},
		// 48 prompts: 10 tokens of each per micro-batch, so 42 takes five and 40 four.
		{"48 by 42", 512, true, seqRuns(repeatRuns(0, 48, 42)...), 5},
		{"48 by 40", 512, true, seqRuns(repeatRuns(0, 48, 40)...), 4},
		// More sequences than n_ubatch: llama.cpp takes n_ubatch+1 of them, one token each.
		{"many seqs", 4, true, seqRuns(repeatRuns(0, 6, 1)...), 2},
		// Prompts between decodes: after the first micro-batch, each prompt is alone.
		{"interleaved", 512, true, seqRuns(0, 1, 1, 5, 2, 1, 3, 5), 3},
		{"one sequence", 512, true, seqRuns(0, 1000), 2},
		{"empty", 512, true, nil, 0},
	}
	var sp splitter
	for _, c := range cases {
		sp.nUBatch, sp.perSeqKV = c.nUBatch, c.perSeqKV
		if got := sp.count(c.seq); got != c.want {
			t.Errorf("%s: %d micro-batches, want %d", c.name, got, c.want)
		}
	}
}
