package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// exitInterrupted is the exit status after Ctrl-C (SIGINT) or SIGTERM: 128 + SIGINT, as a
// shell reports a process the signal ended, here with the results that finished kept.
const exitInterrupted = 130

// interruptedError marks a command that stopped because it was interrupted.
type interruptedError struct{ err error }

func (e interruptedError) Error() string { return e.err.Error() }
func (e interruptedError) Unwrap() error { return e.err }

// interrupts turns SIGINT and SIGTERM into a context that ends at the first, so that a run
// stops at its next step and reports what finished. At the second, the function given to
// onSecond runs (it kills the backend process at once); without one, or when it cannot stop
// the run, the program exits at once.
type interrupts struct {
	ctx    context.Context
	cancel context.CancelFunc
	ch     chan os.Signal

	mu     sync.Mutex
	second func() bool
	count  int
}

func newInterrupts(stderr io.Writer, quiet bool) *interrupts {
	ctx, cancel := context.WithCancel(context.Background())
	in := &interrupts{ctx: ctx, cancel: cancel, ch: make(chan os.Signal, 2)}
	signal.Notify(in.ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		for range in.ch {
			in.mu.Lock()
			in.count++
			n, second := in.count, in.second
			in.mu.Unlock()
			if n == 1 {
				if !quiet {
					fmt.Fprintln(stderr, "benchtui: stopping after the current step; interrupt again to stop at once")
				}
				in.cancel()
				continue
			}
			if second == nil || !second() {
				fmt.Fprintln(stderr, "benchtui: interrupted twice: stopped at once")
				os.Exit(exitInterrupted)
			}
		}
	}()
	return in
}

// onSecond sets what the second interrupt does; f reports whether it could stop the run.
func (in *interrupts) onSecond(f func() bool) {
	in.mu.Lock()
	in.second = f
	in.mu.Unlock()
}

// interrupted reports whether a signal came.
func (in *interrupts) interrupted() bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.count > 0
}

// stop releases the signals.
func (in *interrupts) stop() {
	signal.Stop(in.ch)
	in.cancel()
}
