package html

import (
	"fmt"
	"math"
	"strconv"
)

// lineSeries is one line of a lineChart. Y holds NaN where the series has no value, which
// breaks the line.
type lineSeries struct {
	name string
	unit string
	y    []float64
	// tips, when set, replace fmtVal(y) in the tooltip (for aggregated points that show
	// the bucket's spread).
	tips  []string
	class string // colour class; "s<index>" when empty
	dash  bool
	// joinGaps draws across missing values instead of breaking the line, for series
	// drawn on another series' x positions.
	joinGaps bool
	// hidden starts the series hidden; its legend entry shows it.
	hidden bool
}

// lineChart is values over a shared numeric x axis (time, mostly).
type lineChart struct {
	id, title, caption string
	x                  []float64
	xtip               []string // x as the tooltip names it ("12.3 s")
	xlabel, ylabel     string
	series             []lineSeries
	ymax               float64 // fixed top of the y axis (100 for percentages); 0: from the data
	wide               bool
}

// lineData is what the page's script needs to show a line chart's values under the cursor.
type lineData struct {
	Kind string     `json:"k"`
	PX   []float64  `json:"px"`
	Y0   float64    `json:"y0"`
	Y1   float64    `json:"y1"`
	X    []string   `json:"x"`
	S    []lineTips `json:"s"`
}

type lineTips struct {
	Name string   `json:"n"`
	V    []string `json:"v"`
}

func (lc lineChart) chart() *Chart {
	c := newChart(lc.id, lc.title, lc.caption, lc.wide, chartH)
	xlo, xhi := math.Inf(1), math.Inf(-1)
	for _, v := range lc.x {
		xlo, xhi = math.Min(xlo, v), math.Max(xhi, v)
	}
	yhi := 0.0
	for _, s := range lc.series {
		if s.hidden {
			continue
		}
		for _, v := range s.y {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				yhi = math.Max(yhi, v)
			}
		}
	}
	if lc.ymax > 0 {
		yhi = math.Max(yhi, lc.ymax)
	}
	if math.IsInf(xlo, 1) {
		xlo, xhi = 0, 1
	}
	if xhi == xlo {
		xhi = xlo + 1
	}
	var yticks []float64
	if lc.ymax > 0 && yhi <= lc.ymax {
		// A bounded quantity (a percentage) keeps its bound as the top of the axis.
		yhi = lc.ymax
		_, _, yticks = niceRange(0, yhi, 5)
	} else {
		_, yhi, yticks = niceRange(0, yhi*1.04, 5)
	}
	xs := niceStep(xhi-xlo, 8)
	var xticks []float64
	for t := math.Ceil(xlo/xs) * xs; t <= xhi+xs*1e-9; t += xs {
		xticks = append(xticks, math.Round(t/xs)*xs)
	}
	f := newFrame(c.width, c.height, xlo, xhi, 0, yhi)
	var w svgw
	var items []legendItem
	for i, s := range lc.series {
		items = append(items, legendItem{name: s.name, class: seriesClass(s.class, i), series: i, shape: "line", off: s.hidden})
	}
	w.legend(items)
	w.grid(f, yticks, xticks, lc.xlabel, lc.ylabel)
	dots := len(lc.x) <= 60
	for i, s := range lc.series {
		cls := seriesClass(s.class, i)
		if s.hidden {
			cls += " hide"
		}
		w.printf(`<g class="%s" data-series="%d">`, cls, i)
		var d []byte
		pen := false
		for k, v := range s.y {
			if k >= len(lc.x) {
				break
			}
			if math.IsNaN(v) || math.IsInf(v, 0) {
				pen = pen && s.joinGaps
				continue
			}
			cmd := byte('L')
			if !pen {
				cmd = 'M'
			}
			d = append(d, cmd)
			d = append(d, px(f.xs.at(lc.x[k]))...)
			d = append(d, ' ')
			d = append(d, px(f.ys.at(v))...)
			pen = true
			c.marks++
		}
		dash := ""
		if s.dash {
			dash = ` stroke-dasharray="5 4"`
		}
		w.printf(`<path class="ln" d="%s"%s/>`, d, dash)
		if dots {
			for k, v := range s.y {
				if k < len(lc.x) && !math.IsNaN(v) && !math.IsInf(v, 0) {
					w.printf(`<circle class="dot" cx="%s" cy="%s" r="2.5"/>`, px(f.xs.at(lc.x[k])), px(f.ys.at(v)))
				}
			}
		}
		w.WriteString(`</g>`)
	}
	w.printf(`<line class="guide" x1="0" x2="0" y1="%s" y2="%s" visibility="hidden"/>`, px(f.y0), px(f.y1))
	w.printf(`<rect class="hover" x="%s" y="%s" width="%s" height="%s"/>`, px(f.x0), px(f.y0), px(f.x1-f.x0), px(f.y1-f.y0))
	c.body = w.String()

	data := lineData{Kind: "line", Y0: f.y0, Y1: f.y1, X: lc.xtip}
	for _, v := range lc.x {
		data.PX = append(data.PX, math.Round(f.xs.at(v)*10)/10)
	}
	for _, s := range lc.series {
		t := lineTips{Name: s.name}
		for k, v := range s.y {
			switch {
			case k < len(s.tips) && s.tips[k] != "":
				t.V = append(t.V, s.tips[k])
			case math.IsNaN(v):
				t.V = append(t.V, "")
			default:
				t.V = append(t.V, withUnit(fmtVal(v), s.unit))
			}
		}
		data.S = append(data.S, t)
	}
	c.data = data
	return c
}

func seriesClass(class string, i int) string {
	if class != "" {
		return class
	}
	return "s" + strconv.Itoa(i%8)
}

func withUnit(v, unit string) string {
	if unit == "" {
		return v
	}
	if unit == "%" {
		return v + "%"
	}
	return v + " " + unit
}

// marker is a vertical line at a value, such as a percentile on a histogram.
type marker struct {
	name  string
	v     float64
	class string
}

// histChart is a histogram of counts in equal bins over [lo, hi]; values above hi are
// counted in the last bin, which the caption then says.
type histChart struct {
	id, title, caption string
	unit, what         string // what is counted ("requests", "gaps")
	lo, hi             float64
	counts             []int
	over, total        int
	marks              []marker
}

func (h histChart) chart() *Chart {
	c := newChart(h.id, h.title, h.caption, false, chartH)
	peak := 0
	for _, n := range h.counts {
		peak = max(peak, n)
	}
	xlo, xhi, xticks := niceRange(h.lo, h.hi, 6)
	// Ticks outside the data's range would leave empty margins: keep the range, drop them.
	xlo, xhi = h.lo, h.hi
	var keep []float64
	for _, t := range xticks {
		if t >= xlo-1e-9 && t <= xhi+1e-9 {
			keep = append(keep, t)
		}
	}
	_, yhi, yticks := niceRange(0, float64(peak)*1.08, 4)
	f := newFrame(c.width, c.height, xlo, xhi, 0, yhi)
	var w svgw
	items := []legendItem{{name: h.what, class: "s0", series: -1}}
	for _, m := range h.marks {
		items = append(items, legendItem{name: m.name + " " + withUnit(fmtVal(m.v), h.unit), class: m.class, series: -1, shape: "line"})
	}
	w.legend(items)
	w.grid(f, yticks, keep, withUnit("", h.unit), h.what)
	n := len(h.counts)
	width := (h.hi - h.lo) / float64(max(n, 1))
	w.WriteString(`<g class="s0">`)
	for i, k := range h.counts {
		if k == 0 {
			continue
		}
		a, b := h.lo+float64(i)*width, h.lo+float64(i+1)*width
		x0, x1 := f.xs.at(a), f.xs.at(b)
		y := f.ys.at(float64(k))
		share := 100 * float64(k) / float64(max(h.total, 1))
		rangeText := fmt.Sprintf("%s – %s", fmtVal(a), withUnit(fmtVal(b), h.unit))
		if i == n-1 && h.over > 0 {
			rangeText = "≥ " + withUnit(fmtVal(a), h.unit)
		}
		w.printf(`<rect class="bar" x="%s" y="%s" width="%s" height="%s" data-tip="%s: %d %s (%s%%)"/>`,
			px(x0+0.5), px(y), px(math.Max(x1-x0-1, 0.6)), px(f.y1-y), esc(rangeText), k, esc(h.what), fmtVal(share))
		c.marks++
	}
	w.WriteString(`</g>`)
	for _, m := range h.marks {
		x := f.xs.at(math.Min(math.Max(m.v, h.lo), h.hi))
		w.printf(`<line class="mark %s" x1="%s" x2="%s" y1="%s" y2="%s" data-tip="%s: %s"/>`,
			m.class, px(x), px(x), px(f.y0), px(f.y1), esc(m.name), esc(withUnit(fmtVal(m.v), h.unit)))
	}
	c.body = w.String()
	return c
}

// binner counts values into n equal bins over the range that the report's percentiles give:
// minimum to maximum, cut at 1.5 times the p99's distance from the minimum when a far tail
// would squeeze the rest into a few bars (the dashboard's rule).
type binner struct {
	lo, hi      float64
	counts      []int
	over, total int
}

func newBinner(minimum, p99, maximum float64, n int) *binner {
	lo, hi := minimum, maximum
	if span := p99 - lo; span > 0 && hi-lo > 2*span {
		hi = lo + 1.5*span
	}
	if hi-lo < 1e-9 {
		pad := math.Max(math.Abs(lo)*0.05, 0.001)
		lo, hi = lo-pad, hi+pad
	}
	return &binner{lo: lo, hi: hi, counts: make([]int, n)}
}

func (b *binner) add(v float64) {
	if math.IsNaN(v) {
		return
	}
	b.total++
	i := int((v - b.lo) / (b.hi - b.lo) * float64(len(b.counts)))
	if v > b.hi {
		b.over++
	}
	b.counts[min(max(i, 0), len(b.counts)-1)]++
}
