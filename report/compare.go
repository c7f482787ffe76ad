package report

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
)

// Direction says which way a change of a figure is an improvement.
type Direction int

// The directions of a figure.
const (
	// Neutral is a setting (batch size, request count): a change is neither better nor worse.
	Neutral Direction = iota
	// HigherIsBetter is a throughput.
	HigherIsBetter
	// LowerIsBetter is a latency.
	LowerIsBetter
)

// Figure is one number of a report that sweeps and comparisons show, read through
// trtllm-bench's report keys so that trtllm-bench's reports compare as well as benchtui's.
type Figure struct {
	// Name is the figure's key in sweep files and compare tables.
	Name string
	Unit string
	// Better says which way a change is an improvement.
	Better Direction
	Get    func(r *Report) float64
}

// Format writes the figure's value in r as sweep tables and compare print it.
func (f Figure) Format(r *Report) string { return FormatValue(f.Get(r)) }

// Figures are the figures of sweeps and comparisons, in the order they print.
var Figures = []Figure{
	{"output_tok_s", "tok/s", HigherIsBetter, func(r *Report) float64 { return r.Performance.SystemOutputThroughputTokS }},
	{"total_tok_s", "tok/s", HigherIsBetter, func(r *Report) float64 { return r.Performance.SystemTotalThroughputTokS }},
	{"request_s", "req/s", HigherIsBetter, func(r *Report) float64 { return r.Performance.RequestThroughputReqS }},
	{"per_user_tok_s", "tok/s", HigherIsBetter, func(r *Report) float64 { return r.Performance.OutputThroughputPerUserTokS }},
	{"per_gpu_tok_s", "tok/s", HigherIsBetter, func(r *Report) float64 { return r.Performance.OutputThroughputPerGPUTokS }},
	{"ttft_avg_ms", "ms", LowerIsBetter, func(r *Report) float64 { return r.StreamingMetrics.AvgTTFTMS }},
	{"ttft_p50_ms", "ms", LowerIsBetter, func(r *Report) float64 { return r.StreamingMetrics.TTFTPercentiles.P50 }},
	{"ttft_p99_ms", "ms", LowerIsBetter, func(r *Report) float64 { return r.StreamingMetrics.TTFTPercentiles.P99 }},
	{"tpot_avg_ms", "ms", LowerIsBetter, func(r *Report) float64 { return r.StreamingMetrics.AvgTPOTMS }},
	{"tpot_p99_ms", "ms", LowerIsBetter, func(r *Report) float64 { return r.StreamingMetrics.TPOTPercentiles.P99 }},
	{"e2e_avg_ms", "ms", LowerIsBetter, func(r *Report) float64 { return r.Performance.AvgRequestLatencyMS }},
	{"e2e_p99_ms", "ms", LowerIsBetter, func(r *Report) float64 { return r.Performance.RequestLatencyPercentilesMS.P99 }},
}

// MoreFigures are the report's other figures that surfaces show by name (the dashboard's
// result strip): not in sweep files or compare tables, found by FigureByName.
var MoreFigures = []Figure{
	{"e2e_p50_ms", "ms", LowerIsBetter, func(r *Report) float64 { return r.Performance.RequestLatencyPercentilesMS.P50 }},
	{"ttft_p90_ms", "ms", LowerIsBetter, func(r *Report) float64 { return r.StreamingMetrics.TTFTPercentiles.P90 }},
	{"tpot_p50_ms", "ms", LowerIsBetter, func(r *Report) float64 { return r.StreamingMetrics.TPOTPercentiles.P50 }},
	{"tpot_p90_ms", "ms", LowerIsBetter, func(r *Report) float64 { return r.StreamingMetrics.TPOTPercentiles.P90 }},
	{"itl_p50_ms", "ms", LowerIsBetter, func(r *Report) float64 { return r.BenchTUI.ITLPercentilesMS.P50 }},
	{"itl_p90_ms", "ms", LowerIsBetter, func(r *Report) float64 { return r.BenchTUI.ITLPercentilesMS.P90 }},
	{"itl_p99_ms", "ms", LowerIsBetter, func(r *Report) float64 { return r.BenchTUI.ITLPercentilesMS.P99 }},
	{"queue_p50_ms", "ms", LowerIsBetter, func(r *Report) float64 { return r.BenchTUI.QueueTimePercentilesMS.P50 }},
	{"queue_p99_ms", "ms", LowerIsBetter, func(r *Report) float64 { return r.BenchTUI.QueueTimePercentilesMS.P99 }},
	{"gen_tps_avg", "tok/s", HigherIsBetter, func(r *Report) float64 { return r.StreamingMetrics.TokenOutputSpeedTokS }},
	{"completed", "requests", Neutral, func(r *Report) float64 { return float64(r.BenchTUI.NumCompleted) }},
	{"failed", "requests", Neutral, func(r *Report) float64 { return float64(r.BenchTUI.NumFailed) }},
	{"canceled", "requests", Neutral, func(r *Report) float64 { return float64(r.BenchTUI.NumCanceled) }},
}

// EnergyFigures are the figures of the top-level energy object; compare shows them when a
// report has one.
var EnergyFigures = []Figure{
	{"energy_j", "J", LowerIsBetter, func(r *Report) float64 { return energyOf(r).TotalEnergyJ }},
	{"output_tps_per_w", "tok/s/W", HigherIsBetter, func(r *Report) float64 { return energyOf(r).OutputTPSPerW }},
	{"avg_gpu_power_w", "W", Neutral, func(r *Report) float64 { return energyOf(r).AverageGPUPower }},
}

// energyOf is r's energy object, or zeros (no samples) without one.
func energyOf(r *Report) Energy {
	if r.Energy == nil {
		return Energy{}
	}
	return *r.Energy
}

// FigureByName finds one of Figures, MoreFigures or EnergyFigures.
func FigureByName(name string) (Figure, bool) {
	for _, list := range [][]Figure{Figures, MoreFigures, EnergyFigures} {
		for _, f := range list {
			if f.Name == name {
				return f, true
			}
		}
	}
	return Figure{}, false
}

// Verdict is what a change means for its figure.
type Verdict int

// The verdicts of a change.
const (
	// Unknown is a change that cannot be computed: a value is missing (0 in a report means no
	// samples) or not finite.
	Unknown Verdict = iota
	// Same is a change within SameWithinPercent, or of a Neutral figure.
	Same
	Better
	Worse
)

func (v Verdict) String() string {
	switch v {
	case Same:
		return "same"
	case Better:
		return "better"
	case Worse:
		return "worse"
	}
	return "n/a"
}

// SameWithinPercent is the change below which two runs count as the same: run-to-run noise
// on a shared machine is larger than that.
const SameWithinPercent = 0.5

// Change is a figure's change from a baseline, the one delta rule of the program: compare,
// the dashboard's compare panel and sweeps use it.
type Change struct {
	// Percent is 100 × (v - base) / base; meaningful only when Verdict is not Unknown.
	Percent float64
	Verdict Verdict
	// Neutral marks a setting: its change has no better or worse.
	Neutral bool
}

// Delta computes the change from base to v of a figure going in direction better.
func Delta(base, v float64, better Direction) Change {
	if base == 0 || v == 0 || !finite(base) || !finite(v) {
		return Change{Verdict: Unknown, Neutral: better == Neutral}
	}
	c := Change{Percent: 100 * (v - base) / base, Neutral: better == Neutral}
	switch {
	case better == Neutral || math.Abs(c.Percent) < SameWithinPercent:
		c.Verdict = Same
	case (c.Percent > 0) == (better == HigherIsBetter):
		c.Verdict = Better
	default:
		c.Verdict = Worse
	}
	return c
}

// PercentString is the change in percent with its sign, "+12.3%", or "n/a".
func (c Change) PercentString() string {
	if c.Verdict == Unknown {
		return "n/a"
	}
	return fmt.Sprintf("%+.1f%%", c.Percent)
}

// String is the change in percent, followed by "better" or "worse" where it is either.
func (c Change) String() string {
	s := c.PercentString()
	if c.Verdict == Better || c.Verdict == Worse {
		s += " " + c.Verdict.String()
	}
	return s
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// CompareNotes says, before any delta is shown, what keeps reports from comparing figure by
// figure: a workload other than the first report's (dataset, mean ISL or OSL, number of
// requests), or a run that was stopped or lost requests to a failure.
func CompareNotes(names []string, reps []Report) []string {
	var notes []string
	type workload struct {
		dataset  string
		isl, osl float64
		requests int
	}
	of := func(r *Report) workload {
		w := workload{requests: r.RequestInfo.NumRequests + r.BenchTUI.NumFailed + r.BenchTUI.NumCanceled}
		if d := r.Dataset; d != nil {
			w.dataset, w.isl, w.osl = d.DatasetPath, d.ISL.Average, d.OSL.Average
			if d.NumRequests > 0 {
				w.requests = d.NumRequests
			}
		}
		return w
	}
	base := of(&reps[0])
	for i := range reps {
		r := &reps[i]
		if i > 0 {
			w := of(r)
			var diff []string
			if w.dataset != base.dataset {
				diff = append(diff, fmt.Sprintf("dataset %s vs %s", orNA(w.dataset), orNA(base.dataset)))
			}
			if w.isl != base.isl {
				diff = append(diff, fmt.Sprintf("mean ISL %s vs %s", FormatValue(w.isl), FormatValue(base.isl)))
			}
			if w.osl != base.osl {
				diff = append(diff, fmt.Sprintf("mean OSL %s vs %s", FormatValue(w.osl), FormatValue(base.osl)))
			}
			if w.requests != base.requests {
				diff = append(diff, fmt.Sprintf("%d requests vs %d", w.requests, base.requests))
			}
			if len(diff) > 0 {
				notes = append(notes, fmt.Sprintf("%s ran another workload than %s: %s", names[i], names[0], strings.Join(diff, ", ")))
			}
		}
		if n := r.BenchTUI.NumCanceled; n > 0 {
			notes = append(notes, fmt.Sprintf("%s was stopped: %d requests canceled, its figures cover the %d that completed", names[i], n, r.RequestInfo.NumRequests))
		}
		if n := r.BenchTUI.NumFailed; n > 0 {
			notes = append(notes, fmt.Sprintf("%s had %d failed requests, its figures cover the %d that completed", names[i], n, r.RequestInfo.NumRequests))
		}
	}
	return notes
}

// WriteCompare prints reports side by side, named by names: first CompareNotes, then every
// figure of each, with its change from the first. Settings (batch size, TP, requests) are
// printed as integers.
func WriteCompare(w io.Writer, names []string, reps []Report) error {
	for _, n := range CompareNotes(names, reps) {
		if _, err := fmt.Fprintln(w, "note: "+n); err != nil {
			return fmt.Errorf("write comparison: %w", err)
		}
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := "metric\t"
	for i, name := range names {
		head += name + "\t"
		if i > 0 {
			head += "change\t"
		}
	}
	fmt.Fprintln(tw, head)
	line := func(name string, vals []float64, better Direction) {
		row := name + "\t"
		for i, v := range vals {
			if better == Neutral && v == math.Trunc(v) {
				row += strconv.FormatFloat(v, 'f', 0, 64) + "\t"
			} else {
				row += FormatValue(v) + "\t"
			}
			if i > 0 {
				row += Delta(vals[0], v, better).String() + "\t"
			}
		}
		fmt.Fprintln(tw, row)
	}
	for _, label := range []struct {
		name string
		get  func(r *Report) string
	}{
		{"model", func(r *Report) string { return r.Engine.Model }},
		{"backend", func(r *Report) string { return r.Engine.Backend + " " + r.Engine.Version }},
	} {
		row := label.name + "\t"
		for i := range reps {
			row += label.get(&reps[i]) + "\t"
			if i > 0 {
				row += "\t"
			}
		}
		fmt.Fprintln(tw, row)
	}
	for _, s := range []struct {
		name string
		get  func(r *Report) float64
	}{
		{"max_batch_size", func(r *Report) float64 { return float64(r.WorldInfo.MaxBatchSize) }},
		{"tp_size", func(r *Report) float64 { return float64(r.WorldInfo.TPSize) }},
		{"requests", func(r *Report) float64 { return float64(r.RequestInfo.NumRequests) }},
	} {
		vals := make([]float64, len(reps))
		for i := range reps {
			vals[i] = s.get(&reps[i])
		}
		line(s.name, vals, Neutral)
	}
	figures := Figures
	for i := range reps {
		if reps[i].Energy != nil {
			figures = append(figures[:len(figures):len(figures)], EnergyFigures...)
			break
		}
	}
	for _, f := range figures {
		vals := make([]float64, len(reps))
		for i := range reps {
			vals[i] = f.Get(&reps[i])
		}
		line(f.Name, vals, f.Better)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write comparison: %w", err)
	}
	return nil
}
