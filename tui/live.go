package tui

import (
	"context"
	"fmt"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/benchtui/benchtui/engine"
	"github.com/benchtui/benchtui/tui/panel"
)

func (m *Model) tickCmd() tea.Cmd {
	return tea.Tick(tickEvery, func(time.Time) tea.Msg { return tickMsg{} })
}

// devicesCmd copies the telemetry off the Update path.
func (m *Model) devicesCmd() tea.Cmd {
	mon := m.opts.Monitor
	if mon == nil {
		return nil
	}
	buf := m.devViews
	m.devViews = nil // owned by the command until it comes back
	return func() tea.Msg { return devicesMsg(devicesFromMonitor(mon, buf, deviceHistory)) }
}

func waitLifecycle(ev *engine.Events, id int) tea.Cmd {
	return func() tea.Msg {
		l, ok := <-ev.Lifecycle
		return lifecycleMsg{run: id, ev: l, ok: ok, src: ev}
	}
}

func waitSnapshot(ev *engine.Events, id int) tea.Cmd {
	return func() tea.Msg {
		select {
		case s := <-ev.Snapshots:
			return snapshotMsg{run: id, snap: s, ok: true, src: ev}
		case <-ev.Done():
			// The run's events ended; take a last snapshot if one is waiting.
			select {
			case s := <-ev.Snapshots:
				return snapshotMsg{run: id, snap: s, ok: true, src: ev}
			default:
				return snapshotMsg{run: id, ok: false, src: ev}
			}
		}
	}
}

func (m *Model) startLoad() tea.Cmd {
	m.loading = true
	m.header.State = panel.StateLoading
	m.header.Detail = "loading model"
	ctx, cancel := context.WithCancel(context.Background())
	m.cancel = cancel
	ev := engine.NewEvents(ctx)
	r := m.opts.Runner
	load := func() tea.Msg {
		t, err := r.Load(ctx, ev)
		ev.Close()
		return loadedMsg{target: t, err: err}
	}
	return tea.Batch(load, waitLifecycle(ev, 0))
}

func (m *Model) startRun() tea.Cmd { return m.startRunWith(m.pending) }

func (m *Model) startRunWith(s panel.Settings) tea.Cmd {
	r := &run{id: len(m.runs) + 1, settings: s, state: panel.StateRunning, started: time.Now()}
	m.runs = append(m.runs, r)
	m.cur = r
	m.active = true
	m.status = ""
	m.header.Settings = s
	m.header.ClearPending()
	m.header.State = panel.StateRunning
	m.header.RunID = r.name()
	m.header.Detail = ""
	m.throughput.Reset()
	m.rates = rateWindow{}
	m.latency.Reset()
	m.engine.Reset()
	m.engine.MaxBatch = s.Batch
	m.progress.Done, m.progress.Failed, m.progress.Total, m.progress.Running = 0, 0, s.Requests, 0
	m.progress.InputTokens, m.progress.OutputTokens, m.progress.Elapsed, m.progress.ETA = 0, 0, 0, -1
	m.progress.Phase = ""
	m.syncHistory()
	ctx, cancel := context.WithCancel(context.Background())
	m.cancel = cancel
	ev := engine.NewEvents(ctx)
	runner := m.opts.Runner
	id := r.id
	do := func() tea.Msg {
		x, err := runner.Run(ctx, s, ev)
		ev.Close()
		return runDoneMsg{run: id, export: x, err: err}
	}
	m.syncKeys()
	return tea.Batch(do, waitLifecycle(ev, id), waitSnapshot(ev, id))
}

func (m *Model) onLifecycle(msg lifecycleMsg) tea.Cmd {
	if !msg.ok {
		return nil
	}
	next := waitLifecycle(msg.src, msg.run)
	if msg.run == 0 {
		// Loading events can arrive after the load's result; then they are old news.
		if m.loading && msg.ev.Phase == engine.PhaseLoading {
			m.header.LoadProgress = msg.ev.Progress
			if msg.ev.Message != "" {
				m.header.Detail = msg.ev.Message
			}
		}
		return next
	}
	if m.cur == nil || msg.run != m.cur.id {
		return next
	}
	switch msg.ev.Phase {
	case engine.PhaseWarmup:
		m.header.State = panel.StateWarmup
		m.progress.Phase = "warmup"
		m.header.Detail = fmt.Sprintf("warmup: %d requests", msg.ev.Total)
	case engine.PhaseRunning:
		m.header.State = panel.StateRunning
		m.progress.Phase = ""
		m.header.Detail = ""
		m.progress.Total = msg.ev.Total
	case engine.PhaseFailed:
		m.header.Detail = "failed: " + oneLine(msg.ev.Error)
	}
	return next
}

func (m *Model) onSnapshot(msg snapshotMsg) tea.Cmd {
	if !msg.ok {
		return nil
	}
	next := waitSnapshot(msg.src, msg.run)
	if m.cur == nil || msg.run != m.cur.id {
		return next
	}
	s := msg.snap
	if len(s.Finished) > 0 {
		m.cur.records = append(m.cur.records, s.Finished...)
		m.latDirty = true
	}
	if s.Phase != engine.PhaseRunning {
		return next
	}
	m.applySnapshot(s)
	return next
}

// applySnapshot draws one engine snapshot into the panels.
func (m *Model) applySnapshot(s engine.Snapshot) {
	t := float64(s.ElapsedNS) / 1e9
	out, total := m.rates.add(t, float64(s.OutputTokens), float64(s.OutputTokens+s.InputTokens))
	m.throughput.Add(t, out, total)
	m.engine.Push(s.Running, s.Queued, 100*s.KVUsage, 100*s.BatchOccupancy)
	p := m.progress
	p.Done, p.Failed, p.Total, p.Running = s.Completed+s.Failed, s.Failed, s.Total, s.Running
	p.InputTokens, p.OutputTokens = s.InputTokens, s.OutputTokens
	p.Elapsed = time.Duration(s.ElapsedNS)
	p.ETA = -1
	if done := p.Done; done > 0 && done < p.Total {
		p.ETA = time.Duration(float64(p.Elapsed) / float64(done) * float64(p.Total-done))
	} else if done == p.Total && p.Total > 0 {
		p.ETA = 0
	}
	if s.SpeedOfLightTokS > 0 && s.OutputTokensPerSec > 0 {
		m.header.Detail = fmt.Sprintf("%.0f%% of speed of light (%.0f tok/s)", 100*s.OutputTokensPerSec/s.SpeedOfLightTokS, s.SpeedOfLightTokS)
	}
}

// refreshLatency recomputes the histograms from the records, at most every latencyEvery
// unless forced (sorting many samples is the dearest thing the dashboard does).
func (m *Model) refreshLatency(force bool) {
	if m.cur == nil || (!m.latDirty && !force) {
		return
	}
	now := time.Now()
	if !force && now.Sub(m.latAt) < latencyEvery {
		return
	}
	m.latAt, m.latDirty = now, false
	ttft, tpot, itl, e2e := latencySamples(m.cur.records)
	m.latency.SetSamples(panel.MetricTTFT, ttft)
	m.latency.SetSamples(panel.MetricTPOT, tpot)
	m.latency.SetSamples(panel.MetricITL, itl)
	m.latency.SetSamples(panel.MetricE2E, e2e)
}

func (m *Model) onRunDone(msg runDoneMsg) {
	var r *run
	for _, x := range m.runs {
		if x.id == msg.run {
			r = x
		}
	}
	if r == nil {
		return
	}
	m.active = false
	m.cancel = nil
	switch {
	case msg.err != nil:
		r.state, r.err = panel.StateFailed, msg.err.Error()
	case msg.export != nil:
		r.export = msg.export
		r.records = msg.export.Requests
		r.state = panel.StateFinished
		switch {
		case canceledRecords(msg.export.Requests):
			r.state, r.err = panel.StateCanceled, "stopped"
		case msg.export.Report.BenchTUI.NumFailed > 0:
			r.state, r.err = panel.StateFailed, firstError(msg.export.Requests)
		}
	}
	if r == m.cur {
		m.header.State = r.state
		m.header.Spinner = ""
		switch r.state {
		case panel.StateFinished:
			rep := &r.export.Report
			m.header.Detail = fmt.Sprintf("%.1f output tok/s · %.2f req/s · press e to export",
				rep.Performance.SystemOutputThroughputTokS, rep.Performance.RequestThroughputReqS)
		case panel.StateCanceled:
			m.header.Detail = "stopped · finished requests kept · press e to export"
		default:
			m.header.Detail = "failed: " + oneLine(r.err)
		}
		if r.export != nil {
			m.showExport(r.export, false)
		}
		m.refreshLatency(true)
	}
	m.syncHistory()
	m.syncKeys()
}

// firstError is the first failed request's error.
func firstError(recs []engine.Record) string {
	for i := range recs {
		if recs[i].Error != "" {
			return recs[i].Error
		}
	}
	return ""
}

// canceledRecords reports whether the run was stopped by the user (its unfinished requests
// carry the engine's cancel reason).
func canceledRecords(recs []engine.Record) bool {
	for i := range recs {
		if recs[i].Error == "canceled" {
			return true
		}
	}
	return false
}

// rateSpan is the window token rates are averaged over: a decode step is a burst of tokens,
// so a 100 ms rate swings with the step boundaries, while a second reads steadily.
const rateSpan = 1.0

// rateWindow turns cumulative token counts into rates over the last rateSpan seconds.
type rateWindow struct {
	t, out, total []float64
}

func (w *rateWindow) add(t, out, total float64) (outRate, totalRate float64) {
	w.t, w.out, w.total = append(w.t, t), append(w.out, out), append(w.total, total)
	// Keep one point at or before t - rateSpan as the window's start.
	k := 0
	for k+1 < len(w.t) && w.t[k+1] <= t-rateSpan {
		k++
	}
	if k > 0 {
		w.t, w.out, w.total = w.t[k:], w.out[k:], w.total[k:]
	}
	dt := t - w.t[0]
	if dt <= 0 {
		return 0, 0
	}
	return (out - w.out[0]) / dt, (total - w.total[0]) / dt
}
