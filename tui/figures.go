package tui

import (
	"math"

	"github.com/benchtui/benchtui/engine"
	"github.com/benchtui/benchtui/report"
	"github.com/benchtui/benchtui/tui/panel"
)

// This file is where the dashboard takes its figures from the report package: every
// number it shows comes from the report's implementation (metrics, samples, percentiles,
// summaries), never from one of its own, so that the panels, the history, compare, the
// sweep and replay print what the report, the console summary and the export hold.

// metricsOf is the report's metrics over records.
func metricsOf(recs []engine.Record) report.Metrics { return report.ComputeMetrics(recs, 1, 1) }

// statsOf converts a report distribution to the latency panel's summary.
func statsOf(d report.Distribution) panel.LatencyStats {
	return panel.LatencyStats{N: d.Count, Min: d.Minimum, Mean: d.Average, P50: d.P50, P90: d.P90, P99: d.P99, Max: d.Maximum}
}

// statsOfReport converts a report's percentile object (which has no count; n comes from the
// report's sample counts).
func statsOfReport(p report.Percentiles, n int) panel.LatencyStats {
	return panel.LatencyStats{N: n, Min: p.Minimum, Mean: p.Average, P50: p.P50, P90: p.P90, P99: p.P99, Max: p.Maximum}
}

// counts are the records' completed, failed and canceled numbers, by the records' status.
func counts(recs []engine.Record) (completed, failed, canceled int) {
	for i := range recs {
		switch recs[i].State() {
		case engine.StatusCompleted:
			completed++
		case engine.StatusFailed:
			failed++
		default:
			canceled++
		}
	}
	return completed, failed, canceled
}

// nanIfEmpty is v, or NaN when the distribution has no sample (the report writes 0).
func nanIfEmpty(v float64, n int) float64 {
	if n == 0 {
		return math.NaN()
	}
	return v
}

// prefillSamples is each completed request's first token time minus its admission, in ms:
// the part of its TTFT that is not queueing. Times out of order give no sample, as in the
// report's samples.
func prefillSamples(recs []engine.Record) []float64 {
	var v []float64
	for i := range recs {
		r := &recs[i]
		if !r.Completed() || r.OutputTokens() == 0 || r.AdmitNS < r.StartNS || r.FirstTokenNS < r.AdmitNS {
			continue
		}
		v = append(v, float64(r.FirstTokenNS-r.AdmitNS)/1e6)
	}
	return v
}

// figuresOfMetrics are the strip's figures from the report's metrics over a run's records
// so far (a live run, or a replay's time cursor).
func figuresOfMetrics(m *report.Metrics, prefill report.Distribution) panel.Figures {
	return panel.Figures{
		OutputTokS: nanIfEmpty(m.OutputThroughput, m.NumCompleted),
		ReqS:       nanIfEmpty(m.RequestThroughput, m.NumCompleted),
		TTFTp50:    nanIfEmpty(m.TTFTMS.P50, m.TTFTMS.Count),
		TTFTp99:    nanIfEmpty(m.TTFTMS.P99, m.TTFTMS.Count),
		TPOTp50:    nanIfEmpty(m.TPOTMS.P50, m.TPOTMS.Count),
		TPOTp99:    nanIfEmpty(m.TPOTMS.P99, m.TPOTMS.Count),
		E2Ep50:     nanIfEmpty(m.RequestLatencyMS.P50, m.RequestLatencyMS.Count),
		ITLp99:     nanIfEmpty(m.ITLMS.P99, m.ITLMS.Count),
		QueueP50:   nanIfEmpty(m.QueueTimeMS.P50, m.QueueTimeMS.Count),
		PrefillP50: nanIfEmpty(prefill.P50, prefill.Count),
		Completed:  m.NumCompleted, Failed: m.NumFailed, Canceled: m.NumCanceled,
	}
}

// figuresOfReport are an ended run's figures: the report's own numbers. records, when there
// are any, give the prefill median, which the report does not hold.
func figuresOfReport(rep *report.Report, recs []engine.Record) panel.Figures {
	bt := &rep.BenchTUI
	sc := &bt.SampleCounts
	sm := &rep.StreamingMetrics
	perf := &rep.Performance
	f := panel.Figures{
		OutputTokS: nanIfEmpty(perf.SystemOutputThroughputTokS, bt.NumCompleted),
		ReqS:       nanIfEmpty(perf.RequestThroughputReqS, bt.NumCompleted),
		TTFTp50:    nanIfEmpty(sm.TTFTPercentiles.P50, sc.TTFT),
		TTFTp99:    nanIfEmpty(sm.TTFTPercentiles.P99, sc.TTFT),
		TPOTp50:    nanIfEmpty(sm.TPOTPercentiles.P50, sc.TPOT),
		TPOTp99:    nanIfEmpty(sm.TPOTPercentiles.P99, sc.TPOT),
		E2Ep50:     nanIfEmpty(perf.RequestLatencyPercentilesMS.P50, sc.RequestLatency),
		ITLp99:     nanIfEmpty(bt.ITLPercentilesMS.P99, sc.ITL),
		QueueP50:   nanIfEmpty(bt.QueueTimePercentilesMS.P50, sc.QueueTime),
		PrefillP50: math.NaN(),
		Completed:  bt.NumCompleted, Failed: bt.NumFailed, Canceled: bt.NumCanceled,
	}
	if *sc == (report.SampleCounts{}) {
		// A trtllm-bench report has no sample counts: its figures stand as written, and
		// its request count is request_info's.
		f.OutputTokS, f.ReqS = perf.SystemOutputThroughputTokS, perf.RequestThroughputReqS
		f.TTFTp50, f.TTFTp99 = sm.TTFTPercentiles.P50, sm.TTFTPercentiles.P99
		f.TPOTp50, f.TPOTp99 = sm.TPOTPercentiles.P50, sm.TPOTPercentiles.P99
		f.E2Ep50 = perf.RequestLatencyPercentilesMS.P50
		if f.Completed == 0 {
			f.Completed = rep.RequestInfo.NumRequests
		}
	}
	if p := report.Summarize(prefillSamples(recs)); p.Count > 0 {
		f.PrefillP50 = p.P50
	}
	return f
}

// datasetAverages are the report's mean ISL and OSL: its dataset section's, else
// request_info's.
func datasetAverages(rep *report.Report) (isl, osl float64) {
	if d := rep.Dataset; d != nil && d.ISL.Average > 0 {
		return d.ISL.Average, d.OSL.Average
	}
	return rep.RequestInfo.AvgInputLength, rep.RequestInfo.AvgOutputLength
}

// datasetName is the report's dataset path, "" for a generated set.
func datasetName(rep *report.Report) string {
	if d := rep.Dataset; d != nil {
		return d.DatasetPath
	}
	return ""
}
