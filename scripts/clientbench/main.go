// Command clientbench measures benchtui's streaming client itself (engine.RunStream with the
// openai backend) against a fast local streaming server (openaitest, run as a child process
// so that the two processes' CPU can be told apart): chunks per second and streams it
// sustains, its CPU per 1,000 chunks, the error of its chunk timestamps against the server's
// write times, whether 50,000-token prompts slow it down, and the same load read from raw
// sockets as the floor a client cannot beat. It is a benchmark, not a test: it prints
// figures, including how busy the machine's other processes kept its cores.
//
//	go run ./scripts/clientbench                  # every phase
//	go run ./scripts/clientbench -phases paced -streams 4000 -gap 20ms
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/benchtui/benchtui/dataset"
	"github.com/benchtui/benchtui/engine"
	"github.com/benchtui/benchtui/engine/openai"
	"github.com/benchtui/benchtui/engine/openai/openaitest"
	"github.com/benchtui/benchtui/report"
)

func main() {
	serve := flag.Bool("serve", false, "run as the streaming server (internal)")
	gap := flag.Duration("gap", 20*time.Millisecond, "paced phase: time between a stream's chunks")
	streams := flag.Int("streams", 4000, "paced phase: concurrent streams")
	seconds := flag.Float64("seconds", 3, "paced phase: length of each stream in seconds")
	fastStreams := flag.Int("fast_streams", 64, "throughput phase: concurrent streams")
	phases := flag.String("phases", "throughput,raw,aiohttp,paced,aiohttp-paced,prompt", "phases to run")
	python := flag.String("python", "/usr/bin/python3", "Python with aiohttp (Debian's python3-aiohttp), for the aiohttp phases")
	profile := flag.String("cpuprofile", "", "write the client's CPU profile to this file")
	flag.Parse()
	if *serve {
		runServer()
		return
	}
	if *profile != "" {
		f, err := os.Create(*profile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "clientbench:", err)
			os.Exit(2)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	fmt.Printf("clientbench: GOMAXPROCS %d, %d CPUs, %s\n", runtime.GOMAXPROCS(0), runtime.NumCPU(), loadavg())
	for p := range strings.SplitSeq(*phases, ",") {
		var err error
		switch p {
		case "throughput":
			err = throughput(*fastStreams, false)
		case "raw":
			err = throughput(*fastStreams, true)
		case "paced":
			err = paced(*streams, *gap, *seconds)
		case "prompt":
			err = prompts()
		case "aiohttp":
			err = viaAiohttp(*python, *fastStreams, 0, 0)
		case "aiohttp-paced":
			err = viaAiohttp(*python, *streams, *gap, *seconds)
		default:
			err = fmt.Errorf("unknown phase %q", p)
		}
		if err != nil {
			pprof.StopCPUProfile()
			fmt.Fprintln(os.Stderr, "clientbench:", err)
			os.Exit(1)
		}
	}
}

// server is the child process.
type server struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Reader
	url string
}

func startServer(args ...string) (*server, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, append([]string{"-serve"}, args...)...)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	outp, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{cmd: cmd, in: in, out: bufio.NewReaderSize(outp, 1<<20)}
	line, err := s.out.ReadString('\n')
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	s.url = strings.TrimSpace(line)
	return s, nil
}

// serverStats is what the child says on request: its CPU and every stream's write times.
type serverStats struct {
	CPUSeconds float64           `json:"cpu_s"`
	Writes     map[int][]int64   `json:"writes"` // stream id -> unix ns of each chunk write
	Received   map[int]int64     `json:"received"`
	Extra      map[string]string `json:"extra,omitempty"`
}

func (s *server) stats() (serverStats, error) {
	var st serverStats
	if _, err := io.WriteString(s.in, "stats\n"); err != nil {
		return st, err
	}
	line, err := s.out.ReadBytes('\n')
	if err != nil {
		return st, err
	}
	return st, json.Unmarshal(line, &st)
}

func (s *server) stop() {
	s.in.Close()
	s.cmd.Wait()
}

func runServer() {
	f := flag.CommandLine
	var o openaitest.Options
	o.Gap, _ = time.ParseDuration(f.Lookup("gap").Value.String())
	o.Record = os.Getenv("CLIENTBENCH_RECORD") == "1"
	if c, err := strconv.Atoi(os.Getenv("CLIENTBENCH_COALESCE")); err == nil {
		o.Coalesce = c
	}
	srv, err := openaitest.Start(o)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(srv.URL)
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		st := serverStats{CPUSeconds: cpuSeconds(), Writes: map[int][]int64{}, Received: map[int]int64{}}
		for _, s := range srv.Streams() {
			w := make([]int64, len(s.Writes))
			for i, t := range s.Writes {
				w[i] = t.UnixNano()
			}
			st.Writes[s.ID] = w
			st.Received[s.ID] = s.Received.UnixNano()
		}
		b, _ := json.Marshal(st)
		os.Stdout.Write(append(b, '\n'))
	}
	srv.Close()
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// machineBusy reads the cores' busy time (all processes) from /proc/stat, in seconds.
func machineBusy() float64 {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	f := strings.Fields(strings.SplitN(string(b), "\n", 2)[0])
	var busy float64
	for i, v := range f[1:] {
		n, _ := strconv.ParseFloat(v, 64)
		if i != 3 && i != 4 { // idle, iowait
			busy += n
		}
	}
	return busy / 100 // USER_HZ
}

func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	return "load average " + strings.Join(strings.Fields(string(b))[:3], " ")
}

// meter measures a phase: wall time, this process's CPU, the server's, and the others'.
type meter struct {
	t0           time.Time
	cpu0, busy0  float64
	srvCPU0      float64
	wall         float64
	cpu, srvCPU  float64
	others, busy float64
}

func startMeter(srvCPU float64) meter {
	return meter{t0: time.Now(), cpu0: cpuSeconds(), busy0: machineBusy(), srvCPU0: srvCPU}
}

func (m *meter) stop(srvCPU float64) {
	m.wall = time.Since(m.t0).Seconds()
	m.cpu = cpuSeconds() - m.cpu0
	m.srvCPU = srvCPU - m.srvCPU0
	m.busy = machineBusy() - m.busy0
	m.others = max(0, m.busy-m.cpu-m.srvCPU)
}

func (m *meter) String() string {
	return fmt.Sprintf("wall %.2f s; client CPU %.2f s (%.0f%% of a core), server %.2f s, other processes %.2f s (%.0f%% of the %d cores)",
		m.wall, m.cpu, 100*m.cpu/m.wall, m.srvCPU, m.others, 100*m.others/m.wall/float64(runtime.NumCPU()), runtime.NumCPU())
}

// tee records each chunk's wall-clock time beside the driver's observer.
type tee struct {
	openai *openai.Backend
	mu     sync.Mutex
	times  map[int][]int64
}

func (t *tee) Info() engine.BackendInfo { return t.openai.Info() }
func (t *tee) Close() error             { return t.openai.Close() }
func (t *tee) Send(ctx context.Context, req engine.StreamRequest, obs engine.StreamObserver) (engine.StreamReply, error) {
	o := &teeObs{obs: obs, times: make([]int64, 0, req.Request.OutputTokens)}
	reply, err := t.openai.Send(ctx, req, o)
	if !req.Warmup {
		t.mu.Lock()
		t.times[int(req.Request.InputIDs[0])] = o.times
		t.mu.Unlock()
	}
	return reply, err
}

type teeObs struct {
	obs   engine.StreamObserver
	times []int64
}

func (o *teeObs) Chunk(at time.Time, n int) {
	o.obs.Chunk(at, n)
	o.times = append(o.times, at.UnixNano())
}

func reqs(n, isl, osl int) []dataset.Request {
	out := make([]dataset.Request, n)
	shared := make([]int32, isl)
	for j := range shared {
		shared[j] = int32(j % 30000)
	}
	for i := range out {
		ids := shared
		if isl > 0 {
			ids = slices.Clone(shared)
			ids[0] = int32(i)
		}
		out[i] = dataset.Request{InputIDs: ids, OutputTokens: osl}
	}
	return out
}

func openBackend(u string) (*openai.Backend, error) {
	return openai.Open(context.Background(), openai.Options{BaseURLs: []string{u}})
}

// throughput streams as fast as the server writes (one chunk per write) over a few
// streams: the chunks per second the client parses and its CPU per 1,000 chunks. With raw,
// the same load is read from plain sockets, counting events.
func throughput(n int, raw bool) error {
	const osl = 20000
	srv, err := startServer("-gap", "0")
	if err != nil {
		return err
	}
	defer srv.stop()
	st0, _ := srv.stats()
	m := startMeter(st0.CPUSeconds)
	var chunks int64
	name := "benchtui client"
	if raw {
		name = "raw sockets"
		chunks, err = rawRead(srv.url, n, osl)
	} else {
		var b *openai.Backend
		if b, err = openBackend(srv.url); err != nil {
			return err
		}
		var res *engine.Result
		res, err = engine.RunStream(context.Background(), b, reqs(n, 8, osl), engine.Config{}, engine.Load{ScrapeEvery: -1}, nil)
		if res != nil {
			for _, r := range res.Records {
				chunks += int64(r.Chunks)
			}
		}
		b.Close()
	}
	if err != nil {
		return err
	}
	st1, _ := srv.stats()
	m.stop(st1.CPUSeconds)
	fmt.Printf("\nthroughput, %s: %d streams of %d chunks, one chunk per server write\n", name, n, osl)
	fmt.Printf("  %.0f chunks/s; client CPU %.1f us per 1,000 chunks\n  %s\n", float64(chunks)/m.wall, m.cpu*1e9/float64(chunks), m.String())
	return nil
}

// rawRead sends n streamed requests over plain TCP and counts the events read until every
// stream ends: the floor under any HTTP client.
func rawRead(base string, n, osl int) (int64, error) {
	u, _ := url.Parse(base)
	body := fmt.Sprintf(`{"model":"test-model","prompt":[1,2,3],"max_tokens":%d,"stream":true}`, osl)
	req := fmt.Sprintf("POST /v1/completions HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", u.Host, len(body), body)
	var wg sync.WaitGroup
	counts := make([]int64, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			c, err := net.Dial("tcp", u.Host)
			if err != nil {
				errs[i] = err
				return
			}
			defer c.Close()
			if _, err := io.WriteString(c, req); err != nil {
				errs[i] = err
				return
			}
			buf := make([]byte, 16<<10)
			marker := []byte("data: ")
			done := []byte("0\r\n\r\n")
			var tail []byte
			for {
				k, err := c.Read(buf)
				chunk := buf[:k]
				counts[i] += int64(strings.Count(string(chunk), string(marker)))
				tail = append(tail[:0], chunk[max(0, k-8):]...)
				if strings.HasSuffix(string(tail), string(done)) || err != nil {
					break
				}
			}
			counts[i] -= 2 // the final chunk and [DONE]
		})
	}
	wg.Wait()
	var total int64
	for i := range n {
		if errs[i] != nil {
			return 0, errs[i]
		}
		total += counts[i]
	}
	return total, nil
}

// paced keeps n streams open, each writing a chunk every gap (one write per chunk), and
// measures the chunks per second, the client's CPU and its timestamp error against the
// server's write times.
func paced(n int, gap time.Duration, seconds float64) error {
	osl := int(seconds * float64(time.Second) / float64(gap))
	os.Setenv("CLIENTBENCH_RECORD", "1")
	defer os.Unsetenv("CLIENTBENCH_RECORD")
	srv, err := startServer("-gap", gap.String())
	if err != nil {
		return err
	}
	defer srv.stop()
	b, err := openBackend(srv.url)
	if err != nil {
		return err
	}
	defer b.Close()
	t := &tee{openai: b, times: map[int][]int64{}}
	// Open the connections first, with one-token requests.
	warm := reqs(n, 8, 1)
	for i := range warm {
		warm[i].InputIDs[0] = int32(-1 - i)
	}
	if _, err := engine.RunStream(context.Background(), t, warm, engine.Config{}, engine.Load{ScrapeEvery: -1}, nil); err != nil {
		return fmt.Errorf("open %d connections: %w", n, err)
	}
	t.times = map[int][]int64{}
	st0, _ := srv.stats()
	m := startMeter(st0.CPUSeconds)
	// Start the streams over one gap, so that their writes spread evenly.
	rate := float64(n) / gap.Seconds()
	res, err := engine.RunStream(context.Background(), t, reqs(n, 8, osl), engine.Config{}, engine.Load{RequestRate: rate, Burstiness: 4, Seed: 1, ScrapeEvery: -1}, nil)
	if err != nil {
		return err
	}
	st1, err := srv.stats()
	if err != nil {
		return err
	}
	m.stop(st1.CPUSeconds)
	var errsMS []float64
	var chunks int64
	most := 0
	for _, s := range res.Series {
		most = max(most, s.Running)
	}
	for id, times := range t.times {
		w := st1.Writes[id]
		chunks += int64(len(times))
		if len(w) != len(times) {
			return fmt.Errorf("stream %d: the client saw %d chunks, the server wrote %d", id, len(times), len(w))
		}
		for k := range times {
			errsMS = append(errsMS, float64(times[k]-w[k])/1e6)
		}
	}
	d := report.Summarize(errsMS)
	fmt.Printf("\npaced: %d streams (%d open at once at most), a chunk every %v (one write each), %d chunks per stream\n", n, most, gap, osl)
	fmt.Printf("  %.0f chunks/s; client CPU %.1f us per 1,000 chunks\n", float64(chunks)/m.wall, m.cpu*1e9/float64(chunks))
	fmt.Printf("  timestamp error (client's time minus the server's write): p50 %.3f ms, p90 %.3f ms, p99 %.3f ms, max %.3f ms over %d chunks\n", d.P50, d.P90, d.P99, d.Maximum, d.Count)
	fmt.Printf("  %s\n", m.String())
	return nil
}

// prompts compares 100-token and 50,000-token prompts: the client's CPU per request and
// the time from send to first chunk of a server that answers at once.
func prompts() error {
	srv, err := startServer("-gap", "0")
	if err != nil {
		return err
	}
	defer srv.stop()
	b, err := openBackend(srv.url)
	if err != nil {
		return err
	}
	defer b.Close()
	fmt.Printf("\nprompts: 400 requests of 16 output tokens, 16 at a time, server answers at once\n")
	for _, isl := range []int{100, 50_000, 100, 50_000} {
		rs := reqs(400, isl, 16)
		m := startMeter(0)
		res, err := engine.RunStream(context.Background(), b, rs, engine.Config{Concurrency: 16}, engine.Load{ScrapeEvery: -1}, nil)
		if err != nil {
			return err
		}
		m.stop(0)
		mt := report.ComputeMetrics(res.Records, 1, 1)
		fmt.Printf("  ISL %6d: %.0f requests/s, client CPU %.0f us per request, TTFT p50 %.3f ms p99 %.3f ms, %s\n",
			isl, float64(len(rs))/m.wall, m.cpu*1e6/float64(len(rs)), mt.TTFTMS.P50, mt.TTFTMS.P99, loadavg())
	}
	return nil
}

// viaAiohttp puts the same load through aiohttp (aiohttp_client.py): as fast as the server
// writes with gap 0, paced otherwise.
func viaAiohttp(python string, n int, gap time.Duration, seconds float64) error {
	_, self, _, _ := runtime.Caller(0)
	script := filepath.Join(filepath.Dir(self), "aiohttp_client.py")
	osl, rate := 2000, 0.0
	if gap > 0 {
		osl = int(seconds * float64(time.Second) / float64(gap))
		rate = float64(n) / gap.Seconds()
		os.Setenv("CLIENTBENCH_RECORD", "1")
		defer os.Unsetenv("CLIENTBENCH_RECORD")
	}
	srv, err := startServer("-gap", gap.String())
	if err != nil {
		return err
	}
	defer srv.stop()
	st0, _ := srv.stats()
	m := startMeter(st0.CPUSeconds)
	cmd := exec.Command(python, script, srv.url, strconv.Itoa(n), strconv.Itoa(osl), strconv.FormatFloat(rate, 'f', -1, 64))
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("%s %s: %w", python, script, err)
	}
	var got struct {
		CPU   float64            `json:"cpu_s"`
		Wall  float64            `json:"wall_s"`
		Times map[string][]int64 `json:"times"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		return fmt.Errorf("aiohttp client: %w", err)
	}
	st1, err := srv.stats()
	if err != nil {
		return err
	}
	m.stop(st1.CPUSeconds)
	var chunks int64
	var errsMS []float64
	for id, times := range got.Times {
		chunks += int64(len(times))
		k, _ := strconv.Atoi(id)
		if w := st1.Writes[k]; gap > 0 && len(w) == len(times) {
			for j := range times {
				errsMS = append(errsMS, float64(times[j]-w[j])/1e6)
			}
		}
	}
	if gap == 0 {
		fmt.Printf("\nthroughput, aiohttp (Python %s): %d streams of %d chunks, one chunk per server write\n", strings.TrimPrefix(filepath.Base(python), "python"), n, osl)
	} else {
		fmt.Printf("\npaced, aiohttp: %d streams, a chunk every %v (one write each), %d chunks per stream\n", n, gap, osl)
	}
	fmt.Printf("  %.0f chunks/s; client CPU %.1f us per 1,000 chunks\n", float64(chunks)/got.Wall, got.CPU*1e9/float64(max(chunks, 1)))
	if gap > 0 {
		d := report.Summarize(errsMS)
		fmt.Printf("  timestamp error (client's time minus the server's write): p50 %.3f ms, p90 %.3f ms, p99 %.3f ms, max %.3f ms over %d chunks\n", d.P50, d.P90, d.P99, d.Maximum, d.Count)
	}
	m.cpu = got.CPU
	m.others = max(0, m.busy-m.cpu-m.srvCPU)
	fmt.Printf("  %s\n", m.String())
	return nil
}
