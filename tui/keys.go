package tui

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/benchtui/benchtui/tui/panel"
)

// keyMap holds every key the dashboard answers to. The root model disables the bindings
// that do nothing in the current state and records why (keyMap.why), so the hints show
// what works now and the help lists every key, greyed with the reason where it does
// nothing.
type keyMap struct {
	Run, Stop, Export, Sweep             key.Binding
	BatchUp, BatchDown                   key.Binding
	ISLUp, ISLDown, OSLUp, OSLDown       key.Binding
	RequestsUp, RequestsDown             key.Binding
	ConcurrencyUp, ConcurrencyDown       key.Binding
	NextPanel, PrevPanel, Maximize       key.Binding
	Metric, Chart, Theme                 key.Binding
	Up, Down, Mark, Compare              key.Binding
	Pin, Unpin, Open                     key.Binding
	Back, Forward, BackMore, ForwardMore key.Binding
	Play                                 key.Binding
	Sort, Reverse, Slowest               key.Binding
	PageUp, PageDown, Home, End          key.Binding
	Help, Quit, Confirm, Cancel, Escape  key.Binding

	// why says why a disabled binding does nothing now.
	why map[*key.Binding]string
}

// defaultKeyMap returns the dashboard's keys.
func defaultKeyMap() keyMap {
	b := func(help, desc string, keys ...string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
	}
	return keyMap{
		Run:             b("r", "run", "r"),
		Stop:            b("s", "stop", "s"),
		Export:          b("e", "export the run under the history cursor", "e"),
		Sweep:           b("w", "sweep batch sizes (B/4 to 4B)", "w"),
		BatchUp:         b("b/B", "batch ÷2/×2", "B"),
		BatchDown:       b("b", "batch ÷2", "b"),
		ISLUp:           b("i/I", "ISL ÷2/×2", "I"),
		ISLDown:         b("i", "ISL ÷2", "i"),
		OSLUp:           b("o/O", "OSL ÷2/×2", "O"),
		OSLDown:         b("o", "OSL ÷2", "o"),
		RequestsUp:      b("n/N", "requests ÷2/×2", "N"),
		RequestsDown:    b("n", "requests ÷2", "n"),
		ConcurrencyUp:   b("c/C", "concurrency ÷2/×2 (unlimited past 1024)", "C"),
		ConcurrencyDown: b("c", "concurrency ÷2", "c"),
		NextPanel:       b("tab", "next panel", "tab"),
		PrevPanel:       b("shift+tab", "previous panel", "shift+tab"),
		Maximize:        b("z", "maximize panel", "z"),
		Metric:          b("l", "latency metric (TTFT, TPOT, ITL, E2E, queue)", "l"),
		Chart:           b("g", "next chart in the chart slot", "g"),
		Theme:           b("t", "theme", "t"),
		Up:              b("↑/k", "history cursor up", "up", "k"),
		Down:            b("↓/j", "history cursor down", "down", "j"),
		Mark:            b("space", "mark run for compare", "space"),
		Compare:         b("v", "compare the two marked runs", "v"),
		Pin:             b("p", "pin the run under the cursor as the baseline", "p"),
		Unpin:           b("P", "drop the baseline", "P"),
		Open:            b("enter", "requests of the run under the cursor", "enter"),
		Back:            b("←", "replay: back in time", "left"),
		Forward:         b("→", "replay: forward in time", "right"),
		BackMore:        b("[", "replay: back a tenth of the run", "["),
		ForwardMore:     b("]", "replay: forward a tenth of the run", "]"),
		Play:            b("space", "replay: play at 1x, then 10x, then pause", "space"),
		Sort:            b("o", "requests: next sort column", "o"),
		Reverse:         b("O", "requests: reverse the order", "O"),
		Slowest:         b("S", "requests: slowest first", "S"),
		PageUp:          b("pgup", "requests: page up", "pgup"),
		PageDown:        b("pgdn", "requests: page down", "pgdown"),
		Home:            b("home", "requests: first", "home"),
		End:             b("end", "requests: last", "end"),
		Help:            b("?", "help", "?"),
		Quit:            b("q", "quit", "q", "ctrl+c"),
		Confirm:         b("y", "yes", "y", "enter"),
		Cancel:          b("n", "no", "n", "esc"),
		Escape:          b("esc", "back", "esc"),
		why:             map[*key.Binding]string{},
	}
}

// helpGroupTitles name fullHelp's columns.
var helpGroupTitles = []string{"Run", "Settings (apply to the next run)", "View", "History and baseline", "Replay", "Requests view"}

// fullHelp is the help screen, by group: every key, in every state.
func (k *keyMap) fullHelp() [][]*key.Binding {
	return [][]*key.Binding{
		{&k.Run, &k.Stop, &k.Export, &k.Sweep, &k.Quit},
		{&k.BatchUp, &k.ISLUp, &k.OSLUp, &k.RequestsUp, &k.ConcurrencyUp},
		{&k.NextPanel, &k.PrevPanel, &k.Maximize, &k.Metric, &k.Chart, &k.Theme, &k.Help},
		{&k.Up, &k.Down, &k.Mark, &k.Compare, &k.Pin, &k.Unpin, &k.Open},
		{&k.Back, &k.Forward, &k.BackMore, &k.ForwardMore, &k.Play},
		{&k.Sort, &k.Reverse, &k.Slowest, &k.PageUp, &k.PageDown, &k.Escape},
	}
}

// set enables b, or disables it with the reason why when why is not empty.
func (k *keyMap) set(b *key.Binding, why string) {
	b.SetEnabled(why == "")
	if why == "" {
		delete(k.why, b)
	} else {
		k.why[b] = why
	}
}

// syncKeys enables the bindings that do something in the current state, records why the
// others do nothing, and refreshes the hints and the help screen.
func (m *model) syncKeys() {
	k := &m.keys
	replay := m.opts.Runner == nil
	reqView := m.view == viewRequests
	noRun := ""
	switch {
	case replay:
		noRun = "a replay runs nothing"
	case !m.loaded:
		noRun = "the model is not loaded yet"
	}
	either := func(a, b string) string {
		if a != "" {
			return a
		}
		return b
	}
	k.set(&k.Run, either(noRun, when(m.active, "a run is going: s stops it")))
	k.set(&k.Stop, either(when(replay, "a replay runs nothing"), when(!m.active, "no run is going")))
	k.set(&k.Sweep, noRun)
	for _, b := range []*key.Binding{&k.BatchUp, &k.BatchDown, &k.ISLUp, &k.ISLDown, &k.OSLUp, &k.OSLDown,
		&k.RequestsUp, &k.RequestsDown, &k.ConcurrencyUp, &k.ConcurrencyDown} {
		k.set(b, either(when(replay, "a replay runs nothing"), when(reqView, "not in the requests view: esc goes back")))
	}
	cr := m.cursorRun()
	exportWhy := ""
	switch {
	case cr == nil:
		exportWhy = "no run yet"
	case cr.export == nil:
		exportWhy = cr.name() + " has not ended"
	}
	k.set(&k.Export, exportWhy)
	if cr != nil {
		k.Export.SetHelp("e", "export "+cr.name())
	} else {
		k.Export.SetHelp("e", "export the run under the history cursor")
	}
	k.set(&k.Maximize, when(m.view != viewDashboard, "only on the dashboard"))
	k.set(&k.NextPanel, when(m.view != viewDashboard, "only on the dashboard"))
	k.set(&k.PrevPanel, when(m.view != viewDashboard, "only on the dashboard"))
	k.set(&k.Chart, when(m.view == viewDashboard && m.allChartsShown(), "every chart is on screen at this size"))
	multi := len(m.runs) > 1
	k.set(&k.Up, when(!multi && !reqView, "one run in the history"))
	k.set(&k.Down, when(!multi && !reqView, "one run in the history"))
	k.set(&k.Mark, either(when(replay, "in a replay space plays"), when(!multi, "one run: nothing to compare")))
	k.set(&k.Compare, when(len(m.history.Marked()) != 2, "mark two runs with space first"))
	pinWhy := ""
	switch {
	case replay:
		pinWhy = "a replay has no live run to compare"
	case cr == nil:
		pinWhy = "no run yet"
	case cr.export == nil:
		pinWhy = cr.name() + " has not ended"
	}
	k.set(&k.Pin, pinWhy)
	k.set(&k.Unpin, when(m.base == nil, "no baseline is pinned"))
	openWhy := ""
	if reqView {
		openWhy = "the requests view is open"
	} else if m.requestsRun() == nil {
		openWhy = "no run has finished requests yet"
	}
	k.set(&k.Open, openWhy)
	scrubWhy := ""
	switch {
	case !replay:
		scrubWhy = "only in a replay (benchtui replay FILE)"
	case !m.canScrub():
		scrubWhy = "the report has no records to move through"
	}
	for _, b := range []*key.Binding{&k.Back, &k.Forward, &k.BackMore, &k.ForwardMore, &k.Play} {
		k.set(b, scrubWhy)
	}
	for _, b := range []*key.Binding{&k.Sort, &k.Reverse, &k.Slowest, &k.PageUp, &k.PageDown, &k.Home, &k.End} {
		k.set(b, when(!reqView, "in the requests view (enter)"))
	}
	k.set(&k.Escape, when(m.view == viewDashboard && !m.maximized, "nothing to go back from"))

	m.hints.Keys = k.hintKeys(m.shortHelp())
	groups := make([]panel.HelpGroup, 0, len(helpGroupTitles))
	for i, col := range k.fullHelp() {
		g := panel.HelpGroup{Title: helpGroupTitles[i]}
		for _, b := range col {
			h := b.Help()
			g.Keys = append(g.Keys, panel.HelpKey{Key: h.Key, Desc: h.Desc, Disabled: !b.Enabled(), Why: k.why[b]})
		}
		groups = append(groups, g)
	}
	m.help.SetGroups(groups)
}

// when is why if cond holds, else "".
func when(cond bool, why string) string {
	if cond {
		return why
	}
	return ""
}

// shortHelp is the hint bar: the keys that matter most in this state.
func (m *model) shortHelp() []*key.Binding {
	k := &m.keys
	switch {
	case m.view == viewRequests:
		return []*key.Binding{&k.Up, &k.Sort, &k.Reverse, &k.Slowest, &k.Escape, &k.Quit, &k.Help}
	case m.opts.Runner == nil:
		return []*key.Binding{&k.Back, &k.BackMore, &k.Play, &k.Open, &k.Metric, &k.Chart, &k.Theme, &k.Quit, &k.Help}
	}
	return []*key.Binding{&k.Run, &k.Stop, &k.Export, &k.Pin, &k.Open, &k.BatchUp, &k.ISLUp, &k.OSLUp, &k.Metric, &k.Chart, &k.Theme, &k.Quit, &k.Help}
}

// hintKeys converts bindings to hints, leaving out the disabled ones and those without
// help text; the hints use shorter words than the help screen.
func (k *keyMap) hintKeys(bindings []*key.Binding) []panel.HelpKey {
	short := map[*key.Binding][2]string{
		&k.Back: {"←/→", "move in time"}, &k.BackMore: {"[/]", "by a tenth"}, &k.Play: {"space", "play"},
		&k.Open: {"enter", "requests"}, &k.Pin: {"p", "pin baseline"}, &k.Up: {"↑/↓", "move"},
		&k.Metric: {"l", "metric"}, &k.Chart: {"g", "chart"}, &k.Sort: {"o", "sort"},
		&k.Reverse: {"O", "reverse"}, &k.Slowest: {"S", "slowest"},
	}
	var out []panel.HelpKey
	for _, b := range bindings {
		h := b.Help()
		if !b.Enabled() || (h.Key == "" && h.Desc == "") {
			continue
		}
		hk := panel.HelpKey{Key: h.Key, Desc: h.Desc}
		if s, ok := short[b]; ok {
			hk.Key, hk.Desc = s[0], s[1]
		}
		out = append(out, hk)
	}
	return out
}

// keyIn reports whether msg is one of b's keys, enabled or not.
func keyIn(msg tea.KeyPressMsg, b key.Binding) bool {
	for _, k := range b.Keys() {
		if msg.String() == k {
			return true
		}
	}
	return false
}

// disabledWhy is the reason a pressed key does nothing, "" when it does something or is
// not a dashboard key.
func (m *model) disabledWhy(msg tea.KeyPressMsg) string {
	for b, why := range m.keys.why {
		if keyIn(msg, *b) {
			return b.Help().Key + ": " + why
		}
	}
	return ""
}

func clampInt(v, lo, hi int) int { return max(lo, min(hi, v)) }
