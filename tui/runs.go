package tui

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/benchtui/benchtui/engine"
	"github.com/benchtui/benchtui/report"
	"github.com/benchtui/benchtui/telemetry"
	"github.com/benchtui/benchtui/tui/panel"
)

// Runner is what the dashboard drives: it loads a model once and runs benchmarks with it.
// Its methods block and are called from commands, never from Update.
type Runner interface {
	// Load opens the model, publishing loading events on ev.
	Load(ctx context.Context, ev *engine.Events) (Target, error)
	// Run runs one benchmark, publishing its events on ev. It returns the run's export,
	// also for a stopped or failed run (with the requests that finished); the error is
	// for a run that could not start.
	Run(ctx context.Context, s Settings, ev *engine.Events) (*report.Export, error)
}

// Target is what the runner benchmarks, for the header.
type Target struct {
	Model, DType, Device string
}

// run is one run of this session (or the replayed one), live or ended.
type run struct {
	id       int
	label    string // the name shown; "run N" when empty
	settings Settings
	dataset  string
	state    panel.RunState
	err      string
	started  time.Time
	// records are the finished requests, from snapshots while the run is live and from
	// the export once it ended; snaps are the engine snapshots of a live run (without
	// their records).
	records []engine.Record
	snaps   []engine.Snapshot
	export  *report.Export
	saved   string // path of the last export
	// fig are the run's figures: recent rates and the records' latencies while it runs,
	// the report's once it ended. scrubFig are those at the replay's time cursor.
	fig      panel.Figures
	scrubFig panel.Figures
}

func (r *run) name() string {
	if r.label != "" {
		return r.label
	}
	return fmt.Sprintf("run %d", r.id)
}

// origin is the run's time origin on the records' clock.
func (r *run) origin() (int64, bool) { return runOrigin(r.records) }

// span is the run's length in seconds: from the first start to the last end.
func (r *run) span() float64 {
	t0, ok := r.origin()
	if !ok {
		return 0
	}
	var end int64
	for i := range r.records {
		end = max(end, r.records[i].EndNS)
	}
	return math.Max(float64(end-t0)/1e9, 0)
}

// elapsed is how long the live run has gone, in seconds, from its newest snapshot.
func (r *run) elapsed() float64 {
	if n := len(r.snaps); n > 0 {
		return float64(r.snaps[n-1].ElapsedNS) / 1e9
	}
	return r.span()
}

// recordsUntil are the records that had ended until seconds after the run's start.
func (r *run) recordsUntil(until float64) []engine.Record {
	if math.IsInf(until, 1) {
		return r.records
	}
	t0, ok := r.origin()
	if !ok {
		return nil
	}
	limit := t0 + int64(until*1e9)
	out := make([]engine.Record, 0, len(r.records))
	for i := range r.records {
		if r.records[i].EndNS <= limit {
			out = append(out, r.records[i])
		}
	}
	return out
}

// telemetry is the run's saved telemetry series: the export's, or the report's hardware
// section's.
func (r *run) telemetry() (*telemetry.Series, bool) {
	if r.export == nil {
		return nil, false
	}
	s := r.export.TelemetrySeries()
	return s, s != nil
}

// row is the run as the history table and the comparison show it.
func (r *run) row(model string) panel.RunRow {
	f := r.fig
	if f.Recent {
		// A live run has no throughput result yet: the table shows none rather than a
		// recent rate under a result's heading (the strip labels the recent rate).
		f.OutputTokS, f.ReqS = math.NaN(), math.NaN()
	}
	return panel.RunRow{
		ID: r.name(), Model: model, Batch: r.settings.Batch, ISL: r.settings.ISL, OSL: r.settings.OSL,
		Requests: r.settings.Requests, Concurrency: r.settings.Concurrency, Dataset: r.dataset,
		Figures: f, State: r.state,
	}
}

func (m *model) runByID(id int) *run {
	for _, r := range m.runs {
		if r.id == id {
			return r
		}
	}
	return nil
}

// cursorRun is the run under the history cursor, nil for none.
func (m *model) cursorRun() *run {
	row, ok := m.history.CursorRow()
	if !ok {
		return nil
	}
	for _, r := range m.runs {
		if r.name() == row.ID {
			return r
		}
	}
	return nil
}

// lastEnded is the newest run that ended with an export.
func (m *model) lastEnded() *run {
	for i := len(m.runs) - 1; i >= 0; i-- {
		if m.runs[i].export != nil {
			return m.runs[i]
		}
	}
	return nil
}

func (m *model) syncHistory() {
	rows := make([]panel.RunRow, len(m.runs))
	for i, r := range m.runs {
		rows[i] = r.row(m.target.Model)
	}
	m.history.SetRows(rows)
}

// syncResult shows the run under the history cursor in the result strip (the one being
// replayed, at the time cursor), with its deltas from the baseline.
func (m *model) syncResult() {
	r := m.cursorRun()
	res := m.result
	if r == nil {
		res.Run, res.State, res.Figures = "", panel.StateIdle, panel.NoFigures()
	} else {
		res.Run, res.State, res.Figures = r.name(), r.state, r.fig
		if r == m.cur && m.scrubbing() {
			res.Figures = r.scrubFig
		}
	}
	res.HasBase = m.base != nil
	if m.base != nil {
		res.Base, res.BaseName = m.base.fig, m.base.name
		res.Mismatch = ""
		if r != nil {
			res.Mismatch = panel.Mismatch(m.base.row, r.row(m.target.Model))
		}
	}
}

func oneLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}
