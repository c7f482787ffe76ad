package panel

import (
	"slices"
	"strings"
)

// Rect is a panel's place on screen, in cells; the zero Rect means "not shown".
type Rect struct {
	X, Y, W, H int
}

// Empty reports whether the rect shows nothing.
func (r Rect) Empty() bool { return r.W <= 0 || r.H <= 0 }

// Placed is rendered panel content and where it goes.
type Placed struct {
	Rect    Rect
	Content string
}

// Compose joins rendered panels into one frame of exactly height lines, each exactly
// width cells: content is cut to its rect and to the frame, gaps are spaces, and parts
// overlapping an earlier part on the same line are skipped.
func Compose(width, height int, parts []Placed) string {
	if width <= 0 || height <= 0 {
		return ""
	}
	type item struct {
		r     Rect
		lines []string
	}
	items := make([]item, 0, len(parts))
	for _, p := range parts {
		if p.Rect.Empty() || p.Rect.X >= width || p.Rect.Y >= height || p.Rect.X < 0 || p.Rect.Y < 0 {
			continue
		}
		items = append(items, item{p.Rect, strings.Split(p.Content, "\n")})
	}
	slices.SortStableFunc(items, func(a, b item) int { return a.r.X - b.r.X })

	var sb strings.Builder
	sb.Grow(height * (width + 64))
	for y := 0; y < height; y++ {
		if y > 0 {
			sb.WriteByte('\n')
		}
		x := 0
		for _, it := range items {
			if y < it.r.Y || y >= it.r.Y+it.r.H || it.r.X < x {
				continue
			}
			sb.WriteString(spaces(it.r.X - x))
			w := min(it.r.W, width-it.r.X)
			line := ""
			if i := y - it.r.Y; i < len(it.lines) {
				line = it.lines[i]
			}
			sb.WriteString(fit(line, w))
			x = it.r.X + w
		}
		sb.WriteString(spaces(width - x))
	}
	return sb.String()
}
