package synth

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
)

// Weights are written from pools rather than drawn per element: drawing a random number for
// each of 70 billion weights would make writing CPU-bound by a wide margin. A pool is a few
// MiB of valid encoded values (whole quant blocks for q8_0/q4_0) drawn once from the seed;
// each tensor is the pool read from a seed-and-name-dependent block offset, wrapping around.
// The pool holds a prime number of blocks so a tensor's rows do not line up with the wrap
// point, and no two rows of a large matrix come out identical. There is one pool per fan-in
// (the value range depends on it), so a model has two or three.

// poolTargetBytes is the approximate size of one pool.
const poolTargetBytes = 4 << 20

// weightScale sets the weights' range: uniform in ±weightScale/sqrt(fan_in). At 1.0 (a
// common initialisation) a matmul's output RMS is its input's over √3; halving that keeps
// each block's update to the residual stream small, so the stream grows slowly, like a
// random walk (measured in llama.cpp: RMS 0.04 after the first of llama-3.2-1b's 16 layers,
// 0.32 after the last, max |x| 1.2; an 80-layer stack also stays small), far from f16's
// limits on GPUs, and the logits stay near zero (a flat distribution).
const weightScale = 0.5

// biasScale is the range of the q/k/v biases (qwen2): small next to the projections.
const biasScale = 0.02

// weightRange is the half-width of the uniform weight distribution for a fan-in.
func weightRange(fanIn int64) float64 {
	return weightScale / math.Sqrt(float64(fanIn))
}

// rng is splitmix64: tiny, fast and fully specified here, so that a seed gives the same
// file with any Go release.
type rng struct{ s uint64 }

func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// uniform returns a float in [-1, 1).
func (r *rng) uniform() float64 {
	return float64(r.next()>>11)/(1<<53)*2 - 1
}

// mix folds values into a seed, for deriving independent streams (per pool, per tensor).
func mix(seed uint64, vals ...uint64) uint64 {
	r := rng{s: seed}
	h := r.next()
	for _, v := range vals {
		r.s = h ^ v
		h = r.next()
	}
	return h
}

// hashString is FNV-1a, used to turn tensor names into stream ids.
func hashString(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// pool is a run of encoded weight blocks that tensors are cut from.
type pool struct {
	data   []byte
	unit   int64 // bytes per block (one element for f32/f16/bf16)
	blocks int64 // len(data) / unit, a prime
}

// newPool draws a pool of blocks of type t whose values are uniform in ±r. The pool is
// about poolTargetBytes, or less when maxBytes (the largest tensor it will serve) is smaller:
// small models then cost little more to write than their size.
func newPool(t GGMLType, r float64, seed uint64, maxBytes int64) (*pool, error) {
	unit := t.TypeSize()
	if unit == 0 {
		return nil, fmt.Errorf("synth: no weight pool for type %v", t)
	}
	blocks := prevPrime(max(min(poolTargetBytes, maxBytes)/unit, 2))
	p := &pool{data: make([]byte, blocks*unit), unit: unit, blocks: blocks}
	g := rng{s: seed}
	switch t {
	case GGMLTypeF32:
		for i := int64(0); i < blocks; i++ {
			binary.LittleEndian.PutUint32(p.data[4*i:], math.Float32bits(float32(g.uniform()*r)))
		}
	case GGMLTypeF16:
		for i := int64(0); i < blocks; i++ {
			binary.LittleEndian.PutUint16(p.data[2*i:], float32ToF16(float32(g.uniform()*r)))
		}
	case GGMLTypeBF16:
		for i := int64(0); i < blocks; i++ {
			binary.LittleEndian.PutUint16(p.data[2*i:], float32ToBF16(float32(g.uniform()*r)))
		}
	case GGMLTypeQ8_0:
		for i := int64(0); i < blocks; i++ {
			fillQ8_0(p.data[i*unit:(i+1)*unit], r, &g)
		}
	case GGMLTypeQ4_0:
		for i := int64(0); i < blocks; i++ {
			fillQ4_0(p.data[i*unit:(i+1)*unit], r, &g)
		}
	}
	return p, nil
}

// blockScale picks a block's scale d so that the block's largest representable magnitude
// (levels*d) lies in [0.75r, r]: real quantizers set d from each block's own maximum, so
// scales vary from block to block.
func blockScale(r float64, levels float64, g *rng) uint16 {
	return float32ToF16(float32(r / levels * (0.875 + 0.125*g.uniform())))
}

// fillQ8_0 writes one block_q8_0: fp16 d, then 32 int8 quants; value = q*d, q in [-127, 127].
func fillQ8_0(b []byte, r float64, g *rng) {
	binary.LittleEndian.PutUint16(b, blockScale(r, 127, g))
	qs := b[2:q8_0BlockLen]
	for j := 0; j < len(qs); j += 4 {
		v := g.next()
		for k := range 4 {
			qs[j+k] = byte(int8(int64((v>>(16*k))&0xffff)%255 - 127))
		}
	}
}

// fillQ4_0 writes one block_q4_0: fp16 d, then 16 bytes holding 32 nibbles; value =
// (nibble-8)*d. Nibbles are drawn from 1..15, not 0..15: the full range [-8d, 7d] has mean
// -d/2, and that bias, summed over thousands of inputs, shifts every output of a layer the
// same way. The scale is set from 7 levels to match.
func fillQ4_0(b []byte, r float64, g *rng) {
	binary.LittleEndian.PutUint16(b, blockScale(r, 7, g))
	qs := b[2:q4_0BlockLen]
	for j := 0; j < len(qs); j += 4 {
		v := g.next()
		for k := range 4 {
			lo := byte((v>>(16*k))&0xff)%15 + 1
			hi := byte((v>>(16*k+8))&0xff)%15 + 1
			qs[j+k] = lo | hi<<4
		}
	}
}

// write writes n bytes (a whole number of blocks) of the pool to w, starting at block start
// and wrapping.
func (p *pool) write(w io.Writer, start, n int64) error {
	if n%p.unit != 0 {
		return fmt.Errorf("synth: %d bytes is not a whole number of %d-byte blocks", n, p.unit)
	}
	off := (start % p.blocks) * p.unit
	for n > 0 {
		k := min(n, int64(len(p.data))-off)
		if _, err := w.Write(p.data[off : off+k]); err != nil {
			return err
		}
		n -= k
		off = 0
	}
	return nil
}

// prevPrime returns the largest prime ≤ n (n ≥ 2).
func prevPrime(n int64) int64 {
	for ; n > 2; n-- {
		if isPrime(n) {
			return n
		}
	}
	return 2
}

func isPrime(n int64) bool {
	if n < 2 {
		return false
	}
	for d := int64(2); d*d <= n; d++ {
		if n%d == 0 {
			return false
		}
	}
	return true
}

// float32ToF16 converts to IEEE binary16 with round-to-nearest-even, as ggml's
// GGML_FP32_TO_FP16 does; subnormals are kept, overflow becomes infinity.
func float32ToF16(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int32(b>>23) & 0xff
	mant := b & 0x7fffff
	if exp == 0xff { // Inf or NaN
		if mant != 0 {
			return sign | 0x7e00
		}
		return sign | 0x7c00
	}
	e := exp - 127 + 15
	if e >= 0x1f {
		return sign | 0x7c00
	}
	if e <= 0 {
		// Subnormal (or zero) in binary16: shift the mantissa, with its implicit bit, right.
		if e < -10 {
			return sign
		}
		m := mant | 0x800000
		shift := uint32(14 - e)
		h := m >> shift
		rem := m & (1<<shift - 1)
		half := uint32(1) << (shift - 1)
		if rem > half || (rem == half && h&1 == 1) {
			h++
		}
		return sign | uint16(h)
	}
	h := uint32(e)<<10 | mant>>13
	rem := mant & 0x1fff
	if rem > 0x1000 || (rem == 0x1000 && h&1 == 1) {
		h++ // may carry into the exponent, which is still correct (up to infinity)
	}
	return sign | uint16(h)
}

// f16ToFloat32 converts IEEE binary16 to float32.
func f16ToFloat32(h uint16) float32 {
	sign := uint32(h&0x8000) << 16
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h & 0x3ff)
	switch {
	case exp == 0x1f:
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	case exp == 0:
		v := float32(mant) / (1 << 24)
		if sign != 0 {
			v = -v
		}
		return v
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | mant<<13)
}

// float32ToBF16 keeps the top 16 bits of a float32 with round-to-nearest-even, like ggml's
// GGML_FP32_TO_BF16.
func float32ToBF16(f float32) uint16 {
	b := math.Float32bits(f)
	if b&0x7fffffff > 0x7f800000 { // NaN: keep it quiet
		return uint16(b>>16) | 64
	}
	return uint16((b + (0x7fff + (b>>16)&1)) >> 16)
}

// bf16ToFloat32 widens a bfloat16.
func bf16ToFloat32(h uint16) float32 {
	return math.Float32frombits(uint32(h) << 16)
}
