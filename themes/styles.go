package themes

import (
	"image/color"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// Colors are a palette's tones resolved for one background. A nil field means the
// terminal's default colour (always the case for the mono palette).
type Colors struct {
	Accent, Good, Warn, Bad, Muted, Text, Subtle, Highlight color.Color
	Series                                                  []color.Color
}

// Styles is everything the panels draw with. It is built once per theme change by Build
// and shared by pointer; panels must treat it as read-only.
type Styles struct {
	// Name is the palette's name.
	Name string
	// Dark records the background the styles were built for.
	Dark bool
	// Mono is true when the styles carry no colour, only attributes.
	Mono bool
	// Colors are the resolved colours, for callers that style bubbles components
	// (spinner, text inputs) themselves.
	Colors Colors

	Text   Ink // ordinary text
	Muted  Ink // labels, secondary text
	Subtle Ink // de-emphasised decoration
	Accent Ink
	Good   Ink
	Warn   Ink
	Bad    Ink

	Title         Ink // panel titles
	Border        Ink // panel borders
	BorderFocused Ink // the focused panel's border
	Label         Ink // "util", "ISL", column names
	Value         Ink // numbers next to a label
	Pending       Ink // a setting changed while a run is active
	Selected      Ink // the cursor row
	Marked        Ink // a row marked for comparison
	TableHeader   Ink
	Tab           Ink // an inactive tab
	TabActive     Ink // the active tab
	Key           Ink // a key in help and hints
	KeyDesc       Ink // what a key does
	BarFull       Ink // the filled part of a bar
	BarEmpty      Ink // the empty part of a bar

	// Series styles chart series and sparklines, in order; never empty.
	Series []Ink
	// SeriesANSI holds the series colours as xterm-256 indices for libraries that take
	// only those (asciigraph); -1 means the default colour.
	SeriesANSI []int
	// AxisANSI is the xterm-256 index for chart axes and labels, -1 for default.
	AxisANSI int
}

// Build turns a palette into styles for a dark or light background. It never returns nil.
func Build(p Palette, dark bool) *Styles {
	if p.Mono {
		return buildMono(p, dark)
	}
	c := Colors{
		Accent:    p.Accent.pick(dark),
		Good:      p.Good.pick(dark),
		Warn:      p.Warn.pick(dark),
		Bad:       p.Bad.pick(dark),
		Muted:     p.Muted.pick(dark),
		Text:      p.Text.pick(dark),
		Subtle:    p.Subtle.pick(dark),
		Highlight: p.Highlight.pick(dark),
	}
	for _, t := range p.Series {
		c.Series = append(c.Series, t.pick(dark))
	}
	if len(c.Series) == 0 {
		c.Series = []color.Color{c.Accent}
	}

	fg := func(col color.Color) lipgloss.Style {
		s := lipgloss.NewStyle()
		if col != nil {
			s = s.Foreground(col)
		}
		return s
	}
	selected := fg(c.Text).Bold(true)
	if c.Highlight != nil {
		selected = selected.Background(c.Highlight)
	} else {
		selected = selected.Reverse(true)
	}
	s := &Styles{
		Name:   p.Name,
		Dark:   dark,
		Colors: c,

		Text:   NewInk(fg(c.Text)),
		Muted:  NewInk(fg(c.Muted)),
		Subtle: NewInk(fg(c.Subtle)),
		Accent: NewInk(fg(c.Accent)),
		Good:   NewInk(fg(c.Good)),
		Warn:   NewInk(fg(c.Warn)),
		Bad:    NewInk(fg(c.Bad)),

		Title:         NewInk(fg(c.Accent).Bold(true)),
		Border:        NewInk(fg(c.Subtle)),
		BorderFocused: NewInk(fg(c.Accent)),
		Label:         NewInk(fg(c.Muted)),
		Value:         NewInk(fg(c.Text).Bold(true)),
		Pending:       NewInk(fg(c.Warn).Bold(true)),
		Selected:      NewInk(selected),
		Marked:        NewInk(fg(c.Accent).Bold(true)),
		TableHeader:   NewInk(fg(c.Muted).Bold(true)),
		Tab:           NewInk(fg(c.Muted)),
		TabActive:     NewInk(fg(c.Accent).Bold(true).Underline(true)),
		Key:           NewInk(fg(c.Accent).Bold(true)),
		KeyDesc:       NewInk(fg(c.Muted)),
		BarFull:       NewInk(fg(c.Accent)),
		BarEmpty:      NewInk(fg(c.Subtle)),
		AxisANSI:      ansi256(c.Muted),
	}
	for _, col := range c.Series {
		s.Series = append(s.Series, NewInk(fg(col)))
		s.SeriesANSI = append(s.SeriesANSI, ansi256(col))
	}
	return s
}

// buildMono builds attribute-only styles: nothing in them sets a colour, so the output
// honours NO_COLOR while still showing focus, selection and good/bad. It uses only bold,
// faint and reverse, which every terminal renders; bad news is reversed so it stands out
// from good news (bold) without colour.
func buildMono(p Palette, dark bool) *Styles {
	plain := lipgloss.NewStyle()
	bold := plain.Bold(true)
	faint := plain.Faint(true)
	ink := NewInk
	return &Styles{
		Name: p.Name,
		Dark: dark,
		Mono: true,

		Text:   ink(plain),
		Muted:  ink(faint),
		Subtle: ink(faint),
		Accent: ink(bold),
		Good:   ink(bold),
		Warn:   ink(bold),
		Bad:    ink(plain.Reverse(true)),

		Title:         ink(bold),
		Border:        ink(faint),
		BorderFocused: ink(bold),
		Label:         ink(faint),
		Value:         ink(bold),
		Pending:       ink(bold),
		Selected:      ink(plain.Reverse(true)),
		Marked:        ink(bold),
		TableHeader:   ink(bold),
		Tab:           ink(faint),
		TabActive:     ink(bold.Reverse(true)),
		Key:           ink(bold),
		KeyDesc:       ink(plain),
		BarFull:       ink(plain),
		BarEmpty:      ink(faint),

		Series:     []Ink{ink(plain), ink(plain)},
		SeriesANSI: []int{-1, -1},
		AxisANSI:   -1,
	}
}

// SeriesStyle returns the ink of chart series i, cycling through the series.
func (s *Styles) SeriesStyle(i int) Ink {
	return s.Series[i%len(s.Series)]
}

// SeriesIndex returns the xterm-256 index of chart series i, cycling, or -1 for the
// default colour.
func (s *Styles) SeriesIndex(i int) int {
	return s.SeriesANSI[i%len(s.SeriesANSI)]
}

// ansi256 maps a colour to the nearest xterm-256 index, -1 for none.
func ansi256(c color.Color) int {
	if c == nil {
		return -1
	}
	return int(ansi.Convert256(c))
}
