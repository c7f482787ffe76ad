package session

import (
	"fmt"
	"math"
	"os"
	"strings"

	"github.com/benchtui/benchtui/engine"
	"github.com/benchtui/benchtui/engine/llamacpp"
)

// OptionError is a backend option with a value out of its range or not one of its names.
// Key is the option's name in a config file, which is also its flag's name where it has one.
type OptionError struct {
	Key   string
	Value any
	Msg   string
}

func (e *OptionError) Error() string { return fmt.Sprintf("%s %v: %s", e.Key, e.Value, e.Msg) }

// NormalizeBackend checks the backend options and fills the defaults that depend on other
// settings. Its errors are *OptionErrors.
func NormalizeBackend(o llamacpp.BackendOptions) (llamacpp.BackendOptions, error) {
	bad := func(key string, v any, msg string) (llamacpp.BackendOptions, error) {
		return o, &OptionError{Key: key, Value: v, Msg: msg}
	}
	switch {
	case o.Threads < 0:
		return bad("threads", o.Threads, "it must be 0 (all CPUs) or more")
	case o.ThreadsBatch < 0:
		return bad("threads_batch", o.ThreadsBatch, "it must be 0 (as threads) or more")
	case o.GPULayers != nil && *o.GPULayers < -1:
		return bad("n_gpu_layers", *o.GPULayers, "it must be -1 (all), 0 (none) or a layer count")
	case o.MainGPU < 0:
		return bad("main_gpu", o.MainGPU, "it must be a GPU index, 0 or more")
	case o.NUBatch < 0:
		return bad("n_ubatch", o.NUBatch, "it must be 0 (llama.cpp's default) or more")
	case math.IsNaN(o.KVCacheFreeMemFraction) || o.KVCacheFreeMemFraction < 0 || o.KVCacheFreeMemFraction > 1:
		return bad("kv_cache_free_gpu_mem_fraction", o.KVCacheFreeMemFraction, "it must be between 0 and 1")
	}
	for _, v := range o.TensorSplit {
		if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
			return bad("tensor_split", o.TensorSplit, "every share must be a number of 0 or more")
		}
	}
	if err := llamacpp.CheckRPC(o.RPC); err != nil {
		return bad("rpc", strings.Join(o.RPC, ","), err.Error())
	}
	lo := llamacpp.Options{SplitMode: o.SplitMode, FlashAttn: o.FlashAttn, KVType: o.KVCacheDType}
	if err := llamacpp.CheckOptions(&lo); err != nil {
		// Its message is `key "value": what is wanted`.
		key, _, _ := strings.Cut(err.Error(), " ")
		_, msg, _ := strings.Cut(err.Error(), ": ")
		return bad(key, fmt.Sprintf("%q", optionValue(o, key)), msg)
	}
	if o.GPULayers == nil {
		all := -1
		o.GPULayers = &all
	}
	if o.OffloadKQV == nil {
		t := true
		o.OffloadKQV = &t
	}
	if o.KVUnified == nil {
		// A unified cache is needed when its size comes from free memory (shared cells);
		// otherwise each sequence has its own max_seq_len cells, as llama-batched-bench does.
		u := o.KVCacheFreeMemFraction > 0
		o.KVUnified = &u
	}
	return o, nil
}

// optionValue is the value of one of the named options CheckOptions checks.
func optionValue(o llamacpp.BackendOptions, key string) string {
	switch key {
	case "split_mode":
		return o.SplitMode
	case "flash_attn":
		return o.FlashAttn
	}
	return o.KVCacheDType
}

// normalizedBackend is o.Backend with its defaults filled, unless the caller did already.
func (o Options) normalizedBackend() (llamacpp.BackendOptions, error) {
	bo := o.Backend
	if bo.GPULayers != nil && bo.OffloadKQV != nil && bo.KVUnified != nil {
		return bo, nil
	}
	bo, err := NormalizeBackend(bo)
	if err != nil {
		return bo, InputError{err}
	}
	return bo, nil
}

// tensorParallel spreads the model over tp GPUs with llama.cpp's tensor split mode.
func tensorParallel(lo *llamacpp.Options, tp int, o llamacpp.BackendOptions, devs []engine.Device) error {
	if tp <= 1 {
		// --tp 1 means one GPU, as in trtllm-bench: without a split mode of the user's,
		// llama.cpp would spread the layers over every GPU it sees. RPC servers are there
		// to be spread over.
		if o.SplitMode == "" && len(o.RPC) == 0 {
			lo.SplitMode = "none"
		}
		return nil
	}
	gpus := 0
	for _, d := range devs {
		if d.Type == "gpu" {
			gpus++
		}
	}
	if gpus < tp {
		if gpus <= 1 {
			return inputErr("--tp %d needs %d GPUs, llama.cpp sees %d: give --tp 1 (one GPU, or the CPU)", tp, tp, gpus)
		}
		return inputErr("--tp %d needs %d GPUs, llama.cpp sees %d: give --tp %d or less", tp, tp, gpus, gpus)
	}
	if o.SplitMode == "" {
		lo.SplitMode = "tensor"
	}
	if len(lo.TensorSplit) == 0 {
		lo.TensorSplit = make([]float32, gpus)
		for i := 0; i < tp; i++ {
			lo.TensorSplit[i] = 1
		}
	}
	return nil
}

// kvCellsFromMemory sizes a unified KV cache from a fraction of the free memory of the device
// that holds it (the first GPU, or host RAM on the CPU).
func kvCellsFromMemory(info engine.BackendInfo, frac float64, kvType string) (int, error) {
	var free uint64
	for _, d := range info.Devices {
		if d.Type == "gpu" && info.GPULayers != 0 {
			free = d.FreeBytes
			break
		}
	}
	if free == 0 {
		free = hostAvailable()
	}
	if info.NHead == 0 || free == 0 {
		return 0, inputErr("cannot size the KV cache from free memory: unknown free memory; pass --max_seq_len instead")
	}
	perCell := kvBytesPerToken(info, kvType)
	cells := int(min(frac*float64(free)/perCell, math.MaxUint32/2))
	if cells < 256 {
		return 0, inputErr("only %d KV cells fit in %.0f%% of %d MiB free", cells, frac*100, free>>20)
	}
	return cells, nil
}

// hostAvailable is the host memory available to a new allocation (MemAvailable), 0 when
// not known.
func hostAvailable() uint64 {
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	var kb uint64
	for _, line := range strings.Split(string(data), "\n") {
		if n, _ := fmt.Sscanf(line, "MemAvailable: %d kB", &kb); n == 1 {
			return kb << 10
		}
	}
	return 0
}
