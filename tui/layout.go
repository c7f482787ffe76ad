package tui

import (
	"slices"
	"strings"
)

// Breakpoints of the layout. Layout is a pure function of the terminal size; these name
// the sizes at which the arrangement changes.
const (
	// compactWidth: narrower terminals get a single column.
	compactWidth = 100
	// wideWidth: terminals at least this wide get three columns.
	wideWidth = 160
	// shortHeight: shorter terminals hide the history table (and, in one column, the
	// latency histogram) and use a two-line header.
	shortHeight = 30
	// tinyHeight: shorter terminals get a one-line header and one-line panel summaries.
	tinyHeight = 12
	// tallCompactHeight: a single column this tall also shows the history.
	tallCompactHeight = 45
)

// PanelID names a panel in the layout.
type PanelID int

// The panels. Compare and Help never appear in the normal layout; the root shows them
// with LayoutMaximized.
const (
	PanelHeader PanelID = iota
	PanelThroughput
	PanelLatency
	PanelProgress
	PanelEngine
	PanelDevices
	PanelHistory
	PanelHints
	PanelCompare
	PanelHelp
	numPanels
)

var panelNames = [numPanels]string{"header", "throughput", "latency", "progress", "engine", "devices", "history", "hints", "compare", "help"}

func (id PanelID) String() string {
	if id < 0 || id >= numPanels {
		return "unknown"
	}
	return panelNames[id]
}

// Mode is the arrangement Layout chose.
type Mode int

// Layout modes, from smallest to largest, plus maximized.
const (
	ModeTiny Mode = iota
	ModeCompact
	ModeMedium
	ModeWide
	ModeMaximized
)

var modeNames = [...]string{"tiny", "compact", "medium", "wide", "maximized"}

func (m Mode) String() string {
	if m < 0 || int(m) >= len(modeNames) {
		return "unknown"
	}
	return modeNames[m]
}

// Rect is a panel's place on screen, in cells; the zero Rect means "not shown".
type Rect struct {
	X, Y, W, H int
}

// Empty reports whether the rect shows nothing.
func (r Rect) Empty() bool { return r.W <= 0 || r.H <= 0 }

// Rects is the result of Layout: where each panel goes.
type Rects struct {
	Mode          Mode
	Width, Height int
	rects         [numPanels]Rect
}

// Of returns the rect of a panel; the zero Rect when it is not shown.
func (r Rects) Of(id PanelID) Rect {
	if id < 0 || id >= numPanels {
		return Rect{}
	}
	return r.rects[id]
}

// Shown reports whether a panel has a place.
func (r Rects) Shown(id PanelID) bool { return !r.Of(id).Empty() }

// Visible lists the panels that have a place, in PanelID order.
func (r Rects) Visible() []PanelID {
	var ids []PanelID
	for id := PanelID(0); id < numPanels; id++ {
		if !r.rects[id].Empty() {
			ids = append(ids, id)
		}
	}
	return ids
}

func (r *Rects) set(id PanelID, x, y, w, h int) {
	if w > 0 && h > 0 {
		r.rects[id] = Rect{x, y, w, h}
	}
}

// headerHeight is the header's share of the height.
func headerHeight(height int) int {
	switch {
	case height < tinyHeight:
		return 1
	case height < shortHeight:
		return 2
	}
	return 3
}

// frameBands splits off the header and the hint line and returns the body band.
func frameBands(r *Rects, width, height int) (y0, bh int) {
	hh := min(headerHeight(height), height)
	r.set(PanelHeader, 0, 0, width, hh)
	hints := 0
	if height-hh >= 3 {
		hints = 1
		r.set(PanelHints, 0, height-1, width, 1)
	}
	return hh, height - hh - hints
}

// Layout places the panels for a terminal of width x height cells. It is a pure
// function; the root calls it on every tea.WindowSizeMsg.
//
//   - tiny (height < tinyHeight): one-line header, one line per panel, most important
//     first (progress, throughput, engine, devices, latency);
//   - compact (width < compactWidth): one column: header, throughput, progress,
//     engine and devices side by side, hints; latency joins at shortHeight and the
//     history at tallCompactHeight;
//   - medium: throughput over latency on the left, progress, engine and devices on
//     the right, history across the bottom when height >= shortHeight;
//   - wide (width >= wideWidth): throughput, latency and a right column of progress,
//     engine and devices; history under throughput and latency.
func Layout(width, height int) Rects {
	r := Rects{Width: width, Height: height}
	if width <= 0 || height <= 0 {
		return r
	}
	y, bh := frameBands(&r, width, height)
	switch {
	case height < tinyHeight:
		r.Mode = ModeTiny
		layoutTiny(&r, width, y, bh)
	case width < compactWidth:
		r.Mode = ModeCompact
		layoutCompact(&r, width, height, y, bh)
	case width < wideWidth:
		r.Mode = ModeMedium
		layoutMedium(&r, width, height, y, bh)
	default:
		r.Mode = ModeWide
		layoutWide(&r, width, height, y, bh)
	}
	return r
}

// LayoutMaximized gives one panel the whole body, keeping the header and hints.
func LayoutMaximized(width, height int, id PanelID) Rects {
	r := Rects{Width: width, Height: height, Mode: ModeMaximized}
	if width <= 0 || height <= 0 || id < 0 || id >= numPanels {
		return r
	}
	y, bh := frameBands(&r, width, height)
	if id != PanelHeader && id != PanelHints {
		r.set(id, 0, y, width, bh)
	}
	return r
}

func layoutTiny(r *Rects, width, y, bh int) {
	order := []PanelID{PanelProgress, PanelThroughput, PanelEngine, PanelDevices, PanelLatency}
	n := min(len(order), bh)
	if n <= 0 {
		return
	}
	// One line each; spare lines go to progress, which then shows its bar.
	extra := bh - n
	for i, id := range order[:n] {
		h := 1
		if i == 0 {
			h += extra
		}
		r.set(id, 0, y, width, h)
		y += h
	}
}

func layoutCompact(r *Rects, width, height, y, bh int) {
	progH := 4
	if bh >= 24 {
		progH = 5
	}
	sysH := 6
	stacked := width < 60 && bh >= progH+2*sysH+6
	sysTotal := sysH
	if stacked {
		sysTotal = 2 * sysH
	}
	rest := bh - progH - sysTotal
	latH, histH := 0, 0
	if height >= shortHeight && rest >= 16 {
		latH = max(rest*2/5, 7)
		if height >= tallCompactHeight {
			histH = clamp(rest/4, 6, 12)
		}
	}
	thrH := rest - latH - histH
	if thrH < 3 {
		// Very little room: shrink the system row before dropping the chart.
		thrH = max(rest, 0)
		latH, histH = 0, 0
	}
	r.set(PanelThroughput, 0, y, width, thrH)
	y += thrH
	r.set(PanelLatency, 0, y, width, latH)
	y += latH
	r.set(PanelProgress, 0, y, width, progH)
	y += progH
	sysH = min(sysH, bh-thrH-latH-histH-progH)
	if stacked {
		r.set(PanelEngine, 0, y, width, sysH)
		y += sysH
		r.set(PanelDevices, 0, y, width, sysH)
		y += sysH
	} else {
		left := width / 2
		r.set(PanelEngine, 0, y, left, sysH)
		r.set(PanelDevices, left, y, width-left, sysH)
		y += max(sysH, 0)
	}
	r.set(PanelHistory, 0, y, width, histH)
}

func layoutMedium(r *Rects, width, height, y, bh int) {
	histH := 0
	if height >= shortHeight {
		histH = clamp(bh/4, 6, 14)
	}
	topH := bh - histH
	left := width * 58 / 100
	right := width - left
	thrH := topH * 55 / 100
	r.set(PanelThroughput, 0, y, left, thrH)
	r.set(PanelLatency, 0, y+thrH, left, topH-thrH)
	engH := clamp((topH-5)/2, 6, 10)
	r.stack(left, y, right, topH, []PanelID{PanelProgress, PanelEngine, PanelDevices}, []int{5, engH, 0})
	r.set(PanelHistory, 0, y+topH, width, histH)
}

func layoutWide(r *Rects, width, height, y, bh int) {
	c1 := width * 40 / 100
	c2 := width * 30 / 100
	c3 := width - c1 - c2
	histH := 0
	if height >= shortHeight {
		histH = clamp(bh*30/100, 6, 18)
	}
	topH := bh - histH
	r.set(PanelThroughput, 0, y, c1, topH)
	r.set(PanelLatency, c1, y, c2, topH)
	r.set(PanelHistory, 0, y+topH, c1+c2, histH)
	engH := clamp((bh-5)/3, 6, 10)
	r.stack(c1+c2, y, c3, bh, []PanelID{PanelProgress, PanelEngine, PanelDevices}, []int{5, engH, 0})
}

// stack places panels top to bottom in a column of the given height: each gets its
// wanted height while room remains, the last one gets the rest (want 0 means "the
// rest"); panels that find no room are not shown.
func (r *Rects) stack(x, y, w, total int, ids []PanelID, want []int) {
	for i, id := range ids {
		h := want[i]
		if i == len(ids)-1 || h <= 0 || h > total {
			h = total
		}
		r.set(id, x, y, w, h)
		y += max(h, 0)
		total -= max(h, 0)
	}
}

// Placed is rendered panel content and where it goes.
type Placed struct {
	Rect    Rect
	Content string
}

// Compose joins rendered panels into one frame of exactly height lines, each exactly
// width cells: content is cut to its rect and to the frame, gaps are spaces, and parts
// overlapping an earlier part on the same line are skipped.
func Compose(width, height int, parts []Placed) string {
	if width <= 0 || height <= 0 {
		return ""
	}
	type item struct {
		r     Rect
		lines []string
	}
	items := make([]item, 0, len(parts))
	for _, p := range parts {
		if p.Rect.Empty() || p.Rect.X >= width || p.Rect.Y >= height || p.Rect.X < 0 || p.Rect.Y < 0 {
			continue
		}
		items = append(items, item{p.Rect, strings.Split(p.Content, "\n")})
	}
	slices.SortStableFunc(items, func(a, b item) int { return a.r.X - b.r.X })

	var sb strings.Builder
	sb.Grow(height * (width + 64))
	for y := 0; y < height; y++ {
		if y > 0 {
			sb.WriteByte('\n')
		}
		x := 0
		for _, it := range items {
			if y < it.r.Y || y >= it.r.Y+it.r.H || it.r.X < x {
				continue
			}
			sb.WriteString(spaces(it.r.X - x))
			w := min(it.r.W, width-it.r.X)
			line := ""
			if i := y - it.r.Y; i < len(it.lines) {
				line = it.lines[i]
			}
			sb.WriteString(fit(line, w))
			x = it.r.X + w
		}
		sb.WriteString(spaces(width - x))
	}
	return sb.String()
}

// RenderFrame renders every visible panel of a layout with render (called with the
// panel's id and size) and composes the frame. The root's View is expected to be little
// more than this call with a switch over its panels.
func RenderFrame(r Rects, render func(id PanelID, width, height int) string) string {
	parts := make([]Placed, 0, numPanels)
	for _, id := range r.Visible() {
		rect := r.Of(id)
		parts = append(parts, Placed{Rect: rect, Content: render(id, rect.W, rect.H)})
	}
	return Compose(r.Width, r.Height, parts)
}
