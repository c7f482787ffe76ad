package panel

import (
	"math"
	"strconv"
	"strings"

	"github.com/benchtui/benchtui/themes"
)

// SweepPoint is one batch size of a dashboard sweep.
type SweepPoint struct {
	Batch int
	// OutputTokS is the run's output throughput (per GPU when one GPU is used);
	// PerUserTokS the mean per-request output rate; TTFTp50 in ms.
	OutputTokS, PerUserTokS, PerGPUTokS, TTFTp50 float64
	State                                        RunState
}

// Sweep shows a batch-size sweep point by point: a table, output tokens/s against batch
// size, and the trade-off between throughput per user and per GPU (the Pareto view: up and
// right is better, and each point is labelled with its batch size).
type Sweep struct {
	Points []SweepPoint
	focus
	st *themes.Styles
}

// NewSweep returns an empty sweep panel drawn with st.
func NewSweep(st *themes.Styles) *Sweep { return &Sweep{st: st} }

// Render draws the sweep in exactly width x height cells.
func (p *Sweep) Render(width, height int) string {
	if width <= 0 || height <= 0 {
		return ""
	}
	st := p.st
	done := 0
	for _, pt := range p.Points {
		if pt.State == StateFinished {
			done++
		}
	}
	summary := "sweep: " + itoa(done) + "/" + itoa(len(p.Points)) + " batch sizes"
	if !hasBox(width, height) {
		return bare(width, height, []string{truncate(summary, width)})
	}
	b := box{st: st, focused: p.focused, title: []span{{"Sweep ", st.Title}, {"batch size", st.Accent}},
		note: []span{{itoa(done) + "/" + itoa(len(p.Points)) + " done", st.Muted}}}
	iw, ih := inner(width, height)
	if len(p.Points) == 0 {
		return b.message(width, height, "w starts a sweep of batch sizes around the current one")
	}
	var body []string
	// Table: one line a point.
	var l lineBuf
	l.ink(st.TableHeader, align("batch", 6, true)+align("out tok/s", 11, true)+align("tok/s/user", 12, true)+align("TTFT p50", 10, true)+"  state")
	body = append(body, l.fit(iw))
	for _, pt := range p.Points {
		l.reset()
		l.text(align(itoa(pt.Batch), 6, true))
		if pt.State == StateFinished {
			l.ink(st.Value, align(fnum(pt.OutputTokS), 11, true))
			l.ink(st.Value, align(fnum(pt.PerUserTokS), 12, true))
			l.ink(st.Value, align(fms(pt.TTFTp50), 10, true))
		} else {
			l.ink(st.Muted, align("…", 11, true)+align("…", 12, true)+align("…", 10, true))
		}
		l.text("  ")
		l.ink(stateInk(st, pt.State), pt.State.String())
		body = append(body, l.fit(iw))
	}
	rest := ih - len(body) - 1
	if rest >= 6 {
		body = append(body, spaces(iw))
		half := iw / 2
		left := p.barChart(half-1, rest)
		right := p.pareto(iw-half-1, rest)
		for i := 0; i < rest; i++ {
			l.reset()
			l.raw(left[i], half-1)
			l.text("  ")
			l.raw(right[i], iw-half-1)
			body = append(body, l.fit(iw))
		}
	}
	return b.render(width, height, body)
}

// barChart draws output tokens/s as one bar per batch size.
func (p *Sweep) barChart(w, h int) []string {
	st := p.st
	out := make([]string, h)
	var l lineBuf
	l.ink(st.Label, truncate("output tok/s by batch size", w))
	out[0] = l.fit(w)
	hi := 0.0
	for _, pt := range p.Points {
		hi = math.Max(hi, pt.OutputTokS)
	}
	for i := 1; i < h; i++ {
		l.reset()
		k := i - 1
		if k < len(p.Points) && hi > 0 {
			pt := p.Points[k]
			label := align(itoa(pt.Batch), 5, true) + " "
			room := max(w-len(label)-8, 1)
			n := int(math.Round(pt.OutputTokS / hi * float64(room)))
			l.text(label)
			l.ink(st.SeriesStyle(0), strings.Repeat("█", max(n, 0)))
			if pt.OutputTokS > 0 {
				l.text(" " + fnum(pt.OutputTokS))
			}
		}
		out[i] = l.fit(w)
	}
	return out
}

// pareto places each finished point at (per-user rate, output rate), labelled by batch size.
func (p *Sweep) pareto(w, h int) []string {
	st := p.st
	out := make([]string, h)
	var l lineBuf
	l.ink(st.Label, truncate("tok/s per GPU ↑ vs per user →", w))
	out[0] = l.fit(w)
	gh := h - 1
	grid := make([][]rune, gh)
	for i := range grid {
		grid[i] = []rune(spaces(w))
	}
	var xs, ys []float64
	for _, pt := range p.Points {
		if pt.State == StateFinished {
			xs, ys = append(xs, pt.PerUserTokS), append(ys, pt.PerGPUTokS)
		}
	}
	// Both axes span the points' own range, so that close values still separate.
	xlo, xhi := valueRange(xs)
	ylo, yhi := valueRange(ys)
	for _, pt := range p.Points {
		if pt.State != StateFinished || w < 4 || gh < 1 {
			continue
		}
		label := []rune(strconv.Itoa(pt.Batch))
		col := int((pt.PerUserTokS - xlo) / (xhi - xlo) * float64(w-len(label)))
		row := gh - 1 - int((pt.PerGPUTokS-ylo)/(yhi-ylo)*float64(gh-1))
		col, row = clamp(col, 0, w-len(label)), clamp(row, 0, gh-1)
		// Points too close to tell apart on this grid go to the nearest free row, so that
		// two labels never merge into one number.
		for d := 0; d < 2*gh; d++ {
			r := row + (d+1)/2*(1-2*(d%2))
			if r >= 0 && r < gh && free(grid[r], col-1, col+len(label)+1) {
				row = r
				break
			}
		}
		copy(grid[row][col:], label)
	}
	for i := 0; i < gh; i++ {
		l.reset()
		l.ink(st.SeriesStyle(1), string(grid[i]))
		out[i+1] = l.fit(w)
	}
	return out
}

// valueRange is the range of vs widened by a tenth on each side (never empty).
func valueRange(vs []float64) (lo, hi float64) {
	if len(vs) == 0 {
		return 0, 1
	}
	lo, hi = vs[0], vs[0]
	for _, v := range vs {
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	pad := (hi - lo) / 10
	if pad == 0 {
		pad = math.Max(math.Abs(hi)/10, 1)
	}
	return lo - pad, hi + pad
}

// free reports whether cells [from, to) of a row are blank (outside the row counts as blank).
func free(row []rune, from, to int) bool {
	for i := max(from, 0); i < min(to, len(row)); i++ {
		if row[i] != ' ' {
			return false
		}
	}
	return true
}

// Summary is the sweep's progress in one line.
func (p *Sweep) Summary(width int) string { return p.Render(width, 1) }
