// Package llamacpp is benchtui's llama.cpp backend and the only package with cgo. It opens
// libllama at run time (dlopen), loads a GGUF model, and runs one decode step per cgo call:
// freeing finished sequences, filling the batch, decoding and greedy sampling (inside the
// llama.cpp graph where the backend supports it) all happen in that one call. C types never
// leave this package.
package llamacpp

/*
#cgo CFLAGS: -O2 -I${SRCDIR}/include
#cgo LDFLAGS: -ldl -lpthread
#include <stdlib.h>
#include "shim.h"
*/
import "C"

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unsafe"

	"github.com/benchtui/benchtui/engine"
)

// Options configure the model and, through CreateContext, the context.
type Options struct {
	// Library is libllama's path or folder; empty searches the usual places (FindLibrary).
	Library string
	// ModelPath is the GGUF file.
	ModelPath string
	// Threads and ThreadsBatch default to the number of CPUs.
	Threads      int
	ThreadsBatch int
	// GPULayers is the number of layers offloaded; -1 means all.
	GPULayers int
	// SplitMode is none, layer, row or tensor.
	SplitMode   string
	MainGPU     int
	TensorSplit []float32
	// FlashAttn is auto, on or off.
	FlashAttn string
	// KVType is the K and V cache type (f16, q8_0, ...); empty keeps llama.cpp's default.
	KVType     string
	KVUnified  bool
	OffloadKQV bool
	// BackendSampling runs greedy sampling inside the graph, so no logits are copied back
	// from a GPU. nil chooses: on when the model runs on a GPU, off on the CPU (where the
	// logits are already in host memory and a plain argmax over them costs less).
	BackendSampling *bool
	// CUDAGraphs turns ggml's CUDA graphs on or off; nil keeps the default, off unless
	// $BENCHTUI_CUDA_GRAPHS=1 (see cudaGraphsEnv). ggml reads the setting once, when its CUDA
	// backend starts: the first Open of a process decides it.
	CUDAGraphs *bool
	// Verbose echoes llama.cpp's log to stderr.
	Verbose bool
	// VocabOnly loads only the vocabulary (for tokenizing).
	VocabOnly bool
	// RPC lists RPC servers (host:port) whose devices join this machine's (see rpc.go).
	RPC []string
	// RPCDirect connects llama.cpp to the RPC servers without benchtui's measuring relay.
	RPCDirect bool
}

// Backend is a loaded model and context. Use it from one goroutine.
type Backend struct {
	model *C.struct_llama_model
	state *C.bt_state
	info  engine.BackendInfo
	opts  Options
	// moveBuf holds the renumberings of a step as two columns for C.
	moveBuf []int32
	// rpc is the RPC servers the model is spread over (nil: none).
	rpc *rpcState
}

var splitModes = map[string]C.int32_t{
	"none": C.LLAMA_SPLIT_MODE_NONE, "layer": C.LLAMA_SPLIT_MODE_LAYER,
	"row": C.LLAMA_SPLIT_MODE_ROW, "tensor": C.LLAMA_SPLIT_MODE_TENSOR,
}

var flashAttn = map[string]C.int32_t{
	"auto": C.LLAMA_FLASH_ATTN_TYPE_AUTO, "on": C.LLAMA_FLASH_ATTN_TYPE_ENABLED,
	"off": C.LLAMA_FLASH_ATTN_TYPE_DISABLED,
}

var kvTypes = map[string]C.int32_t{
	"f32": C.GGML_TYPE_F32, "f16": C.GGML_TYPE_F16, "bf16": C.GGML_TYPE_BF16,
	"q8_0": C.GGML_TYPE_Q8_0, "q4_0": C.GGML_TYPE_Q4_0, "q4_1": C.GGML_TYPE_Q4_1,
	"q5_0": C.GGML_TYPE_Q5_0, "q5_1": C.GGML_TYPE_Q5_1,
}

// CheckOptions reports an unknown enum value as one clear error.
func CheckOptions(o *Options) error {
	if o.SplitMode != "" {
		if _, ok := splitModes[o.SplitMode]; !ok {
			return fmt.Errorf("split_mode %q: want none, layer, row or tensor", o.SplitMode)
		}
	}
	if o.FlashAttn != "" {
		if _, ok := flashAttn[o.FlashAttn]; !ok {
			return fmt.Errorf("flash_attn %q: want auto, on or off", o.FlashAttn)
		}
	}
	if o.KVType != "" {
		if _, ok := kvTypes[o.KVType]; !ok {
			return fmt.Errorf("kv_cache_dtype %q: want f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1 or f32", o.KVType)
		}
	}
	return CheckRPC(o.RPC)
}

// Open loads the library and the model; CreateContext makes the context. progress, if set, is called with the load
// fraction (0..1) from this goroutine about 20 times a second while loading. Cancelling ctx
// stops the load.
func Open(ctx context.Context, o Options, progress func(float64)) (*Backend, error) {
	if err := CheckOptions(&o); err != nil {
		return nil, err
	}
	lib, err := openLibrary(o.Library, o.Verbose, o.CUDAGraphs)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(o.ModelPath); err != nil {
		return nil, fmt.Errorf("model %s: %w", o.ModelPath, err)
	}
	if o.Threads <= 0 {
		o.Threads = DefaultThreads()
	}
	if o.ThreadsBatch <= 0 {
		o.ThreadsBatch = o.Threads
	}
	if o.SplitMode == "" {
		o.SplitMode = "layer"
	}
	if o.FlashAttn == "" {
		o.FlashAttn = "auto"
	}
	rpc, err := openRPC(ctx, &o)
	if err != nil {
		return nil, err
	}
	devs := devices()

	lp := C.bt_load_params{
		n_gpu_layers: C.int32_t(o.GPULayers),
		split_mode:   splitModes[o.SplitMode],
		main_gpu:     C.int32_t(o.MainGPU),
		load_mode:    -2,
		vocab_only:   C.int32_t(boolInt(o.VocabOnly)),
	}
	var split *C.float
	if len(o.TensorSplit) > 0 {
		maxDev := int(C.bt_max_devices())
		if len(o.TensorSplit) > maxDev {
			return nil, fmt.Errorf("tensor_split has %d entries; this llama.cpp build takes at most %d", len(o.TensorSplit), maxDev)
		}
		split = (*C.float)(C.calloc(C.size_t(maxDev), C.size_t(unsafe.Sizeof(C.float(0)))))
		defer C.free(unsafe.Pointer(split))
		s := unsafe.Slice(split, maxDev)
		for i, v := range o.TensorSplit {
			s[i] = C.float(v)
		}
		lp.tensor_split = split
	}

	if rpc != nil {
		if lp.devices, err = rpc.modelDevices(o.TensorSplit, devs); err != nil {
			return nil, err
		}
		defer C.free(unsafe.Pointer(lp.devices))
	}

	cpath := C.CString(o.ModelPath)
	defer C.free(unsafe.Pointer(cpath))
	C.bt_request_abort(0)
	clearLog()
	done := make(chan struct{})
	var model *C.struct_llama_model
	go func() {
		defer close(done)
		model = C.bt_load_model(cpath, &lp)
	}()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	canceled := false
wait:
	for {
		select {
		case <-done:
			break wait
		case <-tick.C:
			if progress != nil {
				progress(float64(C.bt_load_progress()))
			}
		case <-ctx.Done():
			if !canceled {
				C.bt_request_abort(1)
				canceled = true
			}
		}
	}
	C.bt_request_abort(0)
	if model == nil {
		if canceled {
			return nil, fmt.Errorf("load model %s: %w", o.ModelPath, ctx.Err())
		}
		return nil, fmt.Errorf("load model %s: llama.cpp could not load it: %s", o.ModelPath, lastLine(LogTail(12)))
	}
	if progress != nil {
		progress(1)
	}
	b := &Backend{model: model, rpc: rpc}
	var mi C.bt_model_info
	C.bt_model_info_get(model, boolInt(o.VocabOnly), &mi)
	b.info = engine.BackendInfo{
		Backend:    "llamacpp",
		Library:    lib,
		ModelPath:  o.ModelPath,
		ModelDesc:  C.GoString(&mi.desc[0]),
		ModelName:  b.meta("general.name"),
		NVocab:     int(mi.n_vocab),
		NLayer:     int(mi.n_layer),
		NEmbd:      int(mi.n_embd),
		NHead:      int(mi.n_head),
		NHeadKV:    int(mi.n_head_kv),
		NCtxTrain:  int(mi.n_ctx_train),
		NParams:    uint64(mi.n_params),
		SizeBytes:  uint64(mi.size_bytes),
		BOS:        int32(mi.bos),
		EOS:        int32(mi.eos),
		FlashAttn:  o.FlashAttn,
		KVType:     o.KVType,
		GPULayers:  o.GPULayers,
		SplitMode:  o.SplitMode,
		Threads:    o.Threads,
		Devices:    devs,
		SystemInfo: strings.TrimSpace(C.GoString(C.bt_system_info())),
		KVUnified:  o.KVUnified,
	}
	if b.info.KVType == "" {
		b.info.KVType = "f16"
	}
	b.info.Version, b.info.Commit = releaseOf(lib)
	b.info.RunsOn = runsOn(devs, o)
	if rpc != nil {
		// The servers' devices follow this machine's, and the output stays on a server:
		// sampling there sends one token per sequence over the network, not its logits.
		b.info.Devices = append(b.info.Devices, rpc.devices()...)
		b.info.RPC = rpc.info()
		b.info.RunsOn = rpc.runsOn(b.info.RunsOn)
	}
	// Each device's share of the weights, local GPUs as RPC servers' (the dashboard and
	// the report show a split model's devices with their shares).
	rpc.modelBytes(LogTail(200), b.info.Devices)
	b.info.BackendSampling = b.info.RunsOn != "CPU"
	if o.BackendSampling != nil {
		b.info.BackendSampling = *o.BackendSampling
	}
	b.opts = o
	return b, nil
}

// MaxSequences is the most sequences one llama.cpp context decodes together (LLAMA_MAX_SEQ):
// the largest max_batch_size.
const MaxSequences = 256

// CreateContext creates the llama.cpp context with nCtx KV cells, n_batch nBatch, n_ubatch
// nUBatch and nSeqMax sequences, replacing the context made by an earlier call.
func (b *Backend) CreateContext(nCtx, nBatch, nUBatch, nSeqMax int) error {
	if b.state != nil {
		// A new shape replaces the context; its KV cache goes with it.
		C.bt_state_free(b.state)
		b.state = nil
	}
	o := b.opts
	if nSeqMax < 1 {
		nSeqMax = 1
	}
	if nBatch < 1 {
		nBatch = 2048
	}
	if nUBatch < 1 {
		nUBatch = min(512, nBatch)
	}
	cp := C.bt_ctx_params{
		n_ctx:            C.uint32_t(nCtx),
		n_batch:          C.uint32_t(nBatch),
		n_ubatch:         C.uint32_t(nUBatch),
		n_seq_max:        C.uint32_t(nSeqMax),
		n_threads:        C.int32_t(o.Threads),
		n_threads_batch:  C.int32_t(o.ThreadsBatch),
		flash_attn:       flashAttn[o.FlashAttn],
		type_k:           -1,
		type_v:           -1,
		kv_unified:       C.int32_t(boolInt(o.KVUnified)),
		offload_kqv:      C.int32_t(boolInt(o.OffloadKQV)),
		backend_sampling: C.int32_t(boolInt(b.info.BackendSampling)),
	}
	if o.KVType != "" {
		cp.type_k = kvTypes[o.KVType]
		cp.type_v = kvTypes[o.KVType]
	}
	var ci C.bt_ctx_info
	clearLog()
	b.state = C.bt_state_new(b.model, &cp, &ci)
	if b.state == nil {
		return fmt.Errorf("create llama.cpp context (n_ctx %d, n_seq_max %d, n_batch %d): %s",
			nCtx, nSeqMax, nBatch, lastLine(LogTail(12)))
	}
	b.info.NCtx = int(ci.n_ctx)
	b.info.NCtxSeq = int(ci.n_ctx_seq)
	b.info.NBatch = int(ci.n_batch)
	b.info.NUBatch = int(ci.n_ubatch)
	b.info.NSeqMax = int(ci.n_seq_max)
	return nil
}

// runsOn names the device doing the work: the GPUs when layers are offloaded to any.
func runsOn(devs []engine.Device, o Options) string {
	var gpus []string
	for _, d := range devs {
		if d.Type == "gpu" || d.Type == "igpu" {
			gpus = append(gpus, d.Description)
		}
	}
	if len(gpus) == 0 || o.GPULayers == 0 {
		return "CPU"
	}
	if o.SplitMode == "none" && o.MainGPU < len(gpus) {
		// One GPU holds the whole model.
		return gpus[o.MainGPU]
	}
	if n := countNonZero(o.TensorSplit); n > 0 && n < len(gpus) {
		gpus = gpus[:n]
	}
	if len(gpus) == 1 {
		return gpus[0]
	}
	return fmt.Sprintf("%d GPUs (%s)", len(gpus), strings.Join(gpus, ", "))
}

// releaseOf reads the VERSION and COMMIT files that scripts/setup-llama.sh leaves beside lib/.
func releaseOf(lib string) (version, commit string) {
	dir := filepath.Dir(filepath.Dir(lib))
	v, _ := os.ReadFile(filepath.Join(dir, "VERSION"))
	c, _ := os.ReadFile(filepath.Join(dir, "COMMIT"))
	version = strings.TrimSpace(string(v))
	if version == "" {
		version = "unknown"
	}
	return version, strings.TrimSpace(string(c))
}

// lastLine picks the line of llama.cpp's log that says most about a failure: the first line
// that reports a problem (the cause; later lines tend to repeat "failed to load"), else the
// last line.
func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return "no log output (run with --verbose for llama.cpp's log)"
	}
	lines := strings.Split(s, "\n")
	for _, l := range lines {
		low := strings.ToLower(l)
		for _, w := range []string{"error", "invalid", "failed", "unable", "out of memory", "cannot", "not enough"} {
			if strings.Contains(low, w) {
				return strings.TrimSpace(l)
			}
		}
	}
	return strings.TrimSpace(lines[len(lines)-1])
}

func clearLog() { C.bt_log_clear() }

// oneCopyReads counts the micro-batches whose backend-sampled tokens were read from one copy
// of the argmax vector (see shim.c).
func (b *Backend) oneCopyReads() uint64 {
	if b.state == nil {
		return 0
	}
	var p C.bt_profile
	C.bt_profile_get(b.state, &p)
	return uint64(p.one_copy_reads)
}

// sampledTokenNoSync says whether a step reads its sampled tokens after one synchronization
// rather than one per token (see bt_sampled_token_nosync).
func sampledTokenNoSync() bool { return C.bt_sampled_token_nosync() != 0 }

func (b *Backend) meta(key string) string {
	ck := C.CString(key)
	defer C.free(unsafe.Pointer(ck))
	var buf [256]C.char
	if C.bt_model_meta(b.model, ck, &buf[0], C.size_t(len(buf))) < 0 {
		return ""
	}
	return C.GoString(&buf[0])
}

// Info describes the backend.
func (b *Backend) Info() engine.BackendInfo { return b.info }

// ErrDecode wraps llama_decode's failures.
var ErrDecode = errors.New("llama_decode failed")

// Step runs one decode step in one cgo call.
func (b *Backend) Step(batch *engine.Batch, out []int32) error {
	if b.state == nil {
		return errors.New("backend has no context (vocabulary-only load)")
	}
	n := batch.Len()
	var freeP, srcP, dstP, tokP, posP, seqP, outP *C.int32_t
	var logP *C.int8_t
	if len(batch.Free) > 0 {
		freeP = (*C.int32_t)(unsafe.Pointer(&batch.Free[0]))
	}
	nMove := len(batch.Moves)
	if nMove > 0 {
		// Pass the sources and destinations as two halves of one array.
		if cap(b.moveBuf) < 2*nMove {
			b.moveBuf = make([]int32, 2*nMove)
		}
		mb := b.moveBuf[:2*nMove]
		for i, m := range batch.Moves {
			mb[i], mb[nMove+i] = m.Src, m.Dst
		}
		srcP = (*C.int32_t)(unsafe.Pointer(&mb[0]))
		dstP = (*C.int32_t)(unsafe.Pointer(&mb[nMove]))
	}
	if n > 0 {
		tokP = (*C.int32_t)(unsafe.Pointer(&batch.Tokens[0]))
		posP = (*C.int32_t)(unsafe.Pointer(&batch.Pos[0]))
		seqP = (*C.int32_t)(unsafe.Pointer(&batch.Seq[0]))
		logP = (*C.int8_t)(unsafe.Pointer(&batch.Output[0]))
	}
	if len(out) > 0 {
		outP = (*C.int32_t)(unsafe.Pointer(&out[0]))
	}
	var t0 time.Time
	if b.rpc != nil && n > 0 {
		t0 = time.Now()
	}
	rc := C.bt_step(b.state, C.int32_t(len(batch.Free)), freeP, C.int32_t(nMove), srcP, dstP,
		C.int32_t(n), tokP, posP, seqP, logP, outP, C.int32_t(len(out)))
	if b.rpc != nil && n > 0 {
		b.rpc.step(time.Since(t0))
	}
	switch {
	case rc == 0:
		return nil
	case rc == 1:
		return fmt.Errorf("%w: no KV cache slot for the batch (return 1): %s", ErrDecode, lastLine(LogTail(6)))
	case rc == 2:
		return fmt.Errorf("%w: aborted (return 2)", ErrDecode)
	case rc == -100:
		return errors.New("sampling failed: llama.cpp returned no token")
	default:
		return fmt.Errorf("%w (return %d): %s", ErrDecode, int(rc), lastLine(LogTail(6)))
	}
}

// Tokenize tokenizes text with special tokens added as the model wants.
func (b *Backend) Tokenize(text string) ([]int32, error) {
	ct := C.CString(text)
	defer C.free(unsafe.Pointer(ct))
	out := make([]int32, len(text)+8)
	for {
		var p *C.int32_t
		if len(out) > 0 {
			p = (*C.int32_t)(unsafe.Pointer(&out[0]))
		}
		n := C.bt_tokenize(b.model, ct, C.int32_t(len(text)), p, C.int32_t(len(out)), 1, 1)
		if n >= 0 {
			return out[:n], nil
		}
		if int(-n) <= len(out) {
			return nil, fmt.Errorf("tokenize: llama.cpp returned %d", int(n))
		}
		out = make([]int32, int(-n))
	}
}

// Close frees the context and the model.
func (b *Backend) Close() error {
	if b.state != nil {
		C.bt_state_free(b.state)
		b.state = nil
	}
	if b.model != nil {
		C.bt_model_free(b.model)
		b.model = nil
	}
	return nil
}

func countNonZero(v []float32) int {
	n := 0
	for _, x := range v {
		if x != 0 {
			n++
		}
	}
	return n
}
