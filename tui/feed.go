package tui

import (
	"math"
	"time"

	"github.com/benchtui/benchtui/engine"
	"github.com/benchtui/benchtui/report"
	"github.com/benchtui/benchtui/telemetry"
	"github.com/benchtui/benchtui/tui/panel"
)

// This file turns a run's saved data (records, snapshots, telemetry, report) into what the
// panels show, for a run that ended and for a replay at any point of its time: every panel
// shows the state at the time cursor, from the same data the live run drew.

// showLatency fills the latency histogram and the latency-over-time chart from records;
// spanS is the run's length so far in seconds (it picks the trend's bucket width).
func (m *model) showLatency(r *run, recs []engine.Record, spanS float64) {
	met := metricsOf(recs)
	smp := report.CollectSamples(recs)
	samples := [panel.NumMetrics][]float64{
		panel.MetricTTFT: smp.TTFTMS, panel.MetricTPOT: smp.TPOTMS, panel.MetricITL: smp.ITLMS,
		panel.MetricE2E: smp.RequestLatencyMS, panel.MetricQueue: smp.QueueTimeMS,
	}
	dists := [panel.NumMetrics]panel.LatencyStats{
		panel.MetricTTFT: statsOf(met.TTFTMS), panel.MetricTPOT: statsOf(met.TPOTMS),
		panel.MetricITL: statsOf(met.ITLMS), panel.MetricE2E: statsOf(met.RequestLatencyMS),
		panel.MetricQueue: statsOf(met.QueueTimeMS),
	}
	for k, s := range dists {
		m.latency.SetDistribution(panel.LatencyMetric(k), samples[k], s)
	}
	pre := report.Summarize(prefillSamples(recs))
	m.latency.Split = panel.TTFTSplit{QueueP50: met.QueueTimeMS.P50, PrefillP50: pre.P50, OK: met.QueueTimeMS.Count > 0 && pre.Count > 0}
	if m.view != viewRequests || m.requestsShown() == r {
		// The requests table follows the shown run unless its view is open on another.
		m.requests.Run = r.name()
		m.fillRequests(r)
	}
	if t0, ok := r.origin(); ok {
		b := trendBucket(spanS)
		m.trend.Bucket = b
		for k, s := range trendOf(recs, t0, b) {
			m.trend.SetSeries(panel.LatencyMetric(k), s)
		}
	}
}

// showRun fills every panel with run r as it stood at until seconds after its start (the
// whole run when until is +Inf): the records that had ended, the snapshots and telemetry
// samples taken by then.
func (m *model) showRun(r *run, until float64) {
	x := r.export
	all := math.IsInf(until, 1)
	recs := r.recordsUntil(until)
	p := m.progress
	p.Completed, p.Failed, p.Canceled = counts(recs)
	p.Total = len(r.records)
	if x != nil && p.Total == 0 {
		// A report without records: its counts.
		p.Total = x.Report.RequestInfo.NumRequests + x.Report.BenchTUI.NumFailed
		p.Completed, p.Failed = x.Report.BenchTUI.NumCompleted, x.Report.BenchTUI.NumFailed
	}
	p.Running, p.Phase = 0, ""
	p.ETA = 0
	if !all {
		p.ETA = -1
	}

	// Throughput and engine from the snapshots up to the cursor.
	m.throughput.Reset()
	m.engine.Reset()
	m.rates.reset()
	snaps := r.snaps
	if x != nil && len(x.Snapshots) > 0 {
		snaps = x.Snapshots
	}
	var last *engine.Snapshot
	var lastRt [3]float64
	for i := range snaps {
		s := &snaps[i]
		if s.Phase != engine.PhaseRunning && s.Phase != "" {
			continue
		}
		t := float64(s.ElapsedNS) / 1e9
		if t > until {
			break
		}
		rt := m.rates.add(t, s)
		m.throughput.Add(t, rt[0], rt[1])
		m.engine.Push(s.Running, s.Queued, 100*s.KVUsage, 100*s.BatchOccupancy)
		last, lastRt = s, rt
	}
	if len(snaps) == 0 && x != nil {
		for _, pt := range x.Report.BenchTUI.TimeSeries {
			if pt.TimeS <= until {
				m.throughput.Add(pt.TimeS, pt.OutputTokS, pt.TotalTokS)
			}
		}
	}
	switch {
	case last != nil && !all:
		p.Running, p.InputTokens, p.OutputTokens = last.Running, last.InputTokens, last.OutputTokens
		p.Elapsed = time.Duration(last.ElapsedNS)
	case x != nil:
		p.InputTokens, p.OutputTokens = x.Report.BenchTUI.TotalInputTokens, x.Report.BenchTUI.TotalOutputTokens
		p.Elapsed = time.Duration(x.Report.Performance.TotalLatencyMS * float64(time.Millisecond))
	}
	if all && m.engine.Final == "" && len(snaps) > 0 {
		// The engine's final state: nothing runs once the run ended.
		m.engine.Push(0, 0, 0, 0)
	}

	// Latencies: from the records, or the report's percentiles when there are none.
	if len(r.records) > 0 {
		span := until
		if all {
			span = r.span()
		}
		m.showLatency(r, recs, span)
	} else if x != nil {
		m.showReportLatency(&x.Report)
	}

	// Devices from the saved telemetry up to the cursor.
	if s, ok := r.telemetry(); ok {
		m.devices.SetDevices(devicesFromSeries(s, until))
	}

	// The strip: the report's figures for the whole run, the records' at a cursor.
	switch {
	case all && x != nil:
		r.fig = figuresOfReport(&x.Report, r.records)
	case !all:
		met := metricsOf(recs)
		f := figuresOfMetrics(&met, report.Summarize(prefillSamples(recs)))
		f.Completed, f.Failed, f.Canceled = p.Completed, p.Failed, p.Canceled
		f.OutputTokS, f.ReqS, f.Recent = math.NaN(), math.NaN(), true
		if last != nil {
			f.OutputTokS, f.ReqS = lastRt[0], lastRt[2]
		}
		r.scrubFig = f
	}
}

// showReportLatency shows a report's percentiles when it has no records to bin.
func (m *model) showReportLatency(rep *report.Report) {
	sc := &rep.BenchTUI.SampleCounts
	n := func(c int) int {
		if c == 0 {
			return max(rep.RequestInfo.NumRequests, 1) // a trtllm-bench report has no counts
		}
		return c
	}
	m.latency.Reset()
	set := func(k panel.LatencyMetric, p report.Percentiles, c int) {
		if p != (report.Percentiles{}) {
			m.latency.SetDistribution(k, nil, statsOfReport(p, n(c)))
		}
	}
	set(panel.MetricTTFT, rep.StreamingMetrics.TTFTPercentiles, sc.TTFT)
	set(panel.MetricTPOT, rep.StreamingMetrics.TPOTPercentiles, sc.TPOT)
	set(panel.MetricITL, rep.BenchTUI.ITLPercentilesMS, sc.ITL)
	set(panel.MetricE2E, rep.Performance.RequestLatencyPercentilesMS, sc.RequestLatency)
	set(panel.MetricQueue, rep.BenchTUI.QueueTimePercentilesMS, sc.QueueTime)
}

// devicesFromSeries rebuilds device views from a saved telemetry series up to until
// seconds (replay).
func devicesFromSeries(s *telemetry.Series, until float64) []panel.DeviceView {
	n := len(s.TimesMS)
	if !math.IsInf(until, 1) {
		n = 0
		for n < len(s.TimesMS) && float64(s.TimesMS[n])/1000 <= until {
			n++
		}
	}
	var out []panel.DeviceView
	for _, d := range s.Devices {
		v := panel.DeviceView{Name: d.Name, Host: d.Kind == telemetry.KindCPU}
		for _, x := range upTo(d.UtilPercent, n) {
			if x != nil {
				v.Util = append(v.Util, *x)
			}
		}
		for _, x := range upTo(d.MemUsedBytes, n) {
			if x != nil {
				v.MemUsed = append(v.MemUsed, *x/(1<<30))
			}
		}
		if p := upTo(d.PowerW, n); len(p) > 0 && p[len(p)-1] != nil {
			v.PowerW, v.HasPower = *p[len(p)-1], true
		}
		if t := upTo(d.TempC, n); len(t) > 0 && t[len(t)-1] != nil {
			v.TempC, v.HasTemp = *t[len(t)-1], true
		}
		out = append(out, v)
	}
	return out
}

func upTo(v []*float64, n int) []*float64 { return v[:min(n, len(v))] }
