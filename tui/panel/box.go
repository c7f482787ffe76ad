package panel

import (
	"strings"

	"github.com/benchtui/benchtui/themes"
)

// Boxes are drawn by hand rather than with lipgloss.Style.Border: the panels want a
// title and a right-hand note inside the top border, and drawing the frame directly
// keeps a full frame cheap (see lineBuf).

const (
	// boxMinW and boxMinH are the smallest sizes at which a panel draws its frame;
	// below them panels print a bare summary instead.
	boxMinW = 12
	boxMinH = 3
)

// box describes a panel frame.
type box struct {
	st      *themes.Styles
	focused bool
	title   []span // left of the top border
	note    []span // right of the top border, dropped first when space is short
	footer  []span // right of the bottom border
}

// inner returns the body size of a w x h box.
func inner(w, h int) (iw, ih int) {
	return max(w-2, 0), max(h-2, 0)
}

// hasBox reports whether a panel of this size draws its frame.
func hasBox(w, h int) bool {
	return w >= boxMinW && h >= boxMinH
}

func spansWidth(sp []span) int {
	w := 0
	for _, s := range sp {
		w += textWidth(s.s)
	}
	return w
}

// render draws the frame around body, whose lines must already be exactly iw cells
// wide (lineBuf.fit); missing lines are blank, extra lines are dropped.
func (b box) render(w, h int, body []string) string {
	iw, ih := inner(w, h)
	bk := b.st.Border
	if b.focused {
		bk = b.st.BorderFocused
	}
	var sb strings.Builder
	sb.Grow(h * (w + 32))

	// Top border: ╭─ title ───── note ─╮
	var top lineBuf
	top.ink(bk, "╭─")
	room := w - 4
	tw, nw := spansWidth(b.title), spansWidth(b.note)
	note := b.note
	if nw > 0 && tw+2+nw+2 > room {
		note, nw = nil, 0
	}
	used := 0
	if tw > 0 && room >= 3 {
		var t lineBuf
		t.text(" ")
		for _, s := range b.title {
			t.ink(s.k, s.s)
		}
		t.text(" ")
		tl := min(t.w, room)
		top.raw(t.fit(tl), tl)
		used += tl
	}
	fill := room - used
	if nw > 0 {
		fill -= nw + 2
	}
	top.ink(bk, repeat("─", fill))
	if nw > 0 {
		top.text(" ")
		for _, s := range note {
			top.ink(s.k, s.s)
		}
		top.text(" ")
	}
	top.ink(bk, "─╮")
	sb.WriteString(top.fit(w))

	side := bk.Paint("│")
	blank := spaces(iw)
	for i := 0; i < ih; i++ {
		sb.WriteByte('\n')
		sb.WriteString(side)
		if i < len(body) {
			sb.WriteString(body[i])
		} else {
			sb.WriteString(blank)
		}
		sb.WriteString(side)
	}

	// Bottom border: ╰───── footer ─╯
	var bot lineBuf
	bot.ink(bk, "╰")
	fw := spansWidth(b.footer)
	if fw > 0 && fw+4 <= w-2 {
		bot.ink(bk, repeat("─", w-2-fw-3))
		bot.text(" ")
		for _, s := range b.footer {
			bot.ink(s.k, s.s)
		}
		bot.text(" ")
		bot.ink(bk, "─")
	} else {
		bot.ink(bk, repeat("─", w-2))
	}
	bot.ink(bk, "╯")
	sb.WriteByte('\n')
	sb.WriteString(bot.fit(w))
	return sb.String()
}

// bare renders a panel too small for its frame: the summary lines, cut to the size.
func bare(w, h int, lines []string) string {
	return joinLines(lines, w, h)
}

// small is what a panel draws when it has no room for its frame: nothing when the size is
// empty, else its one-line summary. ok is false when the frame fits.
func small(width, height int, summary func(int) string) (string, bool) {
	if width <= 0 || height <= 0 {
		return "", true
	}
	if !hasBox(width, height) {
		return bare(width, height, []string{summary(width)}), true
	}
	return "", false
}

// message renders a framed panel whose body is one muted line (for "no data yet").
func (b box) message(w, h int, msg string) string {
	iw, _ := inner(w, h)
	var l lineBuf
	l.ink(b.st.Muted, truncate(msg, iw))
	return b.render(w, h, []string{l.fit(iw)})
}
