package report

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/benchtui/benchtui/engine"
)

// requestEntry is one element of the per-request array (--request_json): trtllm-bench's
// record with its fields in its order and with their meaning (times in nanoseconds, rates in
// tokens per nanosecond, as trtllm-bench writes them), then benchtui's task_id, status,
// queue_time and error. Where a value is not defined it is null rather than 0 or negative:
// the latencies of a request that did not complete, and the inter-token figures of a
// single-token request, which the report's TPOT and GTPS leave out too.
type requestEntry struct {
	ID             int `json:"id"`
	NumInputTokens int `json:"num_input_tokens"`
	// ErrorTokens counts the request's error responses: 1 for a failed request.
	ErrorTokens         int   `json:"error_tokens"`
	StartTimestamp      int64 `json:"start_timestamp"`
	FirstTokenTimestamp int64 `json:"first_token_timestamp"`
	EndTimestamp        int64 `json:"end_timestamp"`
	// DecodeIteration is the 0-based decode step of the request's last token, counted
	// from its first: n_out - 1, since each step gives a request one token.
	DecodeIteration      int `json:"decode_iteration"`
	NumTotalOutputTokens int `json:"num_total_output_tokens"`
	// NumGeneratedTokens is the output after the first token, n_out - 1.
	NumGeneratedTokens int `json:"num_generated_tokens"`
	// GenerationTime is end - first_token (e2e - TTFT).
	GenerationTime    *int64   `json:"generation_time"`
	TimeToFirstToken  *int64   `json:"time_to_first_token"`
	IntertokenLatency *float64 `json:"intertoken_latency"`
	EndToEndLatency   *int64   `json:"end_to_end_latency"`
	// OutputTokenThroughput is n_out / e2e, the request's output rate with its prefill.
	OutputTokenThroughput *float64 `json:"output_token_throughput"`
	// GenerationTokenThroughput is (n_out - 1) / generation_time, its decode rate.
	GenerationTokenThroughput *float64 `json:"generation_token_throughput"`
	// Output would be the decoded text; benchtui does not decode output tokens (synthetic
	// weights make meaningless ones), so it is always null.
	Output       *string `json:"output"`
	OutputTokens int     `json:"output_tokens"`
	TaskID       int64   `json:"task_id"`
	Status       string  `json:"status"`
	// QueueTime is absent when the engine never admitted the request.
	QueueTime *int64 `json:"queue_time,omitempty"`
	Error     string `json:"error,omitempty"`
}

// newRequestEntry applies trtllm-bench's per-request formulas, with the report's rules where
// they differ: a value comes only from times in their order, a request that did not complete
// has no latency, and a single-token request has no inter-token latency or generation rate.
func newRequestEntry(r *engine.Record) requestEntry {
	n := r.OutputTokens()
	e := requestEntry{
		ID:                   r.Index,
		NumInputTokens:       r.InputTokens,
		StartTimestamp:       r.StartNS,
		FirstTokenTimestamp:  r.FirstTokenNS,
		EndTimestamp:         r.EndNS,
		DecodeIteration:      max(n-1, 0),
		NumTotalOutputTokens: n,
		NumGeneratedTokens:   max(n-1, 0),
		OutputTokens:         n,
		TaskID:               r.TaskID,
		Status:               string(r.State()),
		Error:                r.Error,
	}
	if r.Failed() {
		e.ErrorTokens = 1
	}
	completed := r.Completed() && hasSpan(r)
	first := n > 0 && r.FirstTokenNS >= r.StartNS && (!completed || r.FirstTokenNS <= r.EndNS)
	switch {
	case first:
		e.TimeToFirstToken = ptr(r.FirstTokenNS - r.StartNS)
	case n == 0 && completed:
		// trtllm-bench's rule: no first token gives a TTFT of 0.
		e.TimeToFirstToken = ptr(int64(0))
	}
	if completed {
		e2e := r.EndNS - r.StartNS
		e.EndToEndLatency = ptr(e2e)
		if e2e > 0 {
			e.OutputTokenThroughput = ptr(float64(n) / float64(e2e))
		}
		if first {
			gen := r.EndNS - r.FirstTokenNS
			e.GenerationTime = ptr(gen)
			if n > 1 {
				e.IntertokenLatency = ptr(float64(gen) / float64(n-1))
				if gen > 0 {
					e.GenerationTokenThroughput = ptr(float64(n-1) / float64(gen))
				}
			}
		}
	}
	// AdmitNS is 0 until the engine schedules the request. A zero admit time is only a real
	// one when the request started at 0 too and then produced tokens.
	if r.AdmitNS >= r.StartNS && (r.AdmitNS > 0 || n > 0) {
		e.QueueTime = ptr(r.AdmitNS - r.StartNS)
	}
	return e
}

func ptr[T any](v T) *T { return &v }

// WriteRequestJSON writes trtllm-bench's per-request array for every record, failed ones
// included (with "error" set), indented by four spaces.
func WriteRequestJSON(w io.Writer, records []engine.Record) error {
	entries := make([]requestEntry, len(records))
	for i := range records {
		entries[i] = newRequestEntry(&records[i])
	}
	b, err := json.MarshalIndent(entries, "", "    ")
	if err != nil {
		return fmt.Errorf("encode request records: %w", err)
	}
	b = append(b, '\n')
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("write request records: %w", err)
	}
	return nil
}
