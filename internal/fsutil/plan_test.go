package fsutil

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func writeString(s string) func(io.Writer) error {
	return func(w io.Writer) error {
		_, err := io.WriteString(w, s)
		return err
	}
}

// tempDir is t.TempDir with its symlinks resolved, as planned paths are.
func tempDir(t *testing.T) string {
	t.Helper()
	d, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func mkfifo(t *testing.T, path string) {
	t.Helper()
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatalf("mkfifo: %v", err)
	}
}

// A FIFO (as a device would be) is written in place: its reader gets the data and the FIFO
// stays a FIFO. The old writer renamed a temporary file over it, as it did over /dev/null.
func TestWriteFIFOInPlace(t *testing.T) {
	fifo := filepath.Join(tempDir(t), "report.fifo")
	mkfifo(t, fifo)
	// The reader opens first, without blocking, so that the writer finds it.
	r, err := os.OpenFile(fifo, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := WriteFile(fifo, writeString("the report")); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	if err != nil || string(got) != "the report" {
		t.Errorf("the FIFO's reader got %q, %v", got, err)
	}
	if li, err := os.Lstat(fifo); err != nil || li.Mode()&fs.ModeNamedPipe == 0 {
		t.Errorf("the FIFO was replaced: %v, %v", li.Mode(), err)
	}
	if ents, _ := os.ReadDir(filepath.Dir(fifo)); len(ents) != 1 {
		t.Errorf("folder holds %d entries, want the FIFO alone", len(ents))
	}
}

// A FIFO that nobody reads is an error at once, not a write that waits forever.
func TestWriteFIFONoReader(t *testing.T) {
	fifo := filepath.Join(tempDir(t), "report.fifo")
	mkfifo(t, fifo)
	start := time.Now()
	err := WriteFile(fifo, writeString("x"))
	if err == nil || !strings.Contains(err.Error(), "no process reads") {
		t.Errorf("err = %v, want no reader", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Error("the write waited for a reader")
	}
	if li, _ := os.Lstat(fifo); li.Mode()&fs.ModeNamedPipe == 0 {
		t.Error("the FIFO was replaced")
	}
}

// Devices are planned as written in place, under the name given. Nothing is written: a test
// must never risk replacing /dev/null.
func TestPlanDevices(t *testing.T) {
	for _, dev := range []string{"/dev/null", "/dev/stdout", "/dev/stderr"} {
		if _, err := os.Stat(dev); err != nil {
			continue
		}
		plan, err := PlanOutputs(nil, []Output{{Flag: "report_json", Path: dev}, {Flag: "request_json", Path: dev}})
		if err != nil {
			t.Errorf("%s: %v", dev, err)
			continue
		}
		if p := plan.Path("report_json"); p != dev {
			t.Errorf("%s planned as %s", dev, p)
		}
	}
	// Opened read-only for checking only: /dev/null is still the device.
	if f, err := os.Open("/dev/null"); err == nil {
		st, _ := f.Stat()
		f.Close()
		if st.Mode()&fs.ModeCharDevice == 0 {
			t.Errorf("/dev/null is %v", st.Mode())
		}
	}
}

func TestPlanRefusesInputsAsOutputs(t *testing.T) {
	dir := tempDir(t)
	data := filepath.Join(dir, "data.jsonl")
	if err := os.WriteFile(data, []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.json")
	hard := filepath.Join(dir, "hard.json")
	if err := os.Symlink(data, link); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(data, hard); err != nil {
		t.Fatal(err)
	}
	ins := []Input{{Flag: "config", Path: filepath.Join(dir, "missing.toml")}, {Flag: "dataset", Path: data}}
	for _, out := range []string{data, link, hard, filepath.Join(dir, ".", "data.jsonl")} {
		_, err := PlanOutputs(ins, []Output{{Flag: "report_json", Path: out}})
		if err == nil || !strings.Contains(err.Error(), "--report_json "+out+" is the same file as --dataset "+data) {
			t.Errorf("report over the dataset as %s: %v", out, err)
		}
	}
	if b, _ := os.ReadFile(data); string(b) != "{}\n" {
		t.Error("planning changed the dataset")
	}
}

func TestPlanRefusesOneFileForTwoOutputs(t *testing.T) {
	dir := tempDir(t)
	existing := filepath.Join(dir, "old.json")
	if err := os.WriteFile(existing, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.json")
	if err := os.Symlink("new.json", link); err != nil {
		t.Fatal(err)
	}
	for _, c := range [][2]string{
		{filepath.Join(dir, "new.json"), filepath.Join(dir, "new.json")},
		{filepath.Join(dir, "new.json"), link}, // a dangling link to the same new file
		{existing, existing},
	} {
		_, err := PlanOutputs(nil, []Output{{Flag: "report_json", Path: c[0]}, {Flag: "request_json", Path: c[1]}})
		if err == nil || !strings.Contains(err.Error(), "are the same file: give each output its own path") {
			t.Errorf("%s and %s: %v", c[0], c[1], err)
		}
	}
	if _, err := PlanOutputs(nil, []Output{{Flag: "report_json", Path: filepath.Join(dir, "a.json")},
		{Flag: "request_json", Path: filepath.Join(dir, "b.json")}, {Flag: "iteration_log", Path: ""}}); err != nil {
		t.Errorf("two distinct outputs: %v", err)
	}
}

// Symlinks are resolved when the run is planned: a link changed during the run does not
// move the output, and neither the link nor the file it points to later is replaced.
func TestPlanResolvesSymlinksOnce(t *testing.T) {
	dir := tempDir(t)
	for _, d := range []string{"a", "b"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	real := filepath.Join(dir, "a", "real.json")
	if err := os.WriteFile(real, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.json")
	if err := os.Symlink(filepath.Join("a", "real.json"), out); err != nil {
		t.Fatal(err)
	}
	dangling := filepath.Join(dir, "new.json")
	if err := os.Symlink(filepath.Join(dir, "a", "new.json"), dangling); err != nil {
		t.Fatal(err)
	}
	// A folder reached through a symlink resolves too.
	alias := filepath.Join(dir, "alias")
	if err := os.Symlink("b", alias); err != nil {
		t.Fatal(err)
	}
	plan, err := PlanOutputs(nil, []Output{{Flag: "report_json", Path: out}, {Flag: "request_json", Path: dangling},
		{Flag: "iteration_log", Path: filepath.Join(alias, "steps.jsonl")}, {Flag: "out", Path: alias, Dir: true}})
	if err != nil {
		t.Fatal(err)
	}
	for flag, want := range map[string]string{"report_json": real, "request_json": filepath.Join(dir, "a", "new.json"),
		"iteration_log": filepath.Join(dir, "b", "steps.jsonl"), "out": filepath.Join(dir, "b")} {
		if got := plan.Path(flag); got != want {
			t.Errorf("%s planned as %s, want %s", flag, got, want)
		}
	}
	// The link now points elsewhere; the planned path still gets the report.
	if err := os.Remove(out); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "b", "other.json")
	if err := os.Symlink(other, out); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(plan.Path("report_json"), writeString("new")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(real); string(b) != "new" {
		t.Errorf("planned file holds %q", b)
	}
	if _, err := os.Stat(other); err == nil {
		t.Error("the link's new target was written")
	}
	if li, _ := os.Lstat(out); li.Mode()&fs.ModeSymlink == 0 {
		t.Error("the link was replaced")
	}
}

func TestPlanRefusesWhatCannotBeWritten(t *testing.T) {
	dir := tempDir(t)
	file := filepath.Join(dir, "file.txt")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		out  Output
		want string
	}{
		{Output{Flag: "report_json", Path: dir}, "is a folder: give a file name"},
		{Output{Flag: "report_json", Path: filepath.Join(dir, "missing", "r.json")}, "no folder " + filepath.Join(dir, "missing")},
		{Output{Flag: "report_json", Path: filepath.Join(file, "r.json")}, "--report_json " + filepath.Join(file, "r.json")},
		{Output{Flag: "out", Path: file, Dir: true}, "is not a folder"},
	}
	if os.Geteuid() != 0 { // root writes anywhere
		ro := filepath.Join(dir, "ro")
		if err := os.Mkdir(ro, 0o555); err != nil {
			t.Fatal(err)
		}
		cases = append(cases, struct {
			out  Output
			want string
		}{Output{Flag: "report_json", Path: filepath.Join(ro, "r.json")}, "cannot write in " + ro + ": permission denied"})
	}
	for _, c := range cases {
		_, err := PlanOutputs(nil, []Output{c.out})
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%+v: %v, want one line with %q", c.out, err, c.want)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) > 2 {
		t.Errorf("planning left files behind: %d entries", len(ents))
	}
}

// New files get what the umask leaves of 0666, as any file the user creates; a replaced file
// keeps its permissions. The old writer made every file 0644.
func TestWriteFileUmask(t *testing.T) {
	dir := tempDir(t)
	old := syscall.Umask(0o077)
	defer syscall.Umask(old)
	private := filepath.Join(dir, "private.json")
	if err := WriteFile(private, writeString("x")); err != nil {
		t.Fatal(err)
	}
	syscall.Umask(0o002)
	shared := filepath.Join(dir, "shared.json")
	if err := WriteNew(shared, writeString("x")); err != nil {
		t.Fatal(err)
	}
	kept := filepath.Join(dir, "kept.json")
	if err := os.WriteFile(kept, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(kept, 0o640); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(kept, writeString("x")); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]fs.FileMode{private: 0o600, shared: 0o664, kept: 0o640} {
		if st, err := os.Stat(path); err != nil || st.Mode().Perm() != want {
			t.Errorf("%s: mode %v, %v; want %v", filepath.Base(path), st.Mode().Perm(), err, want)
		}
	}
}

// A write through an unplanned symlink goes to its target and leaves the link.
func TestWriteFileThroughSymlink(t *testing.T) {
	dir := tempDir(t)
	target := filepath.Join(dir, "target.json")
	link := filepath.Join(dir, "link.json")
	if err := os.Symlink("target.json", link); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(link, writeString("through")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(target); string(b) != "through" {
		t.Errorf("target holds %q", b)
	}
	if li, _ := os.Lstat(link); li.Mode()&fs.ModeSymlink == 0 {
		t.Error("the link was replaced")
	}
}

func TestRescue(t *testing.T) {
	tmp := tempDir(t)
	t.Setenv("TMPDIR", tmp)
	p, err := Rescue("/gone/folder/report.json", writeString("saved"))
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Dir(p) != tmp || !strings.HasSuffix(p, "-report.json") {
		t.Errorf("rescued to %s", p)
	}
	if b, _ := os.ReadFile(p); string(b) != "saved" {
		t.Errorf("rescued file holds %q", b)
	}
}
