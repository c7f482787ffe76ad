package report

import (
	"slices"

	"github.com/benchtui/benchtui/engine"
)

// Serving is the report's benchtui.serving section, written for runs against an HTTP server
// (--backend openai or llama-server): how well the client kept its arrival schedule, whether
// the server honoured the requested output lengths, the server's own timings beside the
// client's, the figures of each endpoint when there were several, and the server's own
// metrics over the run. Its figures come from the records and snapshots alone.
type Serving struct {
	// API is the endpoint the requests went to: "completions" or "chat".
	API string `json:"api"`
	// Endpoints are the base URLs, in the order requests went to them (round-robin).
	Endpoints []string `json:"endpoints"`
	// Load is the achieved against the target rate and the send lag (ComputeLoadStats).
	Load LoadStats `json:"load"`
	// Lengths compares the output lengths asked for with the server's own counts.
	Lengths Lengths `json:"lengths"`
	// Chunks counts the streamed chunks that carried output; when there are fewer chunks than
	// tokens, the server sent several tokens in a chunk and inter-token latency is per chunk.
	Chunks Chunks `json:"chunks"`
	// ServerTimings sets the server's own timings of each request beside the client's
	// figures; absent when the server reports none (only llama-server does).
	ServerTimings *ServerTimings `json:"server_timings,omitempty"`
	// PerEndpoint holds each endpoint's figures; absent with a single endpoint, whose figures
	// are the report's.
	PerEndpoint []EndpointFigures `json:"per_endpoint,omitempty"`
	// ServerMetrics is the series of the servers' own metrics (Prometheus /metrics) read
	// during the run, one entry per reading; absent when the servers expose none.
	ServerMetrics []engine.ServerMetrics `json:"server_metrics,omitempty"`
}

// Lengths says whether the server produced the output lengths that the requests asked for
// (max_tokens with ignore_eos): the server's usage count against output_tokens, over the
// completed requests.
type Lengths struct {
	// Requested is the sum of the completed requests' output_tokens, Generated the sum of
	// their output tokens as counted (the server's usage, else the chunks).
	Requested int64 `json:"requested_output_tokens"`
	Generated int64 `json:"generated_output_tokens"`
	// Honoured counts the completed requests whose output had the requested length;
	// Mismatched those whose output had another (possible only with --any_length: by
	// default such a request fails, saying so).
	Honoured   int `json:"honoured"`
	Mismatched int `json:"mismatched"`
	// WithoutUsage counts the completed requests whose stream carried no usage count, whose
	// length is then the number of chunks.
	WithoutUsage int `json:"without_usage"`
}

// Chunks counts the streamed chunks of the completed requests.
type Chunks struct {
	Chunks int64 `json:"chunks"`
	Tokens int64 `json:"tokens"`
	// TokensPerChunk is Tokens/Chunks: 1 when every chunk carried one token.
	TokensPerChunk float64 `json:"tokens_per_chunk"`
}

// ServerTimings are a server's own timings of the completed requests that carried them,
// beside the client's figures of the same requests, in milliseconds. The server's prompt time
// against the client's TTFT, and its total time against the client's end-to-end latency,
// show how much of what the client measured was the network, HTTP and the server's own
// handling around the model.
type ServerTimings struct {
	// Requests is how many completed requests carried the server's timings.
	Requests int `json:"requests"`
	// PromptMS is the server's prompt processing time, PredictedMS its generation time.
	PromptMS    Distribution `json:"prompt_ms"`
	PredictedMS Distribution `json:"predicted_ms"`
	// ServerMS is prompt plus generation time; ClientTTFTMS and ClientE2EMS are the client's
	// TTFT and end-to-end latency of the same requests.
	ServerMS     Distribution `json:"server_ms"`
	ClientTTFTMS Distribution `json:"client_ttft_ms"`
	ClientE2EMS  Distribution `json:"client_e2e_ms"`
	// OverheadMS is the client's end-to-end latency minus the server's time, per request:
	// what the server spent outside prompt processing and generation (a request waiting in
	// its queue for a slot included), plus the network.
	OverheadMS Distribution `json:"overhead_ms"`
	// CachedPromptTokens is the sum of prompt tokens the server took from its cache.
	CachedPromptTokens int64 `json:"cached_prompt_tokens"`
}

// EndpointFigures are the figures of the requests that went to one endpoint: the report's
// metrics over that subset, with the endpoint's own span.
type EndpointFigures struct {
	Endpoint string `json:"endpoint"`
	// Requests counts the requests sent to it (completed, failed and canceled).
	Requests  int `json:"requests"`
	Completed int `json:"completed"`
	Failed    int `json:"failed"`
	// OutputTokS and RequestS are its output and request throughputs.
	OutputTokS float64      `json:"output_tok_s"`
	RequestS   float64      `json:"request_s"`
	TTFTMS     Distribution `json:"ttft_ms"`
	TPOTMS     Distribution `json:"tpot_ms"`
	E2EMS      Distribution `json:"e2e_ms"`
}

// ServingInput is what ComputeServing needs beyond the records.
type ServingInput struct {
	API       string
	Endpoints []string
	// TargetRate is --request_rate (0 without).
	TargetRate float64
	// Series are the run's snapshots, whose Server readings make the metrics series.
	Series []engine.Snapshot
}

// ComputeServing computes the serving section of a stream run's records.
func ComputeServing(records []engine.Record, in ServingInput) *Serving {
	s := &Serving{
		API:           in.API,
		Endpoints:     slices.Clone(in.Endpoints),
		Load:          ComputeLoadStats(records, in.TargetRate),
		Lengths:       ComputeLengths(records),
		Chunks:        countChunks(records),
		ServerTimings: ComputeServerTimings(records),
		ServerMetrics: ServerMetricsSeries(in.Series),
	}
	if s.Endpoints == nil {
		s.Endpoints = []string{}
	}
	if len(in.Endpoints) > 1 {
		s.PerEndpoint = PerEndpoint(records, in.Endpoints)
	}
	return s
}

// ComputeLengths compares the completed records' output lengths with what they asked for.
func ComputeLengths(records []engine.Record) Lengths {
	var l Lengths
	for i := range records {
		r := &records[i]
		if !r.Completed() {
			continue
		}
		l.Requested += int64(r.TargetOutputTokens)
		l.Generated += int64(r.OutputTokens())
		if r.UsageOutputTokens == 0 {
			l.WithoutUsage++
		}
		if r.OutputTokens() == r.TargetOutputTokens {
			l.Honoured++
		} else {
			l.Mismatched++
		}
	}
	return l
}

func countChunks(records []engine.Record) Chunks {
	var c Chunks
	for i := range records {
		r := &records[i]
		if !r.Completed() {
			continue
		}
		c.Chunks += int64(r.Chunks)
		c.Tokens += int64(r.OutputTokens())
	}
	c.TokensPerChunk = divOrZero(float64(c.Tokens), float64(c.Chunks))
	return c
}

// ComputeServerTimings pairs the server's timings of each completed request with the
// client's TTFT and end-to-end latency of it; nil when no request carried timings.
func ComputeServerTimings(records []engine.Record) *ServerTimings {
	var prompt, predicted, server, ttft, e2e, overhead []float64
	var cached int64
	for i := range records {
		r := &records[i]
		if r.Server == nil || !r.Completed() || !hasSpan(r) || r.OutputTokens() == 0 || r.FirstTokenNS < r.StartNS {
			continue
		}
		st := r.Server
		total := st.PromptMS + st.PredictedMS
		clientE2E := float64(r.EndNS-r.StartNS) / nsPerMS
		prompt = append(prompt, st.PromptMS)
		predicted = append(predicted, st.PredictedMS)
		server = append(server, total)
		ttft = append(ttft, float64(r.FirstTokenNS-r.StartNS)/nsPerMS)
		e2e = append(e2e, clientE2E)
		overhead = append(overhead, clientE2E-total)
		cached += int64(st.CacheN)
	}
	if len(server) == 0 {
		return nil
	}
	return &ServerTimings{
		Requests:           len(server),
		PromptMS:           Summarize(prompt),
		PredictedMS:        Summarize(predicted),
		ServerMS:           Summarize(server),
		ClientTTFTMS:       Summarize(ttft),
		ClientE2EMS:        Summarize(e2e),
		OverheadMS:         Summarize(overhead),
		CachedPromptTokens: cached,
	}
}

// PerEndpoint computes each endpoint's figures from the records that went to it, in the
// order of endpoints; records naming another endpoint follow in the order they appear.
func PerEndpoint(records []engine.Record, endpoints []string) []EndpointFigures {
	order := slices.Clone(endpoints)
	groups := map[string][]engine.Record{}
	for i := range records {
		ep := records[i].Endpoint
		if ep == "" {
			continue // never sent
		}
		if _, ok := groups[ep]; !ok && !slices.Contains(order, ep) {
			order = append(order, ep)
		}
		groups[ep] = append(groups[ep], records[i])
	}
	out := make([]EndpointFigures, 0, len(order))
	for _, ep := range order {
		recs := groups[ep]
		m := ComputeMetrics(recs, 1, 1)
		out = append(out, EndpointFigures{
			Endpoint: ep, Requests: len(recs), Completed: m.NumCompleted, Failed: m.NumFailed,
			OutputTokS: m.OutputThroughput, RequestS: m.RequestThroughput,
			TTFTMS: m.TTFTMS, TPOTMS: m.TPOTMS, E2EMS: m.RequestLatencyMS,
		})
	}
	return out
}

// ServerMetricsSeries is the servers' metrics readings carried by snapshots, once each: a
// snapshot repeats the latest reading until the next one, and TimeNS tells them apart.
func ServerMetricsSeries(series []engine.Snapshot) []engine.ServerMetrics {
	var out []engine.ServerMetrics
	last := int64(-1)
	for i := range series {
		m := series[i].Server
		if m == nil || m.TimeNS == last {
			continue
		}
		last = m.TimeNS
		out = append(out, *m)
	}
	return out
}

// GoodputSection is the report's benchtui.goodput section: a run measured against --slo.
type GoodputSection struct {
	// SLO is the objective as ParseSLO reads it.
	SLO string `json:"slo"`
	Goodput
}

// NewGoodputSection measures records against slo.
func NewGoodputSection(records []engine.Record, slo SLO) *GoodputSection {
	return &GoodputSection{SLO: slo.String(), Goodput: ComputeGoodput(records, slo)}
}
