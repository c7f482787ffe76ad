package session

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/benchtui/benchtui/engine"
)

// process is the parent's handle on a backend process.
type process struct {
	cmd    *exec.Cmd
	pid    int
	w      *frameWriter
	cmdW   *os.File // the parent's end of the command pipe
	stderr *tailBuffer
	lines  *lineLog // nil without a log

	log     *log.Logger
	hello   chan error    // the greeting's outcome
	replies chan frame    // opened, done and error frames
	dead    chan struct{} // closed when the process has exited
	death   *ChildDeath   // why, once dead is closed

	closing atomic.Bool                   // close asked the process to exit
	aborted atomic.Bool                   // Abort killed it
	target  atomic.Pointer[engine.Events] // where lifecycle and snapshot events go
	last    atomic.Int64                  // unix ns of the last frame, for stall detection

	mu       sync.Mutex
	finished []engine.Record // records of the current run that came with snapshots
	snaps    []engine.Snapshot
	total    int // requests of the current run, from its running event
}

// startProcess starts a backend process and waits for its hello.
func startProcess(env Env, verbose bool) (*process, error) {
	args := env.ChildArgs
	if args == nil {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("start backend process: %w", err)
		}
		args = []string{exe, ChildCommand}
	}
	cmdR, cmdW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("start backend process: %w", err)
	}
	evR, evW, err := os.Pipe()
	if err != nil {
		cmdR.Close()
		cmdW.Close()
		return nil, fmt.Errorf("start backend process: %w", err)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = os.Environ()
	cmd.ExtraFiles = []*os.File{cmdR, evW} // the child's fds 3 and 4
	p := &process{cmd: cmd, cmdW: cmdW, w: newFrameWriter(cmdW), stderr: newTailBuffer(256 << 10),
		hello: make(chan error, 1), replies: make(chan frame, 4), dead: make(chan struct{}), log: env.Log}
	// Native code may write to stdout as well as stderr: both are kept for the log and for
	// naming a death, and neither can reach the protocol.
	out := []io.Writer{p.stderr}
	if env.Log != nil {
		p.lines = &lineLog{log: env.Log}
		out = append(out, p.lines)
	}
	if verbose {
		// --verbose shows llama.cpp's log, which the backend process writes to its stderr.
		out = append(out, os.Stderr)
	}
	w := io.MultiWriter(out...)
	cmd.Stdout, cmd.Stderr = w, w
	err = startCmd(cmd)
	cmdR.Close()
	evW.Close()
	if err != nil {
		cmdW.Close()
		evR.Close()
		return nil, fmt.Errorf("start backend process %s: %w", args[0], err)
	}
	p.pid = cmd.Process.Pid
	if p.lines != nil {
		p.lines.prefix = fmt.Sprintf("backend process %d: ", p.pid)
	}
	p.last.Store(time.Now().UnixNano())
	p.logf("backend process %d started: %s", p.pid, strings.Join(args, " "))
	go p.read(evR)
	select {
	case err = <-p.hello:
	case <-p.dead:
		err = p.death
	case <-time.After(env.stallTimeout()):
		err = errors.New("no greeting")
	}
	if err != nil {
		p.kill()
		<-p.dead
		return nil, fmt.Errorf("backend process did not greet (%v): %s", err, p.stderr.lastLines(5))
	}
	return p, nil
}

// read checks the greeting, then dispatches the child's frames until its pipe closes, then
// records how it died.
func (p *process) read(evR *os.File) {
	defer func() {
		if r := recover(); r != nil {
			p.kill()
			p.finish(&ChildDeath{Kind: "panic", Detail: fmt.Sprintf("reading the backend's events: %v", r)})
		}
	}()
	defer evR.Close()
	r := bufio.NewReaderSize(evR, 64<<10)
	f, err := readFrame(r)
	var h hello
	switch {
	case err != nil:
	case f.typ != msgHello:
		err = fmt.Errorf("first message %q", f.typ)
	case f.decode(&h) != nil || h.Protocol != protocolVersion:
		err = fmt.Errorf("the backend process speaks protocol %d, this benchtui %d: rebuild both", h.Protocol, protocolVersion)
	}
	p.hello <- err
	for err == nil {
		if f, err = readFrame(r); err != nil {
			break
		}
		p.last.Store(time.Now().UnixNano())
		p.dispatch(f)
	}
	p.finish(nil)
}

func (p *process) dispatch(f frame) {
	switch f.typ {
	case msgHeartbeat:
	case msgLifecycle:
		var l engine.Lifecycle
		if f.decode(&l) == nil {
			if l.Phase == engine.PhaseRunning {
				p.mu.Lock()
				p.total = l.Total
				p.mu.Unlock()
			}
			p.target.Load().Publish(l)
		}
	case msgSnapshot:
		var s engine.Snapshot
		if f.decode(&s) == nil {
			p.mu.Lock()
			p.finished = append(p.finished, s.Finished...)
			fin := s.Finished
			s.Finished = nil
			p.snaps = append(p.snaps, s)
			p.mu.Unlock()
			s.Finished = fin
			p.target.Load().Offer(s)
		}
	default:
		p.replies <- f
	}
}

// finish waits for the process and closes dead with the reason (given, or read from the exit
// status and stderr).
func (p *process) finish(d *ChildDeath) {
	err := p.cmd.Wait()
	if p.lines != nil {
		p.lines.flush()
	}
	if d == nil {
		d = classify(err, p.cmd.ProcessState, p.stderr.String())
	}
	p.death = d
	if p.closing.Load() && err == nil {
		p.logf("backend process %d exited", p.pid)
	} else {
		p.logf("backend process %d ended: %v", p.pid, d)
	}
	close(p.dead)
}

func (p *process) logf(format string, a ...any) {
	if p.log != nil {
		p.log.Printf(format, a...)
	}
}

func (p *process) kill() {
	if p.cmd.Process != nil {
		p.cmd.Process.Kill()
	}
}

// close asks the process to exit, and kills it if it does not within a few seconds.
func (p *process) close() {
	select {
	case <-p.dead:
		return
	default:
	}
	p.closing.Store(true)
	p.w.send(msgClose, nil)
	p.cmdW.Close()
	select {
	case <-p.dead:
	case <-time.After(5 * time.Second):
		p.kill()
		<-p.dead
	}
}

// await waits for a reply frame, the process's death, or a stall (no frame, heartbeats
// included, for stall); onCtx runs once when ctx ends (to ask for a cancel) and the wait
// goes on.
func (p *process) await(ctx context.Context, stall time.Duration, onCtx func()) (frame, error) {
	tick := time.NewTicker(min(time.Second, stall/4))
	defer tick.Stop()
	done := ctx.Done()
	for {
		select {
		case f := <-p.replies:
			return f, nil
		case <-p.dead:
			// A reply sent just before the exit still counts.
			select {
			case f := <-p.replies:
				return f, nil
			default:
			}
			return frame{}, p.death
		case <-done:
			done = nil
			if onCtx != nil {
				onCtx()
			}
		case <-tick.C:
			if since := time.Since(time.Unix(0, p.last.Load())); since > stall {
				p.kill()
				<-p.dead
				d := *p.death
				d.Kind = "stalled"
				d.Status = fmt.Sprintf("no sign of progress for %s; killed", since.Round(100*time.Millisecond))
				if d.Detail == "" {
					d.Detail = p.stderr.lastLines(3)
				}
				p.death = &d
				p.logf("backend process %d stalled: %v", p.pid, &d)
				return frame{}, p.death
			}
		}
	}
}

// beginRun forgets the last run's snapshots and sends the next run's events to ev.
func (p *process) beginRun(ev *engine.Events) {
	p.mu.Lock()
	p.finished, p.snaps, p.total = nil, nil, 0
	p.mu.Unlock()
	p.target.Store(ev)
}

// records joins the records that came with snapshots and those of the done message (the
// others), in request order.
func (p *process) records(rest []engine.Record) []engine.Record {
	p.mu.Lock()
	all := append(slices.Clip(p.finished), rest...)
	p.mu.Unlock()
	slices.SortFunc(all, func(a, b engine.Record) int { return cmp.Compare(a.Index, b.Index) })
	return all
}

// salvage builds the result of a run whose process died: the requests seen finishing, and
// the others (as far as the snapshots told their number) failed with the reason.
func (p *process) salvage(death error, nReqs int) *engine.Result {
	p.mu.Lock()
	defer p.mu.Unlock()
	res := &engine.Result{Series: p.snaps}
	total := max(nReqs, p.total)
	for _, snap := range p.snaps {
		total = max(total, snap.Total)
	}
	done := make(map[int]bool, len(p.finished))
	for _, rec := range p.finished {
		done[rec.Index] = true
	}
	res.Records = append(res.Records, p.finished...)
	for i := 0; i < total; i++ {
		if !done[i] {
			res.Records = append(res.Records, engine.Record{Index: i, Status: engine.StatusFailed, Error: death.Error()})
		}
	}
	slices.SortFunc(res.Records, func(a, b engine.Record) int { return cmp.Compare(a.Index, b.Index) })
	if n := len(p.snaps); n > 0 {
		res.Steps = p.snaps[n-1].Steps
		res.Duration = time.Duration(p.snaps[n-1].ElapsedNS)
	}
	return res
}
