package session

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/benchtui/benchtui/dataset"
	"github.com/benchtui/benchtui/engine"
	"github.com/benchtui/benchtui/engine/llamacpp"
	"github.com/benchtui/benchtui/report"
	"github.com/benchtui/benchtui/synth"
	"github.com/benchtui/benchtui/telemetry"
)

// local is a session whose backend runs in this process: llama.cpp through cgo, the one
// step-driven backend. A request-driven backend (a server that schedules itself) would be
// another local session: it has no native code to isolate, so no backend process; the
// commands open it through the same Open and run it through the same Session.
type local struct {
	base
	b     *llamacpp.Backend
	nFF   int // the model's FFN width, for the preflight
	shape ctxShape
	// kvCapped is set when the cache sized from free memory was cut to what the run could
	// fill, so that a run needing more measures again.
	kvCapped bool
	fault    *fault // injected failure (backend process under test)
}

// ctxShape is what the llama.cpp context was created with; a run with another shape
// recreates it.
type ctxShape struct{ nCtx, nBatch, nUBatch, nSeq int }

// openLocal writes the synthetic model if needed and loads it in this process.
func openLocal(ctx context.Context, o Options, ev *engine.Events) (*local, error) {
	model, file, err := Check(o)
	if err != nil {
		return nil, err
	}
	shape, err := shapeOf(o)
	if err != nil {
		return nil, err
	}
	bo, err := o.normalizedBackend()
	if err != nil {
		return nil, err
	}
	lo := llamaOptions(bo, file, o.Verbose)
	devs, err := llamacpp.Devices(lo.Library, lo.CUDAGraphs)
	if err != nil {
		// The library is the user's setting (--llama_lib, the config's library, or the
		// environment): one that does not load is bad input.
		return nil, inputErr("%w: pass --llama_lib with a folder holding libllama (see scripts/setup-llama.sh)", err)
	}
	if err := tensorParallel(&lo, o.TP, bo, devs); err != nil {
		return nil, err
	}
	// The weights must fit before they are written or loaded.
	if err := checkWeights(shape, o.Model, lo.GPULayers, memoryFor(devs, lo.GPULayers, o.TP)); err != nil {
		return nil, err
	}
	if file == "" {
		file, err = synth.Ensure(ctx, model, o.Seed, loadingEvents(ev, model.String()))
		if err != nil {
			return nil, fmt.Errorf("write synthetic model %s: %w", model, err)
		}
		lo.ModelPath = file
	}
	loadMsg := "loading " + file
	live.enter()
	b, err := llamacpp.Open(ctx, lo, func(frac float64) {
		ev.Publish(engine.Lifecycle{Phase: engine.PhaseLoading, Progress: frac, Message: loadMsg})
	})
	live.exit()
	if err != nil {
		return nil, err
	}
	o.Backend = bo
	l := &local{base: base{opts: o, model: model, modelFile: file, info: b.Info()}, b: b, nFF: shape.nFF}
	ev.Publish(engine.Lifecycle{Phase: engine.PhaseLoaded, Message: fmt.Sprintf("loaded %s (%s params) on %s",
		l.info.ModelName, HumanCount(int64(l.info.NParams)), l.info.RunsOn)})
	return l, nil
}

// llamaOptions are llama.cpp's options for the normalised backend options bo.
func llamaOptions(bo llamacpp.BackendOptions, file string, verbose bool) llamacpp.Options {
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
		Verbose:         verbose,
		RPC:             bo.RPC,
		RPCDirect:       bo.RPCMeasure != nil && !*bo.RPCMeasure,
	}
	for _, v := range bo.TensorSplit {
		lo.TensorSplit = append(lo.TensorSplit, float32(v))
	}
	return lo
}

func (l *local) Run(ctx context.Context, spec Spec, ev *engine.Events) (*Run, error) {
	roof := l.startRun(ctx)
	r, err := l.run(ctx, spec, roof, ev)
	if err != nil {
		return nil, err
	}
	l.endRun(r)
	publishEnd(ev, r, len(r.Requests))
	return r, nil
}

// Abort cannot stop native code that runs in this process.
func (l *local) Abort() bool { return false }

func (l *local) Close() error {
	if l.b == nil {
		return nil
	}
	err := l.b.Close()
	l.b = nil
	return err
}

// run prepares spec and runs it, with roof (when known) as the snapshots' speed of light.
// It publishes the run's events on ev except the final one.
func (l *local) run(ctx context.Context, spec Spec, roof *telemetry.Roofline, ev *engine.Events) (*Run, error) {
	reqs, cfg, err := l.prepare(spec)
	if err != nil {
		return nil, err
	}
	hooks := engine.Hooks{SpeedOfLight: speedOfLightHook(roof, l.info)}
	if spec.IterationLogPath != "" {
		f, err := os.Create(spec.IterationLogPath)
		if err != nil {
			return nil, inputErr("iteration log: %w", err)
		}
		defer f.Close()
		hooks.IterationLog = f
	}
	var b engine.Backend = l.b
	if l.fault != nil {
		b = &faultBackend{Backend: b, f: l.fault}
	}
	b = liveBackend{b}
	r := &Run{Spec: spec, Requests: reqs, Config: cfg, Stats: report.DatasetStats(reqs), Info: l.info, Start: time.Now()}
	r.Result, r.Err = engine.Run(ctx, b, reqs, cfg, hooks, ev)
	r.End = time.Now()
	if r.Err != nil {
		// Requests cut short still hold KV cells: the next run starts on a fresh context.
		l.shape = ctxShape{}
	}
	return r, nil
}

// prepare makes and checks the requests and the engine configuration of spec, and creates
// or reuses a llama.cpp context that fits them. Errors are InputErrors where the spec is at
// fault.
func (l *local) prepare(spec Spec) ([]dataset.Request, engine.Config, error) {
	if l.b == nil {
		return nil, engine.Config{}, errors.New("session is closed")
	}
	if spec.RequestRate > 0 || spec.Burstiness > 0 {
		return nil, engine.Config{}, inputErr("request_rate %v: llama.cpp in process admits requests as --concurrency allows and has no arrival schedule; a request rate needs --backend llama-server or openai", spec.RequestRate)
	}
	reqs, err := requestsOf(spec, l.info)
	if err != nil {
		return nil, engine.Config{}, err
	}
	name := datasetName(spec)
	if err := dataset.TokenizePrompts(reqs, tickingTokenizer{l.b}); err != nil {
		return nil, engine.Config{}, inputErr("%s: %w", name, err)
	}
	if err := dataset.Validate(reqs, l.info.NVocab); err != nil {
		return nil, engine.Config{}, inputErr("%s: %w", name, err)
	}
	cfg := spec.Engine
	var seqFrom string
	cfg.MaxSeqLen, seqFrom = seqLenFrom(cfg, reqs, name)
	shape := ctxShape{nCtx: cfg.MaxBatchSize * cfg.MaxSeqLen, nBatch: contextBatch(cfg), nUBatch: l.opts.Backend.NUBatch, nSeq: cfg.MaxBatchSize}
	if spec.KVFreeMemFraction > 0 {
		need := shape.nCtx
		if l.shape.nCtx > 0 && l.shape.nBatch == shape.nBatch && l.shape.nSeq == shape.nSeq && cfg.KVCapacity == 0 &&
			!(l.kvCapped && l.shape.nCtx < need) {
			// The cache sized from free memory is kept: measuring free memory again with
			// it allocated would shrink it run by run.
			shape.nCtx = l.shape.nCtx
		} else {
			cells, err := kvCellsFromMemory(l.info, spec.KVFreeMemFraction, l.opts.Backend.KVCacheDType)
			if err != nil {
				return nil, engine.Config{}, err
			}
			// No more cells than max_batch_size sequences of max_seq_len can fill: the
			// rest would never be used, and on the CPU a fraction of free host memory
			// (trtllm-bench's 0.9 in a copied config) is most of the machine.
			shape.nCtx, l.kvCapped = min(cells, need), cells > need
		}
		cfg.KVCapacity = shape.nCtx
	}
	if err := engine.Validate(reqs, cfg, l.info.NVocab); err != nil {
		return nil, engine.Config{}, inputErr("%s: %w", name, err)
	}
	// The report and the run's config say which policies ran, defaults filled in.
	cfg = cfg.WithPolicies()
	if shape != l.shape {
		// The context's memory is checked before llama.cpp allocates it; the context it
		// replaces is freed first, so its memory counts as free. Weights on a GPU are
		// allocated already and not in its free memory; on the host they are mapped pages
		// that the free memory counts.
		devs, _ := llamacpp.Devices(l.opts.Backend.Library, l.opts.Backend.CUDAGraphs)
		mem := memoryFor(devs, l.info.GPULayers, l.opts.TP)
		mem.free += l.contextBytes()
		var weights uint64
		if !mem.gpu {
			weights = l.info.SizeBytes
		}
		if err := checkContext(modelShape{l.info, l.nFF}, cfg, l.opts.Backend, spec.KVFreeMemFraction > 0, mem, weights, seqFrom); err != nil {
			return nil, engine.Config{}, err
		}
		live.enter()
		err := l.b.CreateContext(shape.nCtx, shape.nBatch, shape.nUBatch, shape.nSeq)
		live.exit()
		if err != nil {
			l.shape = ctxShape{}
			return nil, engine.Config{}, err
		}
		l.shape = shape
		l.info = l.b.Info()
	}
	if cfg.KVCapacity == 0 && l.info.NCtxSeq < cfg.MaxSeqLen {
		return nil, engine.Config{}, fmt.Errorf("llama.cpp gave each sequence %d KV cells, fewer than max_seq_len %d", l.info.NCtxSeq, cfg.MaxSeqLen)
	}
	return reqs, cfg, nil
}

// contextBytes is the memory of the context in use (its KV cache), 0 when there is none.
func (l *local) contextBytes() uint64 {
	if l.shape.nCtx == 0 {
		return 0
	}
	return uint64(float64(l.info.NCtx) * kvBytesPerToken(l.info, ""))
}

// contextBatch is the n_batch of a context for cfg. Every decode step feeds one token of each
// running sequence, and llama.cpp sizes a step's outputs by n_batch, so a context whose n_batch
// is below n_seq_max fails an assertion when it is created. The context is given at least
// max_batch_size; the scheduler still puts at most max_num_tokens tokens in a step (the
// decodes take turns when there are more).
func contextBatch(cfg engine.Config) int { return max(cfg.MaxNumTokens, cfg.MaxBatchSize) }

// requestsOf returns spec's requests, generated for the model described by info when spec
// has none.
func requestsOf(spec Spec, info engine.BackendInfo) ([]dataset.Request, error) {
	if spec.Requests != nil {
		return spec.Requests, nil
	}
	n := spec.Gen.NumRequests
	if n == 0 {
		n = 64
	}
	reqs, _, err := dataset.GenerateNormal(dataset.NormalOptions{
		GenerateOptions: dataset.GenerateOptions{NumRequests: n, VocabSize: info.NVocab, EOS: info.EOS, Seed: spec.Gen.Seed},
		InputMean:       spec.Gen.ISL, InputStdev: spec.Gen.ISLStdev,
		OutputMean: spec.Gen.OSL, OutputStdev: spec.Gen.OSLStdev,
	})
	if err != nil {
		return nil, inputErr("generate dataset: %w", err)
	}
	return reqs, nil
}

// datasetName names spec's requests in messages.
func datasetName(spec Spec) string {
	switch {
	case spec.DatasetPath != "":
		return "dataset " + spec.DatasetPath
	case spec.Requests == nil:
		return "generated dataset"
	}
	return "requests"
}

// tickingTokenizer counts each prompt tokenized as progress (a large dataset takes a while).
type tickingTokenizer struct{ b *llamacpp.Backend }

func (t tickingTokenizer) Tokenize(text string) ([]int32, error) {
	live.tick()
	return t.b.Tokenize(text)
}
