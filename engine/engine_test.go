package engine

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"strings"
	"testing"
	"time"

	"github.com/benchtui/benchtui/dataset"
)

// fakeBackend checks the scheduler's batches the way llama.cpp would: positions of a sequence
// are contiguous from 0, a sequence is freed before it is reused, a batch fits n_batch, and
// only n_seq_max sequences exist. It samples token (pos+seq) % vocab.
type fakeBackend struct {
	t        *testing.T
	nBatch   int
	nSeqMax  int
	vocab    int
	next     map[int32]int32 // seq -> next expected position
	steps    int
	maxSeqs  int // most distinct sequences in one batch
	failAt   int // fail the step with this number (1-based); 0 never
	stepCost time.Duration
	eosAt    map[int32]int32 // seq -> position whose sampled token is EOS (for EOS tests)
	moves    int
	// nUBatch and unified describe the context as llama.cpp's Info would; kvCap, when set,
	// is a shared cache whose cells the positions held must never exceed.
	nUBatch int
	unified bool
	kvCap   int
	split   splitter
	mbs     int // micro-batches over all steps
	onStep  func(step int)
	// byContent samples, as a model does, a token that depends only on the tokens the
	// sequence was fed (prompt and decodes, at their positions), so that a request generates
	// the same tokens however it is scheduled, paused or renumbered.
	byContent bool
	fed       map[int32][]int32
}

// newSeqs lists the sequences of b that hold no KV cells yet.
func newSeqs(b *Batch, held map[int32]int32) map[int32]bool {
	n := map[int32]bool{}
	for _, s := range b.Seq {
		if _, ok := held[s]; !ok {
			n[s] = true
		}
	}
	return n
}

func newFake(t *testing.T, nBatch, nSeqMax int) *fakeBackend {
	return &fakeBackend{t: t, nBatch: nBatch, nSeqMax: nSeqMax, vocab: 1000, next: map[int32]int32{}}
}

func (f *fakeBackend) Info() BackendInfo {
	return BackendInfo{Backend: "fake", NVocab: f.vocab, NUBatch: f.nUBatch, KVUnified: f.unified}
}
func (f *fakeBackend) Tokenize(s string) ([]int32, error) {
	out := make([]int32, len(s))
	for i := range s {
		out[i] = int32(s[i])
	}
	return out, nil
}
func (f *fakeBackend) Close() error { return nil }

func (f *fakeBackend) Step(b *Batch, out []int32) error {
	if b.Len() > 0 {
		f.steps++
	}
	if f.failAt > 0 && f.steps == f.failAt {
		return errors.New("injected failure")
	}
	if f.fed == nil {
		f.fed = map[int32][]int32{}
	}
	for _, s := range b.Free {
		if _, ok := f.next[s]; !ok {
			f.t.Errorf("step %d: freeing sequence %d that holds nothing", f.steps, s)
		}
		delete(f.next, s)
		delete(f.fed, s)
	}
	for _, m := range b.Moves {
		p, ok := f.next[m.Src]
		if !ok {
			f.t.Fatalf("step %d: moving sequence %d that holds nothing", f.steps, m.Src)
		}
		if _, busy := f.next[m.Dst]; busy {
			f.t.Fatalf("step %d: moving %d onto %d, which is in use", f.steps, m.Src, m.Dst)
		}
		f.next[m.Dst] = p
		delete(f.next, m.Src)
		f.fed[m.Dst] = f.fed[m.Src]
		delete(f.fed, m.Src)
		f.moves++
	}
	// Sequence ids stay compact (0..n-1) and tokens come in increasing id order.
	for i := 1; i < len(b.Seq); i++ {
		if b.Seq[i] < b.Seq[i-1] {
			f.t.Fatalf("step %d: sequence ids out of order: %v", f.steps, b.Seq)
		}
	}
	fresh := len(newSeqs(b, f.next))
	for s := range f.next {
		if int(s) >= len(f.next)+fresh {
			f.t.Fatalf("step %d: sequence %d holds KV cells with only %d sequences in use: ids are not compact", f.steps, s, len(f.next))
		}
	}
	if b.Len() > f.nBatch {
		f.t.Fatalf("step %d: batch of %d tokens exceeds n_batch %d", f.steps, b.Len(), f.nBatch)
	}
	seqs := map[int32]bool{}
	k := 0
	for i := range b.Tokens {
		s, p := b.Seq[i], b.Pos[i]
		if s < 0 || int(s) >= f.nSeqMax {
			f.t.Fatalf("step %d: sequence %d outside 0..%d", f.steps, s, f.nSeqMax-1)
		}
		if want := f.next[s]; p != want {
			f.t.Fatalf("step %d: sequence %d at position %d, want %d", f.steps, s, p, want)
		}
		f.next[s] = p + 1
		seqs[s] = true
		f.fed[s] = append(f.fed[s], b.Tokens[i])
		if b.Output[i] == 1 {
			tok := (p + s) % int32(f.vocab)
			if f.byContent {
				h := fnv.New32a()
				for _, t := range f.fed[s] {
					h.Write([]byte{byte(t), byte(t >> 8), byte(t >> 16), byte(t >> 24)})
				}
				tok = 3 + int32(h.Sum32()%uint32(f.vocab-3))
			}
			if e, ok := f.eosAt[s]; ok && e == p {
				tok = 2
			}
			out[k] = tok
			k++
		}
	}
	if k != len(out) {
		f.t.Fatalf("step %d: %d output rows, scheduler expects %d", f.steps, k, len(out))
	}
	f.maxSeqs = max(f.maxSeqs, len(seqs))
	if f.kvCap > 0 {
		cells := 0
		for _, p := range f.next {
			cells += int(p)
		}
		if cells > f.kvCap {
			f.t.Fatalf("step %d: sequences hold %d KV cells, the cache has %d", f.steps, cells, f.kvCap)
		}
	}
	if b.Len() > 0 {
		f.split.nUBatch, f.split.perSeqKV = cmp.Or(f.nUBatch, f.nBatch), !f.unified && f.nSeqMax > 1
		f.mbs += f.split.count(b.Seq)
		if f.onStep != nil {
			f.onStep(f.steps)
		}
	}
	if f.stepCost > 0 {
		time.Sleep(f.stepCost)
	}
	return nil
}

func makeReqs(n int, isl func(i int) int, osl func(i int) int) []dataset.Request {
	reqs := make([]dataset.Request, n)
	for i := range reqs {
		ids := make([]int32, isl(i))
		for j := range ids {
			ids[j] = int32(10 + (i+j)%500)
		}
		reqs[i] = dataset.Request{TaskID: int64(i), InputIDs: ids, OutputTokens: osl(i)}
	}
	return reqs
}

func TestRunInFlightBatching(t *testing.T) {
	reqs := makeReqs(40, func(i int) int { return 5 + i%13 }, func(i int) int { return 3 + (i*7)%17 })
	cfg := Config{MaxBatchSize: 6, MaxNumTokens: 16, MaxSeqLen: 64, Concurrency: -1, EOSID: -1, Warmup: 2}
	fb := newFake(t, cfg.MaxNumTokens, cfg.MaxBatchSize)
	if err := Validate(reqs, cfg, fb.vocab); err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), fb, reqs, cfg, Hooks{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.WarmupRequests != 2 {
		t.Errorf("warmup requests %d, want 2", res.WarmupRequests)
	}
	if len(res.Records) != len(reqs) {
		t.Fatalf("%d records, want %d", len(res.Records), len(reqs))
	}
	for i, r := range res.Records {
		if r.Failed() {
			t.Fatalf("request %d failed: %s", i, r.Error)
		}
		if r.OutputTokens() != reqs[i].OutputTokens {
			t.Errorf("request %d: %d tokens, want %d", i, r.OutputTokens(), reqs[i].OutputTokens)
		}
		if !(r.StartNS <= r.AdmitNS && r.AdmitNS <= r.FirstTokenNS && r.FirstTokenNS <= r.EndNS) {
			t.Errorf("request %d: times out of order: start %d admit %d first %d end %d", i, r.StartNS, r.AdmitNS, r.FirstTokenNS, r.EndNS)
		}
		if r.TokenNS[0] != r.FirstTokenNS || r.TokenNS[len(r.TokenNS)-1] != r.EndNS {
			t.Errorf("request %d: token times do not match first/end", i)
		}
	}
	if fb.moves == 0 {
		t.Error("requests of different lengths finished but no sequence was renumbered")
	}
	if fb.maxSeqs != cfg.MaxBatchSize {
		t.Errorf("at most %d sequences shared a batch, want %d", fb.maxSeqs, cfg.MaxBatchSize)
	}
	// In-flight batching: some request must be admitted while another, admitted before it, is
	// already decoding (it joins a running batch instead of waiting for the batch to drain).
	joined := 0
	for i, a := range res.Records {
		for j, b := range res.Records {
			if i != j && b.AdmitNS > a.FirstTokenNS && b.AdmitNS < a.EndNS {
				joined++
				break
			}
		}
	}
	if joined == 0 {
		t.Error("no request joined while another was decoding")
	}
	// Every sequence's KV cells were freed when its request ended.
	if len(fb.next) != 0 {
		t.Errorf("%d sequences still hold KV cells after the run", len(fb.next))
	}
}

func TestRunConcurrencyLimit(t *testing.T) {
	reqs := makeReqs(12, func(int) int { return 4 }, func(int) int { return 5 })
	cfg := Config{MaxBatchSize: 8, MaxNumTokens: 64, MaxSeqLen: 16, Concurrency: 3, EOSID: -1}
	fb := newFake(t, cfg.MaxNumTokens, cfg.MaxBatchSize)
	res, err := Run(context.Background(), fb, reqs, cfg, Hooks{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if fb.maxSeqs > 3 {
		t.Errorf("%d sequences ran at once with concurrency 3", fb.maxSeqs)
	}
	// With concurrency 3, at no time are more than 3 requests between start and end.
	for _, a := range res.Records {
		inFlight := 0
		for _, b := range res.Records {
			if b.StartNS <= a.StartNS && a.StartNS < b.EndNS {
				inFlight++
			}
		}
		if inFlight > 3 {
			t.Fatalf("%d requests in flight at %d", inFlight, a.StartNS)
		}
	}
}

func TestRunChunkedPrefill(t *testing.T) {
	// A 50-token prompt with a 16-token budget needs four steps of prefill.
	reqs := makeReqs(1, func(int) int { return 50 }, func(int) int { return 2 })
	cfg := Config{MaxBatchSize: 1, MaxNumTokens: 16, MaxSeqLen: 64, Concurrency: -1, EOSID: -1}
	fb := newFake(t, cfg.MaxNumTokens, cfg.MaxBatchSize)
	res, err := Run(context.Background(), fb, reqs, cfg, Hooks{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if fb.steps != 5 { // 4 prefill steps (16+16+16+2) then one decode step
		t.Errorf("%d steps, want 5", fb.steps)
	}
	if res.Records[0].OutputTokens() != 2 {
		t.Errorf("%d tokens, want 2", res.Records[0].OutputTokens())
	}
}

func TestRunBurstDecodesTogether(t *testing.T) {
	// Eight 100-token prompts with a 256-token budget need four steps of prefill. They arrive
	// together, so they decode together: four prefill steps, then nine decode steps of all
	// eight, as in a static batch, instead of staggered starts that leave part-empty steps.
	reqs := makeReqs(8, func(int) int { return 100 }, func(int) int { return 10 })
	cfg := Config{MaxBatchSize: 8, MaxNumTokens: 256, MaxSeqLen: 128, Concurrency: -1, EOSID: -1}
	fb := newFake(t, cfg.MaxNumTokens, cfg.MaxBatchSize)
	res, err := Run(context.Background(), fb, reqs, cfg, Hooks{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if fb.steps != 13 {
		t.Errorf("%d steps, want 13 (4 prefill + 9 decode)", fb.steps)
	}
	second := res.Records[0].TokenNS[1]
	for i, r := range res.Records {
		if r.TokenNS[1] != second {
			t.Errorf("request %d decoded its second token at %d, request 0 at %d", i, r.TokenNS[1], second)
		}
	}
}

func TestRunJoiningRequestDoesNotStallDecodes(t *testing.T) {
	// Request 1 decodes from step 1; request 2 joins at step 4 with a 40-token prompt that
	// takes three steps of prefill. Request 1 must still get a token every step: its 30
	// tokens end at step 30, and the run with it.
	osl := []int{3, 30, 2}
	isl := []int{4, 4, 40}
	reqs := makeReqs(3, func(i int) int { return isl[i] }, func(i int) int { return osl[i] })
	cfg := Config{MaxBatchSize: 2, MaxNumTokens: 16, MaxSeqLen: 64, Concurrency: -1, EOSID: -1}
	fb := newFake(t, cfg.MaxNumTokens, cfg.MaxBatchSize)
	if _, err := Run(context.Background(), fb, reqs, cfg, Hooks{}, nil); err != nil {
		t.Fatal(err)
	}
	if fb.steps != 30 {
		t.Errorf("%d steps, want 30: the decoding request stalled while another joined", fb.steps)
	}
}

func TestRunEOS(t *testing.T) {
	reqs := makeReqs(2, func(int) int { return 4 }, func(int) int { return 10 })
	cfg := Config{MaxBatchSize: 2, MaxNumTokens: 16, MaxSeqLen: 32, Concurrency: -1, EOSID: 2}
	fb := newFake(t, cfg.MaxNumTokens, cfg.MaxBatchSize)
	// Sequence 1 (the first admitted takes the top of the free stack, 0) samples EOS at
	// position 6, i.e. its third output token.
	fb.eosAt = map[int32]int32{0: 6}
	res, err := Run(context.Background(), fb, reqs, cfg, Hooks{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := []int{res.Records[0].OutputTokens(), res.Records[1].OutputTokens()}
	if got[0] != 4 || got[1] != 10 {
		t.Errorf("tokens %v, want [4 10] (EOS after 4 tokens for the first, none for the second)", got)
	}
}

func TestRunBackendError(t *testing.T) {
	reqs := makeReqs(5, func(int) int { return 4 }, func(int) int { return 6 })
	cfg := Config{MaxBatchSize: 2, MaxNumTokens: 16, MaxSeqLen: 32, Concurrency: -1, EOSID: -1}
	fb := newFake(t, cfg.MaxNumTokens, cfg.MaxBatchSize)
	fb.failAt = 9
	res, err := Run(context.Background(), fb, reqs, cfg, Hooks{}, nil)
	if err == nil || res == nil {
		t.Fatalf("want an error and partial records, got %v", err)
	}
	done, failed := 0, 0
	for _, r := range res.Records {
		if r.Failed() {
			failed++
		} else {
			done++
		}
	}
	if done == 0 || failed == 0 || done+failed != len(reqs) {
		t.Errorf("done %d failed %d of %d: want some of each", done, failed, len(reqs))
	}
}

func TestRunCancel(t *testing.T) {
	reqs := makeReqs(50, func(int) int { return 4 }, func(int) int { return 50 })
	cfg := Config{MaxBatchSize: 4, MaxNumTokens: 16, MaxSeqLen: 64, Concurrency: -1, EOSID: -1}
	fb := newFake(t, cfg.MaxNumTokens, cfg.MaxBatchSize)
	fb.stepCost = time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Millisecond)
	defer cancel()
	res, err := Run(ctx, fb, reqs, cfg, Hooks{}, nil)
	if !errors.Is(err, ErrCanceled) {
		t.Fatalf("err = %v, want ErrCanceled", err)
	}
	canceled, done := 0, 0
	for _, r := range res.Records {
		switch r.State() {
		case StatusCanceled:
			canceled++
		case StatusCompleted:
			done++
		default:
			t.Errorf("request %d ended %q (%s), want completed or canceled", r.Index, r.State(), r.Error)
		}
	}
	if canceled == 0 || canceled+done != len(reqs) {
		t.Errorf("%d canceled and %d completed of %d", canceled, done, len(reqs))
	}
}

func TestValidate(t *testing.T) {
	ok := makeReqs(1, func(int) int { return 10 }, func(int) int { return 10 })
	cases := []struct {
		name string
		reqs []dataset.Request
		cfg  Config
		want string
	}{
		{"batch0", ok, Config{MaxBatchSize: 0, MaxNumTokens: 8}, "max_batch_size is 0"},
		{"tooLong", ok, Config{MaxBatchSize: 1, MaxNumTokens: 8, MaxSeqLen: 15}, "longer than the context of 15"},
		{"vocab", makeReqs(1, func(int) int { return 600 }, func(int) int { return 1 }), Config{MaxBatchSize: 1, MaxNumTokens: 8}, "outside the model's vocabulary"},
		{"empty", []dataset.Request{{OutputTokens: 3}}, Config{MaxBatchSize: 1, MaxNumTokens: 8}, "empty prompt"},
	}
	for _, c := range cases {
		err := Validate(c.reqs, c.cfg, 500)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want it to mention %q", c.name, err, c.want)
		}
	}
	if err := Validate(ok, Config{MaxBatchSize: 1, MaxNumTokens: 8, MaxSeqLen: 20}, 500); err != nil {
		t.Errorf("valid request refused: %v", err)
	}
}

func TestEventsNeverBlockAndKeepLifecycle(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ev := NewEvents(ctx)
	// Nobody reads yet: neither call may block.
	for i := 0; i < 1000; i++ {
		ev.Offer(Snapshot{Steps: int64(i)})
		ev.Publish(Lifecycle{Phase: PhaseRunning, Completed: i})
	}
	ev.Close()
	s := <-ev.Snapshots
	if s.Steps != 999 {
		t.Errorf("coalesced snapshot is step %d, want the newest (999)", s.Steps)
	}
	n := 0
	for l := range ev.Lifecycle {
		if l.Completed != n {
			t.Fatalf("lifecycle event %d out of order (%d)", n, l.Completed)
		}
		n++
	}
	if n != 1000 {
		t.Errorf("%d lifecycle events delivered, want 1000", n)
	}
}

func ExampleBatch() {
	var b Batch
	b.Add(1, 0, 0, false)
	b.Add(2, 1, 0, true)
	fmt.Println(b.Len(), b.Output)
	// Output: 2 [0 1]
}

// A slow snapshot reader still receives every finished request exactly once: a snapshot that
// replaces an unread one takes over its records.
func TestSnapshotsCarryEveryFinishedRequest(t *testing.T) {
	reqs := makeReqs(200, func(i int) int { return 3 + i%5 }, func(i int) int { return 2 + i%7 })
	cfg := Config{MaxBatchSize: 8, MaxNumTokens: 32, MaxSeqLen: 16, Concurrency: -1, EOSID: -1, SnapshotEvery: time.Nanosecond}
	fb := newFake(t, cfg.MaxNumTokens, cfg.MaxBatchSize)
	fb.stepCost = 20 * time.Microsecond
	ctx := context.Background()
	ev := NewEvents(ctx)
	seen := map[int]int{}
	done := make(chan struct{})
	stop := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case s := <-ev.Snapshots:
				for _, r := range s.Finished {
					seen[r.Index]++
				}
				time.Sleep(300 * time.Microsecond) // slower than the engine
			case <-stop:
				return
			}
		}
	}()
	if _, err := Run(ctx, fb, reqs, cfg, Hooks{}, ev); err != nil {
		t.Fatal(err)
	}
	close(stop)
	<-done
	select {
	case s := <-ev.Snapshots:
		for _, r := range s.Finished {
			seen[r.Index]++
		}
	default:
	}
	for i := range reqs {
		if seen[i] != 1 {
			t.Errorf("request %d delivered %d times, want once", i, seen[i])
		}
	}
}

// Static batching admits a batch only when the previous one has completely finished.
func TestRunStaticBatches(t *testing.T) {
	reqs := makeReqs(12, func(i int) int { return 4 + i%3 }, func(i int) int { return 2 + (i*5)%9 })
	cfg := Config{MaxBatchSize: 4, MaxNumTokens: 64, MaxSeqLen: 32, Concurrency: -1, EOSID: -1, Policy: PolicyStaticBatch}
	fb := newFake(t, cfg.MaxNumTokens, cfg.MaxBatchSize)
	res, err := Run(context.Background(), fb, reqs, cfg, Hooks{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for b := 0; b < 3; b++ {
		batch := res.Records[4*b : 4*b+4]
		for _, r := range batch {
			if r.AdmitNS != batch[0].AdmitNS {
				t.Errorf("batch %d: request %d admitted at %d, the batch at %d", b, r.Index, r.AdmitNS, batch[0].AdmitNS)
			}
			if b > 0 {
				for _, p := range res.Records[4*(b-1) : 4*b] {
					if r.AdmitNS < p.EndNS {
						t.Errorf("request %d admitted at %d before request %d of the previous batch ended (%d)", r.Index, r.AdmitNS, p.Index, p.EndNS)
					}
				}
			}
		}
	}
}
