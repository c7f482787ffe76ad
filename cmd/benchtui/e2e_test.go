package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/benchtui/benchtui/engine/llamacpp"
	"github.com/benchtui/benchtui/report"
	"github.com/benchtui/benchtui/session"
	"github.com/benchtui/benchtui/synth"
)

// tmuxSession drives the real binary in a detached tmux server of its own.
type tmuxSession struct {
	t      *testing.T
	socket string
}

func (s *tmuxSession) tmux(args ...string) string {
	s.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-L", s.socket}, args...)...).CombinedOutput()
	if err != nil {
		s.t.Fatalf("tmux %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func (s *tmuxSession) screen() string { return s.tmux("capture-pane", "-p", "-t", "e2e") }

func (s *tmuxSession) waitFor(what string, timeout time.Duration) string {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		scr := s.screen()
		if strings.Contains(scr, what) {
			return scr
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("screen never showed %q; last screen:\n%s", what, scr)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitForAll waits until the screen shows every one of whats at once.
func (s *tmuxSession) waitForAll(whats []string, timeout time.Duration) string {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		scr := s.screen()
		all := true
		for _, w := range whats {
			all = all && strings.Contains(scr, w)
		}
		if all {
			return scr
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("screen never showed all of %q; last screen:\n%s", whats, scr)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// buildBinary builds benchtui into dir (as benchtui-bin: dir/benchtui is where the log
// goes when XDG_STATE_HOME is dir).
func buildBinary(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "benchtui-bin")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// TestDashboardEndToEnd runs the real binary in tmux on the tiny model: change the batch
// size, run, export, and check the exported file and the screen; then pin the run as the
// baseline, run again and open the second run's requests.
func TestDashboardEndToEnd(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Fatal("tmux is not installed: scripts/test.sh installs it")
	}
	dir := t.TempDir()
	bin := buildBinary(t, dir)
	cfg := filepath.Join(dir, "config.toml")
	os.WriteFile(cfg, []byte("theme = \"nvidia\"\n"), 0o644)
	s := &tmuxSession{t: t, socket: fmt.Sprintf("benchtui-e2e-%d", os.Getpid())}
	const w, h = 100, 30
	cmd := fmt.Sprintf("cd %s && %s --config %s --num_requests 16 --isl 32 --osl 16 --max_batch_size 8; echo BENCHTUI-EXIT $?; sleep 30",
		dir, bin, cfg)
	// The binary runs from a temporary folder: point it at the repository's llama.cpp build.
	lib, err := filepath.Abs("../../.llama/cpu/lib")
	if err != nil {
		t.Fatal(err)
	}
	s.tmux("new-session", "-d", "-s", "e2e", "-x", fmt.Sprint(w), "-y", fmt.Sprint(h),
		"-e", synth.CacheDirEnv+"="+os.Getenv(synth.CacheDirEnv), "-e", "BENCHTUI_LLAMA_LIB="+lib, "-e", llamacpp.ThreadsEnv+"=1",
		"-e", "TERM=xterm-256color", cmd)
	defer exec.Command("tmux", "-L", s.socket, "kill-server").Run()

	start := time.Now()
	s.waitFor("tiny", 5*time.Second)
	t.Logf("first frame after %v", time.Since(start))
	s.waitFor("press r to run", 30*time.Second)
	s.tmux("send-keys", "-t", "e2e", "B")
	s.waitFor("B 16", 5*time.Second)
	s.tmux("send-keys", "-t", "e2e", "r")
	s.waitFor("✓ finished", 60*time.Second)
	s.tmux("send-keys", "-t", "e2e", "e")
	scr := s.waitFor("exported", 10*time.Second)

	for i, line := range strings.Split(strings.TrimRight(scr, "\n"), "\n") {
		if n := utf8.RuneCountInString(line); n > w {
			t.Errorf("screen line %d is %d wide: %q", i, n, line)
		}
	}
	for _, want := range []string{"Throughput", "Progress", "16/16", "run 1"} {
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
	if x.Report.WorldInfo.MaxBatchSize != 16 {
		t.Errorf("exported run has max_batch_size %d, want 16 (the B key)", x.Report.WorldInfo.MaxBatchSize)
	}
	if len(x.Requests) != 16 {
		t.Fatalf("export has %d records, want 16", len(x.Requests))
	}
	for i, r := range x.Requests {
		if r.OutputTokens() != r.TargetOutputTokens || r.Failed() {
			t.Errorf("request %d: %d of %d tokens, error %q", i, r.OutputTokens(), r.TargetOutputTokens, r.Error)
		}
	}
	if len(x.Snapshots) == 0 || x.Report.Performance.SystemOutputThroughputTokS <= 0 {
		t.Errorf("export has %d snapshots and %.1f tok/s", len(x.Snapshots), x.Report.Performance.SystemOutputThroughputTokS)
	}

	// Pin run 1 as the baseline and run again: run 2 is measured against it.
	s.tmux("send-keys", "-t", "e2e", "p")
	s.waitFor("baseline: run 1", 5*time.Second)
	s.tmux("send-keys", "-t", "e2e", "r")
	s.waitFor("run 2", 10*time.Second)
	scr = s.waitForAll([]string{"✓ run 2", "✓ finished"}, 60*time.Second)
	for _, want := range []string{"vs run 1", "· run 1"} {
		if !strings.Contains(scr, want) {
			t.Errorf("the second run's screen lacks the baseline's %q:\n%s", want, scr)
		}
	}
	if !strings.Contains(scr, "better") && !strings.Contains(scr, "worse") && !strings.Contains(scr, "≈") {
		t.Errorf("the strip shows no change from the baseline:\n%s", scr)
	}
	// Its requests: the table, then the slowest first.
	s.tmux("send-keys", "-t", "e2e", "Enter")
	scr = s.waitFor("Requests run 2", 5*time.Second)
	if !strings.Contains(scr, "sorted by start") || !strings.Contains(scr, "timeline") {
		t.Errorf("the requests view lacks its table:\n%s", scr)
	}
	s.tmux("send-keys", "-t", "e2e", "S")
	s.waitFor("sorted by E2E", 5*time.Second)
	s.tmux("send-keys", "-t", "e2e", "Escape")
	s.waitFor("Throughput", 5*time.Second)

	s.tmux("send-keys", "-t", "e2e", "q")
	s.waitFor("BENCHTUI-EXIT 0", 10*time.Second)
}

// TestDashboardSurvivesBackendCrash: the backend process aborts mid-run; the dashboard stays
// up, shows the run failed with the cause, and the next run works.
func TestDashboardSurvivesBackendCrash(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Fatal("tmux is not installed: scripts/test.sh installs it")
	}
	dir := t.TempDir()
	bin := buildBinary(t, dir)
	cfg := filepath.Join(dir, "config.toml")
	os.WriteFile(cfg, nil, 0o644)
	lib, _ := filepath.Abs("../../.llama/cpu/lib")
	s := &tmuxSession{t: t, socket: fmt.Sprintf("benchtui-e2e-crash-%d", os.Getpid())}
	cmd := fmt.Sprintf("cd %s && %s --config %s --num_requests 256 --isl 16 --osl 64 --max_batch_size 4; echo BENCHTUI-EXIT $?; sleep 30", dir, bin, cfg)
	s.tmux("new-session", "-d", "-s", "e2e", "-x", "120", "-y", "36",
		"-e", synth.CacheDirEnv+"="+os.Getenv(synth.CacheDirEnv), "-e", "BENCHTUI_LLAMA_LIB="+lib, "-e", llamacpp.ThreadsEnv+"=1",
		"-e", session.FaultEnv+"=abort@3000", "-e", session.FaultEnv+"_ONCE="+filepath.Join(dir, "fault-done"),
		"-e", "XDG_STATE_HOME="+dir, cmd)
	defer exec.Command("tmux", "-L", s.socket, "kill-server").Run()

	s.waitFor("press r to run", 30*time.Second)
	s.tmux("send-keys", "-t", "e2e", "r")
	scr := s.waitFor("✗ failed", 60*time.Second)
	if !strings.Contains(scr, "backend process died: assertion") {
		t.Errorf("the screen does not name the crash:\n%s", scr)
	}
	// The finished requests of the failed run can be exported.
	s.tmux("send-keys", "-t", "e2e", "e")
	s.waitFor("exported", 10*time.Second)
	files, _ := filepath.Glob(filepath.Join(dir, "benchtui-*.json"))
	if len(files) != 1 {
		t.Fatalf("%d exports, want 1", len(files))
	}
	x, err := report.ReadExport(files[0])
	if err != nil {
		t.Fatal(err)
	}
	if x.Report.BenchTUI.NumCompleted == 0 || x.Report.BenchTUI.NumFailed == 0 {
		t.Errorf("export of the failed run: %d completed, %d failed; want some of each", x.Report.BenchTUI.NumCompleted, x.Report.BenchTUI.NumFailed)
	}
	// The next run starts a new backend process and finishes.
	s.tmux("send-keys", "-t", "e2e", "n") // 128 requests: quicker
	s.tmux("send-keys", "-t", "e2e", "r")
	s.waitFor("run 2", 10*time.Second)
	s.waitFor("✓ finished", 120*time.Second)
	s.tmux("send-keys", "-t", "e2e", "q")
	s.waitFor("BENCHTUI-EXIT 0", 10*time.Second)
	logData, _ := os.ReadFile(filepath.Join(dir, "benchtui", "benchtui.log"))
	if !strings.Contains(string(logData), "injected failure") {
		t.Errorf("the log does not hold the backend's stderr:\n%s", logData)
	}
}

// Ctrl-C during a headless run (SIGINT to benchtui and its backend process, as a terminal
// sends it to the whole process group) stops the run; the report holds what finished.
func TestHeadlessInterrupt(t *testing.T) {
	dir := t.TempDir()
	bin := buildBinary(t, dir)
	lib, _ := filepath.Abs("../../.llama/cpu/lib")
	report := filepath.Join(dir, "report.json")
	cmd := exec.Command(bin, "throughput", "--model", "tiny", "--num_requests", "100000", "--isl", "16", "--osl", "64",
		"--max_batch_size", "4", "--report_json", report, "--quiet")
	cmd.Env = append(os.Environ(), "BENCHTUI_LLAMA_LIB="+lib, "XDG_STATE_HOME="+dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second)
	// The terminal signals the foreground process group: benchtui and its backend process.
	syscall.Kill(-cmd.Process.Pid, syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("benchtui did not stop within 30 s of Ctrl-C")
	}
	if code := cmd.ProcessState.ExitCode(); code != 130 {
		t.Errorf("exit status %d after Ctrl-C, want 130", code)
	}
	if !strings.Contains(stderr.String(), "canceled") {
		t.Errorf("stderr %q does not say the run was canceled", stderr.String())
	}
	var rep map[string]any
	readJSON(t, report, &rep)
	bt := rep["benchtui"].(map[string]any)
	if bt["num_completed"].(float64) == 0 {
		t.Error("the report of the interrupted run has no finished request")
	}
	if strings.Contains(stderr.String(), "backend process died") {
		t.Errorf("the backend process died instead of stopping: %s", stderr.String())
	}
}

// startHung starts a headless run whose backend process hangs in a decode step (no progress,
// so no heartbeat) with a stall timeout far beyond the test, and returns it once the backend
// process has hung, with the backend's pid from the log.
func startHung(t *testing.T, dir string, args ...string) (*exec.Cmd, *strings.Builder, int) {
	t.Helper()
	bin := buildBinary(t, dir)
	lib, _ := filepath.Abs("../../.llama/cpu/lib")
	cmd := exec.Command(bin, append([]string{"throughput", "--model", "tiny", "--num_requests", "256", "--isl", "16", "--osl", "64",
		"--max_batch_size", "4", "--warmup", "0", "--stall_timeout", "600"}, args...)...)
	cmd.Env = append(os.Environ(), "BENCHTUI_LLAMA_LIB="+lib, "XDG_STATE_HOME="+dir, session.FaultEnv+"=hang@1500")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	logPath := filepath.Join(dir, "benchtui", "benchtui.log")
	started := regexp.MustCompile(`backend process (\d+) started`)
	deadline := time.Now().Add(60 * time.Second)
	for {
		data, _ := os.ReadFile(logPath)
		if strings.Contains(string(data), "bt_fault: hanging") {
			m := started.FindStringSubmatch(string(data))
			pid, _ := strconv.Atoi(m[1])
			return cmd, &stderr, pid
		}
		if time.Now().After(deadline) {
			t.Fatalf("the backend process did not hang within 60 s; log:\n%s", data)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// processAlive reports whether pid runs (a zombie does not).
func processAlive(pid int) bool {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	f := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+1:]))
	return len(f) > 0 && f[0] != "Z" && f[0] != "X"
}

// A second Ctrl-C stops a run whose backend hangs at once, without waiting for the stall
// timeout: the backend process is killed, what finished is reported, and the exit status
// is 130.
func TestSecondInterruptStopsAtOnce(t *testing.T) {
	dir := t.TempDir()
	report := filepath.Join(dir, "report.json")
	cmd, stderr, pid := startHung(t, dir, "--report_json", report)
	syscall.Kill(-cmd.Process.Pid, syscall.SIGINT)
	time.Sleep(time.Second)
	if !processAlive(pid) {
		t.Fatal("the hung backend process died at the first Ctrl-C")
	}
	syscall.Kill(-cmd.Process.Pid, syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatalf("benchtui did not stop within 20 s of the second Ctrl-C; stderr:\n%s", stderr)
	}
	if code := cmd.ProcessState.ExitCode(); code != 130 {
		t.Errorf("exit status %d, want 130; stderr:\n%s", code, stderr)
	}
	if processAlive(pid) {
		t.Errorf("the backend process %d still runs", pid)
	}
	var rep map[string]any
	readJSON(t, report, &rep)
	if bt := rep["benchtui"].(map[string]any); bt["num_completed"].(float64) == 0 {
		t.Errorf("the report has no finished request; stderr:\n%s", stderr)
	}
}

// kill -9 of benchtui takes its hung backend process with it.
func TestKilledBenchtuiLeavesNoBackend(t *testing.T) {
	dir := t.TempDir()
	cmd, _, pid := startHung(t, dir)
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	deadline := time.Now().Add(5 * time.Second)
	for processAlive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("the backend process %d outlived benchtui's kill -9 by 5 s", pid)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
