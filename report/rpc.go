package report

import (
	"fmt"
	"strings"

	"github.com/benchtui/benchtui/engine"
)

// RPC is the report's benchtui.rpc section: the traffic to each RPC server the model was
// spread over, measured around its connection during the benchmark phase.
type RPC struct {
	// Steps is the decode steps of the phase and MeanStepMS their mean time.
	Steps      int64   `json:"steps"`
	MeanStepMS float64 `json:"mean_step_ms"`
	// Hosts are the servers, in --rpc order.
	Hosts []RPCHost `json:"hosts"`
	// Note says how the figures were measured.
	Note string `json:"note"`
}

// RPCHost is one server's traffic over the phase.
type RPCHost struct {
	Host string `json:"host"`
	// Devices names the server's devices (as llama.cpp names them, RPC0, RPC1, ...).
	Devices []string `json:"devices,omitempty"`
	// ModelBytes is the model's weights on those devices, as llama.cpp's load log says.
	ModelBytes uint64 `json:"model_bytes,omitempty"`
	// SentBytes and ReceivedBytes are the bytes to and from the server, Commands the RPC
	// commands sent.
	SentBytes     uint64 `json:"sent_bytes"`
	ReceivedBytes uint64 `json:"received_bytes"`
	Commands      uint64 `json:"commands"`
	// The same per decode step.
	SentBytesPerStep     float64 `json:"sent_bytes_per_step"`
	ReceivedBytesPerStep float64 `json:"received_bytes_per_step"`
	CommandsPerStep      float64 `json:"commands_per_step"`
	// SentMBPerSec and ReceivedMBPerSec are over the phase's wall time (MB = 10^6 bytes).
	SentMBPerSec     float64 `json:"sent_mb_per_sec"`
	ReceivedMBPerSec float64 `json:"received_mb_per_sec"`
	// WaitMSPerStep is the mean time per step the server had a command outstanding, and
	// WaitShare that time over the step time: the share of step time spent waiting on it.
	WaitMSPerStep float64 `json:"wait_ms_per_step"`
	WaitShare     float64 `json:"wait_share"`
}

// RPCNote states how the section's figures are measured, in the file itself.
const RPCNote = "bytes are counted by a relay on loopback between llama.cpp and each server; a server's wait is the time " +
	"from a request's first byte to the last byte of the reply that leaves nothing outstanding, summed over the " +
	"benchmark phase's decode steps and divided by their time"

// NewRPC builds the section from a run's per-host figures (engine.Result.Hosts), or, for a
// run whose backend process died before returning them, from the last snapshot's. devices
// lists the backend's devices, for the servers' device names. It returns nil when no
// traffic was measured.
func NewRPC(hosts []engine.HostFigures, series []engine.Snapshot, devices []engine.Device) *RPC {
	if len(hosts) == 0 {
		for i := len(series) - 1; i >= 0 && len(hosts) == 0; i-- {
			hosts = series[i].Hosts
		}
	}
	if len(hosts) == 0 {
		return nil
	}
	s := &RPC{Steps: hosts[0].Steps, Note: RPCNote}
	if hosts[0].Steps > 0 {
		s.MeanStepMS = float64(hosts[0].StepNS) / float64(hosts[0].Steps) / 1e6
	}
	for i := range hosts {
		h := &hosts[i]
		r := RPCHost{
			Host: h.Host, SentBytes: h.SentBytes, ReceivedBytes: h.RecvBytes, Commands: h.Commands,
			SentBytesPerStep: h.SentPerStep(), ReceivedBytesPerStep: h.RecvPerStep(), CommandsPerStep: h.CommandsPerStep(),
			SentMBPerSec: h.SentPerSec() / 1e6, ReceivedMBPerSec: h.RecvPerSec() / 1e6,
			WaitMSPerStep: h.BusyPerStepNS() / 1e6, WaitShare: h.BusyShare(),
		}
		for _, d := range devices {
			if d.Host == h.Host {
				r.Devices = append(r.Devices, d.Name)
				r.ModelBytes += d.ModelBytes
			}
		}
		s.Hosts = append(s.Hosts, r)
	}
	return s
}

// writeRPCSection prints the per-host traffic.
func writeRPCSection(b *strings.Builder, s *RPC) {
	summaryTitle(b, "RPC HOSTS")
	fmt.Fprintf(b, "Decode steps: %d, mean %.3f ms\n", s.Steps, s.MeanStepMS)
	fmt.Fprintf(b, "%-22s %-10s %10s %14s %14s %10s %10s %9s %8s\n", "host", "devices", "weights", "sent B/step", "recv B/step", "sent MB/s", "recv MB/s", "wait ms", "wait %")
	for _, h := range s.Hosts {
		devs := strings.Join(h.Devices, ",")
		if devs == "" {
			devs = "-"
		}
		fmt.Fprintf(b, "%-22s %-10s %10s %14.0f %14.0f %10.2f %10.2f %9.3f %7.1f%%\n", h.Host, devs, mib(h.ModelBytes),
			h.SentBytesPerStep, h.ReceivedBytesPerStep, h.SentMBPerSec, h.ReceivedMBPerSec, h.WaitMSPerStep, 100*h.WaitShare)
	}
	b.WriteString(summaryBanner + "\n")
}

// mib writes a size in MiB, "-" when not known.
func mib(b uint64) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
}
