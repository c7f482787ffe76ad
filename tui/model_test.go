package tui

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/benchtui/benchtui/engine"
	"github.com/benchtui/benchtui/internal/fsutil"
	"github.com/benchtui/benchtui/report"
	"github.com/benchtui/benchtui/tui/panel"
)

// fakeRunner runs "benchmarks" that finish a fixed set of requests, or, with block set,
// run until they are stopped.
type fakeRunner struct {
	block bool
	mu    sync.Mutex // runs is appended by the runner's goroutine and read by the test
	runs  []Settings
}

// ran is a copy of the settings of the runs started so far.
func (f *fakeRunner) ran() []Settings {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.runs)
}

func (f *fakeRunner) Load(ctx context.Context, ev *engine.Events) (Target, error) {
	ev.Publish(engine.Lifecycle{Phase: engine.PhaseLoading, Progress: 0.5, Message: "loading fake"})
	return Target{Model: "fake", DType: "f16", Device: "CPU"}, nil
}

func (f *fakeRunner) Run(ctx context.Context, s Settings, ev *engine.Events) (*report.Export, error) {
	f.mu.Lock()
	f.runs = append(f.runs, s)
	f.mu.Unlock()
	ev.Publish(engine.Lifecycle{Phase: engine.PhaseRunning, Total: s.Requests})
	recs := make([]engine.Record, s.Requests)
	for i := range recs {
		// Requests start 1 ms apart and wait for a place in the batch: a queue that grows
		// by 10 ms a batch.
		start := int64(i)*1e6 + 1e6
		admit := start + int64(i/max(s.Batch, 1))*10e6
		toks := make([]int64, s.OSL)
		for j := range toks {
			toks[j] = admit + 5e6 + int64(j)*2e6 + int64(i%3)*1e5*int64(j)
		}
		recs[i] = engine.Record{Index: i, InputTokens: s.ISL, TargetOutputTokens: s.OSL, StartNS: start, AdmitNS: admit,
			FirstTokenNS: toks[0], EndNS: toks[len(toks)-1], TokenNS: toks}
	}
	var series []engine.Snapshot
	offered := len(recs)
	if f.block {
		offered = len(recs) / 2 // the rest is still running when the run is stopped
	}
	// A snapshot after every four requests ended, at the fourth one's end, with the engine
	// state a batch-limited run would have then.
	t0 := recs[0].StartNS
	for i := 0; i < offered; i += 4 {
		j := min(i+4, offered) - 1
		left := len(recs) - (j + 1)
		running := min(max(s.Batch, 1), left)
		snap := engine.Snapshot{Phase: engine.PhaseRunning, ElapsedNS: recs[j].EndNS - t0,
			OutputTokens: int64((j + 1) * s.OSL), InputTokens: int64((j + 1 + running) * s.ISL),
			Completed: j + 1, Total: len(recs), Running: running, Queued: left - running,
			KVUsage: 0.8 * float64(running) / float64(max(s.Batch, 1)), BatchOccupancy: float64(running) / float64(max(s.Batch, 1)),
			Finished: recs[i : j+1]}
		series = append(series, snap)
		ev.Offer(snap)
		time.Sleep(time.Millisecond)
	}
	if f.block {
		<-ctx.Done()
		for i := len(recs) / 2; i < len(recs); i++ {
			recs[i].Error = "canceled"
		}
	}
	rep := report.Build(report.Input{Records: recs, World: report.World{MaxBatchSize: s.Batch}})
	return &report.Export{Report: rep, Requests: recs, Snapshots: series}, nil
}

// driver runs a model the way Bubble Tea would: commands in goroutines, their messages back
// through Update, one at a time.
type driver struct {
	t    *testing.T
	m    *model
	msgs chan tea.Msg
	quit bool
}

func newDriver(t *testing.T, o Options) *driver {
	d := &driver{t: t, m: newModel(o), msgs: make(chan tea.Msg, 64)}
	d.exec(d.m.Init())
	return d
}

func (d *driver) exec(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	go func() {
		msg := cmd()
		if b, ok := msg.(tea.BatchMsg); ok {
			for _, c := range b {
				d.exec(c)
			}
			return
		}
		if msg != nil {
			d.msgs <- msg
		}
	}()
}

func (d *driver) send(msg tea.Msg) {
	if _, ok := msg.(tea.QuitMsg); ok {
		d.quit = true
		return
	}
	_, cmd := d.m.Update(msg)
	d.exec(cmd)
}

func (d *driver) key(s string) {
	var k tea.KeyPressMsg
	switch s {
	case "space":
		k = tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
	case "esc":
		k = tea.KeyPressMsg{Code: tea.KeyEscape}
	case "tab":
		k = tea.KeyPressMsg{Code: tea.KeyTab}
	default:
		r := []rune(s)[0]
		k = tea.KeyPressMsg{Code: r, Text: s}
	}
	d.send(k)
}

func (d *driver) until(what string, cond func() bool) {
	d.t.Helper()
	deadline := time.After(5 * time.Second)
	for !cond() {
		select {
		case msg := <-d.msgs:
			d.send(msg)
		case <-deadline:
			d.t.Fatalf("timed out waiting for %s (state %s, status %q)", what, d.m.header.State, d.m.status)
		}
	}
}

func (d *driver) checkFrame(w, h int) string {
	d.t.Helper()
	out := d.m.render(w, h)
	lines := strings.Split(out, "\n")
	if len(lines) != h {
		d.t.Errorf("%dx%d frame has %d lines", w, h, len(lines))
	}
	for i, l := range lines {
		if lw := ansi.StringWidth(l); lw > w {
			d.t.Errorf("%dx%d frame line %d is %d wide", w, h, i, lw)
		}
	}
	return ansi.Strip(out)
}

func TestDashboardRunAndExport(t *testing.T) {
	dir := t.TempDir()
	fr := &fakeRunner{}
	d := newDriver(t, Options{Runner: fr, Settings: Settings{Batch: 8, ISL: 16, OSL: 8, Requests: 12, Concurrency: -1}, ExportDir: dir, Theme: "nvidia"})
	d.until("the model to load", func() bool { return d.m.loaded })
	if d.m.header.State != panel.StateIdle {
		t.Fatalf("state %s after loading, want idle", d.m.header.State)
	}
	// Export before any run has nothing to write.
	d.key("e")
	if !strings.Contains(d.m.status, "e: no run yet") {
		t.Errorf("status %q after e with no run", d.m.status)
	}
	d.key("B") // batch 8 -> 16, applies at once while idle
	d.key("O") // OSL 8 -> 16
	if got := d.m.header.Settings; got.Batch != 16 || got.OSL != 16 || d.m.header.HasPending {
		t.Fatalf("settings %+v (pending %v), want batch 16, OSL 16, nothing pending", got, d.m.header.HasPending)
	}
	d.key("r")
	d.until("the run to finish", func() bool { return !d.m.active && len(d.m.runs) == 1 && d.m.runs[0].export != nil })
	if got := fr.ran()[0]; got.Batch != 16 || got.OSL != 16 {
		t.Errorf("runner got %+v, want batch 16 and OSL 16", got)
	}
	r := d.m.runs[0]
	if r.state != panel.StateFinished || len(r.records) != 12 {
		t.Fatalf("run state %s with %d records, want finished with 12", r.state, len(r.records))
	}
	if st := d.m.latency.Stats(panel.MetricITL); st.N != 12*15 {
		t.Errorf("ITL histogram has %d gaps, want %d", st.N, 12*15)
	}
	screen := d.checkFrame(120, 40)
	if !strings.Contains(screen, "run 1") || !strings.Contains(screen, "finished") {
		t.Errorf("screen lacks the finished run:\n%s", screen)
	}

	d.key("e")
	d.until("the export", func() bool { return strings.HasPrefix(d.m.status, "exported") })
	d.key("e")
	d.until("the second export", func() bool { return strings.HasPrefix(d.m.status, "exported") && r.saved != "" })
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(files) != 2 {
		t.Fatalf("%d export files, want 2 (no overwrite): %v", len(files), files)
	}
	for _, f := range files {
		x, err := report.ReadExport(f)
		if err != nil {
			t.Fatal(err)
		}
		if len(x.Requests) != 12 || x.Report.RequestInfo.NumRequests != 12 {
			t.Errorf("%s: %d records, report counts %d", f, len(x.Requests), x.Report.RequestInfo.NumRequests)
		}
	}

	// Theme, help, maximize and quit.
	before := d.m.theme
	d.key("t")
	if d.m.theme == before {
		t.Error("t did not change the theme")
	}
	d.key("?")
	if help := d.checkFrame(100, 30); !strings.Contains(help, "Settings (apply to the next run)") {
		t.Errorf("help screen lacks the settings group:\n%s", help)
	}
	d.key("esc")
	d.key("z")
	if !d.m.maximized {
		t.Error("z did not maximize")
	}
	d.checkFrame(80, 24)
	d.key("q")
	if !d.quit {
		d.until("quit", func() bool { return d.quit })
	}
}

func TestDashboardPendingSettingsStopAndConfirm(t *testing.T) {
	fr := &fakeRunner{block: true}
	d := newDriver(t, Options{Runner: fr, Settings: Settings{Batch: 4, ISL: 8, OSL: 4, Requests: 8, Concurrency: -1}, AutoRun: true, ExportDir: t.TempDir()})
	d.until("the run to start", func() bool { return d.m.active && d.m.cur != nil && len(d.m.cur.records) > 0 })
	d.key("b") // 4 -> 2 while running: pending
	if !d.m.header.HasPending || d.m.header.Pending.Batch != 2 || d.m.header.Settings.Batch != 4 {
		t.Fatalf("header settings %+v pending %+v (%v), want 4 running and 2 pending", d.m.header.Settings, d.m.header.Pending, d.m.header.HasPending)
	}
	if !strings.Contains(d.checkFrame(80, 24), "4→2") {
		t.Error("the header does not show the pending batch size")
	}
	d.key("q")
	if !d.m.confirm || d.quit {
		t.Fatal("q during a run did not ask first")
	}
	d.key("n")
	if d.m.confirm {
		t.Fatal("n did not dismiss the question")
	}
	d.key("s")
	d.until("the run to stop", func() bool { return !d.m.active })
	r := d.m.runs[0]
	if r.state != panel.StateCanceled || len(r.records) != 8 {
		t.Errorf("stopped run: state %s, %d records", r.state, len(r.records))
	}
	d.key("r")
	d.until("the second run", func() bool { return len(fr.ran()) == 2 })
	if fr.ran()[1].Batch != 2 {
		t.Errorf("second run batch %d, want the pending 2", fr.ran()[1].Batch)
	}
	d.key("q")
	d.key("y")
	d.until("quit after the run stopped", func() bool { return d.quit })
}

func TestDashboardReplay(t *testing.T) {
	fr := &fakeRunner{}
	ev := engine.NewEvents(context.Background())
	defer ev.Close()
	x, err := fr.Run(context.Background(), Settings{Batch: 4, ISL: 8, OSL: 6, Requests: 16}, ev)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "x.json")
	if err := fsutil.WriteNew(path, x.WriteJSON); err != nil {
		t.Fatal(err)
	}
	back, err := report.ReadExport(path)
	if err != nil {
		t.Fatal(err)
	}
	m := newModel(Options{Replay: back, ReplayName: "x.json", Theme: "mono"})
	if m.throughput.Len() != len(x.Snapshots) {
		t.Errorf("replay throughput has %d points, want %d", m.throughput.Len(), len(x.Snapshots))
	}
	if st := m.latency.Stats(panel.MetricTTFT); st.N != 16 {
		t.Errorf("replay TTFT histogram has %d samples, want 16", st.N)
	}
	d := &driver{t: t, m: m}
	screen := d.checkFrame(160, 48)
	if !strings.Contains(screen, "replay x.json") || strings.Count(screen, "replay") != 1 {
		t.Errorf("replay screen lacks its source:\n%s", screen)
	}
	d.key("r") // nothing to run in a replay
	if len(fr.ran()) != 1 || m.active {
		t.Error("r started a run in a replay")
	}
	_ = os.Remove(path)
}

// An export to a folder that cannot take it goes to the temporary folder, and says so; the
// run stays in memory either way.
func TestDashboardExportRescued(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	notDir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notDir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	d := newDriver(t, Options{Runner: &fakeRunner{}, Settings: Settings{Batch: 4, ISL: 8, OSL: 4, Requests: 8, Concurrency: -1},
		AutoRun: true, ExportDir: filepath.Join(notDir, "sub")})
	d.until("the run to finish", func() bool { return len(d.m.runs) == 1 && d.m.runs[0].export != nil })
	d.key("e")
	d.until("the export", func() bool { return strings.Contains(d.m.status, "exported") })
	if !strings.Contains(d.m.status, "could not export there") {
		t.Errorf("status %q does not say the export folder failed", d.m.status)
	}
	files, _ := filepath.Glob(filepath.Join(tmp, "benchtui-*.json"))
	if len(files) != 1 {
		t.Fatalf("%d rescued exports in the temporary folder, want 1", len(files))
	}
	if x, err := report.ReadExport(files[0]); err != nil || len(x.Requests) != 8 {
		t.Errorf("rescued export: %v, %d records", err, len(x.Requests))
	}
}

// Quitting during a run can stop it, export what finished and quit.
func TestDashboardQuitExportsStoppedRun(t *testing.T) {
	dir := t.TempDir()
	d := newDriver(t, Options{Runner: &fakeRunner{block: true}, Settings: Settings{Batch: 4, ISL: 8, OSL: 4, Requests: 8, Concurrency: -1},
		AutoRun: true, ExportDir: dir})
	d.until("the run to start", func() bool { return d.m.active && d.m.cur != nil && len(d.m.cur.records) > 0 })
	d.key("q")
	if !strings.Contains(d.m.status, "export what finished") {
		t.Fatalf("status %q does not offer to export", d.m.status)
	}
	d.key("e")
	d.until("quit", func() bool { return d.quit })
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(files) != 1 {
		t.Fatalf("%d exports after stop-export-quit, want 1", len(files))
	}
	x, err := report.ReadExport(files[0])
	if err != nil {
		t.Fatal(err)
	}
	if x.Report.BenchTUI.NumCompleted == 0 {
		t.Error("the export of the stopped run has no finished request")
	}
}

// w runs a batch-size sweep around the current batch size, point by point, into the sweep
// view and the history.
func TestDashboardSweep(t *testing.T) {
	fr := &fakeRunner{}
	d := newDriver(t, Options{Runner: fr, Settings: Settings{Batch: 8, ISL: 8, OSL: 4, Requests: 8, Concurrency: -1}, MaxBatch: 16})
	d.until("the model to load", func() bool { return d.m.loaded })
	d.key("w")
	d.until("the sweep to end", func() bool { return len(fr.ran()) == 4 && !d.m.active && len(d.m.sweepQueue) == 0 })
	var got []int
	for _, r := range fr.ran() {
		got = append(got, r.Batch)
	}
	if !slices.Equal(got, []int{2, 4, 8, 16}) {
		t.Errorf("swept batch sizes %v, want 2 4 8 16 (B/4 to 4B, capped at 16)", got)
	}
	for i, pt := range d.m.sweep.Points {
		if pt.State != panel.StateFinished || pt.OutputTokS <= 0 {
			t.Errorf("point %d: %+v", i, pt)
		}
	}
	if len(d.m.history.Rows) != 4 {
		t.Errorf("history has %d runs, want 4", len(d.m.history.Rows))
	}
	screen := d.checkFrame(120, 40)
	for _, want := range []string{"Sweep", "output tok/s by batch size", "per user", "16"} {
		if !strings.Contains(screen, want) {
			t.Errorf("sweep view lacks %q:\n%s", want, screen)
		}
	}
	d.checkFrame(80, 24)
	d.key("esc")
	if d.m.view == viewSweep {
		t.Error("esc did not leave the sweep view")
	}
}

// fakeExport is the export of one fake run with settings s.
func fakeExport(t testing.TB, s Settings) *report.Export {
	t.Helper()
	ev := engine.NewEvents(context.Background())
	defer ev.Close()
	x, err := (&fakeRunner{}).Run(context.Background(), s, ev)
	if err != nil {
		t.Fatal(err)
	}
	return x
}
