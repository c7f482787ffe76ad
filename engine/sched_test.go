package engine

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/benchtui/benchtui/dataset"
)

// runLogged runs reqs through fb and returns the result and the iteration log's lines.
func runLogged(t *testing.T, fb *fakeBackend, reqs []testReqs, cfg Config) (*Result, []StepLog) {
	t.Helper()
	var log bytes.Buffer
	all := reqs[0].build()
	for _, r := range reqs[1:] {
		all = append(all, r.build()...)
	}
	if err := Validate(all, cfg, fb.vocab); err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), fb, all, cfg, Hooks{IterationLog: &log}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var steps []StepLog
	sc := bufio.NewScanner(&log)
	for sc.Scan() {
		var l StepLog
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("iteration log line %d: %v", len(steps)+1, err)
		}
		steps = append(steps, l)
	}
	if int64(len(steps)) != res.Steps {
		t.Fatalf("%d iteration log lines for %d steps", len(steps), res.Steps)
	}
	return res, steps
}

// testReqs is a group of requests of one shape.
type testReqs struct{ n, isl, osl, islSpread, oslSpread int }

func (g testReqs) build() []dataset.Request {
	return makeReqs(g.n, func(i int) int { return g.isl + (i*7)%max(g.islSpread, 1) }, func(i int) int { return g.osl + (i*5)%max(g.oslSpread, 1) })
}

// decodeWaits lists the requests that did not get their second token in the step right
// after their first, and the gaps of more than one step between any two of their tokens,
// reading each token's step from the iteration log (a token's time is its step's time).
func decodeWaits(t *testing.T, res *Result, steps []StepLog) (second, anyGap []string) {
	t.Helper()
	stepAt := make(map[int64]int64, len(steps))
	for _, l := range steps {
		if _, dup := stepAt[l.TimeNS]; dup {
			t.Fatalf("two steps end at %d ns", l.TimeNS)
		}
		stepAt[l.TimeNS] = l.Iter
	}
	for _, r := range res.Records {
		for k := 1; k < len(r.TokenNS); k++ {
			a, okA := stepAt[r.TokenNS[k-1]]
			b, okB := stepAt[r.TokenNS[k]]
			if !okA || !okB {
				t.Fatalf("request %d: token times not in the iteration log", r.Index)
			}
			if b != a+1 {
				gap := fmt.Sprintf("request %d: token %d in step %d, token %d in step %d", r.Index, k, a, k+1, b)
				anyGap = append(anyGap, gap)
				if k == 1 {
					second = append(second, gap)
				}
			}
		}
	}
	return second, anyGap
}

// The default policy starts decoding a request in the step after its prompt is done, and
// decodes it in every step after that: bursts of equal and of varied lengths, bursts larger
// than the batch, prompts longer than a step's budget, and requests joining a busy engine.
func TestDefaultPolicyNeverWaitsAfterFirstToken(t *testing.T) {
	cases := []struct {
		name  string
		reqs  []testReqs
		cfg   Config
		ubat  int
		unify bool
	}{
		{"burst of 64", []testReqs{{n: 64, isl: 128, osl: 16}}, Config{MaxBatchSize: 64, MaxNumTokens: 2048}, 512, false},
		{"issue example", []testReqs{{n: 64, isl: 512, osl: 8}}, Config{MaxBatchSize: 64, MaxNumTokens: 512}, 512, false},
		{"varied lengths", []testReqs{{n: 100, isl: 20, osl: 2, islSpread: 180, oslSpread: 40}}, Config{MaxBatchSize: 16, MaxNumTokens: 256}, 128, false},
		{"more than the batch", []testReqs{{n: 40, isl: 60, osl: 12, islSpread: 30, oslSpread: 9}}, Config{MaxBatchSize: 8, MaxNumTokens: 64}, 64, false},
		{"concurrency", []testReqs{{n: 30, isl: 50, osl: 6, islSpread: 40, oslSpread: 11}}, Config{MaxBatchSize: 16, MaxNumTokens: 128, Concurrency: 5}, 128, false},
		{"unified cache", []testReqs{{n: 30, isl: 50, osl: 6, islSpread: 40, oslSpread: 11}}, Config{MaxBatchSize: 16, MaxNumTokens: 128, KVCapacity: 1200}, 128, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := c.cfg
			cfg.EOSID = -1
			cfg.MaxSeqLen = 1024
			fb := newFake(t, cfg.MaxNumTokens, cfg.MaxBatchSize)
			fb.nUBatch, fb.unified = c.ubat, c.unify
			res, steps := runLogged(t, fb, c.reqs, cfg)
			second, anyGap := decodeWaits(t, res, steps)
			for _, w := range second {
				t.Error(w)
			}
			if len(anyGap) > 0 {
				t.Errorf("%d gaps between tokens, the first: %s", len(anyGap), anyGap[0])
			}
		})
	}
}

// The check above fails where a request waits: the waves policy holds a burst's first
// prompts until the last one is done.
func TestDecodeWaitsSeesWaves(t *testing.T) {
	cfg := Config{MaxBatchSize: 64, MaxNumTokens: 2048, MaxSeqLen: 256, EOSID: -1, Policy: PolicyWaves}
	fb := newFake(t, cfg.MaxNumTokens, cfg.MaxBatchSize)
	fb.nUBatch = 512
	res, steps := runLogged(t, fb, []testReqs{{n: 64, isl: 128, osl: 16}}, cfg)
	second, _ := decodeWaits(t, res, steps)
	if len(second) != 48 { // the first three steps' 16 prompts each wait for the fourth's
		t.Errorf("%d requests waited after their first token under waves, want 48", len(second))
	}
}

// burstShape runs one burst under a policy and returns its steps and micro-batches.
func burstShape(t *testing.T, g testReqs, cfg Config, nUBatch int) (steps int64, mbs int, res *Result, log []StepLog) {
	t.Helper()
	cfg.EOSID, cfg.MaxSeqLen = -1, g.isl+g.osl+g.islSpread+g.oslSpread
	fb := newFake(t, cfg.MaxNumTokens, cfg.MaxBatchSize)
	fb.nUBatch = nUBatch
	res, log = runLogged(t, fb, []testReqs{g}, cfg)
	total := 0
	for _, l := range log {
		total += l.NumMicroBatches
	}
	if total != fb.mbs {
		t.Fatalf("iteration log counts %d micro-batches, the backend's batches split into %d", total, fb.mbs)
	}
	return res.Steps, fb.mbs, res, log
}

// On bursts the default does the work the waves did, give or take a step and a micro-batch
// (each micro-batch reads all the weights): a step's prompt tokens as the budget allows, in
// full micro-batches, then decode steps that each hold the whole burst. Equal progress does
// the same; first come, first served without waves costs an extra micro-batch per prefill
// step and part-empty decode steps at the end.
func TestBurstCostsNoMoreThanWaves(t *testing.T) {
	cases := []struct {
		name string
		g    testReqs
		cfg  Config
		ub   int
	}{
		{"B=16 128/128", testReqs{n: 16, isl: 128, osl: 128}, Config{MaxBatchSize: 16, MaxNumTokens: 2048}, 512},
		{"B=64 128/128", testReqs{n: 64, isl: 128, osl: 128}, Config{MaxBatchSize: 64, MaxNumTokens: 2048}, 512},
		{"B=256 128/128", testReqs{n: 256, isl: 128, osl: 128}, Config{MaxBatchSize: 256, MaxNumTokens: 2048}, 512},
		{"B=64 512/64 budget 512", testReqs{n: 64, isl: 512, osl: 64}, Config{MaxBatchSize: 64, MaxNumTokens: 512}, 512},
		{"B=256 1024/64", testReqs{n: 256, isl: 1024, osl: 64}, Config{MaxBatchSize: 256, MaxNumTokens: 2048}, 512},
		{"B=48 128/32", testReqs{n: 48, isl: 128, osl: 32}, Config{MaxBatchSize: 48, MaxNumTokens: 2048}, 512},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wc := c.cfg
			wc.Policy = PolicyWaves
			wSteps, wMbs, _, _ := burstShape(t, c.g, wc, c.ub)
			fc := c.cfg
			fc.Chunking = ChunkFirstComeFirstServed
			fSteps, fMbs, _, _ := burstShape(t, c.g, fc, c.ub)
			line := fmt.Sprintf("waves %d steps %d micro-batches; first come %d / %d", wSteps, wMbs, fSteps, fMbs)
			for _, ch := range []ContextChunking{ChunkAlignedFinish, ChunkEqualProgress} {
				cfg := c.cfg
				cfg.Chunking = ch
				steps, mbs, _, log := burstShape(t, c.g, cfg, c.ub)
				line += fmt.Sprintf("; %s %d / %d", ch, steps, mbs)
				// Where the prompts do not divide n_ubatch (B=48: equal progress feeds 40
				// tokens of each a step in micro-batches of 480, not 42) or a step's budget
				// (aligned finish leaves what a whole chunk does not fit), the whole prefill
				// takes a step and a part-filled micro-batch more.
				if steps > wSteps+1 || mbs > wMbs+1 {
					t.Errorf("%s: %d steps and %d micro-batches, waves %d and %d", ch, steps, mbs, wSteps, wMbs)
				}
				// Every decode step after the burst's prompts holds every request.
				for _, l := range log {
					if l.NumCtxTokens == 0 && l.NumGenRequests != c.g.n {
						t.Fatalf("%s: step %d decodes %d of %d requests", ch, l.Iter, l.NumGenRequests, c.g.n)
					}
				}
			}
			t.Log(line)
			if fMbs <= wMbs && c.g.n*c.g.isl > c.cfg.MaxNumTokens {
				t.Errorf("first come: %d micro-batches, waves %d: the case does not show what waves were for", fMbs, wMbs)
			}
		})
	}
}

// max_utilization admits what fits now and pauses the newest requests when decodes outgrow a
// shared cache; they are computed again later and finish with every token. The fake checks
// that the cells held never exceed the cache and that a resumed sequence starts again at
// position 0. guaranteed_no_evict never pauses, and so runs fewer requests at once.
func TestMaxUtilizationPausesAndResumes(t *testing.T) {
	g := testReqs{n: 24, isl: 30, osl: 40, islSpread: 20, oslSpread: 30}
	peak := map[SchedulerPolicy]int{}
	for _, p := range []SchedulerPolicy{PolicyMaxUtilization, PolicyGuaranteedNoEvict} {
		cfg := Config{MaxBatchSize: 8, MaxNumTokens: 64, MaxSeqLen: 128, KVCapacity: 400, EOSID: -1, Policy: p}
		fb := newFake(t, cfg.MaxNumTokens, cfg.MaxBatchSize)
		fb.unified, fb.kvCap = true, cfg.KVCapacity
		res, log := runLogged(t, fb, []testReqs{g}, cfg)
		paused := 0
		for _, l := range log {
			paused += l.Paused
			peak[p] = max(peak[p], l.Running)
		}
		for i, r := range res.Records {
			if r.Failed() || r.OutputTokens() != g.build()[i].OutputTokens {
				t.Fatalf("%s: request %d: %d tokens (%q)", p, i, r.OutputTokens(), r.Error)
			}
			for k := 1; k < len(r.TokenNS); k++ {
				if r.TokenNS[k] <= r.TokenNS[k-1] {
					t.Fatalf("%s: request %d: token times out of order", p, i)
				}
			}
		}
		switch {
		case p == PolicyMaxUtilization && paused == 0:
			t.Errorf("max_utilization paused no request with a cache of %d cells", cfg.KVCapacity)
		case p == PolicyGuaranteedNoEvict && paused != 0:
			t.Errorf("guaranteed_no_evict paused %d requests", paused)
		}
		t.Logf("%s: %d steps, %d pauses, at most %d running", p, res.Steps, paused, peak[p])
	}
	if peak[PolicyMaxUtilization] <= peak[PolicyGuaranteedNoEvict] {
		t.Errorf("max_utilization ran at most %d requests at once, guaranteed_no_evict %d", peak[PolicyMaxUtilization], peak[PolicyGuaranteedNoEvict])
	}
}

// A request generates the same tokens under every policy as alone, on a backend whose tokens
// depend only on what each sequence was fed: tails held back, chunks of equal progress,
// renumbering around unstarted sequences, and max_utilization's pauses, after which a request is computed again
// from its prompt and every token it had generated. Feeding a wrong token or position
// anywhere changes every token after it.
func TestPoliciesGenerateWhatRequestsGenerateAlone(t *testing.T) {
	g := testReqs{n: 20, isl: 6, osl: 30, islSpread: 20, oslSpread: 25}
	reqs := g.build()
	generate := func(cfg Config, unified bool) ([]Record, int) {
		cfg.EOSID, cfg.MaxSeqLen, cfg.KeepTokens = -1, 96, true
		fb := newFake(t, cfg.MaxNumTokens, cfg.MaxBatchSize)
		fb.byContent, fb.unified, fb.kvCap = true, unified, cfg.KVCapacity
		res, log := runLogged(t, fb, []testReqs{g}, cfg)
		paused := 0
		for _, l := range log {
			paused += l.Paused
		}
		return res.Records, paused
	}
	alone := make([][]int32, len(reqs))
	for i := range reqs {
		fb := newFake(t, 16, 1)
		fb.byContent = true
		res, err := Run(context.Background(), fb, reqs[i:i+1], Config{MaxBatchSize: 1, MaxNumTokens: 16, MaxSeqLen: 96, EOSID: -1, KeepTokens: true}, Hooks{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		alone[i] = res.Records[0].OutputIDs
	}
	cases := []struct {
		name    string
		cfg     Config
		unified bool
		pauses  bool
	}{
		{"default", Config{MaxBatchSize: 8, MaxNumTokens: 24}, false, false},
		{"equal progress", Config{MaxBatchSize: 8, MaxNumTokens: 24, Chunking: ChunkEqualProgress}, false, false},
		{"first come", Config{MaxBatchSize: 8, MaxNumTokens: 24, Chunking: ChunkFirstComeFirstServed}, false, false},
		{"waves", Config{MaxBatchSize: 8, MaxNumTokens: 24, Policy: PolicyWaves}, false, false},
		{"static batch", Config{MaxBatchSize: 8, MaxNumTokens: 24, Policy: PolicyStaticBatch}, false, false},
		{"guaranteed, shared cache", Config{MaxBatchSize: 8, MaxNumTokens: 24, KVCapacity: 200}, true, false},
		{"max utilization", Config{MaxBatchSize: 8, MaxNumTokens: 24, KVCapacity: 200, Policy: PolicyMaxUtilization}, true, true},
	}
	for _, c := range cases {
		got, paused := generate(c.cfg, c.unified)
		if c.pauses && paused < 5 {
			t.Errorf("%s: %d pauses: the test does not reach eviction", c.name, paused)
		}
		for i := range reqs {
			if fmt.Sprint(got[i].OutputIDs) != fmt.Sprint(alone[i]) {
				t.Errorf("%s: request %d generated %v, alone %v", c.name, i, got[i].OutputIDs, alone[i])
			}
		}
	}
}

// With prompts and outputs of varied lengths (1024 requests at B=256, the GPU suite's ifb
// shape) the default does no more micro-batches than the waves: a burst's prompts take ids
// longest first, so the chunks of a step fall in length with the ids and a micro-batch loses
// sequences only from its end, where under first come, first served short and long chunks
// alternate and cut micro-batches short.
func TestVariedLengthsCostNoMoreThanWaves(t *testing.T) {
	g := testReqs{n: 1024, isl: 64, osl: 64, islSpread: 128, oslSpread: 128}
	cfg := Config{MaxBatchSize: 256, MaxNumTokens: 4096}
	steps, mbs, _, _ := burstShape(t, g, cfg, 512)
	cfg.Policy = PolicyWaves
	wSteps, wMbs, _, _ := burstShape(t, g, cfg, 512)
	t.Logf("default %d steps %d micro-batches, waves %d and %d", steps, mbs, wSteps, wMbs)
	if mbs > wMbs || steps > wSteps+2 {
		t.Errorf("default %d steps and %d micro-batches, waves %d and %d", steps, mbs, wSteps, wMbs)
	}
}
