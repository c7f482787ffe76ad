// Package engine is benchtui's harness: it issues requests to an inference Backend with
// in-flight batching, timestamps every output token on a monotonic clock inside the decode
// loop, and records every request. One goroutine drives the backend; progress is published as
// plain, serializable events on channels. The engine knows nothing of the terminal and of
// file formats: the report package turns its records into figures and files.
package engine

import (
	"context"
	"errors"
	"time"

	"github.com/benchtui/benchtui/dataset"
)

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

// StreamBackend is an inference server that schedules requests itself (an OpenAI-compatible
// HTTP server): the harness only decides when each request is sent and times its output as it
// arrives. RunStream drives it.
type StreamBackend interface {
	// Info describes the backend and the served model, as far as the server tells.
	Info() BackendInfo
	// Send sends one request and reads its streamed output to the end, calling obs from the
	// calling goroutine for every chunk that carries output. It is called from many goroutines
	// at once. It returns what the server said about the whole request; Endpoint is set also
	// when it fails. When ctx ends, Send ends the stream and returns ctx's error (wrapped).
	Send(ctx context.Context, req StreamRequest, obs StreamObserver) (StreamReply, error)
	// Close releases the backend's connections (and a server it started).
	Close() error
}

// StreamRequest is one request handed to a StreamBackend.
type StreamRequest struct {
	// Index is the request's position in its phase (warmup or benchmark), 0-based.
	Index int
	// Warmup is set for the warmup phase's requests.
	Warmup bool
	// Request is the dataset's request: its prompt (token ids or text) and output length.
	Request *dataset.Request
}

// StreamObserver receives a stream's output chunks as they arrive.
type StreamObserver interface {
	// Chunk reports one chunk that carried output. at was read from the monotonic clock just
	// after the socket read that completed the chunk; tokens is how many tokens the chunk
	// carried (1 when the server does not say).
	Chunk(at time.Time, tokens int)
}

// StreamReply is what a server said about a whole request, beyond its chunks.
type StreamReply struct {
	// Endpoint is the base URL the request went to.
	Endpoint string
	// PromptTokens and OutputTokens are the server's usage counts (0 when it sent none).
	PromptTokens int
	OutputTokens int
	// FinishReason is the server's finish_reason ("length", "stop", ...).
	FinishReason string
	// Server holds the server's own timings of the request, when it reports them.
	Server *ServerTimings
}

// ServerTimings are a server's own timings of one request (llama-server's "timings"), kept so
// that reports can set them beside the client's figures.
type ServerTimings struct {
	// CacheN is how many prompt tokens the server took from its cache.
	CacheN int `json:"cache_n"`
	// PromptN and PromptMS are the prompt tokens the server processed and how long it took.
	PromptN  int     `json:"prompt_n"`
	PromptMS float64 `json:"prompt_ms"`
	// PredictedN and PredictedMS are the tokens it generated and how long that took.
	PredictedN  int     `json:"predicted_n"`
	PredictedMS float64 `json:"predicted_ms"`
}

// ServerMetricsSource is implemented by stream backends whose servers report their own state
// (Prometheus /metrics): RunStream reads it during a run and snapshots carry it.
type ServerMetricsSource interface {
	// ServerMetrics reads the servers' state now. ErrNoServerMetrics (wrapped) means that
	// none of them reports any, and the run stops asking.
	ServerMetrics(ctx context.Context) (ServerMetrics, error)
}

// ErrNoServerMetrics is returned by ServerMetricsSource when no server exposes metrics.
var ErrNoServerMetrics = errors.New("server reports no metrics")

// ServerMetrics is one reading of the servers' own state, summed over a backend's endpoints.
// A figure a server does not report is -1.
type ServerMetrics struct {
	// TimeNS is when the reading was taken, on the run's clock.
	TimeNS int64 `json:"time_ns"`
	// Running and Waiting are the requests the servers are decoding and holding in their queues.
	Running float64 `json:"running"`
	Waiting float64 `json:"waiting"`
	// KVUsage is the share of the KV cache in use (0..1), averaged over the endpoints.
	KVUsage float64 `json:"kv_usage"`
	// Source names the metric families read ("vllm", "llamacpp", "sglang", "trtllm", "tgi").
	Source string `json:"source,omitempty"`
}
