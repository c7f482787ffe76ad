// Package synth writes synthetic-weight GGUF models for benchmarking llama.cpp.
//
// Real weights cannot be downloaded where benchtui runs, and inference speed depends only on
// a model's shapes and weight types, not on what the weights say. So synth writes GGUF v3
// files with the exact tensor names, shapes and metadata of real models (Llama 3.x, Qwen2.5,
// Qwen3, Mistral, Mixtral, gpt-oss, plus tiny test shapes, or any shape a Hugging Face
// config.json of those architectures describes), filled with deterministic pseudo-random
// weights scaled so that activations stay finite through every layer, and a
// SentencePiece-style vocabulary with byte fallback so that any text tokenizes. Files are
// cached and reused; a shape read from a config.json is cached under a name made from the
// file's content.
//
// A model is named by a path to an existing .gguf file, by "preset[:dtype]" (for example
// "llama-3.1-8b:q4_0"), by a Hugging Face id whose shapes a preset has
// ("meta-llama/Llama-3.1-8B"), or by a model folder or config.json; see ParseModel, Presets
// and Ensure. Invariant: the bytes written for a given shape, dtype and seed never change
// without a new generatorVersion.
package synth

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
)

// DType is the storage type of a synthetic model's 2-D weight matrices (token_embd
// included). Norm weights and biases are always f32.
type DType string

// The supported weight types.
const (
	F16  DType = "f16"
	BF16 DType = "bf16"
	Q8_0 DType = "q8_0"
	Q4_0 DType = "q4_0"
)

// DefaultDType is the weight type of a preset named without one.
const DefaultDType = F16

// DTypes lists the supported weight types.
func DTypes() []DType { return []DType{F16, BF16, Q8_0, Q4_0} }

// ParseDType parses a weight type name, ignoring case.
func ParseDType(s string) (DType, error) {
	d := DType(strings.ToLower(strings.TrimSpace(s)))
	if d.ggmlType() == 0 {
		return "", fmt.Errorf("synth: unknown dtype %q (known: %s)", s, joinDTypes())
	}
	return d, nil
}

func joinDTypes() string {
	var s []string
	for _, d := range DTypes() {
		s = append(s, string(d))
	}
	return strings.Join(s, ", ")
}

// ggmlType is the tensor type of the weight matrices; 0 (f32, never used for matrices
// here) for an unknown DType.
func (d DType) ggmlType() GGMLType {
	switch d {
	case F16:
		return GGMLTypeF16
	case BF16:
		return GGMLTypeBF16
	case Q8_0:
		return GGMLTypeQ8_0
	case Q4_0:
		return GGMLTypeQ4_0
	}
	return 0
}

// fileType is general.file_type (enum llama_ftype in include/llama.h).
func (d DType) fileType() uint32 {
	switch d {
	case BF16:
		return 32 // LLAMA_FTYPE_MOSTLY_BF16
	case Q8_0:
		return 7 // LLAMA_FTYPE_MOSTLY_Q8_0
	case Q4_0:
		return 2 // LLAMA_FTYPE_MOSTLY_Q4_0
	}
	return 1 // LLAMA_FTYPE_MOSTLY_F16
}

// CacheDirEnv is the environment variable that overrides the model cache directory.
const CacheDirEnv = "BENCHTUI_CACHE_DIR"

// CacheDir is where Ensure keeps synthetic models: $BENCHTUI_CACHE_DIR if set, else
// benchtui/models under os.UserCacheDir.
func CacheDir() (string, error) {
	if d := os.Getenv(CacheDirEnv); d != "" {
		return d, nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("synth: finding the cache directory (set %s): %w", CacheDirEnv, err)
	}
	return filepath.Join(d, "benchtui", "models"), nil
}

// generatorVersion is stored in every file (benchtui.synth_version). Bump it whenever the
// bytes written for a given preset, dtype and seed change, so that cached files from an
// older benchtui fail Ensure's header check and are rewritten.
const generatorVersion uint32 = 1

// plan is everything about a synthetic file except its tensor data.
type plan struct {
	model  Model // with the DType defaulted
	preset Preset
	seed   uint64
	gguf   *GGUF
	specs  []tensorSpec
	header []byte
}

func (p *plan) size() int64 { return int64(len(p.header)) + p.gguf.DataSize() }

func newPlan(m Model, seed uint64) (*plan, error) {
	if m.IsFile() {
		return nil, fmt.Errorf("synth: %s is a file, not a synthetic model", m.Path)
	}
	p, err := m.Architecture()
	if err != nil {
		return nil, err
	}
	d := m.dtype()
	t := d.ggmlType()
	if t == 0 {
		return nil, fmt.Errorf("synth: unknown dtype %q (known: %s)", d, joinDTypes())
	}
	if err := p.validate(t); err != nil {
		return nil, fmt.Errorf("synth: model %s with %s weights: %w", p.Name, d, err)
	}
	v, err := buildVocab(p.Vocab)
	if err != nil {
		return nil, err
	}
	specs := p.tensors(t)
	g := &GGUF{KV: p.metadata(d, seed, v), Alignment: DefaultAlignment}
	for _, s := range specs {
		g.Tensors = append(g.Tensors, s.TensorInfo)
	}
	h, err := g.Header()
	if err != nil {
		return nil, fmt.Errorf("synth: %s: %w", m, err)
	}
	m.DType = d
	return &plan{model: m, preset: p, seed: seed, gguf: g, specs: specs, header: h}, nil
}

// ExpectedSize is the size in bytes of the file Ensure writes for m, computed without
// writing it. For a user-supplied file it is the file's size.
func ExpectedSize(m Model, seed uint64) (int64, error) {
	if m.IsFile() {
		fi, err := os.Stat(m.Path)
		if err != nil {
			return 0, fmt.Errorf("synth: %w", err)
		}
		return fi.Size(), nil
	}
	p, err := newPlan(m, seed)
	if err != nil {
		return 0, err
	}
	return p.size(), nil
}

// WriteModel writes the synthetic model m with the given seed to w and returns the number of
// bytes written. progress, if not nil, is called with the bytes written so far and the
// total, every few tens of MiB and at the end. It stops with ctx's error when ctx is done.
func WriteModel(ctx context.Context, w io.Writer, m Model, seed uint64, progress func(done, total int64)) (int64, error) {
	p, err := newPlan(m, seed)
	if err != nil {
		return 0, err
	}
	return p.write(ctx, w, progress)
}

// progressStep is how often (in bytes) WriteModel reports progress.
const progressStep = 64 << 20

func (p *plan) write(ctx context.Context, w io.Writer, progress func(done, total int64)) (int64, error) {
	total := p.size()
	pw := &progressWriter{ctx: ctx, w: w, total: total, fn: progress}
	if progress != nil {
		progress(0, total)
	}
	n, err := p.gguf.Encode(pw, newTensorWriter(p).write)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil && errors.Is(err, ctxErr) {
			return n, ctxErr
		}
		return n, fmt.Errorf("synth: writing %s: %w", p.model, err)
	}
	if n != total {
		return n, fmt.Errorf("synth: wrote %d bytes for %s, expected %d", n, p.model, total)
	}
	if progress != nil {
		progress(total, total)
	}
	return n, nil
}

// progressWriter sits under the GGUF encoder's buffer, so it sees few, large writes: a cheap
// place to honour cancellation and report progress.
type progressWriter struct {
	ctx         context.Context
	w           io.Writer
	done, total int64
	next        int64
	fn          func(done, total int64)
}

func (pw *progressWriter) Write(b []byte) (int, error) {
	if err := pw.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := pw.w.Write(b)
	pw.done += int64(n)
	if pw.fn != nil && pw.done >= pw.next && pw.done < pw.total {
		pw.fn(pw.done, pw.total)
		pw.next = pw.done + progressStep
	}
	return n, err
}

// tensorWriter produces the data of each tensor of a plan.
type tensorWriter struct {
	plan    *plan
	pools   map[poolKey]*pool // the weight range depends on the fan-in
	poolMax map[poolKey]int64 // bytes of the largest matrix each pool serves
}

// poolKey picks a pool: one per tensor type and fan-in.
type poolKey struct {
	typ   GGMLType
	fanIn int64
}

func newTensorWriter(p *plan) *tensorWriter {
	tw := &tensorWriter{plan: p, pools: map[poolKey]*pool{}, poolMax: map[poolKey]int64{}}
	for _, s := range p.specs {
		if s.kind == kindMatrix || s.kind == kindMatrixF32 {
			k := poolKey{s.Type, s.Shape[0]}
			tw.poolMax[k] = max(tw.poolMax[k], s.Bytes())
		}
	}
	return tw
}

func (tw *tensorWriter) write(w io.Writer, i int, t TensorInfo) error {
	p := tw.plan
	stream := mix(p.seed, hashString(t.Name))
	switch p.specs[i].kind {
	case kindMatrix, kindMatrixF32:
		k := poolKey{t.Type, t.Shape[0]}
		pl := tw.pools[k]
		if pl == nil {
			var err error
			pl, err = newPool(t.Type, weightRange(k.fanIn), mix(p.seed, uint64(t.Type), uint64(k.fanIn)), tw.poolMax[k])
			if err != nil {
				return err
			}
			tw.pools[k] = pl
		}
		n := t.Bytes()
		if z := p.specs[i].zeroRows; z > 0 {
			zb := z * (n / t.Shape[1])
			if _, err := w.Write(make([]byte, zb)); err != nil {
				return err
			}
			n -= zb
		}
		return pl.write(w, int64(stream%uint64(pl.blocks)), n)
	case kindNorm:
		return writeF32(w, t.Elements(), func(int) float32 { return 1 })
	case kindBias:
		g := rng{s: stream}
		return writeF32(w, t.Elements(), func(int) float32 { return float32(g.uniform() * biasScale) })
	case kindRopeFreqs:
		f := p.preset.ropeFreqs()
		if int64(len(f)) != t.Elements() {
			return fmt.Errorf("rope_freqs has %d values, want %d", len(f), t.Elements())
		}
		return writeF32(w, t.Elements(), func(j int) float32 { return f[j] })
	}
	return fmt.Errorf("unknown tensor kind %d", p.specs[i].kind)
}

// writeF32 writes n float32 values; only used for the small 1-D tensors.
func writeF32(w io.Writer, n int64, f func(int) float32) error {
	b := make([]byte, 4*n)
	for j := range int(n) {
		binary.LittleEndian.PutUint32(b[4*j:], math.Float32bits(f(j)))
	}
	_, err := w.Write(b)
	return err
}

// Ensure returns the path of the model's GGUF file, writing it first when it is a preset
// not yet in the cache directory (see CacheDir). A cached file is reused only when its size
// and header (metadata and tensor layout, which include the seed and generator version) are
// exactly what would be written; otherwise it is rewritten. Writing goes to a temporary file
// in the same directory, renamed into place when complete, so a crash or cancellation never
// leaves a partial file under the final name. progress is as for WriteModel. For a
// user-supplied file, Ensure only checks that it exists. Temporary files that killed writers
// left in the cache directory are removed (see removeStale).
func Ensure(ctx context.Context, m Model, seed uint64, progress func(done, total int64)) (path string, err error) {
	if m.IsFile() {
		fi, err := os.Stat(m.Path)
		if err != nil {
			return "", fmt.Errorf("synth: model file: %w", err)
		}
		if !fi.Mode().IsRegular() {
			return "", fmt.Errorf("synth: model file %s is not a regular file", m.Path)
		}
		return m.Path, nil
	}
	p, err := newPlan(m, seed)
	if err != nil {
		return "", err
	}
	dir, err := CacheDir()
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("synth: creating cache directory: %w", err)
	}
	removeStale(dir)
	path = filepath.Join(dir, m.FileName(seed))
	if ok, err := p.matches(path); err != nil {
		return "", err
	} else if ok {
		if progress != nil {
			progress(p.size(), p.size())
		}
		return path, nil
	}
	if err := p.room(m, dir); err != nil {
		return "", err
	}

	f, err := os.CreateTemp(dir, m.FileName(seed)+".tmp-*")
	if err != nil {
		return "", fmt.Errorf("synth: creating temporary model file: %w", err)
	}
	lockWriting(f)
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err = p.writeFile(ctx, f, progress); err != nil {
		return "", err
	}
	// The rename below must not publish a file whose data is still only in the page cache
	// and could be lost to a crash: the header check on reuse would not notice zeros.
	if err = f.Sync(); err != nil {
		return "", fmt.Errorf("synth: syncing %s: %w", f.Name(), err)
	}
	if err = f.Chmod(0o644); err != nil {
		return "", fmt.Errorf("synth: %w", err)
	}
	if err = f.Close(); err != nil {
		return "", fmt.Errorf("synth: closing %s: %w", f.Name(), err)
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return "", fmt.Errorf("synth: %w", err)
	}
	return path, nil
}

// directMinSize is the file size from which Ensure writes with direct I/O where the
// platform supports it (see direct_linux.go). Smaller files are written through the page
// cache, where they stay for the benchmark to load.
const directMinSize = 1 << 30

// writeFile writes the model into f, an empty file.
func (p *plan) writeFile(ctx context.Context, f *os.File, progress func(done, total int64)) error {
	var dw *directWriter
	if p.size() >= directMinSize {
		dw = newDirectWriter(f)
	}
	if dw == nil {
		_, err := p.write(ctx, f, progress)
		return err
	}
	if _, err := p.write(ctx, dw, progress); err != nil {
		dw.abort()
		return err
	}
	return dw.Close()
}

// matches reports whether the file at path has the plan's size and header. A missing file
// is not an error.
func (p *plan) matches(path string) (bool, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("synth: checking cached model: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return false, fmt.Errorf("synth: checking cached model: %w", err)
	}
	if !fi.Mode().IsRegular() || fi.Size() != p.size() {
		return false, nil
	}
	got := make([]byte, len(p.header))
	if _, err := io.ReadFull(f, got); err != nil {
		return false, nil
	}
	return bytes.Equal(got, p.header), nil
}
