package panel

import (
	"math"
	"sort"
	"strings"

	"github.com/benchtui/benchtui/themes"
	"github.com/guptarohit/asciigraph"
)

// throughputMaxPoints bounds the stored history. When it is reached every other point
// is dropped, so a long run keeps its whole time range at half the resolution; the
// chart interpolates to its width anyway.
const throughputMaxPoints = 2048

// Throughput charts output and total tokens per second over the run's time.
type Throughput struct {
	focus
	// Window is how many seconds of the most recent history the chart shows; zero
	// shows the whole run.
	Window float64

	t, out, total []float64
	st            *themes.Styles
}

// NewThroughput returns an empty throughput panel drawn with st.
func NewThroughput(st *themes.Styles) *Throughput {
	return &Throughput{st: st}
}

// SetStyles changes the theme.
func (p *Throughput) SetStyles(st *themes.Styles) { p.st = st }

// Add appends one sample: seconds since the run started, output tokens/s and total
// (input + output) tokens/s. Samples must come in time order; one older than the last
// is ignored.
func (p *Throughput) Add(t, output, total float64) {
	// The chart cannot draw NaN or infinities; a missing rate reads as zero.
	output, total = finite(output), finite(total)
	if math.IsNaN(t) || (len(p.t) > 0 && t < p.t[len(p.t)-1]) {
		return
	}
	if len(p.t) >= throughputMaxPoints {
		p.t, p.out, p.total = halve(p.t), halve(p.out), halve(p.total)
	}
	p.t = append(p.t, t)
	p.out = append(p.out, output)
	p.total = append(p.total, total)
}

// SetSeries replaces the history with copies of the given samples (for redrawing a past
// run). Extra values in longer slices are ignored.
func (p *Throughput) SetSeries(t, output, total []float64) {
	p.Reset()
	n := min(len(t), len(output), len(total))
	for i := 0; i < n; i++ {
		p.Add(t[i], output[i], total[i])
	}
}

// finite returns v, or 0 when v is NaN, infinite or negative.
func finite(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		return 0
	}
	return v
}

// Reset clears the history.
func (p *Throughput) Reset() {
	p.t, p.out, p.total = p.t[:0], p.out[:0], p.total[:0]
}

// Current returns the newest output and total rates, NaN when there are none.
func (p *Throughput) Current() (output, total float64) {
	return lastOf(p.out), lastOf(p.total)
}

// Len returns the number of stored samples.
func (p *Throughput) Len() int { return len(p.t) }

// halve keeps every other value, always keeping the newest.
func halve(v []float64) []float64 {
	n := 0
	for i := len(v) % 2; i < len(v); i += 2 {
		v[n] = v[i]
		n++
	}
	if n > 0 {
		v[n-1] = v[len(v)-1]
	}
	return v[:n]
}

// visible returns the samples inside the window.
func (p *Throughput) visible() (t, out, total []float64) {
	t, out, total = p.t, p.out, p.total
	if p.Window > 0 && len(t) > 0 {
		from := t[len(t)-1] - p.Window
		i := sort.SearchFloat64s(t, from)
		t, out, total = t[i:], out[i:], total[i:]
	}
	return t, out, total
}

// legend lists the series with their current values; short drops the words.
func (p *Throughput) legend(short bool) []span {
	st := p.st
	o, t := p.Current()
	if short {
		return []span{{"■ ", st.SeriesStyle(0)}, {si(o), st.Value}, {"  ■ ", st.SeriesStyle(1)}, {si(t), st.Value}}
	}
	return []span{
		{"■ ", st.SeriesStyle(0)}, {"output ", st.Label}, {si(o), st.Value},
		{"  ■ ", st.SeriesStyle(1)}, {"total ", st.Label}, {si(t), st.Value},
	}
}

// Summary is the one-line form.
func (p *Throughput) Summary(width int) string {
	st := p.st
	var l lineBuf
	if len(p.t) == 0 {
		l.ink(st.Muted, "tok/s waiting")
		return string(l.b)
	}
	o, t := p.Current()
	fitParts(&l, []part{
		{[]span{{"tok/s", st.Title}}, 2},
		{[]span{{"out ", st.Label}, {si(o), st.Value}}, 0},
		{[]span{{"total ", st.Label}, {si(t), st.Value}}, 1},
	}, span{" ", st.Text}, width)
	return string(l.b)
}

// Render draws the panel in exactly width x height cells.
func (p *Throughput) Render(width, height int) string {
	if s, ok := small(width, height, p.Summary); ok {
		return s
	}
	st := p.st
	iw, ih := inner(width, height)
	b := box{st: st, focused: p.focused, title: []span{{"Throughput", st.Title}, {" tok/s", st.Muted}}}
	if len(p.t) < 2 {
		return b.message(width, height, "waiting for samples")
	}
	b.note = p.legend(false)
	if spansWidth(b.title)+spansWidth(b.note)+8 > width {
		b.note = p.legend(true)
	}

	t, out, total := p.visible()
	if len(t) < 2 {
		t, out, total = p.t, p.out, p.total
	}
	var body []string
	if ih >= 5 && iw >= 30 {
		body = p.chart(t, out, total, iw, ih)
	} else {
		body = p.sparks(out, total, iw, ih)
	}
	return b.render(width, height, body)
}

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

// yLabelWidth is the fixed width of the chart's y-axis labels, so the plot width can be
// computed before plotting.
const yLabelWidth = 5

// chart draws the line chart with a time axis in iw x ih cells.
func (p *Throughput) chart(t, out, total []float64, iw, ih int) []string {
	st := p.st
	// asciigraph lays a line out as: label (yLabelWidth+1) + "┤" + plot; the last
	// x-axis label may stick out past the plot by half its width, so keep a margin.
	const offset = 2
	leftPad := offset + yLabelWidth
	plotW := iw - leftPad - 3
	plotRows := ih - 2
	hi := math.Max(maxOf(out), maxOf(total))
	opts := []asciigraph.Option{
		asciigraph.Height(plotRows - 1),
		asciigraph.Width(plotW),
		asciigraph.Offset(offset),
		asciigraph.LowerBound(0),
		asciigraph.UpperBound(math.Max(hi*1.05, 1)),
		asciigraph.YAxisValueFormatter(func(v float64) string {
			s := si(v)
			return spaces(yLabelWidth-len(s)) + s
		}),
		asciigraph.XAxisRange(t[0], t[len(t)-1]),
		asciigraph.XAxisTickCount(clamp(plotW/12, 2, 8)),
		asciigraph.XAxisValueFormatter(secs),
		asciigraph.AxisColor(agColor(st.AxisANSI)),
		asciigraph.LabelColor(agColor(st.AxisANSI)),
	}
	// Total first so the output line, usually the one people watch, draws on top.
	opts = append(opts, asciigraph.SeriesColors(agColor(st.SeriesIndex(1)), agColor(st.SeriesIndex(0))))
	plot := asciigraph.PlotMany([][]float64{total, out}, opts...)
	lines := strings.Split(plot, "\n")
	body := make([]string, 0, ih)
	for _, l := range lines {
		if len(body) == ih {
			break
		}
		body = append(body, fit(l, iw))
	}
	return body
}

// sparks draws one sparkline row per series for panels too small for the chart.
func (p *Throughput) sparks(out, total []float64, iw, ih int) []string {
	st := p.st
	// Each series gets its own scale: in a single row a shared one would flatten the
	// output line, which is usually several times smaller than the total.
	rows := []struct {
		label string
		vals  []float64
		k     themes.Ink
	}{{"out   ", out, st.SeriesStyle(0)}, {"total ", total, st.SeriesStyle(1)}}
	body := make([]string, 0, 2)
	for _, r := range rows[:min(ih, 2)] {
		var l lineBuf
		v := si(lastOf(r.vals))
		sw := iw - len(r.label) - len(v) - 1
		if sw >= 4 {
			l.ink(st.Label, r.label)
			l.ink(r.k, Sparkline(r.vals, sw, 0, 0))
			l.text(" ")
		} else {
			l.ink(st.Label, strings.TrimSpace(r.label)+" ")
		}
		l.ink(st.Value, v)
		body = append(body, l.fit(iw))
	}
	return body
}
