package themes

import (
	"image/color"
	"math"
	"slices"
	"strings"
	"testing"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

func TestNamesAndLookup(t *testing.T) {
	names := Names()
	if len(names) < 4 {
		t.Fatalf("want at least four palettes, got %v", names)
	}
	for _, want := range []string{"nvidia", "dracula", "solarized-light", "mono"} {
		if !slices.Contains(names, want) {
			t.Errorf("Names() = %v, missing %q", names, want)
		}
	}
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n] {
			t.Errorf("duplicate palette name %q", n)
		}
		seen[n] = true
		p, ok := ByName(n)
		if !ok || p.Name != n {
			t.Errorf("ByName(%q) = %q, %v", n, p.Name, ok)
		}
	}
	if _, ok := ByName("no-such-theme"); ok {
		t.Error("ByName found an unknown palette")
	}
}

func TestByNameReturnsCopy(t *testing.T) {
	p, _ := ByName("nvidia")
	p.Series[0] = Tone{}
	q, _ := ByName("nvidia")
	if q.Series[0].Dark == nil {
		t.Fatal("editing a returned palette changed the stored one")
	}
}

func TestNextCycles(t *testing.T) {
	names := Names()
	name := names[0]
	for i := 1; i <= len(names); i++ {
		name = Next(name)
		if want := names[i%len(names)]; name != want {
			t.Fatalf("step %d: Next = %q, want %q", i, name, want)
		}
	}
	if got := Next("unknown"); got != names[0] {
		t.Errorf("Next(unknown) = %q, want %q", got, names[0])
	}
}

func TestDefault(t *testing.T) {
	cases := []struct {
		dark, noColor bool
		want          string
	}{
		{true, false, "nvidia"},
		{false, false, "solarized-light"},
		{true, true, "mono"},
		{false, true, "mono"},
	}
	for _, c := range cases {
		if got := Default(c.dark, c.noColor); got != c.want {
			t.Errorf("Default(%v, %v) = %q, want %q", c.dark, c.noColor, got, c.want)
		}
		if _, ok := ByName(Default(c.dark, c.noColor)); !ok {
			t.Errorf("Default(%v, %v) names an unknown palette", c.dark, c.noColor)
		}
	}
}

func TestNoColorEnv(t *testing.T) {
	t.Setenv("NO_COLOR", "")
	if NoColor() {
		t.Error("empty NO_COLOR must not disable colour")
	}
	t.Setenv("NO_COLOR", "1")
	if !NoColor() {
		t.Error("NO_COLOR=1 must disable colour")
	}
}

// allStyles lists every style field so tests can check them together.
func allStyles(s *Styles) []Ink {
	out := []Ink{s.Text, s.Muted, s.Subtle, s.Accent, s.Good, s.Warn, s.Bad,
		s.Title, s.Border, s.BorderFocused, s.Label, s.Value, s.Pending, s.Selected,
		s.Marked, s.TableHeader, s.Tab, s.TabActive, s.Key, s.KeyDesc, s.BarFull, s.BarEmpty}
	return append(out, s.Series...)
}

func TestBuildEveryPalette(t *testing.T) {
	for _, n := range Names() {
		for _, dark := range []bool{true, false} {
			p, _ := ByName(n)
			s := Build(p, dark)
			if s == nil {
				t.Fatalf("Build(%s, %v) = nil", n, dark)
			}
			if s.Name != n || s.Dark != dark || s.Mono != p.Mono {
				t.Errorf("Build(%s, %v) recorded name %q dark %v mono %v", n, dark, s.Name, s.Dark, s.Mono)
			}
			if len(s.Series) == 0 || len(s.Series) != len(s.SeriesANSI) {
				t.Errorf("Build(%s, %v): %d series styles, %d indices", n, dark, len(s.Series), len(s.SeriesANSI))
			}
			// Every style must render plain text unchanged apart from escapes.
			for i, st := range allStyles(s) {
				if got := st.Render("x"); !strings.Contains(got, "x") || lipgloss.Width(got) != 1 {
					t.Errorf("Build(%s, %v) style %d renders %q", n, dark, i, got)
				}
			}
		}
	}
}

func TestMonoHasNoColour(t *testing.T) {
	p, _ := ByName("mono")
	s := Build(p, true)
	for i, st := range allStyles(s) {
		got := st.Render("x")
		// SGR colour parameters: 30-37, 38;..., 40-47, 48;..., 90-97, 100-107.
		for _, seq := range sgrParams(got) {
			for _, param := range strings.Split(seq, ";") {
				if isColourParam(param) {
					t.Errorf("mono style %d emits colour SGR %q in %q", i, seq, got)
				}
			}
		}
	}
	if s.Selected.Render("x") == "x" {
		t.Error("mono selection must still be visible (reverse)")
	}
	if s.AxisANSI != -1 || s.SeriesIndex(0) != -1 {
		t.Error("mono chart colours must be the default (-1)")
	}
}

func TestColourPaletteEmitsColour(t *testing.T) {
	p, _ := ByName("nvidia")
	s := Build(p, true)
	if got := s.Accent.Render("x"); !strings.Contains(got, "38;2;") {
		t.Errorf("accent renders %q, want a true-colour foreground", got)
	}
	if s.SeriesIndex(0) < 16 || s.SeriesIndex(0) > 255 {
		t.Errorf("series 0 index = %d, want an xterm-256 colour", s.SeriesIndex(0))
	}
	if s.SeriesIndex(len(s.Series)) != s.SeriesIndex(0) {
		t.Error("SeriesIndex must cycle")
	}
}

// TestContrast checks that each palette stays readable on a typical background of the
// kind it was built for: text at WCAG AA (4.5), signal colours at 3.
func TestContrast(t *testing.T) {
	bgs := map[bool][]color.Color{
		true:  {lipgloss.Color("#000000"), lipgloss.Color("#1E1E1E"), lipgloss.Color("#282A36")},
		false: {lipgloss.Color("#FFFFFF"), lipgloss.Color("#FDF6E3")},
	}
	for _, n := range Names() {
		p, _ := ByName(n)
		if p.Mono {
			continue
		}
		for dark, list := range bgs {
			s := Build(p, dark)
			for _, bg := range list {
				check := func(what string, c color.Color, min float64) {
					if r := contrast(c, bg); r < min {
						t.Errorf("%s dark=%v: %s contrast %.2f on %v, want >= %.1f", n, dark, what, r, bg, min)
					}
				}
				check("text", s.Colors.Text, 4.5)
				check("accent", s.Colors.Accent, 3)
				check("good", s.Colors.Good, 3)
				check("warn", s.Colors.Warn, 3)
				check("bad", s.Colors.Bad, 3)
				check("muted", s.Colors.Muted, 2.5)
				for i, c := range s.Colors.Series {
					check("series "+string(rune('0'+i)), c, 2.5)
				}
			}
			// The selected row's text must stay readable on the highlight.
			if r := contrast(s.Colors.Text, s.Colors.Highlight); r < 4.5 {
				t.Errorf("%s dark=%v: text on highlight contrast %.2f", n, dark, r)
			}
		}
	}
}

// TestLightVariantsReachAA checks every palette's light variant against the background it
// is made for: text (every colour that writes words: text, labels, titles, states) at
// WCAG AA's 4.5:1, borders, empty bar cells and chart lines at the 3:1 of graphics.
func TestLightVariantsReachAA(t *testing.T) {
	for _, n := range Names() {
		p, _ := ByName(n)
		if p.Mono {
			continue
		}
		s := Build(p, false)
		bg := p.Background.Light
		check := func(what string, c color.Color, min float64) {
			t.Helper()
			if r := contrast(c, bg); r < min {
				t.Errorf("%s light: %s contrast %.2f on its background, want >= %.1f", n, what, r, min)
			}
		}
		for what, c := range map[string]color.Color{"text": s.Colors.Text, "muted": s.Colors.Muted, "accent": s.Colors.Accent,
			"good": s.Colors.Good, "warn": s.Colors.Warn, "bad": s.Colors.Bad} {
			check(what, c, 4.5)
		}
		check("border", s.Colors.Subtle, 3)
		for i, c := range s.Colors.Series {
			check("series "+string(rune('0'+i)), c, 3)
		}
		if r := contrast(s.Colors.Text, s.Colors.Highlight); r < 4.5 {
			t.Errorf("%s light: text on highlight contrast %.2f", n, r)
		}
	}
}

func sgrParams(s string) []string {
	var out []string
	for {
		i := strings.Index(s, "\x1b[")
		if i < 0 {
			return out
		}
		s = s[i+2:]
		j := strings.IndexByte(s, 'm')
		if j < 0 {
			return out
		}
		out = append(out, s[:j])
		s = s[j+1:]
	}
}

func isColourParam(p string) bool {
	switch {
	case p == "38" || p == "48":
		return true
	case len(p) == 2 && (p[0] == '3' || p[0] == '4' || p[0] == '9') && p[1] >= '0' && p[1] <= '7':
		return true
	case len(p) == 3 && p[:2] == "10" && p[2] >= '0' && p[2] <= '7':
		return true
	}
	return false
}

func luminance(c color.Color) float64 {
	r, g, b, _ := c.RGBA()
	lin := func(v uint32) float64 {
		x := float64(v) / 0xffff
		if x <= 0.03928 {
			return x / 12.92
		}
		return math.Pow((x+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(r) + 0.7152*lin(g) + 0.0722*lin(b)
}

func contrast(a, b color.Color) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

// TestInkMatchesRender checks the fast path against Lip Gloss for single words, which
// is how panels use it.
func TestInkMatchesRender(t *testing.T) {
	for _, n := range Names() {
		for _, dark := range []bool{true, false} {
			p, _ := ByName(n)
			s := Build(p, dark)
			for i, k := range allStyles(s) {
				// Lip Gloss renders underlined text one cell at a time; the cells carry
				// the same attributes, so compare the text and the opening sequence.
				for _, word := range []string{"x", "12.5k", "▁▂▃█"} {
					got, want := k.Paint(word), k.Render(word)
					if ansi.Strip(got) != word || !strings.HasPrefix(want, k.Prefix()) || !strings.HasSuffix(want, k.Suffix()) {
						t.Errorf("%s dark=%v style %d: Paint(%q) = %q, Render = %q", n, dark, i, word, got, want)
					}
				}
				if k.Paint("") != "" {
					t.Errorf("Paint of empty text must be empty")
				}
			}
		}
	}
}

// TestMonoAttributes checks that mono uses only bold, faint and reverse, and that bad
// looks different from good.
func TestMonoAttributes(t *testing.T) {
	p, _ := ByName("mono")
	s := Build(p, false)
	for i, k := range allStyles(s) {
		for _, seq := range sgrParams(k.Render("x")) {
			for _, param := range strings.Split(seq, ";") {
				switch param {
				case "", "0", "1", "2", "7":
				default:
					t.Errorf("mono style %d uses SGR %q", i, param)
				}
			}
		}
	}
	if s.Good.Paint("x") == s.Bad.Paint("x") {
		t.Error("mono good and bad look the same")
	}
}
