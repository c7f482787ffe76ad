package main

import (
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/benchtui/benchtui/dataset"
	"github.com/benchtui/benchtui/session"
	"github.com/benchtui/benchtui/sweep"
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

The same points through llama.cpp in process and through llama-server, started here:
  benchtui sweep --backend llamacpp,llama-server --max_batch_size 1,4,16 --output sweep-backends

llama.cpp's micro-batch and CUDA graphs at two batch sizes, each point two batches of requests:
  benchtui sweep --model llama-3.1-8b --max_batch_size 64,256 --requests_per_batch 2 \
    --n_ubatch 256,512,1024 --cuda_graphs off,on --output sweep-settings

The highest request rate a server keeps within an SLO (doubling, then bisection):
  benchtui sweep --backend openai --base_url http://localhost:8000 --request_rate search \
    --slo ttft=200ms,tpot=20ms,attain=99% --rate_start 2 --output sweep-slo

Results: OUT/sweep.json (every run's report), OUT/sweep.csv, OUT/sweep.md, OUT/points/, and
OUT/rate-search.json for a search.
`

// sweepFileSettings reads the options file and makes its values the defaults of the axes
// and settings not given as flags: max_batch_size, tp, n_gpu_layers, flash_attn,
// kv_cache_dtype, n_ubatch, cuda_graphs and max_num_tokens. Its other backend options apply to every point.
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
	if b.NUBatch != 0 {
		file["n_ubatch"] = strconv.Itoa(b.NUBatch)
	}
	if b.CUDAGraphs != nil {
		file["cuda_graphs"] = onOff(*b.CUDAGraphs)
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

func onOff(on bool) string {
	if on {
		return "on"
	}
	return "off"
}

// checkEngineAxes checks the axes of llama.cpp's own settings that need more than one value
// to be checked, and --requests_per_batch.
//
// n_ubatch is llama.cpp's micro-batch: it cannot exceed n_batch (--max_num_tokens), which
// llama.cpp would silently clamp it to. CUDA graphs are set in the process that loads
// llama.cpp before it loads (ggml reads the switch once): each point's backend process gets
// its own, but --in_process loads the library once for every point. llama-server and other
// servers keep their own CUDA graphs setting, and a server that runs already its n_ubatch.
func checkEngineAxes(f *sweepFlags, set map[string]bool, axes []sweep.Axis) error {
	for _, v := range axisValues(axes, "n_ubatch") {
		n, _ := strconv.Atoi(v)
		switch {
		case n < 0:
			return badInput("%s: it must be 0 (llama.cpp's default) or more", f.names("n_ubatch", v))
		case n > f.MaxNumTokens:
			return badInput("%s is more than --max_num_tokens %d, llama.cpp's batch (n_batch), which bounds its micro-batch: lower it or raise --max_num_tokens", f.names("n_ubatch", v), f.MaxNumTokens)
		}
	}
	graphs := axisValues(axes, "cuda_graphs")
	for _, v := range graphs {
		if v != "on" && v != "off" && v != "default" {
			return badInput("%s: want on, off or default (off unless BENCHTUI_CUDA_GRAPHS=1)", f.names("cuda_graphs", v))
		}
	}
	if len(graphs) > 1 && f.InProcess {
		return badInput("--cuda_graphs %s with --in_process: ggml reads the setting once per process, so every point would run with the first; leave out --in_process (each setting then gets its own backend process)", strings.Join(graphs, ","))
	}
	for _, b := range axisValues(axes, "backend") {
		if b == session.BackendLlamaCpp {
			continue
		}
		if !slices.Equal(graphs, []string{"default"}) {
			return badInput("%s with --backend %s: a server keeps its own CUDA graphs setting; sweep it with --backend llamacpp", f.names("cuda_graphs", strings.Join(graphs, ",")), b)
		}
		if ub := axisValues(axes, "n_ubatch"); b == session.BackendOpenAI && !slices.Equal(ub, []string{"0"}) {
			return badInput("%s with --backend openai: the server at --base_url has set its own micro-batch; use --backend llama-server, which starts one with it", f.names("n_ubatch", strings.Join(ub, ",")))
		}
	}
	switch {
	case f.RequestsPerBatch < 0:
		return badInput("--requests_per_batch %d: it must be 1 or more (0: --num_requests)", f.RequestsPerBatch)
	case f.RequestsPerBatch > 0 && set["num_requests"]:
		return badInput("--requests_per_batch and --num_requests both set the requests of a point: give one")
	case f.RequestsPerBatch > 0 && f.Dataset != "":
		return badInput("--requests_per_batch sizes generated request sets, and --dataset %s gives its own: give --num_requests to take the first N of it", f.Dataset)
	}
	return nil
}
