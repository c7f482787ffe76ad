package session

import (
	"fmt"
	"math"
	"strings"

	"github.com/benchtui/benchtui/dataset"
	"github.com/benchtui/benchtui/engine"
	"github.com/benchtui/benchtui/engine/llamacpp"
	"github.com/benchtui/benchtui/synth"
	"github.com/benchtui/benchtui/telemetry"
)

// The preflight checks that a run fits before anything is allocated: that the weights, the
// KV cache (max_batch_size sequences of max_seq_len cells, each kvBytesPerToken) and the
// compute buffers fit in the free memory of the device that holds them, that llama.cpp's
// 32-bit cell counts do not overflow, and that every request fits max_seq_len. Without it,
// a dataset line asking for a billion output tokens makes llama.cpp allocate until the host
// runs out. It runs twice with the same functions: before anything loads (Preflight, from
// the model's GGUF header or preset), and before each context is created (local.prepare,
// from the loaded model and the memory free then).

// modelShape is what the preflight knows of a model: its description (from llama.cpp after
// loading, or from the GGUF header or the preset before) and its FFN width, which sizes the
// compute buffers.
type modelShape struct {
	info engine.BackendInfo
	nFF  int
}

// shapeOf describes the model of o without loading it or writing it: a synthetic model from
// its shape (a preset's, or a config.json's), a file from its header.
func shapeOf(o Options) (modelShape, error) {
	model, file, err := Check(o)
	if err != nil {
		return modelShape{}, err
	}
	if file != "" {
		g, err := readGGUFFile(file)
		if err != nil {
			return modelShape{}, InputError{err}
		}
		return g.shape(), nil
	}
	p, err := model.Architecture()
	if err != nil {
		return modelShape{}, InputError{err}
	}
	size, err := synth.ExpectedSize(model, o.Seed)
	if err != nil {
		return modelShape{}, InputError{err}
	}
	if err := synth.CheckRoom(model, o.Seed); err != nil {
		return modelShape{}, InputError{err}
	}
	return modelShape{
		info: engine.BackendInfo{
			ModelName: model.String(), NVocab: p.Vocab, NLayer: p.Layers, NEmbd: p.Hidden, NHead: p.Heads,
			NHeadKV: p.KVHeads, NCtxTrain: p.ContextLength, EOS: synth.EOSTokenID, SizeBytes: uint64(size),
		},
		nFF: p.FFN,
	}, nil
}

// memory is where a run's buffers go and how much of it is free; free 0 means not known.
type memory struct {
	where string
	free  uint64
	gpu   bool
}

func hostMemory() memory { return memory{where: "the host", free: hostAvailable()} }

// memoryFor is the memory that holds a model with gpuLayers offloaded over tp GPUs: the
// GPUs' (as llama.cpp counts it), or the host's.
func memoryFor(devs []engine.Device, gpuLayers, tp int) memory {
	if gpuLayers == 0 {
		return hostMemory()
	}
	for _, d := range devs {
		if d.Type == "rpc" {
			// The model is spread over RPC servers too; what each holds is llama.cpp's
			// split, not known here, and a model too big for this machine alone is why
			// they are there. llama.cpp's own allocation failure is the check.
			return memory{}
		}
	}
	var m memory
	var names []string
	for _, d := range devs {
		if d.Type != "gpu" || len(names) == max(tp, 1) {
			continue
		}
		m.free += d.FreeBytes
		names = append(names, d.Description)
	}
	if len(names) == 0 {
		return hostMemory()
	}
	m.gpu, m.where = true, strings.Join(names, " + ")
	return m
}

// memoryBefore is memoryFor before llama.cpp is loaded: the GPUs as NVML sees them through
// env's hardware monitor, the host when there is no GPU or nothing is offloaded, and unknown
// without a hardware monitor.
func memoryBefore(bo llamacpp.BackendOptions, tp int, env Env) memory {
	layers := -1
	if bo.GPULayers != nil {
		layers = *bo.GPULayers
	}
	hw := env.Hardware
	switch {
	case layers == 0:
		return hostMemory()
	case hw == nil || len(bo.RPC) > 0: // see memoryFor for RPC servers
		return memory{}
	case len(hw.Machine.GPUs) == 0:
		return hostMemory()
	}
	used := hw.usedGPUs(engine.BackendInfo{GPULayers: layers, SplitMode: bo.SplitMode}, tp)
	hw.Monitor.SampleNow()
	m := memory{gpu: true}
	var names []string
	for i, d := range hw.Monitor.Devices() {
		if d.Kind != telemetry.KindGPU || !contains(used, d.Index) {
			continue
		}
		s, ok := hw.Monitor.Latest(i)
		if !ok || !s.Has(telemetry.FieldMemUsed|telemetry.FieldMemTotal) || s.MemUsedBytes > s.MemTotalBytes {
			return memory{}
		}
		m.free += s.MemTotalBytes - s.MemUsedBytes
		names = append(names, d.Name)
	}
	m.where = strings.Join(names, " + ")
	return m
}

func contains(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// onDevice is the part of a model's bytes that a GPU holds when gpuLayers of its layers are
// offloaded (all of them for -1).
func onDevice(bytes uint64, m memory, gpuLayers, nLayer int) uint64 {
	if !m.gpu || gpuLayers < 0 || nLayer == 0 || gpuLayers >= nLayer {
		return bytes
	}
	return uint64(float64(bytes) * float64(gpuLayers) / float64(nLayer+1))
}

// checkWeights refuses a model whose weights do not fit in m.
func checkWeights(s modelShape, name string, gpuLayers int, m memory) error {
	need := onDevice(s.info.SizeBytes, m, gpuLayers, s.info.NLayer)
	if m.free == 0 || need <= m.free {
		return nil
	}
	fix := "pick a smaller model"
	if mod, err := synth.ParseModel(name); err == nil && !mod.IsFile() && mod.DType != synth.Q4_0 {
		fix += " or weight type (" + mod.DisplayName() + ":q4_0)"
	}
	if m.gpu {
		fix += ", or offload fewer layers (--n_gpu_layers)"
	}
	return inputErr("the weights of %s need %s but %s has %s free: %s", name, bytesString(need), m.where, bytesString(m.free), fix)
}

// kvCellPad is the multiple llama.cpp rounds each sequence's KV cells up to.
const kvCellPad = 256

// checkContext refuses a run of cfg whose KV cache and compute buffers, with weights bytes
// of weights beside them, do not fit in m, or whose cell counts overflow llama.cpp's 32-bit
// sizes. kvFromMemory says that the cache is sized from free memory (so it fits); seqFrom,
// when max_seq_len was not given, says which request set it.
func checkContext(s modelShape, cfg engine.Config, bo llamacpp.BackendOptions, kvFromMemory bool, m memory, weights uint64, seqFrom string) error {
	seqLen, batch := int64(cfg.MaxSeqLen), int64(cfg.MaxBatchSize)
	what := fmt.Sprintf("max_seq_len %d", seqLen)
	fix := "lower --max_seq_len or --max_batch_size"
	if seqFrom != "" {
		what += " (" + seqFrom + ")"
		fix = "shorten that request, or lower --max_batch_size"
	}
	if seqLen > math.MaxInt32 {
		return inputErr("%s is more than llama.cpp's positions reach (%d): %s", what, math.MaxInt32, fix)
	}
	cells := batch * ((seqLen + kvCellPad - 1) / kvCellPad * kvCellPad)
	kvCells := cells
	if cfg.KVCapacity > 0 {
		kvCells = int64(cfg.KVCapacity)
	}
	if kvCells > math.MaxUint32 {
		return inputErr("max_batch_size %d x %s is %d KV cells, more than llama.cpp holds in one context (%d): %s",
			batch, what, kvCells, uint64(math.MaxUint32), fix)
	}
	if m.free == 0 {
		return nil
	}
	kvb := kvBytesPerToken(s.info, bo.KVCacheDType)
	var kv uint64
	if !kvFromMemory {
		kv = onDevice(uint64(float64(kvCells)*kvb), m, layersOf(bo), s.info.NLayer)
	}
	perSeq := seqLen
	if cfg.KVCapacity > 0 {
		perSeq = int64(cfg.KVCapacity)
	}
	compute := computeBytes(s, cfg, bo, perSeq)
	weights = onDevice(weights, m, layersOf(bo), s.info.NLayer)
	need := weights + kv + compute
	if need <= m.free {
		return nil
	}
	if kvFromMemory {
		return inputErr("the weights and compute buffers need %s but %s has %s free: pick a smaller model or weight type", bytesString(need), m.where, bytesString(m.free))
	}
	msg := fmt.Sprintf("a KV cache of %s x %d tokens needs %s (%s a token), and the run %s with weights and compute buffers, but %s has %s free",
		sequences(batch), seqLen, bytesString(kv), bytesString(uint64(kvb)), bytesString(need), m.where, bytesString(m.free))
	if room := int64(m.free) - int64(weights+compute); room > 0 && kvb > 0 && batch > 0 {
		if fit := int64(float64(room)/kvb/float64(batch)) / kvCellPad * kvCellPad; fit > 0 {
			msg += fmt.Sprintf(" (room for %s of %d tokens)", sequences(batch), fit)
		}
	}
	if seqFrom != "" {
		msg += "; max_seq_len is " + seqFrom
	}
	return inputErr("%s: %s", msg, fix)
}

// seqLenFrom is what sets max_seq_len when cfg leaves it 0: the longest request of reqs (its
// length, and a description for messages); "" when cfg sets it.
func seqLenFrom(cfg engine.Config, reqs []dataset.Request, name string) (int, string) {
	if cfg.MaxSeqLen > 0 {
		return cfg.MaxSeqLen, ""
	}
	n, at := 0, -1
	for i := range reqs {
		if l := len(reqs[i].InputIDs) + reqs[i].OutputTokens; l > n {
			n, at = l, i
		}
	}
	if at < 0 {
		return 0, ""
	}
	where := reqs[at].Where()
	if where == "" {
		where = fmt.Sprintf("request %d", at)
	}
	return n, fmt.Sprintf("the longest request's, %s of %s", where, name)
}

func sequences(n int64) string {
	if n == 1 {
		return "1 sequence"
	}
	return fmt.Sprintf("%d sequences", n)
}

func layersOf(bo llamacpp.BackendOptions) int {
	if bo.GPULayers == nil {
		return -1
	}
	return *bo.GPULayers
}

// computeBytes estimates llama.cpp's compute buffer for cfg: the logits of a step's outputs,
// the activations of a micro-batch (the FFN's two up projections and a few model-wide
// vectors per token) and, without flash attention, its attention scores over kvLen cells.
// It is a floor rather than an exact figure (llama.cpp's graph allocator reuses buffers).
func computeBytes(s modelShape, cfg engine.Config, bo llamacpp.BackendOptions, kvLen int64) uint64 {
	nBatch := int64(contextBatch(cfg))
	ub := int64(bo.NUBatch)
	if ub <= 0 {
		ub = 512
	}
	ub = min(ub, nBatch)
	ff := int64(s.nFF)
	if ff == 0 {
		ff = 4 * int64(s.info.NEmbd)
	}
	outputs := min(int64(cfg.MaxBatchSize), nBatch)
	floats := outputs*int64(s.info.NVocab) + ub*(2*ff+4*int64(s.info.NEmbd))
	if bo.FlashAttn == "off" {
		floats += ub * kvLen * int64(s.info.NHead)
	}
	return uint64(4 * floats)
}

func bytesString(b uint64) string { return telemetry.FormatBytes(float64(b)) }

// Preflight checks a run of spec on the model of o before anything loads or is written:
// the dataset's token ids against the model's vocabulary, every request against
// max_seq_len, and the weights, KV cache and compute buffers against the free memory of
// the device that will hold them (the host's, or the GPUs' through env's hardware monitor;
// not checked when neither is known). Its errors are InputErrors; its warnings (requests
// longer than the model's trained context) are lines for the user.
func Preflight(o Options, env Env, spec Spec) ([]string, error) {
	s, err := shapeOf(o)
	if err != nil {
		return nil, err
	}
	bo, err := o.normalizedBackend()
	if err != nil {
		return nil, err
	}
	reqs, err := requestsOf(spec, s.info)
	if err != nil {
		return nil, err
	}
	for i := range reqs {
		if len(reqs[i].InputIDs) == 0 {
			// Text prompts are tokenized by the loaded model; the checks run then.
			return nil, nil
		}
	}
	name := datasetName(spec)
	if err := dataset.Validate(reqs, s.info.NVocab); err != nil {
		return nil, inputErr("%s: %w", name, err)
	}
	cfg := spec.Engine
	var seqFrom string
	cfg.MaxSeqLen, seqFrom = seqLenFrom(cfg, reqs, name)
	if err := engine.Validate(reqs, cfg, s.info.NVocab); err != nil {
		return nil, inputErr("%s: %w", name, err)
	}
	mem := memoryBefore(bo, o.TP, env)
	if err := checkWeights(s, o.Model, layersOf(bo), mem); err != nil {
		return nil, err
	}
	if err := checkContext(s, cfg, bo, spec.KVFreeMemFraction > 0, mem, s.info.SizeBytes, seqFrom); err != nil {
		return nil, err
	}
	return contextWarnings(reqs, s.info.NCtxTrain, name), nil
}

// contextWarnings says when requests are longer than the context the model was trained for:
// llama.cpp runs them, so the benchmark is valid, but a real model's output degrades there.
func contextWarnings(reqs []dataset.Request, trained int, name string) []string {
	if trained <= 0 {
		return nil
	}
	n, worst := 0, -1
	for i := range reqs {
		if l := len(reqs[i].InputIDs) + reqs[i].OutputTokens; l > trained {
			n++
			if worst < 0 || l > len(reqs[worst].InputIDs)+reqs[worst].OutputTokens {
				worst = i
			}
		}
	}
	if n == 0 {
		return nil
	}
	w := &reqs[worst]
	where := w.Where()
	if where == "" {
		where = fmt.Sprintf("request %d", worst)
	}
	are := fmt.Sprintf("%d requests are", n)
	if n == 1 {
		are = "1 request is"
	}
	return []string{fmt.Sprintf("%s: %s longer than the model's trained context of %d tokens (the longest, %s, has %d): llama.cpp runs them, but a real model's output degrades past its trained context",
		name, are, trained, where, len(w.InputIDs)+w.OutputTokens)}
}
