package dataset

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestComputeStats(t *testing.T) {
	reqs := []Request{
		{InputIDs: make([]int32, 10), OutputTokens: 5},
		{InputIDs: make([]int32, 20), OutputTokens: 6},
		{InputIDs: make([]int32, 31), OutputTokens: 7},
	}
	s := ComputeStats(reqs)
	if s.NumRequests != 3 || s.MaxISL != 31 || s.MaxOSL != 7 || s.MaxSequenceLength != 38 ||
		s.AvgISL != 20 || s.AvgOSL != 6 || s.AvgSequenceLength != 26 {
		t.Errorf("stats %+v", s)
	}
	if s.ISL.Average != 61.0/3 || s.ISL.P50 != 20 || s.SeqLen.Minimum != 15 || s.OSL.Count != 3 {
		t.Errorf("distributions %+v", s)
	}
	// The JSON keys are the report's "dataset" section's.
	raw, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"isl_stats", "osl_stats", "seq_len_stats", "num_requests", "max_isl", "max_osl",
		"max_sequence_length", "avg_isl", "avg_osl", "avg_sequence_length"} {
		if _, ok := m[k]; !ok {
			t.Errorf("key %s missing from %s", k, raw)
		}
	}
	if _, ok := m["dataset_path"]; ok {
		t.Error("an empty dataset_path is written")
	}
	s.DatasetPath = "data.jsonl"
	if raw, _ := json.Marshal(s); !strings.Contains(string(raw), `"dataset_path":"data.jsonl"`) {
		t.Errorf("dataset_path missing: %s", raw)
	}
	if z := ComputeStats(nil); z.NumRequests != 0 || z.MaxISL != 0 {
		t.Errorf("empty stats %+v", z)
	}
}

func TestValidate(t *testing.T) {
	reqs := []Request{
		{TaskID: 0, InputIDs: []int32{1, 2, 3}, OutputTokens: 1, Line: 1},
		{TaskID: 1, InputIDs: []int32{1, 32000, 40000}, OutputTokens: 1, Line: 4},
		{TaskID: 2, InputIDs: []int32{1, 5}, OutputTokens: 1, Line: 2, Sample: true},
		{TaskID: 3, InputIDs: []int32{-1}, OutputTokens: 1},
	}
	if err := Validate(reqs[:1], 32000); err != nil {
		t.Fatal(err)
	}
	err := Validate(reqs, 32000)
	var ve *VocabError
	if !errors.As(err, &ve) || ve.Bad != 2 {
		t.Fatalf("err = %v", err)
	}
	want := "2 requests have token ids outside the vocabulary [0, 32000) (line 4: token id 32000 (index 1); request 3 (task_id 3): token id -1 (index 0))"
	if err.Error() != want {
		t.Errorf("err = %v\nwant  %s", err, want)
	}
	if err := Validate(reqs[2:3], 5); err == nil || !strings.Contains(err.Error(), "sample 2: token id 5") {
		t.Errorf("Sample: %v", err)
	}
	if err := Validate(reqs, 0); err == nil {
		t.Error("vocabulary 0 accepted")
	}
}

type fakeTokenizer struct{ fail string }

func (f fakeTokenizer) Tokenize(text string) ([]int32, error) {
	if text == f.fail {
		return nil, fmt.Errorf("cannot tokenize %q", text)
	}
	ids := make([]int32, len(strings.Fields(text)))
	for i := range ids {
		ids[i] = int32(i + 1)
	}
	return ids, nil
}

func TestTokenizePrompts(t *testing.T) {
	reqs := []Request{
		{Prompt: "one two three", OutputTokens: 1, Line: 1},
		{InputIDs: []int32{9}, Prompt: "ignored words here", OutputTokens: 1, Line: 2},
	}
	if err := TokenizePrompts(reqs, fakeTokenizer{}); err != nil {
		t.Fatal(err)
	}
	if len(reqs[0].InputIDs) != 3 || len(reqs[1].InputIDs) != 1 {
		t.Errorf("ids %v %v", reqs[0].InputIDs, reqs[1].InputIDs)
	}
	bad := []Request{{Prompt: "x", Line: 7}}
	err := TokenizePrompts(bad, fakeTokenizer{fail: "x"})
	if err == nil || !strings.Contains(err.Error(), "line 7: tokenize prompt: cannot tokenize") {
		t.Errorf("err = %v", err)
	}
	if err := TokenizePrompts([]Request{{Prompt: "   ", Line: 3}}, fakeTokenizer{}); err == nil || !strings.Contains(err.Error(), "line 3") {
		t.Errorf("empty tokenization: %v", err)
	}
	if err := TokenizePrompts([]Request{{Prompt: "a"}}, nil); err == nil {
		t.Error("nil tokenizer accepted prompts")
	}
}
