package llamacpp

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// ownKeys are benchtui's own keys, named as its flags.
var ownKeys = []string{"threads", "threads_batch", "n_gpu_layers", "split_mode", "main_gpu", "tensor_split",
	"flash_attn", "kv_cache_dtype", "kv_unified", "offload_kqv", "backend_sampling", "n_ubatch",
	"kv_cache_free_gpu_mem_fraction", "cuda_graphs", "library", "rpc", "rpc_measure"}

// appliedKeys are trtllm-bench's keys (TensorRT-LLM's LlmArgs and AutoDeploy's) that have a
// llama.cpp equivalent.
var appliedKeys = []string{"max_batch_size", "max_num_tokens", "max_seq_len", "tensor_parallel_size", "world_size",
	"pipeline_parallel_size", "enable_chunked_prefill", "kv_cache_config", "free_mem_ratio", "cuda_graph_config",
	"use_cuda_graph", "pytorch_backend_config"}

// kvSubKeys are kv_cache_config's keys applied; the rest of TensorRT-LLM's KvCacheConfig is
// in ignoredSubKeys.
var kvSubKeys = []string{"free_gpu_memory_fraction", "dtype", "enable_block_reuse"}

// Reasons given for ignored keys.
const (
	whyTRTInternals = "TensorRT-LLM's compilation and runtime internals"
	whyParallel     = "a TensorRT-LLM parallelism mode llama.cpp does not have (tensor_parallel_size / --tp splits the model)"
	whyFeature      = "a TensorRT-LLM feature benchtui does not benchmark"
	whyCommandLine  = "given on the command line (--model, --tokenizer; the weight type as --model preset:dtype)"
	whyKVManager    = "TensorRT-LLM's paged KV cache manager; llama.cpp keeps max_batch_size sequences of max_seq_len cells, or one cache sized by free_gpu_memory_fraction"
	whyGraphShapes  = "llama.cpp captures a CUDA graph for any batch shape that repeats: there is no list of batch sizes and no padding"
	whyUnknown      = "not a key of benchtui nor one of trtllm-bench's it knows"
)

// ignoredKeys are trtllm-bench's top-level keys without a llama.cpp equivalent, and why.
var ignoredKeys = map[string]string{
	"compile_backend": whyTRTInternals, "runtime": whyTRTInternals, "attn_backend": whyTRTInternals,
	"mla_backend": whyTRTInternals, "model_factory": whyTRTInternals, "mode": whyTRTInternals,
	"transforms": whyTRTInternals, "torch_compile_config": whyTRTInternals, "enable_autotuner": whyTRTInternals,
	"allreduce_strategy": whyTRTInternals, "sampler_type": whyTRTInternals, "disable_overlap_scheduler": whyTRTInternals,
	"enable_overlap_scheduler": whyTRTInternals, "checkpoint_loader": whyTRTInternals, "checkpoint_format": whyTRTInternals,
	"load_format": whyTRTInternals, "model_kwargs": whyTRTInternals, "tokenizer_kwargs": whyTRTInternals,
	"build_config": whyTRTInternals, "enable_build_cache": whyTRTInternals, "extended_runtime_perf_knob_config": whyTRTInternals,
	"workspace": whyTRTInternals, "fast_build": whyTRTInternals, "calib_config": whyTRTInternals, "quant_config": whyTRTInternals,
	"embedding_parallel_mode": whyTRTInternals, "normalize_log_probs": whyTRTInternals, "batching_type": whyTRTInternals,
	"garbage_collection_gen0_threshold": whyTRTInternals, "enable_layerwise_nvtx_marker": whyTRTInternals,
	"stream_interval": whyTRTInternals, "print_iter_log": whyTRTInternals, "enable_iter_perf_stats": whyTRTInternals,
	"enable_iter_req_stats": whyTRTInternals, "iter_stats_max_iterations": whyTRTInternals,
	"request_stats_max_iterations": whyTRTInternals, "batch_wait_timeout_ms": whyTRTInternals,
	"batch_wait_timeout_iters": whyTRTInternals, "batch_wait_max_tokens_ratio": whyTRTInternals,
	"perf_metrics_max_requests": whyTRTInternals, "return_perf_metrics": whyTRTInternals, "enable_min_latency": whyTRTInternals,
	"force_dynamic_quantization": whyTRTInternals, "num_postprocess_workers": whyTRTInternals,
	"postprocess_tokenizer_dir": whyTRTInternals, "orchestrator_type": whyTRTInternals, "ray_worker_extension_cls": whyTRTInternals,
	"gather_generation_logits": whyTRTInternals, "enable_tqdm": whyTRTInternals, "device": whyTRTInternals,
	"checkpoint_device": whyTRTInternals, "yaml_default": whyTRTInternals, "yaml_extra": whyTRTInternals,
	"simple_shard_only": whyParallel, "moe_config": whyTRTInternals, "moe_backend": whyTRTInternals,
	"cuda_graph_batch_sizes": whyGraphShapes,
	"attn_page_size":         "tokens per KV block; llama.cpp allocates KV cells one token at a time",
	"skip_loading_weights":   "benchtui's synthetic weights never load real ones",
	"enable_attention_dp":    whyParallel, "attention_dp_config": whyParallel, "moe_expert_parallel_size": whyParallel,
	"moe_tensor_parallel_size": whyParallel, "moe_cluster_parallel_size": whyParallel, "context_parallel_size": whyParallel,
	"cp_config": whyParallel, "gpus_per_node": whyParallel, "pp_partition": whyParallel, "enable_lm_head_tp_in_adp": whyParallel,
	"speculative_config": whyFeature, "decoding_config": whyFeature, "lora_config": whyFeature, "enable_lora": whyFeature,
	"peft_cache_config": whyFeature, "guided_decoding_backend": whyFeature, "reasoning_parser": whyFeature,
	"cache_transceiver_config": whyFeature, "kv_connector_config": whyFeature, "sparse_attention_config": whyFeature,
	"enable_prompt_adapter": whyFeature, "max_prompt_adapter_token": whyFeature, "mm_encoder_only": whyFeature,
	"max_beam_width":   "benchtui decodes greedily, one beam",
	"scheduler_config": "TensorRT-LLM's capacity scheduler (benchtui's scheduling is its own)",
	"max_input_len":    "benchtui takes each request's own prompt length (max_seq_len bounds prompt plus output)",
	"model":            whyCommandLine, "tokenizer": whyCommandLine, "custom_tokenizer": whyCommandLine,
	"dtype": whyCommandLine, "revision": whyCommandLine, "tokenizer_revision": whyCommandLine,
	"tokenizer_mode": whyCommandLine, "skip_tokenizer_init": whyCommandLine, "trust_remote_code": whyCommandLine,
	"backend": "given on the command line (--backend)",
}

// ignoredSubKeys are the keys of the sections applied (kv_cache_config, cuda_graph_config,
// pytorch_backend_config) that have no llama.cpp equivalent.
var ignoredSubKeys = map[string]string{
	"kv_cache_config.max_tokens": whyKVManager, "kv_cache_config.max_attention_window": whyKVManager,
	"kv_cache_config.sink_token_length": whyKVManager, "kv_cache_config.host_cache_size": whyKVManager,
	"kv_cache_config.onboard_blocks": whyKVManager, "kv_cache_config.cross_kv_cache_fraction": whyKVManager,
	"kv_cache_config.secondary_offload_min_priority": whyKVManager, "kv_cache_config.event_buffer_max_size": whyKVManager,
	"kv_cache_config.attention_dp_events_gather_period_ms": whyKVManager, "kv_cache_config.enable_partial_reuse": whyKVManager,
	"kv_cache_config.copy_on_partial_reuse": whyKVManager, "kv_cache_config.use_uvm": whyKVManager,
	"kv_cache_config.max_gpu_total_bytes": whyKVManager, "kv_cache_config.mamba_ssm_cache_dtype": whyKVManager,
	"kv_cache_config.tokens_per_block": whyKVManager, "kv_cache_config.use_kv_cache_manager_v2": whyKVManager,
	"kv_cache_config.max_util_for_resume": whyKVManager,
	"cuda_graph_config.batch_sizes":       whyGraphShapes, "cuda_graph_config.max_batch_size": whyGraphShapes,
	"cuda_graph_config.enable_padding": whyGraphShapes, "cuda_graph_config.mode": whyGraphShapes,
	"pytorch_backend_config.cuda_graph_batch_sizes": whyGraphShapes, "pytorch_backend_config.cuda_graph_max_batch_size": whyGraphShapes,
	"pytorch_backend_config.cuda_graph_padding_enabled": whyGraphShapes,
	"pytorch_backend_config.enable_overlap_scheduler":   whyTRTInternals, "pytorch_backend_config.attn_backend": whyTRTInternals,
	"pytorch_backend_config.torch_compile_enabled": whyTRTInternals, "pytorch_backend_config.enable_iter_perf_stats": whyTRTInternals,
	"pytorch_backend_config.print_iter_log": whyTRTInternals, "pytorch_backend_config.kv_cache_dtype": whyTRTInternals,
}

// applied lists e as applied; setting, when not "", is the benchtui setting it gave a value
// (the last key to set one is the one Source names).
func (o *OptionsFile) applied(e entry, setting string) {
	k := FileKey{Key: e.key, Line: e.line, Value: e.value}
	o.Applied = append(o.Applied, k)
	if setting != "" {
		if o.from == nil {
			o.from = map[string]FileKey{}
		}
		o.from[setting] = k
	}
}

func (o *OptionsFile) ignore(e entry, why string) {
	v := e.value
	if e.isMap {
		v = mapValue(e.sub)
	}
	o.Ignored = append(o.Ignored, FileKey{Key: e.key, Line: e.line, Value: v, Why: why})
}

// mapValue is a mapping's keys and values, for the report.
func mapValue(sub []entry) map[string]any {
	m := map[string]any{}
	for _, e := range sub {
		name := e.key[strings.LastIndexByte(e.key, '.')+1:]
		if e.isMap {
			m[name] = mapValue(e.sub)
		} else {
			m[name] = e.value
		}
	}
	return m
}

// apply applies one top-level key. Values are read with their types (an integer, a string, a
// fraction's number); whether a value is in its range is for the one validation of a run's
// settings to say (session.NormalizeBackend and the commands' runSettings.check), which
// names the key and line that Source gives.
func (o *OptionsFile) apply(e entry) error {
	b, r := &o.Backend, &o.Run
	var err error
	setting := e.key // the benchtui setting the key sets, "" for none
	switch e.key {
	case "threads":
		b.Threads, err = integer(e)
	case "threads_batch":
		b.ThreadsBatch, err = integer(e)
	case "n_gpu_layers":
		b.GPULayers, err = integerPtr(e)
	case "split_mode":
		b.SplitMode, err = str(e)
	case "main_gpu":
		b.MainGPU, err = integer(e)
	case "tensor_split":
		b.TensorSplit, err = floats(e)
	case "flash_attn":
		b.FlashAttn, err = str(e)
	case "kv_cache_dtype":
		// benchtui's own key, and AutoDeploy's (kv_cache_dtype: auto, fp8), whose values
		// are TensorRT-LLM's names.
		if s, isStr := e.value.(string); isStr && o.Format == "yaml" {
			if _, native := kvTypes[s]; !native {
				return o.kvDType(e)
			}
		}
		b.KVCacheDType, err = str(e)
	case "kv_unified":
		b.KVUnified, err = boolPtr(e)
	case "offload_kqv":
		b.OffloadKQV, err = boolPtr(e)
	case "backend_sampling":
		b.BackendSampling, err = boolPtr(e)
	case "cuda_graphs", "use_cuda_graph":
		b.CUDAGraphs, err = boolPtr(e)
		setting = "cuda_graphs"
	case "n_ubatch":
		b.NUBatch, err = integer(e)
	case "kv_cache_free_gpu_mem_fraction", "free_mem_ratio":
		b.KVCacheFreeMemFraction, err = number(e)
		setting = "kv_cache_free_gpu_mem_fraction"
	case "library":
		b.Library, err = str(e)
	case "rpc":
		b.RPC, err = hostList(e)
	case "rpc_measure":
		b.RPCMeasure, err = boolPtr(e)
	case "max_batch_size":
		r.MaxBatchSize, err = integerPtr(e)
	case "max_num_tokens":
		r.MaxNumTokens, err = integerPtr(e)
	case "max_seq_len":
		r.MaxSeqLen, err = integerPtr(e)
	case "tensor_parallel_size", "world_size":
		setting = "tp"
		var tp *int
		if tp, err = integerPtr(e); err == nil && tp != nil {
			if *tp == 0 { // AutoDeploy's world_size 0: one GPU, no worker processes
				*tp = 1
			}
			if r.TP != nil && *r.TP != *tp {
				return fmt.Errorf("%s is %d, but an earlier line set %d GPUs: give one value", e.key, *tp, *r.TP)
			}
			r.TP = tp
		}
	case "pipeline_parallel_size":
		n, err := intIn(e, 1, 1024)
		if err != nil {
			return err
		}
		if n != 1 {
			return fmt.Errorf("pipeline_parallel_size is %d: llama.cpp has no pipeline parallelism here; use tensor_parallel_size", n)
		}
		setting = ""
	case "enable_chunked_prefill":
		on, err := boolPtr(e)
		if err != nil {
			return err
		}
		if on != nil && !*on {
			o.ignore(e, "benchtui always splits prompts across steps within max_num_tokens (chunked prefill)")
			return nil
		}
		setting = ""
	case "kv_cache_config":
		return o.section(e, kvSubKeys, o.kvCacheKey)
	case "cuda_graph_config":
		// Present: CUDA graphs on; null: off (TensorRT-LLM's pytorch default is on,
		// benchtui's off, so a file without the key keeps benchtui's).
		on := e.isMap || e.value != nil
		if bv, isBool := e.value.(bool); isBool {
			on = bv
		}
		b.CUDAGraphs = &on
		o.applied(entry{key: e.key, line: e.line, value: on}, "cuda_graphs")
		return o.section(e, nil, nil)
	case "pytorch_backend_config":
		return o.section(e, []string{"use_cuda_graph"}, func(s entry) error {
			var err error
			if b.CUDAGraphs, err = boolPtr(s); err == nil {
				o.applied(s, "cuda_graphs")
			}
			return err
		})
	default:
		if why, ok := ignoredKeys[e.key]; ok {
			o.ignore(e, why)
			return nil
		}
		return o.unknown(e, append(append(slices.Clone(ownKeys), appliedKeys...), keysOf(ignoredKeys)...))
	}
	if err != nil {
		return err
	}
	o.applied(e, setting)
	return nil
}

// section applies a mapping's keys: known ones with set, those in ignoredSubKeys as ignored.
func (o *OptionsFile) section(e entry, known []string, set func(entry) error) error {
	if !e.isMap {
		if e.value == nil || set == nil {
			return nil
		}
		return fmt.Errorf("%s: want a mapping of keys, got %v", e.key, e.value)
	}
	for _, s := range e.sub {
		name := strings.TrimPrefix(s.key, e.key+".")
		switch {
		case slices.Contains(known, name):
			if err := set(s); err != nil {
				return lineError{s.line, err}
			}
		case ignoredSubKeys[s.key] != "":
			o.ignore(s, ignoredSubKeys[s.key])
		default:
			var all []string
			for k := range ignoredSubKeys {
				if n, ok := strings.CutPrefix(k, e.key+"."); ok {
					all = append(all, n)
				}
			}
			if err := o.unknown(s, append(all, known...)); err != nil {
				return lineError{s.line, err}
			}
		}
	}
	return nil
}

func (o *OptionsFile) kvCacheKey(s entry) error {
	var err error
	switch s.key {
	case "kv_cache_config.free_gpu_memory_fraction":
		if s.value == nil {
			return nil
		}
		if o.Backend.KVCacheFreeMemFraction, err = number(s); err != nil {
			return err
		}
		o.applied(s, "kv_cache_free_gpu_mem_fraction")
		return nil
	case "kv_cache_config.dtype":
		return o.kvDType(s)
	case "kv_cache_config.enable_block_reuse":
		on, err := boolPtr(s)
		if err != nil {
			return err
		}
		if on != nil && *on {
			o.ignore(s, "benchtui shares no KV cells between requests; generated datasets share no prompt prefix, so TensorRT-LLM reuses nothing there either")
			return nil
		}
	}
	if err != nil {
		return err
	}
	o.applied(s, "")
	return nil
}

// kvDType applies TensorRT-LLM's KV cache dtype where llama.cpp has a type of the same
// meaning: auto keeps llama.cpp's default (f16), float16/bfloat16/float32 are those types.
// fp8 and nvfp4 are not llama.cpp's q8_0 or q4_0 (scaled integer blocks), so they are not
// applied.
func (o *OptionsFile) kvDType(s entry) error {
	v, err := str(s)
	if err != nil {
		return err
	}
	switch t := trtDType(v); t {
	case "auto":
		o.applied(s, "")
	case "f16", "bf16", "f32":
		o.Backend.KVCacheDType = t
		o.applied(s, "kv_cache_dtype")
	default:
		o.ignore(s, fmt.Sprintf("TensorRT-LLM's %s KV cache has no llama.cpp type of the same meaning (q8_0 and q4_0 are integer blocks; set kv_cache_dtype for them)", v))
	}
	return nil
}

// trtDType maps TensorRT-LLM's dtype names to llama.cpp's where the meaning is the same;
// other names come back unchanged.
func trtDType(s string) string {
	switch strings.ToLower(s) {
	case "auto":
		return "auto"
	case "float16", "fp16", "half":
		return "f16"
	case "bfloat16", "bf16":
		return "bf16"
	case "float32", "fp32", "float":
		return "f32"
	}
	return s
}

// unknown reports a key benchtui does not know: a near miss of a known key is a typo (an
// error), as is any unknown key of a TOML file; other unknown YAML keys are ignored.
func (o *OptionsFile) unknown(e entry, known []string) error {
	name := e.key[strings.LastIndexByte(e.key, '.')+1:]
	if near := nearest(name, known); near != "" {
		return fmt.Errorf("unknown key %s: did you mean %s?", e.key, strings.TrimSuffix(e.key, name)+near)
	}
	if o.Format == "toml" {
		return fmt.Errorf("unknown key %s (benchtui's keys: %s; or trtllm-bench's, see the README)", e.key, strings.Join(ownKeys, ", "))
	}
	o.ignore(e, whyUnknown)
	return nil
}

// nearest returns the known key within two edits of name (a typo), or "".
func nearest(name string, known []string) string {
	best, bestD := "", 3
	for _, k := range known {
		if d := editDistance(strings.ToLower(strings.ReplaceAll(name, "-", "_")), k); d < bestD {
			best, bestD = k, d
		}
	}
	if len(name) < 4 {
		return ""
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := 1
			if a[i-1] == b[j-1] {
				c = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+c)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func keysOf(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Typed reads of an entry's value; errors say what was wanted and what is there.

func wantErr(e entry, want string) error {
	if e.isMap {
		return fmt.Errorf("%s: want %s, got a mapping", e.key, want)
	}
	return fmt.Errorf("%s: want %s, got %v", e.key, want, describe(e.value))
}

func describe(v any) string {
	if s, ok := v.(string); ok {
		return fmt.Sprintf("%q", s)
	}
	if v == nil {
		return "nothing"
	}
	return fmt.Sprint(v)
}

// whole reads an integer (a float without a fraction counts: YAML and TOML write 1e3).
func whole(e entry) (int64, error) {
	n, ok := e.value.(int64)
	if f, isF := e.value.(float64); isF && f == math.Trunc(f) && math.Abs(f) < 1<<62 {
		n, ok = int64(f), true
	}
	if !ok {
		return 0, wantErr(e, "an integer")
	}
	return n, nil
}

func intIn(e entry, lo, hi int64) (int, error) {
	n, err := whole(e)
	if err != nil {
		return 0, err
	}
	if n < lo || n > hi {
		return 0, fmt.Errorf("%s is %d: want %d to %d", e.key, n, lo, hi)
	}
	return int(n), nil
}

// integer reads a whole number that fits the 32-bit int llama.cpp takes; the range a setting
// must be in is the one validation's to say.
func integer(e entry) (int, error) {
	n, err := whole(e)
	if err != nil {
		return 0, err
	}
	if n < math.MinInt32 || n > math.MaxInt32 {
		return 0, fmt.Errorf("%s is %d: more than a 32-bit integer holds", e.key, n)
	}
	return int(n), nil
}

// integerPtr is integer for a setting that may be left unset (null).
func integerPtr(e entry) (*int, error) {
	if e.value == nil && !e.isMap {
		return nil, nil
	}
	n, err := integer(e)
	if err != nil {
		return nil, err
	}
	return &n, nil
}

func boolPtr(e entry) (*bool, error) {
	if e.value == nil && !e.isMap {
		return nil, nil
	}
	b, ok := e.value.(bool)
	if !ok {
		return nil, wantErr(e, "true or false")
	}
	return &b, nil
}

func str(e entry) (string, error) {
	s, ok := e.value.(string)
	if !ok {
		return "", wantErr(e, "a string")
	}
	return s, nil
}

// number reads a number (a fraction's, whose range the one validation checks).
func number(e entry) (float64, error) {
	switch v := e.value.(type) {
	case float64:
		return v, nil
	case int64:
		return float64(v), nil
	}
	return 0, wantErr(e, "a number")
}

// hostList reads RPC servers: a list of host:port strings, or one comma-separated string
// (the --rpc flag's form).
func hostList(e entry) ([]string, error) {
	if s, ok := e.value.(string); ok {
		var out []string
		for _, h := range strings.Split(s, ",") {
			if h = strings.TrimSpace(h); h != "" {
				out = append(out, h)
			}
		}
		return out, nil
	}
	list, ok := e.value.([]any)
	if !ok {
		return nil, wantErr(e, "a list of host:port strings")
	}
	out := make([]string, len(list))
	for i, x := range list {
		if out[i], ok = x.(string); !ok {
			return nil, wantErr(e, "a list of host:port strings")
		}
	}
	return out, nil
}

func floats(e entry) ([]float64, error) {
	list, ok := e.value.([]any)
	if !ok {
		return nil, wantErr(e, "a list of numbers")
	}
	out := make([]float64, len(list))
	for i, x := range list {
		switch v := x.(type) {
		case float64:
			out[i] = v
		case int64:
			out[i] = float64(v)
		default:
			return nil, wantErr(e, "a list of numbers")
		}
	}
	return out, nil
}
