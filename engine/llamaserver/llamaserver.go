// Package llamaserver runs llama.cpp's llama-server as a managed child process and measures
// it through the OpenAI-compatible stream backend (engine/openai): the same model and
// options as the in-process llama.cpp backend, but served over HTTP, so that the two can be
// compared on one machine with nothing else installed.
//
// The server listens on a free loopback port, with as many slots as max_batch_size, the
// context, flash attention, GPU layers and threads asked for, and its Prometheus metrics on.
// It is stopped by Close, when the context it was started with ends, and by the kernel when
// benchtui dies (the parent-death signal), so that no server outlives a run. Its output goes
// to the log writer the caller gives (benchtui.log).
package llamaserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/benchtui/benchtui/engine"
	"github.com/benchtui/benchtui/engine/openai"
)

// BinaryEnv names a llama-server binary to use instead of the one FindBinary finds.
const BinaryEnv = "BENCHTUI_LLAMA_SERVER"

// Options are the server's settings; zero values leave llama-server's defaults.
type Options struct {
	// Binary is llama-server's path (default: FindBinary).
	Binary string
	// ModelPath is the GGUF file to serve.
	ModelPath string
	// Alias is the served model name (default: the file's name without .gguf).
	Alias string
	// Parallel is the number of slots (--parallel), max_batch_size.
	Parallel int
	// CtxSize is the whole context (--ctx-size), shared by the slots.
	CtxSize int
	// BatchSize and UBatchSize are the logical and physical batch sizes (max_num_tokens,
	// n_ubatch).
	BatchSize, UBatchSize int
	// FlashAttn is "on", "off" or "auto".
	FlashAttn string
	// GPULayers is --n-gpu-layers (nil: the server's default).
	GPULayers *int
	// Threads and ThreadsBatch are the CPU threads for generation and prompts.
	Threads, ThreadsBatch int
	// KVCacheType is the KV cache's data type (f16, q8_0, ...) for keys and values.
	KVCacheType string
	// KVUnified shares one KV buffer among the slots (nil: the server's default).
	KVUnified *bool
	// PromptCache keeps llama-server's prompt cache on; off by default, since the in-process
	// backend has none and a warmup would otherwise prefill the benchmark's prompts.
	PromptCache bool
	// Extra are further command-line arguments.
	Extra []string
	// Log receives the server's output (nil: discarded).
	Log io.Writer
	// StartTimeout bounds the wait for /health (default 5 minutes: a large model loads
	// slowly).
	StartTimeout time.Duration
}

// FindBinary returns llama-server's path: explicit, then $BENCHTUI_LLAMA_SERVER, then
// .llama/cuda/bin and .llama/cpu/bin beside the executable or in the current folder or any
// folder above it (where benchtui's setup builds it).
func FindBinary(explicit string) (string, error) {
	if explicit == "" {
		explicit = os.Getenv(BinaryEnv)
	}
	if explicit != "" {
		st, err := os.Stat(explicit)
		if err != nil {
			return "", fmt.Errorf("llama-server %s: %w", explicit, err)
		}
		if st.IsDir() {
			explicit = filepath.Join(explicit, "llama-server")
			if _, err := os.Stat(explicit); err != nil {
				return "", fmt.Errorf("no llama-server in %s", filepath.Dir(explicit))
			}
		}
		return explicit, nil
	}
	var bases []string
	if exe, err := os.Executable(); err == nil {
		dir := filepath.Dir(exe)
		bases = append(bases, dir, filepath.Dir(dir))
	}
	if wd, err := os.Getwd(); err == nil {
		for d := wd; ; d = filepath.Dir(d) {
			bases = append(bases, d)
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	for _, variant := range []string{"cuda", "cpu"} {
		for _, b := range bases {
			p := filepath.Join(b, ".llama", variant, "bin", "llama-server")
			if st, err := os.Stat(p); err == nil && !st.IsDir() {
				return p, nil
			}
		}
	}
	return "", fmt.Errorf("llama-server not found (looked in .llama/cuda/bin and .llama/cpu/bin beside the executable and above the current folder): run scripts/setup-llama.sh, or set %s", BinaryEnv)
}

// Args is the command line (without the binary) for o on port.
func (o Options) Args(port int) []string {
	alias := o.Alias
	if alias == "" {
		alias = strings.TrimSuffix(filepath.Base(o.ModelPath), ".gguf")
	}
	args := []string{"--model", o.ModelPath, "--alias", alias, "--host", "127.0.0.1", "--port", strconv.Itoa(port),
		"--metrics", "--no-webui", "--log-colors", "off"}
	num := func(flag string, v int) {
		if v > 0 {
			args = append(args, flag, strconv.Itoa(v))
		}
	}
	num("--parallel", o.Parallel)
	num("--ctx-size", o.CtxSize)
	num("--batch-size", o.BatchSize)
	num("--ubatch-size", o.UBatchSize)
	num("--threads", o.Threads)
	num("--threads-batch", o.ThreadsBatch)
	if o.FlashAttn != "" {
		args = append(args, "--flash-attn", o.FlashAttn)
	}
	if o.GPULayers != nil {
		args = append(args, "--n-gpu-layers", strconv.Itoa(*o.GPULayers))
	}
	if o.KVCacheType != "" {
		args = append(args, "--cache-type-k", o.KVCacheType, "--cache-type-v", o.KVCacheType)
	}
	if o.KVUnified != nil {
		if *o.KVUnified {
			args = append(args, "--kv-unified")
		} else {
			args = append(args, "--no-kv-unified")
		}
	}
	if !o.PromptCache {
		args = append(args, "--no-cache-prompt")
	}
	return append(args, o.Extra...)
}

// Server is a running llama-server.
type Server struct {
	// URL is its base URL (http://127.0.0.1:PORT).
	URL string
	// Pid is its process id.
	Pid int

	cmd     *exec.Cmd
	tail    *tailWriter
	exited  chan struct{}
	waitErr error
	stop    sync.Once
	unwatch func() bool
}

// Start starts llama-server on a free loopback port and waits until /health says it is
// ready. The server stops when ctx ends, when Stop is called, or when this process dies.
func Start(ctx context.Context, o Options) (*Server, error) {
	bin, err := FindBinary(o.Binary)
	if err != nil {
		return nil, err
	}
	if o.ModelPath == "" {
		return nil, errors.New("llama-server: no model file")
	}
	if _, err := os.Stat(o.ModelPath); err != nil {
		return nil, fmt.Errorf("llama-server model %s: %w", o.ModelPath, err)
	}
	if o.StartTimeout <= 0 {
		o.StartTimeout = 5 * time.Minute
	}
	// Another process may take the free port between the probe and the server's bind: try
	// a few ports.
	for attempt := 0; ; attempt++ {
		s, err := start(ctx, bin, o)
		if err == nil || attempt == 2 || !strings.Contains(err.Error(), "bind") {
			return s, err
		}
	}
}

func start(ctx context.Context, bin string, o Options) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, o.Args(port)...)
	s := &Server{URL: "http://127.0.0.1:" + strconv.Itoa(port), cmd: cmd, tail: &tailWriter{max: 8 << 10}, exited: make(chan struct{})}
	var out io.Writer = s.tail
	if o.Log != nil {
		out = io.MultiWriter(o.Log, s.tail)
	}
	cmd.Stdout, cmd.Stderr = out, out
	setDeathSignal(cmd)
	started := make(chan error, 1)
	go func() {
		// The parent-death signal fires when the thread that started the child ends, not
		// the process: keep that thread until the child is gone.
		runtime.LockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		s.waitErr = cmd.Wait()
		close(s.exited)
	}()
	if err := <-started; err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	s.Pid = cmd.Process.Pid
	s.unwatch = context.AfterFunc(ctx, func() { s.Stop() })
	if err := s.waitReady(ctx, o.StartTimeout); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

// waitReady polls /health until it answers 200, the process exits, or the time is up.
func (s *Server) waitReady(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	client := &http.Client{Timeout: time.Second}
	for {
		select {
		case <-s.exited:
			return fmt.Errorf("llama-server exited before it was ready (%v): %s", s.waitErr, s.tail.last())
		case <-ctx.Done():
			return fmt.Errorf("llama-server: %w", ctx.Err())
		default:
		}
		resp, err := client.Get(s.URL + "/health")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("llama-server was not ready after %v: %s", timeout, s.tail.last())
		}
		select {
		case <-s.exited:
		case <-ctx.Done():
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Stop ends the server: SIGTERM, then SIGKILL after 5 s. It returns when the process is gone.
func (s *Server) Stop() error {
	s.stop.Do(func() {
		if s.unwatch != nil {
			s.unwatch()
		}
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.exited:
		case <-time.After(5 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.exited
		}
	})
	return nil
}

// Exited is closed when the server process has ended.
func (s *Server) Exited() <-chan struct{} { return s.exited }

// LogTail is the end of the server's output, for error messages.
func (s *Server) LogTail() string { return s.tail.last() }

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// tailWriter keeps the last max bytes written to it.
type tailWriter struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tailWriter) Write(p []byte) (int, error) {
	t.mu.Lock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-t.max:]...)
	}
	t.mu.Unlock()
	return len(p), nil
}

// last is the last few error lines written (llama.cpp marks them " E "), or the last few
// lines when there is none, on one line: they explain a failed start.
func (t *tailWriter) last() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	lines := strings.Split(strings.TrimSpace(string(t.buf)), "\n")
	var keep []string
	for _, errorsOnly := range []bool{true, false} {
		for i := len(lines) - 1; i >= 0 && len(keep) < 3; i-- {
			l := strings.TrimSpace(lines[i])
			if l != "" && (!errorsOnly || strings.Contains(l, " E ")) {
				keep = append([]string{l}, keep...)
			}
		}
		if len(keep) > 0 {
			break
		}
	}
	if len(keep) == 0 {
		return "(no output)"
	}
	return strings.Join(keep, " | ")
}

// Backend is the stream backend of a managed llama-server: the openai backend on it, whose
// Close also stops the server.
type Backend struct {
	*openai.Backend
	srv *Server
}

// Open starts llama-server with o and opens the openai backend on it with oo (whose base URL
// and model are set here). Requests ask the server not to reuse cached prompts unless
// o.PromptCache is set.
func Open(ctx context.Context, o Options, oo openai.Options) (*Backend, error) {
	srv, err := Start(ctx, o)
	if err != nil {
		return nil, err
	}
	oo.BaseURLs = []string{srv.URL}
	oo.Model = ""
	oo.Name = "llama-server"
	if !o.PromptCache {
		extra := map[string]any{"cache_prompt": false}
		for k, v := range oo.Extra {
			extra[k] = v
		}
		oo.Extra = extra
	}
	b, err := openai.Open(ctx, oo)
	if err != nil {
		srv.Stop()
		return nil, fmt.Errorf("llama-server at %s: %w", srv.URL, err)
	}
	return &Backend{Backend: b, srv: srv}, nil
}

// Server is the managed server.
func (b *Backend) Server() *Server { return b.srv }

// Info describes the server and its model.
func (b *Backend) Info() engine.BackendInfo {
	info := b.Backend.Info()
	info.Backend = "llama-server"
	return info
}

// Close closes the connections and stops the server.
func (b *Backend) Close() error {
	b.Backend.Close()
	return b.srv.Stop()
}

var _ engine.StreamBackend = (*Backend)(nil)
var _ engine.ServerMetricsSource = (*Backend)(nil)
