package synth

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// The published config.json of each model in testdata/hf has exactly its preset's shapes:
// this checks the presets against the configs, and the config reader against both.
func TestPublishedConfigsAreThePresets(t *testing.T) {
	for file, preset := range map[string]string{
		"Llama-3.1-8B-Instruct.json":           "llama-3.1-8b",
		"Llama-3.2-1B-Instruct.json":           "llama-3.2-1b",
		"Qwen2.5-0.5B-Instruct.json":           "qwen2.5-0.5b",
		"Qwen2.5-72B-Instruct.json":            "qwen2.5-72b",
		"Qwen3-32B.json":                       "qwen3-32b",
		"Mistral-Small-24B-Instruct-2501.json": "mistral-small-24b",
		"Mixtral-8x7B-Instruct-v0.1.json":      "mixtral-8x7b",
		"gpt-oss-20b.json":                     "gpt-oss-20b",
	} {
		path := filepath.Join("testdata", "hf", file)
		m, err := ParseModel(path)
		if err != nil {
			t.Errorf("%s: %v", file, err)
			continue
		}
		if m.Preset != preset || m.Shape != nil || m.Name != path || m.Config != path {
			data, _ := os.ReadFile(path)
			p, _ := ParseHFConfig(data)
			want, _ := LookupPreset(preset)
			t.Errorf("%s: model %+v, want preset %s\n got shape  %+v\n want shape %+v", file, m, preset, p, want)
		}
	}
}

// writeConfig writes a config.json into a new model folder and returns the folder.
func writeConfig(t *testing.T, body string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "My-Model")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

const customLlama = `{
  "model_type": "llama", "hidden_size": 512, "num_hidden_layers": 3, "num_attention_heads": 8,
  "num_key_value_heads": 2, "head_dim": 96, "intermediate_size": 1024, "vocab_size": 3000,
  "max_position_embeddings": 16384, "rope_theta": 250000.0, "rms_norm_eps": 1e-05,
  "rope_scaling": {"rope_type": "llama3", "factor": 16.0, "low_freq_factor": 1.0,
                   "high_freq_factor": 4.0, "original_max_position_embeddings": 2048},
  "tie_word_embeddings": true, "attention_bias": true
}`

func TestConfigFolderShape(t *testing.T) {
	dir := writeConfig(t, customLlama)
	// A folder may hold tokenizer.json beside config.json; the synthetic vocabulary has the
	// config's vocab_size either way.
	os.WriteFile(filepath.Join(dir, "tokenizer.json"), []byte(`{"model": {"type": "BPE"}}`), 0o644)
	m, err := ParseModel(dir + ":q8_0")
	if err != nil {
		t.Fatal(err)
	}
	p := m.Shape
	if p == nil {
		t.Fatalf("no shape: %+v", m)
	}
	want := Preset{
		Name: p.Name, Arch: ArchLlama, Layers: 3, Hidden: 512, Heads: 8, KVHeads: 2, HeadDim: 96, FFN: 1024,
		Vocab: 3000, ContextLength: 16384, RopeFreqBase: 250000, RMSNormEps: 1e-5, TiedEmbeddings: true,
		RopeScaling: &RopeScaling{Type: RopeLlama3, Factor: 16, LowFreqFactor: 1, HighFreqFactor: 4, OriginalContext: 2048},
		QKVBias:     true, OutBias: true, Source: p.Source,
	}
	if !reflect.DeepEqual(*p, want) {
		t.Errorf("shape\n %+v\nwant\n %+v", *p, want)
	}
	if m.DType != Q8_0 || m.Name != dir || m.DisplayName() != dir || !strings.HasPrefix(p.Name, "config-llama-") || len(p.Name) != len("config-llama-")+12 {
		t.Errorf("model %+v", m)
	}
	// The cache is keyed on the content: the same config elsewhere has the same file name,
	// a changed one another.
	other, _ := ParseModel(filepath.Join(writeConfig(t, customLlama), "config.json") + ":q8_0")
	if other.FileName(1) != m.FileName(1) {
		t.Errorf("same config, file names %s and %s", other.FileName(1), m.FileName(1))
	}
	changed, _ := ParseModel(writeConfig(t, strings.Replace(customLlama, `"num_hidden_layers": 3`, `"num_hidden_layers": 4`, 1)))
	if changed.Preset == m.Preset {
		t.Errorf("changed config has the same name %s", m.Preset)
	}

	// The file has exactly that architecture.
	var buf bytes.Buffer
	if _, err := WriteModel(context.Background(), &buf, m, 1, nil); err != nil {
		t.Fatal(err)
	}
	f, err := readGGUF(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]any{
		"llama.block_count": uint32(3), "llama.embedding_length": uint32(512), "llama.attention.head_count": uint32(8),
		"llama.attention.head_count_kv": uint32(2), "llama.attention.key_length": uint32(96), "llama.rope.dimension_count": uint32(96),
		"llama.feed_forward_length": uint32(1024), "llama.vocab_size": uint32(3000), "llama.context_length": uint32(16384),
		"llama.rope.freq_base": float32(250000), "llama.attention.layer_norm_rms_epsilon": float32(1e-5),
		"benchtui.preset": p.Name, "general.file_type": uint32(7),
	} {
		if got := f.kv[k]; !reflect.DeepEqual(got, v) {
			t.Errorf("%s = %#v, want %#v", k, got, v)
		}
	}
	shapes := map[string][]int64{}
	for _, rt := range f.tensors {
		shapes[rt.name] = rt.shape
	}
	for name, shape := range map[string][]int64{
		"blk.0.attn_q.weight": {512, 768}, "blk.0.attn_k.weight": {512, 192}, "blk.2.attn_output.weight": {768, 512},
		"blk.0.attn_q.bias": {768}, "blk.0.attn_output.bias": {512}, "rope_freqs.weight": {48}, "token_embd.weight": {512, 3000},
	} {
		if !reflect.DeepEqual(shapes[name], shape) {
			t.Errorf("%s shape %v, want %v", name, shapes[name], shape)
		}
	}
	if _, ok := shapes["output.weight"]; ok {
		t.Error("tied embeddings, but output.weight was written")
	}
}

func TestParseHFConfig(t *testing.T) {
	// Defaults of the model type where keys are missing, text_config of a multimodal config,
	// YaRN metadata.
	p, err := ParseHFConfig([]byte(`{"model_type": "mistral3", "text_config": {"model_type": "mistral",
		"hidden_size": 1024, "num_hidden_layers": 2, "num_attention_heads": 16, "intermediate_size": 2048,
		"vocab_size": 4096, "rope_scaling": {"type": "yarn", "factor": 4, "original_max_position_embeddings": 8192,
		"beta_fast": 32, "beta_slow": 1}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if p.KVHeads != 16 || p.HeadDim != 64 || p.RopeFreqBase != 10000 || p.RMSNormEps != 1e-6 || p.ContextLength != 131072 ||
		p.RopeScaling == nil || p.RopeScaling.Type != RopeYaRN || p.RopeScaling.OriginalContext != 8192 {
		t.Errorf("shape %+v rope %+v", p, p.RopeScaling)
	}
	q, err := ParseHFConfig([]byte(`{"model_type": "qwen3", "hidden_size": 1024, "num_hidden_layers": 2,
		"num_attention_heads": 16, "num_key_value_heads": 8, "intermediate_size": 3072, "vocab_size": 151936}`))
	if err != nil || q.HeadDim != 128 || q.Arch != ArchQwen3 || q.QKVBias {
		t.Errorf("qwen3 defaults: %+v, %v", q, err)
	}
	var g Preset
	if g, err = ParseHFConfig(mustRead(t, "testdata/hf/gpt-oss-20b.json")); err != nil {
		t.Fatal(err)
	}
	kv := map[string]any{}
	for _, e := range g.metadata(F16, 1, &vocab{}) {
		kv[e.Key] = e.Value
	}
	for k, v := range map[string]any{
		"gpt-oss.expert_count": uint32(32), "gpt-oss.expert_used_count": uint32(4), "gpt-oss.expert_feed_forward_length": uint32(2880),
		"gpt-oss.attention.sliding_window": uint32(128), "gpt-oss.rope.scaling.type": "yarn", "gpt-oss.rope.scaling.factor": float32(32),
		"gpt-oss.rope.scaling.original_context_length": uint32(4096), "gpt-oss.rope.scaling.yarn_beta_fast": float32(32),
		"gpt-oss.rope.scaling.yarn_beta_slow": float32(1), "gpt-oss.attention.key_length": uint32(64),
	} {
		if got := kv[k]; !reflect.DeepEqual(got, v) {
			t.Errorf("%s = %#v, want %#v", k, got, v)
		}
	}

	for _, c := range []struct{ body, err string }{
		{`{"model_type": "falcon", "hidden_size": 64}`, `model_type "falcon": synthetic weights are written for model types gpt_oss, llama, mistral, mixtral, qwen2, qwen3`},
		{`{"model_type": "llama", "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 128}`, "vocab_size is missing"},
		{`{"model_type": "llama", "hidden_size": 100, "num_hidden_layers": 2, "num_attention_heads": 3, "intermediate_size": 128, "vocab_size": 512}`, "not a multiple of num_attention_heads"},
		{`{"model_type": "llama", "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 128, "vocab_size": 512, "rope_scaling": {"rope_type": "longrope"}}`, `rope_scaling type "longrope"`},
		{`{"model_type": "llama", "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 3, "intermediate_size": 128, "vocab_size": 512}`, "4 heads are not a multiple of 3 KV heads"},
		{`{"model_type": "gpt_oss", "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 128, "vocab_size": 512, "num_local_experts": 4, "experts_per_token": 2}`, "gpt_oss needs sliding_window"},
		{`not json`, "not a Hugging Face config.json"},
	} {
		if _, err := ParseHFConfig([]byte(c.body)); err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("%s: error %v, want %q", c.body, err, c.err)
		}
	}
	if _, err := ParseModel(t.TempDir()); err == nil || !strings.Contains(err.Error(), "has no config.json") {
		t.Errorf("folder without config.json: %v", err)
	}
}

func TestHFIDsNamePresets(t *testing.T) {
	for id, preset := range hfIDs {
		if _, ok := LookupPreset(preset); !ok {
			t.Errorf("%s maps to unknown preset %s", id, preset)
		}
		if normalizeHFID(id) != id {
			t.Errorf("key %s is not normalised", id)
		}
	}
	if len(hfIDs) != len(hfIDList) {
		t.Errorf("%d ids name %d normalised ids: two spell the same", len(hfIDList), len(hfIDs))
	}
	// Every real model among the presets has a Hugging Face id.
	ids := HFIDs()
	for _, name := range Presets() {
		if name != "tiny" && name != "small" && len(ids[name]) == 0 {
			t.Errorf("preset %s has no Hugging Face id", name)
		}
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
