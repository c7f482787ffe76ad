package html

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/benchtui/benchtui/report"
)

// runLetter names the i-th run of a comparison: A, B, ... Z, then 27, 28...
func runLetter(i int) string {
	if i < 26 {
		return string(rune('A' + i))
	}
	return strconv.Itoa(i + 1)
}

// settingRows are the settings a comparison lines up; a value that differs from the first
// run's is highlighted.
var settingRows = []struct {
	name string
	get  func(r *report.Report) string
}{
	{"model", func(r *report.Report) string { return r.Engine.Model }},
	{"dtype", func(r *report.Report) string { return r.Engine.Dtype }},
	{"backend", func(r *report.Report) string { return strings.TrimSpace(r.Engine.Backend + " " + r.Engine.Version) }},
	{"GPU", func(r *report.Report) string { return gpus(r) }},
	{"max_batch_size", func(r *report.Report) string { return strconv.Itoa(r.WorldInfo.MaxBatchSize) }},
	{"max_num_tokens", func(r *report.Report) string { return strconv.Itoa(r.WorldInfo.MaxNumTokens) }},
	{"requests", func(r *report.Report) string { return strconv.Itoa(r.RequestInfo.NumRequests) }},
	{"average ISL", func(r *report.Report) string { return fmtVal(r.RequestInfo.AvgInputLength) }},
	{"average OSL", func(r *report.Report) string { return fmtVal(r.RequestInfo.AvgOutputLength) }},
	{"failed", func(r *report.Report) string { return strconv.Itoa(r.BenchTUI.NumFailed) }},
}

func comparePage(p *Page, srcs []*Source) {
	names := make([]string, len(srcs))
	for i := range srcs {
		names[i] = runLetter(i)
	}
	p.Title = fmt.Sprintf("benchtui comparison of %d runs", len(srcs))
	var parts []string
	for i, s := range srcs {
		parts = append(parts, names[i]+": "+s.Name)
	}
	p.Subtitle = strings.Join(parts, " · ") + " (changes are against A)"

	sec := &Section{ID: "compare", Title: "Comparison"}
	reps := make([]report.Report, len(srcs))
	for i, src := range srcs {
		reps[i] = src.Export.Report
	}
	for _, w := range report.CompareNotes(names, reps) {
		sec.Notes = append(sec.Notes, Note{"warn", w + "."})
	}
	if len(sec.Notes) == 0 {
		sec.Notes = append(sec.Notes, Note{"info", "The runs ran the same workload: input and output lengths, request count and dataset match, and every run finished."})
	}

	head := []string{"metric", "A"}
	for i := 1; i < len(srcs); i++ {
		head = append(head, names[i], "Δ "+names[i])
	}
	mt := &Table{ID: "compare-metrics", Caption: "Figures (from each report) and changes against A", Head: head}
	var rows []divRow
	for _, m := range report.Figures {
		row := []Cell{{Text: m.Name + " (" + m.Unit + ")"}}
		base := m.Get(&reps[0])
		row = append(row, Cell{Text: fmtVal(base), Class: "num", Key: "A:" + m.Name})
		dr := divRow{label: m.Name}
		for i := 1; i < len(srcs); i++ {
			v := m.Get(&reps[i])
			row = append(row, Cell{Text: fmtVal(v), Class: "num", Key: names[i] + ":" + m.Name})
			c := report.Delta(base, v, m.Better)
			cell := Cell{Text: c.PercentString(), Class: "num", Key: names[i] + ":Δ" + m.Name}
			switch c.Verdict {
			case report.Better:
				cell.Class = "num good"
			case report.Worse:
				cell.Class = "num bad"
			}
			row = append(row, cell)
			pct := math.NaN()
			if c.Verdict != report.Unknown {
				pct = c.Percent
			}
			verdict := map[report.Verdict]string{report.Better: "good", report.Worse: "bad"}[c.Verdict]
			if verdict == "" {
				verdict = "same"
			}
			dr.bars = append(dr.bars, divBar{series: i - 1, pct: pct, verdict: verdict,
				tip: fmt.Sprintf("%s: %s %s against A %s: %s", m.Name, names[i], withUnit(fmtVal(v), m.Unit), withUnit(fmtVal(base), m.Unit), c)})
		}
		mt.Rows = append(mt.Rows, row)
		rows = append(rows, dr)
	}
	st := &Table{ID: "compare-settings", Caption: "Settings (highlighted where they differ from A)", Head: append([]string{"setting"}, names...)}
	for _, s := range settingRows {
		base := s.get(&srcs[0].Export.Report)
		row := []Cell{{Text: s.name}, {Text: base}}
		for i := 1; i < len(srcs); i++ {
			v := s.get(&srcs[i].Export.Report)
			c := Cell{Text: v}
			if v != base {
				c.Class = "warn"
			}
			row = append(row, c)
		}
		st.Rows = append(st.Rows, row)
	}
	sec.Tables = []*Table{mt, st}
	sec.Charts = append(sec.Charts, divChart{id: "compare-changes", title: "Changes against A", names: names[1:], rows: rows,
		caption: fmt.Sprintf("Each bar is a run's change in percent against A; its label is green where that is better for the metric (higher throughput, lower latency) and red where worse, uncoloured within %g%%.", report.SameWithinPercent)}.chart())
	if c := throughputOverlay(names, srcs); c != nil {
		sec.Charts = append(sec.Charts, c)
	}
	p.Sections = append(p.Sections, sec)
	for i, s := range srcs {
		v := newRunView(s, fmt.Sprintf("r%d-", i+1))
		p.Sections = append(p.Sections, &Section{ID: fmt.Sprintf("run-%s", strings.ToLower(names[i])), Title: names[i] + ": " + v.title() + " (" + s.Name + ")",
			Collapsed: true, Sub: v.sections()})
	}
}

// throughputOverlay draws every run's output throughput over time on one chart, each from
// its records at a common bucket width (report.TimeSeries) or from its report's series.
func throughputOverlay(names []string, srcs []*Source) *Chart {
	span := 0.0
	for _, s := range srcs {
		span = math.Max(span, s.Export.Report.Performance.TotalLatencyMS)
	}
	width := niceDuration(time.Duration(span / 100 * float64(time.Millisecond)))
	lc := lineChart{id: "compare-throughput", title: "Output throughput over time", xlabel: "time since each run's first request (s)",
		ylabel: "output tok/s", wide: true, caption: "Each run's output tokens per second, from its records in buckets of " + width.String() + " where it has them, else from its report's time series."}
	type run struct{ pts []report.TimeSeriesPoint }
	var runs []run
	grid := map[float64]bool{}
	for _, s := range srcs {
		pts := s.Export.Report.BenchTUI.TimeSeries
		if len(s.Export.Requests) > 0 {
			pts = report.TimeSeries(s.Export.Requests, width)
		}
		if len(pts) < 3 {
			pts = nil // too few points to draw a line; the run stays in the table
		}
		runs = append(runs, run{pts})
		for _, p := range pts {
			grid[math.Round((p.TimeS+p.DurationS/2)*1e6)/1e6] = true
		}
	}
	if len(grid) == 0 {
		return nil
	}
	for x := range grid {
		lc.x = append(lc.x, x)
	}
	slices.Sort(lc.x)
	for _, x := range lc.x {
		lc.xtip = append(lc.xtip, fmtVal(x)+" s")
	}
	for i, r := range runs {
		s := lineSeries{name: names[i] + ": " + srcs[i].Name, unit: "tok/s", y: make([]float64, len(lc.x)), joinGaps: true}
		for k := range s.y {
			s.y[k] = math.NaN()
		}
		for _, p := range r.pts {
			x := math.Round((p.TimeS+p.DurationS/2)*1e6) / 1e6
			if k, ok := slices.BinarySearch(lc.x, x); ok {
				s.y[k] = p.OutputTokS
			}
		}
		lc.series = append(lc.series, s)
	}
	return lc.chart()
}
