package fsutil

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// Input is a file a command reads, named by the flag that gave it ("dataset", "config"), or
// with no flag for a file named on the command line by itself.
type Input struct{ Flag, Path string }

// name is how messages name the input: its flag and path, or its path alone.
func (in Input) name() string {
	if in.Flag == "" {
		return "the input " + in.Path
	}
	return "--" + in.Flag + " " + in.Path
}

// Output is a file, or a folder of files, that a command writes, named by its flag.
type Output struct {
	Flag, Path string
	// Dir marks a folder the command writes its files into; the command creates it when it
	// does not exist.
	Dir bool
}

// Plan is a run's outputs, checked and resolved before anything loads.
type Plan struct{ paths map[string]string }

// Path is where the output of flag goes: its path with every symlink resolved, or as given
// for a device reached through /dev/stdout or /proc/self/fd, which names a file descriptor
// rather than a file. It is "" for an output that was not planned (an empty path).
func (p *Plan) Path(flag string) string {
	if p == nil {
		return ""
	}
	return p.paths[flag]
}

// planned is one output after resolution.
type planned struct {
	Output
	path string
	info fs.FileInfo // nil when the file does not exist yet
}

// PlanOutputs checks a run's outputs against its inputs before anything loads, and resolves
// their symlinks once, so that what the run writes at its end goes where the path pointed at
// its start. It refuses, with an error that says what to do instead:
//   - an output that is one of the inputs (the same file, however named);
//   - two outputs that are the same file (outputs written in place, such as /dev/null or
//     /dev/stdout, excepted);
//   - a file output that is a folder, a block device or a socket, or whose folder does not
//     exist or cannot be written;
//   - a folder output that exists and is not a folder.
//
// Empty paths are skipped, and so are inputs that do not exist (the command's own checks
// name them).
func PlanOutputs(inputs []Input, outputs []Output) (*Plan, error) {
	plan := &Plan{paths: map[string]string{}}
	var done []planned
	for _, o := range outputs {
		if o.Path == "" {
			continue
		}
		p, err := planOne(o)
		if err != nil {
			return nil, err
		}
		if err := checkInputs(p, inputs); err != nil {
			return nil, err
		}
		for _, q := range done {
			if sameFile(p, q) {
				return nil, fmt.Errorf("--%s %s and --%s %s are the same file: give each output its own path", p.Flag, p.Path, q.Flag, q.Path)
			}
		}
		done = append(done, p)
		plan.paths[o.Flag] = p.path
	}
	return plan, nil
}

func planOne(o Output) (planned, error) {
	p := planned{Output: o}
	path, info, err := resolve(o.Path)
	if err != nil {
		return p, fmt.Errorf("--%s %s: %w", o.Flag, o.Path, err)
	}
	p.path, p.info = path, info
	if o.Dir {
		if info != nil && !info.IsDir() {
			return p, fmt.Errorf("--%s %s is not a folder: give a folder for the results", o.Flag, o.Path)
		}
		return p, nil
	}
	if info != nil {
		m := info.Mode()
		if inPlace(m) || (fdLink.MatchString(path) && m.IsRegular()) {
			return p, nil
		}
		if !m.IsRegular() {
			return p, fmt.Errorf("--%s %s: %w", o.Flag, o.Path, notWritable(m))
		}
	}
	// A folder that cannot take the file is found now, not after the run.
	dir := filepath.Dir(path)
	probe, err := createTemp(dir, ".benchtui-probe-", 0o600)
	if err != nil {
		return p, fmt.Errorf("--%s %s: cannot write in %s: %v", o.Flag, o.Path, dir, describe(err))
	}
	probe.Close()
	os.Remove(probe.Name())
	return p, nil
}

// inPlace reports whether the output is written where it is (a device, a FIFO, a file
// descriptor) rather than replaced.
func (p planned) inPlace() bool {
	return fdLink.MatchString(p.path) || (p.info != nil && inPlace(p.info.Mode()))
}

// checkInputs refuses an output that is one of the inputs.
func checkInputs(p planned, inputs []Input) error {
	if p.info == nil || p.Dir || !p.info.Mode().IsRegular() {
		// A file that does not exist yet is no input, and a device written in place
		// destroys nothing.
		return nil
	}
	for _, in := range inputs {
		if in.Path == "" {
			continue
		}
		st, err := os.Stat(in.Path)
		if err == nil && os.SameFile(st, p.info) {
			return fmt.Errorf("--%s %s is the same file as %s, which this run reads: give the output another path", p.Flag, p.Path, in.name())
		}
	}
	return nil
}

// sameFile reports whether two planned outputs would write the same file.
func sameFile(a, b planned) bool {
	if a.Dir || b.Dir {
		return a.Dir && b.Dir && a.path == b.path
	}
	if a.inPlace() || b.inPlace() {
		return false // /dev/null or /dev/stdout twice destroys nothing
	}
	if a.info != nil && b.info != nil {
		return os.SameFile(a.info, b.info)
	}
	return a.info == nil && b.info == nil && a.path == b.path
}

// maxHops bounds the symlinks followed, as the kernel does (ELOOP).
const maxHops = 40

// fdLink matches the paths that name a file descriptor rather than a file.
var fdLink = regexp.MustCompile(`^(/dev/(stdin|stdout|stderr)|/dev/fd/[0-9]+|/proc/(self|thread-self|[0-9]+)/fd/[0-9]+)$`)

// resolve follows path's symlinks to the file it names, also when that file does not exist
// yet (a dangling link), and returns its path with every folder's symlinks resolved and its
// information (nil when it does not exist). A path that leads to a file descriptor
// (/dev/stdout, /proc/self/fd/N) is returned as given, since the descriptor's target may not
// be a path at all ("pipe:[1234]").
func resolve(path string) (string, fs.FileInfo, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", nil, err
	}
	cur := abs
	for range maxHops {
		if fdLink.MatchString(cur) {
			st, err := os.Stat(cur)
			if err != nil {
				return "", nil, fmt.Errorf("%v", describe(err))
			}
			return abs, st, nil
		}
		li, err := os.Lstat(cur)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			dir, err := filepath.EvalSymlinks(filepath.Dir(cur))
			if err != nil {
				return "", nil, fmt.Errorf("no folder %s: create it or give another path", filepath.Dir(cur))
			}
			return filepath.Join(dir, filepath.Base(cur)), nil, nil
		case err != nil:
			return "", nil, fmt.Errorf("%v", describe(err))
		case li.Mode()&fs.ModeSymlink != 0:
			t, err := os.Readlink(cur)
			if err != nil {
				return "", nil, fmt.Errorf("%v", describe(err))
			}
			if !filepath.IsAbs(t) {
				t = filepath.Join(filepath.Dir(cur), t)
			}
			cur = t
			continue
		}
		dir, err := filepath.EvalSymlinks(filepath.Dir(cur))
		if err != nil {
			return "", nil, fmt.Errorf("%v", describe(err))
		}
		// The file itself may be reached through a folder symlink, so its information is
		// taken again at the resolved path (the same file).
		return filepath.Join(dir, filepath.Base(cur)), li, nil
	}
	return "", nil, errors.New("too many levels of symbolic links")
}

// describe is an error's cause without the operation and path that the caller's message
// already names.
func describe(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return strings.TrimSpace(pe.Err.Error())
	}
	return err.Error()
}
