package engine

import (
	"fmt"
	"strings"
)

// SchedulerPolicy is how the scheduler decides which requests run: trtllm-bench's
// --scheduler_policy (TensorRT-LLM's capacity scheduler policies) and benchtui's own
// baselines. Every policy decodes each running request every step; they differ in when a
// request is admitted and what it is guaranteed.
type SchedulerPolicy string

// The scheduler policies.
const (
	// PolicyGuaranteedNoEvict (the default, as in TensorRT-LLM) admits a request only when
	// the KV cache can hold its whole length (prompt plus output) on top of what the running
	// requests will need, so a request once started runs to the end.
	PolicyGuaranteedNoEvict SchedulerPolicy = "guaranteed_no_evict"
	// PolicyMaxUtilization admits a request when the cells its prompt needs are free now, and
	// when the cache later runs out (decodes grow every sequence by a cell a step) pauses the
	// most recently admitted requests: their cells are freed and they wait at the head of the
	// queue, to be computed again (prompt plus the tokens generated so far) when cells are free.
	// With a KV cache of max_seq_len cells for each sequence (the default) nothing can run out
	// and it schedules as guaranteed_no_evict does.
	PolicyMaxUtilization SchedulerPolicy = "max_utilization"
	// PolicyStaticBatch admits requests only into an empty engine: a batch starts when the
	// previous one has completely finished (the baseline in-flight batching is measured
	// against; TensorRT-LLM's STATIC_BATCH).
	PolicyStaticBatch SchedulerPolicy = "static_batch"
	// PolicyWaves is benchtui's earlier scheduler, kept to compare against: prompts are
	// prefilled first come, first served, and requests admitted in the same step start
	// decoding together, so a request whose prompt is done waits for the rest of its wave.
	PolicyWaves SchedulerPolicy = "waves"
)

// SchedulerPolicies lists the policies, the default first.
var SchedulerPolicies = []SchedulerPolicy{PolicyGuaranteedNoEvict, PolicyMaxUtilization, PolicyStaticBatch, PolicyWaves}

// ContextChunking is how the token budget of a step left after the decodes is shared among
// the prompts being prefilled (TensorRT-LLM's context chunking policies).
type ContextChunking string

// The context chunking policies.
const (
	// ChunkAlignedFinish (the default) feeds prompts first come, first served, but the
	// prompts admitted in the same step (a burst) finish in the same step: each holds back its
	// last tokens until all of them fit one step, so they all start decoding in the next. The
	// rest of each prompt goes in chunks as long as the budget allows, the shape of
	// micro-batch that attention kernels run fastest (many tokens of few sequences).
	ChunkAlignedFinish ContextChunking = "aligned_finish"
	// ChunkEqualProgress feeds every prompt being prefilled the same number of tokens a
	// step (TensorRT-LLM's EQUAL_PROGRESS), in units that fill llama.cpp's micro-batches, so
	// that prompts admitted together also finish together; its micro-batches hold a few
	// tokens of every sequence, which CPU attention runs more slowly and which read every
	// sequence's KV cells.
	ChunkEqualProgress ContextChunking = "equal_progress"
	// ChunkFirstComeFirstServed gives the budget to the oldest prompt first, as far as it
	// goes, then to the next (TensorRT-LLM's default): the first prompts of a burst finish
	// early and decode while the others are prefilled, which costs an extra micro-batch a
	// step and part-empty decode steps at the end.
	ChunkFirstComeFirstServed ContextChunking = "first_come_first_served"
)

// ContextChunkings lists the chunking policies, the default first.
var ContextChunkings = []ContextChunking{ChunkAlignedFinish, ChunkEqualProgress, ChunkFirstComeFirstServed}

// ParseSchedulerPolicy checks a policy name; "" is the default.
func ParseSchedulerPolicy(s string) (SchedulerPolicy, error) {
	if s == "" {
		return PolicyGuaranteedNoEvict, nil
	}
	for _, p := range SchedulerPolicies {
		if string(p) == s {
			return p, nil
		}
	}
	return "", fmt.Errorf("scheduler policy %q: want one of %s", s, joinNames(SchedulerPolicies))
}

// ParseContextChunking checks a chunking policy name; "" is the default.
func ParseContextChunking(s string) (ContextChunking, error) {
	if s == "" {
		return ChunkAlignedFinish, nil
	}
	for _, c := range ContextChunkings {
		if string(c) == s {
			return c, nil
		}
	}
	return "", fmt.Errorf("context chunking policy %q: want one of %s", s, joinNames(ContextChunkings))
}

// OrDefault is the policy with "" read as the default.
func (p SchedulerPolicy) OrDefault() SchedulerPolicy {
	if p == "" {
		return PolicyGuaranteedNoEvict
	}
	return p
}

// WithPolicies is cfg with its policies as the scheduler runs them: the defaults for those
// not given, and first come, first served chunking for the waves. Validate has checked the
// names.
func (cfg Config) WithPolicies() Config {
	cfg.Policy = cfg.Policy.OrDefault()
	cfg.Chunking = rulesOf(cfg).chunking
	return cfg
}

// ReportName is the policy as trtllm-bench's report names it (world_info.scheduling_policy:
// TensorRT-LLM's enum names, GUARANTEED_NO_EVICT); benchtui's own policies are named alike.
func (p SchedulerPolicy) ReportName() string {
	return strings.ToUpper(string(p.OrDefault()))
}

func joinNames[T ~string](names []T) string {
	s := make([]string, len(names))
	for i, n := range names {
		s[i] = string(n)
	}
	return strings.Join(s, ", ")
}

// rules is what a policy means to the scheduler, worked out once per run.
type rules struct {
	// reserveWhole: admission reserves a request's whole length (prompt plus output).
	reserveWhole bool
	// canPause: when the shared cache runs out, the newest requests are paused.
	canPause bool
	// static: requests are admitted only into an empty engine.
	static bool
	// waves: requests admitted in one step start decoding together.
	waves    bool
	chunking ContextChunking
}

// rulesOf works out the rules of cfg's policies; Validate has checked the names.
func rulesOf(cfg Config) rules {
	p, _ := ParseSchedulerPolicy(string(cfg.Policy))
	c, _ := ParseContextChunking(string(cfg.Chunking))
	r := rules{chunking: c, reserveWhole: true}
	switch p {
	case PolicyMaxUtilization:
		r.reserveWhole = false
		r.canPause = cfg.KVCapacity > 0
	case PolicyStaticBatch:
		r.static = true
	case PolicyWaves:
		r.waves = true
		r.chunking = ChunkFirstComeFirstServed
	}
	return r
}
