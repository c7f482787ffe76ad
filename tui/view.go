package tui

import (
	"os"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/benchtui/benchtui/themes"
	"github.com/benchtui/benchtui/tui/panel"
)

// programFPS caps how often Bubble Tea's renderer flushes. The model draws at most every
// frameEvery anyway; the renderer only needs to pick frames up without adding delay to a
// key press.
const programFPS = 20

// colorEnv is the environment the program detects colours from: without NO_COLOR when a
// colour theme was asked for by name, since an explicit --theme wins over NO_COLOR
// (no-color.org: user-level configuration overrides it). nil keeps the environment.
func colorEnv(theme string) []string {
	if theme == "" || theme == "mono" || !themes.NoColor() {
		return nil
	}
	var env []string
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "NO_COLOR=") {
			env = append(env, e)
		}
	}
	return env
}

func (m *model) setDark(dark bool) {
	if dark == m.dark {
		return
	}
	m.dark = dark
	if m.opts.Theme == "" {
		m.theme = themes.Default(dark, themes.NoColor())
	}
	m.setTheme(m.theme)
	m.status = ""
}

// setTheme rebuilds the styles in place: every panel holds the same pointer.
func (m *model) setTheme(name string) {
	p, ok := themes.ByName(name)
	if !ok {
		return
	}
	m.theme = name
	*m.st = *themes.Build(p, m.dark)
	m.status = "theme " + name
}

// View draws the frame for the current size (80x24 until the terminal said its size).
// Bubble Tea calls it after every message; the frame is drawn again only when something it
// shows changed (dirty), so a message that changes nothing on screen costs nothing.
func (m *model) View() tea.View {
	w, h := m.width, m.height
	if w <= 0 || h <= 0 {
		w, h = defaultWidth, defaultHeight
	}
	if m.dirty || w != m.frameW || h != m.frameH {
		m.frame, m.frameW, m.frameH = m.render(w, h), w, h
		m.dirty = false
		m.frames++
		m.lastRender = time.Now()
	}
	v := tea.NewView(m.frame)
	v.AltScreen = true
	v.WindowTitle = "benchtui"
	return v
}

// opts are the layout choices of the moment.
func (m *model) layoutOpts(w int) layoutOpts {
	m.hints.Status = m.status
	o := layoutOpts{chart: m.chart, hintsH: m.hints.Lines(w), stripH: 2}
	if m.base != nil && w < wideWidth {
		o.stripH = 3
	}
	return o
}

// placementFor is the layout for the current view at w x h.
func (m *model) placementFor(w, h int) placement {
	o := m.layoutOpts(w)
	switch {
	case m.view == viewHelp:
		return layoutMaximized(w, h, panelHelp, o)
	case m.view == viewCompare:
		return layoutMaximized(w, h, panelCompare, o)
	case m.view == viewSweep:
		return layoutMaximized(w, h, panelSweep, o)
	case m.view == viewRequests:
		return layoutMaximized(w, h, panelRequests, o)
	case m.maximized:
		if r := layout(w, h, o); r.Shown(m.focus) {
			return layoutMaximized(w, h, m.focus, o)
		}
	}
	return layout(w, h, o)
}

// focusable lists the focusable panels on screen now, in tab order.
func (m *model) focusable() []panelID {
	w, h := m.width, m.height
	if w <= 0 || h <= 0 {
		w, h = defaultWidth, defaultHeight
	}
	r := layout(w, h, m.layoutOpts(w))
	var ids []panelID
	for _, id := range focusOrder {
		if rc := r.Of(id); rc.H >= 3 {
			ids = append(ids, id)
		}
	}
	return ids
}

// allChartsShown reports whether the layout shows every chart at once (g has nothing to
// switch).
func (m *model) allChartsShown() bool {
	w, h := m.width, m.height
	if w <= 0 || h <= 0 {
		w, h = defaultWidth, defaultHeight
	}
	r := layout(w, h, m.layoutOpts(w))
	return r.Shown(panelThroughput) && r.Shown(panelTrend) && r.Shown(panelLatency)
}

// panels maps the layout's ids to the panels.
func (m *model) panelOf(id panelID) panel.Panel {
	switch id {
	case panelHeader:
		return m.header
	case panelResult:
		return m.result
	case panelThroughput:
		return m.throughput
	case panelTrend:
		return m.trend
	case panelLatency:
		return m.latency
	case panelProgress:
		return m.progress
	case panelEngine:
		return m.engine
	case panelDevices:
		return m.devices
	case panelHistory:
		return m.history
	case panelRequests:
		return m.requests
	case panelHints:
		return m.hints
	case panelCompare:
		return m.compare
	case panelSweep:
		return m.sweep
	case panelHelp:
		return m.help
	}
	return nil
}

// syncFocus keeps the focus on a panel that is on screen (a resize or g can take the
// focused one away) and tells the panels which one has it.
func (m *model) syncFocus() {
	vis := m.focusable()
	found := false
	for _, id := range vis {
		found = found || id == m.focus
	}
	if !found && len(vis) > 0 {
		m.focus = vis[0]
	}
	for _, id := range focusOrder {
		m.panelOf(id).SetFocused(id == m.focus && m.view == viewDashboard)
	}
}

// render draws the dashboard at w x h; View calls it, tests call it directly.
func (m *model) render(w, h int) string {
	r := m.placementFor(w, h)
	return renderFrame(r, func(id panelID, pw, ph int) string {
		if p := m.panelOf(id); p != nil {
			return p.Render(pw, ph)
		}
		return ""
	})
}
