package panel

// Panel is what the root model lays out: a rectangle that draws itself at the size it is
// given, can shrink to one line, and shows whether it has focus. A panel has no Update
// method and this package does not import Bubble Tea, so no message can reach a panel but
// through the root model, which adapts engine events into the panels' setters.
type Panel interface {
	// Render draws the panel in exactly width x height cells: height lines, each width
	// cells wide; the empty string when either is zero or less. It is pure: it reads the
	// panel's state and changes nothing.
	Render(width, height int) string
	// Summary is the panel as one line of at most width cells, for layouts that have no
	// room for the panel itself.
	Summary(width int) string
	// SetFocused marks the panel as the one the keys act on; its frame shows it.
	SetFocused(focused bool)
}

// focus is embedded by every panel: the focused panel draws its frame in the accent
// colour.
type focus struct{ focused bool }

// SetFocused marks the panel focused or not.
func (f *focus) SetFocused(v bool) { f.focused = v }

// Focused reports whether the panel has focus.
func (f *focus) Focused() bool { return f.focused }

// Every panel satisfies Panel.
var (
	_ Panel = (*Header)(nil)
	_ Panel = (*Throughput)(nil)
	_ Panel = (*Latency)(nil)
	_ Panel = (*Progress)(nil)
	_ Panel = (*Engine)(nil)
	_ Panel = (*Devices)(nil)
	_ Panel = (*History)(nil)
	_ Panel = (*Compare)(nil)
	_ Panel = (*Sweep)(nil)
	_ Panel = (*Help)(nil)
	_ Panel = (*Hints)(nil)
	_ Panel = (*Result)(nil)
	_ Panel = (*Trend)(nil)
	_ Panel = (*Requests)(nil)
)
