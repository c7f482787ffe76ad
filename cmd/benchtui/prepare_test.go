package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/benchtui/benchtui/dataset"
	"github.com/benchtui/benchtui/synth"
)

func prepare(t *testing.T, args string) (code int, stdout, stderr string) {
	t.Helper()
	return runCLI(t, append([]string{"prepare-dataset"}, strings.Fields(args)...)...)
}

func TestPrepareDatasetJSONL(t *testing.T) {
	code, out, errs := prepare(t, "--stdout token-norm-dist --num-requests 50 --input-mean 16 --input-stdev 4 --output-mean 8 --output-stdev 2")
	if code != 0 || errs != "" {
		t.Fatalf("code %d, stderr %q", code, errs)
	}
	res, err := dataset.Read(strings.NewReader(out), dataset.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Requests) != 50 || res.Format != dataset.FormatJSONL {
		t.Fatalf("%d requests", len(res.Requests))
	}
	for i, r := range res.Requests {
		if r.TaskID != int64(i) {
			t.Fatalf("task_id %d at %d", r.TaskID, i)
		}
		for _, id := range r.InputIDs {
			if id < 0 || id >= defaultVocabSize {
				t.Fatalf("token %d outside the default vocabulary", id)
			}
		}
	}
	// The same command, spelled with underscores and = and no --stdout, gives the same bytes
	// (seed 420 by default).
	code2, out2, _ := prepare(t, "--random_seed=420 token_norm_dist --num_requests=50 --input_mean 16 --input-stdev=4 --output_mean 8 --output_stdev 2")
	if code2 != 0 || out2 != out {
		t.Errorf("spellings differ: code %d", code2)
	}
	// The library gives the same set.
	reqs, _, err := dataset.GenerateNormal(dataset.NormalOptions{
		GenerateOptions: dataset.GenerateOptions{NumRequests: 50, VocabSize: defaultVocabSize, EOS: -1, Seed: 420},
		InputMean:       16, InputStdev: 4, OutputMean: 8, OutputStdev: 2,
	})
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if err := dataset.WriteJSONL(&want, reqs); err != nil {
		t.Fatal(err)
	}
	if out != want.String() {
		t.Error("prepare-dataset and GenerateNormal disagree")
	}
}

// --tokenizer takes its vocabulary and EOS id from a preset, or from a GGUF file through
// llama.cpp's vocabulary-only load.
func TestPrepareDatasetTokenizerAndLoRA(t *testing.T) {
	p, _ := synth.LookupPreset("tiny")
	m, _ := synth.ParseModel("tiny")
	file, err := synth.Ensure(t.Context(), m, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{"tiny", file} {
		code, out, errs := prepare(t, "--model "+tok+" --task-id 2 --lora-dir /l token-unif-dist --num-requests 100 --input-min 5 --input-max 9 --output-min 1 --output-max 3")
		if code != 0 {
			t.Fatalf("%s: code %d, stderr %q", tok, code, errs)
		}
		res, err := dataset.Read(strings.NewReader(out), dataset.ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res.Requests {
			if r.LoRA == nil || *r.LoRA != (dataset.LoRARequest{Name: "lora_2", IntID: 2, Path: "/l/2"}) {
				t.Fatalf("lora %+v", r.LoRA)
			}
			for _, id := range r.InputIDs {
				if id == synth.EOSTokenID || int(id) >= p.Vocab {
					t.Fatalf("%s: token %d (EOS %d, vocabulary %d)", tok, id, synth.EOSTokenID, p.Vocab)
				}
			}
		}
		if first := strings.Split(out, "\n")[0]; !strings.HasSuffix(first, `"lora_request":{"lora_name":"lora_2","lora_int_id":2,"lora_path":"/l/2"}}`) {
			t.Errorf("first line %q", first)
		}
	}
	code, _, errs := prepare(t, "--tokenizer missing/model.gguf token-unif-dist --num-requests 1 --input-min 1 --input-max 1 --output-min 1 --output-max 1")
	if code != 2 || !strings.HasPrefix(errs, "benchtui: prepare-dataset: --tokenizer missing/model.gguf: ") || strings.Count(errs, "\n") != 1 {
		t.Errorf("code %d, stderr %q", code, errs)
	}
}

func TestPrepareDatasetOutputFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "dir", "data.json")
	code, out, errs := prepare(t, "--output "+path+" --format document --rand-task-id 0 3 --lora-dir /l token-norm-dist --num-requests 20 --input-mean 8 --input-stdev 0 --output-mean 4 --output-stdev 0")
	if code != 0 || out != "" || errs != "" {
		t.Fatalf("code %d, stdout %q, stderr %q", code, out, errs)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(data, []byte(`{"metadata": {"workload_type": "token-norm-dist", "input_mean": 8, "input_stdev": 0, "output_mean": 4, "output_stdev": 0, "num_requests": 20, "tokenize_vocabsize": 32000, "max_input_len": 8, "max_output_len": 4, "workload_name": "workload_type:token-norm-dist__input_mean:8__`)) {
		t.Errorf("document starts %.200s", data)
	}
	res, err := dataset.ReadFile(path, dataset.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// In the document form task_id is the LoRA task id.
	for _, r := range res.Requests {
		if r.TaskID < 0 || r.TaskID > 3 || len(r.InputIDs) != 8 || r.OutputTokens != 4 {
			t.Fatalf("sample %+v", r)
		}
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
	// Without LoRA the document's task ids are -1, as prepare_dataset.py writes them.
	code, out, _ = prepare(t, "--format document token-unif-dist --num-requests 2 --input-min 1 --input-max 1 --output-min 1 --output-max 1")
	if code != 0 || strings.Count(out, `"task_id": -1`) != 2 || !strings.HasSuffix(out, "]}\n") {
		t.Errorf("document to stdout: code %d, %q", code, out)
	}
}

func TestPrepareDatasetUsageErrors(t *testing.T) {
	norm := " token-norm-dist --num-requests 1 --input-mean 1 --input-stdev 0 --output-mean 1 --output-stdev 0"
	for _, tc := range []struct{ args, msg string }{
		{"", "missing subcommand"},
		{"token-lognorm-dist", `unknown subcommand "token-lognorm-dist"`},
		{"token-norm-dist --num-requests 1", "token-norm-dist: --input-mean is required"},
		{"--num-requests 5" + norm, "--num-requests is an option of the subcommand: put it after token-norm-dist or token-unif-dist"},
		{"--input-min 5" + norm, "put it after token-unif-dist"},
		{norm + " --stdout", "--stdout is a root option: put it before token-norm-dist"},
		{"--bogus" + norm, "unknown flag --bogus"},
		{"--random-seed x" + norm, `--random_seed takes an integer of 0 or more, got "x"`},
		{"--rand-task-id 1" + norm, "--rand_task_id takes two integers"},
		{"--rand-task-id=1,2" + norm, "--rand_task_id takes two values: --rand-task-id MIN MAX"},
		{"--rand-task-id 5 1" + norm, "MIN is above MAX"},
		{"--format yaml" + norm, `--format "yaml": use jsonl or document`},
		{"--stdout --output x" + norm, "--stdout and --output are exclusive"},
		{"--lora-dir /l" + norm, "--lora-dir needs --task-id or --rand-task-id"},
		{"--tokenizer t --vocab-size 5" + norm, "--vocab-size and --eos-id are for use without --tokenizer"},
		{"--vocab-size 0" + norm, "--vocab-size 0 is out of range"},
		{"--eos-id 40000" + norm, "--eos-id 40000 is outside the vocabulary"},
		{"token-norm-dist --num-requests 0 --input-mean 1 --input-stdev 0 --output-mean 1 --output-stdev 0", "--num-requests 0"},
		{"token-norm-dist --num-requests 1 --input-mean 1 --input-stdev -1 --output-mean 1 --output-stdev 0", "standard deviations must not be negative"},
		{"token-unif-dist --num-requests 1 --input-min 0 --input-max 1 --output-min 1 --output-max 1", "input minimum is 0"},
		{norm + " extra", `unexpected argument "extra"`},
		{"--stdout=maybe" + norm, `--stdout takes no value or true/false, got "maybe"`},
		{"token-norm-dist --num-requests", "--num_requests needs a value"},
	} {
		t.Run(tc.args, func(t *testing.T) {
			code, out, errs := prepare(t, tc.args)
			if code != 2 || out != "" {
				t.Errorf("code %d, stdout %q", code, out)
			}
			if strings.Count(errs, "\n") != 1 || !strings.HasPrefix(errs, "benchtui: prepare-dataset") || !strings.Contains(errs, tc.msg) {
				t.Errorf("stderr %q, want one line containing %q", errs, tc.msg)
			}
		})
	}
}

func TestPrepareDatasetMisc(t *testing.T) {
	// --help at either level prints usage and succeeds.
	for _, args := range []string{"--help", "-h", "token-unif-dist --help"} {
		code, out, errs := prepare(t, args)
		if code != 0 || !strings.Contains(out, "Usage: benchtui prepare-dataset") || errs != "" {
			t.Errorf("%s: code %d, stdout %q", args, code, out)
		}
	}
	// Task ids without --lora-dir warn and are ignored, as in prepare_dataset.py.
	code, out, errs := prepare(t, "--task-id 4 token-unif-dist --num-requests 2 --input-min 1 --input-max 1 --output-min 1 --output-max 1")
	if code != 0 || strings.Contains(out, "lora_request") || !strings.Contains(errs, "warning: task ids select LoRA adapters") {
		t.Errorf("code %d, stdout %q, stderr %q", code, out, errs)
	}
	// --correlated-lengths reproduces ISL == OSL with equal parameters; a --stdout=false is
	// the same as none.
	code, out, _ = prepare(t, "--stdout=false --correlated_lengths token-norm-dist --num-requests 30 --input-mean 50 --input-stdev 20 --output-mean 50 --output-stdev 20")
	res, err := dataset.Read(strings.NewReader(out), dataset.ReadOptions{})
	if code != 0 || err != nil {
		t.Fatalf("code %d, %v", code, err)
	}
	for _, r := range res.Requests {
		if len(r.InputIDs) != r.OutputTokens {
			t.Fatal("correlated lengths differ")
		}
	}
	// An output that cannot be written is bad input, found before anything is generated:
	// exit 2 and one line.
	blocker := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errs = prepare(t, "--output "+filepath.Join(blocker, "x.jsonl")+" token-unif-dist --num-requests 1 --input-min 1 --input-max 1 --output-min 1 --output-max 1")
	if code != 2 || strings.Count(errs, "\n") != 1 {
		t.Errorf("unwritable: code %d, stderr %q", code, errs)
	}
}
