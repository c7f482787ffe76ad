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
	// StartNS is when the request got its concurrency slot.
	StartNS int64 `json:"start_ns"`
	// AdmitNS is when the engine first scheduled its prompt into a batch.
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
}

// OutputTokens is the number of generated tokens.
func (r *Record) OutputTokens() int { return len(r.TokenNS) }

// Failed reports whether the request ended with an error.
func (r *Record) Failed() bool { return r.Error != "" }

// StepLog is one line of the iteration log: what one decode step did. Lines are written as
// the run goes, one write each, so a log read during a run or after a crash holds every step
// that ended.
type StepLog struct {
	Iter           int64 `json:"iter"`
	TimeNS         int64 `json:"time_ns"`
	DurationNS     int64 `json:"duration_ns"`
	NumTokens      int   `json:"num_tokens"`
	NumCtxRequests int   `json:"num_ctx_requests"`
	NumCtxTokens   int   `json:"num_ctx_tokens"`
	NumGenRequests int   `json:"num_gen_requests"`
	NumOutputs     int   `json:"num_outputs"`
	// NumMicroBatches is how many micro-batches llama.cpp splits the step into (each one
	// reads all the weights), by the rules of its batch splitter for the context's KV layout.
	NumMicroBatches int `json:"num_micro_batches"`
	Running         int `json:"running_requests"`
	Queued          int `json:"queued_requests"`
	// Paused counts the requests paused after this step to free KV cells (max_utilization).
	Paused      int     `json:"paused_requests"`
	KVUsedCells int     `json:"kv_used_cells"`
	KVUsage     float64 `json:"kv_cache_usage"`
	Completed   int     `json:"completed_requests"`
}
