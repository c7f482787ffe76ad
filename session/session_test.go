package session

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/benchtui/benchtui/engine"
	"github.com/benchtui/benchtui/engine/llamacpp"
	"github.com/benchtui/benchtui/telemetry"
)

// TestMain doubles as the backend child process: the tests start this binary again with
// childEnv set, and it serves the protocol instead of running tests.
func TestMain(m *testing.M) {
	if helperMain() {
		os.Exit(0)
	}
	if os.Getenv(childEnv) == "1" {
		os.Exit(RunChild("test"))
	}
	os.Exit(m.Run())
}

const childEnv = "BENCHTUI_SESSION_TEST_CHILD"

func tinyOptions(t *testing.T, inProcess bool) (Options, Env) {
	t.Helper()
	t.Setenv("BENCHTUI_CACHE_DIR", filepath.Join(os.TempDir(), "benchtui-test-models"))
	t.Setenv(childEnv, "1")
	bo, err := NormalizeBackend(llamacpp.BackendOptions{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	return Options{Model: "tiny", Seed: 1, Backend: bo}, Env{InProcess: inProcess, ChildArgs: []string{os.Args[0]}}
}

func openTiny(t *testing.T, inProcess bool) Session {
	t.Helper()
	o, env := tinyOptions(t, inProcess)
	s, err := Open(context.Background(), o, env, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func spec(b, n, isl, osl int) Spec {
	return Spec{
		Gen:    Gen{NumRequests: n, ISL: isl, OSL: osl, Seed: 3},
		Engine: engine.Config{MaxBatchSize: b, MaxNumTokens: 256, Concurrency: -1, EOSID: -1},
	}
}

// One loaded model serves runs of different shapes, and a canceled run leaves nothing behind
// that breaks the next one.
func TestSessionRunsAgain(t *testing.T) {
	for _, mode := range []struct {
		name      string
		inProcess bool
	}{{"child process", false}, {"in process", true}} {
		t.Run(mode.name, func(t *testing.T) { testRunsAgain(t, openTiny(t, mode.inProcess)) })
	}
}

func testRunsAgain(t *testing.T, s Session) {
	for _, sp := range []Spec{spec(4, 8, 16, 8), spec(8, 12, 24, 6), spec(4, 8, 16, 8)} {
		r, err := s.Run(context.Background(), sp, nil)
		if err != nil {
			t.Fatal(err)
		}
		if r.Err != nil {
			t.Fatalf("run B=%d: %v", sp.Engine.MaxBatchSize, r.Err)
		}
		if len(r.Result.Records) != sp.Gen.NumRequests {
			t.Fatalf("%d records, want %d", len(r.Result.Records), sp.Gen.NumRequests)
		}
		for i, rec := range r.Result.Records {
			if rec.OutputTokens() != rec.TargetOutputTokens || rec.TargetOutputTokens != sp.Gen.OSL {
				t.Errorf("B=%d request %d: %d tokens, want %d", sp.Engine.MaxBatchSize, i, rec.OutputTokens(), sp.Gen.OSL)
			}
		}
		if got := r.Info.NSeqMax; got != sp.Engine.MaxBatchSize {
			t.Errorf("context has %d sequences, want %d", got, sp.Engine.MaxBatchSize)
		}
		rep := s.Report(r, ReportExtra{Version: "test"})
		if rep.RequestInfo.NumRequests != sp.Gen.NumRequests {
			t.Errorf("report counts %d requests, want %d", rep.RequestInfo.NumRequests, sp.Gen.NumRequests)
		}
	}

	// Cancel a run after its first snapshot, then run again on the same session.
	ctx, cancel := context.WithCancel(context.Background())
	ev := engine.NewEvents(ctx)
	sp := spec(4, 64, 32, 64)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range ev.Snapshots {
			cancel()
			return
		}
	}()
	r, err := s.Run(ctx, sp, ev)
	if err != nil {
		t.Fatal(err)
	}
	<-done
	if !errors.Is(r.Err, engine.ErrCanceled) {
		t.Fatalf("run ended with %v, want a cancel", r.Err)
	}
	r, err = s.Run(context.Background(), spec(4, 8, 16, 8), nil)
	if err := runErr(r, err); err != nil {
		t.Fatalf("run after a cancel: %v", err)
	}
}

func TestCheckBadModel(t *testing.T) {
	var ie InputError
	if _, _, err := Check(Options{Model: "no-such-preset"}); !errors.As(err, &ie) {
		t.Errorf("unknown preset: %v, want an InputError", err)
	}
	bad := filepath.Join(t.TempDir(), "x.gguf")
	if err := os.WriteFile(bad, []byte("not gguf"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Check(Options{Model: bad}); !errors.As(err, &ie) {
		t.Errorf("non-GGUF file: %v, want an InputError", err)
	}
}

// A run with hardware sampling reports the host's telemetry and a speed of light from its
// measured bandwidth (this machine has no NVIDIA driver; NVML falls back to the host).
func TestSessionHardwareReport(t *testing.T) {
	t.Setenv("BENCHTUI_CACHE_DIR", filepath.Join(os.TempDir(), "benchtui-test-models"))
	ctx := context.Background()
	hw := StartHardware(ctx, 20*time.Millisecond)
	defer hw.Close()
	o, env := tinyOptions(t, false)
	env.Hardware = hw
	s, err := Open(ctx, o, env, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	sp := spec(4, 16, 32, 32)
	sp.Engine.SnapshotEvery = time.Millisecond
	r, err := s.Run(ctx, sp, nil)
	if err := runErr(r, err); err != nil {
		t.Fatal(err)
	}
	rep := s.Report(r, ReportExtra{})
	hr := rep.BenchTUI.Hardware
	if hr == nil {
		t.Fatal("report has no hardware section")
	}
	if len(hr.Summary.Devices) == 0 || len(hr.Series.TimesMS) == 0 {
		t.Errorf("no telemetry: %d devices, %d samples", len(hr.Summary.Devices), len(hr.Series.TimesMS))
	}
	sol := hr.SpeedOfLight
	if sol == nil {
		t.Fatalf("no speed of light (%d snapshots)", len(r.Result.Series))
	}
	if !sol.Roofline.Estimate || sol.RooflineOutputTokS <= 0 || sol.AchievedPercent <= 0 || sol.AchievedPercent > 100 {
		t.Errorf("speed of light %+v: want an estimate with 0 < achieved <= 100%%", sol)
	}
	if sol.WeightBytes != float64(s.Info().SizeBytes) || sol.KVBytesPerToken <= 0 {
		t.Errorf("weights %g bytes (model %d), KV %g bytes/token", sol.WeightBytes, s.Info().SizeBytes, sol.KVBytesPerToken)
	}
	for _, snap := range r.Result.Series {
		if snap.Running > 0 && snap.SpeedOfLightTokS <= 0 {
			t.Errorf("snapshot at %d ns with %d running has no speed of light", snap.ElapsedNS, snap.Running)
			break
		}
	}
}

func TestUsedGPUs(t *testing.T) {
	h := &Hardware{Machine: telemetry.Machine{GPUs: []telemetry.GPUInfo{{Index: 0, UUID: "GPU-aaaa-1"}, {Index: 1, UUID: "GPU-bbbb-2"}}}}
	gpu := engine.BackendInfo{GPULayers: -1}
	cases := []struct {
		env  string // "-" leaves CUDA_VISIBLE_DEVICES unset
		info engine.BackendInfo
		tp   int
		want []int
	}{
		{"-", gpu, 1, []int{0}},
		{"-", gpu, 2, []int{0, 1}},
		{"1", gpu, 1, []int{1}},
		{"GPU-bbbb", gpu, 1, []int{1}},
		{"1,0", gpu, 2, []int{1, 0}},
		{"-", engine.BackendInfo{GPULayers: 0}, 1, nil},
	}
	for _, c := range cases {
		if c.env == "-" {
			os.Unsetenv("CUDA_VISIBLE_DEVICES")
		} else {
			t.Setenv("CUDA_VISIBLE_DEVICES", c.env)
		}
		if got := h.usedGPUs(c.info, c.tp); !slices.Equal(got, c.want) {
			t.Errorf("CUDA_VISIBLE_DEVICES=%s tp %d: %v, want %v", c.env, c.tp, got, c.want)
		}
	}
}

// runErr is a run's outcome as one error: the error that kept it from starting, or the one
// that ended it early.
func runErr(r *Run, err error) error {
	if err != nil {
		return err
	}
	return r.Err
}
