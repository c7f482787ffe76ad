package themes

import (
	"image/color"
	"os"

	"charm.land/lipgloss/v2"
)

// Tone is one semantic colour with a variant for each terminal background. A nil colour
// means "no colour": the terminal's default is used.
type Tone struct {
	Dark  color.Color
	Light color.Color
}

// tone builds a Tone from two hex strings.
func tone(dark, light string) Tone {
	return Tone{Dark: lipgloss.Color(dark), Light: lipgloss.Color(light)}
}

// pick returns the variant for the given background.
func (t Tone) pick(dark bool) color.Color {
	if dark {
		return t.Dark
	}
	return t.Light
}

// Palette is a theme's semantic colours. Panels never see it directly; Build turns it
// into Styles.
type Palette struct {
	// Name is the name ByName finds the palette under.
	Name string
	// Mono marks the palette without colours: emphasis comes from text attributes only.
	Mono bool

	Accent    Tone // titles, focused borders, the active tab, progress bars
	Good      Tone // running state, improvements in a comparison
	Warn      Tone // pending settings, warmup, high utilisation
	Bad       Tone // failures, regressions
	Muted     Tone // labels and secondary text
	Text      Tone // ordinary text and values
	Subtle    Tone // borders, empty bar cells, axes
	Highlight Tone // background of the selected row
	// Background is the terminal background each variant is made for: the contrast of
	// text (4.5:1) and borders (3:1) is tested against it.
	Background Tone
	// Series colours the lines of charts and the sparklines of devices, in order.
	Series []Tone
}

// The palettes, in the order Names lists them and Next cycles through them.
var palettes = []Palette{
	nvidiaPalette(),
	draculaPalette(),
	solarizedLightPalette(),
	monoPalette(),
}

func nvidiaPalette() Palette {
	return Palette{
		Name:       "nvidia",
		Accent:     tone("#76B900", "#4A7A00"),
		Good:       tone("#8FD14F", "#2E7D32"),
		Warn:       tone("#F2C14E", "#A86400"),
		Bad:        tone("#FF5F56", "#C62828"),
		Muted:      tone("#8A9099", "#5F6670"),
		Text:       tone("#E6E8EA", "#1E2124"),
		Subtle:     tone("#3D434A", "#92959A"),
		Highlight:  tone("#24331A", "#E2F0CC"),
		Background: tone("#000000", "#FFFFFF"),
		Series: []Tone{
			tone("#76B900", "#4A7A00"),
			tone("#3FB5E8", "#0069A0"),
			tone("#F2C14E", "#A86400"),
			tone("#C792EA", "#7B3FA0"),
			tone("#FF8A65", "#B8401C"),
			tone("#4DD0C4", "#00796B"),
		},
	}
}

func draculaPalette() Palette {
	// Dark values are Dracula's; light values are from its light sibling, Alucard.
	return Palette{
		Name:       "dracula",
		Accent:     tone("#BD93F9", "#644AC9"),
		Good:       tone("#50FA7B", "#14710A"),
		Warn:       tone("#FFB86C", "#A34D14"),
		Bad:        tone("#FF5555", "#CB3A2A"),
		Muted:      tone("#6272A4", "#635D97"),
		Text:       tone("#F8F8F2", "#1F1F1F"),
		Subtle:     tone("#44475A", "#90909B"),
		Highlight:  tone("#44475A", "#E6E4F2"),
		Background: tone("#282A36", "#FFFBEB"),
		Series: []Tone{
			tone("#FF79C6", "#A3144D"),
			tone("#8BE9FD", "#036A96"),
			tone("#50FA7B", "#14710A"),
			tone("#FFB86C", "#A34D14"),
			tone("#BD93F9", "#644AC9"),
			tone("#F1FA8C", "#846E15"),
		},
	}
}

func solarizedLightPalette() Palette {
	// Solarized keeps its accent hues on both backgrounds and swaps the base tones;
	// the light variant is the one this palette is named for. Its light accent, warn,
	// bad, muted, border and cyan are darkened from Solarized's own values, which stay
	// under 4.5:1 (text) or 3:1 (borders) on base3.
	return Palette{
		Name:       "solarized-light",
		Accent:     tone("#268BD2", "#2076B2"),
		Good:       tone("#859900", "#5F7000"),
		Warn:       tone("#B58900", "#A65300"),
		Bad:        tone("#DC322F", "#C8302C"),
		Muted:      tone("#657B83", "#586E75"),
		Text:       tone("#93A1A1", "#4A5F66"),
		Subtle:     tone("#2E4A52", "#928E7F"),
		Highlight:  tone("#073642", "#EEE8D5"),
		Background: tone("#002B36", "#FDF6E3"),
		Series: []Tone{
			tone("#268BD2", "#268BD2"),
			tone("#CB4B16", "#CB4B16"),
			tone("#859900", "#5F7000"),
			tone("#D33682", "#D33682"),
			tone("#2AA198", "#24887F"),
			tone("#6C71C4", "#6C71C4"),
		},
	}
}

func monoPalette() Palette {
	return Palette{Name: "mono", Mono: true}
}

// Names lists the palettes' names in cycling order.
func Names() []string {
	names := make([]string, len(palettes))
	for i, p := range palettes {
		names[i] = p.Name
	}
	return names
}

// ByName returns the palette with the given name.
func ByName(name string) (Palette, bool) {
	for _, p := range palettes {
		if p.Name == name {
			// Copy the series so a caller editing its palette cannot change ours.
			p.Series = append([]Tone(nil), p.Series...)
			return p, true
		}
	}
	return Palette{}, false
}

// Next returns the name after name in Names, wrapping around; an unknown name gives the
// first palette.
func Next(name string) string {
	for i, p := range palettes {
		if p.Name == name {
			return palettes[(i+1)%len(palettes)].Name
		}
	}
	return palettes[0].Name
}

// Default names the palette to start with: "mono" when colour is off, otherwise one that
// reads well on the detected background. The root model learns the background from
// tea.BackgroundColorMsg (or lipgloss.HasDarkBackground when standalone).
func Default(dark bool, noColor bool) string {
	switch {
	case noColor:
		return "mono"
	case dark:
		return "nvidia"
	default:
		return "solarized-light"
	}
}

// NoColor reports whether the user asked for no colour through the NO_COLOR environment
// variable (https://no-color.org: set to any non-empty value).
func NoColor() bool {
	return os.Getenv("NO_COLOR") != ""
}
