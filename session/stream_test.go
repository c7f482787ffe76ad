package session

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/benchtui/benchtui/dataset"
	"github.com/benchtui/benchtui/engine"
	"github.com/benchtui/benchtui/engine/llamacpp"
	"github.com/benchtui/benchtui/engine/openai/openaitest"
	"github.com/benchtui/benchtui/report"
)

func openManaged(t *testing.T) *stream {
	t.Helper()
	o, env := tinyOptions(t, true)
	o.Server = &ServerOptions{Managed: true}
	s, err := Open(context.Background(), o, env, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s.(*stream)
}

// A managed llama-server serves the tiny model: it starts with the first run's slots and
// context, is kept while runs have that shape and restarted for another, and its runs give
// the same records as llama.cpp in process, with the server's own timings beside them.
func TestManagedServerRuns(t *testing.T) {
	s := openManaged(t)
	if s.ServerPID() != 0 {
		t.Fatal("llama-server started before the first run")
	}
	run := func(sp Spec) *Run {
		t.Helper()
		// Each run's context ends with it, as the dashboard's do: the server outlives it.
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		r, err := s.Run(ctx, sp, nil)
		if err != nil {
			t.Fatal(err)
		}
		if r.Err != nil {
			t.Fatalf("run B=%d: %v", sp.Engine.MaxBatchSize, r.Err)
		}
		for i, rec := range r.Result.Records {
			if !rec.Completed() || rec.OutputTokens() != r.Requests[i].OutputTokens || rec.AdmitNS != -1 {
				t.Fatalf("request %d: %s, %d tokens of %d, admit %d", i, rec.State(), rec.OutputTokens(), r.Requests[i].OutputTokens, rec.AdmitNS)
			}
		}
		return r
	}
	r := run(spec(4, 8, 24, 8))
	pid := s.ServerPID()
	if pid == 0 || s.Info().NSeqMax != 4 || s.Info().Backend != BackendLlamaServer {
		t.Fatalf("after the first run: pid %d, info %+v", pid, s.Info())
	}
	rep := s.Report(r, ReportExtra{SLO: &report.SLO{E2E: time.Hour}})
	sv := rep.BenchTUI.Serving
	if sv == nil || sv.ServerTimings == nil || sv.ServerTimings.Requests != 8 || len(sv.Endpoints) != 1 {
		t.Fatalf("serving section %+v", sv)
	}
	if sv.Lengths.Honoured != 8 || sv.Lengths.Requested != 64 {
		t.Errorf("lengths %+v: llama-server was asked for 8 tokens each", sv.Lengths)
	}
	if o := sv.ServerTimings.OverheadMS; o.Count != 8 || o.Minimum < 0 {
		t.Errorf("client minus server time %+v: the client's span holds the server's", o)
	}
	if g := rep.BenchTUI.Goodput; g == nil || g.Met != 8 || !g.Pass {
		t.Errorf("goodput against e2e=1h: %+v", g)
	}
	if rep.Engine.Backend != BackendLlamaServer || rep.WorldInfo.MaxBatchSize != 4 || !rep.BenchTUI.SyntheticWeights || rep.BenchTUI.ModelPreset != "tiny" {
		t.Errorf("report engine %+v, world %+v", rep.Engine, rep.WorldInfo)
	}
	if rep.BenchTUI.SampleCounts.QueueTime != 0 {
		t.Errorf("%d queue times: a server admits requests out of the client's sight", rep.BenchTUI.SampleCounts.QueueTime)
	}

	// Shorter requests make a smaller context (max_seq_len follows them): a new server.
	run(spec(4, 6, 16, 8))
	pid2 := s.ServerPID()
	run(spec(4, 6, 16, 8))
	if s.ServerPID() != pid2 {
		t.Errorf("llama-server restarted for a run of the same shape (pid %d, then %d)", pid2, s.ServerPID())
	}
	run(spec(2, 4, 16, 8))
	if s.ServerPID() == pid2 || s.Info().NSeqMax != 2 {
		t.Errorf("a run of 2 slots kept the server of 4 (pid %d, slots %d)", s.ServerPID(), s.Info().NSeqMax)
	}
}

// Text prompts are tokenized with the model's vocabulary to size the server's context, and
// sent as ids, so that the server and llama.cpp in process see the same tokens.
func TestManagedServerTextPrompts(t *testing.T) {
	s := openManaged(t)
	reqs := []dataset.Request{{Prompt: "The quick brown fox jumps over the lazy dog", OutputTokens: 4}, {Prompt: "Hello", OutputTokens: 3}}
	r, err := s.Run(context.Background(), Spec{Requests: reqs, Engine: engine.Config{MaxBatchSize: 2, MaxNumTokens: 64, Concurrency: -1, EOSID: -1}}, nil)
	if err != nil || r.Err != nil {
		t.Fatal(err, r.Err)
	}
	for i, rec := range r.Result.Records {
		if !rec.Completed() || rec.InputTokens == 0 || rec.UsagePromptTokens != rec.InputTokens {
			t.Errorf("request %d: %s, %d input tokens, the server counted %d", i, rec.State(), rec.InputTokens, rec.UsagePromptTokens)
		}
	}
	if r.Stats.ISL.Minimum == 0 {
		t.Errorf("dataset statistics %+v: the prompts were tokenized", r.Stats.ISL)
	}
}

// Servers that run already: requests go to the endpoints in turn and the report breaks the
// figures down per endpoint; chunks of several tokens make ITL per chunk; generated requests
// need a vocabulary the server does not say here; an arrival rate is kept and reported.
func TestOpenAIServers(t *testing.T) {
	var urls []string
	for range 2 {
		srv, err := openaitest.Start(openaitest.Options{TTFT: 5 * time.Millisecond, Gap: 2 * time.Millisecond, TokensPerChunk: 2})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(srv.Close)
		urls = append(urls, srv.URL)
	}
	o, env := tinyOptions(t, true)
	o.Server = &ServerOptions{BaseURLs: urls}
	s, err := Open(context.Background(), o, env, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	sp := spec(0, 12, 16, 8)
	_, err = s.Run(context.Background(), sp, nil)
	var ie InputError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), "--tokenizer") {
		t.Fatalf("a generated set for a server of unknown vocabulary: %v, want an input error naming --tokenizer", err)
	}
	s.Close()

	o.Server.Vocab = "tiny"
	if s, err = Open(context.Background(), o, env, nil); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	sp.RequestRate, sp.Burstiness = 200, 1
	r, err := s.Run(context.Background(), sp, nil)
	if err != nil || r.Err != nil {
		t.Fatal(err, r.Err)
	}
	rep := s.Report(r, ReportExtra{})
	sv := rep.BenchTUI.Serving
	if sv == nil || len(sv.PerEndpoint) != 2 {
		t.Fatalf("serving section %+v: want two endpoints", sv)
	}
	for i, e := range sv.PerEndpoint {
		if e.Endpoint != urls[i] || e.Completed != 6 {
			t.Errorf("endpoint %d: %+v, want %s with 6 requests", i, e, urls[i])
		}
	}
	if sv.Chunks.TokensPerChunk != 2 || sv.Lengths.Honoured != 12 {
		t.Errorf("chunks %+v, lengths %+v", sv.Chunks, sv.Lengths)
	}
	// Eight tokens in four chunks 2 ms apart: at most three gaps per request (fewer when two
	// chunks came in one socket read), none of them 0; per token there would be seven.
	if n := rep.BenchTUI.SampleCounts.ITL; n == 0 || n > 12*3 || rep.BenchTUI.ITLPercentilesMS.Minimum <= 0 {
		t.Errorf("%d ITL samples, minimum %.3f ms: want up to 36 gaps between chunks, none of 0", n, rep.BenchTUI.ITLPercentilesMS.Minimum)
	}
	if l := sv.Load; l.TargetRate != 200 || l.AchievedRate <= 0 || l.SendLagMS.Count != 12 {
		t.Errorf("load %+v", l)
	}
	if rep.Engine.Backend != BackendOpenAI || rep.Engine.Model != "test-model" || rep.BenchTUI.SyntheticWeights || rep.Engine.Dtype != "unknown" {
		t.Errorf("engine %+v, synthetic %v", rep.Engine, rep.BenchTUI.SyntheticWeights)
	}
}

// Abort ends a run against a server at once, keeping what finished, as canceled.
func TestOpenAIAbort(t *testing.T) {
	srv, err := openaitest.Start(openaitest.Options{TTFT: 5 * time.Millisecond, Gap: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	o, env := tinyOptions(t, true)
	o.Server = &ServerOptions{BaseURLs: []string{srv.URL}, Vocab: "tiny"}
	s, err := Open(context.Background(), o, env, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	time.AfterFunc(300*time.Millisecond, func() { s.Abort() })
	start := time.Now()
	r, err := s.Run(context.Background(), spec(0, 4, 8, 200), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(r.Err, engine.ErrCanceled) || time.Since(start) > 5*time.Second {
		t.Fatalf("aborted run: %v after %v", r.Err, time.Since(start))
	}
}

// TestServerOptionsFollowTheBackend checks that llama-server gets the backend options that
// the engine in process would apply, backend sampling among them.
func TestServerOptionsFollowTheBackend(t *testing.T) {
	on, off := true, false
	for _, c := range []struct {
		bs   *bool
		want bool
	}{{nil, false}, {&off, false}, {&on, true}} {
		s := &stream{base: base{opts: Options{Backend: llamacpp.BackendOptions{BackendSampling: c.bs, Threads: 1}}}}
		args := s.serverOptions(serverShape{parallel: 4, ctx: 1024, batch: 512, ubatch: 512}).Args(8080)
		if got := slices.Contains(args, "--backend-sampling"); got != c.want {
			t.Errorf("backend_sampling %v: --backend-sampling in %v is %v, want %v", c.bs, args, got, c.want)
		}
	}
}
