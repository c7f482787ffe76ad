package main

import (
	"bytes"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/benchtui/benchtui/engine/llamacpp"
	"github.com/benchtui/benchtui/internal/rpctest"
)

// startRPCServers starts n of llama.cpp's rpc-servers on loopback (CPU, one thread).
func startRPCServers(t *testing.T, n int) []*rpctest.Server {
	t.Helper()
	bin, err := llamacpp.FindRPCServer("")
	if err != nil {
		t.Fatal(err)
	}
	var out []*rpctest.Server
	for range n {
		s, err := rpctest.Start(bin, 1)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.Stop)
		out = append(out, s)
	}
	return out
}

// TestThroughputRPC runs the tiny model split over two loopback rpc-servers and this
// machine's CPU in the backend process, and checks the devices named with their hosts and
// the per-host section of the console summary and the report.
func TestThroughputRPC(t *testing.T) {
	srv := startRPCServers(t, 2)
	dir := t.TempDir()
	rep := filepath.Join(dir, "report.json")
	code, out, errs := runCLI(t, "--model", "tiny", "throughput", "--num_requests", "16", "--isl", "32", "--osl", "16",
		"--max_batch_size", "4", "--rpc", srv[0].Addr+","+srv[1].Addr, "--n_gpu_layers", "3", "--tensor_split", "1,1",
		"--output", rep, "--quiet")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "RPC HOSTS") || !strings.Contains(out, srv[0].Addr) || !strings.Contains(out, srv[1].Addr) {
		t.Errorf("summary lacks the RPC hosts:\n%s", out)
	}
	var r struct {
		BenchTUI struct {
			RPC struct {
				Steps int64 `json:"steps"`
				Hosts []struct {
					Host             string   `json:"host"`
					Devices          []string `json:"devices"`
					SentBytesPerStep float64  `json:"sent_bytes_per_step"`
					RecvBytesPerStep float64  `json:"received_bytes_per_step"`
					WaitShare        float64  `json:"wait_share"`
				} `json:"hosts"`
			} `json:"rpc"`
			Config struct {
				LlamaCpp struct {
					RunsOn  string `json:"runs_on"`
					Devices []struct {
						Name string `json:"name"`
						Type string `json:"type"`
						Host string `json:"host"`
					} `json:"devices"`
				} `json:"llama_cpp"`
			} `json:"config"`
		} `json:"benchtui"`
	}
	readJSON(t, rep, &r)
	rpc := r.BenchTUI.RPC
	if rpc.Steps == 0 || len(rpc.Hosts) != 2 {
		t.Fatalf("rpc section %+v", rpc)
	}
	for i, h := range rpc.Hosts {
		if h.Host != srv[i].Addr || len(h.Devices) != 1 || h.SentBytesPerStep <= 0 || h.RecvBytesPerStep <= 0 || h.WaitShare <= 0 || h.WaitShare > 1.05 {
			t.Errorf("host %d: %+v", i, h)
		}
	}
	var hosts []string
	for _, d := range r.BenchTUI.Config.LlamaCpp.Devices {
		if d.Type == "rpc" {
			hosts = append(hosts, d.Host)
		}
	}
	if strings.Join(hosts, ",") != srv[0].Addr+","+srv[1].Addr {
		t.Errorf("devices on hosts %v", hosts)
	}
}

// TestRPCBadServers checks a malformed --rpc (bad input, exit 2) and a server nobody listens
// on (one line naming it, exit 1).
func TestRPCBadServers(t *testing.T) {
	code, _, errs := runCLI(t, "throughput", "--rpc", "127.0.0.1", "--quiet")
	if code != 2 || !strings.Contains(errs, "want host:port") {
		t.Errorf("--rpc 127.0.0.1: exit %d: %s", code, errs)
	}
	code, _, errs = runCLI(t, "throughput", "--tensor_split", "1,x", "--quiet")
	if code != 2 || !strings.Contains(errs, "--tensor_split") {
		t.Errorf("--tensor_split 1,x: exit %d: %s", code, errs)
	}
	ln, _ := net.Listen("tcp4", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	code, _, errs = runCLI(t, "throughput", "--rpc", addr, "--num_requests", "2", "--quiet")
	lines := strings.Split(strings.TrimSpace(errs), "\n")
	if code != 1 || len(lines) != 1 || !strings.Contains(lines[0], "RPC server "+addr+": connection refused") {
		t.Errorf("unreachable server: exit %d: %s", code, errs)
	}
}

// watchWriter signals once what it is written contains a string.
type watchWriter struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	want string
	seen chan struct{}
	once sync.Once
}

func (w *watchWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if strings.Contains(w.buf.String(), w.want) {
		w.once.Do(func() { close(w.seen) })
	}
	return len(p), nil
}

func (w *watchWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// TestRPCServerDies kills one of two rpc-servers in the middle of a run: the run fails with
// one line that names the server, and the requests that finished before are kept. Through
// the relay, the relay names the server; connected directly, benchtui finds the one that no
// longer accepts connections.
func TestRPCServerDies(t *testing.T) {
	for _, measure := range []string{"true", "false"} {
		t.Run("rpc_measure="+measure, func(t *testing.T) { testRPCServerDies(t, measure) })
	}
}

func testRPCServerDies(t *testing.T, measure string) {
	srv := startRPCServers(t, 2)
	dir := t.TempDir()
	records := filepath.Join(dir, "requests.json")
	report := filepath.Join(dir, "report.json")
	stderr := &watchWriter{want: "running 4000 requests", seen: make(chan struct{})}
	killed := make(chan time.Time, 1)
	go func() {
		select {
		case <-stderr.seen:
		case <-time.After(60 * time.Second):
			return
		}
		time.Sleep(1500 * time.Millisecond)
		srv[1].Kill()
		killed <- time.Now()
	}()
	var out bytes.Buffer
	code := run([]string{"--model", "tiny", "throughput", "--num_requests", "4000", "--isl", "16", "--osl", "16",
		"--max_batch_size", "4", "--warmup", "0", "--rpc", srv[0].Addr + "," + srv[1].Addr, "--n_gpu_layers", "3",
		"--rpc_measure=" + measure, "--request_json", records, "--report_json", report}, &out, stderr)
	select {
	case <-killed:
	default:
		t.Fatalf("the run ended (exit %d) before the server was killed: %s", code, stderr.String())
	}
	if code != 1 {
		t.Fatalf("exit %d, want 1: %s", code, stderr.String())
	}
	var last string
	for _, l := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
		if strings.HasPrefix(l, "benchtui: ") && !strings.Contains(l, "written to") {
			last = l
		}
	}
	want := "RPC server " + srv[1].Addr + " closed the connection"
	if !strings.Contains(last, want) || !strings.Contains(last, "RPC server lost") {
		t.Errorf("error line %q does not say %q; stderr:\n%s", last, want, stderr.String())
	}
	var recs []struct {
		Status string `json:"status"`
		Error  string `json:"error"`
	}
	readJSON(t, records, &recs)
	done, failed, unnamed := 0, 0, 0
	for _, r := range recs {
		switch r.Status {
		case "completed":
			done++
		case "failed":
			failed++
			if !strings.Contains(r.Error, want) {
				unnamed++
				if unnamed == 1 {
					t.Errorf("failed request's error %q does not name the server", r.Error)
				}
			}
		}
	}
	if len(recs) != 4000 || done == 0 || failed == 0 || done+failed != 4000 {
		t.Errorf("%d records: %d completed, %d failed; want 4000 with some of each", len(recs), done, failed)
	}
	// The report keeps what each server carried until then (from the last snapshot the
	// backend process sent), when it was measured.
	var r struct {
		BenchTUI struct {
			RPC *struct {
				Hosts []struct {
					Host      string `json:"host"`
					SentBytes uint64 `json:"sent_bytes"`
				} `json:"hosts"`
			} `json:"rpc"`
		} `json:"benchtui"`
	}
	readJSON(t, report, &r)
	switch rpc := r.BenchTUI.RPC; {
	case measure == "false" && rpc != nil:
		t.Errorf("an unmeasured run has an rpc section: %+v", rpc)
	case measure == "true" && (rpc == nil || len(rpc.Hosts) != 2 || rpc.Hosts[1].SentBytes == 0):
		t.Errorf("rpc section of the run cut short: %+v", rpc)
	}
}
