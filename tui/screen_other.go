//go:build !unix

package tui

import (
	"os"
	"time"
)

// sizeChanges delivers a value twice a second: without SIGWINCH, the screen reads the
// terminal's size that often.
func sizeChanges() (<-chan os.Signal, func()) {
	ch := make(chan os.Signal, 1)
	t := time.NewTicker(500 * time.Millisecond)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			case <-t.C:
				select {
				case ch <- os.Interrupt:
				default:
				}
			}
		}
	}()
	return ch, func() { t.Stop(); close(done) }
}
