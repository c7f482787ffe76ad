package synth

import (
	"bytes"
	"io"
	"reflect"
	"strings"
	"testing"
)

// fillByte writes t.Bytes() copies of a byte derived from the tensor index.
func fillByte(w io.Writer, i int, t TensorInfo) error {
	_, err := w.Write(bytes.Repeat([]byte{byte(0xa0 + i)}, int(t.Bytes())))
	return err
}

func TestGGUFEncodeRoundTrip(t *testing.T) {
	kvs := []KV{
		{"general.architecture", "llama"},
		{KeyAlignment, uint32(64)},
		{"u8", uint8(200)},
		{"i8", int8(-5)},
		{"u16", uint16(65000)},
		{"i16", int16(-3000)},
		{"u32", uint32(4_000_000_000)},
		{"i32", int32(-2_000_000_000)},
		{"u64", uint64(1) << 60},
		{"i64", int64(-1) << 60},
		{"f32", float32(1.5)},
		{"f64", 2.25},
		{"yes", true},
		{"no", false},
		{"s", "héllo ▁"},
		{"empty", ""},
		{"strs", []string{"a", "", "▁b"}},
		{"u32s", []uint32{1, 2, 3}},
		{"i32s", []int32{-1, 0, 1}},
		{"f32s", []float32{0.5, -0.25}},
		{"nostrs", []string{}},
	}
	g := &GGUF{
		KV:        kvs,
		Alignment: 64,
		Tensors: []TensorInfo{
			{Name: "a", Shape: []int64{3}, Type: GGMLTypeF32},         // 12 bytes: padded
			{Name: "b", Shape: []int64{32, 3}, Type: GGMLTypeQ4_0},    // 54 bytes
			{Name: "c", Shape: []int64{64, 2, 2}, Type: GGMLTypeQ8_0}, // 272 bytes
			{Name: "d", Shape: []int64{5, 7}, Type: GGMLTypeBF16},
			{Name: "e", Shape: []int64{1}, Type: GGMLTypeF16},
		},
	}
	var buf bytes.Buffer
	n, err := g.Encode(&buf, fillByte)
	if err != nil {
		t.Fatal(err)
	}
	size, err := g.Size()
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(buf.Len()) || n != size {
		t.Fatalf("Encode returned %d, wrote %d, Size says %d", n, buf.Len(), size)
	}
	b := buf.Bytes()
	f, err := readGGUF(b)
	if err != nil {
		t.Fatal(err)
	}
	if f.version != 3 || f.alignment != 64 || f.dataOffset%64 != 0 {
		t.Errorf("version %d alignment %d data offset %d", f.version, f.alignment, f.dataOffset)
	}
	h, _ := g.Header()
	if int64(len(h)) != f.dataOffset {
		t.Errorf("header is %d bytes, data starts at %d", len(h), f.dataOffset)
	}
	for i, kv := range kvs {
		if f.keys[i] != kv.Key {
			t.Errorf("key %d is %q, want %q", i, f.keys[i], kv.Key)
		}
		if got := f.kv[kv.Key]; !reflect.DeepEqual(got, kv.Value) {
			t.Errorf("%s = %#v (%T), want %#v (%T)", kv.Key, got, got, kv.Value, kv.Value)
		}
	}
	offs := g.TensorOffsets()
	for i, rt := range f.tensors {
		want := g.Tensors[i]
		if rt.name != want.Name || !reflect.DeepEqual(rt.shape, want.Shape) || rt.typ != want.Type || rt.offset != offs[i] {
			t.Errorf("tensor %d = %+v, want %+v at %d", i, rt, want, offs[i])
		}
		if rt.offset%64 != 0 {
			t.Errorf("tensor %s offset %d not aligned", rt.name, rt.offset)
		}
		data, ti, _ := f.data(b, rt.name)
		if !bytes.Equal(data, bytes.Repeat([]byte{byte(0xa0 + i)}, int(ti.Bytes()))) {
			t.Errorf("tensor %s data mismatch", rt.name)
		}
		// Padding after each tensor must be zeros.
		end := f.dataOffset + rt.offset + ti.Bytes()
		padEnd := f.dataOffset + rt.offset + pad(ti.Bytes(), 64)
		if !bytes.Equal(b[end:padEnd], make([]byte, padEnd-end)) {
			t.Errorf("tensor %s padding not zero", rt.name)
		}
	}
	if got := g.Tensors[1].Bytes(); got != 3*q4_0BlockLen {
		t.Errorf("q4_0 32x3 is %d bytes, want %d", got, 3*q4_0BlockLen)
	}
	if got := g.Tensors[2].Bytes(); got != 8*q8_0BlockLen {
		t.Errorf("q8_0 64x2x2 is %d bytes, want %d", got, 8*q8_0BlockLen)
	}
}

func TestGGUFRejects(t *testing.T) {
	ok := TensorInfo{Name: "t", Shape: []int64{32}, Type: GGMLTypeQ8_0}
	cases := []struct {
		name string
		g    GGUF
		want string
	}{
		{"duplicate key", GGUF{KV: []KV{{"a", uint32(1)}, {"a", uint32(2)}}}, "duplicate metadata key"},
		{"empty key", GGUF{KV: []KV{{"", true}}}, "empty metadata key"},
		{"bad value", GGUF{KV: []KV{{"a", 3}}}, "unsupported metadata value type int"},
		{"alignment type", GGUF{KV: []KV{{KeyAlignment, int32(32)}}}, "must be a uint32"},
		{"alignment mismatch", GGUF{KV: []KV{{KeyAlignment, uint32(64)}}}, "layout uses 32"},
		{"alignment power", GGUF{Alignment: 48}, "not a power of two"},
		{"long name", GGUF{Tensors: []TensorInfo{{Name: strings.Repeat("x", 64), Shape: []int64{1}, Type: GGMLTypeF32}}}, "1 to 63 bytes"},
		{"duplicate tensor", GGUF{Tensors: []TensorInfo{ok, ok}}, "duplicate tensor name"},
		{"row not blocks", GGUF{Tensors: []TensorInfo{{Name: "q", Shape: []int64{48, 2}, Type: GGMLTypeQ4_0}}}, "not a multiple of the block size"},
		{"no dims", GGUF{Tensors: []TensorInfo{{Name: "z", Type: GGMLTypeF32}}}, "dimensions"},
		{"zero dim", GGUF{Tensors: []TensorInfo{{Name: "z", Shape: []int64{4, 0}, Type: GGMLTypeF32}}}, "shape"},
		{"bad type", GGUF{Tensors: []TensorInfo{{Name: "z", Shape: []int64{4}, Type: 99}}}, "unsupported type"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := c.g.Encode(io.Discard, fillByte)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want it to mention %q", err, c.want)
			}
		})
	}

	// A tensor source that writes the wrong number of bytes is caught.
	g := GGUF{Tensors: []TensorInfo{ok}}
	_, err := g.Encode(io.Discard, func(w io.Writer, i int, t TensorInfo) error {
		_, err := w.Write(make([]byte, t.Bytes()-1))
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "wrote 33 bytes, want 34") {
		t.Errorf("short tensor: err = %v", err)
	}
}
