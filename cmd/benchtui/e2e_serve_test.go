package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/benchtui/benchtui/engine/llamacpp"
	"github.com/benchtui/benchtui/report"
	"github.com/benchtui/benchtui/synth"
)

// llamaServers lists the llama-server processes serving a model file under dir (the test's
// own model cache), by pid.
func llamaServers(t *testing.T, dir string) []string {
	t.Helper()
	entries, _ := os.ReadDir("/proc")
	var pids []string
	for _, e := range entries {
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || !processAliveName(e.Name()) {
			continue
		}
		args := strings.Split(string(cmdline), "\x00")
		if strings.HasSuffix(args[0], "llama-server") && strings.Contains(string(cmdline), dir) {
			pids = append(pids, e.Name())
		}
	}
	return pids
}

func processAliveName(pid string) bool {
	var n int
	if _, err := fmt.Sscan(pid, &n); err != nil {
		return false
	}
	return processAlive(n)
}

// serveEnv is the environment of the real binary: the test's model cache, the repository's
// llama.cpp build, one thread, its log in dir.
func serveEnv(t *testing.T, dir string) []string {
	t.Helper()
	lib, err := filepath.Abs("../../.llama/cpu/lib")
	if err != nil {
		t.Fatal(err)
	}
	return append(os.Environ(), "BENCHTUI_LLAMA_LIB="+lib, llamacpp.ThreadsEnv+"=1", "XDG_STATE_HOME="+dir)
}

// The real binary measures a server that runs already (--backend openai) and one it starts
// itself (--backend llama-server) with every output file; the server it started is gone
// when it exits, and the server's output is in benchtui.log.
func TestHeadlessServeBinary(t *testing.T) {
	dir := t.TempDir()
	bin := buildBinary(t, dir)
	srv := startLlamaServer(t, 2)
	for _, c := range []struct {
		backend string
		args    []string
	}{
		{"openai", []string{"--base_url", srv.URL + "/v1", "--request_rate", "40", "--slo", "e2e=5s"}},
		{"llama-server", []string{"--max_batch_size", "3", "--endpoint", "completions"}},
	} {
		out := filepath.Join(dir, c.backend)
		os.Mkdir(out, 0o755)
		args := append([]string{"--model", "tiny", "throughput", "--backend", c.backend, "--num_requests", "10", "--isl", "24", "--osl", "6",
			"--report_json", filepath.Join(out, "report.json"), "--request_json", filepath.Join(out, "requests.json"),
			"--export", filepath.Join(out, "export.json"), "--html", filepath.Join(out, "report.html")}, c.args...)
		cmd := exec.Command(bin, args...)
		cmd.Env = serveEnv(t, dir)
		stdout, err := cmd.Output()
		if err != nil {
			var stderr []byte
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = ee.Stderr
			}
			t.Fatalf("%s: %v\n%s", c.backend, err, stderr)
		}
		if !strings.Contains(string(stdout), "SERVING DETAILS") || !strings.Contains(string(stdout), "PERFORMANCE OVERVIEW") {
			t.Errorf("%s: summary:\n%s", c.backend, stdout)
		}
		x, err := report.ReadExport(filepath.Join(out, "export.json"))
		if err != nil {
			t.Fatal(err)
		}
		if x.Report.Engine.Backend != c.backend || x.Report.RequestInfo.NumRequests != 10 || len(x.Snapshots) == 0 {
			t.Errorf("%s: export engine %+v, %d requests, %d snapshots", c.backend, x.Report.Engine, x.Report.RequestInfo.NumRequests, len(x.Snapshots))
		}
		for _, f := range []string{"report.json", "requests.json", "report.html"} {
			if _, err := os.Stat(filepath.Join(out, f)); err != nil {
				t.Errorf("%s: %v", c.backend, err)
			}
		}
	}
	if left := llamaServers(t, os.Getenv(synth.CacheDirEnv)); len(left) != 1 {
		t.Errorf("llama-server processes on the test's model: %v; want only the test's own", left)
	}
	logData, _ := os.ReadFile(filepath.Join(dir, "benchtui", "benchtui.log"))
	if !strings.Contains(string(logData), "llama_server") && !strings.Contains(string(logData), "srv ") {
		t.Errorf("benchtui.log does not hold llama-server's output:\n%.2000s", logData)
	}
}

// Ctrl-C during a headless run through llama-server (SIGINT to the terminal's process group)
// stops the run, reports what finished with exit status 130, and stops the server.
func TestLlamaServerInterrupt(t *testing.T) {
	dir := t.TempDir()
	bin := buildBinary(t, dir)
	rep := filepath.Join(dir, "report.json")
	cmd := exec.Command(bin, "throughput", "--backend", "llama-server", "--model", "tiny", "--num_requests", "100000", "--isl", "16",
		"--osl", "32", "--max_batch_size", "4", "--concurrency", "8", "--report_json", rep, "--quiet")
	cmd.Env = serveEnv(t, dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	cache := os.Getenv(synth.CacheDirEnv)
	deadline := time.Now().Add(30 * time.Second)
	for len(llamaServers(t, cache)) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("llama-server did not start within 30 s: %s", stderr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(2 * time.Second)
	syscall.Kill(-cmd.Process.Pid, syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatalf("benchtui did not stop within 30 s of Ctrl-C: %s", stderr.String())
	}
	if code := cmd.ProcessState.ExitCode(); code != 130 {
		t.Errorf("exit status %d after Ctrl-C, want 130: %s", code, stderr.String())
	}
	x, err := report.ReadExport(rep)
	if err != nil {
		t.Fatal(err)
	}
	if bt := x.Report.BenchTUI; bt.NumCompleted == 0 || bt.NumFailed != 0 || bt.NumCanceled == 0 {
		t.Errorf("report of the interrupted run: %d completed, %d failed, %d canceled; want completed and canceled ones only",
			bt.NumCompleted, bt.NumFailed, bt.NumCanceled)
	}
	if left := llamaServers(t, cache); len(left) != 0 {
		t.Errorf("llama-server %v outlived benchtui", left)
	}
}

// TestDashboardOpenAI runs the real dashboard in tmux against a real llama-server through
// the openai backend: a run at a request rate, its export, and the screen.
func TestDashboardOpenAI(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Fatal("tmux is not installed: scripts/test.sh installs it")
	}
	srv := startLlamaServer(t, 4)
	dir := t.TempDir()
	bin := buildBinary(t, dir)
	cfg := filepath.Join(dir, "config.toml")
	os.WriteFile(cfg, []byte("theme = \"nvidia\"\nslo = \"ttft=2s\"\n"), 0o644)
	s := &tmuxSession{t: t, socket: fmt.Sprintf("benchtui-e2e-openai-%d", os.Getpid())}
	const w, h = 110, 34
	cmd := fmt.Sprintf("cd %s && %s --config %s --backend openai --base_url %s --num_requests 20 --isl 32 --osl 12 --request_rate 25; echo BENCHTUI-EXIT $?; sleep 30",
		dir, bin, cfg, srv.URL)
	s.tmux("new-session", "-d", "-s", "e2e", "-x", fmt.Sprint(w), "-y", fmt.Sprint(h),
		"-e", synth.CacheDirEnv+"="+os.Getenv(synth.CacheDirEnv), "-e", "XDG_STATE_HOME="+dir, "-e", "TERM=xterm-256color", cmd)
	defer exec.Command("tmux", "-L", s.socket, "kill-server").Run()

	host := strings.TrimPrefix(srv.URL, "http://")
	s.waitFor(host, 10*time.Second)
	s.waitFor("press r to run", 30*time.Second)
	s.tmux("send-keys", "-t", "e2e", "r")
	s.waitFor("finished", 60*time.Second)
	s.tmux("send-keys", "-t", "e2e", "e")
	scr := s.waitFor("exported", 10*time.Second)
	if dst := os.Getenv("BENCHTUI_E2E_CAPTURE"); dst != "" {
		// A capture of the screen for the docs, when asked for.
		os.WriteFile(dst, []byte(s.screen()), 0o644)
	}
	for i, line := range strings.Split(strings.TrimRight(scr, "\n"), "\n") {
		if n := utf8.RuneCountInString(line); n > w {
			t.Errorf("screen line %d is %d wide: %q", i, n, line)
		}
	}
	for _, want := range []string{"tiny", "openai", "20/20", "run 1"} {
		if !strings.Contains(scr, want) {
			t.Errorf("screen lacks %q:\n%s", want, scr)
		}
	}
	files, _ := filepath.Glob(filepath.Join(dir, "benchtui-*.json"))
	if len(files) != 1 {
		t.Fatalf("%d export files in %s, want 1", len(files), dir)
	}
	x, err := report.ReadExport(files[0])
	if err != nil {
		t.Fatal(err)
	}
	r := &x.Report
	if r.Engine.Backend != "openai" || r.WorldInfo.MaxBatchSize != 4 || len(x.Requests) != 20 {
		t.Errorf("export: engine %+v, max_batch_size %d (the server's 4 slots), %d records", r.Engine, r.WorldInfo.MaxBatchSize, len(x.Requests))
	}
	if sv := r.BenchTUI.Serving; sv == nil || sv.Load.TargetRate != 25 || sv.Load.SendLagMS.Count != 20 || sv.ServerTimings == nil {
		t.Errorf("serving section %+v", sv)
	}
	if g := r.BenchTUI.Goodput; g == nil || g.SLO != "ttft=2s" || g.Total != 20 {
		t.Errorf("goodput %+v: the settings file's slo", g)
	}
	for i, rec := range x.Requests {
		if !rec.Completed() || rec.Endpoint != srv.URL || rec.AdmitNS != -1 {
			t.Errorf("request %d: %s, endpoint %q, admit %d", i, rec.State(), rec.Endpoint, rec.AdmitNS)
		}
	}
	s.tmux("send-keys", "-t", "e2e", "q")
	s.waitFor("BENCHTUI-EXIT 0", 10*time.Second)
}
