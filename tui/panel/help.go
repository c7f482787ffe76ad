package panel

import (
	"github.com/benchtui/benchtui/themes"
)

// HelpKey is one key and what it does, as help shows it. A disabled key is shown greyed,
// with Why saying why it does nothing now.
type HelpKey struct {
	Key, Desc string
	Disabled  bool
	Why       string
}

// HelpGroup is a titled group of keys ("Run", "Navigation", ...).
type HelpGroup struct {
	Title string
	Keys  []HelpKey
}

// Help is the full help screen: key groups laid out in as many columns as fit.
type Help struct {
	// Groups are the key groups, in order.
	Groups []HelpGroup
	// Note is shown at the right of the top border, e.g. "? or esc to close".
	Note string
	focus

	st *themes.Styles
}

// NewHelp returns a help panel drawn with st.
func NewHelp(st *themes.Styles) *Help {
	return &Help{st: st}
}

// SetStyles changes the theme.
func (p *Help) SetStyles(st *themes.Styles) { p.st = st }

// SetGroups replaces the key groups.
func (p *Help) SetGroups(g []HelpGroup) { p.Groups = g }

// groupBlock renders one group as lines of exactly its own width.
func (p *Help) groupBlock(g HelpGroup, maxW int) (lines []string, w int) {
	st := p.st
	kw, dw := 0, 0
	for _, k := range g.Keys {
		kw = max(kw, textWidth(k.Key))
		dw = max(dw, textWidth(k.Desc))
	}
	for _, k := range g.Keys {
		if k.Why != "" {
			dw = max(dw, textWidth(k.Why)+2)
		}
	}
	w = min(max(kw+1+dw, textWidth(g.Title)), maxW)
	var l lineBuf
	l.ink(st.Title, truncate(g.Title, w))
	lines = append(lines, l.fit(w))
	for _, k := range g.Keys {
		l.reset()
		ki, di := st.Key, st.KeyDesc
		if k.Disabled {
			// Greyed: the key does nothing now; the line below says why.
			ki, di = st.Subtle, st.Subtle
		}
		l.ink(ki, align(truncate(k.Key, w), min(kw, w), false))
		if rest := w - l.w - 1; rest > 0 {
			l.text(" ")
			l.ink(di, truncate(k.Desc, rest))
		}
		lines = append(lines, l.fit(w))
		if k.Disabled && k.Why != "" {
			l.reset()
			l.pad(min(kw+1, w))
			if rest := w - l.w; rest > 0 {
				l.ink(st.Muted, truncate("("+k.Why+")", rest))
			}
			lines = append(lines, l.fit(w))
		}
	}
	return lines, w
}

// Render draws the help screen in exactly width x height cells. Groups flow left to
// right and wrap into bands; what does not fit in the height is cut, with the last line
// saying so.
func (p *Help) Render(width, height int) string {
	if width <= 0 || height <= 0 {
		return ""
	}
	st := p.st
	if !hasBox(width, height) {
		var l lineBuf
		l.ink(st.Title, "help: ")
		var parts []part
		for _, g := range p.Groups {
			for _, k := range g.Keys {
				parts = append(parts, part{[]span{{k.Key, st.Key}, {" " + k.Desc, st.KeyDesc}}, len(parts)})
			}
		}
		fitParts(&l, parts, span{" · ", st.Subtle}, width-l.w)
		return bare(width, height, []string{string(l.b)})
	}
	iw, ih := inner(width, height)
	b := box{st: st, focused: p.focused, title: []span{{"Help", st.Title}}}
	if p.Note != "" {
		b.note = []span{{p.Note, st.Muted}}
	}
	if len(p.Groups) == 0 {
		return b.message(width, height, "no keys")
	}
	const gapW = 4
	var body []string
	var band [][]string
	var bandW []int
	flush := func() {
		if len(band) == 0 {
			return
		}
		if len(body) > 0 {
			body = append(body, spaces(iw))
		}
		rows := 0
		for _, g := range band {
			rows = max(rows, len(g))
		}
		for r := 0; r < rows; r++ {
			var l lineBuf
			for i, g := range band {
				if i > 0 {
					l.pad(gapW)
				}
				if r < len(g) {
					l.raw(g[r], bandW[i])
				} else {
					l.pad(bandW[i])
				}
			}
			body = append(body, l.fit(iw))
		}
		band, bandW = band[:0], bandW[:0]
	}
	used := 0
	for _, g := range p.Groups {
		lines, w := p.groupBlock(g, iw)
		if len(band) > 0 && used+gapW+w > iw {
			flush()
			used = 0
		}
		if len(band) > 0 {
			used += gapW
		}
		band = append(band, lines)
		bandW = append(bandW, w)
		used += w
	}
	flush()
	if len(body) > ih {
		body = body[:ih]
		var l lineBuf
		l.ink(st.Muted, truncate("… more keys: enlarge the terminal", iw))
		body[ih-1] = l.fit(iw)
	}
	return b.render(width, height, body)
}

// Hints is the one-line key hint bar at the bottom of the dashboard, with an optional
// status message on the right.
type Hints struct {
	// Keys are the hints in order; when they do not fit, the last ones go first,
	// except the very last (usually "? help"), which is kept longest.
	Keys []HelpKey
	// Status is a short message shown at the right (e.g. "saved results.json").
	Status string

	focus
	st *themes.Styles
}

// NewHints returns a hint bar drawn with st.
func NewHints(st *themes.Styles) *Hints {
	return &Hints{st: st}
}

// SetStyles changes the theme.
func (p *Hints) SetStyles(st *themes.Styles) { p.st = st }

// statusRoom is how many cells the status may take beside the keys.
func statusRoom(width int) int { return width / 2 }

// Lines is how many lines the hints need at this width: one, or, when the status does
// not fit beside the keys, the status wrapped on lines of its own (at most three) above
// them. A status is never cut.
func (p *Hints) Lines(width int) int {
	if p.Status == "" || textWidth(p.Status) <= statusRoom(width) || width <= 0 {
		return 1
	}
	return 1 + min(len(wrap(p.Status, width)), 3)
}

// Render draws the hints on the last line, with the status at its right when it fits;
// otherwise the status is wrapped on the lines above (Lines says how many it needs).
func (p *Hints) Render(width, height int) string {
	if width <= 0 || height <= 0 {
		return ""
	}
	st := p.st
	parts := make([]part, len(p.Keys))
	for i, k := range p.Keys {
		prio := i + 1
		if i == len(p.Keys)-1 {
			prio = 0
		}
		ink, dink := st.Key, st.KeyDesc
		if k.Disabled {
			ink, dink = st.Muted, st.Muted
		}
		parts[i] = part{[]span{{k.Key, ink}, {" " + k.Desc, dink}}, prio}
	}
	room := width
	sw := 0
	var above []string
	if p.Status != "" {
		if textWidth(p.Status) <= statusRoom(width) || height == 1 {
			sw = min(textWidth(p.Status), statusRoom(width))
			room = width - sw - 2
		} else {
			for _, w := range wrap(p.Status, width) {
				var l lineBuf
				l.ink(st.Accent, w)
				above = append(above, l.fit(width))
			}
			if len(above) > height-1 {
				// Not enough lines: keep the end, which holds the choices.
				above = above[len(above)-(height-1):]
			}
		}
	}
	var l lineBuf
	fitParts(&l, parts, span{" • ", st.Subtle}, max(room, 0))
	if sw > 0 {
		l.padTo(width - sw)
		l.ink(st.Accent, truncate(p.Status, sw))
	}
	lines := make([]string, 0, height)
	for len(lines)+len(above) < height-1 {
		lines = append(lines, spaces(width))
	}
	lines = append(lines, above...)
	lines = append(lines, l.fit(width))
	return joinLines(lines, width, height)
}

// Summary is the hint bar itself.
func (p *Hints) Summary(width int) string { return p.Render(width, 1) }

// Summary is the help screen as one line of keys.
func (p *Help) Summary(width int) string { return p.Render(width, 1) }
