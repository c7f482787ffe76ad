package tui

import "github.com/benchtui/benchtui/tui/panel"

// Breakpoints of the layout. layout is a pure function of the terminal size; these name
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

// panelID names a panel in the layout.
type panelID int

// The panels. Compare and Help never appear in the normal layout; the root shows them
// with layoutMaximized.
const (
	panelHeader panelID = iota
	panelThroughput
	panelLatency
	panelProgress
	panelEngine
	panelDevices
	panelHistory
	panelHints
	panelCompare
	panelHelp
	numPanels
)

var panelNames = [numPanels]string{"header", "throughput", "latency", "progress", "engine", "devices", "history", "hints", "compare", "help"}

func (id panelID) String() string {
	if id < 0 || id >= numPanels {
		return "unknown"
	}
	return panelNames[id]
}

// layoutMode is the arrangement layout chose.
type layoutMode int

// layout modes, from smallest to largest, plus maximized.
const (
	modeTiny layoutMode = iota
	modeCompact
	modeMedium
	modeWide
	modeMaximized
)

var modeNames = [...]string{"tiny", "compact", "medium", "wide", "maximized"}

func (m layoutMode) String() string {
	if m < 0 || int(m) >= len(modeNames) {
		return "unknown"
	}
	return modeNames[m]
}

// placement is the result of layout: where each panel goes.
type placement struct {
	Mode          layoutMode
	Width, Height int
	rects         [numPanels]panel.Rect
}

// Of returns the rect of a panel; the zero Rect when it is not shown.
func (r placement) Of(id panelID) panel.Rect {
	if id < 0 || id >= numPanels {
		return panel.Rect{}
	}
	return r.rects[id]
}

// Shown reports whether a panel has a place.
func (r placement) Shown(id panelID) bool { return !r.Of(id).Empty() }

// Visible lists the panels that have a place, in panelID order.
func (r placement) Visible() []panelID {
	var ids []panelID
	for id := panelID(0); id < numPanels; id++ {
		if !r.rects[id].Empty() {
			ids = append(ids, id)
		}
	}
	return ids
}

func (r *placement) set(id panelID, x, y, w, h int) {
	if w > 0 && h > 0 {
		r.rects[id] = panel.Rect{X: x, Y: y, W: w, H: h}
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
func frameBands(r *placement, width, height int) (y0, bh int) {
	hh := min(headerHeight(height), height)
	r.set(panelHeader, 0, 0, width, hh)
	hints := 0
	if height-hh >= 3 {
		hints = 1
		r.set(panelHints, 0, height-1, width, 1)
	}
	return hh, height - hh - hints
}

// layout places the panels for a terminal of width x height cells. It is a pure
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
func layout(width, height int) placement {
	r := placement{Width: width, Height: height}
	if width <= 0 || height <= 0 {
		return r
	}
	y, bh := frameBands(&r, width, height)
	switch {
	case height < tinyHeight:
		r.Mode = modeTiny
		layoutTiny(&r, width, y, bh)
	case width < compactWidth:
		r.Mode = modeCompact
		layoutCompact(&r, width, height, y, bh)
	case width < wideWidth:
		r.Mode = modeMedium
		layoutMedium(&r, width, height, y, bh)
	default:
		r.Mode = modeWide
		layoutWide(&r, width, height, y, bh)
	}
	return r
}

// layoutMaximized gives one panel the whole body, keeping the header and hints.
func layoutMaximized(width, height int, id panelID) placement {
	r := placement{Width: width, Height: height, Mode: modeMaximized}
	if width <= 0 || height <= 0 || id < 0 || id >= numPanels {
		return r
	}
	y, bh := frameBands(&r, width, height)
	if id != panelHeader && id != panelHints {
		r.set(id, 0, y, width, bh)
	}
	return r
}

func layoutTiny(r *placement, width, y, bh int) {
	order := []panelID{panelProgress, panelThroughput, panelEngine, panelDevices, panelLatency}
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

func layoutCompact(r *placement, width, height, y, bh int) {
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
			histH = clampInt(rest/4, 6, 12)
		}
	}
	thrH := rest - latH - histH
	if thrH < 3 {
		// Very little room: shrink the system row before dropping the chart.
		thrH = max(rest, 0)
		latH, histH = 0, 0
	}
	r.set(panelThroughput, 0, y, width, thrH)
	y += thrH
	r.set(panelLatency, 0, y, width, latH)
	y += latH
	r.set(panelProgress, 0, y, width, progH)
	y += progH
	sysH = min(sysH, bh-thrH-latH-histH-progH)
	if stacked {
		r.set(panelEngine, 0, y, width, sysH)
		y += sysH
		r.set(panelDevices, 0, y, width, sysH)
		y += sysH
	} else {
		left := width / 2
		r.set(panelEngine, 0, y, left, sysH)
		r.set(panelDevices, left, y, width-left, sysH)
		y += max(sysH, 0)
	}
	r.set(panelHistory, 0, y, width, histH)
}

func layoutMedium(r *placement, width, height, y, bh int) {
	histH := 0
	if height >= shortHeight {
		histH = clampInt(bh/4, 6, 14)
	}
	topH := bh - histH
	left := width * 58 / 100
	right := width - left
	thrH := topH * 55 / 100
	r.set(panelThroughput, 0, y, left, thrH)
	r.set(panelLatency, 0, y+thrH, left, topH-thrH)
	engH := clampInt((topH-5)/2, 6, 10)
	r.stack(left, y, right, topH, []panelID{panelProgress, panelEngine, panelDevices}, []int{5, engH, 0})
	r.set(panelHistory, 0, y+topH, width, histH)
}

func layoutWide(r *placement, width, height, y, bh int) {
	c1 := width * 40 / 100
	c2 := width * 30 / 100
	c3 := width - c1 - c2
	histH := 0
	if height >= shortHeight {
		histH = clampInt(bh*30/100, 6, 18)
	}
	topH := bh - histH
	r.set(panelThroughput, 0, y, c1, topH)
	r.set(panelLatency, c1, y, c2, topH)
	r.set(panelHistory, 0, y+topH, c1+c2, histH)
	engH := clampInt((bh-5)/3, 6, 10)
	r.stack(c1+c2, y, c3, bh, []panelID{panelProgress, panelEngine, panelDevices}, []int{5, engH, 0})
}

// stack places panels top to bottom in a column of the given height: each gets its
// wanted height while room remains, the last one gets the rest (want 0 means "the
// rest"); panels that find no room are not shown.
func (r *placement) stack(x, y, w, total int, ids []panelID, want []int) {
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

// renderFrame renders every visible panel of a layout with render (called with the
// panel's id and size) and composes the frame. The root's View is expected to be little
// more than this call with a switch over its panels.
func renderFrame(r placement, render func(id panelID, width, height int) string) string {
	parts := make([]panel.Placed, 0, numPanels)
	for _, id := range r.Visible() {
		rect := r.Of(id)
		parts = append(parts, panel.Placed{Rect: rect, Content: render(id, rect.W, rect.H)})
	}
	return panel.Compose(r.Width, r.Height, parts)
}
