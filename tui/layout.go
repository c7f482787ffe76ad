package tui

import "github.com/benchtui/benchtui/tui/panel"

// Breakpoints of the layout. layout is a pure function of the terminal size and two
// choices of the user (the chart in the shared slot, the hint lines); these name the sizes
// at which the arrangement changes.
const (
	// compactWidth: narrower terminals get a single column with one chart slot (g
	// switches its chart: throughput, latency over time, histogram).
	compactWidth = 100
	// wideWidth: terminals at least this wide get three columns and show every chart.
	wideWidth = 160
	// shortHeight: shorter terminals show the history as a one-line summary and use a
	// two-line header.
	shortHeight = 30
	// tinyHeight: shorter terminals get one-line panel summaries.
	tinyHeight = 12
	// tallCompactHeight: a single column this tall shows the history table.
	tallCompactHeight = 45
	// tallHeight: a wide terminal this tall also shows the requests table of the run.
	tallHeight = 50
)

// panelID names a panel in the layout.
type panelID int

// The panels. Compare, sweep, help and the full requests view fill the body; the root
// shows them with layoutMaximized.
const (
	panelHeader panelID = iota
	panelResult
	panelThroughput
	panelTrend
	panelLatency
	panelProgress
	panelEngine
	panelDevices
	panelHistory
	panelRequests
	panelHints
	panelCompare
	panelSweep
	panelHelp
	numPanels
)

var panelNames = [numPanels]string{"header", "result", "throughput", "trend", "latency", "progress", "engine", "devices",
	"history", "requests", "hints", "compare", "sweep", "help"}

func (id panelID) String() string {
	if id < 0 || id >= numPanels {
		return "unknown"
	}
	return panelNames[id]
}

// focusOrder is the order tab visits the panels in (only those on screen).
var focusOrder = []panelID{panelThroughput, panelTrend, panelLatency, panelProgress, panelEngine, panelDevices, panelHistory, panelRequests}

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

// layoutOpts are the user's choices the layout depends on.
type layoutOpts struct {
	// chart is the chart of the shared slot: panelThroughput, panelTrend or panelLatency.
	chart panelID
	// hintsH is the hint band's height (more than one line when a status is wrapped).
	hintsH int
	// stripH is the result strip's height: 2, or 3 when a baseline's name and workload
	// note need a line of their own; tiny terminals get 1 whatever it says.
	stripH int
	// engineH and devicesH are the heights the engine and devices panels' content asks for
	// (their lines and the frame): they get no more, so that the room goes to the charts.
	// Zero asks for the panels' usual heights.
	engineH, devicesH int
}

// Heights the layout gives panels.
const (
	// progressH is the progress panel's height in the side column.
	progressH = 5
	// minHistH is the least the latency histogram gets when it shares the side column.
	minHistH = 8
)

// wants are the engine's and devices' heights: what they ask for, within [lo, hi].
func (o layoutOpts) wants(lo, hi int) (eng, dev int) {
	eng, dev = o.engineH, o.devicesH
	if eng <= 0 {
		eng = 6
	}
	if dev <= 0 {
		dev = 6
	}
	return clampInt(eng, lo, hi), clampInt(dev, lo, max(hi, 4))
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

// frameBands splits off the header, the result strip and the hint band and returns the
// body band. The strip is there at every size.
func frameBands(r *placement, width, height int, o layoutOpts) (y0, bh int) {
	hintsH := o.hintsH
	hh := min(headerHeight(height), height)
	r.set(panelHeader, 0, 0, width, hh)
	sh := clampInt(o.stripH, 2, 3)
	if height < tinyHeight {
		sh = 1
	}
	sh = min(sh, height-hh)
	r.set(panelResult, 0, hh, width, sh)
	top := hh + max(sh, 0)
	hints := 0
	if height-top >= 3 {
		hints = clampInt(hintsH, 1, max(height-top-2, 1))
		r.set(panelHints, 0, height-hints, width, hints)
	}
	return top, max(height-top-hints, 0)
}

// layout places the panels for a terminal of width x height cells. It is a pure
// function; the root calls it for every frame.
//
//   - tiny (height < tinyHeight): one line per panel, most important first;
//   - compact (width < compactWidth): one column: the chart slot (g switches it),
//     progress, engine and devices side by side, the history as one line (a table from
//     tallCompactHeight);
//   - medium: throughput over the latency slot (over time, or the histogram with g) on
//     the left; progress, engine and devices on the right, each as tall as its content,
//     and the histogram under them when there is room (the slot then holds the latency
//     over time); the history across the bottom from shortHeight (a line below it);
//   - wide (width >= wideWidth): throughput over latency over time on the left, wide;
//     progress, engine, the histogram and devices on the right; the history below, and
//     from tallHeight the run's requests beside it.
func layout(width, height int, o layoutOpts) placement {
	r := placement{Width: width, Height: height}
	if width <= 0 || height <= 0 {
		return r
	}
	y, bh := frameBands(&r, width, height, o)
	switch {
	case height < tinyHeight:
		r.Mode = modeTiny
		layoutTiny(&r, width, y, bh)
	case width < compactWidth:
		r.Mode = modeCompact
		layoutCompact(&r, width, height, y, bh, o)
	case width < wideWidth:
		r.Mode = modeMedium
		layoutMedium(&r, width, height, y, bh, o)
	default:
		r.Mode = modeWide
		layoutWide(&r, width, height, y, bh, o)
	}
	return r
}

// layoutMaximized gives one panel the whole body, keeping the header, the strip and hints.
func layoutMaximized(width, height int, id panelID, o layoutOpts) placement {
	r := placement{Width: width, Height: height, Mode: modeMaximized}
	if width <= 0 || height <= 0 || id < 0 || id >= numPanels {
		return r
	}
	y, bh := frameBands(&r, width, height, o)
	if id != panelHeader && id != panelHints && id != panelResult {
		r.set(id, 0, y, width, bh)
	}
	return r
}

func layoutTiny(r *placement, width, y, bh int) {
	order := []panelID{panelProgress, panelThroughput, panelTrend, panelEngine, panelLatency, panelDevices, panelHistory}
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

func layoutCompact(r *placement, width, height, y, bh int, o layoutOpts) {
	progH := 4
	if bh >= 24 {
		progH = 5
	}
	eng, dev := o.wants(4, 8)
	sysH := max(6, min(eng, dev+2))
	stacked := width < 60 && bh >= progH+eng+dev+6
	sysTotal := sysH
	if stacked {
		sysTotal = eng + dev
	}
	histH := 1 // a one-line summary
	if height >= tallCompactHeight {
		histH = clampInt((bh-progH-sysTotal)/4, 6, 12)
	}
	chartH := bh - progH - sysTotal - histH
	if chartH < 3 {
		// Very little room: the chart slot first, then the others as they fit.
		chartH = max(bh-progH-histH, 0)
		sysH, sysTotal = 0, 0
	}
	chart := o.chart
	if chart != panelTrend && chart != panelLatency {
		chart = panelThroughput
	}
	r.set(chart, 0, y, width, chartH)
	y += chartH
	r.set(panelProgress, 0, y, width, progH)
	y += progH
	if sysTotal > 0 {
		if stacked {
			r.set(panelEngine, 0, y, width, eng)
			y += eng
			r.set(panelDevices, 0, y, width, dev)
			y += dev
		} else {
			left := width / 2
			r.set(panelEngine, 0, y, left, sysH)
			r.set(panelDevices, left, y, width-left, sysH)
			y += sysH
		}
	}
	r.set(panelHistory, 0, y, width, histH)
}

func layoutMedium(r *placement, width, height, y, bh int, o layoutOpts) {
	histH := 1
	if height >= shortHeight {
		histH = clampInt(bh/4, 6, 14)
	}
	topH := bh - histH
	left := width * 58 / 100
	right := width - left
	thrH := topH / 2
	eng, dev := o.wants(4, max((topH-progressH)/2, 4))
	side := topH - progressH - eng - dev
	slot := panelTrend
	switch {
	case side >= minHistH-1:
		// The histogram fits under the side panels: every chart is on screen.
		r.stack(left, y, right, topH, []panelID{panelProgress, panelEngine, panelDevices, panelLatency}, []int{progressH, eng, dev, 0})
	default:
		if o.chart == panelLatency {
			slot = panelLatency
		}
		// No histogram in the column: the engine may take what the devices leave.
		eng, _ = o.wants(4, max(topH-progressH-dev, 4))
		r.stack(left, y, right, topH, []panelID{panelProgress, panelEngine, panelDevices}, []int{progressH, eng, 0})
	}
	r.set(panelThroughput, 0, y, left, thrH)
	r.set(slot, 0, y+thrH, left, topH-thrH)
	r.set(panelHistory, 0, y+topH, width, histH)
}

func layoutWide(r *placement, width, height, y, bh int, o layoutOpts) {
	left := width * 62 / 100
	right := width - left
	histH := 1
	if height >= shortHeight {
		histH = clampInt(bh*30/100, 6, 18)
	}
	topH := bh - histH
	thrH := topH / 2
	r.set(panelThroughput, 0, y, left, thrH)
	r.set(panelTrend, 0, y+thrH, left, topH-thrH)
	// The side column: progress, the engine and the devices as tall as their content, the
	// histogram in what is left (at least minHistH: the devices give way first).
	eng, dev := o.wants(4, max(topH-progressH-minHistH, 4))
	dev = min(dev, max(topH-progressH-eng-minHistH, 4))
	r.stack(left, y, right, topH, []panelID{panelProgress, panelEngine, panelLatency, panelDevices},
		[]int{progressH, eng, max(topH-progressH-eng-dev, 3), 0})
	if height >= tallHeight && histH >= 6 {
		hw := width * 45 / 100
		r.set(panelHistory, 0, y+topH, hw, histH)
		r.set(panelRequests, hw, y+topH, width-hw, histH)
	} else {
		r.set(panelHistory, 0, y+topH, width, histH)
	}
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
// panel's id and size) and composes the frame. The root's render is little more than this
// call with a switch over its panels.
func renderFrame(r placement, render func(id panelID, width, height int) string) string {
	parts := make([]panel.Placed, 0, numPanels)
	for _, id := range r.Visible() {
		rect := r.Of(id)
		parts = append(parts, panel.Placed{Rect: rect, Content: render(id, rect.W, rect.H)})
	}
	return panel.Compose(r.Width, r.Height, parts)
}
