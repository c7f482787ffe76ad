package tui

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/term"
)

// screen is the dashboard's terminal output, in place of Bubble Tea's renderer. That
// renderer parses every frame into a grid of cells and diffs the cells, which cost the
// dashboard more CPU than drawing the frame did. A dashboard frame is already a grid: its
// lines are each exactly the terminal's width (panel.Compose makes them so), so the screen
// compares the frame with the last one line by line and writes only the lines that changed,
// each at its row, through the colour profile's downsampler. Its cost is then proportional
// to what changed.
//
// With Bubble Tea's renderer off (tea.WithoutRenderer) the screen also does what that
// renderer did around the frames: raw mode for the keys, the alternate screen, the hidden
// cursor, no line wrap, the terminal's size (it sends tea.WindowSizeMsg on every change)
// and putting all of that back on close, which runs however the program ends. Bubble Tea
// still reads the keys and writes its terminal queries through Write, under the same lock
// as the frames, so that no query lands inside a frame.
type screen struct {
	mu   sync.Mutex
	out  io.Writer // the terminal
	ofd  uintptr   // its file descriptor, for its size
	in   uintptr   // the input's file descriptor
	prev *term.State
	// w and h are the terminal's size; lines are the rows it shows, nil when it must be
	// drawn whole (the first frame, after a resize).
	w, h  int
	lines []string
	buf   bytes.Buffer
	prof  colorprofile.Profile
	// sgr maps the SGR sequences frames use to the same in the terminal's profile: a frame
	// holds a few dozen distinct ones, each converted once (colorprofile's writer would
	// parse every byte of every line).
	sgr  map[string]string
	sync bool // the terminal has synchronized output (mode 2026)
	// closed is set once the terminal was given back.
	closed bool
	// writes counts the frames written, bytes the bytes, for the tests.
	writes, bytes int
}

// Terminal modes the screen sets and resets.
const (
	altScreenOn  = "\x1b[?1049h"
	altScreenOff = "\x1b[?1049l"
	cursorOff    = "\x1b[?25l"
	cursorOn     = "\x1b[?25h"
	wrapOff      = "\x1b[?7l"
	wrapOn       = "\x1b[?7h"
	syncOn       = "\x1b[?2026h"
	syncOff      = "\x1b[?2026l"
	clearAll     = "\x1b[H\x1b[2J"
	sgrReset     = "\x1b[m"
)

// errNoTerminal is openScreen's error when the output is not a terminal.
var errNoTerminal = errors.New("the dashboard needs a terminal")

// openScreen takes the terminal: in goes to raw mode, out to the alternate screen with the
// cursor hidden and line wrap off. profile is the colour profile frames are written in.
func openScreen(in, out *os.File, profile colorprofile.Profile) (*screen, error) {
	if !term.IsTerminal(out.Fd()) {
		return nil, errNoTerminal
	}
	s := &screen{out: out, ofd: out.Fd(), in: in.Fd(), prof: profile, sgr: map[string]string{}}
	if term.IsTerminal(s.in) {
		st, err := term.MakeRaw(s.in)
		if err != nil {
			return nil, fmt.Errorf("dashboard: raw mode: %w", err)
		}
		s.prev = st
	}
	s.w, s.h, _ = term.GetSize(s.ofd)
	// Enter the alternate screen, and ask whether the terminal has synchronized output
	// (the answer comes back as a tea.ModeReportMsg, see setSync).
	_, err := io.WriteString(out, altScreenOn+cursorOff+wrapOff+clearAll+ansi.SetWindowTitle("benchtui")+ansi.RequestModeSynchronizedOutput)
	if err != nil {
		s.close()
		return nil, fmt.Errorf("dashboard: write to the terminal: %w", err)
	}
	return s, nil
}

// newTestScreen is a screen of w x h cells writing to out, without a terminal.
func newTestScreen(out io.Writer, w, h int, profile colorprofile.Profile) *screen {
	return &screen{out: out, w: w, h: h, prof: profile, sgr: map[string]string{}}
}

// Write passes Bubble Tea's own output (its terminal queries) to the terminal.
func (s *screen) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return len(p), nil
	}
	return s.out.Write(p)
}

// size is the terminal's size as the screen last read it.
func (s *screen) size() (w, h int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w, s.h
}

// resized reads the terminal's size again; it reports whether it changed, in which case the
// next frame is drawn whole.
func (s *screen) resized() (w, h int, changed bool) {
	w, h, err := term.GetSize(s.ofd)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil || w <= 0 || h <= 0 || (w == s.w && h == s.h) {
		return s.w, s.h, false
	}
	s.w, s.h, s.lines = w, h, nil
	return w, h, true
}

// setSync turns synchronized output on: the terminal then shows each frame at once.
func (s *screen) setSync(on bool) {
	s.mu.Lock()
	s.sync = on
	s.mu.Unlock()
}

// draw writes the lines of frame that differ from what the terminal shows. A frame drawn
// for another size than the terminal's is skipped: the model draws again at the size the
// screen sent it.
func (s *screen) draw(frame string, w, h int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || w != s.w || h != s.h {
		return nil
	}
	whole := s.lines == nil
	if whole {
		s.lines = make([]string, h)
	}
	s.buf.Reset()
	var head [16]byte
	y := 0
	for rest := frame; y < h && (rest != "" || y == 0); y++ {
		line, next, _ := strings.Cut(rest, "\n")
		rest = next
		if !whole && s.lines[y] == line {
			continue
		}
		s.lines[y] = line
		b := append(head[:0], "\x1b["...)
		b = strconv.AppendInt(b, int64(y+1), 10)
		b = append(b, ";1H"...)
		s.buf.Write(b)
		s.writeLine(line)
		s.buf.WriteString(sgrReset)
	}
	// A frame shorter than the terminal leaves the rows below it blank.
	for ; y < h; y++ {
		if !whole && s.lines[y] == "" {
			continue
		}
		s.lines[y] = ""
		fmt.Fprintf(&s.buf, "\x1b[%d;1H\x1b[2K", y+1)
	}
	if s.buf.Len() == 0 {
		return nil
	}
	var out bytes.Buffer
	out.Grow(s.buf.Len() + 32)
	if s.sync {
		out.WriteString(syncOn)
	}
	if whole {
		out.WriteString(clearAll)
	}
	out.Write(s.buf.Bytes())
	if s.sync {
		out.WriteString(syncOff)
	}
	s.writes++
	s.bytes += out.Len()
	_, err := s.out.Write(out.Bytes())
	return err
}

// writeLine appends line to the buffer with its SGR sequences in the terminal's profile.
func (s *screen) writeLine(line string) {
	switch {
	case s.prof == colorprofile.TrueColor:
		s.buf.WriteString(line)
		return
	case s.prof <= colorprofile.NoTTY:
		s.buf.WriteString(ansi.Strip(line))
		return
	}
	for line != "" {
		i := strings.IndexByte(line, 0x1b)
		if i < 0 {
			s.buf.WriteString(line)
			return
		}
		s.buf.WriteString(line[:i])
		line = line[i:]
		if len(line) < 2 || line[1] != '[' {
			// Not a CSI sequence: frames hold none, pass it on.
			s.buf.WriteByte(line[0])
			line = line[1:]
			continue
		}
		j := 2
		for j < len(line) && (line[j] < 0x40 || line[j] > 0x7e) {
			j++
		}
		if j == len(line) {
			s.buf.WriteString(line)
			return
		}
		seq := line[:j+1]
		line = line[j+1:]
		if seq[j] != 'm' {
			s.buf.WriteString(seq)
			continue
		}
		conv, ok := s.sgr[seq]
		if !ok {
			var b bytes.Buffer
			_, _ = (&colorprofile.Writer{Forward: &b, Profile: s.prof}).Write([]byte(seq))
			conv = b.String()
			if len(s.sgr) > 4096 {
				clear(s.sgr) // frames never hold this many; a bound all the same
			}
			s.sgr[seq] = conv
		}
		s.buf.WriteString(conv)
	}
}

// close gives the terminal back as it was: the main screen, the cursor, line wrap and the
// input's mode. It may be called more than once.
func (s *screen) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.closed = true
	_, _ = io.WriteString(s.out, sgrReset+wrapOn+cursorOn+altScreenOff)
	if s.prev != nil {
		_ = term.Restore(s.in, s.prev)
	}
}

// watchSize sends the terminal's size to the program now and after every change, until
// done is closed.
func (s *screen) watchSize(send func(tea.Msg), done <-chan struct{}) {
	w, h := s.size()
	send(tea.WindowSizeMsg{Width: w, Height: h})
	changes, stop := sizeChanges()
	defer stop()
	for {
		select {
		case <-done:
			return
		case <-changes:
			if w, h, ok := s.resized(); ok {
				send(tea.WindowSizeMsg{Width: w, Height: h})
			}
		}
	}
}
