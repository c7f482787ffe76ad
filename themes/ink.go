package themes

import (
	"strings"

	"charm.land/lipgloss/v2"
)

// Ink is a Lip Gloss style together with the escape sequences it wraps text in. The
// dashboard paints hundreds of short spans per frame (sparkline cells, table cells) and
// Style.Render costs microseconds each, because it handles wrapping, padding and
// borders; Paint only concatenates, which keeps a full frame well under a millisecond.
// The embedded Style stays available for bubbles components and for anything that needs
// Lip Gloss's layout features.
type Ink struct {
	lipgloss.Style
	pre, post string
	// blankVisible says whether painting a space shows anything (a background, reverse,
	// underline or strike-through); when it does not, blanks need no escape sequences.
	blankVisible bool
}

// NewInk compiles a style. Only the style's text attributes and colours are captured by
// Paint; width, padding, margins and borders apply only through the embedded Style.
func NewInk(s lipgloss.Style) Ink {
	// A style renders a single cell as prefix + cell + suffix; SGR sequences never
	// contain the letter X, so splitting at it recovers both halves.
	r := s.Render("X")
	i := strings.IndexByte(r, 'X')
	if i < 0 {
		return Ink{Style: s}
	}
	_, noBg := s.GetBackground().(lipgloss.NoColor)
	visible := (s.GetBackground() != nil && !noBg) || s.GetReverse() || s.GetUnderline() || s.GetStrikethrough()
	return Ink{Style: s, pre: r[:i], post: r[i+1:], blankVisible: visible}
}

// BlankVisible reports whether a painted space differs from a plain one.
func (k Ink) BlankVisible() bool { return k.blankVisible }

// Paint wraps one line of text in the ink's escape sequences. Text must not contain
// newlines.
func (k Ink) Paint(s string) string {
	if s == "" || k.pre == "" {
		return s
	}
	return k.pre + s + k.post
}

// Plain reports whether painting leaves text unchanged.
func (k Ink) Plain() bool { return k.pre == "" }

// Prefix and Suffix are the raw sequences, for builders that write spans piecewise.
func (k Ink) Prefix() string { return k.pre }

// Suffix is the sequence that ends a painted span.
func (k Ink) Suffix() string { return k.post }
