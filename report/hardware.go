package report

import (
	"math"

	"github.com/benchtui/benchtui/engine"
	"github.com/benchtui/benchtui/telemetry"
)

// Hardware is the report's benchtui.hardware section: what the machine did during the run.
type Hardware struct {
	Machine telemetry.Machine    `json:"machine"`
	Note    string               `json:"telemetry_note,omitempty"`
	Summary telemetry.RunSummary `json:"summary"`
	Series  telemetry.Series     `json:"series"`
	// SpeedOfLight is absent when the bandwidth is not known.
	SpeedOfLight *SpeedOfLight `json:"speed_of_light,omitempty"`
}

// Energy is the report's top-level "energy" object, as trtllm-bench's reports carry it: the
// GPUs' energy over the run (with the warmup, since the telemetry window spans the whole run)
// and what it bought.
type Energy struct {
	// TotalEnergyJ is the energy of every GPU the run used, in joules.
	TotalEnergyJ float64 `json:"total_energy_j"`
	// OutputTPSPerW is performance.system_output_throughput_tok_s over AverageGPUPower:
	// output tokens per second per watt, that is output tokens per joule.
	OutputTPSPerW float64 `json:"output_tps_per_w"`
	// AverageGPUPower is TotalEnergyJ over the telemetry window, in watts (the GPUs together).
	AverageGPUPower float64 `json:"average_gpu_power"`
}

// NewEnergy computes the energy object from a run's telemetry summary and its output
// throughput; nil when the summary has no energy or no duration.
func NewEnergy(sum telemetry.RunSummary, outputTokS float64) *Energy {
	if sum.EnergyJ == nil || sum.DurationS <= 0 || !finite(*sum.EnergyJ) {
		return nil
	}
	e := &Energy{TotalEnergyJ: *sum.EnergyJ, AverageGPUPower: *sum.EnergyJ / sum.DurationS}
	if e.AverageGPUPower > 0 {
		e.OutputTPSPerW = finiteOrZero(outputTokS / e.AverageGPUPower)
	}
	return e
}

// SetHardware attaches what the machine did during the run: the hardware section, and the
// energy object computed from it.
func (r *Report) SetHardware(hw *Hardware) {
	r.BenchTUI.Hardware = hw
	r.Energy = nil
	if hw != nil {
		r.Energy = NewEnergy(hw.Summary, r.Performance.SystemOutputThroughputTokS)
	}
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

// NewSpeedOfLight builds the section from a run's snapshots, for a model of weightBytes whose
// KV cache grows by kvBytesPerToken per token; nil without a bandwidth or a batch.
func NewSpeedOfLight(r telemetry.Roofline, weightBytes, kvBytesPerToken float64, series []engine.Snapshot, outputTokS float64) *SpeedOfLight {
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
		Roofline: r, WeightBytes: weightBytes, KVBytesPerToken: kvBytesPerToken,
		MeanBatch: batch, MeanContextTokens: ctxTok,
	}
	b := max(1, int(math.Round(batch)))
	sol.RooflineOutputTokS = r.DecodeTokensPerSec(sol.WeightBytes, sol.KVBytesPerToken, b, int64(ctxTok))
	if sol.RooflineOutputTokS > 0 {
		sol.AchievedPercent = 100 * outputTokS / sol.RooflineOutputTokS
	}
	return sol
}
