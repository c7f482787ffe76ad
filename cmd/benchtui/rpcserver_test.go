package main

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/benchtui/benchtui/internal/rpcwire"
)

// TestRPCServerCommand starts benchtui rpc-server (the real binary), runs the tiny model on
// the address it prints, and stops it with Ctrl-C: the llama.cpp server goes with it.
func TestRPCServerCommand(t *testing.T) {
	dir := t.TempDir()
	bin := buildBinary(t, dir)
	lib, err := filepath.Abs("../../.llama/cpu/lib")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "rpc-server", "--port", "0", "--threads", "1")
	cmd.Env = append(os.Environ(), "BENCHTUI_LLAMA_LIB="+lib)
	stdout, _ := cmd.StdoutPipe()
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := make(chan string, 4)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var addr string
	deadline := time.After(30 * time.Second)
	for addr == "" {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("rpc-server ended before it printed the address: %s", stderr.String())
			}
			if a, found := strings.CutPrefix(l, "benchtui: on the client: --rpc "); found {
				addr = a
			}
		case <-deadline:
			t.Fatalf("no address printed; stderr: %s", stderr.String())
		}
	}
	if !strings.HasPrefix(addr, "127.0.0.1:") || !strings.Contains(stderr.String(), "no authentication") {
		t.Errorf("address %q (want loopback), stderr: %s", addr, stderr.String())
	}
	code, out, errs := runCLI(t, "--model", "tiny", "throughput", "--num_requests", "4", "--isl", "16", "--osl", "8", "--rpc", addr, "--quiet")
	if code != 0 || !strings.Contains(out, "RPC HOSTS") {
		t.Fatalf("run on %s: exit %d: %s", addr, code, errs)
	}

	cmd.Process.Signal(syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("rpc-server after Ctrl-C: %v; stderr: %s", err, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("rpc-server did not stop on Ctrl-C")
	}
	if _, err := rpcwire.Probe(context.Background(), addr, time.Second); err == nil {
		t.Error("llama.cpp's rpc-server still answers after benchtui rpc-server stopped")
	}
}

func TestRPCServerBadFlags(t *testing.T) {
	for _, args := range [][]string{{"--host", "localhost"}, {"--port", "70000"}, {"--rpc_server", "/nonexistent"}} {
		code, _, errs := runCLI(t, append([]string{"rpc-server"}, args...)...)
		if code != 2 || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
			t.Errorf("rpc-server %v: exit %d: %s", args, code, errs)
		}
	}
}
