package tui

import (
	"math"
	"slices"

	"github.com/benchtui/benchtui/report"
	"github.com/benchtui/benchtui/themes"
)

// LatencyMetric selects one of the latency distributions.
type LatencyMetric int

// The latency metrics, in tab order.
const (
	MetricTTFT LatencyMetric = iota // time to first token
	MetricTPOT                      // time per output token (per request, after the first)
	MetricITL                       // inter-token latency (every gap between tokens)
	MetricE2E                       // end-to-end request latency
	numMetrics
)

var metricNames = [numMetrics]string{"TTFT", "TPOT", "ITL", "E2E"}

func (m LatencyMetric) String() string {
	if m < 0 || m >= numMetrics {
		return "?"
	}
	return metricNames[m]
}

// Next returns the following metric, wrapping around.
func (m LatencyMetric) Next() LatencyMetric { return (m + 1 + numMetrics) % numMetrics }

// Prev returns the previous metric, wrapping around.
func (m LatencyMetric) Prev() LatencyMetric { return (m - 1 + numMetrics) % numMetrics }

// LatencyStats summarises one distribution, in milliseconds, with the report's values.
type LatencyStats struct {
	N                             int
	Min, Mean, P50, P90, P99, Max float64
}

// fineBins is the resolution of the stored histogram. Render merges fine bins into as
// many bars as there are columns, interpolating inside a fine bin so bar widths that do
// not divide fineBins show no striping.
const fineBins = 512

// distribution is what SetSamples precomputes for one metric.
type distribution struct {
	stats  LatencyStats
	lo, hi float64               // histogram range
	cum    [fineBins + 1]float64 // cum[i] = samples in fine bins before i
	over   int                   // samples above hi, counted in the last bin
	sorted []float64             // scratch, reused between calls
}

// Latency shows one latency histogram at a time with its p50, p90 and p99.
type Latency struct {
	// Metric is the distribution shown; the root switches it (Next, Prev).
	Metric LatencyMetric
	// Focused draws the frame in the accent colour.
	Focused bool

	dist [numMetrics]distribution
	st   *themes.Styles
}

// NewLatency returns an empty latency panel drawn with st.
func NewLatency(st *themes.Styles) *Latency {
	return &Latency{st: st}
}

// SetStyles changes the theme.
func (p *Latency) SetStyles(st *themes.Styles) { p.st = st }

// SetSamples replaces metric m's samples (milliseconds; NaN and negative values are
// ignored) and precomputes its percentiles and histogram. It sorts a copy, so it costs
// O(n log n): call it when new results arrive (a few times per second), not per frame.
func (p *Latency) SetSamples(m LatencyMetric, samples []float64) {
	if m < 0 || m >= numMetrics {
		return
	}
	d := &p.dist[m]
	s := d.sorted[:0]
	for _, v := range samples {
		if v >= 0 && !math.IsInf(v, 0) {
			s = append(s, v)
		}
	}
	slices.Sort(s)
	d.sorted = s
	// The figures are the report's (report.SummarizeSorted, trtllm-bench's percentile
	// rule), so that the panel shows what the report and the history show.
	sum := report.SummarizeSorted(s)
	d.stats = LatencyStats{N: sum.Count, Min: sum.Minimum, Mean: sum.Average,
		P50: sum.P50, P90: sum.P90, P99: sum.P99, Max: sum.Maximum}
	d.over = 0
	d.cum = [fineBins + 1]float64{}
	if len(s) == 0 {
		return
	}

	// A few extreme outliers would squash the histogram into one bar, so a far tail
	// (beyond twice the p99 span) is clipped and counted in the last bar.
	lo, hi := d.stats.Min, d.stats.Max
	if span := d.stats.P99 - lo; span > 0 && hi-lo > 2*span {
		hi = lo + 1.5*span
	}
	if hi-lo < 1e-9 {
		pad := math.Max(math.Abs(lo)*0.05, 0.001)
		lo, hi = lo-pad, hi+pad
	}
	d.lo, d.hi = lo, hi
	var counts [fineBins]float64
	scale := float64(fineBins) / (hi - lo)
	for _, v := range s {
		i := int((v - lo) * scale)
		if v > hi {
			d.over++
		}
		counts[clamp(i, 0, fineBins-1)]++
	}
	for i, c := range counts {
		d.cum[i+1] = d.cum[i] + c
	}
}

// Stats returns metric m's summary.
func (p *Latency) Stats(m LatencyMetric) LatencyStats {
	if m < 0 || m >= numMetrics {
		return LatencyStats{}
	}
	return p.dist[m].stats
}

// Reset drops all samples.
func (p *Latency) Reset() {
	for m := range p.dist {
		p.SetSamples(LatencyMetric(m), nil)
	}
}

// cumAt is the cumulative count at fractional fine-bin position x.
func (d *distribution) cumAt(x float64) float64 {
	if x <= 0 {
		return 0
	}
	if x >= fineBins {
		return d.cum[fineBins]
	}
	i := int(x)
	return d.cum[i] + (x-float64(i))*(d.cum[i+1]-d.cum[i])
}

// bars merges the fine histogram into k bars.
func (d *distribution) bars(k int) []float64 {
	out := make([]float64, k)
	step := float64(fineBins) / float64(k)
	prev := 0.0
	for c := 0; c < k; c++ {
		next := d.cumAt(float64(c+1) * step)
		out[c] = next - prev
		prev = next
	}
	return out
}

// col returns the bar column of value v among k bars.
func (d *distribution) col(v float64, k int) int {
	return clamp(int((v-d.lo)/(d.hi-d.lo)*float64(k)), 0, k-1)
}

// zoneInk colours a bar by the percentile band it falls in.
func (p *Latency) zoneInk(zone int) themes.Ink {
	switch zone {
	case 0:
		return p.st.Good
	case 1:
		return p.st.Accent
	case 2:
		return p.st.Warn
	}
	return p.st.Bad
}

// percentileParts are "p50 12.3" parts for fitParts.
func (p *Latency) percentileParts(s LatencyStats) []part {
	st := p.st
	return []part{
		{[]span{{"p50 ", st.Label}, {ms(s.P50), st.Value}}, 0},
		{[]span{{"p90 ", st.Label}, {ms(s.P90), st.Value}}, 2},
		{[]span{{"p99 ", st.Label}, {ms(s.P99), st.Value}}, 1},
		{[]span{{"ms", st.Muted}}, 3},
		{[]span{{"n=" + itoa(s.N), st.Muted}}, 4},
	}
}

// summary is the one-line form.
func (p *Latency) summary(width int) string {
	st := p.st
	s := p.dist[p.Metric].stats
	var l lineBuf
	parts := []part{{[]span{{p.Metric.String(), st.Title}}, 0}}
	switch {
	case s.N == 0:
		parts = append(parts, part{[]span{{"no samples", st.Muted}}, 1})
	case width < 14:
		// "TTFT 54.2": the median alone.
		parts = append(parts, part{[]span{{ms(s.P50), st.Value}}, 0})
	default:
		parts = append(parts, p.percentileParts(s)...)
	}
	fitParts(&l, parts, span{" ", st.Text}, width)
	return string(l.b)
}

// Render draws the panel in exactly width x height cells. It costs O(width) plus the
// frame: the histogram was computed by SetSamples.
func (p *Latency) Render(width, height int) string {
	if s, ok := small(width, height, p.summary); ok {
		return s
	}
	st := p.st
	iw, ih := inner(width, height)
	d := &p.dist[p.Metric]
	s := d.stats
	b := box{st: st, focused: p.Focused, title: []span{{"Latency ", st.Title}, {p.Metric.String(), st.Accent}, {" ms", st.Muted}}}
	if s.N == 0 {
		return b.message(width, height, "no "+p.Metric.String()+" samples yet")
	}
	pp := p.percentileParts(s)
	if room := width - spansWidth(b.title) - 10; pp[0].width() <= room {
		var note lineBuf
		fitParts(&note, pp[:3], span{"  ", st.Text}, room)
		b.note = []span{{string(note.b), themes.Ink{}}}
	}

	body := make([]string, 0, ih)
	if ih < 4 || iw < 20 {
		// Too small for bars: the percentiles and a one-row histogram.
		var l lineBuf
		fitParts(&l, p.percentileParts(s), span{" ", st.Text}, iw)
		body = append(body, l.fit(iw))
		if ih >= 2 {
			bars, _ := p.barRows(d, iw, 1)
			body = append(body, bars...)
		}
		return b.render(width, height, body)
	}

	barH := ih - 2
	if ih >= 6 {
		barH--
	}
	bars, peak := p.barRows(d, iw, barH)
	if ih >= 6 {
		body = append(body, p.tabs(iw, peak))
	}
	body = append(body, bars...)
	body = append(body, p.markerRow(d, iw), p.axisRow(d, iw))
	return b.render(width, height, body)
}

// tabs is the metric switcher line with the sample count and the tallest bar's count
// (the histogram's scale) on the right.
func (p *Latency) tabs(iw int, peak float64) string {
	st := p.st
	var l lineBuf
	for m := LatencyMetric(0); m < numMetrics; m++ {
		if m > 0 {
			l.ink(st.Subtle, " │ ")
		}
		if m == p.Metric {
			l.ink(st.TabActive, m.String())
		} else {
			l.ink(st.Tab, m.String())
		}
	}
	n := "n=" + itoa(p.dist[p.Metric].stats.N)
	if full := "peak " + itoa(int(math.Round(peak))) + "/bar  " + n; l.w+len(full)+2 <= iw {
		n = full
	}
	if l.w+len(n)+2 <= iw {
		l.padTo(iw - len(n))
		l.ink(st.Muted, n)
	}
	return l.fit(iw)
}

// barRows draws the histogram rows (top first), iw columns of rows cells each, coloured
// by percentile band; it also returns the sample count of the tallest bar.
func (p *Latency) barRows(d *distribution, iw, rows int) ([]string, float64) {
	// Bars are about 2·sqrt(n) (a common histogram rule of thumb) and at most one per
	// column: with few samples one bar per column would be mostly noise.
	nb := clamp(int(2*math.Sqrt(float64(d.stats.N))), min(8, iw), iw)
	counts := d.bars(nb)
	peak := 0.0
	for _, c := range counts {
		peak = math.Max(peak, c)
	}
	levels := rows * 8
	heights := make([]int, iw)
	for i := range heights {
		if c := counts[i*nb/iw]; c > 0 && peak > 0 {
			heights[i] = max(1, int(math.Round(c/peak*float64(levels))))
		}
	}
	// Band boundaries: columns up to c50 are band 0, up to c90 band 1, and so on.
	c50, c90, c99 := d.col(d.stats.P50, iw), d.col(d.stats.P90, iw), d.col(d.stats.P99, iw)
	zone := func(c int) int {
		switch {
		case c <= c50:
			return 0
		case c <= c90:
			return 1
		case c <= c99:
			return 2
		}
		return 3
	}
	out := make([]string, rows)
	var l lineBuf
	var run []byte
	for r := 0; r < rows; r++ {
		l.reset()
		base := (rows - 1 - r) * 8
		z := zone(0)
		run = run[:0]
		for c := 0; c < iw; c++ {
			if zc := zone(c); zc != z {
				l.ink(p.zoneInk(z), string(run))
				run, z = run[:0], zc
			}
			run = append(run, sparkLevels[clamp(heights[c]-base, 0, 8)]...)
		}
		l.ink(p.zoneInk(z), string(run))
		out[r] = l.fit(iw)
	}
	return out, peak
}

// markerRow puts ▲ under the p50, p90 and p99 bars with their labels where they fit.
func (p *Latency) markerRow(d *distribution, iw int) string {
	st := p.st
	cells := make([]string, iw)
	inks := make([]themes.Ink, iw)
	for i := range cells {
		cells[i] = " "
	}
	marks := []struct {
		label string
		v     float64
		zone  int
	}{{"p50", d.stats.P50, 0}, {"p90", d.stats.P90, 2}, {"p99", d.stats.P99, 3}}
	free := func(from, to int) bool {
		if from < 0 || to > iw {
			return false
		}
		for i := from; i < to; i++ {
			if cells[i] != " " {
				return false
			}
		}
		return true
	}
	cols := make([]int, len(marks))
	for i, m := range marks {
		cols[i] = d.col(m.v, iw)
		cells[cols[i]] = "▲"
		inks[cols[i]] = p.zoneInk(m.zone)
	}
	for i, m := range marks {
		c := cols[i]
		n := len(m.label)
		// Label after the marker, else before it, else none; keep a gap to the next.
		switch {
		case free(c+1, min(c+2+n, iw)) && c+1+n <= iw:
			for j := 0; j < n; j++ {
				cells[c+1+j] = m.label[j : j+1]
				inks[c+1+j] = st.Muted
			}
		case free(c-n-1, c):
			for j := 0; j < n; j++ {
				cells[c-n+j] = m.label[j : j+1]
				inks[c-n+j] = st.Muted
			}
		}
	}
	var l lineBuf
	for i := 0; i < iw; {
		j := i + 1
		for j < iw && inks[j].Prefix() == inks[i].Prefix() {
			j++
		}
		var seg []byte
		for k := i; k < j; k++ {
			seg = append(seg, cells[k]...)
		}
		l.ink(inks[i], string(seg))
		i = j
	}
	return l.fit(iw)
}

// axisRow labels the histogram's range: low end, middle and high end in ms.
func (p *Latency) axisRow(d *distribution, iw int) string {
	st := p.st
	left := ms(math.Max(d.lo, 0))
	right := ms(d.hi)
	if d.over > 0 {
		right = "≥" + right
	}
	right += " ms"
	mid := ms((d.lo + d.hi) / 2)
	var l lineBuf
	l.ink(st.Muted, left)
	if mw := textWidth(mid); l.w+textWidth(right)+mw+4 <= iw {
		l.padTo(iw/2 - mw/2)
		l.ink(st.Muted, mid)
	}
	if l.w+textWidth(right)+1 <= iw {
		l.padTo(iw - textWidth(right))
		l.ink(st.Muted, right)
	}
	return l.fit(iw)
}
