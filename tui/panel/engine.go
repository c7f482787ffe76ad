package panel

import (
	"math"

	"github.com/benchtui/benchtui/themes"
)

// engineHistory is how many samples the engine sparklines keep (at 10 Hz, ~25 s; wider
// panels than this show blank lead-in).
const engineHistory = 256

// Engine shows the engine's state, each figure as a one-line sparkline of recent values with
// the current value. For llama.cpp: running and queued requests, KV cache use and batch
// occupancy. For a run against a server (Stream): the requests in flight and not yet sent,
// the server's own figures when it reports them (running, waiting, KV cache, labelled as the
// server's), and the client's arrival schedule (sent, target and achieved rate, send lag,
// whether it fell behind). Lines, when set, follow as text (a server run's serving figures
// once it ended).
type Engine struct {
	// MaxBatch is the batch size in sequences (a server's slots); it scales the running
	// sparkline and is shown as "48/64". Zero scales to the largest value seen.
	MaxBatch int
	// Final, when set, is the state the run ended in ("finished", "stopped"), shown in
	// the frame: the values are then the engine's last state, not a live one.
	Final string
	// Stream marks a run against a server: running is the requests in flight (sent, not
	// finished), queued those not sent yet.
	Stream bool
	// ServerSource names the server's metrics ("llamacpp", "vllm") once a snapshot
	// carried them; empty when the server reports none.
	ServerSource string
	// Load is the client's arrival schedule (a stream run), shown when Known.
	Load LoadView
	// Lines are text lines after the figures, e.g. a server run's timings.
	Lines []EngineLine
	focus

	running, queued, kv, batch series
	srvRun, srvWait, srvKV     series
	st                         *themes.Styles
}

// LoadView is how a stream run's client kept its arrival schedule, from
// report.ComputeLoadStats over the requests finished so far.
type LoadView struct {
	Known       bool
	Sent, Total int
	// TargetRate is the requested rate (0: none), AchievedRate the rate requests were sent
	// at, in requests per second.
	TargetRate, AchievedRate float64
	// LagP50 and LagP99 are the send lag's percentiles in ms (NaN without a target).
	LagP50, LagP99 float64
	// Behind marks a client that fell behind its schedule.
	Behind bool
}

// EngineLine is one labelled text line of the engine panel.
type EngineLine struct{ Label, Value string }

// NewEngine returns an empty engine panel drawn with st.
func NewEngine(st *themes.Styles) *Engine {
	return &Engine{
		st:      st,
		running: newSeries(engineHistory),
		queued:  newSeries(engineHistory),
		kv:      newSeries(engineHistory),
		batch:   newSeries(engineHistory),
		srvRun:  newSeries(engineHistory),
		srvWait: newSeries(engineHistory),
		srvKV:   newSeries(engineHistory),
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

// PushServer records one reading of the server's own metrics: requests running and
// waiting, and KV cache use in percent; a negative value is one the server does not report.
func (p *Engine) PushServer(running, waiting, kvPct float64) {
	known := func(v float64) float64 {
		if v < 0 {
			return math.NaN()
		}
		return v
	}
	p.srvRun.push(known(running))
	p.srvWait.push(known(waiting))
	p.srvKV.push(known(kvPct))
}

// Reset clears the history and the run's figures.
func (p *Engine) Reset() {
	for _, s := range []*series{&p.running, &p.queued, &p.kv, &p.batch, &p.srvRun, &p.srvWait, &p.srvKV} {
		s.reset()
	}
	p.ServerSource, p.Load, p.Lines = "", LoadView{}, nil
}

// engineRow is one metric of the panel.
type engineRow struct {
	label, short string
	vals         []float64
	lo, hi       float64
	value        string
	spark, ink   themes.Ink
	prio         int
}

// rows lists the metrics in display order; prio orders what goes first when the panel
// is short.
func (p *Engine) rows() []engineRow {
	st := p.st
	run := p.running.last()
	runText := count(run)
	runHi := float64(p.MaxBatch)
	if p.MaxBatch > 0 {
		runText += "/" + itoa(p.MaxBatch)
	} else {
		runHi = 0
	}
	kvInk := func(kv float64) themes.Ink {
		switch {
		case kv >= 98:
			return st.Bad
		case kv >= 90:
			return st.Warn
		}
		return st.Value
	}
	if !p.Stream {
		kv := p.kv.last()
		return []engineRow{
			{"running", "run", p.running.vals, 0, runHi, runText, st.SeriesStyle(0), st.Value, 0},
			{"queued", "q", p.queued.vals, 0, 0, count(p.queued.last()), st.SeriesStyle(1), st.Value, 2},
			{"kv cache", "kv", p.kv.vals, 0, 100, pct(kv), st.SeriesStyle(2), kvInk(kv), 1},
			{"batch", "bat", p.batch.vals, 0, 100, pct(p.batch.last()), st.SeriesStyle(3), st.Value, 3},
		}
	}
	rows := []engineRow{
		// Requests in flight may wait in the server's queue: they are not held against its
		// slots (srv run is).
		{"in flight", "flight", p.running.vals, 0, 0, count(run), st.SeriesStyle(0), st.Value, 0},
		{"not sent", "unsent", p.queued.vals, 0, 0, count(p.queued.last()), st.SeriesStyle(1), st.Value, 2},
	}
	if p.ServerSource != "" {
		srvHi := float64(p.MaxBatch)
		srvText := count(p.srvRun.last())
		if p.MaxBatch > 0 && !math.IsNaN(p.srvRun.last()) {
			srvText += "/" + itoa(p.MaxBatch)
		}
		kv := p.srvKV.last()
		rows = append(rows,
			engineRow{"srv run", "srv", p.srvRun.vals, 0, srvHi, srvText, st.SeriesStyle(2), st.Value, 1},
			engineRow{"srv wait", "srvq", p.srvWait.vals, 0, 0, count(p.srvWait.last()), st.SeriesStyle(3), st.Value, 3},
			engineRow{"srv kv", "kv", p.srvKV.vals, 0, 100, pct(kv), st.SeriesStyle(4), kvInk(kv), 4},
		)
	}
	return rows
}

// count formats a count that may be missing.
func count(v float64) string {
	if math.IsNaN(v) {
		return "n/a"
	}
	return itoa(int(math.Round(v)))
}

// loadParts are the arrival schedule's figures: sent, the rates, the send lag.
func (p *Engine) loadParts() (rates, lag []part) {
	st := p.st
	l := &p.Load
	if !l.Known {
		return nil, nil
	}
	rates = []part{{[]span{{"sent ", st.Label}, {itoa(l.Sent) + "/" + itoa(l.Total), st.Value}}, 0}}
	achieved := []span{{"rate ", st.Label}, {rate(l.AchievedRate), st.Value}}
	if l.TargetRate > 0 {
		achieved = append(achieved, span{" of " + RateText(l.TargetRate), st.Muted})
	} else {
		achieved = append(achieved, span{"/s", st.Muted})
	}
	rates = append(rates, part{achieved, 1})
	if l.TargetRate > 0 {
		lag = []part{{[]span{{"send lag p50 ", st.Label}, {LatencyText(l.LagP50), st.Value}}, 0},
			{[]span{{"p99 ", st.Label}, {LatencyText(l.LagP99), st.Value}}, 0}}
		if l.Behind {
			lag = append(lag, part{[]span{{"⚠ client behind", st.Warn}}, -1})
		}
	}
	return rates, lag
}

func (p *Engine) Summary(width int) string {
	st := p.st
	var parts []part
	for _, r := range p.rows() {
		parts = append(parts, part{[]span{{r.short + " ", st.Label}, {r.value, r.ink}}, r.prio})
	}
	if p.Load.Known && p.Load.Behind {
		parts = append(parts, part{[]span{{"⚠ behind", st.Warn}}, -1})
	}
	var l lineBuf
	fitParts(&l, parts, span{" ", st.Text}, width)
	return string(l.b)
}

// Rows is how many lines the panel's content takes: what the layout gives it at most.
func (p *Engine) Rows() int {
	n := len(p.rows())
	if p.Load.Known {
		n += 2
	}
	if p.ServerSource != "" {
		n++ // the line naming the server's figures
	}
	return n + len(p.Lines)
}

// Render draws the panel in exactly width x height cells: one line per figure, then the
// schedule's and the text lines while room lasts, the least important figures left out
// first when even those do not fit.
func (p *Engine) Render(width, height int) string {
	if s, ok := small(width, height, p.Summary); ok {
		return s
	}
	st := p.st
	iw, ih := inner(width, height)
	b := box{st: st, focused: p.focused, title: []span{{"Engine", st.Title}}}
	if p.Stream {
		b.title = []span{{"Engine", st.Title}, {" · server", st.Muted}}
	}
	if p.Final != "" {
		b.note = []span{{"run " + p.Final, st.Muted}}
	}
	if len(p.running.vals) == 0 {
		return b.message(width, height, "no scheduler data yet")
	}
	rows := p.rows()
	if ih < len(rows) {
		// Keep the most important metrics, in display order.
		keep := make([]engineRow, 0, ih)
		for _, r := range rows {
			if r.prio < ih {
				keep = append(keep, r)
			}
		}
		rows = keep
	}
	labelW := 0
	valW := 0
	for _, r := range rows {
		labelW = max(labelW, textWidth(r.label)+1)
		valW = max(valW, textWidth(r.value))
	}
	sw := iw - labelW - valW - 1
	body := make([]string, 0, ih)
	for _, r := range rows {
		var l lineBuf
		l.ink(st.Label, r.label)
		if sw >= 4 {
			l.padTo(labelW)
			l.ink(r.spark, Sparkline(r.vals, sw, r.lo, r.hi))
			l.padTo(iw - textWidth(r.value))
		} else {
			l.text(" ")
		}
		l.ink(r.ink, r.value)
		body = append(body, l.fit(iw))
	}
	extra := func(parts []part) {
		if len(parts) == 0 || len(body) >= ih {
			return
		}
		var l lineBuf
		fitParts(&l, parts, span{"  ", st.Text}, iw)
		body = append(body, l.fit(iw))
	}
	if p.ServerSource != "" {
		extra([]part{{[]span{{"srv: the server's own figures (" + p.ServerSource + " /metrics)", st.Muted}}, 0}})
	}
	rates, lag := p.loadParts()
	extra(rates)
	extra(lag)
	for _, ln := range p.Lines {
		extra([]part{{[]span{{ln.Label + " ", st.Label}, {ln.Value, st.Value}}, 0}})
	}
	return b.render(width, height, body)
}
