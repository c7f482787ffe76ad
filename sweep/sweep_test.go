package sweep

import (
	"bytes"
	"encoding/csv"
	"reflect"
	"strings"
	"testing"

	"github.com/benchtui/benchtui/report"
)

func TestParseValues(t *testing.T) {
	cases := map[string][]string{
		"1,4,16":     {"1", "4", "16"},
		"32:128:32":  {"32", "64", "96", "128"},
		"1:256:x4":   {"1", "4", "16", "64", "256"},
		"auto, off":  {"auto", "off"},
		"7":          {"7"},
		"100:100:10": {"100"},
		"32:100:x2":  {"32", "64"},
	}
	for in, want := range cases {
		got, err := ParseValues(in)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("ParseValues(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", ",", "1:2", "5:1:1", "1:8:x1", "0:8:x2", "a:b:c", "1:8:0"} {
		if _, err := ParseValues(bad); err == nil {
			t.Errorf("ParseValues(%q) accepted", bad)
		}
	}
}

func TestGrid(t *testing.T) {
	g := Grid([]Axis{{"a", []string{"1", "2"}}, {"b", []string{"x", "y", "z"}}})
	if len(g) != 6 {
		t.Fatalf("%d points, want 6", len(g))
	}
	if g[0].Key() != "a=1,b=x" || g[1].Key() != "a=1,b=y" || g[5].Key() != "a=2,b=z" {
		t.Errorf("order %s %s ... %s: the last axis must vary fastest", g[0].Key(), g[1].Key(), g[5].Key())
	}
	if g[4].Get("b", "") != "y" || g[4].Get("c", "def") != "def" {
		t.Error("Get")
	}
}

func TestOutputs(t *testing.T) {
	axes := []Axis{{"max_batch_size", []string{"1", "4"}}}
	var results []PointResult
	for i, p := range Grid(axes) {
		var reps []report.Report
		for k := 0; k < 3; k++ {
			var r report.Report
			r.Performance.SystemOutputThroughputTokS = float64(100*(i+1) + k)
			reps = append(reps, r)
		}
		results = append(results, NewPointResult(p, reps))
	}
	var b bytes.Buffer
	if err := WriteCSV(&b, axes, results); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[0][0] != "max_batch_size" || rows[0][2] != "output_tok_s" {
		t.Fatalf("csv %v", rows)
	}
	if rows[2][0] != "4" || rows[2][1] != "3" || rows[2][2] != "201.0000" || rows[2][3] != "1.0000" {
		t.Errorf("row %v: want batch 4, 3 repeats, mean 201, sd 1", rows[2])
	}
	b.Reset()
	if err := WriteMarkdown(&b, axes, results); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "| 4 | 201.0 ± 2.48 |") {
		t.Errorf("markdown:\n%s", b.String())
	}
}
