package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/benchtui/benchtui/dataset"
	"github.com/benchtui/benchtui/engine/llamaserver"
	"github.com/benchtui/benchtui/report"
	"github.com/benchtui/benchtui/synth"
)

// startLlamaServer starts a real llama-server on the tiny model, stopped when the test ends.
func startLlamaServer(t *testing.T, slots int) *llamaserver.Server {
	t.Helper()
	m, err := synth.ParseModel("tiny")
	if err != nil {
		t.Fatal(err)
	}
	file, err := synth.Ensure(context.Background(), m, 420, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := llamaserver.Start(context.Background(), llamaserver.Options{ModelPath: file, Alias: "tiny", Parallel: slots,
		CtxSize: slots * 256, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Stop() })
	return srv
}

// writeDataset writes a token-id dataset of n requests for the tiny model.
func writeDataset(t *testing.T, dir string, n, isl, osl int) string {
	t.Helper()
	reqs, _, err := dataset.GenerateNormal(dataset.NormalOptions{
		GenerateOptions: dataset.GenerateOptions{NumRequests: n, VocabSize: 2048, EOS: -1, Seed: 5},
		InputMean:       isl, InputStdev: isl / 4, OutputMean: osl,
	})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "dataset.jsonl")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := dataset.WriteJSONL(f, reqs); err != nil {
		t.Fatal(err)
	}
	return path
}

// keyPaths lists every key path of a JSON document's objects under the given top-level keys.
func keyPaths(v any, prefix string, out *[]string) {
	m, ok := v.(map[string]any)
	if !ok {
		return
	}
	for k, c := range m {
		p := prefix + "." + k
		*out = append(*out, p)
		keyPaths(c, p, out)
	}
}

func reportKeys(t *testing.T, path string, sections ...string) []string {
	t.Helper()
	var rep map[string]any
	readJSON(t, path, &rep)
	var keys []string
	for _, s := range sections {
		if _, ok := rep[s]; !ok {
			t.Errorf("%s has no %q", path, s)
		}
		keyPaths(rep[s], s, &keys)
	}
	slices.Sort(keys)
	return keys
}

// The same dataset through llama.cpp in process and through llama-server (started by
// benchtui) gives reports of the same keys and every output file, and compare sets them
// side by side, saying which went over HTTP.
func TestLlamaServerBesideInProcess(t *testing.T) {
	dir := t.TempDir()
	data := writeDataset(t, dir, 12, 48, 12)
	out := map[string]string{}
	for _, backend := range []string{"llamacpp", "llama-server"} {
		d := filepath.Join(dir, backend)
		os.Mkdir(d, 0o755)
		code, stdout, errs := runCLI(t, "--model", "tiny", "throughput", "--backend", backend, "--dataset", data, "--max_batch_size", "4",
			"--concurrency", "8", "--slo", "ttft=10s,e2e=20s", "--report_json", filepath.Join(d, "report.json"), "--request_json", filepath.Join(d, "requests.json"),
			"--export", filepath.Join(d, "export.json"), "--html", filepath.Join(d, "report.html"), "--quiet")
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", backend, code, errs)
		}
		for _, want := range []string{"PERFORMANCE OVERVIEW", "GOODPUT", "12 of 12 (100.0%)"} {
			if !strings.Contains(stdout, want) {
				t.Errorf("%s: summary lacks %q", backend, want)
			}
		}
		if backend == "llama-server" {
			for _, want := range []string{"SERVING DETAILS", "server prompt", "Requested Length Honoured:                  12 of 12 requests"} {
				if !strings.Contains(stdout, want) {
					t.Errorf("llama-server: summary lacks %q:\n%s", want, stdout)
				}
			}
		}
		for _, f := range []string{"report.json", "requests.json", "export.json", "report.html"} {
			if st, err := os.Stat(filepath.Join(d, f)); err != nil || st.Size() == 0 {
				t.Errorf("%s: %s not written (%v)", backend, f, err)
			}
		}
		out[backend] = d
	}
	trt := []string{"engine", "world_info", "request_info", "performance", "streaming_metrics", "dataset"}
	a, b := reportKeys(t, filepath.Join(out["llamacpp"], "report.json"), trt...), reportKeys(t, filepath.Join(out["llama-server"], "report.json"), trt...)
	if !slices.Equal(a, b) {
		t.Errorf("trtllm-bench keys differ:\nllamacpp     %v\nllama-server %v", a, b)
	}
	x, err := report.ReadExport(filepath.Join(out["llama-server"], "export.json"))
	if err != nil {
		t.Fatal(err)
	}
	if x.Report.Engine.Backend != "llama-server" || x.Report.WorldInfo.MaxBatchSize != 4 || len(x.Requests) != 12 || x.Report.BenchTUI.Serving == nil {
		t.Errorf("llama-server export: engine %+v, world %+v, %d records", x.Report.Engine, x.Report.WorldInfo, len(x.Requests))
	}
	for _, r := range x.Requests {
		if r.Server == nil || r.UsageOutputTokens != r.TargetOutputTokens {
			t.Errorf("request %d: server timings %v, usage %d of %d", r.Index, r.Server, r.UsageOutputTokens, r.TargetOutputTokens)
		}
	}

	code, cmp, errs := runCLI(t, "compare", filepath.Join(out["llamacpp"], "report.json"), filepath.Join(out["llama-server"], "report.json"))
	if code != 0 {
		t.Fatalf("compare: exit %d: %s", code, errs)
	}
	t.Logf("compare:\n%s", cmp)
	for _, want := range []string{"llamacpp", "llama-server", "was measured over HTTP (llama-server)", "goodput_req_s", "server_overhead_p50_ms"} {
		if !strings.Contains(cmp, want) {
			t.Errorf("compare lacks %q:\n%s", want, cmp)
		}
	}
	if strings.Contains(cmp, "ran another workload") {
		t.Errorf("the same dataset counts as another workload:\n%s", cmp)
	}
}

// --backend openai measures a server that runs already (a real llama-server here), with
// requests spread over its two spellings of a base URL, an arrival rate, and every output.
func TestThroughputOpenAI(t *testing.T) {
	srv := startLlamaServer(t, 4)
	dir := t.TempDir()
	rep, reqs := filepath.Join(dir, "report.json"), filepath.Join(dir, "requests.json")
	code, stdout, errs := runCLI(t, "throughput", "--backend", "openai", "--base-url", srv.URL, "--base_url", srv.URL+"/v1", "--num_requests", "12",
		"--isl", "32", "--osl", "8", "--concurrency", "4", "--request-rate", "50", "--burstiness", "2", "--report_json", rep, "--request_json", reqs,
		"--export", filepath.Join(dir, "export.json"), "--html", filepath.Join(dir, "report.html"), "--quiet")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"Server Version", "SERVING DETAILS", "Target Request Rate (req/sec):              50.0000", "-- Per Endpoint", srv.URL + "/v1", "note: telemetry of this machine"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, stdout)
		}
	}
	x, err := report.ReadExport(rep)
	if err != nil {
		t.Fatal(err)
	}
	r := &x.Report
	if r.Engine.Backend != "openai" || r.Engine.Model != "tiny" || r.RequestInfo.NumRequests != 12 || r.WorldInfo.MaxBatchSize != 4 || r.BenchTUI.SyntheticWeights {
		t.Errorf("report: engine %+v, %d requests, world %+v", r.Engine, r.RequestInfo.NumRequests, r.WorldInfo)
	}
	if s := r.BenchTUI.Serving; s == nil || len(s.PerEndpoint) != 2 || s.Load.TargetRate != 50 || s.Load.SendLagMS.Count != 12 {
		t.Errorf("serving section %+v", s)
	}
	var entries []map[string]any
	readJSON(t, reqs, &entries)
	if len(entries) != 12 || entries[1]["endpoint"] != srv.URL+"/v1" || entries[1]["send_lag"] == nil {
		t.Errorf("request records %v", entries[:1])
	}
	cfg := r.BenchTUI.Config.(map[string]any)
	if _, ok := cfg["server"]; !ok || cfg["llama_cpp"] != nil {
		t.Errorf("config %v: a server that ran already is described as the server", cfg)
	}
}

// Bad server settings are one line and exit status 2, found before anything runs.
func TestServeFlagErrors(t *testing.T) {
	closed := "http://127.0.0.1:1"
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--backend", "openai"}, "--base_url http://HOST:PORT"},
		{[]string{"--backend", "openai", "--base_url", closed, "--flash_attn", "on"}, "--flash_attn is a setting of the engine"},
		{[]string{"--backend", "openai", "--base_url", closed, "--max_batch_size", "8"}, "--max_batch_size is a setting of the engine"},
		{[]string{"--backend", "openai", "--base_url", "ftp://x"}, "--base_url \"ftp://x\""},
		{[]string{"--backend", "openai", "--base_url", closed, "--endpoint", "embeddings"}, "--endpoint \"embeddings\""},
		{[]string{"--backend", "openai", "--base_url", closed}, "connection refused"},
		{[]string{"--base_url", closed}, "--base_url is for a server"},
		{[]string{"--request_rate", "4"}, "--request_rate is for a server"},
		{[]string{"--backend", "llama-server", "--burstiness", "2"}, "burstiness needs a request_rate"},
		{[]string{"--backend", "llama-server", "--request_rate", "-1"}, "request_rate is -1"},
		{[]string{"--backend", "llama-server", "--base_url", closed}, "--base_url is for --backend openai"},
		{[]string{"--backend", "llama-server", "--static_batching"}, "--static_batching has no meaning for llama-server"},
		{[]string{"--slo", "ttft=fast"}, "--slo \"ttft=fast\""},
		{[]string{"--backend", "vllm"}, "--backend \"vllm\": want llamacpp"},
	} {
		code, _, errs := runCLI(t, append([]string{"throughput", "--num_requests", "2", "--quiet"}, c.args...)...)
		if code != exitUsage || !strings.Contains(errs, c.want) || strings.Count(strings.TrimSpace(errs), "\n") > 0 {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and one line with %q", c.args, code, errs, c.want)
		}
	}
}

// The dashboard takes the server settings from its flags and its settings file, checked as
// headless before the terminal is looked at; a flag's base URLs replace the file's.
func TestDashboardServeSettings(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.toml")
	os.WriteFile(cfg, []byte("backend = \"openai\"\nbase_url = [\"http://127.0.0.1:1\", \"http://127.0.0.1:2\"]\nslo = \"ttft=1s\"\nrequest_rate = 4\n"), 0o644)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--backend", "openai"}, "give --base_url"},
		{[]string{"--backend", "openai", "--base_url", "http://127.0.0.1:1", "--max_batch_size", "4"}, "--max_batch_size is a setting of the engine"},
		{[]string{"--backend", "llamacpp", "--request_rate", "3"}, "--request_rate is for a server"},
		{[]string{"--config", cfg}, "needs a terminal"},
		{[]string{"--config", cfg, "--base_url", "ftp://x"}, "--base_url \"ftp://x\""},
		{[]string{"--config", cfg, "--slo", "ttft"}, "--slo \"ttft\""},
		{[]string{"--backend", "sglang"}, "--backend \"sglang\": want llamacpp"},
	} {
		code, _, errs := runCLI(t, append([]string{"dashboard"}, c.args...)...)
		if code != exitUsage || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, %q; want exit 2 with %q", c.args, code, errs, c.want)
		}
	}
	os.WriteFile(cfg, []byte("request_rates = 4\n"), 0o644)
	if _, _, errs := runCLI(t, "dashboard", "--config", cfg); !strings.Contains(errs, "unknown key request_rates") || !strings.Contains(errs, "request_rate, burstiness, slo") {
		t.Errorf("unknown settings key: %q", errs)
	}
}
