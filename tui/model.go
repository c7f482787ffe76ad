package tui

import (
	"context"
	"math"
	"os"
	"runtime/pprof"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/benchtui/benchtui/engine"
	"github.com/benchtui/benchtui/report"
	"github.com/benchtui/benchtui/telemetry"
	"github.com/benchtui/benchtui/themes"
	"github.com/benchtui/benchtui/tui/panel"
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
	// A theme given here wins over NO_COLOR.
	Theme string
	// AutoRun starts the first run as soon as the model is loaded.
	AutoRun bool
	// ExportDir is where exports go ("" is the working directory).
	ExportDir string
	// Replay shows a saved run instead of running anything.
	Replay *report.Export
	// ReplayName names the replayed file in the header.
	ReplayName string
	// Baseline, when set, is pinned from the start (--baseline); BaselineName names it.
	Baseline     *report.Export
	BaselineName string
}

// Settings are a run's workload knobs: batch size, ISL, OSL, requests and concurrency.
type Settings = panel.Settings

// viewMode is what fills the body: the dashboard or one of the full-screen views.
type viewMode int

const (
	viewDashboard viewMode = iota
	viewHelp
	viewCompare
	viewSweep
	viewRequests
)

const (
	// frameEvery is the frame clock: the dashboard redraws at most this often (10 frames
	// per second), whatever the rate of engine snapshots; a key press redraws at once.
	frameEvery = 100 * time.Millisecond
	// devicesEvery is how often the telemetry is copied to the devices panel.
	devicesEvery = 250 * time.Millisecond
	// latencyEvery is how often the latency figures are recomputed during a run (sorting
	// the samples is the dearest thing the dashboard does).
	latencyEvery  = 500 * time.Millisecond
	defaultWidth  = 80
	defaultHeight = 24
	deviceHistory = 240 // samples kept per sparkline (a minute at the default interval)
)

var spinnerFrames = []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}

// model is the dashboard's root model: it owns layout, focus, keys and the runs of the
// session; the panels only draw what it gives them.
type model struct {
	opts   Options
	keys   keyMap
	st     *themes.Styles
	theme  string
	dark   bool
	width  int
	height int

	header     *panel.Header
	result     *panel.Result
	throughput *panel.Throughput
	trend      *panel.Trend
	latency    *panel.Latency
	progress   *panel.Progress
	engine     *panel.Engine
	devices    *panel.Devices
	history    *panel.History
	compare    *panel.Compare
	help       *panel.Help
	hints      *panel.Hints
	sweep      *panel.Sweep
	requests   *panel.Requests

	focus     panelID
	maximized bool
	view      viewMode
	// chart is the chart shown in the shared chart slot of layouts too small for all
	// three (g switches it).
	chart panelID
	// sweepQueue holds the batch sizes of the sweep still to run; sweepRun maps a run to
	// its point in the sweep panel.
	sweepQueue []int
	sweepRun   map[int]int
	confirm    bool // asking whether to quit during a run

	target   Target
	loaded   bool
	loading  bool
	loadErr  string
	pending  Settings // settings of the next run
	runs     []*run
	cur      *run // the run the panels show (live, last or replay)
	active   bool
	cancel   context.CancelFunc
	tick     int
	latDirty bool
	rates    rates
	latAt    time.Time
	devAt    time.Time
	devViews []panel.DeviceView
	status   string
	quitting bool
	// base is the pinned baseline (p or --baseline); nil for none.
	base *baseline
	// until is the replay's time cursor in seconds since the run's start; +Inf shows the
	// whole run. play is the replay speed (0 paused, 1 or 10).
	until float64
	play  float64
	// exportOnQuit exports the stopped run before quitting; exitNote says how that went,
	// for the caller to print once the terminal is back.
	exportOnQuit bool
	exitNote     string

	// frame is the last frame drawn and dirty says whether it is out of date.
	frame      string
	frameW     int
	frameH     int
	dirty      bool
	frames     int // frames drawn, for the cost measurements
	lastRender time.Time
}

// newModel returns the dashboard's model.
func newModel(o Options) *model {
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
	m := &model{
		opts: o, keys: defaultKeyMap(), st: st, theme: theme, dark: dark,
		header: panel.NewHeader(st), result: panel.NewResult(st), throughput: panel.NewThroughput(st),
		trend: panel.NewTrend(st), latency: panel.NewLatency(st), progress: panel.NewProgress(st),
		engine: panel.NewEngine(st), devices: panel.NewDevices(st), history: panel.NewHistory(st),
		compare: panel.NewCompare(st), help: panel.NewHelp(st), hints: panel.NewHints(st),
		sweep: panel.NewSweep(st), requests: panel.NewRequests(st), sweepRun: map[int]int{},
		pending: o.Settings, until: math.Inf(1), chart: panelThroughput, focus: panelThroughput,
		dirty: true, rates: newRates(),
	}
	m.throughput.RateSpan = rateSpan
	m.header.Settings = o.Settings
	m.engine.MaxBatch = o.Settings.Batch
	m.help.Note = "? or esc to close"
	if o.Replay != nil {
		m.loadReplay(o.Replay, o.ReplayName)
	}
	if o.Baseline != nil {
		m.pinExport(o.Baseline, o.BaselineName)
	}
	m.syncKeys()
	m.syncFocus()
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
	frameMsg   time.Time
	devicesMsg []panel.DeviceView
)

// Init starts loading the model (unless replaying), asks for the background colour and
// starts the frame clock.
func (m *model) Init() tea.Cmd {
	cmds := []tea.Cmd{tea.RequestBackgroundColor, m.frameCmd()}
	if m.opts.Runner != nil {
		cmds = append(cmds, m.startLoad())
	}
	return tea.Batch(cmds...)
}

func (m *model) frameCmd() tea.Cmd {
	return tea.Tick(frameEvery, func(t time.Time) tea.Msg { return frameMsg(t) })
}

// Update routes messages; it does no I/O: side effects are commands. Engine snapshots only
// change the panels' data: the frame clock decides when that is drawn, so a burst of
// snapshots costs one frame, not one each.
func (m *model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.dirty = true
		m.syncKeys()
		m.syncFocus()
		return m, nil
	case tea.BackgroundColorMsg:
		m.setDark(msg.IsDark())
		m.dirty = true
		return m, nil
	case frameMsg:
		return m, m.onFrame(time.Time(msg))
	case devicesMsg:
		m.devViews = msg
		if m.opts.Replay == nil {
			m.devices.SetDevices(msg)
		}
		return m, nil
	case loadedMsg:
		m.dirty = true
		cmd := m.onLoaded(msg)
		m.syncKeys()
		return m, cmd
	case lifecycleMsg:
		m.dirty = true
		return m, m.onLifecycle(msg)
	case snapshotMsg:
		return m, m.onSnapshot(msg)
	case runDoneMsg:
		m.dirty = true
		m.onRunDone(msg)
		m.syncKeys()
		if next := m.sweepNext(msg.run); next != nil && !m.quitting {
			return m, next
		}
		if m.quitting {
			if m.exportOnQuit {
				// Keep what finished: export the stopped run, then quit.
				if r := m.lastEnded(); r != nil {
					return m, m.exportCmd(r) // quits when the export is written
				}
			}
			return m, tea.Quit
		}
		return m, nil
	case exportedMsg:
		m.dirty = true
		m.status = msg.note()
		if msg.path != "" {
			m.markSaved(msg.run, msg.path)
		}
		m.syncKeys()
		if m.quitting {
			m.exitNote = m.status
			return m, tea.Quit
		}
		return m, nil
	case tea.KeyPressMsg:
		m.dirty = true
		cmd := m.onKey(msg)
		m.syncKeys()
		m.syncFocus()
		return m, cmd
	}
	return m, nil
}

// onFrame is the frame clock: it turns the spinner, recomputes the latency figures when
// they are due, fetches telemetry, moves a playing replay, and marks the frame for redrawing
// when anything it shows changed.
func (m *model) onFrame(now time.Time) tea.Cmd {
	cmds := []tea.Cmd{m.frameCmd()}
	if m.header.State.Active() {
		m.tick++
		m.header.Spinner = spinnerFrames[m.tick%len(spinnerFrames)]
		m.dirty = true
	}
	if m.play > 0 {
		m.advancePlay(frameEvery.Seconds() * m.play)
		m.dirty = true
	}
	if m.refreshLatency(now, false) {
		m.dirty = true
	}
	if m.active {
		// Snapshots change the charts, progress and engine panels: draw them.
		m.dirty = true
	}
	if m.opts.Monitor != nil && now.Sub(m.devAt) >= devicesEvery {
		m.devAt = now
		cmds = append(cmds, m.devicesCmd())
		m.dirty = true
	}
	return tea.Batch(cmds...)
}

// ExitNote is what the user should read after the dashboard closed ("" for nothing).
func (m *model) ExitNote() string { return m.exitNote }

// Run opens the dashboard on the terminal and returns when it closes, with a note for the
// user to read once the terminal is back ("" for none).
//
// With BENCHTUI_DASHBOARD_PROFILE=FILE it writes a CPU profile of the dashboard process to
// FILE (go tool pprof reads it), to see what drawing costs.
func Run(o Options) (string, error) {
	if path := os.Getenv("BENCHTUI_DASHBOARD_PROFILE"); path != "" {
		if f, err := os.Create(path); err == nil {
			if pprof.StartCPUProfile(f) == nil {
				defer func() { pprof.StopCPUProfile(); f.Close() }()
			}
		}
	}
	m := newModel(o)
	opts := []tea.ProgramOption{tea.WithFPS(programFPS)}
	if env := colorEnv(o.Theme); env != nil {
		opts = append(opts, tea.WithEnvironment(env))
	}
	if _, err := tea.NewProgram(m, opts...).Run(); err != nil {
		return "", err
	}
	return m.ExitNote(), nil
}
