package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/charmbracelet/x/term"

	"github.com/benchtui/benchtui/engine"
	"github.com/benchtui/benchtui/engine/llamacpp"
	"github.com/benchtui/benchtui/internal/fsutil"
	"github.com/benchtui/benchtui/report"
	"github.com/benchtui/benchtui/session"
	"github.com/benchtui/benchtui/themes"
	"github.com/benchtui/benchtui/tui"
)

// dashConfig is the dashboard's settings: defaults, then the TOML file in the user config
// dir, then flags. The TOML keys are the flags' names.
type dashConfig struct {
	Model        string `toml:"model" json:"model"`
	MaxBatchSize int    `toml:"max_batch_size" json:"max_batch_size"`
	ISL          int    `toml:"isl" json:"isl"`
	OSL          int    `toml:"osl" json:"osl"`
	ISLStdev     int    `toml:"isl_stdev" json:"isl_stdev"`
	OSLStdev     int    `toml:"osl_stdev" json:"osl_stdev"`
	NumRequests  int    `toml:"num_requests" json:"num_requests"`
	Concurrency  int    `toml:"concurrency" json:"concurrency"`
	MaxNumTokens int    `toml:"max_num_tokens" json:"max_num_tokens"`
	Warmup       int    `toml:"warmup" json:"warmup"`
	Seed         uint64 `toml:"seed" json:"seed"`
	Theme        string `toml:"theme" json:"theme,omitempty"`
	Run          bool   `toml:"run" json:"-"`
	ExportDir    string `toml:"export_dir" json:"-"`
	Threads      int    `toml:"threads" json:"threads,omitempty"`
	GPULayers    int    `toml:"n_gpu_layers" json:"n_gpu_layers"`
	FlashAttn    string `toml:"flash_attn" json:"flash_attn"`
	TP           int    `toml:"tp" json:"tp"`
	LlamaLib     string `toml:"llama_lib" json:"-"`
	RPC          string `toml:"rpc" json:"rpc,omitempty"`
	TensorSplit  string `toml:"tensor_split" json:"tensor_split,omitempty"`
	RPCMeasure   bool   `toml:"rpc_measure" json:"rpc_measure"`
	InProcess    bool   `toml:"in_process" json:"in_process,omitempty"`
	// ExtraOptions is trtllm-bench's options file (or benchtui's options TOML).
	ExtraOptions string `toml:"extra_llm_api_options" json:"extra_llm_api_options,omitempty"`
	Baseline     string `toml:"baseline" json:"-"`
}

func defaultDashConfig() dashConfig {
	return dashConfig{
		Model: "tiny", MaxBatchSize: 8, ISL: 128, OSL: 128, NumRequests: 64, Concurrency: -1,
		MaxNumTokens: 2048, Seed: 420, GPULayers: -1, FlashAttn: "auto", TP: 1, RPCMeasure: true,
	}
}

// dashConfigPath is the optional config file: $XDG_CONFIG_HOME/benchtui/config.toml.
func dashConfigPath() string {
	dir, err := os.UserConfigDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "benchtui", "config.toml")
}

// loadDashConfig reads the config file strictly: an unknown key is an error naming it. It
// reports which keys the file set.
func loadDashConfig(path string, c *dashConfig) (func(key string) bool, error) {
	none := func(string) bool { return false }
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return none, nil
	}
	if err != nil {
		return none, fmt.Errorf("config %s: %w", path, err)
	}
	md, err := toml.Decode(string(data), c)
	if err != nil && llamacpp.SniffFormat(data, path) == "yaml" {
		return none, fmt.Errorf("config %s is YAML, like trtllm-bench's options files: the dashboard's --config is its TOML settings file; pass an options file as --extra_llm_api_options", path)
	}
	if err != nil {
		var perr toml.ParseError
		if errors.As(err, &perr) {
			return none, fmt.Errorf("config %s line %d: %s", path, perr.Position.Line, perr.Message)
		}
		return none, fmt.Errorf("config %s: %w", path, err)
	}
	if un := md.Undecoded(); len(un) > 0 {
		keys := make([]string, len(un))
		for i, k := range un {
			keys[i] = k.String()
		}
		return none, fmt.Errorf("config %s: unknown key %s (known: model, max_batch_size, isl, osl, isl_stdev, osl_stdev, num_requests, concurrency, max_num_tokens, warmup, seed, theme, run, export_dir, threads, n_gpu_layers, flash_attn, tp, llama_lib, in_process, extra_llm_api_options, baseline, rpc, tensor_split, rpc_measure)",
			path, strings.Join(keys, ", "))
	}
	return func(key string) bool { return md.IsDefined(key) }, nil
}

// runDashboard opens the interactive dashboard: `benchtui` with no command.
func runDashboard(args []string, stdout, stderr io.Writer) error {
	c := defaultDashConfig()
	cfgPath := dashConfigPath()
	for i, a := range args {
		if isHelp(a) {
			fs, _ := newDashFlags(&c, &cfgPath)
			fmt.Fprint(stdout, "Usage: benchtui [flags]   (the dashboard; see benchtui help for the headless commands)\n\n")
			fs.usage(stdout)
			return errHelpShown
		}
		// The config file is read before the other flags, which override it.
		name := strings.ReplaceAll(strings.TrimLeft(a, "-"), "-", "_")
		if name == "config" && i+1 < len(args) {
			cfgPath = args[i+1]
		} else if v, ok := strings.CutPrefix(name, "config="); ok {
			cfgPath = v
		}
	}
	defined := func(string) bool { return false }
	if cfgPath != "" {
		var err error
		if defined, err = loadDashConfig(cfgPath, &c); err != nil {
			return usageError{err}
		}
	}
	fs, _ := newDashFlags(&c, &cfgPath)
	if err := fs.parse(args); err != nil {
		return usageError{err}
	}
	set := fs.setFlags()
	of, bo, err := dashOptionsFile(&c, set, defined, stderr)
	if err != nil {
		return err
	}
	// A setting is named where it came from: a flag, the settings file, or the options file.
	name := namedFrom(set, settingsFile(cfgPath, defined), optionsFile(of))
	if c.Theme != "" {
		if _, ok := themes.ByName(c.Theme); !ok {
			return badInput("%s: want one of %s", name("theme", fmt.Sprintf("%q", c.Theme)), strings.Join(themes.Names(), ", "))
		}
	}
	clampBatch(&c.MaxBatchSize, name, stderr)
	settings := runSettings{
		MaxBatchSize: c.MaxBatchSize, MaxNumTokens: c.MaxNumTokens, NumRequests: c.NumRequests, MinRequests: 1,
		Warmup: c.Warmup, Concurrency: c.Concurrency, TP: c.TP, PP: 1, EOSID: -1,
		ISL: c.ISL, OSL: c.OSL, ISLStdev: c.ISLStdev, OSLStdev: c.OSLStdev, StallTimeoutS: session.DefaultStallTimeout.Seconds(),
	}
	if err := settings.check(name); err != nil {
		return err
	}
	if bo, err = session.NormalizeBackend(bo); err != nil {
		return optionError(err, name)
	}
	if err := checkLibrary(bo.Library, name); err != nil {
		return err
	}
	so := session.Options{Model: c.Model, Seed: c.Seed, Backend: bo, TP: c.TP}
	_, modelFile, err := session.Check(so)
	if err != nil {
		return usageError{err}
	}
	var base *report.Export
	if c.Baseline != "" {
		x, err := tui.ReadReplay(c.Baseline)
		if err != nil {
			return usageError{fmt.Errorf("baseline: %w", err)}
		}
		base = x
	}
	if !isTerminal(stdout) {
		return badInput("the dashboard needs a terminal, and stdout is not one; for a headless run use: benchtui throughput --model %s (see benchtui help)", c.Model)
	}
	if c.ExportDir != "" {
		// Exports go to the folder as it resolves now (they never replace a file, so
		// they cannot clobber an input); it is made if missing, so that the first export
		// does not land in the temporary folder instead.
		plan, err := fsutil.PlanOutputs([]fsutil.Input{{Flag: "model", Path: modelFile}, {Flag: "config", Path: cfgPath},
			{Flag: "extra_llm_api_options", Path: c.ExtraOptions}},
			[]fsutil.Output{{Flag: "export_dir", Path: c.ExportDir, Dir: true}})
		if err != nil {
			return usageError{err}
		}
		c.ExportDir = plan.Path("export_dir")
		if err := os.MkdirAll(c.ExportDir, 0o777); err != nil {
			return badInput("--export_dir %s: %v", c.ExportDir, pathless(err))
		}
	}
	logger, _ := openLog()
	env := session.Env{InProcess: c.InProcess, Log: logger}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	hw := session.StartHardware(ctx, 0)
	defer hw.Close()
	env.Hardware = hw
	// The first run's settings are checked against the model and the memory now; later
	// runs' are checked before their context is made.
	first := session.Spec{
		Gen:               session.Gen{NumRequests: c.NumRequests, ISL: c.ISL, OSL: c.OSL, ISLStdev: c.ISLStdev, OSLStdev: c.OSLStdev, Seed: c.Seed},
		Engine:            engine.Config{MaxBatchSize: c.MaxBatchSize, MaxNumTokens: c.MaxNumTokens, Concurrency: c.Concurrency, Warmup: c.Warmup, EOSID: -1},
		KVFreeMemFraction: bo.KVCacheFreeMemFraction,
	}
	if err := preflight(so, env, first, func(w string) { logger.Printf("warning: %s", w) }); err != nil {
		return err
	}
	r := &dashRunner{so: so, env: env, cfg: c}
	defer r.close()
	return runProgram(tui.Options{
		Runner:   r,
		Monitor:  hw.Monitor,
		Settings: tui.Settings{Batch: c.MaxBatchSize, ISL: c.ISL, OSL: c.OSL, Requests: c.NumRequests, Concurrency: c.Concurrency},
		Theme:    c.Theme, AutoRun: c.Run, ExportDir: c.ExportDir, MaxBatch: llamacpp.MaxSequences,
		Baseline: base, BaselineName: c.Baseline,
	})
}

func newDashFlags(c *dashConfig, cfgPath *string) (*flagSet, *dashConfig) {
	fs := newFlagSet("dashboard")
	def := *c
	fs.String(&c.Model, "model", def.Model, "synthetic preset, Hugging Face id (meta-llama/Llama-3.1-8B), model folder or config.json, or a GGUF file", "m")
	fs.Int(&c.MaxBatchSize, "max_batch_size", def.MaxBatchSize, "most requests decoding at once (b/B change it)")
	fs.Int(&c.ISL, "isl", def.ISL, "mean input length (i/I change it)")
	fs.Int(&c.OSL, "osl", def.OSL, "mean output length (o/O change it)")
	fs.Int(&c.ISLStdev, "isl_stdev", def.ISLStdev, "input length standard deviation")
	fs.Int(&c.OSLStdev, "osl_stdev", def.OSLStdev, "output length standard deviation")
	fs.Int(&c.NumRequests, "num_requests", def.NumRequests, "requests per run (n/N change it)")
	fs.Int(&c.Concurrency, "concurrency", def.Concurrency, "most requests in flight, -1 unlimited (c/C change it)")
	fs.Int(&c.MaxNumTokens, "max_num_tokens", def.MaxNumTokens, "most tokens in one decode step")
	fs.Int(&c.Warmup, "warmup", def.Warmup, "warmup requests before each run")
	fs.Uint64(&c.Seed, "seed", def.Seed, "seed of the generated sets and synthetic weights", "random_seed")
	fs.String(&c.Theme, "theme", def.Theme, "theme: "+strings.Join(themes.Names(), ", ")+" (default: from the terminal's background; mono with NO_COLOR)")
	fs.Bool(&c.Run, "run", def.Run, "start the first run as soon as the model is loaded")
	fs.String(&c.ExportDir, "export_dir", def.ExportDir, "folder for exports (default: the working directory)")
	fs.Int(&c.Threads, "threads", def.Threads, "CPU threads (0: all CPUs)")
	fs.Int(&c.GPULayers, "n_gpu_layers", def.GPULayers, "layers offloaded to GPUs (-1: all)", "ngl")
	fs.String(&c.FlashAttn, "flash_attn", def.FlashAttn, "flash attention: auto, on or off")
	fs.Int(&c.TP, "tp", def.TP, "tensor parallel size")
	fs.String(&c.LlamaLib, "llama_lib", def.LlamaLib, "libllama to load")
	addRPCFlags(fs, &c.RPC, &c.TensorSplit, &c.RPCMeasure)
	fs.Bool(&c.InProcess, "in_process", def.InProcess, "run llama.cpp in this process instead of a child process")
	fs.String(cfgPath, "config", *cfgPath, "dashboard settings file (TOML, keys as the flags)")
	fs.String(&c.ExtraOptions, "extra_llm_api_options", def.ExtraOptions, "options file: trtllm-bench's YAML or benchtui's TOML (a flag or the settings file wins over it)")
	fs.String(&c.Baseline, "baseline", def.Baseline, "an export or a --report_json report (benchtui's or trtllm-bench's) to pin as the baseline")
	return fs, c
}

// runReplay opens a saved run (an export, or a report) in the dashboard.
func runReplay(args []string, stdout, stderr io.Writer) error {
	theme := ""
	fs := newFlagSet("replay")
	fs.String(&theme, "theme", "", "theme: "+strings.Join(themes.Names(), ", "))
	for _, a := range args {
		if isHelp(a) {
			fmt.Fprint(stdout, "Usage: benchtui replay [--theme T] FILE.json\n\n")
			fs.usage(stdout)
			return errHelpShown
		}
	}
	if err := fs.FlagSet.Parse(args); err != nil {
		return usageError{fmt.Errorf("replay: %w", err)}
	}
	if fs.NArg() != 1 {
		return badInput("replay takes one file: benchtui replay FILE.json (an export from the dashboard, or a --report_json report)")
	}
	path := fs.Arg(0)
	x, err := tui.ReadReplay(path)
	if err != nil {
		return usageError{err}
	}
	if theme != "" {
		if _, ok := themes.ByName(theme); !ok {
			return badInput("theme %q: want one of %s", theme, strings.Join(themes.Names(), ", "))
		}
	}
	if !isTerminal(stdout) {
		return badInput("replay needs a terminal, and stdout is not one; the file's figures are in its JSON")
	}
	return runProgram(tui.Options{Replay: x, ReplayName: filepath.Base(path), Theme: theme})
}

func runProgram(o tui.Options) error {
	note, err := tui.Run(o)
	if err != nil {
		return fmt.Errorf("dashboard: %w", err)
	}
	if note != "" {
		fmt.Fprintln(os.Stderr, "benchtui: "+note)
	}
	return nil
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(f.Fd())
}

// dashRunner runs the dashboard's benchmarks through one session.
type dashRunner struct {
	so   session.Options
	env  session.Env
	cfg  dashConfig
	sess session.Session
}

func (r *dashRunner) Load(ctx context.Context, ev *engine.Events) (tui.Target, error) {
	s, err := session.Open(ctx, r.so, r.env, ev)
	if err != nil {
		return tui.Target{}, err
	}
	r.sess = s
	m := s.Model()
	// A Hugging Face id or a folder shows with the preset it stands for.
	t := tui.Target{Model: targetName(m), DType: string(m.DType), Device: s.Info().RunsOn}
	if m.IsFile() {
		t.Model = filepath.Base(s.ModelFile())
		t.DType = "gguf"
	}
	if t.DType == "" {
		t.DType = "f16"
	}
	return t, nil
}

func (r *dashRunner) Run(ctx context.Context, st tui.Settings, ev *engine.Events) (*report.Export, error) {
	if r.sess == nil {
		return nil, errors.New("the model is not loaded")
	}
	conc := st.Concurrency
	if conc <= 0 {
		conc = -1
	}
	spec := session.Spec{
		Gen: session.Gen{NumRequests: st.Requests, ISL: st.ISL, OSL: st.OSL, ISLStdev: r.cfg.ISLStdev, OSLStdev: r.cfg.OSLStdev, Seed: r.cfg.Seed},
		Engine: engine.Config{
			MaxBatchSize: st.Batch, MaxNumTokens: r.cfg.MaxNumTokens, Concurrency: conc,
			Warmup: r.cfg.Warmup, EOSID: -1,
		},
		// An options file's kv_cache_free_gpu_mem_fraction sizes the cache, as headless.
		KVFreeMemFraction: r.so.Backend.KVCacheFreeMemFraction,
	}
	run, err := r.sess.Run(ctx, spec, ev)
	if err != nil {
		return nil, err
	}
	cfg := r.cfg
	cfg.MaxBatchSize, cfg.ISL, cfg.OSL, cfg.NumRequests, cfg.Concurrency = st.Batch, st.ISL, st.OSL, st.Requests, conc
	rep := r.sess.Report(run, session.ReportExtra{
		Config:  map[string]any{"command": "dashboard", "settings": cfg, "backend_options": r.sess.Options().Backend, "llama_cpp": run.Info},
		Version: version, Streaming: true,
	})
	return runExport(&rep, run), nil
}

func (r *dashRunner) close() {
	if r.sess != nil {
		r.sess.Close()
	}
}
