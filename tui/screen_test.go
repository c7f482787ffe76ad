package tui

import (
	"bytes"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
)

// The screen writes the lines that changed, each at its row; the first frame and the one
// after a resize whole, after clearing the terminal; a frame of another size not at all.
func TestScreenWritesChangedLines(t *testing.T) {
	var out bytes.Buffer
	s := newTestScreen(&out, 5, 3, colorprofile.TrueColor)
	if err := s.draw("aaaaa\nbbbbb\nccccc", 5, 3); err != nil {
		t.Fatal(err)
	}
	first := out.String()
	for _, want := range []string{clearAll, "\x1b[1;1Haaaaa", "\x1b[2;1Hbbbbb", "\x1b[3;1Hccccc"} {
		if !strings.Contains(first, want) {
			t.Errorf("first frame %q lacks %q", first, want)
		}
	}
	out.Reset()
	s.draw("aaaaa\nbXbbb\nccccc", 5, 3)
	if got := out.String(); got != "\x1b[2;1HbXbbb"+sgrReset {
		t.Errorf("second frame wrote %q, want only row 2", got)
	}
	out.Reset()
	s.draw("aaaaa\nbXbbb\nccccc", 5, 3)
	if out.Len() != 0 || s.writes != 2 {
		t.Errorf("an unchanged frame wrote %q (%d writes)", out.String(), s.writes)
	}
	s.draw("aaaa\nbbbb", 4, 2)
	if out.Len() != 0 {
		t.Errorf("a frame for another size was written: %q", out.String())
	}
	// After a resize the next frame is drawn whole.
	s.w, s.h, s.lines = 4, 2, nil
	s.draw("aaaa\nbbbb", 4, 2)
	if got := out.String(); !strings.HasPrefix(got, clearAll) || !strings.Contains(got, "\x1b[1;1Haaaa") {
		t.Errorf("frame after a resize %q is not whole", got)
	}
	// With synchronized output the frame is one update.
	out.Reset()
	s.setSync(true)
	s.draw("aaaa\ncccc", 4, 2)
	if got := out.String(); got != syncOn+"\x1b[2;1Hcccc"+sgrReset+syncOff {
		t.Errorf("synchronized frame %q", got)
	}
	// A shorter frame blanks the rows under it.
	out.Reset()
	s.draw("aaaa", 4, 2)
	if got := out.String(); !strings.Contains(got, "\x1b[2;1H\x1b[2K") {
		t.Errorf("a one-line frame did not blank row 2: %q", got)
	}
}

// Colours are written in the terminal's profile: a 256-colour terminal gets no true colour.
func TestScreenDownsamples(t *testing.T) {
	var out bytes.Buffer
	s := newTestScreen(&out, 3, 1, colorprofile.ANSI256)
	s.draw("\x1b[38;2;118;185;0mabc\x1b[m", 3, 1)
	if got := out.String(); strings.Contains(got, "38;2;") || !strings.Contains(got, "38;5;") || !strings.Contains(got, "abc") {
		t.Errorf("ANSI256 frame %q", got)
	}
	out.Reset()
	s = newTestScreen(&out, 3, 1, colorprofile.ASCII)
	s.draw("\x1b[1;38;2;118;185;0mabc\x1b[m", 3, 1)
	if got := out.String(); strings.Contains(got, "38;") || !strings.Contains(got, "abc") {
		t.Errorf("ASCII frame %q keeps colour", got)
	}
}

// close puts the terminal's modes back once, and nothing is written after it.
func TestScreenClose(t *testing.T) {
	var out bytes.Buffer
	s := newTestScreen(&out, 3, 1, colorprofile.TrueColor)
	s.close()
	s.close()
	if got := out.String(); got != sgrReset+wrapOn+cursorOn+altScreenOff {
		t.Errorf("close wrote %q", got)
	}
	out.Reset()
	s.draw("abc", 3, 1)
	s.Write([]byte("query"))
	if out.Len() != 0 {
		t.Errorf("a closed screen wrote %q", out.String())
	}
}

// A panic in a command that runs the runner gives the terminal back before it goes on to
// Bubble Tea, which reports it.
func TestPanicGivesTerminalBack(t *testing.T) {
	var out bytes.Buffer
	m := newModel(Options{Theme: "mono"})
	m.scr = newTestScreen(&out, 80, 24, colorprofile.TrueColor)
	cmd := m.guarded(func() tea.Msg { panic("boom") })
	func() {
		defer func() {
			if r := recover(); r != "boom" {
				t.Errorf("recovered %v, want the panic to go on", r)
			}
		}()
		cmd()
	}()
	if !m.scr.closed || !strings.Contains(out.String(), altScreenOff) {
		t.Errorf("terminal not given back: %q", out.String())
	}
}
