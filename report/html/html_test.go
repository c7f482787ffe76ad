package html

import (
	"bytes"
	"encoding/xml"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/benchtui/benchtui/dataset"
	"github.com/benchtui/benchtui/engine"
)

// TestSamplesMatchReport holds the per-request values the page draws (histograms,
// timeline, latency over time) to the report's own: summarised with the report's function
// they must give the report's percentiles, for real runs and the synthetic one.
func TestSamplesMatchReport(t *testing.T) {
	exports := map[string]*engine.Export{"synthetic": syntheticExport(3000, 6)}
	for _, p := range []string{"testdata/run-b8.json", "testdata/run-stopped.json"} {
		x, err := engine.ReadExport(p)
		if err != nil {
			t.Fatal(err)
		}
		exports[p] = x
	}
	for name, x := range exports {
		reqs, _ := runRequests(x.Requests)
		var ttft, tpot, e2e, queue, itl []float64
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
		eachITL(x.Requests, func(v float64) { itl = append(itl, v) })
		r := &x.Report
		for _, c := range []struct {
			what string
			vals []float64
			want engine.ReportPercentiles
			n    int
		}{
			{"TTFT", ttft, r.StreamingMetrics.TTFTPercentiles, r.BenchTUI.SampleCounts.TTFT},
			{"TPOT", tpot, r.StreamingMetrics.TPOTPercentiles, r.BenchTUI.SampleCounts.TPOT},
			{"E2E", e2e, r.Performance.RequestLatencyPercentilesMS, r.BenchTUI.SampleCounts.RequestLatency},
			{"queue", queue, r.BenchTUI.QueueTimePercentilesMS, r.BenchTUI.SampleCounts.QueueTime},
			{"ITL", itl, r.BenchTUI.ITLPercentilesMS, r.BenchTUI.SampleCounts.ITL},
		} {
			d := dataset.Summarize(c.vals)
			got := [...]float64{d.P50, d.P90, d.P95, d.P99, d.Minimum, d.Maximum, d.Average}
			want := [...]float64{c.want.P50, c.want.P90, c.want.P95, c.want.P99, c.want.Minimum, c.want.Maximum, c.want.Average}
			for i := range got {
				if math.Abs(got[i]-want[i]) > 1e-9*math.Max(1, math.Abs(want[i])) {
					t.Errorf("%s %s: the page's samples give %v, the report %v", name, c.what, got, want)
					break
				}
			}
			if d.Count != c.n {
				t.Errorf("%s %s: %d samples, the report counts %d", name, c.what, d.Count, c.n)
			}
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

// TestChangeAndWarnings checks the comparison's deltas and workload warnings on the
// fixtures: the stopped run differs in OSL and N and was stopped; the batch-16 run ran the
// same workload.
func TestChangeAndWarnings(t *testing.T) {
	if pct, ok := Change(200, 150); !ok || pct != -25 {
		t.Errorf("Change(200, 150) = %v, %v", pct, ok)
	}
	if _, ok := Change(0, 5); ok {
		t.Error("a change from 0 has no percentage")
	}
	if Better(-25, false) != 1 || Better(-25, true) != -1 || Better(0, true) != 0 {
		t.Error("Better mixes up the directions")
	}
	srcs := loadAll(t, fixtures["compare"])
	w := Warnings([]string{"A", "B", "C"}, srcs)
	joined := strings.Join(w, "\n")
	for _, want := range []string{"output length (OSL) differs: A 33.90, C 64.00", "Number of requests (N) differs: A 48, C 400", "C was stopped"} {
		if !strings.Contains(joined, want) {
			t.Errorf("warnings lack %q:\n%s", want, joined)
		}
	}
	if strings.Contains(joined, "B ") {
		t.Errorf("B ran the same workload as A, yet:\n%s", joined)
	}
	if w := Warnings([]string{"A", "B"}, srcs[:2]); len(w) != 0 {
		t.Errorf("A and B ran the same workload, yet: %v", w)
	}
}
