package engine

import (
	"context"
	"sync"
)

// Phase names a run's lifecycle stage.
type Phase string

// The lifecycle phases, in the order a run goes through them.
const (
	PhaseLoading  Phase = "loading"
	PhaseLoaded   Phase = "loaded"
	PhaseWarmup   Phase = "warmup"
	PhaseRunning  Phase = "running"
	PhaseFinished Phase = "finished"
	PhaseFailed   Phase = "failed"
	PhaseCanceled Phase = "canceled"
)

// Lifecycle is an event that is never dropped: a phase change, load progress, or the end of a
// run. Events are plain structs so that they can cross a process boundary unchanged.
type Lifecycle struct {
	Phase Phase `json:"phase"`
	// Progress is the load progress (0..1) while loading.
	Progress float64 `json:"progress,omitempty"`
	// Message is a human-readable detail ("loaded llama-3.1-8b on NVIDIA H100").
	Message string `json:"message,omitempty"`
	// Error is set for PhaseFailed.
	Error string `json:"error,omitempty"`
	// Completed and Total count benchmark requests at the time of the event.
	Completed int `json:"completed,omitempty"`
	Total     int `json:"total,omitempty"`
}

// Snapshot is the engine's state about ten times a second. Snapshots are coalesced: a slow
// reader sees the newest one and misses the ones in between.
type Snapshot struct {
	Phase Phase `json:"phase"`
	// ElapsedNS is the time since the phase began.
	ElapsedNS int64 `json:"elapsed_ns"`
	// OutputTokensPerSec and TotalTokensPerSec are rates over the last interval.
	OutputTokensPerSec float64 `json:"output_tokens_per_sec"`
	TotalTokensPerSec  float64 `json:"total_tokens_per_sec"`
	Running            int     `json:"running"`
	Queued             int     `json:"queued"`
	Completed          int     `json:"completed"`
	Failed             int     `json:"failed"`
	Total              int     `json:"total"`
	OutputTokens       int64   `json:"output_tokens"`
	InputTokens        int64   `json:"input_tokens"`
	KVUsedCells        int     `json:"kv_used_cells"`
	KVCapacity         int     `json:"kv_capacity"`
	KVUsage            float64 `json:"kv_usage"`
	// BatchOccupancy is running sequences over max_batch_size.
	BatchOccupancy float64 `json:"batch_occupancy"`
	Steps          int64   `json:"steps"`
	// SpeedOfLightTokS is the decode rate memory bandwidth allows at the current batch and
	// context (0 when not known); OutputTokensPerSec over it is how close the run comes.
	SpeedOfLightTokS float64 `json:"speed_of_light_tok_s,omitempty"`
	// Hosts are the remote hosts' traffic (RPC servers), when the backend measures it:
	// totals since the phase began and rates since the previous snapshot.
	Hosts []HostFigures `json:"hosts,omitempty"`
	// Finished holds the records of the requests that ended since the previous snapshot the
	// reader received: when a snapshot replaces an unread one, it takes over its records, so
	// none is lost. Their token times are shared with the engine, which no longer writes them.
	Finished []Record `json:"finished,omitempty"`
}

// Events carries a run's events to one reader. The engine never blocks on it: snapshots are
// replaced when the reader lags, lifecycle events queue without bound until read.
type Events struct {
	Snapshots chan Snapshot
	Lifecycle chan Lifecycle

	mu     sync.Mutex
	queue  []Lifecycle
	wake   chan struct{}
	closed bool
	done   chan struct{}
}

// NewEvents starts the lifecycle forwarder; it stops when ctx ends or Close is called, after
// which Lifecycle is closed once every queued event was delivered (or ctx ended).
func NewEvents(ctx context.Context) *Events {
	e := &Events{
		Snapshots: make(chan Snapshot, 1),
		Lifecycle: make(chan Lifecycle),
		wake:      make(chan struct{}, 1),
		done:      make(chan struct{}),
	}
	go e.forward(ctx)
	return e
}

func (e *Events) forward(ctx context.Context) {
	defer close(e.done)
	defer close(e.Lifecycle)
	// A panic here must not take the program (and a dashboard's terminal) down with it:
	// the reader sees the events end, as after Close.
	defer func() { _ = recover() }()
	for {
		e.mu.Lock()
		if len(e.queue) == 0 {
			closed := e.closed
			e.mu.Unlock()
			if closed {
				return
			}
			select {
			case <-e.wake:
				continue
			case <-ctx.Done():
				return
			}
		}
		ev := e.queue[0]
		e.queue = e.queue[1:]
		e.mu.Unlock()
		select {
		case e.Lifecycle <- ev:
		case <-ctx.Done():
			return
		}
	}
}

// Publish queues a lifecycle event; it never blocks. A nil *Events discards events.
func (e *Events) Publish(ev Lifecycle) {
	if e == nil {
		return
	}
	e.mu.Lock()
	if !e.closed {
		e.queue = append(e.queue, ev)
	}
	e.mu.Unlock()
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// Offer sends a snapshot, replacing an unread older one; it never blocks. It is called from
// the engine's goroutine only.
func (e *Events) Offer(s Snapshot) {
	if e == nil {
		return
	}
	for range 2 {
		select {
		case e.Snapshots <- s:
			return
		default:
		}
		select {
		case old := <-e.Snapshots:
			if len(old.Finished) > 0 {
				s.Finished = append(old.Finished, s.Finished...)
			}
		default:
		}
	}
}

// Close stops accepting events; Lifecycle closes after the queue drains.
func (e *Events) Close() {
	if e == nil {
		return
	}
	e.mu.Lock()
	e.closed = true
	e.mu.Unlock()
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// Done is closed when the forwarder has stopped.
func (e *Events) Done() <-chan struct{} { return e.done }
