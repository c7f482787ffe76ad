package panel

import (
	"math"
	"strings"

	"github.com/benchtui/benchtui/themes"
)

// Compare shows two runs side by side with the change from A (the baseline) to B in
// percent, coloured by whether the change is an improvement for that metric.
type Compare struct {
	// A is the baseline and B the run compared with it.
	A, B RunRow
	focus

	st *themes.Styles
}

// NewCompare returns a comparison panel drawn with st.
func NewCompare(st *themes.Styles) *Compare {
	return &Compare{st: st}
}

// SetStyles changes the theme.
func (p *Compare) SetStyles(st *themes.Styles) { p.st = st }

// Set chooses the two runs.
func (p *Compare) Set(a, b RunRow) { p.A, p.B = a, b }

// compareRow is one line of the comparison.
type compareRow struct {
	label    string
	a, b     string
	va, vb   float64
	numeric  bool // has a delta
	higher   bool // higher is better
	drop     int  // rows with the highest drop go first when height is short
	settings bool // a workload setting: differences are highlighted, no delta
}

func (p *Compare) rows() []compareRow {
	a, b := &p.A, &p.B
	fa, fb := &a.Figures, &b.Figures
	sh := func(r *RunRow) string { return itoa(r.Batch) + "/" + itoa(r.ISL) + "/" + itoa(r.OSL) }
	num := func(label string, va, vb float64, f func(float64) string, higher bool, drop int) compareRow {
		return compareRow{label: label, a: f(va), b: f(vb), va: va, vb: vb, numeric: true, higher: higher, drop: drop}
	}
	cnt := func(label string, va, vb int, drop int) compareRow {
		return compareRow{label: label, a: itoa(va), b: itoa(vb), drop: drop}
	}
	return []compareRow{
		{label: "model", a: a.Model, b: b.Model, settings: true, drop: 4},
		{label: "B/ISL/OSL", a: sh(a), b: sh(b), settings: true, drop: 3},
		{label: "requests", a: itoa(a.Requests), b: itoa(b.Requests), settings: true, drop: 5},
		{label: "concurrency", a: ConcurrencyText(a.Concurrency), b: ConcurrencyText(b.Concurrency), settings: true, drop: 7},
		num("output tok/s", fa.OutputTokS, fb.OutputTokS, fnum, true, 0),
		num("req/s", fa.ReqS, fb.ReqS, fnum, true, 1),
		num("TTFT p50 ms", fa.TTFTp50, fb.TTFTp50, fms, false, 0),
		num("TTFT p99 ms", fa.TTFTp99, fb.TTFTp99, fms, false, 2),
		num("TPOT p50 ms", fa.TPOTp50, fb.TPOTp50, fms, false, 0),
		num("ITL p99 ms", fa.ITLp99, fb.ITLp99, fms, false, 3),
		num("E2E p50 ms", fa.E2Ep50, fb.E2Ep50, fms, false, 2),
		cnt("done/failed/canc.", 0, 0, 6),
		{label: "state", a: a.State.String(), b: b.State.String(), drop: 6},
	}
}

// Mismatch says how the two runs differ in workload (ISL, OSL, requests, concurrency,
// dataset) and whether one was stopped or failed, which makes their deltas compare
// different things; "" when they compare like with like.
func Mismatch(a, b RunRow) string {
	var diffs []string
	add := func(name, va, vb string) {
		if va != vb {
			diffs = append(diffs, name+" "+va+" vs "+vb)
		}
	}
	add("ISL", itoa(a.ISL), itoa(b.ISL))
	add("OSL", itoa(a.OSL), itoa(b.OSL))
	add("N", itoa(a.Requests), itoa(b.Requests))
	add("C", ConcurrencyText(a.Concurrency), ConcurrencyText(b.Concurrency))
	add("dataset", orGenerated(a.Dataset), orGenerated(b.Dataset))
	var out []string
	if len(diffs) > 0 {
		out = append(out, "workload differs: "+strings.Join(diffs, ", "))
	}
	for _, r := range []*RunRow{&a, &b} {
		if r.State == StateCanceled || r.State == StateFailed {
			out = append(out, r.ID+" was "+r.State.String())
		}
	}
	return strings.Join(out, "; ")
}

func orGenerated(ds string) string {
	if ds == "" {
		return "generated"
	}
	return ds
}

// delta formats the change from va to vb with its sense in words ("+4.1% better"), and
// picks its ink.
func (p *Compare) delta(r compareRow) (string, themes.Ink) {
	st := p.st
	if !r.numeric {
		return "", st.Muted
	}
	d, k := Delta(st, r.va, r.vb, r.higher)
	if d == "" || math.IsNaN(r.va) || math.IsNaN(r.vb) || r.va == 0 || r.vb == 0 {
		return "n/a", st.Muted
	}
	return d, k
}

func (p *Compare) Summary(width int) string {
	st := p.st
	var parts []part
	if m := Mismatch(p.A, p.B); m != "" {
		parts = append(parts, part{[]span{{"⚠ " + m, st.Warn}}, 0})
	}
	for _, r := range p.rows() {
		if !r.numeric {
			continue
		}
		d, k := p.delta(r)
		parts = append(parts, part{[]span{{r.label + " ", st.Label}, {d, k}}, r.drop + 1})
	}
	var l lineBuf
	fitParts(&l, parts, span{" · ", st.Subtle}, width)
	return string(l.b)
}

// Render draws the comparison in exactly width x height cells. A workload mismatch is
// said on the first line, before any delta.
func (p *Compare) Render(width, height int) string {
	if s, ok := small(width, height, p.Summary); ok {
		return s
	}
	st := p.st
	iw, ih := inner(width, height)
	b := box{st: st, focused: p.focused, title: []span{
		{"Compare ", st.Title}, {p.A.ID, st.Accent}, {" → ", st.Muted}, {p.B.ID, st.Accent},
	}}
	body := make([]string, 0, ih)
	var l lineBuf
	if m := Mismatch(p.A, p.B); m != "" {
		for _, w := range wrap("⚠ "+m, iw) {
			if len(body) >= max(ih-2, 1) {
				break
			}
			l.reset()
			l.ink(st.Warn, w)
			body = append(body, l.fit(iw))
		}
	}
	rows := p.rows()
	// The counts row shows the three counts of each run.
	for i := range rows {
		if rows[i].label == "done/failed/canc." {
			f := func(r *RunRow) string {
				return itoa(r.Figures.Completed) + "/" + itoa(r.Figures.Failed) + "/" + itoa(r.Figures.Canceled)
			}
			rows[i].a, rows[i].b = f(&p.A), f(&p.B)
		}
	}
	header := ih-len(body) >= 4
	room := ih - len(body)
	if header {
		room--
	}
	for len(rows) > room && len(rows) > 0 {
		worst := 0
		for i := range rows {
			if rows[i].drop >= rows[worst].drop {
				worst = i
			}
		}
		rows = append(rows[:worst], rows[worst+1:]...)
	}

	labelW := 0
	for _, r := range rows {
		labelW = max(labelW, textWidth(r.label))
	}
	const deltaW = 14
	colW := (iw - labelW - deltaW - 3) / 2
	narrow := colW < 6
	if narrow {
		// Only labels and deltas.
		labelW = min(labelW, max(iw-deltaW-1, 1))
	} else {
		// Columns as wide as their content (and the header), within limits.
		content := max(textWidth("A "+p.A.ID), textWidth("B "+p.B.ID))
		for _, r := range rows {
			content = max(content, textWidth(r.a), textWidth(r.b))
		}
		colW = min(colW, content+2, 28)
	}

	if header {
		l.reset()
		l.pad(labelW)
		if !narrow {
			l.text(" ")
			l.ink(st.TableHeader, align(truncate("A "+p.A.ID, colW), colW, true))
			l.text(" ")
			l.ink(st.TableHeader, align(truncate("B "+p.B.ID, colW), colW, true))
		}
		l.text(" ")
		l.ink(st.TableHeader, align("B vs A", deltaW, true))
		body = append(body, l.fit(iw))
	}
	for _, r := range rows {
		l.reset()
		l.ink(st.Label, align(truncate(r.label, labelW), labelW, false))
		if !narrow {
			bInk := st.Value
			if r.settings && r.a != r.b {
				bInk = st.Warn
			}
			l.text(" ")
			l.ink(st.Value, align(truncate(r.a, colW), colW, true))
			l.text(" ")
			l.ink(bInk, align(truncate(r.b, colW), colW, true))
		}
		d, k := p.delta(r)
		l.text(" ")
		l.ink(k, align(d, deltaW, true))
		body = append(body, l.fit(iw))
	}
	return b.render(width, height, body)
}
