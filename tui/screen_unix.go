//go:build unix

package tui

import (
	"os"
	"os/signal"
	"syscall"
)

// sizeChanges delivers a value whenever the terminal changed size (SIGWINCH).
func sizeChanges() (<-chan os.Signal, func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGWINCH)
	return ch, func() { signal.Stop(ch) }
}
