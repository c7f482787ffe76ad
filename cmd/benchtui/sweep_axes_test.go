package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// sweepDoc is what these tests read of sweep.json.
type sweepDoc struct {
	Points []struct {
		Params  map[string]string `json:"params"`
		Reports []struct {
			RequestInfo struct {
				NumRequests int `json:"num_requests"`
			} `json:"request_info"`
			BenchTUI struct {
				Config struct {
					BackendOptions struct {
						NUBatch    int   `json:"n_ubatch"`
						CUDAGraphs *bool `json:"cuda_graphs"`
					} `json:"backend_options"`
					LlamaCpp struct {
						NUBatch int `json:"n_ubatch"`
					} `json:"llama_cpp"`
				} `json:"config"`
			} `json:"benchtui"`
		} `json:"reports"`
	} `json:"points"`
}

// n_ubatch and cuda_graphs are backend axes: each value gets its own backend process, the
// context llama.cpp makes has the point's micro-batch, the point's report records the CUDA
// graphs setting its backend ran with, and --requests_per_batch sizes each point's set from
// its batch size.
func TestSweepEngineAxes(t *testing.T) {
	out := filepath.Join(t.TempDir(), "sw")
	code, stdout, errs := runCLI(t, "sweep", "--model", "tiny", "--n_ubatch", "16,32", "--cuda_graphs", "off,on",
		"--max_batch_size", "2,3", "--requests_per_batch", "2", "--isl", "24", "--osl", "8", "--warmup", "0", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if n := strings.Count(errs, "sweep: loading"); n != 4 {
		t.Errorf("model loaded %d times, want 4 (one per n_ubatch and cuda_graphs pair):\n%s", n, errs)
	}
	var doc sweepDoc
	readJSON(t, filepath.Join(out, "sweep.json"), &doc)
	if len(doc.Points) != 8 {
		t.Fatalf("%d points, want 8:\n%s", len(doc.Points), stdout)
	}
	for _, p := range doc.Points {
		r := p.Reports[0]
		cfg := r.BenchTUI.Config
		ub, graphs, batch := p.Params["n_ubatch"], p.Params["cuda_graphs"], p.Params["max_batch_size"]
		if got := strconv.Itoa(cfg.LlamaCpp.NUBatch); got != ub || strconv.Itoa(cfg.BackendOptions.NUBatch) != ub {
			t.Errorf("point %v: llama.cpp's n_ubatch %d, options %d", p.Params, cfg.LlamaCpp.NUBatch, cfg.BackendOptions.NUBatch)
		}
		if g := cfg.BackendOptions.CUDAGraphs; g == nil || *g != (graphs == "on") {
			t.Errorf("point %v: cuda_graphs %v", p.Params, g)
		}
		if b, _ := strconv.Atoi(batch); r.RequestInfo.NumRequests != 2*b {
			t.Errorf("point %v: %d requests, want %d", p.Params, r.RequestInfo.NumRequests, 2*b)
		}
	}
	if !strings.Contains(stdout, "| n_ubatch | cuda_graphs | max_batch_size |") {
		t.Errorf("the table does not show the swept axes:\n%s", stdout)
	}
}

// An options file's n_ubatch and cuda_graphs are the axes' values when the flags are not
// given; "default" leaves CUDA graphs to benchtui's default.
func TestSweepEngineAxesFromFile(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "opts.toml")
	if err := os.WriteFile(cfg, []byte("n_ubatch = 16\ncuda_graphs = true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "sw")
	code, _, errs := runCLI(t, "sweep", "--model", "tiny", "--config", cfg, "--max_batch_size", "2", "--num_requests", "2",
		"--isl", "24", "--osl", "4", "--warmup", "0", "--out", out, "--quiet")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var doc sweepDoc
	readJSON(t, filepath.Join(out, "sweep.json"), &doc)
	p := doc.Points[0]
	if p.Params["n_ubatch"] != "16" || p.Params["cuda_graphs"] != "on" || p.Reports[0].BenchTUI.Config.LlamaCpp.NUBatch != 16 {
		t.Errorf("point %v, llama.cpp's n_ubatch %d", p.Params, p.Reports[0].BenchTUI.Config.LlamaCpp.NUBatch)
	}
	out2 := filepath.Join(dir, "sw2")
	code, _, errs = runCLI(t, "sweep", "--model", "tiny", "--config", cfg, "--cuda_graphs", "default", "--max_batch_size", "2",
		"--num_requests", "2", "--isl", "24", "--osl", "4", "--warmup", "0", "--out", out2, "--quiet")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var doc2 sweepDoc
	readJSON(t, filepath.Join(out2, "sweep.json"), &doc2)
	if g := doc2.Points[0].Reports[0].BenchTUI.Config.BackendOptions.CUDAGraphs; g != nil {
		t.Errorf("--cuda_graphs default ran with cuda_graphs %v, want benchtui's default (unset)", *g)
	}
}

// Values the engine cannot take, and combinations that would not do what they say, are one
// line each with exit status 2, before anything is written.
func TestSweepEngineAxesRefused(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--n_ubatch", "512,4096"}, "--n_ubatch 4096 is more than --max_num_tokens 2048"},
		{[]string{"--n_ubatch", "-1"}, "--n_ubatch -1: it must be 0"},
		{[]string{"--n_ubatch", "big"}, `--n_ubatch "big": not an integer`},
		{[]string{"--cuda_graphs", "yes"}, "--cuda_graphs yes: want on, off or default"},
		{[]string{"--cuda_graphs", "on,off", "--in_process"}, "ggml reads the setting once per process"},
		{[]string{"--backend", "llama-server", "--cuda_graphs", "on"}, "a server keeps its own CUDA graphs setting"},
		{[]string{"--backend", "openai", "--base_url", "http://127.0.0.1:9", "--n_ubatch", "256"}, "has set its own micro-batch"},
		{[]string{"--requests_per_batch", "2", "--num_requests", "8"}, "give one"},
		{[]string{"--requests_per_batch", "-2"}, "--requests_per_batch -2: it must be 1 or more"},
	} {
		out := filepath.Join(t.TempDir(), "sw")
		code, _, errs := runCLI(t, append([]string{"sweep", "--model", "tiny", "--out", out, "--quiet"}, c.args...)...)
		if code != 2 || !strings.Contains(errs, c.want) || strings.Count(strings.TrimSpace(errs), "\n") > 0 {
			t.Errorf("%v: exit %d, %q; want exit 2 and one line with %q", c.args, code, errs, c.want)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%v: %s was written", c.args, out)
		}
	}
}
