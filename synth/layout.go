package synth

import (
	"fmt"
	"math"
)

// tensorKind says how a tensor's data is made.
type tensorKind int

const (
	kindMatrix    tensorKind = iota // weight matrix: pooled values of the chosen dtype
	kindMatrixF32                   // weight matrix kept in f32 whatever the dtype (MoE routers)
	kindNorm                        // RMS norm weight: f32 ones
	kindBias                        // bias (and gpt-oss's attention sinks): small f32 values
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
// llama.cpp's loaders ask for (src/models/llama.cpp, qwen2.cpp, qwen3.cpp, openai-moe.cpp).
func (p Preset) tensors(t GGMLType) []tensorSpec {
	h, q, kv := int64(p.Hidden), int64(p.Heads*p.HeadDim), int64(p.KVHeads*p.HeadDim)
	ff, nv, ne := int64(p.FFN), int64(p.Vocab), int64(p.Experts)
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
	if p.RopeScaling != nil && p.RopeScaling.Type == RopeLlama3 {
		add("rope_freqs.weight", kindRopeFreqs, int64(p.HeadDim/2))
	}
	for i := range p.Layers {
		blk := func(s string) string { return fmt.Sprintf("blk.%d.%s", i, s) }
		add(blk("attn_norm.weight"), kindNorm, h)
		if p.Arch == ArchGPTOSS {
			add(blk("post_attention_norm.weight"), kindNorm, h)
		}
		add(blk("attn_q.weight"), kindMatrix, h, q)
		add(blk("attn_k.weight"), kindMatrix, h, kv)
		add(blk("attn_v.weight"), kindMatrix, h, kv)
		if p.QKVBias {
			add(blk("attn_q.bias"), kindBias, q)
			add(blk("attn_k.bias"), kindBias, kv)
			add(blk("attn_v.bias"), kindBias, kv)
		}
		add(blk("attn_output.weight"), kindMatrix, q, h)
		if p.OutBias {
			add(blk("attn_output.bias"), kindBias, h)
		}
		if p.Arch == ArchQwen3 {
			add(blk("attn_q_norm.weight"), kindNorm, int64(p.HeadDim))
			add(blk("attn_k_norm.weight"), kindNorm, int64(p.HeadDim))
		}
		if p.Arch == ArchGPTOSS {
			// Attention sinks: one learned logit per head, added to every row's softmax.
			add(blk("attn_sinks.weight"), kindBias, int64(p.Heads))
		}
		if p.Arch != ArchGPTOSS {
			add(blk("ffn_norm.weight"), kindNorm, h)
		}
		switch {
		case p.Experts == 0:
			add(blk("ffn_gate.weight"), kindMatrix, h, ff)
			add(blk("ffn_up.weight"), kindMatrix, h, ff)
			add(blk("ffn_down.weight"), kindMatrix, ff, h)
			if p.MLPBias {
				add(blk("ffn_gate.bias"), kindBias, ff)
				add(blk("ffn_up.bias"), kindBias, ff)
				add(blk("ffn_down.bias"), kindBias, h)
			}
		default:
			// The router stays f32, as llama-quantize leaves it.
			add(blk("ffn_gate_inp.weight"), kindMatrixF32, h, ne)
			add(blk("ffn_gate_exps.weight"), kindMatrix, h, ff, ne)
			add(blk("ffn_up_exps.weight"), kindMatrix, h, ff, ne)
			add(blk("ffn_down_exps.weight"), kindMatrix, ff, h, ne)
			if p.Arch == ArchGPTOSS {
				add(blk("ffn_gate_inp.bias"), kindBias, ne)
				add(blk("ffn_gate_exps.bias"), kindBias, ff, ne)
				add(blk("ffn_up_exps.bias"), kindBias, ff, ne)
				add(blk("ffn_down_exps.bias"), kindBias, h, ne)
			}
		}
	}
	add("output_norm.weight", kindNorm, h)
	if !p.TiedEmbeddings {
		add("output.weight", kindMatrix, h, nv)
		ts[len(ts)-1].zeroRows = specialTokens
	}
	return ts
}

// ParamCount is the number of model parameters, counted the way model cards do: every
// weight, norm and bias (every expert's, for a mixture of experts), with tied embeddings
// counted once. The rope_freqs tensor is a derived constant, not a parameter.
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

// metadata is the GGUF key/value list: the keys llama.cpp reads for these architectures,
// each with the value type gguf-py's writer gives it (llama.cpp checks types strictly).
func (p Preset) metadata(d DType, seed uint64, v *vocab) []KV {
	a := p.Arch
	kvs := []KV{
		{"general.architecture", a},
		{"general.type", "model"},
		{"general.name", fmt.Sprintf("benchtui synthetic %s %s", p.Name, d)},
		{"general.file_type", d.fileType()},
		{"general.quantization_version", uint32(2)}, // GGML_QNT_VERSION
		{KeyAlignment, uint32(DefaultAlignment)},
		{a + ".vocab_size", uint32(p.Vocab)},
		{a + ".context_length", uint32(p.ContextLength)},
		{a + ".embedding_length", uint32(p.Hidden)},
		{a + ".block_count", uint32(p.Layers)},
		{a + ".feed_forward_length", uint32(p.FFN)},
		{a + ".attention.head_count", uint32(p.Heads)},
		{a + ".attention.head_count_kv", uint32(p.KVHeads)},
		{a + ".attention.key_length", uint32(p.HeadDim)},
		{a + ".attention.value_length", uint32(p.HeadDim)},
		{a + ".rope.dimension_count", uint32(p.HeadDim)},
		{a + ".rope.freq_base", p.RopeFreqBase},
		{a + ".attention.layer_norm_rms_epsilon", p.RMSNormEps},
	}
	if p.Experts > 0 {
		kvs = append(kvs,
			KV{a + ".expert_count", uint32(p.Experts)},
			KV{a + ".expert_used_count", uint32(p.ExpertsUsed)})
	}
	if p.Arch == ArchGPTOSS {
		kvs = append(kvs,
			KV{a + ".expert_feed_forward_length", uint32(p.FFN)},
			KV{a + ".attention.sliding_window", uint32(p.SlidingWindow)})
	}
	if s := p.RopeScaling; s != nil && s.Type != RopeLlama3 {
		kvs = append(kvs,
			KV{a + ".rope.scaling.type", s.Type},
			KV{a + ".rope.scaling.factor", float32(s.Factor)})
		if s.Type == RopeYaRN {
			kvs = append(kvs, KV{a + ".rope.scaling.original_context_length", uint32(s.OriginalContext)})
			for _, f := range []struct {
				key string
				v   float64
			}{{"yarn_ext_factor", s.ExtFactor}, {"yarn_attn_factor", s.AttnFactor}, {"yarn_beta_fast", s.BetaFast}, {"yarn_beta_slow", s.BetaSlow}} {
				if f.v != 0 {
					kvs = append(kvs, KV{a + ".rope.scaling." + f.key, float32(f.v)})
				}
			}
		}
	}
	kvs = append(kvs,
		KV{"tokenizer.ggml.model", "llama"},
		KV{"tokenizer.ggml.tokens", v.tokens},
		KV{"tokenizer.ggml.scores", v.scores},
		KV{"tokenizer.ggml.token_type", v.types},
		KV{"tokenizer.ggml.bos_token_id", uint32(BOSTokenID)},
		KV{"tokenizer.ggml.eos_token_id", uint32(EOSTokenID)},
		KV{"tokenizer.ggml.unknown_token_id", uint32(UnknownTokenID)},
		KV{"tokenizer.ggml.add_bos_token", true},
		KV{"tokenizer.ggml.add_eos_token", false},
		KV{"benchtui.synthetic", true},
		KV{"benchtui.preset", p.Name},
		KV{"benchtui.dtype", string(d)},
		KV{"benchtui.seed", seed},
		KV{"benchtui.synth_version", generatorVersion},
	)
	if p.Source != "" {
		kvs = append(kvs, KV{"benchtui.source", p.Source})
	}
	return kvs
}
