package html

import (
	"fmt"
	"math"
	"time"

	"github.com/benchtui/benchtui/engine"
	"github.com/benchtui/benchtui/report"
)

// runView is one run being drawn: its source, its requests and the prefix that keeps its ids
// apart from other runs' on a comparison page.
type runView struct {
	src    *Source
	rep    *report.Report
	reqs   []request
	prefix string
}

func newRunView(src *Source, prefix string) *runView {
	v := &runView{src: src, rep: &src.Export.Report, prefix: prefix}
	v.reqs, _ = runRequests(src.Export.Requests)
	return v
}

func (v *runView) id(s string) string { return v.prefix + s }

func (v *runView) hasRecords() bool { return len(v.src.Export.Requests) > 0 }

// sections are the run's parts in page order; empty ones are left out.
func (v *runView) sections() []*Section {
	var out []*Section
	for _, s := range []*Section{v.summary(), v.overTime(), v.latency(), v.timeline(), v.engineState(), v.hardware(), v.config()} {
		if s != nil {
			out = append(out, s)
		}
	}
	return out
}

// title names the run: model, dtype and backend.
func (v *runView) title() string {
	e := &v.rep.Engine
	t := orDash(e.Model)
	if e.Dtype != "" {
		t += " (" + e.Dtype + ")"
	}
	if e.Backend != "" {
		t += " on " + e.Backend
		if e.Version != "" {
			t += " " + e.Version
		}
	}
	return t
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func (v *runView) summary() *Section {
	r := v.rep
	p, s, b := &r.Performance, &r.StreamingMetrics, &r.BenchTUI
	sec := &Section{ID: v.id("summary"), Title: "Summary"}
	sec.Intro = fmt.Sprintf("%s: %d requests (batch %d, %s), average input %s and output %s tokens, %s s in all.",
		v.src.Kind, r.RequestInfo.NumRequests, r.WorldInfo.MaxBatchSize, gpus(r), fmtVal(r.RequestInfo.AvgInputLength),
		fmtVal(r.RequestInfo.AvgOutputLength), fmtVal(p.TotalLatencyMS/1000))
	pct := func(d report.Percentiles) string {
		return fmt.Sprintf("p90 %s · p99 %s", fmtVal(d.P90), fmtVal(d.P99))
	}
	sec.Cards = []Card{
		{Key: "output_tok_s", Label: "Output throughput", Value: fmtVal(p.SystemOutputThroughputTokS), Unit: "tok/s",
			Detail: "total " + fmtVal(p.SystemTotalThroughputTokS) + " tok/s"},
		{Key: "request_s", Label: "Requests", Value: fmtVal(p.RequestThroughputReqS), Unit: "req/s",
			Detail: fmt.Sprintf("%d completed, %d failed, %d canceled", r.RequestInfo.NumRequests, b.NumFailed, b.NumCanceled)},
		{Key: "per_user_tok_s", Label: "Per user", Value: fmtVal(p.OutputThroughputPerUserTokS), Unit: "tok/s",
			Detail: "decode speed " + fmtVal(s.TokenOutputSpeedTokS) + " tok/s"},
		{Key: "per_gpu_tok_s", Label: "Per GPU", Value: fmtVal(p.OutputThroughputPerGPUTokS), Unit: "tok/s",
			Detail: fmt.Sprintf("world size %d", max(r.WorldInfo.WorldSize, 1))},
		{Key: "ttft_p50_ms", Label: "TTFT p50", Value: fmtVal(s.TTFTPercentiles.P50), Unit: "ms", Detail: pct(s.TTFTPercentiles)},
		{Key: "tpot_p50_ms", Label: "TPOT p50", Value: fmtVal(s.TPOTPercentiles.P50), Unit: "ms", Detail: pct(s.TPOTPercentiles)},
		{Key: "e2e_p50_ms", Label: "E2E latency p50", Value: fmtVal(p.RequestLatencyPercentilesMS.P50), Unit: "ms", Detail: pct(p.RequestLatencyPercentilesMS)},
	}
	if v.src.Kind != KindTRTLLM {
		sec.Cards = append(sec.Cards, Card{Key: "itl_p50_ms", Label: "ITL p50", Value: fmtVal(b.ITLPercentilesMS.P50), Unit: "ms", Detail: pct(b.ITLPercentilesMS)})
	}
	if hw := v.src.hw; hw != nil {
		if sol := hw.SpeedOfLight; sol != nil {
			sec.Cards = append(sec.Cards, Card{Key: "speed_of_light_pct", Label: "Speed of light", Value: fmtVal(sol.AchievedPercent), Unit: "%",
				Detail: fmt.Sprintf("of %s tok/s at batch %s", fmtVal(sol.RooflineOutputTokS), fmtVal(sol.MeanBatch))})
		}
		if j := hw.Summary.JoulesPerToken; j != nil {
			detail := ""
			if e := hw.Summary.EnergyJ; e != nil {
				detail = fmtVal(*e) + " J in all"
			}
			sec.Cards = append(sec.Cards, Card{Key: "j_per_token", Label: "Energy", Value: fmtVal(*j), Unit: "J/token", Detail: detail})
		}
	}
	sec.Notes = v.notes()
	return sec
}

func gpus(r *report.Report) string {
	if r.Machine == nil {
		return "no GPU"
	}
	return fmt.Sprintf("%s, TP %d", orDash(r.Machine.Name), max(r.WorldInfo.TPSize, 1))
}

// notes say what the input cannot show and what to keep in mind reading the rest.
func (v *runView) notes() []Note {
	var out []Note
	r := v.rep
	switch v.src.Kind {
	case KindReport:
		out = append(out, Note{"info", "This is a report without per-request records: the latency histograms, the request timeline and latency over time need an export (the dashboard's e key, or --export on throughput and latency); the engine's state needs its snapshots. Throughput over time comes from the report's time series."})
	case KindTRTLLM:
		out = append(out, Note{"info", "This is a trtllm-bench report: it holds the figures and their percentiles only, so there is nothing to draw over time, no histograms, no timeline and no telemetry."})
	case KindExport:
		if len(v.src.Export.Snapshots) == 0 {
			out = append(out, Note{"info", "This export has no engine snapshots: the engine's state over time is not drawn."})
		}
	}
	if n := r.BenchTUI.NumCanceled; n > 0 {
		out = append(out, Note{"warn", fmt.Sprintf("The run was stopped: %d requests were canceled, and every figure covers the %d that completed.", n, r.BenchTUI.NumCompleted)})
	}
	if n := r.BenchTUI.NumFailed; n > 0 {
		out = append(out, Note{"warn", fmt.Sprintf("%d requests failed: every figure covers the %d that completed.", n, r.BenchTUI.NumCompleted)})
	}
	if hw := v.src.hw; hw != nil {
		if hw.Note != "" {
			out = append(out, Note{"info", "No GPU telemetry (" + hw.Note + "): the host's CPU and memory were sampled instead."})
		}
		if hw.Summary.Truncated {
			out = append(out, Note{"warn", "The telemetry's start had left memory before the run ended: the hardware summary covers only its later part."})
		}
		if sol := hw.SpeedOfLight; sol != nil && sol.Roofline.Estimate {
			out = append(out, Note{"info", "The memory bandwidth behind the speed of light was measured on the host (an estimate, a lower bound of what the memory can do)."})
		}
	} else if v.src.Kind != KindTRTLLM {
		out = append(out, Note{"info", "No hardware telemetry in this file."})
	}
	return out
}

// niceDuration rounds d up to 1, 2 or 5 times a power of ten milliseconds, at least 10 ms.
func niceDuration(d time.Duration) time.Duration {
	ms := math.Max(float64(d)/float64(time.Millisecond), 10)
	return time.Duration(niceStep(ms, 1) * float64(time.Millisecond))
}

// spanMS is the run's span from the first start to the last end.
func (v *runView) spanMS() float64 {
	span := 0.0
	for i := range v.reqs {
		span = math.Max(span, v.reqs[i].end)
	}
	return span
}

// throughputPoints is the run's throughput series: from the records at about 60 buckets
// when there are records (report.TimeSeries, the report's own function), else the
// report's.
func (v *runView) throughputPoints() ([]report.TimeSeriesPoint, time.Duration) {
	if v.hasRecords() {
		w := niceDuration(time.Duration(v.spanMS() / 60 * float64(time.Millisecond)))
		return report.TimeSeries(v.src.Export.Requests, w), w
	}
	return v.rep.BenchTUI.TimeSeries, time.Duration(v.rep.BenchTUI.TimeSeriesBucketS * float64(time.Second))
}

func (v *runView) overTime() *Section {
	pts, width := v.throughputPoints()
	if len(pts) == 0 {
		return nil
	}
	sec := &Section{ID: v.id("over-time"), Title: "Over time"}
	if len(pts) < 3 {
		sec.Notes = []Note{{"info", fmt.Sprintf("The report's time series has %d point(s) of %s: too few to draw. An export of the run has every token's time.", len(pts), width)}}
		return sec
	}
	lc := lineChart{id: v.id("throughput"), title: "Throughput", xlabel: "time since the first request started (s)",
		ylabel: "tokens/s", wide: true}
	out := lineSeries{name: "output", unit: "tok/s"}
	total := lineSeries{name: "total (input + output)", unit: "tok/s"}
	for _, p := range pts {
		lc.x = append(lc.x, p.TimeS+p.DurationS/2)
		lc.xtip = append(lc.xtip, fmt.Sprintf("%s–%s s · %d completed · %d in flight", fmtVal(p.TimeS), fmtVal(p.TimeS+p.DurationS), p.Completed, p.InFlight))
		out.y = append(out.y, p.OutputTokS)
		total.y = append(total.y, p.TotalTokS)
	}
	lc.caption = fmt.Sprintf("Tokens per second in buckets of %s (the report's time series; a prompt's input counts when its first token came). ", width)
	outTop, totalTop := 0.0, 0.0
	for i := range pts {
		outTop, totalTop = math.Max(outTop, out.y[i]), math.Max(totalTop, total.y[i])
	}
	if totalTop > 3*outTop {
		// Prefill bursts would flatten the output line, the run's main figure.
		total.hidden = true
		lc.caption += fmt.Sprintf("The total, hidden at first since prompts' bursts reach %s tok/s, shows with a click on its legend entry. ", fmtVal(totalTop))
	}
	lc.series = []lineSeries{out, total}
	if sol, ok := v.speedOfLightSeries(pts, width); ok {
		top, solTop := outTop, 0.0
		for i := range pts {
			if !math.IsNaN(sol.y[i]) {
				solTop = math.Max(solTop, sol.y[i])
			}
		}
		lc.caption += "The dashed line is the decode rate that memory bandwidth allows at the engine's batch and context at that moment (the speed of light)"
		if solTop > 4*top {
			// Drawn to its scale, the speed of light would flatten the measured lines.
			sol.hidden = true
			lc.caption += fmt.Sprintf(", hidden at first since it is far above the run (up to %s tok/s): click its legend entry to show it", fmtVal(solTop))
		}
		lc.caption += "."
		lc.series = append(lc.series, sol)
	}
	sec.Charts = append(sec.Charts, lc.chart())
	if v.hasRecords() {
		sec.Charts = append(sec.Charts, v.latencyOverTime()...)
	}
	return sec
}

// speedOfLightSeries averages the snapshots' speed of light into the throughput's buckets.
func (v *runView) speedOfLightSeries(pts []report.TimeSeriesPoint, width time.Duration) (lineSeries, bool) {
	s := lineSeries{name: "speed of light", unit: "tok/s", class: "s4", dash: true, joinGaps: true}
	sum := make([]float64, len(pts))
	cnt := make([]int, len(pts))
	any := false
	for _, snap := range v.src.Export.Snapshots {
		if snap.SpeedOfLightTokS <= 0 || (snap.Phase != engine.PhaseRunning && snap.Phase != "") {
			continue
		}
		i := min(int(snap.ElapsedNS/int64(width)), len(pts)-1)
		sum[i] += snap.SpeedOfLightTokS
		cnt[i]++
		any = true
	}
	for i := range pts {
		if cnt[i] == 0 {
			s.y = append(s.y, math.NaN())
		} else {
			s.y = append(s.y, sum[i]/float64(cnt[i]))
		}
	}
	return s, any
}

// latencyOverTime draws TTFT (by first-token time) and TPOT (by end time) as p50 and p99 of
// the requests in each bucket, computed with the report's percentile function.
func (v *runView) latencyOverTime() []*Chart {
	n := len(v.reqs)
	if n == 0 {
		return nil
	}
	buckets := min(max(n/8, 4), 100)
	width := niceDuration(time.Duration(v.spanMS() / float64(buckets) * float64(time.Millisecond)))
	wms := float64(width) / float64(time.Millisecond)
	nb := int(v.spanMS()/wms) + 1
	ttft := make([][]float64, nb)
	tpot := make([][]float64, nb)
	for i := range v.reqs {
		q := &v.reqs[i]
		if q.hasFirst {
			k := min(int(q.first/wms), nb-1)
			ttft[k] = append(ttft[k], q.ttft)
		}
		if q.hasTP {
			k := min(int(q.end/wms), nb-1)
			tpot[k] = append(tpot[k], q.tpot)
		}
	}
	mk := func(id, title, what string, vals [][]float64) *Chart {
		lc := lineChart{id: v.id(id), title: title, xlabel: "time (s)", ylabel: "ms",
			caption: fmt.Sprintf("p50 and p99 of the %s in each %s bucket.", what, width)}
		p50 := lineSeries{name: "p50", unit: "ms", class: "s2"}
		p99 := lineSeries{name: "p99", unit: "ms", class: "s4"}
		for k := range vals {
			lc.x = append(lc.x, (float64(k)+0.5)*wms/1000)
			lc.xtip = append(lc.xtip, fmt.Sprintf("%s–%s s · %d requests", fmtVal(float64(k)*wms/1000), fmtVal(float64(k+1)*wms/1000), len(vals[k])))
			if len(vals[k]) == 0 {
				p50.y, p99.y = append(p50.y, math.NaN()), append(p99.y, math.NaN())
				continue
			}
			d := report.Summarize(vals[k])
			p50.y, p99.y = append(p50.y, d.P50), append(p99.y, d.P99)
		}
		lc.series = []lineSeries{p50, p99}
		return lc.chart()
	}
	return []*Chart{
		mk("ttft-over-time", "Time to first token over time", "requests whose first token came", ttft),
		mk("tpot-over-time", "Time per output token over time", "requests that ended", tpot),
	}
}
