package tui

import (
	"fmt"
	"math"
	"strings"

	"github.com/benchtui/benchtui/engine"
	"github.com/benchtui/benchtui/report"
	"github.com/benchtui/benchtui/tui/panel"
)

// This file shows what a run against a server and a model spread over RPC servers add to
// the panels: the server's slots and its own figures, the client's arrival schedule, the
// serving section of the report, and each RPC server's weights and traffic.

// hostHistory is how many samples each RPC server's sparklines keep.
const hostHistory = 240

// applyTarget shows what the runner loaded: a server's slots (the batch size it owns), the
// SLO, the RPC servers and whose telemetry the devices panel shows.
func (m *model) applyTarget(t Target) {
	m.header.Serving = t.Server != nil
	m.engine.Stream = t.Server != nil
	if srv := t.Server; srv != nil && !srv.Managed {
		m.setSlots(srv.Slots)
	}
	m.result.SLO = ""
	if t.SLO != nil {
		m.result.SLO = t.SLO.String()
	}
	m.devices.Note = t.TelemetryNote
	m.devices.Hosts = hostViews(t.RPC, t.Devices)
	m.header.Notes = nil
	for _, h := range t.RPC {
		measured := "measured"
		if !h.Measured {
			measured = "not measured"
		}
		m.header.Notes = append(m.header.Notes, fmt.Sprintf("rpc %s: %s, protocol %s, %s", h.Host, devicesText(h.Devices), h.Protocol, measured))
	}
	m.applyWeights()
}

// setSlots records the slots of a server that owns its batch size: they are every run's
// batch size.
func (m *model) setSlots(n int) {
	if m.target.Server != nil {
		m.target.Server.Slots = n
	}
	m.pending.Batch = n
	if !m.active {
		m.header.Settings.Batch = n
		m.engine.MaxBatch = n
	}
	if m.header.HasPending {
		m.header.SetPending(m.pending)
	}
}

func devicesText(n int) string {
	if n == 1 {
		return "1 device"
	}
	return fmt.Sprintf("%d devices", n)
}

// hostViews are the devices panel's RPC servers: each one's devices, weights and memory.
func hostViews(hosts []engine.RPCHost, devs []engine.Device) []panel.HostView {
	total := totalWeights(devs)
	var out []panel.HostView
	for _, h := range hosts {
		v := panel.HostView{Host: h.Host, Measured: h.Measured, WeightShare: math.NaN()}
		for _, d := range devs {
			if d.Host == h.Host {
				v.Devices = append(v.Devices, d.Name)
				v.Weights += d.ModelBytes
				v.FreeBytes += d.FreeBytes
				v.TotalBytes += d.TotalBytes
			}
		}
		if total > 0 {
			v.WeightShare = float64(v.Weights) / float64(total)
		}
		out = append(out, v)
	}
	return out
}

// totalWeights is the model's weights over every device that holds some.
func totalWeights(devs []engine.Device) uint64 {
	var t uint64
	for _, d := range devs {
		t += d.ModelBytes
	}
	return t
}

// applyWeights gives this machine's devices in the panel their share of the weights: the
// host (CPU) the CPU device's, each GPU the weights of the engine's GPU at the same place
// (GPUIndex maps the engine's GPUs to NVML's).
func (m *model) applyWeights() {
	devs := m.target.Devices
	total := totalWeights(devs)
	if total == 0 {
		return
	}
	var cpu uint64
	var gpus []uint64
	for _, d := range devs {
		switch {
		case d.Host != "":
		case d.Type == "gpu" || d.Type == "igpu":
			gpus = append(gpus, d.ModelBytes)
		case d.Type == "cpu":
			cpu += d.ModelBytes
		}
	}
	share := func(b uint64) float64 { return float64(b) / float64(total) }
	gpu := 0
	for i := range m.devices.Devices {
		v := &m.devices.Devices[i]
		v.Weights, v.WeightShare = 0, math.NaN()
		switch {
		case v.Host:
			v.Weights, v.WeightShare = cpu, share(cpu)
		case m.target.GPUIndex != nil:
			for k, idx := range m.target.GPUIndex {
				if idx == v.Index && k < len(gpus) {
					v.Weights, v.WeightShare = gpus[k], share(gpus[k])
				}
			}
		case gpu < len(gpus):
			v.Weights, v.WeightShare = gpus[gpu], share(gpus[gpu])
			gpu++
		}
	}
}

// pushSnapshot adds one engine snapshot to the engine panel and the RPC servers' traffic.
func (m *model) pushSnapshot(s *engine.Snapshot) {
	m.engine.Push(s.Running, s.Queued, 100*s.KVUsage, 100*s.BatchOccupancy)
	if srv := s.Server; srv != nil {
		kv := srv.KVUsage
		if kv >= 0 {
			kv *= 100
		}
		m.engine.PushServer(srv.Running, srv.Waiting, kv)
		m.engine.ServerSource = srv.Source
		if m.engine.ServerSource == "" {
			m.engine.ServerSource = "the server's"
		}
	}
	for i := range m.devices.Hosts {
		v := &m.devices.Hosts[i]
		for j := range s.Hosts {
			if h := &s.Hosts[j]; h.Host == v.Host {
				v.Sent = pushBounded(v.Sent, h.Rate.SentBytesPerSec)
				v.Recv = pushBounded(v.Recv, h.Rate.RecvBytesPerSec)
				v.Busy = pushBounded(v.Busy, h.Rate.BusyShare)
			}
		}
	}
}

// resetHosts empties the RPC servers' histories.
func (m *model) resetHosts() {
	for i := range m.devices.Hosts {
		v := &m.devices.Hosts[i]
		v.Sent, v.Recv, v.Busy = v.Sent[:0], v.Recv[:0], v.Busy[:0]
	}
}

func pushBounded(v []float64, x float64) []float64 {
	if len(v) >= hostHistory {
		copy(v, v[1:])
		v[len(v)-1] = x
		return v
	}
	return append(v, x)
}

// showLoad shows how the client kept its arrival schedule over recs (the run's requests
// that ended so far): report.ComputeLoadStats, or the report's own when it has a serving
// section and recs are all of the run's. last is the newest snapshot (nil for none).
func (m *model) showLoad(r *run, recs []engine.Record, last *engine.Snapshot, whole bool) {
	if m.target.Server == nil && (r.export == nil || r.export.Report.BenchTUI.Serving == nil) {
		m.engine.Load = panel.LoadView{}
		return
	}
	target := r.settings.Rate
	if last != nil {
		target = last.TargetRate
	}
	var st report.LoadStats
	if sv := r.serving(); whole && sv != nil {
		st = sv.Load
	} else {
		st = report.ComputeLoadStats(recs, target)
	}
	v := panel.LoadView{Known: true, TargetRate: st.TargetRate, AchievedRate: st.AchievedRate,
		LagP50: math.NaN(), LagP99: math.NaN(), Behind: st.Behind, Total: r.settings.Requests}
	if st.SendLagMS.Count > 0 {
		v.LagP50, v.LagP99 = st.SendLagMS.P50, st.SendLagMS.P99
	}
	switch {
	case last != nil && !whole:
		v.Sent, v.Total = last.Sent, last.Total
	default:
		v.Sent, v.Total = sentOf(recs), len(recs)
	}
	m.engine.Load = v
}

// sentOf counts the requests that were sent.
func sentOf(recs []engine.Record) int {
	n := 0
	for i := range recs {
		if recs[i].StartNS >= 0 {
			n++
		}
	}
	return n
}

// serving is the run's serving section, nil when its report has none.
func (r *run) serving() *report.Serving {
	if r.export == nil {
		return nil
	}
	return r.export.Report.BenchTUI.Serving
}

// servingLines are an ended server run's serving figures for the engine panel: the
// server's own timings beside the client's, the lengths it honoured, the tokens per chunk.
func servingLines(sv *report.Serving) []panel.EngineLine {
	if sv == nil {
		return nil
	}
	var out []panel.EngineLine
	if t := sv.ServerTimings; t != nil && t.Requests > 0 {
		// The server's own timings beside the client's, one line each so that both fit a
		// side column.
		out = append(out,
			panel.EngineLine{Label: "server p50", Value: fmt.Sprintf("prompt %s · total %s",
				panel.LatencyText(t.PromptMS.P50), panel.LatencyText(t.ServerMS.P50))},
			panel.EngineLine{Label: "client p50", Value: fmt.Sprintf("TTFT %s · E2E %s · overhead %s",
				panel.LatencyText(t.ClientTTFTMS.P50), panel.LatencyText(t.ClientE2EMS.P50), panel.LatencyText(t.OverheadMS.P50))})
	}
	l := sv.Lengths
	if n := l.Honoured + l.Mismatched; n > 0 {
		v := fmt.Sprintf("%d of %d as asked", l.Honoured, n)
		if sv.Chunks.Chunks > 0 {
			v += fmt.Sprintf(" · %.2f tokens a chunk", sv.Chunks.TokensPerChunk)
		}
		out = append(out, panel.EngineLine{Label: "output lengths", Value: v})
	}
	if len(sv.Endpoints) > 1 {
		out = append(out, panel.EngineLine{Label: "endpoints", Value: strings.Join(sv.Endpoints, ", ")})
	}
	return out
}
