package report

import (
	"fmt"
	"io"
	"strings"
)

// summaryBanner frames each section title, as in trtllm-bench's console report.
const summaryBanner = "==========================================================="

// Column widths of the key/value sections, taken from trtllm-bench so that the two tools'
// summaries line up when compared side by side.
const (
	backendKeyWidth = 24
	requestKeyWidth = 32
	worldKeyWidth   = 24
	perfKeyWidth    = 50
)

// breakdownOrder is the order in which every [TAG] breakdown prints its statistics.
var breakdownOrder = [...]string{"minimum", "maximum", "average", "p50", "p90", "p95", "p99"}

// WriteSummary prints the report as trtllm-bench's console summary: the same sections in the
// same order, with the same wording and 4-decimal numbers, plus benchtui's lines (failed,
// canceled and warmup requests, versions, preset, seed), its [ITL] and [QUEUE] breakdowns and, when the
// hardware was watched, a HARDWARE section after trtllm-bench's. TTFT, TPOT
// and GTPS are printed for every run, not only streaming ones, because benchtui always times
// every token. The summary is built in memory and written at once, so it is not interleaved
// with other output.
func WriteSummary(w io.Writer, r *Report) error {
	if r == nil {
		return nil
	}
	var b strings.Builder
	writeBackendSection(&b, r)
	writeMachineSection(&b, r.Machine)
	writeRequestSection(&b, r)
	writeWorldSection(&b, r)
	writePerformanceSection(&b, r)
	writeDatasetSection(&b, r.Dataset)
	if hw := r.BenchTUI.Hardware; hw != nil {
		writeHardwareSection(&b, hw)
	}
	if rpc := r.BenchTUI.RPC; rpc != nil {
		writeRPCSection(&b, rpc)
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write summary: %w", err)
	}
	return nil
}

func summaryTitle(b *strings.Builder, title string) {
	fmt.Fprintf(b, "%s\n= %s\n%s\n", summaryBanner, title, summaryBanner)
}

func summaryKV(b *strings.Builder, width int, key, value string) {
	fmt.Fprintf(b, "%-*s %s\n", width-1, key+":", value)
}

// orNA prints an unknown string as N/A rather than leaving the value blank.
func orNA(s string) string {
	if s == "" {
		return "N/A"
	}
	return s
}

func writeBackendSection(b *strings.Builder, r *Report) {
	e := &r.Engine
	b.WriteString("\n")
	summaryTitle(b, "BACKEND DETAILS")
	summaryKV(b, backendKeyWidth, "Model", orNA(e.Model))
	summaryKV(b, backendKeyWidth, "Model Path", orNA(e.ModelPath))
	summaryKV(b, backendKeyWidth, "Backend", orNA(e.Backend))
	summaryKV(b, backendKeyWidth, "llama.cpp Version", orNA(e.Version))
	summaryKV(b, backendKeyWidth, "llama.cpp Commit", orNA(r.BenchTUI.LlamaCppCommit))
	summaryKV(b, backendKeyWidth, "benchtui Version", orNA(r.BenchTUI.Version))
	preset := orNA(r.BenchTUI.ModelPreset)
	if r.BenchTUI.SyntheticWeights {
		preset += " (synthetic weights)"
	}
	summaryKV(b, backendKeyWidth, "Model Preset", preset)
	summaryKV(b, backendKeyWidth, "Dtype", orNA(e.Dtype))
	summaryKV(b, backendKeyWidth, "KV Cache Dtype", orNA(e.KVCacheDtype))
	summaryKV(b, backendKeyWidth, "Quantization", orNA(e.Quantization))
	b.WriteString("\n")
}

func writeMachineSection(b *strings.Builder, m *Machine) {
	summaryTitle(b, "MACHINE DETAILS")
	if m == nil {
		b.WriteString("No GPU info available\n\n")
		return
	}
	name := m.Name
	if name == "" {
		name = "Unknown"
	}
	mem, clock := "N/A", "N/A"
	if m.MemoryTotalGB != nil {
		mem = fmt.Sprintf("%.2f GB", *m.MemoryTotalGB)
	}
	if m.MemClockGHz != nil {
		clock = fmt.Sprintf("%.2f GHz", *m.MemClockGHz)
	}
	fmt.Fprintf(b, "%s, memory %s, %s\n\n", name, mem, clock)
}

func writeRequestSection(b *strings.Builder, r *Report) {
	q := &r.RequestInfo
	summaryTitle(b, "REQUEST DETAILS")
	summaryKV(b, requestKeyWidth, "Number of requests", fmt.Sprint(q.NumRequests))
	summaryKV(b, requestKeyWidth, "Number of concurrent requests", FormatSummary(q.AvgNumConcurrentRequests))
	summaryKV(b, requestKeyWidth, "Average Input Length (tokens)", FormatSummary(q.AvgInputLength))
	summaryKV(b, requestKeyWidth, "Average Output Length (tokens)", FormatSummary(q.AvgOutputLength))
	summaryKV(b, requestKeyWidth, "Number of failed requests", fmt.Sprint(r.BenchTUI.NumFailed))
	summaryKV(b, requestKeyWidth, "Number of canceled requests", fmt.Sprint(r.BenchTUI.NumCanceled))
	summaryKV(b, requestKeyWidth, "Number of warmup requests", fmt.Sprint(r.BenchTUI.WarmupRequests))
	b.WriteString("\n")
}

func writeWorldSection(b *strings.Builder, r *Report) {
	wi := &r.WorldInfo
	kv := "N/A"
	if wi.KVCachePercentage != nil {
		kv = fmt.Sprintf("%.2f%%", *wi.KVCachePercentage*100)
	}
	summaryTitle(b, "WORLD + RUNTIME INFORMATION")
	summaryKV(b, worldKeyWidth, "TP Size", fmt.Sprint(wi.TPSize))
	summaryKV(b, worldKeyWidth, "PP Size", fmt.Sprint(wi.PPSize))
	summaryKV(b, worldKeyWidth, "EP Size", fmt.Sprint(wi.EPSize))
	summaryKV(b, worldKeyWidth, "Max Runtime Batch Size", fmt.Sprint(wi.MaxBatchSize))
	summaryKV(b, worldKeyWidth, "Max Runtime Tokens", fmt.Sprint(wi.MaxNumTokens))
	summaryKV(b, worldKeyWidth, "Scheduling Policy", orNA(wi.SchedulingPolicy))
	summaryKV(b, worldKeyWidth, "KV Memory Percentage", kv)
	// trtllm-bench prints %.4E because its value is off by orders of magnitude; ours is a
	// plain rate.
	summaryKV(b, worldKeyWidth, "Issue Rate (req/sec)", FormatSummary(wi.IssueRate))
	summaryKV(b, worldKeyWidth, "Streaming", fmt.Sprint(r.BenchTUI.Streaming))
	summaryKV(b, worldKeyWidth, "Seed", fmt.Sprint(r.BenchTUI.Seed))
	b.WriteString("\n")
}

func writePerformanceSection(b *strings.Builder, r *Report) {
	p := &r.Performance
	s := &r.StreamingMetrics
	summaryTitle(b, "PERFORMANCE OVERVIEW")
	for _, l := range []struct {
		key   string
		value float64
	}{
		{"Request Throughput (req/sec)", p.RequestThroughputReqS},
		{"Total Output Throughput (tokens/sec)", p.SystemOutputThroughputTokS},
		{"Total Token Throughput (tokens/sec)", p.SystemTotalThroughputTokS},
		{"Total Latency (ms)", p.TotalLatencyMS},
		{"Average request latency (ms)", p.AvgRequestLatencyMS},
		{"Per User Output Throughput [w/ ctx] (tps/user)", p.OutputThroughputPerUserTokS},
		{"Per GPU Output Throughput (tps/gpu)", p.OutputThroughputPerGPUTokS},
		{"Average time-to-first-token [TTFT] (ms)", s.AvgTTFTMS},
		{"Average time-per-output-token [TPOT] (ms)", s.AvgTPOTMS},
		{"Per User Output Speed (tps/user)", s.TokenOutputSpeedTokS},
	} {
		summaryKV(b, perfKeyWidth, l.key, FormatSummary(l.value))
	}

	for _, bd := range []struct {
		heading, tag string
		p            Percentiles
	}{
		{"-- Per-Request Time-per-Output-Token [TPOT] Breakdown (ms)", "TPOT", s.TPOTPercentiles},
		{"-- Per-Request Time-to-First-Token [TTFT] Breakdown (ms)", "TTFT", s.TTFTPercentiles},
		{"-- Per-Request Generation Throughput [GTPS] Breakdown (tps/user)", "GTPS", s.GenTPSPercentiles},
		{"-- Request Latency Breakdown (ms) -----------------------", "Latency", p.RequestLatencyPercentilesMS},
		{"-- Inter-Token Latency [ITL] Breakdown, every token gap (ms)", "ITL", r.BenchTUI.ITLPercentilesMS},
		{"-- Queue Time [QUEUE] Breakdown, slot to first schedule (ms)", "QUEUE", r.BenchTUI.QueueTimePercentilesMS},
	} {
		writeBreakdown(b, bd.heading, bd.tag, bd.p)
	}
	b.WriteString("\n")
}

func writeBreakdown(b *strings.Builder, heading, tag string, p Percentiles) {
	values := map[string]float64{
		"minimum": p.Minimum, "maximum": p.Maximum, "average": p.Average,
		"p50": p.P50, "p90": p.P90, "p95": p.P95, "p99": p.P99,
	}
	fmt.Fprintf(b, "\n%s\n\n", heading)
	for _, k := range breakdownOrder {
		fmt.Fprintf(b, "[%s] %-7s: %s\n", tag, strings.ToUpper(k), FormatSummary(values[k]))
	}
}

// formatDatasetNumber fits a value in nine characters as trtllm-bench does: fixed point below
// 100000, scientific notation above.
func formatDatasetNumber(v float64) string {
	if v >= 100000 {
		return fmt.Sprintf("%9.2e", v)
	}
	return fmt.Sprintf("%9.4f", v)
}

func writeDatasetSection(b *strings.Builder, d *Dataset) {
	summaryTitle(b, "DATASET DETAILS")
	if d == nil {
		b.WriteString("No dataset statistics available\n")
		b.WriteString(summaryBanner + "\n")
		return
	}
	fmt.Fprintf(b, "Dataset Path:         %s\n", orNA(d.DatasetPath))
	fmt.Fprintf(b, "Number of Sequences:  %d\n", d.NumRequests)
	b.WriteString("\n-- Percentiles statistics ---------------------------------\n\n")
	b.WriteString("        Input              Output           Seq. Length\n")
	b.WriteString("-----------------------------------------------------------\n")
	rows := []struct {
		label string
		get   func(*Distribution) float64
	}{
		{"MIN", func(s *Distribution) float64 { return s.Minimum }},
		{"MAX", func(s *Distribution) float64 { return s.Maximum }},
		{"AVG", func(s *Distribution) float64 { return s.Average }},
		{"P50", func(s *Distribution) float64 { return s.P50 }},
		{"P90", func(s *Distribution) float64 { return s.P90 }},
		{"P95", func(s *Distribution) float64 { return s.P95 }},
		{"P99", func(s *Distribution) float64 { return s.P99 }},
	}
	for _, row := range rows {
		fmt.Fprintf(b, "%s:  %s          %s          %s\n", row.label,
			formatDatasetNumber(row.get(&d.ISL)),
			formatDatasetNumber(row.get(&d.OSL)),
			formatDatasetNumber(row.get(&d.SeqLen)))
	}
	b.WriteString(summaryBanner + "\n")
}

// writeHardwareSection prints the run's telemetry summary and speed of light.
func writeHardwareSection(b *strings.Builder, hw *Hardware) {
	summaryTitle(b, "HARDWARE")
	b.WriteString(hw.Summary.String())
	if sol := hw.SpeedOfLight; sol != nil {
		b.WriteString(sol.Roofline.String() + "\n")
		fmt.Fprintf(b, "Speed of light (decode, batch %.1f, context %.0f tokens): %.1f tok/s; achieved %.1f%%\n",
			sol.MeanBatch, sol.MeanContextTokens, sol.RooflineOutputTokS, sol.AchievedPercent)
	}
	b.WriteString(summaryBanner + "\n")
}
