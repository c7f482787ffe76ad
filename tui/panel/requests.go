package panel

import (
	"cmp"
	"math"
	"slices"
	"strconv"

	"github.com/benchtui/benchtui/themes"
)

// RequestRow is one request of a run as the requests view shows it. Times are
// milliseconds since the run started (StartMS, AdmitMS, FirstMS, EndMS; NaN where the
// request never got there); TTFT, TPOT and E2E are the report's per-request values (NaN
// where the report has none).
type RequestRow struct {
	Index                     int
	ISL, OSL                  int
	StartMS, AdmitMS, FirstMS float64
	EndMS                     float64
	TTFT, TPOT, E2E           float64
	Status                    string // "ok", "failed" or "canceled"
	Error                     string
}

// RequestSort names the column the requests are sorted by.
type RequestSort int

// The sort columns, in the order o cycles through them.
const (
	SortStart RequestSort = iota
	SortTTFT
	SortTPOT
	SortE2E
	SortISL
	SortOSL
	SortStatus
	numSorts
)

var sortNames = [numSorts]string{"start", "TTFT", "TPOT", "E2E", "ISL", "OSL", "status"}

func (s RequestSort) String() string {
	if s < 0 || s >= numSorts {
		return "?"
	}
	return sortNames[s]
}

// Next is the following sort column, wrapping around.
func (s RequestSort) Next() RequestSort { return (s + 1) % numSorts }

// Requests is the requests view: a table of a run's requests, sortable, each with a
// timeline bar from its start to its end split into queue, prefill and decode, and under
// the table the token gaps of the request under the cursor.
type Requests struct {
	// Run names the run shown.
	Run string
	focus

	rows       []RequestRow
	span       float64 // the run's length in ms, the timeline's scale
	sort       RequestSort
	desc       bool
	cursor     int
	detailT    []float64 // token times of the selected request, ms since its first token
	detailGaps []float64 // its gaps between tokens, ms
	detailFor  int       // the Index the detail belongs to, -1 for none
	st         *themes.Styles
}

// NewRequests returns an empty requests view drawn with st.
func NewRequests(st *themes.Styles) *Requests { return &Requests{st: st, detailFor: -1} }

// SetStyles changes the theme.
func (p *Requests) SetStyles(st *themes.Styles) { p.st = st }

// SetRows replaces the requests (the panel keeps the slice and sorts it in place) and the
// run's length in ms, which scales the timeline. The cursor stays on the same request.
func (p *Requests) SetRows(rows []RequestRow, spanMS float64) {
	sel, ok := p.Selected()
	p.rows, p.span = rows, spanMS
	p.resort()
	p.cursor = 0
	if ok {
		p.cursorTo(sel.Index)
	}
}

// Len is the number of requests.
func (p *Requests) Len() int { return len(p.rows) }

// SortBy sorts by col, descending when desc; the cursor stays on its request.
func (p *Requests) SortBy(col RequestSort, desc bool) {
	sel, ok := p.Selected()
	p.sort, p.desc = col, desc
	p.resort()
	if ok {
		p.cursorTo(sel.Index)
	}
}

// Sort returns the sort column and order.
func (p *Requests) Sort() (RequestSort, bool) { return p.sort, p.desc }

// Slowest sorts by end-to-end latency, slowest first, and puts the cursor on the slowest.
func (p *Requests) Slowest() {
	p.sort, p.desc = SortE2E, true
	p.resort()
	p.cursor = 0
}

func (p *Requests) cursorTo(index int) {
	for i := range p.rows {
		if p.rows[i].Index == index {
			p.cursor = i
			return
		}
	}
}

// key is a row's value in the sort column; NaN sorts last.
func (p *Requests) key(r *RequestRow) float64 {
	switch p.sort {
	case SortTTFT:
		return r.TTFT
	case SortTPOT:
		return r.TPOT
	case SortE2E:
		return r.E2E
	case SortISL:
		return float64(r.ISL)
	case SortOSL:
		return float64(r.OSL)
	case SortStatus:
		switch r.Status {
		case "failed":
			return 0
		case "canceled":
			return 1
		}
		return 2
	}
	return r.StartMS
}

func (p *Requests) resort() {
	slices.SortStableFunc(p.rows, func(a, b RequestRow) int {
		ka, kb := p.key(&a), p.key(&b)
		switch na, nb := math.IsNaN(ka), math.IsNaN(kb); {
		case na && nb:
			return cmp.Compare(a.Index, b.Index)
		case na:
			return 1
		case nb:
			return -1
		}
		c := cmp.Compare(ka, kb)
		if p.desc {
			c = -c
		}
		if c == 0 {
			return cmp.Compare(a.Index, b.Index)
		}
		return c
	})
}

// MoveCursor moves the cursor by delta rows, staying in range.
func (p *Requests) MoveCursor(delta int) {
	p.cursor = clamp(p.cursor+delta, 0, max(len(p.rows)-1, 0))
}

// Selected returns the request under the cursor.
func (p *Requests) Selected() (RequestRow, bool) {
	if p.cursor < 0 || p.cursor >= len(p.rows) {
		return RequestRow{}, false
	}
	return p.rows[p.cursor], true
}

// SetDetail gives the selected request's token gaps: at times t (ms since its first token)
// the gap to the previous token (ms). index is the request's Index.
func (p *Requests) SetDetail(index int, t, gaps []float64) {
	p.detailFor, p.detailT, p.detailGaps = index, t, gaps
}

// DetailFor is the Index the token detail belongs to, -1 for none.
func (p *Requests) DetailFor() int { return p.detailFor }

// Summary is the one-line form.
func (p *Requests) Summary(width int) string {
	st := p.st
	var l lineBuf
	parts := []part{{[]span{{"requests " + p.Run, st.Title}}, 0}, {[]span{{itoa(len(p.rows)) + " requests", st.Value}}, 1}}
	if r, ok := p.Selected(); ok {
		parts = append(parts, part{[]span{{"#" + itoa(r.Index) + " E2E ", st.Label}, {ms(r.E2E), st.Value}}, 2})
	}
	fitParts(&l, parts, span{" · ", st.Subtle}, width)
	return string(l.b)
}

// requestColumn is one column of the table.
type requestColumn struct {
	title string
	w     int
	sort  RequestSort
	cell  func(*RequestRow) string
}

var requestColumns = []requestColumn{
	{"#", 6, -1, func(r *RequestRow) string { return itoa(r.Index) }},
	{"status", 8, SortStatus, func(r *RequestRow) string { return r.Status }},
	{"ISL", 6, SortISL, func(r *RequestRow) string { return itoa(r.ISL) }},
	{"OSL", 6, SortOSL, func(r *RequestRow) string { return itoa(r.OSL) }},
	{"start s", 8, SortStart, func(r *RequestRow) string { return secsMS(r.StartMS) }},
	{"TTFT", 8, SortTTFT, func(r *RequestRow) string { return ms(r.TTFT) }},
	{"TPOT", 7, SortTPOT, func(r *RequestRow) string { return ms(r.TPOT) }},
	{"E2E", 8, SortE2E, func(r *RequestRow) string { return ms(r.E2E) }},
}

// secsMS formats a time in ms as seconds with two decimals.
func secsMS(v float64) string {
	if math.IsNaN(v) {
		return "n/a"
	}
	return strconv.FormatFloat(v/1000, 'f', 2, 64)
}

// Render draws the view in exactly width x height cells: the table with its timeline
// column, then (with room) the selected request's token gaps.
func (p *Requests) Render(width, height int) string {
	if s, ok := small(width, height, p.Summary); ok {
		return s
	}
	st := p.st
	iw, ih := inner(width, height)
	arrow := "↑"
	if p.desc {
		arrow = "↓"
	}
	b := box{st: st, focused: p.focused,
		title: []span{{"Requests ", st.Title}, {p.Run, st.Accent}},
		note:  []span{{"sorted by " + p.sort.String() + " " + arrow, st.Muted}},
	}
	if len(p.rows) > 0 {
		b.footer = []span{{itoa(p.cursor+1) + "/" + itoa(len(p.rows)), st.Muted}}
	}
	if len(p.rows) == 0 {
		return b.message(width, height, "no request has ended yet")
	}
	detailH := 0
	if ih >= 14 {
		detailH = clamp(ih/4, 4, 8)
	}
	tableH := ih - detailH
	body := make([]string, 0, ih)

	// Columns that fit, then the timeline takes the rest.
	var cols []requestColumn
	used := 2
	for _, c := range requestColumns {
		if used+c.w+1 > iw-12 && len(cols) >= 3 {
			break
		}
		cols = append(cols, c)
		used += c.w + 1
	}
	barW := iw - used - 1
	var l lineBuf
	l.pad(2)
	for _, c := range cols {
		title := c.title
		if c.sort == p.sort {
			title += arrow
		}
		l.ink(st.TableHeader, align(title, c.w, true))
		l.pad(1)
	}
	if barW >= 8 {
		l.pad(1)
		l.ink(st.TableHeader, truncate("timeline: ", barW))
		l.ink(st.Muted, truncate("░queue ▒prefill █decode", max(barW-10, 0)))
	}
	body = append(body, l.fit(iw))

	visible := max(tableH-1, 1)
	start := clamp(p.cursor-visible/2, 0, max(len(p.rows)-visible, 0))
	end := min(start+visible, len(p.rows))
	for i := start; i < end; i++ {
		r := &p.rows[i]
		l.reset()
		sel := i == p.cursor
		if sel {
			l.ink(st.Accent, "▸ ")
		} else {
			l.pad(2)
		}
		var row lineBuf
		for _, c := range cols {
			text := align(truncate(c.cell(r), c.w), c.w, true)
			switch {
			case c.sort == SortStatus && r.Status != "ok":
				row.ink(statusInk(st, r.Status), text)
			case sel:
				row.ink(st.Value, text)
			default:
				row.ink(st.Text, text)
			}
			row.pad(1)
		}
		l.raw(string(row.b), row.w)
		if barW >= 8 {
			l.pad(1)
			p.bar(&l, r, barW)
		}
		body = append(body, l.fit(iw))
	}
	for len(body) < tableH {
		body = append(body, spaces(iw))
	}
	if detailH > 0 {
		body = append(body, p.detail(iw, detailH)...)
	}
	return b.render(width, height, body)
}

func statusInk(st *themes.Styles, status string) themes.Ink {
	switch status {
	case "failed":
		return st.Bad
	case "canceled":
		return st.Warn
	}
	return st.Good
}

// bar draws a request's timeline in w cells on the run's time scale: spaces before its
// start, ░ queued, ▒ prefill, █ decode; the three also differ in colour.
func (p *Requests) bar(l *lineBuf, r *RequestRow, w int) {
	st := p.st
	if p.span <= 0 || math.IsNaN(r.StartMS) {
		l.pad(w)
		return
	}
	col := func(t float64) int {
		if math.IsNaN(t) {
			return -1
		}
		return clamp(int(math.Round(t/p.span*float64(w))), 0, w)
	}
	s, a, f, e := col(r.StartMS), col(r.AdmitMS), col(r.FirstMS), col(r.EndMS)
	if e < 0 {
		e = w
	}
	if a < 0 {
		a = e
	}
	if f < 0 {
		f = e
	}
	a, f = clamp(a, s, e), clamp(f, max(a, s), e)
	if e == s {
		e = min(s+1, w) // every request shows at least one cell
	}
	l.pad(s)
	l.ink(st.Warn, repeat("░", a-s))
	l.ink(st.Accent, repeat("▒", f-a))
	l.ink(statusInk(st, r.Status), repeat("█", e-f))
	l.pad(w - max(e, f))
}

// detail is the selected request's token gaps over its decode time, with its figures.
func (p *Requests) detail(iw, h int) []string {
	st := p.st
	out := make([]string, 0, h)
	var l lineBuf
	l.ink(st.Subtle, repeat("─", iw))
	out = append(out, l.fit(iw))
	r, ok := p.Selected()
	l.reset()
	if !ok {
		return out
	}
	fitParts(&l, []part{
		{[]span{{"request #" + itoa(r.Index), st.Title}}, 0},
		{[]span{{"queue ", st.Label}, {ms(r.AdmitMS - r.StartMS), st.Value}}, 1},
		{[]span{{"prefill ", st.Label}, {ms(r.FirstMS - r.AdmitMS), st.Value}}, 1},
		{[]span{{"decode ", st.Label}, {ms(r.EndMS - r.FirstMS), st.Value}}, 2},
		{[]span{{"ms", st.Muted}}, 3},
		{[]span{{r.Error, st.Bad}}, 4},
	}, span{"  ", st.Text}, iw)
	out = append(out, l.fit(iw))
	gaps := p.detailGaps
	if p.detailFor != r.Index || len(gaps) == 0 {
		l.reset()
		l.ink(st.Muted, truncate("no token gaps (fewer than two tokens)", iw))
		return append(out, l.fit(iw))
	}
	hi, sum := 0.0, 0.0
	for _, g := range gaps {
		hi, sum = math.Max(hi, g), sum+g
	}
	label := "gaps ms "
	tail := " max " + ms(hi) + " mean " + ms(sum/float64(len(gaps)))
	rows := h - len(out)
	sw := iw - len(label) - textWidth(tail)
	if sw < 8 || rows < 1 {
		return out
	}
	// One cell per slice of the decode time: the largest gap in it, so stalls show; with
	// fewer gaps than cells, each gap spans the cells of its own time slice.
	cells := make([]float64, sw)
	for i := range cells {
		cells[i] = math.NaN()
	}
	t0, t1 := 0.0, 1.0
	if n := len(p.detailT); n > 0 {
		t0, t1 = p.detailT[0], math.Max(p.detailT[n-1], p.detailT[0]+1e-9)
	}
	col := func(i int) int {
		if i < len(p.detailT) {
			return clamp(int((p.detailT[i]-t0)/(t1-t0)*float64(sw-1)), 0, sw-1)
		}
		return clamp(i*sw/len(gaps), 0, sw-1)
	}
	for i, g := range gaps {
		c := col(i)
		if math.IsNaN(cells[c]) || g > cells[c] {
			cells[c] = g
		}
	}
	for i := 1; i < sw; i++ {
		if math.IsNaN(cells[i]) {
			cells[i] = cells[i-1]
		}
	}
	spark := SparklineRows(cells, sw, rows, 0, hi)
	for i, s := range spark {
		l.reset()
		if i == 0 {
			l.ink(st.Label, label)
		} else {
			l.pad(len(label))
		}
		l.ink(st.SeriesStyle(0), s)
		if i == len(spark)-1 {
			l.ink(st.Muted, tail)
		}
		out = append(out, l.fit(iw))
	}
	return out
}
