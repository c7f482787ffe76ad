package tui

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/benchtui/benchtui/themes"
)

// onKey does what a key press asks. Modal states come first (the quit question, help, the
// requests view); a key that does nothing now says why in the status line.
func (m *model) onKey(msg tea.KeyPressMsg) tea.Cmd {
	k := &m.keys
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
	if m.view == viewHelp {
		if key.Matches(msg, k.Help) || keyIn(msg, k.Escape) || msg.String() == "q" {
			m.view = viewDashboard
		}
		return nil
	}
	m.status = ""
	if m.view == viewRequests {
		if cmd, ok := m.onRequestsKey(msg); ok {
			return cmd
		}
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
		m.view = viewHelp
	case key.Matches(msg, k.Escape):
		m.view, m.maximized = viewDashboard, false
	case key.Matches(msg, k.Run):
		return m.startRun()
	case key.Matches(msg, k.Stop):
		if m.cancel != nil {
			m.cancel()
			m.sweepQueue = nil
			m.status = "stopping…"
		}
	case key.Matches(msg, k.Sweep):
		if len(m.sweepQueue) > 0 || (m.active && len(m.sweep.Points) > 0) {
			m.view = toggleView(m.view, viewSweep)
		} else if k.Run.Enabled() {
			return m.startSweep()
		} else if len(m.sweep.Points) > 0 {
			m.view = toggleView(m.view, viewSweep)
		}
	case key.Matches(msg, k.Export):
		if r := m.cursorRun(); r != nil && r.export != nil {
			return m.exportCmd(r)
		}
	case key.Matches(msg, k.BatchUp):
		m.adjust(func(s *Settings) { s.Batch = clampInt(s.Batch*2, 1, m.maxBatch()) })
	case key.Matches(msg, k.BatchDown):
		m.adjust(func(s *Settings) { s.Batch = clampInt(s.Batch/2, 1, m.maxBatch()) })
	case key.Matches(msg, k.ISLUp):
		m.adjust(func(s *Settings) { s.ISL = clampInt(s.ISL*2, 1, 1<<17) })
	case key.Matches(msg, k.ISLDown):
		m.adjust(func(s *Settings) { s.ISL = clampInt(s.ISL/2, 1, 1<<17) })
	case key.Matches(msg, k.OSLUp):
		m.adjust(func(s *Settings) { s.OSL = clampInt(s.OSL*2, 1, 1<<17) })
	case key.Matches(msg, k.OSLDown):
		m.adjust(func(s *Settings) { s.OSL = clampInt(s.OSL/2, 1, 1<<17) })
	case key.Matches(msg, k.RequestsUp):
		m.adjust(func(s *Settings) { s.Requests = clampInt(s.Requests*2, 1, 1<<20) })
	case key.Matches(msg, k.RequestsDown):
		m.adjust(func(s *Settings) { s.Requests = clampInt(s.Requests/2, 1, 1<<20) })
	case key.Matches(msg, k.ConcurrencyUp):
		m.adjust(func(s *Settings) { s.Concurrency = concurrencyUp(s.Concurrency) })
	case key.Matches(msg, k.ConcurrencyDown):
		m.adjust(func(s *Settings) { s.Concurrency = concurrencyDown(s.Concurrency, s.Batch) })
	case key.Matches(msg, k.NextPanel):
		m.cycleFocus(1)
	case key.Matches(msg, k.PrevPanel):
		m.cycleFocus(-1)
	case key.Matches(msg, k.Maximize):
		m.maximized = !m.maximized
	case key.Matches(msg, k.Metric):
		m.latency.Metric = m.latency.Metric.Next()
		m.trend.Metric = m.latency.Metric
	case key.Matches(msg, k.Chart):
		m.nextChart()
	case key.Matches(msg, k.Theme):
		m.setTheme(themes.Next(m.theme))
	case key.Matches(msg, k.Up):
		m.history.MoveCursor(-1)
		m.syncResult()
	case key.Matches(msg, k.Down):
		m.history.MoveCursor(1)
		m.syncResult()
	case key.Matches(msg, k.Play):
		m.togglePlay()
	case key.Matches(msg, k.Mark):
		m.history.ToggleMark()
	case key.Matches(msg, k.Compare):
		if a, b, ok := m.history.Comparison(); ok {
			m.compare.Set(a, b)
			m.view = toggleView(m.view, viewCompare)
		}
	case key.Matches(msg, k.Pin):
		if r := m.cursorRun(); r != nil {
			m.pinRun(r)
		}
	case key.Matches(msg, k.Unpin):
		m.dropBaseline()
	case key.Matches(msg, k.Open):
		if r := m.requestsRun(); r != nil {
			m.openRequests(r)
		}
	case key.Matches(msg, k.Back):
		m.scrub(-m.scrubStep())
	case key.Matches(msg, k.Forward):
		m.scrub(m.scrubStep())
	case key.Matches(msg, k.BackMore):
		m.scrub(-10 * m.scrubStep())
	case key.Matches(msg, k.ForwardMore):
		m.scrub(10 * m.scrubStep())
	default:
		m.status = m.disabledWhy(msg)
	}
	return nil
}

// onRequestsKey handles the requests view's own keys; ok is false for keys it leaves to
// the dashboard (quit, help, theme, stop).
func (m *model) onRequestsKey(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	k := &m.keys
	p := m.requests
	page := max(m.height/2, 1)
	switch {
	case key.Matches(msg, k.Escape):
		m.view = viewDashboard
	case key.Matches(msg, k.Up):
		p.MoveCursor(-1)
	case key.Matches(msg, k.Down):
		p.MoveCursor(1)
	case key.Matches(msg, k.PageUp):
		p.MoveCursor(-page)
	case key.Matches(msg, k.PageDown):
		p.MoveCursor(page)
	case key.Matches(msg, k.Home):
		p.MoveCursor(-p.Len())
	case key.Matches(msg, k.End):
		p.MoveCursor(p.Len())
	case key.Matches(msg, k.Sort):
		col, desc := p.Sort()
		p.SortBy(col.Next(), desc)
	case key.Matches(msg, k.Reverse):
		col, desc := p.Sort()
		p.SortBy(col, !desc)
	case key.Matches(msg, k.Slowest):
		p.Slowest()
	default:
		return nil, false
	}
	m.syncRequestDetail(m.requestsShown())
	return nil, true
}

// toggleView opens v, or goes back to the dashboard when v is open.
func toggleView(cur, v viewMode) viewMode {
	if cur == v {
		return viewDashboard
	}
	return v
}

// concurrencyUp doubles a limit; past 1024 it becomes unlimited, and unlimited stays so.
func concurrencyUp(c int) int {
	switch {
	case c <= 0:
		return -1
	case c >= 1024:
		return -1
	}
	return c * 2
}

// concurrencyDown halves a limit (down to 1). From unlimited it gives the batch size: as
// many in flight as the batch holds, the largest limit that changes nothing about
// throughput and removes the queueing that unlimited adds to TTFT.
func concurrencyDown(c, batch int) int {
	switch {
	case c <= 0:
		return max(batch, 1)
	case c > 1:
		return c / 2
	}
	return 1
}

// adjust changes the next run's settings; a running run keeps its own, and the header
// shows the change as pending.
func (m *model) adjust(f func(*Settings)) {
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

func (m *model) quit() tea.Cmd {
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

func (m *model) maxBatch() int {
	if m.opts.MaxBatch > 0 {
		return m.opts.MaxBatch
	}
	return 1024
}

// cycleFocus moves the focus to the next (or previous) panel that is on screen: tab never
// focuses a hidden panel.
func (m *model) cycleFocus(dir int) {
	vis := m.focusable()
	if len(vis) == 0 {
		return
	}
	i := 0
	for j, id := range vis {
		if id == m.focus {
			i = j
		}
	}
	m.focus = vis[(i+dir+len(vis))%len(vis)]
}

// nextChart shows the next chart in the shared chart slot.
func (m *model) nextChart() {
	order := []panelID{panelThroughput, panelTrend, panelLatency}
	for i, id := range order {
		if id == m.chart {
			m.chart = order[(i+1)%len(order)]
			break
		}
	}
	if m.focus == panelThroughput || m.focus == panelTrend || m.focus == panelLatency {
		m.focus = m.chart
	}
}
