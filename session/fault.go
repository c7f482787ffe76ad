package session

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/benchtui/benchtui/engine"
	"github.com/benchtui/benchtui/engine/llamacpp"
)

// FaultEnv names the variable that makes a backend process fail on purpose (tests of crash
// isolation) at decode step N of a benchmark run: "abort@N", "segv@N", "panic@N", "oom@N",
// "exit@N", "hang@N" (stuck in the step without computing: no progress, so no heartbeat),
// "stdout@N" (garbage on stdout, where native code prints) or "error@N" (the step returns an
// error, as a failing backend does).
const FaultEnv = "BENCHTUI_FAULT"

// fault is a failure injected at a decode step (FaultEnv).
type fault struct {
	kind string
	step int
}

func faultFromEnv() *fault {
	// With FaultEnv+"_ONCE" naming a file, the fault happens in one run only: the run that
	// creates the file (so that a test can see the next run succeed).
	if once := os.Getenv(FaultEnv + "_ONCE"); once != "" {
		f, err := os.OpenFile(once, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		if err != nil {
			return nil
		}
		f.Close()
	}
	return faultFromString(os.Getenv(FaultEnv))
}

// faultFromString reads a fault as FaultEnv spells it ("kind@step"); nil for none.
func faultFromString(v string) *fault {
	kind, at, ok := strings.Cut(v, "@")
	if !ok {
		return nil
	}
	n, err := strconv.Atoi(at)
	if err != nil || n < 1 {
		return nil
	}
	return &fault{kind: kind, step: n}
}

// faultBackend fails at its step.
type faultBackend struct {
	engine.Backend
	f     *fault
	steps int
}

// Unwrap lets the engine find what the wrapped backend measures (engine.HostMeter).
func (b *faultBackend) Unwrap() engine.Backend { return b.Backend }

func (b *faultBackend) Step(batch *engine.Batch, out []int32) error {
	if batch.Len() > 0 {
		b.steps++
		if b.steps == b.f.step {
			switch b.f.kind {
			case "abort", "segv":
				llamacpp.Fault(b.f.kind)
			case "error":
				return errors.New("injected error at decode step " + strconv.Itoa(b.steps))
			case "panic":
				panic("injected panic at decode step " + strconv.Itoa(b.steps))
			case "hang":
				fmt.Fprintln(os.Stderr, "bt_fault: hanging")
				select {}
			case "exit":
				fmt.Fprintln(os.Stderr, "bt_fault: exiting")
				os.Exit(3)
			case "oom":
				// As llama.cpp reports a failed CUDA allocation, then aborts.
				fmt.Fprintln(os.Stderr, "ggml_backend_cuda_buffer_type_alloc_buffer: allocating 81920.00 MiB on device 0: cudaMalloc failed: out of memory")
				llamacpp.Fault("abort")
			case "stdout":
				// What a stray printf in native code does: bytes that look like a frame
				// header, then noise.
				os.Stdout.Write([]byte("D\x00\x00\x10\x00garbage from native code\n"))
			}
		}
	}
	return b.Backend.Step(batch, out)
}
