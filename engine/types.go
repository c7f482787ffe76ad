package engine

// Record is what the harness measured for one request. Times are nanoseconds on the run's
// monotonic clock, counted from the run's epoch (the moment the benchmark phase began).
type Record struct {
	// Index is the request's position in the run (0-based, warmup excluded).
	Index int `json:"index"`
	// TaskID is the dataset's task_id.
	TaskID int64 `json:"task_id"`
	// InputTokens is the prompt length (ISL).
	InputTokens int `json:"num_input_tokens"`
	// TargetOutputTokens is the dataset's output_tokens.
	TargetOutputTokens int `json:"target_output_tokens"`
	// StartNS is when the request got its concurrency slot (and, for a stream backend, was
	// sent); -1 for a stream backend's request that was never sent.
	StartNS int64 `json:"start_ns"`
	// AdmitNS is when the engine first scheduled its prompt into a batch; -1 for a stream
	// backend, whose server admits requests out of the client's sight.
	AdmitNS int64 `json:"admit_ns"`
	// FirstTokenNS is when its first output token was available.
	FirstTokenNS int64 `json:"first_token_ns"`
	// EndNS is when its last output token was available.
	EndNS int64 `json:"end_ns"`
	// TokenNS holds the time of every output token, in order; len(TokenNS) is the number of
	// output tokens.
	TokenNS []int64 `json:"token_ns,omitempty"`
	// OutputIDs are the generated token ids, kept only when Config.KeepTokens is set.
	OutputIDs []int32 `json:"output_ids,omitempty"`
	// Error is set when the request failed; failed requests are excluded from metrics.
	Error string `json:"error,omitempty"`

	// The fields below are set by stream backends (request-driven servers) only.

	// ScheduledNS is when the arrival schedule (--request_rate) wanted the request sent; 0
	// without a rate.
	ScheduledNS int64 `json:"scheduled_ns,omitempty"`
	// SendLagNS is how late the client sent the request: StartNS - ScheduledNS - SlotWaitNS.
	SendLagNS int64 `json:"send_lag_ns,omitempty"`
	// SlotWaitNS is how long the request, once due, waited for a concurrency slot.
	SlotWaitNS int64 `json:"slot_wait_ns,omitempty"`
	// Endpoint is the server (base URL) the request went to.
	Endpoint string `json:"endpoint,omitempty"`
	// Chunks is how many streamed chunks carried output. Tokens that arrived in one chunk
	// share its time in TokenNS, so a chunk of several tokens shows as gaps of 0.
	Chunks int `json:"chunks,omitempty"`
	// UsagePromptTokens and UsageOutputTokens are the server's own counts (its usage
	// object); 0 when it sent none. TokenNS has UsageOutputTokens entries when it sent them,
	// and TargetOutputTokens against UsageOutputTokens says whether the server honoured the
	// requested length.
	UsagePromptTokens int `json:"usage_prompt_tokens,omitempty"`
	UsageOutputTokens int `json:"usage_output_tokens,omitempty"`
	// FinishReason is the server's finish_reason ("length" when it stopped at max_tokens).
	FinishReason string `json:"finish_reason,omitempty"`
	// Server holds the server's own timings of the request, where it reports them.
	Server *ServerTimings `json:"server_timings,omitempty"`
}

// OutputTokens is the number of generated tokens.
func (r *Record) OutputTokens() int { return len(r.TokenNS) }

// Failed reports whether the request ended with an error.
func (r *Record) Failed() bool { return r.Error != "" }

// StepLog is one line of the iteration log: what one decode step did.
type StepLog struct {
	Iter           int64   `json:"iter"`
	TimeNS         int64   `json:"time_ns"`
	DurationNS     int64   `json:"duration_ns"`
	NumTokens      int     `json:"num_tokens"`
	NumCtxRequests int     `json:"num_ctx_requests"`
	NumCtxTokens   int     `json:"num_ctx_tokens"`
	NumGenRequests int     `json:"num_gen_requests"`
	NumOutputs     int     `json:"num_outputs"`
	Running        int     `json:"running_requests"`
	Queued         int     `json:"queued_requests"`
	KVUsedCells    int     `json:"kv_used_cells"`
	KVUsage        float64 `json:"kv_cache_usage"`
	Completed      int     `json:"completed_requests"`
}
