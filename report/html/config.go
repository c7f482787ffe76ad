package html

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/benchtui/benchtui/report"
)

// config tables the run's settings: engine, world, requests, dataset and the full
// configuration as the report holds it.
func (v *runView) config() *Section {
	r := v.rep
	e, w, q, b := &r.Engine, &r.WorldInfo, &r.RequestInfo, &r.BenchTUI
	sec := &Section{ID: v.id("config"), Title: "Configuration"}
	kv := func(id, caption string, rows [][2]string) *Table {
		t := &Table{ID: v.id(id), Caption: caption, Head: []string{"", "value"}}
		for _, row := range rows {
			if row[1] == "" {
				continue
			}
			t.Rows = append(t.Rows, []Cell{{Text: row[0]}, {Text: row[1], Key: id + "-" + slug(row[0])}})
		}
		return t
	}
	kvPct := ""
	if w.KVCachePercentage != nil {
		kvPct = fmtVal(*w.KVCachePercentage)
	}
	machine := "none (CPU)"
	if r.Machine != nil {
		machine = r.Machine.Name
		if r.Machine.MemoryTotalGB != nil {
			machine += fmt.Sprintf(", %s GB", fmtVal(*r.Machine.MemoryTotalGB))
		}
	}
	sec.Tables = append(sec.Tables,
		kv("engine", "Engine", [][2]string{
			{"model", e.Model}, {"model path", e.ModelPath}, {"backend", e.Backend}, {"backend version", e.Version},
			{"llama.cpp commit", b.LlamaCppCommit}, {"dtype", e.Dtype}, {"KV cache dtype", e.KVCacheDtype},
			{"quantization", e.Quantization}, {"GPU", machine}, {"benchtui", b.Version}, {"preset", b.ModelPreset},
		}),
		kv("world", "World and scheduling", [][2]string{
			{"tp / pp / ep", fmt.Sprintf("%d / %d / %d", w.TPSize, w.PPSize, w.EPSize)}, {"world size", strconv.Itoa(w.WorldSize)},
			{"max_batch_size", strconv.Itoa(w.MaxBatchSize)}, {"max_num_tokens", strconv.Itoa(w.MaxNumTokens)},
			{"scheduling policy", w.SchedulingPolicy}, {"KV cache fraction", kvPct}, {"issue rate", fmtVal(w.IssueRate) + " req/s"},
		}),
		kv("requests", "Requests", [][2]string{
			{"requests", strconv.Itoa(q.NumRequests)}, {"failed", strconv.Itoa(b.NumFailed)}, {"canceled", strconv.Itoa(b.NumCanceled)},
			{"warmup", strconv.Itoa(b.WarmupRequests)},
			{"average concurrency", fmtVal(q.AvgNumConcurrentRequests)}, {"average input", fmtVal(q.AvgInputLength) + " tokens"},
			{"average output", fmtVal(q.AvgOutputLength) + " tokens"}, {"input tokens", strconv.FormatInt(b.TotalInputTokens, 10)},
			{"output tokens", strconv.FormatInt(b.TotalOutputTokens, 10)}, {"seed", strconv.FormatInt(b.Seed, 10)},
			{"streaming", strconv.FormatBool(b.Streaming)},
		}))
	if t := datasetTable(v.id("dataset"), r.Dataset); t != nil {
		sec.Tables = append(sec.Tables, t)
	}
	if rows := flatten(b.Config); len(rows) > 0 {
		t := &Table{ID: v.id("settings"), Caption: "Full configuration (benchtui.config)", Head: []string{"key", "value"}}
		for _, row := range rows {
			t.Rows = append(t.Rows, []Cell{{Text: row[0]}, {Text: row[1]}})
		}
		sec.Tables = append(sec.Tables, t)
	}
	return sec
}

func datasetTable(id string, d *report.Dataset) *Table {
	if d == nil || d.ISL.Count == 0 && d.ISL.Maximum == 0 {
		return nil
	}
	t := &Table{ID: id, Caption: fmt.Sprintf("Dataset: %d requests, %s", d.NumRequests, orDash(d.DatasetPath)),
		Head: []string{"tokens", "min", "average", "p50", "p90", "p99", "max"}}
	for _, s := range []struct {
		name string
		p    report.Distribution
	}{{"input", d.ISL}, {"output", d.OSL}, {"sequence", d.SeqLen}} {
		row := []Cell{{Text: s.name}}
		for _, x := range []float64{s.p.Minimum, s.p.Average, s.p.P50, s.p.P90, s.p.P99, s.p.Maximum} {
			row = append(row, Cell{Text: fmtVal(x), Class: "num"})
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// flatten lists a JSON-able value's leaves as dotted keys and their values, sorted by key.
func flatten(v any) [][2]string {
	if v == nil {
		return nil
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var tree any
	if json.Unmarshal(raw, &tree) != nil {
		return nil
	}
	var out [][2]string
	var walk func(prefix string, x any)
	walk = func(prefix string, x any) {
		switch t := x.(type) {
		case map[string]any:
			keys := make([]string, 0, len(t))
			for k := range t {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				p := k
				if prefix != "" {
					p = prefix + "." + k
				}
				walk(p, t[k])
			}
		case nil:
			out = append(out, [2]string{prefix, "null"})
		default:
			b, _ := json.Marshal(t)
			out = append(out, [2]string{prefix, strings.Trim(string(b), `"`)})
		}
	}
	walk("", tree)
	return out
}
