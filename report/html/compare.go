package html

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/benchtui/benchtui/engine"
	"github.com/benchtui/benchtui/sweep"
)

// Change is v against base in percent. ok is false when there is no change to speak of:
// a zero or missing baseline. The console's compare and the HTML comparison both use it.
func Change(base, v float64) (pct float64, ok bool) {
	if base == 0 || math.IsNaN(base) || math.IsNaN(v) || math.IsInf(base, 0) || math.IsInf(v, 0) {
		return math.NaN(), false
	}
	return 100 * (v - base) / base, true
}

// Better says whether a change of pct percent improves a metric: 1 better, -1 worse, 0 no
// change.
func Better(pct float64, higherIsBetter bool) int {
	switch {
	case pct == 0 || math.IsNaN(pct):
		return 0
	case (pct > 0) == higherIsBetter:
		return 1
	}
	return -1
}

// runLetter names the i-th run of a comparison: A, B, ... Z, then 27, 28...
func runLetter(i int) string {
	if i < 26 {
		return string(rune('A' + i))
	}
	return strconv.Itoa(i + 1)
}

// Warnings lists what makes runs' figures not comparable as they stand: a different
// workload (input or output length, number of requests, dataset) than the first run's,
// or a run that was stopped or had failures. names label the runs.
func Warnings(names []string, srcs []*Source) []string {
	if len(srcs) == 0 {
		return nil
	}
	var out []string
	base := &srcs[0].Export.Report
	bd, _ := readDataset(base.Dataset)
	for i := 1; i < len(srcs); i++ {
		r := &srcs[i].Export.Report
		d, _ := readDataset(r.Dataset)
		diff := func(what, a, b string) {
			if a != b {
				out = append(out, fmt.Sprintf("%s differs: %s %s, %s %s.", what, names[0], a, names[i], b))
			}
		}
		diff("Average input length (ISL)", fmtVal(base.RequestInfo.AvgInputLength), fmtVal(r.RequestInfo.AvgInputLength))
		diff("Average output length (OSL)", fmtVal(base.RequestInfo.AvgOutputLength), fmtVal(r.RequestInfo.AvgOutputLength))
		diff("Number of requests (N)", strconv.Itoa(base.RequestInfo.NumRequests+base.BenchTUI.NumFailed), strconv.Itoa(r.RequestInfo.NumRequests+r.BenchTUI.NumFailed))
		switch {
		case bd.Path != "" || d.Path != "":
			diff("Dataset", orDash(bd.Path), orDash(d.Path))
		case srcs[0].Kind != KindTRTLLM && srcs[i].Kind != KindTRTLLM:
			// Both generated their requests: the same lengths from another seed are other
			// requests.
			diff("Generated dataset seed", strconv.FormatInt(base.BenchTUI.Seed, 10), strconv.FormatInt(r.BenchTUI.Seed, 10))
		}
	}
	for i, s := range srcs {
		r := &s.Export.Report
		switch {
		case stopped(s.Export.Requests):
			out = append(out, fmt.Sprintf("%s was stopped before it finished: %d of %d requests completed.", names[i], r.BenchTUI.NumCompleted, r.BenchTUI.NumCompleted+r.BenchTUI.NumFailed))
		case r.BenchTUI.NumFailed > 0:
			out = append(out, fmt.Sprintf("%s had %d failed requests, left out of its figures.", names[i], r.BenchTUI.NumFailed))
		}
	}
	return out
}

// settingRows are the settings a comparison lines up; a value that differs from the first
// run's is highlighted.
var settingRows = []struct {
	name string
	get  func(r *engine.Report) string
}{
	{"model", func(r *engine.Report) string { return r.Engine.Model }},
	{"dtype", func(r *engine.Report) string { return r.Engine.Dtype }},
	{"backend", func(r *engine.Report) string { return strings.TrimSpace(r.Engine.Backend + " " + r.Engine.Version) }},
	{"GPU", func(r *engine.Report) string { return gpus(r) }},
	{"max_batch_size", func(r *engine.Report) string { return strconv.Itoa(r.WorldInfo.MaxBatchSize) }},
	{"max_num_tokens", func(r *engine.Report) string { return strconv.Itoa(r.WorldInfo.MaxNumTokens) }},
	{"requests", func(r *engine.Report) string { return strconv.Itoa(r.RequestInfo.NumRequests) }},
	{"average ISL", func(r *engine.Report) string { return fmtVal(r.RequestInfo.AvgInputLength) }},
	{"average OSL", func(r *engine.Report) string { return fmtVal(r.RequestInfo.AvgOutputLength) }},
	{"failed", func(r *engine.Report) string { return strconv.Itoa(r.BenchTUI.NumFailed) }},
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
	for _, w := range Warnings(names, srcs) {
		sec.Notes = append(sec.Notes, Note{"warn", w})
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
	for _, m := range sweep.Metrics {
		row := []Cell{{Text: m.Name + " (" + m.Unit + ")"}}
		base := m.Get(&srcs[0].Export.Report)
		row = append(row, Cell{Text: fmtVal(base), Class: "num", Key: "A:" + m.Name})
		dr := divRow{label: m.Name}
		for i := 1; i < len(srcs); i++ {
			v := m.Get(&srcs[i].Export.Report)
			row = append(row, Cell{Text: fmtVal(v), Class: "num", Key: names[i] + ":" + m.Name})
			pct, ok := Change(base, v)
			cell := Cell{Text: "n/a", Class: "num", Key: names[i] + ":Δ" + m.Name}
			if ok {
				cell.Text = fmt.Sprintf("%+.1f%%", pct)
				switch Better(pct, m.HigherIsBetter) {
				case 1:
					cell.Class = "num good"
				case -1:
					cell.Class = "num bad"
				}
			}
			row = append(row, cell)
			verdict := "no change"
			switch Better(pct, m.HigherIsBetter) {
			case 1:
				verdict = "better"
			case -1:
				verdict = "worse"
			}
			dr.bars = append(dr.bars, divBar{series: i - 1, pct: pct, good: Better(pct, m.HigherIsBetter) >= 0,
				tip: fmt.Sprintf("%s: %s %s against A %s: %s", m.Name, names[i], withUnit(fmtVal(v), m.Unit), withUnit(fmtVal(base), m.Unit), verdictText(pct, ok, verdict))})
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
		caption: "Each bar is a run's change in percent against A; green is better and red worse for that metric (higher throughput, lower latency)."}.chart())
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

func verdictText(pct float64, ok bool, verdict string) string {
	if !ok {
		return "no baseline"
	}
	return fmt.Sprintf("%+.1f%%, %s", pct, verdict)
}

// throughputOverlay draws every run's output throughput over time on one chart, each from
// its records at a common bucket width (engine.TimeSeries) or from its report's series.
func throughputOverlay(names []string, srcs []*Source) *Chart {
	span := 0.0
	for _, s := range srcs {
		span = math.Max(span, s.Export.Report.Performance.TotalLatencyMS)
	}
	width := niceDuration(time.Duration(span / 100 * float64(time.Millisecond)))
	lc := lineChart{id: "compare-throughput", title: "Output throughput over time", xlabel: "time since each run's first request (s)",
		ylabel: "output tok/s", wide: true, caption: "Each run's output tokens per second, from its records in buckets of " + width.String() + " where it has them, else from its report's time series."}
	type run struct{ pts []engine.TimeSeriesPoint }
	var runs []run
	grid := map[float64]bool{}
	for _, s := range srcs {
		pts := s.Export.Report.BenchTUI.TimeSeries
		if len(s.Export.Requests) > 0 {
			pts = engine.TimeSeries(s.Export.Requests, width)
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
