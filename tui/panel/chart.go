package panel

import (
	"math"
	"sort"
	"strings"

	"github.com/benchtui/benchtui/themes"
	"github.com/guptarohit/asciigraph"
)

// Line shapes. Every line of a chart has its own shape as well as its own colour, so that
// the lines and their legend markers stay apart without colour (NO_COLOR, the mono theme)
// and for readers who do not tell the colours apart.
type lineShape int

const (
	shapeSolid  lineShape = iota // ─ the main line
	shapeHeavy                   // ━ the second line
	shapeDashed                  // ╌ a third line
	shapeDotted                  // · a baseline, drawn behind the others
)

// marker is the legend's sample of a shape.
func (s lineShape) marker() string {
	return [...]string{"─", "━", "╌", "·"}[s]
}

// charSet is asciigraph's drawing characters for a shape.
func (s lineShape) charSet() asciigraph.CharSet {
	switch s {
	case shapeHeavy:
		return asciigraph.CharSet{Horizontal: "━", VerticalLine: "┃", ArcDownRight: "┏", ArcDownLeft: "┓",
			ArcUpRight: "┗", ArcUpLeft: "┛", EndCap: "╸", StartCap: "╺", UpRight: "└", DownHorizontal: "┬"}
	case shapeDashed:
		return asciigraph.CharSet{Horizontal: "╌", VerticalLine: "╎", ArcDownRight: "╭", ArcDownLeft: "╮",
			ArcUpRight: "╰", ArcUpLeft: "╯", EndCap: "╴", StartCap: "╶", UpRight: "└", DownHorizontal: "┬"}
	case shapeDotted:
		c := asciigraph.CreateCharSet("·")
		c.UpRight, c.DownHorizontal = "└", "┬"
		return c
	}
	return asciigraph.DefaultCharSet
}

// line is one series of a chart: points (t, v) in time order, drawn with a shape and an
// xterm-256 colour (-1: the terminal's default).
type line struct {
	t, v  []float64
	shape lineShape
	color int
}

// resample returns the series' values at n evenly spaced times from t0 to t1, linearly
// interpolated, NaN where the series has no data (before its first or after its last
// point), so that series of different lengths share one time axis.
func resample(t, v []float64, t0, t1 float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		x := t0
		if n > 1 {
			x = t0 + (t1-t0)*float64(i)/float64(n-1)
		}
		out[i] = interpolate(t, v, x)
	}
	return out
}

// known drops the points whose value is NaN (an empty time bucket), so that a line joins
// the points on either side of a gap instead of vanishing around it.
func known(t, v []float64) ([]float64, []float64) {
	n := min(len(t), len(v))
	clean := true
	for i := 0; i < n; i++ {
		clean = clean && !math.IsNaN(v[i]) && !math.IsNaN(t[i])
	}
	if clean {
		return t[:n], v[:n]
	}
	var kt, kv []float64
	for i := 0; i < n; i++ {
		if !math.IsNaN(v[i]) && !math.IsNaN(t[i]) {
			kt, kv = append(kt, t[i]), append(kv, v[i])
		}
	}
	return kt, kv
}

// interpolate is v at time x, NaN outside [t[0], t[len-1]].
func interpolate(t, v []float64, x float64) float64 {
	n := min(len(t), len(v))
	if n == 0 || x < t[0] || x > t[n-1] {
		return math.NaN()
	}
	j := sort.SearchFloat64s(t[:n], x)
	switch {
	case j == 0:
		return v[0]
	case j >= n:
		return v[n-1]
	case t[j] == t[j-1]:
		return v[j]
	}
	f := (x - t[j-1]) / (t[j] - t[j-1])
	return v[j-1] + f*(v[j]-v[j-1])
}

// yLabelWidth is the fixed width of the chart's y-axis labels, so the plot width can be
// computed before plotting.
const yLabelWidth = 5

// agColor converts an xterm-256 index to asciigraph's colour type, whose zero value
// means "default" and which uses 188 as a stand-in for black.
func agColor(idx int) asciigraph.AnsiColor {
	switch {
	case idx < 0:
		return asciigraph.Default
	case idx == 0:
		return asciigraph.Black
	case idx == 188:
		return 187 // 188 is taken by the black stand-in; 187 is the nearest grey-beige.
	}
	return asciigraph.AnsiColor(idx)
}

// plotLines draws lines on a shared time axis from t0 to t1 in iw x ih cells: a y axis
// from 0 labelled by yfmt, a time axis below. Lines are drawn in order, so later ones are
// on top.
func plotLines(st *themes.Styles, lines []line, t0, t1 float64, iw, ih int, yfmt func(float64) string) []string {
	// asciigraph lays a line out as: label (yLabelWidth+1) + "┤" + plot; the last x-axis
	// label may stick out past the plot by half its width, so keep a margin.
	const offset = 2
	plotW := max(iw-offset-yLabelWidth-3, 2)
	plotRows := ih - 2
	hi := 0.0
	data := make([][]float64, 0, len(lines))
	var colors []asciigraph.AnsiColor
	var chars []asciigraph.CharSet
	for _, l := range lines {
		t, v := known(l.t, l.v)
		if len(t) == 0 {
			continue
		}
		r := resample(t, v, t0, t1, plotW)
		for _, x := range r {
			if x > hi {
				hi = x
			}
		}
		data = append(data, r)
		colors = append(colors, agColor(l.color))
		chars = append(chars, l.shape.charSet())
	}
	if len(data) == 0 || t1 <= t0 {
		return nil
	}
	opts := []asciigraph.Option{
		asciigraph.Height(max(plotRows-1, 1)),
		asciigraph.Width(plotW),
		asciigraph.Offset(offset),
		asciigraph.LowerBound(0),
		asciigraph.UpperBound(math.Max(hi*1.05, 1e-3)),
		asciigraph.YAxisValueFormatter(func(v float64) string {
			if math.Abs(v) < 1e-9 {
				v = 0 // rounding leaves the bottom label a hair under zero: "-0"
			}
			s := yfmt(v)
			return spaces(yLabelWidth-textWidth(s)) + s
		}),
		asciigraph.XAxisRange(t0, t1),
		asciigraph.XAxisTickCount(clamp(plotW/12, 2, 8)),
		asciigraph.XAxisValueFormatter(secs),
		asciigraph.AxisColor(agColor(st.AxisANSI)),
		asciigraph.LabelColor(agColor(st.AxisANSI)),
		asciigraph.SeriesColors(colors...),
		asciigraph.SeriesChars(chars...),
	}
	plot := asciigraph.PlotMany(data, opts...)
	out := strings.Split(plot, "\n")
	body := make([]string, 0, ih)
	for _, l := range out {
		if len(body) == ih {
			break
		}
		body = append(body, fit(l, iw))
	}
	return body
}

// legendSpan is a legend entry: the line's shape in its colour, then its name.
func legendSpans(st *themes.Styles, shape lineShape, ink themes.Ink, name string) []span {
	return []span{{shape.marker() + " ", ink}, {name, st.Label}}
}
