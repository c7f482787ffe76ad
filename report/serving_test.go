package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/benchtui/benchtui/engine"
)

// streamRecords are three requests to two endpoints, worked out by hand (ms):
//
//	s0: a, sent 0, 4 tokens in 2 chunks at 10 and 20 (usage 4), server 6 + 8 ms
//	s1: b, sent 5, 2 tokens in 2 chunks at 15 and 25 (no usage), server 7 + 9 ms
//	s2: never sent (StartNS -1, AdmitNS -1, no endpoint), canceled
func streamRecords() []engine.Record {
	return []engine.Record{
		{Index: 0, InputTokens: 8, TargetOutputTokens: 4, StartNS: 0, AdmitNS: -1, FirstTokenNS: ms(10), EndNS: ms(20),
			TokenNS: msList(10, 10, 20, 20), Chunks: 2, UsageOutputTokens: 4, Endpoint: "a", Status: engine.StatusCompleted,
			Server: &engine.ServerTimings{PromptMS: 6, PredictedMS: 8, CacheN: 3}},
		{Index: 1, InputTokens: 8, TargetOutputTokens: 3, StartNS: ms(5), AdmitNS: -1, FirstTokenNS: ms(15), EndNS: ms(25),
			TokenNS: msList(15, 25), Chunks: 2, Endpoint: "b", Status: engine.StatusCompleted,
			Server: &engine.ServerTimings{PromptMS: 7, PredictedMS: 9}},
		{Index: 2, InputTokens: 8, TargetOutputTokens: 4, StartNS: -1, AdmitNS: -1, Status: engine.StatusCanceled, Error: "canceled"},
	}
}

func TestComputeServing(t *testing.T) {
	recs := streamRecords()
	series := []engine.Snapshot{
		{Server: &engine.ServerMetrics{TimeNS: 1, Running: 2, Waiting: 0, KVUsage: 0.5}},
		{Server: &engine.ServerMetrics{TimeNS: 1, Running: 2, Waiting: 0, KVUsage: 0.5}}, // repeated reading
		{},
		{Server: &engine.ServerMetrics{TimeNS: 9, Running: 1, Waiting: 3, KVUsage: 0.25}},
	}
	s := ComputeServing(recs, ServingInput{API: "completions", Endpoints: []string{"a", "b"}, Series: series})
	if s.Lengths != (Lengths{Requested: 7, Generated: 6, Honoured: 1, Mismatched: 1, WithoutUsage: 1}) {
		t.Errorf("lengths %+v", s.Lengths)
	}
	if s.Chunks != (Chunks{Chunks: 4, Tokens: 6, TokensPerChunk: 1.5}) {
		t.Errorf("chunks %+v", s.Chunks)
	}
	st := s.ServerTimings
	if st == nil || st.Requests != 2 || st.CachedPromptTokens != 3 {
		t.Fatalf("server timings %+v", st)
	}
	// Client end-to-end 20 and 20 ms against the server's 14 and 16.
	checkDist(t, "overhead", st.OverheadMS, Summarize([]float64{6, 4}))
	checkDist(t, "client TTFT", st.ClientTTFTMS, Summarize([]float64{10, 10}))
	if len(s.PerEndpoint) != 2 || s.PerEndpoint[0].Endpoint != "a" || s.PerEndpoint[0].Requests != 1 || s.PerEndpoint[0].Completed != 1 ||
		s.PerEndpoint[1].Completed != 1 {
		t.Errorf("per endpoint %+v", s.PerEndpoint)
	}
	if len(s.ServerMetrics) != 2 || s.ServerMetrics[1].Waiting != 3 {
		t.Errorf("server metrics series %+v: want the two readings once each", s.ServerMetrics)
	}
	if one := ComputeServing(recs, ServingInput{Endpoints: []string{"a"}}); one.PerEndpoint != nil {
		t.Error("a single endpoint's figures are the report's: no breakdown")
	}
}

// Stream records give no queue time (the server admits out of sight) and a request never
// sent gives no latency; tokens that arrived in one chunk (gaps of 0) give no ITL sample.
func TestStreamRecordMetrics(t *testing.T) {
	m := ComputeMetrics(streamRecords(), 1, 1)
	if m.NumCompleted != 2 || m.NumCanceled != 1 || m.QueueTimeMS.Count != 0 {
		t.Errorf("completed %d, canceled %d, queue times %d", m.NumCompleted, m.NumCanceled, m.QueueTimeMS.Count)
	}
	checkDist(t, "ITL", m.ITLMS, Summarize([]float64{10, 10}))
	checkDist(t, "TTFT", m.TTFTMS, Summarize([]float64{10, 10}))
}

func TestServingSummaryAndRequestJSON(t *testing.T) {
	recs := streamRecords()
	rep := Build(Input{Records: recs, Engine: Engine{Backend: "openai"}})
	rep.BenchTUI.Serving = ComputeServing(recs, ServingInput{API: "chat", Endpoints: []string{"a", "b"}})
	rep.BenchTUI.Goodput = NewGoodputSection(recs, SLO{TTFT: 12e6})
	var b bytes.Buffer
	if err := WriteSummary(&b, &rep); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"SERVING DETAILS", "/v1/chat/completions", "Requested Length Honoured:", "1 of 2 requests (1 without a usage count",
		"overhead (client - server)", "-- Per Endpoint", "GOODPUT", "ttft=12ms", "2 of 3 (66.7%)", "Server Version"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	b.Reset()
	if err := WriteRequestJSON(&b, recs); err != nil {
		t.Fatal(err)
	}
	var entries []map[string]any
	if err := json.Unmarshal(b.Bytes(), &entries); err != nil {
		t.Fatal(err)
	}
	if entries[0]["endpoint"] != "a" || entries[0]["usage_output_tokens"] != 4.0 || entries[0]["server_timings"] == nil {
		t.Errorf("request entry %v", entries[0])
	}
	if _, ok := entries[2]["queue_time"]; ok || entries[2]["end_to_end_latency"] != nil {
		t.Errorf("a request never sent: %v", entries[2])
	}
}

// Compare sets a run over HTTP beside one in process with the serving figures and says what
// the HTTP figures include.
func TestCompareServing(t *testing.T) {
	local := Build(Input{Records: sampleRecords(), Engine: Engine{Backend: "llamacpp"}})
	recs := streamRecords()
	remote := Build(Input{Records: recs, Engine: Engine{Backend: "llama-server"}})
	remote.BenchTUI.Serving = ComputeServing(recs, ServingInput{Endpoints: []string{"a"}})
	var b bytes.Buffer
	if err := WriteCompare(&b, []string{"in-process.json", "server.json"}, []Report{local, remote}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"server.json was measured over HTTP (llama-server) and in-process.json in process", "exceeds the server's own timings by 6.00 ms at the median",
		"server_overhead_p50_ms", "goodput_req_s"} {
		if !strings.Contains(out, want) {
			t.Errorf("comparison lacks %q:\n%s", want, out)
		}
	}
}
