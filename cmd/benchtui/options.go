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

// clampBatch runs a max_batch_size above llama.cpp's most sequences at once with that most,
// saying so in one line: trtllm-bench's guide sweeps batch sizes up to 384, and a larger
// limit than the engine can hold changes nothing but the figure in the report, which then
// says what ran. It returns the note for the report's config ("" when nothing changed).
func clampBatch(n *int, stderr io.Writer) string {
	if *n <= llamacpp.MaxSequences {
		return ""
	}
	note := fmt.Sprintf("max_batch_size %d is above llama.cpp's %d sequences at once: ran with %d", *n, llamacpp.MaxSequences, llamacpp.MaxSequences)
	fmt.Fprintln(stderr, "benchtui: "+note)
	*n = llamacpp.MaxSequences
	return note
}

// backendOptions merges the options file with the flags; flags given on the command line win.
func backendOptions(f *benchFlags, of *llamacpp.OptionsFile, set map[string]bool) (llamacpp.BackendOptions, error) {
	var o llamacpp.BackendOptions
	if of != nil {
		o = of.Backend
	}
	if set["threads"] || o.Threads == 0 {
		o.Threads = f.Threads
	}
	if set["n_gpu_layers"] || o.GPULayers == nil {
		o.GPULayers = &f.GPULayers
	}
	if set["flash_attn"] || o.FlashAttn == "" {
		o.FlashAttn = f.FlashAttn
	}
	if set["kv_cache_dtype"] || o.KVCacheDType == "" {
		o.KVCacheDType = f.KVDtype
	}
	if set["kv_cache_free_gpu_mem_fraction"] || o.KVCacheFreeMemFraction == 0 {
		o.KVCacheFreeMemFraction = f.KVFraction
	}
	if set["llama_lib"] || o.Library == "" {
		o.Library = f.LlamaLib
	}
	return session.NormalizeBackend(o)
}
