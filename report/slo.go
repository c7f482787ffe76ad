package report

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/benchtui/benchtui/engine"
)

// SLO is a service-level objective per request: a request meets it when every bound that is
// set (above 0) holds. TTFT is first token - start, TPOT (end - first token)/(n_out - 1) as
// in the metrics (a one-token request has no TPOT and meets that bound), E2E end - start.
type SLO struct {
	TTFT time.Duration `json:"ttft_ns,omitempty"`
	TPOT time.Duration `json:"tpot_ns,omitempty"`
	E2E  time.Duration `json:"e2e_ns,omitempty"`
	// Attainment is the share of requests that must meet the SLO for a run to pass it
	// (0..1; 0.99 when 0), used by the rate search.
	Attainment float64 `json:"attainment,omitempty"`
}

// ParseSLO reads "ttft=200ms,tpot=20ms,e2e=2s" (":" works as "=", as in vLLM's --goodput;
// e2el is e2e; a bare number is milliseconds) and an optional attainment, "attain=90%" or
// "attain=0.9".
func ParseSLO(s string) (SLO, error) {
	var slo SLO
	if strings.TrimSpace(s) == "" {
		return slo, errors.New("slo is empty: give bounds such as ttft=200ms,tpot=20ms,e2e=2s")
	}
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			k, v, ok = strings.Cut(part, ":")
		}
		if !ok || v == "" {
			return slo, fmt.Errorf("slo %q: %q is not key=value (ttft=200ms)", s, part)
		}
		k = strings.ToLower(strings.TrimSpace(k))
		v = strings.TrimSpace(v)
		if k == "attain" || k == "attainment" {
			a, err := parseShare(v)
			if err != nil {
				return slo, fmt.Errorf("slo %q: attain=%s: %v", s, v, err)
			}
			slo.Attainment = a
			continue
		}
		d, err := parseBound(v)
		if err != nil {
			return slo, fmt.Errorf("slo %q: %s=%s: %v", s, k, v, err)
		}
		switch k {
		case "ttft":
			slo.TTFT = d
		case "tpot":
			slo.TPOT = d
		case "e2e", "e2el":
			slo.E2E = d
		default:
			return slo, fmt.Errorf("slo %q: unknown bound %q (known: ttft, tpot, e2e, attain)", s, k)
		}
	}
	if slo.TTFT == 0 && slo.TPOT == 0 && slo.E2E == 0 {
		return slo, fmt.Errorf("slo %q sets no bound: give ttft, tpot or e2e", s)
	}
	return slo, nil
}

func parseBound(v string) (time.Duration, error) {
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		v = strconv.FormatFloat(f, 'f', -1, 64) + "ms"
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, errors.New("not a duration (200ms, 1.5s, or milliseconds)")
	}
	if d <= 0 {
		return 0, errors.New("a bound must be above 0")
	}
	return d, nil
}

func parseShare(v string) (float64, error) {
	pct := strings.HasSuffix(v, "%")
	f, err := strconv.ParseFloat(strings.TrimSuffix(v, "%"), 64)
	if err != nil {
		return 0, errors.New("not a share (90% or 0.9)")
	}
	if pct {
		f /= 100
	}
	if !(f > 0 && f <= 1) {
		return 0, errors.New("a share must be above 0 and at most 100%")
	}
	return f, nil
}

// String writes the SLO back in ParseSLO's form.
func (s SLO) String() string {
	var parts []string
	for _, b := range []struct {
		k string
		d time.Duration
	}{{"ttft", s.TTFT}, {"tpot", s.TPOT}, {"e2e", s.E2E}} {
		if b.d > 0 {
			parts = append(parts, b.k+"="+b.d.String())
		}
	}
	if s.Attainment > 0 {
		parts = append(parts, "attain="+strconv.FormatFloat(s.Attainment*100, 'f', -1, 64)+"%")
	}
	return strings.Join(parts, ",")
}

func (s SLO) attainment() float64 {
	if s.Attainment > 0 {
		return s.Attainment
	}
	return 0.99
}

// Goodput is how a run's requests fared against an SLO.
type Goodput struct {
	// RequestsPerSec is the requests meeting every bound per second of the run (the span
	// the metrics' throughputs use): DistServe's and vLLM's goodput.
	RequestsPerSec float64 `json:"goodput_req_s"`
	// Total counts the run's requests, failed and canceled ones included (they meet nothing); Met those
	// meeting every bound.
	Total int `json:"total"`
	Met   int `json:"met"`
	// Share is Met/Total; TTFTShare, TPOTShare and E2EShare the shares meeting each bound
	// (1 for a bound not set).
	Share     float64 `json:"share"`
	TTFTShare float64 `json:"ttft_share"`
	TPOTShare float64 `json:"tpot_share"`
	E2EShare  float64 `json:"e2e_share"`
	// Pass says whether Share reaches the SLO's attainment.
	Pass bool `json:"pass"`
}

// ComputeGoodput measures records against slo. It is a pure function of the records; the
// run's span is the metrics' T = max(end) - min(start) over the successful requests.
func ComputeGoodput(records []engine.Record, slo SLO) Goodput {
	g := Goodput{Total: len(records)}
	var ttftOK, tpotOK, e2eOK int
	for i := range records {
		r := &records[i]
		if !r.Completed() {
			continue
		}
		n := r.OutputTokens()
		okTTFT := slo.TTFT <= 0 || (n > 0 && r.FirstTokenNS-r.StartNS <= int64(slo.TTFT))
		okTPOT := slo.TPOT <= 0 || n < 2 || float64(r.EndNS-r.FirstTokenNS)/float64(n-1) <= float64(slo.TPOT)
		okE2E := slo.E2E <= 0 || r.EndNS-r.StartNS <= int64(slo.E2E)
		if okTTFT {
			ttftOK++
		}
		if okTPOT {
			tpotOK++
		}
		if okE2E {
			e2eOK++
		}
		if okTTFT && okTPOT && okE2E {
			g.Met++
		}
	}
	share := func(k int) float64 { return divOrZero(float64(k), float64(g.Total)) }
	g.Share, g.TTFTShare, g.TPOTShare, g.E2EShare = share(g.Met), share(ttftOK), share(tpotOK), share(e2eOK)
	m := ComputeMetrics(records, 1, 1)
	g.RequestsPerSec = ratePerSecond(float64(g.Met), int64(m.TotalLatencyMS*nsPerMS))
	g.Pass = g.Total > 0 && g.Share >= slo.attainment()
	return g
}

// RatePoint is one run of a rate search.
type RatePoint struct {
	Rate    float64 `json:"request_rate"`
	Goodput Goodput `json:"goodput"`
}

// RateSearch configures FindMaxRate.
type RateSearch struct {
	// Start is the first rate tried (requests/s; 1 when 0).
	Start float64
	// Max bounds the doubling (0: no bound).
	Max float64
	// Tolerance ends the bisection when the bracket's upper end is within this share of
	// its lower end (0.05 when 0).
	Tolerance float64
	// MaxRuns bounds the number of runs (20 when 0).
	MaxRuns int
}

// FindMaxRate searches the highest request rate whose run passes the SLO, as vLLM's SLA
// sweep did: it doubles the rate from Start until a run fails (or halves it until one
// passes), then bisects between the last rate that passed and the first that failed. run
// makes one run at a rate and returns its goodput. The result is the best passing rate (0
// when none passed) and every run in order. It assumes that goodput falls with the rate; a
// noisy server can make it stop at a local edge.
func FindMaxRate(ctx context.Context, s RateSearch, run func(ctx context.Context, rate float64) (Goodput, error)) (float64, []RatePoint, error) {
	if s.Start <= 0 {
		s.Start = 1
	}
	if s.Tolerance <= 0 {
		s.Tolerance = 0.05
	}
	if s.MaxRuns <= 0 {
		s.MaxRuns = 20
	}
	var points []RatePoint
	try := func(rate float64) (bool, error) {
		if err := ctx.Err(); err != nil {
			return false, err
		}
		g, err := run(ctx, rate)
		if err != nil {
			return false, fmt.Errorf("run at %g requests/s: %w", rate, err)
		}
		points = append(points, RatePoint{Rate: rate, Goodput: g})
		return g.Pass, nil
	}
	lo, hi := 0.0, math.Inf(1)
	rate := s.Start
	for len(points) < s.MaxRuns {
		ok, err := try(rate)
		if err != nil {
			return lo, points, err
		}
		if ok {
			lo = rate
			if s.Max > 0 && rate >= s.Max {
				return lo, points, nil
			}
			if !math.IsInf(hi, 1) {
				break
			}
			rate *= 2
			if s.Max > 0 {
				rate = min(rate, s.Max)
			}
			continue
		}
		hi = rate
		if lo > 0 {
			break
		}
		rate /= 2
		if rate < s.Start/1024 {
			return 0, points, nil // not even a thousandth of the start rate passes
		}
	}
	for len(points) < s.MaxRuns && lo > 0 && !math.IsInf(hi, 1) && hi > lo*(1+s.Tolerance) {
		mid := (lo + hi) / 2
		ok, err := try(mid)
		if err != nil {
			return lo, points, err
		}
		if ok {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo, points, nil
}
