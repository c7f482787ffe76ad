// Package sweep runs grids of benchmark settings: the axes and their values, the points of
// the grid, and the result files (JSON, CSV, markdown). The figures and their statistics
// over repeats are the report package's. It knows nothing of how a point is run; the
// command runs each point through a session.
package sweep

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/benchtui/benchtui/report"
)

// Axis is one swept setting and its values, in order.
type Axis struct {
	Name   string
	Values []string
}

// Point is one combination of axis values, in the axes' order.
type Point struct {
	Names  []string
	Values []string
}

// Get returns the point's value of an axis, or def when the point has no such axis.
func (p Point) Get(name, def string) string {
	for i, n := range p.Names {
		if n == name {
			return p.Values[i]
		}
	}
	return def
}

// Key names the point in file names: "max_batch_size=4,isl=128".
func (p Point) Key() string {
	parts := make([]string, len(p.Names))
	for i := range p.Names {
		parts[i] = p.Names[i] + "=" + p.Values[i]
	}
	return strings.Join(parts, ",")
}

// Grid is every combination of the axes' values; the last axis varies fastest.
func Grid(axes []Axis) []Point {
	points := []Point{{}}
	for _, a := range axes {
		var next []Point
		for _, p := range points {
			for _, v := range a.Values {
				q := Point{Names: append(append([]string(nil), p.Names...), a.Name), Values: append(append([]string(nil), p.Values...), v)}
				next = append(next, q)
			}
		}
		points = next
	}
	if len(axes) == 0 {
		return nil
	}
	return points
}

// ParseValues reads an axis's values: a list ("1,4,16"), an arithmetic range
// ("32:384:32", both ends included) or a geometric one ("1:256:x2").
func ParseValues(s string) ([]string, error) {
	if !strings.Contains(s, ":") {
		var out []string
		for _, v := range strings.Split(s, ",") {
			if v = strings.TrimSpace(v); v != "" {
				out = append(out, v)
			}
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("%q has no values", s)
		}
		return out, nil
	}
	parts := strings.Split(s, ":")
	if len(parts) != 3 {
		return nil, fmt.Errorf("range %q: want START:STOP:STEP or START:STOP:xFACTOR", s)
	}
	start, err1 := strconv.Atoi(parts[0])
	stop, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil || start > stop {
		return nil, fmt.Errorf("range %q: START and STOP must be integers with START <= STOP", s)
	}
	geometric := strings.HasPrefix(parts[2], "x")
	step, err := strconv.Atoi(strings.TrimPrefix(parts[2], "x"))
	if err != nil || step < 1 || (geometric && (step < 2 || start < 1)) {
		return nil, fmt.Errorf("range %q: STEP must be a positive integer (xFACTOR at least x2, from a START of 1 or more)", s)
	}
	var out []string
	for v := start; v <= stop; {
		out = append(out, strconv.Itoa(v))
		if geometric {
			v *= step
		} else {
			v += step
		}
		if len(out) > 10000 {
			return nil, fmt.Errorf("range %q has more than 10000 values", s)
		}
	}
	return out, nil
}

// PointResult is a point's repeats and their statistics.
type PointResult struct {
	Key     string                       `json:"key"`
	Params  map[string]string            `json:"params"`
	Stats   map[string]report.RepeatStat `json:"stats"`
	Reports []report.Report              `json:"reports"`
	point   Point
}

// NewPointResult computes a point's statistics from its repeats' reports.
func NewPointResult(p Point, reports []report.Report) PointResult {
	r := PointResult{Key: p.Key(), Params: map[string]string{}, Stats: map[string]report.RepeatStat{}, Reports: reports, point: p}
	for i := range p.Names {
		r.Params[p.Names[i]] = p.Values[i]
	}
	for _, f := range report.Figures {
		xs := make([]float64, len(reports))
		for i := range reports {
			xs[i] = f.Get(&reports[i])
		}
		r.Stats[f.Name] = report.SummarizeRepeats(xs)
	}
	return r
}

// WriteJSON writes every point (with every repeat's report) as one JSON document.
func WriteJSON(w io.Writer, axes []Axis, results []PointResult) error {
	names := make([]string, len(axes))
	for i, a := range axes {
		names[i] = a.Name
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		Axes   []string      `json:"axes"`
		Points []PointResult `json:"points"`
	}{names, results})
}

// WriteCSV writes one row a point: the axis values, then mean, stddev and 95% interval of
// every metric.
func WriteCSV(w io.Writer, axes []Axis, results []PointResult) error {
	cw := csv.NewWriter(w)
	var head []string
	for _, a := range axes {
		head = append(head, a.Name)
	}
	head = append(head, "repeats")
	for _, f := range report.Figures {
		head = append(head, f.Name, f.Name+"_stddev", f.Name+"_ci95")
	}
	if err := cw.Write(head); err != nil {
		return err
	}
	for _, r := range results {
		var row []string
		for _, a := range axes {
			row = append(row, r.Params[a.Name])
		}
		row = append(row, strconv.Itoa(len(r.Reports)))
		for _, f := range report.Figures {
			s := r.Stats[f.Name]
			row = append(row, num(s.Mean), num(s.Stddev), num(s.CI95))
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// tableMetrics are the metrics of the markdown table (all of them are in the CSV).
var tableMetrics = []string{"output_tok_s", "request_s", "per_user_tok_s", "ttft_p50_ms", "tpot_avg_ms", "e2e_avg_ms"}

// WriteMarkdown writes a table of the points: mean ± 95% interval when there are repeats.
func WriteMarkdown(w io.Writer, axes []Axis, results []PointResult) error {
	var b strings.Builder
	b.WriteString("|")
	for _, a := range axes {
		b.WriteString(" " + a.Name + " |")
	}
	for _, m := range tableMetrics {
		b.WriteString(" " + m + " |")
	}
	b.WriteString("\n|")
	for range len(axes) + len(tableMetrics) {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, r := range results {
		b.WriteString("|")
		for _, a := range axes {
			b.WriteString(" " + r.Params[a.Name] + " |")
		}
		for _, m := range tableMetrics {
			s := r.Stats[m]
			if s.N > 1 {
				fmt.Fprintf(&b, " %s ± %s |", report.FormatValue(s.Mean), report.FormatValue(s.CI95))
			} else {
				fmt.Fprintf(&b, " %s |", report.FormatValue(s.Mean))
			}
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func num(v float64) string { return strconv.FormatFloat(v, 'f', 4, 64) }
