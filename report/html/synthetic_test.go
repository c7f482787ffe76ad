package html

import (
	"math/rand/v2"
	"time"

	"github.com/benchtui/benchtui/engine"
	"github.com/benchtui/benchtui/report"
	"github.com/benchtui/benchtui/telemetry"
)

// syntheticExport makes an export of n requests as a busy GPU server would record them:
// slots of a concurrency limit, a queue for the batch, a prefill and osl decode steps, and
// the engine snapshots and GPU telemetry of the run. Its report is report.Build's, so
// every figure is computed as for a real run. It is seeded: the same n gives the same run.
func syntheticExport(n, osl int) *report.Export {
	rng := rand.New(rand.NewPCG(7, uint64(n)))
	const (
		concurrency = 512
		batch       = 256
		stepNS      = int64(9 * time.Millisecond)
	)
	// Each slot runs requests back to back; a request waits in the queue until one of the
	// batch's sequences is free, then prefills and decodes.
	slotFree := make([]int64, concurrency)
	seqFree := make([]int64, batch)
	recs := make([]engine.Record, n)
	for i := range recs {
		s := i % concurrency
		start := slotFree[s] + int64(rng.IntN(2_000_000))
		q := i % batch
		admit := max(start, seqFree[q])
		isl := 96 + rng.IntN(64)
		prefill := int64(isl)*60_000 + int64(rng.IntN(4_000_000))
		first := admit + prefill
		toks := make([]int64, osl)
		t := first
		for k := range toks {
			if k > 0 {
				t += stepNS + int64(rng.NormFloat64()*1e6)
				if rng.IntN(400) == 0 {
					t += 40 * stepNS // a stall, so the ITL tail is there to see
				}
			}
			toks[k] = t
		}
		recs[i] = engine.Record{Index: i, TaskID: int64(i), InputTokens: isl, TargetOutputTokens: osl,
			StartNS: start, AdmitNS: admit, FirstTokenNS: first, EndNS: t, TokenNS: toks, Status: engine.StatusCompleted}
		slotFree[s] = t
		seqFree[q] = t
	}
	var end int64
	for i := range recs {
		end = max(end, recs[i].EndNS)
	}
	rep := report.Build(report.Input{
		Records: recs,
		Engine: report.Engine{Model: "llama-3.1-8b", Backend: "llamacpp", Version: "v0.5.0", Dtype: "f16",
			KVCacheDtype: "f16", Quantization: "none"},
		Machine: &report.Machine{Name: "NVIDIA H200"},
		World:   report.World{TPSize: 1, PPSize: 1, MaxBatchSize: batch, MaxNumTokens: 8192, SchedulingPolicy: "fcfs"},
		Seed:    420, Preset: "llama-3.1-8b", Version: "synthetic", Streaming: true,
	})

	var snaps []engine.Snapshot
	for t := int64(0); t < end; t += int64(100 * time.Millisecond) {
		running, queued := 0, 0
		for i := range recs {
			r := &recs[i]
			switch {
			case r.StartNS <= t && t < r.AdmitNS:
				queued++
			case r.AdmitNS <= t && t < r.EndNS:
				running++
			}
		}
		snaps = append(snaps, engine.Snapshot{Phase: engine.PhaseRunning, ElapsedNS: t, Running: running, Queued: queued,
			KVUsage: float64(running) / batch * 0.8, BatchOccupancy: float64(running) / batch, SpeedOfLightTokS: 40000 + float64(rng.IntN(500))})
	}

	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	dev := telemetry.Device{Index: 0, Name: "NVIDIA H200", Kind: telemetry.KindGPU}
	rec := telemetry.Recording{Source: "nvml", Interval: 250 * time.Millisecond, Devices: []telemetry.Device{dev},
		Start: t0, End: t0.Add(time.Duration(end)), Samples: [][]telemetry.Sample{nil}}
	energy := uint64(0)
	for t := time.Duration(0); t <= time.Duration(end); t += 250 * time.Millisecond {
		p := 420 + 60*rng.Float64()
		energy += uint64(p * 250)
		rec.Samples[0] = append(rec.Samples[0], telemetry.Sample{Time: t0.Add(t),
			Valid:       telemetry.FieldUtil | telemetry.FieldMemUsed | telemetry.FieldPower | telemetry.FieldEnergy,
			UtilPercent: 70 + 25*rng.Float64(), MemUsedBytes: 17 << 30, PowerW: p, EnergyMJ: energy})
	}
	hw := &report.Hardware{
		Summary: telemetry.Summarize(rec, rep.BenchTUI.TotalOutputTokens),
		Series:  telemetry.NewSeries(rec),
		SpeedOfLight: &report.SpeedOfLight{Roofline: telemetry.Roofline{BandwidthBytesPerSec: 4.8e12, Source: "table"},
			WeightBytes: 16e9, KVBytesPerToken: 131072, MeanBatch: 250, MeanContextTokens: 30000, RooflineOutputTokS: 40000,
			AchievedPercent: 100 * rep.Performance.SystemOutputThroughputTokS / 40000},
	}
	rep.SetHardware(hw)
	return &report.Export{Format: report.ExportFormat, Report: rep, Requests: recs, Snapshots: snaps}
}
