// Package fsutil is benchtui's one writer of output files: every report, export, dataset and
// sweep result goes through it, so that a reader sees either the old file or the whole new one.
package fsutil

import (
	"bufio"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// WriteFile writes a file so that readers see either the old file or the whole new one,
// never a truncated report: write calls the function on a temporary file in the same
// directory (so the rename cannot cross file systems), which is synced, closed and renamed
// over path. On any error the temporary file is removed and path is left as it was.
func WriteFile(path string, write func(io.Writer) error) (err error) {
	return writeFile(path, write, false)
}

// WriteNew is WriteFile for a file that must not exist yet: when path exists it
// fails with an error wrapping fs.ErrExist and leaves that file alone, also when another
// writer creates it meanwhile (the temporary file is hard-linked into place, which never
// replaces a file).
func WriteNew(path string, write func(io.Writer) error) error {
	return writeFile(path, write, true)
}

func writeFile(path string, write func(io.Writer) error, exclusive bool) (err error) {
	if exclusive {
		if _, err := os.Lstat(path); err == nil {
			return fmt.Errorf("write %s: %w", path, fs.ErrExist)
		}
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: create temporary file: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			// The first error is the one worth reporting; cleanup failures add nothing the
			// user can act on.
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()

	bw := bufio.NewWriter(f)
	if err := write(bw); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	// CreateTemp makes the file private (0600); a report is meant to be shared like any
	// file the user writes.
	if err := f.Chmod(0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("write %s: sync: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: close: %w", path, err)
	}
	if exclusive {
		if err := os.Link(tmp, path); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
		// The data is in place under its name; a temporary name left behind is only clutter.
		_ = os.Remove(tmp)
		return nil
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
