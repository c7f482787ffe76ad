package panel

import (
	"math"

	"github.com/benchtui/benchtui/themes"
)

// LatencyMetric selects one of the latency distributions.
type LatencyMetric int

// The latency metrics, in tab order.
const (
	MetricTTFT  LatencyMetric = iota // time to first token
	MetricTPOT                       // time per output token (per request, after the first)
	MetricITL                        // inter-token latency (every gap between tokens)
	MetricE2E                        // end-to-end request latency
	MetricQueue                      // queue time: from the request's slot to its admission
	// NumMetrics counts the metrics.
	NumMetrics
)

var metricNames = [NumMetrics]string{"TTFT", "TPOT", "ITL", "E2E", "queue"}

func (m LatencyMetric) String() string {
	if m < 0 || m >= NumMetrics {
		return "?"
	}
	return metricNames[m]
}

// Next returns the following metric, wrapping around.
func (m LatencyMetric) Next() LatencyMetric { return (m + 1 + NumMetrics) % NumMetrics }

// Prev returns the previous metric, wrapping around.
func (m LatencyMetric) Prev() LatencyMetric { return (m - 1 + NumMetrics) % NumMetrics }

// LatencyStats summarises one distribution, in milliseconds. The panel never computes
// these: the root passes the report's figures, so that every surface prints the same.
type LatencyStats struct {
	N                             int
	Min, Mean, P50, P90, P99, Max float64
}

// TTFTSplit is the two parts of the time to first token: the wait for a place in the batch
// (queue) and the prompt's prefill, as medians in milliseconds.
type TTFTSplit struct {
	QueueP50, PrefillP50 float64
	OK                   bool
}

// distribution is what SetDistribution precomputes for one metric.
type distribution struct {
	stats  LatencyStats
	lo, hi float64   // histogram range
	counts []float64 // samples per bin
	over   int       // samples above hi, counted in the last bin
}

// Latency shows one latency histogram at a time with its p50, p90 and p99.
type Latency struct {
	// Metric is the distribution shown; the root switches it (Next, Prev).
	Metric LatencyMetric
	// Split, when OK, is shown beside the TTFT histogram.
	Split TTFTSplit
	focus

	dist [NumMetrics]distribution
	st   *themes.Styles
}

// NewLatency returns an empty latency panel drawn with st.
func NewLatency(st *themes.Styles) *Latency {
	return &Latency{st: st}
}

// SetStyles changes the theme.
func (p *Latency) SetStyles(st *themes.Styles) { p.st = st }

// SetDistribution replaces metric m's distribution: its summary s (the report's figures)
// and the samples (milliseconds) the histogram is binned from; NaN, infinite and negative
// samples are ignored. Samples may be nil when only the summary is known (a report without
// records): the panel then prints the percentiles without a histogram. It costs O(n): call
// it when new results arrive, not per frame.
func (p *Latency) SetDistribution(m LatencyMetric, samples []float64, s LatencyStats) {
	if m < 0 || m >= NumMetrics {
		return
	}
	d := &p.dist[m]
	d.stats, d.over, d.counts = s, 0, d.counts[:0]
	n := 0
	for _, v := range samples {
		if v >= 0 && !math.IsInf(v, 0) {
			n++
		}
	}
	if n == 0 || s.N == 0 {
		return
	}
	// A few extreme outliers would squash the histogram into one bar, so a far tail
	// (beyond twice the p99 span) is clipped and counted in the last bar.
	lo, hi := s.Min, s.Max
	if span := s.P99 - lo; span > 0 && hi-lo > 2*span {
		hi = lo + 1.5*span
	}
	if hi-lo < 1e-9 {
		pad := math.Max(math.Abs(lo)*0.05, 0.001)
		lo, hi = lo-pad, hi+pad
	}
	d.lo, d.hi = lo, hi
	nb := binCount(n)
	d.counts = append(d.counts, make([]float64, nb)...)
	scale := float64(nb) / (hi - lo)
	for _, v := range samples {
		if !(v >= 0) || math.IsInf(v, 0) {
			continue
		}
		if v > hi {
			d.over++
		}
		d.counts[clamp(int((v-lo)*scale), 0, nb-1)]++
	}
}

// binCount picks the number of histogram bars from the sample size by Rice's rule
// (2·n^(1/3)): a 64-request run gets 8 readable bars instead of one noisy bar a column.
// The panel merges bars when it has fewer columns than that.
func binCount(n int) int {
	return clamp(int(math.Ceil(2*math.Cbrt(float64(n)))), 1, 240)
}

// Stats returns metric m's summary.
func (p *Latency) Stats(m LatencyMetric) LatencyStats {
	if m < 0 || m >= NumMetrics {
		return LatencyStats{}
	}
	return p.dist[m].stats
}

// Reset drops all distributions.
func (p *Latency) Reset() {
	for m := range p.dist {
		p.SetDistribution(LatencyMetric(m), nil, LatencyStats{})
	}
	p.Split = TTFTSplit{}
}

// layout places the bars in iw columns: how many bars, each how wide with its gap, and
// the columns they span.
func (d *distribution) layout(iw int) (nb, bw, gap, plotW int) {
	nb = len(d.counts)
	for nb > 1 && iw/nb < 1 {
		nb = (nb + 1) / 2
	}
	bw = max(iw/max(nb, 1), 1)
	if bw >= 3 {
		gap = 1
	}
	return nb, bw, gap, nb * bw
}

// merged returns the counts merged into nb bars (nb divides or halves the stored bins).
func (d *distribution) merged(nb int) []float64 {
	if nb == len(d.counts) {
		return d.counts
	}
	out := make([]float64, nb)
	for i, c := range d.counts {
		out[i*nb/len(d.counts)] += c
	}
	return out
}

// col returns the column of value v in a plot plotW columns wide.
func (d *distribution) col(v float64, plotW int) int {
	return clamp(int((v-d.lo)/(d.hi-d.lo)*float64(plotW)), 0, max(plotW-1, 0))
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

// splitParts are the TTFT's queue and prefill medians, when known.
func (p *Latency) splitParts() []part {
	if p.Metric != MetricTTFT || !p.Split.OK {
		return nil
	}
	st := p.st
	return []part{
		{[]span{{"queue p50 ", st.Label}, {ms(p.Split.QueueP50), st.Value}}, 5},
		{[]span{{"prefill p50 ", st.Label}, {ms(p.Split.PrefillP50), st.Value}}, 6},
	}
}

// Summary is the one-line form.
func (p *Latency) Summary(width int) string {
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
		parts = append(parts, p.splitParts()...)
	}
	fitParts(&l, parts, span{" ", st.Text}, width)
	return string(l.b)
}

// Render draws the panel in exactly width x height cells. It costs O(width) plus the
// frame: the histogram was binned by SetDistribution.
func (p *Latency) Render(width, height int) string {
	if s, ok := small(width, height, p.Summary); ok {
		return s
	}
	st := p.st
	iw, ih := inner(width, height)
	d := &p.dist[p.Metric]
	s := d.stats
	b := box{st: st, focused: p.focused, title: []span{{"Latency ", st.Title}, {p.Metric.String(), st.Accent}, {" ms", st.Muted}}}
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
	if len(d.counts) == 0 {
		// A summary without samples (a report): the figures, and why there are no bars.
		var l lineBuf
		fitParts(&l, append(p.percentileParts(s), p.splitParts()...), span{"  ", st.Text}, iw)
		body = append(body, l.fit(iw))
		l.reset()
		fitParts(&l, []part{
			{[]span{{"mean ", st.Label}, {ms(s.Mean), st.Value}}, 0},
			{[]span{{"min ", st.Label}, {ms(s.Min), st.Value}}, 1},
			{[]span{{"max ", st.Label}, {ms(s.Max), st.Value}}, 1},
		}, span{"  ", st.Text}, iw)
		body = append(body, l.fit(iw))
		l.reset()
		l.ink(st.Muted, truncate("no per-request records: the histogram needs an export", iw))
		body = append(body, l.fit(iw))
		return b.render(width, height, body)
	}
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

	split := p.splitParts()
	barH := ih - 2
	if ih >= 6 {
		barH--
	}
	if split != nil && ih >= 8 {
		barH--
	}
	bars, peak := p.barRows(d, iw, barH)
	if ih >= 6 {
		body = append(body, p.tabs(iw, peak))
	}
	if split != nil && ih >= 8 {
		var l lineBuf
		fitParts(&l, split, span{"  ", st.Text}, iw)
		body = append(body, l.fit(iw))
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
	for m := LatencyMetric(0); m < NumMetrics; m++ {
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

// barRows draws the histogram rows (top first) in iw columns of rows cells each: one bar
// per bin, as wide as the columns allow with a gap between bars, coloured by the
// percentile band of the bin; it also returns the sample count of the tallest bar.
func (p *Latency) barRows(d *distribution, iw, rows int) ([]string, float64) {
	nb, bw, gap, plotW := d.layout(iw)
	counts := d.merged(nb)
	peak := 0.0
	for _, c := range counts {
		peak = math.Max(peak, c)
	}
	levels := rows * 8
	heights := make([]int, nb)
	for i, c := range counts {
		if c > 0 && peak > 0 {
			heights[i] = max(1, int(math.Round(c/peak*float64(levels))))
		}
	}
	// Band of each bar, from its middle value.
	zones := make([]int, nb)
	for i := range zones {
		mid := d.lo + (float64(i)+0.5)/float64(nb)*(d.hi-d.lo)
		switch {
		case mid <= d.stats.P50:
			zones[i] = 0
		case mid <= d.stats.P90:
			zones[i] = 1
		case mid <= d.stats.P99:
			zones[i] = 2
		default:
			zones[i] = 3
		}
	}
	out := make([]string, rows)
	var l lineBuf
	var run []byte
	for r := 0; r < rows; r++ {
		l.reset()
		base := (rows - 1 - r) * 8
		for i := 0; i < nb; i++ {
			run = run[:0]
			cell := sparkLevels[clamp(heights[i]-base, 0, 8)]
			for k := 0; k < bw-gap; k++ {
				run = append(run, cell...)
			}
			l.ink(p.zoneInk(zones[i]), string(run))
			l.pad(gap)
		}
		l.pad(iw - plotW)
		out[r] = l.fit(iw)
	}
	return out, peak
}

// markerRow puts ▲ under the p50, p90 and p99 columns with their labels where they fit.
func (p *Latency) markerRow(d *distribution, iw int) string {
	st := p.st
	_, _, _, plotW := d.layout(iw)
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
		cols[i] = d.col(m.v, plotW)
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
	_, _, _, plotW := d.layout(iw)
	left := ms(math.Max(d.lo, 0))
	right := ms(d.hi)
	if d.over > 0 {
		right = "≥" + right
	}
	right += " ms"
	mid := ms((d.lo + d.hi) / 2)
	var l lineBuf
	l.ink(st.Muted, left)
	if mw := textWidth(mid); l.w+textWidth(right)+mw+4 <= plotW {
		l.padTo(plotW/2 - mw/2)
		l.ink(st.Muted, mid)
	}
	if l.w+textWidth(right)+1 <= iw {
		l.padTo(max(plotW, l.w+textWidth(right)+1) - textWidth(right))
		l.ink(st.Muted, right)
	}
	return l.fit(iw)
}
