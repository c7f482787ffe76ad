package engine

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"syscall"
)

// stepLogWriter writes the iteration log as the run goes: each line is one write, so it is in
// the file (the kernel's page cache) as soon as its step has ended, and a crash of the
// process, even one in native code, loses no step that ended before it. A write costs a few
// microseconds against steps of milliseconds.
//
// A write that fails (a full disk) stops the log there, not the run; close reports it, and
// a final sync reports what the file system could not store.
type stepLogWriter struct {
	w     io.Writer
	buf   bytes.Buffer
	enc   *json.Encoder
	lines int64
	err   error
}

func newStepLogWriter(w io.Writer) *stepLogWriter {
	l := &stepLogWriter{w: w}
	l.enc = json.NewEncoder(&l.buf)
	return l
}

func (l *stepLogWriter) write(v *StepLog) {
	if l.err != nil {
		return
	}
	l.buf.Reset()
	if err := l.enc.Encode(v); err != nil {
		l.err = fmt.Errorf("iteration log line %d: %w", l.lines+1, err)
		return
	}
	if _, err := l.w.Write(l.buf.Bytes()); err != nil {
		l.err = fmt.Errorf("iteration log: write line %d: %w (the lines before it were written)", l.lines+1, err)
		return
	}
	l.lines++
}

// close syncs a file to its storage and returns the first error of the log. Devices and
// pipes that cannot sync are not an error.
func (l *stepLogWriter) close() error {
	if l.err != nil {
		return l.err
	}
	if f, ok := l.w.(interface{ Sync() error }); ok {
		if err := f.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOTSUP) {
			l.err = fmt.Errorf("iteration log: sync after %d lines: %w", l.lines, err)
		}
	}
	return l.err
}
