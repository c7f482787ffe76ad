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
