package session

import (
	"path/filepath"
	"strings"

	"github.com/benchtui/benchtui/engine"
	"github.com/benchtui/benchtui/report"
	"github.com/benchtui/benchtui/telemetry"
)

// ReportExtra is what the report needs beyond the run: the caller's names for things.
type ReportExtra struct {
	// Config is the full configuration written under benchtui.config.
	Config    any
	Streaming bool
	PP        int
	Version   string
	// SLO, when set, measures the run's requests against it (the report's goodput section).
	SLO *report.SLO
}

// ServerTelemetryNote labels the hardware section of a run against servers that run already:
// what was sampled is this machine, which is the server's only when it runs here.
const ServerTelemetryNote = "telemetry of this machine (NVML or the host), where benchtui ran: the server's own GPUs only if it runs here"

// Report builds the run's trtllm-bench-compatible report.
func (s *base) Report(r *Run, x ReportExtra) report.Report {
	info := r.Info
	preset, dtype := s.model.Preset, string(s.model.DType)
	modelName := info.ModelName
	if preset != "" {
		// The name the model was given: a Hugging Face id, a folder, or the preset's.
		modelName = s.model.DisplayName()
	}
	if dtype == "" {
		dtype = "unknown"
	}
	var kvPct *float64
	if r.Spec.KVFreeMemFraction > 0 {
		f := r.Spec.KVFreeMemFraction
		kvPct = &f
	}
	tp := max(s.opts.TP, 1)
	seed := r.Spec.Gen.Seed
	if r.Spec.Requests != nil {
		seed = s.opts.Seed
	}
	eng := report.Engine{
		Model: modelName, ModelPath: s.modelFile, EngineDir: filepath.Dir(info.Library),
		Version: info.Version, Backend: info.Backend, Dtype: dtype, KVCacheDtype: info.KVType,
		Quantization: quantization(dtype),
	}
	synthetic := !s.model.IsFile()
	policy := ""
	if s.opts.BackendName() == BackendLlamaCpp {
		policy = r.Config.Policy.ReportName() // a server schedules by its own policy
	}
	remote := s.opts.BackendName() == BackendOpenAI
	if remote {
		// A server that runs already: its model is what it serves, its weights are unknown.
		eng = report.Engine{Model: info.ModelName, ModelPath: strings.Join(r.Endpoints, ","), Version: info.Version,
			Backend: info.Backend, Dtype: "unknown", KVCacheDtype: orUnknown(info.KVType), Quantization: "unknown"}
		preset, synthetic, policy = "", false, "" // the server's own, not known
	}
	rep := report.Build(report.Input{
		Records: r.Result.Records,
		Engine:  eng,
		Machine: machineOf(info),
		World: report.World{
			TPSize: tp, PPSize: max(x.PP, 1), MaxBatchSize: r.Config.MaxBatchSize, MaxNumTokens: r.Config.MaxNumTokens,
			SchedulingPolicy: policy, KVCachePercentage: kvPct,
		},
		Dataset:          datasetSection(r.Stats, r.Spec.SkippedLines),
		DatasetPath:      r.Spec.DatasetPath,
		Streaming:        x.Streaming,
		Config:           x.Config,
		Seed:             int64(seed),
		Preset:           preset,
		SyntheticWeights: synthetic,
		Version:          x.Version,
		LlamaCppCommit:   info.Commit,
		Warmup:           r.Result.WarmupRequests,
	})
	rep.BenchTUI.RPC = report.NewRPC(r.Result.Hosts, r.Result.Series, info.Devices)
	if r.Endpoints != nil {
		rep.BenchTUI.Serving = report.ComputeServing(r.Result.Records, report.ServingInput{
			API: orDefault(s.opts.Server.Endpoint, "completions"), Endpoints: r.Endpoints,
			TargetRate: r.Spec.RequestRate, Series: r.Result.Series,
		})
	}
	rep.BenchTUI.Devices = report.NewDeviceShares(info.Devices, nil, nil)
	if x.SLO != nil {
		rep.BenchTUI.Goodput = report.NewGoodputSection(r.Result.Records, *x.SLO)
	}
	if hw := s.env.Hardware; hw != nil {
		note := hw.Note
		if remote {
			note = strings.TrimSuffix(ServerTelemetryNote+"; "+note, "; ")
		}
		hr := &report.Hardware{
			Machine: hw.Machine,
			Note:    note,
			Summary: telemetry.Summarize(r.Telemetry, rep.BenchTUI.TotalOutputTokens),
			Series:  telemetry.NewSeries(r.Telemetry),
		}
		if s.roof != nil {
			hr.SpeedOfLight = report.NewSpeedOfLight(*s.roof, float64(info.SizeBytes), kvBytesPerToken(info, ""), r.Result.Series, rep.Performance.SystemOutputThroughputTokS)
		}
		rep.SetHardware(hr)
		rep.BenchTUI.Devices = report.NewDeviceShares(info.Devices, hw.GPUOrder(), &hr.Summary)
		if rep.Machine != nil {
			for _, g := range hw.Machine.GPUs {
				if g.MemoryClockMaxMHz > 0 {
					ghz := float64(g.MemoryClockMaxMHz) / 1000
					rep.Machine.MemClockGHz = &ghz
				}
				break
			}
		}
	}
	return rep
}

func quantization(dtype string) string {
	switch dtype {
	case "q8_0", "q4_0":
		return dtype
	}
	return "none"
}

// machineOf fills trtllm-bench's machine section from the first GPU (null on the CPU).
func machineOf(info engine.BackendInfo) *report.Machine {
	if info.GPULayers == 0 {
		return nil
	}
	for _, d := range info.Devices {
		if d.Type == "gpu" {
			gb := float64(d.TotalBytes) / (1 << 30)
			return &report.Machine{Name: d.Description, MemoryTotalGB: &gb}
		}
	}
	return nil
}

// datasetSection adds the skipped-line count to the dataset statistics.
func datasetSection(stats report.Dataset, skipped int) *report.Dataset {
	stats.SkippedLines = skipped
	return &stats
}

func orUnknown(s string) string { return orDefault(s, "unknown") }

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
