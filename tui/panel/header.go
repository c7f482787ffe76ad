package panel

import (
	"math"

	"github.com/benchtui/benchtui/themes"
)

// RunState is where the current benchmark run stands, as the header shows it.
type RunState int

// Run states, in the order a run goes through them.
const (
	StateIdle RunState = iota
	StateLoading
	StateWarmup
	StateRunning
	StateFinished
	StateFailed
	StateCanceled
)

// stateNames are the states' words. A run the user ends is "stopped" everywhere (its
// unfinished requests are the report's canceled ones): stopped is not failed.
var stateNames = [...]string{"idle", "loading", "warmup", "running", "finished", "failed", "stopped"}

func (s RunState) String() string {
	if s < 0 || int(s) >= len(stateNames) {
		return "unknown"
	}
	return stateNames[s]
}

// Active reports whether a run is in progress (loading, warming up or running).
func (s RunState) Active() bool {
	return s == StateLoading || s == StateWarmup || s == StateRunning
}

// stateInk is the colour of a state.
func stateInk(st *themes.Styles, s RunState) themes.Ink {
	switch s {
	case StateLoading:
		return st.Accent
	case StateWarmup, StateCanceled:
		return st.Warn
	case StateRunning, StateFinished:
		return st.Good
	case StateFailed:
		return st.Bad
	}
	return st.Muted
}

// stateIcon is the symbol in front of a state when no spinner frame is shown.
func stateIcon(s RunState) string {
	switch s {
	case StateLoading, StateWarmup, StateRunning:
		return "●"
	case StateFinished:
		return "✓"
	case StateFailed:
		return "✗"
	case StateCanceled:
		return "■"
	}
	return "○"
}

// Settings are a run's workload knobs.
type Settings struct {
	Batch       int // maximum batch size (sequences per decode step)
	ISL         int // input sequence length, tokens
	OSL         int // output sequence length, tokens
	Requests    int // number of requests
	Concurrency int // requests in flight; zero or less is unlimited
}

// Header is the top band: what is benchmarked, the run state and the settings. It has
// no frame and uses one to three lines.
type Header struct {
	// Model, DType and Device describe what is benchmarked, e.g. "llama-3.1-8b",
	// "Q4_K_M", "NVIDIA H100 80GB HBM3".
	Model, DType, Device string
	// RunID names the current or last run, e.g. "run 3"; empty hides it.
	RunID string
	// State is the run state.
	State RunState
	// Spinner is the current frame of the root model's spinner, shown while a run is
	// active; empty shows a dot.
	Spinner string
	// LoadProgress is the model loading progress in [0, 1] while State is
	// StateLoading; negative when unknown.
	LoadProgress float64
	// Detail is a short status line: a failed run's error, "warmup 3/8", a notice.
	Detail string
	// Settings are the active run's settings, or those of the next run when idle.
	Settings Settings
	// Pending holds settings changed while a run is active; they apply to the next run.
	// HasPending says whether it is set.
	Pending    Settings
	HasPending bool

	focus
	st *themes.Styles
}

// NewHeader returns a header drawn with st.
func NewHeader(st *themes.Styles) *Header {
	return &Header{st: st, LoadProgress: -1}
}

// SetStyles changes the theme.
func (h *Header) SetStyles(st *themes.Styles) { h.st = st }

// SetPending records settings that will apply to the next run. Passing the current
// settings clears the pending state.
func (h *Header) SetPending(p Settings) {
	h.Pending = p
	h.HasPending = p != h.Settings
}

// ClearPending drops pending settings (for example when they were applied).
func (h *Header) ClearPending() {
	h.Pending = Settings{}
	h.HasPending = false
}

// badge is the run state with its spinner or icon and load progress.
func (h *Header) badge() []span {
	k := stateInk(h.st, h.State)
	icon := stateIcon(h.State)
	if h.State.Active() && h.Spinner != "" {
		icon = h.Spinner
	}
	text := icon + " " + h.State.String()
	if h.State == StateLoading && h.LoadProgress >= 0 {
		text += " " + itoa(int(math.Round(clampF(h.LoadProgress, 0, 1)*100))) + "%"
	}
	return []span{{text, k}}
}

// identity lists the model, dtype, device and run id parts.
func (h *Header) identity() []part {
	st := h.st
	var parts []part
	model := h.Model
	if model == "" {
		model = "no model"
	}
	parts = append(parts, part{[]span{{model, st.Title}}, 1})
	if h.DType != "" {
		parts = append(parts, part{[]span{{h.DType, st.Text}}, 3})
	}
	if h.Device != "" {
		parts = append(parts, part{[]span{{h.Device, st.Text}}, 2})
	}
	if h.RunID != "" {
		parts = append(parts, part{[]span{{h.RunID, st.Muted}}, 4})
	}
	return parts
}

// settings lists the settings parts, pending values marked.
func (h *Header) settings() []part {
	st := h.st
	type knob struct {
		label    string
		cur, nxt int
		prio     int
	}
	p := h.Pending
	if !h.HasPending {
		p = h.Settings
	}
	knobs := []knob{
		{"B", h.Settings.Batch, p.Batch, 0},
		{"ISL", h.Settings.ISL, p.ISL, 1},
		{"OSL", h.Settings.OSL, p.OSL, 1},
		{"N", h.Settings.Requests, p.Requests, 2},
		{"C", h.Settings.Concurrency, p.Concurrency, 3},
	}
	parts := make([]part, 0, len(knobs)+1)
	for _, k := range knobs {
		sp := []span{{k.label + " ", st.Label}}
		num := itoa
		if k.label == "C" {
			num = ConcurrencyText
		}
		if k.cur != k.nxt {
			sp = append(sp, span{num(k.cur), st.Value}, span{"→" + num(k.nxt) + "*", st.Pending})
		} else {
			sp = append(sp, span{num(k.cur), st.Value})
		}
		parts = append(parts, part{sp, k.prio})
	}
	return parts
}

// Render draws the header in height lines (1 to 3 are used).
func (h *Header) Render(width, height int) string {
	if width <= 0 || height <= 0 {
		return ""
	}
	st := h.st
	sep := span{" · ", st.Subtle}
	gap := span{"  ", st.Text}
	badge := h.badge()
	bw := spansWidth(badge)
	lines := make([]string, 0, 3)

	if height == 1 {
		// One line: badge, model and the most important settings.
		var l lineBuf
		parts := append([]part{{badge, 0}}, h.identity()...)
		for _, p := range h.settings() {
			p.prio += 2
			parts = append(parts, p)
		}
		fitParts(&l, parts, gap, width)
		return l.fit(width)
	}

	// Line 1: identity on the left, state badge on the right.
	var l1 lineBuf
	if bw+2 <= width {
		fitParts(&l1, h.identity(), sep, width-bw-2)
		l1.padTo(width - bw)
		for _, s := range badge {
			l1.ink(s.k, s.s)
		}
	} else {
		fitParts(&l1, []part{{badge, 0}}, sep, width)
	}
	lines = append(lines, l1.fit(width))

	// Line 2: settings, then the pending note or the detail when there is room.
	var l2 lineBuf
	parts := h.settings()
	if h.HasPending {
		parts = append(parts, part{[]span{{"* applies to next run", st.Muted}}, 8})
	}
	if h.Detail != "" && height == 2 {
		parts = append(parts, part{[]span{{h.Detail, stateInk(st, h.State)}}, 9})
	}
	fitParts(&l2, parts, gap, width)
	lines = append(lines, l2.fit(width))

	if height >= 3 {
		var l3 lineBuf
		if h.Detail != "" {
			l3.ink(stateInk(st, h.State), truncate(h.Detail, width))
		} else {
			l3.ink(st.Border, repeat("─", width))
		}
		lines = append(lines, l3.fit(width))
	}
	return joinLines(lines, width, height)
}

// Summary is the header's one-line form.
func (h *Header) Summary(width int) string { return h.Render(width, 1) }

// ConcurrencyText is a concurrency limit as the dashboard writes it: the number, or
// "unlimited" for zero or less (the engine's -1).
func ConcurrencyText(c int) string {
	if c <= 0 {
		return "unlimited"
	}
	return itoa(c)
}
