package report

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/benchtui/benchtui/engine"
)

// Report is the run report (--report_json). Its top-level objects and their keys are
// trtllm-bench's, with the same names, units and meaning, so that scripts written for
// trtllm-bench read it unchanged. Everything benchtui adds lives under the one extra top-level
// key "benchtui", where no trtllm-bench reader looks.
type Report struct {
	Engine      Engine      `json:"engine"`
	Machine     *Machine    `json:"machine"`
	WorldInfo   World       `json:"world_info"`
	RequestInfo RequestInfo `json:"request_info"`
	Performance Performance `json:"performance"`
	// StreamingMetrics is written for every run: trtllm-bench writes it only in streaming
	// mode because only then does it see token times, but benchtui always times every token.
	// BenchTUI.Streaming records the mode.
	StreamingMetrics Streaming `json:"streaming_metrics"`
	// Dataset is the dataset statistics section (isl_stats, osl_stats, ...); nil is written
	// as null.
	Dataset *Dataset `json:"dataset"`
	// Energy is trtllm-bench's top-level energy object; absent when no energy was measured
	// (no NVIDIA GPU, or one without an energy counter or power readings).
	Energy   *Energy  `json:"energy,omitempty"`
	BenchTUI BenchTUI `json:"benchtui"`
}

// Engine is trtllm-bench's "engine" object. Version is the inference runtime's version
// (llama.cpp here, TensorRT-LLM there).
type Engine struct {
	Model        string `json:"model"`
	ModelPath    string `json:"model_path"`
	EngineDir    string `json:"engine_dir"`
	Version      string `json:"version"`
	Backend      string `json:"backend"`
	Dtype        string `json:"dtype"`
	KVCacheDtype string `json:"kv_cache_dtype"`
	Quantization string `json:"quantization"`
}

// Machine is trtllm-bench's "machine" object: the first GPU. A nil *Machine is
// written as null, as trtllm-bench does without a GPU; nil fields mean "not known".
type Machine struct {
	Name string `json:"name"`
	// MemoryTotalGB is the device memory in GiB (trtllm-bench divides bytes by 1024^3).
	MemoryTotalGB *float64 `json:"memory.total"`
	// MemClockGHz is the maximum memory clock in GHz.
	MemClockGHz *float64 `json:"clocks.mem"`
}

// World is trtllm-bench's "world_info" object.
type World struct {
	TPSize           int    `json:"tp_size"`
	PPSize           int    `json:"pp_size"`
	EPSize           int    `json:"ep_size"`
	WorldSize        int    `json:"world_size"`
	MaxBatchSize     int    `json:"max_batch_size"`
	MaxNumTokens     int    `json:"max_num_tokens"`
	SchedulingPolicy string `json:"scheduling_policy"`
	// KVCachePercentage is the fraction (0.90, not 90) of free memory given to the KV cache;
	// nil where the backend sizes the cache otherwise.
	KVCachePercentage *float64 `json:"kv_cache_percentage"`
	// IssueRate is in requests per second (trtllm-bench's value has wrong units; this one is
	// the rate it meant).
	IssueRate float64 `json:"issue_rate"`
}

// RequestInfo is trtllm-bench's "request_info" object.
type RequestInfo struct {
	NumRequests              int     `json:"num_requests"`
	AvgNumConcurrentRequests float64 `json:"avg_num_concurrent_requests"`
	AvgInputLength           float64 `json:"avg_input_length"`
	AvgOutputLength          float64 `json:"avg_output_length"`
}

// Performance is trtllm-bench's "performance" object.
type Performance struct {
	TotalLatencyMS              float64     `json:"total_latency_ms"`
	AvgRequestLatencyMS         float64     `json:"avg_request_latency_ms"`
	RequestThroughputReqS       float64     `json:"request_throughput_req_s"`
	SystemOutputThroughputTokS  float64     `json:"system_output_throughput_tok_s"`
	SystemTotalThroughputTokS   float64     `json:"system_total_throughput_tok_s"`
	OutputThroughputPerUserTokS float64     `json:"output_throughput_per_user_tok_s"`
	OutputThroughputPerGPUTokS  float64     `json:"output_throughput_per_gpu_tok_s"`
	RequestLatencyPercentilesMS Percentiles `json:"request_latency_percentiles_ms"`
}

// Streaming is trtllm-bench's "streaming_metrics" object. TPOT and TTFT percentiles are
// in ms, GTPS in tokens per second per user.
type Streaming struct {
	TokenOutputSpeedTokS float64     `json:"token_output_speed_tok_s"`
	AvgTTFTMS            float64     `json:"avg_ttft_ms"`
	AvgTPOTMS            float64     `json:"avg_tpot_ms"`
	TPOTPercentiles      Percentiles `json:"tpot_percentiles"`
	TTFTPercentiles      Percentiles `json:"ttft_percentiles"`
	GenTPSPercentiles    Percentiles `json:"gen_tps_percentiles"`
}

// Percentiles is trtllm-bench's PercentileStats, with its keys in its order. It has no
// sample count, unlike Distribution; counts are in BenchTUI.SampleCounts.
type Percentiles struct {
	P50     float64 `json:"p50"`
	P90     float64 `json:"p90"`
	P95     float64 `json:"p95"`
	P99     float64 `json:"p99"`
	Minimum float64 `json:"minimum"`
	Maximum float64 `json:"maximum"`
	Average float64 `json:"average"`
}

// BenchTUI holds what benchtui reports beyond trtllm-bench.
type BenchTUI struct {
	// Version is benchtui's version.
	Version         string `json:"version"`
	LlamaCppVersion string `json:"llama_cpp_version"`
	LlamaCppCommit  string `json:"llama_cpp_commit"`
	ModelPreset     string `json:"model_preset"`
	ModelDtype      string `json:"model_dtype"`
	// SyntheticWeights is set when the weights were benchtui's synthetic ones (a preset, a
	// Hugging Face id or a config.json): speed as the real model's, output meaningless.
	SyntheticWeights bool  `json:"synthetic_weights"`
	Seed             int64 `json:"seed"`
	Streaming        bool  `json:"streaming"`
	WarmupRequests   int   `json:"warmup_requests"`
	// NumCompleted is request_info.num_requests; NumFailed and NumCanceled requests (cut
	// short or kept from starting by a failure of the run, or by its cancellation) are
	// excluded from every metric.
	NumCompleted      int   `json:"num_completed"`
	NumFailed         int   `json:"num_failed"`
	NumCanceled       int   `json:"num_canceled"`
	TotalInputTokens  int64 `json:"total_input_tokens"`
	TotalOutputTokens int64 `json:"total_output_tokens"`
	// ITLPercentilesMS pools every inter-token gap of every request.
	ITLPercentilesMS Percentiles `json:"itl_percentiles_ms"`
	// QueueTimePercentilesMS is admit - start per request.
	QueueTimePercentilesMS Percentiles `json:"queue_time_percentiles_ms"`
	// OutputThroughputPerUserPercentiles is n_out/e2e per request (tokens per second), whose
	// average is performance.output_throughput_per_user_tok_s.
	OutputThroughputPerUserPercentiles Percentiles `json:"output_throughput_per_user_percentiles_tok_s"`
	// SampleCounts says how many values each distribution summarises, since TPOT and GTPS
	// leave out single-token requests and ITL counts gaps, not requests.
	SampleCounts SampleCounts `json:"sample_counts"`
	// SampleCountsNote states the rule behind the counts (SampleCountsRule), in the file
	// itself so that a reader comparing with trtllm-bench sees it.
	SampleCountsNote string `json:"sample_counts_note"`
	// TimeSeriesBucketS is the nominal bucket width of TimeSeries, in seconds.
	TimeSeriesBucketS float64           `json:"time_series_bucket_s"`
	TimeSeries        []TimeSeriesPoint `json:"time_series"`
	// Config is the run's full configuration as the caller gave it.
	Config any `json:"config"`
	// Hardware is what the machine did during the run (telemetry, energy, speed of light),
	// filled by the caller; left out when not measured.
	Hardware *Hardware `json:"hardware,omitempty"`
	// RPC is the traffic to each RPC server of the run, when measured (see NewRPC).
	RPC *RPC `json:"rpc,omitempty"`
}

// SampleCountsRule is the report's note beside sample_counts: which requests each
// distribution counts where trtllm-bench counts otherwise.
const SampleCountsRule = "tpot and gen_tps leave out requests with a single output token, which have no time " +
	"per output token (trtllm-bench counts them as 0); itl counts every gap between two tokens, not requests; " +
	"only completed requests are counted"

// SampleCounts is the sample size of each distribution in the report.
type SampleCounts struct {
	RequestLatency          int `json:"request_latency"`
	TTFT                    int `json:"ttft"`
	TPOT                    int `json:"tpot"`
	GenTPS                  int `json:"gen_tps"`
	OutputThroughputPerUser int `json:"output_throughput_per_user"`
	ITL                     int `json:"itl"`
	QueueTime               int `json:"queue_time"`
}

// Input is everything Build needs.
type Input struct {
	// Records are the benchmark requests, warmup excluded, failed ones included.
	Records []engine.Record
	// Metrics, when nil, are computed from Records with World's TP and PP sizes.
	Metrics *Metrics
	// Engine is copied as given; Engine.Version is llama.cpp's version.
	Engine Engine
	// Machine is nil when no GPU is known.
	Machine *Machine
	// World is copied as given, except: WorldSize 0 becomes TP*PP, EPSize 0 becomes 1, and
	// IssueRate 0 becomes the measured issue rate.
	World World
	// Dataset is the dataset statistics section (see DatasetStats); nil for none.
	Dataset *Dataset
	// DatasetPath becomes the dataset section's "dataset_path" when the section has none.
	DatasetPath string
	Streaming   bool
	// Config is the run's full configuration, written under benchtui.config.
	Config any
	Seed   int64
	// Preset is the model preset's name.
	Preset string
	// SyntheticWeights says that the weights were synthetic.
	SyntheticWeights bool
	// Version is benchtui's version.
	Version string
	// LlamaCppCommit is llama.cpp's build commit.
	LlamaCppCommit string
	// Warmup is the number of warmup requests run before the benchmark.
	Warmup int
	// TimeSeriesBucket is the time series bucket width (DefaultTimeSeriesBucket when 0).
	TimeSeriesBucket time.Duration
}

// Build assembles the report. It never fails: a dataset section that cannot be encoded is
// kept as given and shows up when the report is written.
func Build(in Input) Report {
	world := in.World
	if world.EPSize == 0 {
		world.EPSize = 1
	}
	if world.WorldSize == 0 {
		world.WorldSize = max(world.TPSize, 1) * max(world.PPSize, 1)
	}
	var m Metrics
	if in.Metrics != nil {
		m = *in.Metrics
	} else {
		m = ComputeMetrics(in.Records, world.TPSize, world.PPSize)
	}
	if world.IssueRate == 0 {
		world.IssueRate = m.IssueRate
	}
	world.IssueRate = finiteOrZero(world.IssueRate)
	if world.KVCachePercentage != nil {
		v := finiteOrZero(*world.KVCachePercentage)
		world.KVCachePercentage = &v
	}
	bucket := in.TimeSeriesBucket
	if bucket <= 0 {
		bucket = DefaultTimeSeriesBucket
	}

	return Report{
		Engine:    in.Engine,
		Machine:   sanitizeMachine(in.Machine),
		WorldInfo: world,
		RequestInfo: RequestInfo{
			NumRequests:              m.NumCompleted,
			AvgNumConcurrentRequests: finiteOrZero(m.AvgConcurrentRequests),
			AvgInputLength:           finiteOrZero(m.AvgInputLength),
			AvgOutputLength:          finiteOrZero(m.AvgOutputLength),
		},
		Performance: Performance{
			TotalLatencyMS:              finiteOrZero(m.TotalLatencyMS),
			AvgRequestLatencyMS:         finiteOrZero(m.AvgRequestLatencyMS),
			RequestThroughputReqS:       finiteOrZero(m.RequestThroughput),
			SystemOutputThroughputTokS:  finiteOrZero(m.OutputThroughput),
			SystemTotalThroughputTokS:   finiteOrZero(m.TotalTokenThroughput),
			OutputThroughputPerUserTokS: finiteOrZero(m.OutputPerUser.Average),
			OutputThroughputPerGPUTokS:  finiteOrZero(m.PerGPUOutputThroughput),
			RequestLatencyPercentilesMS: toPercentiles(m.RequestLatencyMS),
		},
		StreamingMetrics: Streaming{
			TokenOutputSpeedTokS: finiteOrZero(m.GenTPS.Average),
			AvgTTFTMS:            finiteOrZero(m.TTFTMS.Average),
			AvgTPOTMS:            finiteOrZero(m.TPOTMS.Average),
			TPOTPercentiles:      toPercentiles(m.TPOTMS),
			TTFTPercentiles:      toPercentiles(m.TTFTMS),
			GenTPSPercentiles:    toPercentiles(m.GenTPS),
		},
		Dataset: datasetSection(in.Dataset, in.DatasetPath),
		BenchTUI: BenchTUI{
			Version:                            in.Version,
			LlamaCppVersion:                    in.Engine.Version,
			LlamaCppCommit:                     in.LlamaCppCommit,
			ModelPreset:                        in.Preset,
			ModelDtype:                         in.Engine.Dtype,
			SyntheticWeights:                   in.SyntheticWeights,
			Seed:                               in.Seed,
			Streaming:                          in.Streaming,
			WarmupRequests:                     in.Warmup,
			NumCompleted:                       m.NumCompleted,
			NumFailed:                          m.NumFailed,
			NumCanceled:                        m.NumCanceled,
			TotalInputTokens:                   m.TotalInputTokens,
			TotalOutputTokens:                  m.TotalOutputTokens,
			ITLPercentilesMS:                   toPercentiles(m.ITLMS),
			QueueTimePercentilesMS:             toPercentiles(m.QueueTimeMS),
			OutputThroughputPerUserPercentiles: toPercentiles(m.OutputPerUser),
			SampleCounts: SampleCounts{
				RequestLatency:          m.RequestLatencyMS.Count,
				TTFT:                    m.TTFTMS.Count,
				TPOT:                    m.TPOTMS.Count,
				GenTPS:                  m.GenTPS.Count,
				OutputThroughputPerUser: m.OutputPerUser.Count,
				ITL:                     m.ITLMS.Count,
				QueueTime:               m.QueueTimeMS.Count,
			},
			SampleCountsNote:  SampleCountsRule,
			TimeSeriesBucketS: bucket.Seconds(),
			TimeSeries:        timeSeriesOrEmpty(in.Records, bucket),
			Config:            in.Config,
		},
	}
}

// timeSeriesOrEmpty is TimeSeries, with an empty run written as [] rather than null so that
// scripts can iterate over it without a check.
func timeSeriesOrEmpty(records []engine.Record, bucket time.Duration) []TimeSeriesPoint {
	if ts := TimeSeries(records, bucket); ts != nil {
		return ts
	}
	return []TimeSeriesPoint{}
}

// finiteOrZero maps NaN and ±Inf to 0: encoding/json refuses them, and one bad value must not cost
// the whole report.
func finiteOrZero(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0
	}
	return x
}

// toPercentiles converts a Distribution to trtllm-bench's percentile object.
func toPercentiles(d Distribution) Percentiles {
	return Percentiles{
		P50:     finiteOrZero(d.P50),
		P90:     finiteOrZero(d.P90),
		P95:     finiteOrZero(d.P95),
		P99:     finiteOrZero(d.P99),
		Minimum: finiteOrZero(d.Minimum),
		Maximum: finiteOrZero(d.Maximum),
		Average: finiteOrZero(d.Average),
	}
}

// sanitizeMachine copies m with non-finite numbers dropped to "not known".
func sanitizeMachine(m *Machine) *Machine {
	if m == nil {
		return nil
	}
	c := *m
	for _, p := range []**float64{&c.MemoryTotalGB, &c.MemClockGHz} {
		if *p != nil && finiteOrZero(**p) != **p {
			*p = nil
		}
	}
	return &c
}

// datasetSection copies the caller's dataset section, with its path filled when it has none.
func datasetSection(ds *Dataset, path string) *Dataset {
	if ds == nil {
		return nil
	}
	c := *ds
	if c.DatasetPath == "" {
		c.DatasetPath = path
	}
	return &c
}

// WriteJSON writes the report as trtllm-bench does: indented by four spaces.
func (r *Report) WriteJSON(w io.Writer) error {
	b, err := json.MarshalIndent(r, "", "    ")
	if err != nil {
		return fmt.Errorf("encode report: %w", err)
	}
	b = append(b, '\n')
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}
