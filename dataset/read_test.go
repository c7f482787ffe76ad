package dataset

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func readString(t *testing.T, s string, opts ReadOptions) (*Result, error) {
	t.Helper()
	return Read(strings.NewReader(s), opts)
}

// plain drops the unexported bookkeeping so that requests compare with literals.
func plain(reqs []Request) []Request {
	out := make([]Request, len(reqs))
	for i, r := range reqs {
		r.Sample = false
		out[i] = r
	}
	return out
}

func TestReadTRTLLMJSONL(t *testing.T) {
	res, err := ReadFile("testdata/trtllm.jsonl", ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []Request{
		{TaskID: 0, InputIDs: []int32{863, 22056, 25603}, OutputTokens: 128, Line: 1},
		{TaskID: 1, InputIDs: []int32{3452, 88226}, OutputTokens: 152, Line: 2,
			LoRA: &LoRARequest{Name: "lora_1", IntID: 1, Path: "/loras/1"}},
		{TaskID: 2, Prompt: "Explain KV caches.", OutputTokens: 126, Line: 3},
		{TaskID: 3, InputIDs: []int32{5, 6, 7, 8}, OutputTokens: 4, Line: 4}, // logits alias
		{TaskID: 4, Prompt: "Grüße, \"quoted\" <tag> & \u2028 emoji 😀", OutputTokens: 9, Line: 5},
	}
	if !reflect.DeepEqual(res.Requests, want) {
		t.Errorf("requests:\n got %+v\nwant %+v", res.Requests, want)
	}
	if res.Format != FormatJSONL || res.Skipped != 0 || len(res.Problems) != 0 || res.Metadata != nil {
		t.Errorf("result = format %q skipped %d problems %v metadata %v", res.Format, res.Skipped, res.Problems, res.Metadata)
	}
	if got := res.Requests[1].Where(); got != "line 2" {
		t.Errorf("Where = %q", got)
	}
}

func TestReadTRTLLMDocument(t *testing.T) {
	wantMeta := &Metadata{
		WorkloadType: WorkloadNormal, InputMean: 3, InputStdev: 0, OutputMean: 128, OutputStdev: 0,
		NumRequests: 2, VocabSize: 128000, MaxInputLen: 3, MaxOutputLen: 128,
		WorkloadName: "workload_type:token-norm-dist__input_mean:3__input_stdev:0__output_mean:128__output_stdev:0__num_requests:2__tokenize_vocabsize:128000__max_input_len:3__max_output_len:128",
	}
	want := []Request{
		{TaskID: -1, InputIDs: []int32{863, 22056, 25603}, OutputTokens: 128, Line: 1},
		{TaskID: -1, InputIDs: []int32{1, 2, 3}, OutputTokens: 128, Line: 2},
	}
	for _, file := range []string{"testdata/trtllm-document.json", "testdata/trtllm-document-indented.json"} {
		t.Run(filepath.Base(file), func(t *testing.T) {
			res, err := ReadFile(file, ReadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if res.Format != FormatDocument {
				t.Errorf("format = %q", res.Format)
			}
			if !reflect.DeepEqual(res.Metadata, wantMeta) {
				t.Errorf("metadata:\n got %+v\nwant %+v", res.Metadata, wantMeta)
			}
			if !reflect.DeepEqual(plain(res.Requests), want) {
				t.Errorf("requests:\n got %+v\nwant %+v", res.Requests, want)
			}
			if got := res.Requests[1].Where(); got != "sample 2" {
				t.Errorf("Where = %q", got)
			}
			// The generated metadata name matches prepare_dataset.py's.
			m := *wantMeta
			m.WorkloadName = ""
			if m.Name() != wantMeta.WorkloadName {
				t.Errorf("Name() = %q", m.Name())
			}
		})
	}
}

func TestDetectFormat(t *testing.T) {
	for _, tc := range []struct {
		name, in, format string
	}{
		{"jsonl", `{"task_id":0,"input_ids":[1],"output_tokens":1}`, FormatJSONL},
		{"document metadata first", `{"metadata":{},"samples":[{"task_id":1,"input_ids":[1],"output_len":2}]}`, FormatDocument},
		{"document samples first", `{"samples":[{"task_id":1,"input_ids":[1],"output_len":2}],"metadata":{"workload_type":"x"}}`, FormatDocument},
		{"leading blank lines and spaces", "\n\n   \r\n\t{ \"samples\" : [{\"task_id\":1,\"input_ids\":[1],\"output_len\":2}]}", FormatDocument},
		{"byte order mark", "\xEF\xBB\xBF{\"task_id\":0,\"input_ids\":[1],\"output_tokens\":1}\n", FormatJSONL},
		{"document key after others", `{"version": {"a": [1, "}"]}, "metadata": {}, "samples": [{"task_id":1,"input_ids":[1],"output_len":2}]}`, FormatDocument},
		{"pretty document, samples after a long key", "{\n  \"note\": \"" + strings.Repeat("x", 10000) + "\",\n  \"samples\": [\n    {\"task_id\": 1, \"input_ids\": [1], \"output_len\": 2}\n  ]\n}\n", FormatDocument},
		{"samples key that is not an array", `{"task_id":0,"input_ids":[1],"output_tokens":1,"samples":3}`, FormatJSONL},
		{"key split across lines", "{\n\"task_id\":0}\n", ""}, // JSON Lines, but line 1 is not a whole object
		{"bad first line", "{\"task_id\":0,,}\n{\"samples\":[]}", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := readString(t, tc.in, ReadOptions{})
			if tc.format == "" {
				var bad *BadLinesError
				if !errors.As(err, &bad) || bad.Format != FormatJSONL {
					t.Fatalf("err = %v, want bad JSON Lines", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.Format != tc.format {
				t.Errorf("format = %q, want %q", res.Format, tc.format)
			}
		})
	}
	// A long run of leading whitespace, beyond the first peek, still finds the first key.
	in := strings.Repeat(" \n", 100000) + `{"samples":[{"task_id":1,"input_ids":[1],"output_len":2}]}`
	if res, err := readString(t, in, ReadOptions{}); err != nil || res.Format != FormatDocument {
		t.Errorf("long leading whitespace: %v, %v", res, err)
	}
}

func TestReadJSONArrayRefused(t *testing.T) {
	_, err := readString(t, `[{"input_ids":[1],"output_len":3}]`, ReadOptions{})
	if err == nil || !strings.Contains(err.Error(), "JSON array") {
		t.Fatalf("err = %v", err)
	}
}

// badLines has one malformed line of each kind, with good lines and blank lines between, so
// that line numbers are checked too.
var badLines = []struct {
	line, msg string
}{
	{`{"task_id":1,"input_ids":[1,2],"output_tokens":3`, "invalid JSON: unexpected end of line"},
	{`{"task_id":1,"input_ids":[1,2]}`, "output_tokens missing"},
	{`{"task_id":1,"input_ids":[1,2],"output_tokens":0}`, "output_tokens must be at least 1, got 0"},
	{`{"task_id":1,"input_ids":[1,2],"output_tokens":-3}`, "output_tokens must be at least 1, got -3"},
	{`{"task_id":1,"input_ids":[1,2],"output_tokens":"12"}`, "output_tokens must be an integer, got string"},
	{`{"task_id":1,"input_ids":[1,2],"output_tokens":1.5}`, "output_tokens must be an integer, got 1.5"},
	{`{"task_id":1,"input_ids":[1,2],"output_tokens":99999999999}`, "output_tokens 99999999999 is too large"},
	{`{"task_id":"a","input_ids":[1,2],"output_tokens":3}`, "task_id must be an integer, got string"},
	{`{"task_id":2.5,"input_ids":[1,2],"output_tokens":3}`, "task_id must be an integer, got 2.5"},
	{`{"task_id":null,"input_ids":[1,2],"output_tokens":3}`, "task_id must be an integer, got null"},
	{`{"task_id":99999999999999999999,"input_ids":[1],"output_tokens":3}`, "task_id 99999999999999999999 is out of range"},
	{`{"input_ids":[1,2],"output_tokens":3}`, "task_id missing"},
	{`{"task_id":1,"output_tokens":3}`, "neither input_ids nor prompt"},
	{`{"task_id":1,"input_ids":null,"prompt":null,"output_tokens":3}`, "neither input_ids nor prompt"},
	{`{"task_id":1,"input_ids":[],"output_tokens":3}`, "input_ids is empty"},
	{`{"task_id":1,"logits":[],"output_tokens":3}`, "logits is empty"},
	{`{"task_id":1,"prompt":"","output_tokens":3}`, "prompt is empty"},
	{`{"task_id":1,"prompt":7,"output_tokens":3}`, "prompt must be a string, got number"},
	{`{"task_id":1,"input_ids":[1,-2,3],"output_tokens":3}`, "negative token id -2 in input_ids (index 1)"},
	{`{"task_id":1,"input_ids":[1,2,3000000000],"output_tokens":3}`, "token id 3000000000 in input_ids (index 2) is out of range"},
	{`{"task_id":1,"input_ids":[1,2.5],"output_tokens":3}`, "input_ids[1] = 2.5 is not an integer"},
	{`{"task_id":1,"input_ids":[1,"2"],"output_tokens":3}`, "input_ids[1] must be a token id, got string"},
	{`{"task_id":1,"input_ids":"1 2","output_tokens":3}`, "input_ids must be an array of token ids, got string"},
	{`{"task_id":1,"prompt":"see","media_paths":["a.png"],"output_tokens":3}`, "media_paths is not supported"},
	{`{"task_id":1,"input_ids":[1],"output_tokens":3,"lora_request":"lora_1"}`, "lora_request must be an object, got string"},
	{`{"task_id":1,"input_ids":[1],"output_tokens":3,"lora_request":{"lora_path":"/l"}}`, "lora_request.lora_name missing, lora_request.lora_int_id missing"},
	{`{"task_id":1,"input_ids":[1],"output_tokens":3,"lora_request":{"lora_name":"x","lora_int_id":"1"}}`, "lora_request.lora_int_id must be an integer, got string"},
	{`[1,2,3]`, "expected a JSON object, got array"},
	{`"text"`, "expected a JSON object, got string"},
	{`not json`, "invalid JSON at column 1: invalid literal (expected null)"},
	{`<html>`, "invalid JSON at column 1: unexpected character '<'"},
	{"\x00", "invalid JSON at column 1: unexpected byte 0x00"},
	{`{"task_id":1,"input_ids":[1,2,],"output_tokens":3}`, "invalid JSON at column 31"},
	{`{"task_id":01,"input_ids":[1],"output_tokens":3}`, "invalid JSON at column 13"},
	{`{"task_id":1,"input_ids":[1],"output_tokens":3} x`, "invalid JSON at column 49: unexpected data after the object"},
	{`{"task_id":1,"input_ids":[1],"output_tokens":3}{}`, "invalid JSON at column 48: unexpected data after the object"},
	{`{"task_id":1,"prompt":"a` + "\x01" + `b","output_tokens":3}`, "invalid JSON at column 25: control character in string"},
	{`{"task_id":1,"prompt":"a\qb","output_tokens":3}`, "invalid JSON at column 25: invalid escape in string"},
	{`{task_id:1}`, "invalid JSON at column 2: expected a string key"},
	{`{}`, "task_id missing, neither input_ids nor prompt, output_tokens missing"},
}

func TestReadReportsEveryBadLine(t *testing.T) {
	var b strings.Builder
	good := `{"task_id":0,"input_ids":[1],"output_tokens":1}`
	var want []LineError
	line := 0
	for _, bl := range badLines {
		b.WriteString(good + "\n\n") // a good line and a blank one between bad ones
		line += 2
		b.WriteString(bl.line + "\n")
		line++
		want = append(want, LineError{Line: line, Msg: bl.msg})
	}
	_, err := readString(t, b.String(), ReadOptions{MaxErrors: -1})
	var bad *BadLinesError
	if !errors.As(err, &bad) {
		t.Fatalf("err = %v, want *BadLinesError", err)
	}
	if bad.Bad != len(badLines) || len(bad.Problems) != len(badLines) {
		t.Fatalf("bad = %d, problems = %d, want %d", bad.Bad, len(bad.Problems), len(badLines))
	}
	for i, p := range bad.Problems {
		if p.Line != want[i].Line || !strings.HasPrefix(p.Msg, want[i].Msg) {
			t.Errorf("problem %d = %q, want line %d: %q...", i, p.Error(), want[i].Line, want[i].Msg)
		}
	}

	// The default keeps 20 and says how many more there are, on one line.
	_, err = readString(t, b.String(), ReadOptions{})
	if !errors.As(err, &bad) || len(bad.Problems) != DefaultMaxErrors {
		t.Fatalf("default MaxErrors: %v", err)
	}
	msg := err.Error()
	if strings.Contains(msg, "\n") {
		t.Errorf("message has a newline: %q", msg)
	}
	wantStart := fmt.Sprintf("dataset: %d bad lines (line 3: invalid JSON", len(badLines))
	wantEnd := fmt.Sprintf("; ... and %d more); fix them or pass --skip-bad-lines", len(badLines)-DefaultMaxErrors)
	if !strings.HasPrefix(msg, wantStart) || !strings.HasSuffix(msg, wantEnd) {
		t.Errorf("message = %q", msg)
	}
}

func TestReadErrorMessage(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "data.jsonl")
	in := `{"task_id":0,"input_ids":[1],"output_tokens":1}
{"task_id":1,"input_ids":[1],"output_tokens":1}
{"task_id":2,"input_ids":[1],"output_tokens":1}
{"task_id":3,"input_ids":[1]}
{"task_id":4,"input_ids":[1],"output_tokens":1}

{"task_id":6,"input_ids":[],"output_tokens":1}
{"task_id":7,"prompt":"x","output_tokens":0}
`
	if err := os.WriteFile(path, []byte(in), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ReadFile(path, ReadOptions{})
	want := "dataset " + path + ": 3 bad lines (line 4: output_tokens missing; line 7: input_ids is empty; line 8: output_tokens must be at least 1, got 0); fix them or pass --skip-bad-lines"
	if err == nil || err.Error() != want {
		t.Errorf("err = %v\nwant  %s", err, want)
	}

	res, err := ReadFile(path, ReadOptions{SkipBadLines: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Requests) != 4 || res.Skipped != 3 || len(res.Problems) != 3 {
		t.Errorf("skip: %d requests, %d skipped, %d problems", len(res.Requests), res.Skipped, len(res.Problems))
	}
	var lines []int
	for _, r := range res.Requests {
		lines = append(lines, r.Line)
	}
	if !reflect.DeepEqual(lines, []int{1, 2, 3, 5}) {
		t.Errorf("lines = %v", lines)
	}

	_, err = ReadFile(filepath.Join(dir, "missing.jsonl"), ReadOptions{})
	if err == nil || !strings.Contains(err.Error(), "missing.jsonl") || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestReadEmpty(t *testing.T) {
	for _, in := range []string{"", "\n\n  \n\t\r\n", "\xEF\xBB\xBF"} {
		_, err := readString(t, in, ReadOptions{})
		if !errors.Is(err, ErrEmpty) {
			t.Errorf("%q: err = %v, want ErrEmpty", in, err)
			continue
		}
		if !strings.Contains(err.Error(), "Expected JSON lines with at least 'prompt', 'task_id' and 'output_tokens' fields") {
			t.Errorf("message = %q", err)
		}
	}
	_, err := readString(t, `{"metadata":{},"samples":[]}`, ReadOptions{})
	if !errors.Is(err, ErrEmpty) {
		t.Errorf("empty samples: %v", err)
	}
}

func TestReadAllBadWithSkip(t *testing.T) {
	_, err := readString(t, "{}\n[]\n", ReadOptions{SkipBadLines: true})
	var bad *BadLinesError
	if !errors.As(err, &bad) || !bad.NoValid || bad.Bad != 2 {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), "--skip-bad-lines") || !strings.Contains(err.Error(), "no valid request") {
		t.Errorf("message = %q", err)
	}
}

func TestReadBlankLinesAndLineEndings(t *testing.T) {
	in := "\r\n" +
		`{"task_id":0,"input_ids":[1,2],"output_tokens":3}` + "\r\n" +
		"   \t\r\n" +
		"\n" +
		`  {"task_id":1,"prompt":"hi","output_tokens":4}  ` + "\n" +
		`{"task_id":2,"input_ids":[5],"output_tokens":6}` // no final newline
	res, err := readString(t, in, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []Request{
		{TaskID: 0, InputIDs: []int32{1, 2}, OutputTokens: 3, Line: 2},
		{TaskID: 1, Prompt: "hi", OutputTokens: 4, Line: 5},
		{TaskID: 2, InputIDs: []int32{5}, OutputTokens: 6, Line: 6},
	}
	if !reflect.DeepEqual(res.Requests, want) {
		t.Errorf("got %+v\nwant %+v", res.Requests, want)
	}
}

func TestReadNumRequests(t *testing.T) {
	in := `{"task_id":0,"input_ids":[1],"output_tokens":1}

{"task_id":1,"input_ids":[1],"output_tokens":1}
{"task_id":2,"input_ids":[1]}
{"task_id":3,"input_ids":[1],"output_tokens":1}
this line is never read
`
	res, err := readString(t, in, ReadOptions{NumRequests: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Requests) != 2 || res.Requests[1].TaskID != 1 {
		t.Errorf("got %+v", res.Requests)
	}
	// The bad line comes before the third valid request, so it counts.
	if _, err := readString(t, in, ReadOptions{NumRequests: 3}); err == nil {
		t.Error("a bad line before the Nth request was not reported")
	}
	res, err = readString(t, in, ReadOptions{NumRequests: 3, SkipBadLines: true})
	if err != nil || len(res.Requests) != 3 || res.Requests[2].TaskID != 3 || res.Skipped != 1 {
		t.Errorf("skip: %+v, %v", res, err)
	}
	// More than there are: all of them.
	res, err = readString(t, in, ReadOptions{NumRequests: 100, SkipBadLines: true})
	if err != nil || len(res.Requests) != 3 || res.Skipped != 2 {
		t.Errorf("NumRequests beyond the file: %+v, %v", res, err)
	}
	// The document form stops early too, without reading the rest.
	doc := `{"metadata":{},"samples":[{"task_id":1,"input_ids":[1],"output_len":2},{"task_id":2,"input_ids":[1],"output_len":2},garbage`
	res, err = readString(t, doc, ReadOptions{NumRequests: 2})
	if err != nil || len(res.Requests) != 2 {
		t.Errorf("document NumRequests: %+v, %v", res, err)
	}
}

func TestReadFieldRules(t *testing.T) {
	for _, tc := range []struct {
		name, line string
		want       Request
	}{
		{"input_ids wins over prompt", `{"task_id":1,"prompt":"text","input_ids":[4,5],"output_tokens":2}`,
			Request{TaskID: 1, InputIDs: []int32{4, 5}, Prompt: "text", OutputTokens: 2, Line: 1}},
		{"input_ids wins over logits", `{"task_id":1,"logits":[9],"input_ids":[4,5],"output_tokens":2}`,
			Request{TaskID: 1, InputIDs: []int32{4, 5}, OutputTokens: 2, Line: 1}},
		{"null input_ids falls back to logits", `{"task_id":1,"input_ids":null,"logits":[9],"output_tokens":2}`,
			Request{TaskID: 1, InputIDs: []int32{9}, OutputTokens: 2, Line: 1}},
		{"whole floats are integers", `{"task_id":3.0,"input_ids":[1.0,2e0,30E-1],"output_tokens":1.28e2}`,
			Request{TaskID: 3, InputIDs: []int32{1, 2, 3}, OutputTokens: 128, Line: 1}},
		{"unknown keys are ignored", `{"extra":{"a":[1,{"b":null}]},"task_id":1,"input_ids":[1],"output_tokens":2,"category":"x"}`,
			Request{TaskID: 1, InputIDs: []int32{1}, OutputTokens: 2, Line: 1}},
		{"empty or null media_paths is fine", `{"task_id":1,"input_ids":[1],"output_tokens":2,"media_paths":[ ]}`,
			Request{TaskID: 1, InputIDs: []int32{1}, OutputTokens: 2, Line: 1}},
		{"null lora_request", `{"task_id":1,"input_ids":[1],"output_tokens":2,"lora_request":null}`,
			Request{TaskID: 1, InputIDs: []int32{1}, OutputTokens: 2, Line: 1}},
		{"lora_path optional", `{"task_id":1,"input_ids":[1],"output_tokens":2,"lora_request":{"lora_int_id":3,"lora_name":"a","x":1}}`,
			Request{TaskID: 1, InputIDs: []int32{1}, OutputTokens: 2, Line: 1, LoRA: &LoRARequest{Name: "a", IntID: 3}}},
		{"last duplicate wins", `{"task_id":1,"task_id":2,"input_ids":[1],"input_ids":[7,8],"output_tokens":2}`,
			Request{TaskID: 2, InputIDs: []int32{7, 8}, OutputTokens: 2, Line: 1}},
		{"escaped keys and strings", `{"task\u005fid":1,"prompt":"a\u00e9\n\ud83d\ude00\"","output_tokens":2}`,
			Request{TaskID: 1, Prompt: "a\u00e9\n😀\"", OutputTokens: 2, Line: 1}},
		{"large and negative task ids", `{"task_id":-9223372036854775808,"input_ids":[0,2147483647],"output_tokens":2147483647}`,
			Request{TaskID: -9223372036854775808, InputIDs: []int32{0, 2147483647}, OutputTokens: 2147483647, Line: 1}},
		{"spaces everywhere", " { \"task_id\" : 1 , \"input_ids\" : [ 1 , 2 ] , \"output_tokens\" : 2 } ",
			Request{TaskID: 1, InputIDs: []int32{1, 2}, OutputTokens: 2, Line: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := readString(t, tc.line, ReadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(res.Requests, []Request{tc.want}) {
				t.Errorf("got  %+v\nwant %+v", res.Requests[0], tc.want)
			}
		})
	}
}

func TestReadDocumentProblems(t *testing.T) {
	doc := `{"metadata": {"workload_type": "token-norm-dist"}, "samples": [
		{"input_len": 2, "input_ids": [1, 2], "output_len": 3, "task_id": -1},
		{"input_len": 3, "input_ids": [1, 2], "output_len": 3, "task_id": -1},
		{"input_ids": [1, 2], "task_id": -1},
		{"task_id": 4, "prompt": "p", "media_paths": ["x.png"], "output_len": 3},
		{"task_id": 5, "prompt": "p", "output_len": 3},
		[1]
	], "extra": {"ignored": [1, 2]}}`
	_, err := readString(t, doc, ReadOptions{})
	var bad *BadLinesError
	if !errors.As(err, &bad) {
		t.Fatalf("err = %v", err)
	}
	want := "dataset: 4 bad samples (sample 2: input_len 3 does not match the 2 input_ids; sample 3: output_len missing; sample 4: media_paths is not supported"
	if !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), "sample 6: expected a JSON object, got array") {
		t.Errorf("err = %v", err)
	}
	res, err := readString(t, doc, ReadOptions{SkipBadLines: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Requests) != 2 || res.Skipped != 4 || res.Requests[1].Prompt != "p" || res.Requests[1].Line != 5 {
		t.Errorf("skip: %+v", res)
	}

	for _, tc := range []struct{ name, doc, msg string }{
		{"syntax error", `{"metadata": {}, "samples": [{"task_id": 1, "input_ids": [1,], "output_len": 2}]}`, "sample 1: invalid JSON at byte"},
		{"truncated", `{"metadata": {}, "samples": [{"task_id": 1, "input_ids": [1], "output_len": 2}`, "unexpected EOF"},
		{"trailing data", `{"metadata": {}, "samples": [{"task_id": 1, "input_ids": [1], "output_len": 2}]} {}`, "after the document"},
		{"no samples", `{"metadata": {"workload_type": "x"}}`, `no "samples" array`},
		{"samples not an array", `{"metadata": {}, "samples": {"a": 1}}`, `"samples" must be an array`},
		{"bad metadata", `{"metadata": {"num_requests": "ten"}, "samples": []}`, "metadata"},
		{"two samples arrays", `{"samples": [], "samples": []}`, `two "samples" arrays`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := readString(t, tc.doc, ReadOptions{})
			if err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("err = %v, want it to contain %q", err, tc.msg)
			}
		})
	}
}

func TestReadLongLine(t *testing.T) {
	// A line far longer than the read buffer, between two short ones.
	n := 300000
	var b bytes.Buffer
	b.WriteString(`{"task_id":0,"input_ids":[1],"output_tokens":1}` + "\n")
	b.WriteString(`{"task_id":1,"input_ids":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%d", 100000+i)
	}
	b.WriteString(`],"output_tokens":5}` + "\n")
	b.WriteString(`{"task_id":2,"input_ids":[3],"output_tokens":1}`)
	res, err := Read(&b, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ids := res.Requests[1].InputIDs
	if len(res.Requests) != 3 || len(ids) != n || ids[0] != 100000 || ids[n-1] != int32(100000+n-1) || res.Requests[2].Line != 3 {
		t.Errorf("long line misread: %d requests, %d ids", len(res.Requests), len(ids))
	}
}

// TestReadSlabIsolation checks that appending to one request's InputIDs cannot overwrite
// the next request's tokens, which share an allocation.
func TestReadSlabIsolation(t *testing.T) {
	res, err := readString(t, `{"task_id":0,"input_ids":[1,2],"output_tokens":1}
{"task_id":1,"input_ids":[3,4],"output_tokens":1}`, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_ = append(res.Requests[0].InputIDs, 99)
	if got := res.Requests[1].InputIDs; got[0] != 3 {
		t.Errorf("second request's tokens changed: %v", got)
	}
}
