package html

import (
	"bytes"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/benchtui/benchtui/report"
)

// TestRequestsMatchSamples holds the per-request values that the timeline and latency over
// time draw to the report's own samples (report.CollectSamples): the same values, for real
// runs (a stopped one among them) and the synthetic one.
func TestRequestsMatchSamples(t *testing.T) {
	exports := map[string]*report.Export{"synthetic": syntheticExport(3000, 6)}
	for _, p := range []string{"testdata/run-b8.json", "testdata/run-stopped.json"} {
		x, err := report.ReadExport(p)
		if err != nil {
			t.Fatal(err)
		}
		exports[p] = x
	}
	for name, x := range exports {
		reqs, _ := runRequests(x.Requests)
		var ttft, tpot, e2e, queue []float64
		for _, q := range reqs {
			e2e = append(e2e, q.e2e)
			if q.hasAdmit {
				queue = append(queue, q.queue)
			}
			if q.hasFirst {
				ttft = append(ttft, q.ttft)
			}
			if q.hasTP {
				tpot = append(tpot, q.tpot)
			}
		}
		s := report.CollectSamples(x.Requests)
		for _, c := range []struct {
			what      string
			got, want []float64
		}{
			{"TTFT", ttft, s.TTFTMS}, {"TPOT", tpot, s.TPOTMS}, {"E2E", e2e, s.RequestLatencyMS}, {"queue", queue, s.QueueTimeMS},
		} {
			got, want := slices.Sorted(slices.Values(c.got)), slices.Sorted(slices.Values(c.want))
			if len(want) == 0 || !slices.Equal(got, want) {
				t.Errorf("%s %s: the page's %d values are not the report's %d", name, c.what, len(got), len(want))
			}
		}
		if len(reqs) != x.Report.BenchTUI.NumCompleted {
			t.Errorf("%s: %d requests drawn, the report counts %d completed", name, len(reqs), x.Report.BenchTUI.NumCompleted)
		}
	}
}

// TestHistogramsCountEverySample checks that each histogram's bars add up to the report's
// sample count, the far tail included.
func TestHistogramsCountEverySample(t *testing.T) {
	x := syntheticExport(5000, 6)
	v := newRunView(FromExport("synthetic", x), "")
	counts := x.Report.BenchTUI.SampleCounts
	want := map[string]int{"hist-ttft": counts.TTFT, "hist-tpot": counts.TPOT, "hist-itl": counts.ITL,
		"hist-e2e": counts.RequestLatency, "hist-queue": counts.QueueTime}
	bar := regexp.MustCompile(`data-tip="[^"]*: (\d+) (requests|gaps) \(`)
	charts := v.histograms()
	if len(charts) != len(want) {
		t.Fatalf("%d histograms, want %d", len(charts), len(want))
	}
	for _, c := range charts {
		sum := 0
		for _, m := range bar.FindAllStringSubmatch(c.body, -1) {
			n, _ := strconv.Atoi(m[1])
			sum += n
		}
		if sum != want[c.ID] {
			t.Errorf("%s: bars add up to %d, the report has %d samples", c.ID, sum, want[c.ID])
		}
	}
}

// TestTimelineRows checks the timeline's two modes: one row a request up to timelineRows,
// bands beyond, each band's tooltip naming its requests.
func TestTimelineRows(t *testing.T) {
	for _, n := range []int{40, timelineRows, 5000} {
		reqs, _ := runRequests(syntheticExport(n, 4).Requests)
		c := timelineChart("timeline", "Request timeline", reqs)
		rows := strings.Count(c.body, `class="row"`)
		wantRows := min(n, timelineRows)
		if n > timelineRows {
			per := (n + timelineRows - 1) / timelineRows
			wantRows = (n + per - 1) / per
			if !strings.Contains(c.body, "requests 1–"+strconv.Itoa(per)+" by start") {
				t.Errorf("n=%d: the first band's tooltip does not name requests 1–%d", n, per)
			}
		} else if !strings.Contains(c.body, "request 0 (task 0)") {
			t.Errorf("n=%d: no tooltip for request 0", n)
		}
		if rows != wantRows {
			t.Errorf("n=%d: %d rows, want %d", n, rows, wantRows)
		}
		if c.marks == 0 {
			t.Errorf("n=%d: nothing drawn", n)
		}
	}
}

// TestPageIsSelfContained checks that a page loads nothing: no script or style source, no
// link to another document, no CSS import or url().
func TestPageIsSelfContained(t *testing.T) {
	for name := range fixtures {
		page := string(buildPage(t, name))
		for _, bad := range []string{"src=", "<link", "@import", "url(", "http://", "https://"} {
			if strings.Contains(page, bad) {
				t.Errorf("%s page contains %q", name, bad)
			}
		}
	}
}

// TestStandaloneSVG writes the charts of each page as SVG files and checks that each is a
// well-formed XML document with its own styles, for light and dark viewers.
func TestStandaloneSVG(t *testing.T) {
	for _, name := range []string{"run", "sweep", "compare"} {
		page, err := Build(loadAll(t, fixtures[name]), Options{Version: "test"})
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		paths, err := page.WriteSVG(dir, func(path string, b []byte) error { return os.WriteFile(path, b, 0o644) })
		if err != nil {
			t.Fatal(err)
		}
		if len(paths) != len(page.Charts()) || len(paths) == 0 {
			t.Fatalf("%s: %d files for %d charts", name, len(paths), len(page.Charts()))
		}
		for _, p := range paths {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			dec := xml.NewDecoder(bytes.NewReader(b))
			for {
				if _, err := dec.Token(); err == io.EOF {
					break
				} else if err != nil {
					t.Fatalf("%s is not well-formed: %v", filepath.Base(p), err)
				}
			}
			s := string(b)
			if !strings.Contains(s, `xmlns="http://www.w3.org/2000/svg"`) || !strings.Contains(s, "prefers-color-scheme:dark") {
				t.Errorf("%s lacks the SVG namespace or its dark styles", filepath.Base(p))
			}
		}
	}
}

// TestLoadRefusesOtherFiles checks that each input error names the file and what it
// should be.
func TestLoadRefusesOtherFiles(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"notjson.json": "hello",
		"other.json":   `{"name": "x"}`,
		"format.json":  `{"format": "benchtui-export/9"}`,
	} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(content), 0o644)
		_, err := Load(p)
		if err == nil || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: error %v should name the file", name, err)
		}
	}
	if _, err := Load(filepath.Join(dir, "missing.json")); err == nil {
		t.Error("a missing file loaded")
	}
	if _, err := Build(loadAll(t, []string{"testdata/sweep.json", "testdata/run-b8.json"}), Options{}); err == nil || !strings.Contains(err.Error(), "sweep") {
		t.Errorf("a sweep in a comparison: %v", err)
	}
}

// TestComparisonNotes checks that a comparison warns of what the report's CompareNotes
// finds in the fixtures: the stopped run differs in OSL and N and was stopped; the batch-16
// run ran the same workload as the first.
func TestComparisonNotes(t *testing.T) {
	page := string(buildPage(t, "compare"))
	for _, want := range []string{"C ran another workload than A", "mean OSL 64.00 vs 33.90", "C was stopped"} {
		if !strings.Contains(page, want) {
			t.Errorf("the comparison lacks %q", want)
		}
	}
	if strings.Contains(page, "B ran another workload") {
		t.Error("B ran the same workload as A, yet the page says otherwise")
	}
}
