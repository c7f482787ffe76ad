package panel

import (
	"math"
	"strings"
)

// sparkLevels are the eight block heights of a sparkline cell, lowest first.
var sparkLevels = [9]string{" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"}

// barEighths are the partial cells of a horizontal bar, by eighths filled.
var barEighths = [8]string{"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"}

// Sparkline renders the last width values as a one-row unicode block sparkline
// (▁▂▃▄▅▆▇█), exactly width cells wide: fewer values are right-aligned after spaces.
// Values are scaled to [lo, hi]; when hi <= lo the scale is [0, max(values)]. Every
// finite value shows at least the lowest block so a flat line stays visible; NaN shows
// as a blank cell.
func Sparkline(values []float64, width int, lo, hi float64) string {
	rows := SparklineRows(values, width, 1, lo, hi)
	if len(rows) == 0 {
		return ""
	}
	return rows[0]
}

// SparklineRows renders a sparkline rows cells tall, top row first, each row exactly
// width cells wide. Scaling is as for Sparkline.
func SparklineRows(values []float64, width, rows int, lo, hi float64) []string {
	if width <= 0 || rows <= 0 {
		return nil
	}
	if len(values) > width {
		values = values[len(values)-width:]
	}
	if hi <= lo {
		lo, hi = autoScale(values)
	}
	out := make([]string, rows)
	var b strings.Builder
	levels := rows * 8
	// Heights in eighths, computed once for all rows.
	var hbuf [256]int
	heights := hbuf[:0]
	if len(values) > len(hbuf) {
		heights = make([]int, 0, len(values))
	}
	for _, v := range values {
		if math.IsNaN(v) {
			heights = append(heights, -1)
			continue
		}
		f := clampF((v-lo)/(hi-lo), 0, 1)
		heights = append(heights, max(1, int(math.Round(f*float64(levels)))))
	}
	lead := width - len(values)
	for r := 0; r < rows; r++ {
		b.Reset()
		b.Grow(width * 3)
		b.WriteString(spaces(lead))
		base := (rows - 1 - r) * 8
		for _, e := range heights {
			if e < 0 {
				b.WriteByte(' ')
				continue
			}
			b.WriteString(sparkLevels[clamp(e-base, 0, 8)])
		}
		out[r] = b.String()
	}
	return out
}

// autoScale returns [0, max] for the values, with a non-empty range.
func autoScale(values []float64) (lo, hi float64) {
	hi = 0
	for _, v := range values {
		if v > hi {
			hi = v
		}
	}
	if hi <= 0 {
		hi = 1
	}
	return 0, hi
}

// hbar returns the filled and empty parts of a horizontal bar of width cells filled to
// frac (0..1), using eighth blocks for the boundary cell.
func hbar(frac float64, width int) (full, empty string) {
	if width <= 0 {
		return "", ""
	}
	e := int(math.Round(clampF(frac, 0, 1) * float64(width*8)))
	n := e / 8
	full = repeat("█", n) + barEighths[e%8]
	used := n
	if e%8 != 0 {
		used++
	}
	return full, repeat("░", width-used)
}

// series is a bounded history of values, oldest first.
type series struct {
	vals []float64
	cap  int
}

func newSeries(capacity int) series {
	return series{cap: capacity}
}

// push appends v, dropping the oldest value when full.
func (s *series) push(v float64) {
	if s.cap > 0 && len(s.vals) >= s.cap {
		copy(s.vals, s.vals[1:])
		s.vals[len(s.vals)-1] = v
		return
	}
	s.vals = append(s.vals, v)
}

// last returns the newest value, or NaN when empty.
func (s *series) last() float64 {
	if len(s.vals) == 0 {
		return math.NaN()
	}
	return s.vals[len(s.vals)-1]
}

func (s *series) reset() { s.vals = s.vals[:0] }

// maxOf returns the largest value, 0 for none.
func maxOf(vals []float64) float64 {
	m := 0.0
	for _, v := range vals {
		if v > m {
			m = v
		}
	}
	return m
}

// lastOf returns the newest value, NaN for none.
func lastOf(vals []float64) float64 {
	if len(vals) == 0 {
		return math.NaN()
	}
	return vals[len(vals)-1]
}
