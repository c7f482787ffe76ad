package synth

import (
	"fmt"
	"os"
	"path/filepath"
)

// roomMargin is the space a write leaves free on the cache's file system besides the
// model: the file system's own needs and whatever else writes there meanwhile.
const roomMargin = 1 << 30

// CheckRoom says, before anything is written, whether Ensure can write m: nil when m is a
// user's file, when it is cached already, when the cache's file system has room for it, or
// when that room cannot be told; otherwise an error that names the size, the folder, its
// free space and what to do. Without it, a model larger than the disk is written until the
// disk is full (a 131 GiB llama-3.1-70b at f16 on a 64 GiB disk), and only then refused.
func CheckRoom(m Model, seed uint64) error {
	if m.IsFile() {
		return nil
	}
	p, err := newPlan(m, seed)
	if err != nil {
		return err
	}
	dir, err := CacheDir()
	if err != nil {
		return err
	}
	if ok, err := p.matches(filepath.Join(dir, m.FileName(seed))); err != nil || ok {
		return err
	}
	return p.room(m, dir)
}

// NoRoomError is CheckRoom's (and Ensure's) refusal of a write that would not fit: the
// user's to fix (another folder, a smaller model), not a failure of the run.
type NoRoomError struct{ msg string }

func (e NoRoomError) Error() string { return e.msg }

// room is CheckRoom's test for a model that is not in dir yet.
func (p *plan) room(m Model, dir string) error {
	// The folder may not exist yet: its nearest existing parent is on the same file system.
	at := dir
	for {
		if _, err := os.Stat(at); err == nil || filepath.Dir(at) == at {
			break
		}
		at = filepath.Dir(at)
	}
	free, known := freeBytes(at)
	if !known || uint64(p.size())+roomMargin <= free {
		return nil
	}
	fix := "point " + CacheDirEnv + " at a folder with room"
	if m.DType != Q4_0 {
		fix += ", or pick a smaller weight type (" + m.DisplayName() + ":q4_0)"
	}
	return NoRoomError{fmt.Sprintf("writing the synthetic model %s needs %s in %s, whose file system has %s free: %s",
		m.String(), gib(p.size()), dir, gib(int64(free)), fix)}
}

func gib(b int64) string { return fmt.Sprintf("%.1f GiB", float64(b)/(1<<30)) }
