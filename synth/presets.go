package synth

import (
	"fmt"
	"slices"
	"strings"
)

// Architectures, as general.architecture names them (llm_arch names in src/llama-arch.cpp).
const (
	ArchLlama  = "llama"   // Llama 2/3, Mistral, Mixtral (with experts)
	ArchQwen2  = "qwen2"   // Qwen2, Qwen2.5: q/k/v biases
	ArchQwen3  = "qwen3"   // Qwen3 dense: RMS norms on q and k per head
	ArchGPTOSS = "gpt-oss" // gpt-oss: experts, sliding-window layers, attention sinks
)

// Architectures lists the architectures synth writes.
func Architectures() []string { return []string{ArchLlama, ArchQwen2, ArchQwen3, ArchGPTOSS} }

// Rope scaling types, as the Hugging Face config's rope_scaling.rope_type names them.
const (
	RopeLlama3 = "llama3"
	RopeYaRN   = "yarn"
	RopeLinear = "linear"
)

// RopeScaling is a model's RoPE scaling. Llama 3's frequency-dependent scaling ("llama3") has
// no llama.cpp metadata: convert_hf_to_gguf.py bakes it into a rope_freqs.weight tensor of
// per-frequency divisors, which this package generates the same way. YaRN and linear scaling
// are metadata (<arch>.rope.scaling.*).
type RopeScaling struct {
	// Type is RopeLlama3, RopeYaRN or RopeLinear.
	Type   string
	Factor float64
	// LowFreqFactor and HighFreqFactor are llama3's.
	LowFreqFactor  float64
	HighFreqFactor float64
	// OriginalContext is original_max_position_embeddings (llama3, yarn).
	OriginalContext int
	// BetaFast, BetaSlow, ExtFactor and AttnFactor are YaRN's; 0 leaves llama.cpp's default.
	BetaFast, BetaSlow    float64
	ExtFactor, AttnFactor float64
}

// Preset is the shape of a real (or, for tiny and small, a realistic test-sized) model.
type Preset struct {
	Name string
	// Arch is the llama.cpp architecture (see Architectures).
	Arch string
	// Layers is the number of transformer blocks.
	Layers int
	// Hidden is the embedding length (d_model).
	Hidden int
	// Heads and KVHeads are the query and key/value head counts (GQA when they differ).
	Heads   int
	KVHeads int
	// HeadDim is the per-head dimension (also the RoPE dimension). Heads × HeadDim need not
	// be Hidden (Mistral Small, Qwen3-32B, gpt-oss).
	HeadDim int
	// FFN is the SwiGLU intermediate size; with experts, each expert's.
	FFN int
	// Experts is the number of experts of a mixture-of-experts FFN (0: a dense FFN), and
	// ExpertsUsed the number each token is routed to.
	Experts     int
	ExpertsUsed int
	// Vocab is the vocabulary size (rows of token_embd).
	Vocab int
	// ContextLength is the training context length (<arch>.context_length).
	ContextLength int
	// RopeFreqBase is RoPE theta.
	RopeFreqBase float32
	// RopeScaling is set for scaled RoPE (Llama 3.1/3.2's llama3, gpt-oss's YaRN).
	RopeScaling *RopeScaling
	// RMSNormEps is the RMS norm epsilon.
	RMSNormEps float32
	// TiedEmbeddings is set when the output projection reuses token_embd (no output.weight).
	TiedEmbeddings bool
	// QKVBias is set when the q/k/v projections have biases (Qwen2, gpt-oss, Llama-style
	// models with attention_bias), OutBias when the attention output has one (gpt-oss,
	// attention_bias), MLPBias when the FFN projections have them (mlp_bias).
	QKVBias bool
	OutBias bool
	MLPBias bool
	// SlidingWindow is the window of gpt-oss's sliding-window layers (every other layer,
	// the first one sliding); 0 for full attention everywhere.
	SlidingWindow int
	// Source says where a shape that is not one of the built-in presets came from (a
	// config.json); empty for the presets.
	Source string `json:",omitempty"`
}

// Presets returns the names of the known presets, smallest first within each family.
func Presets() []string {
	names := make([]string, len(presets))
	for i, p := range presets {
		names[i] = p.Name
	}
	return names
}

// LookupPreset returns the preset with the given name, ignoring case.
func LookupPreset(name string) (Preset, bool) {
	i := slices.IndexFunc(presets, func(p Preset) bool { return strings.EqualFold(p.Name, name) })
	if i < 0 {
		return Preset{}, false
	}
	return presets[i], true
}

// Limits of this llama.cpp release (src/llama-hparams.h).
const (
	maxLayers  = 512  // LLAMA_MAX_LAYERS
	maxExperts = 1024 // LLAMA_MAX_EXPERTS
)

// validate checks that the shape fits llama.cpp and, for dtype t, that every weight
// matrix's rows are whole blocks of t. Its errors say what is wrong, not which model.
func (p Preset) validate(t GGMLType) error {
	bad := fmt.Errorf
	switch {
	case !slices.Contains(Architectures(), p.Arch):
		return bad("unsupported architecture %q (synth writes %s)", p.Arch, strings.Join(Architectures(), ", "))
	case p.Layers <= 0 || p.Hidden <= 0 || p.Heads <= 0 || p.KVHeads <= 0 || p.HeadDim <= 0 || p.FFN <= 0:
		return bad("dimensions must be positive (layers %d, hidden %d, heads %d, KV heads %d, head dim %d, FFN %d)",
			p.Layers, p.Hidden, p.Heads, p.KVHeads, p.HeadDim, p.FFN)
	case p.Layers > maxLayers:
		return bad("%d layers: llama.cpp takes at most %d", p.Layers, maxLayers)
	case p.Heads%p.KVHeads != 0:
		return bad("%d heads are not a multiple of %d KV heads", p.Heads, p.KVHeads)
	case p.HeadDim%2 != 0:
		return bad("head dimension %d is odd", p.HeadDim)
	case p.Vocab < MinVocabSize:
		return bad("vocabulary %d is below %d", p.Vocab, MinVocabSize)
	case p.ContextLength <= 0:
		return bad("context length must be positive")
	case p.Experts < 0 || p.Experts > maxExperts || p.Experts == 1:
		return bad("%d experts: want 0 (dense) or 2 to %d", p.Experts, maxExperts)
	case p.Experts > 0 && (p.ExpertsUsed < 1 || p.ExpertsUsed > p.Experts):
		return bad("%d experts used per token: want 1 to %d", p.ExpertsUsed, p.Experts)
	case p.Experts == 0 && p.ExpertsUsed != 0:
		return bad("experts used per token without experts")
	case p.Arch == ArchGPTOSS && (p.Experts == 0 || p.SlidingWindow <= 0):
		return bad("gpt-oss needs experts and a sliding window")
	case p.Arch != ArchGPTOSS && p.SlidingWindow != 0:
		return bad("sliding-window layers are written for gpt-oss only")
	case (p.Arch == ArchQwen2 || p.Arch == ArchQwen3) && p.Experts > 0:
		return bad("experts are written for llama (Mixtral) and gpt-oss only")
	case p.Arch == ArchQwen2 && p.Heads*p.HeadDim != p.Hidden:
		return bad("qwen2 needs heads × head dim = hidden (%d × %d != %d)", p.Heads, p.HeadDim, p.Hidden)
	case p.Arch == ArchGPTOSS && p.TiedEmbeddings:
		return bad("gpt-oss has no tied embeddings")
	}
	if s := p.RopeScaling; s != nil {
		switch {
		case s.Type != RopeLlama3 && s.Type != RopeYaRN && s.Type != RopeLinear:
			return bad("rope scaling %q: want %s, %s or %s", s.Type, RopeLlama3, RopeYaRN, RopeLinear)
		case s.Factor <= 0:
			return bad("rope scaling factor must be positive")
		case s.Type == RopeLlama3 && (s.OriginalContext <= 0 || s.LowFreqFactor <= 0 || s.HighFreqFactor <= s.LowFreqFactor):
			return bad("llama3 rope scaling needs original_max_position_embeddings and low_freq_factor < high_freq_factor")
		case s.Type == RopeYaRN && s.OriginalContext <= 0:
			return bad("yarn rope scaling needs original_max_position_embeddings")
		}
	}
	bs := t.BlockSize()
	if bs == 0 {
		return bad("unknown tensor type %v", t)
	}
	for _, ts := range p.tensors(t) {
		if ts.Shape[0]%ts.Type.BlockSize() != 0 {
			return bad("tensor %s has rows of %d values, not a multiple of %s's block of %d",
				ts.Name, ts.Shape[0], ts.Type, ts.Type.BlockSize())
		}
	}
	return nil
}
