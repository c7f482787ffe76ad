// Command rpcbench measures llama.cpp's RPC backend through benchtui on this machine: one
// model run locally, then split over 1, 2 and 3 rpc-servers on loopback, with each setup's
// time per decode step and each server's bytes and wait per step; and what benchtui's
// measuring relay costs, from pairs of runs with and without it. It prints a markdown
// report (for docs/benchmarks.md) and keeps every run's report and iteration log.
//
//	go run ./scripts/rpcbench                       # CPU: small preset, local vs 1, 2, 3 servers
//	go run ./scripts/rpcbench --gpu                 # local GPU vs the GPU behind loopback servers
//
// Setups run in rounds (every setup once per round, --repeats rounds) so that a machine
// whose load drifts affects them alike; the step time of a setup is the median over rounds
// of its runs' mean decode-step time (from the iteration log). The relay's cost is the
// median of the ratios of pairs run back to back, in alternating order.
//
// On the CPU, every layer goes to the servers (--n_gpu_layers -1, equal weights), so each
// setup computes the same model on the same cores and the differences are the RPC backend's
// cost. With --gpu, the servers lend the GPU they are given (--server_device, CUDA0 by
// default; the CUDA build's rpc-server) and the local GPU gets weight 0.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/benchtui/benchtui/engine/llamacpp"
	"github.com/benchtui/benchtui/internal/rpctest"
)

type options struct {
	bin, model, out, serverDevice string
	servers                       []int
	numRequests, isl, osl, batch  int
	repeats, pairs, threads       int
	gpu                           bool
}

func main() {
	var o options
	var servers string
	flag.StringVar(&o.bin, "bin", "", "benchtui binary (default: built from this tree into --out)")
	flag.StringVar(&o.model, "model", "small", "model preset or GGUF file")
	flag.StringVar(&o.out, "out", "", "folder for the runs' reports and logs (default: a new temporary folder)")
	flag.StringVar(&servers, "servers", "1,2,3", "server counts to measure")
	flag.IntVar(&o.numRequests, "num_requests", 32, "requests per run")
	flag.IntVar(&o.isl, "isl", 64, "input length")
	flag.IntVar(&o.osl, "osl", 64, "output length")
	flag.IntVar(&o.batch, "max_batch_size", 8, "batch size")
	flag.IntVar(&o.repeats, "repeats", 3, "rounds of every setup")
	flag.IntVar(&o.pairs, "relay_pairs", 4, "pairs of runs with and without the relay (one server)")
	flag.IntVar(&o.threads, "threads", 0, "CPU threads of benchtui and of each server (0: $BENCHTUI_THREADS, else 1)")
	flag.BoolVar(&o.gpu, "gpu", false, "local GPU against the GPU behind loopback rpc-servers (CUDA build)")
	flag.StringVar(&o.serverDevice, "server_device", "CUDA0", "with --gpu, the device each server lends")
	flag.Parse()
	for _, s := range strings.Split(servers, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			fail("--servers %q: want counts such as 1,2,3", servers)
		}
		o.servers = append(o.servers, n)
	}
	if o.threads == 0 {
		o.threads, _ = strconv.Atoi(os.Getenv(llamacpp.ThreadsEnv))
		o.threads = max(o.threads, 1)
	}
	if err := run(&o, os.Stdout); err != nil {
		fail("%v", err)
	}
}

func fail(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "rpcbench: "+format+"\n", a...)
	os.Exit(1)
}

// setup is one configuration measured.
type setup struct {
	name    string
	servers int
	measure bool
	steps   []float64 // mean decode-only step ms of each run
	all     []float64 // mean ms of every step of each run (the per-server figures' steps)
	tokS    []float64
	hosts   [][]hostFig // each run's per-host figures
	failed  []string    // runs that failed, and why
}

type hostFig struct {
	Host             string  `json:"host"`
	SentBytesPerStep float64 `json:"sent_bytes_per_step"`
	RecvBytesPerStep float64 `json:"received_bytes_per_step"`
	WaitShare        float64 `json:"wait_share"`
	WaitMSPerStep    float64 `json:"wait_ms_per_step"`
}

func run(o *options, w io.Writer) error {
	if o.out == "" {
		d, err := os.MkdirTemp("", "rpcbench-")
		if err != nil {
			return err
		}
		o.out = d
	}
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return err
	}
	if o.bin == "" {
		o.bin = filepath.Join(o.out, "benchtui")
		if out, err := exec.Command("go", "build", "-o", o.bin, "./cmd/benchtui").CombinedOutput(); err != nil {
			return fmt.Errorf("build benchtui: %v: %s", err, out)
		}
	}
	rpcBin, err := llamacpp.FindRPCServer("")
	if err != nil {
		return err
	}
	most := slices.Max(o.servers)
	var extra []string
	if o.gpu {
		extra = []string{"--device", o.serverDevice}
	}
	var srv []*rpctest.Server
	for range most {
		s, err := rpctest.Start(rpcBin, o.threads, extra...)
		if err != nil {
			return err
		}
		defer s.Stop()
		srv = append(srv, s)
	}
	load0 := loadAvg()
	start := time.Now()

	setups := []*setup{{name: "local", measure: true}}
	for _, n := range o.servers {
		setups = append(setups, &setup{name: fmt.Sprintf("%d server", n), servers: n, measure: true})
	}
	for r := range o.repeats {
		for _, s := range setups {
			if err := measure(o, s, srv, r); err != nil {
				return err
			}
		}
	}
	// The relay's cost: one server, with and without it, back to back in alternating order.
	on, off := &setup{name: "relay", servers: 1, measure: true}, &setup{name: "direct", servers: 1}
	var ratios []float64
	for p := range o.pairs {
		first, second := off, on
		if p%2 == 1 {
			first, second = on, off
		}
		nOn, nOff := len(on.steps), len(off.steps)
		if err := measure(o, first, srv, p); err != nil {
			return err
		}
		if err := measure(o, second, srv, p); err != nil {
			return err
		}
		if len(on.steps) > nOn && len(off.steps) > nOff { // both runs of the pair succeeded
			ratios = append(ratios, on.steps[nOn]/off.steps[nOff])
		}
	}
	load1 := loadAvg()

	fmt.Fprintf(w, "### RPC backend, %s (%s)\n\n", time.Now().Format("2006-01-02"), machine(o))
	fmt.Fprintf(w, "benchtui throughput --model %s --num_requests %d --isl %d --osl %d --max_batch_size %d, %d threads (benchtui and each rpc-server); %d rounds, %s; load average %s before, %s after.\n\n",
		o.model, o.numRequests, o.isl, o.osl, o.batch, o.threads, o.repeats, time.Since(start).Round(time.Second), load0, load1)
	fmt.Fprintln(w, "| setup | decode-only step (ms) | vs local | every step (ms) | output tok/s | per server, over every step: sent / received, wait (share of step time) |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|")
	base := median(setups[0].steps)
	for _, s := range setups {
		st := median(s.steps)
		var per []string
		for i := range s.servers {
			var sent, recv, share, waitMS []float64
			for _, run := range s.hosts {
				if i < len(run) {
					sent, recv = append(sent, run[i].SentBytesPerStep), append(recv, run[i].RecvBytesPerStep)
					share, waitMS = append(share, run[i].WaitShare), append(waitMS, run[i].WaitMSPerStep)
				}
			}
			per = append(per, fmt.Sprintf("%s / %s, %.2f ms (%.0f%%)", human(median(sent)), human(median(recv)), median(waitMS), 100*median(share)))
		}
		fmt.Fprintf(w, "| %s | %.2f | %.2fx | %.2f | %.1f | %s |\n", s.name, st, st/base, median(s.all), median(s.tokS), strings.Join(per, "; "))
	}
	fmt.Fprintln(w, "\nStep times are medians over the rounds of each run's mean (decode-only steps: every token an output); per-server figures are medians over the rounds of the report's benchtui.rpc section.")
	if len(ratios) > 0 {
		fmt.Fprintf(w, "\nThe relay (one server, %d pairs with and without it, back to back): decode step %.2f ms with it, %.2f ms without; ratio median %.3f (min %.3f, max %.3f).\n",
			len(ratios), median(on.steps), median(off.steps), median(ratios), slices.Min(ratios), slices.Max(ratios))
	}
	for _, s := range append(setups, on, off) {
		for _, f := range s.failed {
			fmt.Fprintf(w, "\nFailed: %s\n", f)
		}
	}
	fmt.Fprintf(w, "\nRuns: %s\n", o.out)
	return nil
}

// measure runs one setup once and adds its figures.
func measure(o *options, s *setup, srv []*rpctest.Server, round int) error {
	tag := strings.ReplaceAll(s.name, " ", "-")
	rep := filepath.Join(o.out, fmt.Sprintf("%s-%d.json", tag, round))
	iter := filepath.Join(o.out, fmt.Sprintf("%s-%d.jsonl", tag, round))
	args := []string{"--model", o.model, "throughput", "--num_requests", strconv.Itoa(o.numRequests),
		"--isl", strconv.Itoa(o.isl), "--osl", strconv.Itoa(o.osl), "--max_batch_size", strconv.Itoa(o.batch),
		"--threads", strconv.Itoa(o.threads), "--report_json", rep, "--iteration_log", iter, "--quiet", "--stall_timeout", "60"}
	if s.servers > 0 {
		var hosts, split []string
		for i := range s.servers {
			hosts = append(hosts, srv[i].Addr)
			split = append(split, "1")
		}
		if o.gpu {
			split = append(split, "0") // the local GPU comes after the servers' devices
		}
		args = append(args, "--rpc", strings.Join(hosts, ","), "--tensor_split", strings.Join(split, ","),
			"--rpc_measure="+strconv.FormatBool(s.measure))
	}
	cmd := exec.Command(o.bin, args...)
	cmd.Env = append(os.Environ(), llamacpp.ThreadsEnv+"="+strconv.Itoa(o.threads))
	if out, err := cmd.CombinedOutput(); err != nil {
		// A failed run is counted and reported, not fatal: on a shared machine a run may
		// stall, and the others still say something.
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		why := fmt.Sprintf("%s round %d: %v: %s", s.name, round+1, err, lines[len(lines)-1])
		s.failed = append(s.failed, why)
		fmt.Fprintf(os.Stderr, "rpcbench: %s (output in %s)\n", why, o.out)
		os.WriteFile(filepath.Join(o.out, fmt.Sprintf("%s-%d.failed.txt", tag, round)), out, 0o644)
		return nil
	}
	ms, all, err := meanStepMS(iter)
	if err != nil {
		return err
	}
	var r struct {
		Performance struct {
			TokS float64 `json:"system_output_throughput_tok_s"`
		} `json:"performance"`
		BenchTUI struct {
			RPC *struct {
				Hosts []hostFig `json:"hosts"`
			} `json:"rpc"`
		} `json:"benchtui"`
	}
	data, err := os.ReadFile(rep)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, &r); err != nil {
		return fmt.Errorf("%s: %w", rep, err)
	}
	s.steps = append(s.steps, ms)
	s.all = append(s.all, all)
	s.tokS = append(s.tokS, r.Performance.TokS)
	if r.BenchTUI.RPC != nil {
		s.hosts = append(s.hosts, r.BenchTUI.RPC.Hosts)
	}
	fmt.Fprintf(os.Stderr, "rpcbench: %s round %d: %.2f ms a step, %.1f tok/s\n", s.name, round+1, ms, r.Performance.TokS)
	return nil
}

// meanStepMS is the mean duration of the iteration log's decode-only steps (every token
// an output), the steps whose cost the setups share, and of all its steps.
func meanStepMS(path string) (decode, all float64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	var sum, sumAll float64
	n, nAll := 0, 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var s struct {
			DurationNS int64 `json:"duration_ns"`
			NumTokens  int   `json:"num_tokens"`
			NumOutputs int   `json:"num_outputs"`
		}
		if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
			return 0, 0, fmt.Errorf("%s: %w", path, err)
		}
		ms := float64(s.DurationNS) / 1e6
		sumAll += ms
		nAll++
		if s.NumTokens == s.NumOutputs {
			sum += ms
			n++
		}
	}
	if n == 0 {
		return 0, 0, fmt.Errorf("%s: no decode-only steps", path)
	}
	return sum / float64(n), sumAll / float64(nAll), sc.Err()
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func human(b float64) string {
	switch {
	case b >= 1<<20:
		return fmt.Sprintf("%.2f MiB", b/(1<<20))
	case b >= 1<<10:
		return fmt.Sprintf("%.1f KiB", b/(1<<10))
	}
	return fmt.Sprintf("%.0f B", b)
}

func loadAvg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// machine describes the CPU (or, with --gpu, says the GPU run) for the report's heading.
func machine(o *options) string {
	cpu := runtime.GOARCH
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(data), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	desc := fmt.Sprintf("%s, %d cores", cpu, runtime.NumCPU())
	if o.gpu {
		if out, err := exec.Command("nvidia-smi", "--query-gpu=name", "--format=csv,noheader").Output(); err == nil {
			desc = strings.TrimSpace(strings.Split(string(out), "\n")[0]) + ", " + desc
		}
	}
	return desc
}
