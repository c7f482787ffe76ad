package synth

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// The GGUF v3 layout, as read by gguf_init_from_file_impl in ggml/src/gguf.cpp. Everything
// is little-endian:
//
//	"GGUF" uint32(version) int64(n_tensors) int64(n_kv)
//	n_kv      × { string key, uint32 value type, value }
//	n_tensors × { string name, uint32 n_dims, int64 ne[n_dims], uint32 ggml type, uint64 offset }
//	zero padding up to the alignment (measured from the start of the file)
//	tensor data, each tensor zero-padded up to the alignment
//
// A string is a uint64 byte length and the bytes (no terminator); an array value is a uint32
// element type, a uint64 count and the elements. Tensor offsets are relative to the start of
// the data section and must be exactly the running sum of the padded tensor sizes: llama.cpp
// rejects any gap or reordering.
const (
	ggufMagic   = "GGUF"
	ggufVersion = 3

	// DefaultAlignment is GGUF_DEFAULT_ALIGNMENT, the alignment llama.cpp assumes when the
	// file has no general.alignment key.
	DefaultAlignment = 32

	// KeyAlignment is the metadata key that sets the data alignment; it must be a uint32.
	KeyAlignment = "general.alignment"

	// maxTensorName is GGML_MAX_NAME: a tensor name must be shorter than this.
	maxTensorName = 64
	// maxDims is GGML_MAX_DIMS.
	maxDims = 4

	// bufferSize is the buffered writer's size: large enough that the many small writes of
	// the header become few system calls, while tensor data (written in pool-sized slices
	// that are at least this big) mostly bypasses the copy.
	bufferSize = 4 << 20
)

// valueType is enum gguf_type from ggml/include/gguf.h.
type valueType uint32

const (
	valueUint8   valueType = 0
	valueInt8    valueType = 1
	valueUint16  valueType = 2
	valueInt16   valueType = 3
	valueUint32  valueType = 4
	valueInt32   valueType = 5
	valueFloat32 valueType = 6
	valueBool    valueType = 7
	valueString  valueType = 8
	valueArray   valueType = 9
	valueUint64  valueType = 10
	valueInt64   valueType = 11
	valueFloat64 valueType = 12
)

// GGMLType is a tensor element type (enum ggml_type in ggml/include/ggml.h). Only the types
// benchtui writes are listed.
type GGMLType uint32

// Tensor types written by this package. The numeric values are ggml's and are stored in the
// file.
const (
	GGMLTypeF32  GGMLType = 0
	GGMLTypeF16  GGMLType = 1
	GGMLTypeQ4_0 GGMLType = 2
	GGMLTypeQ8_0 GGMLType = 8
	GGMLTypeBF16 GGMLType = 30
)

// Block layouts from ggml/src/ggml-common.h: block_q8_0 is an fp16 scale and 32 int8 quants,
// block_q4_0 an fp16 scale and 32 4-bit quants packed two to a byte.
const (
	blockElems   = 32 // QK8_0 == QK4_0
	q8_0BlockLen = 2 + blockElems
	q4_0BlockLen = 2 + blockElems/2
)

// String returns ggml's name for the type.
func (t GGMLType) String() string {
	switch t {
	case GGMLTypeF32:
		return "f32"
	case GGMLTypeF16:
		return "f16"
	case GGMLTypeQ4_0:
		return "q4_0"
	case GGMLTypeQ8_0:
		return "q8_0"
	case GGMLTypeBF16:
		return "bf16"
	}
	return fmt.Sprintf("ggml_type(%d)", uint32(t))
}

// BlockSize is the number of elements per block (ggml_blck_size); 0 for an unknown type.
func (t GGMLType) BlockSize() int64 {
	switch t {
	case GGMLTypeF32, GGMLTypeF16, GGMLTypeBF16:
		return 1
	case GGMLTypeQ4_0, GGMLTypeQ8_0:
		return blockElems
	}
	return 0
}

// TypeSize is the number of bytes per block (ggml_type_size); 0 for an unknown type.
func (t GGMLType) TypeSize() int64 {
	switch t {
	case GGMLTypeF32:
		return 4
	case GGMLTypeF16, GGMLTypeBF16:
		return 2
	case GGMLTypeQ4_0:
		return q4_0BlockLen
	case GGMLTypeQ8_0:
		return q8_0BlockLen
	}
	return 0
}

// KV is one metadata key/value pair. Value must be one of uint8, int8, uint16, int16, uint32,
// int32, uint64, int64, float32, float64, bool, string, or a slice of uint32, int32, float32
// or string. The Go type picks the GGUF type, and llama.cpp checks GGUF types strictly (a
// uint32 key written as int32 is rejected), so choose it to match gguf-py's writer.
type KV struct {
	Key   string
	Value any
}

// TensorInfo describes one tensor. Shape is in ggml order: Shape[0] is the row length (the
// contiguous dimension), so a PyTorch [out, in] weight matrix has Shape {in, out}.
type TensorInfo struct {
	Name  string
	Shape []int64
	Type  GGMLType
}

// Elements is the number of elements in the tensor.
func (t TensorInfo) Elements() int64 {
	n := int64(1)
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// Bytes is the size of the tensor's data, without padding (ggml_nbytes for a contiguous
// tensor).
func (t TensorInfo) Bytes() int64 {
	bs := t.Type.BlockSize()
	if bs == 0 {
		return 0
	}
	return t.Elements() / bs * t.Type.TypeSize()
}

// GGUF is the description of a GGUF v3 file: its metadata and tensor infos. Tensor data is
// streamed by Encode; the description alone fixes the file's layout and size.
type GGUF struct {
	KV      []KV
	Tensors []TensorInfo
	// Alignment of the data section and of every tensor; 0 means DefaultAlignment. If KV
	// holds general.alignment it must agree.
	Alignment int64
}

func (g *GGUF) alignment() int64 {
	if g.Alignment == 0 {
		return DefaultAlignment
	}
	return g.Alignment
}

// validate checks what llama.cpp's reader would reject, so that a bad description fails here
// rather than after gigabytes have been written.
func (g *GGUF) validate() error {
	a := g.alignment()
	if a <= 0 || a&(a-1) != 0 {
		return fmt.Errorf("gguf: alignment %d is not a power of two", a)
	}
	keys := make(map[string]bool, len(g.KV))
	for _, kv := range g.KV {
		if kv.Key == "" {
			return errors.New("gguf: empty metadata key")
		}
		if keys[kv.Key] {
			return fmt.Errorf("gguf: duplicate metadata key %q", kv.Key)
		}
		keys[kv.Key] = true
		if kv.Key == KeyAlignment {
			v, ok := kv.Value.(uint32)
			if !ok {
				return fmt.Errorf("gguf: %s must be a uint32, not %T", KeyAlignment, kv.Value)
			}
			if int64(v) != a {
				return fmt.Errorf("gguf: %s is %d but the layout uses %d", KeyAlignment, v, a)
			}
		}
	}
	names := make(map[string]bool, len(g.Tensors))
	for _, t := range g.Tensors {
		if t.Name == "" || len(t.Name) >= maxTensorName {
			return fmt.Errorf("gguf: tensor name %q must have 1 to %d bytes", t.Name, maxTensorName-1)
		}
		if names[t.Name] {
			return fmt.Errorf("gguf: duplicate tensor name %q", t.Name)
		}
		names[t.Name] = true
		if len(t.Shape) == 0 || len(t.Shape) > maxDims {
			return fmt.Errorf("gguf: tensor %q has %d dimensions, want 1 to %d", t.Name, len(t.Shape), maxDims)
		}
		for _, d := range t.Shape {
			if d <= 0 {
				return fmt.Errorf("gguf: tensor %q has shape %v", t.Name, t.Shape)
			}
		}
		bs := t.Type.BlockSize()
		if bs == 0 {
			return fmt.Errorf("gguf: tensor %q has unsupported type %v", t.Name, t.Type)
		}
		if t.Shape[0]%bs != 0 {
			return fmt.Errorf("gguf: tensor %q of type %v has rows of %d elements, not a multiple of the block size %d",
				t.Name, t.Type, t.Shape[0], bs)
		}
	}
	return nil
}

// TensorOffsets returns each tensor's offset from the start of the data section.
func (g *GGUF) TensorOffsets() []int64 {
	offs := make([]int64, len(g.Tensors))
	var off int64
	for i, t := range g.Tensors {
		offs[i] = off
		off += pad(t.Bytes(), g.alignment())
	}
	return offs
}

// DataSize is the size of the data section: every tensor padded to the alignment.
func (g *GGUF) DataSize() int64 {
	var n int64
	for _, t := range g.Tensors {
		n += pad(t.Bytes(), g.alignment())
	}
	return n
}

// Header encodes everything before the tensor data, including the padding that aligns the
// data section.
func (g *GGUF) Header() ([]byte, error) {
	if err := g.validate(); err != nil {
		return nil, err
	}
	e := &encoder{}
	e.raw([]byte(ggufMagic))
	e.u32(ggufVersion)
	e.u64(uint64(len(g.Tensors)))
	e.u64(uint64(len(g.KV)))
	for _, kv := range g.KV {
		e.str(kv.Key)
		if err := e.value(kv.Value); err != nil {
			return nil, fmt.Errorf("gguf: key %q: %w", kv.Key, err)
		}
	}
	for i, off := range g.TensorOffsets() {
		t := g.Tensors[i]
		e.str(t.Name)
		e.u32(uint32(len(t.Shape)))
		for _, d := range t.Shape {
			e.u64(uint64(d))
		}
		e.u32(uint32(t.Type))
		e.u64(uint64(off))
	}
	e.raw(make([]byte, pad(int64(len(e.buf)), g.alignment())-int64(len(e.buf))))
	return e.buf, nil
}

// Size is the total file size Encode writes.
func (g *GGUF) Size() (int64, error) {
	h, err := g.Header()
	if err != nil {
		return 0, err
	}
	return int64(len(h)) + g.DataSize(), nil
}

// TensorData writes the data of tensor i (described by t): exactly t.Bytes() bytes.
type TensorData func(w io.Writer, i int, t TensorInfo) error

// Encode writes the file to w: the header, then every tensor's data from data, padded. It
// buffers through a bufio.Writer of a few MiB and flushes it before returning. It returns
// the number of bytes written.
func (g *GGUF) Encode(w io.Writer, data TensorData) (int64, error) {
	h, err := g.Header()
	if err != nil {
		return 0, err
	}
	cw := &countingWriter{w: bufio.NewWriterSize(w, bufferSize)}
	if _, err := cw.Write(h); err != nil {
		return cw.n, fmt.Errorf("gguf: writing header: %w", err)
	}
	var zeros [DefaultAlignment]byte
	for i, t := range g.Tensors {
		start := cw.n
		if err := data(cw, i, t); err != nil {
			return cw.n, fmt.Errorf("gguf: writing tensor %q: %w", t.Name, err)
		}
		if got := cw.n - start; got != t.Bytes() {
			return cw.n, fmt.Errorf("gguf: tensor %q: wrote %d bytes, want %d", t.Name, got, t.Bytes())
		}
		for n := pad(t.Bytes(), g.alignment()) - t.Bytes(); n > 0; {
			k := min(n, int64(len(zeros)))
			if _, err := cw.Write(zeros[:k]); err != nil {
				return cw.n, fmt.Errorf("gguf: padding tensor %q: %w", t.Name, err)
			}
			n -= k
		}
	}
	if err := cw.w.Flush(); err != nil {
		return cw.n, fmt.Errorf("gguf: flushing: %w", err)
	}
	return cw.n, nil
}

// pad rounds n up to a multiple of align (a power of two), like GGML_PAD.
func pad(n, align int64) int64 {
	return (n + align - 1) &^ (align - 1)
}

type countingWriter struct {
	w *bufio.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// encoder appends little-endian GGUF values to a byte slice. The header is small (the
// vocabulary dominates it at a few MiB), so building it in memory is simpler than streaming
// and lets Ensure compare an existing file's header byte for byte.
type encoder struct {
	buf []byte
}

func (e *encoder) raw(b []byte) { e.buf = append(e.buf, b...) }
func (e *encoder) u8(v uint8)   { e.buf = append(e.buf, v) }
func (e *encoder) u16(v uint16) { e.buf = binary.LittleEndian.AppendUint16(e.buf, v) }
func (e *encoder) u32(v uint32) { e.buf = binary.LittleEndian.AppendUint32(e.buf, v) }
func (e *encoder) u64(v uint64) { e.buf = binary.LittleEndian.AppendUint64(e.buf, v) }
func (e *encoder) str(s string) {
	e.u64(uint64(len(s)))
	e.buf = append(e.buf, s...)
}

// value writes the type tag and the value.
func (e *encoder) value(v any) error {
	switch x := v.(type) {
	case uint8:
		e.u32(uint32(valueUint8))
		e.u8(x)
	case int8:
		e.u32(uint32(valueInt8))
		e.u8(uint8(x))
	case uint16:
		e.u32(uint32(valueUint16))
		e.u16(x)
	case int16:
		e.u32(uint32(valueInt16))
		e.u16(uint16(x))
	case uint32:
		e.u32(uint32(valueUint32))
		e.u32(x)
	case int32:
		e.u32(uint32(valueInt32))
		e.u32(uint32(x))
	case uint64:
		e.u32(uint32(valueUint64))
		e.u64(x)
	case int64:
		e.u32(uint32(valueInt64))
		e.u64(uint64(x))
	case float32:
		e.u32(uint32(valueFloat32))
		e.u32(math.Float32bits(x))
	case float64:
		e.u32(uint32(valueFloat64))
		e.u64(math.Float64bits(x))
	case bool:
		e.u32(uint32(valueBool))
		if x {
			e.u8(1)
		} else {
			e.u8(0)
		}
	case string:
		e.u32(uint32(valueString))
		e.str(x)
	case []string:
		e.arrayHeader(valueString, len(x))
		for _, s := range x {
			e.str(s)
		}
	case []uint32:
		e.arrayHeader(valueUint32, len(x))
		for _, u := range x {
			e.u32(u)
		}
	case []int32:
		e.arrayHeader(valueInt32, len(x))
		for _, u := range x {
			e.u32(uint32(u))
		}
	case []float32:
		e.arrayHeader(valueFloat32, len(x))
		for _, f := range x {
			e.u32(math.Float32bits(f))
		}
	default:
		return fmt.Errorf("unsupported metadata value type %T", v)
	}
	return nil
}

func (e *encoder) arrayHeader(elem valueType, n int) {
	e.u32(uint32(valueArray))
	e.u32(uint32(elem))
	e.u64(uint64(n))
}
