package tui

import (
	"regexp"
	"strings"
	"testing"

	"github.com/benchtui/benchtui/engine"
	"github.com/benchtui/benchtui/report"
	"github.com/benchtui/benchtui/tui/panel"
)

// agreementExport is the fixed set of records every surface is rendered from: a run with
// queueing, varied token gaps and failed requests, and its report built by the report
// package.
func agreementExport(t testing.TB) *report.Export {
	t.Helper()
	x := fakeExport(t, Settings{Batch: 8, ISL: 64, OSL: 48, Requests: 200})
	for i := range x.Requests {
		// Uneven prefill times, so that means and percentiles differ in every digit.
		r := &x.Requests[i]
		d := int64(i*7919%5000) * 1000
		r.FirstTokenNS += d
		r.EndNS += d
		for j := range r.TokenNS {
			r.TokenNS[j] += d + int64(j*j*(i%7))*1000
		}
		r.EndNS = r.TokenNS[len(r.TokenNS)-1]
	}
	for i := range x.Requests {
		if i%23 == 7 {
			r := &x.Requests[i]
			r.Status, r.Error = engine.StatusFailed, "decode: injected failure"
			r.TokenNS = r.TokenNS[:len(r.TokenNS)/2]
			r.EndNS = r.TokenNS[len(r.TokenNS)-1]
		}
	}
	x.Report = report.Build(report.Input{Records: x.Requests, World: report.World{MaxBatchSize: 8}})
	return x
}

// printed finds the number printed after label in text: "TTFT p50 243" → "243".
func printed(t *testing.T, surface, text, label string) string {
	t.Helper()
	re := regexp.MustCompile(regexp.QuoteMeta(label) + `\s*([0-9][0-9.]*[kMG]?)`)
	m := re.FindStringSubmatch(text)
	if m == nil {
		t.Errorf("%s: no %q in:\n%s", surface, label, text)
		return ""
	}
	return m[1]
}

// agree checks that surface printed want (the report's value in the surface's format) after
// label.
func agree(t *testing.T, surface, text, label, want string) {
	t.Helper()
	if got := printed(t, surface, text, label); got != "" && got != want {
		t.Errorf("%s prints %s %s, the report's value is %s", surface, label, got, want)
	}
}

// TestEveryFigureIsTheReports renders each surface from one set of records and checks
// that every p50, p90, p99, mean and throughput it prints is the report's value in that
// surface's format: the dashboard's panels (histogram, strip, history, compare, sweep), a
// replay of the export, the console summary and benchtui compare.
func TestEveryFigureIsTheReports(t *testing.T) {
	x := agreementExport(t)
	rep := &x.Report
	sm, perf, bt := &rep.StreamingMetrics, &rep.Performance, &rep.BenchTUI
	ms, si, rate := panel.FormatMS, panel.FormatSI, panel.FormatRate

	// A replay of the export (the same model code as a run that just ended).
	m := newModel(Options{Replay: x, ReplayName: "agree.json", Theme: "mono"})
	pcts := []struct {
		metric panel.LatencyMetric
		p      report.Percentiles
	}{
		{panel.MetricTTFT, sm.TTFTPercentiles}, {panel.MetricTPOT, sm.TPOTPercentiles},
		{panel.MetricITL, bt.ITLPercentilesMS}, {panel.MetricE2E, perf.RequestLatencyPercentilesMS},
		{panel.MetricQueue, bt.QueueTimePercentilesMS},
	}
	for _, c := range pcts {
		m.latency.Metric = c.metric
		text := stripped(m.latency.Render(100, 14))
		surface := "latency panel " + c.metric.String()
		agree(t, surface, text, "p50", ms(c.p.P50))
		agree(t, surface, text, "p90", ms(c.p.P90))
		agree(t, surface, text, "p99", ms(c.p.P99))
		if st := m.latency.Stats(c.metric); st.Mean != c.p.Average {
			t.Errorf("%s: mean %v, the report's %v", surface, st.Mean, c.p.Average)
		}
	}

	strip := stripped(m.result.Render(200, 2))
	agree(t, "strip", strip, "out", si(perf.SystemOutputThroughputTokS))
	agree(t, "strip", strip, "req/s", rate(perf.RequestThroughputReqS))
	agree(t, "strip", strip, "TTFT p50", ms(sm.TTFTPercentiles.P50))
	agree(t, "strip", strip, "TPOT p50", ms(sm.TPOTPercentiles.P50))
	agree(t, "strip", strip, "ITL p99", ms(bt.ITLPercentilesMS.P99))
	agree(t, "strip", strip, "queue p50", ms(bt.QueueTimePercentilesMS.P50))
	agree(t, "strip", strip, "done", itoa(bt.NumCompleted))
	agree(t, "strip", strip, "failed", itoa(bt.NumFailed))
	if !strings.Contains(strip, "p99 "+ms(sm.TTFTPercentiles.P99)) || !strings.Contains(strip, "p99 "+ms(sm.TPOTPercentiles.P99)) {
		t.Errorf("strip lacks TTFT p99 %s or TPOT p99 %s:\n%s", ms(sm.TTFTPercentiles.P99), ms(sm.TPOTPercentiles.P99), strip)
	}

	// The history row, columns by their header.
	hist := stripped(m.history.Render(200, 5))
	lines := strings.Split(hist, "\n")
	row := strings.Fields(strings.Trim(lines[2], "│▸ "))
	// The row's figures in its column order: out tok/s, req/s, TTFT p50, TPOT p50, E2E p50.
	wantRow := []string{rate(perf.SystemOutputThroughputTokS), rate(perf.RequestThroughputReqS),
		ms(sm.TTFTPercentiles.P50), ms(sm.TPOTPercentiles.P50), ms(perf.RequestLatencyPercentilesMS.P50)}
	rowText := strings.Join(row, " ")
	if !strings.Contains(rowText, strings.Join(wantRow, " ")) {
		t.Errorf("history row %q, want the report's out tok/s, req/s, TTFT, TPOT and E2E p50 %q", rowText, strings.Join(wantRow, " "))
	}

	// Compare of the run with itself: both columns are the report's.
	m.compare.Set(m.runs[0].row(""), m.runs[0].row(""))
	cmp := stripped(m.compare.Render(120, 20))
	for label, want := range map[string]string{
		"output tok/s": rate(perf.SystemOutputThroughputTokS), "req/s": rate(perf.RequestThroughputReqS),
		"TTFT p50 ms": ms(sm.TTFTPercentiles.P50), "TTFT p99 ms": ms(sm.TTFTPercentiles.P99),
		"TPOT p50 ms": ms(sm.TPOTPercentiles.P50), "ITL p99 ms": ms(bt.ITLPercentilesMS.P99),
		"E2E p50 ms": ms(perf.RequestLatencyPercentilesMS.P50),
	} {
		agree(t, "compare", cmp, label, want)
	}

	// The sweep panel takes a point's figures from its run's report.
	sw := panel.NewSweep(m.st)
	sw.Points = []panel.SweepPoint{{Batch: 8, State: panel.StateFinished, OutputTokS: perf.SystemOutputThroughputTokS,
		PerUserTokS: perf.OutputThroughputPerUserTokS, PerGPUTokS: perf.OutputThroughputPerGPUTokS, TTFTp50: sm.TTFTPercentiles.P50}}
	swText := stripped(sw.Render(120, 10))
	if want := "8 " + rate(perf.SystemOutputThroughputTokS); !strings.Contains(strings.Join(strings.Fields(swText), " "), want) {
		t.Errorf("sweep lacks the report's output tok/s %s:\n%s", rate(perf.SystemOutputThroughputTokS), swText)
	}

	// The console summary and benchtui compare print the report's values in their formats.
	var sum strings.Builder
	if err := report.WriteSummary(&sum, rep); err != nil {
		t.Fatal(err)
	}
	for _, v := range []float64{perf.SystemOutputThroughputTokS, perf.RequestThroughputReqS, sm.TTFTPercentiles.P50,
		sm.TTFTPercentiles.P90, sm.TTFTPercentiles.P99, sm.TPOTPercentiles.P50, bt.ITLPercentilesMS.P99, sm.AvgTTFTMS} {
		if !strings.Contains(sum.String(), report.FormatSummary(v)) {
			t.Errorf("console summary lacks %s", report.FormatSummary(v))
		}
	}
	var cmpOut strings.Builder
	if err := report.WriteCompare(&cmpOut, []string{"a", "b"}, []report.Report{*rep, *rep}); err != nil {
		t.Fatal(err)
	}
	for _, v := range []float64{perf.SystemOutputThroughputTokS, sm.TTFTPercentiles.P50, sm.TTFTPercentiles.P99, perf.RequestLatencyPercentilesMS.P99} {
		if !strings.Contains(cmpOut.String(), report.FormatValue(v)) {
			t.Errorf("benchtui compare lacks %s:\n%s", report.FormatValue(v), cmpOut.String())
		}
	}
}
