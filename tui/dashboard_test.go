package tui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/benchtui/benchtui/internal/fsutil"
	"github.com/benchtui/benchtui/report"
	"github.com/benchtui/benchtui/telemetry"
	"github.com/benchtui/benchtui/tui/panel"
	"github.com/benchtui/benchtui/tui/panel/paneltest"
)

// During a run the strip's throughput is a recent rate and says so; after the run it is
// the report's figure, and the chart legend no longer shows a rate at all.
func TestResultStripRecentThenReport(t *testing.T) {
	fr := &fakeRunner{block: true}
	d := newDriver(t, Options{Runner: fr, Settings: Settings{Batch: 4, ISL: 8, OSL: 6, Requests: 16, Concurrency: -1}, AutoRun: true, Theme: "mono"})
	d.until("records to arrive", func() bool { return d.m.cur != nil && len(d.m.cur.records) > 0 })
	d.m.refreshLatency(d.m.latAt.Add(latencyEvery), true)
	screen := d.checkFrame(80, 24)
	if !d.m.result.Figures.Recent || !strings.Contains(screen, "recent out") {
		t.Errorf("live strip is not labelled as a recent rate:\n%s", screen)
	}
	d.key("s")
	d.until("the run to stop", func() bool { return !d.m.active })

	fr2 := &fakeRunner{}
	d2 := newDriver(t, Options{Runner: fr2, Settings: Settings{Batch: 4, ISL: 8, OSL: 6, Requests: 16, Concurrency: -1}, AutoRun: true, Theme: "mono"})
	d2.until("the run to finish", func() bool { return len(d2.m.runs) == 1 && d2.m.runs[0].export != nil })
	rep := &d2.m.runs[0].export.Report
	f := d2.m.result.Figures
	if f.Recent || f.OutputTokS != rep.Performance.SystemOutputThroughputTokS || f.TTFTp99 != rep.StreamingMetrics.TTFTPercentiles.P99 {
		t.Errorf("finished strip %+v is not the report's (%v tok/s, TTFT p99 %v)", f, rep.Performance.SystemOutputThroughputTokS, rep.StreamingMetrics.TTFTPercentiles.P99)
	}
	screen = d2.checkFrame(120, 36)
	if want := "out " + siText(rep.Performance.SystemOutputThroughputTokS) + " tok/s"; !strings.Contains(screen, want) {
		t.Errorf("finished strip lacks %q:\n%s", want, screen)
	}
	if strings.Contains(screen, "recent") || strings.Contains(screen, "last 1 s") {
		t.Errorf("a finished run still shows a recent rate:\n%s", screen)
	}
}

// siText formats like the panels' si (three significant digits).
func siText(v float64) string {
	p := panel.NewResult(paneltest.Styles(t0Theme))
	p.Figures = panel.NoFigures()
	p.Figures.OutputTokS = v
	s := ansi.Strip(p.Render(200, 1))
	i := strings.Index(s, "out ")
	return strings.Fields(s[i+4:])[0]
}

const t0Theme = "mono"

// A stopped run is stopped, not failed: its bar shows what finished, the canceled
// requests are counted apart, "stopping…" clears, the engine panel says the run ended.
func TestStoppedIsNotFailed(t *testing.T) {
	fr := &fakeRunner{block: true}
	d := newDriver(t, Options{Runner: fr, Settings: Settings{Batch: 4, ISL: 8, OSL: 4, Requests: 16, Concurrency: -1}, AutoRun: true, Theme: "mono"})
	d.until("the run to start", func() bool { return d.m.active && d.m.cur != nil && len(d.m.cur.records) > 0 })
	d.key("s")
	if d.m.status != "stopping…" {
		t.Errorf("status after s: %q", d.m.status)
	}
	d.until("the run to stop", func() bool { return !d.m.active })
	r := d.m.runs[0]
	p := d.m.progress
	if r.state != panel.StateCanceled || p.Completed != 8 || p.Canceled != 8 || p.Failed != 0 || p.Ended() != 8 {
		t.Errorf("stopped run: state %s, progress %d completed %d failed %d canceled", r.state, p.Completed, p.Failed, p.Canceled)
	}
	screen := d.checkFrame(80, 24)
	for _, want := range []string{"8/16", "canceled 8", "■ stopped", "run stopped"} {
		if !strings.Contains(screen, want) {
			t.Errorf("stopped screen lacks %q:\n%s", want, screen)
		}
	}
	for _, bad := range []string{"stopping", "failed 8", "16/16", "canceled ·"} {
		if strings.Contains(screen, bad) {
			t.Errorf("stopped screen shows %q:\n%s", bad, screen)
		}
	}
	if f := d.m.result.Figures; f.Completed != 8 || f.Canceled != 8 || f.Failed != 0 {
		t.Errorf("strip counts %d/%d/%d, want 8 completed, 0 failed, 8 canceled", f.Completed, f.Failed, f.Canceled)
	}
}

// Compare says when the two runs differ in workload or one was stopped, before the deltas.
func TestCompareSaysMismatch(t *testing.T) {
	fr := &fakeRunner{}
	d := newDriver(t, Options{Runner: fr, Settings: Settings{Batch: 4, ISL: 8, OSL: 4, Requests: 8, Concurrency: -1}, Theme: "mono"})
	d.until("the model to load", func() bool { return d.m.loaded })
	d.key("r")
	d.until("run 1", func() bool { return len(d.m.runs) == 1 && !d.m.active })
	d.key("I") // ISL 8 -> 16
	d.key("r")
	d.until("run 2", func() bool { return len(d.m.runs) == 2 && !d.m.active })
	d.key("space") // mark run 2
	d.key("up")
	d.key("space") // mark run 1
	d.key("v")
	if d.m.view != viewCompare {
		t.Fatal("v did not open the comparison")
	}
	screen := d.checkFrame(100, 30)
	lines := strings.Split(screen, "\n")
	at := -1
	for i, l := range lines {
		if strings.Contains(l, "workload differs: ISL 16 vs 8") {
			at = i
		}
	}
	if at < 0 {
		t.Fatalf("compare does not say the ISL differs:\n%s", screen)
	}
	for i, l := range lines {
		if strings.Contains(l, "better") || strings.Contains(l, "worse") {
			if i < at {
				t.Errorf("a delta comes before the mismatch:\n%s", screen)
			}
			break
		}
	}
}

// e exports the run under the history cursor, whatever panel has focus, and the hint says
// which run that is.
func TestExportRunUnderCursor(t *testing.T) {
	dir := t.TempDir()
	fr := &fakeRunner{}
	d := newDriver(t, Options{Runner: fr, Settings: Settings{Batch: 4, ISL: 8, OSL: 4, Requests: 8, Concurrency: -1}, ExportDir: dir, Theme: "mono"})
	d.until("the model to load", func() bool { return d.m.loaded })
	for i := 1; i <= 2; i++ {
		d.key("r")
		d.until("a run", func() bool { return len(d.m.runs) == i && !d.m.active })
	}
	d.key("up") // run 1, with the throughput panel focused
	if d.m.focus == panelHistory {
		t.Fatal("the test wants the focus elsewhere")
	}
	if screen := d.checkFrame(120, 36); !strings.Contains(screen, "e export run 1") {
		t.Errorf("hint does not name the run e exports:\n%s", screen)
	}
	d.key("e")
	d.until("the export", func() bool { return strings.HasPrefix(d.m.status, "exported") })
	files, _ := filepath.Glob(filepath.Join(dir, "benchtui-fake-run1-*.json"))
	if len(files) != 1 {
		all, _ := filepath.Glob(filepath.Join(dir, "*"))
		t.Errorf("e exported %v, want run 1", all)
	}
}

// Unlimited concurrency reads as unlimited, c turns it into the batch size, C from the top
// goes back to unlimited.
func TestUnlimitedConcurrency(t *testing.T) {
	d := newDriver(t, Options{Runner: &fakeRunner{}, Settings: Settings{Batch: 16, ISL: 8, OSL: 4, Requests: 8, Concurrency: -1}, Theme: "mono"})
	d.until("the model to load", func() bool { return d.m.loaded })
	screen := d.checkFrame(100, 30)
	if !strings.Contains(screen, "C unlimited") || strings.Contains(screen, "C -1") {
		t.Errorf("header does not say unlimited:\n%s", screen)
	}
	d.key("C")
	if c := d.m.pending.Concurrency; c > 0 {
		t.Errorf("C on unlimited gave %d", c)
	}
	d.key("c")
	if c := d.m.pending.Concurrency; c != 16 {
		t.Errorf("c on unlimited gave %d, want the batch size 16", c)
	}
	d.m.pending.Concurrency = 1024
	d.key("C")
	if c := d.m.pending.Concurrency; c > 0 {
		t.Errorf("C on 1024 gave %d, want unlimited", c)
	}
}

// tab visits only panels on screen: at 80x24 the histogram and latency over time share
// the chart slot with throughput, and g brings each in.
func TestTabNeverFocusesHiddenPanel(t *testing.T) {
	m := newModel(Options{Replay: fakeExport(t, Settings{Batch: 4, ISL: 8, OSL: 6, Requests: 16}), ReplayName: "x.json", Theme: "mono"})
	d := &driver{t: t, m: m}
	d.send(tea.WindowSizeMsg{Width: 80, Height: 24})
	r := m.placementFor(80, 24)
	seen := map[panelID]bool{}
	for i := 0; i < 20; i++ {
		d.key("tab")
		if !r.Shown(m.focus) {
			t.Fatalf("tab focused %s, which is not on screen", m.focus)
		}
		seen[m.focus] = true
	}
	if seen[panelLatency] || seen[panelTrend] {
		t.Error("tab reached a chart that is not in the slot")
	}
	for _, id := range []panelID{panelThroughput, panelProgress, panelEngine, panelDevices} {
		if !seen[id] {
			t.Errorf("tab never reached %s, which is on screen", id)
		}
	}
	d.key("g")
	d.key("g")
	if screen := d.checkFrame(80, 24); !strings.Contains(screen, "Latency TTFT") || !strings.Contains(screen, "p99") {
		t.Errorf("g did not bring the latency histogram to 80x24:\n%s", screen)
	}
}

// A status line too long for the hint bar wraps above it: "n stay" of the quit question
// must show at 80 columns.
func TestStatusWrapsNotCut(t *testing.T) {
	d := newDriver(t, Options{Runner: &fakeRunner{block: true}, Settings: Settings{Batch: 4, ISL: 8, OSL: 4, Requests: 8, Concurrency: -1}, AutoRun: true, Theme: "mono"})
	d.until("the run to start", func() bool { return d.m.active })
	d.key("q")
	screen := d.checkFrame(80, 24)
	if !strings.Contains(screen, "n stay") || !strings.Contains(screen, "e stop, export") {
		t.Errorf("the quit question is cut:\n%s", screen)
	}
	d.key("n")
	d.key("s")
	d.until("the run to stop", func() bool { return !d.m.active })
}

// Replay of a --report_json report shows its percentiles, time series and telemetry.
func TestReplayOfReport(t *testing.T) {
	x := fakeExport(t, Settings{Batch: 4, ISL: 8, OSL: 6, Requests: 32})
	u := func(v float64) *float64 { return &v }
	x.Report.BenchTUI.Hardware = &report.Hardware{
		Machine: telemetry.Machine{CPUModel: "Test CPU"},
		Series: telemetry.Series{Source: "host", IntervalMS: 250, TimesMS: []int64{0, 250, 500},
			Devices: []telemetry.DeviceSeries{{Device: telemetry.Device{Name: "host", Kind: telemetry.KindCPU},
				UtilPercent: []*float64{u(10), u(50), u(90)}}}},
	}
	path := filepath.Join(t.TempDir(), "report.json")
	if err := fsutil.WriteNew(path, x.Report.WriteJSON); err != nil {
		t.Fatal(err)
	}
	back, err := ReadReplay(path)
	if err != nil {
		t.Fatal(err)
	}
	m := newModel(Options{Replay: back, ReplayName: "report.json", Theme: "mono"})
	d := &driver{t: t, m: m}
	st := m.latency.Stats(panel.MetricTTFT)
	if rp := back.Report.StreamingMetrics.TTFTPercentiles; st.P50 != rp.P50 || st.P99 != rp.P99 || st.N == 0 {
		t.Errorf("latency stats %+v, want the report's %+v", st, rp)
	}
	if m.throughput.Len() != len(back.Report.BenchTUI.TimeSeries) || m.throughput.Len() == 0 {
		t.Errorf("throughput has %d points, the report's time series %d", m.throughput.Len(), len(back.Report.BenchTUI.TimeSeries))
	}
	if len(m.devices.Devices) != 1 || len(m.devices.Devices[0].Util) != 3 {
		t.Errorf("devices from the report's telemetry: %+v", m.devices.Devices)
	}
	d.key("g")
	d.key("g")
	screen := d.checkFrame(120, 36)
	if strings.Contains(screen, "no samples yet") || strings.Contains(screen, "no TTFT samples") {
		t.Errorf("a report replay says it has no samples:\n%s", screen)
	}
	for _, want := range []string{"CPU (Test CPU)", "replay report.json", "p99 " + msText(back.Report.StreamingMetrics.TTFTPercentiles.P99)} {
		if !strings.Contains(screen, want) {
			t.Errorf("report replay lacks %q:\n%s", want, screen)
		}
	}
}

// msText formats like the panels' ms.
func msText(v float64) string {
	p := panel.NewResult(paneltest.Styles(t0Theme))
	p.Figures = panel.NoFigures()
	p.Figures.TTFTp50 = v
	s := ansi.Strip(p.Render(200, 2))
	i := strings.Index(s, "TTFT p50 ")
	return strings.Fields(s[i+9:])[0]
}

// A --request_json file, or anything else that is not an export or a report, is refused
// in one line that says what it is and what replay takes.
func TestReadReplayRefuses(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"requests.json": `[{"id": 0, "num_input_tokens": 8, "start_timestamp": 1}]`,
		"broken.json":   `{"performance": {`,
		"typed.json":    `{"performance": {"total_latency_ms": "fast"}}`,
		"other.json":    `{"hello": 1}`,
		"empty.json":    ``,
	} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := ReadReplay(path)
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		msg := err.Error()
		if strings.Contains(msg, "\n") || strings.Contains(msg, "Go value") || strings.Contains(msg, "struct") || strings.Contains(msg, "float64") {
			t.Errorf("%s: %q is not one plain line", name, msg)
		}
		if !strings.Contains(msg, name) {
			t.Errorf("%s: %q does not name the file", name, msg)
		}
		if name == "requests.json" && !strings.Contains(msg, "--request_json") {
			t.Errorf("%s: %q does not say what the file is", name, msg)
		}
	}
}

// An explicit --theme wins over NO_COLOR: the program then detects colours without it.
func TestExplicitThemeWinsOverNoColor(t *testing.T) {
	t.Setenv("NO_COLOR", "1")
	env := colorEnv("nvidia")
	if env == nil {
		t.Fatal("an explicit theme kept NO_COLOR")
	}
	for _, e := range env {
		if strings.HasPrefix(e, "NO_COLOR=") {
			t.Errorf("NO_COLOR still in the environment: %s", e)
		}
	}
	if colorEnv("") != nil || colorEnv("mono") != nil {
		t.Error("no theme, or mono, must keep NO_COLOR")
	}
	if m := newModel(Options{Replay: fakeExport(t, Settings{Batch: 4, ISL: 8, OSL: 6, Requests: 8}), Theme: "nvidia"}); m.theme != "nvidia" || m.st.Mono {
		t.Errorf("theme %s (mono %v) with NO_COLOR and --theme nvidia", m.theme, m.st.Mono)
	}
	if m := newModel(Options{Replay: fakeExport(t, Settings{Batch: 4, ISL: 8, OSL: 6, Requests: 8})}); m.theme != "mono" {
		t.Errorf("theme %s with NO_COLOR and no --theme, want mono", m.theme)
	}
}
