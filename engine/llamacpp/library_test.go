package llamacpp

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// FindLibrary prefers a CUDA build, then a CPU build from source, then the prebuilt CPU
// libraries, wherever above the current folder each of them is.
func TestFindLibraryPrefersVariants(t *testing.T) {
	t.Setenv("BENCHTUI_LLAMA_LIB", "")
	root := t.TempDir()
	put := func(rel string) string {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	work := filepath.Join(root, "a", "b")
	if err := os.MkdirAll(work, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(work)
	want := func(p string) {
		t.Helper()
		got, err := FindLibrary("")
		if err != nil {
			t.Fatal(err)
		}
		if got != p {
			t.Fatalf("FindLibrary = %s, want %s", got, p)
		}
	}
	prebuilt := put(".llama/cpu-prebuilt/lib/libllama.v0.5.0.so")
	want(prebuilt)
	cpu := put("a/.llama/cpu/lib/libllama.so")
	want(cpu)
	want(put(".llama/cuda/lib/libllama.so"))
	if got, err := FindLibrary(filepath.Dir(prebuilt)); err != nil || got != prebuilt {
		t.Errorf("explicit folder: %s, %v; want %s", got, err, prebuilt)
	}
	t.Setenv("BENCHTUI_LLAMA_LIB", cpu)
	want(cpu)
}

// prebuiltChildEnv marks the re-executed test binary that loads the prebuilt libraries.
const prebuiltChildEnv = "BENCHTUI_TEST_PREBUILT_CHILD"

// The prebuilt CPU libraries (llama.cpp built with GGML_BACKEND_DL, the CPU backend a
// library per CPU generation) open, load the CPU backend variant for this CPU from their
// own folder, and generate. A library is opened once per process, so this runs in a child
// process of its own. scripts/test.sh installs them; without them the test is skipped.
func TestPrebuiltLibraryGenerates(t *testing.T) {
	if os.Getenv(prebuiltChildEnv) != "" {
		prebuiltChild(t)
		return
	}
	var dir string
	if wd, err := os.Getwd(); err == nil {
		for d := wd; dir == "" && filepath.Dir(d) != d; d = filepath.Dir(d) {
			if p := filepath.Join(d, ".llama", "cpu-prebuilt", "lib"); findIn(p) != "" {
				dir = p
			}
		}
	}
	if dir == "" {
		t.Fatal("no .llama/cpu-prebuilt/lib: install it with scripts/setup-llama.sh cpu-prebuilt (scripts/test.sh does)")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestPrebuiltLibraryGenerates$", "-test.v")
	cmd.Env = append(os.Environ(), prebuiltChildEnv+"=1", "BENCHTUI_LLAMA_LIB="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child with %s: %v\n%s", dir, err, out)
	}
	if !strings.Contains(string(out), "--- PASS: TestPrebuiltLibraryGenerates") {
		t.Fatalf("child did not run the test:\n%s", out)
	}
	t.Logf("%s", out)
}

func prebuiltChild(t *testing.T) {
	b, err := Open(context.Background(), Options{ModelPath: tinyModel(t), Threads: 1, FlashAttn: "auto"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	lib := os.Getenv("BENCHTUI_LLAMA_LIB")
	if filepath.Dir(openPath) != lib {
		t.Fatalf("opened %s, want a library in %s", openPath, lib)
	}
	// The CPU backend must come from one of the variant libraries beside libllama.
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(maps), filepath.Join(lib, "libggml-cpu-")) {
		t.Fatalf("no CPU backend variant of %s is mapped; llama.cpp's log:\n%s", lib, LogTail(40))
	}
	if err := b.CreateContext(256, 64, 0, 1); err != nil {
		t.Fatal(err)
	}
	toks := decodeGreedy(t, b, []int32{1, 100, 200, 300, 400, 500, 600, 700}, 12)
	for _, tok := range toks {
		if tok < 0 || int(tok) >= b.Info().NVocab {
			t.Fatalf("token %d out of the vocabulary: %v", tok, toks)
		}
	}
	t.Logf("loaded %s, generated %v", openPath, toks)
}
