package main

import (
	"io"
	"strconv"

	"github.com/benchtui/benchtui/dataset"
)

// sweepExamples ends sweep's help: trtllm-bench's guide sweeps ISL/OSL and batch sizes with
// shell loops over prepare_dataset.py and trtllm-bench; each loop is one sweep here.
const sweepExamples = `
trtllm-bench's ISL/OSL loop (16 datasets of 256 requests, one run each) as one command; each
point's requests are the token-norm-dist set prepare-dataset --tokenizer M writes with the
same lengths and seed:
  benchtui sweep --model meta-llama/Llama-3.1-8b --isl 128,512,1024,2048 --osl 128,512,1024,2048 \
    --num_requests 256 --extra_llm_api_options config.yaml --output sweep-isl-osl

trtllm-bench's batch-size loop over one dataset as one command (384 runs as 256, llama.cpp's
most sequences at once):
  benchtui sweep --model meta-llama/Llama-3.1-8b --dataset dataset.txt \
    --max_batch_size 32,64,128,256,384 --extra_llm_api_options config.yaml --output sweep-bs

Results: OUT/sweep.json (every run's report), OUT/sweep.csv, OUT/sweep.md, OUT/points/.
`

// sweepFileSettings reads the options file and makes its values the defaults of the axes
// and settings not given as flags: max_batch_size, tp, n_gpu_layers, flash_attn,
// kv_cache_dtype and max_num_tokens. Its other backend options apply to every point.
func sweepFileSettings(f *sweepFlags, set map[string]bool, raw []string, stderr io.Writer) error {
	of, err := readOptionsFile(f.ConfigFile, stderr)
	if err != nil || of == nil {
		return err
	}
	f.fileOpts = of
	if of.Run.MaxNumTokens != nil && !set["max_num_tokens"] {
		f.MaxNumTokens = *of.Run.MaxNumTokens
	}
	if of.Run.MaxSeqLen != nil {
		return badInput("%s: max_seq_len is not a sweep setting: a sweep sizes each point's KV cache from its requests", f.ConfigFile)
	}
	b := of.Backend
	file := map[string]string{}
	if of.Run.MaxBatchSize != nil {
		file["max_batch_size"] = strconv.Itoa(*of.Run.MaxBatchSize)
	}
	if of.Run.TP != nil {
		file["tp"] = strconv.Itoa(*of.Run.TP)
	}
	if b.GPULayers != nil {
		file["n_gpu_layers"] = strconv.Itoa(*b.GPULayers)
	}
	if b.FlashAttn != "" {
		file["flash_attn"] = b.FlashAttn
	}
	if b.KVCacheDType != "" {
		file["kv_cache_dtype"] = b.KVCacheDType
	}
	for i, a := range sweepAxes {
		if v, ok := file[a.name]; ok && !set[a.name] {
			raw[i] = v
		}
	}
	return nil
}

// sweepDataset reads --dataset once for every point.
func sweepDataset(f *sweepFlags, set map[string]bool) error {
	if f.Dataset == "" {
		return nil
	}
	for _, name := range []string{"isl", "osl", "isl_stdev", "osl_stdev"} {
		if set[name] {
			return badInput("--%s sets the lengths of generated requests, and --dataset %s gives its own: give one or the other", name, f.Dataset)
		}
	}
	n := 0
	if set["num_requests"] {
		n = f.NumRequests
	}
	res, err := dataset.ReadFile(f.Dataset, dataset.ReadOptions{NumRequests: n})
	if err != nil {
		return usageError{err}
	}
	f.requests = res.Requests
	return nil
}
