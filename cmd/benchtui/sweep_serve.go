package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/benchtui/benchtui/engine"
	"github.com/benchtui/benchtui/internal/fsutil"
	"github.com/benchtui/benchtui/report"
	"github.com/benchtui/benchtui/session"
	"github.com/benchtui/benchtui/sweep"
)

// searchValue is the request_rate axis's value that searches the highest rate meeting --slo.
const searchValue = "search"

// checkAxisValues refuses an axis value that is not of the axis's kind.
func checkAxisValues(name string, vals []string) error {
	for _, v := range vals {
		switch name {
		case "flash_attn", "kv_cache_dtype", "scheduler_policy", "cuda_graphs": // names: the session or checkEngineAxes checks them
		case "backend":
			if canonicalBackend(v) == "" {
				return badInput("--backend %q: want llamacpp, openai or llama-server (a list sweeps them: llamacpp,llama-server)", v)
			}
		case "request_rate":
			if v == searchValue {
				if len(vals) > 1 {
					return badInput("--request_rate %s: search finds the rate itself; give it alone, not in a list", strings.Join(vals, ","))
				}
				continue
			}
			if r, err := strconv.ParseFloat(v, 64); err != nil || !(r >= 0) || math.IsInf(r, 0) {
				return badInput("--request_rate %q: want requests per second, 0 or more (0: no schedule), or search", v)
			}
		default:
			if _, err := strconv.Atoi(v); err != nil {
				return badInput("--%s %q: not an integer", name, v)
			}
		}
	}
	return nil
}

// checkSweepServe checks the server flags against the sweep's backends and says whether the
// sweep searches the highest request rate meeting --slo.
func checkSweepServe(f *sweepFlags, set map[string]bool, axes []sweep.Axis) (bool, error) {
	backends := axisValues(axes, "backend")
	// The rate is an axis here: its values are checked as such, and stand for the flag.
	rates := axisValues(axes, "request_rate")
	if !slices.Equal(rates, []string{"0"}) {
		set["request_rate"] = true
	}
	if err := f.serveFlags.checkBackends(backends, set); err != nil {
		return false, err
	}
	search := slices.Equal(rates, []string{searchValue})
	if search && f.slo == nil {
		return false, badInput("--request_rate search finds the highest rate meeting an SLO: give --slo (ttft=200ms,tpot=20ms,...)")
	}
	if set["burstiness"] && slices.Equal(rates, []string{"0"}) {
		return false, badInput("--burstiness needs --request_rate: it shapes the gaps between scheduled arrivals")
	}
	if s := f.Search; !(s.Start > 0) || s.Max < 0 || !(s.Tolerance > 0 && s.Tolerance < 1) || s.MaxRuns < 2 {
		return false, badInput("--rate_start %v, --rate_max %v, --rate_tolerance %v, --rate_runs %d: want a start above 0, a max of 0 (none) or more, a tolerance between 0 and 1 and at least 2 runs",
			s.Start, s.Max, s.Tolerance, s.MaxRuns)
	}
	return search, nil
}

func axisValues(axes []sweep.Axis, name string) []string {
	for _, a := range axes {
		if a.Name == name {
			return a.Values
		}
	}
	return nil
}

// onlyRemote reports whether every point measures servers that run already, so that no
// model or llama.cpp library is needed here.
func onlyRemote(axes []sweep.Axis) bool {
	for _, b := range axisValues(axes, "backend") {
		if b != session.BackendOpenAI {
			return false
		}
	}
	return true
}

// rateSearchResult is one point's search for the highest rate meeting the SLO.
type rateSearchResult struct {
	// Point is the point's settings, the request rate left out.
	Point map[string]string `json:"point"`
	SLO   string            `json:"slo"`
	// MaxRate is the highest rate whose run met the SLO (0: none did).
	MaxRate float64 `json:"max_request_rate"`
	// Goodput is that run's goodput.
	Goodput *report.Goodput    `json:"goodput,omitempty"`
	Runs    []report.RatePoint `json:"runs"`
	// label names the point by the axes that vary, for the console.
	label string
}

// withRate is p with its request_rate set to rate.
func withRate(p sweep.Point, rate float64) sweep.Point {
	q := sweep.Point{Names: slices.Clone(p.Names), Values: slices.Clone(p.Values)}
	for i, n := range q.Names {
		if n == "request_rate" {
			q.Values[i] = strconv.FormatFloat(rate, 'g', 6, 64)
		}
	}
	return q
}

// searchRate runs point p at the rates report.FindMaxRate asks for, each run saved (and kept
// when an interrupted sweep is run again) like any point, and returns their results and the
// search's.
func searchRate(ctx context.Context, f *sweepFlags, p sweep.Point, open func(sweep.Point) (session.Session, error),
	say func(string, ...any), label string) ([]sweep.PointResult, *rateSearchResult, error) {
	s, err := open(p)
	if err != nil {
		return nil, nil, err
	}
	var results []sweep.PointResult
	run := func(ctx context.Context, rate float64) (report.Goodput, error) {
		q := withRate(p, rate)
		file := pointFile(f.Out, q, 1)
		if x, err := report.ReadExport(file); err == nil && x.Report.BenchTUI.Goodput != nil {
			results = append(results, sweep.NewPointResult(q, []report.Report{x.Report}))
			say("%s at %g requests/s: done before, kept", label, rate)
			return x.Report.BenchTUI.Goodput.Goodput, nil
		}
		rep, err := runSweepPoint(ctx, s, f, q)
		if rep == nil || errors.Is(err, engine.ErrCanceled) {
			return report.Goodput{}, err
		}
		// A run whose requests failed (a server overwhelmed) is a run that misses its SLO.
		if err := fsutil.WriteFile(file, rep.WriteJSON); err != nil {
			return report.Goodput{}, fmt.Errorf("sweep point %s: %w", q.Key(), err)
		}
		results = append(results, sweep.NewPointResult(q, []report.Report{*rep}))
		g := rep.BenchTUI.Goodput.Goodput
		verdict := "misses the SLO"
		if g.Pass {
			verdict = "meets the SLO"
		}
		say("%s at %g requests/s: goodput %.2f requests/s, %.1f%% of requests within the SLO: %s", label, rate, g.RequestsPerSec, 100*g.Share, verdict)
		return g, nil
	}
	best, runs, err := report.FindMaxRate(ctx, f.Search, run)
	rs := &rateSearchResult{Point: map[string]string{}, SLO: f.slo.String(), MaxRate: best, Runs: runs}
	for i, n := range p.Names {
		if n != "request_rate" {
			rs.Point[n] = p.Values[i]
		}
	}
	for i := range runs {
		if runs[i].Rate == best && runs[i].Goodput.Pass {
			rs.Goodput = &runs[i].Goodput
		}
	}
	return results, rs, err
}

// writeRateSearches writes rate-search.json.
func writeRateSearches(dir string, searches []rateSearchResult) error {
	data, err := json.MarshalIndent(struct {
		Searches []rateSearchResult `json:"searches"`
	}{searches}, "", "  ")
	if err != nil {
		return err
	}
	if err := fsutil.WriteFile(filepath.Join(dir, "rate-search.json"), func(w io.Writer) error {
		_, err := w.Write(append(data, '\n'))
		return err
	}); err != nil {
		return fmt.Errorf("sweep results: %w", err)
	}
	return nil
}

// printRateSearches prints each search's result.
func printRateSearches(stdout io.Writer, searches []rateSearchResult) {
	for _, s := range searches {
		at := ""
		if s.label != "the one point" {
			at = " at " + s.label
		}
		if s.Goodput == nil {
			fmt.Fprintf(stdout, "\nno request rate tried meets %s%s (%d runs; see rate-search.json)\n", s.SLO, at, len(s.Runs))
			continue
		}
		fmt.Fprintf(stdout, "\nhighest request rate meeting %s%s: %s requests/s (goodput %s requests/s, %.1f%% of requests within the SLO; %d runs)\n",
			s.SLO, at, report.FormatValue(s.MaxRate), report.FormatValue(s.Goodput.RequestsPerSec), 100*s.Goodput.Share, len(s.Runs))
	}
}
