// Package session is a loaded engine and the runs made with it: the one API that the
// headless commands, the dashboard and sweeps use. It puts the parts together (the synthetic
// model writer, the llama.cpp backend, the dataset generator and the engine) so that every
// command runs a benchmark the same way.
//
// Session is an interface with two implementations. The local one runs the backend in this
// process. The child one runs it in a backend process (this program re-executed with
// ChildCommand) that talks a framed protocol on pipes of its own, so that an abort, a fault
// or a hang in native code ends the run, not the program; the backend process dies with its
// parent. Both produce the same Runs, records and events.
//
// What crosses the process boundary are the types themselves: Options and Spec go to the
// backend process as they are, engine events and records come back. What cannot travel is
// kept apart from them: Env (the hardware monitor, the log, how the backend process runs)
// stays with the caller, and engine.Hooks (writers and functions) are made by the process
// that runs the engine.
//
// A Session is used from one goroutine at a time, except for Abort: Run blocks until the run
// ends, and the dashboard runs it from a command goroutine while it reads the run's events.
package session

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/benchtui/benchtui/dataset"
	"github.com/benchtui/benchtui/engine"
	"github.com/benchtui/benchtui/engine/llamacpp"
	"github.com/benchtui/benchtui/report"
	"github.com/benchtui/benchtui/synth"
	"github.com/benchtui/benchtui/telemetry"
)

// Session is a loaded model and the runs made with it.
type Session interface {
	// Options returns the options the session was opened with, the backend's normalised.
	Options() Options
	// Info describes the backend and, after a run, its context.
	Info() engine.BackendInfo
	// Model is the parsed model name (a preset and dtype, or a path).
	Model() synth.Model
	// ModelFile is the GGUF file loaded.
	ModelFile() string
	// Run prepares spec and runs it to the end, or until ctx ends, publishing its events on
	// ev (which may be nil). It returns an error only when the run could not start (an
	// InputError where spec is at fault); a run that started returns a Run whose Err says
	// how it ended, with every finished request in its records. The run's final lifecycle
	// event (finished, failed or canceled) is published on ev.
	Run(ctx context.Context, spec Spec, ev *engine.Events) (*Run, error)
	// Abort ends the current run at once, without waiting for the backend to stop at a step
	// boundary: the backend process is killed, and Run returns what had finished, as
	// canceled. It may be called from any goroutine. It reports false when it cannot (native
	// code in this process cannot be interrupted).
	Abort() bool
	// Report builds a run's trtllm-bench-compatible report.
	Report(r *Run, x ReportExtra) report.Report
	// Close frees the model and context, and ends the backend process.
	Close() error
}

// Options is what a backend needs to load a model; a change of any of them needs a model
// load. Options travel to the backend process as they are.
type Options struct {
	// Model is a preset (with an optional :dtype) or a path to a GGUF file.
	Model string `json:"model"`
	// ModelPath, when set, is the GGUF file to load; Model then only names it.
	ModelPath string `json:"model_path,omitempty"`
	// Seed makes synthetic weights (and generated datasets) reproducible.
	Seed uint64 `json:"seed"`
	// Backend holds llama.cpp's settings, normalised by NormalizeBackend.
	Backend llamacpp.BackendOptions `json:"backend"`
	// TP spreads the model over that many GPUs with tensor split.
	TP      int  `json:"tp,omitempty"`
	Verbose bool `json:"verbose,omitempty"`
}

// Env is the side of a session that stays with the caller: what watches the runs and how
// the backend runs. None of it reaches a backend process.
type Env struct {
	// Hardware, when set, is sampled during runs and described in their reports.
	Hardware *Hardware
	// Log, when set, receives the backend process's starts and deaths and everything it
	// writes to stderr.
	Log *log.Logger
	// InProcess runs llama.cpp in this process. By default it runs in a backend process, so
	// that an abort or a crash in native code ends the run, not the program.
	InProcess bool
	// StallTimeout ends a run whose backend process goes this long without a sign of progress
	// (DefaultStallTimeout when 0). A step that computes is progress, however long it takes.
	StallTimeout time.Duration
	// ChildArgs is the command line of the backend process; nil re-executes this program with
	// ChildCommand. Tests point it at their own binary.
	ChildArgs []string
}

// DefaultStallTimeout is how long a backend process may go without a sign of progress.
const DefaultStallTimeout = 120 * time.Second

func (e Env) stallTimeout() time.Duration {
	if e.StallTimeout > 0 {
		return e.StallTimeout
	}
	return DefaultStallTimeout
}

// Open writes the synthetic model if needed (reusing the cached file) and loads it, in a
// backend process unless env.InProcess, publishing loading events with progress on ev
// (which may be nil).
func Open(ctx context.Context, o Options, env Env, ev *engine.Events) (Session, error) {
	if env.InProcess {
		l, err := openLocal(ctx, o, ev)
		if err != nil {
			return nil, err
		}
		l.env = env
		return l, nil
	}
	return openChild(ctx, o, env, ev)
}

// InputError is a problem with what the user asked for (a model that does not exist, a dataset
// that does not fit the context): the commands report it as bad input with exit status 2.
type InputError struct{ Err error }

func (e InputError) Error() string { return e.Err.Error() }
func (e InputError) Unwrap() error { return e.Err }

func inputErr(format string, a ...any) error { return InputError{fmt.Errorf(format, a...)} }

// Check validates the model named in o without loading anything: a preset that exists, or a
// GGUF file that exists, is whole and is one llama.cpp can read (see readGGUF). It returns
// the parsed model and the file to load ("" for a synthetic model not written yet).
func Check(o Options) (synth.Model, string, error) {
	model, err := synth.ParseModel(o.Model)
	if err != nil {
		return model, "", InputError{err}
	}
	file := o.ModelPath
	if file == "" && model.IsFile() {
		file = model.Path
	}
	if file != "" {
		if _, err := readGGUFFile(file); err != nil {
			return model, "", InputError{err}
		}
	}
	return model, file, nil
}

// Gen describes a generated token-norm-dist request set.
type Gen struct {
	NumRequests int `json:"num_requests"`
	ISL         int `json:"isl"`
	OSL         int `json:"osl"`
	// ISLStdev and OSLStdev are standard deviations in tokens; 0 gives fixed lengths.
	ISLStdev int    `json:"isl_stdev,omitempty"`
	OSLStdev int    `json:"osl_stdev,omitempty"`
	Seed     uint64 `json:"seed"`
}

// Spec is one run. It travels to the backend process as it is.
type Spec struct {
	// Requests, when not nil, are the requests to run (prompts not yet tokenized are
	// tokenized by the model); otherwise Gen makes them.
	Requests    []dataset.Request `json:"requests,omitempty"`
	Gen         Gen               `json:"gen"`
	DatasetPath string            `json:"dataset_path,omitempty"`
	// SkippedLines is how many bad dataset lines were skipped, for the report.
	SkippedLines int `json:"skipped_lines,omitempty"`
	// Engine is the engine configuration; MaxSeqLen 0 means the longest request.
	Engine engine.Config `json:"engine"`
	// KVFreeMemFraction, when above 0, sizes a unified KV cache from free memory.
	KVFreeMemFraction float64 `json:"kv_free_mem_fraction,omitempty"`
	// IterationLogPath, when set, receives one JSON line per decode step; the process that
	// runs the engine writes it.
	IterationLogPath string `json:"iteration_log,omitempty"`
}

// Run is a finished (or failed, or canceled) run.
type Run struct {
	Spec     Spec
	Requests []dataset.Request
	Config   engine.Config
	Stats    report.Dataset
	Result   *engine.Result
	// Info is the backend with the context this run used.
	Info       engine.BackendInfo
	Start, End time.Time
	// Telemetry holds the hardware samples of the run (empty without Env.Hardware).
	Telemetry telemetry.Recording
	// Err is why the run ended early (engine.ErrCanceled wrapped for a cancel); nil when
	// every request ran.
	Err error
}

// base is what both implementations share: what was loaded, and the hardware around runs.
type base struct {
	opts      Options
	env       Env
	model     synth.Model
	modelFile string
	info      engine.BackendInfo
	roof      *telemetry.Roofline
}

func (b *base) Options() Options         { return b.opts }
func (b *base) Info() engine.BackendInfo { return b.info }
func (b *base) ModelFile() string        { return b.modelFile }
func (b *base) Model() synth.Model       { return b.model }

// roofline is the session's bandwidth bound, found once; nil without hardware or a known
// bandwidth.
func (b *base) roofline(ctx context.Context) *telemetry.Roofline {
	hw := b.env.Hardware
	if hw == nil {
		return nil
	}
	if b.roof == nil {
		r := hw.roofline(ctx, b.info, b.opts.TP)
		b.roof = &r
	}
	if b.roof.BandwidthBytesPerSec <= 0 {
		return nil
	}
	return b.roof
}

// startRun samples the hardware at the start of a run and returns the roofline to apply.
func (b *base) startRun(ctx context.Context) *telemetry.Roofline {
	roof := b.roofline(ctx)
	if hw := b.env.Hardware; hw != nil {
		hw.Monitor.SampleNow()
	}
	return roof
}

// endRun samples the hardware at the end of r and keeps the run's window of samples.
func (b *base) endRun(r *Run) {
	if hw := b.env.Hardware; hw != nil {
		hw.Monitor.SampleNow()
		r.Telemetry = onlyGPUs(hw.Monitor.Window(r.Start, r.End), hw.usedGPUs(b.info, b.opts.TP))
	}
}

// speedOfLightHook is the engine hook that gives snapshots their speed of light.
func speedOfLightHook(roof *telemetry.Roofline, info engine.BackendInfo) func(int, int64) float64 {
	if roof == nil || roof.BandwidthBytesPerSec <= 0 {
		return nil
	}
	r, wb, kvb := *roof, float64(info.SizeBytes), kvBytesPerToken(info, "")
	return func(batch int, contextTokens int64) float64 {
		return r.DecodeTokensPerSec(wb, kvb, batch, contextTokens)
	}
}

// publishEnd publishes a run's final lifecycle event.
func publishEnd(ev *engine.Events, r *Run, total int) {
	switch {
	case r.Err == nil:
		ev.Publish(engine.Lifecycle{Phase: engine.PhaseFinished, Completed: len(r.Result.Records), Total: total})
	case errors.Is(r.Err, engine.ErrCanceled):
		ev.Publish(engine.Lifecycle{Phase: engine.PhaseCanceled, Error: r.Err.Error()})
	default:
		ev.Publish(engine.Lifecycle{Phase: engine.PhaseFailed, Error: r.Err.Error()})
	}
}

func describeStatErr(err error) string {
	if errors.Is(err, os.ErrNotExist) {
		return "no such file (pass a GGUF file, or a preset name: see benchtui models)"
	}
	if errors.Is(err, os.ErrPermission) {
		return "permission denied"
	}
	return err.Error()
}

// loadingEvents turns the synthetic model writer's progress into loading events, at most one
// per percent. A first call that is already complete means the cached file was reused.
func loadingEvents(ev *engine.Events, model string) func(done, total int64) {
	last := int64(-1)
	msg := ""
	return func(done, total int64) {
		if total <= 0 {
			return
		}
		live.tick()
		if msg == "" {
			msg = "writing synthetic model " + model
			if done >= total {
				msg = "using cached synthetic model " + model
			}
		}
		if pct := done * 100 / total; pct != last {
			last = pct
			ev.Publish(engine.Lifecycle{Phase: engine.PhaseLoading, Progress: float64(done) / float64(total), Message: msg})
		}
	}
}

// HumanCount writes a parameter count as 4.2M or 8.03B.
func HumanCount(n int64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.2fB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.1fM", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1fK", float64(n)/1e3)
	}
	return fmt.Sprint(n)
}
