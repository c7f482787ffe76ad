package dataset

import (
	"bytes"
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"testing"
)

// FuzzRead checks that Read never panics, that whatever it accepts is a usable request, that
// its errors are one line, and, for single-line input, that its idea of valid JSON and of
// the fields' values agrees with encoding/json's.
func FuzzRead(f *testing.F) {
	for _, name := range []string{"trtllm.jsonl", "trtllm-document.json", "golden.jsonl", "golden-unif-document.json"} {
		data, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
		for line := range bytes.Lines(data) {
			f.Add(line)
		}
	}
	for _, bl := range badLines {
		f.Add([]byte(bl.line))
	}
	f.Add([]byte("\xEF\xBB\xBF{\"samples\":[{\"task_id\":1,\"input_ids\":[1],\"output_len\":2,\"input_len\":1}],\"metadata\":null}"))
	f.Add([]byte(`{"task_id":1,"input_ids":[1.5e3,2E+0,-0,0.0],"output_tokens":1e1}`))
	f.Add([]byte("\n\n{\"task_id\":1,\"prompt\":\"\\ud800\\u00e9\",\"output_tokens\":2}\r\n{}"))

	f.Fuzz(func(t *testing.T, data []byte) {
		var strict *Result
		var strictErr error
		for _, skip := range []bool{false, true} {
			res, err := Read(bytes.NewReader(data), ReadOptions{SkipBadLines: skip, MaxErrors: 3})
			if !skip {
				strict, strictErr = res, err
			}
			if err != nil {
				if msg := err.Error(); strings.ContainsAny(msg, "\n\r") {
					t.Fatalf("error message is not one line: %q", msg)
				}
				continue
			}
			if len(res.Requests) == 0 {
				t.Fatal("accepted a dataset without requests")
			}
			for _, r := range res.Requests {
				if r.OutputTokens < 1 {
					t.Fatalf("accepted output_tokens %d", r.OutputTokens)
				}
				if len(r.InputIDs) == 0 && r.Prompt == "" {
					t.Fatal("accepted a request with neither input_ids nor prompt")
				}
				for _, id := range r.InputIDs {
					if id < 0 {
						t.Fatalf("accepted token id %d", id)
					}
				}
				if r.Line < 1 {
					t.Fatalf("request has line %d", r.Line)
				}
			}
		}
		checkAgainstEncodingJSON(t, data, strict, strictErr)
	})
}

// checkAgainstEncodingJSON compares the reader with encoding/json on input that is one JSON
// Lines line.
func checkAgainstEncodingJSON(t *testing.T, data []byte, res *Result, err error) {
	line := bytes.TrimPrefix(data, utf8BOM)
	if bytes.ContainsAny(line, "\n") || len(bytes.TrimSpace(line)) == 0 {
		return
	}
	if format, _, _ := classify(line, true); format != FormatJSONL {
		return
	}
	valid := json.Valid(line)
	if err == nil && !valid {
		t.Fatalf("accepted invalid JSON %q", line)
	}
	if err != nil {
		bad, ok := err.(*BadLinesError)
		if !ok || len(bad.Problems) != 1 {
			t.Fatalf("one line gave %v", err)
		}
		if isSyntax := strings.HasPrefix(bad.Problems[0].Msg, "invalid JSON"); isSyntax == valid {
			t.Fatalf("json.Valid = %v but the reader says %q for %q", valid, bad.Problems[0].Msg, line)
		}
		return
	}
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("encoding/json cannot decode accepted line %q: %v", line, err)
	}
	r := res.Requests[0]
	num := func(v any) float64 {
		n, ok := v.(json.Number)
		if !ok {
			t.Fatalf("%v is not a number in %q", v, line)
		}
		x, err := strconv.ParseFloat(string(n), 64)
		if err != nil && x == 0 {
			t.Fatalf("%v: %v", n, err)
		}
		return x
	}
	if got, want := float64(r.TaskID), num(m["task_id"]); got != want {
		t.Fatalf("task_id %d, encoding/json says %v", r.TaskID, want)
	}
	if got, want := float64(r.OutputTokens), num(m["output_tokens"]); got != want {
		t.Fatalf("output_tokens %d, encoding/json says %v", r.OutputTokens, want)
	}
	ids, _ := m["input_ids"].([]any)
	if m["input_ids"] == nil {
		ids, _ = m["logits"].([]any)
	}
	if len(ids) != len(r.InputIDs) {
		t.Fatalf("input_ids %v, encoding/json says %v", r.InputIDs, ids)
	}
	for i, v := range ids {
		if float64(r.InputIDs[i]) != num(v) {
			t.Fatalf("input_ids %v, encoding/json says %v", r.InputIDs, ids)
		}
	}
	if p, ok := m["prompt"].(string); ok && p != r.Prompt {
		t.Fatalf("prompt %q, encoding/json says %q", r.Prompt, p)
	}
}
