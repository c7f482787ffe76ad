package report

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/benchtui/benchtui/dataset"
)

func TestDatasetStats(t *testing.T) {
	reqs := []dataset.Request{
		{InputIDs: make([]int32, 10), OutputTokens: 5},
		{InputIDs: make([]int32, 20), OutputTokens: 6},
		{InputIDs: make([]int32, 31), OutputTokens: 7},
	}
	s := DatasetStats(reqs)
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
	if z := DatasetStats(nil); z.NumRequests != 0 || z.MaxISL != 0 {
		t.Errorf("empty stats %+v", z)
	}
}
