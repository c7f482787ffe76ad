package synth

import (
	"encoding/binary"
	"math"
	"testing"
)

func TestPools(t *testing.T) {
	for _, typ := range []GGMLType{GGMLTypeF32, GGMLTypeF16, GGMLTypeBF16, GGMLTypeQ8_0, GGMLTypeQ4_0} {
		t.Run(typ.String(), func(t *testing.T) {
			r := weightRange(4096)
			p, err := newPool(typ, r, 1, 1<<40)
			if err != nil {
				t.Fatal(err)
			}
			if !isPrime(p.blocks) || p.blocks*p.unit != int64(len(p.data)) || len(p.data) > poolTargetBytes {
				t.Errorf("pool of %d blocks of %d bytes in %d bytes", p.blocks, p.unit, len(p.data))
			}
			if len(p.data) < poolTargetBytes*9/10 {
				t.Errorf("pool is %d bytes, want close to %d", len(p.data), poolTargetBytes)
			}
			checkRange(t, typ.String(), decodeTensor(p.data, typ), r)

			switch typ {
			case GGMLTypeQ8_0, GGMLTypeQ4_0:
				// Block scales: positive, finite, and set so the largest level is within
				// [0.75r, r].
				levels := map[GGMLType]float64{GGMLTypeQ8_0: 127, GGMLTypeQ4_0: 7}[typ]
				for i := int64(0); i < p.blocks; i++ {
					d := float64(f16ToFloat32(binary.LittleEndian.Uint16(p.data[i*p.unit:])))
					if !(d*levels >= 0.74*r && d*levels <= 1.001*r) {
						t.Fatalf("block %d: scale %g gives range %g, want [0.75, 1]×%g", i, d, d*levels, r)
					}
				}
			}
			if typ == GGMLTypeQ4_0 {
				// Nibble 0 (value -8) is never used, keeping the distribution symmetric.
				for i := int64(0); i < p.blocks; i++ {
					for _, q := range p.data[i*p.unit+2 : (i+1)*p.unit] {
						if q&0x0f == 0 || q>>4 == 0 {
							t.Fatalf("block %d has a zero nibble", i)
						}
					}
				}
			}
		})
	}
	if p, err := newPool(GGMLTypeQ8_0, 1, 1, 1000); err != nil || p.blocks != 29 {
		t.Errorf("pool capped at 1000 bytes has %d blocks (%v), want 29", p.blocks, err)
	}
	if _, err := newPool(GGMLType(99), 1, 1, 1<<40); err == nil {
		t.Error("newPool accepted an unknown type")
	}
}

// collect is an io.Writer that keeps what it is given.
type collect struct{ b []byte }

func (c *collect) Write(p []byte) (int, error) {
	c.b = append(c.b, p...)
	return len(p), nil
}

func TestPoolWriteWraps(t *testing.T) {
	p, err := newPool(GGMLTypeQ4_0, 0.01, 9, 1<<40)
	if err != nil {
		t.Fatal(err)
	}
	var c collect
	n := (p.blocks + 10) * p.unit
	start := p.blocks - 3
	if err := p.write(&c, start, n); err != nil {
		t.Fatal(err)
	}
	if int64(len(c.b)) != n {
		t.Fatalf("wrote %d bytes, want %d", len(c.b), n)
	}
	// Block k of the output is pool block (start+k) mod blocks.
	for _, k := range []int64{0, 2, 3, 4, p.blocks + 9} {
		src := (start + k) % p.blocks
		got := string(c.b[k*p.unit : (k+1)*p.unit])
		if got != string(p.data[src*p.unit:(src+1)*p.unit]) {
			t.Errorf("output block %d is not pool block %d", k, src)
		}
	}
	if err := p.write(&c, 0, p.unit+1); err == nil {
		t.Error("write accepted a partial block")
	}
}

func TestFloat16(t *testing.T) {
	cases := []struct {
		f float32
		h uint16
	}{
		{0, 0x0000},
		{float32(math.Copysign(0, -1)), 0x8000},
		{1, 0x3c00},
		{-2, 0xc000},
		{0.5, 0x3800},
		{65504, 0x7bff},           // largest finite
		{65520, 0x7c00},           // rounds up to infinity
		{6.103515625e-05, 0x0400}, // smallest normal
		{5.960464477539063e-08, 0x0001},
		{2.9802322387695312e-08, 0x0000}, // half the smallest subnormal: ties to even (0)
		{1 + 1.0/2048, 0x3c00},           // tie between 1 and 1+2^-10: to even
		{1 + 3.0/2048, 0x3c02},           // tie: to even (up)
		{float32(math.Inf(1)), 0x7c00},
	}
	for _, c := range cases {
		if got := float32ToF16(c.f); got != c.h {
			t.Errorf("float32ToF16(%g) = %#04x, want %#04x", c.f, got, c.h)
		}
	}
	if h := float32ToF16(float32(math.NaN())); h&0x7c00 != 0x7c00 || h&0x3ff == 0 {
		t.Errorf("NaN became %#04x", h)
	}
	// Every finite half converts to float32 and back unchanged.
	for h := range 1 << 16 {
		if uint16(h)&0x7c00 == 0x7c00 {
			continue
		}
		if got := float32ToF16(f16ToFloat32(uint16(h))); got != uint16(h) {
			t.Fatalf("round trip of %#04x gave %#04x", h, got)
		}
	}
}

func TestBFloat16(t *testing.T) {
	cases := []struct {
		f float32
		h uint16
	}{
		{1, 0x3f80},
		{-2, 0xc000},
		{math.Float32frombits(0x3f808000), 0x3f80}, // tie: to even (down)
		{math.Float32frombits(0x3f818000), 0x3f82}, // tie: to even (up)
		{math.Float32frombits(0x3f808001), 0x3f81},
	}
	for _, c := range cases {
		if got := float32ToBF16(c.f); got != c.h {
			t.Errorf("float32ToBF16(%g) = %#04x, want %#04x", c.f, got, c.h)
		}
		if got := bf16ToFloat32(c.h); float32ToBF16(got) != c.h {
			t.Errorf("bf16 round trip of %#04x failed", c.h)
		}
	}
	if h := float32ToBF16(float32(math.NaN())); h&0x7f80 != 0x7f80 || h&0x7f == 0 {
		t.Errorf("NaN became %#04x", h)
	}
}

func TestPrimes(t *testing.T) {
	if prevPrime(100) != 97 || prevPrime(97) != 97 || prevPrime(3) != 3 || prevPrime(2) != 2 {
		t.Error("prevPrime")
	}
}
