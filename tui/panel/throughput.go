package panel

import (
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/benchtui/benchtui/themes"
)

// throughputMaxPoints bounds the stored history. When it is reached every other point
// is dropped, so a long run keeps its whole time range at half the resolution; the
// chart interpolates to its width anyway.
const throughputMaxPoints = 2048

// Throughput charts output and total tokens per second over the run's time, and a
// baseline run's output rate behind them on the same time axis.
type Throughput struct {
	// Window is how many seconds of the most recent history the chart shows; zero
	// shows the whole run.
	Window float64
	// Live says the run is going: the legend then shows the newest rates, labelled as
	// the recent rate they are (the run's result is the report's, in the result strip).
	Live bool
	// RateSpan is the window the rates are averaged over, in seconds, for the legend.
	RateSpan float64
	focus

	t, out, total []float64
	bt, bout      []float64 // baseline
	baseName      string
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

// SetBaseline sets the baseline's output rate over its own time (seconds since its start),
// drawn dotted behind the live lines; name labels it in the legend. Empty slices clear it.
func (p *Throughput) SetBaseline(name string, t, output []float64) {
	n := min(len(t), len(output))
	p.bt, p.bout, p.baseName = append(p.bt[:0], t[:n]...), append(p.bout[:0], output[:n]...), name
}

// finite returns v, or 0 when v is NaN, infinite or negative.
func finite(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		return 0
	}
	return v
}

// Reset clears the history (the baseline stays).
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

// rateLabel names the legend's values: the rate over the last RateSpan seconds.
func (p *Throughput) rateLabel() string {
	if p.RateSpan > 0 {
		return "last " + strconv.FormatFloat(p.RateSpan, 'g', 3, 64) + " s "
	}
	return "now "
}

// legend lists the lines by shape; while the run is live it adds the newest rates,
// labelled as a recent rate. short drops the words.
func (p *Throughput) legend(short bool) []span {
	st := p.st
	o, t := p.Current()
	var sp []span
	if short {
		sp = append(sp, span{shapeSolid.marker() + " ", st.SeriesStyle(0)})
		if p.Live {
			sp = append(sp, span{si(o), st.Value})
		} else {
			sp = append(sp, span{"out", st.Label})
		}
		sp = append(sp, span{"  " + shapeHeavy.marker() + " ", st.SeriesStyle(1)})
		if p.Live {
			sp = append(sp, span{si(t), st.Value})
		} else {
			sp = append(sp, span{"total", st.Label})
		}
	} else {
		sp = append(sp, legendSpans(st, shapeSolid, st.SeriesStyle(0), "output")...)
		sp = append(sp, span{"  ", st.Text})
		sp = append(sp, legendSpans(st, shapeHeavy, st.SeriesStyle(1), "total")...)
		if p.Live {
			sp = append(sp, span{"  " + p.rateLabel(), st.Muted}, span{si(o), st.Value}, span{"/", st.Muted}, span{si(t), st.Value})
		}
	}
	if len(p.bt) > 0 {
		name := "baseline"
		if !short && p.baseName != "" {
			name = p.baseName
		}
		sp = append(sp, span{"  ", st.Text})
		sp = append(sp, legendSpans(st, shapeDotted, st.Muted, name)...)
	}
	return sp
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
	label := "tok/s"
	if p.Live {
		label = "tok/s " + strings.TrimSpace(p.rateLabel())
	}
	fitParts(&l, []part{
		{[]span{{label, st.Title}}, 2},
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
	if len(p.t) < 2 && len(p.bt) < 2 {
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

// chart draws the baseline, the total and the output lines with a time axis in iw x ih
// cells. The time axis spans both the run and the baseline.
func (p *Throughput) chart(t, out, total []float64, iw, ih int) []string {
	st := p.st
	t0, t1 := math.Inf(1), math.Inf(-1)
	for _, ts := range [][]float64{t, p.bt} {
		if len(ts) > 0 {
			t0, t1 = math.Min(t0, ts[0]), math.Max(t1, ts[len(ts)-1])
		}
	}
	if p.Window > 0 {
		t0 = math.Max(t0, t1-p.Window)
	}
	// The baseline first, so that the live lines draw over it; total before output, so
	// that the output line, usually the one people watch, is on top.
	lines := []line{
		{p.bt, p.bout, shapeDotted, st.AxisANSI},
		{t, total, shapeHeavy, st.SeriesIndex(1)},
		{t, out, shapeSolid, st.SeriesIndex(0)},
	}
	return plotLines(st, lines, t0, t1, iw, ih, si)
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
