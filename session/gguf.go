package session

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/benchtui/benchtui/engine"
)

// ggufInfo is what benchtui reads from a GGUF file's header before llama.cpp loads it: enough
// to refuse a file llama.cpp would refuse (or crash on), and the model's shape for the memory
// and context preflight.
type ggufInfo struct {
	version  uint32
	arch     string
	name     string
	tensors  int
	fileSize int64
	// dataEnd is where the last tensor's data ends (from the start of the file); dataBytes is
	// the size of the tensors without their padding, the weights (llama_model_size).
	dataEnd, dataBytes int64
	strs               map[string]string
	// ints holds the integer metadata scalars; for an integer array, its largest element
	// (per-layer head counts). arrays holds every array's length.
	ints   map[string]int64
	arrays map[string]uint64
}

// The GGUF layout, as gguf_init_from_file_impl in ggml/src/gguf.cpp reads it (little-endian):
// "GGUF", uint32 version, int64 tensor count, int64 key count; the keys (string, uint32 type,
// value); the tensor infos (string name, uint32 n_dims, int64 ne[n_dims], uint32 type, uint64
// offset); padding to the alignment; the tensor data, each tensor padded to the alignment.
const (
	ggufTypeUint8 = iota
	ggufTypeInt8
	ggufTypeUint16
	ggufTypeInt16
	ggufTypeUint32
	ggufTypeInt32
	ggufTypeFloat32
	ggufTypeBool
	ggufTypeString
	ggufTypeArray
	ggufTypeUint64
	ggufTypeInt64
	ggufTypeFloat64
)

// ggufScalarSize is the byte size of each scalar value type (0 for string and array).
var ggufScalarSize = [...]int64{1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8}

// ggmlTypeSizes are ggml's block sizes and block byte sizes (type_traits in ggml/src/ggml.c)
// by type id; a zero block size is a removed or unknown type, which llama.cpp refuses.
var ggmlTypeSizes = [...][2]int64{
	0: {1, 4}, 1: {1, 2}, 2: {32, 18}, 3: {32, 20}, 6: {32, 22}, 7: {32, 24}, 8: {32, 34}, 9: {32, 36},
	10: {256, 84}, 11: {256, 110}, 12: {256, 144}, 13: {256, 176}, 14: {256, 210}, 15: {256, 292},
	16: {256, 66}, 17: {256, 74}, 18: {256, 98}, 19: {256, 50}, 20: {32, 18}, 21: {256, 110},
	22: {256, 82}, 23: {256, 136}, 24: {1, 1}, 25: {1, 2}, 26: {1, 4}, 27: {1, 8}, 28: {1, 8},
	29: {256, 56}, 30: {1, 2}, 34: {256, 54}, 35: {256, 66}, 39: {32, 17}, 40: {64, 36},
	41: {128, 18}, 42: {64, 18},
}

const (
	ggufMaxDims       = 4  // GGML_MAX_DIMS
	ggufMaxName       = 64 // GGML_MAX_NAME: a tensor name is shorter
	ggufDefaultAlign  = 32 // GGUF_DEFAULT_ALIGNMENT
	ggufKeyAlignment  = "general.alignment"
	ggufMinKVBytes    = 8 + 4     // an empty key and a value type
	ggufMinTensorInfo = 8 + 4 + 4 // an empty name, n_dims and a type
)

// readGGUFFile reads and checks the header of the GGUF file at path. Its errors name the
// file and say what is wrong with it in one line.
func readGGUFFile(path string) (*ggufInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("model file %s: %s", path, describeStatErr(err))
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("model file %s: %w", path, err)
	}
	if st.IsDir() {
		return nil, fmt.Errorf("model file %s is a folder: pass a .gguf file", path)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("model file %s is not a regular file: pass a .gguf file", path)
	}
	g, err := readGGUF(bufio.NewReaderSize(f, 1<<20), st.Size())
	if err != nil {
		return nil, fmt.Errorf("model file %s: %w", path, err)
	}
	return g, nil
}

// errNotGGUF is the error of a file that does not start with GGUF's magic.
var errNotGGUF = errors.New(`not a GGUF file (it does not start with "GGUF"): pass a .gguf model or a preset name`)

// readGGUF reads a GGUF header of a file of size bytes from r, checking the rules llama.cpp
// enforces: the version, key and value types, unique keys, tensor names, dimensions and
// types, consecutive padded offsets, and that the tensor data fits in the file (a truncated
// download or copy does not). Lengths are bounded by the file's size, so a corrupt count
// cannot make it allocate or loop without bound.
func readGGUF(r io.Reader, size int64) (*ggufInfo, error) {
	g := &ggufInfo{fileSize: size, strs: map[string]string{}, ints: map[string]int64{}, arrays: map[string]uint64{}}
	d := &ggufDecoder{r: r, left: size}
	magic := d.bytes(4)
	if d.err != nil || string(magic) != "GGUF" {
		return nil, errNotGGUF
	}
	g.version = d.u32()
	nTensors, nKV := d.i64(), d.i64()
	if d.err != nil {
		return nil, d.corrupt()
	}
	switch {
	case g.version == 1:
		return nil, errors.New("GGUF version 1 is not supported by llama.cpp: convert the model again")
	case g.version < 1 || g.version > 3:
		return nil, fmt.Errorf("GGUF version %d: llama.cpp reads versions 2 and 3 (the file is corrupt or too new)", g.version)
	case nKV < 0 || nKV > d.left/ggufMinKVBytes:
		return nil, fmt.Errorf("corrupt or truncated GGUF header: %d metadata keys do not fit in a file of %d bytes", nKV, size)
	case nTensors < 0 || nTensors > d.left/ggufMinTensorInfo:
		return nil, fmt.Errorf("corrupt or truncated GGUF header: %d tensors do not fit in a file of %d bytes", nTensors, size)
	}
	seen := make(map[string]bool, nKV)
	for i := int64(0); i < nKV; i++ {
		key := d.str()
		if d.err != nil {
			return nil, d.corrupt()
		}
		if seen[key] {
			return nil, fmt.Errorf("corrupt GGUF header: metadata key %q appears twice", key)
		}
		seen[key] = true
		if err := d.value(g, key); err != nil {
			return nil, err
		}
	}
	align := int64(ggufDefaultAlign)
	if a, ok := g.ints[ggufKeyAlignment]; ok {
		if a <= 0 || a&(a-1) != 0 {
			return nil, fmt.Errorf("corrupt GGUF header: alignment %d is not a power of 2", a)
		}
		align = a
	}
	g.arch = g.strs["general.architecture"]
	g.name = g.strs["general.name"]
	names := make(map[string]bool, nTensors)
	var want, weights, end int64
	for i := int64(0); i < nTensors; i++ {
		name := d.str()
		nd := d.u32()
		if d.err != nil {
			return nil, d.corrupt()
		}
		if len(name) >= ggufMaxName || names[name] {
			return nil, fmt.Errorf("corrupt GGUF header: tensor %d's name %q is too long or appears twice", i, name)
		}
		names[name] = true
		if nd < 1 || nd > ggufMaxDims {
			return nil, fmt.Errorf("corrupt GGUF header: tensor %s has %d dimensions", name, nd)
		}
		elems := int64(1)
		var ne0 int64
		for j := uint32(0); j < nd; j++ {
			n := d.i64()
			if j == 0 {
				ne0 = n
			}
			if n < 0 || (n > 0 && elems > math.MaxInt64/n) {
				return nil, fmt.Errorf("corrupt GGUF header: tensor %s has a dimension of %d", name, n)
			}
			elems *= n
		}
		typ, off := d.u32(), d.u64()
		if d.err != nil {
			return nil, d.corrupt()
		}
		if int(typ) >= len(ggmlTypeSizes) || ggmlTypeSizes[typ][0] == 0 {
			return nil, fmt.Errorf("tensor %s has type %d, which this llama.cpp does not know", name, typ)
		}
		blk, bytes := ggmlTypeSizes[typ][0], ggmlTypeSizes[typ][1]
		if ne0%blk != 0 {
			return nil, fmt.Errorf("corrupt GGUF header: tensor %s's rows of %d are not a multiple of its type's block of %d", name, ne0, blk)
		}
		if off != uint64(want) {
			return nil, fmt.Errorf("corrupt GGUF header: tensor %s's data is at offset %d, expected %d", name, off, want)
		}
		n := elems / blk * bytes
		if n > size {
			return nil, fmt.Errorf("tensor %s needs %d bytes, more than the file's %d: the file is truncated or corrupt", name, n, size)
		}
		end = want + n // llama.cpp reads tensor by tensor: the last one needs no padding
		want += (n + align - 1) / align * align
		weights += n
	}
	g.tensors = int(nTensors)
	start := size - d.left
	start = (start + align - 1) / align * align
	g.dataEnd, g.dataBytes = start+end, weights
	if g.dataEnd > size {
		return nil, fmt.Errorf("truncated: the file has %d bytes, its %d tensors need %d (an interrupted download or copy?)", size, nTensors, g.dataEnd)
	}
	return g, nil
}

// ggufDecoder reads little-endian values, counting what is left of the file; the first
// error sticks.
type ggufDecoder struct {
	r    io.Reader
	left int64
	err  error
	buf  [8]byte
}

func (d *ggufDecoder) corrupt() error {
	if errors.Is(d.err, io.EOF) || errors.Is(d.err, io.ErrUnexpectedEOF) || errors.Is(d.err, errTooLong) {
		return errors.New("corrupt or truncated GGUF header: it ends before its metadata and tensor list do")
	}
	return fmt.Errorf("read GGUF header: %w", d.err)
}

var errTooLong = errors.New("length past the end of the file")

func (d *ggufDecoder) bytes(n int64) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || n > d.left {
		d.err = errTooLong
		return nil
	}
	var b []byte
	if n <= int64(len(d.buf)) {
		b = d.buf[:n]
	} else {
		b = make([]byte, n)
	}
	if _, err := io.ReadFull(d.r, b); err != nil {
		d.err = err
		return nil
	}
	d.left -= n
	return b
}

func (d *ggufDecoder) skip(n int64) {
	if d.err != nil {
		return
	}
	if n < 0 || n > d.left {
		d.err = errTooLong
		return
	}
	if _, err := io.CopyN(io.Discard, d.r, n); err != nil {
		d.err = err
		return
	}
	d.left -= n
}

func (d *ggufDecoder) u32() uint32 {
	if b := d.bytes(4); b != nil {
		return binary.LittleEndian.Uint32(b)
	}
	return 0
}

func (d *ggufDecoder) u64() uint64 {
	if b := d.bytes(8); b != nil {
		return binary.LittleEndian.Uint64(b)
	}
	return 0
}

func (d *ggufDecoder) i64() int64 { return int64(d.u64()) }

// maxString bounds the strings kept (keys, names, string values); longer ones are corrupt.
const maxString = 1 << 20

func (d *ggufDecoder) str() string {
	n := d.u64()
	if d.err == nil && n > maxString {
		d.err = errTooLong
	}
	return string(d.bytes(int64(n)))
}

// scalar reads an integer-like scalar of type t as an int64 (floats and bools as their
// integer value; only integers are used).
func (d *ggufDecoder) scalar(t uint32) int64 {
	b := d.bytes(ggufScalarSize[t])
	if b == nil {
		return 0
	}
	switch t {
	case ggufTypeUint8, ggufTypeBool:
		return int64(b[0])
	case ggufTypeInt8:
		return int64(int8(b[0]))
	case ggufTypeUint16:
		return int64(binary.LittleEndian.Uint16(b))
	case ggufTypeInt16:
		return int64(int16(binary.LittleEndian.Uint16(b)))
	case ggufTypeUint32:
		return int64(binary.LittleEndian.Uint32(b))
	case ggufTypeInt32:
		return int64(int32(binary.LittleEndian.Uint32(b)))
	case ggufTypeFloat32:
		return int64(math.Float32frombits(binary.LittleEndian.Uint32(b)))
	case ggufTypeUint64, ggufTypeInt64:
		return int64(binary.LittleEndian.Uint64(b))
	case ggufTypeFloat64:
		return int64(math.Float64frombits(binary.LittleEndian.Uint64(b)))
	}
	return 0
}

// value reads the value of key into g.
func (d *ggufDecoder) value(g *ggufInfo, key string) error {
	t := d.u32()
	if d.err != nil {
		return d.corrupt()
	}
	switch {
	case t == ggufTypeString:
		s := d.str()
		g.strs[key] = s
	case t == ggufTypeArray:
		et, n := d.u32(), d.u64()
		if d.err != nil {
			return d.corrupt()
		}
		if et > ggufTypeFloat64 || et == ggufTypeArray {
			return fmt.Errorf("corrupt GGUF header: key %s is an array of type %d", key, et)
		}
		if et == ggufTypeString {
			if n > uint64(d.left/8) {
				return fmt.Errorf("corrupt or truncated GGUF header: key %s's %d strings do not fit in a file of %d bytes", key, n, g.fileSize)
			}
			for i := uint64(0); i < n && d.err == nil; i++ {
				d.skip(int64(d.u64()))
			}
		} else {
			sz := ggufScalarSize[et]
			if n > uint64(d.left/sz) {
				return fmt.Errorf("corrupt or truncated GGUF header: key %s's %d values do not fit in a file of %d bytes", key, n, g.fileSize)
			}
			if et == ggufTypeFloat32 || et == ggufTypeFloat64 {
				d.skip(int64(n) * sz)
			} else {
				var hi int64
				for i := uint64(0); i < n && d.err == nil; i++ {
					hi = max(hi, d.scalar(et))
				}
				g.ints[key] = hi
			}
		}
		g.arrays[key] = n
	case t <= ggufTypeFloat64:
		g.ints[key] = d.scalar(t)
	default:
		return fmt.Errorf("corrupt GGUF header: key %s has value type %d", key, t)
	}
	if d.err != nil {
		return d.corrupt()
	}
	return nil
}

// archInt is the model hyperparameter key ("block_count", "attention.head_count") of the
// file's architecture.
func (g *ggufInfo) archInt(key string) int {
	return int(g.ints[g.arch+"."+key])
}

// shape describes the model as llama.cpp would after loading it, as far as the header says:
// what the preflight needs.
func (g *ggufInfo) shape() modelShape {
	info := engine.BackendInfo{
		ModelName: g.name,
		NLayer:    g.archInt("block_count"),
		NEmbd:     g.archInt("embedding_length"),
		NHead:     g.archInt("attention.head_count"),
		NHeadKV:   g.archInt("attention.head_count_kv"),
		NCtxTrain: g.archInt("context_length"),
		NVocab:    int(g.arrays["tokenizer.ggml.tokens"]),
		EOS:       int32(g.ints["tokenizer.ggml.eos_token_id"]),
		SizeBytes: uint64(g.dataBytes),
	}
	if info.NHeadKV == 0 {
		info.NHeadKV = info.NHead // llama.cpp's default without the key
	}
	return modelShape{info: info, nFF: g.archInt("feed_forward_length")}
}
