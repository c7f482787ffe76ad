package tui

import (
	"context"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/benchtui/benchtui/engine"
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
	Theme string
	// AutoRun starts the first run as soon as the model is loaded.
	AutoRun bool
	// ExportDir is where exports go ("" is the working directory).
	ExportDir string
	// Replay shows a saved run instead of running anything.
	Replay *engine.Export
	// ReplayName names the replayed file in the header.
	ReplayName string
}

// Focusable panels, in tab order.
var focusOrder = []panelID{panelThroughput, panelLatency, panelProgress, panelEngine, panelDevices, panelHistory}

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
	keys   keyMap
	st     *themes.Styles
	theme  string
	dark   bool
	width  int
	height int

	header     *panel.Header
	throughput *panel.Throughput
	latency    *panel.Latency
	progress   *panel.Progress
	engine     *panel.Engine
	devices    *panel.Devices
	history    *panel.History
	compare    *panel.Compare
	help       *panel.Help
	hints      *panel.Hints
	sweep      *panel.Sweep

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
	pending  panel.Settings // settings of the next run
	runs     []*run
	cur      *run // the run shown (live or last)
	active   bool
	cancel   context.CancelFunc
	tick     int
	latDirty bool
	rates    rateWindow
	latAt    time.Time
	devViews []panel.DeviceView
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
		opts: o, keys: defaultKeyMap(), st: st, theme: theme, dark: dark,
		header: panel.NewHeader(st), throughput: panel.NewThroughput(st), latency: panel.NewLatency(st),
		progress: panel.NewProgress(st), engine: panel.NewEngine(st), devices: panel.NewDevices(st),
		history: panel.NewHistory(st), compare: panel.NewCompare(st), help: panel.NewHelp(st), hints: panel.NewHints(st),
		sweep: panel.NewSweep(st), sweepRun: map[int]int{},
		pending: o.Settings,
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
		export *engine.Export
		err    error
	}
	exportedMsg struct {
		run  int
		path string
		err  error
	}
	tickMsg    struct{}
	devicesMsg []panel.DeviceView
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
			m.header.State = panel.StateFailed
			m.header.Detail = "load failed: " + oneLine(m.loadErr)
			m.syncKeys()
			return m, nil
		}
		m.loaded = true
		m.target = msg.target
		m.header.Model, m.header.DType, m.header.Device = msg.target.Model, msg.target.DType, msg.target.Device
		m.header.State = panel.StateIdle
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

// ExitNote is what the user should read after the dashboard closed ("" for nothing).
func (m *Model) ExitNote() string { return m.exitNote }

// Settings are a run's workload knobs: batch size, ISL, OSL, requests and concurrency.
type Settings = panel.Settings
