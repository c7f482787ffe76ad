package session

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
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
			o := tinyOptions(t, false)
			o.StallTimeout = 3 * time.Second
			t.Setenv(FaultEnv, c.fault)
			s, err := Open(context.Background(), o, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			// Batch 4 of 8-token outputs: requests finish from step 8 on, before the fault;
			// snapshots every millisecond carry them to this side in time.
			sp := spec(4, 32, 16, 8)
			sp.Engine.SnapshotEvery = time.Millisecond
			r, err := s.Run(context.Background(), sp)
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
			r, err = s.Run(context.Background(), spec(4, 8, 16, 8))
			if err != nil || r.Err != nil {
				t.Fatalf("run after the crash: %v, %v", err, r.Err)
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
	sp.Events = ev
	go func() {
		<-ev.Snapshots
		s.child.cmd.Process.Kill()
	}()
	r, err := s.Run(context.Background(), sp)
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
	o := tinyOptions(t, false)
	bad := filepath.Join(t.TempDir(), "corrupt.gguf")
	data := append([]byte("GGUF\x03\x00\x00\x00"), make([]byte, 4096)...)
	for i := range data[8:] {
		data[8+i] = byte(i * 7)
	}
	if err := os.WriteFile(bad, data, 0o644); err != nil {
		t.Fatal(err)
	}
	o.Model = bad
	s, err := Open(context.Background(), o, nil)
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
