package dataset

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"testing"
)

// The golden files were written by Python's json module exactly as prepare_dataset.py calls
// it, so these tests pin the writers to its bytes.

func TestWriteJSONLMatchesPython(t *testing.T) {
	golden, err := os.ReadFile("testdata/golden.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	res, err := Read(bytes.NewReader(golden), ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := WriteJSONL(&out, res.Requests); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.Bytes(), golden) {
		t.Errorf("WriteJSONL:\n got %s\nwant %s", out.Bytes(), golden)
	}
}

func TestAppendJSONLLine(t *testing.T) {
	for _, tc := range []struct {
		r    Request
		want string
	}{
		{Request{TaskID: 0, InputIDs: []int32{863, 22056, 25603}, OutputTokens: 128},
			`{"task_id":0,"input_ids":[863,22056,25603],"output_tokens":128}`},
		{Request{TaskID: 1, InputIDs: []int32{3452, 88226}, OutputTokens: 152, LoRA: &LoRARequest{Name: "lora_1", IntID: 1, Path: "/loras/1"}},
			`{"task_id":1,"input_ids":[3452,88226],"output_tokens":152,"lora_request":{"lora_name":"lora_1","lora_int_id":1,"lora_path":"/loras/1"}}`},
		{Request{TaskID: 2, Prompt: "Explain KV caches.", OutputTokens: 126},
			`{"task_id":2,"prompt":"Explain KV caches.","output_tokens":126}`},
		{Request{TaskID: 3, InputIDs: []int32{1}, Prompt: "kept", OutputTokens: 1},
			`{"task_id":3,"input_ids":[1],"prompt":"kept","output_tokens":1}`},
		{Request{TaskID: 4, OutputTokens: 1}, `{"task_id":4,"input_ids":[],"output_tokens":1}`},
		{Request{TaskID: 5, Prompt: "bad \xff utf-8", OutputTokens: 1}, `{"task_id":5,"prompt":"bad ` + "\uFFFD" + ` utf-8","output_tokens":1}`},
	} {
		if got := string(AppendJSONL(nil, &tc.r)); got != tc.want {
			t.Errorf("AppendJSONL:\n got %s\nwant %s", got, tc.want)
		}
	}
}

func TestPythonASCIIStrings(t *testing.T) {
	golden, err := os.ReadFile("testdata/golden-ascii.txt")
	if err != nil {
		t.Fatal(err)
	}
	s := "tab\there\nnew\\line \x01\x1f\x7f \b\f\r <&> \u2028 Grüße 😀 \"q\" /"
	if got := appendPyString(nil, s, true); !bytes.Equal(got, golden) {
		t.Errorf("ensure_ascii string:\n got %s\nwant %s", got, golden)
	}
}

func TestWriteDocumentMatchesPython(t *testing.T) {
	for _, file := range []string{"testdata/trtllm-document.json", "testdata/golden-unif-document.json"} {
		golden, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		res, err := Read(bytes.NewReader(golden), ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if err := WriteDocument(&out, *res.Metadata, res.Requests); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out.Bytes(), golden) {
			t.Errorf("%s:\n got %s\nwant %s", file, out.Bytes(), golden)
		}
		// The derived workload name is the one Python derived.
		m := *res.Metadata
		m.WorkloadName = ""
		out.Reset()
		if err := WriteDocument(&out, m, res.Requests); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out.Bytes(), golden) {
			t.Errorf("%s with derived name:\n got %s\nwant %s", file, out.Bytes(), golden)
		}
	}
}

func testRequests(t *testing.T) []Request {
	t.Helper()
	reqs, _, err := GenerateUniform(UniformOptions{
		GenerateOptions: GenerateOptions{NumRequests: 300, VocabSize: 50000, EOS: 2, Seed: 7,
			TaskIDs: RandomTaskID, TaskIDMin: -1, TaskIDMax: 4, LoRADir: "/loras"},
		InputMin: 1, InputMax: 40, OutputMin: 1, OutputMax: 300,
	})
	if err != nil {
		t.Fatal(err)
	}
	reqs = append(reqs,
		Request{TaskID: 300, Prompt: "a \"prompt\" with\nescapes, <tags> & ünïcode 😀", OutputTokens: 5},
		Request{TaskID: 301, InputIDs: []int32{0, 2147483647}, Prompt: "both", OutputTokens: 2147483647})
	return reqs
}

// sameRequests compares requests ignoring where they came from.
func sameRequests(t *testing.T, got, want []Request) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d requests, want %d", len(got), len(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		g.Line, g.Sample, w.Line, w.Sample = 0, false, 0, false
		if !reflect.DeepEqual(g, w) {
			t.Fatalf("request %d:\n got %+v\nwant %+v", i, g, w)
		}
	}
}

func TestJSONLRoundTrip(t *testing.T) {
	reqs := testRequests(t)
	var buf bytes.Buffer
	if err := WriteJSONL(&buf, reqs); err != nil {
		t.Fatal(err)
	}
	// encoding/json agrees with every line, field by field.
	for line := range bytes.Lines(buf.Bytes()) {
		var r Request
		if err := json.Unmarshal(line, &r); err != nil {
			t.Fatalf("encoding/json rejects %s: %v", line, err)
		}
	}
	res, err := Read(&buf, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sameRequests(t, res.Requests, reqs)
}

func TestDocumentRoundTrip(t *testing.T) {
	reqs, meta, err := GenerateNormal(NormalOptions{
		GenerateOptions: GenerateOptions{NumRequests: 200, VocabSize: 1000, EOS: -1, Seed: 1},
		InputMean:       30, InputStdev: 10, OutputMean: 20, OutputStdev: 5,
	})
	if err != nil {
		t.Fatal(err)
	}
	reqs = append(reqs, Request{TaskID: 5, Prompt: "text only ☃", OutputTokens: 3})
	var buf bytes.Buffer
	if err := WriteDocument(&buf, meta, reqs); err != nil {
		t.Fatal(err)
	}
	if !json.Valid(buf.Bytes()) {
		t.Fatal("document is not valid JSON")
	}
	res, err := Read(&buf, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Format != FormatDocument || !reflect.DeepEqual(*res.Metadata, meta) {
		t.Errorf("metadata:\n got %+v\nwant %+v", res.Metadata, meta)
	}
	sameRequests(t, res.Requests, reqs)
}
