package tui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/benchtui/benchtui/engine"
	"github.com/benchtui/benchtui/tui/panel"
)

// Runner is what the dashboard drives: it loads a model once and runs benchmarks with it.
// Its methods block and are called from commands, never from Update.
type Runner interface {
	// Load opens the model, publishing loading events on ev.
	Load(ctx context.Context, ev *engine.Events) (Target, error)
	// Run runs one benchmark, publishing its events on ev. It returns the run's export,
	// also for a canceled or failed run (with the requests that finished); the error is
	// for a run that could not start.
	Run(ctx context.Context, s panel.Settings, ev *engine.Events) (*engine.Export, error)
}

// Target is what the runner benchmarks, for the header.
type Target struct {
	Model, DType, Device string
}

// run is one run of this session, live or finished.
type run struct {
	id       int
	settings panel.Settings
	state    panel.RunState
	err      string
	started  time.Time
	// records are the finished requests, from snapshots while the run is live and from
	// the export once it ended.
	records []engine.Record
	export  *engine.Export
	saved   string // path of the last export
}

func (r *run) name() string { return fmt.Sprintf("run %d", r.id) }

// row is the run as the history table shows it.
func (r *run) row(model string) panel.RunRow {
	row := panel.RunRow{
		ID: r.name(), Model: model, Batch: r.settings.Batch, ISL: r.settings.ISL, OSL: r.settings.OSL,
		Requests: r.settings.Requests, State: r.state,
	}
	if r.export != nil {
		rep := &r.export.Report
		row.OutputTokS = rep.Performance.SystemOutputThroughputTokS
		row.ReqS = rep.Performance.RequestThroughputReqS
		row.TTFTp50 = rep.StreamingMetrics.TTFTPercentiles.P50
		row.TPOTp50 = rep.StreamingMetrics.TPOTPercentiles.P50
		row.E2Ep50 = rep.Performance.RequestLatencyPercentilesMS.P50
	}
	return row
}

// latencySamples computes each request's TTFT, TPOT and end-to-end latency and every
// inter-token gap, in milliseconds, as the report defines them.
func latencySamples(recs []engine.Record) (ttft, tpot, itl, e2e []float64) {
	const ms = 1e6
	for i := range recs {
		r := &recs[i]
		if r.Failed() || r.OutputTokens() == 0 {
			continue
		}
		ttft = append(ttft, float64(r.FirstTokenNS-r.StartNS)/ms)
		e2e = append(e2e, float64(r.EndNS-r.StartNS)/ms)
		if n := r.OutputTokens(); n > 1 {
			tpot = append(tpot, float64(r.EndNS-r.FirstTokenNS)/ms/float64(n-1))
			for j := 1; j < n; j++ {
				itl = append(itl, float64(r.TokenNS[j]-r.TokenNS[j-1])/ms)
			}
		}
	}
	return ttft, tpot, itl, e2e
}

func (m *Model) syncHistory() {
	rows := make([]panel.RunRow, len(m.runs))
	for i, r := range m.runs {
		rows[i] = r.row(m.target.Model)
	}
	m.history.SetRows(rows)
}

func oneLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}
