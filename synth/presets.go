package synth

import (
	"fmt"
	"math"
	"slices"
)

// Architectures, as general.architecture names them (llm_arch names in src/llama-arch.cpp).
const (
	ArchLlama = "llama"
	ArchQwen2 = "qwen2"
)

// RopeScaling describes Llama 3's frequency-dependent RoPE scaling ("rope_type": "llama3" in
// the Hugging Face config). llama.cpp has no metadata for it: convert_hf_to_gguf.py bakes
// it into a rope_freqs.weight tensor of per-frequency divisors, which this package
// generates the same way.
type RopeScaling struct {
	Factor          float64
	LowFreqFactor   float64
	HighFreqFactor  float64
	OriginalContext int
}

// Preset is the shape of a real (or, for tiny and small, a realistic test-sized) model.
type Preset struct {
	Name string
	// Arch is the llama.cpp architecture: ArchLlama or ArchQwen2.
	Arch string
	// Layers is the number of transformer blocks.
	Layers int
	// Hidden is the embedding length (d_model).
	Hidden int
	// Heads and KVHeads are the query and key/value head counts (GQA when they differ).
	Heads   int
	KVHeads int
	// HeadDim is the per-head dimension (also the RoPE dimension).
	HeadDim int
	// FFN is the SwiGLU intermediate size.
	FFN int
	// Vocab is the vocabulary size (rows of token_embd).
	Vocab int
	// ContextLength is the training context length (<arch>.context_length).
	ContextLength int
	// RopeFreqBase is RoPE theta.
	RopeFreqBase float32
	// RopeScaling is set for Llama 3.1/3.2's "llama3" RoPE scaling.
	RopeScaling *RopeScaling
	// RMSNormEps is the RMS norm epsilon.
	RMSNormEps float32
	// TiedEmbeddings is set when the output projection reuses token_embd (no output.weight).
	TiedEmbeddings bool
	// QKVBias is set when the q/k/v projections have biases (Qwen2).
	QKVBias bool
}

// llama3Scaling8 and llama3Scaling32 are the rope_scaling blocks of the Llama 3.1 and
// Llama 3.2 configs.
var (
	llama3Scaling8  = &RopeScaling{Factor: 8, LowFreqFactor: 1, HighFreqFactor: 4, OriginalContext: 8192}
	llama3Scaling32 = &RopeScaling{Factor: 32, LowFreqFactor: 1, HighFreqFactor: 4, OriginalContext: 8192}
)

// presets holds the known shapes. The real models' values are from their Hugging Face
// config.json files.
var presets = []Preset{
	{
		// For CPU tests: dozens of requests run in seconds on two cores.
		Name: "tiny", Arch: ArchLlama,
		Layers: 4, Hidden: 256, Heads: 4, KVHeads: 2, HeadDim: 64, FFN: 768, Vocab: 2048,
		ContextLength: 4096, RopeFreqBase: 10000, RMSNormEps: 1e-5,
	},
	{
		Name: "small", Arch: ArchLlama,
		Layers: 8, Hidden: 512, Heads: 8, KVHeads: 8, HeadDim: 64, FFN: 1536, Vocab: 32000,
		ContextLength: 4096, RopeFreqBase: 10000, RMSNormEps: 1e-5,
	},
	{
		Name: "llama-3.2-1b", Arch: ArchLlama,
		Layers: 16, Hidden: 2048, Heads: 32, KVHeads: 8, HeadDim: 64, FFN: 8192, Vocab: 128256,
		ContextLength: 131072, RopeFreqBase: 500000, RopeScaling: llama3Scaling32, RMSNormEps: 1e-5,
		TiedEmbeddings: true,
	},
	{
		Name: "llama-3.2-3b", Arch: ArchLlama,
		Layers: 28, Hidden: 3072, Heads: 24, KVHeads: 8, HeadDim: 128, FFN: 8192, Vocab: 128256,
		ContextLength: 131072, RopeFreqBase: 500000, RopeScaling: llama3Scaling32, RMSNormEps: 1e-5,
		TiedEmbeddings: true,
	},
	{
		Name: "llama-3.1-8b", Arch: ArchLlama,
		Layers: 32, Hidden: 4096, Heads: 32, KVHeads: 8, HeadDim: 128, FFN: 14336, Vocab: 128256,
		ContextLength: 131072, RopeFreqBase: 500000, RopeScaling: llama3Scaling8, RMSNormEps: 1e-5,
	},
	{
		Name: "llama-3.1-70b", Arch: ArchLlama,
		Layers: 80, Hidden: 8192, Heads: 64, KVHeads: 8, HeadDim: 128, FFN: 28672, Vocab: 128256,
		ContextLength: 131072, RopeFreqBase: 500000, RopeScaling: llama3Scaling8, RMSNormEps: 1e-5,
	},
	{
		// Qwen2.5-7B-Instruct: 32768 context without YaRN.
		Name: "qwen2.5-7b", Arch: ArchQwen2,
		Layers: 28, Hidden: 3584, Heads: 28, KVHeads: 4, HeadDim: 128, FFN: 18944, Vocab: 152064,
		ContextLength: 32768, RopeFreqBase: 1000000, RMSNormEps: 1e-6, QKVBias: true,
	},
	{
		// Mistral-7B v0.3: the 32768-token vocabulary, no sliding window.
		Name: "mistral-7b", Arch: ArchLlama,
		Layers: 32, Hidden: 4096, Heads: 32, KVHeads: 8, HeadDim: 128, FFN: 14336, Vocab: 32768,
		ContextLength: 32768, RopeFreqBase: 1000000, RMSNormEps: 1e-5,
	},
}

// Presets returns the names of the known presets, smallest first.
func Presets() []string {
	names := make([]string, len(presets))
	for i, p := range presets {
		names[i] = p.Name
	}
	return names
}

// LookupPreset returns the preset with the given name.
func LookupPreset(name string) (Preset, bool) {
	i := slices.IndexFunc(presets, func(p Preset) bool { return p.Name == name })
	if i < 0 {
		return Preset{}, false
	}
	return presets[i], true
}

// validate checks that the shapes fit llama.cpp and every weight type: rows must be whole
// quant blocks.
func (p Preset) validate() error {
	switch {
	case p.Arch != ArchLlama && p.Arch != ArchQwen2:
		return fmt.Errorf("synth: preset %q: unsupported architecture %q", p.Name, p.Arch)
	case p.Layers <= 0 || p.Hidden <= 0 || p.Heads <= 0 || p.KVHeads <= 0 || p.HeadDim <= 0 || p.FFN <= 0:
		return fmt.Errorf("synth: preset %q: dimensions must be positive", p.Name)
	case p.Heads%p.KVHeads != 0:
		return fmt.Errorf("synth: preset %q: %d heads are not a multiple of %d KV heads", p.Name, p.Heads, p.KVHeads)
	case p.HeadDim%2 != 0:
		return fmt.Errorf("synth: preset %q: head dimension %d is odd", p.Name, p.HeadDim)
	case p.Vocab < MinVocabSize:
		return fmt.Errorf("synth: preset %q: vocabulary %d is below %d", p.Name, p.Vocab, MinVocabSize)
	case p.ContextLength <= 0:
		return fmt.Errorf("synth: preset %q: context length must be positive", p.Name)
	}
	for _, d := range []int{p.Hidden, p.Heads * p.HeadDim, p.FFN} {
		if d%blockElems != 0 {
			return fmt.Errorf("synth: preset %q: dimension %d is not a multiple of %d", p.Name, d, blockElems)
		}
	}
	return nil
}

// tensorKind says how a tensor's data is made.
type tensorKind int

const (
	kindMatrix    tensorKind = iota // weight matrix: pooled values of the chosen dtype
	kindNorm                        // RMS norm weight: f32 ones
	kindBias                        // projection bias: small f32 values
	kindRopeFreqs                   // Llama 3 RoPE frequency factors: f32, computed
)

type tensorSpec struct {
	TensorInfo
	kind tensorKind
	// zeroRows is the number of leading rows written as zeros (valid in every type).
	zeroRows int64
}

// specialTokens is the number of special tokens (<unk>, <s>, </s>) at the start of the
// vocabulary. Their rows of the output projection are zero, so their logits are exactly 0
// while the largest logit of random weights is about +1: greedy decoding never ends a
// request with </s>, and a benchmark's output lengths stay as the dataset asks.
const specialTokens = 3

// tensors lists the model's tensors in file order, with the names and ggml shapes that
// llama.cpp's loader (src/models/llama.cpp, src/models/qwen2.cpp) asks for.
func (p Preset) tensors(t GGMLType) []tensorSpec {
	h, q, kv := int64(p.Hidden), int64(p.Heads*p.HeadDim), int64(p.KVHeads*p.HeadDim)
	ff, nv := int64(p.FFN), int64(p.Vocab)
	var ts []tensorSpec
	add := func(name string, kind tensorKind, shape ...int64) {
		typ := t
		if kind != kindMatrix {
			typ = GGMLTypeF32
		}
		ts = append(ts, tensorSpec{TensorInfo: TensorInfo{Name: name, Shape: shape, Type: typ}, kind: kind})
	}
	add("token_embd.weight", kindMatrix, h, nv)
	if p.TiedEmbeddings {
		ts[len(ts)-1].zeroRows = specialTokens
	}
	if p.RopeScaling != nil {
		add("rope_freqs.weight", kindRopeFreqs, int64(p.HeadDim/2))
	}
	for i := range p.Layers {
		blk := func(s string) string { return fmt.Sprintf("blk.%d.%s", i, s) }
		add(blk("attn_norm.weight"), kindNorm, h)
		add(blk("attn_q.weight"), kindMatrix, h, q)
		add(blk("attn_k.weight"), kindMatrix, h, kv)
		add(blk("attn_v.weight"), kindMatrix, h, kv)
		if p.QKVBias {
			add(blk("attn_q.bias"), kindBias, q)
			add(blk("attn_k.bias"), kindBias, kv)
			add(blk("attn_v.bias"), kindBias, kv)
		}
		add(blk("attn_output.weight"), kindMatrix, q, h)
		add(blk("ffn_norm.weight"), kindNorm, h)
		add(blk("ffn_gate.weight"), kindMatrix, h, ff)
		add(blk("ffn_up.weight"), kindMatrix, h, ff)
		add(blk("ffn_down.weight"), kindMatrix, ff, h)
	}
	add("output_norm.weight", kindNorm, h)
	if !p.TiedEmbeddings {
		add("output.weight", kindMatrix, h, nv)
		ts[len(ts)-1].zeroRows = specialTokens
	}
	return ts
}

// ParamCount is the number of model parameters, counted the way model cards do: every
// weight, norm and bias, with tied embeddings counted once. The rope_freqs tensor is a
// derived constant, not a parameter.
func (p Preset) ParamCount() int64 {
	var n int64
	for _, t := range p.tensors(GGMLTypeF16) {
		if t.kind != kindRopeFreqs {
			n += t.Elements()
		}
	}
	return n
}

// ropeFreqs computes Llama 3's per-frequency RoPE divisors exactly as
// LlamaModel.generate_extra_tensors in convert_hf_to_gguf does (in float32, like torch).
func (p Preset) ropeFreqs() []float32 {
	s := p.RopeScaling
	dim := p.HeadDim
	lowWavelen := float64(s.OriginalContext) / s.LowFreqFactor
	highWavelen := float64(s.OriginalContext) / s.HighFreqFactor
	out := make([]float32, 0, dim/2)
	for i := 0; i < dim; i += 2 {
		freq := float64(float32(1 / math.Pow(float64(p.RopeFreqBase), float64(float32(i)/float32(dim)))))
		wavelen := 2 * math.Pi / freq
		switch {
		case wavelen < highWavelen:
			out = append(out, 1)
		case wavelen > lowWavelen:
			out = append(out, float32(s.Factor))
		default:
			smooth := (float64(s.OriginalContext)/wavelen - s.LowFreqFactor) / (s.HighFreqFactor - s.LowFreqFactor)
			out = append(out, float32(1/((1-smooth)/s.Factor+smooth)))
		}
	}
	return out
}
