// Command benchtui benchmarks LLM inference on llama.cpp with trtllm-bench's flags, file
// formats and metrics.
//
//	benchtui [flags]                          the dashboard (interactive)
//	benchtui replay FILE.json                 a saved run in the dashboard
//	benchtui [--model M] throughput [flags]   headless throughput run
//	benchtui [--model M] latency [flags]      batch size 1, one request at a time
//	benchtui report FILE.json... --html F     a self-contained HTML report of runs or a sweep
//	benchtui prepare-dataset ...              write a synthetic dataset (prepare_dataset.py)
//	benchtui models [--write SPEC]            list the synthetic model presets, or write one
//	benchtui rpc-server [flags]               llama.cpp's rpc-server, for --rpc on another host
//	benchtui version
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/benchtui/benchtui/session"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// Exit statuses (README's Exit codes): 0 success, exitFailed for a run that failed,
// exitUsage for bad input or settings (anything found before a run starts: flags, files,
// datasets, models, memory), exitInterrupted after Ctrl-C with the results that finished
// kept.
const (
	exitFailed = 1
	exitUsage  = 2
)

// usageError marks an error caused by the user's input (exit status 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func badInput(format string, a ...any) error { return usageError{fmt.Errorf(format, a...)} }

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	// trtllm-bench takes --model before the subcommand: lift such root flags out.
	var root []string
	for len(args) > 0 && strings.HasPrefix(args[0], "-") && !isHelp(args[0]) {
		name := strings.ReplaceAll(strings.TrimLeft(args[0], "-"), "-", "_")
		if strings.Contains(name, "=") || rootBoolFlags[name] {
			root = append(root, args[0])
			args = args[1:]
			continue
		}
		if len(args) < 2 {
			break
		}
		root = append(root, args[0], args[1])
		args = args[2:]
	}
	cmd := "dashboard"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	} else if len(args) > 0 && isHelp(args[0]) {
		printUsage(stdout)
		return 0
	}
	args = append(root, args...)
	var err error
	switch cmd {
	case session.ChildCommand:
		return session.RunChild(version)
	case "dashboard":
		err = runDashboard(args, stdout, stderr)
	case "replay":
		err = runReplay(args, stdout, stderr)
	case "sweep":
		err = runSweep(args, stdout, stderr)
	case "compare":
		err = runCompare(args, stdout, stderr)
	case "report":
		err = runReport(args, stdout, stderr)
	case "throughput":
		err = runBench(args, stdout, stderr, false)
	case "latency":
		err = runBench(args, stdout, stderr, true)
	case "prepare-dataset", "prepare_dataset":
		err = runPrepareDataset(args, stdout, stderr)
	case "models":
		err = runModels(args, stdout, stderr)
	case "rpc-server", "rpc_server":
		err = runRPCServer(args, stdout, stderr)
	case "version":
		fmt.Fprintf(stdout, "benchtui %s\n", version)
		return 0
	case "help":
		printUsage(stdout)
		return 0
	default:
		err = badInput("unknown command %q: want dashboard, replay, throughput, latency, sweep, compare, report, prepare-dataset, models, rpc-server or version", cmd)
	}
	if err == nil {
		return 0
	}
	if errors.Is(err, errHelpShown) {
		return 0
	}
	fmt.Fprintf(stderr, "benchtui: %s\n", oneLine(err.Error()))
	var ue usageError
	var ie interruptedError
	switch {
	case errors.As(err, &ie):
		return exitInterrupted
	case errors.As(err, &ue):
		return exitUsage
	}
	return exitFailed
}

// rootBoolFlags are the flags without a value that may come before the subcommand.
var rootBoolFlags = map[string]bool{"verbose": true, "streaming": true, "skip_bad_lines": true, "quiet": true, "run": true, "static_batching": true, "in_process": true, "rpc_measure": true}

var errHelpShown = errors.New("help shown")

func isHelp(s string) bool { return s == "-h" || s == "--help" || s == "-help" }

func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}

func printUsage(w io.Writer) {
	fmt.Fprint(w, `benchtui benchmarks LLM inference on llama.cpp (trtllm-bench compatible).

Usage:
  benchtui [flags]                          the dashboard: live charts, controls, export (the default)
  benchtui replay FILE.json                 open an exported run (or a report) in the dashboard
  benchtui [--model M] throughput [flags]   headless throughput run
  benchtui [--model M] latency [flags]      one request at a time, batch size 1
  benchtui sweep [flags]                    a grid of batch sizes, ISL, OSL, concurrency and backend options
  benchtui compare A.json B.json [...]      reports side by side with changes in percent
  benchtui report FILE.json... --html F     a self-contained HTML report of a run, a sweep or a comparison
  benchtui prepare-dataset [flags] token-norm-dist|token-unif-dist [flags]
  benchtui models [--write SPEC]            list synthetic model presets, or write one and print its path
  benchtui rpc-server [--host --port ...]   lend this machine's devices to a run elsewhere (--rpc there)
  benchtui version

--model takes a preset (tiny, llama-3.1-8b, llama-3.1-8b:q4_0, ...) or a GGUF file.
Run "benchtui dashboard --help" for the dashboard's flags, "benchtui throughput --help" for the headless ones.
`)
}
