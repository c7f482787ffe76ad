// Package session is a benchmark session: a model loaded once into llama.cpp and the runs made
// with it. It puts the parts together (the synthetic model writer, the llama.cpp backend, the
// dataset generator and the engine) so that the headless commands, the dashboard and sweeps
// run a benchmark the same way.
//
// A Session is used from one goroutine at a time: Run blocks until the run ends, and the
// dashboard runs it from a command goroutine while it reads the run's events.
package session

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/benchtui/benchtui/dataset"
	"github.com/benchtui/benchtui/engine"
	"github.com/benchtui/benchtui/engine/llamacpp"
	"github.com/benchtui/benchtui/report"
	"github.com/benchtui/benchtui/synth"
	"github.com/benchtui/benchtui/telemetry"
)

// InputError is a problem with what the user asked for (a model that does not exist, a dataset
// that does not fit the context): the commands report it as bad input with exit status 2.
type InputError struct{ Err error }

func (e InputError) Error() string { return e.Err.Error() }
func (e InputError) Unwrap() error { return e.Err }

func inputErr(format string, a ...any) error { return InputError{fmt.Errorf(format, a...)} }

// Options is what needs a model load when it changes.
type Options struct {
	// Model is a preset (with an optional :dtype) or a path to a GGUF file.
	Model string
	// ModelPath, when set, is the GGUF file to load; Model then only names it.
	ModelPath string
	// Seed makes synthetic weights (and generated datasets) reproducible.
	Seed uint64
	// Backend holds llama.cpp's settings, normalised by NormalizeBackend.
	Backend llamacpp.BackendOptions
	// TP spreads the model over that many GPUs with tensor split.
	TP      int
	Verbose bool
	// Hardware, when set, is sampled during runs and described in their reports.
	Hardware *Hardware `json:"-"`
	// InProcess runs llama.cpp in this process. By default it runs in a child process (this
	// program re-executed with ChildCommand), so that an abort or a crash in native code
	// ends the run, not the program.
	InProcess bool `json:"-"`
	// StallTimeout ends a run whose child sends nothing (no progress) for this long
	// (DefaultStallTimeout when 0).
	StallTimeout time.Duration `json:"-"`
	// ChildArgs is the command line of the backend child; nil re-executes this program with
	// ChildCommand. Tests point it at their own binary.
	ChildArgs []string `json:"-"`
	// Log, when set, records the backend process's starts and deaths (with the end of its
	// stderr).
	Log *log.Logger `json:"-"`
}

// DefaultStallTimeout is how long a backend child may go without a sign of progress.
const DefaultStallTimeout = 120 * time.Second

// Session is a loaded model.
type Session struct {
	opts      Options
	model     synth.Model
	modelFile string
	b         *llamacpp.Backend
	info      engine.BackendInfo
	shape     ctxShape
	// kvCapped is set when the cache sized from free memory was cut to what the run could
	// fill, so that a run needing more measures again.
	kvCapped bool
	roof     *telemetry.Roofline
	fault    *fault // injected failure (backend child under test)
	child    *child // the backend child process (nil in process)
}

// ctxShape is what the llama.cpp context was created with; a run with another shape
// recreates it.
type ctxShape struct{ nCtx, nBatch, nUBatch, nSeq int }

// Check validates the model named in o without loading anything: a preset that exists, or a
// file that exists and is GGUF. It returns the parsed model and the file to load ("" for a
// synthetic model not written yet).
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
		st, err := os.Stat(file)
		if err != nil {
			return model, "", inputErr("model file %s: %s", file, describeStatErr(err))
		}
		if st.IsDir() {
			return model, "", inputErr("model file %s is a folder: pass a .gguf file", file)
		}
		if err := checkGGUF(file); err != nil {
			return model, "", InputError{err}
		}
	}
	return model, file, nil
}

// Open writes the synthetic model if needed (reusing the cached file) and loads it, publishing
// loading events with progress on ev (which may be nil).
func Open(ctx context.Context, o Options, ev *engine.Events) (*Session, error) {
	if !o.InProcess {
		return openChild(ctx, o, ev)
	}
	model, file, err := Check(o)
	if err != nil {
		return nil, err
	}
	bo, err := o.normalizedBackend()
	if err != nil {
		return nil, err
	}
	lo := llamacpp.Options{
		Library:         bo.Library,
		ModelPath:       file,
		Threads:         bo.Threads,
		ThreadsBatch:    bo.ThreadsBatch,
		GPULayers:       *bo.GPULayers,
		SplitMode:       bo.SplitMode,
		MainGPU:         bo.MainGPU,
		FlashAttn:       bo.FlashAttn,
		KVType:          bo.KVCacheDType,
		KVUnified:       *bo.KVUnified,
		OffloadKQV:      *bo.OffloadKQV,
		BackendSampling: bo.BackendSampling,
		CUDAGraphs:      bo.CUDAGraphs,
		Verbose:         o.Verbose,
	}
	for _, v := range bo.TensorSplit {
		lo.TensorSplit = append(lo.TensorSplit, float32(v))
	}
	if err := tensorParallel(&lo, o.TP, bo); err != nil {
		return nil, err
	}
	// Written after the GPUs are counted: a --tp that cannot run must not first write a
	// synthetic model of a hundred gigabytes.
	if file == "" {
		file, err = synth.Ensure(ctx, model, o.Seed, loadingEvents(ev, model.String()))
		if err != nil {
			return nil, fmt.Errorf("write synthetic model %s: %w", model, err)
		}
	}
	lo.ModelPath = file
	loadMsg := "loading " + file
	b, err := llamacpp.Open(ctx, lo, func(frac float64) {
		ev.Publish(engine.Lifecycle{Phase: engine.PhaseLoading, Progress: frac, Message: loadMsg})
	})
	if err != nil {
		return nil, err
	}
	o.Backend = bo
	s := &Session{opts: o, model: model, modelFile: file, b: b, info: b.Info()}
	ev.Publish(engine.Lifecycle{Phase: engine.PhaseLoaded, Message: fmt.Sprintf("loaded %s (%s params) on %s",
		s.info.ModelName, HumanCount(int64(s.info.NParams)), s.info.RunsOn)})
	return s, nil
}

// Options returns the options the session was opened with, the backend's normalised.
func (s *Session) Options() Options { return s.opts }

// Info describes the backend and, after a run, its context.
func (s *Session) Info() engine.BackendInfo { return s.info }

// ModelFile is the GGUF file loaded.
func (s *Session) ModelFile() string { return s.modelFile }

// Model is the parsed model name (a preset and dtype, or a path).
func (s *Session) Model() synth.Model { return s.model }

// Close frees the model and context (and ends the backend child).
func (s *Session) Close() error {
	if s.child != nil {
		s.child.close()
		s.child = nil
		return nil
	}
	if s.b == nil {
		return nil
	}
	err := s.b.Close()
	s.b = nil
	return err
}

// Gen describes a generated token-norm-dist request set.
type Gen struct {
	NumRequests int
	ISL, OSL    int
	// ISLStdev and OSLStdev are standard deviations in tokens; 0 gives fixed lengths.
	ISLStdev, OSLStdev int
	Seed               uint64
}

// Spec is one run.
type Spec struct {
	// Requests, when not nil, are the requests to run (prompts not yet tokenized are
	// tokenized by the model); otherwise Gen makes them.
	Requests    []dataset.Request
	Gen         Gen
	DatasetPath string
	// SkippedLines is how many bad dataset lines were skipped, for the report.
	SkippedLines int
	// Engine is the engine configuration; MaxSeqLen 0 means the longest request.
	Engine engine.Config
	// KVFreeMemFraction, when above 0, sizes a unified KV cache from free memory.
	KVFreeMemFraction float64
	// Events receives the run's events; nil discards them.
	Events *engine.Events
	// IterationLogPath, when set, receives one JSON line per decode step.
	IterationLogPath string
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
	// Telemetry holds the hardware samples of the run (empty without Options.Hardware).
	Telemetry telemetry.Recording
	// Err is why the run ended early (engine.ErrCanceled wrapped for a cancel); nil when
	// every request ran.
	Err error
}

// Prepare makes and checks the requests and the engine configuration of spec, and creates or
// reuses a llama.cpp context that fits them. Errors are InputErrors where the spec is at fault.
func (s *Session) Prepare(spec Spec) ([]dataset.Request, engine.Config, error) {
	if s.b == nil {
		return nil, engine.Config{}, errors.New("session is closed")
	}
	reqs := spec.Requests
	if reqs == nil {
		n := spec.Gen.NumRequests
		if n == 0 {
			n = 64
		}
		var err error
		reqs, _, err = dataset.GenerateNormal(dataset.NormalOptions{
			GenerateOptions: dataset.GenerateOptions{NumRequests: n, VocabSize: s.info.NVocab, EOS: s.info.EOS, Seed: spec.Gen.Seed},
			InputMean:       spec.Gen.ISL, InputStdev: spec.Gen.ISLStdev,
			OutputMean: spec.Gen.OSL, OutputStdev: spec.Gen.OSLStdev,
		})
		if err != nil {
			return nil, engine.Config{}, inputErr("generate dataset: %w", err)
		}
	}
	if err := dataset.TokenizePrompts(reqs, s.b); err != nil {
		return nil, engine.Config{}, inputErr("dataset %s: %w", spec.DatasetPath, err)
	}
	if err := dataset.Validate(reqs, s.info.NVocab); err != nil {
		return nil, engine.Config{}, inputErr("dataset %s: %w", spec.DatasetPath, err)
	}
	cfg := spec.Engine
	if cfg.MaxBatchSize > llamacpp.MaxSequences {
		return nil, engine.Config{}, inputErr("max_batch_size is %d: llama.cpp decodes at most %d sequences at once", cfg.MaxBatchSize, llamacpp.MaxSequences)
	}
	if cfg.MaxSeqLen == 0 {
		for i := range reqs {
			cfg.MaxSeqLen = max(cfg.MaxSeqLen, len(reqs[i].InputIDs)+reqs[i].OutputTokens)
		}
	}
	shape := ctxShape{nCtx: cfg.MaxBatchSize * cfg.MaxSeqLen, nBatch: cfg.MaxNumTokens, nUBatch: s.opts.Backend.NUBatch, nSeq: cfg.MaxBatchSize}
	if spec.KVFreeMemFraction > 0 {
		need := shape.nCtx
		if s.shape.nCtx > 0 && s.shape.nBatch == shape.nBatch && s.shape.nSeq == shape.nSeq && cfg.KVCapacity == 0 &&
			!(s.kvCapped && s.shape.nCtx < need) {
			// The cache sized from free memory is kept: measuring free memory again with
			// it allocated would shrink it run by run.
			shape.nCtx = s.shape.nCtx
		} else {
			cells, err := kvCellsFromMemory(s.info, spec.KVFreeMemFraction, s.opts.Backend.KVCacheDType)
			if err != nil {
				return nil, engine.Config{}, err
			}
			// No more cells than max_batch_size sequences of max_seq_len can fill: the
			// rest would never be used, and on the CPU a fraction of free host memory
			// (trtllm-bench's 0.9 in a copied config) is most of the machine.
			shape.nCtx, s.kvCapped = min(cells, need), cells > need
		}
		cfg.KVCapacity = shape.nCtx
	}
	if err := engine.Validate(reqs, cfg, s.info.NVocab); err != nil {
		return nil, engine.Config{}, InputError{err}
	}
	if shape != s.shape {
		if err := s.b.CreateContext(shape.nCtx, shape.nBatch, shape.nUBatch, shape.nSeq); err != nil {
			s.shape = ctxShape{}
			return nil, engine.Config{}, err
		}
		s.shape = shape
		s.info = s.b.Info()
	}
	if cfg.KVCapacity == 0 && s.info.NCtxSeq < cfg.MaxSeqLen {
		return nil, engine.Config{}, fmt.Errorf("llama.cpp gave each sequence %d KV cells, fewer than max_seq_len %d", s.info.NCtxSeq, cfg.MaxSeqLen)
	}
	return reqs, cfg, nil
}

// Run prepares spec and runs it to the end, or until ctx ends. It returns an error only when
// the run could not start; a run that started returns a Run whose Err says how it ended, with
// every finished request in its records. It publishes the run's final lifecycle event
// (finished, failed or canceled) on spec.Events.
func (s *Session) Run(ctx context.Context, spec Spec) (*Run, error) {
	if !s.opts.InProcess {
		return s.runChild(ctx, spec)
	}
	reqs, cfg, err := s.Prepare(spec)
	if err != nil {
		return nil, err
	}
	if spec.IterationLogPath != "" {
		f, err := os.Create(spec.IterationLogPath)
		if err != nil {
			return nil, inputErr("iteration log: %w", err)
		}
		defer f.Close()
		cfg.IterationLog = f
	}
	var b engine.Backend = s.b
	if s.fault != nil {
		b = &faultBackend{Backend: s.b, f: s.fault}
	}
	hw := s.opts.Hardware
	if hw != nil {
		roof := s.roofline(ctx)
		wb, kvb := float64(s.info.SizeBytes), kvBytesPerToken(s.info, "")
		if roof.BandwidthBytesPerSec > 0 {
			cfg.SpeedOfLight = func(batch int, contextTokens int64) float64 {
				return roof.DecodeTokensPerSec(wb, kvb, batch, contextTokens)
			}
		}
		hw.Monitor.SampleNow()
	}
	r := &Run{Spec: spec, Requests: reqs, Config: cfg, Stats: report.DatasetStats(reqs), Info: s.info, Start: time.Now()}
	ev := spec.Events
	r.Result, r.Err = engine.Run(ctx, b, reqs, cfg, ev)
	r.End = time.Now()
	if hw != nil {
		hw.Monitor.SampleNow()
		r.Telemetry = onlyGPUs(hw.Monitor.Window(r.Start, r.End), hw.usedGPUs(s.info, s.opts.TP))
	}
	if r.Err != nil {
		// Requests cut short still hold KV cells: the next run starts on a fresh context.
		s.shape = ctxShape{}
	}
	switch {
	case r.Err == nil:
		ev.Publish(engine.Lifecycle{Phase: engine.PhaseFinished, Completed: len(r.Result.Records), Total: len(reqs)})
	case errors.Is(r.Err, engine.ErrCanceled):
		ev.Publish(engine.Lifecycle{Phase: engine.PhaseCanceled, Error: r.Err.Error()})
	default:
		ev.Publish(engine.Lifecycle{Phase: engine.PhaseFailed, Error: r.Err.Error()})
	}
	return r, nil
}

// roofline is the session's bandwidth bound, found once.
func (s *Session) roofline(ctx context.Context) telemetry.Roofline {
	if s.roof == nil {
		r := s.opts.Hardware.roofline(ctx, s.info, s.opts.TP)
		s.roof = &r
	}
	return *s.roof
}

// ReportExtra is what the report needs beyond the run: the caller's names for things.
type ReportExtra struct {
	// Config is the full configuration written under benchtui.config.
	Config    any
	Streaming bool
	PP        int
	Version   string
}

// Report builds the run's trtllm-bench-compatible report.
func (s *Session) Report(r *Run, x ReportExtra) report.Report {
	info := r.Info
	preset, dtype := s.model.Preset, string(s.model.DType)
	modelName := info.ModelName
	if preset != "" {
		// The name the model was given: a Hugging Face id, a folder, or the preset's.
		modelName = s.model.DisplayName()
	}
	if dtype == "" {
		dtype = "unknown"
	}
	var kvPct *float64
	if r.Spec.KVFreeMemFraction > 0 {
		f := r.Spec.KVFreeMemFraction
		kvPct = &f
	}
	tp := max(s.opts.TP, 1)
	seed := r.Spec.Gen.Seed
	if r.Spec.Requests != nil {
		seed = s.opts.Seed
	}
	rep := report.Build(report.Input{
		Records: r.Result.Records,
		Engine: report.Engine{
			Model: modelName, ModelPath: s.modelFile, EngineDir: filepath.Dir(info.Library),
			Version: info.Version, Backend: info.Backend, Dtype: dtype, KVCacheDtype: info.KVType,
			Quantization: quantization(dtype),
		},
		Machine: machineOf(info),
		World: report.World{
			TPSize: tp, PPSize: max(x.PP, 1), MaxBatchSize: r.Config.MaxBatchSize, MaxNumTokens: r.Config.MaxNumTokens,
			SchedulingPolicy: "fcfs", KVCachePercentage: kvPct,
		},
		Dataset:          datasetSection(r.Stats, r.Spec.SkippedLines),
		DatasetPath:      r.Spec.DatasetPath,
		Streaming:        x.Streaming,
		Config:           x.Config,
		Seed:             int64(seed),
		Preset:           preset,
		SyntheticWeights: !s.model.IsFile(),
		Version:          x.Version,
		LlamaCppCommit:   info.Commit,
		Warmup:           r.Result.WarmupRequests,
	})
	if hw := s.opts.Hardware; hw != nil {
		hr := &report.Hardware{
			Machine: hw.Machine,
			Note:    hw.Note,
			Summary: telemetry.Summarize(r.Telemetry, rep.BenchTUI.TotalOutputTokens),
			Series:  telemetry.NewSeries(r.Telemetry),
		}
		if s.roof != nil {
			hr.SpeedOfLight = report.NewSpeedOfLight(*s.roof, float64(info.SizeBytes), kvBytesPerToken(info, ""), r.Result.Series, rep.Performance.SystemOutputThroughputTokS)
		}
		rep.SetHardware(hr)
		if rep.Machine != nil {
			for _, g := range hw.Machine.GPUs {
				if g.MemoryClockMaxMHz > 0 {
					ghz := float64(g.MemoryClockMaxMHz) / 1000
					rep.Machine.MemClockGHz = &ghz
				}
				break
			}
		}
	}
	return rep
}

// normalizedBackend is o.Backend with its defaults filled, unless the caller did already.
func (o Options) normalizedBackend() (llamacpp.BackendOptions, error) {
	bo := o.Backend
	if bo.GPULayers != nil && bo.OffloadKQV != nil && bo.KVUnified != nil {
		return bo, nil
	}
	bo, err := NormalizeBackend(bo)
	if err != nil {
		return bo, InputError{err}
	}
	return bo, nil
}

// NormalizeBackend fills the defaults that depend on other settings and checks the names.
func NormalizeBackend(o llamacpp.BackendOptions) (llamacpp.BackendOptions, error) {
	if o.KVCacheFreeMemFraction < 0 || o.KVCacheFreeMemFraction > 1 {
		return o, fmt.Errorf("kv_cache_free_gpu_mem_fraction is %g: it must be between 0 and 1", o.KVCacheFreeMemFraction)
	}
	if o.GPULayers == nil {
		all := -1
		o.GPULayers = &all
	}
	if o.OffloadKQV == nil {
		t := true
		o.OffloadKQV = &t
	}
	if o.KVUnified == nil {
		// A unified cache is needed when its size comes from free memory (shared cells);
		// otherwise each sequence has its own max_seq_len cells, as llama-batched-bench does.
		u := o.KVCacheFreeMemFraction > 0
		o.KVUnified = &u
	}
	lo := llamacpp.Options{SplitMode: o.SplitMode, FlashAttn: o.FlashAttn, KVType: o.KVCacheDType}
	if err := llamacpp.CheckOptions(&lo); err != nil {
		return o, err
	}
	return o, nil
}

// tensorParallel spreads the model over tp GPUs with llama.cpp's tensor split mode.
func tensorParallel(lo *llamacpp.Options, tp int, o llamacpp.BackendOptions) error {
	if tp <= 1 {
		// --tp 1 means one GPU, as in trtllm-bench: without a split mode of the user's,
		// llama.cpp would spread the layers over every GPU it sees.
		if o.SplitMode == "" {
			lo.SplitMode = "none"
		}
		return nil
	}
	devs, err := llamacpp.Devices(lo.Library, lo.CUDAGraphs)
	if err != nil {
		return err
	}
	gpus := 0
	for _, d := range devs {
		if d.Type == "gpu" {
			gpus++
		}
	}
	if gpus < tp {
		if gpus <= 1 {
			return inputErr("--tp %d needs %d GPUs, llama.cpp sees %d: give --tp 1 (one GPU, or the CPU)", tp, tp, gpus)
		}
		return inputErr("--tp %d needs %d GPUs, llama.cpp sees %d: give --tp %d or less", tp, tp, gpus, gpus)
	}
	if o.SplitMode == "" {
		lo.SplitMode = "tensor"
	}
	if len(lo.TensorSplit) == 0 {
		lo.TensorSplit = make([]float32, gpus)
		for i := 0; i < tp; i++ {
			lo.TensorSplit[i] = 1
		}
	}
	return nil
}

// kvCellsFromMemory sizes a unified KV cache from a fraction of the free memory of the device
// that holds it (the first GPU, or host RAM on the CPU).
func kvCellsFromMemory(info engine.BackendInfo, frac float64, kvType string) (int, error) {
	var free uint64
	for _, d := range info.Devices {
		if d.Type == "gpu" && info.GPULayers != 0 {
			free = d.FreeBytes
			break
		}
	}
	if free == 0 {
		free = hostAvailable()
	}
	if info.NHead == 0 || free == 0 {
		return 0, inputErr("cannot size the KV cache from free memory: unknown free memory; pass --max_seq_len instead")
	}
	perCell := kvBytesPerToken(info, kvType)
	cells := int(frac * float64(free) / perCell)
	if cells < 256 {
		return 0, inputErr("only %d KV cells fit in %.0f%% of %d MiB free", cells, frac*100, free>>20)
	}
	return cells, nil
}

func hostAvailable() uint64 {
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	var kb uint64
	for _, line := range strings.Split(string(data), "\n") {
		if n, _ := fmt.Sscanf(line, "MemAvailable: %d kB", &kb); n == 1 {
			return kb << 10
		}
	}
	return 0
}

func quantization(dtype string) string {
	switch dtype {
	case "q8_0", "q4_0":
		return dtype
	}
	return "none"
}

// machineOf fills trtllm-bench's machine section from the first GPU (null on the CPU).
func machineOf(info engine.BackendInfo) *report.Machine {
	if info.GPULayers == 0 {
		return nil
	}
	for _, d := range info.Devices {
		if d.Type == "gpu" {
			gb := float64(d.TotalBytes) / (1 << 30)
			return &report.Machine{Name: d.Description, MemoryTotalGB: &gb}
		}
	}
	return nil
}

// datasetSection adds the skipped-line count to the dataset statistics.
func datasetSection(stats report.Dataset, skipped int) *report.Dataset {
	stats.SkippedLines = skipped
	return &stats
}

// checkGGUF refuses a file that is not GGUF before llama.cpp is asked to load it.
func checkGGUF(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("model file %s: %s", path, describeStatErr(err))
	}
	defer f.Close()
	var magic [4]byte
	if _, err := io.ReadFull(f, magic[:]); err != nil || string(magic[:]) != "GGUF" {
		return fmt.Errorf("model file %s is not a GGUF file (it does not start with \"GGUF\"): pass a .gguf model or a preset name", path)
	}
	return nil
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
