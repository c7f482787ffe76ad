package synth

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// writeModel writes a synthetic model into memory.
func writeModel(t *testing.T, m Model, seed uint64) []byte {
	t.Helper()
	var buf bytes.Buffer
	n, err := WriteModel(context.Background(), &buf, m, seed, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(buf.Len()) {
		t.Fatalf("WriteModel returned %d, wrote %d", n, buf.Len())
	}
	return buf.Bytes()
}

func TestTinyModelRoundTrip(t *testing.T) {
	m := Model{Preset: "tiny", DType: F16}
	b := writeModel(t, m, 7)
	size, err := ExpectedSize(m, 7)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(b)) != size {
		t.Errorf("wrote %d bytes, ExpectedSize says %d", len(b), size)
	}
	f, err := readGGUF(b)
	if err != nil {
		t.Fatal(err)
	}
	if f.version != 3 || f.alignment != 32 || f.dataOffset%32 != 0 {
		t.Errorf("version %d alignment %d data offset %d", f.version, f.alignment, f.dataOffset)
	}
	last := f.tensors[len(f.tensors)-1]
	if end := f.dataOffset + last.offset + pad(last.info().Bytes(), 32); end != int64(len(b)) {
		t.Errorf("data ends at %d, file has %d bytes", end, len(b))
	}

	p, _ := LookupPreset("tiny")
	wantKV := map[string]any{
		"general.architecture":                   "llama",
		"general.name":                           "benchtui synthetic tiny f16",
		"general.file_type":                      uint32(1),
		"general.alignment":                      uint32(32),
		"llama.vocab_size":                       uint32(p.Vocab),
		"llama.context_length":                   uint32(p.ContextLength),
		"llama.embedding_length":                 uint32(256),
		"llama.block_count":                      uint32(4),
		"llama.feed_forward_length":              uint32(768),
		"llama.attention.head_count":             uint32(4),
		"llama.attention.head_count_kv":          uint32(2),
		"llama.rope.dimension_count":             uint32(64),
		"llama.rope.freq_base":                   float32(10000),
		"llama.attention.layer_norm_rms_epsilon": float32(1e-5),
		"tokenizer.ggml.model":                   "llama",
		"tokenizer.ggml.bos_token_id":            uint32(1),
		"tokenizer.ggml.eos_token_id":            uint32(2),
		"tokenizer.ggml.unknown_token_id":        uint32(0),
		"tokenizer.ggml.add_bos_token":           true,
		"tokenizer.ggml.add_eos_token":           false,
		"benchtui.synthetic":                     true,
		"benchtui.preset":                        "tiny",
		"benchtui.dtype":                         "f16",
		"benchtui.seed":                          uint64(7),
	}
	for k, want := range wantKV {
		if got := f.kv[k]; !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %#v (%T), want %#v (%T)", k, got, got, want, want)
		}
	}
	toks, _ := f.kv["tokenizer.ggml.tokens"].([]string)
	scores, _ := f.kv["tokenizer.ggml.scores"].([]float32)
	types, _ := f.kv["tokenizer.ggml.token_type"].([]int32)
	if len(toks) != p.Vocab || len(scores) != p.Vocab || len(types) != p.Vocab {
		t.Errorf("vocab arrays have %d/%d/%d entries, want %d", len(toks), len(scores), len(types), p.Vocab)
	}

	// Tensor names and ggml shapes, as llama.cpp's llama loader asks for them.
	want := map[string][]int64{
		"token_embd.weight":  {256, 2048},
		"output_norm.weight": {256},
		"output.weight":      {256, 2048},
	}
	for i := range 4 {
		blk := fmt.Sprintf("blk.%d.", i)
		want[blk+"attn_norm.weight"] = []int64{256}
		want[blk+"attn_q.weight"] = []int64{256, 256}
		want[blk+"attn_k.weight"] = []int64{256, 128}
		want[blk+"attn_v.weight"] = []int64{256, 128}
		want[blk+"attn_output.weight"] = []int64{256, 256}
		want[blk+"ffn_norm.weight"] = []int64{256}
		want[blk+"ffn_gate.weight"] = []int64{256, 768}
		want[blk+"ffn_up.weight"] = []int64{256, 768}
		want[blk+"ffn_down.weight"] = []int64{768, 256}
	}
	if len(f.tensors) != len(want) {
		t.Errorf("%d tensors, want %d", len(f.tensors), len(want))
	}
	for _, rt := range f.tensors {
		ws, ok := want[rt.name]
		if !ok {
			t.Errorf("unexpected tensor %s", rt.name)
			continue
		}
		if !reflect.DeepEqual(rt.shape, ws) {
			t.Errorf("%s shape %v, want %v", rt.name, rt.shape, ws)
		}
		wantType := GGMLTypeF16
		if len(ws) == 1 {
			wantType = GGMLTypeF32
		}
		if rt.typ != wantType {
			t.Errorf("%s type %v, want %v", rt.name, rt.typ, wantType)
		}
	}

	// Norms are ones; weights lie within the intended range and are not constant.
	norm, ti, _ := f.data(b, "blk.2.ffn_norm.weight")
	for _, v := range decodeTensor(norm, ti.Type) {
		if v != 1 {
			t.Fatalf("norm weight %v, want 1", v)
		}
	}
	// The output rows of the special tokens are zero; the rest are not.
	out, ti, _ := f.data(b, "output.weight")
	rows := decodeTensor(out, ti.Type)
	for i, v := range rows[:specialTokens*256] {
		if v != 0 {
			t.Fatalf("output.weight element %d = %v, want 0", i, v)
		}
	}
	checkRange(t, "output rows", rows[specialTokens*256:], weightRange(256))
	emb, ti, _ := f.data(b, "token_embd.weight")
	checkRange(t, "token_embd", decodeTensor(emb, ti.Type), weightRange(256))

	down, ti, _ := f.data(b, "blk.1.ffn_down.weight")
	vals := decodeTensor(down, ti.Type)
	checkRange(t, "ffn_down", vals, weightRange(768))
}

// checkRange checks that values are finite, within ±r (plus rounding), centred and spread.
func checkRange(t *testing.T, what string, vals []float32, r float64) {
	t.Helper()
	var sum, sum2, maxAbs float64
	for _, v := range vals {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			t.Fatalf("%s: non-finite value %v", what, v)
		}
		sum += float64(v)
		sum2 += float64(v) * float64(v)
		maxAbs = max(maxAbs, math.Abs(float64(v)))
	}
	n := float64(len(vals))
	mean, rms := sum/n, math.Sqrt(sum2/n)
	if maxAbs > r*1.01 {
		t.Errorf("%s: max |w| = %g, above the range %g", what, maxAbs, r)
	}
	if maxAbs < r*0.5 {
		t.Errorf("%s: max |w| = %g, far below the range %g", what, maxAbs, r)
	}
	if math.Abs(mean) > 0.05*r {
		t.Errorf("%s: mean %g is not near zero (range %g)", what, mean, r)
	}
	if rms < 0.3*r || rms > 0.7*r {
		t.Errorf("%s: rms %g, want about %g", what, rms, r/math.Sqrt(3))
	}
}

func TestDeterminism(t *testing.T) {
	for _, d := range DTypes() {
		t.Run(string(d), func(t *testing.T) {
			m := Model{Preset: "tiny", DType: d}
			a := sha256.Sum256(writeModel(t, m, 1))
			b := sha256.Sum256(writeModel(t, m, 1))
			c := writeModel(t, m, 2)
			if a != b {
				t.Error("two writes with the same seed differ")
			}
			if a == sha256.Sum256(c) {
				t.Error("different seeds give the same file")
			}
			// The weights differ, not only the seed in the header.
			f, err := readGGUF(c)
			if err != nil {
				t.Fatal(err)
			}
			b1 := writeModel(t, m, 1)
			f1, _ := readGGUF(b1)
			w2, _, _ := f.data(c, "blk.0.attn_q.weight")
			w1, _, _ := f1.data(b1, "blk.0.attn_q.weight")
			if bytes.Equal(w1, w2) {
				t.Error("different seeds give the same weights")
			}
		})
	}
}

func TestTensorsDiffer(t *testing.T) {
	// Tensors cut from the same pool start at different offsets.
	b := writeModel(t, Model{Preset: "tiny", DType: Q4_0}, 0)
	f, err := readGGUF(b)
	if err != nil {
		t.Fatal(err)
	}
	q, _, _ := f.data(b, "blk.0.attn_q.weight")
	o, _, _ := f.data(b, "blk.0.attn_output.weight")
	q1, _, _ := f.data(b, "blk.1.attn_q.weight")
	if bytes.Equal(q, o) || bytes.Equal(q, q1) {
		t.Error("same-shaped tensors have identical data")
	}
}

func TestAllDTypesDecode(t *testing.T) {
	for _, d := range DTypes() {
		t.Run(string(d), func(t *testing.T) {
			b := writeModel(t, Model{Preset: "tiny", DType: d}, 3)
			f, err := readGGUF(b)
			if err != nil {
				t.Fatal(err)
			}
			if got := f.kv["general.file_type"]; got != d.fileType() {
				t.Errorf("file_type %v, want %d", got, d.fileType())
			}
			for _, name := range []string{"token_embd.weight", "blk.3.ffn_down.weight", "output.weight"} {
				data, ti, ok := f.data(b, name)
				if !ok {
					t.Fatalf("no %s", name)
				}
				if ti.Type != d.ggmlType() {
					t.Errorf("%s is %v, want %v", name, ti.Type, d.ggmlType())
				}
				vals := decodeTensor(data, ti.Type)
				if int64(len(vals)) != ti.Elements() {
					t.Fatalf("%s decoded to %d values, want %d", name, len(vals), ti.Elements())
				}
				checkRange(t, name, vals, weightRange(ti.Shape[0]))
			}
		})
	}
}

func TestPresetTensors(t *testing.T) {
	names := func(p string) map[string]TensorInfo {
		pr, ok := LookupPreset(p)
		if !ok {
			t.Fatalf("no preset %s", p)
		}
		m := map[string]TensorInfo{}
		for _, s := range pr.tensors(GGMLTypeQ8_0) {
			m[s.Name] = s.TensorInfo
		}
		return m
	}
	l1 := names("llama-3.2-1b")
	if _, ok := l1["output.weight"]; ok {
		t.Error("llama-3.2-1b ties its embeddings but has output.weight")
	}
	if rf, ok := l1["rope_freqs.weight"]; !ok || !reflect.DeepEqual(rf.Shape, []int64{32}) || rf.Type != GGMLTypeF32 {
		t.Errorf("llama-3.2-1b rope_freqs = %+v", rf)
	}
	for _, p := range presets {
		for _, s := range p.tensors(GGMLTypeF16) {
			want := int64(0)
			if s.Name == "output.weight" || (p.TiedEmbeddings && s.Name == "token_embd.weight") {
				want = specialTokens
			}
			if s.zeroRows != want {
				t.Errorf("%s %s: %d zero rows", p.Name, s.Name, s.zeroRows)
			}
		}
	}
	l8 := names("llama-3.1-8b")
	if _, ok := l8["output.weight"]; !ok {
		t.Error("llama-3.1-8b has no output.weight")
	}
	if k := l8["blk.31.attn_k.weight"]; !reflect.DeepEqual(k.Shape, []int64{4096, 1024}) {
		t.Errorf("llama-3.1-8b attn_k shape %v", k.Shape)
	}
	q := names("qwen2.5-7b")
	for _, n := range []string{"blk.0.attn_q.bias", "blk.0.attn_k.bias", "blk.27.attn_v.bias"} {
		if ti, ok := q[n]; !ok || ti.Type != GGMLTypeF32 {
			t.Errorf("qwen2.5-7b %s = %+v, %v", n, ti, ok)
		}
	}
	if b := q["blk.0.attn_k.bias"]; !reflect.DeepEqual(b.Shape, []int64{512}) {
		t.Errorf("qwen2.5-7b attn_k.bias shape %v", b.Shape)
	}
	if _, ok := q["rope_freqs.weight"]; ok {
		t.Error("qwen2.5-7b has rope_freqs")
	}
	if _, ok := names("mistral-7b")["blk.0.attn_q.bias"]; ok {
		t.Error("mistral-7b has biases")
	}
	for name, shape := range map[string][]int64{
		// Qwen3-32B: 64 heads of 128 on a 5120-wide stream, q and k normed per head.
		"qwen3-32b/blk.0.attn_q.weight": {5120, 8192}, "qwen3-32b/blk.0.attn_output.weight": {8192, 5120},
		"qwen3-32b/blk.63.attn_q_norm.weight": {128}, "qwen3-32b/blk.63.attn_k_norm.weight": {128},
		// Mixtral: 8 experts stacked in 3-D tensors, an f32 router.
		"mixtral-8x7b/blk.0.ffn_gate_inp.weight": {4096, 8}, "mixtral-8x7b/blk.0.ffn_gate_exps.weight": {4096, 14336, 8},
		"mixtral-8x7b/blk.31.ffn_down_exps.weight": {14336, 4096, 8}, "mixtral-8x7b/blk.0.ffn_up_exps.weight": {4096, 14336, 8},
		// gpt-oss: sinks per head, biases everywhere, a norm after attention instead of before the FFN.
		"gpt-oss-20b/blk.0.attn_sinks.weight": {64}, "gpt-oss-20b/blk.0.post_attention_norm.weight": {2880},
		"gpt-oss-20b/blk.0.attn_q.weight": {2880, 4096}, "gpt-oss-20b/blk.0.attn_output.bias": {2880},
		"gpt-oss-20b/blk.23.ffn_gate_exps.bias": {2880, 32}, "gpt-oss-20b/blk.0.ffn_down_exps.bias": {2880, 32},
		"gpt-oss-20b/blk.0.ffn_gate_inp.bias": {32}, "gpt-oss-20b/output.weight": {2880, 201088},
	} {
		preset, tensor, _ := strings.Cut(name, "/")
		ti, ok := names(preset)[tensor]
		if !ok || !reflect.DeepEqual(ti.Shape, shape) {
			t.Errorf("%s: %+v (present %v), want shape %v", name, ti, ok, shape)
		}
		if want := GGMLTypeQ8_0; strings.Contains(tensor, "exps.weight") && ti.Type != want ||
			strings.Contains(tensor, "gate_inp.weight") && ti.Type != GGMLTypeF32 {
			t.Errorf("%s has type %v", name, ti.Type)
		}
	}
	for _, absent := range []string{"gpt-oss-20b/blk.0.ffn_norm.weight", "mixtral-8x7b/blk.0.ffn_gate.weight", "qwen3-8b/blk.0.attn_q.bias"} {
		preset, tensor, _ := strings.Cut(absent, "/")
		if _, ok := names(preset)[tensor]; ok {
			t.Errorf("%s is written", absent)
		}
	}
}

func TestRopeFreqs(t *testing.T) {
	p, _ := LookupPreset("llama-3.1-8b")
	f := p.ropeFreqs()
	if len(f) != 64 {
		t.Fatalf("%d factors, want 64", len(f))
	}
	if f[0] != 1 || f[63] != 8 {
		t.Errorf("factors run from %v to %v, want 1 to 8", f[0], f[63])
	}
	smooth := 0
	for i := 1; i < len(f); i++ {
		if f[i] < f[i-1] {
			t.Errorf("factor %d (%v) < factor %d (%v)", i, f[i], i-1, f[i-1])
		}
		if f[i] > 1 && f[i] < 8 {
			smooth++
		}
	}
	if smooth == 0 {
		t.Error("no smoothly interpolated factors")
	}
	// Factor k has wavelength 2π·500000^(2k/128): below 8192/4 (unscaled) up to k=28, above
	// 8192 (scaled by the full factor) from k=35, interpolated between.
	if f[28] != 1 || f[29] <= 1 || f[34] >= 8 || f[35] != 8 {
		t.Errorf("factors 28, 29, 34, 35 = %v %v %v %v; want 1, >1, <8, 8", f[28], f[29], f[34], f[35])
	}
}

func TestExpectedSize(t *testing.T) {
	for _, name := range Presets() {
		p, _ := LookupPreset(name)
		for _, d := range DTypes() {
			size, err := ExpectedSize(Model{Preset: name, DType: d}, 0)
			if err != nil {
				t.Fatal(err)
			}
			// The weights dominate (the vocabulary adds a little): check the size against
			// bytes per parameter.
			bpw := map[DType]float64{F16: 2, BF16: 2, Q8_0: 34.0 / 32, Q4_0: 18.0 / 32}[d]
			approx := float64(p.ParamCount()) * bpw
			if name != "tiny" && math.Abs(float64(size)-approx) > 0.03*approx {
				t.Errorf("%s:%s: %d bytes, expected about %.0f", name, d, size, approx)
			}
		}
	}
	if _, err := ExpectedSize(Model{Preset: "nope", DType: F16}, 0); err == nil {
		t.Error("ExpectedSize accepted an unknown preset")
	}
}

func TestEnsure(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(CacheDirEnv, dir)
	m := Model{Preset: "tiny", DType: Q4_0}
	var last [2]int64
	calls := 0
	progress := func(done, total int64) { last = [2]int64{done, total}; calls++ }

	path, err := Ensure(context.Background(), m, 5, progress)
	if err != nil {
		t.Fatal(err)
	}
	if path != filepath.Join(dir, "tiny-q4_0-seed5.gguf") {
		t.Errorf("path %s", path)
	}
	size, _ := ExpectedSize(m, 5)
	fi, err := os.Stat(path)
	if err != nil || fi.Size() != size {
		t.Fatalf("stat %v, size %d, want %d", err, fi.Size(), size)
	}
	if calls < 2 || last != [2]int64{size, size} {
		t.Errorf("progress: %d calls, last %v, want final (%d, %d)", calls, last, size, size)
	}
	want := writeModel(t, m, 5)
	if got, _ := os.ReadFile(path); !bytes.Equal(got, want) {
		t.Error("cached file differs from WriteModel's output")
	}

	// An intact cached file is reused: its (back-dated) modification time stays.
	old := fi.ModTime().Add(-1e12)
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
	if _, err := Ensure(context.Background(), m, 5, nil); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); !fi.ModTime().Equal(old) {
		t.Error("an intact cached file was rewritten")
	}

	// A file of the wrong size, or with a different header, is rewritten.
	for _, corrupt := range []func([]byte) []byte{
		func(b []byte) []byte { return b[:len(b)-100] },
		func(b []byte) []byte { b[100] ^= 1; return b },
	} {
		if err := os.WriteFile(path, corrupt(bytes.Clone(want)), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Ensure(context.Background(), m, 5, nil); err != nil {
			t.Fatal(err)
		}
		if got, _ := os.ReadFile(path); !bytes.Equal(got, want) {
			t.Error("a damaged cached file was not rewritten")
		}
	}

	// Cancellation stops the write and leaves nothing behind.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Ensure(ctx, Model{Preset: "tiny", DType: F16}, 5, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled Ensure: err = %v", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("cache holds %v, want only the q4_0 file", names)
	}

	// A user-supplied file is returned as is; a missing one is an error.
	if p, err := Ensure(context.Background(), Model{Path: path}, 0, nil); err != nil || p != path {
		t.Errorf("Ensure(file) = %q, %v", p, err)
	}
	if _, err := Ensure(context.Background(), Model{Path: filepath.Join(dir, "none.gguf")}, 0, nil); err == nil {
		t.Error("Ensure accepted a missing file")
	}
}

func TestCacheDir(t *testing.T) {
	t.Setenv(CacheDirEnv, "/some/where")
	if d, err := CacheDir(); err != nil || d != "/some/where" {
		t.Errorf("CacheDir() = %q, %v", d, err)
	}
	t.Setenv(CacheDirEnv, "")
	d, err := CacheDir()
	if err != nil {
		t.Skip("no user cache directory:", err)
	}
	if !strings.HasSuffix(d, filepath.Join("benchtui", "models")) {
		t.Errorf("CacheDir() = %q", d)
	}
}

func TestDirectWriter(t *testing.T) {
	// Ensure uses direct I/O only for large files; force it here on small ones, whose sizes
	// are not multiples of the alignment, and one that spans several staging buffers.
	for _, m := range []Model{{Preset: "tiny", DType: Q4_0}, {Preset: "tiny", DType: F16}, {Preset: "small", DType: Q8_0}} {
		want := writeModel(t, m, 11)
		f, err := os.Create(filepath.Join(t.TempDir(), "direct.gguf"))
		if err != nil {
			t.Fatal(err)
		}
		dw := newDirectWriter(f)
		if dw == nil {
			f.Close()
			t.Skip("direct I/O not available here")
		}
		p, err := newPlan(m, 11)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.write(context.Background(), dw, nil); err != nil {
			t.Fatal(err)
		}
		if err := dw.Close(); err != nil {
			t.Fatal(err)
		}
		f.Close()
		got, err := os.ReadFile(f.Name())
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: direct write gave %d bytes differing from the %d-byte buffered output", m, len(got), len(want))
		}
	}

	// A cancelled direct write stops cleanly.
	f, err := os.Create(filepath.Join(t.TempDir(), "cancel.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dw := newDirectWriter(f)
	if dw == nil {
		t.Skip("direct I/O not available here")
	}
	ctx, cancel := context.WithCancel(context.Background())
	p, _ := newPlan(Model{Preset: "small", DType: F16}, 0)
	_, err = p.write(ctx, dw, func(done, total int64) {
		if done > 0 {
			cancel()
		}
	})
	dw.abort()
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled write: err = %v", err)
	}
}

// TestCheckRoom refuses, before writing a byte, a model larger than the cache's file system
// has room for (llama-3.1-405b at f16 is 756 GiB), in CheckRoom and in Ensure alike, and lets
// a small one through.
func TestCheckRoom(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(CacheDirEnv, filepath.Join(dir, "models"))
	big, err := ParseModel("llama-3.1-405b")
	if err != nil {
		t.Fatal(err)
	}
	var nr NoRoomError
	if err := CheckRoom(big, 1); !errors.As(err, &nr) || !strings.Contains(err.Error(), "GiB free") ||
		!strings.Contains(err.Error(), filepath.Join(dir, "models")) || !strings.Contains(err.Error(), "llama-3.1-405b:q4_0") {
		t.Fatalf("CheckRoom(405b) = %v, want a NoRoomError naming the folder, its free space and the q4_0 type", err)
	}
	if _, err := Ensure(context.Background(), big, 1, nil); !errors.As(err, &nr) {
		t.Fatalf("Ensure(405b) = %v, want a NoRoomError", err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "models", "*")); len(left) != 0 {
		t.Errorf("Ensure left %v behind", left)
	}
	tiny, _ := ParseModel("tiny")
	if err := CheckRoom(tiny, 1); err != nil {
		t.Errorf("CheckRoom(tiny) = %v", err)
	}
}
