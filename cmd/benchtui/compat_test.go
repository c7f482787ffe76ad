package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/benchtui/benchtui/synth"
)

// tinyConfig is a Hugging Face config.json with exactly the tiny preset's shapes.
const tinyConfig = `{"model_type": "llama", "architectures": ["LlamaForCausalLM"], "hidden_size": 256,
  "num_hidden_layers": 4, "num_attention_heads": 4, "num_key_value_heads": 2, "intermediate_size": 768,
  "vocab_size": 2048, "max_position_embeddings": 4096, "rope_theta": 10000.0, "rms_norm_eps": 1e-05,
  "tie_word_embeddings": false}`

// miniQwen3 is a small qwen3 config that is no preset's: q/k norms, 4 heads of 48 on a
// 128-wide stream.
const miniQwen3 = `{"model_type": "qwen3", "hidden_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4,
  "num_key_value_heads": 2, "head_dim": 48, "intermediate_size": 256, "vocab_size": 1024,
  "max_position_embeddings": 2048, "rope_theta": 1000000, "rms_norm_eps": 1e-06, "tie_word_embeddings": true}`

func modelFolder(t *testing.T, name, config string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// A Hugging Face model folder runs as the synthetic model of its config's shapes; the console
// says what it resolved to and the report says the weights were synthetic.
func TestModelFolders(t *testing.T) {
	for _, c := range []struct {
		name, config, preset, line string
	}{
		{"Tiny-Llama", tinyConfig, "tiny", "preset tiny, the shapes of"},
		{"Mini-Qwen3", miniQwen3, "config-qwen3-", "the architecture of"},
	} {
		dir := modelFolder(t, c.name, c.config)
		report := filepath.Join(t.TempDir(), "report.json")
		code, _, errs := runCLI(t, "--model", dir, "throughput", "--num_requests", "4", "--isl", "16", "--osl", "4",
			"--warmup", "0", "--report_json", report)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", c.name, code, errs)
		}
		if !strings.Contains(errs, "benchtui: "+dir+": "+c.line) || !strings.Contains(errs, "synthetic f16 weights") {
			t.Errorf("%s: no model line in\n%s", c.name, errs)
		}
		var rep map[string]any
		readJSON(t, report, &rep)
		bt := rep["benchtui"].(map[string]any)
		if rep["engine"].(map[string]any)["model"] != dir || !strings.HasPrefix(bt["model_preset"].(string), c.preset) || bt["synthetic_weights"] != true {
			t.Errorf("%s: engine %v, benchtui preset %v synthetic %v", c.name, rep["engine"], bt["model_preset"], bt["synthetic_weights"])
		}
	}
}

// TensorRT-LLM's backends stop with one line that says what they are and which commands
// benchmark such an engine with benchtui, built from the flags given.
func TestTRTBackendsSayWhatToRun(t *testing.T) {
	for _, b := range []string{"pytorch", "_autodeploy", "tensorrt"} {
		code, out, errs := runCLI(t, "--model", "meta-llama/Llama-3.1-8b", "throughput", "--dataset", "data set.txt",
			"--backend", b, "--max_batch_size", "256", "--extra_llm_api_options", "config.yaml", "--tp", "2")
		if code != 2 || out != "" || strings.Count(errs, "\n") != 1 {
			t.Fatalf("--backend %s: exit %d, stdout %q, stderr %q", b, code, out, errs)
		}
		for _, want := range []string{"--backend " + b + " is TensorRT-LLM's",
			"trtllm-serve meta-llama/Llama-3.1-8b --backend " + b + " --extra_llm_api_options config.yaml --tp_size 2 --max_batch_size 256",
			"benchtui --model meta-llama/Llama-3.1-8b throughput --backend openai --base_url http://localhost:8000/v1 --dataset 'data set.txt'",
			"leave out --backend to benchmark llama.cpp"} {
			if !strings.Contains(errs, want) {
				t.Errorf("--backend %s: %q lacks %q", b, errs, want)
			}
		}
	}
}

// trtllm-bench's YAML applies what has a llama.cpp equivalent, names the rest in one warning
// line and in the report; flags given win; a batch size above llama.cpp's 256 sequences runs
// as 256 and says so.
func TestOptionsFileRun(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	os.WriteFile(cfg, []byte("compile_backend: torch-opt\nmax_batch_size: 384\nmax_num_tokens: 64\nkv_cache_config:\n  tokens_per_block: 32\n"), 0o644)
	report := filepath.Join(dir, "report.json")
	code, _, errs := runCLI(t, "--model", "tiny", "throughput", "--num_requests", "6", "--isl", "16", "--osl", "4",
		"--warmup", "0", "--extra_llm_api_options", cfg, "--max_num_tokens", "512", "--output", report)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(errs, "benchtui: "+cfg+": ignored, no llama.cpp equivalent (the report's config says why): compile_backend, kv_cache_config.tokens_per_block\n") {
		t.Errorf("no warning line for the ignored keys in\n%s", errs)
	}
	if !strings.Contains(errs, "benchtui: max_batch_size: 384 in "+cfg+" line 2 is above llama.cpp's 256 sequences at once: ran with 256\n") {
		t.Errorf("no line for the batch size in\n%s", errs)
	}
	var rep map[string]any
	readJSON(t, report, &rep)
	world := rep["world_info"].(map[string]any)
	if world["max_batch_size"].(float64) != 256 || world["max_num_tokens"].(float64) != 512 {
		t.Errorf("world_info %v: want the file's batch size (as 256) and the flag's 512 tokens", world)
	}
	conf := rep["benchtui"].(map[string]any)["config"].(map[string]any)
	of := conf["options_file"].(map[string]any)
	ignored := of["ignored"].([]any)
	if of["format"] != "yaml" || len(ignored) != 2 || ignored[0].(map[string]any)["why"] == "" || ignored[0].(map[string]any)["line"].(float64) != 1 {
		t.Errorf("options_file %v", of)
	}
	if notes := conf["notes"].([]any); len(notes) != 1 {
		t.Errorf("notes %v", notes)
	}

	// A typo of a key is an error naming the file and the line, before anything runs.
	os.WriteFile(cfg, []byte("max_batch_size: 8\nmax_num_tokns: 64\n"), 0o644)
	code, _, errs = runCLI(t, "--model", "tiny", "throughput", "--extra_llm_api_options", cfg)
	if code != 2 || errs != "benchtui: config "+cfg+" line 2: unknown key max_num_tokns: did you mean max_num_tokens?\n" {
		t.Errorf("typo: exit %d, %q", code, errs)
	}
}

// prepare-dataset takes a Hugging Face id as its tokenizer: the vocabulary of the preset the
// id stands for, which the benchmark of the same id then has.
func TestPrepareDatasetHFTokenizer(t *testing.T) {
	code, out, errs := runCLI(t, "prepare-dataset", "--stdout", "--tokenizer", "meta-llama/Llama-3.1-8b", "token-norm-dist",
		"--input-mean", "64", "--output-mean", "8", "--input-stdev", "0", "--output-stdev", "0", "--num-requests", "20")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(errs, "tokenizer meta-llama/Llama-3.1-8b: the synthetic vocabulary of model llama-3.1-8b (128256 tokens, EOS id 2)") {
		t.Errorf("stderr %q", errs)
	}
	if strings.Count(out, "\n") != 20 || !strings.Contains(out, `"output_tokens":8`) {
		t.Errorf("dataset:\n%s", out)
	}
	// Ids above the tiny vocabulary show that the 128256-token vocabulary was used.
	big := false
	for _, tok := range strings.FieldsFunc(out, func(r rune) bool { return r < '0' || r > '9' }) {
		if len(tok) >= 5 {
			big = true
		}
	}
	if !big {
		t.Error("no token id of five digits in 1280 tokens of a 128256-token vocabulary")
	}
}

// sweep takes --output as well as --out, a dataset for every point, an options file, and
// batch sizes above 256 as 256; its help shows the guide's two loops as one command each.
func TestSweepGuideLoops(t *testing.T) {
	code, out, _ := runCLI(t, "sweep", "--help")
	if code != 0 || !strings.Contains(out, "--isl 128,512,1024,2048 --osl 128,512,1024,2048") ||
		!strings.Contains(out, "--max_batch_size 32,64,128,256,384 --extra_llm_api_options config.yaml --output sweep-bs") ||
		!strings.Contains(out, "--out string, --output") {
		t.Errorf("sweep help:\n%s", out)
	}
	dir := t.TempDir()
	data := filepath.Join(dir, "dataset.txt")
	if code, _, errs := runCLI(t, "prepare-dataset", "--output", data, "--tokenizer", "tiny", "token-norm-dist", "--input-mean", "16",
		"--output-mean", "4", "--input-stdev", "0", "--output-stdev", "0", "--num-requests", "6"); code != 0 {
		t.Fatal(errs)
	}
	cfg := filepath.Join(dir, "config.yaml")
	os.WriteFile(cfg, []byte("runtime: trtllm\nmax_num_tokens: 512\n"), 0o644)
	outDir := filepath.Join(dir, "sweep-bs")
	code, md, errs := runCLI(t, "sweep", "--model", "tiny", "--dataset", data, "--max_batch_size", "2,300", "--warmup", "0",
		"--extra_llm_api_options", cfg, "--output", outDir, "--quiet")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(errs, "--max_batch_size 300 is above llama.cpp's 256 sequences at once: those points run as 256") ||
		!strings.Contains(errs, cfg+": ignored, no llama.cpp equivalent (the report's config says why): runtime") {
		t.Errorf("stderr:\n%s", errs)
	}
	var sw map[string]any
	readJSON(t, filepath.Join(outDir, "sweep.json"), &sw)
	if !strings.Contains(md, "| 2 ") || !strings.Contains(md, "| 256 ") {
		t.Errorf("sweep table:\n%s", md)
	}
	points, _ := filepath.Glob(filepath.Join(outDir, "points", "*.json"))
	if len(points) != 2 {
		t.Fatalf("%d points, want 2", len(points))
	}
	var rep map[string]any
	readJSON(t, points[0], &rep)
	if n := rep["request_info"].(map[string]any)["num_requests"].(float64); n != 6 || rep["world_info"].(map[string]any)["max_num_tokens"].(float64) != 512 {
		t.Errorf("point report: %v requests, world %v", n, rep["world_info"])
	}
	// Every point's settings are checked before the first loads, a file's named by its key.
	os.WriteFile(cfg, []byte("max_batch_size: 0\n"), 0o644)
	if code, _, errs := runCLI(t, "sweep", "--model", "tiny", "--extra_llm_api_options", cfg, "--output", filepath.Join(dir, "bad")); code != 2 ||
		errs != "benchtui: max_batch_size: 0 in "+cfg+" line 1: it must be between 1 and 256, the most sequences llama.cpp decodes at once\n" {
		t.Errorf("batch 0 in the options file: exit %d %q", code, errs)
	}
	// The lengths are the dataset's; --isl would contradict it.
	if code, _, errs := runCLI(t, "sweep", "--model", "tiny", "--dataset", data, "--isl", "8"); code != 2 || !strings.Contains(errs, "give one or the other") {
		t.Errorf("--isl with --dataset: exit %d %s", code, errs)
	}
}

// benchtui models lists every preset with its architecture and Hugging Face ids.
func TestModelsList(t *testing.T) {
	code, out, _ := runCLI(t, "models")
	if code != 0 {
		t.Fatal(code)
	}
	lines := map[string]string{}
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) > 0 {
			lines[f[0]] = l
		}
	}
	for _, name := range synth.Presets() {
		if lines[name] == "" {
			t.Errorf("no line for %s", name)
		}
	}
	for name, want := range map[string][]string{
		"gpt-oss-20b":    {"gpt-oss", "32x2880", "201088", "20.91B", "openai/gpt-oss-20b"},
		"llama-3.1-405b": {"126", "16384", "405.85B", "meta-llama/Llama-3.1-405B"},
		"qwen3-32b":      {"qwen3", "Qwen/Qwen3-32B"},
		"mixtral-8x7b":   {"8x14336", "mistralai/Mixtral-8x7B-v0.1"},
	} {
		for _, w := range want {
			if !strings.Contains(lines[name], w) {
				t.Errorf("%s line %q lacks %q", name, lines[name], w)
			}
		}
	}
}

// The dashboard reads --extra_llm_api_options the same way, and a YAML file given as its
// --config (its own TOML settings) says where it belongs.
func TestDashboardOptionsFile(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	os.WriteFile(cfg, []byte("max_batch_size: 8\nflash_atn: on\n"), 0o644)
	code, _, errs := runCLI(t, "--extra_llm_api_options", cfg)
	if code != 2 || !strings.Contains(errs, cfg+" line 2: unknown key flash_atn: did you mean flash_attn?") {
		t.Errorf("typo: exit %d, %q", code, errs)
	}
	code, _, errs = runCLI(t, "--config", cfg)
	if code != 2 || !strings.Contains(errs, "pass an options file as --extra_llm_api_options") {
		t.Errorf("YAML as --config: exit %d, %q", code, errs)
	}
	// The file's values are checked as the flags' are, named by its key and line; a flag or
	// the dashboard's settings file gives a setting before the options file does.
	os.WriteFile(cfg, []byte("# trtllm-bench's\nmax_batch_size: 0\n"), 0o644)
	code, _, errs = runCLI(t, "--extra_llm_api_options", cfg, "--config", "")
	if code != 2 || errs != "benchtui: max_batch_size: 0 in "+cfg+" line 2: it must be between 1 and 256, the most sequences llama.cpp decodes at once\n" {
		t.Errorf("batch 0 in the options file: exit %d, %q", code, errs)
	}
	settings := filepath.Join(dir, "settings.toml")
	os.WriteFile(settings, []byte("max_batch_size = 4\n"), 0o644)
	for _, args := range [][]string{{"--config", settings}, {"--config", "", "--max_batch_size", "4"}} {
		code, _, errs = runCLI(t, append(args, "--extra_llm_api_options", cfg)...)
		if code != 2 || !strings.Contains(errs, "the dashboard needs a terminal") {
			t.Errorf("%v over the options file: exit %d, %q", args, code, errs)
		}
	}
	// Without a terminal the dashboard stops after reading the file, which is applied.
	os.WriteFile(cfg, []byte("max_batch_size: 300\ncompile_backend: torch-opt\n"), 0o644)
	code, _, errs = runCLI(t, "--extra_llm_api_options", cfg, "--config", "")
	if code != 2 || !strings.Contains(errs, "ran with 256") || !strings.Contains(errs, "ignored, no llama.cpp equivalent (the report's config says why): compile_backend") ||
		!strings.Contains(errs, "the dashboard needs a terminal") {
		t.Errorf("no terminal: exit %d, %q", code, errs)
	}
}
