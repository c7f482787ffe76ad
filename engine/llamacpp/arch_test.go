package llamacpp

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/benchtui/benchtui/engine"
	"github.com/benchtui/benchtui/synth"
)

// miniature is a preset's architecture with tiny dimensions: the same llama.cpp
// architecture, the same tensors (tied or not, biases, q/k norms, experts, sinks), the same
// RoPE scaling and the same kind of head layout (heads × head dim equal to the hidden size
// or not, grouped KV heads or not), small enough to load and run in a test on the CPU.
func miniature(p synth.Preset) synth.Preset {
	m := p
	m.Name = "mini-" + p.Name
	m.Layers, m.Hidden, m.Heads, m.FFN, m.Vocab, m.ContextLength = 2, 128, 4, 256, 512, 1024
	m.HeadDim = 32
	if p.Heads*p.HeadDim != p.Hidden {
		m.HeadDim = 48
	}
	m.KVHeads = 4
	if p.KVHeads < p.Heads {
		m.KVHeads = 2
	}
	if p.Experts > 0 {
		m.Experts, m.ExpertsUsed = 4, min(p.ExpertsUsed, 2)
	}
	if p.SlidingWindow > 0 {
		// Two sliding-window and two full layers, a window shorter than the prompts.
		m.Layers, m.SlidingWindow = 4, 8
	}
	return m
}

// TestArchitecturesRun loads a miniature of each preset's architecture into llama.cpp and
// decodes from two sequences at once: the loader accepts the synthetic tensors and
// metadata, and the graph computes finite logits (a NaN makes the argmax pick token 0,
// whose output row, like the other special tokens', is zero and never wins otherwise).
func TestArchitecturesRun(t *testing.T) {
	for _, name := range []string{"llama-3.1-8b", "llama-3.2-1b", "mistral-small-24b", "mixtral-8x7b",
		"qwen2.5-7b", "qwen3-32b", "gpt-oss-20b"} {
		p, ok := synth.LookupPreset(name)
		if !ok {
			t.Fatalf("no preset %s", name)
		}
		mini := miniature(p)
		for _, dt := range []synth.DType{synth.F16, synth.Q8_0} {
			t.Run(name+":"+string(dt), func(t *testing.T) {
				path := filepath.Join(t.TempDir(), "mini.gguf")
				f, err := os.Create(path)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := synth.WriteModel(context.Background(), f, synth.Model{Preset: mini.Name, Shape: &mini, DType: dt}, 3, nil); err != nil {
					t.Fatal(err)
				}
				f.Close()
				sampling := false
				b, err := Open(context.Background(), Options{ModelPath: path, Threads: 1, GPULayers: 0, OffloadKQV: true, BackendSampling: &sampling}, nil)
				if err != nil {
					t.Fatal(err)
				}
				defer b.Close()
				info := b.Info()
				if info.NLayer != mini.Layers || info.NEmbd != mini.Hidden || info.NHead != mini.Heads || info.NHeadKV != mini.KVHeads ||
					info.NVocab != mini.Vocab || !strings.HasPrefix(info.ModelDesc, mini.Arch+" ") {
					t.Fatalf("llama.cpp sees %+v, want %+v", info, mini)
				}
				if err := b.CreateContext(2*64, 64, 0, 2); err != nil {
					t.Fatal(err)
				}
				decodeTwo(t, b, mini.Vocab)
			})
		}
	}
}

// decodeTwo prefills a 16-token prompt on each of two sequences in one batch, then decodes
// 12 tokens of both together, checking every token.
func decodeTwo(t *testing.T, b *Backend, vocab int) {
	t.Helper()
	var batch engine.Batch
	for s := range int32(2) {
		for i := range int32(16) {
			batch.Add(3+(i*37+s*101)%int32(vocab-3), i, s, i == 15)
		}
	}
	out := make([]int32, 2)
	pos := int32(16)
	for step := 0; step < 12; step++ {
		if err := b.Step(&batch, out); err != nil {
			t.Fatalf("step %d: %v", step, err)
		}
		for s, tok := range out {
			if tok < 3 || int(tok) >= vocab {
				t.Fatalf("step %d sequence %d: token %d (the logits are not finite, or EOS won)", step, s, tok)
			}
		}
		batch.Reset()
		for s := range int32(2) {
			batch.Add(out[s], pos, s, true)
		}
		pos++
	}
}
