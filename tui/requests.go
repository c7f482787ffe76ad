package tui

import (
	"math"

	"github.com/benchtui/benchtui/engine"
	"github.com/benchtui/benchtui/tui/panel"
)

// The requests view: enter on a run (the one under the history cursor, or the live one)
// lists its requests with their timelines; esc goes back.

// requestRows converts records to the view's rows, times relative to the run's origin.
func requestRows(recs []engine.Record) (rows []panel.RequestRow, spanMS float64) {
	t0, ok := runOrigin(recs)
	if !ok {
		return nil, 0
	}
	rel := func(ns int64) float64 {
		if ns <= 0 {
			return math.NaN()
		}
		return float64(ns-t0) / 1e6
	}
	const ms = 1e6
	rows = make([]panel.RequestRow, len(recs))
	for i := range recs {
		r := &recs[i]
		row := panel.RequestRow{
			Index: r.Index, ISL: r.InputTokens, OSL: r.OutputTokens(),
			StartMS: rel(r.StartNS), AdmitMS: math.NaN(), FirstMS: math.NaN(), EndMS: rel(r.EndNS),
			TTFT: math.NaN(), TPOT: math.NaN(), E2E: math.NaN(),
			Status: statusWord(r.State()), Error: r.Error,
		}
		if r.AdmitNS >= r.StartNS && r.AdmitNS > 0 {
			row.AdmitMS = rel(r.AdmitNS)
		}
		n := r.OutputTokens()
		if n > 0 {
			row.FirstMS = rel(r.FirstTokenNS)
		}
		if !r.Failed() {
			// The report's per-request values: failed requests have none.
			row.E2E = float64(r.EndNS-r.StartNS) / ms
			if n > 0 {
				row.TTFT = float64(r.FirstTokenNS-r.StartNS) / ms
			}
			if n > 1 {
				row.TPOT = float64(r.EndNS-r.FirstTokenNS) / ms / float64(n-1)
			}
		}
		if !math.IsNaN(row.EndMS) {
			spanMS = math.Max(spanMS, row.EndMS)
		}
		rows[i] = row
	}
	return rows, spanMS
}

// requestsRun is the run the requests view opens on: the one under the history cursor,
// else the shown one.
func (m *model) requestsRun() *run {
	if r := m.cursorRun(); r != nil && len(r.records) > 0 {
		return r
	}
	if m.cur != nil && len(m.cur.records) > 0 {
		return m.cur
	}
	return nil
}

// openRequests shows the requests view of r.
func (m *model) openRequests(r *run) {
	m.view = viewRequests
	m.requests.Run = r.name()
	m.fillRequests(r)
}

// fillRequests (re)fills the view with r's records (at the time cursor in a replay).
func (m *model) fillRequests(r *run) {
	recs := r.records
	if r == m.cur && m.scrubbing() {
		recs = r.recordsUntil(m.until)
	}
	rows, span := requestRows(recs)
	if full := r.span() * 1000; full > span {
		span = full
	}
	m.requests.SetRows(rows, span)
	m.syncRequestDetail(r)
}

// syncRequestDetail gives the view the token gaps of the request under its cursor.
func (m *model) syncRequestDetail(r *run) {
	sel, ok := m.requests.Selected()
	if !ok || r == nil {
		return
	}
	for i := range r.records {
		rec := &r.records[i]
		if rec.Index != sel.Index {
			continue
		}
		n := rec.OutputTokens()
		if n < 2 {
			m.requests.SetDetail(sel.Index, nil, nil)
			return
		}
		t := make([]float64, n-1)
		gaps := make([]float64, n-1)
		for j := 1; j < n; j++ {
			t[j-1] = float64(rec.TokenNS[j]-rec.TokenNS[0]) / 1e6
			gaps[j-1] = float64(rec.TokenNS[j]-rec.TokenNS[j-1]) / 1e6
		}
		m.requests.SetDetail(sel.Index, t, gaps)
		return
	}
}

// requestsShown is the run the open requests view shows.
func (m *model) requestsShown() *run {
	for _, r := range m.runs {
		if r.name() == m.requests.Run {
			return r
		}
	}
	return nil
}

// statusWord is a request's status as the view writes it.
func statusWord(s engine.Status) string {
	switch s {
	case engine.StatusCompleted:
		return "ok"
	case engine.StatusCanceled:
		return "canceled"
	}
	return "failed"
}
