package llamacpp

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/benchtui/benchtui/dataset"
	"github.com/benchtui/benchtui/engine"
	"github.com/benchtui/benchtui/report"
)

// openTinyCtx opens the tiny model with a context of nCtx cells shared by nSeq sequences
// (unified) or split among them.
func openTinyCtx(t *testing.T, unified bool, nCtx, nBatch, nUBatch, nSeq int) *Backend {
	t.Helper()
	off := false
	b, err := Open(context.Background(), Options{
		ModelPath: tinyModel(t), Threads: 1, GPULayers: 0, FlashAttn: "auto",
		BackendSampling: &off, OffloadKQV: true, KVUnified: unified,
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	if err := b.CreateContext(nCtx, nBatch, nUBatch, nSeq); err != nil {
		t.Fatal(err)
	}
	return b
}

// Under every policy a request generates what it generates alone: prompts holding back their
// tails, chunks shared by equal progress, sequences renumbered around unstarted ones. On a
// small shared (unified) cache, where max_utilization pauses requests, frees their cells and
// computes them again from their prompt and generated tokens, every request runs to its end
// with every token and llama.cpp never runs out of cells; the tokens themselves are not
// compared there, since attention over a shared cache rounds by where a sequence's cells lie,
// which on the tiny model's near-ties changes tokens from one schedule to the next (the
// engine's tests check the resumed tokens exactly on a backend without rounding).
func TestPoliciesMatchAlone(t *testing.T) {
	reqs, _, err := dataset.GenerateNormal(dataset.NormalOptions{
		GenerateOptions: dataset.GenerateOptions{NumRequests: 12, VocabSize: 2048, EOS: 2, Seed: 11},
		InputMean:       24, InputStdev: 12, OutputMean: 16, OutputStdev: 10,
	})
	if err != nil {
		t.Fatal(err)
	}
	seqLen := report.DatasetStats(reqs).MaxSequenceLength
	alone := openTinyCtx(t, false, seqLen, 32, 32, 1)
	want := make([][]int32, len(reqs))
	for i := range reqs {
		one := engine.Config{MaxBatchSize: 1, MaxNumTokens: 32, MaxSeqLen: seqLen, EOSID: -1, KeepTokens: true}
		r, err := engine.Run(context.Background(), alone, reqs[i:i+1], one, engine.Hooks{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		want[i] = r.Records[0].OutputIDs
	}
	const batch = 6
	cases := []struct {
		name    string
		cfg     engine.Config
		unified bool
	}{
		{"default", engine.Config{}, false},
		{"equal progress", engine.Config{Chunking: engine.ChunkEqualProgress}, false},
		{"first come", engine.Config{Chunking: engine.ChunkFirstComeFirstServed}, false},
		{"waves", engine.Config{Policy: engine.PolicyWaves}, false},
		{"static batch", engine.Config{Policy: engine.PolicyStaticBatch}, false},
		{"unified", engine.Config{KVCapacity: 2 * seqLen}, true},
		// A cache too small for the batch's requests to finish together.
		{"max utilization", engine.Config{Policy: engine.PolicyMaxUtilization, KVCapacity: 2 * seqLen}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := c.cfg
			cfg.MaxBatchSize, cfg.MaxNumTokens, cfg.MaxSeqLen, cfg.EOSID, cfg.KeepTokens = batch, 32, seqLen, -1, true
			nCtx := batch * seqLen
			if c.unified {
				nCtx = cfg.KVCapacity
			}
			b := openTinyCtx(t, c.unified, nCtx, cfg.MaxNumTokens, 32, batch)
			var log bytes.Buffer
			res, err := engine.Run(context.Background(), b, reqs, cfg, engine.Hooks{IterationLog: &log}, nil)
			if err != nil {
				t.Fatal(err)
			}
			for i := range reqs {
				got := res.Records[i].OutputIDs
				switch {
				case res.Records[i].Failed() || len(got) != reqs[i].OutputTokens:
					t.Errorf("request %d: %d tokens of %d (%q)", i, len(got), reqs[i].OutputTokens, res.Records[i].Error)
				case !c.unified && !equalTokens(got, want[i]):
					t.Errorf("request %d: %v batched, %v alone", i, got, want[i])
				}
			}
			paused := 0
			sc := bufio.NewScanner(&log)
			for sc.Scan() {
				var l engine.StepLog
				if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
					t.Fatal(err)
				}
				paused += l.Paused
			}
			if c.cfg.Policy == engine.PolicyMaxUtilization && paused == 0 {
				t.Error("no request was paused: the test does not reach eviction")
			}
		})
	}
}

func equalTokens(a, b []int32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// On llama.cpp, as on the fake backend of the engine's tests, the default policy decodes a
// request in the step after its first token and in every step after that: a burst larger
// than a step's budget, then requests joining as others finish. Each token's step is found
// from the iteration log (a token's time is its step's).
func TestDefaultPolicyDecodesFromTheNextStep(t *testing.T) {
	reqs, _, err := dataset.GenerateNormal(dataset.NormalOptions{
		GenerateOptions: dataset.GenerateOptions{NumRequests: 24, VocabSize: 2048, EOS: 2, Seed: 9},
		InputMean:       48, InputStdev: 24, OutputMean: 12, OutputStdev: 6,
	})
	if err != nil {
		t.Fatal(err)
	}
	seqLen := report.DatasetStats(reqs).MaxSequenceLength
	cfg := engine.Config{MaxBatchSize: 8, MaxNumTokens: 96, MaxSeqLen: seqLen, EOSID: -1}
	b := openTinyCtx(t, false, cfg.MaxBatchSize*seqLen, cfg.MaxNumTokens, 32, cfg.MaxBatchSize)
	var log bytes.Buffer
	res, err := engine.Run(context.Background(), b, reqs, cfg, engine.Hooks{IterationLog: &log}, nil)
	if err != nil {
		t.Fatal(err)
	}
	stepAt := map[int64]int64{}
	multiStepPrefill := false
	sc := bufio.NewScanner(&log)
	for sc.Scan() {
		var l engine.StepLog
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatal(err)
		}
		stepAt[l.TimeNS] = l.Iter
		if l.NumCtxTokens > 0 && l.NumOutputs < l.NumCtxRequests+l.NumGenRequests {
			multiStepPrefill = true // a prompt chunk that is not a prompt's end
		}
	}
	if !multiStepPrefill {
		t.Fatal("no prompt took more than one step: the test does not reach chunked prefill")
	}
	for _, r := range res.Records {
		for k := 1; k < len(r.TokenNS); k++ {
			a, b := stepAt[r.TokenNS[k-1]], stepAt[r.TokenNS[k]]
			if a == 0 || b == 0 {
				t.Fatalf("request %d: token times not in the iteration log", r.Index)
			}
			if b != a+1 {
				t.Errorf("request %d: token %d in step %d, token %d in step %d", r.Index, k, a, k+1, b)
			}
		}
	}
}
