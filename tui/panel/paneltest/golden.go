package paneltest

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// update rewrites the golden files instead of comparing against them:
//
//	go test ./tui/... -run Golden -update
var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// Golden compares got with testdata/<name>.golden. The files hold the exact bytes a
// panel renders, escape sequences included (view them with cat in a terminal); the
// styles render colours as given, so the output does not depend on the terminal.
func Golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file: %v (run go test ./tui/... -update to create it)", err)
	}
	if string(want) == got {
		return
	}
	wl, gl := strings.Split(string(want), "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(wl), len(gl)); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			t.Errorf("%s differs from the golden file at line %d (run with -update if the change is intended):\nwant %q\ngot  %q", path, i+1, w, g)
			return
		}
	}
}
