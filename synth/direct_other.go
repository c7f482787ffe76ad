//go:build !linux

package synth

import (
	"errors"
	"os"
)

// directWriter is Linux-only (see direct_linux.go); elsewhere files are written buffered.
type directWriter struct{}

func newDirectWriter(*os.File) *directWriter { return nil }

func (*directWriter) Write([]byte) (int, error) {
	return 0, errors.New("synth: direct I/O unsupported")
}
func (*directWriter) Close() error { return nil }
func (*directWriter) abort()       {}
