package tui

import (
	"math"
	"path/filepath"

	"github.com/benchtui/benchtui/engine"
	"github.com/benchtui/benchtui/report"
	"github.com/benchtui/benchtui/tui/panel"
)

// baseline is a pinned run that the live one is measured against: its figures for the
// result strip's deltas, its workload for the mismatch note, and its curves, drawn behind
// the live ones on the same time axis.
type baseline struct {
	name string
	row  panel.RunRow
	fig  panel.Figures
	// tputT and tputOut are its output rate over its time; trend its latencies over time.
	tputT, tputOut []float64
	trend          [panel.NumMetrics]panel.TrendSeries
}

// pinRun pins a run of this session (p on the history cursor).
func (m *model) pinRun(r *run) {
	b := &baseline{name: r.name(), row: r.row(m.target.Model), fig: r.fig}
	b.curves(r)
	m.setBaseline(b)
}

// pinExport pins a saved run: an export, or a report (benchtui's or trtllm-bench's, which
// have no records: their figures, without curves unless the report has a time series).
func (m *model) pinExport(x *report.Export, name string) {
	r := &run{label: filepath.Base(name), export: x, records: x.Requests, state: panel.StateFinished}
	rep := &x.Report
	isl, osl := datasetAverages(rep)
	if isl == 0 {
		isl, osl = rep.RequestInfo.AvgInputLength, rep.RequestInfo.AvgOutputLength
	}
	r.settings = Settings{Batch: rep.WorldInfo.MaxBatchSize, ISL: int(math.Round(isl)), OSL: int(math.Round(osl)),
		Requests: len(x.Requests), Concurrency: replayConcurrency(rep)}
	if r.settings.Requests == 0 {
		r.settings.Requests = rep.RequestInfo.NumRequests
	}
	if _, _, canceled := counts(r.records); canceled > 0 {
		r.state = panel.StateCanceled
	}
	r.fig = figuresOfReport(rep, r.records)
	b := &baseline{name: r.name(), row: r.row(rep.Engine.Model), fig: r.fig}
	b.curves(r)
	if len(b.tputT) == 0 {
		for _, pt := range rep.BenchTUI.TimeSeries {
			b.tputT, b.tputOut = append(b.tputT, pt.TimeS), append(b.tputOut, pt.OutputTokS)
		}
	}
	m.setBaseline(b)
}

// curves computes the baseline's throughput and latency over time from its snapshots and
// records.
func (b *baseline) curves(r *run) {
	snaps := r.snaps
	if r.export != nil && len(r.export.Snapshots) > 0 {
		snaps = r.export.Snapshots
	}
	w := newRates()
	for i := range snaps {
		s := &snaps[i]
		if s.Phase != engine.PhaseRunning && s.Phase != "" {
			continue
		}
		t := float64(s.ElapsedNS) / 1e9
		rt := w.add(t, s)
		b.tputT, b.tputOut = append(b.tputT, t), append(b.tputOut, rt[0])
	}
	if t0, ok := r.origin(); ok {
		b.trend = trendOf(r.records, t0, trendBucket(r.span()))
	}
}

// setBaseline shows b in the charts and the strip.
func (m *model) setBaseline(b *baseline) {
	m.base = b
	m.throughput.SetBaseline(b.name, b.tputT, b.tputOut)
	for k, s := range b.trend {
		m.trend.SetBaseline(b.name, panel.LatencyMetric(k), s)
	}
	m.status = "baseline: " + b.name + " (p on another run to change it, P to drop it)"
	m.syncResult()
}

// dropBaseline unpins the baseline.
func (m *model) dropBaseline() {
	m.base = nil
	m.throughput.SetBaseline("", nil, nil)
	for k := panel.LatencyMetric(0); k < panel.NumMetrics; k++ {
		m.trend.SetBaseline("", k, panel.TrendSeries{})
	}
	m.status = "no baseline"
	m.syncResult()
}
