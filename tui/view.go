package tui

import (
	tea "charm.land/bubbletea/v2"
	"github.com/benchtui/benchtui/themes"
)

func (m *Model) setDark(dark bool) {
	if dark == m.dark {
		return
	}
	m.dark = dark
	if m.opts.Theme == "" {
		m.theme = themes.Default(dark, themes.NoColor())
	}
	m.setTheme(m.theme)
}

// setTheme rebuilds the styles in place: every panel holds the same pointer.
func (m *Model) setTheme(name string) {
	p, ok := themes.ByName(name)
	if !ok {
		return
	}
	m.theme = name
	*m.st = *themes.Build(p, m.dark)
	m.status = "theme " + name
}

// View draws the frame for the current size (80x24 until the terminal said its size).
func (m *Model) View() tea.View {
	w, h := m.width, m.height
	if w <= 0 || h <= 0 {
		w, h = defaultWidth, defaultHeight
	}
	v := tea.NewView(m.render(w, h))
	v.AltScreen = true
	v.WindowTitle = "benchtui"
	return v
}

// Render draws the dashboard at w x h; View calls it, tests call it directly.
func (m *Model) render(w, h int) string {
	focused := focusOrder[m.focus]
	var r placement
	switch {
	case m.showHelp:
		r = layoutMaximized(w, h, panelHelp)
	case m.comparing, m.showSweep:
		r = layoutMaximized(w, h, panelCompare)
	case m.maximized:
		r = layoutMaximized(w, h, focused)
	default:
		r = layout(w, h)
	}
	m.throughput.SetFocused(focused == panelThroughput)
	m.latency.SetFocused(focused == panelLatency)
	m.progress.SetFocused(focused == panelProgress)
	m.engine.SetFocused(focused == panelEngine)
	m.devices.SetFocused(focused == panelDevices)
	m.history.SetFocused(focused == panelHistory)
	m.hints.Status = m.status
	return renderFrame(r, func(id panelID, pw, ph int) string {
		switch id {
		case panelHeader:
			return m.header.Render(pw, ph)
		case panelThroughput:
			return m.throughput.Render(pw, ph)
		case panelLatency:
			return m.latency.Render(pw, ph)
		case panelProgress:
			return m.progress.Render(pw, ph)
		case panelEngine:
			return m.engine.Render(pw, ph)
		case panelDevices:
			return m.devices.Render(pw, ph)
		case panelHistory:
			return m.history.Render(pw, ph)
		case panelCompare:
			if m.showSweep {
				return m.sweep.Render(pw, ph)
			}
			return m.compare.Render(pw, ph)
		case panelHelp:
			return m.help.Render(pw, ph)
		case panelHints:
			return m.hints.Render(pw, ph)
		}
		return ""
	})
}
