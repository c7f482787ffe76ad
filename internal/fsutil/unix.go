//go:build unix

package fsutil

import (
	"errors"
	"syscall"
)

// nonblock opens a FIFO without waiting for a reader.
const nonblock = syscall.O_NONBLOCK

// isNoReader reports whether opening a FIFO failed because no process reads it.
func isNoReader(err error) bool { return errors.Is(err, syscall.ENXIO) }
