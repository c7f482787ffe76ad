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
	// Status is how the request ended; only completed requests enter the metrics.
	Status Status `json:"status,omitempty"`
	// Error says why a request did not complete (the backend's error, or "canceled").
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

// Status is how a request ended.
type Status string

// The statuses of a request.
const (
	// StatusCompleted is a request that produced its output (or stopped at EOS).
	StatusCompleted Status = "completed"
	// StatusFailed is a request that a failure of the run cut short or kept from starting.
	StatusFailed Status = "failed"
	// StatusCanceled is a request that the run's cancellation (Ctrl-C, the dashboard's
	// stop) cut short or kept from starting.
	StatusCanceled Status = "canceled"
)

// OutputTokens is the number of generated tokens.
func (r *Record) OutputTokens() int { return len(r.TokenNS) }

// State is the request's status. Records saved before Status existed have none; theirs is
// read from Error, and a record without either counts as completed only if it ended at its
// last token (every request asks for at least one), so that an unfinished record is never
// taken for a completed one.
func (r *Record) State() Status {
	n := len(r.TokenNS)
	switch {
	case r.Status != "":
		return r.Status
	case r.Error == "canceled":
		return StatusCanceled
	case r.Error != "" || n == 0 || r.EndNS != r.TokenNS[n-1]:
		return StatusFailed
	}
	return StatusCompleted
}

// Completed reports whether the request produced its output.
func (r *Record) Completed() bool { return r.State() == StatusCompleted }

// Failed reports whether a failure of the run cut the request short or kept it from starting.
func (r *Record) Failed() bool { return r.State() == StatusFailed }

// Canceled reports whether the run's cancellation cut the request short or kept it from
// starting.
func (r *Record) Canceled() bool { return r.State() == StatusCanceled }

// StepLog is one line of the iteration log (--iteration_log): what one decode step did.
// docs/results.md lists TensorRT-LLM's iteration statistics that each field corresponds to.
// Lines are written as the run goes, one write each, so a log read during a run or after a
// crash holds every step that ended.
type StepLog struct {
	// Iter numbers the step from 1.
	Iter int64 `json:"iter"`
	// TimeNS is the step's end, in nanoseconds since the benchmark phase began.
	TimeNS int64 `json:"time_ns"`
	// DurationNS is the step's time (TensorRT-LLM's iterLatencyMS, in ns).
	DurationNS int64 `json:"duration_ns"`
	// NumTokens is the tokens the step fed: one per decoding request plus prompt chunks.
	NumTokens int `json:"num_tokens"`
	// NumCtxRequests and NumCtxTokens are the requests with a prompt chunk in the step and
	// those chunks' tokens (numContextRequests, numCtxTokens).
	NumCtxRequests int `json:"num_ctx_requests"`
	NumCtxTokens   int `json:"num_ctx_tokens"`
	// NumGenRequests is the requests that decoded one token (numGenRequests).
	NumGenRequests int `json:"num_gen_requests"`
	// NumOutputs is the tokens sampled: the decodes plus the prompts whose last chunk ran.
	NumOutputs int `json:"num_outputs"`
	// NumMicroBatches is how many micro-batches llama.cpp splits the step into (each one
	// reads all the weights), by the rules of its batch splitter for the context's KV layout
	// (TensorRT-LLM has no such split: its steps are one forward pass).
	NumMicroBatches int `json:"num_micro_batches"`
	// Running is the requests holding a sequence after the step (numActiveRequests).
	Running int `json:"running_requests"`
	// Queued is the requests waiting for a sequence, counting those still waiting for a
	// concurrency slot (numQueuedRequests counts only the executor's queue).
	Queued int `json:"queued_requests"`
	// Paused is the requests paused after the step to free KV cells, under max_utilization
	// (numPausedRequests).
	Paused int `json:"paused_requests"`
	// KVUsedCells is the KV cells written (usedNumBlocks x tokensPerBlock: llama.cpp has
	// cells, not blocks), and KVUsage their share of the cache (usedNumBlocks/maxNumBlocks).
	KVUsedCells int     `json:"kv_used_cells"`
	KVUsage     float64 `json:"kv_cache_usage"`
	// Completed is the requests completed so far in the run.
	Completed int `json:"completed_requests"`
}
