package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"time"

	"github.com/benchtui/benchtui/dataset"
)

// Config is how the harness feeds requests to the backend. It holds settings only, all of
// them serializable, so that a run's configuration crosses a process boundary (to a backend
// process) and goes into reports as it is; what a run reports to in its own process (a
// writer, a function) is in Hooks.
type Config struct {
	// MaxBatchSize is the most sequences decoding at once (the backend's n_seq_max).
	MaxBatchSize int `json:"max_batch_size"`
	// MaxNumTokens is the most tokens in one decode step (the backend's n_batch): running
	// decodes first, then prompt chunks in the budget left.
	MaxNumTokens int `json:"max_num_tokens"`
	// MaxSeqLen is the KV capacity of one sequence; a request needing more is refused.
	MaxSeqLen int `json:"max_seq_len"`
	// KVCapacity is the total KV cells shared by all sequences when the cache is unified
	// (0: each sequence has MaxSeqLen of its own). Requests are admitted only while their
	// whole length fits.
	KVCapacity int `json:"kv_capacity"`
	// Concurrency limits requests in flight; -1 (or 0) is unlimited. A request's start time is
	// when it gets its slot.
	Concurrency int `json:"concurrency"`
	// Warmup requests run first and are excluded from the records.
	Warmup int `json:"warmup"`
	// EOSID, when >= 0, ends a request early when it samples this token.
	EOSID int32 `json:"eos_id"`
	// SnapshotEvery is the snapshot interval (default 100 ms).
	SnapshotEvery time.Duration `json:"snapshot_every_ns,omitempty"`
	// KeepTokens keeps every generated token id in the records (for checks and debugging).
	KeepTokens bool `json:"keep_tokens,omitempty"`
	// Policy is the scheduler policy ("" is guaranteed_no_evict); see SchedulerPolicy.
	Policy SchedulerPolicy `json:"scheduler_policy,omitempty"`
	// Chunking is how prompt chunks share a step's token budget ("" is aligned_finish); see
	// ContextChunking. The waves policy always prefills first come, first served.
	Chunking ContextChunking `json:"context_chunking_policy,omitempty"`
}

// Hooks connect a run to the process that runs it; unlike Config they cannot be serialized,
// and each process that runs the engine makes its own.
type Hooks struct {
	// IterationLog, when set, receives one JSON line per decode step, written as each step
	// ends. A write error ends the log, not the run; Run returns it with the finished run.
	IterationLog io.Writer
	// SpeedOfLight, when set, gives the decode rate (tokens/s) that memory bandwidth allows
	// with batch sequences holding contextTokens KV cells together; snapshots carry it.
	SpeedOfLight func(batch int, contextTokens int64) float64
}

// Result is what a run produced. Records hold every benchmark request, failed ones included.
type Result struct {
	Records []Record
	// Steps is the number of decode steps of the benchmark phase.
	Steps int64
	// Duration is the wall time of the benchmark phase.
	Duration time.Duration
	// WarmupRequests is how many warmup requests ran.
	WarmupRequests int
	// Series is the snapshot time series of the benchmark phase.
	Series []Snapshot
	// Hosts are the remote hosts' traffic over the benchmark phase (rates over the whole
	// phase), when the backend measures it.
	Hosts []HostFigures `json:",omitempty"`
}

// ErrCanceled is returned (wrapped) when the run's context ends before all requests finish.
var ErrCanceled = errors.New("run canceled")

// Validate checks requests against the configuration before anything runs, so that a bad
// request is one clear error rather than a failure mid-run.
func Validate(reqs []dataset.Request, cfg Config, nVocab int) error {
	if cfg.MaxBatchSize < 1 {
		return fmt.Errorf("max_batch_size is %d: it must be at least 1", cfg.MaxBatchSize)
	}
	if cfg.MaxNumTokens < 1 {
		return fmt.Errorf("max_num_tokens is %d: it must be at least 1", cfg.MaxNumTokens)
	}
	if _, err := ParseSchedulerPolicy(string(cfg.Policy)); err != nil {
		return err
	}
	if _, err := ParseContextChunking(string(cfg.Chunking)); err != nil {
		return err
	}
	if len(reqs) == 0 {
		return errors.New("no requests to run")
	}
	for i := range reqs {
		r := &reqs[i]
		where := requestName(r, i)
		if len(r.InputIDs) == 0 {
			return fmt.Errorf("%s: empty prompt", where)
		}
		if r.OutputTokens < 1 {
			return fmt.Errorf("%s: output_tokens is %d: it must be at least 1", where, r.OutputTokens)
		}
		if need := len(r.InputIDs) + r.OutputTokens; cfg.MaxSeqLen > 0 && need > cfg.MaxSeqLen {
			return fmt.Errorf("%s: prompt (%d tokens) plus output (%d) is %d tokens, longer than the context of %d per sequence: raise --max_seq_len or shorten the request",
				where, len(r.InputIDs), r.OutputTokens, need, cfg.MaxSeqLen)
		}
		if need := len(r.InputIDs) + r.OutputTokens; cfg.KVCapacity > 0 && need > cfg.KVCapacity {
			return fmt.Errorf("%s: needs %d KV cells but the cache holds %d: raise the KV cache size or shorten the request", where, need, cfg.KVCapacity)
		}
		if nVocab > 0 {
			for _, t := range r.InputIDs {
				if t < 0 || int(t) >= nVocab {
					return fmt.Errorf("%s: token id %d is outside the model's vocabulary of %d", where, t, nVocab)
				}
			}
		}
	}
	return nil
}

func requestName(r *dataset.Request, i int) string {
	if r.Line > 0 {
		return fmt.Sprintf("request %d (line %d, task_id %d)", i, r.Line, r.TaskID)
	}
	return fmt.Sprintf("request %d (task_id %d)", i, r.TaskID)
}

// Run runs the warmup requests, then every request in reqs, through b. It returns the records
// of the benchmark phase; on cancellation or a backend error the records so far come back with
// the error (unfinished requests carry an Error).
func Run(ctx context.Context, b Backend, reqs []dataset.Request, cfg Config, hooks Hooks, ev *Events) (*Result, error) {
	// The native engine's threads work with the thread that calls it; keeping the decode
	// loop on one OS thread keeps that thread's caches and scheduling stable.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if cfg.SnapshotEvery <= 0 {
		cfg.SnapshotEvery = 100 * time.Millisecond
	}
	res := &Result{}
	if cfg.Warmup > 0 {
		ev.Publish(Lifecycle{Phase: PhaseWarmup, Total: cfg.Warmup})
		warm := make([]dataset.Request, cfg.Warmup)
		for i := range warm {
			warm[i] = reqs[i%len(reqs)]
		}
		s := newScheduler(b, warm, cfg, Hooks{}, PhaseWarmup, nil)
		if _, err := s.run(ctx, nil); err != nil {
			return res, fmt.Errorf("warmup: %w", err)
		}
		res.WarmupRequests = cfg.Warmup
	}
	ev.Publish(Lifecycle{Phase: PhaseRunning, Total: len(reqs)})
	s := newScheduler(b, reqs, cfg, hooks, PhaseRunning, ev)
	start := time.Now()
	steps, err := s.run(ctx, hooks.IterationLog)
	res.Duration = time.Since(start)
	res.Steps = steps
	res.Records = s.records
	res.Series = s.series
	res.Hosts = s.hosts.total(s.now())
	return res, err
}
