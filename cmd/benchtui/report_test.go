package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	htmlreport "github.com/benchtui/benchtui/report/html"
)

const fixtures = "../../report/html/testdata/"

// report writes a page for each kind of input, and the charts as SVG files.
func TestReportCommand(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name  string
		files []string
		want  []string
	}{
		{"run", []string{fixtures + "run-b8.json"}, []string{`id="timeline"`, `id="hist-itl"`, "benchtui run: tiny"}},
		{"sweep", []string{fixtures + "sweep.json"}, []string{`id="pareto"`, `id="axis-max-batch-size"`}},
		{"compare", []string{fixtures + "run-b8.json", fixtures + "run-stopped.json"}, []string{`id="compare-changes"`, "was stopped"}},
		{"trtllm", []string{"testdata/trtllm-report.json"}, []string{"trtllm-bench run: meta-llama/Llama-3.1-8B", "10666.7"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(dir, c.name+".html")
			svg := filepath.Join(dir, c.name+"-svg")
			// Flags may come after the files, or between them.
			args := append([]string{"report", c.files[0], "--html", out, "--svg", svg}, c.files[1:]...)
			code, _, errs := runCLI(t, args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			page, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range c.want {
				if !strings.Contains(string(page), w) {
					t.Errorf("the page lacks %q", w)
				}
			}
			files, _ := filepath.Glob(filepath.Join(svg, "*.svg"))
			if c.name != "trtllm" && len(files) == 0 {
				t.Errorf("no SVG files in %s", svg)
			}
		})
	}
	code, out, errs := runCLI(t, "report", fixtures+"run-b8.json", "--html", "-")
	if code != 0 || !strings.HasPrefix(out, "<!DOCTYPE html>") {
		t.Errorf("--html -: exit %d, %s, stdout starts %.40q", code, errs, out)
	}
}

// report's bad input gets one line and exit status 2, and never touches an input.
func TestReportBadInput(t *testing.T) {
	dir := t.TempDir()
	input := filepath.Join(dir, "run.json")
	data, err := os.ReadFile(fixtures + "run-b8.json")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(input, data, 0o644)
	notJSON := filepath.Join(dir, "notes.txt")
	os.WriteFile(notJSON, []byte("hello"), 0o644)
	out := filepath.Join(dir, "out.html")
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"no files", []string{"report", "--html", out}, "one file or more"},
		{"no output", []string{"report", input}, "--html"},
		{"missing file", []string{"report", filepath.Join(dir, "none.json"), "--html", out}, "none.json"},
		{"not a report", []string{"report", notJSON, "--html", out}, "notes.txt"},
		{"output is an input", []string{"report", input, "--html", input}, "is the same file as the input"},
		{"sweep in a comparison", []string{"report", fixtures + "sweep.json", input, "--html", out}, "sweep"},
		{"svg onto a file", []string{"report", input, "--svg", notJSON}, "is not a folder"},
		{"html in a missing folder", []string{"report", input, "--html", filepath.Join(dir, "nope", "x.html")}, "no folder"},
		{"unknown flag", []string{"report", input, "--htm", out}, "htm"},
		{"page to stdout beside compare's table", []string{"compare", input, fixtures + "run-b16.json", "--html", "-"}, "stdout"},
		{"compare output is an input", []string{"compare", input, fixtures + "run-b16.json", "--html", input}, "is the same file as the input"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, _, errs := runCLI(t, c.args...)
			if code != 2 {
				t.Errorf("exit %d, want 2 (stderr %q)", code, errs)
			}
			if lines := strings.Split(strings.TrimSpace(errs), "\n"); len(lines) != 1 || !strings.Contains(errs, c.want) {
				t.Errorf("stderr %q: want one line mentioning %q", errs, c.want)
			}
		})
	}
	if after, _ := os.ReadFile(input); string(after) != string(data) {
		t.Error("an input file changed")
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a page was written despite bad input")
	}
}

// A headless run writes its export, its HTML report and its charts: the export reads back
// with every record, and the page has what only records give.
func TestThroughputExportAndHTML(t *testing.T) {
	dir := t.TempDir()
	x, page, svg := filepath.Join(dir, "run.json"), filepath.Join(dir, "run.html"), filepath.Join(dir, "svg")
	code, _, errs := runCLI(t, "--model", "tiny", "throughput", "--num_requests", "12", "--isl", "24", "--osl", "8",
		"--max_batch_size", "4", "--export", x, "--html", page, "--svg", svg, "--quiet")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	src, err := htmlreport.Load(x)
	if err != nil {
		t.Fatal(err)
	}
	if src.Kind != htmlreport.KindExport || len(src.Export.Requests) != 12 || len(src.Export.Snapshots) == 0 {
		t.Errorf("export: kind %v, %d records, %d snapshots", src.Kind, len(src.Export.Requests), len(src.Export.Snapshots))
	}
	b, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{`id="timeline"`, `id="hist-ttft"`, `id="engine-kv"`, "run.json"} {
		if !strings.Contains(string(b), w) {
			t.Errorf("the page lacks %q", w)
		}
	}
	if files, _ := filepath.Glob(filepath.Join(svg, "*.svg")); len(files) < 8 {
		t.Errorf("%d SVG files", len(files))
	}
}

// sweep and compare write their pages too.
func TestSweepAndCompareHTML(t *testing.T) {
	dir := t.TempDir()
	out, page := filepath.Join(dir, "sw"), filepath.Join(dir, "sweep.html")
	code, _, errs := runCLI(t, "sweep", "--model", "tiny", "--max_batch_size", "1,4", "--isl", "16", "--osl", "4",
		"--num_requests", "6", "--warmup", "0", "--out", out, "--html", page, "--quiet")
	if code != 0 {
		t.Fatalf("sweep: exit %d: %s", code, errs)
	}
	b, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `id="pareto"`) || !strings.Contains(string(b), "Output throughput by max_batch_size") {
		t.Error("the sweep page lacks its charts")
	}
	points, _ := filepath.Glob(filepath.Join(out, "points", "*.json"))
	cmp := filepath.Join(dir, "compare.html")
	code, stdout, errs := runCLI(t, "compare", points[0], points[1], "--html", cmp)
	if code != 0 || !strings.Contains(stdout, "output_tok_s") {
		t.Fatalf("compare: exit %d: %s\n%s", code, errs, stdout)
	}
	if b, err := os.ReadFile(cmp); err != nil || !strings.Contains(string(b), `id="compare-metrics"`) {
		t.Errorf("compare page: %v", err)
	}
}
