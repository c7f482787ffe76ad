package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	tea "charm.land/bubbletea/v2"
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
	InProcess    bool   `toml:"in_process" json:"in_process,omitempty"`
	// ExtraOptions is trtllm-bench's options file (or benchtui's options TOML).
	ExtraOptions string `toml:"extra_llm_api_options" json:"extra_llm_api_options,omitempty"`
}

func defaultDashConfig() dashConfig {
	return dashConfig{
		Model: "tiny", MaxBatchSize: 8, ISL: 128, OSL: 128, NumRequests: 64, Concurrency: -1,
		MaxNumTokens: 2048, Seed: 420, GPULayers: -1, FlashAttn: "auto", TP: 1,
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

// loadDashConfig reads the config file strictly: an unknown key is an error naming it.
func loadDashConfig(path string, c *dashConfig) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("config %s: %w", path, err)
	}
	md, err := toml.Decode(string(data), c)
	if err != nil && llamacpp.SniffFormat(data, path) == "yaml" {
		return fmt.Errorf("config %s is YAML, like trtllm-bench's options files: the dashboard's --config is its TOML settings file; pass an options file as --extra_llm_api_options", path)
	}
	if err != nil {
		var perr toml.ParseError
		if errors.As(err, &perr) {
			return fmt.Errorf("config %s line %d: %s", path, perr.Position.Line, perr.Message)
		}
		return fmt.Errorf("config %s: %w", path, err)
	}
	if un := md.Undecoded(); len(un) > 0 {
		keys := make([]string, len(un))
		for i, k := range un {
			keys[i] = k.String()
		}
		return fmt.Errorf("config %s: unknown key %s (known: model, max_batch_size, isl, osl, isl_stdev, osl_stdev, num_requests, concurrency, max_num_tokens, warmup, seed, theme, run, export_dir, threads, n_gpu_layers, flash_attn, tp, llama_lib, in_process, extra_llm_api_options)",
			path, strings.Join(keys, ", "))
	}
	return nil
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
	if cfgPath != "" {
		if err := loadDashConfig(cfgPath, &c); err != nil {
			return usageError{err}
		}
	}
	fs, _ := newDashFlags(&c, &cfgPath)
	if err := fs.parse(args); err != nil {
		return usageError{err}
	}
	bo, err := dashOptionsFile(&c, fs.setFlags(), stderr)
	if err != nil {
		return err
	}
	if c.Theme != "" {
		if _, ok := themes.ByName(c.Theme); !ok {
			return badInput("theme %q: want one of %s", c.Theme, strings.Join(themes.Names(), ", "))
		}
	}
	switch {
	case c.MaxBatchSize < 1 || c.MaxBatchSize > llamacpp.MaxSequences:
		return badInput("max_batch_size is %d: it must be between 1 and %d (llama.cpp's most sequences at once)", c.MaxBatchSize, llamacpp.MaxSequences)
	case c.ISL < 1 || c.OSL < 1:
		return badInput("isl and osl must be at least 1 (got %d and %d)", c.ISL, c.OSL)
	case c.NumRequests < 1:
		return badInput("num_requests is %d: it must be at least 1", c.NumRequests)
	case c.Concurrency == 0:
		return badInput("concurrency is 0: give -1 for unlimited or a positive limit")
	}
	if !isTerminal(stdout) {
		return badInput("the dashboard needs a terminal, and stdout is not one; for a headless run use: benchtui throughput --model %s (see benchtui help)", c.Model)
	}
	logger, _ := openLog()
	so := session.Options{Model: c.Model, Seed: c.Seed, Backend: bo, TP: c.TP, InProcess: c.InProcess, Log: logger}
	_, modelFile, err := session.Check(so)
	if err != nil {
		return usageError{err}
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
			return badInput("--export_dir %s: %v", c.ExportDir, errors.Unwrap(err))
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	hw := session.StartHardware(ctx, 0)
	defer hw.Close()
	so.Hardware = hw
	r := &dashRunner{so: so, cfg: c}
	defer r.close()
	m := tui.New(tui.Options{
		Runner:   r,
		Monitor:  hw.Monitor,
		Settings: tui.Settings{Batch: c.MaxBatchSize, ISL: c.ISL, OSL: c.OSL, Requests: c.NumRequests, Concurrency: c.Concurrency},
		Theme:    c.Theme, AutoRun: c.Run, ExportDir: c.ExportDir, MaxBatch: llamacpp.MaxSequences,
	})
	return runProgram(m)
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
	fs.Bool(&c.InProcess, "in_process", def.InProcess, "run llama.cpp in this process instead of a child process")
	fs.String(cfgPath, "config", *cfgPath, "dashboard settings file (TOML, keys as the flags)")
	fs.String(&c.ExtraOptions, "extra_llm_api_options", def.ExtraOptions, "options file: trtllm-bench's YAML or benchtui's TOML of backend options (flags win)")
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
	x, err := report.ReadExport(path)
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
	return runProgram(tui.New(tui.Options{Replay: x, ReplayName: filepath.Base(path), Theme: theme}))
}

func runProgram(m *tui.Model) error {
	p := tea.NewProgram(m)
	if _, err := p.Run(); err != nil {
		return fmt.Errorf("dashboard: %w", err)
	}
	if note := m.ExitNote(); note != "" {
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
	cfg  dashConfig
	sess *session.Session
}

func (r *dashRunner) Load(ctx context.Context, ev *engine.Events) (tui.Target, error) {
	s, err := session.Open(ctx, r.so, ev)
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
		Events: ev,
	}
	run, err := r.sess.Run(ctx, spec)
	if err != nil {
		return nil, err
	}
	cfg := r.cfg
	cfg.MaxBatchSize, cfg.ISL, cfg.OSL, cfg.NumRequests, cfg.Concurrency = st.Batch, st.ISL, st.OSL, st.Requests, conc
	rep := r.sess.Report(run, session.ReportExtra{
		Config:  map[string]any{"command": "dashboard", "settings": cfg, "backend_options": r.sess.Options().Backend, "llama_cpp": run.Info},
		Version: version, Streaming: true,
	})
	x := &report.Export{Report: rep, Requests: run.Result.Records, Snapshots: run.Result.Series}
	if hr := rep.BenchTUI.Hardware; hr != nil {
		x.Telemetry = &hr.Series
	}
	return x, nil
}

func (r *dashRunner) close() {
	if r.sess != nil {
		r.sess.Close()
	}
}
