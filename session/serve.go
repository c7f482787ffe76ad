package session

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/benchtui/benchtui/engine"
	"github.com/benchtui/benchtui/engine/llamacpp"
)

// RunChild is the entry point of the hidden backend command. Its protocol pipes are file
// descriptors 3 and 4, which the parent opens (startProcess).
func RunChild(version string) int {
	// Ctrl-C in a terminal reaches the whole process group; the parent decides what it
	// means (stop the run, keep what finished) and tells the child.
	signal.Ignore(os.Interrupt)
	var st syscall.Stat_t
	if syscall.Fstat(childCommandFD, &st) != nil || syscall.Fstat(childEventFD, &st) != nil {
		fmt.Fprintf(os.Stderr, "benchtui %s: this command is benchtui's backend process, which benchtui starts itself with its protocol on file descriptors %d and %d\n",
			ChildCommand, childCommandFD, childEventFD)
		return 2
	}
	// Nothing the child starts (ggml's abort handler forks a debugger) may hold the pipes.
	syscall.CloseOnExec(childCommandFD)
	syscall.CloseOnExec(childEventFD)
	in := os.NewFile(childCommandFD, "commands")
	out := os.NewFile(childEventFD, "events")
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(os.Stderr, "panic: %v\n%s", r, debug.Stack())
			os.Exit(2)
		}
	}()
	if err := ServeChild(in, out, version); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// ServeChild is the backend process's side: it loads the model and runs benchmarks as the
// parent asks, sending every event back, until the parent says close or goes away.
func ServeChild(in io.Reader, out io.Writer, version string) error {
	llamacpp.EchoWarnings(true)
	w := newFrameWriter(out)
	if err := w.send(msgHello, hello{Protocol: protocolVersion, PID: os.Getpid(), Version: version}); err != nil {
		return fmt.Errorf("backend process: %w", err)
	}
	c := &childServer{w: w, beats: make(chan struct{})}
	r := bufio.NewReaderSize(in, 64<<10)
	for {
		f, err := readFrame(r)
		if err != nil {
			if errors.Is(err, io.EOF) {
				// The parent went away: nothing is left to do, and a command that hangs
				// must not keep this process alive.
				return nil
			}
			return fmt.Errorf("backend process: read: %w", err)
		}
		switch f.typ {
		case msgOpen:
			var or openRequest
			if err := f.decode(&or); err != nil {
				return err
			}
			c.startHeartbeat(or.Heartbeat)
			c.start(func() { c.open(or.Options) })
		case msgRun:
			var rr runRequest
			if err := f.decode(&rr); err != nil {
				return err
			}
			c.start(func() { c.run(rr) })
		case msgCancel:
			c.cancelRun()
		case msgClose:
			c.close()
			return nil
		default:
			return fmt.Errorf("backend process: unknown message %q", f.typ)
		}
	}
}

type childServer struct {
	w     *frameWriter
	sess  *local
	wg    sync.WaitGroup
	beats chan struct{}
	once  sync.Once

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

// startHeartbeat sends a heartbeat every interval while the engine makes progress (see
// liveness), so that the parent tells a long step from a hung one.
func (c *childServer) startHeartbeat(every time.Duration) {
	if every <= 0 {
		return
	}
	c.once.Do(func() {
		go func() {
			t := time.NewTicker(every)
			defer t.Stop()
			last := live.progress()
			for range t.C {
				p := live.progress()
				if live.inNative() && p == last {
					continue // inside native code that does not advance: silence
				}
				last = p
				if c.w.send(msgHeartbeat, nil) != nil {
					return
				}
			}
		}()
	})
}

// forward sends ev's events to the parent until ev closes; the returned function waits for
// the last of them and returns the indices of the records that snapshots carried.
func (c *childServer) forward(ev *engine.Events) func() map[int]bool {
	var wg sync.WaitGroup
	sent := map[int]bool{}
	wg.Add(2)
	go func() {
		defer wg.Done()
		for l := range ev.Lifecycle {
			c.w.send(msgLifecycle, l)
		}
	}()
	snapshot := func(s engine.Snapshot) {
		if c.w.send(msgSnapshot, s) == nil {
			for _, r := range s.Finished {
				sent[r.Index] = true
			}
		}
	}
	go func() {
		defer wg.Done()
		for {
			select {
			case s := <-ev.Snapshots:
				snapshot(s)
			case <-ev.Done():
				select {
				case s := <-ev.Snapshots:
					snapshot(s)
				default:
				}
				return
			}
		}
	}()
	return func() map[int]bool {
		wg.Wait()
		return sent
	}
}

func (c *childServer) open(o Options) {
	ev := engine.NewEvents(context.Background())
	wait := c.forward(ev)
	s, err := openLocal(context.Background(), o, ev)
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
	c.sess.fault = faultFromEnv()
	run, err := c.sess.run(ctx, rr.Spec, rr.Roofline, ev)
	if err == nil {
		publishEnd(ev, run, len(run.Requests))
	}
	ev.Close()
	sent := wait()
	if err != nil {
		c.sendError(err)
		return
	}
	res := runResult{Config: run.Config, Stats: run.Stats, Result: *run.Result, Info: run.Info}
	res.Result.Records = nil
	for _, rec := range run.Result.Records {
		if !sent[rec.Index] {
			res.Result.Records = append(res.Result.Records, rec)
		}
	}
	if run.Err != nil {
		res.Err = run.Err.Error()
		res.Canceled = errors.Is(run.Err, engine.ErrCanceled)
	}
	c.w.send(msgDone, res)
}

// live tells a backend process's heartbeat whether its engine makes progress. Outside native
// code the process is alive as long as it can say so. Inside native code (loading a model,
// creating a context, a decode step) it is alive while the code advances: llama.cpp calls
// back into benchtui as it loads and between the nodes of a graph it computes
// (llamacpp.Ticks), and each step finished counts. A step that runs for minutes on a CPU
// keeps its heartbeat; one stuck in a deadlock loses it.
var live liveness

type liveness struct {
	native atomic.Int32
	ticks  atomic.Uint64
}

func (l *liveness) tick()          { l.ticks.Add(1) }
func (l *liveness) enter()         { l.native.Add(1) }
func (l *liveness) exit()          { l.ticks.Add(1); l.native.Add(-1) }
func (l *liveness) inNative() bool { return l.native.Load() > 0 }
func (l *liveness) progress() uint64 {
	return l.ticks.Load() + llamacpp.Ticks()
}

// liveBackend marks a backend's steps as native code for the heartbeat.
type liveBackend struct{ engine.Backend }

// Unwrap lets the engine find what the wrapped backend measures (engine.HostMeter).
func (b liveBackend) Unwrap() engine.Backend { return b.Backend }

func (b liveBackend) Step(batch *engine.Batch, out []int32) error {
	live.enter()
	defer live.exit()
	return b.Backend.Step(batch, out)
}
