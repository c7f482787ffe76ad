package llamaserver

import (
	"context"
	"testing"

	"github.com/benchtui/benchtui/dataset"
	"github.com/benchtui/benchtui/engine"
	"github.com/benchtui/benchtui/engine/llamacpp"
	"github.com/benchtui/benchtui/engine/openai"
	"github.com/benchtui/benchtui/report"
)

// TestSameDatasetBothWays runs one dataset through llama.cpp in process (the step driver)
// and through llama-server (the stream driver) with the same model, slots and context, and
// checks that the two give records of the same shape: every request completed with its exact
// output length, so that their reports compare figure by figure. The figures are logged side
// by side; llama-server's own timings show how much of its end-to-end latency is HTTP.
func TestSameDatasetBothWays(t *testing.T) {
	model := tinyModel(t)
	const slots, seqLen = 4, 256
	reqs, _, err := dataset.GenerateNormal(dataset.NormalOptions{
		GenerateOptions: dataset.GenerateOptions{NumRequests: 16, VocabSize: 2048, EOS: -1, Seed: 3},
		InputMean:       64, OutputMean: 32,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	lb, err := llamacpp.Open(ctx, llamacpp.Options{ModelPath: model, Threads: threads(), GPULayers: 0, FlashAttn: "auto", OffloadKQV: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer lb.Close()
	if err := lb.CreateContext(slots*seqLen, 256, 0, slots); err != nil {
		t.Fatal(err)
	}
	local, err := engine.Run(ctx, lb, reqs, engine.Config{MaxBatchSize: slots, MaxNumTokens: 256, MaxSeqLen: seqLen, Concurrency: slots, Warmup: 2, EOSID: -1}, engine.Hooks{}, nil)
	if err != nil {
		t.Fatal(err)
	}

	sb, err := Open(ctx, Options{ModelPath: model, Parallel: slots, CtxSize: slots * seqLen, BatchSize: 256, Threads: threads(), FlashAttn: "auto"}, openai.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	remote, err := engine.RunStream(ctx, sb, reqs, engine.Config{MaxBatchSize: slots, Concurrency: slots, Warmup: 2}, engine.Load{ScrapeEvery: -1}, nil)
	if err != nil {
		t.Fatal(err)
	}

	var serverMS, clientMS float64
	for i := range reqs {
		l, r := &local.Records[i], &remote.Records[i]
		if !l.Completed() || !r.Completed() {
			t.Fatalf("request %d: in process %q, llama-server %q", i, l.Error, r.Error)
		}
		if l.OutputTokens() != reqs[i].OutputTokens || r.OutputTokens() != reqs[i].OutputTokens || l.InputTokens != r.InputTokens {
			t.Errorf("request %d: in process %d tokens of %d input, llama-server %d of %d; %d requested", i, l.OutputTokens(), l.InputTokens, r.OutputTokens(), r.InputTokens, reqs[i].OutputTokens)
		}
		if r.Server != nil {
			serverMS += r.Server.PromptMS + r.Server.PredictedMS
			clientMS += float64(r.EndNS-r.StartNS) / 1e6
		}
	}
	lm, rm := report.ComputeMetrics(local.Records, 1, 1), report.ComputeMetrics(remote.Records, 1, 1)
	t.Logf("in process:   %.1f output tok/s, TTFT p50 %.2f ms, TPOT p50 %.2f ms", lm.OutputThroughput, lm.TTFTMS.P50, lm.TPOTMS.P50)
	t.Logf("llama-server: %.1f output tok/s, TTFT p50 %.2f ms, TPOT p50 %.2f ms; the server's own timings are %.0f%% of the client's end-to-end latency",
		rm.OutputThroughput, rm.TTFTMS.P50, rm.TPOTMS.P50, 100*serverMS/clientMS)
	if serverMS == 0 || serverMS > clientMS {
		t.Errorf("llama-server's timings add up to %.1f ms against the client's %.1f ms", serverMS, clientMS)
	}
}
