package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/benchtui/benchtui/dataset"
	"github.com/benchtui/benchtui/engine"
	"github.com/benchtui/benchtui/engine/llamacpp"
	"github.com/benchtui/benchtui/internal/fsutil"
	"github.com/benchtui/benchtui/report"
	htmlreport "github.com/benchtui/benchtui/report/html"
	"github.com/benchtui/benchtui/session"
	"github.com/benchtui/benchtui/synth"
)

// benchFlags are the flags of throughput and latency, named as trtllm-bench names them.
type benchFlags struct {
	Model         string      `json:"model"`
	ModelPath     string      `json:"model_path,omitempty"`
	Dataset       string      `json:"dataset,omitempty"`
	Backend       string      `json:"backend"`
	MaxBatchSize  int         `json:"max_batch_size"`
	MaxNumTokens  int         `json:"max_num_tokens"`
	MaxSeqLen     int         `json:"max_seq_len"`
	NumRequests   int         `json:"num_requests"`
	Warmup        int         `json:"warmup"`
	Concurrency   int         `json:"concurrency"`
	TP            int         `json:"tp"`
	PP            int         `json:"pp"`
	EOSID         int         `json:"eos_id"`
	Streaming     bool        `json:"streaming"`
	Verbose       bool        `json:"verbose"`
	Quiet         bool        `json:"-"`
	ReportJSON    string      `json:"report_json,omitempty"`
	RequestJSON   string      `json:"request_json,omitempty"`
	IterationLog  string      `json:"iteration_log,omitempty"`
	ConfigFile    string      `json:"config,omitempty"`
	ISL           int         `json:"isl"`
	OSL           int         `json:"osl"`
	ISLStdev      int         `json:"isl_stdev"`
	OSLStdev      int         `json:"osl_stdev"`
	Seed          uint64      `json:"seed"`
	SkipBadLines  bool        `json:"skip_bad_lines,omitempty"`
	KVFraction    float64     `json:"kv_cache_free_gpu_mem_fraction,omitempty"`
	Threads       int         `json:"threads,omitempty"`
	GPULayers     int         `json:"n_gpu_layers"`
	FlashAttn     string      `json:"flash_attn"`
	KVDtype       string      `json:"kv_cache_dtype,omitempty"`
	LlamaLib      string      `json:"llama_lib,omitempty"`
	Static        bool        `json:"static_batching,omitempty"`
	Policy        string      `json:"scheduler_policy"`
	Chunking      string      `json:"context_chunking_policy"`
	InProcess     bool        `json:"in_process,omitempty"`
	StallTimeoutS float64     `json:"stall_timeout_s,omitempty"`
	Export        string      `json:"export,omitempty"`
	RPC           string      `json:"rpc,omitempty"`
	TensorSplit   string      `json:"tensor_split,omitempty"`
	RPCMeasure    bool        `json:"rpc_measure"`
	Page          pageOutputs `json:"-"`
	serveFlags
}

func newBenchFlags(name string, latency bool) (*flagSet, *benchFlags) {
	f := &benchFlags{}
	fs := newFlagSet(name)
	fs.String(&f.Model, "model", "tiny", "synthetic preset (tiny, llama-3.1-8b:q4_0, ...), Hugging Face id (meta-llama/Llama-3.1-8B), model folder or config.json, or a GGUF file", "m")
	fs.String(&f.ModelPath, "model_path", "", "GGUF file to load (overrides the file of --model)")
	fs.String(&f.Dataset, "dataset", "", "trtllm-bench dataset (JSON Lines or the single-document form); without it, a token-norm-dist set from --isl/--osl/--num_requests")
	fs.String(&f.Backend, "backend", "llamacpp", "inference backend: llamacpp (in process), openai (OpenAI-compatible servers at --base_url: vLLM, SGLang, trtllm-serve, TGI, llama-server) or llama-server (llama.cpp's server, started here with --model); TensorRT-LLM's pytorch, _autodeploy and tensorrt run behind trtllm-serve: see the message they give")
	f.serveFlags.register(fs, true)
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
	fs.String(&f.Export, "export", "", "write the run as the dashboard exports it (report, every request's token times, engine snapshots, telemetry) for replay and report")
	f.Page.register(fs)
	fs.String(&f.ConfigFile, "config", "", "options file: benchtui's TOML or trtllm-bench's extra_llm_api_options YAML (flags given win)", "extra_llm_api_options")
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
	fs.Bool(&f.InProcess, "in_process", false, "run llama.cpp in this process instead of a child process (a native crash then ends benchtui)")
	fs.Float(&f.StallTimeoutS, "stall_timeout", 120, "seconds without progress after which the backend process is killed and the run fails")
	fs.String(&f.Policy, "scheduler_policy", string(engine.PolicyGuaranteedNoEvict), "which requests run: "+policyNames()+" (see README)")
	fs.String(&f.Chunking, "context_chunking_policy", "", "how prompt chunks share a step's token budget: aligned_finish (the default), equal_progress or first_come_first_served (the waves': see README)")
	fs.Bool(&f.Static, "static_batching", false, "the same as --scheduler_policy static_batch: a batch starts when the last one has finished")
	fs.String(&f.LlamaLib, "llama_lib", "", "libllama to load (file or folder; default: .llama/cuda or .llama/cpu)")
	f.RPCMeasure = true
	addRPCFlags(fs, &f.RPC, &f.TensorSplit, &f.RPCMeasure)
	return fs, f
}

// runConfig is the full configuration saved in the report.
type runConfig struct {
	Command string                   `json:"command"`
	Flags   *benchFlags              `json:"flags"`
	Backend *llamacpp.BackendOptions `json:"backend_options,omitempty"`
	// OptionsFile is the --config / --extra_llm_api_options file: the keys applied and the
	// keys ignored, with why.
	OptionsFile *llamacpp.OptionsFile `json:"options_file,omitempty"`
	// Notes say where the run differs from what was asked, and why.
	Notes  []string      `json:"notes,omitempty"`
	Engine engine.Config `json:"engine"`
	// LlamaCpp describes llama.cpp (in process, or the llama-server benchtui started);
	// Server a server that ran already, as far as it said.
	LlamaCpp  *engine.BackendInfo `json:"llama_cpp,omitempty"`
	Server    *engine.BackendInfo `json:"server,omitempty"`
	ModelFile string              `json:"model_file,omitempty"`
}

// newRunConfig is the configuration of a run of sess, for its report.
func newRunConfig(command string, f *benchFlags, sess session.Session, run *session.Run, of *llamacpp.OptionsFile, notes []string) runConfig {
	info := run.Info
	info.SystemInfo = ""
	rc := runConfig{Command: command, Flags: f, OptionsFile: of, Notes: notes, Engine: run.Config, ModelFile: sess.ModelFile()}
	if sess.Options().BackendName() == session.BackendOpenAI {
		rc.Server = &info
		return rc
	}
	bo := sess.Options().Backend
	rc.Backend, rc.LlamaCpp = &bo, &info
	return rc
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
	if err := staticBatching(f, set); err != nil {
		return err
	}
	if err := checkBackend(f, set, name); err != nil {
		return err
	}
	if f.Backend != session.BackendLlamaCpp {
		f.Streaming = true // every request to a server streams its tokens
	}
	// The options file's settings are merged with the flags (flags given win), then the
	// merged values are checked once, each named as the user gave it.
	of, err := readOptionsFile(f.ConfigFile, stderr)
	if err != nil {
		return err
	}
	batch := &f.MaxBatchSize
	if latency {
		batch = nil // latency runs one request at a time, whatever the file says
	}
	fileRunSettings(of, set, batch, &f.MaxNumTokens, &f.MaxSeqLen, &f.TP)
	optName := namedFrom(set, optionsFile(of))
	var notes []string
	if note := clampBatch(&f.MaxBatchSize, optName, stderr); note != "" {
		notes = append(notes, note)
	}
	settings := runSettings{
		MaxBatchSize: f.MaxBatchSize, MaxNumTokens: f.MaxNumTokens, MaxSeqLen: f.MaxSeqLen, NumRequests: f.NumRequests,
		Warmup: f.Warmup, Concurrency: f.Concurrency, TP: f.TP, PP: f.PP, EOSID: f.EOSID,
		ISL: f.ISL, OSL: f.OSL, ISLStdev: f.ISLStdev, OSLStdev: f.OSLStdev, StallTimeoutS: f.StallTimeoutS,
		SchedulerPolicy: f.Policy, ContextChunking: f.Chunking,
	}
	if err := settings.check(optName); err != nil {
		return err
	}
	opts, err := backendOptions(f, of, set, optName)
	if err != nil {
		return err
	}
	remote := f.Backend == session.BackendOpenAI
	if !remote {
		if err := checkLibrary(opts.Library, optName); err != nil {
			return err
		}
	}
	if note := kvFractionNote(f.Backend, opts.KVCacheFreeMemFraction, optName); note != "" {
		fmt.Fprintln(stderr, "benchtui: "+note)
		notes = append(notes, note)
		opts.KVCacheFreeMemFraction = 0
	}

	// Everything the user named is checked before anything slow starts.
	so := session.Options{Model: f.Model, ModelPath: f.ModelPath, Seed: f.Seed, Backend: opts, TP: f.TP, Verbose: f.Verbose,
		Server: f.serverOptions(f.Backend, f.Model, set["model"])}
	env := session.Env{InProcess: f.InProcess, StallTimeout: time.Duration(f.StallTimeoutS * float64(time.Second)), APIKey: f.APIKey}
	var logPath string
	env.Log, logPath = openLog()
	var modelFile string
	if !remote {
		// A server that runs already has its model; --model then names only a vocabulary.
		model, file, err := session.Check(so)
		if err != nil {
			return usageError{err}
		}
		sayModel(stderr, model)
		modelFile = file
	}
	modelFlag := "model"
	if f.ModelPath != "" {
		modelFlag = "model_path"
	}
	// Outputs are checked, and their symlinks resolved, before anything loads: no output
	// may be an input or another output, and a folder that cannot take one is found now.
	if err := f.Page.checkStdout(false); err != nil {
		return err
	}
	inputs := []fsutil.Input{{Flag: "dataset", Path: f.Dataset}, {Flag: "config", Path: f.ConfigFile}, {Flag: modelFlag, Path: modelFile}}
	plan, err := fsutil.PlanOutputs(inputs,
		append([]fsutil.Output{{Flag: "report_json", Path: f.ReportJSON}, {Flag: "request_json", Path: f.RequestJSON},
			{Flag: "iteration_log", Path: f.IterationLog}, {Flag: "export", Path: f.Export}}, f.Page.outputs()...))
	if err != nil {
		return usageError{err}
	}
	warn := func(w string) { fmt.Fprintf(stderr, "benchtui: warning: %s\n", w) }
	spec := session.Spec{
		Gen: session.Gen{NumRequests: f.NumRequests, ISL: f.ISL, OSL: f.OSL, ISLStdev: f.ISLStdev, OSLStdev: f.OSLStdev, Seed: f.Seed},
		Engine: engine.Config{
			MaxBatchSize: f.MaxBatchSize,
			MaxNumTokens: f.MaxNumTokens,
			MaxSeqLen:    f.MaxSeqLen,
			Concurrency:  f.Concurrency,
			Warmup:       f.Warmup,
			EOSID:        int32(f.EOSID),
			Policy:       engine.SchedulerPolicy(f.Policy),
			Chunking:     engine.ContextChunking(f.Chunking),
		},
		KVFreeMemFraction: opts.KVCacheFreeMemFraction,
		RequestRate:       f.RequestRate,
		Burstiness:        f.Burstiness,
	}
	if f.Dataset != "" {
		spec.DatasetPath = f.Dataset
		res, err := dataset.ReadFile(f.Dataset, dataset.ReadOptions{NumRequests: f.NumRequests, SkipBadLines: f.SkipBadLines})
		if err != nil {
			return usageError{err}
		}
		spec.Requests, spec.SkippedLines = res.Requests, res.Skipped
		if res.Skipped > 0 && !f.Quiet {
			fmt.Fprintf(stderr, "benchtui: skipped %d bad dataset lines\n", res.Skipped)
		}
		if w := loraWarning(f.Dataset, res.Requests); w != "" {
			warn(w)
		}
	}

	spec.IterationLogPath = plan.Path("iteration_log")

	in := newInterrupts(stderr, f.Quiet)
	defer in.stop()
	ctx := in.ctx
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
	hw := session.StartHardware(ctx, 0)
	defer hw.Close()
	env.Hardware = hw
	if !remote {
		if err := preflight(so, env, spec, warn); err != nil {
			return err
		}
	}

	sess, err := session.Open(ctx, so, env, events)
	if err != nil {
		if in.interrupted() {
			return interruptedError{err}
		}
		return asUsage(err)
	}
	defer sess.Close()
	// The second Ctrl-C kills the backend process; the run then reports what finished.
	in.onSecond(sess.Abort)

	run, err := sess.Run(ctx, spec, events)
	if err != nil {
		return asUsage(err)
	}
	closeEvents()

	// Whatever finished is reported, also after a failure or Ctrl-C.
	rc := newRunConfig(name, f, sess, run, of, notes)
	rep := sess.Report(run, session.ReportExtra{Config: rc, Streaming: f.Streaming, PP: f.PP, Version: version, SLO: f.slo})
	if err := report.WriteSummary(stdout, &rep); err != nil {
		return fmt.Errorf("write summary: %w", err)
	}
	if err := writeOutputs(f, plan, inputs, &rep, run, stdout, stderr); err != nil {
		return err
	}
	var death *session.ChildDeath
	switch {
	case errors.Is(run.Err, engine.ErrCanceled) && in.interrupted():
		return interruptedError{run.Err}
	case errors.As(run.Err, &death) && logPath != "":
		return fmt.Errorf("%w (its whole stderr is in %s)", run.Err, logPath)
	}
	return run.Err
}

// pathless is err without the path that an *os.PathError repeats, for messages that name
// the path already.
func pathless(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// asUsage reports a session's input errors as bad input (exit status 2).
func asUsage(err error) error {
	var ie session.InputError
	if errors.As(err, &ie) {
		return usageError{err}
	}
	return err
}

// loraWarning says that requests of a dataset name LoRA adapters, which benchtui does not
// apply: they run on the base model.
func loraWarning(path string, reqs []dataset.Request) string {
	n := 0
	for i := range reqs {
		if reqs[i].LoRA != nil {
			n++
		}
	}
	if n == 0 {
		return ""
	}
	have := "have"
	if n == 1 {
		have = "has"
	}
	return fmt.Sprintf("dataset %s: %d of its %d requests %s a lora_request; benchtui applies no LoRA adapters, so they run on the base model", path, n, len(reqs), have)
}

func writeOutputs(f *benchFlags, plan *fsutil.Plan, inputs []fsutil.Input, rep *report.Report, run *session.Run, stdout, stderr io.Writer) error {
	records := run.Result.Records
	var errs []error
	if f.ReportJSON != "" {
		errs = append(errs, writeOrRescue("report", f.ReportJSON, plan.Path("report_json"), rep.WriteJSON, f.Quiet, stderr))
	}
	if f.RequestJSON != "" {
		errs = append(errs, writeOrRescue("request records", f.RequestJSON, plan.Path("request_json"),
			func(w io.Writer) error { return report.WriteRequestJSON(w, records) }, f.Quiet, stderr))
	}
	if f.Export != "" || f.Page.any() {
		x := runExport(rep, run)
		if f.Export != "" {
			errs = append(errs, writeOrRescue("export", f.Export, plan.Path("export"), x.WriteJSON, f.Quiet, stderr))
		}
		name := "this run"
		for _, p := range []string{f.Export, f.ReportJSON} {
			if p != "" {
				name = filepath.Base(p)
				break
			}
		}
		errs = append(errs, f.Page.write([]*htmlreport.Source{htmlreport.FromExport(name, x)}, inputs, plan, true, f.Quiet, stdout, stderr))
	}
	return errors.Join(errs...)
}

// writeOrRescue writes a result file to its planned path (given is the path as the user gave
// it, for messages). When that fails (a full disk, a folder that went away), the run is not
// lost: the same content goes to the temporary folder, and the error says where.
func writeOrRescue(what, given, path string, write func(io.Writer) error, quiet bool, stderr io.Writer) error {
	err := fsutil.WriteFile(path, write)
	if err == nil {
		if !quiet {
			fmt.Fprintf(stderr, "benchtui: %s written to %s\n", what, given)
		}
		return nil
	}
	rescued, rerr := fsutil.Rescue(path, write)
	if rerr == nil {
		return fmt.Errorf("%s %s: %w; saved to %s instead", what, given, err, rescued)
	}
	return fmt.Errorf("%s %s: %w (and not saved elsewhere: %v)", what, given, err, rerr)
}

// runModels lists the presets, or with --write writes a synthetic model (reused when cached)
// and prints its path, for scripts that hand the same file to other tools.
func runModels(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("models")
	var write string
	var seed uint64
	var quiet bool
	fs.String(&write, "write", "", "write this model (preset[:dtype], Hugging Face id, folder or config.json) and print its file's path")
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
	in := newInterrupts(stderr, true)
	defer in.stop()
	p := newProgress(stderr, quiet)
	path, err := synth.Ensure(in.ctx, m, seed, p.writing(m.String()))
	if nr := (synth.NoRoomError{}); errors.As(err, &nr) {
		return usageError{nr}
	}
	if err != nil {
		err = fmt.Errorf("write synthetic model %s: %w", m, err)
		if in.interrupted() {
			return interruptedError{err}
		}
		return err
	}
	fmt.Fprintln(stdout, path)
	return nil
}

func listModels(w io.Writer) error {
	ids := synth.HFIDs()
	fmt.Fprintf(w, "%-18s %-7s %6s %6s %5s %4s %5s %9s %7s %8s  %s\n", "PRESET", "ARCH", "LAYERS", "HIDDEN", "HEADS", "KV", "HEAD", "FFN", "VOCAB", "PARAMS", "HUGGING FACE IDS")
	for _, name := range synth.Presets() {
		p, _ := synth.LookupPreset(name)
		ffn := strconv.Itoa(p.FFN)
		if p.Experts > 0 {
			ffn = fmt.Sprintf("%dx%d", p.Experts, p.FFN)
		}
		line := fmt.Sprintf("%-18s %-7s %6d %6d %5d %4d %5d %9s %7d %8s  %s", name, p.Arch, p.Layers, p.Hidden, p.Heads, p.KVHeads, p.HeadDim,
			ffn, p.Vocab, session.HumanCount(p.ParamCount()), strings.Join(ids[name], ", "))
		fmt.Fprintln(w, strings.TrimRight(line, " "))
	}
	var dts []string
	for _, d := range synth.DTypes() {
		dts = append(dts, string(d))
	}
	fmt.Fprintf(w, "\ndtypes: %s (preset:dtype, default %s). Hugging Face ids work in any case, with or without -Instruct;\n", strings.Join(dts, ", "), synth.DefaultDType)
	fmt.Fprintln(w, "a model folder with a config.json (or the config.json) of a llama, mistral, mixtral, qwen2, qwen3 or gpt_oss model gets its own shape.")
	fmt.Fprintln(w, "Every synthetic model has synthetic weights: the speed of the real model, not its output.")
	return nil
}

// runExport is a finished run as the dashboard exports it: the report, every record, the
// engine snapshots and the telemetry series.
func runExport(rep *report.Report, run *session.Run) *report.Export {
	x := &report.Export{Report: *rep, Requests: run.Result.Records, Snapshots: run.Result.Series}
	if hr := rep.BenchTUI.Hardware; hr != nil {
		x.Telemetry = &hr.Series
	}
	return x
}
