package synth

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseModel(t *testing.T) {
	dir := t.TempDir()
	existing := filepath.Join(dir, "mymodel")
	if err := os.WriteFile(existing, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	cases := []struct {
		in   string
		want Model
		err  string
	}{
		{in: "tiny", want: Model{Preset: "tiny", DType: F16}},
		{in: "llama-3.1-8b:q4_0", want: Model{Preset: "llama-3.1-8b", DType: Q4_0}},
		{in: "qwen2.5-7b:BF16", want: Model{Preset: "qwen2.5-7b", DType: BF16}},
		{in: "mistral-7b:q8_0", want: Model{Preset: "mistral-7b", DType: Q8_0}},
		{in: "models/x.gguf", want: Model{Path: "models/x.gguf"}},
		{in: "x.GGUF", want: Model{Path: "x.GGUF"}},
		{in: "/abs/model", want: Model{Path: "/abs/model"}},
		{in: "mymodel", want: Model{Path: "mymodel"}},
		{in: "Llama-3.1-8B", want: Model{Preset: "llama-3.1-8b", DType: F16}},
		{in: "meta-llama/Llama-3.1-8B", want: Model{Preset: "llama-3.1-8b", DType: F16, Name: "meta-llama/Llama-3.1-8B"}},
		{in: "meta-llama/Llama-3.1-8b", want: Model{Preset: "llama-3.1-8b", DType: F16, Name: "meta-llama/Llama-3.1-8b"}},
		{in: "META-LLAMA/LLAMA-3.1-8B-INSTRUCT:q4_0", want: Model{Preset: "llama-3.1-8b", DType: Q4_0, Name: "META-LLAMA/LLAMA-3.1-8B-INSTRUCT"}},
		{in: "meta-llama/Meta-Llama-3.1-70B-Instruct", want: Model{Preset: "llama-3.1-70b", DType: F16, Name: "meta-llama/Meta-Llama-3.1-70B-Instruct"}},
		{in: "meta-llama/Llama-3.1-70B", want: Model{Preset: "llama-3.1-70b", DType: F16, Name: "meta-llama/Llama-3.1-70B"}},
		{in: "meta-llama/Llama-3.3-70B-Instruct", want: Model{Preset: "llama-3.1-70b", DType: F16, Name: "meta-llama/Llama-3.3-70B-Instruct"}},
		{in: "meta-llama/Llama-3.1-405B-Instruct", want: Model{Preset: "llama-3.1-405b", DType: F16, Name: "meta-llama/Llama-3.1-405B-Instruct"}},
		{in: "meta-llama/Llama-3.2-1B-Instruct", want: Model{Preset: "llama-3.2-1b", DType: F16, Name: "meta-llama/Llama-3.2-1B-Instruct"}},
		{in: "meta-llama/Llama-3.2-3B", want: Model{Preset: "llama-3.2-3b", DType: F16, Name: "meta-llama/Llama-3.2-3B"}},
		{in: "Qwen/Qwen2.5-7B-Instruct", want: Model{Preset: "qwen2.5-7b", DType: F16, Name: "Qwen/Qwen2.5-7B-Instruct"}},
		{in: "Qwen/Qwen2.5-0.5B", want: Model{Preset: "qwen2.5-0.5b", DType: F16, Name: "Qwen/Qwen2.5-0.5B"}},
		{in: "Qwen/Qwen3-32B", want: Model{Preset: "qwen3-32b", DType: F16, Name: "Qwen/Qwen3-32B"}},
		{in: "mistralai/Mistral-7B-Instruct-v0.3", want: Model{Preset: "mistral-7b", DType: F16, Name: "mistralai/Mistral-7B-Instruct-v0.3"}},
		{in: "mistralai/Mistral-Small-24B-Instruct-2501", want: Model{Preset: "mistral-small-24b", DType: F16, Name: "mistralai/Mistral-Small-24B-Instruct-2501"}},
		{in: "mistralai/Mixtral-8x7B-Instruct-v0.1", want: Model{Preset: "mixtral-8x7b", DType: F16, Name: "mistralai/Mixtral-8x7B-Instruct-v0.1"}},
		{in: "openai/gpt-oss-20b", want: Model{Preset: "gpt-oss-20b", DType: F16, Name: "openai/gpt-oss-20b"}},
		// Other shapes under familiar names are not mapped to a preset that differs.
		{in: "mistralai/Mistral-7B-v0.1", err: `model "mistralai/Mistral-7B-v0.1" is no file or folder here, and no Hugging Face id benchtui has the shapes of`},
		{in: "meta-llama/Llama-3.1-8B-FP8", err: "no Hugging Face id benchtui has the shapes of"},
		{in: "meta-llama/Llama-3.1-8B:q5_k", err: `unknown dtype "q5_k"`},
		{in: "./missing/model", want: Model{Path: "./missing/model"}},
		{in: "mymodel:q4_0", err: "a GGUF file has its own weight types"},
		{in: "llama-9b", err: `unknown model "llama-9b" (presets: tiny, small, llama-3.2-1b`},
		{in: "llama-9b:q4_0", err: `unknown model "llama-9b"`},
		{in: "tiny:q5_k", err: `unknown dtype "q5_k" (known: f16, bf16, q8_0, q4_0)`},
		{in: "tiny:", err: `unknown dtype ""`},
		{in: "", err: "empty model"},
	}
	for _, c := range cases {
		got, err := ParseModel(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("ParseModel(%q) error = %v, want it to contain %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("ParseModel(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
		}
	}
	m, _ := ParseModel("tiny:q4_0")
	if m.String() != "tiny:q4_0" || m.FileName(42) != "tiny-q4_0-seed42.gguf" || m.IsFile() {
		t.Errorf("String %q, FileName %q, IsFile %v", m.String(), m.FileName(42), m.IsFile())
	}
	// A Model built by hand without a DType gets the default.
	if m := (Model{Preset: "tiny"}); m.String() != "tiny:f16" || m.FileName(0) != "tiny-f16-seed0.gguf" {
		t.Errorf("zero DType: String %q, FileName %q", m.String(), m.FileName(0))
	}
	if a, err := ExpectedSize(Model{Preset: "tiny"}, 0); err != nil {
		t.Error(err)
	} else if b, _ := ExpectedSize(Model{Preset: "tiny", DType: F16}, 0); a != b {
		t.Errorf("zero DType size %d, f16 size %d", a, b)
	}
}
