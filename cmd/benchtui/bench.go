package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/benchtui/benchtui/dataset"
	"github.com/benchtui/benchtui/engine"
	"github.com/benchtui/benchtui/engine/llamacpp"
	"github.com/benchtui/benchtui/synth"
)

// benchFlags are the flags of throughput and latency, named as trtllm-bench names them.
type benchFlags struct {
	Model        string  `json:"model"`
	ModelPath    string  `json:"model_path,omitempty"`
	Dataset      string  `json:"dataset,omitempty"`
	Backend      string  `json:"backend"`
	MaxBatchSize int     `json:"max_batch_size"`
	MaxNumTokens int     `json:"max_num_tokens"`
	MaxSeqLen    int     `json:"max_seq_len"`
	NumRequests  int     `json:"num_requests"`
	Warmup       int     `json:"warmup"`
	Concurrency  int     `json:"concurrency"`
	TP           int     `json:"tp"`
	PP           int     `json:"pp"`
	EOSID        int     `json:"eos_id"`
	Streaming    bool    `json:"streaming"`
	Verbose      bool    `json:"verbose"`
	Quiet        bool    `json:"-"`
	ReportJSON   string  `json:"report_json,omitempty"`
	RequestJSON  string  `json:"request_json,omitempty"`
	IterationLog string  `json:"iteration_log,omitempty"`
	ConfigFile   string  `json:"config,omitempty"`
	ISL          int     `json:"isl"`
	OSL          int     `json:"osl"`
	ISLStdev     int     `json:"isl_stdev"`
	OSLStdev     int     `json:"osl_stdev"`
	Seed         uint64  `json:"seed"`
	SkipBadLines bool    `json:"skip_bad_lines,omitempty"`
	KVFraction   float64 `json:"kv_cache_free_gpu_mem_fraction,omitempty"`
	Threads      int     `json:"threads,omitempty"`
	GPULayers    int     `json:"n_gpu_layers"`
	FlashAttn    string  `json:"flash_attn"`
	KVDtype      string  `json:"kv_cache_dtype,omitempty"`
	LlamaLib     string  `json:"llama_lib,omitempty"`
}

func newBenchFlags(name string, latency bool) (*flagSet, *benchFlags) {
	f := &benchFlags{}
	fs := newFlagSet(name)
	fs.String(&f.Model, "model", "tiny", "synthetic preset (tiny, llama-3.1-8b, llama-3.1-8b:q4_0, ...) or a GGUF file", "m")
	fs.String(&f.ModelPath, "model_path", "", "GGUF file to load (overrides the file of --model)")
	fs.String(&f.Dataset, "dataset", "", "trtllm-bench dataset (JSON Lines or the single-document form); without it, a token-norm-dist set from --isl/--osl/--num_requests")
	fs.String(&f.Backend, "backend", "llamacpp", "inference backend (llamacpp)")
	batch := 16
	if latency {
		batch = 1
	}
	fs.Int(&f.MaxBatchSize, "max_batch_size", batch, "most requests decoding at once")
	fs.Int(&f.MaxNumTokens, "max_num_tokens", 2048, "most tokens in one decode step (llama.cpp n_batch)")
	fs.Int(&f.MaxSeqLen, "max_seq_len", 0, "KV cells per request (0: the dataset's longest ISL+OSL)")
	fs.Int(&f.NumRequests, "num_requests", 0, "requests to run: the first N of the dataset (0: all; 64 for a generated set)")
	fs.Int(&f.Warmup, "warmup", 2, "warmup requests, run first and not measured")
	conc := -1
	if latency {
		conc = 1
	}
	fs.Int(&f.Concurrency, "concurrency", conc, "most requests in flight (-1: unlimited)")
	fs.Int(&f.TP, "tp", 1, "tensor parallel size: split the model over this many GPUs")
	fs.Int(&f.PP, "pp", 1, "pipeline parallel size (only 1)")
	fs.Int(&f.EOSID, "eos_id", -1, "stop a request at this token (-1: ignore EOS, generate exactly output_tokens)")
	fs.Bool(&f.Streaming, "streaming", latency, "accepted for compatibility: every token is timed in any case")
	fs.Bool(&f.Verbose, "verbose", false, "show llama.cpp's log")
	fs.Bool(&f.Quiet, "quiet", false, "no progress lines on stderr")
	fs.String(&f.ReportJSON, "report_json", "", "write the report JSON here", "output")
	fs.String(&f.RequestJSON, "request_json", "", "write per-request records (JSON array) here")
	fs.String(&f.IterationLog, "iteration_log", "", "write one JSON line per decode step here")
	fs.String(&f.ConfigFile, "config", "", "strict TOML file of backend options", "extra_llm_api_options")
	fs.Int(&f.ISL, "isl", 128, "mean input length of a generated set", "target_input_len")
	fs.Int(&f.OSL, "osl", 128, "mean output length of a generated set", "target_output_len")
	fs.Int(&f.ISLStdev, "isl_stdev", 0, "input length standard deviation of a generated set")
	fs.Int(&f.OSLStdev, "osl_stdev", 0, "output length standard deviation of a generated set")
	fs.Uint64(&f.Seed, "seed", 420, "seed of the generated set and the synthetic weights", "random_seed")
	fs.Bool(&f.SkipBadLines, "skip_bad_lines", false, "skip malformed dataset lines instead of refusing the file")
	fs.Float(&f.KVFraction, "kv_cache_free_gpu_mem_fraction", 0, "size the KV cache from this fraction of free memory (0: max_batch_size x max_seq_len)")
	fs.Int(&f.Threads, "threads", 0, "CPU threads (0: all CPUs)")
	fs.Int(&f.GPULayers, "n_gpu_layers", -1, "layers offloaded to GPUs (-1: all)", "ngl")
	fs.String(&f.FlashAttn, "flash_attn", "auto", "flash attention: auto, on or off")
	fs.String(&f.KVDtype, "kv_cache_dtype", "", "KV cache type: f16 (default), q8_0, ...")
	fs.String(&f.LlamaLib, "llama_lib", "", "libllama to load (file or folder; default: .llama/cuda or .llama/cpu)")
	return fs, f
}

// runConfig is the full configuration saved in the report.
type runConfig struct {
	Command   string                `json:"command"`
	Flags     *benchFlags           `json:"flags"`
	Backend   engine.BackendOptions `json:"backend_options"`
	Engine    engineConfig          `json:"engine"`
	LlamaCpp  engine.BackendInfo    `json:"llama_cpp"`
	ModelFile string                `json:"model_file"`
}

type engineConfig struct {
	MaxBatchSize int   `json:"max_batch_size"`
	MaxNumTokens int   `json:"max_num_tokens"`
	MaxSeqLen    int   `json:"max_seq_len"`
	KVCapacity   int   `json:"kv_capacity"`
	Concurrency  int   `json:"concurrency"`
	Warmup       int   `json:"warmup"`
	EOSID        int32 `json:"eos_id"`
}

func runBench(args []string, stdout, stderr io.Writer, latency bool) error {
	name := "throughput"
	if latency {
		name = "latency"
	}
	fs, f := newBenchFlags(name, latency)
	for _, a := range args {
		if isHelp(a) {
			fmt.Fprintf(stdout, "Usage: benchtui %s [flags]\n\n", name)
			fs.usage(stdout)
			return errHelpShown
		}
	}
	if err := fs.parse(args); err != nil {
		return usageError{err}
	}
	set := fs.setFlags()
	if latency {
		if !set["max_batch_size"] {
			f.MaxBatchSize = 1
		}
		f.Streaming = true
	}
	if err := checkBenchFlags(f); err != nil {
		return usageError{err}
	}
	opts, err := backendOptions(f, set)
	if err != nil {
		return usageError{err}
	}

	// Everything the user named is checked before anything slow starts.
	model, err := synth.ParseModel(f.Model)
	if err != nil {
		return usageError{err}
	}
	modelFile := f.ModelPath
	if modelFile == "" && model.IsFile() {
		modelFile = model.Path
	}
	if modelFile != "" {
		if st, err := os.Stat(modelFile); err != nil {
			return badInput("model file %s: %s", modelFile, describeStatErr(err))
		} else if st.IsDir() {
			return badInput("model file %s is a folder: pass a .gguf file", modelFile)
		}
		if err := checkGGUF(modelFile); err != nil {
			return usageError{err}
		}
	}
	var reqs []dataset.Request
	var datasetPath string
	skipped := 0
	if f.Dataset != "" {
		datasetPath = f.Dataset
		res, err := dataset.ReadFile(f.Dataset, dataset.ReadOptions{NumRequests: f.NumRequests, SkipBadLines: f.SkipBadLines})
		if err != nil {
			return usageError{err}
		}
		reqs, skipped = res.Requests, res.Skipped
		if skipped > 0 && !f.Quiet {
			fmt.Fprintf(stderr, "benchtui: skipped %d bad dataset lines\n", skipped)
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	progress := newProgress(stderr, f.Quiet)
	// Every phase, loading included, is published as a lifecycle event; the headless
	// follower prints them, as the dashboard draws them.
	events := engine.NewEvents(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		progress.follow(events)
	}()
	closeEvents := sync.OnceFunc(func() {
		events.Close()
		wg.Wait()
	})
	defer closeEvents()

	if modelFile == "" {
		modelFile, err = synth.Ensure(ctx, model, f.Seed, loadingEvents(events, model.String()))
		if err != nil {
			return fmt.Errorf("write synthetic model %s: %w", model, err)
		}
	}
	lo := llamacpp.Options{
		Library:         opts.Library,
		ModelPath:       modelFile,
		Threads:         opts.Threads,
		ThreadsBatch:    opts.ThreadsBatch,
		GPULayers:       *opts.GPULayers,
		SplitMode:       opts.SplitMode,
		MainGPU:         opts.MainGPU,
		FlashAttn:       opts.FlashAttn,
		KVType:          opts.KVCacheDType,
		KVUnified:       *opts.KVUnified,
		OffloadKQV:      *opts.OffloadKQV,
		BackendSampling: opts.BackendSampling,
		Verbose:         f.Verbose,
	}
	for _, v := range opts.TensorSplit {
		lo.TensorSplit = append(lo.TensorSplit, float32(v))
	}
	if err := tensorParallel(&lo, f.TP, opts); err != nil {
		return err
	}
	loadMsg := "loading " + modelFile
	b, err := llamacpp.Open(ctx, lo, func(frac float64) {
		events.Publish(engine.Lifecycle{Phase: engine.PhaseLoading, Progress: frac, Message: loadMsg})
	})
	if err != nil {
		return err
	}
	defer b.Close()
	info := b.Info()
	events.Publish(engine.Lifecycle{Phase: engine.PhaseLoaded, Message: fmt.Sprintf("loaded %s (%s params) on %s",
		info.ModelName, humanCount(int64(info.NParams)), info.RunsOn)})

	if f.Dataset == "" {
		n := f.NumRequests
		if n == 0 {
			n = 64
		}
		reqs, _, err = dataset.GenerateNormal(dataset.NormalOptions{
			GenerateOptions: dataset.GenerateOptions{NumRequests: n, VocabSize: info.NVocab, EOS: info.EOS, Seed: f.Seed},
			InputMean:       f.ISL, InputStdev: f.ISLStdev,
			OutputMean: f.OSL, OutputStdev: f.OSLStdev,
		})
		if err != nil {
			return usageError{fmt.Errorf("generate dataset: %w", err)}
		}
	}
	if err := dataset.TokenizePrompts(reqs, b); err != nil {
		return usageError{fmt.Errorf("dataset %s: %w", datasetPath, err)}
	}
	if err := dataset.Validate(reqs, info.NVocab); err != nil {
		return usageError{fmt.Errorf("dataset %s: %w", datasetPath, err)}
	}
	stats := dataset.ComputeStats(reqs)

	cfg := engine.Config{
		MaxBatchSize: f.MaxBatchSize,
		MaxNumTokens: f.MaxNumTokens,
		MaxSeqLen:    f.MaxSeqLen,
		Concurrency:  f.Concurrency,
		Warmup:       f.Warmup,
		EOSID:        int32(f.EOSID),
	}
	if cfg.MaxSeqLen == 0 {
		cfg.MaxSeqLen = stats.MaxSequenceLength
	}
	nCtx := cfg.MaxBatchSize * cfg.MaxSeqLen
	if opts.KVCacheFreeMemFraction > 0 {
		cells, err := kvCellsFromMemory(info, opts.KVCacheFreeMemFraction, opts.KVCacheDType)
		if err != nil {
			return err
		}
		nCtx = cells
		cfg.KVCapacity = cells
	}
	if err := engine.Validate(reqs, cfg, info.NVocab); err != nil {
		return usageError{err}
	}
	if err := b.CreateContext(nCtx, cfg.MaxNumTokens, opts.NUBatch, cfg.MaxBatchSize); err != nil {
		return err
	}
	info = b.Info()
	if cfg.KVCapacity == 0 && info.NCtxSeq < cfg.MaxSeqLen {
		return fmt.Errorf("llama.cpp gave each sequence %d KV cells, fewer than max_seq_len %d", info.NCtxSeq, cfg.MaxSeqLen)
	}

	var iterFile *os.File
	if f.IterationLog != "" {
		iterFile, err = os.Create(f.IterationLog)
		if err != nil {
			return usageError{fmt.Errorf("iteration log: %w", err)}
		}
		defer iterFile.Close()
		cfg.IterationLog = iterFile
	}

	res, runErr := engine.Run(ctx, b, reqs, cfg, events)
	if runErr != nil {
		phase := engine.PhaseFailed
		if errors.Is(runErr, engine.ErrCanceled) {
			phase = engine.PhaseCanceled
		}
		events.Publish(engine.Lifecycle{Phase: phase, Error: runErr.Error()})
	} else {
		events.Publish(engine.Lifecycle{Phase: engine.PhaseFinished, Completed: len(res.Records), Total: len(reqs)})
	}
	closeEvents()
	if iterFile != nil {
		if err := iterFile.Close(); err != nil {
			return fmt.Errorf("iteration log %s: %w", f.IterationLog, err)
		}
	}

	// Whatever finished is reported, also after a failure or Ctrl-C.
	preset, dtype := model.Preset, string(model.DType)
	rc := runConfig{
		Command: name, Flags: f, Backend: opts, LlamaCpp: info, ModelFile: modelFile,
		Engine: engineConfig{
			MaxBatchSize: cfg.MaxBatchSize, MaxNumTokens: cfg.MaxNumTokens, MaxSeqLen: cfg.MaxSeqLen,
			KVCapacity: cfg.KVCapacity, Concurrency: cfg.Concurrency, Warmup: cfg.Warmup, EOSID: cfg.EOSID,
		},
	}
	rc.LlamaCpp.SystemInfo = ""
	modelName := info.ModelName
	if preset != "" {
		modelName = preset
	}
	if dtype == "" {
		dtype = "unknown"
	}
	var kvPct *float64
	if opts.KVCacheFreeMemFraction > 0 {
		kvPct = &opts.KVCacheFreeMemFraction
	}
	rep := engine.BuildReport(engine.ReportInput{
		Records: res.Records,
		Engine: engine.ReportEngine{
			Model: modelName, ModelPath: modelFile, EngineDir: filepath.Dir(info.Library),
			Version: info.Version, Backend: info.Backend, Dtype: dtype, KVCacheDtype: info.KVType,
			Quantization: quantization(dtype),
		},
		Machine: machineOf(info),
		World: engine.ReportWorld{
			TPSize: f.TP, PPSize: f.PP, MaxBatchSize: cfg.MaxBatchSize, MaxNumTokens: cfg.MaxNumTokens,
			SchedulingPolicy: "fcfs", KVCachePercentage: kvPct,
		},
		Dataset:        datasetSection(stats, skipped),
		DatasetPath:    datasetPath,
		Streaming:      f.Streaming,
		Config:         rc,
		Seed:           int64(f.Seed),
		Preset:         preset,
		Version:        version,
		LlamaCppCommit: info.Commit,
		Warmup:         res.WarmupRequests,
	})
	if err := engine.WriteSummary(stdout, &rep); err != nil {
		return fmt.Errorf("write summary: %w", err)
	}
	if err := writeOutputs(f, &rep, res.Records, stderr); err != nil {
		return err
	}
	return runErr
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

func checkBenchFlags(f *benchFlags) error {
	switch {
	case f.Backend != "llamacpp":
		return fmt.Errorf("--backend %q: the only backend is llamacpp", f.Backend)
	case f.MaxBatchSize < 1:
		return fmt.Errorf("--max_batch_size is %d: it must be at least 1", f.MaxBatchSize)
	case f.MaxNumTokens < 1:
		return fmt.Errorf("--max_num_tokens is %d: it must be at least 1", f.MaxNumTokens)
	case f.MaxSeqLen < 0:
		return fmt.Errorf("--max_seq_len is %d: it must be 0 (from the dataset) or more", f.MaxSeqLen)
	case f.NumRequests < 0:
		return fmt.Errorf("--num_requests is %d: it must be 0 (all) or more", f.NumRequests)
	case f.Warmup < 0:
		return fmt.Errorf("--warmup is %d: it must be 0 or more", f.Warmup)
	case f.Concurrency == 0 || f.Concurrency < -1:
		return fmt.Errorf("--concurrency is %d: it must be -1 (unlimited) or at least 1", f.Concurrency)
	case f.TP < 1:
		return fmt.Errorf("--tp is %d: it must be at least 1", f.TP)
	case f.PP != 1:
		return fmt.Errorf("--pp is %d: llama.cpp has no pipeline parallelism here; use --tp", f.PP)
	case f.ISL < 1 || f.OSL < 1:
		return fmt.Errorf("--isl and --osl must be at least 1 (got %d and %d)", f.ISL, f.OSL)
	case f.ISLStdev < 0 || f.OSLStdev < 0:
		return errors.New("--isl_stdev and --osl_stdev must not be negative")
	case f.KVFraction < 0 || f.KVFraction > 1:
		return fmt.Errorf("--kv_cache_free_gpu_mem_fraction is %g: it must be between 0 and 1", f.KVFraction)
	case f.EOSID < -1:
		return fmt.Errorf("--eos_id is %d: it must be -1 (ignore EOS) or a token id", f.EOSID)
	}
	return nil
}

// backendOptions merges the config file with the flags; flags given on the command line win.
func backendOptions(f *benchFlags, set map[string]bool) (engine.BackendOptions, error) {
	var o engine.BackendOptions
	if f.ConfigFile != "" {
		var err error
		if o, err = engine.LoadBackendOptions(f.ConfigFile); err != nil {
			return o, err
		}
	}
	if set["threads"] || o.Threads == 0 {
		o.Threads = f.Threads
	}
	if set["n_gpu_layers"] || o.GPULayers == nil {
		o.GPULayers = &f.GPULayers
	}
	if set["flash_attn"] || o.FlashAttn == "" {
		o.FlashAttn = f.FlashAttn
	}
	if set["kv_cache_dtype"] || o.KVCacheDType == "" {
		o.KVCacheDType = f.KVDtype
	}
	if set["kv_cache_free_gpu_mem_fraction"] || o.KVCacheFreeMemFraction == 0 {
		o.KVCacheFreeMemFraction = f.KVFraction
	}
	if set["llama_lib"] || o.Library == "" {
		o.Library = f.LlamaLib
	}
	if o.KVCacheFreeMemFraction < 0 || o.KVCacheFreeMemFraction > 1 {
		return o, fmt.Errorf("kv_cache_free_gpu_mem_fraction is %g: it must be between 0 and 1", o.KVCacheFreeMemFraction)
	}
	t, fl := true, false
	if o.OffloadKQV == nil {
		o.OffloadKQV = &t
	}
	if o.KVUnified == nil {
		// A unified cache is needed when its size comes from free memory (shared cells);
		// otherwise each sequence has its own max_seq_len cells, as llama-batched-bench does.
		u := o.KVCacheFreeMemFraction > 0
		if !u {
			o.KVUnified = &fl
		} else {
			o.KVUnified = &t
		}
	}
	lo := llamacpp.Options{SplitMode: o.SplitMode, FlashAttn: o.FlashAttn, KVType: o.KVCacheDType}
	if err := llamacpp.CheckOptions(&lo); err != nil {
		return o, err
	}
	return o, nil
}

// tensorParallel spreads the model over tp GPUs with llama.cpp's tensor split mode.
func tensorParallel(lo *llamacpp.Options, tp int, o engine.BackendOptions) error {
	if tp <= 1 {
		return nil
	}
	devs, err := llamacpp.Devices(lo.Library)
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
		return usageError{fmt.Errorf("--tp %d needs %d GPUs, llama.cpp sees %d", tp, tp, gpus)}
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
		return 0, errors.New("cannot size the KV cache from free memory: unknown free memory; pass --max_seq_len instead")
	}
	headDim := info.NEmbd / info.NHead
	bytesPer := 2.0 // f16
	switch kvType {
	case "f32":
		bytesPer = 4
	case "q8_0":
		bytesPer = 34.0 / 32
	case "q4_0":
		bytesPer = 18.0 / 32
	}
	perCell := float64(2*info.NLayer*info.NHeadKV*headDim) * bytesPer
	cells := int(frac * float64(free) / perCell)
	if cells < 256 {
		return 0, fmt.Errorf("only %d KV cells fit in %.0f%% of %d MiB free", cells, frac*100, free>>20)
	}
	return cells, nil
}

func hostAvailable() uint64 {
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	var kb uint64
	for _, line := range splitLines(string(data)) {
		if n, _ := fmt.Sscanf(line, "MemAvailable: %d kB", &kb); n == 1 {
			return kb << 10
		}
	}
	return 0
}

func splitLines(s string) []string {
	var out []string
	for len(s) > 0 {
		i := 0
		for i < len(s) && s[i] != '\n' {
			i++
		}
		out = append(out, s[:i])
		if i < len(s) {
			i++
		}
		s = s[i:]
	}
	return out
}

func quantization(dtype string) string {
	switch dtype {
	case "q8_0", "q4_0":
		return dtype
	}
	return "none"
}

// machineOf fills trtllm-bench's machine section from the first GPU (null on the CPU).
func machineOf(info engine.BackendInfo) *engine.ReportMachine {
	if info.GPULayers == 0 {
		return nil
	}
	for _, d := range info.Devices {
		if d.Type == "gpu" {
			gb := float64(d.TotalBytes) / (1 << 30)
			return &engine.ReportMachine{Name: d.Description, MemoryTotalGB: &gb}
		}
	}
	return nil
}

// datasetSection adds the skipped-line count to the dataset statistics when lines were skipped.
func datasetSection(stats dataset.Stats, skipped int) any {
	if skipped == 0 {
		return stats
	}
	return struct {
		dataset.Stats
		SkippedLines int `json:"skipped_lines"`
	}{stats, skipped}
}

func writeOutputs(f *benchFlags, rep *engine.Report, records []engine.Record, stderr io.Writer) error {
	if f.ReportJSON != "" {
		if err := engine.WriteFileAtomic(f.ReportJSON, rep.WriteJSON); err != nil {
			return fmt.Errorf("report %s: %w", f.ReportJSON, err)
		}
		if !f.Quiet {
			fmt.Fprintf(stderr, "benchtui: report written to %s\n", f.ReportJSON)
		}
	}
	if f.RequestJSON != "" {
		err := engine.WriteFileAtomic(f.RequestJSON, func(w io.Writer) error { return engine.WriteRequestJSON(w, records) })
		if err != nil {
			return fmt.Errorf("request records %s: %w", f.RequestJSON, err)
		}
		if !f.Quiet {
			fmt.Fprintf(stderr, "benchtui: request records written to %s\n", f.RequestJSON)
		}
	}
	return nil
}

// progress prints plain progress lines on stderr for headless runs.
type progress struct {
	w        io.Writer
	quiet    bool
	mu       sync.Mutex
	lastLoad int
	lastMsg  string
	start    time.Time
}

func newProgress(w io.Writer, quiet bool) *progress {
	return &progress{w: w, quiet: quiet, lastLoad: -1, start: time.Now()}
}

func (p *progress) printf(format string, a ...any) {
	if p.quiet {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, "benchtui: "+format+"\n", a...)
}

// loadingLine prints a loading step at 0, 25, 50, 75 and 100 percent.
func (p *progress) loadingLine(msg string, frac float64) {
	pct := int(frac * 100)
	if msg != p.lastMsg {
		p.lastMsg, p.lastLoad = msg, -1
	}
	if pct/25 != p.lastLoad/25 {
		p.lastLoad = pct
		p.printf("%s: %d%%", msg, pct)
	}
}

func (p *progress) writing(name string) func(done, total int64) {
	last := -1
	return func(done, total int64) {
		if total <= 0 {
			return
		}
		pct := int(done * 100 / total)
		if pct/20 != last/20 {
			last = pct
			p.printf("writing synthetic model %s: %d%% of %d MiB", name, pct, total>>20)
		}
	}
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

// follow prints lifecycle events and a progress line every two seconds until events close.
func (p *progress) follow(ev *engine.Events) {
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	var snap engine.Snapshot
	have := false
	for {
		select {
		case s := <-ev.Snapshots:
			snap, have = s, true
		case l, ok := <-ev.Lifecycle:
			if !ok {
				return
			}
			switch l.Phase {
			case engine.PhaseLoading:
				p.loadingLine(l.Message, l.Progress)
			case engine.PhaseLoaded:
				p.printf("%s", l.Message)
			case engine.PhaseWarmup:
				p.printf("warmup: %d requests", l.Total)
			case engine.PhaseRunning:
				p.printf("running %d requests", l.Total)
			case engine.PhaseFailed:
				p.printf("run failed: %s", l.Error)
			case engine.PhaseCanceled:
				p.printf("run canceled: %s; reporting what finished", l.Error)
			case engine.PhaseFinished:
				p.printf("finished in %.1fs", time.Since(p.start).Seconds())
			}
		case <-tick.C:
			if have {
				p.printf("%6.1fs %d/%d done, %.1f output tok/s, %d running, %d queued, KV %.0f%%",
					float64(snap.ElapsedNS)/1e9, snap.Completed, snap.Total, snap.OutputTokensPerSec,
					snap.Running, snap.Queued, snap.KVUsage*100)
			}
		}
	}
}

// runModels lists the presets, or with --write writes a synthetic model (reused when cached)
// and prints its path, for scripts that hand the same file to other tools.
func runModels(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("models")
	var write string
	var seed uint64
	var quiet bool
	fs.String(&write, "write", "", "write this preset (preset[:dtype]) and print its file's path")
	fs.Uint64(&seed, "seed", 420, "seed of the synthetic weights", "random_seed")
	fs.Bool(&quiet, "quiet", false, "no progress lines")
	if err := fs.parse(args); err != nil {
		return usageError{err}
	}
	if write == "" {
		return listModels(stdout)
	}
	m, err := synth.ParseModel(write)
	if err != nil {
		return usageError{err}
	}
	if m.IsFile() {
		return badInput("--write takes a preset, not a file (%s)", write)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	p := newProgress(stderr, quiet)
	path, err := synth.Ensure(ctx, m, seed, p.writing(m.String()))
	if err != nil {
		return fmt.Errorf("write synthetic model %s: %w", m, err)
	}
	fmt.Fprintln(stdout, path)
	return nil
}

func listModels(w io.Writer) error {
	fmt.Fprintf(w, "%-16s %7s %7s %6s %5s %7s %8s %9s\n", "PRESET", "LAYERS", "HIDDEN", "HEADS", "KV", "FFN", "VOCAB", "PARAMS")
	for _, name := range synth.Presets() {
		p, _ := synth.LookupPreset(name)
		fmt.Fprintf(w, "%-16s %7d %7d %6d %5d %7d %8d %9s\n", name, p.Layers, p.Hidden, p.Heads, p.KVHeads, p.FFN, p.Vocab, humanCount(p.ParamCount()))
	}
	var dts []string
	for _, d := range synth.DTypes() {
		dts = append(dts, string(d))
	}
	fmt.Fprintf(w, "\ndtypes: %s (preset:dtype, default %s)\n", strings.Join(dts, ", "), synth.DefaultDType)
	return nil
}

// humanCount writes a parameter count as 4.2M or 8.03B.
func humanCount(n int64) string {
	if n >= 1e9 {
		return fmt.Sprintf("%.2fB", float64(n)/1e9)
	}
	return fmt.Sprintf("%.1fM", float64(n)/1e6)
}
