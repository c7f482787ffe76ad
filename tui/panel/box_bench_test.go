package panel

import (
	"strings"
	"testing"

	"charm.land/lipgloss/v2"
)

// boxBody is the inner lines of a 100x30 panel, already fitted.
func boxBody(iw, ih int) []string {
	body := make([]string, ih)
	for i := range body {
		var l lineBuf
		l.ink(styles("nvidia").Value, strings.Repeat("▂▅▇", iw/3))
		body[i] = l.fit(iw)
	}
	return body
}

// BenchmarkBox100x30 draws a titled frame around a 100x30 panel with the hand-made box.
func BenchmarkBox100x30(b *testing.B) {
	st := styles("nvidia")
	body := boxBody(98, 28)
	bx := box{st: st, title: []span{{"Throughput", st.Title}}, note: []span{{"output 1.2k", st.Value}}}
	b.ReportAllocs()
	for b.Loop() {
		_ = bx.render(100, 30, body)
	}
}

// BenchmarkLipglossBorder100x30 draws the same frame with a Lip Gloss border (without the
// title and note in the top border, which Lip Gloss does not draw).
func BenchmarkLipglossBorder100x30(b *testing.B) {
	st := styles("nvidia")
	body := strings.Join(boxBody(98, 28), "\n")
	s := lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(st.Colors.Subtle).Width(100).Height(30)
	b.ReportAllocs()
	for b.Loop() {
		_ = s.Render(body)
	}
}
