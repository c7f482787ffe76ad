package engine

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/BurntSushi/toml"
)

// BackendOptions are the llama.cpp settings a TOML file (--config, or trtllm-bench's
// --extra_llm_api_options) may set. Decoding is strict: an unknown key is an error naming it.
// Pointer fields tell "not set" from a zero value.
type BackendOptions struct {
	Threads         int       `toml:"threads" json:"threads,omitempty"`
	ThreadsBatch    int       `toml:"threads_batch" json:"threads_batch,omitempty"`
	GPULayers       *int      `toml:"n_gpu_layers" json:"n_gpu_layers,omitempty"`
	SplitMode       string    `toml:"split_mode" json:"split_mode,omitempty"`
	MainGPU         int       `toml:"main_gpu" json:"main_gpu,omitempty"`
	TensorSplit     []float64 `toml:"tensor_split" json:"tensor_split,omitempty"`
	FlashAttn       string    `toml:"flash_attn" json:"flash_attn,omitempty"`
	KVCacheDType    string    `toml:"kv_cache_dtype" json:"kv_cache_dtype,omitempty"`
	KVUnified       *bool     `toml:"kv_unified" json:"kv_unified,omitempty"`
	OffloadKQV      *bool     `toml:"offload_kqv" json:"offload_kqv,omitempty"`
	BackendSampling *bool     `toml:"backend_sampling" json:"backend_sampling,omitempty"`
	NUBatch         int       `toml:"n_ubatch" json:"n_ubatch,omitempty"`
	// KVCacheFreeMemFraction sizes the KV cache from free device memory instead of
	// max_batch_size x max_seq_len (trtllm-bench's kv_cache_free_gpu_mem_fraction).
	KVCacheFreeMemFraction float64 `toml:"kv_cache_free_gpu_mem_fraction" json:"kv_cache_free_gpu_mem_fraction,omitempty"`
	// Library is libllama's path or folder.
	Library string `toml:"library" json:"library,omitempty"`
	// RPC lists llama.cpp RPC servers (host:port) whose devices join this machine's; the
	// layers are split over them (tensor_split weights them, servers first).
	RPC []string `toml:"rpc" json:"rpc,omitempty"`
	// RPCMeasure routes the RPC traffic through a relay that measures it per host (nil:
	// on).
	RPCMeasure *bool `toml:"rpc_measure" json:"rpc_measure,omitempty"`
}

// LoadBackendOptions reads a strict TOML file of backend options.
func LoadBackendOptions(path string) (BackendOptions, error) {
	var o BackendOptions
	data, err := os.ReadFile(path)
	if err != nil {
		return o, fmt.Errorf("config %s: %w", path, err)
	}
	md, err := toml.Decode(string(data), &o)
	if err != nil {
		var perr toml.ParseError
		if errors.As(err, &perr) {
			return o, fmt.Errorf("config %s line %d: %s", path, perr.Position.Line, perr.Message)
		}
		return o, fmt.Errorf("config %s: %w", path, err)
	}
	if un := md.Undecoded(); len(un) > 0 {
		keys := make([]string, len(un))
		for i, k := range un {
			keys[i] = k.String()
		}
		return o, fmt.Errorf("config %s: unknown key %s (known: threads, threads_batch, n_gpu_layers, split_mode, main_gpu, tensor_split, flash_attn, kv_cache_dtype, kv_unified, offload_kqv, backend_sampling, n_ubatch, kv_cache_free_gpu_mem_fraction, library, rpc, rpc_measure)",
			path, strings.Join(keys, ", "))
	}
	return o, nil
}
