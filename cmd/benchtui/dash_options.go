package main

import (
	"io"

	"github.com/benchtui/benchtui/engine/llamacpp"
	"github.com/benchtui/benchtui/session"
)

// dashOptionsFile applies --extra_llm_api_options (trtllm-bench's YAML or benchtui's options
// TOML) to the dashboard: its max_batch_size, max_num_tokens and tensor_parallel_size where
// neither a flag nor the dashboard's settings file changed them, and its backend options
// where the flags do not set them. It returns the backend options, normalised.
func dashOptionsFile(c *dashConfig, set map[string]bool, stderr io.Writer) (llamacpp.BackendOptions, error) {
	of, err := readOptionsFile(c.ExtraOptions, stderr)
	if err != nil {
		return llamacpp.BackendOptions{}, err
	}
	var o llamacpp.BackendOptions
	if of != nil {
		def := defaultDashConfig()
		for _, s := range []struct {
			flag      string
			from      *int
			to        *int
			unchanged bool
		}{{"max_batch_size", of.Run.MaxBatchSize, &c.MaxBatchSize, c.MaxBatchSize == def.MaxBatchSize},
			{"max_num_tokens", of.Run.MaxNumTokens, &c.MaxNumTokens, c.MaxNumTokens == def.MaxNumTokens},
			{"tp", of.Run.TP, &c.TP, c.TP == def.TP}} {
			if s.from != nil && s.unchanged && !set[s.flag] {
				*s.to = *s.from
			}
		}
		o = of.Backend
	}
	clampBatch(&c.MaxBatchSize, stderr)
	if set["threads"] || o.Threads == 0 {
		o.Threads = c.Threads
	}
	if set["n_gpu_layers"] || o.GPULayers == nil {
		o.GPULayers = &c.GPULayers
	}
	if set["flash_attn"] || o.FlashAttn == "" {
		o.FlashAttn = c.FlashAttn
	}
	if set["llama_lib"] || o.Library == "" {
		o.Library = c.LlamaLib
	}
	o, err = session.NormalizeBackend(o)
	if err != nil {
		return o, usageError{err}
	}
	return o, nil
}
