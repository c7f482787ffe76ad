package engine

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"syscall"
	"testing"
)

// logWriter records the iteration log's writes; it fails from write failAt on (1-based), after
// taking half of that write, as a full disk does, and its Sync returns syncErr.
type logWriter struct {
	buf     bytes.Buffer
	writes  int
	failAt  int
	syncs   int
	syncErr error
}

func (w *logWriter) Write(p []byte) (int, error) {
	w.writes++
	if w.failAt > 0 && w.writes >= w.failAt {
		n, _ := w.buf.Write(p[:len(p)/2])
		return n, syscall.ENOSPC
	}
	return w.buf.Write(p)
}

func (w *logWriter) Sync() error { w.syncs++; return w.syncErr }

// Each step's line is written when the step ends, in one write: while step k runs, the log
// holds the k-1 steps before it.
func TestIterationLogIsWrittenAsTheRunGoes(t *testing.T) {
	reqs := makeReqs(10, func(i int) int { return 5 + i }, func(i int) int { return 4 + i%3 })
	w := &logWriter{}
	cfg := Config{MaxBatchSize: 4, MaxNumTokens: 16, MaxSeqLen: 64, EOSID: -1}
	fb := newFake(t, cfg.MaxNumTokens, cfg.MaxBatchSize)
	fb.onStep = func(step int) {
		if lines := bytes.Count(w.buf.Bytes(), []byte("\n")); lines != step-1 || w.writes != step-1 {
			t.Fatalf("step %d runs with %d lines in %d writes in the log, want %d", step, lines, w.writes, step-1)
		}
	}
	res, err := Run(context.Background(), fb, reqs, cfg, Hooks{IterationLog: w}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(w.buf.Bytes(), []byte("\n")); int64(n) != res.Steps || w.syncs != 1 {
		t.Errorf("%d lines for %d steps, %d syncs: want a line a step and one sync at the end", n, res.Steps, w.syncs)
	}
}

// A log that cannot be written (a full disk) stops at the failed line; the run goes on to the
// end and returns the error with every request's record.
func TestIterationLogWriteErrorKeepsTheRun(t *testing.T) {
	reqs := makeReqs(10, func(i int) int { return 5 + i }, func(i int) int { return 4 + i%3 })
	w := &logWriter{failAt: 5}
	cfg := Config{MaxBatchSize: 4, MaxNumTokens: 16, MaxSeqLen: 64, EOSID: -1}
	fb := newFake(t, cfg.MaxNumTokens, cfg.MaxBatchSize)
	res, err := Run(context.Background(), fb, reqs, cfg, Hooks{IterationLog: w}, nil)
	if !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), "iteration log: write line 5") {
		t.Fatalf("err = %v, want the failed write of line 5", err)
	}
	for i, r := range res.Records {
		if r.Failed() || r.OutputTokens() != reqs[i].OutputTokens {
			t.Errorf("request %d: %d tokens, error %q: the run must not stop for its log", i, r.OutputTokens(), r.Error)
		}
	}
	if w.writes != 5 {
		t.Errorf("%d writes after the failure, want none", w.writes-5)
	}
}

// The final sync reports what the file system could not store; devices that cannot sync
// (EINVAL) are not an error.
func TestIterationLogSyncError(t *testing.T) {
	for _, c := range []struct {
		err  error
		fail bool
	}{{syscall.EIO, true}, {syscall.EINVAL, false}} {
		reqs := makeReqs(3, func(int) int { return 4 }, func(int) int { return 3 })
		w := &logWriter{syncErr: c.err}
		cfg := Config{MaxBatchSize: 4, MaxNumTokens: 16, MaxSeqLen: 64, EOSID: -1}
		_, err := Run(context.Background(), newFake(t, 16, 4), reqs, cfg, Hooks{IterationLog: w}, nil)
		if got := err != nil; got != c.fail || (c.fail && !errors.Is(err, c.err)) {
			t.Errorf("sync error %v: run error %v", c.err, err)
		}
	}
}
