package tui

import (
	"context"
	"fmt"
	"math"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/benchtui/benchtui/engine"
	"github.com/benchtui/benchtui/report"
	"github.com/benchtui/benchtui/tui/panel"
)

// devicesCmd copies the telemetry off the Update path.
func (m *model) devicesCmd() tea.Cmd {
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

func (m *model) startLoad() tea.Cmd {
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

func (m *model) onLoaded(msg loadedMsg) tea.Cmd {
	m.loading = false
	m.cancel = nil
	if msg.err != nil {
		m.loadErr = msg.err.Error()
		m.header.State = panel.StateFailed
		m.header.Detail = "load failed: " + oneLine(m.loadErr)
		return nil
	}
	m.loaded = true
	m.target = msg.target
	m.header.Model, m.header.DType, m.header.Device = msg.target.Model, msg.target.DType, msg.target.Device
	m.header.State = panel.StateIdle
	m.header.Detail = "press r to run"
	m.header.LoadProgress = -1
	if m.opts.AutoRun {
		return m.startRun()
	}
	return nil
}

func (m *model) startRun() tea.Cmd { return m.startRunWith(m.pending) }

func (m *model) startRunWith(s Settings) tea.Cmd {
	r := &run{id: len(m.runs) + 1, settings: s, state: panel.StateRunning, started: time.Now(), fig: panel.NoFigures()}
	m.runs = append(m.runs, r)
	m.cur = r
	m.active = true
	m.status = ""
	m.until = math.Inf(1)
	m.header.Settings = s
	m.header.ClearPending()
	m.header.State = panel.StateRunning
	m.header.RunID = r.name()
	m.header.Detail = ""
	m.throughput.Reset()
	m.throughput.Live = true
	m.trend.Reset()
	m.rates.reset()
	m.latency.Reset()
	m.engine.Reset()
	m.engine.Final = ""
	m.engine.MaxBatch = s.Batch
	p := m.progress
	p.Completed, p.Failed, p.Canceled, p.Total, p.Running = 0, 0, 0, s.Requests, 0
	p.InputTokens, p.OutputTokens, p.Elapsed, p.ETA = 0, 0, 0, -1
	p.Phase = ""
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

func (m *model) onLifecycle(msg lifecycleMsg) tea.Cmd {
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
	if m.cur == nil || msg.run != m.cur.id || !m.active {
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

func (m *model) onSnapshot(msg snapshotMsg) tea.Cmd {
	if !msg.ok {
		return nil
	}
	next := waitSnapshot(msg.src, msg.run)
	if m.cur == nil || msg.run != m.cur.id || !m.active {
		return next
	}
	s := msg.snap
	r := m.cur
	if len(s.Finished) > 0 {
		r.records = append(r.records, s.Finished...)
		m.latDirty = true
	}
	if s.Phase != engine.PhaseRunning {
		return next
	}
	s.Finished = nil // the records are kept once, in r.records
	r.snaps = append(r.snaps, s)
	m.applySnapshot(s)
	return next
}

// applySnapshot draws one engine snapshot into the live panels.
func (m *model) applySnapshot(s engine.Snapshot) {
	t := float64(s.ElapsedNS) / 1e9
	rt := m.rates.add(t, &s)
	m.throughput.Add(t, rt[0], rt[1])
	m.engine.Push(s.Running, s.Queued, 100*s.KVUsage, 100*s.BatchOccupancy)
	p := m.progress
	p.Total, p.Running = s.Total, s.Running
	if r := m.cur; r != nil {
		// The records the snapshots carried: the same count the strip shows.
		p.Completed, p.Failed, p.Canceled = counts(r.records)
	}
	p.InputTokens, p.OutputTokens = s.InputTokens, s.OutputTokens
	p.Elapsed = time.Duration(s.ElapsedNS)
	p.ETA = report.ETA(p.Elapsed, p.Ended(), p.Total)
	if r := m.cur; r != nil {
		r.fig.OutputTokS, r.fig.ReqS, r.fig.Recent = rt[0], rt[2], true
		m.syncResult()
	}
	if s.SpeedOfLightTokS > 0 && s.OutputTokensPerSec > 0 {
		m.header.Detail = fmt.Sprintf("%.0f%% of speed of light (%.0f tok/s)", 100*s.OutputTokensPerSec/s.SpeedOfLightTokS, s.SpeedOfLightTokS)
	}
}

// refreshLatency recomputes the live run's latency figures from its records, at most every
// latencyEvery unless forced; it reports whether anything changed.
func (m *model) refreshLatency(now time.Time, force bool) bool {
	r := m.cur
	if r == nil || !m.active || (!m.latDirty && !force) {
		return false
	}
	if !force && now.Sub(m.latAt) < latencyEvery {
		return false
	}
	m.latAt, m.latDirty = now, false
	m.showLatency(r, r.records, r.elapsed())
	keepRates := r.fig
	met := metricsOf(r.records)
	r.fig = figuresOfMetrics(&met, report.Summarize(prefillSamples(r.records)))
	r.fig.OutputTokS, r.fig.ReqS, r.fig.Recent = keepRates.OutputTokS, keepRates.ReqS, true
	r.fig.Completed, r.fig.Failed, r.fig.Canceled = counts(r.records)
	m.progress.Canceled = r.fig.Canceled
	m.syncHistory()
	m.syncResult()
	return true
}

func (m *model) onRunDone(msg runDoneMsg) {
	r := m.runByID(msg.run)
	if r == nil {
		return
	}
	m.active = false
	m.cancel = nil
	if m.status == "stopping…" || m.status == "stopping the run…" {
		m.status = ""
	}
	switch {
	case msg.err != nil:
		r.state, r.err = panel.StateFailed, msg.err.Error()
	case msg.export != nil:
		r.export = msg.export
		r.records = msg.export.Requests
		r.state = panel.StateFinished
		_, failed, canceled := counts(r.records)
		switch {
		case canceled > 0:
			r.state, r.err = panel.StateCanceled, "stopped"
		case failed > 0:
			r.state, r.err = panel.StateFailed, firstError(msg.export.Requests)
		}
		r.fig = figuresOfReport(&msg.export.Report, r.records)
	}
	if r == m.cur {
		m.header.State = r.state
		m.header.Spinner = ""
		switch r.state {
		case panel.StateFinished:
			m.header.Detail = "finished · press e to export, p to pin as the baseline, enter for its requests"
		case panel.StateCanceled:
			m.header.Detail = "stopped · the requests that finished are kept · press e to export"
		default:
			m.header.Detail = "failed: " + oneLine(r.err)
		}
		m.throughput.Live = false
		if r.export != nil {
			m.showRun(r, math.Inf(1))
		} else {
			m.progress.Running = 0
		}
		m.engine.Final = r.state.String()
	}
	m.syncHistory()
	m.syncResult()
}

// firstError is the first failed request's error.
func firstError(recs []engine.Record) string {
	for i := range recs {
		if recs[i].Failed() {
			return recs[i].Error
		}
	}
	return ""
}

// rateSpan is the window token rates are averaged over, in seconds: a decode step is a
// burst of tokens, so a 100 ms rate swings with the step boundaries, while a second reads
// steadily.
const rateSpan = 1.0

// rates are the recent rates of a run from its snapshots, with the report's rate window:
// output and total tokens per second, and requests per second.
type rates struct {
	tokens, requests report.RateWindow
}

func newRates() rates {
	return rates{tokens: report.RateWindow{Span: rateSpan}, requests: report.RateWindow{Span: rateSpan}}
}

func (r *rates) reset() { r.tokens.Reset(); r.requests.Reset() }

// add takes a snapshot at time t and returns the output, total and request rates.
func (r *rates) add(t float64, s *engine.Snapshot) [3]float64 {
	out, total := r.tokens.Add(t, float64(s.OutputTokens), float64(s.OutputTokens+s.InputTokens))
	req, _ := r.requests.Add(t, float64(s.Completed), 0)
	return [3]float64{out, total, req}
}
