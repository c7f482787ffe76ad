package session

import (
	"context"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
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

// usedGPUs lists the NVML indices of the GPUs a backend computes on: those CUDA lets it see
// (CUDA_VISIBLE_DEVICES, by index or UUID), then the first one (split mode none, --tp 1)
// or the first tp. NVML sees every GPU of the machine whatever CUDA_VISIBLE_DEVICES says,
// so without this a run on one GPU would be charged the idle power of the others.
func (h *Hardware) usedGPUs(info engine.BackendInfo, tp int) []int {
	if info.GPULayers == 0 {
		return nil
	}
	var visible []int
	if env, ok := os.LookupEnv("CUDA_VISIBLE_DEVICES"); ok {
		for _, tok := range strings.Split(env, ",") {
			tok = strings.TrimSpace(tok)
			for _, g := range h.Machine.GPUs {
				if tok == strconv.Itoa(g.Index) || (strings.HasPrefix(tok, "GPU-") && strings.HasPrefix(g.UUID, tok)) {
					visible = append(visible, g.Index)
				}
			}
		}
	} else {
		for _, g := range h.Machine.GPUs {
			visible = append(visible, g.Index)
		}
	}
	switch {
	case tp > 1 && tp <= len(visible):
		visible = visible[:tp]
	case (info.SplitMode == "none" || tp <= 1) && len(visible) > 1:
		visible = visible[:1]
	}
	return visible
}

// roofline is the bandwidth bound of a backend: the GPUs it uses, or the host's measured
// bandwidth when it runs on the CPU (an estimate).
func (h *Hardware) roofline(ctx context.Context, info engine.BackendInfo, tp int) telemetry.Roofline {
	if used := h.usedGPUs(info, tp); len(used) > 0 {
		var gpus []telemetry.GPUInfo
		for _, g := range h.Machine.GPUs {
			if slices.Contains(used, g.Index) {
				gpus = append(gpus, g)
			}
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

// kvBytesPerToken is the KV cache a sequence adds per token: keys and values of every layer,
// in the cache's type (the backend's when kvType is "").
func kvBytesPerToken(info engine.BackendInfo, kvType string) float64 {
	if info.NHead == 0 {
		return 0
	}
	if kvType == "" {
		kvType = info.KVType
	}
	bytesPer := 2.0 // f16
	switch kvType {
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
		Roofline: r, WeightBytes: float64(info.SizeBytes), KVBytesPerToken: kvBytesPerToken(info, ""),
		MeanBatch: batch, MeanContextTokens: ctxTok,
	}
	b := max(1, int(math.Round(batch)))
	sol.RooflineOutputTokS = r.DecodeTokensPerSec(sol.WeightBytes, sol.KVBytesPerToken, b, int64(ctxTok))
	if sol.RooflineOutputTokS > 0 {
		sol.AchievedPercent = 100 * outputTokS / sol.RooflineOutputTokS
	}
	return sol
}

// onlyGPUs keeps the devices of rec whose index is in used (all of them when used is empty:
// a CPU run, or a host recording).
func onlyGPUs(rec telemetry.Recording, used []int) telemetry.Recording {
	if len(used) == 0 {
		return rec
	}
	out := rec
	out.Devices, out.Samples = nil, nil
	for i, d := range rec.Devices {
		if d.Kind == telemetry.KindGPU && !slices.Contains(used, d.Index) {
			continue
		}
		out.Devices = append(out.Devices, d)
		if i < len(rec.Samples) {
			out.Samples = append(out.Samples, rec.Samples[i])
		} else {
			out.Samples = append(out.Samples, nil)
		}
	}
	return out
}
