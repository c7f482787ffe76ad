package tui

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/benchtui/benchtui/engine"
	"github.com/benchtui/benchtui/report"
	"github.com/benchtui/benchtui/telemetry"
	"github.com/benchtui/benchtui/themes"
)

// Options configure the dashboard.
type Options struct {
	// Runner loads the model and runs benchmarks; nil for a replay.
	Runner Runner
	// Monitor, when set, feeds the devices panel.
	Monitor *telemetry.Monitor
	// Settings are the first run's.
	Settings Settings
	// MaxBatch is the largest batch size the runner takes (0: 1024).
	MaxBatch int
	// Theme is a theme name; "" picks one from the terminal's background and NO_COLOR.
	Theme string
	// AutoRun starts the first run as soon as the model is loaded.
	AutoRun bool
	// ExportDir is where exports go ("" is the working directory).
	ExportDir string
	// Replay shows a saved run instead of running anything.
	Replay *report.Export
	// ReplayName names the replayed file in the header.
	ReplayName string
}

// Focusable panels, in tab order.
var focusOrder = []PanelID{PanelThroughput, PanelLatency, PanelProgress, PanelEngine, PanelDevices, PanelHistory}

const (
	tickEvery     = 250 * time.Millisecond
	latencyEvery  = 500 * time.Millisecond
	defaultWidth  = 80
	defaultHeight = 24
	deviceHistory = 240 // samples kept per sparkline (a minute at the default interval)
)

var spinnerFrames = []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}

// Model is the dashboard's root model: it owns layout, focus, keys and the runs of the
// session; the panels only draw what it gives them.
type Model struct {
	opts   Options
	keys   KeyMap
	st     *themes.Styles
	theme  string
	dark   bool
	width  int
	height int

	header     *Header
	throughput *Throughput
	latency    *Latency
	progress   *Progress
	engine     *Engine
	devices    *Devices
	history    *History
	compare    *Compare
	help       *Help
	hints      *Hints
	sweep      *Sweep

	focus     int
	maximized bool
	showSweep bool
	// sweepQueue holds the batch sizes of the sweep still to run; sweepRun maps a run to
	// its point in the sweep panel.
	sweepQueue []int
	sweepRun   map[int]int
	showHelp   bool
	comparing  bool
	confirm    bool // asking whether to quit during a run

	target   Target
	loaded   bool
	loading  bool
	loadErr  string
	pending  Settings // settings of the next run
	runs     []*run
	cur      *run // the run shown (live or last)
	active   bool
	cancel   context.CancelFunc
	tick     int
	latDirty bool
	rates    report.RateWindow
	latAt    time.Time
	devViews []DeviceView
	status   string
	quitting bool
	// exportOnQuit exports the stopped run before quitting; exitNote says how that went,
	// for the caller to print once the terminal is back.
	exportOnQuit bool
	exitNote     string
}

// New returns the dashboard's model.
func New(o Options) *Model {
	dark := true
	theme := o.Theme
	if theme == "" {
		theme = themes.Default(dark, themes.NoColor())
	}
	p, ok := themes.ByName(theme)
	if !ok {
		theme = themes.Default(dark, themes.NoColor())
		p, _ = themes.ByName(theme)
	}
	st := themes.Build(p, dark)
	m := &Model{
		opts: o, keys: DefaultKeyMap(), st: st, theme: theme, dark: dark,
		header: NewHeader(st), throughput: NewThroughput(st), latency: NewLatency(st),
		progress: NewProgress(st), engine: NewEngine(st), devices: NewDevices(st),
		history: NewHistory(st), compare: NewCompare(st), help: NewHelp(st), hints: NewHints(st),
		sweep: NewSweep(st), sweepRun: map[int]int{},
		pending: o.Settings, rates: report.RateWindow{Span: rateSpan},
	}
	m.header.Settings = o.Settings
	m.engine.MaxBatch = o.Settings.Batch
	m.help.Note = "? or esc to close"
	if o.Replay != nil {
		m.loadReplay(o.Replay, o.ReplayName)
	}
	m.syncKeys()
	return m
}

// Messages. Each carries the run it belongs to, so that a late event of a previous run is
// recognised and dropped.
type (
	loadedMsg struct {
		target Target
		err    error
	}
	lifecycleMsg struct {
		run int // 0 for loading
		ev  engine.Lifecycle
		ok  bool
		src *engine.Events
	}
	snapshotMsg struct {
		run  int
		snap engine.Snapshot
		ok   bool
		src  *engine.Events
	}
	runDoneMsg struct {
		run    int
		export *report.Export
		err    error
	}
	exportedMsg struct {
		run  int
		path string
		err  error
	}
	tickMsg    struct{}
	devicesMsg []DeviceView
)

// Init starts loading the model (unless replaying), asks for the background colour and
// starts the clock.
func (m *Model) Init() tea.Cmd {
	cmds := []tea.Cmd{tea.RequestBackgroundColor, m.tickCmd()}
	if m.opts.Runner != nil {
		cmds = append(cmds, m.startLoad())
	}
	return tea.Batch(cmds...)
}

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
	m.header.State = StateLoading
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

func (m *Model) startRunWith(s Settings) tea.Cmd {
	r := &run{id: len(m.runs) + 1, settings: s, state: StateRunning, started: time.Now()}
	m.runs = append(m.runs, r)
	m.cur = r
	m.active = true
	m.status = ""
	m.header.Settings = s
	m.header.ClearPending()
	m.header.State = StateRunning
	m.header.RunID = r.name()
	m.header.Detail = ""
	m.throughput.Reset()
	m.rates = report.RateWindow{Span: rateSpan}
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

// Update routes messages; it does no I/O: side effects are commands.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		return m, nil
	case tea.BackgroundColorMsg:
		m.setDark(msg.IsDark())
		return m, nil
	case tickMsg:
		m.tick++
		if m.header.State.Active() {
			m.header.Spinner = spinnerFrames[m.tick%len(spinnerFrames)]
		}
		m.refreshLatency(false)
		return m, tea.Batch(m.tickCmd(), m.devicesCmd())
	case devicesMsg:
		m.devViews = msg
		m.devices.SetDevices(msg)
		return m, nil
	case loadedMsg:
		m.loading = false
		m.cancel = nil
		if msg.err != nil {
			m.loadErr = msg.err.Error()
			m.header.State = StateFailed
			m.header.Detail = "load failed: " + oneLine(m.loadErr)
			m.syncKeys()
			return m, nil
		}
		m.loaded = true
		m.target = msg.target
		m.header.Model, m.header.DType, m.header.Device = msg.target.Model, msg.target.DType, msg.target.Device
		m.header.State = StateIdle
		m.header.Detail = "press r to run"
		m.header.LoadProgress = -1
		m.syncKeys()
		if m.opts.AutoRun {
			return m, m.startRun()
		}
		return m, nil
	case lifecycleMsg:
		return m, m.onLifecycle(msg)
	case snapshotMsg:
		return m, m.onSnapshot(msg)
	case runDoneMsg:
		m.onRunDone(msg)
		if next := m.sweepNext(msg.run); next != nil && !m.quitting {
			return m, next
		}
		if m.quitting {
			if m.exportOnQuit {
				// Keep what finished: export the stopped run, then quit.
				if r := m.exportable(); r != nil {
					return m, m.exportCmd(r) // quits when the export is written
				}
			}
			return m, tea.Quit
		}
		return m, nil
	case exportedMsg:
		m.status = msg.note()
		if msg.path != "" {
			m.markSaved(msg.run, msg.path)
		}
		if m.quitting {
			m.exitNote = m.status
			return m, tea.Quit
		}
		return m, nil
	case tea.KeyPressMsg:
		return m, m.onKey(msg)
	}
	return m, nil
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
		m.header.State = StateWarmup
		m.progress.Phase = "warmup"
		m.header.Detail = fmt.Sprintf("warmup: %d requests", msg.ev.Total)
	case engine.PhaseRunning:
		m.header.State = StateRunning
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
	out, total := m.rates.Add(t, float64(s.OutputTokens), float64(s.OutputTokens+s.InputTokens))
	m.throughput.Add(t, out, total)
	m.engine.Push(s.Running, s.Queued, 100*s.KVUsage, 100*s.BatchOccupancy)
	p := m.progress
	p.Done, p.Failed, p.Total, p.Running = s.Completed+s.Failed, s.Failed, s.Total, s.Running
	p.InputTokens, p.OutputTokens = s.InputTokens, s.OutputTokens
	p.Elapsed = time.Duration(s.ElapsedNS)
	p.ETA = report.ETA(p.Elapsed, p.Done, p.Total)
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
	smp := report.CollectSamples(m.cur.records)
	m.latency.SetSamples(MetricTTFT, smp.TTFTMS)
	m.latency.SetSamples(MetricTPOT, smp.TPOTMS)
	m.latency.SetSamples(MetricITL, smp.ITLMS)
	m.latency.SetSamples(MetricE2E, smp.RequestLatencyMS)
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
		r.state, r.err = StateFailed, msg.err.Error()
	case msg.export != nil:
		r.export = msg.export
		r.records = msg.export.Requests
		r.state = StateFinished
		switch {
		case canceledRecords(msg.export.Requests):
			r.state, r.err = StateCanceled, "stopped"
		case msg.export.Report.BenchTUI.NumFailed > 0:
			r.state, r.err = StateFailed, firstError(msg.export.Requests)
		}
	}
	if r == m.cur {
		m.header.State = r.state
		m.header.Spinner = ""
		switch r.state {
		case StateFinished:
			rep := &r.export.Report
			m.header.Detail = fmt.Sprintf("%.1f output tok/s · %.2f req/s · press e to export",
				rep.Performance.SystemOutputThroughputTokS, rep.Performance.RequestThroughputReqS)
		case StateCanceled:
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
		if recs[i].Failed() {
			return recs[i].Error
		}
	}
	return ""
}

// canceledRecords reports whether the run was stopped by the user (its unfinished requests
// carry the engine's cancel reason).
func canceledRecords(recs []engine.Record) bool {
	for i := range recs {
		if recs[i].Canceled() {
			return true
		}
	}
	return false
}

// showExport draws a finished run from its export: the final progress and, for a replay,
// the charts rebuilt from the saved snapshots.
func (m *Model) showExport(x *report.Export, charts bool) {
	rep := &x.Report
	p := m.progress
	p.Total = len(x.Requests)
	if p.Total == 0 {
		p.Total = rep.RequestInfo.NumRequests + rep.BenchTUI.NumFailed + rep.BenchTUI.NumCanceled
	}
	p.Done, p.Failed = rep.BenchTUI.NumCompleted+rep.BenchTUI.NumFailed, rep.BenchTUI.NumFailed
	p.Running, p.ETA = 0, 0
	p.InputTokens, p.OutputTokens = rep.BenchTUI.TotalInputTokens, rep.BenchTUI.TotalOutputTokens
	p.Elapsed = time.Duration(rep.Performance.TotalLatencyMS * float64(time.Millisecond))
	if !charts {
		return
	}
	m.throughput.Reset()
	m.engine.Reset()
	if len(x.Snapshots) > 0 {
		m.rates = report.RateWindow{Span: rateSpan}
		for _, s := range x.Snapshots {
			if s.Phase == engine.PhaseRunning || s.Phase == "" {
				t := float64(s.ElapsedNS) / 1e9
				out, total := m.rates.Add(t, float64(s.OutputTokens), float64(s.OutputTokens+s.InputTokens))
				m.throughput.Add(t, out, total)
				m.engine.Push(s.Running, s.Queued, 100*s.KVUsage, 100*s.BatchOccupancy)
			}
		}
	} else {
		for _, pt := range rep.BenchTUI.TimeSeries {
			m.throughput.Add(pt.TimeS, pt.OutputTokS, pt.TotalTokS)
		}
	}
	if s := x.TelemetrySeries(); s != nil {
		m.devices.SetDevices(devicesFromSeries(s))
	}
}

// loadReplay shows a saved run as the session's only run.
func (m *Model) loadReplay(x *report.Export, name string) {
	rep := &x.Report
	s := Settings{Batch: rep.WorldInfo.MaxBatchSize, Requests: len(x.Requests)}
	if s.Requests == 0 {
		s.Requests = rep.RequestInfo.NumRequests
	}
	if ds := rep.Dataset; ds != nil {
		s.ISL = int(ds.ISL.Average)
		s.OSL = int(ds.OSL.Average)
	}
	r := &run{id: 1, settings: s, state: StateFinished, export: x, records: x.Requests}
	m.runs = []*run{r}
	m.cur = r
	m.loaded = true
	m.target = Target{Model: rep.Engine.Model, DType: rep.Engine.Dtype, Device: "replay of " + name}
	m.header.Model, m.header.DType, m.header.Device = m.target.Model, m.target.DType, m.target.Device
	m.header.State = StateFinished
	m.header.RunID = "replay"
	m.header.Settings = s
	m.header.Detail = fmt.Sprintf("%.1f output tok/s · %.2f req/s", rep.Performance.SystemOutputThroughputTokS, rep.Performance.RequestThroughputReqS)
	m.engine.MaxBatch = s.Batch
	m.showExport(x, true)
	m.refreshLatency(true)
	m.syncHistory()
}

func (m *Model) syncHistory() {
	rows := make([]RunRow, len(m.runs))
	for i, r := range m.runs {
		rows[i] = r.row(m.target.Model)
	}
	m.history.SetRows(rows)
}

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
	m.hints.Keys = HelpKeysFrom(k.ShortHelp()...)
	groups := make([]HelpGroup, 0, 4)
	for i, col := range k.FullHelp() {
		groups = append(groups, HelpGroupFrom(helpGroupTitles[i], col...))
	}
	m.help.SetGroups(groups)
}

// exportable is the run e exports: the one under the history cursor when the history has
// focus, else the run shown; only runs that ended have an export.
func (m *Model) exportable() *run {
	r := m.cur
	if focusOrder[m.focus] == PanelHistory {
		if row, ok := m.history.CursorRow(); ok {
			for _, x := range m.runs {
				if x.name() == row.ID {
					r = x
				}
			}
		}
	}
	if r == nil || r.export == nil || (m.active && r == m.cur) {
		return nil
	}
	return r
}

func (m *Model) exportCmd(r *run) tea.Cmd {
	x := r.export
	path := exportName(m.opts.ExportDir, m.target.Model, r, time.Now())
	id := r.id
	m.status = "exporting…"
	return func() tea.Msg {
		p, err := writeExport(path, x)
		return exportedMsg{run: id, path: p, err: err}
	}
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
		m.adjust(func(s *Settings) {
			switch {
			case s.Concurrency <= 0:
			case s.Concurrency >= 1024:
				s.Concurrency = -1
			default:
				s.Concurrency *= 2
			}
		})
	case key.Matches(msg, k.ConcurrencyDown):
		m.adjust(func(s *Settings) {
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
func (m *Model) adjust(f func(*Settings)) {
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

// ExitNote is what the user should read after the dashboard closed ("" for nothing).
func (m *Model) ExitNote() string { return m.exitNote }

// Theme is the current theme's name.
func (m *Model) Theme() string { return m.theme }

// View draws the frame for the current size (80x24 until the terminal said its size).
func (m *Model) View() tea.View {
	w, h := m.width, m.height
	if w <= 0 || h <= 0 {
		w, h = defaultWidth, defaultHeight
	}
	v := tea.NewView(m.Render(w, h))
	v.AltScreen = true
	v.WindowTitle = "benchtui"
	return v
}

// Render draws the dashboard at w x h; View calls it, tests call it directly.
func (m *Model) Render(w, h int) string {
	focused := focusOrder[m.focus]
	var r Rects
	switch {
	case m.showHelp:
		r = LayoutMaximized(w, h, PanelHelp)
	case m.comparing, m.showSweep:
		r = LayoutMaximized(w, h, PanelCompare)
	case m.maximized:
		r = LayoutMaximized(w, h, focused)
	default:
		r = Layout(w, h)
	}
	m.throughput.Focused = focused == PanelThroughput
	m.latency.Focused = focused == PanelLatency
	m.progress.Focused = focused == PanelProgress
	m.engine.Focused = focused == PanelEngine
	m.devices.Focused = focused == PanelDevices
	m.history.Focused = focused == PanelHistory
	m.hints.Status = m.status
	return RenderFrame(r, func(id PanelID, pw, ph int) string {
		switch id {
		case PanelHeader:
			return m.header.Render(pw, ph)
		case PanelThroughput:
			return m.throughput.Render(pw, ph)
		case PanelLatency:
			return m.latency.Render(pw, ph)
		case PanelProgress:
			return m.progress.Render(pw, ph)
		case PanelEngine:
			return m.engine.Render(pw, ph)
		case PanelDevices:
			return m.devices.Render(pw, ph)
		case PanelHistory:
			return m.history.Render(pw, ph)
		case PanelCompare:
			if m.showSweep {
				return m.sweep.Render(pw, ph)
			}
			return m.compare.Render(pw, ph)
		case PanelHelp:
			return m.help.Render(pw, ph)
		case PanelHints:
			return m.hints.Render(pw, ph)
		}
		return ""
	})
}

// Runs returns the exports of the session's finished runs, oldest first (for a caller that
// wants to save them after the dashboard closed).
func (m *Model) Runs() []*report.Export {
	var out []*report.Export
	for _, r := range m.runs {
		if r.export != nil {
			out = append(out, r.export)
		}
	}
	return out
}

func (m *Model) maxBatch() int {
	if m.opts.MaxBatch > 0 {
		return m.opts.MaxBatch
	}
	return 1024
}

// note says how an export went: where it is, and why not where asked when it was rescued
// elsewhere.
func (msg exportedMsg) note() string {
	switch {
	case msg.err == nil:
		return "exported " + msg.path
	case msg.path != "":
		return "could not export there (" + oneLine(msg.err.Error()) + "); exported " + msg.path
	}
	return "export failed: " + oneLine(msg.err.Error())
}

func (m *Model) markSaved(id int, path string) {
	for _, r := range m.runs {
		if r.id == id {
			r.saved = path
		}
	}
}

func clampInt(v, lo, hi int) int { return max(lo, min(hi, v)) }

func oneLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// rateSpan is the window token rates are averaged over: a decode step is a burst of tokens,
// so a 100 ms rate swings with the step boundaries, while a second reads steadily.
const rateSpan = 1.0

// keyIn reports whether msg is one of b's keys, enabled or not.
func keyIn(msg tea.KeyPressMsg, b key.Binding) bool {
	for _, k := range b.Keys() {
		if msg.String() == k {
			return true
		}
	}
	return false
}

// startSweep runs the current settings at batch sizes from a quarter to four times the
// current one, one run after the other; each run joins the history as usual.
func (m *Model) startSweep() tea.Cmd {
	b := m.pending.Batch
	var sizes []int
	for _, f := range []float64{0.25, 0.5, 1, 2, 4} {
		v := clampInt(int(math.Round(float64(b)*f)), 1, m.maxBatch())
		if len(sizes) == 0 || sizes[len(sizes)-1] != v {
			sizes = append(sizes, v)
		}
	}
	m.sweep.Points = make([]SweepPoint, len(sizes))
	for i, v := range sizes {
		m.sweep.Points[i] = SweepPoint{Batch: v, State: StateIdle}
	}
	m.sweepQueue = sizes
	m.sweepRun = map[int]int{}
	m.showSweep = true
	return m.sweepNext(0)
}

// sweepNext records the run that ended in the sweep, if it was a sweep run, and starts the
// next batch size; nil when no sweep continues.
func (m *Model) sweepNext(ended int) tea.Cmd {
	if i, ok := m.sweepRun[ended]; ok {
		pt := &m.sweep.Points[i]
		for _, r := range m.runs {
			if r.id != ended {
				continue
			}
			pt.State = r.state
			if r.export != nil {
				rep := &r.export.Report
				pt.OutputTokS = rep.Performance.SystemOutputThroughputTokS
				pt.PerGPUTokS = rep.Performance.OutputThroughputPerGPUTokS
				pt.PerUserTokS = rep.Performance.OutputThroughputPerUserTokS
				pt.TTFTp50 = rep.StreamingMetrics.TTFTPercentiles.P50
			}
			if r.state != StateFinished {
				m.sweepQueue = nil // a failed or stopped point ends the sweep
			}
		}
	}
	if len(m.sweepQueue) == 0 || m.active {
		if _, ok := m.sweepRun[ended]; ok && !m.active {
			// The sweep is over: the header shows the settings of the next run again.
			m.header.Settings = m.pending
		}
		return nil
	}
	b := m.sweepQueue[0]
	m.sweepQueue = m.sweepQueue[1:]
	s := m.pending
	s.Batch = b
	cmd := m.startRunWith(s)
	idx := len(m.sweep.Points) - len(m.sweepQueue) - 1
	m.sweepRun[m.cur.id] = idx
	m.sweep.Points[idx].State = StateRunning
	m.header.Detail = fmt.Sprintf("sweep: batch %d (%d of %d)", b, idx+1, len(m.sweep.Points))
	return cmd
}
