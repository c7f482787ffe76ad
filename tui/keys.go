package tui

import "charm.land/bubbles/v2/key"

// KeyMap holds every key the dashboard answers to. The root model enables and disables
// bindings with the state (no run key while a run is active, no export before a run ended),
// so the hints and the help screen show only what works now.
type KeyMap struct {
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

// DefaultKeyMap returns the dashboard's keys.
func DefaultKeyMap() KeyMap {
	return KeyMap{
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
func (k KeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Run, k.Stop, k.Export, k.BatchUp, k.ISLUp, k.OSLUp, k.Metric, k.Theme, k.Quit, k.Help}
}

// FullHelp is the help screen, by group.
func (k KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Run, k.Stop, k.Export, k.Sweep, k.Quit},
		{k.BatchUp, k.ISLUp, k.OSLUp, k.RequestsUp, k.ConcurrencyUp},
		{k.NextPanel, k.PrevPanel, k.Maximize, k.Metric, k.Theme},
		{k.Up, k.Down, k.Mark, k.Compare, k.Help},
	}
}

// helpGroupTitles name FullHelp's columns.
var helpGroupTitles = []string{"Run", "Settings (apply to the next run)", "View", "History"}
