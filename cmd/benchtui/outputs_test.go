package main

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// An output that is an input or another output is refused in one line with exit 2 before
// anything loads, and the input is left as it was.
func TestOutputsAreNeverInputs(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data.jsonl")
	const line = `{"task_id":0,"input_ids":[5,6,7],"output_tokens":2}` + "\n"
	if err := os.WriteFile(data, []byte(line), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.json")
	if err := os.Symlink(data, link); err != nil {
		t.Fatal(err)
	}
	same := filepath.Join(dir, "out.json")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--report_json", data}, "is the same file as --dataset"},
		{[]string{"--request_json", link}, "is the same file as --dataset"},
		{[]string{"--iteration_log", data}, "is the same file as --dataset"},
		{[]string{"--report_json", same, "--request_json", same}, "are the same file"},
		{[]string{"--report_json", dir}, "is a folder"},
		{[]string{"--report_json", filepath.Join(dir, "missing", "r.json")}, "no folder"},
	} {
		start := time.Now()
		args := append([]string{"throughput", "--model", "tiny", "--dataset", data, "--quiet"}, c.args...)
		code, _, errs := runCLI(t, args...)
		if code != 2 || !strings.Contains(errs, c.want) || strings.Count(errs, "\n") != 1 {
			t.Errorf("%v: exit %d, %q; want 2 and one line with %q", c.args, code, errs, c.want)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%v: refused after %v: something loaded first", c.args, d)
		}
		if b, _ := os.ReadFile(data); string(b) != line {
			t.Fatalf("%v: the dataset changed to %q", c.args, b)
		}
	}
	if _, err := os.Stat(same); err == nil {
		t.Error("a refused run wrote its report")
	}
}

// A report to a FIFO (as to /dev/stdout or any device) reaches its reader and leaves the FIFO
// in place, and a report through a symlink goes where the link pointed when the run began.
func TestReportToFIFOAndSymlink(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "report.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := os.OpenFile(fifo, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got := make(chan string, 1)
	go func() {
		// Read until the report's closing brace: a nonblocking FIFO reads EOF while no
		// writer has it open yet.
		var b strings.Builder
		buf := make([]byte, 64<<10)
		for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); {
			n, err := r.Read(buf)
			b.Write(buf[:n])
			if strings.HasSuffix(strings.TrimSpace(b.String()), "}") && err == io.EOF {
				break
			}
			if n == 0 {
				time.Sleep(10 * time.Millisecond)
			}
		}
		got <- b.String()
	}()
	real := filepath.Join(dir, "real-requests.json")
	link := filepath.Join(dir, "requests.json")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	code, _, errs := runCLI(t, "throughput", "--model", "tiny", "--num_requests", "4", "--isl", "8", "--osl", "4",
		"--warmup", "0", "--report_json", fifo, "--request_json", link, "--quiet")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if s := <-got; !strings.Contains(s, `"request_info"`) {
		t.Errorf("the FIFO's reader got %q", s)
	}
	if li, err := os.Lstat(fifo); err != nil || li.Mode()&fs.ModeNamedPipe == 0 {
		t.Errorf("the FIFO was replaced: %v", li.Mode())
	}
	if li, err := os.Lstat(link); err != nil || li.Mode()&fs.ModeSymlink == 0 {
		t.Error("the symlink was replaced")
	}
	if b, err := os.ReadFile(real); err != nil || !strings.Contains(string(b), `"status": "completed"`) {
		t.Errorf("the link's target holds %.80q, %v", b, err)
	}
}

// sweep --out and prepare-dataset --output are planned as throughput's outputs are.
func TestSweepAndPrepareOutputs(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errs := runCLI(t, "sweep", "--model", "tiny", "--out", file, "--quiet")
	if code != 2 || !strings.Contains(errs, "--out "+file+" is not a folder") {
		t.Errorf("sweep --out onto a file: exit %d, %q", code, errs)
	}

	code, out, errs := runCLI(t, "models", "--write", "tiny", "--quiet")
	if code != 0 {
		t.Fatalf("models --write: exit %d, %s", code, errs)
	}
	model, err := os.ReadFile(strings.TrimSpace(out))
	if err != nil {
		t.Fatal(err)
	}
	// A copy, so that a broken check destroys nothing shared.
	gguf := filepath.Join(dir, "tiny.gguf")
	if err := os.WriteFile(gguf, model, 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errs = runCLI(t, "prepare-dataset", "--tokenizer", gguf, "--output", gguf, "token-unif-dist",
		"--num-requests", "1", "--input-min", "1", "--input-max", "1", "--output-min", "1", "--output-max", "1")
	if code != 2 || !strings.Contains(errs, "is the same file as --tokenizer") || strings.Count(errs, "\n") != 1 {
		t.Errorf("prepare-dataset --output onto its tokenizer: exit %d, %q", code, errs)
	}
	if b, _ := os.ReadFile(gguf); len(b) != len(model) {
		t.Error("the tokenizer's file changed")
	}
}

// An iteration log on a full disk (/dev/full, written in place, never replaced) fails the
// run with exit 1 and one line naming the log, and loses nothing else: the run goes on to
// its end (the log stops, not the benchmark), so the report counts every request completed,
// and no latency is negative. In the backend process and in process alike.
func TestIterationLogOnFullDisk(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full here")
	}
	for _, mode := range [][]string{nil, {"--in_process"}} {
		dir := t.TempDir()
		rep, reqs := filepath.Join(dir, "report.json"), filepath.Join(dir, "requests.json")
		args := append([]string{"throughput", "--model", "tiny", "--num_requests", "8", "--isl", "8", "--osl", "100",
			"--max_batch_size", "2", "--warmup", "0", "--iteration_log", "/dev/full", "--report_json", rep,
			"--request_json", reqs, "--quiet"}, mode...)
		code, _, errs := runCLI(t, args...)
		lines := strings.Split(strings.TrimSpace(errs), "\n")
		if code != 1 || len(lines) != 1 || !strings.Contains(errs, "iteration log: write line 1") || !strings.Contains(errs, "no space left on device") {
			t.Fatalf("%v: exit %d, %q; want 1 and one line naming the log's failed write", mode, code, errs)
		}
		var r struct {
			RequestInfo struct {
				NumRequests int `json:"num_requests"`
			} `json:"request_info"`
			BenchTUI struct {
				NumCompleted int `json:"num_completed"`
				NumFailed    int `json:"num_failed"`
			} `json:"benchtui"`
		}
		readJSON(t, rep, &r)
		if r.BenchTUI.NumCompleted != 8 || r.BenchTUI.NumFailed != 0 || r.RequestInfo.NumRequests != 8 {
			t.Errorf("%v: report counts %d completed and %d failed of 8: the run must not stop for its log", mode, r.BenchTUI.NumCompleted, r.BenchTUI.NumFailed)
		}
		var entries []map[string]any
		readJSON(t, reqs, &entries)
		for _, e := range entries {
			for _, k := range []string{"time_to_first_token", "end_to_end_latency", "intertoken_latency", "generation_time"} {
				if v, ok := e[k].(float64); ok && v < 0 {
					t.Errorf("request %v: %s = %v", e["id"], k, v)
				}
			}
		}
		if st, err := os.Stat("/dev/full"); err != nil || st.Mode()&fs.ModeCharDevice == 0 {
			t.Errorf("/dev/full is now %v", st.Mode())
		}
	}
}
