package report

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"
)

func float(v float64) *float64 { return &v }

// sampleDataset is a dataset section with distinct values in every field.
func sampleDataset() *Dataset {
	stats := func(lo, hi float64) Distribution {
		return Distribution{Count: 3, Minimum: lo, Maximum: hi, Average: (lo + hi) / 2,
			P50: lo + 1, P90: hi - 1, P95: hi, P99: hi}
	}
	return &Dataset{
		ISL: stats(10, 30), OSL: stats(1, 5), SeqLen: stats(15, 31),
		NumRequests: 4, MaxISL: 30, MaxOSL: 5, MaxSequenceLength: 31,
		AvgISL: 20, AvgOSL: 3, AvgSequenceLength: 23,
	}
}

func sampleReportInput() Input {
	return Input{
		Records: sampleRecords(),
		Engine: Engine{Model: "tinyllama", ModelPath: "/models/tiny.gguf", Version: "b6000",
			Backend: "llama.cpp", Dtype: "f16", KVCacheDtype: "f16", Quantization: "none"},
		Machine: &Machine{Name: "NVIDIA H100 80GB HBM3", MemoryTotalGB: float(79.19),
			MemClockGHz: float(2.619)},
		World: World{TPSize: 2, PPSize: 1, MaxBatchSize: 64, MaxNumTokens: 2048,
			SchedulingPolicy: "GUARANTEED_NO_EVICT", KVCachePercentage: float(0.9)},
		Dataset:          sampleDataset(),
		DatasetPath:      "/data/set.jsonl",
		Streaming:        true,
		Config:           map[string]any{"concurrency": 8},
		Seed:             420,
		Preset:           "tiny",
		Version:          "v0.1.0",
		LlamaCppCommit:   "abc123",
		Warmup:           2,
		TimeSeriesBucket: 100 * time.Millisecond,
	}
}

// lookup follows a key path through decoded JSON objects. Keys may contain dots
// ("memory.total"), so the path is a list.
func lookup(v any, path ...string) (any, bool) {
	for _, k := range path {
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = obj[k]; !ok {
			return nil, false
		}
	}
	return v, true
}

func decodeReport(t *testing.T, r *Report) (map[string]any, string) {
	t.Helper()
	var buf bytes.Buffer
	if err := r.WriteJSON(&buf); err != nil {
		t.Fatalf("WriteJSON: %v", err)
	}
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("report is not JSON: %v", err)
	}
	return doc, buf.String()
}

var percentileKeys = []string{"p50", "p90", "p95", "p99", "minimum", "maximum", "average"}

func TestReportTrtllmKeys(t *testing.T) {
	r := Build(sampleReportInput())
	doc, text := decodeReport(t, &r)

	if !strings.HasPrefix(text, "{\n    \"engine\": {\n        \"model\"") {
		t.Errorf("report is not indented by four spaces:\n%.80s", text)
	}

	top := []string{"engine", "machine", "world_info", "request_info", "performance",
		"streaming_metrics", "dataset", "benchtui"}
	if len(doc) != len(top) {
		t.Errorf("top-level keys = %d, want %d (%v)", len(doc), len(top), top)
	}
	sections := map[string][]string{
		"engine": {"model", "model_path", "engine_dir", "version", "backend", "dtype", "kv_cache_dtype",
			"quantization"},
		"machine": {"name", "memory.total", "clocks.mem"},
		"world_info": {"tp_size", "pp_size", "ep_size", "world_size", "max_batch_size", "max_num_tokens",
			"scheduling_policy", "kv_cache_percentage", "issue_rate"},
		"request_info": {"num_requests", "avg_num_concurrent_requests", "avg_input_length",
			"avg_output_length"},
		"performance": {"total_latency_ms", "avg_request_latency_ms", "request_throughput_req_s",
			"system_output_throughput_tok_s", "system_total_throughput_tok_s",
			"output_throughput_per_user_tok_s", "output_throughput_per_gpu_tok_s",
			"request_latency_percentiles_ms"},
		"streaming_metrics": {"token_output_speed_tok_s", "avg_ttft_ms", "avg_tpot_ms", "tpot_percentiles",
			"ttft_percentiles", "gen_tps_percentiles"},
		"dataset": {"isl_stats", "osl_stats", "seq_len_stats", "num_requests", "dataset_path", "max_isl",
			"max_osl", "max_sequence_length", "avg_isl", "avg_osl", "avg_sequence_length"},
		"benchtui": {"version", "llama_cpp_version", "llama_cpp_commit", "model_preset", "model_dtype",
			"seed", "streaming", "warmup_requests", "num_completed", "num_failed", "itl_percentiles_ms",
			"queue_time_percentiles_ms", "time_series", "config"},
	}
	for _, name := range top {
		for _, key := range sections[name] {
			if _, ok := lookup(doc, name, key); !ok {
				t.Errorf("missing key %s.%s", name, key)
			}
		}
	}
	// trtllm-bench's own sections must hold nothing else, so that its readers see exactly
	// what they expect.
	for _, name := range []string{"engine", "machine", "world_info", "request_info", "performance",
		"streaming_metrics"} {
		obj, _ := doc[name].(map[string]any)
		if len(obj) != len(sections[name]) {
			t.Errorf("%s has %d keys, want %d", name, len(obj), len(sections[name]))
		}
	}
	for _, path := range [][]string{
		{"performance", "request_latency_percentiles_ms"},
		{"streaming_metrics", "tpot_percentiles"},
		{"streaming_metrics", "ttft_percentiles"},
		{"streaming_metrics", "gen_tps_percentiles"},
		{"benchtui", "itl_percentiles_ms"},
		{"benchtui", "queue_time_percentiles_ms"},
	} {
		v, _ := lookup(doc, path...)
		obj, ok := v.(map[string]any)
		if !ok || len(obj) != len(percentileKeys) {
			t.Errorf("%v = %v, want an object with exactly %v", path, v, percentileKeys)
			continue
		}
		for _, k := range percentileKeys {
			if _, ok := obj[k]; !ok {
				t.Errorf("%v lacks %q", path, k)
			}
		}
	}
}

func TestReportValues(t *testing.T) {
	r := Build(sampleReportInput())
	doc, _ := decodeReport(t, &r)

	nums := []struct {
		path []string
		want float64
	}{
		// The values worked out in TestComputeMetricsAggregates, through the JSON names.
		{[]string{"performance", "total_latency_ms"}, 400},
		{[]string{"performance", "request_throughput_req_s"}, 7.5},
		{[]string{"performance", "system_output_throughput_tok_s"}, 22.5},
		{[]string{"performance", "system_total_throughput_tok_s"}, 172.5},
		{[]string{"performance", "output_throughput_per_gpu_tok_s"}, 11.25},
		{[]string{"performance", "avg_request_latency_ms"}, 730.0 / 3},
		{[]string{"performance", "output_throughput_per_user_tok_s"}, (5/0.18 + 12 + 1/0.3) / 3},
		{[]string{"performance", "request_latency_percentiles_ms", "p50"}, 250},
		{[]string{"request_info", "num_requests"}, 3},
		{[]string{"request_info", "avg_num_concurrent_requests"}, 1.825},
		{[]string{"request_info", "avg_input_length"}, 20},
		{[]string{"request_info", "avg_output_length"}, 3},
		{[]string{"world_info", "world_size"}, 2},
		{[]string{"world_info", "ep_size"}, 1},
		{[]string{"world_info", "issue_rate"}, 20},
		{[]string{"world_info", "kv_cache_percentage"}, 0.9},
		{[]string{"machine", "memory.total"}, 79.19},
		// Per User Output Speed is the average GTPS: (50 + 2/0.15)/2.
		{[]string{"streaming_metrics", "token_output_speed_tok_s"}, (50 + 2/0.15) / 2},
		{[]string{"streaming_metrics", "avg_ttft_ms"}, 500.0 / 3},
		{[]string{"streaming_metrics", "avg_tpot_ms"}, 47.5},
		{[]string{"streaming_metrics", "tpot_percentiles", "minimum"}, 20},
		{[]string{"benchtui", "itl_percentiles_ms", "p90"}, 100},
		{[]string{"benchtui", "queue_time_percentiles_ms", "average"}, 10},
		{[]string{"benchtui", "num_failed"}, 1},
		{[]string{"benchtui", "num_completed"}, 3},
		{[]string{"benchtui", "warmup_requests"}, 2},
		{[]string{"benchtui", "seed"}, 420},
		{[]string{"benchtui", "sample_counts", "tpot"}, 2},
		{[]string{"benchtui", "sample_counts", "itl"}, 6},
		{[]string{"benchtui", "time_series_bucket_s"}, 0.1},
		{[]string{"benchtui", "config", "concurrency"}, 8},
	}
	for _, n := range nums {
		v, ok := lookup(doc, n.path...)
		f, isNum := v.(float64)
		if !ok || !isNum {
			t.Errorf("%v = %v, want number %v", n.path, v, n.want)
			continue
		}
		approx(t, strings.Join(n.path, "."), f, n.want)
	}
	strs := []struct {
		path []string
		want string
	}{
		{[]string{"engine", "version"}, "b6000"},
		{[]string{"benchtui", "llama_cpp_version"}, "b6000"},
		{[]string{"benchtui", "llama_cpp_commit"}, "abc123"},
		{[]string{"benchtui", "version"}, "v0.1.0"},
		{[]string{"benchtui", "model_preset"}, "tiny"},
		{[]string{"benchtui", "model_dtype"}, "f16"},
		{[]string{"dataset", "dataset_path"}, "/data/set.jsonl"},
		{[]string{"world_info", "scheduling_policy"}, "GUARANTEED_NO_EVICT"},
	}
	for _, s := range strs {
		if v, _ := lookup(doc, s.path...); v != s.want {
			t.Errorf("%v = %v, want %q", s.path, v, s.want)
		}
	}
	if ts, _ := lookup(doc, "benchtui", "time_series"); len(ts.([]any)) != 4 {
		t.Errorf("time_series has %d points, want 4", len(ts.([]any)))
	}
}

func TestReportEdgeCases(t *testing.T) {
	t.Run("empty run", func(t *testing.T) {
		r := Build(Input{})
		doc, text := decodeReport(t, &r)
		if doc["machine"] != nil || doc["dataset"] != nil {
			t.Errorf("machine/dataset = %v/%v, want null", doc["machine"], doc["dataset"])
		}
		if !strings.Contains(text, `"time_series": []`) {
			t.Errorf("empty time series is not []")
		}
		if v, _ := lookup(doc, "world_info", "world_size"); v != 1.0 {
			t.Errorf("world_size = %v, want 1", v)
		}
	})
	t.Run("non-finite inputs", func(t *testing.T) {
		bad := Metrics{OutputThroughput: math.Inf(1), AvgInputLength: math.NaN()}
		bad.TTFTMS.P99 = math.NaN()
		r := Build(Input{Metrics: &bad, World: World{IssueRate: math.Inf(-1),
			KVCachePercentage: float(math.NaN())}, Machine: &Machine{MemoryTotalGB: float(math.NaN())}})
		doc, _ := decodeReport(t, &r)
		if v, _ := lookup(doc, "machine", "memory.total"); v != nil {
			t.Errorf("memory.total = %v, want null", v)
		}
	})
	t.Run("configured issue rate wins", func(t *testing.T) {
		in := sampleReportInput()
		in.World.IssueRate = 4
		if r := Build(in); r.WorldInfo.IssueRate != 4 {
			t.Errorf("issue_rate = %v, want 4", r.WorldInfo.IssueRate)
		}
	})
	t.Run("dataset path kept", func(t *testing.T) {
		ds := sampleDataset()
		ds.DatasetPath = "/orig"
		in := sampleReportInput()
		in.Dataset = ds
		r := Build(in)
		doc, _ := decodeReport(t, &r)
		if v, _ := lookup(doc, "dataset", "dataset_path"); v != "/orig" {
			t.Errorf("dataset_path = %v, want /orig", v)
		}
	})
	t.Run("dataset path filled", func(t *testing.T) {
		in := sampleReportInput()
		r := Build(in)
		doc, _ := decodeReport(t, &r)
		if v, _ := lookup(doc, "dataset", "dataset_path"); v != "/data/set.jsonl" {
			t.Errorf("dataset_path = %v", v)
		}
		if v, _ := lookup(doc, "dataset", "num_requests"); v != 4.0 {
			t.Errorf("num_requests = %v", v)
		}
		if in.Dataset.DatasetPath != "" {
			t.Error("Build changed the caller's dataset section")
		}
	})
}
