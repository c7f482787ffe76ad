package session

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"

	"github.com/benchtui/benchtui/engine"
	"github.com/benchtui/benchtui/engine/llamacpp"
	"github.com/benchtui/benchtui/telemetry"
)

// ChildCommand is the hidden command with which benchtui re-executes itself as a backend
// child process.
const ChildCommand = "__backend"

// FaultEnv names the variable that makes a child fail on purpose (tests of crash isolation):
// "abort@N", "segv@N", "panic@N", "hang@N" or "exit@N" at decode step N of a benchmark run,
// or "error@N", where the step returns an error as a failing backend does.
const FaultEnv = "BENCHTUI_FAULT"

// ServeChild is the child's side: it loads the model and runs benchmarks as the parent asks,
// sending every event back, until the parent closes the pipe or says close.
func ServeChild(in io.Reader, out io.Writer, version string) error {
	llamacpp.EchoWarnings(true)
	w := newFrameWriter(out)
	if err := w.send(msgHello, hello{Protocol: protocolVersion, PID: os.Getpid(), Version: version}); err != nil {
		return fmt.Errorf("backend child: %w", err)
	}
	c := &childServer{w: w}
	defer c.close()
	r := bufio.NewReaderSize(in, 64<<10)
	for {
		f, err := readFrame(r)
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil // the parent went away: nothing left to do
			}
			return fmt.Errorf("backend child: read: %w", err)
		}
		switch f.typ {
		case msgOpen:
			var o Options
			if err := json.Unmarshal(f.payload, &o); err != nil {
				return fmt.Errorf("backend child: open message: %w", err)
			}
			c.start(func() { c.open(o) })
		case msgRun:
			var rr runRequest
			if err := json.Unmarshal(f.payload, &rr); err != nil {
				return fmt.Errorf("backend child: run message: %w", err)
			}
			c.start(func() { c.run(rr) })
		case msgCancel:
			c.cancelRun()
		case msgClose:
			return nil
		default:
			return fmt.Errorf("backend child: unknown message %q", f.typ)
		}
	}
}

type childServer struct {
	w    *frameWriter
	sess *Session
	wg   sync.WaitGroup

	mu     sync.Mutex
	cancel context.CancelFunc
}

// start runs one command (open or run) beside the reader, which must stay free to hear a
// cancel. The parent sends one command at a time.
func (c *childServer) start(f func()) {
	c.wg.Wait()
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		f()
	}()
}

func (c *childServer) cancelRun() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cancel != nil {
		c.cancel()
	}
}

func (c *childServer) close() {
	c.cancelRun()
	c.wg.Wait()
	if c.sess != nil {
		c.sess.Close()
	}
}

func (c *childServer) sendError(err error) {
	var ie InputError
	c.w.send(msgError, wireError{Message: err.Error(), Input: errors.As(err, &ie)})
}

// forward sends ev's events to the parent until ev closes; the returned function waits for
// the last of them.
func (c *childServer) forward(ev *engine.Events) func() {
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for l := range ev.Lifecycle {
			c.w.send(msgLifecycle, l)
		}
	}()
	go func() {
		defer wg.Done()
		for {
			select {
			case s := <-ev.Snapshots:
				c.w.send(msgSnapshot, s)
			case <-ev.Done():
				select {
				case s := <-ev.Snapshots:
					c.w.send(msgSnapshot, s)
				default:
				}
				return
			}
		}
	}()
	return wg.Wait
}

func (c *childServer) open(o Options) {
	ev := engine.NewEvents(context.Background())
	wait := c.forward(ev)
	o.InProcess = true
	s, err := Open(context.Background(), o, ev)
	ev.Close()
	wait()
	if err != nil {
		c.sendError(err)
		return
	}
	c.sess = s
	c.w.send(msgOpened, opened{Info: s.info, Model: s.model, ModelFile: s.modelFile, Options: s.opts})
}

func (c *childServer) run(rr runRequest) {
	if c.sess == nil {
		c.sendError(errors.New("run before the model was opened"))
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	c.mu.Lock()
	c.cancel = cancel
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.cancel = nil
		c.mu.Unlock()
		cancel()
	}()
	ev := engine.NewEvents(ctx)
	wait := c.forward(ev)
	spec := Spec{
		Requests: rr.Requests, Gen: rr.Gen, DatasetPath: rr.DatasetPath, SkippedLines: rr.SkippedLines,
		Engine: rr.Engine.config(), KVFreeMemFraction: rr.KVFreeMemFraction, IterationLogPath: rr.IterationLogPath,
		Events: ev,
	}
	if sol := rr.SOL; sol != nil && sol.BandwidthBytesPerSec > 0 {
		roof := telemetry.Roofline{BandwidthBytesPerSec: sol.BandwidthBytesPerSec}
		spec.Engine.SpeedOfLight = func(batch int, contextTokens int64) float64 {
			return roof.DecodeTokensPerSec(sol.WeightBytes, sol.KVBytesPerToken, batch, contextTokens)
		}
	}
	c.sess.fault = faultFromEnv()
	run, err := c.sess.Run(ctx, spec)
	ev.Close()
	wait()
	if err != nil {
		c.sendError(err)
		return
	}
	res := runResult{Config: toWire(run.Config), Stats: run.Stats, Result: *run.Result, Info: run.Info}
	if run.Err != nil {
		res.Err = run.Err.Error()
		res.Canceled = errors.Is(run.Err, engine.ErrCanceled)
	}
	c.w.send(msgDone, res)
}

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
			}
		}
	}
	return b.Backend.Step(batch, out)
}

// childMain is what the hidden command runs; a Go panic is printed with its stack on stderr,
// where the parent reads why its child died.
func childMain(version string) int {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(os.Stderr, "panic: %v\n%s", r, debug.Stack())
			os.Exit(2)
		}
	}()
	if err := ServeChild(os.Stdin, os.Stdout, version); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// RunChild is the entry point of the hidden backend command.
func RunChild(version string) int {
	// Ctrl-C in a terminal reaches the whole process group; the parent decides what it
	// means (stop the run, keep what finished) and tells the child.
	signal.Ignore(os.Interrupt)
	return childMain(version)
}
