package panel

import (
	"math"

	"github.com/benchtui/benchtui/themes"
)

// engineHistory is how many samples the engine sparklines keep (at 10 Hz, ~25 s; wider
// panels than this show blank lead-in).
const engineHistory = 256

// Engine shows the scheduler's state: running and queued requests, KV cache use and
// batch occupancy, each as a sparkline of recent values with the current value.
type Engine struct {
	// MaxBatch is the batch size in sequences; it scales the running sparkline and is
	// shown as "48/64". Zero scales to the largest value seen.
	MaxBatch int
	// Final, when set, is the state the run ended in ("finished", "stopped"), shown in
	// the frame: the values are then the engine's last state, not a live one.
	Final string
	focus

	running, queued, kv, batch series
	st                         *themes.Styles
}

// NewEngine returns an empty engine panel drawn with st.
func NewEngine(st *themes.Styles) *Engine {
	return &Engine{
		st:      st,
		running: newSeries(engineHistory),
		queued:  newSeries(engineHistory),
		kv:      newSeries(engineHistory),
		batch:   newSeries(engineHistory),
	}
}

// SetStyles changes the theme.
func (p *Engine) SetStyles(st *themes.Styles) { p.st = st }

// Push records one sample: requests running and queued, KV cache use and batch
// occupancy in percent.
func (p *Engine) Push(running, queued int, kvPct, batchPct float64) {
	p.running.push(float64(running))
	p.queued.push(float64(queued))
	p.kv.push(kvPct)
	p.batch.push(batchPct)
}

// Reset clears the history.
func (p *Engine) Reset() {
	p.running.reset()
	p.queued.reset()
	p.kv.reset()
	p.batch.reset()
}

// engineRow is one metric of the panel.
type engineRow struct {
	label, short string
	vals         []float64
	lo, hi       float64
	value        string
	spark, ink   themes.Ink
}

// rows lists the metrics in display order with their priority order.
func (p *Engine) rows() (rows []engineRow, prio []int) {
	st := p.st
	run := p.running.last()
	runText := count(run)
	runHi := float64(p.MaxBatch)
	if p.MaxBatch > 0 {
		runText += "/" + itoa(p.MaxBatch)
	} else {
		runHi = 0
	}
	kv := p.kv.last()
	kvInk := st.Value
	switch {
	case kv >= 98:
		kvInk = st.Bad
	case kv >= 90:
		kvInk = st.Warn
	}
	rows = []engineRow{
		{"running", "run", p.running.vals, 0, runHi, runText, st.SeriesStyle(0), st.Value},
		{"queued", "q", p.queued.vals, 0, 0, count(p.queued.last()), st.SeriesStyle(1), st.Value},
		{"kv cache", "kv", p.kv.vals, 0, 100, pct(kv), st.SeriesStyle(2), kvInk},
		{"batch", "bat", p.batch.vals, 0, 100, pct(p.batch.last()), st.SeriesStyle(3), st.Value},
	}
	return rows, []int{0, 2, 1, 3}
}

// count formats a count that may be missing.
func count(v float64) string {
	if math.IsNaN(v) {
		return "n/a"
	}
	return itoa(int(math.Round(v)))
}

func (p *Engine) Summary(width int) string {
	st := p.st
	rows, prio := p.rows()
	parts := make([]part, len(rows))
	for i, r := range rows {
		parts[i] = part{[]span{{r.short + " ", st.Label}, {r.value, r.ink}}, prio[i]}
	}
	var l lineBuf
	fitParts(&l, parts, span{" ", st.Text}, width)
	return string(l.b)
}

// Render draws the panel in exactly width x height cells.
func (p *Engine) Render(width, height int) string {
	if s, ok := small(width, height, p.Summary); ok {
		return s
	}
	st := p.st
	iw, ih := inner(width, height)
	b := box{st: st, focused: p.focused, title: []span{{"Engine", st.Title}}}
	if p.Final != "" {
		b.note = []span{{"run " + p.Final, st.Muted}}
	}
	if len(p.running.vals) == 0 {
		return b.message(width, height, "no scheduler data yet")
	}
	rows, prio := p.rows()
	if ih < len(rows) {
		// Keep the most important metrics, in display order.
		keep := make([]engineRow, 0, ih)
		for i, r := range rows {
			if prio[i] < ih {
				keep = append(keep, r)
			}
		}
		rows = keep
	}
	// Taller panels give each sparkline more rows (up to three) for finer detail.
	per := clamp(ih/len(rows), 1, 3)
	const labelW = 9
	valW := 0
	for _, r := range rows {
		valW = max(valW, textWidth(r.value))
	}
	sw := iw - labelW - valW - 1
	body := make([]string, 0, ih)
	for _, r := range rows {
		var sparks []string
		if sw >= 4 {
			sparks = SparklineRows(r.vals, sw, per, r.lo, r.hi)
		}
		for k := 0; k < per; k++ {
			var l lineBuf
			if k == 0 {
				l.ink(st.Label, r.label)
			}
			if sparks == nil {
				if k == 0 {
					l.text(" ")
					l.ink(r.ink, r.value)
				}
			} else {
				l.padTo(labelW)
				l.ink(r.spark, sparks[k])
				if k == per-1 {
					l.padTo(iw - textWidth(r.value))
					l.ink(r.ink, r.value)
				}
			}
			body = append(body, l.fit(iw))
		}
	}
	return b.render(width, height, body)
}
