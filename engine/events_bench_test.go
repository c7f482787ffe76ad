package engine

import (
	"context"
	"testing"
	"time"
)

// eventPath pushes snapshots carrying finished requests of tokensPerReq tokens, plus a
// lifecycle event every 100 snapshots, through Events to a reader, the way the engine feeds
// the dashboard, and returns the tokens and lifecycle events the reader received.
func eventPath(nSnaps, reqsPerSnap, tokensPerReq int) (tokens, lifecycles, published int) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ev := NewEvents(ctx)
	recs := make([]Record, reqsPerSnap)
	for i := range recs {
		recs[i].TokenNS = make([]int64, tokensPerReq)
	}
	done := make(chan struct{})
	lifeDone := make(chan struct{})
	go func() {
		defer close(lifeDone)
		for range ev.Lifecycle {
			lifecycles++
		}
	}()
	go func() {
		defer close(done)
		for {
			select {
			case s := <-ev.Snapshots:
				for i := range s.Finished {
					tokens += len(s.Finished[i].TokenNS)
				}
			case <-ev.Done():
				select {
				case s := <-ev.Snapshots:
					for i := range s.Finished {
						tokens += len(s.Finished[i].TokenNS)
					}
				default:
				}
				return
			}
		}
	}()
	for i := 0; i < nSnaps; i++ {
		// The engine hands over a new slice with every snapshot.
		fin := make([]Record, reqsPerSnap)
		copy(fin, recs)
		ev.Offer(Snapshot{Phase: PhaseRunning, Steps: int64(i), Finished: fin})
		if i%100 == 0 {
			ev.Publish(Lifecycle{Phase: PhaseRunning, Completed: i})
			published++
		}
	}
	ev.Close()
	<-lifeDone
	<-done
	return tokens, lifecycles, published
}

// The event path delivers every finished request's tokens and every lifecycle event, and
// carries at least a million tokens a second (the dashboard's goal).
func TestEventPathRate(t *testing.T) {
	const snaps, reqs, toks = 20000, 4, 128 // 10.24M tokens
	start := time.Now()
	tokens, life, pub := eventPath(snaps, reqs, toks)
	el := time.Since(start)
	if want := snaps * reqs * toks; tokens != want {
		t.Errorf("reader got %d tokens, want %d", tokens, want)
	}
	if life != pub {
		t.Errorf("reader got %d lifecycle events, want %d", life, pub)
	}
	rate := float64(tokens) / el.Seconds()
	t.Logf("%.1fM tokens/s through the event path (%v)", rate/1e6, el)
	if rate < 1e6 {
		t.Errorf("event path carried %.0f tokens/s, want at least 1M", rate)
	}
}

func BenchmarkEventPath(b *testing.B) {
	const reqs, toks = 4, 128
	b.ReportAllocs()
	start := time.Now()
	tokens, _, _ := eventPath(b.N, reqs, toks)
	b.ReportMetric(float64(tokens)/time.Since(start).Seconds(), "tokens/s")
}
