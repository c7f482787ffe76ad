package engine

import (
	"context"
	"math"
	"testing"
	"time"
)

// meteredBackend is a fakeBackend whose every decode step sends 1000 bytes to host A and 10
// to host B, receives 500 and 5, and keeps A busy for half the step's time and B for none.
type meteredBackend struct {
	*fakeBackend
	t HostTraffic
}

func newMetered(t *testing.T) *meteredBackend {
	m := &meteredBackend{fakeBackend: newFake(t, 64, 4)}
	m.stepCost = 2 * time.Millisecond
	m.t.Hosts = []HostCounters{{Host: "a:1"}, {Host: "b:2"}}
	// Traffic before the run (the model's upload) is not the run's.
	m.t.Hosts[0].SentBytes = 1 << 30
	return m
}

func (m *meteredBackend) Step(b *Batch, out []int32) error {
	start := time.Now()
	err := m.fakeBackend.Step(b, out)
	if b.Len() > 0 {
		d := time.Since(start)
		m.t.Steps++
		m.t.StepNS += int64(d)
		a, bb := &m.t.Hosts[0], &m.t.Hosts[1]
		a.SentBytes += 1000
		a.RecvBytes += 500
		a.Commands += 3
		a.BusyNS += int64(d) / 2
		bb.SentBytes += 10
		bb.RecvBytes += 5
		bb.Commands++
	}
	return err
}

func (m *meteredBackend) ReadHostTraffic(t *HostTraffic) {
	t.Steps, t.StepNS = m.t.Steps, m.t.StepNS
	t.Hosts = append(t.Hosts[:0], m.t.Hosts...)
}

func TestRunHostFigures(t *testing.T) {
	b := newMetered(t)
	reqs := makeReqs(12, func(int) int { return 8 }, func(int) int { return 6 })
	cfg := Config{MaxBatchSize: 4, MaxNumTokens: 64, MaxSeqLen: 32, Concurrency: -1, EOSID: -1, Warmup: 2, SnapshotEvery: 5 * time.Millisecond}
	warmSteps := int64(0)
	ev := NewEvents(context.Background())
	defer ev.Close()
	res, err := Run(context.Background(), b, reqs, cfg, Hooks{}, ev)
	if err != nil {
		t.Fatal(err)
	}
	warmSteps = b.t.Steps - res.Steps
	if len(res.Hosts) != 2 {
		t.Fatalf("result has %d hosts, want 2", len(res.Hosts))
	}
	a, bb := res.Hosts[0], res.Hosts[1]
	if a.Host != "a:1" || bb.Host != "b:2" {
		t.Errorf("hosts %q, %q", a.Host, bb.Host)
	}
	// The benchmark phase only: neither the upload before the run nor the warmup.
	if a.Steps != res.Steps || a.SentBytes != uint64(1000*res.Steps) || a.RecvBytes != uint64(500*res.Steps) || a.Commands != uint64(3*res.Steps) {
		t.Errorf("host A over %d steps (%d of warmup before): %+v", res.Steps, warmSteps, a)
	}
	if got := a.SentPerStep(); got != 1000 {
		t.Errorf("sent per step %g, want 1000", got)
	}
	if got := bb.RecvPerStep(); got != 5 {
		t.Errorf("host B received per step %g, want 5", got)
	}
	if got := a.BusyShare(); math.Abs(got-0.5) > 0.01 {
		t.Errorf("host A busy share %g, want 0.5", got)
	}
	if a.Rate.BusyShare != a.BusyShare() || bb.BusyShare() != 0 {
		t.Errorf("whole-phase rates %+v and %+v", a.Rate, bb.Rate)
	}
	if a.WallNS <= 0 || math.Abs(a.Rate.SentBytesPerSec-float64(a.SentBytes)/(float64(a.WallNS)/1e9)) > 1e-6*a.Rate.SentBytesPerSec {
		t.Errorf("sent rate %g over %d ns for %d bytes", a.Rate.SentBytesPerSec, a.WallNS, a.SentBytes)
	}

	// Snapshots carry running totals and rates over their interval.
	var last *Snapshot
	checked := 0
	for i := range res.Series {
		s := &res.Series[i]
		if len(s.Hosts) != 2 {
			t.Fatalf("snapshot %d has %d hosts", i, len(s.Hosts))
		}
		if last != nil && s.Hosts[0].SentBytes < last.Hosts[0].SentBytes {
			t.Fatalf("snapshot %d: host totals went down", i)
		}
		if last != nil && s.Hosts[0].Steps > last.Hosts[0].Steps {
			checked++
			if sh := s.Hosts[0].Rate.BusyShare; sh < 0.45 || sh > 0.55 {
				t.Errorf("snapshot %d: host A busy share %g over its interval, want 0.5", i, sh)
			}
		}
		last = s
	}
	if checked == 0 {
		t.Error("no snapshot interval with steps to check")
	}
	if last == nil || last.Hosts[0].SentBytes != a.SentBytes {
		t.Errorf("the last snapshot's total is not the run's")
	}
}

// wrapper stands for a session's wrapper of a backend (fault injection, liveness).
type wrapper struct{ Backend }

func (w wrapper) Unwrap() Backend { return w.Backend }

func TestRunHostFiguresThroughWrapper(t *testing.T) {
	b := newMetered(t)
	reqs := makeReqs(4, func(int) int { return 4 }, func(int) int { return 3 })
	res, err := Run(context.Background(), wrapper{wrapper{b}}, reqs, Config{MaxBatchSize: 4, MaxNumTokens: 64, MaxSeqLen: 16, EOSID: -1}, Hooks{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Hosts) != 2 || res.Hosts[0].SentBytes != uint64(1000*res.Steps) {
		t.Errorf("through two wrappers: hosts %+v", res.Hosts)
	}
}

func TestRunWithoutHostMeter(t *testing.T) {
	reqs := makeReqs(4, func(int) int { return 4 }, func(int) int { return 3 })
	res, err := Run(context.Background(), newFake(t, 64, 4), reqs, Config{MaxBatchSize: 4, MaxNumTokens: 64, MaxSeqLen: 16, EOSID: -1}, Hooks{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Hosts != nil || res.Series[len(res.Series)-1].Hosts != nil {
		t.Error("a backend without hosts produced host figures")
	}
}
