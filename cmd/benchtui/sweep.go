package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/benchtui/benchtui/dataset"
	"github.com/benchtui/benchtui/engine"
	"github.com/benchtui/benchtui/engine/llamacpp"
	"github.com/benchtui/benchtui/internal/fsutil"
	"github.com/benchtui/benchtui/report"
	htmlreport "github.com/benchtui/benchtui/report/html"
	"github.com/benchtui/benchtui/session"
	"github.com/benchtui/benchtui/sweep"
)

// sweepFlags are the fixed settings of a sweep; the axes are sweepAxes.
type sweepFlags struct {
	Model       string `json:"model"`
	NumRequests int    `json:"num_requests"`
	// RequestsPerBatch, when set, gives each point this many times its max_batch_size
	// requests instead of NumRequests.
	RequestsPerBatch int     `json:"requests_per_batch,omitempty"`
	Warmup           int     `json:"warmup"`
	Seed             uint64  `json:"seed"`
	MaxNumTokens     int     `json:"max_num_tokens"`
	ISLStdev         int     `json:"isl_stdev"`
	OSLStdev         int     `json:"osl_stdev"`
	Repeat           int     `json:"repeat"`
	Threads          int     `json:"threads"`
	Dataset          string  `json:"dataset,omitempty"`
	ConfigFile       string  `json:"config,omitempty"`
	Out              string  `json:"-"`
	Quiet            bool    `json:"-"`
	InProcess        bool    `json:"-"`
	LlamaLib         string  `json:"-"`
	StallS           float64 `json:"-"`
	serveFlags
	// Search bounds the search for the highest request rate meeting --slo.
	Search report.RateSearch `json:"rate_search"`
	// modelSet says that --model was given (a server that runs already then takes its
	// vocabulary from it).
	modelSet bool
	// fileOpts is the options file's content, and requests the dataset's.
	fileOpts *llamacpp.OptionsFile
	requests []dataset.Request
	// names names a setting as the user gave it, a flag or a key of the options file.
	names where
}

// The swept settings: backend axes first, so that the grid visits each backend
// configuration's points together and the model loads once per configuration.
var sweepAxes = []struct{ name, def, usage string }{
	{"backend", "llamacpp", "llamacpp (in process), openai (servers at --base_url) or llama-server (started here): llamacpp,llama-server runs every point through both"},
	{"flash_attn", "auto", "flash attention: auto, on, off"},
	{"kv_cache_dtype", "f16", "KV cache type: f16, q8_0, ..."},
	{"n_ubatch", "0", "llama.cpp's micro-batch (n_ubatch) in tokens, at most --max_num_tokens (0: llama.cpp's default, 512)"},
	{"cuda_graphs", "default", "ggml's CUDA graphs: on, off or default (off unless BENCHTUI_CUDA_GRAPHS=1)"},
	{"tp", "1", "tensor parallel size"},
	{"n_gpu_layers", "-1", "layers on GPUs (-1 all, 0 for the CPU)"},
	{"max_batch_size", "16", "most requests decoding at once"},
	{"isl", "128", "mean input length"},
	{"osl", "128", "mean output length"},
	{"concurrency", "-1", "most requests in flight (-1 unlimited)"},
	{"request_rate", "0", "requests per second on an arrival schedule, servers only (0: none), or search with --slo: the highest rate meeting it"},
	{"scheduler_policy", "guaranteed_no_evict", "scheduler policy: guaranteed_no_evict, max_utilization, static_batch, waves"},
}

const backendAxes = 7 // the first seven of sweepAxes need a model load (or a server)

// runSweep runs every point of a grid of settings, repeat times each, and writes sweep.json,
// sweep.csv and sweep.md to --out. Points already in --out (from an interrupted sweep with the
// same settings) are not run again.
func runSweep(args []string, stdout, stderr io.Writer) error {
	f := &sweepFlags{}
	fs := newFlagSet("sweep")
	fs.String(&f.Model, "model", "tiny", "synthetic preset, Hugging Face id, model folder or config.json, or a GGUF file", "m")
	fs.Int(&f.NumRequests, "num_requests", 64, "requests per run")
	fs.Int(&f.RequestsPerBatch, "requests_per_batch", 0, "requests per run as a multiple of the point's max_batch_size, instead of --num_requests (0: --num_requests)")
	fs.Int(&f.Warmup, "warmup", 1, "warmup requests before each run")
	fs.Uint64(&f.Seed, "seed", 420, "seed of the generated sets and synthetic weights", "random_seed")
	fs.Int(&f.MaxNumTokens, "max_num_tokens", 2048, "most tokens in one decode step")
	fs.Int(&f.ISLStdev, "isl_stdev", 0, "input length standard deviation")
	fs.Int(&f.OSLStdev, "osl_stdev", 0, "output length standard deviation")
	fs.Int(&f.Repeat, "repeat", 1, "runs of each point (mean, standard deviation and 95% interval over them)")
	fs.Int(&f.Threads, "threads", 0, "CPU threads (0: all CPUs)")
	fs.String(&f.Out, "out", "sweep-out", "folder for the results; a sweep interrupted there resumes", "output")
	fs.String(&f.Dataset, "dataset", "", "one dataset for every point (instead of a generated set per --isl/--osl point)")
	fs.String(&f.ConfigFile, "config", "", "options file (benchtui's TOML or trtllm-bench's YAML): its values are the defaults of the axes and settings not given", "extra_llm_api_options")
	fs.Bool(&f.Quiet, "quiet", false, "no progress lines on stderr")
	fs.Bool(&f.InProcess, "in_process", false, "run llama.cpp in this process instead of a child process")
	fs.String(&f.LlamaLib, "llama_lib", "", "libllama to load")
	fs.Float(&f.StallS, "stall_timeout", 120, "seconds without progress after which a run fails")
	var page pageOutputs
	page.register(fs)
	f.serveFlags.register(fs, false)
	fs.Float(&f.Search.Start, "rate_start", 1, "with --request_rate search: the first rate tried (requests/s), doubled until a run fails the SLO, then bisected")
	fs.Float(&f.Search.Max, "rate_max", 0, "with --request_rate search: the highest rate tried (0: no limit)")
	fs.Float(&f.Search.Tolerance, "rate_tolerance", 0.05, "with --request_rate search: stop when the rates that pass and fail are this share apart")
	fs.Int(&f.Search.MaxRuns, "rate_runs", 12, "with --request_rate search: the most runs of each search")
	raw := make([]string, len(sweepAxes))
	for i, a := range sweepAxes {
		fs.String(&raw[i], a.name, a.def, a.usage+": a value, a list (1,4,16) or a range (32:384:32, 1:256:x2)")
	}
	for _, a := range args {
		if isHelp(a) {
			fmt.Fprint(stdout, "Usage: benchtui sweep [flags]   (every combination of the listed values)\n\n")
			fs.usage(stdout)
			fmt.Fprint(stdout, sweepExamples)
			return errHelpShown
		}
	}
	if err := fs.parse(args); err != nil {
		return usageError{err}
	}
	set := fs.setFlags()
	f.modelSet = set["model"]
	if f.Repeat < 1 {
		return badInput("--repeat %d: it must be at least 1", f.Repeat)
	}
	if err := sweepFileSettings(f, set, raw, stderr); err != nil {
		return err
	}
	// A setting is named as its flag, or as the options file's key when the file gave it.
	f.names = namedFrom(set, optionsFile(f.fileOpts))
	var axes, swept []sweep.Axis
	for i, a := range sweepAxes {
		vals, err := sweep.ParseValues(raw[i])
		if err != nil {
			return badInput("--%s: %v", a.name, err)
		}
		if a.name == "max_batch_size" {
			vals = clampBatchValues(vals, f.names, stderr)
		}
		if err := checkAxisValues(a.name, vals); err != nil {
			return err
		}
		if a.name == "backend" {
			for i, v := range vals {
				vals[i] = canonicalBackend(v)
			}
		}
		axes = append(axes, sweep.Axis{Name: a.name, Values: vals})
		if len(vals) > 1 {
			swept = append(swept, axes[i])
		}
	}
	if err := checkEngineAxes(f, set, axes); err != nil {
		return err
	}
	points := sweep.Grid(axes)
	search, err := checkSweepServe(f, set, axes)
	if err != nil {
		return err
	}
	// Every point is checked, settings and backend options, before the first loads.
	for _, p := range points {
		if err := sweepSettings(f, p).check(f.names); err != nil {
			return err
		}
		if _, err := sweepOptions(f, p); err != nil {
			return err
		}
	}
	var modelFile string
	if !onlyRemote(axes) {
		so, _ := sweepOptions(f, points[0])
		if err := checkLibrary(so.Backend.Library, f.names); err != nil {
			return err
		}
		model, file, err := session.Check(session.Options{Model: f.Model})
		if err != nil {
			return usageError{err}
		}
		sayModel(stderr, model)
		modelFile = file
	}
	if err := sweepDataset(f, set); err != nil {
		return err
	}
	// The results folder is resolved once, before anything loads.
	if err := page.checkStdout(false); err != nil {
		return err
	}
	inputs := []fsutil.Input{{Flag: "model", Path: modelFile}, {Flag: "dataset", Path: f.Dataset}, {Flag: "config", Path: f.ConfigFile}}
	plan, err := fsutil.PlanOutputs(inputs, append([]fsutil.Output{{Flag: "out", Path: f.Out, Dir: true}}, page.outputs()...))
	if err != nil {
		return usageError{err}
	}
	given := f.Out
	f.Out = plan.Path("out")
	if err := prepareSweepDir(f, given, axes); err != nil {
		return err
	}

	in := newInterrupts(stderr, f.Quiet)
	defer in.stop()
	ctx := in.ctx
	logger, _ := openLog()
	hw := session.StartHardware(ctx, 0)
	defer hw.Close()
	for _, p := range points {
		so, _ := sweepOptions(f, p)
		if so.BackendName() == session.BackendOpenAI {
			continue // the server's model is its own
		}
		env := session.Env{Hardware: hw}
		if err := preflight(so, env, sweepSpec(f, p, so.Backend), func(w string) { fmt.Fprintf(stderr, "benchtui: warning: %s\n", w) }); err != nil {
			return fmt.Errorf("sweep point %s: %w", p.Key(), err)
		}
	}
	say := func(format string, a ...any) {
		if !f.Quiet {
			fmt.Fprintf(stderr, "sweep: "+format+"\n", a...)
		}
	}

	// Progress lines name only what varies.
	label := func(p sweep.Point) string {
		var parts []string
		for _, a := range swept {
			parts = append(parts, a.Name+"="+p.Get(a.Name, ""))
		}
		if len(parts) == 0 {
			return "the one point"
		}
		return strings.Join(parts, " ")
	}
	var results []sweep.PointResult
	var sess session.Session
	loadedKey := ""
	defer func() {
		if sess != nil {
			sess.Close()
		}
	}()
	failed := 0
	// open returns the session of point p, loading another when p's backend settings differ.
	open := func(p sweep.Point) (session.Session, error) {
		if key := backendKey(p); sess == nil || key != loadedKey {
			if sess != nil {
				sess.Close()
				sess = nil
			}
			say("loading %s (%s)", f.Model, key)
			s, err := openSweepSession(ctx, f, p, hw, logger)
			if err != nil {
				return nil, asUsage(fmt.Errorf("sweep point %s: %w", p.Key(), err))
			}
			sess, loadedKey = s, key
			in.onSecond(s.Abort)
		}
		return sess, nil
	}
	var searches []rateSearchResult
	for n, p := range points {
		if search {
			res, rs, err := searchRate(ctx, f, p, open, say, fmt.Sprintf("point %d/%d %s", n+1, len(points), label(p)))
			if rs != nil {
				rs.label = label(p)
			}
			results = append(results, res...)
			if rs != nil {
				searches = append(searches, *rs)
			}
			if err != nil {
				var ue usageError
				if errors.As(err, &ue) {
					return err
				}
				failed++
				say("point %d/%d %s: rate search failed: %v", n+1, len(points), label(p), oneLine(err.Error()))
				if errors.Is(err, engine.ErrCanceled) || ctx.Err() != nil {
					break
				}
			}
			continue
		}
		var reports []report.Report
		for k := 1; k <= f.Repeat; k++ {
			file := pointFile(f.Out, p, k)
			if x, err := report.ReadExport(file); err == nil {
				say("point %d/%d %s repeat %d/%d: done before, kept", n+1, len(points), label(p), k, f.Repeat)
				reports = append(reports, x.Report)
				continue
			}
			if ctx.Err() != nil {
				break
			}
			s, err := open(p)
			if err != nil {
				return err
			}
			rep, err := runSweepPoint(ctx, s, f, p)
			if err != nil {
				failed++
				say("point %d/%d %s repeat %d/%d failed: %v", n+1, len(points), label(p), k, f.Repeat, oneLine(err.Error()))
				if errors.Is(err, engine.ErrCanceled) {
					break
				}
				continue
			}
			if err := fsutil.WriteFile(file, rep.WriteJSON); err != nil {
				return fmt.Errorf("sweep point %s: %w", p.Key(), err)
			}
			reports = append(reports, *rep)
			say("point %d/%d %s repeat %d/%d: %.1f output tok/s", n+1, len(points), label(p), k, f.Repeat, rep.Performance.SystemOutputThroughputTokS)
		}
		if len(reports) > 0 {
			results = append(results, sweep.NewPointResult(p, reports))
		}
	}
	if err := writeSweepResults(f.Out, axes, swept, results); err != nil {
		return err
	}
	if search {
		if err := writeRateSearches(f.Out, searches); err != nil {
			return err
		}
	}
	if page.any() {
		names := make([]string, len(axes))
		for i, a := range axes {
			names[i] = a.Name
		}
		src := htmlreport.FromSweep("sweep.json", &htmlreport.Sweep{Axes: names, Points: results})
		if err := page.write([]*htmlreport.Source{src}, inputs, plan, true, f.Quiet, stdout, stderr); err != nil {
			return err
		}
	}
	shown := swept
	if len(shown) == 0 {
		shown = axes[backendAxes:]
	}
	if err := sweep.WriteMarkdown(stdout, shown, results); err != nil {
		return err
	}
	if search {
		printRateSearches(stdout, searches)
	}
	if search {
		say("results in %s (sweep.json, sweep.csv, sweep.md, rate-search.json)", given)
	} else {
		say("results in %s (sweep.json, sweep.csv, sweep.md)", given)
	}
	switch {
	case ctx.Err() != nil:
		return interruptedError{fmt.Errorf("sweep interrupted after %d of %d points; run the same command again to resume", len(results), len(points))}
	case failed > 0:
		return fmt.Errorf("%d runs of the sweep failed (see above); run the same command again to retry them", failed)
	}
	return nil
}

// prepareSweepDir makes the results folder, or checks that a sweep already there has the same
// fixed settings and axes, so that resuming never mixes two different sweeps.
func prepareSweepDir(f *sweepFlags, given string, axes []sweep.Axis) error {
	if err := os.MkdirAll(filepath.Join(f.Out, "points"), 0o777); err != nil {
		return badInput("--out %s: %v", given, errors.Unwrap(err))
	}
	cfg, err := json.MarshalIndent(struct {
		Settings *sweepFlags `json:"settings"`
		Axes     []sweep.Axis
	}{f, axes}, "", "  ")
	if err != nil {
		return err
	}
	path := filepath.Join(f.Out, "sweep-settings.json")
	if old, err := os.ReadFile(path); err == nil {
		if !bytes.Equal(bytes.TrimSpace(old), bytes.TrimSpace(cfg)) {
			return badInput("--out %s holds a sweep with other settings (see its sweep-settings.json): give another --out, or remove it to start over", given)
		}
		return nil
	}
	return fsutil.WriteFile(path, func(w io.Writer) error { _, err := w.Write(append(cfg, '\n')); return err })
}

func pointFile(dir string, p sweep.Point, repeat int) string {
	return filepath.Join(dir, "points", fmt.Sprintf("%s,repeat=%d.json", p.Key(), repeat))
}

func backendKey(p sweep.Point) string {
	var parts []string
	for i := 0; i < backendAxes; i++ {
		parts = append(parts, p.Names[i]+"="+p.Values[i])
	}
	return strings.Join(parts, ", ")
}

// sweepSettings are the run settings of point p, for their one check.
func sweepSettings(f *sweepFlags, p sweep.Point) runSettings {
	atoi := func(name, def string) int { v, _ := strconv.Atoi(p.Get(name, def)); return v }
	n := f.NumRequests
	if f.RequestsPerBatch > 0 {
		n = f.RequestsPerBatch * atoi("max_batch_size", "16")
	}
	return runSettings{
		MaxBatchSize: atoi("max_batch_size", "16"), MaxNumTokens: f.MaxNumTokens, NumRequests: n, MinRequests: 1,
		Warmup: f.Warmup, Concurrency: atoi("concurrency", "-1"), TP: atoi("tp", "1"), PP: 1, EOSID: -1,
		ISL: atoi("isl", "128"), OSL: atoi("osl", "128"), ISLStdev: f.ISLStdev, OSLStdev: f.OSLStdev, StallTimeoutS: f.StallS,
		SchedulerPolicy: p.Get("scheduler_policy", string(engine.PolicyGuaranteedNoEvict)),
	}
}

// sweepOptions are the session options of point p: its backend axes.
func sweepOptions(f *sweepFlags, p sweep.Point) (session.Options, error) {
	ngl, _ := strconv.Atoi(p.Get("n_gpu_layers", "-1"))
	tp, _ := strconv.Atoi(p.Get("tp", "1"))
	var base llamacpp.BackendOptions
	if f.fileOpts != nil {
		base = f.fileOpts.Backend
	}
	base.GPULayers, base.FlashAttn, base.KVCacheDType = &ngl, p.Get("flash_attn", "auto"), p.Get("kv_cache_dtype", "f16")
	base.NUBatch, _ = strconv.Atoi(p.Get("n_ubatch", "0"))
	base.CUDAGraphs = nil // default: benchtui's (see llamacpp.Options.CUDAGraphs)
	if g := p.Get("cuda_graphs", "default"); g != "default" {
		on := g == "on"
		base.CUDAGraphs = &on
	}
	if f.Threads != 0 || base.Threads == 0 {
		base.Threads = f.Threads
	}
	if f.LlamaLib != "" {
		base.Library = f.LlamaLib
	}
	bo, err := session.NormalizeBackend(base)
	if err != nil {
		return session.Options{}, optionError(err, f.names)
	}
	backend := p.Get("backend", session.BackendLlamaCpp)
	if backend == session.BackendLlamaServer {
		bo.KVCacheFreeMemFraction = 0 // llama-server's cache is max_batch_size x max_seq_len
	}
	return session.Options{Model: f.Model, Seed: f.Seed, Backend: bo, TP: tp,
		Server: f.serverOptions(backend, f.Model, f.modelSet)}, nil
}

// sweepSpec is the run of point p with the backend options bo: the dataset's requests when
// there is one, else a generated set of the point's lengths.
func sweepSpec(f *sweepFlags, p sweep.Point, bo llamacpp.BackendOptions) session.Spec {
	s := sweepSettings(f, p)
	spec := session.Spec{
		Gen: session.Gen{NumRequests: s.NumRequests, ISL: s.ISL, OSL: s.OSL, ISLStdev: f.ISLStdev, OSLStdev: f.OSLStdev, Seed: f.Seed},
		Engine: engine.Config{MaxBatchSize: s.MaxBatchSize, MaxNumTokens: f.MaxNumTokens, Concurrency: s.Concurrency,
			Warmup: f.Warmup, EOSID: -1, Policy: engine.SchedulerPolicy(s.SchedulerPolicy)},
		KVFreeMemFraction: bo.KVCacheFreeMemFraction,
	}
	if r := p.Get("request_rate", "0"); r != searchValue {
		spec.RequestRate, _ = strconv.ParseFloat(r, 64)
		spec.Burstiness = f.Burstiness
	}
	if f.requests != nil {
		spec.Requests, spec.DatasetPath = f.requests, f.Dataset
	}
	return spec
}

func openSweepSession(ctx context.Context, f *sweepFlags, p sweep.Point, hw *session.Hardware, logger *log.Logger) (session.Session, error) {
	so, err := sweepOptions(f, p)
	if err != nil {
		return nil, err
	}
	env := session.Env{Hardware: hw, InProcess: f.InProcess, StallTimeout: time.Duration(f.StallS * float64(time.Second)), Log: logger, APIKey: f.APIKey}
	return session.Open(ctx, so, env, nil)
}

// runSweepPoint runs point p and reports it; the report is nil only when the run could not
// start, and the error is the run's when it failed or was canceled.
func runSweepPoint(ctx context.Context, s session.Session, f *sweepFlags, p sweep.Point) (*report.Report, error) {
	r, err := s.Run(ctx, sweepSpec(f, p, s.Options().Backend), nil)
	if err != nil {
		return nil, err
	}
	params := map[string]string{}
	for i := range p.Names {
		params[p.Names[i]] = p.Values[i]
	}
	config := map[string]any{"command": "sweep", "point": params, "settings": f}
	if s.Options().BackendName() == session.BackendOpenAI {
		config["server"] = r.Info
	} else {
		// What llama.cpp made of the options (n_ubatch, flash attention, ...), as the
		// throughput command and the dashboard record it.
		config["backend_options"], config["llama_cpp"] = s.Options().Backend, r.Info
	}
	rep := s.Report(r, session.ReportExtra{Version: version, Streaming: true, SLO: f.slo, Config: config})
	return &rep, r.Err
}

func writeSweepResults(dir string, axes, swept []sweep.Axis, results []sweep.PointResult) error {
	shown := swept
	if len(shown) == 0 {
		shown = axes[backendAxes:]
	}
	files := []struct {
		name  string
		write func(io.Writer) error
	}{
		{"sweep.json", func(w io.Writer) error { return sweep.WriteJSON(w, axes, results) }},
		{"sweep.csv", func(w io.Writer) error { return sweep.WriteCSV(w, axes, results) }},
		{"sweep.md", func(w io.Writer) error { return sweep.WriteMarkdown(w, shown, results) }},
	}
	for _, file := range files {
		if err := fsutil.WriteFile(filepath.Join(dir, file.name), file.write); err != nil {
			return fmt.Errorf("sweep results: %w", err)
		}
	}
	return nil
}

// runCompare prints reports side by side: every metric of each, with its change in percent
// from the first. Reports of benchtui or trtllm-bench, and dashboard exports, are read.
func runCompare(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("compare")
	var page pageOutputs
	page.register(fs)
	for _, a := range args {
		if isHelp(a) {
			fmt.Fprint(stdout, "Usage: benchtui compare A.json B.json [...] [--html OUT.html] [--svg DIR]   (reports or exports; changes are against A)\n\n")
			fs.usage(stdout)
			return errHelpShown
		}
	}
	args, flags := splitArgs(args, fs)
	if err := fs.parse(flags); err != nil {
		return usageError{err}
	}
	if len(args) < 2 {
		return badInput("compare takes two reports or more: benchtui compare A.json B.json [...]")
	}
	if err := page.checkStdout(false); err != nil {
		return err
	}
	inputs := positionalInputs(args)
	plan, err := fsutil.PlanOutputs(inputs, page.outputs())
	if err != nil {
		return usageError{err}
	}
	reps := make([]report.Report, len(args))
	srcs := make([]*htmlreport.Source, len(args))
	for i, path := range args {
		x, err := report.ReadExport(path)
		if err != nil {
			return usageError{err}
		}
		reps[i] = x.Report
		srcs[i] = htmlreport.FromExport(filepath.Base(path), x)
	}
	names := make([]string, len(args))
	for i, path := range args {
		names[i] = filepath.Base(path)
	}
	if err := report.WriteCompare(stdout, names, reps); err != nil {
		return err
	}
	return page.write(srcs, inputs, plan, false, false, stdout, stderr)
}
