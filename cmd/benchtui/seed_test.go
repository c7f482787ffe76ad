package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestSeedCommands runs scripts/seed-commands.sh, every command of trtllm-bench's offline
// AutoDeploy guide, on the tiny model with 4 requests of lengths divided by 64: a guide
// command that stops working (a flag, a file it writes, the line a TensorRT-LLM backend
// gives) fails the suite.
func TestSeedCommands(t *testing.T) {
	dir := t.TempDir()
	bin := buildBinary(t, dir)
	lib, err := filepath.Abs("../../.llama/cpu/lib")
	if err != nil {
		t.Fatal(err)
	}
	work := filepath.Join(dir, "work")
	cmd := exec.Command("bash", "../../scripts/seed-commands.sh")
	cmd.Env = append(os.Environ(), "BENCHTUI="+bin, "BENCHTUI_LLAMA_LIB="+lib, "SEED_WORK="+work,
		"SEED_REQUESTS=4", "SEED_SCALE=64", "BENCHTUI_THREADS=1", "XDG_STATE_HOME="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("seed-commands.sh: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "seed-commands: all 10 steps of the guide passed") {
		t.Fatalf("no final line:\n%s", out)
	}
	for _, f := range []string{"results.json", "results_2048_2048.json", "results_bs384.json", "dataset_1024_1024.txt"} {
		if st, err := os.Stat(filepath.Join(work, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
}
