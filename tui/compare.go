package tui

import (
	"github.com/benchtui/benchtui/report"
	"github.com/benchtui/benchtui/themes"
)

// Compare shows two runs side by side with the change from A (the baseline) to B in
// percent, coloured by whether the change is an improvement for that metric.
type Compare struct {
	// A is the baseline and B the run compared with it.
	A, B RunRow
	// Focused draws the frame in the accent colour.
	Focused bool

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
	sh := func(r *RunRow) string { return itoa(r.Batch) + "/" + itoa(r.ISL) + "/" + itoa(r.OSL) }
	num := func(label string, va, vb float64, f func(float64) string, higher bool, drop int) compareRow {
		return compareRow{label: label, a: f(va), b: f(vb), va: va, vb: vb, numeric: true, higher: higher, drop: drop}
	}
	return []compareRow{
		{label: "model", a: a.Model, b: b.Model, settings: true, drop: 4},
		{label: "B/ISL/OSL", a: sh(a), b: sh(b), settings: true, drop: 3},
		{label: "requests", a: itoa(a.Requests), b: itoa(b.Requests), settings: true, drop: 5},
		num("output tok/s", a.OutputTokS, b.OutputTokS, fnum, true, 0),
		num("req/s", a.ReqS, b.ReqS, fnum, true, 1),
		num("TTFT p50 ms", a.TTFTp50, b.TTFTp50, fms, false, 0),
		num("TPOT p50 ms", a.TPOTp50, b.TPOTp50, fms, false, 0),
		num("E2E p50 ms", a.E2Ep50, b.E2Ep50, fms, false, 2),
		{label: "state", a: a.State.String(), b: b.State.String(), drop: 6},
	}
}

// delta formats the change from va to vb (report.Delta's rule) and picks its ink.
func (p *Compare) delta(r compareRow) (string, themes.Ink) {
	st := p.st
	if !r.numeric {
		return "", st.Muted
	}
	better := report.LowerIsBetter
	if r.higher {
		better = report.HigherIsBetter
	}
	c := report.Delta(r.va, r.vb, better)
	switch c.Verdict {
	case report.Better:
		return c.PercentString(), st.Good
	case report.Worse:
		return c.PercentString(), st.Bad
	}
	return c.PercentString(), st.Muted
}

func (p *Compare) summary(width int) string {
	st := p.st
	var parts []part
	for _, r := range p.rows() {
		if !r.numeric {
			continue
		}
		d, k := p.delta(r)
		parts = append(parts, part{[]span{{r.label + " ", st.Label}, {d, k}}, r.drop})
	}
	var l lineBuf
	fitParts(&l, parts, span{" · ", st.Subtle}, width)
	return string(l.b)
}

// Render draws the comparison in exactly width x height cells.
func (p *Compare) Render(width, height int) string {
	if s, ok := small(width, height, p.summary); ok {
		return s
	}
	st := p.st
	iw, ih := inner(width, height)
	b := box{st: st, focused: p.Focused, title: []span{
		{"Compare ", st.Title}, {p.A.ID, st.Accent}, {" → ", st.Muted}, {p.B.ID, st.Accent},
	}}
	rows := p.rows()
	header := ih >= 4
	room := ih
	if header {
		room--
	}
	for len(rows) > room {
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
	const deltaW = 8
	colW := (iw - labelW - deltaW - 3) / 2
	narrow := colW < 6
	if narrow {
		// Only labels and deltas.
		labelW = min(labelW, iw-deltaW-1)
	} else {
		// Columns as wide as their content (and the header), within limits.
		content := max(textWidth("A "+p.A.ID), textWidth("B "+p.B.ID))
		for _, r := range rows {
			content = max(content, textWidth(r.a), textWidth(r.b))
		}
		colW = min(colW, content+2, 28)
	}

	body := make([]string, 0, ih)
	var l lineBuf
	if header {
		l.pad(labelW)
		if !narrow {
			l.text(" ")
			l.ink(st.TableHeader, align(truncate("A "+p.A.ID, colW), colW, true))
			l.text(" ")
			l.ink(st.TableHeader, align(truncate("B "+p.B.ID, colW), colW, true))
		}
		l.text(" ")
		l.ink(st.TableHeader, align("Δ", deltaW, true))
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
