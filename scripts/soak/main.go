// Command soak runs many short requests through one session on the tiny model, run after run
// as the dashboard does, and prints the memory of this process and of the backend process
// after each block: both must stay flat (no growth with the number of requests run).
//
//	go run ./scripts/soak [-requests 100000] [-per_run 2000] [-in_process]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"

	"github.com/benchtui/benchtui/engine"
	"github.com/benchtui/benchtui/engine/llamacpp"
	"github.com/benchtui/benchtui/session"
)

func main() {
	total := flag.Int("requests", 100000, "requests in all")
	perRun := flag.Int("per_run", 2000, "requests per run")
	inProcess := flag.Bool("in_process", false, "run llama.cpp in this process")
	flag.Parse()
	if len(os.Args) > 1 && os.Args[1] == session.ChildCommand {
		os.Exit(session.RunChild("soak"))
	}
	if err := run(*total, *perRun, *inProcess); err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
}

func run(total, perRun int, inProcess bool) error {
	bo, err := session.NormalizeBackend(llamacpp.BackendOptions{Threads: runtime.NumCPU()})
	if err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	s, err := session.Open(context.Background(), session.Options{Model: "tiny", Seed: 1, Backend: bo},
		session.Env{InProcess: inProcess, ChildArgs: []string{exe, session.ChildCommand}}, nil)
	if err != nil {
		return err
	}
	defer s.Close()
	fmt.Printf("%10s %10s %14s %14s %12s\n", "requests", "tok/s", "parent RSS MiB", "child RSS MiB", "Go heap MiB")
	first := [2]float64{}
	var last [2]float64
	for done, i := 0, 0; done < total; i++ {
		n := min(perRun, total-done)
		r, err := s.Run(context.Background(), session.Spec{
			Gen: session.Gen{NumRequests: n, ISL: 8, ISLStdev: 4, OSL: 4, OSLStdev: 2, Seed: uint64(i)},
			// max_seq_len follows each run's longest request, so the context is made again
			// for most runs: the soak covers that path too.
			Engine: engine.Config{MaxBatchSize: 32, MaxNumTokens: 512, Concurrency: -1, EOSID: -1},
		}, nil)
		if err != nil {
			return err
		}
		if r.Err != nil {
			return fmt.Errorf("run %d: %w", i, r.Err)
		}
		done += n
		rep := s.Report(r, session.ReportExtra{})
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		parent := rssMiB(os.Getpid())
		child := 0.0
		if c, ok := s.(interface{ ChildPID() int }); ok && c.ChildPID() > 0 {
			pid := c.ChildPID()
			child = rssMiB(pid)
		}
		if i == 4 { // after the first runs have warmed everything up
			first = [2]float64{parent, child}
		}
		last = [2]float64{parent, child}
		if i%5 == 4 || done == total {
			fmt.Printf("%10d %10.0f %14.1f %14.1f %12.1f\n", done, rep.Performance.SystemOutputThroughputTokS, parent, child, float64(ms.HeapInuse)/(1<<20))
		}
	}
	fmt.Printf("growth from the 5th run to the last: parent %+.1f MiB, child %+.1f MiB\n", last[0]-first[0], last[1]-first[1])
	return nil
}

// rssMiB reads a process's resident set from /proc.
func rssMiB(pid int) float64 {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			return float64(kb) / 1024
		}
	}
	return 0
}
