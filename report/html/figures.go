package html

import (
	"math"
	"slices"
	"strconv"
)

// catSeries is one line of a catChart: a value and its error (half-width of the 95%
// interval, 0 for none) at each category.
type catSeries struct {
	name string
	y    []float64 // NaN: no value at that category
	err  []float64
	tips []string
}

// catChart draws values at evenly spaced categories (a sweep axis's values), one line a
// series, with error bars.
type catChart struct {
	id, title, caption string
	xlabel, ylabel     string
	cats               []string
	series             []catSeries
}

func (cc catChart) chart() *Chart {
	c := newChart(cc.id, cc.title, cc.caption, false, chartH)
	yhi := 0.0
	for _, s := range cc.series {
		for i, v := range s.y {
			if !math.IsNaN(v) {
				e := 0.0
				if i < len(s.err) {
					e = s.err[i]
				}
				yhi = math.Max(yhi, v+e)
			}
		}
	}
	_, yhi, yticks := niceRange(0, yhi*1.05, 5)
	n := max(len(cc.cats), 1)
	f := newFrame(c.width, c.height, 0, float64(n), 0, yhi)
	xAt := func(i int) float64 { return f.xs.at(float64(i) + 0.5) }
	var w svgw
	var items []legendItem
	for i, s := range cc.series {
		items = append(items, legendItem{name: s.name, class: seriesClass("", i), series: i, shape: "line"})
	}
	if len(cc.series) > 1 {
		w.legend(items)
	}
	w.grid(f, yticks, nil, cc.xlabel, cc.ylabel)
	w.WriteString(`<g class="tick tx">`)
	for i, cat := range cc.cats {
		w.printf(`<text x="%s" y="%s">%s</text>`, px(xAt(i)), px(f.y1+16), esc(cat))
	}
	w.WriteString(`</g>`)
	for si, s := range cc.series {
		w.printf(`<g class="%s" data-series="%d">`, seriesClass("", si), si)
		var d []byte
		pen := false
		for i, v := range s.y {
			if math.IsNaN(v) {
				pen = false
				continue
			}
			cmd := "L"
			if !pen {
				cmd = "M"
			}
			d = append(d, cmd+px(xAt(i))+" "+px(f.ys.at(v))...)
			pen = true
		}
		w.printf(`<path class="ln" d="%s"/>`, d)
		for i, v := range s.y {
			if math.IsNaN(v) {
				continue
			}
			x := xAt(i)
			if i < len(s.err) && s.err[i] > 0 {
				a, b := f.ys.at(v-s.err[i]), f.ys.at(v+s.err[i])
				w.printf(`<path class="err" d="M%s %sV%sM%s %sh8M%s %sh8"/>`, px(x), px(a), px(b), px(x-4), px(a), px(x-4), px(b))
			}
			tip := ""
			if i < len(s.tips) {
				tip = s.tips[i]
			}
			w.printf(`<circle class="dot" cx="%s" cy="%s" r="4" data-tip="%s"/>`, px(x), px(f.ys.at(v)), esc(tip))
			c.marks++
		}
		w.WriteString(`</g>`)
	}
	c.body = w.String()
	return c
}

// scatterPoint is one point of a scatterChart.
type scatterPoint struct {
	x, y     float64
	label    string
	tip      string
	frontier bool
}

// scatterChart draws points with their labels and joins the Pareto frontier, the points no
// other point beats on both axes.
type scatterChart struct {
	id, title, caption string
	xlabel, ylabel     string
	points             []scatterPoint
}

// markFrontier sets frontier on the points that no other point matches or beats on both
// axes (higher is better on both).
func markFrontier(pts []scatterPoint) {
	for i := range pts {
		pts[i].frontier = true
		for j := range pts {
			if i != j && pts[j].x >= pts[i].x && pts[j].y >= pts[i].y && (pts[j].x > pts[i].x || pts[j].y > pts[i].y) {
				pts[i].frontier = false
				break
			}
		}
	}
}

func (sc scatterChart) chart() *Chart {
	c := newChart(sc.id, sc.title, sc.caption, true, 400)
	xhi, yhi := 0.0, 0.0
	for _, p := range sc.points {
		xhi, yhi = math.Max(xhi, p.x), math.Max(yhi, p.y)
	}
	_, xhi, xticks := niceRange(0, xhi*1.08, 7)
	_, yhi, yticks := niceRange(0, yhi*1.08, 5)
	f := newFrame(c.width, c.height, 0, xhi, 0, yhi)
	var w svgw
	w.legend([]legendItem{{name: "point", class: "s0", series: 0}, {name: "Pareto frontier", class: "s1", series: 1, shape: "line"}})
	w.grid(f, yticks, xticks, sc.xlabel, sc.ylabel)
	front := slices.Clone(sc.points)
	front = slices.DeleteFunc(front, func(p scatterPoint) bool { return !p.frontier })
	slices.SortFunc(front, func(a, b scatterPoint) int {
		switch {
		case a.x < b.x:
			return -1
		case a.x > b.x:
			return 1
		}
		return 0
	})
	var d []byte
	for i, p := range front {
		cmd := "L"
		if i == 0 {
			cmd = "M"
		}
		d = append(d, cmd+px(f.xs.at(p.x))+" "+px(f.ys.at(p.y))...)
	}
	w.printf(`<g class="s1" data-series="1"><path class="ln" d="%s"/></g>`, d)
	labels := len(sc.points) <= 30
	w.WriteString(`<g class="s0" data-series="0">`)
	for _, p := range sc.points {
		cls := "dot"
		r := 4.0
		if p.frontier {
			cls, r = "dot fr", 5.5
		}
		w.printf(`<circle class="%s" cx="%s" cy="%s" r="%s" data-tip="%s"/>`, cls, px(f.xs.at(p.x)), px(f.ys.at(p.y)), px(r), esc(p.tip))
		if labels && p.label != "" {
			w.printf(`<text class="lbl" x="%s" y="%s">%s</text>`, px(f.xs.at(p.x)+7), px(f.ys.at(p.y)-6), esc(p.label))
		}
		c.marks++
	}
	w.WriteString(`</g>`)
	c.body = w.String()
	return c
}

// divBar is one run's change of one metric against the baseline.
type divBar struct {
	series int
	pct    float64
	// verdict is "good", "bad" or "same": the label's colour, and the bar's with one run.
	verdict string
	tip     string
}

// divRow is one metric of a divChart.
type divRow struct {
	label string
	bars  []divBar
}

// runClasses colour the runs of a comparison without the green and red that mean better
// and worse on the same chart.
var runClasses = [...]string{"s0", "s3", "s5", "s6", "s1", "s7"}

func runClass(i int) string { return runClasses[i%len(runClasses)] }

// divChart draws changes in percent as bars left and right of zero, one row a metric and
// one bar a compared run; with one compared run, bars are coloured by better and worse.
type divChart struct {
	id, title, caption string
	names              []string // the compared runs, for the legend
	rows               []divRow
}

func (dc divChart) chart() *Chart {
	const labelW, barH, rowGap = 150.0, 13.0, 9.0
	per := 1
	for _, r := range dc.rows {
		per = max(per, len(r.bars))
	}
	rowH := float64(per)*barH + rowGap
	c := newChart(dc.id, dc.title, dc.caption, true, int(float64(len(dc.rows))*rowH)+padTop+padBot)
	// The range spans the changes and zero, with room for the labels at the bars' ends.
	lo, hi := -5.0, 5.0
	for _, r := range dc.rows {
		for _, b := range r.bars {
			if !math.IsNaN(b.pct) {
				lo, hi = math.Min(lo, b.pct), math.Max(hi, b.pct)
			}
		}
	}
	lo, hi = math.Max(lo*1.15, -1000), math.Min(hi*1.15, 1000)
	lo, hi, ticks := niceRange(lo, hi, 8)
	f := frame{x0: labelW + 10, x1: float64(c.width - 60), y0: padTop, y1: float64(c.height - padBot)}
	f.xs = linScale{lo, hi, f.x0, f.x1}
	f.ys = linScale{0, 1, f.y1, f.y0}
	var w svgw
	single := len(dc.names) == 1
	if single {
		w.legend([]legendItem{{name: "better", class: "good", series: -1}, {name: "worse", class: "bad", series: -1}})
	} else {
		var items []legendItem
		for i, n := range dc.names {
			items = append(items, legendItem{name: n, class: runClass(i), series: i})
		}
		w.legend(items)
	}
	w.WriteString(`<g class="grid">`)
	for _, t := range ticks {
		w.printf(`<line x1="%s" x2="%s" y1="%s" y2="%s"/>`, px(f.xs.at(t)), px(f.xs.at(t)), px(f.y0), px(f.y1))
	}
	w.WriteString(`</g><g class="tick tx">`)
	step := ticks[1] - ticks[0]
	for _, t := range ticks {
		w.printf(`<text x="%s" y="%s">%s%%</text>`, px(f.xs.at(t)), px(f.y1+16), tickLabel(t, step))
	}
	w.WriteString(`</g>`)
	w.printf(`<line class="zero" x1="%s" x2="%s" y1="%s" y2="%s"/>`, px(f.xs.at(0)), px(f.xs.at(0)), px(f.y0), px(f.y1))
	w.printf(`<text class="axt" x="%s" y="%s">change against the baseline (%%)</text>`, px((f.x0+f.x1)/2), px(f.y1+34))
	groups := make([]svgw, max(len(dc.names), 1))
	for ri, r := range dc.rows {
		y := f.y0 + float64(ri)*rowH + rowGap/2
		w.printf(`<text x="%s" y="%s" text-anchor="end">%s</text>`, px(labelW), px(y+float64(len(r.bars))*barH/2+4), esc(r.label))
		for bi, b := range r.bars {
			if math.IsNaN(b.pct) {
				continue
			}
			v := math.Max(math.Min(b.pct, hi), lo)
			x0, x1 := f.xs.at(0), f.xs.at(v)
			if x1 < x0 {
				x0, x1 = x1, x0
			}
			cls := runClass(b.series)
			if single {
				cls = map[string]string{"good": "good", "bad": "bad"}[b.verdict]
				if cls == "" {
					cls = "s7"
				}
			}
			g := &groups[min(b.series, len(groups)-1)]
			yb := y + float64(bi)*barH
			g.printf(`<rect class="bar %s" x="%s" y="%s" width="%s" height="%s" data-tip="%s"/>`, cls, px(x0), px(yb+1), px(math.Max(x1-x0, 1)), px(barH-2), esc(b.tip))
			sign := ""
			if b.pct > 0 {
				sign = "+"
			}
			tx, anchor := f.xs.at(v)+4, "start"
			if v < 0 {
				tx, anchor = f.xs.at(v)-4, "end"
			}
			g.printf(`<text class="dl %s" x="%s" y="%s" text-anchor="%s">%s%s%%</text>`, b.verdict, px(tx), px(yb+barH-3), anchor, sign, strconv.FormatFloat(b.pct, 'f', 1, 64))
			c.marks++
		}
	}
	for i := range groups {
		w.printf(`<g data-series="%d">%s</g>`, i, groups[i].String())
	}
	c.body = w.String()
	return c
}

// barChart draws grouped bars: one group a category, one bar a series, each labelled with
// its value.
type barChart struct {
	id, title, caption string
	xlabel, ylabel     string
	unit               string
	cats               []string
	series             []catSeries
}

func (bc barChart) chart() *Chart {
	c := newChart(bc.id, bc.title, bc.caption, false, chartH)
	yhi := 0.0
	for _, s := range bc.series {
		for _, v := range s.y {
			if !math.IsNaN(v) {
				yhi = math.Max(yhi, v)
			}
		}
	}
	_, yhi, yticks := niceRange(0, yhi*1.1, 5)
	n := max(len(bc.cats), 1)
	f := newFrame(c.width, c.height, 0, float64(n), 0, yhi)
	var w svgw
	var items []legendItem
	for i, s := range bc.series {
		items = append(items, legendItem{name: s.name, class: seriesClass("", i), series: i})
	}
	w.legend(items)
	w.grid(f, yticks, nil, bc.xlabel, bc.ylabel)
	group := (f.x1 - f.x0) / float64(n)
	barW := group * 0.8 / float64(max(len(bc.series), 1))
	w.WriteString(`<g class="tick tx">`)
	for i, cat := range bc.cats {
		w.printf(`<text x="%s" y="%s">%s</text>`, px(f.x0+(float64(i)+0.5)*group), px(f.y1+16), esc(cat))
	}
	w.WriteString(`</g>`)
	for si, s := range bc.series {
		w.printf(`<g class="%s" data-series="%d">`, seriesClass("", si), si)
		for i, v := range s.y {
			if math.IsNaN(v) || i >= n {
				continue
			}
			x := f.x0 + float64(i)*group + group*0.1 + float64(si)*barW
			y := f.ys.at(v)
			tip := s.name + " at " + bc.cats[i] + ": " + withUnit(fmtVal(v), bc.unit)
			if i < len(s.tips) && s.tips[i] != "" {
				tip = s.tips[i]
			}
			w.printf(`<rect class="bar" x="%s" y="%s" width="%s" height="%s" data-tip="%s"/>`, px(x+0.5), px(y), px(math.Max(barW-1, 1)), px(f.y1-y), esc(tip))
			w.printf(`<text class="lbl" x="%s" y="%s" text-anchor="middle">%s</text>`, px(x+barW/2), px(y-4), fmtVal(v))
			c.marks++
		}
		w.WriteString(`</g>`)
	}
	c.body = w.String()
	return c
}
