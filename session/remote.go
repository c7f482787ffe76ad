package session

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/benchtui/benchtui/engine"
	"github.com/benchtui/benchtui/report"
)

// child is the parent's handle on a backend child process.
type child struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	w      *frameWriter
	stderr *tailBuffer

	log     *log.Logger
	replies chan frame    // opened, done and error frames
	dead    chan struct{} // closed when the child has exited
	death   *ChildDeath   // why, once dead is closed

	closing  atomic.Bool                   // close asked the child to exit
	target   atomic.Pointer[engine.Events] // where lifecycle and snapshot events go
	last     atomic.Int64                  // unix ns of the last frame, for stall detection
	mu       sync.Mutex
	finished []engine.Record // records of the current run seen in snapshots
	snaps    []engine.Snapshot
	total    int // requests of the current run, from its running event
}

// ChildDeath says why a backend child process ended before its work did.
type ChildDeath struct {
	// Kind is one of: "out of memory", "CUDA error", "assertion", "segmentation fault",
	// "killed", "stalled", "panic", "exited".
	Kind string
	// Detail is the last meaningful lines of the child's stderr.
	Detail string
	// Status is the exit status or signal, as the system reported it.
	Status string
}

func (d *ChildDeath) Error() string {
	msg := "backend process died: " + d.Kind
	if d.Status != "" {
		msg += " (" + d.Status + ")"
	}
	if d.Detail != "" {
		msg += ": " + d.Detail
	}
	return msg
}

func (o Options) stallTimeout() time.Duration {
	if o.StallTimeout > 0 {
		return o.StallTimeout
	}
	return DefaultStallTimeout
}

// startChild starts the backend process and waits for its hello.
func startChild(o Options) (*child, error) {
	args := o.ChildArgs
	if args == nil {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("start backend process: %w", err)
		}
		args = []string{exe, ChildCommand}
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = os.Environ()
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("start backend process: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("start backend process: %w", err)
	}
	c := &child{cmd: cmd, stdin: stdin, w: newFrameWriter(stdin), stderr: newTailBuffer(64 << 10),
		replies: make(chan frame, 4), dead: make(chan struct{}), log: o.Log}
	cmd.Stderr = c.stderr
	if o.Verbose {
		// --verbose shows llama.cpp's log, which the backend process writes to its stderr.
		cmd.Stderr = io.MultiWriter(c.stderr, os.Stderr)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start backend process %s: %w", args[0], err)
	}
	c.last.Store(time.Now().UnixNano())
	c.logf("backend process %d started: %s", cmd.Process.Pid, strings.Join(args, " "))
	r := bufio.NewReaderSize(stdout, 64<<10)
	f, err := readFrame(r)
	if err != nil || f.typ != msgHello {
		c.kill()
		cmd.Wait()
		return nil, fmt.Errorf("backend process did not greet (%v): %s", err, c.stderr.lastLines(5))
	}
	var h hello
	if err := json.Unmarshal(f.payload, &h); err != nil || h.Protocol != protocolVersion {
		c.kill()
		cmd.Wait()
		return nil, fmt.Errorf("backend process speaks protocol %d, this benchtui %d: rebuild both", h.Protocol, protocolVersion)
	}
	go c.read(r)
	return c, nil
}

// read dispatches the child's frames until its stdout closes, then records how it died.
func (c *child) read(r *bufio.Reader) {
	defer func() {
		if p := recover(); p != nil {
			c.kill()
			c.finish(&ChildDeath{Kind: "panic", Detail: fmt.Sprintf("reading the backend's events: %v", p)})
		}
	}()
	for {
		f, err := readFrame(r)
		if err != nil {
			break
		}
		c.last.Store(time.Now().UnixNano())
		switch f.typ {
		case msgLifecycle:
			var l engine.Lifecycle
			if json.Unmarshal(f.payload, &l) == nil {
				if l.Phase == engine.PhaseRunning {
					c.mu.Lock()
					c.total = l.Total
					c.mu.Unlock()
				}
				c.target.Load().Publish(l)
			}
		case msgSnapshot:
			var s engine.Snapshot
			if json.Unmarshal(f.payload, &s) == nil {
				c.mu.Lock()
				c.finished = append(c.finished, s.Finished...)
				fin := s.Finished
				s.Finished = nil
				c.snaps = append(c.snaps, s)
				c.mu.Unlock()
				s.Finished = fin
				c.target.Load().Offer(s)
			}
		default:
			c.replies <- f
		}
	}
	c.finish(nil)
}

// finish waits for the process and closes dead with the reason (given, or read from the exit
// status and stderr).
func (c *child) finish(d *ChildDeath) {
	err := c.cmd.Wait()
	if d == nil {
		d = classify(err, c.cmd.ProcessState, c.stderr.String())
	}
	c.death = d
	if c.closing.Load() && err == nil {
		c.logf("backend process %d exited", c.cmd.Process.Pid)
		// BENCHTUI_PROFILE's step timings are in its stderr: keep them in the log.
		for _, l := range strings.Split(c.stderr.String(), "\n") {
			if strings.HasPrefix(l, "benchtui profile:") {
				c.logf("backend process %d: %s", c.cmd.Process.Pid, l)
			}
		}
	} else {
		c.logf("backend process %d ended: %v\n--- its stderr (end) ---\n%s--- end ---", c.cmd.Process.Pid, d, tail(c.stderr.String(), 8<<10))
	}
	close(c.dead)
}

func (c *child) logf(format string, a ...any) {
	if c.log != nil {
		c.log.Printf(format, a...)
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		s = s[len(s)-n:]
	}
	return s
}

func (c *child) kill() {
	if c.cmd.Process != nil {
		c.cmd.Process.Kill()
	}
}

// close asks the child to exit, and kills it if it does not within a few seconds.
func (c *child) close() {
	select {
	case <-c.dead:
		return
	default:
	}
	c.closing.Store(true)
	c.w.send(msgClose, struct{}{})
	c.stdin.Close()
	select {
	case <-c.dead:
	case <-time.After(5 * time.Second):
		c.kill()
		<-c.dead
	}
}

// await waits for a reply frame, the child's death, or a stall; onCtx runs once when ctx
// ends (to ask for a cancel) and the wait goes on.
func (c *child) await(ctx context.Context, stall time.Duration, onCtx func()) (frame, error) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	done := ctx.Done()
	for {
		select {
		case f := <-c.replies:
			return f, nil
		case <-c.dead:
			// A reply sent just before the exit still counts.
			select {
			case f := <-c.replies:
				return f, nil
			default:
			}
			return frame{}, c.death
		case <-done:
			done = nil
			if onCtx != nil {
				onCtx()
			}
		case <-tick.C:
			if since := time.Since(time.Unix(0, c.last.Load())); since > stall {
				c.kill()
				<-c.dead
				d := *c.death
				d.Kind = "stalled"
				d.Status = fmt.Sprintf("no progress for %s; killed", since.Round(time.Second))
				c.death = &d
				c.logf("backend process %d stalled: %v", c.cmd.Process.Pid, &d)
				return frame{}, c.death
			}
		}
	}
}

// openChild starts a backend process and loads the model in it.
func openChild(ctx context.Context, o Options, ev *engine.Events) (*Session, error) {
	model, _, err := Check(o)
	if err != nil {
		return nil, err
	}
	if o.Backend, err = o.normalizedBackend(); err != nil {
		return nil, err
	}
	s := &Session{opts: o, model: model}
	if err := s.spawn(ctx, ev); err != nil {
		return nil, err
	}
	return s, nil
}

// spawn starts the child and opens the model in it, publishing its loading events on ev.
func (s *Session) spawn(ctx context.Context, ev *engine.Events) error {
	c, err := startChild(s.opts)
	if err != nil {
		return err
	}
	c.target.Store(ev)
	if err := c.w.send(msgOpen, s.opts); err != nil {
		c.kill()
		<-c.dead
		return fmt.Errorf("backend process: %w", err)
	}
	f, err := c.await(ctx, s.opts.stallTimeout(), c.kill)
	if err != nil {
		<-c.dead
		return fmt.Errorf("load %s: %w", s.opts.Model, err)
	}
	switch f.typ {
	case msgOpened:
		var op opened
		if err := json.Unmarshal(f.payload, &op); err != nil {
			c.close()
			return fmt.Errorf("backend process: opened message: %w", err)
		}
		s.info, s.model, s.modelFile = op.Info, op.Model, op.ModelFile
		// The child's options are the normalised ones; the fields that stay on this side
		// (json:"-") are kept.
		local := s.opts
		s.opts = op.Options
		s.opts.Hardware, s.opts.InProcess, s.opts.StallTimeout, s.opts.ChildArgs = local.Hardware, false, local.StallTimeout, local.ChildArgs
		s.child = c
		return nil
	case msgError:
		c.close()
		return replyError(f)
	}
	c.close()
	return fmt.Errorf("backend process: unexpected %q message while loading", f.typ)
}

func replyError(f frame) error {
	var we wireError
	if err := json.Unmarshal(f.payload, &we); err != nil {
		return fmt.Errorf("backend process: error message: %w", err)
	}
	if we.Input {
		return InputError{errors.New(we.Message)}
	}
	return errors.New(we.Message)
}

// runChild runs spec in the backend process. When the process dies mid-run, the run ends
// failed with the reason, keeping every request that had finished; the next run starts a
// new process and loads the model again.
func (s *Session) runChild(ctx context.Context, spec Spec) (*Run, error) {
	if s.child == nil {
		// The last process died: start another before this run.
		if err := s.spawn(ctx, spec.Events); err != nil {
			return nil, err
		}
	}
	c := s.child
	rr := runRequest{
		Requests: spec.Requests, Gen: spec.Gen, DatasetPath: spec.DatasetPath, SkippedLines: spec.SkippedLines,
		Engine: toWire(spec.Engine), KVFreeMemFraction: spec.KVFreeMemFraction, IterationLogPath: spec.IterationLogPath,
	}
	hw := s.opts.Hardware
	if hw != nil {
		if roof := s.roofline(ctx); roof.BandwidthBytesPerSec > 0 {
			rr.SOL = &solParams{BandwidthBytesPerSec: roof.BandwidthBytesPerSec, WeightBytes: float64(s.info.SizeBytes), KVBytesPerToken: kvBytesPerToken(s.info, "")}
		}
		hw.Monitor.SampleNow()
	}
	c.mu.Lock()
	c.finished, c.snaps, c.total = nil, nil, 0
	c.mu.Unlock()
	c.target.Store(spec.Events)
	defer c.target.Store(nil)

	r := &Run{Spec: spec, Requests: spec.Requests, Config: spec.Engine, Info: s.info, Start: time.Now()}
	if err := c.w.send(msgRun, rr); err != nil {
		return nil, fmt.Errorf("backend process: %w", err)
	}
	canceled := false
	f, err := c.await(ctx, s.opts.stallTimeout(), func() {
		canceled = true
		c.w.send(msgCancel, struct{}{})
	})
	r.End = time.Now()
	if hw != nil {
		hw.Monitor.SampleNow()
		r.Telemetry = onlyGPUs(hw.Monitor.Window(r.Start, r.End), hw.usedGPUs(s.info, s.opts.TP))
	}
	if err != nil {
		// The process died: what finished is kept, the rest failed with the reason.
		s.child = nil
		r.Err = err
		r.Result = s.salvage(c, err, len(spec.Requests))
		if canceled {
			r.Err = fmt.Errorf("%w: %v", engine.ErrCanceled, err)
		}
		if len(spec.Requests) > 0 {
			r.Stats = report.DatasetStats(spec.Requests)
		}
		spec.Events.Publish(engine.Lifecycle{Phase: engine.PhaseFailed, Error: err.Error()})
		return r, nil
	}
	switch f.typ {
	case msgError:
		return nil, replyError(f)
	case msgDone:
		var res runResult
		if err := json.Unmarshal(f.payload, &res); err != nil {
			return nil, fmt.Errorf("backend process: done message: %w", err)
		}
		r.Result = &res.Result
		r.Config, r.Stats, r.Info = res.Config.config(), res.Stats, res.Info
		s.info = res.Info
		if res.Err != "" {
			if res.Canceled {
				r.Err = fmt.Errorf("%w: %s", engine.ErrCanceled, strings.TrimPrefix(res.Err, engine.ErrCanceled.Error()+" "))
			} else {
				r.Err = errors.New(res.Err)
			}
		}
		return r, nil
	}
	return nil, fmt.Errorf("backend process: unexpected %q message during a run", f.typ)
}

// salvage builds the result of a run whose process died: the requests seen finishing, and
// the others (as far as the snapshots told their number) failed with the reason.
func (s *Session) salvage(c *child, death error, nReqs int) *engine.Result {
	c.mu.Lock()
	defer c.mu.Unlock()
	res := &engine.Result{Series: c.snaps}
	total := max(nReqs, c.total)
	for _, snap := range c.snaps {
		total = max(total, snap.Total)
	}
	done := make(map[int]bool, len(c.finished))
	for _, rec := range c.finished {
		done[rec.Index] = true
	}
	res.Records = append(res.Records, c.finished...)
	for i := 0; i < total; i++ {
		if !done[i] {
			res.Records = append(res.Records, engine.Record{Index: i, Status: engine.StatusFailed, Error: death.Error()})
		}
	}
	if n := len(c.snaps); n > 0 {
		res.Steps = c.snaps[n-1].Steps
		res.Duration = time.Duration(c.snaps[n-1].ElapsedNS)
	}
	return res
}

// goCrash matches the header the Go runtime prints when the process dies: a panic, a fatal
// error, or a signal it caught (an abort or a fault in native code arrives as one).
var goCrash = regexp.MustCompile(`(?m)^(panic: |fatal error: |(SIGABRT|SIGSEGV|SIGBUS|SIGILL|SIGFPE|SIGTRAP): |unexpected fault address)`)

// classify names why a child died from its exit status and the end of its stderr.
func classify(waitErr error, ps *os.ProcessState, stderr string) *ChildDeath {
	d := &ChildDeath{Kind: "exited"}
	if ps != nil {
		d.Status = ps.String()
	} else if waitErr != nil {
		d.Status = waitErr.Error()
	}
	var sig syscall.Signal = -1
	if ps != nil {
		if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			sig = ws.Signal()
		}
	}
	// What the native code said comes before the Go runtime's crash report, which is a
	// goroutine dump that says where, not why; the report's first line names the cause.
	native, header := stderr, ""
	if loc := goCrash.FindStringIndex(stderr); loc != nil {
		native = stderr[:loc[0]]
		header, _, _ = strings.Cut(stderr[loc[0]:], "\n")
	}
	low := strings.ToLower(native)
	switch {
	case strings.Contains(low, "out of memory") || strings.Contains(low, "failed to allocate") || strings.Contains(low, "cudamalloc failed"):
		d.Kind = "out of memory"
	case strings.Contains(low, "cuda error"):
		d.Kind = "CUDA error"
	case strings.Contains(low, "ggml_assert") || strings.Contains(low, "assertion") || strings.Contains(low, "ggml_abort"):
		d.Kind = "assertion"
	case strings.HasPrefix(header, "panic: ") || strings.HasPrefix(header, "fatal error: "):
		d.Kind = "panic"
		native += "\n" + header
	case strings.HasPrefix(header, "SIGABRT") || sig == syscall.SIGABRT:
		d.Kind = "assertion"
	case strings.HasPrefix(header, "SIG") || strings.HasPrefix(header, "unexpected fault") || sig == syscall.SIGSEGV || sig == syscall.SIGBUS:
		d.Kind = "segmentation fault"
	case sig == syscall.SIGKILL:
		d.Kind = "killed"
		d.Status += " (by a signal; the system kills processes that run out of memory this way)"
	}
	d.Detail = meaningful(native, 3)
	return d
}

// backtraceLine matches the lines of native backtraces, which say where, not why.
var backtraceLine = regexp.MustCompile(`^(\S+\.so[.\d]*\(|\S+\(\+0x|\S+\[0x[0-9a-f]+\]$|\[0x|\s)`)

// meaningful returns up to n of the last lines of stderr that say what happened, the last
// first (it is the one closest to the failure), skipping backtraces and blank lines.
func meaningful(stderr string, n int) string {
	lines := strings.Split(stderr, "\n")
	var out []string
	for i := len(lines) - 1; i >= 0 && len(out) < n; i-- {
		l := strings.TrimRight(lines[i], "\r ")
		if l == "" || backtraceLine.MatchString(l) {
			continue
		}
		out = append(out, strings.TrimSpace(l))
	}
	return strings.Join(out, " | ")
}

// tailBuffer keeps the last cap bytes written to it (a child's stderr).
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
	cap int
}

func newTailBuffer(n int) *tailBuffer { return &tailBuffer{cap: n} }

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.cap; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

func (t *tailBuffer) lastLines(n int) string { return meaningful(t.String(), n) }

// ChildPID is the backend process's id (0 in process or when none runs).
func (s *Session) ChildPID() int {
	if s.child == nil || s.child.cmd.Process == nil {
		return 0
	}
	return s.child.cmd.Process.Pid
}
