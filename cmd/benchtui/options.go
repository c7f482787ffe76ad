package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/benchtui/benchtui/engine/llamacpp"
	"github.com/benchtui/benchtui/session"
)

// readOptionsFile reads --config / --extra_llm_api_options (benchtui's TOML or
// trtllm-bench's YAML), nil without one. Keys without a llama.cpp equivalent are named in one
// warning line; the report's config lists them with their reasons.
func readOptionsFile(path string, stderr io.Writer) (*llamacpp.OptionsFile, error) {
	if path == "" {
		return nil, nil
	}
	of, err := llamacpp.LoadOptionsFile(path)
	if err != nil {
		return nil, usageError{err}
	}
	if len(of.Ignored) > 0 {
		fmt.Fprintf(stderr, "benchtui: %s: ignored, no llama.cpp equivalent (the report's config says why): %s\n",
			path, strings.Join(of.IgnoredKeys(), ", "))
	}
	return of, nil
}

// fileRunSettings fills the run settings of an options file into the flags that were not
// given on the command line, which win.
func fileRunSettings(of *llamacpp.OptionsFile, set map[string]bool, batch, tokens, seqLen, tp *int) {
	if of == nil {
		return
	}
	for _, s := range []struct {
		flag string
		from *int
		to   *int
	}{{"max_batch_size", of.Run.MaxBatchSize, batch}, {"max_num_tokens", of.Run.MaxNumTokens, tokens},
		{"max_seq_len", of.Run.MaxSeqLen, seqLen}, {"tp", of.Run.TP, tp}} {
		if s.from != nil && s.to != nil && !set[s.flag] {
			*s.to = *s.from
		}
	}
}

// backendOptions merges the options file with the flags; flags given on the command line win
// over the file, and the file over the flags' defaults. Its errors name the option as the
// user gave it (see where).
func backendOptions(f *benchFlags, of *llamacpp.OptionsFile, set map[string]bool, name where) (llamacpp.BackendOptions, error) {
	var o llamacpp.BackendOptions
	if of != nil {
		o = of.Backend
	}
	flag := func(key string) bool {
		_, inFile := of.Source(key)
		return set[flagOf(key)] || !inFile
	}
	if flag("threads") {
		o.Threads = f.Threads
	}
	if flag("n_gpu_layers") {
		o.GPULayers = &f.GPULayers
	}
	if flag("flash_attn") {
		o.FlashAttn = f.FlashAttn
	}
	if flag("kv_cache_dtype") {
		o.KVCacheDType = f.KVDtype
	}
	if flag("kv_cache_free_gpu_mem_fraction") {
		o.KVCacheFreeMemFraction = f.KVFraction
	}
	if flag("library") {
		o.Library = f.LlamaLib
	}
	if err := rpcOptions(&o, f.RPC, f.TensorSplit, f.RPCMeasure, set, flag); err != nil {
		return o, usageError{err}
	}
	o, err := session.NormalizeBackend(o)
	if err != nil {
		return o, optionError(err, name)
	}
	return o, nil
}
