package llamacpp

import (
	"context"
	"math"
	"os"
	"sync"
	"testing"

	"github.com/benchtui/benchtui/dataset"
	"github.com/benchtui/benchtui/engine"
	"github.com/benchtui/benchtui/report"
	"github.com/benchtui/benchtui/synth"
)

// These tests run real llama.cpp inference on the tiny synthetic model. The library comes
// from scripts/setup-llama.sh (scripts/test.sh runs it first); without it they fail, since
// the project's own setup installs it.

var (
	tinyOnce sync.Once
	tinyPath string
	tinyErr  error
)

// TestMain keeps the synthetic models of the tests in a temporary cache.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "benchtui-test-models")
	if err != nil {
		panic(err)
	}
	os.Setenv(synth.CacheDirEnv, dir)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func tinyModel(t *testing.T) string {
	t.Helper()
	tinyOnce.Do(func() {
		m, err := synth.ParseModel("tiny")
		if err != nil {
			tinyErr = err
			return
		}
		tinyPath, tinyErr = synth.Ensure(context.Background(), m, 7, nil)
	})
	if tinyErr != nil {
		t.Fatalf("write tiny model: %v", tinyErr)
	}
	return tinyPath
}

func openTiny(t *testing.T, backendSampling bool, nCtx, nBatch, nSeq int) *Backend {
	t.Helper()
	b, err := Open(context.Background(), Options{
		ModelPath: tinyModel(t), Threads: 1, GPULayers: 0, FlashAttn: "auto",
		BackendSampling: &backendSampling, OffloadKQV: true,
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	if err := b.CreateContext(nCtx, nBatch, 0, nSeq); err != nil {
		t.Fatal(err)
	}
	return b
}

func TestOpenInfo(t *testing.T) {
	b := openTiny(t, true, 4*256, 256, 4)
	info := b.Info()
	p, _ := synth.LookupPreset("tiny")
	if info.NVocab != p.Vocab || info.NLayer != p.Layers || info.NEmbd != p.Hidden {
		t.Errorf("info %+v does not match the tiny preset %+v", info, p)
	}
	if info.NSeqMax != 4 || info.NCtxSeq < 256 {
		t.Errorf("context n_seq_max %d n_ctx_seq %d, want 4 and >= 256", info.NSeqMax, info.NCtxSeq)
	}
	if info.RunsOn != "CPU" || info.Version == "" {
		t.Errorf("runs on %q version %q", info.RunsOn, info.Version)
	}
}

// decodeGreedy prefills prompt on sequence 0 and decodes n tokens, returning them.
func decodeGreedy(t *testing.T, b *Backend, prompt []int32, n int) []int32 {
	t.Helper()
	var batch engine.Batch
	for i, tok := range prompt {
		batch.Add(tok, int32(i), 0, i == len(prompt)-1)
	}
	out := make([]int32, 1)
	var toks []int32
	pos := int32(len(prompt))
	for len(toks) < n {
		if err := b.Step(&batch, out); err != nil {
			t.Fatal(err)
		}
		toks = append(toks, out[0])
		batch.Reset()
		batch.Add(out[0], pos, 0, true)
		pos++
	}
	if err := b.Step(&engine.Batch{Free: []int32{0}}, nil); err != nil {
		t.Fatal(err)
	}
	return toks
}

// Backend sampling (greedy inside the graph) and the fallback (greedy on the logits copied
// back) must pick the same tokens.
func TestBackendSamplingMatchesLogits(t *testing.T) {
	prompt := []int32{1, 100, 200, 300, 400, 500, 600, 700}
	a := decodeGreedy(t, openTiny(t, true, 256, 64, 1), prompt, 12)
	c := decodeGreedy(t, openTiny(t, false, 256, 64, 1), prompt, 12)
	for i := range a {
		if a[i] != c[i] {
			t.Fatalf("token %d: backend sampling %d, logits greedy %d (all %v vs %v)", i, a[i], c[i], a, c)
		}
		if a[i] < 0 || int(a[i]) >= 2048 {
			t.Fatalf("token %d out of the vocabulary", a[i])
		}
	}
}

func TestTokenize(t *testing.T) {
	b := openTiny(t, true, 256, 64, 1)
	toks, err := b.Tokenize("Explain KV caches. ünïcödé 🚀")
	if err != nil {
		t.Fatal(err)
	}
	if len(toks) < 5 || toks[0] != b.Info().BOS {
		t.Errorf("tokens %v: want BOS first and several tokens", toks)
	}
}

// A real run of dozens of requests of different lengths: exact token counts, requests that
// really overlap, and aggregate metrics that agree with the per-request records.
func TestRunTinyInFlight(t *testing.T) {
	const nReq, maxBatch = 48, 8
	reqs, _, err := dataset.GenerateNormal(dataset.NormalOptions{
		GenerateOptions: dataset.GenerateOptions{NumRequests: nReq, VocabSize: 2048, EOS: 2, Seed: 3},
		InputMean:       40, InputStdev: 20, OutputMean: 24, OutputStdev: 12,
	})
	if err != nil {
		t.Fatal(err)
	}
	stats := report.DatasetStats(reqs)
	cfg := engine.Config{
		MaxBatchSize: maxBatch, MaxNumTokens: 64, MaxSeqLen: stats.MaxSequenceLength,
		Concurrency: -1, Warmup: 2, EOSID: -1,
	}
	b := openTiny(t, true, maxBatch*cfg.MaxSeqLen, cfg.MaxNumTokens, maxBatch)
	if err := engine.Validate(reqs, cfg, b.Info().NVocab); err != nil {
		t.Fatal(err)
	}
	res, err := engine.Run(context.Background(), b, reqs, cfg, engine.Hooks{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var sumOut int
	var minStart, maxEnd int64 = math.MaxInt64, 0
	for i, r := range res.Records {
		if r.Failed() {
			t.Fatalf("request %d failed: %s", i, r.Error)
		}
		if r.OutputTokens() != reqs[i].OutputTokens {
			t.Errorf("request %d: %d tokens, want exactly %d", i, r.OutputTokens(), reqs[i].OutputTokens)
		}
		for k := 1; k < len(r.TokenNS); k++ {
			if r.TokenNS[k] < r.TokenNS[k-1] {
				t.Fatalf("request %d: token times go back", i)
			}
		}
		sumOut += r.OutputTokens()
		minStart = min(minStart, r.StartNS)
		maxEnd = max(maxEnd, r.EndNS)
	}
	// In-flight batching: a request admitted while an earlier one was decoding, and at some
	// moment more than one request between first token and end.
	joined := false
	for _, a := range res.Records {
		for _, c := range res.Records {
			if c.AdmitNS > a.FirstTokenNS && c.AdmitNS < a.EndNS {
				joined = true
			}
		}
	}
	if !joined {
		t.Error("no request joined the batch while another was decoding")
	}
	m := report.ComputeMetrics(res.Records, 1, 1)
	T := float64(maxEnd-minStart) / 1e9
	if m.NumCompleted != nReq || m.TotalOutputTokens != int64(sumOut) {
		t.Errorf("metrics count %d requests %d tokens, records %d and %d", m.NumCompleted, m.TotalOutputTokens, nReq, sumOut)
	}
	if want := float64(sumOut) / T; math.Abs(m.OutputThroughput-want) > 1e-6*want {
		t.Errorf("output throughput %.3f, records give %.3f", m.OutputThroughput, want)
	}
	if want := float64(nReq) / T; math.Abs(m.RequestThroughput-want) > 1e-6*want {
		t.Errorf("request throughput %.3f, records give %.3f", m.RequestThroughput, want)
	}
	if m.AvgConcurrentRequests <= 1.5 {
		t.Errorf("average concurrency %.2f: requests did not overlap", m.AvgConcurrentRequests)
	}
	if m.ITLMS.Count != sumOut-nReq {
		t.Errorf("ITL pools %d gaps, want %d", m.ITLMS.Count, sumOut-nReq)
	}
}

// A batch that llama.cpp refuses ends the run with an error naming the step, not a hang.
func TestStepErrorIsReported(t *testing.T) {
	b := openTiny(t, true, 256, 64, 1)
	var batch engine.Batch
	batch.Add(5, 0, 0, true)
	batch.Add(6, 7, 0, true) // positions must be consecutive within a sequence
	err := b.Step(&batch, make([]int32, 2))
	if err == nil {
		t.Fatal("non-consecutive positions accepted")
	}
}

func TestFindLibraryExplicit(t *testing.T) {
	if _, err := FindLibrary("/nonexistent/libllama.so"); err == nil {
		t.Error("a missing explicit library was accepted")
	}
	if _, err := FindLibrary(t.TempDir()); err == nil {
		t.Error("a folder without libllama was accepted")
	}
}

// In-flight batching must not change what a request generates: sequences joining, finishing
// and being renumbered (their KV cells copied) around it. Each request's greedy tokens from a
// batched run are compared with the same request run alone.
func TestInFlightMatchesAlone(t *testing.T) {
	reqs, _, err := dataset.GenerateNormal(dataset.NormalOptions{
		GenerateOptions: dataset.GenerateOptions{NumRequests: 12, VocabSize: 2048, EOS: 2, Seed: 11},
		InputMean:       24, InputStdev: 12, OutputMean: 16, OutputStdev: 10,
	})
	if err != nil {
		t.Fatal(err)
	}
	stats := report.DatasetStats(reqs)
	cfg := engine.Config{MaxBatchSize: 4, MaxNumTokens: 32, MaxSeqLen: stats.MaxSequenceLength, Concurrency: -1, EOSID: -1, KeepTokens: true}
	b := openTiny(t, true, cfg.MaxBatchSize*cfg.MaxSeqLen, cfg.MaxNumTokens, cfg.MaxBatchSize)
	res, err := engine.Run(context.Background(), b, reqs, cfg, engine.Hooks{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	alone := openTiny(t, true, cfg.MaxSeqLen, cfg.MaxNumTokens, 1)
	one := cfg
	one.MaxBatchSize = 1
	mismatched := 0
	for i := range reqs {
		r1, err := engine.Run(context.Background(), alone, reqs[i:i+1], one, engine.Hooks{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		got, want := res.Records[i].OutputIDs, r1.Records[0].OutputIDs
		if len(got) != len(want) {
			t.Fatalf("request %d: %d tokens batched, %d alone", i, len(got), len(want))
		}
		for k := range got {
			if got[k] != want[k] {
				mismatched++
				t.Logf("request %d differs from token %d: batched %v, alone %v", i, k, got, want)
				break
			}
		}
	}
	if mismatched > 0 {
		t.Errorf("%d of %d requests generated other tokens in the batch than alone", mismatched, len(reqs))
	}
}

// A vocabulary-only load (prepare-dataset --tokenizer FILE) gives the vocabulary and tokenizes.
func TestVocabOnly(t *testing.T) {
	b, err := Open(context.Background(), Options{ModelPath: tinyModel(t), VocabOnly: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if info := b.Info(); info.NVocab != 2048 || info.EOS != synth.EOSTokenID {
		t.Errorf("vocab %d eos %d, want 2048 and %d", info.NVocab, info.EOS, synth.EOSTokenID)
	}
	if toks, err := b.Tokenize("hello"); err != nil || len(toks) == 0 {
		t.Errorf("tokenize: %v %v", toks, err)
	}
}

// decodeBatched runs six requests through one context the way the engine does: three
// prefill together, three more join while the first decode (a step mixing prompt chunks and
// decodes), one finishes early and the highest sequence is renumbered into its slot. It
// returns each request's tokens.
func decodeBatched(t *testing.T, b *Backend) [][]int32 {
	t.Helper()
	type req struct {
		seq    int32
		pos    int32
		last   int32
		done   bool
		prompt []int32
		toks   []int32
	}
	reqs := make([]*req, 6)
	for i := range reqs {
		p := make([]int32, 5+7*i)
		for k := range p {
			p[k] = int32((i*131 + k*17 + 3) % 2048)
		}
		reqs[i] = &req{seq: int32(i), prompt: p}
	}
	var batch engine.Batch
	out := make([]int32, 6)
	step := func(active []*req, prefill []*req) {
		t.Helper()
		batch.Reset()
		var rows []*req
		for _, r := range active {
			batch.Add(r.last, r.pos, r.seq, true)
			rows = append(rows, r)
		}
		for _, r := range prefill {
			for k, tok := range r.prompt {
				batch.Add(tok, int32(k), r.seq, k == len(r.prompt)-1)
			}
			r.pos = int32(len(r.prompt))
			rows = append(rows, r)
		}
		if err := b.Step(&batch, out[:len(rows)]); err != nil {
			t.Fatal(err)
		}
		for _, r := range active {
			r.pos++
		}
		for k, r := range rows {
			if out[k] < 0 || out[k] >= 2048 {
				t.Fatalf("token %d out of the vocabulary", out[k])
			}
			r.toks = append(r.toks, out[k])
			r.last = out[k]
		}
	}
	// A request's first token comes from its prefill; each decode feeds the last token at
	// the next position.
	step(nil, reqs[:3])
	step(reqs[:3], reqs[3:])
	for i := 0; i < 4; i++ {
		step(reqs, nil)
	}
	// Request 1 ends; request 5 takes sequence 1's slot (the engine keeps ids compact and
	// the step's tokens in id order).
	batch.Reset()
	batch.Free = append(batch.Free, 1)
	batch.Moves = append(batch.Moves, engine.SeqMove{Src: 5, Dst: 1})
	reqs[5].seq = 1
	live := []*req{reqs[0], reqs[5], reqs[2], reqs[3], reqs[4]}
	for _, r := range live {
		batch.Add(r.last, r.pos, r.seq, true)
	}
	if err := b.Step(&batch, out[:len(live)]); err != nil {
		t.Fatal(err)
	}
	for k, r := range live {
		r.toks = append(r.toks, out[k])
		r.last = out[k]
		r.pos++
	}
	for i := 0; i < 3; i++ {
		step(live, nil)
	}
	res := make([][]int32, len(reqs))
	for i, r := range reqs {
		res[i] = r.toks
	}
	return res
}

// With several sequences in a step, the batched greedy sampler (one argmax over all rows,
// a view per row) must hand each row its own token, through prompt chunks, joins, frees and
// renumbering.
func TestBackendSamplingBatchedMatchesLogits(t *testing.T) {
	bs := openTiny(t, true, 6*128, 128, 6)
	// The pinned llama.cpp exports the member function that reads a sampled token without a
	// synchronization; losing it (another release) would silently slow GPU steps.
	if !sampledTokenNoSync() {
		t.Error("libllama does not export llama_context::get_sampled_token_ith")
	}
	a := decodeBatched(t, bs)
	// Decode-only steps read their tokens from one copy of the argmax vector; the steps with
	// prompt tokens per row. BENCHTUI_SAMPLED_COPY=rows reads every step per row.
	if n := bs.oneCopyReads(); n == 0 {
		t.Error("no step read its tokens in one copy")
	}
	t.Setenv("BENCHTUI_SAMPLED_COPY", "rows")
	rows := openTiny(t, true, 6*128, 128, 6)
	r := decodeBatched(t, rows)
	if n := rows.oneCopyReads(); n != 0 {
		t.Errorf("BENCHTUI_SAMPLED_COPY=rows: %d steps read in one copy", n)
	}
	c := decodeBatched(t, openTiny(t, false, 6*128, 128, 6))
	for i := range a {
		for k := range a[i] {
			if a[i][k] != r[i][k] {
				t.Fatalf("request %d token %d: one copy %d, per-row copies %d", i, k, a[i][k], r[i][k])
			}
		}
	}
	distinct := map[int32]bool{}
	for i := range a {
		if len(a[i]) != len(c[i]) {
			t.Fatalf("request %d: %d tokens with backend sampling, %d without", i, len(a[i]), len(c[i]))
		}
		for k := range a[i] {
			if a[i][k] != c[i][k] {
				t.Fatalf("request %d token %d: backend sampling %d, logits greedy %d (%v vs %v)", i, k, a[i][k], c[i][k], a[i], c[i])
			}
			distinct[a[i][k]] = true
		}
	}
	// Different prompts give different streams; a mapping that handed every row the same
	// token would show as very few distinct tokens.
	if len(distinct) < 6 {
		t.Errorf("only %d distinct tokens over six requests: %v", len(distinct), a)
	}
}

// decodeAlternating prefills six sequences, then alternates decode steps of four sequences
// (one micro-batch of n_ubatch 4: tokens read in one copy) and of all six (two micro-batches,
// the first with the same layout as the four-sequence step, so llama.cpp may reuse that
// graph), returning each sequence's tokens.
func decodeAlternating(t *testing.T, b *Backend) [][]int32 {
	t.Helper()
	toks := make([][]int32, 6)
	pos := make([]int32, 6)
	var batch engine.Batch
	out := make([]int32, 6)
	for s := range 6 {
		batch.Reset()
		for k := range 6 + s {
			batch.Add(int32((s*97+k*13+5)%2048), int32(k), int32(s), k == 5+s)
		}
		if err := b.Step(&batch, out[:1]); err != nil {
			t.Fatal(err)
		}
		toks[s] = append(toks[s], out[0])
		pos[s] = int32(6 + s)
	}
	for step := range 8 {
		n := 4
		if step%2 == 1 {
			n = 6
		}
		batch.Reset()
		for s := range n {
			batch.Add(toks[s][len(toks[s])-1], pos[s], int32(s), true)
		}
		if err := b.Step(&batch, out[:n]); err != nil {
			t.Fatalf("step %d: %v", step, err)
		}
		for s := range n {
			toks[s] = append(toks[s], out[s])
			pos[s]++
		}
	}
	return toks
}

// Steps larger than n_ubatch are read per row, and a micro-batch whose graph was reused from
// a one-copy step is still read correctly. With one KV stream (kv_unified) llama.cpp cuts a
// six-token step into the first four tokens and the last two, and the first four have the
// layout of the four-sequence step before, whose graph it reuses.
func TestBackendSamplingMicroBatches(t *testing.T) {
	open := func(bs bool) *Backend {
		t.Helper()
		b, err := Open(context.Background(), Options{
			ModelPath: tinyModel(t), Threads: 1, FlashAttn: "auto", KVUnified: true,
			BackendSampling: &bs, OffloadKQV: true,
		}, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close() })
		if err := b.CreateContext(6*64, 64, 4, 6); err != nil {
			t.Fatal(err)
		}
		return b
	}
	bs := open(true)
	a := decodeAlternating(t, bs)
	if bs.oneCopyReads() == 0 {
		t.Error("no micro-batch was read in one copy")
	}
	c := decodeAlternating(t, open(false))
	for s := range a {
		for k := range a[s] {
			if a[s][k] != c[s][k] {
				t.Fatalf("sequence %d token %d: backend sampling %d, logits greedy %d (%v vs %v)", s, k, a[s][k], c[s][k], a[s], c[s])
			}
		}
	}
}
