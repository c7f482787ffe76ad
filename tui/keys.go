package tui

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/benchtui/benchtui/themes"
	"github.com/benchtui/benchtui/tui/panel"
)

// keyMap holds every key the dashboard answers to. The root model enables and disables
// bindings with the state (no run key while a run is active, no export before a run ended),
// so the hints and the help screen show only what works now.
type keyMap struct {
	Run, Stop, Export, Sweep            key.Binding
	BatchUp, BatchDown                  key.Binding
	ISLUp, ISLDown, OSLUp, OSLDown      key.Binding
	RequestsUp, RequestsDown            key.Binding
	ConcurrencyUp, ConcurrencyDown      key.Binding
	NextPanel, PrevPanel, Maximize      key.Binding
	Metric, Theme                       key.Binding
	Up, Down, Mark, Compare             key.Binding
	Help, Quit, Confirm, Cancel, Escape key.Binding
}

// defaultKeyMap returns the dashboard's keys.
func defaultKeyMap() keyMap {
	return keyMap{
		Run:             key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "run")),
		Stop:            key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "stop")),
		Export:          key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "export")),
		Sweep:           key.NewBinding(key.WithKeys("w"), key.WithHelp("w", "sweep batch sizes (B/4 to 4B)")),
		BatchUp:         key.NewBinding(key.WithKeys("B"), key.WithHelp("b/B", "batch ÷2/×2")),
		BatchDown:       key.NewBinding(key.WithKeys("b"), key.WithHelp("b", "batch ÷2")),
		ISLUp:           key.NewBinding(key.WithKeys("I"), key.WithHelp("i/I", "ISL ÷2/×2")),
		ISLDown:         key.NewBinding(key.WithKeys("i"), key.WithHelp("i", "ISL ÷2")),
		OSLUp:           key.NewBinding(key.WithKeys("O"), key.WithHelp("o/O", "OSL ÷2/×2")),
		OSLDown:         key.NewBinding(key.WithKeys("o"), key.WithHelp("o", "OSL ÷2")),
		RequestsUp:      key.NewBinding(key.WithKeys("N"), key.WithHelp("n/N", "requests ÷2/×2")),
		RequestsDown:    key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "requests ÷2")),
		ConcurrencyUp:   key.NewBinding(key.WithKeys("C"), key.WithHelp("c/C", "concurrency ÷2/×2 (∞ past the top)")),
		ConcurrencyDown: key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "concurrency ÷2")),
		NextPanel:       key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "next panel")),
		PrevPanel:       key.NewBinding(key.WithKeys("shift+tab"), key.WithHelp("shift+tab", "previous panel")),
		Maximize:        key.NewBinding(key.WithKeys("z"), key.WithHelp("z", "maximize panel")),
		Metric:          key.NewBinding(key.WithKeys("l"), key.WithHelp("l", "latency metric")),
		Theme:           key.NewBinding(key.WithKeys("t"), key.WithHelp("t", "theme")),
		Up:              key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "history up")),
		Down:            key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "history down")),
		Mark:            key.NewBinding(key.WithKeys("space"), key.WithHelp("space", "mark run")),
		Compare:         key.NewBinding(key.WithKeys("v"), key.WithHelp("v", "compare marked")),
		Help:            key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Quit:            key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),
		Confirm:         key.NewBinding(key.WithKeys("y", "enter"), key.WithHelp("y", "yes")),
		Cancel:          key.NewBinding(key.WithKeys("n", "esc"), key.WithHelp("n", "no")),
		Escape:          key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
	}
}

// ShortHelp is the hint bar: the keys that matter most now.
func (k keyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Run, k.Stop, k.Export, k.BatchUp, k.ISLUp, k.OSLUp, k.Metric, k.Theme, k.Quit, k.Help}
}

// FullHelp is the help screen, by group.
func (k keyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Run, k.Stop, k.Export, k.Sweep, k.Quit},
		{k.BatchUp, k.ISLUp, k.OSLUp, k.RequestsUp, k.ConcurrencyUp},
		{k.NextPanel, k.PrevPanel, k.Maximize, k.Metric, k.Theme},
		{k.Up, k.Down, k.Mark, k.Compare, k.Help},
	}
}

// helpGroupTitles name FullHelp's columns.
var helpGroupTitles = []string{"Run", "Settings (apply to the next run)", "View", "History"}

// syncKeys enables the bindings that do something in the current state.
func (m *Model) syncKeys() {
	k := &m.keys
	live := m.opts.Runner != nil
	k.Run.SetEnabled(live && m.loaded && !m.active)
	k.Stop.SetEnabled(live && m.active)
	k.Sweep.SetEnabled(live && m.loaded)
	k.Export.SetEnabled(m.exportable() != nil)
	for _, b := range []*key.Binding{&k.BatchUp, &k.BatchDown, &k.ISLUp, &k.ISLDown, &k.OSLUp, &k.OSLDown,
		&k.RequestsUp, &k.RequestsDown, &k.ConcurrencyUp, &k.ConcurrencyDown} {
		b.SetEnabled(live)
	}
	k.Compare.SetEnabled(len(m.history.Marked()) == 2)
	m.hints.Keys = helpKeysFrom(k.ShortHelp()...)
	groups := make([]panel.HelpGroup, 0, 4)
	for i, col := range k.FullHelp() {
		groups = append(groups, helpGroupFrom(helpGroupTitles[i], col...))
	}
	m.help.SetGroups(groups)
}

func (m *Model) onKey(msg tea.KeyPressMsg) tea.Cmd {
	k := m.keys
	if m.confirm {
		switch {
		case key.Matches(msg, k.Confirm):
			return m.quit()
		case keyIn(msg, k.Export) && m.active:
			m.exportOnQuit = true
			return m.quit()
		case key.Matches(msg, k.Cancel), key.Matches(msg, k.Quit) && msg.String() == "q":
			m.confirm = false
			m.status = ""
		}
		return nil
	}
	if m.showHelp {
		if key.Matches(msg, k.Help) || key.Matches(msg, k.Escape) || msg.String() == "q" {
			m.showHelp = false
		}
		return nil
	}
	if !k.Export.Enabled() && keyIn(msg, k.Export) {
		m.status = "nothing to export yet: a run must end first"
		return nil
	}
	switch {
	case key.Matches(msg, k.Quit):
		if m.active || m.loading {
			m.confirm = true
			m.status = "a run is active: y quit · e stop, export what finished and quit · n stay"
			return nil
		}
		return m.quit()
	case key.Matches(msg, k.Help):
		m.showHelp = true
	case key.Matches(msg, k.Escape):
		m.comparing, m.maximized, m.showSweep = false, false, false
	case key.Matches(msg, k.Run):
		if k.Run.Enabled() {
			return m.startRun()
		}
	case key.Matches(msg, k.Stop):
		if m.active && m.cancel != nil {
			m.cancel()
			m.sweepQueue = nil
			m.status = "stopping…"
		}
	case key.Matches(msg, k.Sweep):
		if len(m.sweepQueue) > 0 || (m.active && len(m.sweep.Points) > 0) {
			m.showSweep = !m.showSweep
		} else if k.Run.Enabled() {
			return m.startSweep()
		}
	case key.Matches(msg, k.Export):
		if r := m.exportable(); r != nil {
			return m.exportCmd(r)
		}
		m.status = "nothing to export yet: a run must end first"
	case key.Matches(msg, k.BatchUp):
		m.adjust(func(s *panel.Settings) { s.Batch = clampInt(s.Batch*2, 1, m.maxBatch()) })
	case key.Matches(msg, k.BatchDown):
		m.adjust(func(s *panel.Settings) { s.Batch = clampInt(s.Batch/2, 1, m.maxBatch()) })
	case key.Matches(msg, k.ISLUp):
		m.adjust(func(s *panel.Settings) { s.ISL = clampInt(s.ISL*2, 1, 1<<17) })
	case key.Matches(msg, k.ISLDown):
		m.adjust(func(s *panel.Settings) { s.ISL = clampInt(s.ISL/2, 1, 1<<17) })
	case key.Matches(msg, k.OSLUp):
		m.adjust(func(s *panel.Settings) { s.OSL = clampInt(s.OSL*2, 1, 1<<17) })
	case key.Matches(msg, k.OSLDown):
		m.adjust(func(s *panel.Settings) { s.OSL = clampInt(s.OSL/2, 1, 1<<17) })
	case key.Matches(msg, k.RequestsUp):
		m.adjust(func(s *panel.Settings) { s.Requests = clampInt(s.Requests*2, 1, 1<<20) })
	case key.Matches(msg, k.RequestsDown):
		m.adjust(func(s *panel.Settings) { s.Requests = clampInt(s.Requests/2, 1, 1<<20) })
	case key.Matches(msg, k.ConcurrencyUp):
		m.adjust(func(s *panel.Settings) {
			switch {
			case s.Concurrency <= 0:
			case s.Concurrency >= 1024:
				s.Concurrency = -1
			default:
				s.Concurrency *= 2
			}
		})
	case key.Matches(msg, k.ConcurrencyDown):
		m.adjust(func(s *panel.Settings) {
			switch {
			case s.Concurrency <= 0:
				s.Concurrency = 1024
			case s.Concurrency > 1:
				s.Concurrency /= 2
			}
		})
	case key.Matches(msg, k.NextPanel):
		m.focus = (m.focus + 1) % len(focusOrder)
	case key.Matches(msg, k.PrevPanel):
		m.focus = (m.focus + len(focusOrder) - 1) % len(focusOrder)
	case key.Matches(msg, k.Maximize):
		m.maximized = !m.maximized
	case key.Matches(msg, k.Metric):
		m.latency.Metric = m.latency.Metric.Next()
	case key.Matches(msg, k.Theme):
		m.setTheme(themes.Next(m.theme))
	case key.Matches(msg, k.Up):
		m.history.MoveCursor(-1)
	case key.Matches(msg, k.Down):
		m.history.MoveCursor(1)
	case key.Matches(msg, k.Mark):
		m.history.ToggleMark()
	case key.Matches(msg, k.Compare):
		if a, b, ok := m.history.Comparison(); ok {
			m.compare.Set(a, b)
			m.comparing = !m.comparing
		} else {
			m.status = "mark two runs with space to compare them"
		}
	}
	m.syncKeys()
	return nil
}

// adjust changes the next run's settings; a running run keeps its own, and the header
// shows the change as pending.
func (m *Model) adjust(f func(*panel.Settings)) {
	if m.opts.Runner == nil {
		return
	}
	f(&m.pending)
	if m.active {
		m.header.SetPending(m.pending)
	} else {
		m.header.Settings = m.pending
		m.header.ClearPending()
	}
}

func (m *Model) quit() tea.Cmd {
	if m.cancel != nil {
		m.cancel()
	}
	if m.active {
		// Wait for the run to stop so that nothing native is mid-step at exit.
		m.quitting = true
		m.status = "stopping the run…"
		return nil
	}
	return tea.Quit
}

func (m *Model) maxBatch() int {
	if m.opts.MaxBatch > 0 {
		return m.opts.MaxBatch
	}
	return 1024
}

func clampInt(v, lo, hi int) int { return max(lo, min(hi, v)) }

// keyIn reports whether msg is one of b's keys, enabled or not.
func keyIn(msg tea.KeyPressMsg, b key.Binding) bool {
	for _, k := range b.Keys() {
		if msg.String() == k {
			return true
		}
	}
	return false
}

// helpGroupFrom builds a help group from key bindings, skipping disabled bindings and those
// without help text.
func helpGroupFrom(title string, bindings ...key.Binding) panel.HelpGroup {
	g := panel.HelpGroup{Title: title}
	for _, b := range bindings {
		h := b.Help()
		if !b.Enabled() || (h.Key == "" && h.Desc == "") {
			continue
		}
		g.Keys = append(g.Keys, panel.HelpKey{Key: h.Key, Desc: h.Desc})
	}
	return g
}

// helpKeysFrom converts bindings to hint keys, skipping disabled ones.
func helpKeysFrom(bindings ...key.Binding) []panel.HelpKey {
	return helpGroupFrom("", bindings...).Keys
}
