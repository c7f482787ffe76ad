package html

import (
	"fmt"
	"math"
	"strconv"

	"github.com/benchtui/benchtui/report"
)

// distribution is one of the report's distributions: its percentiles, sample count and unit.
type distribution struct {
	key, name, unit string
	p               report.Percentiles
	n               int
}

// distributions lists the report's distributions in the order the console prints them.
func (v *runView) distributions() []distribution {
	r := v.rep
	c := r.BenchTUI.SampleCounts
	return []distribution{
		{"ttft", "TTFT", "ms", r.StreamingMetrics.TTFTPercentiles, c.TTFT},
		{"tpot", "TPOT", "ms", r.StreamingMetrics.TPOTPercentiles, c.TPOT},
		{"itl", "ITL (every gap)", "ms", r.BenchTUI.ITLPercentilesMS, c.ITL},
		{"e2e", "E2E latency", "ms", r.Performance.RequestLatencyPercentilesMS, c.RequestLatency},
		{"queue", "Queue time", "ms", r.BenchTUI.QueueTimePercentilesMS, c.QueueTime},
		{"gtps", "Generation speed (GTPS)", "tok/s", r.StreamingMetrics.GenTPSPercentiles, c.GenTPS},
		{"per-user", "Output per user", "tok/s", r.BenchTUI.OutputThroughputPerUserPercentiles, c.OutputThroughputPerUser},
	}
}

func (v *runView) latency() *Section {
	sec := &Section{ID: v.id("latency"), Title: "Latency"}
	t := &Table{ID: v.id("percentiles"), Caption: "Percentiles (from the report)",
		Head: []string{"metric", "samples", "min", "average", "p50", "p90", "p95", "p99", "max"}}
	for _, d := range v.distributions() {
		if v.src.Kind == KindTRTLLM && (d.key == "itl" || d.key == "queue" || d.key == "per-user") {
			continue
		}
		n := "—"
		if d.n > 0 || v.src.Kind != KindTRTLLM {
			n = strconv.Itoa(d.n)
		}
		row := []Cell{{Text: d.name + " (" + d.unit + ")"}, {Text: n, Class: "num"}}
		for _, x := range []struct {
			k string
			v float64
		}{{"min", d.p.Minimum}, {"avg", d.p.Average}, {"p50", d.p.P50}, {"p90", d.p.P90}, {"p95", d.p.P95}, {"p99", d.p.P99}, {"max", d.p.Maximum}} {
			row = append(row, Cell{Text: fmtVal(x.v), Class: "num", Key: d.key + "-" + x.k})
		}
		t.Rows = append(t.Rows, row)
	}
	sec.Tables = []*Table{t}
	if v.hasRecords() {
		sec.Charts = v.histograms()
		sec.Intro = "Histograms of every successful request (ITL: of every gap between two tokens), with the report's p50, p90 and p99 marked. Hover a bar for its range and count."
	}
	return sec
}

// histograms bins the records' latencies over the ranges the report's percentiles give.
func (v *runView) histograms() []*Chart {
	ds := v.distributions()
	byKey := map[string]distribution{}
	for _, d := range ds {
		byKey[d.key] = d
	}
	n := len(v.reqs)
	bins := min(max(int(2*math.Sqrt(float64(n))), 10), 60)
	mk := func(key string, bins int) *binner {
		d := byKey[key]
		return newBinner(d.p.Minimum, d.p.P99, d.p.Maximum, bins)
	}
	// The report's own samples, binned over the ranges of its percentiles.
	samples := report.CollectSamples(v.src.Export.Requests)
	fill := func(b *binner, vals []float64) *binner {
		for _, x := range vals {
			b.add(x)
		}
		return b
	}
	ttft, tpot := fill(mk("ttft", bins), samples.TTFTMS), fill(mk("tpot", bins), samples.TPOTMS)
	e2e, queue := fill(mk("e2e", bins), samples.RequestLatencyMS), fill(mk("queue", bins), samples.QueueTimeMS)
	itlBins := 60
	if c := len(samples.ITLMS); c < 900 {
		itlBins = min(max(int(2*math.Sqrt(float64(c))), 10), 60)
	}
	itl := fill(mk("itl", itlBins), samples.ITLMS)

	var out []*Chart
	for _, h := range []struct {
		key, title, what string
		b                *binner
	}{
		{"ttft", "Time to first token", "requests", ttft},
		{"tpot", "Time per output token", "requests", tpot},
		{"itl", "Inter-token latency", "gaps", itl},
		{"e2e", "End-to-end latency", "requests", e2e},
		{"queue", "Queue time", "requests", queue},
	} {
		if h.b.total == 0 {
			continue
		}
		d := byKey[h.key]
		hc := histChart{id: v.id("hist-" + h.key), title: h.title, unit: d.unit, what: h.what, lo: h.b.lo, hi: h.b.hi,
			counts: h.b.counts, over: h.b.over, total: h.b.total,
			marks: []marker{{"p50", d.p.P50, "m50"}, {"p90", d.p.P90, "m90"}, {"p99", d.p.P99, "m99"}}}
		hc.caption = fmt.Sprintf("%d %s in %d bins of %s %s.", h.b.total, h.what, len(h.b.counts), fmtVal((h.b.hi-h.b.lo)/float64(len(h.b.counts))), d.unit)
		if h.b.over > 0 {
			hc.caption += fmt.Sprintf(" The tail beyond %s %s (%d %s, up to the maximum of %s) is counted in the last bin.", fmtVal(h.b.hi), d.unit, h.b.over, h.what, fmtVal(d.p.Maximum))
		}
		out = append(out, hc.chart())
	}
	return out
}

func (v *runView) timeline() *Section {
	if len(v.reqs) == 0 {
		return nil
	}
	sec := &Section{ID: v.id("timeline"), Title: "Requests", Charts: []*Chart{timelineChart(v.id("timeline"), "Request timeline", v.reqs)}}
	if len(v.reqs) > timelineRows {
		// Bands show the whole run's shape; the first requests one a row show what each
		// went through as the run filled up.
		sec.Charts = append(sec.Charts, timelineChart(v.id("timeline-first"), fmt.Sprintf("The first %d requests", timelineRows), v.reqs[:timelineRows]))
	}
	return sec
}
