package synth

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
)

// hfConfig is the part of a Hugging Face config.json that fixes a model's tensor shapes
// and the metadata llama.cpp reads. Pointers tell a missing key from a zero.
type hfConfig struct {
	ModelType             string          `json:"model_type"`
	HiddenSize            int             `json:"hidden_size"`
	NumHiddenLayers       int             `json:"num_hidden_layers"`
	NumAttentionHeads     int             `json:"num_attention_heads"`
	NumKeyValueHeads      *int            `json:"num_key_value_heads"`
	HeadDim               *int            `json:"head_dim"`
	IntermediateSize      int             `json:"intermediate_size"`
	VocabSize             int             `json:"vocab_size"`
	MaxPositionEmbeddings int             `json:"max_position_embeddings"`
	RopeTheta             *float64        `json:"rope_theta"`
	RopeScaling           *hfRope         `json:"rope_scaling"`
	RopeParameters        *hfRope         `json:"rope_parameters"`
	RMSNormEps            *float64        `json:"rms_norm_eps"`
	TieWordEmbeddings     *bool           `json:"tie_word_embeddings"`
	AttentionBias         *bool           `json:"attention_bias"`
	MLPBias               bool            `json:"mlp_bias"`
	NumLocalExperts       int             `json:"num_local_experts"`
	NumExpertsPerTok      int             `json:"num_experts_per_tok"`
	ExpertsPerToken       int             `json:"experts_per_token"`
	SlidingWindow         *int            `json:"sliding_window"`
	LayerTypes            []string        `json:"layer_types"`
	TextConfig            json.RawMessage `json:"text_config"`
}

// hfRope is rope_scaling (or transformers 5's rope_parameters, which also holds the theta).
type hfRope struct {
	RopeType                      string   `json:"rope_type"`
	Type                          string   `json:"type"` // the older spelling of rope_type
	Factor                        float64  `json:"factor"`
	LowFreqFactor                 float64  `json:"low_freq_factor"`
	HighFreqFactor                float64  `json:"high_freq_factor"`
	OriginalMaxPositionEmbeddings int      `json:"original_max_position_embeddings"`
	BetaFast                      float64  `json:"beta_fast"`
	BetaSlow                      float64  `json:"beta_slow"`
	ExtrapolationFactor           float64  `json:"extrapolation_factor"`
	AttentionFactor               float64  `json:"attention_factor"`
	RopeTheta                     *float64 `json:"rope_theta"`
}

// archOf maps a config's model_type to the llama.cpp architecture that runs it, as
// convert_hf_to_gguf.py converts it.
var archOf = map[string]string{
	"llama":   ArchLlama,
	"mistral": ArchLlama,
	"mixtral": ArchLlama,
	"qwen2":   ArchQwen2,
	"qwen3":   ArchQwen3,
	"gpt_oss": ArchGPTOSS,
}

// ParseHFConfig reads the shapes of a Hugging Face config.json (model_type llama, mistral,
// mixtral, qwen2, qwen3 or gpt_oss; for a multimodal config, its text_config). Keys missing
// from the file take transformers' defaults for the model type. The result is validated for
// f16 weights; quantized weight types also need rows that are whole 32-value blocks.
func ParseHFConfig(data []byte) (Preset, error) {
	var c hfConfig
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&c); err != nil {
		return Preset{}, fmt.Errorf("not a Hugging Face config.json: %w", err)
	}
	if c.HiddenSize == 0 && len(c.TextConfig) > 0 {
		// A multimodal model (Mistral 3, Llama 4 ...): its language model is what decodes.
		var t hfConfig
		if err := json.Unmarshal(c.TextConfig, &t); err != nil {
			return Preset{}, fmt.Errorf("text_config: %w", err)
		}
		c = t
	}
	arch, ok := archOf[c.ModelType]
	if !ok {
		return Preset{}, fmt.Errorf("model_type %q: synthetic weights are written for model types %s",
			c.ModelType, strings.Join(slices.Sorted(maps.Keys(archOf)), ", "))
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"hidden_size", c.HiddenSize}, {"num_hidden_layers", c.NumHiddenLayers}, {"num_attention_heads", c.NumAttentionHeads},
		{"intermediate_size", c.IntermediateSize}, {"vocab_size", c.VocabSize}} {
		if f.v <= 0 {
			return Preset{}, fmt.Errorf("%s is missing or not positive", f.name)
		}
	}
	p := Preset{
		Arch: arch, Layers: c.NumHiddenLayers, Hidden: c.HiddenSize, Heads: c.NumAttentionHeads,
		KVHeads: c.NumAttentionHeads, FFN: c.IntermediateSize, Vocab: c.VocabSize,
		ContextLength: c.MaxPositionEmbeddings, RopeFreqBase: 10000, RMSNormEps: 1e-6,
	}
	// transformers' defaults where the file is silent.
	switch c.ModelType {
	case "mixtral":
		p.RopeFreqBase, p.RMSNormEps = 1e6, 1e-5
		p.Experts, p.ExpertsUsed = 8, 2
	case "gpt_oss":
		p.RopeFreqBase, p.RMSNormEps = 150000, 1e-5
	}
	if p.ContextLength == 0 {
		p.ContextLength = map[string]int{"llama": 2048, "qwen2": 32768, "qwen3": 32768}[c.ModelType]
		if p.ContextLength == 0 {
			p.ContextLength = 131072
		}
	}
	if c.NumKeyValueHeads != nil {
		p.KVHeads = *c.NumKeyValueHeads
	}
	switch {
	case c.HeadDim != nil:
		p.HeadDim = *c.HeadDim
	case c.ModelType == "qwen3":
		p.HeadDim = 128
	case c.HiddenSize%c.NumAttentionHeads != 0:
		return Preset{}, fmt.Errorf("hidden_size %d is not a multiple of num_attention_heads %d, and head_dim is not given", c.HiddenSize, c.NumAttentionHeads)
	default:
		p.HeadDim = c.HiddenSize / c.NumAttentionHeads
	}
	if c.RMSNormEps != nil {
		p.RMSNormEps = float32(*c.RMSNormEps)
	}
	if c.TieWordEmbeddings != nil {
		p.TiedEmbeddings = *c.TieWordEmbeddings
	}
	rope := c.RopeScaling
	if c.RopeParameters != nil {
		rope = c.RopeParameters
	}
	switch {
	case c.RopeTheta != nil:
		p.RopeFreqBase = float32(*c.RopeTheta)
	case rope != nil && rope.RopeTheta != nil:
		p.RopeFreqBase = float32(*rope.RopeTheta)
	}
	if rope != nil {
		s, err := rope.scaling()
		if err != nil {
			return Preset{}, err
		}
		p.RopeScaling = s
	}
	bias := c.AttentionBias != nil && *c.AttentionBias
	switch arch {
	case ArchQwen2:
		// Qwen2's q/k/v projections always have biases; its config has no key for them.
		p.QKVBias = true
	case ArchGPTOSS:
		// llama.cpp's loader requires the attention output bias.
		p.QKVBias, p.OutBias = c.AttentionBias == nil || *c.AttentionBias, true
	case ArchQwen3:
		p.QKVBias = bias
	default:
		p.QKVBias, p.OutBias, p.MLPBias = bias, bias, c.MLPBias
	}
	if c.NumLocalExperts > 0 {
		p.Experts = c.NumLocalExperts
	}
	switch {
	case c.NumExpertsPerTok > 0:
		p.ExpertsUsed = c.NumExpertsPerTok
	case c.ExpertsPerToken > 0:
		p.ExpertsUsed = c.ExpertsPerToken
	}
	if p.Experts > 0 && p.MLPBias {
		return Preset{}, errors.New("mlp_bias with experts is not written")
	}
	if arch == ArchGPTOSS {
		if c.SlidingWindow == nil || *c.SlidingWindow <= 0 {
			return Preset{}, errors.New("gpt_oss needs sliding_window")
		}
		p.SlidingWindow = *c.SlidingWindow
		// llama.cpp's gpt-oss loader alternates the layers, sliding first; a config
		// whose layer_types say otherwise would need the pattern written per layer.
		for i, lt := range c.LayerTypes {
			want := "sliding_attention"
			if i%2 == 1 {
				want = "full_attention"
			}
			if lt != want {
				return Preset{}, fmt.Errorf("layer_types[%d] is %q: synthetic gpt_oss models alternate sliding and full attention, sliding first", i, lt)
			}
		}
	}
	// Sliding windows of llama-, mistral- and qwen-type configs are not written:
	// convert_hf_to_gguf.py drops them too, and llama.cpp runs those models with full
	// attention.
	if err := p.validate(GGMLTypeF16); err != nil {
		return Preset{}, err
	}
	return p, nil
}

func (r *hfRope) scaling() (*RopeScaling, error) {
	typ := r.RopeType
	if typ == "" {
		typ = r.Type
	}
	switch strings.ToLower(typ) {
	case "", "default":
		return nil, nil
	case RopeLlama3:
		return &RopeScaling{Type: RopeLlama3, Factor: r.Factor, LowFreqFactor: r.LowFreqFactor,
			HighFreqFactor: r.HighFreqFactor, OriginalContext: r.OriginalMaxPositionEmbeddings}, nil
	case RopeYaRN:
		return &RopeScaling{Type: RopeYaRN, Factor: r.Factor, OriginalContext: r.OriginalMaxPositionEmbeddings,
			BetaFast: r.BetaFast, BetaSlow: r.BetaSlow, ExtFactor: r.ExtrapolationFactor, AttnFactor: r.AttentionFactor}, nil
	case RopeLinear:
		return &RopeScaling{Type: RopeLinear, Factor: r.Factor}, nil
	}
	return nil, fmt.Errorf("rope_scaling type %q: synthetic models are written with llama3, yarn or linear RoPE scaling", typ)
}

// configHashLen is how many hex digits of a config's SHA-256 name its synthetic model.
const configHashLen = 12

// loadConfig reads a config.json (path names the file) into a Model. When its shapes are
// exactly a preset's, the model is that preset; otherwise the shape is named by the
// config's content, "config-<arch>-<hash>", so that its synthetic file is cached by
// content wherever the folder lies.
func loadConfig(path, name string) (Model, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Model{}, fmt.Errorf("synth: model %s: %w", name, err)
	}
	p, err := ParseHFConfig(data)
	if err != nil {
		return Model{}, fmt.Errorf("synth: model %s: %s: %w", name, path, err)
	}
	m := Model{Name: name, Config: path, DType: DefaultDType}
	for _, pr := range presets {
		q := pr
		q.Name = ""
		if reflect.DeepEqual(q, p) {
			m.Preset = pr.Name
			return m, nil
		}
	}
	sum := sha256.Sum256(data)
	hash := hex.EncodeToString(sum[:])
	p.Name = "config-" + p.Arch + "-" + hash[:configHashLen]
	p.Source = "config.json sha256 " + hash
	m.Preset, m.Shape = p.Name, &p
	return m, nil
}

// configPath returns the config.json of a model folder or file, or "" when path names
// neither (a GGUF file, or nothing).
func configPath(path string) (string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", nil
	}
	if st.IsDir() {
		c := filepath.Join(path, "config.json")
		if _, err := os.Stat(c); err != nil {
			return "", fmt.Errorf("synth: model folder %s has no config.json: give a Hugging Face model folder, a config.json or a .gguf file", path)
		}
		return c, nil
	}
	if strings.HasSuffix(strings.ToLower(path), ".json") {
		return path, nil
	}
	return "", nil
}
