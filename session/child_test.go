package session

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/benchtui/benchtui/engine"
)

// Each injected failure of the backend process ends the run as failed, with its cause
// named and the requests that finished before it kept; the next run starts a new process.
func TestChildFaults(t *testing.T) {
	cases := []struct {
		fault, kind, detail string
	}{
		{"abort@40", "assertion", "injected failure"},
		{"segv@40", "segmentation fault", "injected failure"},
		{"panic@40", "panic", "injected panic"},
		{"oom@40", "out of memory", "cudaMalloc failed"},
		{"exit@40", "exited", "exiting"},
		{"hang@40", "stalled", "hanging"},
	}
	for _, c := range cases {
		t.Run(c.fault, func(t *testing.T) {
			o, env := tinyOptions(t, false)
			env.StallTimeout = 3 * time.Second
			t.Setenv(FaultEnv, c.fault)
			s, err := Open(context.Background(), o, env, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			// Batch 4 of 8-token outputs: requests finish from step 8 on, before the fault;
			// snapshots every millisecond carry them to this side in time.
			sp := spec(4, 32, 16, 8)
			sp.Engine.SnapshotEvery = time.Millisecond
			r, err := s.Run(context.Background(), sp, nil)
			if err != nil {
				t.Fatal(err)
			}
			var d *ChildDeath
			if !errors.As(r.Err, &d) {
				t.Fatalf("run ended with %v, want a ChildDeath", r.Err)
			}
			if d.Kind != c.kind {
				t.Errorf("died of %q (%s), want %q", d.Kind, d.Error(), c.kind)
			}
			if !strings.Contains(d.Error(), c.detail) {
				t.Errorf("death %q does not quote the child's stderr (%q)", d.Error(), c.detail)
			}
			done, failed := 0, 0
			for _, rec := range r.Result.Records {
				if rec.Failed() {
					failed++
				} else if rec.OutputTokens() == 8 {
					done++
				}
			}
			if done == 0 || failed == 0 || done+failed != 32 {
				t.Errorf("%d requests finished and %d failed, want some of each and 32 in all", done, failed)
			}
			rep := s.Report(r, ReportExtra{})
			if rep.BenchTUI.NumCompleted != done {
				t.Errorf("report counts %d completed, want %d", rep.BenchTUI.NumCompleted, done)
			}

			// The next run starts a new process, which loads the model again.
			os.Unsetenv(FaultEnv)
			r, err = s.Run(context.Background(), spec(4, 8, 16, 8), nil)
			if err := runErr(r, err); err != nil {
				t.Fatalf("run after the crash: %v", err)
			}
			if len(r.Result.Records) != 8 {
				t.Errorf("run after the crash has %d records, want 8", len(r.Result.Records))
			}
		})
	}
}

// A backend process killed from outside (kill -9, the OOM killer) is reported as killed.
func TestChildKilled(t *testing.T) {
	s := openTiny(t, false)
	ev := engine.NewEvents(context.Background())
	sp := spec(4, 256, 32, 64)
	go func() {
		<-ev.Snapshots
		s.(*child).getProc().kill()
	}()
	r, err := s.Run(context.Background(), sp, ev)
	if err != nil {
		t.Fatal(err)
	}
	var d *ChildDeath
	if !errors.As(r.Err, &d) || d.Kind != "killed" {
		t.Fatalf("run ended with %v, want killed", r.Err)
	}
	failed := 0
	for _, rec := range r.Result.Records {
		if rec.Failed() {
			failed++
		}
	}
	if len(r.Result.Records) != 256 || failed == 0 {
		t.Errorf("%d records, %d failed: want 256 with the unfinished failed", len(r.Result.Records), failed)
	}
}

// A file that claims to be GGUF but is not is refused without taking the parent down.
func TestChildCorruptModel(t *testing.T) {
	o, env := tinyOptions(t, false)
	bad := filepath.Join(t.TempDir(), "corrupt.gguf")
	data := append([]byte("GGUF\x03\x00\x00\x00"), make([]byte, 4096)...)
	for i := range data[8:] {
		data[8+i] = byte(i * 7)
	}
	if err := os.WriteFile(bad, data, 0o644); err != nil {
		t.Fatal(err)
	}
	o.Model = bad
	s, err := Open(context.Background(), o, env, nil)
	if err == nil {
		s.Close()
		t.Fatal("a corrupt model loaded")
	}
	if !strings.Contains(err.Error(), "corrupt.gguf") && !strings.Contains(err.Error(), "load") {
		t.Errorf("error %q does not say what failed to load", err)
	}
}

func TestMeaningfulSkipsBacktraces(t *testing.T) {
	stderr := `llama_context: something
/src/ggml-cuda.cu:108: CUDA error
CUDA error: an illegal instruction was encountered
  current device: 0, in function ggml_backend_cuda_synchronize
/lib/libggml-base.so.0(+0x327eb)[0x7f7ae40de7eb]
/lib/libggml-base.so.0(ggml_print_backtrace+0x21c)[0x7f7ae40dec6c]
SIGABRT: abort
PC=0x7f7b50c9ec0c m=3 sigcode=18446744073709551610

goroutine 1 gp=0x300c85dac1e0 m=3 [syscall]:
runtime.cgocall(0x6b9720, 0x300c85dd67c0)
	/usr/local/go/src/runtime/cgocall.go:167 +0x4b
rip    0x7f7b50c9ec0c
rflags 0x246
`
	d := classify(nil, nil, stderr)
	if d.Kind != "CUDA error" {
		t.Errorf("kind %q, want CUDA error", d.Kind)
	}
	if !strings.Contains(d.Detail, "illegal instruction") || strings.Contains(d.Detail, "0x") {
		t.Errorf("detail %q: want the CUDA error line and no backtrace", d.Detail)
	}
}

// syncBuffer is a log's destination that tests read while backend processes write to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// After a crash, the next run's new backend process logs to the same log as the first: its
// start, its stderr and its exit.
func TestLogAfterRespawn(t *testing.T) {
	o, env := tinyOptions(t, false)
	var logs syncBuffer
	env.Log = log.New(&logs, "", 0)
	t.Setenv(FaultEnv, "abort@40")
	t.Setenv(FaultEnv+"_ONCE", filepath.Join(t.TempDir(), "fault-done"))
	s, err := Open(context.Background(), o, env, nil)
	if err != nil {
		t.Fatal(err)
	}
	pid1 := s.(*child).ChildPID()
	sp := spec(4, 32, 16, 8)
	sp.Engine.SnapshotEvery = time.Millisecond
	if r, err := s.Run(context.Background(), sp, nil); err != nil || r.Err == nil {
		t.Fatalf("the first run did not crash (%v)", err)
	}
	if r, err := s.Run(context.Background(), spec(4, 8, 16, 8), nil); runErr(r, err) != nil {
		t.Fatalf("run after the crash: %v", runErr(r, err))
	}
	pid2 := s.(*child).ChildPID()
	s.Close()
	if pid2 == pid1 || pid2 == 0 {
		t.Fatalf("backend processes %d then %d: want a new one", pid1, pid2)
	}
	text := logs.String()
	for _, want := range []string{
		fmt.Sprintf("backend process %d: bt_fault: injected failure", pid1),
		fmt.Sprintf("backend process %d ended: backend process died: assertion", pid1),
		fmt.Sprintf("backend process %d started", pid2),
		fmt.Sprintf("backend process %d exited", pid2),
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the log lacks %q:\n%s", want, text)
		}
	}
}

// What native code writes to stdout goes to the log and cannot desynchronise the protocol.
func TestChildStdoutGarbage(t *testing.T) {
	o, env := tinyOptions(t, false)
	var logs syncBuffer
	env.Log = log.New(&logs, "", 0)
	env.StallTimeout = 5 * time.Second
	t.Setenv(FaultEnv, "stdout@3")
	s, err := Open(context.Background(), o, env, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r, err := s.Run(context.Background(), spec(4, 16, 16, 8), nil)
	if err := runErr(r, err); err != nil {
		t.Fatalf("run with garbage on stdout: %v", err)
	}
	for _, rec := range r.Result.Records {
		if rec.Failed() || rec.OutputTokens() != 8 {
			t.Fatalf("record %+v: want 8 tokens", rec)
		}
	}
	if !strings.Contains(logs.String(), "garbage from native code") {
		t.Errorf("the log lacks the backend's stdout:\n%s", logs.String())
	}
}

// longestStep runs one long prefill and returns the longest decode step of the run, from its
// iteration log.
func longestStep(t *testing.T, s Session, isl int) time.Duration {
	t.Helper()
	iter := filepath.Join(t.TempDir(), "iter.jsonl")
	sp := Spec{Gen: Gen{NumRequests: 1, ISL: isl, OSL: 2, Seed: 3}, IterationLogPath: iter,
		Engine: engine.Config{MaxBatchSize: 1, MaxNumTokens: isl, Concurrency: -1, EOSID: -1}}
	r, err := s.Run(context.Background(), sp, nil)
	if err := runErr(r, err); err != nil {
		t.Fatalf("prefill of %d tokens: %v", isl, err)
	}
	data, err := os.ReadFile(iter)
	if err != nil {
		t.Fatal(err)
	}
	var d time.Duration
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var st engine.StepLog
		if err := json.Unmarshal([]byte(line), &st); err != nil {
			t.Fatal(err)
		}
		d = max(d, time.Duration(st.DurationNS))
	}
	return d
}

// A decode step longer than the stall timeout is not a stall while llama.cpp computes: the
// heartbeat goes on, and the run finishes.
func TestLongStepIsNotAStall(t *testing.T) {
	o, env := tinyOptions(t, false)
	o.Backend.FlashAttn = "off" // the slower attention: a longer step for the same prompt
	s, err := Open(context.Background(), o, env, nil)
	if err != nil {
		t.Fatal(err)
	}
	isl := 512
	d := longestStep(t, s, isl)
	for d < 400*time.Millisecond && isl < 4096 {
		isl *= 2
		d = longestStep(t, s, isl)
	}
	s.Close()
	env.StallTimeout = d / 4
	s, err = Open(context.Background(), o, env, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := longestStep(t, s, isl); got <= env.StallTimeout {
		t.Fatalf("the longest step took %v, not longer than the stall timeout of %v", got, env.StallTimeout)
	}
}

// Abort kills a hung backend process at once; the run returns as canceled with what finished.
func TestAbortHungChild(t *testing.T) {
	o, env := tinyOptions(t, false)
	env.StallTimeout = time.Minute
	t.Setenv(FaultEnv, "hang@40")
	s, err := Open(context.Background(), o, env, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ev := engine.NewEvents(context.Background())
	go func() {
		<-ev.Snapshots
		time.Sleep(time.Second) // the process hangs at step 40, milliseconds in
		s.Abort()
	}()
	sp := spec(4, 32, 16, 8)
	sp.Engine.SnapshotEvery = time.Millisecond
	start := time.Now()
	r, err := s.Run(context.Background(), sp, ev)
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 15*time.Second {
		t.Errorf("the aborted run took %v", took)
	}
	if !errors.Is(r.Err, engine.ErrCanceled) {
		t.Errorf("run ended with %v, want a cancel", r.Err)
	}
	done := 0
	for _, rec := range r.Result.Records {
		if !rec.Failed() {
			done++
		}
	}
	if done == 0 || len(r.Result.Records) != 32 {
		t.Errorf("%d records, %d finished: want 32 with the finished kept", len(r.Result.Records), done)
	}
}

// A record crosses the pipe once: the records that snapshots carried are not in the done
// message, and the run has each request once.
func TestRecordsCrossOnce(t *testing.T) {
	s := openTiny(t, false)
	sp := spec(4, 40, 16, 8)
	sp.Engine.SnapshotEvery = time.Millisecond
	r, err := s.Run(context.Background(), sp, nil)
	if err := runErr(r, err); err != nil {
		t.Fatal(err)
	}
	p := s.(*child).getProc()
	p.mu.Lock()
	bySnapshot := len(p.finished)
	p.mu.Unlock()
	if bySnapshot == 0 {
		t.Fatal("no record came with a snapshot: the test does not cover the path")
	}
	if len(r.Result.Records) != 40 {
		t.Fatalf("%d records, want 40 (%d came with snapshots)", len(r.Result.Records), bySnapshot)
	}
	for i, rec := range r.Result.Records {
		if rec.Index != i || rec.Failed() {
			t.Fatalf("record %d is request %d (error %q)", i, rec.Index, rec.Error)
		}
	}
}

// A crash names its cause: the assertion line, not what gdb printed after it when ggml's
// abort handler attached it, nor the warnings before it.
func TestClassifyNamesTheAssertion(t *testing.T) {
	stderr := `llama_context: n_ctx is not divisible by n_seq_max - rounding down to 4096
/src/llama-context.cpp:2260: GGML_ASSERT(n_outputs_max <= cparams.n_outputs_max) failed
warning: File "/usr/local/go/src/runtime/runtime-gdb.py" auto-loading has been declined by your ` + "`auto-load safe-path'" + ` set to "$debugdir:$datadir/auto-load".
To enable execution of this file add
	add-auto-load-safe-path /usr/local/go/src/runtime/runtime-gdb.py
line to your configuration file "/root/.config/gdb/gdbinit".
[Thread debugging using libthread_db enabled]
Using host libthread_db library "/lib/x86_64-linux-gnu/libthread_db.so.1".
0x00007f2d4416feec in ?? () from /lib/x86_64-linux-gnu/libc.so.6
#0  0x00007f2d4416feec in ?? () from /lib/x86_64-linux-gnu/libc.so.6
[Inferior 1 (process 123) detached]
SIGABRT: abort
PC=0x7f2d4416feec m=3 sigcode=18446744073709551610
signal arrived during cgo execution
`
	d := classify(nil, nil, stderr)
	want := "/src/llama-context.cpp:2260: GGML_ASSERT(n_outputs_max <= cparams.n_outputs_max) failed"
	if d.Kind != "assertion" || d.Detail != want {
		t.Errorf("died of %q: %q; want assertion: %q", d.Kind, d.Detail, want)
	}
	// Without a line that names the cause, the last meaningful lines, without gdb's.
	d = classify(nil, nil, "bt_fault: injected failure 1\nwarning: something gdb says\nSIGABRT: abort\n")
	if d.Kind != "assertion" || d.Detail != "bt_fault: injected failure 1" {
		t.Errorf("died of %q: %q", d.Kind, d.Detail)
	}
}
