package session

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/benchtui/benchtui/engine"
	"github.com/benchtui/benchtui/report"
)

// ChildCommand is the hidden command with which benchtui re-executes itself as a backend
// process.
const ChildCommand = "__backend"

// child is a session whose backend runs in a backend process. When the process dies mid-run,
// the run ends failed with the reason, keeping every request that had finished; the next run
// starts a new process and loads the model again.
type child struct {
	base
	mu   sync.Mutex // guards proc, which Abort reads from another goroutine
	proc *process   // nil after a death
}

// openChild starts a backend process and loads the model in it.
func openChild(ctx context.Context, o Options, env Env, ev *engine.Events) (*child, error) {
	model, _, err := Check(o)
	if err != nil {
		return nil, err
	}
	if o.Backend, err = o.normalizedBackend(); err != nil {
		return nil, err
	}
	s := &child{base: base{opts: o, env: env, model: model}}
	if err := s.spawn(ctx, ev); err != nil {
		return nil, err
	}
	return s, nil
}

// heartbeatEvery is how often a backend process says it is alive: often enough that a
// stall is noticed within its timeout, and no more than a few times a second.
func heartbeatEvery(stall time.Duration) time.Duration {
	return min(time.Second, max(stall/8, 10*time.Millisecond))
}

// spawn starts a backend process and opens the model in it, publishing its loading events
// on ev.
func (s *child) spawn(ctx context.Context, ev *engine.Events) error {
	p, err := startProcess(s.env, s.opts.Verbose)
	if err != nil {
		return err
	}
	p.target.Store(ev)
	defer p.target.Store(nil)
	stall := s.env.stallTimeout()
	if err := p.w.send(msgOpen, openRequest{Options: s.opts, Heartbeat: heartbeatEvery(stall)}); err != nil {
		p.kill()
		<-p.dead
		return fmt.Errorf("backend process: %w", err)
	}
	f, err := p.await(ctx, stall, p.kill)
	if err != nil {
		<-p.dead
		return fmt.Errorf("load %s: %w", s.opts.Model, err)
	}
	switch f.typ {
	case msgOpened:
		var op opened
		if err := f.decode(&op); err != nil {
			p.close()
			return err
		}
		s.info, s.model, s.modelFile, s.opts = op.Info, op.Model, op.ModelFile, op.Options
		s.setProc(p)
		return nil
	case msgError:
		p.close()
		return replyError(f)
	}
	p.close()
	return fmt.Errorf("backend process: unexpected %q message while loading", f.typ)
}

func (s *child) setProc(p *process) {
	s.mu.Lock()
	s.proc = p
	s.mu.Unlock()
}

func (s *child) getProc() *process {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.proc
}

func replyError(f frame) error {
	var we wireError
	if err := f.decode(&we); err != nil {
		return err
	}
	if we.Input {
		return InputError{errors.New(we.Message)}
	}
	return errors.New(we.Message)
}

func (s *child) Run(ctx context.Context, spec Spec, ev *engine.Events) (*Run, error) {
	if s.getProc() == nil {
		// The last process died: start another before this run.
		if err := s.spawn(ctx, ev); err != nil {
			return nil, err
		}
	}
	p := s.getProc()
	roof := s.startRun(ctx)
	p.beginRun(ev)
	defer p.target.Store(nil)

	r := &Run{Spec: spec, Requests: spec.Requests, Config: spec.Engine, Info: s.info, Start: time.Now()}
	if err := p.w.send(msgRun, runRequest{Spec: spec, Roofline: roof}); err != nil {
		return nil, fmt.Errorf("backend process: %w", err)
	}
	canceled := false
	f, err := p.await(ctx, s.env.stallTimeout(), func() {
		canceled = true
		p.w.send(msgCancel, nil)
	})
	r.End = time.Now()
	s.endRun(r)
	if err != nil {
		// The process died: what finished is kept, the rest failed with the reason.
		s.setProc(nil)
		r.Err = err
		r.Result = p.salvage(err, len(spec.Requests))
		switch {
		case p.aborted.Load():
			r.Err = fmt.Errorf("%w: stopped at once; the backend process was killed", engine.ErrCanceled)
		case canceled:
			r.Err = fmt.Errorf("%w: %v", engine.ErrCanceled, err)
		}
		if len(spec.Requests) > 0 {
			r.Stats = report.DatasetStats(spec.Requests)
		}
		publishEnd(ev, r, len(r.Result.Records))
		return r, nil
	}
	switch f.typ {
	case msgError:
		return nil, replyError(f)
	case msgDone:
		var res runResult
		if err := f.decode(&res); err != nil {
			return nil, err
		}
		res.Result.Records = p.records(res.Result.Records)
		r.Result = &res.Result
		r.Config, r.Stats, r.Info = res.Config, res.Stats, res.Info
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

func (s *child) Abort() bool {
	if p := s.getProc(); p != nil {
		p.aborted.Store(true)
		p.kill()
	}
	return true
}

func (s *child) Close() error {
	if p := s.getProc(); p != nil {
		p.close()
		s.setProc(nil)
	}
	return nil
}

// ChildPID is the backend process's id (0 when none runs).
func (s *child) ChildPID() int {
	if p := s.getProc(); p != nil {
		return p.pid
	}
	return 0
}
