package dataset

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

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
