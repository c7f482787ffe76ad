package tui

import (
	"context"
	"fmt"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/benchtui/benchtui/engine"
	"github.com/benchtui/benchtui/tui/panel"
	"github.com/benchtui/benchtui/tui/panel/paneltest"
	"github.com/charmbracelet/x/ansi"
)

// viewSizes are the sizes the views' golden files hold: the smallest supported, a medium
// and a wide, tall terminal.
var viewSizes = [][2]int{{80, 24}, {120, 36}, {200, 60}}

// viewThemes are the golden files' themes: one with colour, one without.
var viewThemes = []string{"nvidia", "mono"}

// liveModel is a dashboard in the middle of a run (half of its requests finished), with
// run 1 pinned as the baseline and the ISL changed since: every live panel has data and
// the strip shows deltas and the workload mismatch. It is built without goroutines, by
// feeding the model the messages a run sends, so that the frames are reproducible.
func liveModel(t testing.TB, theme string) *model {
	t.Helper()
	s := Settings{Batch: 8, ISL: 64, OSL: 32, Requests: 96, Concurrency: -1}
	m := newModel(Options{Runner: &fakeRunner{}, Settings: s, Theme: theme})
	m.Update(loadedMsg{target: Target{Model: "tiny", DType: "f16", Device: "CPU"}})
	// Run 1 ended; pin it.
	base := fakeExport(t, s)
	m.startRunWith(s)
	m.Update(runDoneMsg{run: 1, export: base})
	m.Update(keyMsg("p"))
	// Run 2 with a longer prompt, half-way.
	s.ISL = 128
	m.pending = s
	m.startRunWith(s)
	x := fakeExport(t, s)
	ev := engine.NewEvents(context.Background())
	defer ev.Close()
	half := len(x.Requests) / 2
	fed := 0
	for _, snap := range x.Snapshots {
		snap.Finished = nil
		for fed < half && fed < snap.Completed+4 && fed < len(x.Requests) {
			snap.Finished = append(snap.Finished, x.Requests[fed])
			fed++
		}
		m.Update(snapshotMsg{run: 2, snap: snap, ok: true, src: ev})
		if fed >= half {
			break
		}
	}
	m.refreshLatency(m.latAt.Add(latencyEvery), true)
	m.header.Spinner = spinnerFrames[2]
	return m
}

// finishedModel is the dashboard after two runs, the second one pinned against the first.
func finishedModel(t testing.TB, theme string) *model {
	t.Helper()
	m := liveModel(t, theme)
	s := m.cur.settings
	m.Update(runDoneMsg{run: 2, export: fakeExport(t, s)})
	return m
}

// replayModel is a replay scrubbed to a point inside the run.
func replayModel(t testing.TB, theme string) *model {
	t.Helper()
	x := fakeExport(t, Settings{Batch: 8, ISL: 64, OSL: 32, Requests: 96})
	m := newModel(Options{Replay: x, ReplayName: "run.json", Theme: theme})
	for i := 0; i < 4; i++ {
		m.Update(keyMsg("["))
	}
	return m
}

func keyMsg(s string) tea.KeyPressMsg {
	switch s {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "space":
		return tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
	case "left":
		return tea.KeyPressMsg{Code: tea.KeyLeft}
	case "right":
		return tea.KeyPressMsg{Code: tea.KeyRight}
	case "up":
		return tea.KeyPressMsg{Code: tea.KeyUp}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	}
	r := []rune(s)[0]
	return tea.KeyPressMsg{Code: r, Text: s}
}

// viewSheet renders the model at every golden size, resizing it first as a terminal does.
func viewSheet(t *testing.T, m *model) string {
	t.Helper()
	var b strings.Builder
	for _, s := range viewSizes {
		m.Update(tea.WindowSizeMsg{Width: s[0], Height: s[1]})
		frame := m.render(s[0], s[1])
		paneltest.CheckBlock(t, fmt.Sprintf("frame %dx%d", s[0], s[1]), frame, s[0], s[1])
		fmt.Fprintf(&b, "── %dx%d ──\n%s\n", s[0], s[1], frame)
	}
	return b.String()
}

// TestGoldenViews holds the dashboard's views at 80x24, 120x36 and 200x60 in two themes:
// a live run with a baseline, a finished run, the requests view (slowest first), a replay
// scrubbed into the run, the comparison and the help.
func TestGoldenViews(t *testing.T) {
	for _, theme := range viewThemes {
		views := map[string]func() *model{
			"live_baseline": func() *model { return liveModel(t, theme) },
			"finished":      func() *model { return finishedModel(t, theme) },
			"requests": func() *model {
				m := finishedModel(t, theme)
				m.Update(keyMsg("enter"))
				m.Update(keyMsg("S"))
				return m
			},
			"replay_scrubbed": func() *model { return replayModel(t, theme) },
			"compare": func() *model {
				m := finishedModel(t, theme)
				m.Update(keyMsg("space"))
				m.Update(keyMsg("up"))
				m.Update(keyMsg("space"))
				m.Update(keyMsg("v"))
				return m
			},
			"help": func() *model {
				m := liveModel(t, theme)
				m.Update(keyMsg("?"))
				return m
			},
		}
		for name, build := range views {
			t.Run(name+"_"+theme, func(t *testing.T) {
				paneltest.Golden(t, "view_"+name+"_"+theme, viewSheet(t, build()))
			})
		}
	}
}

// The baseline pinned with p is drawn behind the live run's charts, and the strip shows
// its deltas and the workload mismatch.
func TestPinBaseline(t *testing.T) {
	m := liveModel(t, "mono")
	if m.base == nil || m.base.name != "run 1" {
		t.Fatalf("baseline %+v, want run 1", m.base)
	}
	if !m.result.HasBase || !strings.Contains(m.result.Mismatch, "ISL 64 vs 128") {
		t.Errorf("strip: has base %v, mismatch %q", m.result.HasBase, m.result.Mismatch)
	}
	frame := stripped(m.render(200, 60))
	for _, want := range []string{"· run 1", "· base", "vs run 1", "workload differs: ISL 64 vs 128"} {
		if !strings.Contains(frame, want) {
			t.Errorf("live frame with a baseline lacks %q:\n%s", want, frame)
		}
	}
	if !strings.Contains(frame, "better") && !strings.Contains(frame, "worse") {
		t.Errorf("no delta says better or worse:\n%s", frame)
	}
	m.Update(keyMsg("P"))
	if m.base != nil || m.result.HasBase || strings.Contains(stripped(m.render(200, 60)), "· run 1") {
		t.Error("P did not drop the baseline")
	}
}

// A replay moves in time with ← → [ ]; every panel then shows the state at the cursor, and
// space plays it.
func TestScrubReplay(t *testing.T) {
	x := fakeExport(t, Settings{Batch: 8, ISL: 64, OSL: 32, Requests: 960})
	m := newModel(Options{Replay: x, ReplayName: "run.json", Theme: "mono"})
	end := m.cur.span()
	if m.scrubbing() || m.progress.Ended() != 960 {
		t.Fatalf("a replay starts at the end: scrubbing %v, %d ended", m.scrubbing(), m.progress.Ended())
	}
	m.Update(keyMsg("["))
	m.Update(keyMsg("["))
	m.Update(keyMsg("left"))
	if !m.scrubbing() || m.until >= end {
		t.Fatalf("cursor %v after [ [ ←, end %v", m.until, end)
	}
	want := len(m.cur.recordsUntil(m.until))
	if got := m.progress.Ended(); got != want || got >= 960 || got == 0 {
		t.Errorf("progress shows %d ended at the cursor, want %d", got, want)
	}
	if n := m.latency.Stats(panel.MetricE2E).N; n != want {
		t.Errorf("histogram has %d requests at the cursor, want %d", n, want)
	}
	if f := m.result.Figures; f.Completed != want || !f.Recent {
		t.Errorf("strip at the cursor: %+v, want %d done and a recent rate", f, want)
	}
	lastT := 0.0
	for _, s := range x.Snapshots {
		if t := float64(s.ElapsedNS) / 1e9; t <= m.until {
			lastT = t
		}
	}
	if tp := m.throughput; tp.Len() == 0 || tp.Len() >= len(x.Snapshots) {
		t.Errorf("throughput has %d of %d points at %v s (last snapshot before it at %v s)", tp.Len(), len(x.Snapshots), m.until, lastT)
	}
	// space plays at 1x: each frame moves the cursor by the frame's time; then 10x.
	at := m.until
	m.Update(keyMsg("space"))
	m.Update(frameMsg{})
	if d := m.until - at; d < 0.09 || d > 0.11 {
		t.Errorf("1x moved %v s in a 100 ms frame", d)
	}
	m.Update(keyMsg("space"))
	for i := 0; i < 20; i++ {
		m.Update(keyMsg("["))
	}
	at = m.until
	m.Update(frameMsg{})
	if d := m.until - at; d < 0.99 || d > 1.01 {
		t.Errorf("10x moved %v s in a 100 ms frame (from %v s of %v s)", d, at, end)
	}
	// ] to the end shows the whole run again, with the report's figures.
	for i := 0; i < 20; i++ {
		m.Update(keyMsg("]"))
	}
	if m.scrubbing() || m.progress.Ended() != 960 || m.result.Figures.Recent {
		t.Errorf("at the end: scrubbing %v, %d ended, recent %v", m.scrubbing(), m.progress.Ended(), m.result.Figures.Recent)
	}
}

// enter opens the requests of the run under the cursor; S puts the slowest first; the
// selected request's token gaps are shown; esc goes back.
func TestRequestsView(t *testing.T) {
	m := finishedModel(t, "mono")
	m.Update(keyMsg("up")) // run 1
	m.Update(keyMsg("enter"))
	if m.view != viewRequests || m.requests.Run != "run 1" || m.requests.Len() != 96 {
		t.Fatalf("view %v on %q with %d requests", m.view, m.requests.Run, m.requests.Len())
	}
	m.Update(keyMsg("S"))
	sel, _ := m.requests.Selected()
	slowest := 0.0
	for i := range m.runs[0].records {
		r := &m.runs[0].records[i]
		slowest = max(slowest, float64(r.EndNS-r.StartNS)/1e6)
	}
	if sel.E2E != slowest {
		t.Errorf("S selected a request of %v ms, the slowest takes %v ms", sel.E2E, slowest)
	}
	if m.requests.DetailFor() != sel.Index {
		t.Errorf("token gaps are for #%d, the cursor is on #%d", m.requests.DetailFor(), sel.Index)
	}
	frame := stripped(m.render(120, 36))
	for _, want := range []string{"Requests run 1", "sorted by E2E ↓", "gaps ms", "request #" + itoa(sel.Index)} {
		if !strings.Contains(frame, want) {
			t.Errorf("requests view lacks %q:\n%s", want, frame)
		}
	}
	m.Update(keyMsg("o"))
	if col, _ := m.requests.Sort(); col != panel.SortISL {
		t.Errorf("o after E2E sorts by %s, want ISL", col)
	}
	m.Update(keyMsg("down"))
	if next, _ := m.requests.Selected(); next.Index == sel.Index {
		t.Error("↓ did not move in the table")
	}
	if m.pending.OSL != 32 {
		t.Error("o in the requests view changed the OSL setting")
	}
	m.Update(keyMsg("esc"))
	if m.view != viewDashboard {
		t.Error("esc did not go back")
	}
}

func itoa(n int) string { return fmt.Sprint(n) }

func stripped(s string) string { return ansi.Strip(s) }
