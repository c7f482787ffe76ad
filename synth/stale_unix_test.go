//go:build unix

package synth

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// staleWriterEnv makes this test binary a model writer that dies mid-write: it creates and
// locks a temporary file as Ensure does, says its name, and waits to be killed.
const staleWriterEnv = "BENCHTUI_SYNTH_TEST_WRITER"

func init() {
	if dir := os.Getenv(staleWriterEnv); dir != "" {
		f, err := os.CreateTemp(dir, "tiny-f16-seed1.gguf.tmp-*")
		if err != nil {
			os.Exit(1)
		}
		lockWriting(f)
		f.Write(make([]byte, 1<<20))
		os.Stdout.WriteString(f.Name() + "\n")
		time.Sleep(time.Minute)
		os.Exit(0)
	}
}

// The temporary file of a writer that was killed is removed by the next Ensure; a live
// writer's is kept.
func TestEnsureRemovesStaleTemporaryFiles(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(CacheDirEnv, dir)
	w := exec.Command(os.Args[0], "-test.run=^$")
	w.Env = append(os.Environ(), staleWriterEnv+"="+dir)
	out, err := w.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Process.Kill()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	tmp := strings.TrimSpace(line)
	other := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(other, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	m, _ := ParseModel("tiny")
	if _, err := Ensure(context.Background(), m, 1, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(tmp); err != nil {
		t.Fatalf("a live writer's temporary file was removed: %v", err)
	}
	w.Process.Kill()
	w.Wait()
	path, err := Ensure(context.Background(), m, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Errorf("the killed writer's temporary file %s is still there (%v)", tmp, err)
	}
	for _, keep := range []string{other, path} {
		if _, err := os.Stat(keep); err != nil {
			t.Errorf("%s: %v", keep, err)
		}
	}
}
