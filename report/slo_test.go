package report

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/benchtui/benchtui/engine"
)

func TestParseSLO(t *testing.T) {
	for in, want := range map[string]SLO{
		"ttft=200ms,tpot=20ms,e2e=2s": {TTFT: 200 * time.Millisecond, TPOT: 20 * time.Millisecond, E2E: 2 * time.Second},
		"ttft:200,tpot:12.5":          {TTFT: 200 * time.Millisecond, TPOT: 12500 * time.Microsecond},
		"E2EL=1.5s, attain=90%":       {E2E: 1500 * time.Millisecond, Attainment: 0.9},
		"tpot=20ms,attain=0.95":       {TPOT: 20 * time.Millisecond, Attainment: 0.95},
	} {
		got, err := ParseSLO(in)
		if err != nil || got != want {
			t.Errorf("ParseSLO(%q) = %+v, %v; want %+v", in, got, err, want)
		}
		if back, err := ParseSLO(got.String()); err != nil || back != got {
			t.Errorf("ParseSLO(%q.String() = %q) = %+v, %v", in, got.String(), back, err)
		}
	}
	for _, bad := range []string{"", "ttft", "ttft=fast", "ttft=-1ms", "itl=2ms", "attain=90%", "ttft=1s,attain=150%"} {
		if _, err := ParseSLO(bad); err == nil {
			t.Errorf("ParseSLO(%q) accepted it", bad)
		} else if strings.Contains(err.Error(), "\n") {
			t.Errorf("ParseSLO(%q): a two-line error", bad)
		}
	}
}

// rec is a record that starts at start ms and has n tokens, the first at ttft ms after the
// start and the others tpot ms apart.
func rec(start, ttft, tpot float64, n int) engine.Record {
	ms := func(x float64) int64 { return int64(x * 1e6) }
	r := engine.Record{StartNS: ms(start), FirstTokenNS: ms(start + ttft), AdmitNS: -1, Status: engine.StatusCompleted}
	for i := range n {
		r.TokenNS = append(r.TokenNS, ms(start+ttft+float64(i)*tpot))
	}
	r.EndNS = r.TokenNS[n-1]
	return r
}

func TestComputeGoodput(t *testing.T) {
	records := []engine.Record{
		rec(0, 100, 10, 11),                          // meets all: e2e 200
		rec(100, 300, 10, 11),                        // TTFT too long: e2e 400
		rec(200, 100, 30, 11),                        // TPOT too long: e2e 400
		rec(300, 150, 10, 1),                         // one token: no TPOT, meets
		rec(400, 100, 10, 11),                        // meets: ends at 600 ms
		{Error: "boom", Status: engine.StatusFailed}, // fails: meets nothing
	}
	slo := SLO{TTFT: 200 * time.Millisecond, TPOT: 20 * time.Millisecond, E2E: 350 * time.Millisecond, Attainment: 0.5}
	g := ComputeGoodput(records, slo)
	if g.Total != 6 || g.Met != 3 || g.Share != 0.5 || !g.Pass {
		t.Errorf("goodput %+v", g)
	}
	if g.TTFTShare != 4.0/6 || g.TPOTShare != 4.0/6 || g.E2EShare != 3.0/6 {
		t.Errorf("shares %+v", g)
	}
	// The span is the metrics' T: 0 to 600 ms, so 3 requests in 0.6 s.
	if math.Abs(g.RequestsPerSec-5) > 1e-9 {
		t.Errorf("goodput %v req/s, want 5", g.RequestsPerSec)
	}
	if m := ComputeMetrics(records, 1, 1); g.RequestsPerSec > m.RequestThroughput {
		t.Errorf("goodput %v above the request throughput %v", g.RequestsPerSec, m.RequestThroughput)
	}
	slo.Attainment = 0.6
	if ComputeGoodput(records, slo).Pass {
		t.Error("50% met passed an attainment of 60%")
	}
}

func TestFindMaxRate(t *testing.T) {
	for _, c := range []struct{ edge, start float64 }{{37.3, 1}, {37.3, 100}, {0.4, 1}, {5000, 3}} {
		var runs int
		best, points, err := FindMaxRate(context.Background(), RateSearch{Start: c.start}, func(_ context.Context, rate float64) (Goodput, error) {
			runs++
			return Goodput{Pass: rate <= c.edge}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if best > c.edge || best < c.edge/1.05 {
			t.Errorf("edge %v from %v: found %v", c.edge, c.start, best)
		}
		if runs != len(points) || runs > 20 {
			t.Errorf("edge %v: %d runs, %d points", c.edge, runs, len(points))
		}
		t.Logf("edge %v from %v: %v after %d runs", c.edge, c.start, best, runs)
	}
	best, _, err := FindMaxRate(context.Background(), RateSearch{}, func(context.Context, float64) (Goodput, error) { return Goodput{}, nil })
	if err != nil || best != 0 {
		t.Errorf("nothing passes: %v, %v", best, err)
	}
	best, _, _ = FindMaxRate(context.Background(), RateSearch{Max: 64}, func(context.Context, float64) (Goodput, error) { return Goodput{Pass: true}, nil })
	if best != 64 {
		t.Errorf("everything passes up to the bound 64: found %v", best)
	}
	_, _, err = FindMaxRate(context.Background(), RateSearch{}, func(context.Context, float64) (Goodput, error) { return Goodput{}, errors.New("server down") })
	if err == nil || !strings.Contains(err.Error(), "server down") {
		t.Errorf("err = %v", err)
	}
}
