package main

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/benchtui/benchtui/engine"
	"github.com/benchtui/benchtui/report"
)

// progress prints plain progress lines on stderr for headless runs.
type progress struct {
	w        io.Writer
	quiet    bool
	mu       sync.Mutex
	lastLoad int
	lastMsg  string
	start    time.Time
}

func newProgress(w io.Writer, quiet bool) *progress {
	return &progress{w: w, quiet: quiet, lastLoad: -1, start: time.Now()}
}

func (p *progress) printf(format string, a ...any) {
	if p.quiet {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, "benchtui: "+format+"\n", a...)
}

// loadingLine prints a loading step at 0, 25, 50, 75 and 100 percent.
func (p *progress) loadingLine(msg string, frac float64) {
	pct := int(frac * 100)
	if msg != p.lastMsg {
		p.lastMsg, p.lastLoad = msg, -1
	}
	if pct/25 != p.lastLoad/25 {
		p.lastLoad = pct
		p.printf("%s: %d%%", msg, pct)
	}
}

func (p *progress) writing(name string) func(done, total int64) {
	last := -1
	return func(done, total int64) {
		if total <= 0 {
			return
		}
		pct := int(done * 100 / total)
		if pct/20 != last/20 {
			last = pct
			p.printf("writing synthetic model %s: %d%% of %d MiB", name, pct, total>>20)
		}
	}
}

// follow prints lifecycle events and a progress line every two seconds until events close.
func (p *progress) follow(ev *engine.Events) {
	tick := time.NewTicker(progressEvery)
	defer tick.Stop()
	var snap engine.Snapshot
	have := false
	rates := report.RateWindow{Span: progressRateSpan}
	rate := 0.0
	for {
		select {
		case s := <-ev.Snapshots:
			if s.Phase == engine.PhaseWarmup {
				continue
			}
			if have && s.ElapsedNS < snap.ElapsedNS {
				rates.Reset() // a new phase's clock
			}
			snap, have = s, true
			rate, _ = rates.Add(float64(s.ElapsedNS)/1e9, float64(s.OutputTokens), 0)
		case l, ok := <-ev.Lifecycle:
			if !ok {
				return
			}
			switch l.Phase {
			case engine.PhaseLoading:
				p.loadingLine(l.Message, l.Progress)
			case engine.PhaseLoaded:
				p.printf("%s", l.Message)
			case engine.PhaseWarmup:
				p.printf("warmup: %d requests", l.Total)
			case engine.PhaseRunning:
				p.printf("running %d requests", l.Total)
			case engine.PhaseFailed:
				p.printf("run failed: %s", l.Error)
			case engine.PhaseCanceled:
				p.printf("run canceled: %s; reporting what finished", l.Error)
			case engine.PhaseFinished:
				p.printf("finished in %.1fs", time.Since(p.start).Seconds())
			}
		case <-tick.C:
			if have {
				p.printf("%s", progressLine(snap, rate))
			}
		}
	}
}

// progressEvery is the interval of the progress lines (a variable for tests).
var progressEvery = 2 * time.Second

// progressRateSpan is the window of the progress lines' output rate: long enough to read
// steadily across decode steps and the requests' starts and ends, short enough to follow a
// run that speeds up or slows down.
const progressRateSpan = 10.0

// progressLine is one headless progress line: time, requests done with their share and the
// time left at the pace so far, the output rate over the last progressRateSpan seconds (a
// rate of the moment, labelled so; the run's throughput is the report's), and the engine's
// state. rate is the output rate over that window, up to s.
func progressLine(s engine.Snapshot, rate float64) string {
	elapsed := time.Duration(s.ElapsedNS)
	pct := 0.0
	if s.Total > 0 {
		pct = 100 * float64(s.Completed) / float64(s.Total)
	}
	eta := "ETA -"
	if d := report.ETA(elapsed, s.Completed, s.Total); d >= 0 {
		eta = "ETA " + d.Round(time.Second).String()
	}
	line := fmt.Sprintf("%6.1fs %d/%d done (%.0f%%), %s, %.1f output tok/s over the last %.0fs, %d running, %d queued, KV %.0f%%",
		elapsed.Seconds(), s.Completed, s.Total, pct, eta, rate, progressRateSpan, s.Running, s.Queued, s.KVUsage*100)
	if m := s.Server; m != nil && m.Running >= 0 && m.Waiting >= 0 {
		// A server's own view: what it decodes and what waits in its queue (the client's
		// "running" are the requests in flight, some of them waiting there).
		line += fmt.Sprintf(", server %.0f running %.0f waiting", m.Running, m.Waiting)
	}
	if s.Failed > 0 {
		line += fmt.Sprintf(", %d failed", s.Failed)
	}
	return line
}
