package llamacpp

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestOptionsFileTOML(t *testing.T) {
	path := writeFile(t, "opts.toml", `# benchtui's own keys
threads = 8
n_gpu_layers = -1
split_mode = "layer"
flash_attn = "on"
kv_cache_dtype = "q8_0"
kv_unified = true
tensor_split = [1, 2.5]
cuda_graphs = true
max_batch_size = 32

[kv_cache_config]
dtype = "fp8"
`)
	o, err := LoadOptionsFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b := o.Backend
	if o.Format != "toml" || b.Threads != 8 || *b.GPULayers != -1 || b.SplitMode != "layer" || b.FlashAttn != "on" ||
		b.KVCacheDType != "q8_0" || !*b.KVUnified || !reflect.DeepEqual(b.TensorSplit, []float64{1, 2.5}) ||
		!*b.CUDAGraphs || *o.Run.MaxBatchSize != 32 {
		t.Errorf("options %+v run %+v", b, o.Run)
	}
	if len(o.Ignored) != 1 || o.Ignored[0].Key != "kv_cache_config.dtype" || o.Ignored[0].Line != 13 {
		t.Errorf("ignored %+v", o.Ignored)
	}

	// benchtui's TOML stays strict: a typo, or any unknown key, is an error with its line.
	for body, want := range map[string]string{
		"threads = 2\nthread = 8\n":                          "line 2: unknown key thread: did you mean threads?",
		"\n\nsomething_else = 1\n":                           "line 3: unknown key something_else (benchtui's keys: threads,",
		"[kv_cache_config]\nfree_gpu_memory_fracton = 0.5\n": "line 2: unknown key kv_cache_config.free_gpu_memory_fracton: did you mean kv_cache_config.free_gpu_memory_fraction?",
		"threads = \"eight\"\n":                              `line 1: threads: want an integer, got "eight"`,
		"flash_attn = 1\n":                                   "line 1: flash_attn: want a string, got 1",
		"threads = 8\nthreads = 9\n":                         "line 2: Key 'threads' has already been defined",
		"kv_cache_free_gpu_mem_fraction = \"most\"\n":        `line 1: kv_cache_free_gpu_mem_fraction: want a number, got "most"`,
		"threads = 3000000000\n":                             "line 1: threads is 3000000000: more than a 32-bit integer holds",
	} {
		_, err := LoadOptionsFile(writeFile(t, "bad.toml", body))
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "bad.toml") {
			t.Errorf("%q: error %v, want it to name the file and say %q", body, err, want)
		}
	}
}

// Values are read with their types only: their ranges are the one validation's, which names
// the key and line Source gives, whatever the file called the setting.
func TestOptionsFileSource(t *testing.T) {
	o, err := LoadOptionsFile(writeFile(t, "c.yaml", "max_batch_size: 0\nworld_size: -2\nkv_cache_config:\n  free_gpu_memory_fraction: 1.5\n  dtype: auto\nflash_attn: sometimes\n"))
	if err != nil {
		t.Fatal(err)
	}
	if *o.Run.MaxBatchSize != 0 || *o.Run.TP != -2 || o.Backend.KVCacheFreeMemFraction != 1.5 || o.Backend.FlashAttn != "sometimes" {
		t.Errorf("backend %+v run %+v", o.Backend, o.Run)
	}
	for setting, want := range map[string]FileKey{
		"max_batch_size":                 {Key: "max_batch_size", Line: 1, Value: int64(0)},
		"tp":                             {Key: "world_size", Line: 2, Value: int64(-2)},
		"kv_cache_free_gpu_mem_fraction": {Key: "kv_cache_config.free_gpu_memory_fraction", Line: 4, Value: 1.5},
		"flash_attn":                     {Key: "flash_attn", Line: 6, Value: "sometimes"},
	} {
		if got, ok := o.Source(setting); !ok || !reflect.DeepEqual(got, want) {
			t.Errorf("Source(%s) = %+v, %v; want %+v", setting, got, ok, want)
		}
	}
	// dtype: auto keeps llama.cpp's default: it sets nothing.
	if k, ok := o.Source("kv_cache_dtype"); ok {
		t.Errorf("Source(kv_cache_dtype) = %+v for dtype: auto", k)
	}
}

func TestOptionsFileYAML(t *testing.T) {
	// The examples the seed script passes as the guide's config.yaml and pytorch_config.yaml.
	ad, err := LoadOptionsFile("../../scripts/testdata/autodeploy-config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if ad.Format != "yaml" || *ad.Run.MaxBatchSize != 256 || *ad.Run.TP != 1 || ad.Backend.KVCacheFreeMemFraction != 0.8 || ad.Backend.CUDAGraphs != nil {
		t.Errorf("autodeploy: backend %+v run %+v", ad.Backend, ad.Run)
	}
	if got, want := ad.IgnoredKeys(), []string{"compile_backend", "runtime", "attn_backend", "skip_loading_weights", "cuda_graph_batch_sizes"}; !slices.Equal(got, want) {
		t.Errorf("autodeploy ignored %v, want %v", got, want)
	}
	pt, err := LoadOptionsFile("../../scripts/testdata/pytorch-config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !*pt.Backend.CUDAGraphs || pt.Backend.KVCacheFreeMemFraction != 0.9 || pt.Backend.KVCacheDType != "" || *pt.Run.MaxNumTokens != 8192 {
		t.Errorf("pytorch: backend %+v run %+v", pt.Backend, pt.Run)
	}
	if got, want := pt.IgnoredKeys(), []string{"cuda_graph_config.enable_padding", "cuda_graph_config.batch_sizes",
		"enable_attention_dp", "disable_overlap_scheduler", "stream_interval", "moe_config"}; !slices.Equal(got, want) {
		t.Errorf("pytorch ignored %v, want %v", got, want)
	}
	var applied []string
	for _, k := range pt.Applied {
		applied = append(applied, k.Key)
	}
	if want := []string{"cuda_graph_config", "kv_cache_config.free_gpu_memory_fraction", "kv_cache_config.enable_block_reuse",
		"kv_cache_config.dtype", "enable_chunked_prefill", "max_num_tokens"}; !slices.Equal(applied, want) {
		t.Errorf("pytorch applied %v, want %v", applied, want)
	}
	if pt.Ignored[0].Line != 6 || pt.Ignored[5].Value.(map[string]any)["backend"] != "CUTLASS" {
		t.Errorf("ignored keys' lines and values: %+v", pt.Ignored)
	}

	// By content, whatever the name: YAML in a .toml file, TOML in a .yaml file.
	if o, err := LoadOptionsFile(writeFile(t, "x.toml", "---\nmax_batch_size: 4\n")); err != nil || o.Format != "yaml" || *o.Run.MaxBatchSize != 4 {
		t.Errorf("YAML in .toml: %+v, %v", o, err)
	}
	if o, err := LoadOptionsFile(writeFile(t, "x.yaml", "# comment\nthreads = 3\n")); err != nil || o.Format != "toml" || o.Backend.Threads != 3 {
		t.Errorf("TOML in .yaml: %+v, %v", o, err)
	}

	for _, c := range []struct{ body, want string }{
		{"cuda_graph_config: null\n", "graphs off"},
		{"kv_cache_config:\n  dtype: bfloat16\n", "bf16"},
		{"kv_cache_dtype: fp8\n", "ignored"},
		{"some_future_trtllm_knob: 3\n", "ignored"},
	} {
		o, err := LoadOptionsFile(writeFile(t, "c.yaml", c.body))
		if err != nil {
			t.Errorf("%q: %v", c.body, err)
			continue
		}
		switch c.want {
		case "graphs off":
			if o.Backend.CUDAGraphs == nil || *o.Backend.CUDAGraphs {
				t.Errorf("%q: CUDA graphs %v", c.body, o.Backend.CUDAGraphs)
			}
		case "bf16":
			if o.Backend.KVCacheDType != "bf16" {
				t.Errorf("%q: KV type %q", c.body, o.Backend.KVCacheDType)
			}
		case "ignored":
			if len(o.Ignored) != 1 || o.Backend.KVCacheDType != "" {
				t.Errorf("%q: ignored %+v backend %+v", c.body, o.Ignored, o.Backend)
			}
		}
	}

	// A typo of a known key is an error naming the file and line; so are wrong types.
	for body, want := range map[string]string{
		"compile_backend: torch-opt\nmax_batch_szie: 8\n":    "line 2: unknown key max_batch_szie: did you mean max_batch_size?",
		"kv_cache_config:\n  free_gpu_memory_fracion: 0.5\n": "line 2: unknown key kv_cache_config.free_gpu_memory_fracion: did you mean kv_cache_config.free_gpu_memory_fraction?",
		"max_batch_size: lots\n":                             `line 1: max_batch_size: want an integer, got "lots"`,
		"tensor_parallel_size: 2\nworld_size: 4\n":           "line 2: world_size is 4, but an earlier line set 2 GPUs",
		"pipeline_parallel_size: 2\n":                        "line 1: pipeline_parallel_size is 2: llama.cpp has no pipeline parallelism here",
		"max_batch_size: [1, 2\n":                            "line 1",
		"max_batch_size: 8\nruntime: x\nmax_batch_size: 9\n": "line 3: max_batch_size is already set on line 1",
		"kv_cache_config:\n  dtype: auto\n  dtype: fp8\n":    "line 3: kv_cache_config.dtype is already set on line 2",
		"- 1\n- 2\n": "line 1: the file must be a mapping of keys",
		"kv_cache_config:\n  enable_block_reuse: maybe\n": `line 2: kv_cache_config.enable_block_reuse: want true or false, got "maybe"`,
	} {
		_, err := LoadOptionsFile(writeFile(t, "bad.yaml", body))
		if err == nil || !strings.Contains(err.Error(), "bad.yaml "+want) {
			t.Errorf("%q: error %v, want it to name the file and say %q", body, err, want)
		}
	}
}
