package tui

import (
	"encoding/json"
	"math"

	"github.com/benchtui/benchtui/dataset"
	"github.com/benchtui/benchtui/engine"
	"github.com/benchtui/benchtui/telemetry"
	"github.com/benchtui/benchtui/tui/panel"
)

// This file is the one place where the dashboard takes its formulas: every figure it shows
// comes from the report's implementation (metrics, percentiles, summaries), never from one
// of its own, so that the panels, the history, compare, the sweep and replay print what the
// report, the console summary and the export hold.

// metricsOf is the report's metrics over records.
func metricsOf(recs []engine.Record) engine.Metrics { return engine.ComputeMetrics(recs, 1, 1) }

// summarize is the report's summary (percentiles sorted[int(n*q)], mean, min, max).
func summarize(v []float64) dataset.Distribution { return dataset.Summarize(v) }

// percentile is the report's percentile of sorted values.
func percentile(sorted []float64, q float64) float64 { return dataset.Percentile(sorted, q) }

// statsOf converts a report distribution to the latency panel's summary.
func statsOf(d dataset.Distribution) panel.LatencyStats {
	return panel.LatencyStats{N: d.Count, Min: d.Minimum, Mean: d.Average, P50: d.P50, P90: d.P90, P99: d.P99, Max: d.Maximum}
}

// statsOfReport converts a report's percentile object (which has no count; n comes from the
// report's sample counts).
func statsOfReport(p engine.ReportPercentiles, n int) panel.LatencyStats {
	return panel.LatencyStats{N: n, Min: p.Minimum, Mean: p.Average, P50: p.P50, P90: p.P90, P99: p.P99, Max: p.Maximum}
}

// Request statuses. A request a stop ended before it finished carries the engine's cancel
// reason; it is neither completed nor failed.
const (
	statusOK       = "ok"
	statusFailed   = "failed"
	statusCanceled = "canceled"
)

// canceledReason is the error the engine gives the requests a stop ended.
const canceledReason = "canceled"

func recordStatus(r *engine.Record) string {
	switch {
	case r.Error == canceledReason:
		return statusCanceled
	case r.Failed():
		return statusFailed
	}
	return statusOK
}

// counts are the records' completed, failed and canceled numbers.
func counts(recs []engine.Record) (completed, failed, canceled int) {
	for i := range recs {
		switch recordStatus(&recs[i]) {
		case statusOK:
			completed++
		case statusFailed:
			failed++
		default:
			canceled++
		}
	}
	return completed, failed, canceled
}

// finishedOnly drops the canceled records, which the report's metrics must not count as
// failures.
func finishedOnly(recs []engine.Record) []engine.Record {
	out := make([]engine.Record, 0, len(recs))
	for i := range recs {
		if recordStatus(&recs[i]) != statusCanceled {
			out = append(out, recs[i])
		}
	}
	return out
}

// nanIfEmpty is v, or NaN when the distribution has no sample (the report writes 0).
func nanIfEmpty(v float64, n int) float64 {
	if n == 0 {
		return math.NaN()
	}
	return v
}

// prefillSamples is each request's first token time minus its admission, in ms.
func prefillSamples(recs []engine.Record) []float64 {
	var v []float64
	for i := range recs {
		r := &recs[i]
		if r.Failed() || r.OutputTokens() == 0 || r.AdmitNS < r.StartNS || r.FirstTokenNS < r.AdmitNS {
			continue
		}
		v = append(v, float64(r.FirstTokenNS-r.AdmitNS)/1e6)
	}
	return v
}

// figuresOfMetrics are the strip's latencies and counts from the report's metrics.
func figuresOfMetrics(m *engine.Metrics, prefill dataset.Distribution) panel.Figures {
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
	}
}

// figuresOfReport are a finished run's figures: the report's own numbers. records, when
// there are any, give the canceled count and the prefill median that the report does not
// hold.
func figuresOfReport(rep *engine.Report, recs []engine.Record) panel.Figures {
	bt := &rep.BenchTUI
	sc := &bt.SampleCounts
	sm := &rep.StreamingMetrics
	f := panel.Figures{
		OutputTokS: nanIfEmpty(rep.Performance.SystemOutputThroughputTokS, bt.NumCompleted),
		ReqS:       nanIfEmpty(rep.Performance.RequestThroughputReqS, bt.NumCompleted),
		TTFTp50:    nanIfEmpty(sm.TTFTPercentiles.P50, sc.TTFT),
		TTFTp99:    nanIfEmpty(sm.TTFTPercentiles.P99, sc.TTFT),
		TPOTp50:    nanIfEmpty(sm.TPOTPercentiles.P50, sc.TPOT),
		TPOTp99:    nanIfEmpty(sm.TPOTPercentiles.P99, sc.TPOT),
		E2Ep50:     nanIfEmpty(rep.Performance.RequestLatencyPercentilesMS.P50, sc.RequestLatency),
		ITLp99:     nanIfEmpty(bt.ITLPercentilesMS.P99, sc.ITL),
		QueueP50:   nanIfEmpty(bt.QueueTimePercentilesMS.P50, sc.QueueTime),
		PrefillP50: math.NaN(),
		Completed:  bt.NumCompleted,
		Failed:     bt.NumFailed,
	}
	if *sc == (engine.ReportSampleCounts{}) {
		// A trtllm-bench report has no sample counts: its figures stand as written.
		f.TTFTp50, f.TTFTp99 = sm.TTFTPercentiles.P50, sm.TTFTPercentiles.P99
		f.TPOTp50, f.TPOTp99 = sm.TPOTPercentiles.P50, sm.TPOTPercentiles.P99
		f.E2Ep50 = rep.Performance.RequestLatencyPercentilesMS.P50
		f.OutputTokS, f.ReqS = rep.Performance.SystemOutputThroughputTokS, rep.Performance.RequestThroughputReqS
		if f.Completed == 0 {
			f.Completed = rep.RequestInfo.NumRequests
		}
	}
	if len(recs) > 0 {
		_, fl, cn := counts(recs)
		// The report counts a canceled request as failed until it knows better.
		f.Canceled = cn
		if bt.NumFailed >= fl+cn {
			f.Failed = bt.NumFailed - cn
		}
		if p := summarize(prefillSamples(recs)); p.Count > 0 {
			f.PrefillP50 = p.P50
		}
	}
	return f
}

// hardwareOf decodes the report's hardware section (machine and telemetry series), which
// the report holds as JSON of its own.
func hardwareOf(rep *engine.Report) (m telemetry.Machine, s telemetry.Series, ok bool) {
	if rep.BenchTUI.Hardware == nil {
		return m, s, false
	}
	raw, err := json.Marshal(rep.BenchTUI.Hardware)
	if err != nil {
		return m, s, false
	}
	var hw struct {
		Machine telemetry.Machine `json:"machine"`
		Series  telemetry.Series  `json:"series"`
	}
	if json.Unmarshal(raw, &hw) != nil {
		return m, s, false
	}
	return hw.Machine, hw.Series, true
}

// datasetAverages reads the report's dataset section's mean ISL and OSL.
func datasetAverages(rep *engine.Report) (isl, osl float64) {
	raw, err := json.Marshal(rep.Dataset)
	if err != nil {
		return 0, 0
	}
	var ds struct {
		ISL struct {
			Average float64 `json:"average"`
		} `json:"isl_stats"`
		OSL struct {
			Average float64 `json:"average"`
		} `json:"osl_stats"`
	}
	if json.Unmarshal(raw, &ds) != nil {
		return 0, 0
	}
	return ds.ISL.Average, ds.OSL.Average
}
