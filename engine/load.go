package engine

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// Load is how a stream run offers its requests to the server: all at once (bounded by
// Config.Concurrency, as trtllm-bench does), or on a seeded arrival schedule of RequestRate
// requests per second whose gaps follow a gamma law of shape Burstiness (1 is a Poisson
// process; below 1 burstier, above 1 more regular), with Config.Concurrency as an optional cap.
type Load struct {
	// RequestRate is the mean arrival rate in requests per second; 0 sends every request as
	// soon as a concurrency slot allows.
	RequestRate float64
	// Burstiness is the gamma shape of the gaps between arrivals (0 means 1). The gaps' mean
	// is 1/RequestRate whatever the shape; their coefficient of variation is 1/sqrt(shape).
	Burstiness float64
	// Seed makes the schedule reproducible: the same seed, rate and shape give the same send
	// times.
	Seed uint64
	// ScrapeEvery is how often a server's own metrics are read during the run (1 s when 0;
	// negative never).
	ScrapeEvery time.Duration
}

// catchUpLimit bounds how far behind its schedule the client may fall before it moves the
// rest of the schedule instead of catching up: a late client sends the overdue request at
// once, but when it is later than this, the later requests move by the excess, so that they
// keep their gaps rather than going out in a burst. The schedule then wins back a quarter of
// each gap until it is where it was (no two requests closer than three quarters of their
// gap), so that the run keeps its rate. A client that keeps up
// (the driver wakes within tens of microseconds) never moves its schedule; every request's
// send lag is measured against the schedule as drawn.
const catchUpLimit = time.Millisecond

// Validate checks the load's settings.
func (l Load) Validate() error {
	if math.IsNaN(l.RequestRate) || math.IsInf(l.RequestRate, 0) || l.RequestRate < 0 {
		return fmt.Errorf("request_rate is %v: it must be a number of requests per second above 0 (or 0 for no schedule)", l.RequestRate)
	}
	if math.IsNaN(l.Burstiness) || math.IsInf(l.Burstiness, 0) || l.Burstiness < 0 {
		return fmt.Errorf("burstiness is %v: it must be above 0 (1 is a Poisson process)", l.Burstiness)
	}
	if l.Burstiness > 0 && l.RequestRate == 0 {
		return errors.New("burstiness needs a request_rate: it shapes the gaps between scheduled arrivals")
	}
	return nil
}

func (l Load) shape() float64 {
	if l.Burstiness <= 0 {
		return 1
	}
	return l.Burstiness
}

// Schedule returns the send times of n requests in nanoseconds from the start of the run:
// the first at 0, then gaps drawn from a gamma law of shape burstiness (0 means 1) and mean
// 1/rate seconds, from a generator seeded with seed. It is nil when rate is 0.
func Schedule(n int, rate, burstiness float64, seed uint64) []int64 {
	if rate <= 0 || n <= 0 {
		return nil
	}
	shape := burstiness
	if shape <= 0 {
		shape = 1
	}
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	scale := 1 / (rate * shape) // seconds: mean gap = shape*scale = 1/rate
	out := make([]int64, n)
	t := 0.0
	for i := 1; i < n; i++ {
		t += gamma(r, shape) * scale
		out[i] = int64(t * 1e9)
	}
	return out
}

// gamma draws from the gamma law of the given shape and scale 1 (Marsaglia and Tsang, "A
// simple method for generating gamma variables", 2000; shapes below 1 by the boost
// Gamma(a) = Gamma(a+1) * U^(1/a)).
func gamma(r *rand.Rand, shape float64) float64 {
	if shape < 1 {
		return gamma(r, shape+1) * math.Pow(r.Float64(), 1/shape)
	}
	d := shape - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := r.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := r.Float64()
		if u < 1-0.0331*(x*x)*(x*x) {
			return d * v
		}
		if math.Log(u) < 0.5*x*x+d*(1-v+math.Log(v)) {
			return d * v
		}
	}
}
