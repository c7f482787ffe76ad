package tui

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/benchtui/benchtui/engine"
	"github.com/benchtui/benchtui/telemetry"
	"github.com/benchtui/benchtui/tui/panel"
)

// showExport draws a finished run from its export: the final progress and, for a replay,
// the charts rebuilt from the saved snapshots.
func (m *Model) showExport(x *engine.Export, charts bool) {
	rep := &x.Report
	p := m.progress
	p.Total = len(x.Requests)
	if p.Total == 0 {
		p.Total = rep.RequestInfo.NumRequests + rep.BenchTUI.NumFailed
	}
	p.Done, p.Failed = rep.BenchTUI.NumCompleted+rep.BenchTUI.NumFailed, rep.BenchTUI.NumFailed
	p.Running, p.ETA = 0, 0
	p.InputTokens, p.OutputTokens = rep.BenchTUI.TotalInputTokens, rep.BenchTUI.TotalOutputTokens
	p.Elapsed = time.Duration(rep.Performance.TotalLatencyMS * float64(time.Millisecond))
	if !charts {
		return
	}
	m.throughput.Reset()
	m.engine.Reset()
	if len(x.Snapshots) > 0 {
		m.rates = rateWindow{}
		for _, s := range x.Snapshots {
			if s.Phase == engine.PhaseRunning || s.Phase == "" {
				t := float64(s.ElapsedNS) / 1e9
				out, total := m.rates.add(t, float64(s.OutputTokens), float64(s.OutputTokens+s.InputTokens))
				m.throughput.Add(t, out, total)
				m.engine.Push(s.Running, s.Queued, 100*s.KVUsage, 100*s.BatchOccupancy)
			}
		}
	} else {
		for _, pt := range rep.BenchTUI.TimeSeries {
			m.throughput.Add(pt.TimeS, pt.OutputTokS, pt.TotalTokS)
		}
	}
	if len(x.Telemetry) > 0 {
		var s telemetry.Series
		if json.Unmarshal(x.Telemetry, &s) == nil {
			m.devices.SetDevices(devicesFromSeries(&s))
		}
	}
}

// loadReplay shows a saved run as the session's only run.
func (m *Model) loadReplay(x *engine.Export, name string) {
	rep := &x.Report
	s := panel.Settings{Batch: rep.WorldInfo.MaxBatchSize, Requests: len(x.Requests)}
	if s.Requests == 0 {
		s.Requests = rep.RequestInfo.NumRequests
	}
	if ds, ok := rep.Dataset.(map[string]any); ok {
		s.ISL = int(statAvg(ds, "isl_stats"))
		s.OSL = int(statAvg(ds, "osl_stats"))
	}
	r := &run{id: 1, settings: s, state: panel.StateFinished, export: x, records: x.Requests}
	m.runs = []*run{r}
	m.cur = r
	m.loaded = true
	m.target = Target{Model: rep.Engine.Model, DType: rep.Engine.Dtype, Device: "replay of " + name}
	m.header.Model, m.header.DType, m.header.Device = m.target.Model, m.target.DType, m.target.Device
	m.header.State = panel.StateFinished
	m.header.RunID = "replay"
	m.header.Settings = s
	m.header.Detail = fmt.Sprintf("%.1f output tok/s · %.2f req/s", rep.Performance.SystemOutputThroughputTokS, rep.Performance.RequestThroughputReqS)
	m.engine.MaxBatch = s.Batch
	m.showExport(x, true)
	m.refreshLatency(true)
	m.syncHistory()
}

func statAvg(ds map[string]any, key string) float64 {
	st, ok := ds[key].(map[string]any)
	if !ok {
		return 0
	}
	v, _ := st["average"].(float64)
	return v
}
