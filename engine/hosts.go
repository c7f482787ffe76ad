package engine

// This file holds what the engine knows of remote hosts: a backend whose model is spread
// over RPC servers (llama.cpp's RPC backend) measures the traffic to each, and the engine
// turns its counters into per-host figures in every snapshot and in the run's result.

// HostCounters are one remote host's cumulative traffic as a backend measured it around the
// connection. They only grow, so figures come from differences.
type HostCounters struct {
	// Host is the server as the user named it (host:port).
	Host string `json:"host"`
	// SentBytes and RecvBytes are the bytes to and from the host.
	SentBytes uint64 `json:"sent_bytes"`
	RecvBytes uint64 `json:"recv_bytes"`
	// Commands is the RPC commands sent.
	Commands uint64 `json:"commands"`
	// BusyNS is the time the host had a command outstanding: from a request's first byte
	// to the last byte of the reply that left nothing outstanding.
	BusyNS int64 `json:"busy_ns"`
}

// HostTraffic is a backend's per-host counters together with its own cumulative count and
// time of decode steps, read at one moment.
type HostTraffic struct {
	Steps  int64
	StepNS int64
	Hosts  []HostCounters
}

// HostMeter is implemented by a backend whose model is spread over remote hosts and whose
// traffic to them it measures. A wrapper of such a backend passes it on with a method
// Unwrap() Backend.
type HostMeter interface {
	// ReadHostTraffic fills t, reusing the storage of t.Hosts; hosts keep their order.
	ReadHostTraffic(t *HostTraffic)
}

// HostFigures are one host's traffic since the run's phase began, and its rates over the
// last interval (the time since the previous snapshot; in Result.Hosts, the whole phase).
type HostFigures struct {
	Host string `json:"host"`
	// Steps and StepNS are the decode steps of the phase so far and the time spent in them;
	// WallNS is the phase's time so far.
	Steps  int64 `json:"steps"`
	StepNS int64 `json:"step_ns"`
	WallNS int64 `json:"wall_ns"`
	// SentBytes, RecvBytes, Commands and BusyNS are HostCounters' over the phase so far.
	SentBytes uint64 `json:"sent_bytes"`
	RecvBytes uint64 `json:"recv_bytes"`
	Commands  uint64 `json:"commands"`
	BusyNS    int64  `json:"busy_ns"`
	// Rate is over the last interval.
	Rate HostRate `json:"rate"`
}

// HostRate is a host's traffic per second of wall time, and its busy time over the time of
// the decode steps, in one interval.
type HostRate struct {
	SentBytesPerSec float64 `json:"sent_bytes_per_sec"`
	RecvBytesPerSec float64 `json:"recv_bytes_per_sec"`
	// BusyShare is the share of step time spent waiting on the host (0..1; a host that
	// has work outstanding between steps can exceed it slightly).
	BusyShare float64 `json:"busy_share"`
}

// SentPerStep is the mean bytes sent to the host per decode step.
func (f *HostFigures) SentPerStep() float64 { return perStep(float64(f.SentBytes), f.Steps) }

// RecvPerStep is the mean bytes received from the host per decode step.
func (f *HostFigures) RecvPerStep() float64 { return perStep(float64(f.RecvBytes), f.Steps) }

// CommandsPerStep is the mean RPC commands per decode step.
func (f *HostFigures) CommandsPerStep() float64 { return perStep(float64(f.Commands), f.Steps) }

// BusyPerStepNS is the mean time per step spent waiting on the host.
func (f *HostFigures) BusyPerStepNS() float64 { return perStep(float64(f.BusyNS), f.Steps) }

// SentPerSec is the bytes sent to the host per second of the phase.
func (f *HostFigures) SentPerSec() float64 { return ratio(float64(f.SentBytes), float64(f.WallNS)/1e9) }

// RecvPerSec is the bytes received from the host per second of the phase.
func (f *HostFigures) RecvPerSec() float64 { return ratio(float64(f.RecvBytes), float64(f.WallNS)/1e9) }

// BusyShare is the share of the phase's step time spent waiting on the host.
func (f *HostFigures) BusyShare() float64 { return ratio(float64(f.BusyNS), float64(f.StepNS)) }

func perStep(v float64, steps int64) float64 { return ratio(v, float64(steps)) }

func ratio(a, b float64) float64 {
	if b <= 0 {
		return 0
	}
	return a / b
}

// hostRate is the one formula of a host's rates between two readings.
func hostRate(from, to *HostCounters, stepNS, wallNS int64) HostRate {
	sec := float64(wallNS) / 1e9
	return HostRate{
		SentBytesPerSec: ratio(float64(to.SentBytes-from.SentBytes), sec),
		RecvBytesPerSec: ratio(float64(to.RecvBytes-from.RecvBytes), sec),
		BusyShare:       ratio(float64(to.BusyNS-from.BusyNS), float64(stepNS)),
	}
}

// hostTracker turns a HostMeter's counters into the figures of one phase.
type hostTracker struct {
	m              HostMeter
	base, last     HostTraffic
	cur            HostTraffic
	baseAt, lastAt int64 // the phase's clock at base and last
}

// meterOf finds the HostMeter of b, looking through wrappers that say what they wrap
// (Unwrap() Backend), as the session's do.
func meterOf(b Backend) HostMeter {
	for b != nil {
		if m, ok := b.(HostMeter); ok {
			return m
		}
		u, ok := b.(interface{ Unwrap() Backend })
		if !ok {
			return nil
		}
		b = u.Unwrap()
	}
	return nil
}

// start takes the counters at the phase's beginning (now on the phase's clock); a backend
// that measures no host leaves the tracker off.
func (h *hostTracker) start(b Backend, now int64) {
	m := meterOf(b)
	if m == nil {
		return
	}
	h.m = m
	m.ReadHostTraffic(&h.base)
	if len(h.base.Hosts) == 0 {
		h.m = nil
		return
	}
	copyTraffic(&h.last, &h.base)
	h.baseAt, h.lastAt = now, now
}

// sample reads the counters at now and returns each host's figures, with rates since the
// previous sample; nil when no host is measured.
func (h *hostTracker) sample(now int64) []HostFigures {
	if h.m == nil {
		return nil
	}
	h.m.ReadHostTraffic(&h.cur)
	out := h.figures(&h.last, h.lastAt, now)
	h.last, h.cur = h.cur, h.last
	h.lastAt = now
	return out
}

// total is the phase's figures at now, with rates over the whole phase.
func (h *hostTracker) total(now int64) []HostFigures {
	if h.m == nil {
		return nil
	}
	h.m.ReadHostTraffic(&h.cur)
	return h.figures(&h.base, h.baseAt, now)
}

// figures compares h.cur, read at now, with the phase's base (the totals) and with from,
// read at fromAt (the rates).
func (h *hostTracker) figures(from *HostTraffic, fromAt, now int64) []HostFigures {
	n := min(len(h.cur.Hosts), len(h.base.Hosts), len(from.Hosts))
	out := make([]HostFigures, n)
	for i := range out {
		c, b := &h.cur.Hosts[i], &h.base.Hosts[i]
		out[i] = HostFigures{
			Host:      c.Host,
			Steps:     h.cur.Steps - h.base.Steps,
			StepNS:    h.cur.StepNS - h.base.StepNS,
			WallNS:    now - h.baseAt,
			SentBytes: c.SentBytes - b.SentBytes,
			RecvBytes: c.RecvBytes - b.RecvBytes,
			Commands:  c.Commands - b.Commands,
			BusyNS:    c.BusyNS - b.BusyNS,
			Rate:      hostRate(&from.Hosts[i], c, h.cur.StepNS-from.StepNS, now-fromAt),
		}
	}
	return out
}

func copyTraffic(dst, src *HostTraffic) {
	dst.Steps, dst.StepNS = src.Steps, src.StepNS
	dst.Hosts = append(dst.Hosts[:0], src.Hosts...)
}
