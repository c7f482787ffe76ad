package report

import "github.com/benchtui/benchtui/engine"

// Samples are the per-request values that the report's distributions summarise, in
// milliseconds (latencies) and tokens per second (rates). The report summarises them with
// Summarize; the dashboard draws its histograms from the same slices, so that its
// percentiles are the report's.
type Samples struct {
	// RequestLatencyMS is end - start of every successful request.
	RequestLatencyMS []float64
	// TTFTMS is first_token - start, of requests with a first token.
	TTFTMS []float64
	// TPOTMS is (end - first_token)/(n_out - 1), of requests with two tokens or more: a
	// single-token request has no time per output token (trtllm-bench counts it as 0).
	TPOTMS []float64
	// ITLMS pools every gap between consecutive output tokens of every request.
	ITLMS []float64
	// QueueTimeMS is admit - start, of requests the engine admitted.
	QueueTimeMS []float64
	// OutputPerUser is n_out/e2e per request (tokens per second, prefill included).
	OutputPerUser []float64
	// GenTPS is (n_out - 1)/(end - first_token) per request with two tokens or more.
	GenTPS []float64
}

// CollectSamples gathers the samples of the completed records. A value is taken only from
// times in their order (start <= first token <= end, each token after the one before), so
// that no sample is ever negative, whatever the records hold.
func CollectSamples(records []engine.Record) Samples {
	var s Samples
	for i := range records {
		r := &records[i]
		if !r.Completed() || !hasSpan(r) {
			continue
		}
		nOut := r.OutputTokens()
		e2e := r.EndNS - r.StartNS
		s.RequestLatencyMS = append(s.RequestLatencyMS, float64(e2e)/nsPerMS)
		if e2e > 0 {
			s.OutputPerUser = append(s.OutputPerUser, ratePerSecond(float64(nOut), e2e))
		}
		if r.AdmitNS >= r.StartNS && r.AdmitNS <= r.EndNS {
			// An admit time before the start means the engine never recorded one.
			s.QueueTimeMS = append(s.QueueTimeMS, float64(r.AdmitNS-r.StartNS)/nsPerMS)
		}
		if nOut == 0 || r.FirstTokenNS < r.StartNS || r.FirstTokenNS > r.EndNS {
			// No token (or no usable first-token time), so no TTFT, TPOT, GTPS or gaps;
			// the request still took its time.
			continue
		}
		s.TTFTMS = append(s.TTFTMS, float64(r.FirstTokenNS-r.StartNS)/nsPerMS)
		if nOut > 1 {
			gen := r.EndNS - r.FirstTokenNS
			s.TPOTMS = append(s.TPOTMS, float64(gen)/float64(nOut-1)/nsPerMS)
			if gen > 0 {
				s.GenTPS = append(s.GenTPS, ratePerSecond(float64(nOut-1), gen))
			}
			for j := 1; j < nOut; j++ {
				if gap := r.TokenNS[j] - r.TokenNS[j-1]; gap >= 0 {
					s.ITLMS = append(s.ITLMS, float64(gap)/nsPerMS)
				}
			}
		}
	}
	return s
}

// hasSpan reports whether a record's start and end are in order, so that its end-to-end
// latency is a duration.
func hasSpan(r *engine.Record) bool { return r.StartNS >= 0 && r.EndNS >= r.StartNS }
