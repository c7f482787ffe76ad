package panel

import (
	"math"

	"github.com/benchtui/benchtui/themes"
)

// TrendSeries is one latency metric over the run's time: the p50 and p99 of the requests in
// each time bucket (milliseconds, NaN for an empty bucket) at the buckets' times (seconds
// since the run started).
type TrendSeries struct {
	T, P50, P99 []float64
	// Part is a third line drawn with the metric, for TTFT the queue time's p50, so that
	// the gap between the two is the prefill; empty for none. PartName labels it.
	Part     []float64
	PartName string
}

// Trend shows how one latency metric evolves during the run: its p50 and p99 per time
// bucket, and the baseline's p50 behind them on the same time axis.
type Trend struct {
	// Metric is the metric shown; the root keeps it in step with the histogram's.
	Metric LatencyMetric
	// Bucket is the bucket width in seconds, for the title.
	Bucket float64
	focus

	series, base [NumMetrics]TrendSeries
	baseName     string
	st           *themes.Styles
}

// NewTrend returns an empty latency-over-time panel drawn with st.
func NewTrend(st *themes.Styles) *Trend { return &Trend{st: st} }

// SetStyles changes the theme.
func (p *Trend) SetStyles(st *themes.Styles) { p.st = st }

// SetSeries replaces metric m's series. The panel keeps the slices.
func (p *Trend) SetSeries(m LatencyMetric, s TrendSeries) {
	if m >= 0 && m < NumMetrics {
		p.series[m] = s
	}
}

// SetBaseline replaces metric m's baseline series (only its p50 is drawn); name labels it.
func (p *Trend) SetBaseline(name string, m LatencyMetric, s TrendSeries) {
	if m >= 0 && m < NumMetrics {
		p.base[m], p.baseName = s, name
	}
}

// Reset drops the run's series (the baseline stays).
func (p *Trend) Reset() { p.series = [NumMetrics]TrendSeries{} }

// points reports whether s has at least one value.
func (s *TrendSeries) points() int {
	n := 0
	for _, v := range s.P50 {
		if !math.IsNaN(v) {
			n++
		}
	}
	return n
}

// last returns the newest p50 and p99 that are known.
func (s *TrendSeries) last() (p50, p99 float64) {
	p50, p99 = math.NaN(), math.NaN()
	for i := len(s.P50) - 1; i >= 0; i-- {
		if !math.IsNaN(s.P50[i]) {
			p50 = s.P50[i]
			if i < len(s.P99) {
				p99 = s.P99[i]
			}
			break
		}
	}
	return p50, p99
}

// Summary is the one-line form: the newest bucket's p50 and p99.
func (p *Trend) Summary(width int) string {
	st := p.st
	s := &p.series[p.Metric]
	var l lineBuf
	if s.points() == 0 {
		fitParts(&l, []part{{[]span{{p.Metric.String() + " over time", st.Title}}, 0}, {[]span{{"waiting", st.Muted}}, 1}}, span{" ", st.Text}, width)
		return string(l.b)
	}
	p50, p99 := s.last()
	fitParts(&l, []part{
		{[]span{{p.Metric.String() + " now", st.Title}}, 0},
		{[]span{{"p50 ", st.Label}, {ms(p50), st.Value}}, 0},
		{[]span{{"p99 ", st.Label}, {ms(p99), st.Value}}, 1},
	}, span{" ", st.Text}, width)
	return string(l.b)
}

// legend names the lines by their shapes.
func (p *Trend) legend(short bool) []span {
	st := p.st
	s := &p.series[p.Metric]
	sp := legendSpans(st, shapeSolid, st.SeriesStyle(0), "p50")
	sp = append(sp, span{"  ", st.Text})
	sp = append(sp, legendSpans(st, shapeHeavy, st.SeriesStyle(2), "p99")...)
	if len(s.Part) > 0 {
		sp = append(sp, span{"  ", st.Text})
		sp = append(sp, legendSpans(st, shapeDashed, st.SeriesStyle(1), s.PartName)...)
	}
	if p.base[p.Metric].points() > 0 {
		name := "baseline p50"
		if short {
			name = "base"
		}
		sp = append(sp, span{"  ", st.Text})
		sp = append(sp, legendSpans(st, shapeDotted, st.Muted, name)...)
	}
	return sp
}

// Render draws the panel in exactly width x height cells.
func (p *Trend) Render(width, height int) string {
	if s, ok := small(width, height, p.Summary); ok {
		return s
	}
	st := p.st
	iw, ih := inner(width, height)
	title := []span{{"Latency over time ", st.Title}, {p.Metric.String(), st.Accent}, {" ms", st.Muted}}
	if p.Bucket > 0 && width >= 70 {
		title = append(title, span{" per " + secs(p.Bucket), st.Muted})
	}
	b := box{st: st, focused: p.focused, title: title}
	s, base := &p.series[p.Metric], &p.base[p.Metric]
	if s.points() == 0 && base.points() == 0 {
		return b.message(width, height, "no "+p.Metric.String()+" over time yet: it comes as requests end")
	}
	b.note = p.legend(false)
	if spansWidth(b.title)+spansWidth(b.note)+8 > width {
		b.note = p.legend(true)
	}
	t0, t1 := math.Inf(1), math.Inf(-1)
	for _, ts := range [][]float64{s.T, base.T} {
		if len(ts) > 0 {
			t0, t1 = math.Min(t0, ts[0]), math.Max(t1, ts[len(ts)-1])
		}
	}
	if t1 <= t0 {
		t1 = t0 + 1
	}
	var body []string
	if ih >= 5 && iw >= 30 {
		lines := []line{
			{base.T, base.P50, shapeDotted, st.AxisANSI},
			{s.T, s.Part, shapeDashed, st.SeriesIndex(1)},
			{s.T, s.P99, shapeHeavy, st.SeriesIndex(2)},
			{s.T, s.P50, shapeSolid, st.SeriesIndex(0)},
		}
		body = plotLines(st, lines, t0, t1, iw, ih, ms)
	} else {
		for _, r := range []struct {
			label string
			v     []float64
			k     themes.Ink
		}{{"p50 ", s.P50, st.SeriesStyle(0)}, {"p99 ", s.P99, st.SeriesStyle(2)}}[:min(ih, 2)] {
			var l lineBuf
			v := ms(lastKnown(r.v))
			l.ink(st.Label, r.label)
			if sw := iw - 4 - textWidth(v) - 1; sw >= 4 {
				l.ink(r.k, Sparkline(r.v, sw, 0, 0))
				l.text(" ")
			}
			l.ink(st.Value, v)
			body = append(body, l.fit(iw))
		}
	}
	return b.render(width, height, body)
}

// lastKnown is the newest value that is not NaN, NaN for none.
func lastKnown(v []float64) float64 {
	for i := len(v) - 1; i >= 0; i-- {
		if !math.IsNaN(v[i]) {
			return v[i]
		}
	}
	return math.NaN()
}
