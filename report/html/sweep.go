package html

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/benchtui/benchtui/report"
	"github.com/benchtui/benchtui/sweep"
)

// sweepTable are the figures of the points table, by their names in report.Figures.
var sweepTable = []string{"output_tok_s", "total_tok_s", "request_s", "per_user_tok_s", "per_gpu_tok_s",
	"ttft_p50_ms", "ttft_p99_ms", "tpot_avg_ms", "e2e_avg_ms"}

// metricUnit returns a figure's unit and whether higher is better.
func metricUnit(name string) (string, bool) {
	if f, ok := report.FigureByName(name); ok {
		return f.Unit, f.Better != report.LowerIsBetter
	}
	return "", true
}

// axisValues lists the values the points take on an axis, numerically sorted when they
// are all numbers, else in the order they first appear.
func axisValues(pts []sweep.PointResult, axis string) []string {
	var vals []string
	for _, p := range pts {
		if v, ok := p.Params[axis]; ok && !slices.Contains(vals, v) {
			vals = append(vals, v)
		}
	}
	numeric := true
	for _, v := range vals {
		if _, err := strconv.ParseFloat(v, 64); err != nil {
			numeric = false
		}
	}
	if numeric {
		slices.SortFunc(vals, func(a, b string) int {
			x, _ := strconv.ParseFloat(a, 64)
			y, _ := strconv.ParseFloat(b, 64)
			switch {
			case x < y:
				return -1
			case x > y:
				return 1
			}
			return 0
		})
	}
	return vals
}

// statText is a point's mean, with its 95% interval when it has repeats.
func statText(s report.RepeatStat) string {
	if s.N > 1 {
		return fmtVal(s.Mean) + " ± " + fmtVal(s.CI95)
	}
	return fmtVal(s.Mean)
}

func sweepPage(p *Page, src *Source) {
	sw := src.Sweep
	pts := sw.Points
	var swept, fixed []string
	for _, a := range sw.Axes {
		if len(axisValues(pts, a)) > 1 {
			swept = append(swept, a)
		} else {
			fixed = append(fixed, a)
		}
	}
	model := ""
	repeats := 0
	for _, pt := range pts {
		repeats = max(repeats, len(pt.Reports))
		if model == "" && len(pt.Reports) > 0 {
			model = pt.Reports[0].Engine.Model
		}
	}
	p.Title = "benchtui sweep: " + orDash(model)
	p.Subtitle = src.Name
	if len(swept) > 0 {
		p.Subtitle += " · " + strings.Join(swept, " × ")
	}
	label := func(pt sweep.PointResult, axes []string) string {
		var parts []string
		for _, a := range axes {
			parts = append(parts, a+"="+pt.Params[a])
		}
		return strings.Join(parts, ", ")
	}
	tip := func(pt sweep.PointResult) string {
		var b strings.Builder
		b.WriteString(label(pt, swept))
		if len(swept) == 0 {
			b.WriteString(pt.Key)
		}
		fmt.Fprintf(&b, " (%d runs)", len(pt.Reports))
		for _, m := range []string{"output_tok_s", "per_user_tok_s", "per_gpu_tok_s", "ttft_p50_ms", "tpot_avg_ms"} {
			u, _ := metricUnit(m)
			fmt.Fprintf(&b, "\n%s: %s", m, withUnit(statText(pt.Stats[m]), u))
		}
		return b.String()
	}

	sum := &Section{ID: "summary", Title: "Summary"}
	sum.Intro = fmt.Sprintf("%d points of a sweep over %s, one run each.", len(pts), orDash(strings.Join(swept, ", ")))
	if repeats > 1 {
		sum.Intro = fmt.Sprintf("%d points of a sweep over %s, up to %d runs each: means over the runs, ± the 95%% interval.",
			len(pts), orDash(strings.Join(swept, ", ")), repeats)
	}
	if len(pts) == 0 {
		sum.Notes = append(sum.Notes, Note{"warn", "The sweep has no finished points."})
	}
	for _, best := range []struct{ metric, label string }{{"output_tok_s", "Best output throughput"}, {"per_user_tok_s", "Best per-user throughput"}, {"ttft_p50_ms", "Lowest TTFT p50"}} {
		unit, higher := metricUnit(best.metric)
		bi := -1
		for i, pt := range pts {
			v := pt.Stats[best.metric].Mean
			if bi < 0 || (higher && v > pts[bi].Stats[best.metric].Mean) || (!higher && v < pts[bi].Stats[best.metric].Mean) {
				bi = i
			}
		}
		if bi >= 0 {
			sum.Cards = append(sum.Cards, Card{Key: "best-" + best.metric, Label: best.label, Value: fmtVal(pts[bi].Stats[best.metric].Mean),
				Unit: unit, Detail: orDash(label(pts[bi], swept))})
		}
	}
	p.Sections = append(p.Sections, sum)

	if len(swept) > 0 && len(pts) > 0 {
		by := &Section{ID: "by-axis", Title: "Throughput by axis",
			Intro: "Output tokens per second at each value of a swept axis; one line for each combination of the other swept axes. Error bars are the 95% interval over repeats."}
		for _, a := range swept {
			cats := axisValues(pts, a)
			var others []string
			for _, o := range swept {
				if o != a {
					others = append(others, o)
				}
			}
			var series []catSeries
			index := map[string]int{}
			for _, pt := range pts {
				key := label(pt, others)
				si, ok := index[key]
				if !ok {
					si = len(series)
					index[key] = si
					name := key
					if name == "" {
						name = "output tok/s"
					}
					s := catSeries{name: name, y: make([]float64, len(cats)), err: make([]float64, len(cats)), tips: make([]string, len(cats))}
					for i := range s.y {
						s.y[i] = math.NaN()
					}
					series = append(series, s)
				}
				ci := slices.Index(cats, pt.Params[a])
				st := pt.Stats["output_tok_s"]
				series[si].y[ci], series[si].err[ci], series[si].tips[ci] = st.Mean, st.CI95, tip(pt)
			}
			by.Charts = append(by.Charts, catChart{id: "axis-" + slug(a), title: "Output throughput by " + a, xlabel: a, ylabel: "output tok/s",
				cats: cats, series: series}.chart())
		}
		p.Sections = append(p.Sections, by)
	}

	if len(pts) > 0 {
		var sp []scatterPoint
		for _, pt := range pts {
			var vals []string
			for _, a := range swept {
				vals = append(vals, pt.Params[a])
			}
			sp = append(sp, scatterPoint{x: pt.Stats["per_user_tok_s"].Mean, y: pt.Stats["per_gpu_tok_s"].Mean,
				label: strings.Join(vals, "/"), tip: tip(pt)})
		}
		markFrontier(sp)
		cap := "Each point is a setting: right is faster for each user, up is more output per GPU. The line joins the Pareto frontier, the settings no other beats on both."
		if len(swept) > 0 {
			cap += " Labels are " + strings.Join(swept, "/") + "."
		}
		p.Sections = append(p.Sections, &Section{ID: "pareto", Title: "Per user against per GPU",
			Charts: []*Chart{scatterChart{id: "pareto", title: "Throughput per user against per GPU (Pareto)", caption: cap,
				xlabel: "output tok/s per user", ylabel: "output tok/s per GPU", points: sp}.chart()}})
	}

	t := &Table{ID: "points", Caption: "Points (mean ± 95% interval over repeats)"}
	t.Head = append(append(t.Head, swept...), "runs")
	for _, m := range sweepTable {
		u, _ := metricUnit(m)
		t.Head = append(t.Head, m+" ("+u+")")
	}
	for _, pt := range pts {
		var row []Cell
		for _, a := range swept {
			row = append(row, Cell{Text: pt.Params[a]})
		}
		row = append(row, Cell{Text: strconv.Itoa(len(pt.Reports)), Class: "num"})
		for _, m := range sweepTable {
			row = append(row, Cell{Text: statText(pt.Stats[m]), Class: "num", Key: pt.Key + ":" + m})
		}
		t.Rows = append(t.Rows, row)
	}
	tables := &Section{ID: "points", Title: "Points", Tables: []*Table{t}}
	if len(fixed) > 0 && len(pts) > 0 {
		ft := &Table{ID: "fixed", Caption: "Fixed axes", Head: []string{"axis", "value"}}
		for _, a := range fixed {
			ft.Rows = append(ft.Rows, []Cell{{Text: a}, {Text: pts[0].Params[a]}})
		}
		tables.Tables = append(tables.Tables, ft)
	}
	p.Sections = append(p.Sections, tables)
}
