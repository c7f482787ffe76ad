package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/benchtui/benchtui/engine/llamacpp"
	"github.com/benchtui/benchtui/session"
	"github.com/benchtui/benchtui/synth"
)

func TestMain(m *testing.M) {
	// Runs re-execute this binary as their backend process, as benchtui does itself.
	if len(os.Args) > 1 && os.Args[1] == session.ChildCommand {
		os.Exit(session.RunChild("test"))
	}
	// One llama.cpp thread: go test runs packages side by side, and ggml's threads crawl
	// when other processes take the CPUs (see llamacpp.DefaultThreads).
	os.Setenv(llamacpp.ThreadsEnv, "1")
	dir, err := os.MkdirTemp("", "benchtui-cmd-test")
	if err != nil {
		panic(err)
	}
	os.Setenv(synth.CacheDirEnv, dir)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

// A headless run on the tiny model writes trtllm-bench's report, the per-request records and
// the iteration log, and prints the summary sections.
func TestThroughputTiny(t *testing.T) {
	dir := t.TempDir()
	report := filepath.Join(dir, "report.json")
	records := filepath.Join(dir, "requests.json")
	iters := filepath.Join(dir, "iter.jsonl")
	code, out, errs := runCLI(t, "--model", "tiny", "throughput", "--num_requests", "24", "--isl", "32", "--osl", "16",
		"--isl-stdev", "8", "--max-batch-size", "6", "--output", report, "--request_json", records,
		"--iteration_log", iters, "--quiet")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, sec := range []string{"BACKEND DETAILS", "REQUEST DETAILS", "PERFORMANCE OVERVIEW", "DATASET DETAILS"} {
		if !strings.Contains(out, sec) {
			t.Errorf("summary lacks %s", sec)
		}
	}
	var rep map[string]any
	readJSON(t, report, &rep)
	perf := rep["performance"].(map[string]any)
	if v := perf["system_output_throughput_tok_s"].(float64); v <= 0 {
		t.Errorf("output throughput %v", v)
	}
	if n := rep["request_info"].(map[string]any)["num_requests"].(float64); n != 24 {
		t.Errorf("num_requests %v, want 24", n)
	}
	bt := rep["benchtui"].(map[string]any)
	if bt["model_preset"] != "tiny" || bt["config"] == nil {
		t.Errorf("benchtui section %v", bt)
	}
	var recs []map[string]any
	readJSON(t, records, &recs)
	if len(recs) != 24 {
		t.Fatalf("%d request records, want 24", len(recs))
	}
	for _, r := range recs {
		if r["num_total_output_tokens"].(float64) != 16 {
			t.Errorf("record %v: want 16 output tokens", r)
		}
	}
	f, err := os.Open(iters)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lines := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("iteration log line %d: %v", lines+1, err)
		}
		lines++
	}
	if lines < 16 {
		t.Errorf("%d iteration log lines, want at least one per decode step (>= 16)", lines)
	}
}

func TestLatencyTiny(t *testing.T) {
	code, out, errs := runCLI(t, "latency", "--model", "tiny", "--num_requests", "3", "--isl", "16", "--osl", "8", "--quiet")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "Max Runtime Batch Size: 1") {
		t.Errorf("latency run is not batch size 1:\n%s", out)
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// Bad input gets one clear line naming the problem and exit status 2.
func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	long := filepath.Join(dir, "long.jsonl")
	ids := make([]string, 100)
	for i := range ids {
		ids[i] = "5"
	}
	os.WriteFile(long, []byte(`{"task_id":0,"input_ids":[`+strings.Join(ids, ",")+`],"output_tokens":10}`+"\n"), 0o644)
	badCfg := filepath.Join(dir, "bad.toml")
	os.WriteFile(badCfg, []byte("threads = 2\nbogus_key = 1\n"), 0o644)
	badLine := filepath.Join(dir, "bad.jsonl")
	os.WriteFile(badLine, []byte(`{"task_id":0,"input_ids":[1,2],"output_tokens":4}`+"\n"+`{"task_id":1,"input_ids":[1,2]}`+"\n"), 0o644)
	truncated := filepath.Join(dir, "truncated.jsonl")
	os.WriteFile(truncated, []byte(`{"task_id":0,"input_ids":[1,2],"output_tokens":4}`+"\n"+`{"task_id":1,"input_ids":[1,2`), 0o644)
	vocab := filepath.Join(dir, "vocab.jsonl")
	os.WriteFile(vocab, []byte(`{"task_id":0,"input_ids":[1,999999],"output_tokens":4}`+"\n"), 0o644)
	huge := filepath.Join(dir, "huge.jsonl")
	os.WriteFile(huge, []byte(`{"task_id":0,"input_ids":[1,2,3],"output_tokens":4}`+"\n"+`{"task_id":1,"input_ids":[1,2,3],"output_tokens":1000000000}`+"\n"), 0o644)
	negCfg := filepath.Join(dir, "neg.toml")
	os.WriteFile(negCfg, []byte("threads = -3\n"), 0o644)
	ubatchCfg := filepath.Join(dir, "ubatch.toml")
	os.WriteFile(ubatchCfg, []byte("n_ubatch = -1\n"), 0o644)
	// trtllm-bench's YAML: each value is named by the key that set it, with its line.
	batchYAML := filepath.Join(dir, "batch.yaml")
	os.WriteFile(batchYAML, []byte("# batch\nmax_batch_size: 0\n"), 0o644)
	kvYAML := filepath.Join(dir, "kv.yaml")
	os.WriteFile(kvYAML, []byte("max_batch_size: 8\nkv_cache_config:\n  free_gpu_memory_fraction: 1.5\n"), 0o644)
	tpYAML := filepath.Join(dir, "tp.yaml")
	os.WriteFile(tpYAML, []byte("world_size: -1\n"), 0o644)
	seqYAML := filepath.Join(dir, "seq.yaml")
	os.WriteFile(seqYAML, []byte("max_batch_size: 256\nmax_seq_len: 16777217\n"), 0o644)
	attnYAML := filepath.Join(dir, "attn.yaml")
	os.WriteFile(attnYAML, []byte("flash_attn: sometimes\n"), 0o644)
	m, _ := synth.ParseModel("tiny")
	whole, err := synth.Ensure(t.Context(), m, 420, nil)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(whole)
	if err != nil {
		t.Fatal(err)
	}
	truncGGUF := filepath.Join(dir, "truncated.gguf")
	os.WriteFile(truncGGUF, data[:len(data)/2], 0o644)
	notLib := filepath.Join(dir, "libllama.so")
	os.WriteFile(notLib, []byte("not a library"), 0o644)

	cases := []struct {
		name string
		args []string
		want string
	}{
		{"missing model file", []string{"throughput", "--model", filepath.Join(dir, "nope.gguf")}, "nope.gguf"},
		{"unknown preset", []string{"throughput", "--model", "llama-9000"}, "llama-9000"},
		{"prompt longer than context", []string{"throughput", "--dataset", long, "--max_seq_len", "50"}, "longer than the context"},
		{"unknown config key", []string{"throughput", "--config", badCfg}, "bogus_key"},
		{"max_batch_size 0", []string{"throughput", "--max_batch_size", "0"}, "--max_batch_size 0: it must be between 1 and 256"},
		{"stall_timeout 0", []string{"throughput", "--stall_timeout", "0"}, "--stall_timeout 0: it must be a number of seconds above 0"},
		{"stall_timeout NaN", []string{"throughput", "--stall_timeout", "NaN"}, "--stall_timeout NaN: it must be"},
		{"negative threads", []string{"throughput", "--threads", "-2"}, "--threads -2: it must be 0 (all CPUs) or more"},
		{"negative threads in the config", []string{"throughput", "--config", negCfg}, "threads = -3 in " + negCfg + " line 1: it must be 0 (all CPUs) or more"},
		{"negative n_ubatch in the config", []string{"throughput", "--config", ubatchCfg}, "n_ubatch = -1 in " + ubatchCfg + " line 1"},
		{"batch 0 in the YAML", []string{"throughput", "--extra_llm_api_options", batchYAML}, "max_batch_size: 0 in " + batchYAML + " line 2: it must be between 1 and 256"},
		{"batch 0 in the YAML, the flag wins", []string{"throughput", "--extra_llm_api_options", batchYAML, "--max_batch_size", "-4"}, "--max_batch_size -4: it must be between 1 and 256"},
		{"KV fraction in the YAML", []string{"throughput", "--extra_llm_api_options", kvYAML}, "kv_cache_config.free_gpu_memory_fraction: 1.5 in " + kvYAML + " line 3: it must be between 0 and 1"},
		{"KV fraction flag", []string{"throughput", "--kv_cache_free_gpu_mem_fraction", "1.5"}, "--kv_cache_free_gpu_mem_fraction 1.5: it must be between 0 and 1"},
		{"world_size in the YAML", []string{"throughput", "--extra_llm_api_options", tpYAML}, "world_size: -1 in " + tpYAML + " line 1: it must be at least 1"},
		{"batch x seq_len from the YAML", []string{"throughput", "--extra_llm_api_options", seqYAML}, "max_batch_size: 256 in " + seqYAML + " line 1 x max_seq_len: 16777217 in " + seqYAML + " line 2 is 4294967552 KV cells"},
		{"flash_attn in the YAML", []string{"throughput", "--extra_llm_api_options", attnYAML}, "flash_attn: \"sometimes\" in " + attnYAML + " line 1: "},
		{"max_seq_len overflows", []string{"throughput", "--max_seq_len", "268435457"}, "--max_batch_size 16 x --max_seq_len 268435457 is 4294967312 KV cells"},
		{"a billion output tokens", []string{"throughput", "--dataset", huge}, "line 2 of dataset " + huge},
		{"a billion output tokens, batch 1", []string{"throughput", "--dataset", huge, "--max_batch_size", "1"}, "a KV cache of 1 sequence x 1000000003 tokens needs"},
		{"truncated model", []string{"throughput", "--model", truncGGUF}, "model file " + truncGGUF + ": truncated: the file has"},
		{"missing llama_lib", []string{"throughput", "--llama_lib", filepath.Join(dir, "nope")}, "--llama_lib " + filepath.Join(dir, "nope") + ": no such file or folder"},
		{"llama_lib not a library", []string{"throughput", "--llama_lib", notLib}, "load llama.cpp library " + notLib},
		{"malformed dataset line", []string{"throughput", "--dataset", badLine}, "line 2"},
		{"truncated dataset", []string{"throughput", "--dataset", truncated}, "line 2"},
		{"report in a missing folder", []string{"throughput", "--report_json", filepath.Join(dir, "nope", "r.json")}, "no folder " + filepath.Join(dir, "nope")},
		{"token outside vocabulary", []string{"throughput", "--dataset", vocab}, "999999"},
		{"missing dataset", []string{"throughput", "--dataset", filepath.Join(dir, "none.jsonl")}, "dataset " + filepath.Join(dir, "none.jsonl") + ": no such file or directory"},
		{"dataset is a folder", []string{"throughput", "--dataset", dir}, "dataset " + dir + " is a folder"},
		{"iteration log in a missing folder", []string{"throughput", "--iteration_log", filepath.Join(dir, "nope", "i.jsonl")}, "--iteration_log " + filepath.Join(dir, "nope", "i.jsonl") + ": no folder"},
		{"unknown flag", []string{"throughput", "--max_batch", "3"}, "max_batch"},
		{"unknown command", []string{"thruput"}, "thruput"},
		{"concurrency 0", []string{"throughput", "--concurrency", "0"}, "concurrency"},
		{"bad flash_attn", []string{"throughput", "--flash_attn", "maybe"}, "flash_attn"},
		{"unknown backend", []string{"throughput", "--backend", "vllm"}, `--backend "vllm": the only backend is llamacpp`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, errs := runCLI(t, append(c.args, "--quiet")...)
			if code != 2 {
				t.Errorf("exit %d, want 2 (stderr %q)", code, errs)
			}
			lines := strings.Split(strings.TrimSpace(errs), "\n")
			if len(lines) != 1 {
				t.Errorf("stderr has %d lines, want one: %q", len(lines), errs)
			}
			if !strings.Contains(errs, c.want) {
				t.Errorf("stderr %q does not mention %q", errs, c.want)
			}
		})
	}
}

// Settings that trtllm-bench takes but llama.cpp cannot run as they are run anyway, with a
// warning where the run differs: max_num_tokens below max_batch_size (decodes take turns
// within the token budget), and LoRA requests (run on the base model).
func TestRunsWhatItCan(t *testing.T) {
	dir := t.TempDir()
	lora := filepath.Join(dir, "lora.jsonl")
	os.WriteFile(lora, []byte(`{"task_id":0,"input_ids":[1,2,3],"output_tokens":4,"lora_request":{"lora_name":"a","lora_int_id":1,"lora_path":"/a"}}`+"\n"+
		`{"task_id":1,"input_ids":[4,5,6],"output_tokens":4}`+"\n"), 0o644)
	code, _, errs := runCLI(t, "throughput", "--dataset", lora, "--quiet")
	if code != 0 || !strings.Contains(errs, "warning: dataset "+lora+": 1 of its 2 requests has a lora_request; benchtui applies no LoRA adapters") {
		t.Errorf("LoRA dataset: exit %d, stderr %q", code, errs)
	}
	report := filepath.Join(dir, "report.json")
	code, _, errs = runCLI(t, "throughput", "--max_num_tokens", "8", "--max_batch_size", "16", "--num_requests", "16",
		"--isl", "16", "--osl", "8", "--report_json", report, "--quiet")
	if code != 0 {
		t.Fatalf("max_num_tokens 8, max_batch_size 16: exit %d, %s", code, errs)
	}
	var rep map[string]any
	readJSON(t, report, &rep)
	if bt := rep["benchtui"].(map[string]any); bt["num_completed"].(float64) != 16 {
		t.Errorf("%v requests completed, want 16", bt["num_completed"])
	}
}

func TestHelp(t *testing.T) {
	code, out, _ := runCLI(t, "throughput", "--help")
	if code != 0 || !strings.Contains(out, "--max_batch_size") || !strings.Contains(out, "--report_json int") && !strings.Contains(out, "--report_json") {
		t.Errorf("help: exit %d\n%s", code, out)
	}
}

// The dashboard and replay refuse bad input, and a missing terminal, with one line.
func TestDashboardBadInput(t *testing.T) {
	dir := t.TempDir()
	badCfg := filepath.Join(dir, "config.toml")
	os.WriteFile(badCfg, []byte("isl = 64\nbogus = 1\n"), 0o644)
	okCfg := filepath.Join(dir, "ok.toml")
	os.WriteFile(okCfg, []byte("isl = 64\ntheme = \"mono\"\n"), 0o644)
	zeroCfg := filepath.Join(dir, "zero.toml")
	os.WriteFile(zeroCfg, []byte("max_batch_size = 0\n"), 0o644)
	notJSON := filepath.Join(dir, "x.json")
	os.WriteFile(notJSON, []byte("{\"hello\": 1}"), 0o644)
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no terminal", []string{"--config", okCfg}, "needs a terminal"},
		{"unknown config key", []string{"--config", badCfg}, "bogus"},
		{"unknown theme", []string{"dashboard", "--theme", "pink"}, "pink"},
		{"unknown preset", []string{"dashboard", "--model", "llama-9000"}, "llama-9000"},
		{"batch 0", []string{"dashboard", "--max_batch_size", "0"}, "--max_batch_size 0: it must be between 1 and 256"},
		{"batch 0 in the config", []string{"--config", zeroCfg}, "max_batch_size = 0 in " + zeroCfg},
		{"replay missing file", []string{"replay", filepath.Join(dir, "nope.json")}, "nope.json"},
		{"replay not a report", []string{"replay", notJSON}, "neither"},
		{"replay no file", []string{"replay"}, "one file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, errs := runCLI(t, c.args...)
			if code != 2 {
				t.Errorf("exit %d, want 2 (stderr %q)", code, errs)
			}
			if lines := strings.Split(strings.TrimSpace(errs), "\n"); len(lines) != 1 {
				t.Errorf("stderr has %d lines, want one: %q", len(lines), errs)
			}
			if !strings.Contains(errs, c.want) {
				t.Errorf("stderr %q does not mention %q", errs, c.want)
			}
		})
	}
}

// A native crash in the backend process ends the run with one line naming it, and the report
// of the requests that finished is still written. --in_process gives the same results.
func TestThroughputSurvivesBackendCrash(t *testing.T) {
	dir := t.TempDir()
	report := filepath.Join(dir, "report.json")
	// Thousands of steps before the fault, so that snapshots (10 a second) carry finished
	// requests across before the process dies.
	t.Setenv(session.FaultEnv, "abort@3000")
	code, _, errs := runCLI(t, "throughput", "--model", "tiny", "--num_requests", "256", "--isl", "16", "--osl", "64",
		"--max_batch_size", "4", "--warmup", "0", "--report_json", report, "--quiet")
	if code != 1 {
		t.Fatalf("exit %d, want 1 (stderr %q)", code, errs)
	}
	if lines := strings.Split(strings.TrimSpace(errs), "\n"); len(lines) != 1 || !strings.Contains(errs, "backend process died: assertion") {
		t.Errorf("stderr %q: want one line naming the crash", errs)
	}
	var rep map[string]any
	readJSON(t, report, &rep)
	bt := rep["benchtui"].(map[string]any)
	if bt["num_completed"].(float64) == 0 || bt["num_failed"].(float64) == 0 {
		t.Errorf("report has %v completed and %v failed requests, want some of each", bt["num_completed"], bt["num_failed"])
	}

	os.Unsetenv(session.FaultEnv)
	for _, mode := range [][]string{nil, {"--in_process"}} {
		args := append([]string{"throughput", "--model", "tiny", "--num_requests", "12", "--isl", "16", "--osl", "8", "--report_json", report, "--quiet"}, mode...)
		if code, _, errs := runCLI(t, args...); code != 0 {
			t.Fatalf("%v: exit %d: %s", mode, code, errs)
		}
		readJSON(t, report, &rep)
		if n := rep["request_info"].(map[string]any)["num_requests"].(float64); n != 12 {
			t.Errorf("%v: %v requests, want 12", mode, n)
		}
	}
}

// A result that cannot be written where asked (here the name is taken by a folder) is saved
// in the temporary folder, and the error says where.
func TestWriteOrRescue(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	target := filepath.Join(t.TempDir(), "report.json")
	if err := os.Mkdir(target, 0o755); err != nil {
		t.Fatal(err)
	}
	err := writeOrRescue("report", target, target, func(w io.Writer) error { _, err := w.Write([]byte("{}\n")); return err }, true, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "saved to ") {
		t.Fatalf("error %v: want one saying where the report went", err)
	}
	saved := strings.TrimSuffix(err.Error()[strings.Index(err.Error(), "saved to ")+len("saved to "):], " instead")
	if data, rerr := os.ReadFile(saved); rerr != nil || string(data) != "{}\n" {
		t.Errorf("rescued file %s: %q, %v", saved, data, rerr)
	}
}

// A small grid gives its points and files, loads the model once per backend configuration,
// and a second run of the same command resumes: only missing points run.
func TestSweepGridAndResume(t *testing.T) {
	out := filepath.Join(t.TempDir(), "sw")
	args := []string{"sweep", "--model", "tiny", "--flash_attn", "auto,off", "--max_batch_size", "1,2", "--isl", "16",
		"--osl", "4", "--num_requests", "6", "--warmup", "0", "--out", out}
	code, stdout, errs := runCLI(t, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if n := strings.Count(errs, "sweep: loading"); n != 2 {
		t.Errorf("model loaded %d times, want 2 (one per flash_attn value):\n%s", n, errs)
	}
	points, _ := filepath.Glob(filepath.Join(out, "points", "*.json"))
	if len(points) != 4 {
		t.Fatalf("%d point files, want 4", len(points))
	}
	data, err := os.ReadFile(filepath.Join(out, "sweep.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if rows := strings.Split(strings.TrimSpace(string(data)), "\n"); len(rows) != 5 {
		t.Errorf("sweep.csv has %d lines, want a header and 4 points", len(rows))
	}
	var doc struct {
		Points []struct {
			Params  map[string]string `json:"params"`
			Reports []json.RawMessage `json:"reports"`
		} `json:"points"`
	}
	readJSON(t, filepath.Join(out, "sweep.json"), &doc)
	if len(doc.Points) != 4 || doc.Points[3].Params["flash_attn"] != "off" || doc.Points[3].Params["max_batch_size"] != "2" {
		t.Errorf("sweep.json points: %+v", doc.Points)
	}
	if !strings.Contains(stdout, "| flash_attn | max_batch_size |") {
		t.Errorf("the table does not show the swept axes:\n%s", stdout)
	}

	// Resume: nothing runs again; a removed point runs alone.
	os.Remove(points[0])
	code, _, errs = runCLI(t, args...)
	if code != 0 {
		t.Fatalf("resume: exit %d: %s", code, errs)
	}
	if kept, ran := strings.Count(errs, "done before, kept"), strings.Count(errs, "output tok/s"); kept != 3 || ran != 1 {
		t.Errorf("resume kept %d and ran %d points, want 3 and 1:\n%s", kept, ran, errs)
	}
	// Other settings in the same folder are refused, not mixed in.
	if code, _, errs := runCLI(t, append(args, "--repeat", "2")...); code != 2 || !strings.Contains(errs, "other settings") {
		t.Errorf("a different sweep into the same folder: exit %d, %q", code, errs)
	}

	// compare reads two of the points' reports.
	code, stdout, errs = runCLI(t, "compare", points[1], points[2])
	if code != 0 || !strings.Contains(stdout, "output_tok_s") || !strings.Contains(stdout, "%") {
		t.Errorf("compare: exit %d, %s\n%s", code, errs, stdout)
	}
}

// compare reads trtllm-bench's report (same keys) beside benchtui's.
func TestCompareTrtllmReport(t *testing.T) {
	ours := filepath.Join(t.TempDir(), "ours.json")
	if code, _, errs := runCLI(t, "throughput", "--model", "tiny", "--num_requests", "8", "--isl", "16", "--osl", "8", "--report_json", ours, "--quiet"); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	code, out, errs := runCLI(t, "compare", "testdata/trtllm-report.json", ours)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	// The energy object is read from trtllm-bench's report; this CPU run has none (n/a).
	for _, want := range []string{"meta-llama/Llama-3.1-8B", "10666.7", "pytorch 0.21.0", "256", "240.0",
		"8400.0", "15.24", "700"} {
		if !strings.Contains(out, want) {
			t.Errorf("compare output lacks %q:\n%s", want, out)
		}
	}
}
