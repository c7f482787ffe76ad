package synth

import (
	"encoding/binary"
	"fmt"
	"math"
)

// ggufFile is what readGGUF parses: a minimal, independent GGUF v3 reader that follows
// gguf_init_from_file_impl (ggml/src/gguf.cpp), used to check the writer's output.
type ggufFile struct {
	version    uint32
	keys       []string       // in file order
	kv         map[string]any // Go values: uint32, []string, ...
	tensors    []readTensor
	alignment  int64
	dataOffset int64 // start of the data section in the file
}

type readTensor struct {
	name   string
	shape  []int64
	typ    GGMLType
	offset int64 // from dataOffset
}

type byteReader struct {
	b   []byte
	off int
	err error
}

func (r *byteReader) take(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || r.off+n > len(r.b) {
		r.err = fmt.Errorf("truncated at offset %d (want %d more bytes)", r.off, n)
		return nil
	}
	s := r.b[r.off : r.off+n]
	r.off += n
	return s
}

func (r *byteReader) u8() uint8 {
	if s := r.take(1); s != nil {
		return s[0]
	}
	return 0
}

func (r *byteReader) u16() uint16 {
	if s := r.take(2); s != nil {
		return binary.LittleEndian.Uint16(s)
	}
	return 0
}

func (r *byteReader) u32() uint32 {
	if s := r.take(4); s != nil {
		return binary.LittleEndian.Uint32(s)
	}
	return 0
}

func (r *byteReader) u64() uint64 {
	if s := r.take(8); s != nil {
		return binary.LittleEndian.Uint64(s)
	}
	return 0
}

func (r *byteReader) str() string {
	n := r.u64()
	if n > uint64(len(r.b)) {
		r.err = fmt.Errorf("string length %d too large", n)
		return ""
	}
	return string(r.take(int(n)))
}

func (r *byteReader) scalar(t valueType) (any, error) {
	switch t {
	case valueUint8:
		return r.u8(), nil
	case valueInt8:
		return int8(r.u8()), nil
	case valueUint16:
		return r.u16(), nil
	case valueInt16:
		return int16(r.u16()), nil
	case valueUint32:
		return r.u32(), nil
	case valueInt32:
		return int32(r.u32()), nil
	case valueUint64:
		return r.u64(), nil
	case valueInt64:
		return int64(r.u64()), nil
	case valueFloat32:
		return math.Float32frombits(r.u32()), nil
	case valueFloat64:
		return math.Float64frombits(r.u64()), nil
	case valueBool:
		switch b := r.u8(); b {
		case 0, 1:
			return b == 1, nil
		default:
			return nil, fmt.Errorf("bool byte %d", b)
		}
	case valueString:
		return r.str(), nil
	}
	return nil, fmt.Errorf("bad value type %d", t)
}

func (r *byteReader) value() (any, error) {
	t := valueType(r.u32())
	if t != valueArray {
		return r.scalar(t)
	}
	et := valueType(r.u32())
	n := r.u64()
	if n > uint64(len(r.b)) {
		return nil, fmt.Errorf("array length %d too large", n)
	}
	switch et {
	case valueString:
		out := make([]string, n)
		for i := range out {
			out[i] = r.str()
		}
		return out, r.err
	case valueUint32:
		out := make([]uint32, n)
		for i := range out {
			out[i] = r.u32()
		}
		return out, r.err
	case valueInt32:
		out := make([]int32, n)
		for i := range out {
			out[i] = int32(r.u32())
		}
		return out, r.err
	case valueFloat32:
		out := make([]float32, n)
		for i := range out {
			out[i] = math.Float32frombits(r.u32())
		}
		return out, r.err
	}
	return nil, fmt.Errorf("unsupported array element type %d", et)
}

// readGGUF parses the header of a GGUF file held in b and checks the structural rules
// llama.cpp enforces: version, unique keys and names, alignment, block-multiple rows,
// consecutive padded offsets, and that the data section fits in b.
func readGGUF(b []byte) (*ggufFile, error) {
	r := &byteReader{b: b}
	if string(r.take(4)) != ggufMagic {
		return nil, fmt.Errorf("bad magic")
	}
	f := &ggufFile{version: r.u32(), kv: map[string]any{}, alignment: DefaultAlignment}
	nTensors, nKV := r.u64(), r.u64()
	if r.err != nil {
		return nil, r.err
	}
	for range nKV {
		k := r.str()
		if _, dup := f.kv[k]; dup {
			return nil, fmt.Errorf("duplicate key %q", k)
		}
		v, err := r.value()
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", k, err)
		}
		if r.err != nil {
			return nil, r.err
		}
		f.keys = append(f.keys, k)
		f.kv[k] = v
	}
	if a, ok := f.kv[KeyAlignment]; ok {
		u, ok := a.(uint32)
		if !ok || u == 0 || u&(u-1) != 0 {
			return nil, fmt.Errorf("bad alignment %v", a)
		}
		f.alignment = int64(u)
	}
	names := map[string]bool{}
	for range nTensors {
		t := readTensor{name: r.str()}
		if names[t.name] || len(t.name) >= maxTensorName {
			return nil, fmt.Errorf("bad or duplicate tensor name %q", t.name)
		}
		names[t.name] = true
		nd := r.u32()
		if nd > maxDims {
			return nil, fmt.Errorf("tensor %q: %d dims", t.name, nd)
		}
		for range nd {
			t.shape = append(t.shape, int64(r.u64()))
		}
		t.typ = GGMLType(r.u32())
		t.offset = int64(r.u64())
		if r.err != nil {
			return nil, r.err
		}
		bs := t.typ.BlockSize()
		if bs == 0 || t.shape[0]%bs != 0 {
			return nil, fmt.Errorf("tensor %q: type %v, row %d", t.name, t.typ, t.shape[0])
		}
		f.tensors = append(f.tensors, t)
	}
	f.dataOffset = pad(int64(r.off), f.alignment)
	var want int64
	for _, t := range f.tensors {
		if t.offset != want {
			return nil, fmt.Errorf("tensor %q at offset %d, want %d", t.name, t.offset, want)
		}
		want += pad(t.info().Bytes(), f.alignment)
	}
	if f.dataOffset+want > int64(len(b)) {
		return nil, fmt.Errorf("data section ends at %d, file has %d bytes", f.dataOffset+want, len(b))
	}
	return f, nil
}

func (t readTensor) info() TensorInfo {
	return TensorInfo{Name: t.name, Shape: t.shape, Type: t.typ}
}

// data returns the bytes of the named tensor.
func (f *ggufFile) data(b []byte, name string) ([]byte, TensorInfo, bool) {
	for _, t := range f.tensors {
		if t.name == name {
			start := f.dataOffset + t.offset
			return b[start : start+t.info().Bytes()], t.info(), true
		}
	}
	return nil, TensorInfo{}, false
}

// decodeTensor widens a tensor's data to float32, decoding f16, bf16, q8_0 and q4_0.
func decodeTensor(b []byte, t GGMLType) []float32 {
	var out []float32
	switch t {
	case GGMLTypeF32:
		for i := 0; i+4 <= len(b); i += 4 {
			out = append(out, math.Float32frombits(binary.LittleEndian.Uint32(b[i:])))
		}
	case GGMLTypeF16:
		for i := 0; i+2 <= len(b); i += 2 {
			out = append(out, f16ToFloat32(binary.LittleEndian.Uint16(b[i:])))
		}
	case GGMLTypeBF16:
		for i := 0; i+2 <= len(b); i += 2 {
			out = append(out, bf16ToFloat32(binary.LittleEndian.Uint16(b[i:])))
		}
	case GGMLTypeQ8_0:
		for i := 0; i+q8_0BlockLen <= len(b); i += q8_0BlockLen {
			d := f16ToFloat32(binary.LittleEndian.Uint16(b[i:]))
			for _, q := range b[i+2 : i+q8_0BlockLen] {
				out = append(out, float32(int8(q))*d)
			}
		}
	case GGMLTypeQ4_0:
		// dequantize_row_q4_0: low nibbles are elements 0..15, high nibbles 16..31.
		for i := 0; i+q4_0BlockLen <= len(b); i += q4_0BlockLen {
			d := f16ToFloat32(binary.LittleEndian.Uint16(b[i:]))
			var blk [blockElems]float32
			for j, q := range b[i+2 : i+q4_0BlockLen] {
				blk[j] = float32(int(q&0x0f)-8) * d
				blk[j+blockElems/2] = float32(int(q>>4)-8) * d
			}
			out = append(out, blk[:]...)
		}
	}
	return out
}
