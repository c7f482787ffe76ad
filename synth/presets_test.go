package synth

import (
	"math"
	"slices"
	"testing"
)

func TestParamCounts(t *testing.T) {
	// Published sizes (model cards / safetensors metadata), and the exact counts these
	// shapes give.
	cases := []struct {
		preset    string
		published float64 // billions, as rounded by the publisher
		exact     int64
	}{
		{"llama-3.2-1b", 1.24, 1_235_814_400},
		{"llama-3.2-3b", 3.21, 3_212_749_824},
		{"llama-3.1-8b", 8.03, 8_030_261_248},
		{"llama-3.1-70b", 70.6, 70_553_706_496},
		{"qwen2.5-7b", 7.62, 7_615_616_512},
		{"mistral-7b", 7.25, 7_248_023_552},
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
		digits := 2.0
		if c.published >= 10 {
			digits = 1
		}
		if got := float64(n) / 1e9; math.Abs(got-c.published) > 0.5*math.Pow(10, -digits)+1e-9 {
			t.Errorf("%s: %.4fB parameters, published %.2fB", c.preset, got, c.published)
		}
	}
}

func TestPresetsValid(t *testing.T) {
	names := Presets()
	want := []string{"tiny", "small", "llama-3.2-1b", "llama-3.2-3b", "llama-3.1-8b", "llama-3.1-70b", "qwen2.5-7b", "mistral-7b"}
	if !slices.Equal(names, want) {
		t.Errorf("Presets() = %v, want %v", names, want)
	}
	for _, p := range presets {
		if err := p.validate(); err != nil {
			t.Error(err)
		}
		if p.HeadDim*p.Heads != p.Hidden {
			t.Errorf("%s: %d heads × %d != hidden %d", p.Name, p.Heads, p.HeadDim, p.Hidden)
		}
		for _, d := range DTypes() {
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
