package report

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/benchtui/benchtui/engine"
)

// The request file's inter-token latencies are the report's TPOT samples: the same requests
// (single-token ones left out) and the same values, so their mean is the report's average.
func TestRequestJSONAgreesWithReport(t *testing.T) {
	recs := append(sampleRecords(),
		engine.Record{Index: 4, InputTokens: 8, StartNS: ms(0), AdmitNS: ms(0), FirstTokenNS: ms(30), EndNS: ms(30),
			TokenNS: msList(30), Status: engine.StatusCompleted},
		engine.Record{Index: 5, InputTokens: 8, StartNS: ms(10), AdmitNS: ms(12), FirstTokenNS: ms(40), EndNS: ms(100),
			TokenNS: msList(40, 70, 100), Status: engine.StatusCompleted},
		engine.Record{Index: 6, InputTokens: 8, StartNS: ms(10), Status: engine.StatusCanceled, Error: "canceled"})
	r := Build(Input{Records: recs})
	var buf bytes.Buffer
	if err := WriteRequestJSON(&buf, recs); err != nil {
		t.Fatal(err)
	}
	var entries []struct {
		ITL  *float64 `json:"intertoken_latency"`
		GTPS *float64 `json:"generation_token_throughput"`
		E2E  *int64   `json:"end_to_end_latency"`
	}
	if err := json.Unmarshal(buf.Bytes(), &entries); err != nil {
		t.Fatal(err)
	}
	var nITL, nGTPS, nE2E int
	var sumITL, sumGTPS float64
	for _, e := range entries {
		if e.ITL != nil {
			nITL++
			sumITL += *e.ITL
		}
		if e.GTPS != nil {
			nGTPS++
			sumGTPS += *e.GTPS
		}
		if e.E2E != nil {
			nE2E++
		}
	}
	c := r.BenchTUI.SampleCounts
	if nITL != c.TPOT || nGTPS != c.GenTPS || nE2E != c.RequestLatency {
		t.Errorf("request file has %d/%d/%d inter-token/generation-rate/e2e values, the report counts %d/%d/%d",
			nITL, nGTPS, nE2E, c.TPOT, c.GenTPS, c.RequestLatency)
	}
	if got, want := sumITL/float64(nITL)/1e6, r.StreamingMetrics.AvgTPOTMS; math.Abs(got-want) > 1e-9 {
		t.Errorf("mean intertoken_latency %g ms, report's average TPOT %g ms", got, want)
	}
	if got, want := sumGTPS/float64(nGTPS)*1e9, r.StreamingMetrics.TokenOutputSpeedTokS; math.Abs(got-want) > 1e-6 {
		t.Errorf("mean generation_token_throughput %g tok/s, report's %g", got, want)
	}
	if r.BenchTUI.SampleCountsNote != SampleCountsRule {
		t.Errorf("sample_counts_note = %q", r.BenchTUI.SampleCountsNote)
	}
}

func TestWriteRequestJSON(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteRequestJSON(&buf, sampleRecords()); err != nil {
		t.Fatal(err)
	}
	var got []map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("not a JSON array: %v", err)
	}
	if len(got) != 4 {
		t.Fatalf("got %d entries, want 4 (failed ones included)", len(got))
	}
	// trtllm-bench's keys (tensorrt_llm/bench: RequestRecord.model_dump() with "tokens" replaced
	// by "output" and "output_tokens"), then benchtui's.
	keys := []string{"id", "num_input_tokens", "error_tokens", "start_timestamp", "first_token_timestamp",
		"end_timestamp", "decode_iteration", "num_total_output_tokens", "num_generated_tokens", "generation_time",
		"time_to_first_token", "intertoken_latency", "end_to_end_latency", "output_token_throughput",
		"generation_token_throughput", "output", "output_tokens", "task_id", "status", "queue_time"}
	for i, e := range got {
		for _, k := range keys {
			if _, ok := e[k]; !ok {
				t.Errorf("entry %d lacks %q", i, k)
			}
		}
	}
	// r0 in ns: TTFT 100 ms, TPOT (180-100)/4 = 20 ms, e2e 180 ms, queue 10 ms; 5 tokens in
	// 180 ms, 4 generated in 80 ms (rates per ns, as trtllm-bench writes them).
	want0 := map[string]float64{
		"id": 0, "task_id": 10, "num_input_tokens": 10, "start_timestamp": 0,
		"first_token_timestamp": 1e8, "end_timestamp": 1.8e8, "num_total_output_tokens": 5,
		"time_to_first_token": 1e8, "intertoken_latency": 2e7, "end_to_end_latency": 1.8e8, "queue_time": 1e7,
		"num_generated_tokens": 4, "generation_time": 8e7, "decode_iteration": 4, "error_tokens": 0,
		"output_token_throughput": 5 / 1.8e8, "generation_token_throughput": 4 / 8e7, "output_tokens": 5,
	}
	for k, w := range want0 {
		if got[0][k] != w {
			t.Errorf("entry 0 %s = %v, want %v", k, got[0][k], w)
		}
	}
	if _, ok := got[0]["error"]; ok {
		t.Errorf("successful entry has an error key")
	}
	// r2 has one token: no inter-token latency or generation rate, as the report's TPOT and
	// GTPS leave it out (trtllm-bench writes 0).
	if v, ok := got[2]["intertoken_latency"]; !ok || v != nil || got[2]["generation_token_throughput"] != nil ||
		got[2]["generation_time"] != 0.0 || got[2]["time_to_first_token"] != 3e8 || got[2]["num_generated_tokens"] != 0.0 {
		t.Errorf("entry 2 = %v", got[2])
	}
	if got[3]["error_tokens"] != 1.0 || got[0]["output"] != nil {
		t.Errorf("failed entry error_tokens %v, output %v", got[3]["error_tokens"], got[0]["output"])
	}
	if got[3]["error"] != "boom" || got[3]["status"] != "failed" || got[0]["status"] != "completed" {
		t.Errorf("failed entry error %v status %v, first entry status %v", got[3]["error"], got[3]["status"], got[0]["status"])
	}
	// A request the failure cut short has no end-to-end or inter-token latency (its end is
	// the failure's, not the request's), but keeps the TTFT it had.
	if v, ok := got[3]["end_to_end_latency"]; !ok || v != nil || got[3]["intertoken_latency"] != nil || got[3]["time_to_first_token"] != 1e9 {
		t.Errorf("failed entry latencies %v %v %v, want null null 1e9", got[3]["end_to_end_latency"], got[3]["intertoken_latency"], got[3]["time_to_first_token"])
	}
	if !strings.HasPrefix(buf.String(), "[\n    {\n        \"id\"") {
		t.Errorf("not indented by four spaces:\n%.60s", buf.String())
	}

	// A request that failed before the engine admitted it has no queue time.
	buf.Reset()
	if err := WriteRequestJSON(&buf, []engine.Record{{StartNS: ms(5), Error: "canceled"}}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "queue_time") || !strings.Contains(buf.String(), `"status": "canceled"`) {
		t.Errorf("unadmitted request has a queue_time, or is not canceled:\n%s", buf.String())
	}
	// No records is an empty array, not null.
	buf.Reset()
	if err := WriteRequestJSON(&buf, nil); err != nil || strings.TrimSpace(buf.String()) != "[]" {
		t.Errorf("empty = %q, %v; want []", buf.String(), err)
	}
}
