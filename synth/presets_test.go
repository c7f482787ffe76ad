package synth

import (
	"math"
	"slices"
	"testing"
)

func TestParamCounts(t *testing.T) {
	// Published sizes (model cards, or the safetensors count Hugging Face shows), rounded to
	// the digits given, and the exact counts these shapes give.
	cases := []struct {
		preset    string
		published float64 // billions
		digits    int
		exact     int64
	}{
		{"llama-3.2-1b", 1.24, 2, 1_235_814_400},
		{"llama-3.2-3b", 3.21, 2, 3_212_749_824},
		{"llama-3.1-8b", 8.03, 2, 8_030_261_248},
		{"llama-3.1-70b", 70.6, 1, 70_553_706_496},
		{"llama-3.1-405b", 406, 0, 405_853_388_800},
		{"qwen2.5-0.5b", 0.49, 2, 494_032_768},
		{"qwen2.5-7b", 7.62, 2, 7_615_616_512},
		{"qwen2.5-14b", 14.8, 1, 14_770_033_664},
		{"qwen2.5-32b", 32.8, 1, 32_763_876_352},
		{"qwen2.5-72b", 72.7, 1, 72_706_203_648},
		{"qwen3-8b", 8.19, 2, 8_190_735_360},
		{"qwen3-32b", 32.8, 1, 32_762_123_264},
		{"mistral-7b", 7.25, 2, 7_248_023_552},
		{"mistral-small-24b", 23.6, 1, 23_572_403_200},
		{"mixtral-8x7b", 46.7, 1, 46_702_792_704},
		{"gpt-oss-20b", 20.91, 2, 20_914_757_184},
	}
	for _, c := range cases {
		p, ok := LookupPreset(c.preset)
		if !ok {
			t.Fatalf("no preset %s", c.preset)
		}
		n := p.ParamCount()
		if n != c.exact {
			t.Errorf("%s: %d parameters, want %d", c.preset, n, c.exact)
		}
		// Within the publisher's rounding: half a unit of the last digit.
		if got := float64(n) / 1e9; math.Abs(got-c.published) > 0.5*math.Pow(10, -float64(c.digits))+1e-9 {
			t.Errorf("%s: %.4fB parameters, published %.*fB", c.preset, got, c.digits, c.published)
		}
	}
}

func TestPresetsValid(t *testing.T) {
	names := Presets()
	want := []string{"tiny", "small", "llama-3.2-1b", "llama-3.2-3b", "llama-3.1-8b", "llama-3.1-70b", "llama-3.1-405b",
		"qwen2.5-0.5b", "qwen2.5-7b", "qwen2.5-14b", "qwen2.5-32b", "qwen2.5-72b", "qwen3-8b", "qwen3-32b",
		"mistral-7b", "mistral-small-24b", "mixtral-8x7b", "gpt-oss-20b"}
	if !slices.Equal(names, want) {
		t.Errorf("Presets() = %v, want %v", names, want)
	}
	for _, p := range presets {
		for _, d := range DTypes() {
			if err := p.validate(d.ggmlType()); err != nil {
				t.Errorf("%s:%s: %v", p.Name, d, err)
			}
			for _, ts := range p.tensors(d.ggmlType()) {
				if ts.Shape[0]%ts.Type.BlockSize() != 0 {
					t.Errorf("%s:%s %s: row %d", p.Name, d, ts.Name, ts.Shape[0])
				}
			}
		}
	}
	if _, ok := LookupPreset("nope"); ok {
		t.Error("LookupPreset found nope")
	}
	// The tiny preset must stay tiny: it backs the fast CPU tests.
	tiny, _ := LookupPreset("tiny")
	if n := tiny.ParamCount(); n > 5_000_000 {
		t.Errorf("tiny has %d parameters", n)
	}
}
