package llamaserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/benchtui/benchtui/dataset"
	"github.com/benchtui/benchtui/engine"
	"github.com/benchtui/benchtui/engine/openai"
	"github.com/benchtui/benchtui/report"
	"github.com/benchtui/benchtui/synth"
)

// tinyModel writes (or reuses) the tiny synthetic model.
func tinyModel(t *testing.T) string {
	t.Helper()
	m, err := synth.ParseModel("tiny")
	if err != nil {
		t.Fatal(err)
	}
	path, err := synth.Ensure(context.Background(), m, 420, nil)
	if err != nil {
		t.Fatal(err)
	}
	return path
}

func threads() int {
	if n, err := strconv.Atoi(os.Getenv("BENCHTUI_THREADS")); err == nil && n > 0 {
		return n
	}
	return 1
}

// syncBuffer is a log writer that the server's output goroutines and the test share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func alive(pid int) bool { return syscall.Kill(pid, 0) == nil }

// TestRealServer runs requests through a real llama-server on the tiny model, with the
// driver and the openai backend, and checks the records against the server's own counts.
func TestRealServer(t *testing.T) {
	model := tinyModel(t)
	var log syncBuffer
	ctx := context.Background()
	b, err := Open(ctx, Options{ModelPath: model, Parallel: 4, CtxSize: 4 * 256, Threads: threads(), FlashAttn: "auto", Log: &log}, openai.Options{})
	if err != nil {
		t.Fatal(err)
	}
	pid := b.Server().Pid
	defer b.Close()
	info := b.Info()
	if info.Backend != "llama-server" || info.ModelName != "tiny-f16-seed420" || info.NSeqMax != 4 || info.NVocab != 2048 || info.NCtxSeq != 256 {
		t.Errorf("info: %+v", info)
	}
	reqs, _, err := dataset.GenerateNormal(dataset.NormalOptions{
		GenerateOptions: dataset.GenerateOptions{NumRequests: 12, VocabSize: info.NVocab, EOS: -1, Seed: 1},
		InputMean:       48, InputStdev: 16, OutputMean: 24, OutputStdev: 8,
	})
	if err != nil {
		t.Fatal(err)
	}
	ev := engine.NewEvents(ctx)
	var snaps []engine.Snapshot
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case s := <-ev.Snapshots:
				snaps = append(snaps, s)
			case _, ok := <-ev.Lifecycle:
				if !ok {
					return
				}
			}
		}
	}()
	res, err := engine.RunStream(ctx, b, reqs, engine.Config{Concurrency: 4, Warmup: 2, MaxBatchSize: 4}, engine.Load{ScrapeEvery: 50 * time.Millisecond}, ev)
	ev.Close()
	<-done
	if err != nil {
		t.Fatalf("%v\nserver log:\n%s", err, log.String())
	}
	for i, r := range res.Records {
		want := reqs[i].OutputTokens
		if !r.Completed() {
			t.Fatalf("request %d: %s", i, r.Error)
		}
		// A token that ends inside a UTF-8 character reaches the client in the next chunk.
		if r.OutputTokens() != want || r.UsageOutputTokens != want || r.Chunks < 1 || r.Chunks > want {
			t.Errorf("request %d: %d tokens, usage %d, %d chunks; %d requested", i, r.OutputTokens(), r.UsageOutputTokens, r.Chunks, want)
		}
		if r.UsagePromptTokens != len(reqs[i].InputIDs) || r.InputTokens != len(reqs[i].InputIDs) {
			t.Errorf("request %d: the server counted %d prompt tokens of %d", i, r.UsagePromptTokens, len(reqs[i].InputIDs))
		}
		if r.Server == nil || r.Server.PredictedN != want || r.Server.PromptN != len(reqs[i].InputIDs) || r.Server.CacheN != 0 || r.Server.PredictedMS <= 0 {
			t.Errorf("request %d: server timings %+v", i, r.Server)
		}
		if e2e := float64(r.EndNS-r.StartNS) / 1e6; r.Server != nil && e2e < r.Server.PromptMS+r.Server.PredictedMS {
			t.Errorf("request %d: the client's %.2f ms end to end is less than the server's %.2f + %.2f ms", i, e2e, r.Server.PromptMS, r.Server.PredictedMS)
		}
		if r.FinishReason != "length" {
			t.Errorf("request %d: finish_reason %q", i, r.FinishReason)
		}
	}
	m := report.ComputeMetrics(res.Records, 1, 1)
	t.Logf("%d requests, %.1f output tok/s, TTFT p50 %.2f ms, TPOT p50 %.2f ms", m.NumCompleted, m.OutputThroughput, m.TTFTMS.P50, m.TPOTMS.P50)
	var server *engine.ServerMetrics
	for _, s := range snaps {
		if s.Server != nil && s.Server.Running > 0 {
			server = s.Server
		}
	}
	if server == nil || server.Source != "llamacpp" || server.Waiting < 0 {
		t.Errorf("no snapshot carried llama-server's metrics with requests running: %+v", server)
	}
	if !strings.Contains(log.String(), "listening on "+b.Server().URL) {
		t.Errorf("the server's log did not reach the writer:\n%s", log.String())
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if alive(pid) {
		t.Errorf("llama-server %d is still running after Close", pid)
	}
}

func TestStartFailures(t *testing.T) {
	bad := t.TempDir() + "/bad.gguf"
	if err := os.WriteFile(bad, []byte("not a model"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Start(context.Background(), Options{ModelPath: bad, Threads: 1})
	if err == nil || !strings.Contains(err.Error(), "exited before it was ready") {
		t.Fatalf("err = %v", err)
	}
	t.Log(err)
	if _, err := FindBinary(t.TempDir()); err == nil || !strings.Contains(err.Error(), "no llama-server in") {
		t.Errorf("FindBinary on an empty folder: %v", err)
	}
}

func TestStopsWithItsContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	s, err := Start(ctx, Options{ModelPath: tinyModel(t), Parallel: 1, CtxSize: 256, Threads: threads()})
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	select {
	case <-s.Exited():
	case <-time.After(10 * time.Second):
		t.Fatal("llama-server still running 10 s after its context ended")
	}
}

// TestDiesWithItsParent starts llama-server from a child process (this test binary), kills
// that child with SIGKILL, and checks that the server dies too.
func TestDiesWithItsParent(t *testing.T) {
	if os.Getenv("LLAMASERVER_TEST_PARENT") == "1" {
		s, err := Start(context.Background(), Options{ModelPath: os.Getenv("LLAMASERVER_TEST_MODEL"), Parallel: 1, CtxSize: 256, Threads: 1})
		if err != nil {
			fmt.Println("ERR", err)
			os.Exit(1)
		}
		fmt.Println("PID", s.Pid)
		time.Sleep(time.Minute)
		os.Exit(0)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestDiesWithItsParent$")
	cmd.Env = append(os.Environ(), "LLAMASERVER_TEST_PARENT=1", "LLAMASERVER_TEST_MODEL="+tinyModel(t))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var pid int
	buf := make([]byte, 256)
	deadline := time.Now().Add(30 * time.Second)
	var got []byte
	for pid == 0 && time.Now().Before(deadline) {
		n, err := out.Read(buf)
		got = append(got, buf[:n]...)
		if i := bytes.Index(got, []byte("PID ")); i >= 0 {
			if j := bytes.IndexByte(got[i:], '\n'); j > 0 {
				pid, _ = strconv.Atoi(string(got[i+4 : i+j]))
			}
		}
		if err != nil {
			break
		}
	}
	if pid == 0 {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("the child did not start llama-server: %s", got)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	for range 100 {
		if !alive(pid) || zombie(pid) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	syscall.Kill(pid, syscall.SIGKILL)
	t.Fatalf("llama-server %d outlived its parent by 5 s", pid)
}

// zombie reports whether pid has exited and waits for a reaper (its parent died, so it is
// init's to reap, which may take a moment in a container).
func zombie(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return errors.Is(err, os.ErrNotExist)
	}
	f := strings.Fields(string(b))
	return len(f) > 2 && f[2] == "Z"
}
