package fsutil

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// dirEntries lists the names in dir.
func dirEntries(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "report.json")

	if err := WriteFile(path, func(w io.Writer) error {
		_, err := io.WriteString(w, "first")
		return err
	}); err != nil {
		t.Fatalf("write: %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "first" {
		t.Errorf("content = %q, want first", b)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("mode = %v, %v; want 0644", fi.Mode().Perm(), err)
	}
	if names := dirEntries(t, dir); len(names) != 1 {
		t.Errorf("directory holds %v, want only report.json", names)
	}

	// A failing write leaves the old file and no temporary file, and its error comes back
	// wrapped with the path.
	boom := errors.New("boom")
	err := WriteFile(path, func(w io.Writer) error {
		_, _ = io.WriteString(w, "partial")
		return boom
	})
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), path) {
		t.Errorf("err = %v, want wrapped boom naming %s", err, path)
	}
	if b, _ := os.ReadFile(path); string(b) != "first" {
		t.Errorf("content after failed write = %q, want first", b)
	}
	if names := dirEntries(t, dir); len(names) != 1 {
		t.Errorf("directory holds %v after a failed write, want only report.json", names)
	}

	// Replacing works.
	if err := WriteFile(path, func(w io.Writer) error {
		_, err := io.WriteString(w, "second")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "second" {
		t.Errorf("replaced content = %q, want second", b)
	}

	// A directory that does not exist, or a "directory" that is a file, is an error.
	for _, bad := range []string{filepath.Join(dir, "missing", "r.json"), filepath.Join(path, "r.json")} {
		if err := WriteFile(bad, func(io.Writer) error { return nil }); err == nil {
			t.Errorf("writing %s succeeded", bad)
		} else if !strings.Contains(err.Error(), bad) {
			t.Errorf("error %q does not name %s", err, bad)
		}
	}
	// Renaming over a directory fails after the temporary file was written; it must not stay.
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sub, "x"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(sub, func(w io.Writer) error { return nil }); err == nil {
		t.Errorf("renaming over a non-empty directory succeeded")
	}
	if names := dirEntries(t, dir); len(names) != 2 {
		t.Errorf("directory holds %v, want report.json and sub", names)
	}
}
