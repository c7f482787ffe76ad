package session

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/benchtui/benchtui/dataset"
	"github.com/benchtui/benchtui/engine"
	"github.com/benchtui/benchtui/engine/llamacpp"
)

// oneRequest is a dataset of one request with a prompt of isl tokens.
func oneRequest(isl, osl int) []dataset.Request {
	ids := make([]int32, isl)
	for i := range ids {
		ids[i] = int32(1 + i%100)
	}
	return []dataset.Request{{TaskID: 0, InputIDs: ids, OutputTokens: osl, Line: 1}}
}

func wantInput(t *testing.T, err error, parts ...string) {
	t.Helper()
	var ie InputError
	if !errors.As(err, &ie) {
		t.Fatalf("error %v: want an InputError", err)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not say %q", err, p)
		}
	}
}

// Before anything loads, a run that cannot fit is refused with what it needs and what is
// free; its settings' products cannot overflow llama.cpp's 32-bit cell counts.
func TestPreflight(t *testing.T) {
	o, _ := tinyOptions(t, false)
	hw := StartHardware(context.Background(), 0)
	defer hw.Close()
	env := Env{Hardware: hw}
	cfg := engine.Config{MaxBatchSize: 16, MaxNumTokens: 256, Concurrency: -1, EOSID: -1}

	// A dataset line asking for a billion output tokens: its KV cache alone is 2 TB, and 16
	// of them overflow llama.cpp's cell count.
	_, err := Preflight(o, env, Spec{Requests: oneRequest(8, 1_000_000_000), DatasetPath: "huge.jsonl", Engine: cfg})
	wantInput(t, err, "max_batch_size 16 x max_seq_len 1000000008 (the longest request's, line 1 of dataset huge.jsonl) is 16000004096 KV cells", "shorten that request")
	one := cfg
	one.MaxBatchSize = 1
	_, err = Preflight(o, env, Spec{Requests: oneRequest(8, 1_000_000_000), DatasetPath: "huge.jsonl", Engine: one})
	wantInput(t, err, "a KV cache of 1 sequence x 1000000008 tokens needs 1.9 TiB (2.0 KiB a token)", "the host has", "free (room for 1 sequence of ",
		"max_seq_len is the longest request's, line 1 of dataset huge.jsonl")

	big := cfg
	big.MaxSeqLen = 268435457
	_, err = Preflight(o, env, Spec{Requests: oneRequest(8, 8), Engine: big})
	wantInput(t, err, "max_batch_size 16 x max_seq_len 268435457 is 4294971392 KV cells, more than llama.cpp holds", "lower --max_seq_len or --max_batch_size")

	short := cfg
	short.MaxSeqLen = 50
	_, err = Preflight(o, env, Spec{Requests: oneRequest(100, 10), DatasetPath: "long.jsonl", Engine: short})
	wantInput(t, err, "dataset long.jsonl: request 0 (line 1", "longer than the context of 50")

	bad := oneRequest(4, 4)
	bad[0].InputIDs[2] = 999999
	_, err = Preflight(o, env, Spec{Requests: bad, DatasetPath: "vocab.jsonl", Engine: cfg})
	wantInput(t, err, "dataset vocab.jsonl: 1 request has token ids outside the vocabulary [0, 2048)", "999999")

	// Longer than the model's trained context of 4096: a warning, not an error.
	warn, err := Preflight(o, env, Spec{Requests: oneRequest(4000, 200), DatasetPath: "ctx.jsonl", Engine: cfg})
	if err != nil || len(warn) != 1 || !strings.Contains(warn[0], "ctx.jsonl: 1 request is longer than the model's trained context of 4096 tokens (the longest, line 1, has 4200)") {
		t.Errorf("warnings %q, error %v", warn, err)
	}
	if warn, err := Preflight(o, env, Spec{Gen: Gen{NumRequests: 8, ISL: 32, OSL: 8}, Engine: cfg}); err != nil || len(warn) != 0 {
		t.Errorf("a run that fits: warnings %q, error %v", warn, err)
	}
}

func TestPreflightMemory(t *testing.T) {
	s := modelShape{info: engine.BackendInfo{NLayer: 32, NEmbd: 4096, NHead: 32, NHeadKV: 8, NVocab: 128256, SizeBytes: 16 << 30, KVType: "f16"}, nFF: 14336}
	gpu := memory{where: "NVIDIA H100", free: 20 << 30, gpu: true}
	if err := checkWeights(s, "llama-3.1-8b", -1, gpu); err != nil {
		t.Errorf("16 GiB of weights in 20 GiB: %v", err)
	}
	wantInput(t, checkWeights(s, "llama-3.1-8b", -1, memory{where: "the host", free: 8 << 30}),
		"the weights of llama-3.1-8b need 16.0 GiB but the host has 8.0 GiB free: pick a smaller model or weight type (llama-3.1-8b:q4_0)")
	// Half the layers offloaded: about half the weights on the GPU.
	if err := checkWeights(s, "llama-3.1-8b", 16, memory{where: "GPU", free: 9 << 30, gpu: true}); err != nil {
		t.Errorf("half the layers on a 9 GiB GPU: %v", err)
	}
	// 128 KiB of KV cache a token: 64 x 1024 tokens are 8 GiB, with 16 GiB of weights.
	cfg := engine.Config{MaxBatchSize: 64, MaxNumTokens: 2048, MaxSeqLen: 1024}
	bo := llamacpp.BackendOptions{FlashAttn: "auto"}
	if err := checkContext(s, cfg, bo, false, memory{where: "GPU", free: 26 << 30, gpu: true}, 16<<30, ""); err != nil {
		t.Errorf("16 + 8 GiB and the compute buffers in 26 GiB: %v", err)
	}
	err := checkContext(s, cfg, bo, false, memory{where: "GPU", free: 20 << 30, gpu: true}, 16<<30, "")
	wantInput(t, err, "a KV cache of 64 sequences x 1024 tokens needs 8.0 GiB (128.0 KiB a token)", "GPU has 20.0 GiB free", "(room for 64 sequences of ")
	// Sized from free memory, the cache fits by construction; only the rest is checked.
	if err := checkContext(s, cfg, bo, true, memory{where: "GPU", free: 20 << 30, gpu: true}, 16<<30, ""); err != nil {
		t.Errorf("a cache sized from free memory: %v", err)
	}
	// Unknown free memory is not checked, but overflows are.
	if err := checkContext(s, cfg, bo, false, memory{}, 16<<30, ""); err != nil {
		t.Errorf("unknown memory: %v", err)
	}
	// The compute buffers grow with the attention scores when flash attention is off.
	off := llamacpp.BackendOptions{FlashAttn: "off"}
	if on, noFA := computeBytes(s, cfg, bo, 1024), computeBytes(s, cfg, off, 1024); noFA <= on {
		t.Errorf("compute buffers with flash attention %d, without %d", on, noFA)
	}
}

// In a running session, a request too long for memory is refused before the context is
// made, and max_num_tokens below max_batch_size runs, each step within max_num_tokens.
func TestPrepareChecksMemoryAndBatch(t *testing.T) {
	s := openTiny(t, false)
	cfg := engine.Config{MaxBatchSize: 4, MaxNumTokens: 256, Concurrency: -1, EOSID: -1}
	_, err := s.Run(context.Background(), Spec{Requests: oneRequest(8, 1_000_000_000), DatasetPath: "huge.jsonl", Engine: cfg}, nil)
	wantInput(t, err, "a KV cache of 4 sequences x 1000000008 tokens needs", "max_seq_len is the longest request's, line 1 of dataset huge.jsonl")

	iter := filepath.Join(t.TempDir(), "iter.jsonl")
	sp := spec(16, 32, 16, 8)
	sp.Engine.MaxNumTokens = 8
	sp.IterationLogPath = iter
	r, err := s.Run(context.Background(), sp, nil)
	if err := runErr(r, err); err != nil {
		t.Fatalf("max_num_tokens 8 with max_batch_size 16: %v", err)
	}
	for _, rec := range r.Result.Records {
		if rec.Failed() || rec.OutputTokens() != 8 {
			t.Fatalf("record %+v: want 8 tokens", rec)
		}
	}
	data, err := os.ReadFile(iter)
	if err != nil {
		t.Fatal(err)
	}
	most := 0
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var st engine.StepLog
		if err := jsonUnmarshal(line, &st); err != nil {
			t.Fatal(err)
		}
		most = max(most, st.NumTokens)
	}
	if most == 0 || most > 8 {
		t.Errorf("the largest step had %d tokens, want 1 to 8", most)
	}
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }

// TestPreflightRPC checks that a model spread over RPC servers is not refused for not
// fitting this machine alone: the servers hold their share.
func TestPreflightRPC(t *testing.T) {
	devs := []engine.Device{{Name: "CPU", Type: "cpu"}, {Name: "RPC0", Type: "rpc", Host: "10.0.0.2:50052", FreeBytes: 1 << 40}}
	if m := memoryFor(devs, -1, 1); m.free != 0 {
		t.Errorf("memory with an RPC server: %+v, want unknown", m)
	}
	if m := memoryFor(devs[:1], -1, 1); m.where != "the host" {
		t.Errorf("memory without one: %+v", m)
	}
	hw := &Hardware{}
	if m := memoryBefore(llamacpp.BackendOptions{RPC: []string{"10.0.0.2:50052"}}, 1, Env{Hardware: hw}); m.free != 0 {
		t.Errorf("memory before loading, with an RPC server: %+v, want unknown", m)
	}
}
