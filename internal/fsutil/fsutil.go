// Package fsutil is benchtui's one writer of output files: every report, request file,
// export, dataset and sweep result goes through it.
//
// Invariants:
//   - A regular file (or a path that does not exist yet) is written atomically beside its
//     target: a temporary file in the same folder, synced, then renamed over it, so that a
//     reader sees the old file or the whole new one. A new file gets the permissions the
//     umask leaves of 0666; a replaced file keeps its own.
//   - A character device or a FIFO (/dev/null, /dev/stdout, a pipe) is written in place and
//     never replaced; any other kind of file (a folder, a block device, a socket) is refused.
//   - PlanOutputs, called by a command before anything loads, resolves every output's
//     symlinks once and refuses an output that is an input or another output of the run;
//     the command then writes to the planned paths.
package fsutil

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
)

// WriteFile writes path with write: atomically for a regular file or a new one, in place for
// a character device or a FIFO (see the package's invariants). On any error a regular target
// is left as it was and no temporary file stays behind.
func WriteFile(path string, write func(io.Writer) error) error {
	return writeFile(path, write, false)
}

// WriteNew is WriteFile for a file that must not exist yet: when path exists it fails with
// an error wrapping fs.ErrExist and leaves that file alone, also when another writer creates
// it meanwhile (the temporary file is hard-linked into place, which never replaces a file).
func WriteNew(path string, write func(io.Writer) error) error {
	return writeFile(path, write, true)
}

// Rescue writes what a failed write of path would have held to a new file in the temporary
// folder, named after path, and returns that file's name: a result that cannot go where the
// user asked is still not lost.
func Rescue(path string, write func(io.Writer) error) (string, error) {
	base := filepath.Base(path)
	for range 100 {
		p := filepath.Join(os.TempDir(), "benchtui-rescued-"+strconv.FormatUint(rand.Uint64()%1e9, 10)+"-"+base)
		err := WriteNew(p, write)
		if !errors.Is(err, fs.ErrExist) {
			return p, err
		}
	}
	return "", fmt.Errorf("rescue %s: no free name in %s", path, os.TempDir())
}

func writeFile(path string, write func(io.Writer) error, exclusive bool) error {
	if exclusive {
		// A name taken in any way, a dangling symlink included, is taken.
		if _, err := os.Lstat(path); err == nil {
			return fmt.Errorf("write %s: %w", path, fs.ErrExist)
		}
		return writeAtomic(path, 0o666, false, write, true)
	}
	if li, err := os.Lstat(path); err == nil && li.Mode()&fs.ModeSymlink != 0 {
		// Written through, never replaced: the link stays and its target gets the data.
		// Commands resolve their outputs once before the run (PlanOutputs), so this is
		// for paths that were not planned.
		p, _, err := resolve(path)
		if err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
		path = p
	}
	st, err := os.Stat(path)
	switch {
	case err == nil && fdLink.MatchString(path) && st.Mode().IsRegular():
		// /dev/stdout redirected to a file: that file is the shell's, appended to in place.
		return writeInPlace(path, st.Mode(), write)
	case err == nil && !st.Mode().IsRegular():
		if !inPlace(st.Mode()) {
			return fmt.Errorf("write %s: %w", path, notWritable(st.Mode()))
		}
		return writeInPlace(path, st.Mode(), write)
	case err == nil:
		return writeAtomic(path, st.Mode().Perm(), true, write, false)
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("write %s: %w", path, err)
	}
	return writeAtomic(path, 0o666, false, write, false)
}

// inPlace reports whether a file of mode m is written where it is rather than replaced.
func inPlace(m fs.FileMode) bool {
	return m&fs.ModeCharDevice != 0 || m&fs.ModeNamedPipe != 0
}

// notWritable says why benchtui does not write to a file of mode m.
func notWritable(m fs.FileMode) error {
	kind := "not a regular file"
	switch {
	case m.IsDir():
		kind = "a folder"
	case m&fs.ModeDevice != 0:
		kind = "a block device"
	case m&fs.ModeSocket != 0:
		kind = "a socket"
	}
	return fmt.Errorf("it is %s: give a file name (or /dev/null, /dev/stdout, a FIFO)", kind)
}

// writeInPlace writes a character device or a FIFO as it is: never created, truncated or
// replaced. A FIFO is opened without blocking, so that one nobody reads is an error rather
// than a hang; a regular file reached through /dev/stdout or /proc/self/fd is appended to,
// so that what the program printed there before stays.
func writeInPlace(path string, m fs.FileMode, write func(io.Writer) error) error {
	flag := os.O_WRONLY | os.O_APPEND
	if m&fs.ModeNamedPipe != 0 {
		flag |= nonblock
	}
	f, err := os.OpenFile(path, flag, 0)
	if err != nil {
		if isNoReader(err) {
			return fmt.Errorf("write %s: no process reads this FIFO", path)
		}
		return fmt.Errorf("write %s: %w", path, err)
	}
	bw := bufio.NewWriter(f)
	if err := write(bw); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: close: %w", path, err)
	}
	return nil
}

// writeAtomic writes path through a temporary file beside it. perm is the new file's
// permission bits: given to open (so the umask applies) for a new file, set exactly
// (keep) for one that replaces a file with those bits.
func writeAtomic(path string, perm fs.FileMode, keep bool, write func(io.Writer) error, exclusive bool) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := createTemp(dir, "."+base+".tmp-", perm)
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
	if keep {
		if err := f.Chmod(perm); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
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
	} else if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	syncDir(dir)
	return nil
}

// createTemp creates a new file in dir named prefix and a random suffix, with perm given to
// open, so that the umask applies as it does to any file the user creates (os.CreateTemp
// always makes 0600).
func createTemp(dir, prefix string, perm fs.FileMode) (*os.File, error) {
	for range 10000 {
		name := filepath.Join(dir, prefix+strconv.FormatUint(rand.Uint64()%1e10, 36))
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, perm)
		if !errors.Is(err, fs.ErrExist) {
			return f, err
		}
	}
	return nil, fmt.Errorf("no free temporary name in %s", dir)
}

// syncDir makes a rename in dir durable. It is best effort: some file systems refuse to sync
// a folder, and the data itself was synced already.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
}
