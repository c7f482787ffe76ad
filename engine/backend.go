// Package engine is benchtui's harness: it issues requests to an inference Backend with
// in-flight batching, timestamps every output token on a monotonic clock inside the decode
// loop, and records every request. One goroutine drives the backend; progress is published as
// plain, serializable events on channels. The engine knows nothing of the terminal and of
// file formats: the report package turns its records into figures and files.
package engine

// Batch is the input of one decode step: KV cache housekeeping, then the tokens to decode.
// The four token slices have one entry per token.
type Batch struct {
	// Free lists sequences whose KV cells are released before decoding.
	Free []int32
	// Moves renumber sequences after Free: each moves a sequence's KV cells to an unused id.
	Moves []SeqMove

	Tokens []int32
	Pos    []int32
	Seq    []int32
	// Output is 1 for tokens whose next token must be sampled (the last prompt token of a
	// finished prefill, and every decode token).
	Output []int8
}

// SeqMove renumbers sequence Src as Dst.
type SeqMove struct{ Src, Dst int32 }

// Reset empties the batch, keeping its storage.
func (b *Batch) Reset() {
	b.Free = b.Free[:0]
	b.Moves = b.Moves[:0]
	b.Tokens = b.Tokens[:0]
	b.Pos = b.Pos[:0]
	b.Seq = b.Seq[:0]
	b.Output = b.Output[:0]
}

// Add appends one token.
func (b *Batch) Add(token, pos, seq int32, output bool) {
	var o int8
	if output {
		o = 1
	}
	b.Tokens = append(b.Tokens, token)
	b.Pos = append(b.Pos, pos)
	b.Seq = append(b.Seq, seq)
	b.Output = append(b.Output, o)
}

// Len is the number of tokens in the batch.
func (b *Batch) Len() int { return len(b.Tokens) }

// Backend is an inference engine driven one decode step at a time. It is used from one
// goroutine only.
type Backend interface {
	// Info describes the backend, the model and the context.
	Info() BackendInfo
	// Step applies b's Free and Moves to the KV cache, decodes b's tokens, and writes one
	// greedily sampled token per output row of b (in batch order) into out.
	Step(b *Batch, out []int32) error
	// Tokenize turns text into token ids with the model's vocabulary (special tokens added as
	// the model wants).
	Tokenize(text string) ([]int32, error)
	// Close releases the model and context.
	Close() error
}

// Device is one compute device the backend can use.
type Device struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	// Type is cpu, gpu, igpu, accel, or rpc for a device of an RPC server.
	Type       string `json:"type"`
	FreeBytes  uint64 `json:"free_bytes"`
	TotalBytes uint64 `json:"total_bytes"`
	// Host is the RPC server (host:port) the device belongs to; empty for this machine's.
	Host string `json:"host,omitempty"`
	// ModelBytes is the model's weights the device holds, when the backend says (0: none
	// or not known).
	ModelBytes uint64 `json:"model_bytes,omitempty"`
}

// RPCHost is one RPC server (llama.cpp's rpc-server) the model is spread over.
type RPCHost struct {
	// Host is the server as the user named it (host:port).
	Host string `json:"host"`
	// Protocol is the RPC protocol version it announced.
	Protocol string `json:"protocol"`
	// Devices is how many devices it lends.
	Devices int `json:"devices"`
	// Measured says its traffic goes through benchtui's loopback relay, which measures it.
	Measured bool `json:"measured"`
}

// BackendInfo describes a loaded backend.
type BackendInfo struct {
	Backend         string   `json:"backend"`
	Version         string   `json:"version"`
	Commit          string   `json:"commit,omitempty"`
	Library         string   `json:"library,omitempty"`
	ModelPath       string   `json:"model_path"`
	ModelDesc       string   `json:"model_desc"`
	ModelName       string   `json:"model_name,omitempty"`
	NVocab          int      `json:"n_vocab"`
	NLayer          int      `json:"n_layer"`
	NEmbd           int      `json:"n_embd"`
	NHead           int      `json:"n_head"`
	NHeadKV         int      `json:"n_head_kv"`
	NCtxTrain       int      `json:"n_ctx_train"`
	NParams         uint64   `json:"n_params"`
	SizeBytes       uint64   `json:"size_bytes"`
	BOS             int32    `json:"bos"`
	EOS             int32    `json:"eos"`
	NCtx            int      `json:"n_ctx"`
	NCtxSeq         int      `json:"n_ctx_seq"`
	NBatch          int      `json:"n_batch"`
	NUBatch         int      `json:"n_ubatch"`
	NSeqMax         int      `json:"n_seq_max"`
	KVUnified       bool     `json:"kv_unified"`
	BackendSampling bool     `json:"backend_sampling"`
	FlashAttn       string   `json:"flash_attn"`
	KVType          string   `json:"kv_cache_dtype"`
	GPULayers       int      `json:"n_gpu_layers"`
	SplitMode       string   `json:"split_mode"`
	Threads         int      `json:"threads"`
	Devices         []Device `json:"devices"`
	// RPC lists the RPC servers the model is spread over, in --rpc order (their devices
	// are in Devices, with Host set).
	RPC []RPCHost `json:"rpc,omitempty"`
	// RunsOn names the device that does the work ("CPU" or the GPUs' names, and the RPC
	// servers).
	RunsOn     string `json:"runs_on"`
	SystemInfo string `json:"system_info,omitempty"`
}
