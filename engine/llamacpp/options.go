package llamacpp

// BackendOptions are the llama.cpp settings an options file (--config, or trtllm-bench's
// --extra_llm_api_options) may set; see LoadOptionsFile. Pointer fields tell "not set" from a
// zero value.
type BackendOptions struct {
	Threads         int       `json:"threads,omitempty"`
	ThreadsBatch    int       `json:"threads_batch,omitempty"`
	GPULayers       *int      `json:"n_gpu_layers,omitempty"`
	SplitMode       string    `json:"split_mode,omitempty"`
	MainGPU         int       `json:"main_gpu,omitempty"`
	TensorSplit     []float64 `json:"tensor_split,omitempty"`
	FlashAttn       string    `json:"flash_attn,omitempty"`
	KVCacheDType    string    `json:"kv_cache_dtype,omitempty"`
	KVUnified       *bool     `json:"kv_unified,omitempty"`
	OffloadKQV      *bool     `json:"offload_kqv,omitempty"`
	BackendSampling *bool     `json:"backend_sampling,omitempty"`
	NUBatch         int       `json:"n_ubatch,omitempty"`
	// KVCacheFreeMemFraction sizes the KV cache from free device memory instead of
	// max_batch_size x max_seq_len (trtllm-bench's kv_cache_free_gpu_mem_fraction).
	KVCacheFreeMemFraction float64 `json:"kv_cache_free_gpu_mem_fraction,omitempty"`
	// CUDAGraphs turns ggml's CUDA graphs on or off; nil keeps benchtui's default (off,
	// or $BENCHTUI_CUDA_GRAPHS=1). See Options.CUDAGraphs.
	CUDAGraphs *bool `json:"cuda_graphs,omitempty"`
	// Library is libllama's path or folder.
	Library string `json:"library,omitempty"`
	// RPC lists llama.cpp RPC servers (host:port) whose devices join this machine's; the
	// layers are split over them (tensor_split weights them, servers first).
	RPC []string `json:"rpc,omitempty"`
	// RPCMeasure routes the RPC traffic through a relay that measures it per host (nil:
	// on).
	RPCMeasure *bool `json:"rpc_measure,omitempty"`
}

// RunSettings are the run settings an options file may give (trtllm-bench's
// extra_llm_api_options carry them); nil fields are not set. Flags given on the command line
// win over them.
type RunSettings struct {
	MaxBatchSize *int `json:"max_batch_size,omitempty"`
	MaxNumTokens *int `json:"max_num_tokens,omitempty"`
	MaxSeqLen    *int `json:"max_seq_len,omitempty"`
	// TP is tensor_parallel_size (or AutoDeploy's world_size).
	TP *int `json:"tp,omitempty"`
}

// OptionsFile is what an options file holds, as LoadOptionsFile read it.
type OptionsFile struct {
	// Path is the file; Format is "toml" or "yaml", as read from its content.
	Path   string `json:"path"`
	Format string `json:"format"`
	// Backend and Run are the settings applied.
	Backend BackendOptions `json:"-"`
	Run     RunSettings    `json:"-"`
	// Applied lists the keys applied, with their values as written.
	Applied []FileKey `json:"applied,omitempty"`
	// Ignored lists the keys that have no llama.cpp equivalent (trtllm-bench's, mostly), and
	// why.
	Ignored []FileKey `json:"ignored,omitempty"`
	// from maps a benchtui setting to the key that gave it its value (see Source).
	from map[string]FileKey
}

// FileKey is one key of an options file: its dotted name, line and value.
type FileKey struct {
	Key   string `json:"key"`
	Line  int    `json:"line"`
	Value any    `json:"value"`
	// Why says why an ignored key has no effect.
	Why string `json:"why,omitempty"`
}

// Source returns the key of the file that set a benchtui setting, named as its flag or
// benchtui's own key ("max_batch_size", "tp", "kv_cache_free_gpu_mem_fraction", "library"),
// whatever the file called it: tensor_parallel_size sets tp, kv_cache_config.dtype sets
// kv_cache_dtype. Messages about the setting's value name that key and its line.
func (f *OptionsFile) Source(setting string) (FileKey, bool) {
	if f == nil {
		return FileKey{}, false
	}
	k, ok := f.from[setting]
	return k, ok
}

// IgnoredKeys returns the names of the ignored keys, in file order.
func (f *OptionsFile) IgnoredKeys() []string {
	out := make([]string, len(f.Ignored))
	for i, k := range f.Ignored {
		out[i] = k.Key
	}
	return out
}
