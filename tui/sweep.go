package tui

import (
	"fmt"
	"math"

	tea "charm.land/bubbletea/v2"
	"github.com/benchtui/benchtui/tui/panel"
)

// startSweep runs the current settings at batch sizes from a quarter to four times the
// current one, one run after the other; each run joins the history as usual.
func (m *model) startSweep() tea.Cmd {
	b := m.pending.Batch
	var sizes []int
	for _, f := range []float64{0.25, 0.5, 1, 2, 4} {
		v := clampInt(int(math.Round(float64(b)*f)), 1, m.maxBatch())
		if len(sizes) == 0 || sizes[len(sizes)-1] != v {
			sizes = append(sizes, v)
		}
	}
	m.sweep.Points = make([]panel.SweepPoint, len(sizes))
	for i, v := range sizes {
		m.sweep.Points[i] = panel.SweepPoint{Batch: v, State: panel.StateIdle}
	}
	m.sweepQueue = sizes
	m.sweepRun = map[int]int{}
	m.view = viewSweep
	return m.sweepNext(0)
}

// sweepNext records the run that ended in the sweep, if it was a sweep run, and starts the
// next batch size; nil when no sweep continues.
func (m *model) sweepNext(ended int) tea.Cmd {
	if i, ok := m.sweepRun[ended]; ok {
		pt := &m.sweep.Points[i]
		for _, r := range m.runs {
			if r.id != ended {
				continue
			}
			pt.State = r.state
			if r.export != nil {
				rep := &r.export.Report
				pt.OutputTokS = rep.Performance.SystemOutputThroughputTokS
				pt.PerGPUTokS = rep.Performance.OutputThroughputPerGPUTokS
				pt.PerUserTokS = rep.Performance.OutputThroughputPerUserTokS
				pt.TTFTp50 = rep.StreamingMetrics.TTFTPercentiles.P50
			}
			if r.state != panel.StateFinished {
				m.sweepQueue = nil // a failed or stopped point ends the sweep
			}
		}
	}
	if len(m.sweepQueue) == 0 || m.active {
		if _, ok := m.sweepRun[ended]; ok && !m.active {
			// The sweep is over: the header shows the settings of the next run again.
			m.header.Settings = m.pending
		}
		return nil
	}
	b := m.sweepQueue[0]
	m.sweepQueue = m.sweepQueue[1:]
	s := m.pending
	s.Batch = b
	cmd := m.startRunWith(s)
	idx := len(m.sweep.Points) - len(m.sweepQueue) - 1
	m.sweepRun[m.cur.id] = idx
	m.sweep.Points[idx].State = panel.StateRunning
	m.header.Detail = fmt.Sprintf("sweep: batch %d (%d of %d)", b, idx+1, len(m.sweep.Points))
	return cmd
}
