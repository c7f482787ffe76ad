package session

import (
	"context"
	"math"
	"time"

	"github.com/benchtui/benchtui/engine"
	"github.com/benchtui/benchtui/telemetry"
)

// Hardware watches the machine while a session runs: a telemetry monitor sampling the GPUs
// (or the host without an NVIDIA driver), the machine's description, and the memory
// bandwidth that bounds decode speed.
type Hardware struct {
	Monitor *telemetry.Monitor
	Machine telemetry.Machine
	// Note says why there is no GPU telemetry ("" when NVML works).
	Note string

	hostBW float64 // measured host bandwidth, bytes/s; 0 until measured
}

// StartHardware opens NVML (or the host source) and starts sampling every interval (the
// telemetry default when 0) until ctx ends or Close is called.
func StartHardware(ctx context.Context, interval time.Duration) *Hardware {
	src, reason := telemetry.Open(nil)
	h := &Hardware{
		Monitor: telemetry.NewMonitor(src, telemetry.Options{Interval: interval}),
		Machine: telemetry.DescribeMachine(nil),
		Note:    reason,
	}
	h.Monitor.Start(ctx)
	return h
}

// Close stops sampling.
func (h *Hardware) Close() error {
	if h == nil {
		return nil
	}
	return h.Monitor.Close()
}

// roofline is the bandwidth bound of a backend: the GPUs it uses, or the host's measured
// bandwidth when it runs on the CPU (an estimate).
func (h *Hardware) roofline(ctx context.Context, info engine.BackendInfo, tp int) telemetry.Roofline {
	if info.GPULayers != 0 && len(h.Machine.GPUs) > 0 {
		gpus := h.Machine.GPUs
		switch {
		case tp > 1 && tp <= len(gpus):
			gpus = gpus[:tp]
		case info.SplitMode == "none" || len(gpus) == 1:
			gpus = gpus[:1]
		}
		return telemetry.GPURoofline(gpus)
	}
	if h.hostBW == 0 {
		bw, err := telemetry.MeasureHostBandwidth(ctx, 256<<20, 500*time.Millisecond)
		if err != nil {
			return telemetry.Roofline{Note: "host bandwidth: " + err.Error()}
		}
		h.hostBW = bw
	}
	return telemetry.HostRoofline(h.hostBW)
}

// kvBytesPerToken is the KV cache a sequence adds per token: keys and values of every layer.
func kvBytesPerToken(info engine.BackendInfo) float64 {
	if info.NHead == 0 {
		return 0
	}
	bytesPer := 2.0 // f16
	switch info.KVType {
	case "f32":
		bytesPer = 4
	case "q8_0":
		bytesPer = 34.0 / 32
	case "q4_0":
		bytesPer = 18.0 / 32
	}
	return float64(2*info.NLayer*info.NHeadKV*(info.NEmbd/info.NHead)) * bytesPer
}

// HardwareReport is the report's benchtui.hardware section.
type HardwareReport struct {
	Machine telemetry.Machine    `json:"machine"`
	Note    string               `json:"telemetry_note,omitempty"`
	Summary telemetry.RunSummary `json:"summary"`
	Series  telemetry.Series     `json:"series"`
	// SpeedOfLight is absent when the bandwidth is not known.
	SpeedOfLight *SpeedOfLight `json:"speed_of_light,omitempty"`
}

// SpeedOfLight compares a run's output throughput with the decode rate that memory bandwidth
// allows at the run's mean batch and context: each decode step must read every weight once
// and the KV cache of every sequence in the batch.
type SpeedOfLight struct {
	Roofline        telemetry.Roofline `json:"roofline"`
	WeightBytes     float64            `json:"weight_bytes"`
	KVBytesPerToken float64            `json:"kv_bytes_per_token"`
	// MeanBatch and MeanContextTokens are averaged over the run's engine snapshots.
	MeanBatch         float64 `json:"mean_batch"`
	MeanContextTokens float64 `json:"mean_context_tokens"`
	// RooflineOutputTokS is the decode speed of light at the mean batch and context.
	RooflineOutputTokS float64 `json:"roofline_output_tok_s"`
	// AchievedPercent is the run's output throughput (prefill included) over the roofline.
	AchievedPercent float64 `json:"achieved_percent"`
}

// speedOfLight builds the section from a run's snapshots; nil without a bandwidth or batch.
func speedOfLight(r telemetry.Roofline, info engine.BackendInfo, series []engine.Snapshot, outputTokS float64) *SpeedOfLight {
	if r.BandwidthBytesPerSec <= 0 {
		return nil
	}
	var batch, ctxTok float64
	n := 0
	for _, s := range series {
		if s.Running == 0 {
			continue
		}
		batch += float64(s.Running)
		ctxTok += float64(s.KVUsedCells)
		n++
	}
	if n == 0 {
		return nil
	}
	batch /= float64(n)
	ctxTok /= float64(n)
	sol := &SpeedOfLight{
		Roofline: r, WeightBytes: float64(info.SizeBytes), KVBytesPerToken: kvBytesPerToken(info),
		MeanBatch: batch, MeanContextTokens: ctxTok,
	}
	b := max(1, int(math.Round(batch)))
	sol.RooflineOutputTokS = r.DecodeTokensPerSec(sol.WeightBytes, sol.KVBytesPerToken, b, int64(ctxTok))
	if sol.RooflineOutputTokS > 0 {
		sol.AchievedPercent = 100 * outputTokS / sol.RooflineOutputTokS
	}
	return sol
}
