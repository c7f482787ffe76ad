package panel

import (
	"math"
	"strconv"

	"github.com/benchtui/benchtui/report"
	"github.com/benchtui/benchtui/themes"
)

// Figures are a run's headline numbers as the result strip, the history and the
// comparison show them. The root fills them from the report's formulas; NaN means "not
// known yet". Latencies are milliseconds.
type Figures struct {
	OutputTokS, ReqS  float64
	TTFTp50, TTFTp99  float64
	TPOTp50, TPOTp99  float64
	E2Ep50            float64
	ITLp99, QueueP50  float64
	PrefillP50        float64
	Completed, Failed int
	Canceled          int
	// Goodput is the requests per second meeting the SLO and GoodShare their share of the
	// run's requests (0..1), as report.ComputeGoodput gives them; NaN without an SLO.
	Goodput, GoodShare float64
	// Recent marks OutputTokS and ReqS as rates over the last seconds of a live run, not
	// the run's result.
	Recent bool
}

// NoFigures is Figures with every number unknown.
func NoFigures() Figures {
	n := math.NaN()
	return Figures{OutputTokS: n, ReqS: n, TTFTp50: n, TTFTp99: n, TPOTp50: n, TPOTp99: n, E2Ep50: n, ITLp99: n, QueueP50: n, PrefillP50: n,
		Goodput: n, GoodShare: n}
}

// Result is the result strip: one or two lines under the header with the figures of the
// run under the history cursor (the running one while it runs), and their change from a
// baseline when one is pinned. It is on screen at every size.
type Result struct {
	// Run names the run, e.g. "run 2"; State is its state.
	Run   string
	State RunState
	// Figures are the run's numbers.
	Figures Figures
	// Base, when HasBase, is the baseline's figures, named BaseName; Mismatch says how the
	// two runs' workloads differ ("" when they do not), shown before the deltas.
	Base     Figures
	BaseName string
	HasBase  bool
	Mismatch string
	// SLO, when set, is the objective the run's goodput is measured against
	// ("ttft=2s"); the strip then shows the goodput.
	SLO string
	focus

	st *themes.Styles
}

// NewResult returns an empty result strip drawn with st.
func NewResult(st *themes.Styles) *Result {
	return &Result{st: st, Figures: NoFigures(), Base: NoFigures()}
}

// SetStyles changes the theme.
func (p *Result) SetStyles(st *themes.Styles) { p.st = st }

// delta is the change from the baseline by the report's rule (report.Delta), written
// with an arrow for its sign and its sense in words: "↑4.1% better", "↓3.0% worse", "≈"
// within report.SameWithinPercent; empty when either side is unknown.
func delta(st *themes.Styles, base, v float64, higherBetter bool) span {
	dir := report.LowerIsBetter
	if higherBetter {
		dir = report.HigherIsBetter
	}
	c := report.Delta(base, v, dir)
	switch c.Verdict {
	case report.Unknown:
		return span{}
	case report.Same:
		return span{" ≈", st.Muted}
	}
	arrow := "↑"
	if c.Percent < 0 {
		arrow = "↓"
	}
	k := st.Good
	if c.Verdict == report.Worse {
		k = st.Bad
	}
	return span{" " + arrow + strconv.FormatFloat(math.Abs(c.Percent), 'f', 1, 64) + "% " + c.Verdict.String(), k}
}

// Delta formats the change from base to v as the strip and the comparison show it,
// "+4.1% better" or "−3.0% worse" (arrows for the sign), "≈" under half a percent; "" when
// either is unknown.
func Delta(st *themes.Styles, base, v float64, higherBetter bool) (string, themes.Ink) {
	s := delta(st, base, v, higherBetter)
	if len(s.s) > 0 {
		return s.s[1:], s.k
	}
	return "", st.Muted
}

// figure is one labelled number of the strip, with its delta from the baseline.
func (p *Result) figure(label, value, unit string, base, v float64, higher bool, prio int) part {
	st := p.st
	sp := []span{{label, st.Label}, {value, st.Value}}
	if unit != "" {
		sp = append(sp, span{unit, st.Muted})
	}
	if p.HasBase {
		if d := delta(st, base, v, higher); d.s != "" {
			sp = append(sp, d)
		}
	}
	return part{sp, prio}
}

// parts lists the strip's figures with their drop priorities.
func (p *Result) parts() (head, lat []part) {
	st := p.st
	f, b := &p.Figures, &p.Base
	name := p.Run
	if name == "" {
		name = "no run"
	}
	head = append(head, part{[]span{{stateIcon(p.State) + " " + name, stateInk(st, p.State)}}, -1})
	outLabel, reqLabel := "out ", "req/s "
	if f.Recent {
		outLabel, reqLabel = "recent out ", "recent req/s "
	}
	head = append(head,
		p.figure(outLabel, si(f.OutputTokS), " tok/s", b.OutputTokS, f.OutputTokS, true, 0),
		p.figure(reqLabel, rate(f.ReqS), "", b.ReqS, f.ReqS, true, 2),
		part{[]span{{"done ", st.Label}, {itoa(f.Completed), st.Value}}, 1},
		part{[]span{{"failed ", st.Label}, {itoa(f.Failed), failInk(st, f.Failed)}}, 1},
		part{[]span{{"canceled ", st.Label}, {itoa(f.Canceled), st.Value}}, 4},
	)
	if p.SLO != "" {
		// The goodput stays on screen as long as the counts do; the share and the SLO it
		// was measured against go first.
		head = append(head, p.figure("goodput ", rate(f.Goodput), " req/s", b.Goodput, f.Goodput, true, 1))
		if !math.IsNaN(f.GoodShare) {
			head = append(head, part{[]span{{"(" + pct(100*f.GoodShare) + " meet " + p.SLO + ")", st.Muted}}, 5})
		}
	}
	lat = []part{
		p.figure("TTFT p50 ", LatencyText(f.TTFTp50), "", b.TTFTp50, f.TTFTp50, false, 0),
		p.figure("p99 ", LatencyText(f.TTFTp99), "", b.TTFTp99, f.TTFTp99, false, 1),
		p.figure("queue p50 ", LatencyText(f.QueueP50), "", b.QueueP50, f.QueueP50, false, 2),
		p.figure("prefill p50 ", LatencyText(f.PrefillP50), "", b.PrefillP50, f.PrefillP50, false, 5),
		p.figure("TPOT p50 ", LatencyText(f.TPOTp50), "", b.TPOTp50, f.TPOTp50, false, 0),
		p.figure("p99 ", LatencyText(f.TPOTp99), "", b.TPOTp99, f.TPOTp99, false, 3),
		p.figure("ITL p99 ", LatencyText(f.ITLp99), "", b.ITLp99, f.ITLp99, false, 2),
	}
	return head, lat
}

// rate formats a rate that may be zero: "n/a" only when unknown.
func rate(v float64) string {
	if math.IsNaN(v) {
		return "n/a"
	}
	if v == 0 {
		return "0"
	}
	return fnum(v)
}

func failInk(st *themes.Styles, n int) themes.Ink {
	if n > 0 {
		return st.Bad
	}
	return st.Value
}

// baseLine is the baseline's name and the workload mismatch, when there is a baseline.
func (p *Result) baseParts() []part {
	if !p.HasBase {
		return nil
	}
	st := p.st
	parts := []part{{[]span{{"vs ", st.Muted}, {p.BaseName, st.Accent}}, 3}}
	if p.Mismatch != "" {
		parts = append(parts, part{[]span{{"⚠ " + p.Mismatch, st.Warn}}, -1})
	}
	return parts
}

// Summary is the strip in one line.
func (p *Result) Summary(width int) string {
	head, lat := p.parts()
	var l lineBuf
	all := append(append(head, lat...), p.baseParts()...)
	fitParts(&l, all, span{"  ", p.st.Text}, width)
	return l.fit(width)
}

// Render draws the strip in height lines: with two or more, the throughput and counts on
// the first, the latencies on the second; with three, the baseline on the third. The
// workload mismatch with a baseline is never dropped for lack of lines: it takes the
// first line's end.
func (p *Result) Render(width, height int) string {
	if width <= 0 || height <= 0 {
		return ""
	}
	if height == 1 {
		return p.Summary(width)
	}
	st := p.st
	head, lat := p.parts()
	base := p.baseParts()
	var l1, l2, l3 lineBuf
	gap := span{"  ", st.Text}
	if height == 2 {
		fitParts(&l1, append(head, base...), gap, width)
	} else {
		fitParts(&l1, head, gap, width)
		fitParts(&l3, base, gap, width)
	}
	fitParts(&l2, lat, gap, width)
	return joinLines([]string{l1.fit(width), l2.fit(width), l3.fit(width)}, width, height)
}
