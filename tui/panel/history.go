package panel

import (
	"math"
	"slices"
	"strconv"

	"github.com/benchtui/benchtui/themes"
)

// RunRow is one run of this session as the history table and the comparison show it.
// Latencies are in milliseconds; zero or NaN values show as "n/a".
type RunRow struct {
	ID                        string
	Model                     string
	Batch, ISL, OSL, Requests int
	// Concurrency is the run's limit, zero or less for unlimited; Dataset names its
	// requests ("" for a generated set).
	Concurrency int
	Dataset     string
	// Figures are the run's results (NaN while unknown).
	Figures Figures
	State   RunState
}

// maxMarks is how many runs can be marked for comparison.
const maxMarks = 2

// History is the table of this session's runs with a cursor and up to two marked rows.
type History struct {
	// Rows are the runs, oldest first. Replace them with SetRows so the cursor and the
	// marks stay valid.
	Rows []RunRow
	// Cursor is the index of the highlighted row.
	Cursor int
	focus

	marks []string // IDs, in marking order
	st    *themes.Styles
}

// NewHistory returns an empty history panel drawn with st.
func NewHistory(st *themes.Styles) *History {
	return &History{st: st}
}

// SetStyles changes the theme.
func (p *History) SetStyles(st *themes.Styles) { p.st = st }

// SetRows replaces the runs. The cursor is kept in range (and follows the newest run if
// it was on the last row); marks of runs that are gone are dropped.
func (p *History) SetRows(rows []RunRow) {
	follow := p.Cursor >= len(p.Rows)-1
	p.Rows = rows
	if follow {
		p.Cursor = len(rows) - 1
	}
	p.Cursor = clamp(p.Cursor, 0, max(len(rows)-1, 0))
	p.marks = slices.DeleteFunc(p.marks, func(id string) bool { return p.find(id) < 0 })
}

// MoveCursor moves the cursor by delta rows, staying in range.
func (p *History) MoveCursor(delta int) {
	p.Cursor = clamp(p.Cursor+delta, 0, max(len(p.Rows)-1, 0))
}

// CursorRow returns the run under the cursor.
func (p *History) CursorRow() (RunRow, bool) {
	if p.Cursor < 0 || p.Cursor >= len(p.Rows) {
		return RunRow{}, false
	}
	return p.Rows[p.Cursor], true
}

// ToggleMark marks or unmarks the run under the cursor. Marking a third run unmarks the
// one marked first.
func (p *History) ToggleMark() {
	r, ok := p.CursorRow()
	if !ok {
		return
	}
	if i := slices.Index(p.marks, r.ID); i >= 0 {
		p.marks = slices.Delete(p.marks, i, i+1)
		return
	}
	p.marks = append(p.marks, r.ID)
	if len(p.marks) > maxMarks {
		p.marks = p.marks[1:]
	}
}

// ClearMarks unmarks all runs.
func (p *History) ClearMarks() { p.marks = p.marks[:0] }

// Marked returns the IDs of the marked runs in marking order.
func (p *History) Marked() []string { return slices.Clone(p.marks) }

// Comparison returns the two marked runs, the first marked as the baseline.
func (p *History) Comparison() (a, b RunRow, ok bool) {
	if len(p.marks) != maxMarks {
		return RunRow{}, RunRow{}, false
	}
	i, j := p.find(p.marks[0]), p.find(p.marks[1])
	if i < 0 || j < 0 {
		return RunRow{}, RunRow{}, false
	}
	return p.Rows[i], p.Rows[j], true
}

func (p *History) find(id string) int {
	for i := range p.Rows {
		if p.Rows[i].ID == id {
			return i
		}
	}
	return -1
}

// fnum formats a rate, "n/a" when missing.
func fnum(v float64) string {
	if v == 0 || math.IsNaN(v) {
		return "n/a"
	}
	switch {
	case v < 10:
		return strconv.FormatFloat(v, 'f', 2, 64)
	case v < 100:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return si(v)
}

// fms formats a median latency, "n/a" when missing.
func fms(v float64) string {
	if v == 0 || math.IsNaN(v) {
		return "n/a"
	}
	return ms(v)
}

// historyColumn describes one column of the table.
type historyColumn struct {
	title string
	right bool
	prio  int // columns with the highest prio are dropped first
	cell  func(*RunRow) string
}

var historyColumns = []historyColumn{
	{"run", false, 0, func(r *RunRow) string { return r.ID }},
	{"model", false, 6, func(r *RunRow) string { return r.Model }},
	{"B", true, 2, func(r *RunRow) string { return itoa(r.Batch) }},
	{"ISL", true, 3, func(r *RunRow) string { return itoa(r.ISL) }},
	{"OSL", true, 3, func(r *RunRow) string { return itoa(r.OSL) }},
	{"N", true, 5, func(r *RunRow) string { return itoa(r.Requests) }},
	{"out tok/s", true, 0, func(r *RunRow) string { return fnum(r.Figures.OutputTokS) }},
	{"req/s", true, 5, func(r *RunRow) string { return fnum(r.Figures.ReqS) }},
	{"TTFT p50", true, 1, func(r *RunRow) string { return fms(r.Figures.TTFTp50) }},
	{"TPOT p50", true, 1, func(r *RunRow) string { return fms(r.Figures.TPOTp50) }},
	{"E2E p50", true, 4, func(r *RunRow) string { return fms(r.Figures.E2Ep50) }},
	{"failed", true, 6, func(r *RunRow) string { return itoa(r.Figures.Failed) }},
	{"canceled", true, 6, func(r *RunRow) string { return itoa(r.Figures.Canceled) }},
	{"state", false, 2, func(r *RunRow) string { return r.State.String() }},
}

const (
	modelMinW = 8
	modelMaxW = 28
	markerW   = 3 // "▸1 "
)

func (p *History) Summary(width int) string {
	st := p.st
	var l lineBuf
	runs := " runs"
	if len(p.Rows) == 1 {
		runs = " run"
	}
	parts := []part{{[]span{{itoa(len(p.Rows)) + runs, st.Title}}, 0}}
	if r, ok := p.CursorRow(); ok {
		parts = append(parts, part{[]span{{r.ID + " ", st.Label}, {fnum(r.Figures.OutputTokS), st.Value}, {" tok/s", st.Muted}}, 1})
	}
	fitParts(&l, parts, span{" · ", st.Subtle}, width)
	return string(l.b)
}

// Render draws the table in exactly width x height cells. Columns are dropped from the
// least important when the width is short; rows scroll to keep the cursor visible.
func (p *History) Render(width, height int) string {
	if s, ok := small(width, height, p.Summary); ok {
		return s
	}
	st := p.st
	iw, ih := inner(width, height)
	b := box{st: st, focused: p.focused, title: []span{{"History", st.Title}}}
	if len(p.Rows) == 0 {
		return b.message(width, height, "no runs in this session yet")
	}
	if len(p.marks) > 0 {
		b.note = []span{{itoa(len(p.marks)) + " marked", st.Marked}}
	}
	b.footer = []span{{itoa(p.Cursor+1) + "/" + itoa(len(p.Rows)), st.Muted}}

	visible := max(ih-1, 1)
	start := clamp(p.Cursor-visible+1, 0, max(len(p.Rows)-visible, 0))
	end := min(start+visible, len(p.Rows))
	rows := p.Rows[start:end]

	// Cell texts and natural column widths over the visible rows.
	cells := make([][]string, len(historyColumns))
	widths := make([]int, len(historyColumns))
	for c, col := range historyColumns {
		widths[c] = textWidth(col.title)
		cells[c] = make([]string, len(rows))
		for i := range rows {
			s := col.cell(&rows[i])
			cells[c][i] = s
			widths[c] = max(widths[c], textWidth(s))
		}
	}
	const modelCol = 1
	natural := widths[modelCol]
	widths[modelCol] = min(natural, modelMinW)

	keep := make([]bool, len(historyColumns))
	for i := range keep {
		keep[i] = true
	}
	total := func(gap int) int {
		t, n := markerW, 0
		for c, k := range keep {
			if k {
				t += widths[c]
				n++
			}
		}
		return t + gap*max(n-1, 0)
	}
	gap := 2
	for total(gap) > iw {
		if gap == 2 {
			gap = 1
			continue
		}
		worst := -1
		for c, k := range keep {
			if k && c != 0 && (worst < 0 || historyColumns[c].prio >= historyColumns[worst].prio) {
				worst = c
			}
		}
		if worst < 0 {
			break
		}
		keep[worst] = false
	}
	if keep[modelCol] {
		widths[modelCol] = min(natural, modelMaxW, widths[modelCol]+iw-total(gap))
	}

	body := make([]string, 0, ih)
	var l lineBuf
	l.pad(markerW)
	first := true
	for c, col := range historyColumns {
		if !keep[c] {
			continue
		}
		if !first {
			l.pad(gap)
		}
		first = false
		l.ink(st.TableHeader, align(col.title, widths[c], col.right))
	}
	body = append(body, l.fit(iw))

	for i := range rows {
		idx := start + i
		r := &rows[i]
		l.reset()
		selected := idx == p.Cursor
		cursor := " "
		if selected {
			cursor = "▸"
		}
		mark := " "
		if m := slices.Index(p.marks, r.ID); m >= 0 {
			mark = itoa(m + 1)
		}
		l.ink(st.Accent, cursor)
		l.ink(st.Marked, mark)
		l.text(" ")
		var row lineBuf
		first := true
		for c, col := range historyColumns {
			if !keep[c] {
				continue
			}
			if !first {
				row.pad(gap)
			}
			first = false
			text := align(truncate(cells[c][i], widths[c]), widths[c], col.right)
			switch {
			case selected:
				row.text(text)
			case col.title == "state":
				row.ink(stateInk(st, r.State), text)
			case c == 0:
				row.ink(st.Muted, text)
			default:
				row.ink(st.Text, text)
			}
		}
		if selected {
			row.padTo(iw - markerW)
			l.ink(st.Selected, string(row.b))
		} else {
			l.raw(string(row.b), row.w)
		}
		body = append(body, l.fit(iw))
	}
	return b.render(width, height, body)
}

// align pads plain text to w cells, on the left when right is set.
func align(s string, w int, right bool) string {
	n := w - textWidth(s)
	if n <= 0 {
		return s
	}
	if right {
		return spaces(n) + s
	}
	return s + spaces(n)
}
