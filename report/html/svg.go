package html

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"

	"github.com/benchtui/benchtui/report"
)

// Charts are drawn in a viewBox of normalW units wide (wideW for those across the page) and
// scaled to their column, which at common widths keeps their text at about its size.
const (
	normalW  = 600
	wideW    = 1200
	chartH   = 280
	padLeft  = 64
	padRight = 18
	padTop   = 34 // room for the legend
	padBot   = 42
)

// Chart is one figure: an SVG drawing, its caption and, for line charts, the values that
// the page's script shows on hover.
type Chart struct {
	// ID is stable across runs of the same kind ("throughput", "hist-ttft"); the page
	// prefixes it for each run of a comparison, and --svg names files after it.
	ID      string
	Title   string
	Caption string
	// Wide charts take the page's whole width; others share a row with a neighbour.
	Wide   bool
	width  int
	height int
	body   string
	data   any
	// marks counts what the chart drew (bars, line points, rows), for tests and the page's
	// check that every chart has something in it.
	marks int
}

// dataJSON is the hover data as JSON for the page, or "" when the chart has none. It is
// placed in a <script type="application/json">, so "<" is escaped by encoding/json.
func (c *Chart) dataJSON() template.JS {
	if c.data == nil {
		return ""
	}
	b, err := json.Marshal(c.data)
	if err != nil {
		return ""
	}
	return template.JS(b)
}

// newChart starts a chart of the normal or the wide width.
func newChart(id, title, caption string, wide bool, height int) *Chart {
	c := &Chart{ID: id, Title: title, Caption: caption, Wide: wide, width: normalW, height: height}
	if wide {
		c.width = wideW
	}
	return c
}

// inline is the chart's <svg> element for the page, styled by the page's stylesheet.
func (c *Chart) inline(id string) template.HTML {
	return template.HTML(fmt.Sprintf(`<svg class="chart" id="svg-%s" viewBox="0 0 %d %d" role="img" aria-label="%s" data-marks="%d">%s</svg>`,
		id, c.width, c.height, esc(c.Title), c.marks, c.body))
}

//go:embed assets/chart.css
var chartCSS string

// standalone is the chart as an SVG file: its own styles (light, and dark where the viewer
// prefers it), a background, and the title drawn in, since no page frames it.
func (c *Chart) standalone() []byte {
	const titleH = 26
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>`+"\n")
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 %d %d" width="%d" height="%d" role="img">`,
		c.width, c.height+titleH, c.width, c.height+titleH)
	fmt.Fprintf(&b, "<title>%s</title><style>%s</style>", esc(c.Title), chartCSS)
	fmt.Fprintf(&b, `<rect class="bg" x="0" y="0" width="%d" height="%d"/>`, c.width, c.height+titleH)
	fmt.Fprintf(&b, `<text class="ttl" x="%d" y="18">%s</text>`, padLeft, esc(c.Title))
	fmt.Fprintf(&b, `<g transform="translate(0 %d)">%s</g></svg>`+"\n", titleH, c.body)
	return []byte(b.String())
}

func esc(s string) string { return template.HTMLEscapeString(s) }

// px formats a coordinate: one decimal is finer than any screen shows at this size, and
// keeps large charts small.
func px(v float64) string {
	return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64)
}

// linScale maps the domain [d0, d1] to the range [r0, r1].
type linScale struct{ d0, d1, r0, r1 float64 }

func (s linScale) at(v float64) float64 {
	if s.d1 == s.d0 {
		return (s.r0 + s.r1) / 2
	}
	return s.r0 + (v-s.d0)/(s.d1-s.d0)*(s.r1-s.r0)
}

// frame is a chart's plot area and its scales.
type frame struct {
	x0, x1, y0, y1 float64 // plot area; y0 is the top
	xs, ys         linScale
}

func newFrame(w, h int, xlo, xhi, ylo, yhi float64) frame {
	f := frame{x0: padLeft, x1: float64(w - padRight), y0: padTop, y1: float64(h - padBot)}
	f.xs = linScale{xlo, xhi, f.x0, f.x1}
	f.ys = linScale{ylo, yhi, f.y1, f.y0}
	return f
}

// niceStep is the tick step of about n ticks over span: 1, 2 or 5 times a power of ten.
func niceStep(span float64, n int) float64 {
	if span <= 0 || math.IsNaN(span) || math.IsInf(span, 0) {
		return 1
	}
	raw := span / float64(max(n, 1))
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= raw {
			return m * p
		}
	}
	return 10 * p
}

// niceRange widens [lo, hi] to whole steps and returns the ticks inside it.
func niceRange(lo, hi float64, n int) (float64, float64, []float64) {
	if hi <= lo {
		hi = lo + 1
	}
	step := niceStep(hi-lo, n)
	lo = math.Floor(lo/step) * step
	hi = math.Ceil(hi/step) * step
	var ticks []float64
	for v := lo; v <= hi+step/2; v += step {
		ticks = append(ticks, math.Round(v/step)*step)
	}
	return lo, hi, ticks
}

// tickLabel writes a tick value with no more decimals than its step needs, and thousands
// as "k" and millions as "M" so that labels stay short.
func tickLabel(v, step float64) string {
	a := math.Abs(v)
	switch {
	case a >= 1e6 && step >= 1e5:
		return trimZeros(strconv.FormatFloat(v/1e6, 'f', decimals(step/1e6), 64)) + "M"
	case a >= 1e4 && step >= 1e3:
		return trimZeros(strconv.FormatFloat(v/1e3, 'f', decimals(step/1e3), 64)) + "k"
	}
	return trimZeros(strconv.FormatFloat(v, 'f', decimals(step), 64))
}

func decimals(step float64) int {
	if step >= 1 || step <= 0 {
		return 0
	}
	return min(int(math.Ceil(-math.Log10(step)-1e-9)), 6)
}

func trimZeros(s string) string {
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		return "0"
	}
	return s
}

// svgw builds a chart's SVG body.
type svgw struct{ strings.Builder }

func (w *svgw) printf(format string, a ...any) { fmt.Fprintf(w, format, a...) }

// grid draws the horizontal grid, the y ticks and both axis titles, and the x ticks when
// xticks is not nil (categorical charts label their own x positions).
func (w *svgw) grid(f frame, yticks []float64, xticks []float64, xlab, ylab string) {
	ystep := 1.0
	if len(yticks) > 1 {
		ystep = yticks[1] - yticks[0]
	}
	w.WriteString(`<g class="grid">`)
	for _, t := range yticks {
		y := f.ys.at(t)
		w.printf(`<line x1="%s" x2="%s" y1="%s" y2="%s"/>`, px(f.x0), px(f.x1), px(y), px(y))
	}
	w.WriteString(`</g><g class="tick ty">`)
	for _, t := range yticks {
		w.printf(`<text x="%s" y="%s">%s</text>`, px(f.x0-6), px(f.ys.at(t)+4), tickLabel(t, ystep))
	}
	w.WriteString(`</g>`)
	if xticks != nil {
		xstep := 1.0
		if len(xticks) > 1 {
			xstep = xticks[1] - xticks[0]
		}
		w.WriteString(`<g class="tick tx">`)
		for _, t := range xticks {
			w.printf(`<text x="%s" y="%s">%s</text>`, px(f.xs.at(t)), px(f.y1+16), tickLabel(t, xstep))
		}
		w.WriteString(`</g>`)
	}
	w.printf(`<line class="axis" x1="%s" x2="%s" y1="%s" y2="%s"/>`, px(f.x0), px(f.x1), px(f.y1), px(f.y1))
	if xlab != "" {
		w.printf(`<text class="axt" x="%s" y="%s">%s</text>`, px((f.x0+f.x1)/2), px(f.y1+34), esc(xlab))
	}
	if ylab != "" {
		w.printf(`<text class="axt" transform="translate(14 %s) rotate(-90)">%s</text>`, px((f.y0+f.y1)/2), esc(ylab))
	}
}

// legendItem is one entry of a chart's legend: a series (toggled by a click when series is
// not negative) or a fixed key such as a marker's meaning.
type legendItem struct {
	name   string
	class  string // colour class, "s0".."s7", or a phase class
	series int    // -1: not a series
	shape  string // "rect" (default) or "line"
	off    bool   // the series starts hidden
}

// legend draws the items in a row above the plot, from the left.
func (w *svgw) legend(items []legendItem) {
	x := float64(padLeft)
	for _, it := range items {
		switch {
		case it.series >= 0 && it.off:
			w.printf(`<g class="lg dim %s" data-series="%d" tabindex="0" role="button" aria-pressed="false">`, it.class, it.series)
		case it.series >= 0:
			w.printf(`<g class="lg %s" data-series="%d" tabindex="0" role="button" aria-pressed="true">`, it.class, it.series)
		default:
			w.printf(`<g class="lgk %s">`, it.class)
		}
		if it.shape == "line" {
			w.printf(`<line class="swl" x1="%s" x2="%s" y1="14" y2="14"/>`, px(x), px(x+14))
		} else {
			w.printf(`<rect class="sw" x="%s" y="8" width="12" height="12" rx="2"/>`, px(x))
		}
		w.printf(`<text x="%s" y="18">%s</text></g>`, px(x+17), esc(it.name))
		x += 17 + textWidth(it.name) + 16
	}
}

// textWidth estimates the width of s in the charts' 12-unit font.
func textWidth(s string) float64 { return 6.2 * float64(len([]rune(s))) }

// fmtVal writes a measured value as the console and compare do (report.FormatValue), "n/a"
// for what is not a number.
func fmtVal(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "n/a"
	}
	return report.FormatValue(v)
}
