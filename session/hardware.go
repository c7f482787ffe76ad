package session

import (
	"context"
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
