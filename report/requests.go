package report

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/benchtui/benchtui/engine"
)

// requestEntry is one element of trtllm-bench's per-request array (--request_json), plus
// benchtui's task_id, status, queue_time and error. Times are nanoseconds. A latency is null
// where the request did not reach both of its ends (a failed or canceled request), so that
// none is ever negative.
type requestEntry struct {
	ID                   int      `json:"id"`
	NumInputTokens       int      `json:"num_input_tokens"`
	StartTimestamp       int64    `json:"start_timestamp"`
	FirstTokenTimestamp  int64    `json:"first_token_timestamp"`
	EndTimestamp         int64    `json:"end_timestamp"`
	NumTotalOutputTokens int      `json:"num_total_output_tokens"`
	TimeToFirstToken     *int64   `json:"time_to_first_token"`
	IntertokenLatency    *float64 `json:"intertoken_latency"`
	EndToEndLatency      *int64   `json:"end_to_end_latency"`
	TaskID               int64    `json:"task_id"`
	Status               string   `json:"status"`
	// QueueTime is absent when the engine never admitted the request.
	QueueTime *int64 `json:"queue_time,omitempty"`
	Error     string `json:"error,omitempty"`
}

// newRequestEntry applies trtllm-bench's per-request formulas: no first token gives a TTFT of
// 0, and fewer than two output tokens an inter-token latency of 0. Latencies come only from
// times in their order.
func newRequestEntry(r *engine.Record) requestEntry {
	n := r.OutputTokens()
	e := requestEntry{
		ID:                   r.Index,
		NumInputTokens:       r.InputTokens,
		StartTimestamp:       r.StartNS,
		FirstTokenTimestamp:  r.FirstTokenNS,
		EndTimestamp:         r.EndNS,
		NumTotalOutputTokens: n,
		TaskID:               r.TaskID,
		Status:               string(r.State()),
		Error:                r.Error,
	}
	completed := r.Completed() && hasSpan(r)
	switch {
	case n > 0 && r.FirstTokenNS >= r.StartNS:
		e.TimeToFirstToken = ptr(r.FirstTokenNS - r.StartNS)
	case n == 0 && completed:
		e.TimeToFirstToken = ptr(int64(0))
	}
	if completed {
		e.EndToEndLatency = ptr(r.EndNS - r.StartNS)
		itl := 0.0
		if n > 1 && r.EndNS >= r.FirstTokenNS {
			itl = float64(r.EndNS-r.FirstTokenNS) / float64(n-1)
		}
		e.IntertokenLatency = &itl
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
