package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/benchtui/benchtui/report"
)

// A backend axis runs every point through llama.cpp in process and through llama-server.
func TestSweepBackendAxis(t *testing.T) {
	out := filepath.Join(t.TempDir(), "sweep")
	code, stdout, errs := runCLI(t, "sweep", "--backend", "llamacpp,llama-server", "--max_batch_size", "2", "--num_requests", "6",
		"--isl", "16", "--osl", "4", "--warmup", "0", "--out", out, "--quiet")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var doc struct {
		Points []struct {
			Params  map[string]string `json:"params"`
			Reports []report.Report   `json:"reports"`
		} `json:"points"`
	}
	readJSON(t, filepath.Join(out, "sweep.json"), &doc)
	if len(doc.Points) != 2 {
		t.Fatalf("%d points, want 2:\n%s", len(doc.Points), stdout)
	}
	for i, want := range []string{"llamacpp", "llama-server"} {
		p := doc.Points[i]
		if p.Params["backend"] != want || p.Reports[0].Engine.Backend != want || p.Reports[0].RequestInfo.NumRequests != 6 {
			t.Errorf("point %d: params %v, backend %q, %d requests", i, p.Params, p.Reports[0].Engine.Backend, p.Reports[0].RequestInfo.NumRequests)
		}
	}
	if !strings.Contains(stdout, "| llama-server |") {
		t.Errorf("the table does not show the backend:\n%s", stdout)
	}
}

// An SLO sweep over the request rate finds the highest rate meeting the SLO on a real
// llama-server: doubling until a run misses it, then bisecting.
func TestSweepRateSearch(t *testing.T) {
	out := filepath.Join(t.TempDir(), "search")
	// The SLO must fail once requests queue: at a rate past the server's, request i of 32 on
	// 2 slots ends after about i/2 request times, so fewer than 90% end within 100 ms unless a
	// request takes under 6 ms, while alone (at the first rates) one takes well under 100 ms
	// even on a loaded machine.
	code, stdout, errs := runCLI(t, "sweep", "--backend", "llama-server", "--max_batch_size", "2", "--num_requests", "32",
		"--isl", "64", "--osl", "16", "--warmup", "1", "--request_rate", "search", "--slo", "e2e=100ms,attain=90%",
		"--rate_start", "32", "--rate_runs", "6", "--out", out, "--quiet")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var doc struct {
		Searches []struct {
			SLO     string             `json:"slo"`
			MaxRate float64            `json:"max_request_rate"`
			Runs    []report.RatePoint `json:"runs"`
		} `json:"searches"`
	}
	readJSON(t, filepath.Join(out, "rate-search.json"), &doc)
	if len(doc.Searches) != 1 {
		t.Fatalf("%d searches, want 1", len(doc.Searches))
	}
	s := doc.Searches[0]
	t.Logf("%s: %g requests/s after %d runs\n%s", s.SLO, s.MaxRate, len(s.Runs), stdout)
	passed, failedAbove := false, false
	for _, r := range s.Runs {
		if r.Rate == s.MaxRate && r.Goodput.Pass {
			passed = true
		}
		if r.Rate > s.MaxRate && !r.Goodput.Pass {
			failedAbove = true
		}
	}
	if s.MaxRate > 0 && (!passed || !failedAbove) {
		t.Errorf("max rate %g: a run at it passed %v, a run above it failed %v: %+v", s.MaxRate, passed, failedAbove, s.Runs)
	}
	if len(s.Runs) < 2 || !strings.Contains(stdout, "request rate") || !strings.Contains(stdout, "e2e=100ms,attain=90%") {
		t.Errorf("%d runs; output:\n%s", len(s.Runs), stdout)
	}
}

func TestSweepServeErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--backend", "llama-server", "--request_rate", "search"}, "give --slo"},
		{[]string{"--backend", "llamacpp", "--request_rate", "2"}, "--request_rate is for a server"},
		{[]string{"--backend", "llamacpp,llama-server", "--request_rate", "2"}, "--request_rate is for a server"},
		{[]string{"--backend", "llamacpp,openai"}, "give --base_url"},
		{[]string{"--backend", "openai", "--base_url", "http://127.0.0.1:1", "--flash_attn", "on,off"}, "--flash_attn is a setting of the engine"},
		{[]string{"--backend", "llama-server", "--request_rate", "1,search", "--slo", "ttft=1s"}, "give it alone"},
		{[]string{"--backend", "llama-server", "--request_rate", "fast"}, "--request_rate \"fast\""},
		{[]string{"--backend", "tgi"}, "--backend \"tgi\""},
	} {
		code, _, errs := runCLI(t, append([]string{"sweep", "--quiet", "--out", filepath.Join(t.TempDir(), "x")}, c.args...)...)
		if code != exitUsage || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, %q; want exit 2 with %q", c.args, code, errs, c.want)
		}
	}
}
