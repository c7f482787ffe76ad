package main

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/benchtui/benchtui/session"
)

// --scheduler_policy is checked before anything loads, and the report names the policy as
// trtllm-bench does; --static_batching is the same as --scheduler_policy static_batch.
func TestSchedulerPolicyFlag(t *testing.T) {
	for _, bad := range [][]string{
		{"--scheduler_policy", "fastest"},
		{"--context_chunking_policy", "random"},
		{"--static_batching", "--scheduler_policy", "waves"},
		{"--scheduler_policy", "waves", "--context_chunking_policy", "equal_progress"},
	} {
		args := append([]string{"throughput", "--model", "tiny", "--num_requests", "2", "--quiet"}, bad...)
		code, _, errs := runCLI(t, args...)
		if lines := strings.Split(strings.TrimSpace(errs), "\n"); code != 2 || len(lines) != 1 {
			t.Errorf("%v: exit %d, stderr %q: want 2 and one line", bad, code, errs)
		}
	}
	dir := t.TempDir()
	for _, c := range []struct {
		flags  []string
		policy string
	}{
		{nil, "GUARANTEED_NO_EVICT"},
		{[]string{"--scheduler_policy", "max_utilization"}, "MAX_UTILIZATION"},
		{[]string{"--static_batching"}, "STATIC_BATCH"},
		{[]string{"--scheduler-policy", "waves"}, "WAVES"},
	} {
		report := filepath.Join(dir, "report.json")
		args := append([]string{"throughput", "--model", "tiny", "--num_requests", "8", "--isl", "16", "--osl", "4",
			"--max_batch_size", "4", "--report_json", report, "--quiet"}, c.flags...)
		if code, _, errs := runCLI(t, args...); code != 0 {
			t.Fatalf("%v: exit %d: %s", c.flags, code, errs)
		}
		var rep struct {
			World struct {
				Policy string `json:"scheduling_policy"`
			} `json:"world_info"`
			BenchTUI struct {
				Config struct {
					Engine struct {
						Policy string `json:"scheduler_policy"`
					} `json:"engine"`
				} `json:"config"`
			} `json:"benchtui"`
		}
		readJSON(t, report, &rep)
		if rep.World.Policy != c.policy || strings.ToUpper(rep.BenchTUI.Config.Engine.Policy) != c.policy {
			t.Errorf("%v: world_info.scheduling_policy %q, engine config %q, want %s", c.flags, rep.World.Policy, rep.BenchTUI.Config.Engine.Policy, c.policy)
		}
	}
}

// countLines returns the complete JSON lines of an iteration log and whether it ends in a
// part of a line.
func countLines(t *testing.T, path string) (int, bool) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	for sc.Scan() {
		var v map[string]any
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			return n, true
		}
		n++
	}
	return n, len(data) > 0 && data[len(data)-1] != '\n'
}

// The iteration log is written as the run goes: after the backend process dies at step 40,
// the 39 steps before it are in the file, whole.
func TestIterationLogKeptAfterBackendCrash(t *testing.T) {
	dir := t.TempDir()
	iters := filepath.Join(dir, "iter.jsonl")
	t.Setenv(session.FaultEnv, "segv@40")
	code, _, errs := runCLI(t, "throughput", "--model", "tiny", "--num_requests", "16", "--isl", "16", "--osl", "32",
		"--max_batch_size", "4", "--warmup", "0", "--iteration_log", iters, "--quiet")
	if code != 1 || !strings.Contains(errs, "backend process died") {
		t.Fatalf("exit %d, stderr %q: want 1 and the crash", code, errs)
	}
	if n, partial := countLines(t, iters); n != 39 || partial {
		t.Errorf("iteration log has %d whole lines (a partial one: %v), want the 39 steps before the crash", n, partial)
	}
}

// A sweep takes the scheduler policy as an axis: each point runs under its policy, and a
// policy that does not exist is refused before anything loads.
func TestSweepSchedulerPolicy(t *testing.T) {
	out := filepath.Join(t.TempDir(), "sw")
	code, _, errs := runCLI(t, "sweep", "--model", "tiny", "--scheduler_policy", "guaranteed_no_evict,waves", "--max_batch_size", "4",
		"--isl", "16", "--osl", "4", "--num_requests", "8", "--warmup", "0", "--out", out, "--quiet")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var doc struct {
		Points []struct {
			Params  map[string]string `json:"params"`
			Reports []struct {
				World struct {
					Policy string `json:"scheduling_policy"`
				} `json:"world_info"`
			} `json:"reports"`
		} `json:"points"`
	}
	readJSON(t, filepath.Join(out, "sweep.json"), &doc)
	if len(doc.Points) != 2 {
		t.Fatalf("%d points, want 2", len(doc.Points))
	}
	for _, p := range doc.Points {
		if len(p.Reports) != 1 || p.Reports[0].World.Policy != strings.ToUpper(p.Params["scheduler_policy"]) {
			t.Errorf("point %v ran under %+v", p.Params, p.Reports)
		}
	}
	if code, _, errs := runCLI(t, "sweep", "--model", "tiny", "--scheduler_policy", "fifo", "--out", filepath.Join(t.TempDir(), "x")); code != 2 || !strings.Contains(errs, "--scheduler_policy fifo: want one of") {
		t.Errorf("a bad policy: exit %d, %q", code, errs)
	}
}
