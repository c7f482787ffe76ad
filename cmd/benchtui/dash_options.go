package main

import (
	"io"

	"github.com/benchtui/benchtui/engine/llamacpp"
)

// dashOptionsFile applies --extra_llm_api_options (trtllm-bench's YAML or benchtui's options
// TOML) to the dashboard: each setting it gives (max_batch_size, max_num_tokens,
// tensor_parallel_size and the backend options) where neither a flag nor the dashboard's
// settings file (defined says which keys it set) gave one. It returns the file (nil without
// one) and the backend options, to be checked by session.NormalizeBackend.
func dashOptionsFile(c *dashConfig, set map[string]bool, defined func(key string) bool, stderr io.Writer) (*llamacpp.OptionsFile, llamacpp.BackendOptions, error) {
	of, err := readOptionsFile(c.ExtraOptions, stderr)
	if err != nil {
		return nil, llamacpp.BackendOptions{}, err
	}
	given := func(key string) bool { return set[key] || defined(key) }
	var o llamacpp.BackendOptions
	if of != nil {
		for _, s := range []struct {
			flag string
			from *int
			to   *int
		}{{"max_batch_size", of.Run.MaxBatchSize, &c.MaxBatchSize}, {"max_num_tokens", of.Run.MaxNumTokens, &c.MaxNumTokens},
			{"tp", of.Run.TP, &c.TP}} {
			if s.from != nil && !given(s.flag) {
				*s.to = *s.from
			}
		}
		o = of.Backend
	}
	mine := func(key string) bool {
		_, inFile := of.Source(key)
		return given(flagOf(key)) || !inFile
	}
	if mine("threads") {
		o.Threads = c.Threads
	}
	if mine("n_gpu_layers") {
		o.GPULayers = &c.GPULayers
	}
	if mine("flash_attn") {
		o.FlashAttn = c.FlashAttn
	}
	if mine("library") {
		o.Library = c.LlamaLib
	}
	if err := rpcOptions(&o, c.RPC, c.TensorSplit, c.RPCMeasure, set, mine); err != nil {
		return nil, o, err
	}
	return of, o, nil
}
