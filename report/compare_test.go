package report

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDelta(t *testing.T) {
	cases := []struct {
		base, v float64
		better  Direction
		want    string
		verdict Verdict
	}{
		{100, 112.34, HigherIsBetter, "+12.3% better", Better},
		{100, 80, HigherIsBetter, "-20.0% worse", Worse},
		{100, 80, LowerIsBetter, "-20.0% better", Better},
		{100, 125, LowerIsBetter, "+25.0% worse", Worse},
		{100, 100.4, HigherIsBetter, "+0.4%", Same}, // within SameWithinPercent
		{100, 99.5, LowerIsBetter, "-0.5% better", Better},
		{16, 64, Neutral, "+300.0%", Same}, // a setting has no better or worse
		{0, 5, HigherIsBetter, "n/a", Unknown},
		{5, 0, LowerIsBetter, "n/a", Unknown}, // 0 is "no samples", not an improvement
		{math.NaN(), 5, HigherIsBetter, "n/a", Unknown},
		{5, math.Inf(1), HigherIsBetter, "n/a", Unknown},
	}
	for _, c := range cases {
		d := Delta(c.base, c.v, c.better)
		if d.String() != c.want || d.Verdict != c.verdict {
			t.Errorf("Delta(%v, %v, %v) = %q (%v), want %q (%v)", c.base, c.v, c.better, d, d.Verdict, c.want, c.verdict)
		}
	}
	if got := Delta(100, 112.34, HigherIsBetter).PercentString(); got != "+12.3%" {
		t.Errorf("PercentString = %q", got)
	}
}

func TestWriteCompare(t *testing.T) {
	a := Build(sampleReportInput())
	b := a
	b.Performance.SystemOutputThroughputTokS = a.Performance.SystemOutputThroughputTokS * 1.5
	b.WorldInfo.MaxBatchSize = 128
	var buf bytes.Buffer
	if err := WriteCompare(&buf, []string{"a.json", "b.json"}, []Report{a, b}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	row := func(name string) string {
		for _, l := range strings.Split(out, "\n") {
			if f := strings.Fields(l); len(f) > 0 && f[0] == name {
				return strings.Join(f, " ")
			}
		}
		t.Fatalf("no %s row in:\n%s", name, out)
		return ""
	}
	if got, want := row("output_tok_s"), "output_tok_s "+FormatValue(a.Performance.SystemOutputThroughputTokS)+" "+
		FormatValue(b.Performance.SystemOutputThroughputTokS)+" +50.0% better"; got != want {
		t.Errorf("output row %q, want %q", got, want)
	}
	if got := row("max_batch_size"); got != "max_batch_size 64 128 +100.0%" {
		t.Errorf("setting row %q", got)
	}
	if got := row("ttft_p50_ms"); !strings.HasSuffix(got, " +0.0%") {
		t.Errorf("unchanged latency row %q", got)
	}
	for _, f := range Figures {
		row(f.Name)
	}
}

func TestCompareNotes(t *testing.T) {
	a := Build(sampleReportInput())
	a.BenchTUI.NumFailed = 0 // the sample has a failed request; see below
	if n := CompareNotes([]string{"a", "b"}, []Report{a, a}); len(n) != 0 {
		t.Errorf("notes for one report twice: %q", n)
	}
	b := a
	ds := *a.Dataset
	ds.ISL.Average, ds.NumRequests = 40, 8
	b.Dataset = &ds
	b.BenchTUI.NumCanceled = 3
	notes := CompareNotes([]string{"a.json", "b.json"}, []Report{a, b})
	want := []string{
		"b.json ran another workload than a.json: mean ISL 40.00 vs 20.00, 8 requests vs 4",
		"b.json was stopped: 3 requests canceled, its figures cover the 3 that completed",
	}
	if strings.Join(notes, "\n") != strings.Join(want, "\n") {
		t.Errorf("notes:\n%s\nwant:\n%s", strings.Join(notes, "\n"), strings.Join(want, "\n"))
	}
	var buf bytes.Buffer
	if err := WriteCompare(&buf, []string{"a.json", "b.json"}, []Report{a, b}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(buf.String(), "note: "+want[0]+"\nnote: "+want[1]+"\n") {
		t.Errorf("compare does not start with its notes:\n%s", buf.String())
	}
	a.BenchTUI.NumFailed = 1
	if n := CompareNotes([]string{"a", "b"}, []Report{a, a}); len(n) != 2 || n[0] != "a had 1 failed requests, its figures cover the 3 that completed" {
		t.Errorf("notes for failed requests: %q", n)
	}
}

// compare reads the energy object of either tool's report, and shows its rows only when a
// report has one.
func TestCompareEnergy(t *testing.T) {
	trt := []byte(`{"engine": {"model": "m", "backend": "pytorch", "version": "1.2"}, "performance": {"system_output_throughput_tok_s": 1000},
		"energy": {"total_energy_j": 4000.0, "output_tps_per_w": 2.5, "average_gpu_power": 400.0}}`)
	path := filepath.Join(t.TempDir(), "trt.json")
	if err := os.WriteFile(path, trt, 0o644); err != nil {
		t.Fatal(err)
	}
	x, err := ReadExport(path)
	if err != nil {
		t.Fatal(err)
	}
	if x.Report.Energy == nil || x.Report.Energy.OutputTPSPerW != 2.5 {
		t.Fatalf("energy read as %+v", x.Report.Energy)
	}
	ours := Build(sampleReportInput())
	var buf bytes.Buffer
	if err := WriteCompare(&buf, []string{"ours", "trt"}, []Report{ours, ours}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "output_tps_per_w") {
		t.Error("energy rows without energy")
	}
	ours.Energy = &Energy{TotalEnergyJ: 5000, OutputTPSPerW: 2, AverageGPUPower: 410}
	buf.Reset()
	if err := WriteCompare(&buf, []string{"ours", "trt"}, []Report{ours, x.Report}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"energy_j 5000.0 4000.0 -20.0% better", "output_tps_per_w 2.00 2.50 +25.0% better",
		"avg_gpu_power_w 410 400 -2.4%"} {
		if !strings.Contains(strings.Join(strings.Fields(buf.String()), " "), want) {
			t.Errorf("compare lacks %q:\n%s", want, buf.String())
		}
	}
}

// Every figure found by name reads its own value from the report, and names are unique.
func TestFigureByName(t *testing.T) {
	r := Build(sampleReportInput())
	r.Energy = &Energy{TotalEnergyJ: 1, OutputTPSPerW: 2, AverageGPUPower: 3}
	seen := map[string]bool{}
	for _, list := range [][]Figure{Figures, MoreFigures, EnergyFigures} {
		for _, f := range list {
			if seen[f.Name] {
				t.Errorf("figure %s twice", f.Name)
			}
			seen[f.Name] = true
			g, ok := FigureByName(f.Name)
			if !ok || g.Get(&r) != f.Get(&r) || g.Format(&r) != FormatValue(f.Get(&r)) {
				t.Errorf("FigureByName(%s) = %v", f.Name, ok)
			}
		}
	}
	if f, _ := FigureByName("itl_p99_ms"); f.Get(&r) != r.BenchTUI.ITLPercentilesMS.P99 {
		t.Error("itl_p99_ms")
	}
	if _, ok := FigureByName("nope"); ok {
		t.Error("an unknown figure was found")
	}
}
