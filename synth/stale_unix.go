//go:build unix

package synth

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// A model being written is a temporary file in the cache directory (name.tmp-*) until it is
// complete. A write that was killed leaves it behind, as large as the model was when it
// died; nothing else would ever remove it. The writer holds an exclusive flock on its
// temporary file, which the kernel releases when the writer dies however it dies, so a
// temporary file that can be locked belongs to no live writer and is removed.

// lockWriting marks f as being written.
func lockWriting(f *os.File) { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) }

// removeStale removes the temporary model files in dir that no writer holds.
func removeStale(dir string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !e.Type().IsRegular() || !strings.Contains(e.Name(), ".tmp-") {
			continue
		}
		path := filepath.Join(dir, e.Name())
		f, err := os.Open(path)
		if err != nil {
			continue
		}
		if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil {
			os.Remove(path)
		}
		f.Close()
	}
}
