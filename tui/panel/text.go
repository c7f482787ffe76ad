package panel

import (
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/benchtui/benchtui/themes"
	"github.com/charmbracelet/x/ansi"
)

// Panels build their output line by line with lineBuf, which tracks the display width
// of what was written so that fitting a line to its box needs no second pass over the
// escape sequences. Measuring with ansi.StringWidth costs about 13µs for a 200-column
// coloured line, which over a 60-line frame would eat half of the frame budget; the
// fast path below handles the characters the dashboard draws and falls back to
// ansi.StringWidth for anything else, so the result is always the same as Lip Gloss's.

// textWidth is the display width of s, which may contain SGR escape sequences.
func textWidth(s string) int {
	w := 0
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == 0x1b:
			// Skip a CSI sequence (ESC [ params final); any other escape takes the
			// slow path.
			if i+1 < len(s) && s[i+1] == '[' {
				j := i + 2
				for j < len(s) && (s[j] < 0x40 || s[j] > 0x7e) {
					j++
				}
				i = j + 1
				continue
			}
			return ansi.StringWidth(s)
		case c < 0x20 || c == 0x7f:
			i++
		case c < utf8.RuneSelf:
			w++
			i++
		default:
			r, n := utf8.DecodeRuneInString(s[i:])
			if !narrowRune(r) {
				return ansi.StringWidth(s)
			}
			w++
			i += n
		}
	}
	return w
}

// narrowRune reports whether r is a single-cell character of the kind the dashboard
// draws (Latin letters, Greek, punctuation, arrows, box drawing, blocks, shapes,
// braille spinner frames). Anything else is measured by ansi.StringWidth.
func narrowRune(r rune) bool {
	switch {
	case r >= 0xa0 && r <= 0x2ff: // Latin-1 supplement, Latin extended
		return r != 0xad // soft hyphen: zero width
	case r >= 0x370 && r <= 0x3ff: // Greek (Δ)
		return r != 0x37a && !(r >= 0x384 && r <= 0x385)
	case r >= 0x2010 && r <= 0x2027: // dashes, bullets, ellipsis
		return true
	case r >= 0x2190 && r <= 0x21ff: // arrows
		return true
	case r >= 0x2500 && r <= 0x25ff: // box drawing, block elements, geometric shapes
		return r != 0x25fd && r != 0x25fe // emoji-presentation squares are wide
	case r >= 0x2800 && r <= 0x28ff: // braille (spinner frames)
		return true
	case r == 0x2713 || r == 0x2717 || r == 0x2264 || r == 0x2265: // ✓ ✗ ≤ ≥
		return true
	}
	return false
}

// lineBuf builds one output line from plain and inked spans. Consecutive spans of the
// same ink share one pair of escape sequences, and blanks in an ink that paints nothing on
// them get none: the terminal renderer parses every sequence of every frame, so fewer of
// them make each frame cheaper to draw.
type lineBuf struct {
	b []byte
	w int
	// open is the prefix of the last inked span when nothing was written after it; its
	// suffix then ends b and the next span in the same ink can continue it.
	open string
}

// text appends plain text.
func (l *lineBuf) text(s string) {
	l.b = append(l.b, s...)
	l.w += textWidth(s)
	l.open = ""
}

// ink appends text painted with k.
func (l *lineBuf) ink(k themes.Ink, s string) {
	if s == "" {
		return
	}
	w := textWidth(s)
	switch {
	case k.Plain(), !k.BlankVisible() && blank(s):
		l.b = append(l.b, s...)
		l.open = ""
	case l.open != "" && l.open == k.Prefix() && len(k.Suffix()) <= len(l.b):
		// Continue the previous span: drop its suffix, add the text and the suffix again.
		l.b = append(l.b[:len(l.b)-len(k.Suffix())], s...)
		l.b = append(l.b, k.Suffix()...)
	default:
		l.b = append(l.b, k.Prefix()...)
		l.b = append(l.b, s...)
		l.b = append(l.b, k.Suffix()...)
		l.open = k.Prefix()
	}
	l.w += w
}

// blank reports whether s is only spaces.
func blank(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] != ' ' {
			return false
		}
	}
	return true
}

// raw appends text whose width the caller already knows.
func (l *lineBuf) raw(s string, w int) {
	l.b = append(l.b, s...)
	l.w += w
	l.open = ""
}

// pad appends n spaces.
func (l *lineBuf) pad(n int) {
	if n <= 0 {
		return
	}
	l.b = append(l.b, spaces(n)...)
	l.w += n
	l.open = ""
}

// padTo pads the line to width w.
func (l *lineBuf) padTo(w int) {
	if l.w < w {
		l.pad(w - l.w)
	}
}

// fit returns the line cut or padded to exactly width cells.
func (l *lineBuf) fit(width int) string {
	return fitKnown(string(l.b), l.w, width)
}

func (l *lineBuf) reset() {
	l.b = l.b[:0]
	l.w = 0
	l.open = ""
}

// fitKnown cuts or pads s, whose width is w, to exactly width cells.
func fitKnown(s string, w, width int) string {
	switch {
	case width <= 0:
		return ""
	case w == width:
		return s
	case w < width:
		return s + spaces(width-w)
	}
	t := ansi.Truncate(s, width, "")
	// A wide character cut in half leaves the line one cell short.
	if tw := textWidth(t); tw < width {
		t += spaces(width - tw)
	}
	return t
}

// fit cuts or pads s to exactly width cells.
func fit(s string, width int) string {
	return fitKnown(s, textWidth(s), width)
}

// truncate shortens plain text to at most width cells, marking the cut with an ellipsis.
func truncate(s string, width int) string {
	if width <= 0 {
		return ""
	}
	if textWidth(s) <= width {
		return s
	}
	if width == 1 {
		return "…"
	}
	return ansi.Truncate(s, width, "…")
}

const spaceRun = "                                                                                                                                                                                                                                                                "

// spaces returns n spaces.
func spaces(n int) string {
	if n <= 0 {
		return ""
	}
	if n <= len(spaceRun) {
		return spaceRun[:n]
	}
	return strings.Repeat(" ", n)
}

// repeat returns s repeated n times (n may be negative).
func repeat(s string, n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat(s, n)
}

// joinLines joins lines fitted to width into exactly h lines, padding with blank lines.
func joinLines(lines []string, width, h int) string {
	if width <= 0 || h <= 0 {
		return ""
	}
	var b strings.Builder
	b.Grow(h * (width + 16))
	for i := 0; i < h; i++ {
		if i > 0 {
			b.WriteByte('\n')
		}
		if i < len(lines) {
			b.WriteString(fit(lines[i], width))
		} else {
			b.WriteString(spaces(width))
		}
	}
	return b.String()
}

// Number formatting. The dashboard shows many numbers in narrow columns, so they are
// written with about three significant digits and an SI suffix.

// si formats v compactly: 950, 9.5k, 12.3k, 123k, 1.23M.
func si(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "n/a"
	}
	neg := v < 0
	if neg {
		v = -v
	}
	var s string
	switch {
	case v < 10:
		s = strings.TrimSuffix(strconv.FormatFloat(v, 'f', 1, 64), ".0")
	case v < 999.5:
		s = strconv.FormatFloat(v, 'f', 0, 64)
	default:
		units := []string{"k", "M", "G", "T"}
		u := -1
		for v >= 999.5 && u < len(units)-1 {
			v /= 1000
			u++
		}
		switch {
		case v < 10:
			s = strconv.FormatFloat(v, 'f', 2, 64)
		case v < 100:
			s = strconv.FormatFloat(v, 'f', 1, 64)
		default:
			s = strconv.FormatFloat(v, 'f', 0, 64)
		}
		s += units[u]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// ms formats a latency in milliseconds with precision that suits its size.
func ms(v float64) string {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return "n/a"
	case v < 10:
		return strconv.FormatFloat(v, 'f', 2, 64)
	case v < 100:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case v < 100000:
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return si(v)
}

// pct formats a percentage: 7.5%, 63%, 100%.
func pct(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "n/a"
	}
	if v < 10 && v > -10 {
		return strconv.FormatFloat(v, 'f', 1, 64) + "%"
	}
	return strconv.FormatFloat(v, 'f', 0, 64) + "%"
}

// dur formats a duration for humans: 0.4s, 42s, 3m05s, 1h02m.
func dur(d time.Duration) string {
	if d < 0 {
		return "n/a"
	}
	s := d.Seconds()
	switch {
	case s < 10:
		return strconv.FormatFloat(s, 'f', 1, 64) + "s"
	case s < 60:
		return strconv.Itoa(int(s)) + "s"
	case s < 3600:
		m := int(s) / 60
		return strconv.Itoa(m) + "m" + pad2(int(s)%60) + "s"
	}
	h := int(s) / 3600
	return strconv.Itoa(h) + "h" + pad2((int(s)%3600)/60) + "m"
}

// secs formats a time-axis value in seconds: 0s, 45s, 2m30s, 1h05m.
func secs(v float64) string {
	if v < 10 && v != math.Round(v) {
		// Short runs: whole seconds would label every tick 0s.
		return strconv.FormatFloat(v, 'f', 1, 64) + "s"
	}
	if v < 60 {
		return strconv.Itoa(int(math.Round(v))) + "s"
	}
	return dur(time.Duration(v * float64(time.Second)))
}

func pad2(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

// itoa is strconv.Itoa, short because it is everywhere.
func itoa(n int) string { return strconv.Itoa(n) }

// clamp limits v to [lo, hi].
func clamp(v, lo, hi int) int {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}

// clampF limits v to [lo, hi].
func clampF(v, lo, hi float64) float64 {
	if v < lo || math.IsNaN(v) {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}

// span is a piece of text with its ink.
type span struct {
	s string
	k themes.Ink
}

// part is a group of spans that is shown or dropped as a whole.
type part struct {
	spans []span
	// prio orders dropping: when the parts do not fit, the highest prio goes first.
	prio int
}

func (p part) width() int {
	w := 0
	for _, s := range p.spans {
		w += textWidth(s.s)
	}
	return w
}

// fitParts writes as many parts as fit in width, separated by sep, dropping the parts
// with the highest prio first; it keeps the parts' order. If even the most important
// part does not fit it is truncated.
func fitParts(l *lineBuf, parts []part, sep span, width int) {
	widths := make([]int, len(parts))
	keep := make([]bool, len(parts))
	total := 0
	sepW := textWidth(sep.s)
	n := 0
	for i, p := range parts {
		widths[i] = p.width()
		keep[i] = true
		total += widths[i]
		n++
	}
	total += sepW * max(n-1, 0)
	for total > width && n > 1 {
		// Drop the kept part with the highest prio (the last one on ties).
		worst := -1
		for i := range parts {
			if keep[i] && (worst < 0 || parts[i].prio >= parts[worst].prio) {
				worst = i
			}
		}
		keep[worst] = false
		total -= widths[worst] + sepW
		n--
	}
	start, startLen := l.w, len(l.b)
	l.open = "" // the parts may be cut apart below: never merge into what came before
	first := true
	for i, p := range parts {
		if !keep[i] {
			continue
		}
		if !first {
			l.ink(sep.k, sep.s)
		}
		first = false
		for _, s := range p.spans {
			l.ink(s.k, s.s)
		}
	}
	if l.w-start > width {
		s := ansi.Truncate(string(l.b[startLen:]), width, "…")
		l.b = append(l.b[:startLen], s...)
		l.w = start + textWidth(s)
		l.open = ""
	}
}

// wrap breaks plain text into lines of at most width cells at spaces; a word longer than
// the width is cut.
func wrap(s string, width int) []string {
	if width <= 0 {
		return nil
	}
	var lines []string
	var cur strings.Builder
	cw := 0
	for _, word := range strings.Fields(s) {
		ww := textWidth(word)
		if cw > 0 && cw+1+ww > width {
			lines = append(lines, cur.String())
			cur.Reset()
			cw = 0
		}
		if cw > 0 {
			cur.WriteByte(' ')
			cw++
		}
		if ww > width {
			word = truncate(word, width-cw)
			ww = textWidth(word)
		}
		cur.WriteString(word)
		cw += ww
	}
	if cw > 0 || len(lines) == 0 {
		lines = append(lines, cur.String())
	}
	return lines
}

// Wrap breaks plain text into lines of at most width cells at spaces, for the root's
// status lines.
func Wrap(s string, width int) []string { return wrap(s, width) }

// FormatMS, FormatSI and FormatRate are the panels' number formats (a latency in ms, a
// count or rate with an SI suffix, a rate in the history and compare tables), exported for
// the tests that check every figure the dashboard prints against the report's.
func FormatMS(v float64) string { return ms(v) }

// FormatSI formats like the result strip's and the charts' rates.
func FormatSI(v float64) string { return si(v) }

// FormatRate formats like the history's and compare's rates.
func FormatRate(v float64) string { return fnum(v) }
