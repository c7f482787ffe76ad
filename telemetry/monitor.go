package telemetry

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"
)

const (
	// DefaultInterval is how often a Monitor samples unless told otherwise: fast enough for a
	// live sparkline and for power integration, and well above what a tick costs. Measured on
	// an H200 (driver 580): NVML's energy counter takes about 4 ms a GPU, every other call
	// under 10 µs, so eight GPUs take about 32 ms a tick, most of it waiting on the driver.
	DefaultInterval = 250 * time.Millisecond
	// DefaultCapacity is how many samples a Monitor keeps per device: one hour at the default
	// interval, about 1.3 MiB per device.
	DefaultCapacity = 14400
)

// Options configure a Monitor. Zero values mean the defaults.
type Options struct {
	// Interval between samples; DefaultInterval when zero.
	Interval time.Duration
	// Capacity is the number of samples kept per device; DefaultCapacity when zero. Older
	// samples are overwritten.
	Capacity int
	// Now stamps samples; time.Now when nil. Tests use it to get exact times.
	Now func() time.Time
}

// ring is a fixed-capacity buffer of samples, oldest overwritten first.
type ring struct {
	buf     []Sample
	head    int // index the next push writes
	n       int // samples held, at most len(buf)
	evicted bool
}

func (r *ring) push(s Sample) {
	r.buf[r.head] = s
	r.head++
	if r.head == len(r.buf) {
		r.head = 0
	}
	if r.n < len(r.buf) {
		r.n++
	} else {
		r.evicted = true
	}
}

// at returns the i-th oldest sample held, 0 <= i < r.n.
func (r *ring) at(i int) *Sample {
	j := r.head - r.n + i
	if j < 0 {
		j += len(r.buf)
	}
	return &r.buf[j]
}

// Monitor samples a Source at a fixed interval into one ring per device, and serves copies of
// the rings to any number of concurrent readers.
type Monitor struct {
	src      Source
	devs     []Device
	interval time.Duration
	now      func() time.Time

	// readMu serialises Source.Read, which is not safe for concurrent use, and guards scratch
	// and closed.
	readMu  sync.Mutex
	scratch []Sample
	closed  bool

	// mu guards rings and err. Reads from the UI take it shared; SampleNow takes it only to
	// copy a finished reading in, never across the (possibly slow) Source.Read.
	mu    sync.RWMutex
	rings []ring
	err   error

	life    sync.Mutex // guards started and stop's closing
	started bool
	stop    chan struct{}
	done    chan struct{}
}

// NewMonitor prepares a Monitor for src and allocates its rings; sampling starts with Start
// (or SampleNow). The Monitor owns src and closes it in Close.
func NewMonitor(src Source, opts Options) *Monitor {
	if opts.Interval <= 0 {
		opts.Interval = DefaultInterval
	}
	if opts.Capacity <= 0 {
		opts.Capacity = DefaultCapacity
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	devs := slices.Clone(src.Devices())
	m := &Monitor{
		src:      src,
		devs:     devs,
		interval: opts.Interval,
		now:      opts.Now,
		scratch:  make([]Sample, len(devs)),
		rings:    make([]ring, len(devs)),
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	for i := range m.rings {
		m.rings[i].buf = make([]Sample, opts.Capacity)
	}
	return m
}

// Start runs the sampling goroutine: one sample at once, then one per interval, until ctx is
// done or Close is called. Calling it again, or after Close, does nothing.
func (m *Monitor) Start(ctx context.Context) {
	m.life.Lock()
	defer m.life.Unlock()
	if m.started {
		return
	}
	m.started = true
	select {
	case <-m.stop:
		close(m.done) // Close already ran; there is nothing to sample.
		return
	default:
	}
	go m.loop(ctx)
}

func (m *Monitor) loop(ctx context.Context) {
	defer close(m.done)
	// A panic in a source (a driver bug, a nil mock function) must not take the dashboard
	// down with it: sampling stops and the panic becomes the Monitor's error.
	defer func() {
		if r := recover(); r != nil {
			m.mu.Lock()
			m.err = fmt.Errorf("telemetry sampling stopped after a panic: %v", r)
			m.mu.Unlock()
		}
	}()
	t := time.NewTicker(m.interval)
	defer t.Stop()
	m.SampleNow()
	for {
		select {
		case <-ctx.Done():
			return
		case <-m.stop:
			return
		case <-t.C:
			m.SampleNow()
		}
	}
}

// errClosed is returned by SampleNow after Close.
var errClosed = errors.New("telemetry monitor is closed")

// SampleNow reads every device once and appends the reading to the rings. The sampling
// goroutine calls it each interval; a caller may also call it at a run's start and end so
// that the run's edges have samples of their own. The error is the source's (also kept for
// Err); the fields it affected are n/a in the appended samples.
func (m *Monitor) SampleNow() error {
	m.readMu.Lock()
	defer m.readMu.Unlock()
	if m.closed {
		return errClosed
	}
	err := m.src.Read(m.scratch)
	now := m.now()
	m.mu.Lock()
	for i := range m.rings {
		m.scratch[i].Time = now
		m.rings[i].push(m.scratch[i])
	}
	m.err = err
	m.mu.Unlock()
	return err
}

// Close stops sampling, waits for the goroutine and closes the source. Readers keep working
// on the samples already taken.
func (m *Monitor) Close() error {
	m.life.Lock()
	select {
	case <-m.stop:
		m.life.Unlock()
		return nil
	default:
		close(m.stop)
	}
	started := m.started
	m.life.Unlock()
	if started {
		<-m.done
	}
	m.readMu.Lock()
	defer m.readMu.Unlock()
	m.closed = true
	if err := m.src.Close(); err != nil {
		return fmt.Errorf("close telemetry source %s: %w", m.src.Name(), err)
	}
	return nil
}

// Devices lists the sampled devices; the slice is the caller's.
func (m *Monitor) Devices() []Device { return slices.Clone(m.devs) }

// NumDevices is len(Devices()) without the copy.
func (m *Monitor) NumDevices() int { return len(m.devs) }

// SourceName is the source's Name ("nvml" or "host").
func (m *Monitor) SourceName() string { return m.src.Name() }

// Interval is the time between samples.
func (m *Monitor) Interval() time.Duration { return m.interval }

// Err is the error of the latest read, nil when it succeeded, or why sampling stopped.
func (m *Monitor) Err() error {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.err
}

// Len is the number of samples held for device dev (0 for an unknown device).
func (m *Monitor) Len(dev int) int {
	if dev < 0 || dev >= len(m.rings) {
		return 0
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.rings[dev].n
}

// Latest returns device dev's newest sample, and false when there is none yet.
func (m *Monitor) Latest(dev int) (Sample, bool) {
	if dev < 0 || dev >= len(m.rings) {
		return Sample{}, false
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	r := &m.rings[dev]
	if r.n == 0 {
		return Sample{}, false
	}
	return *r.at(r.n - 1), true
}

// History copies device dev's newest min(len(dst), Len(dev)) samples into dst, oldest first,
// and returns how many it copied. It allocates nothing.
func (m *Monitor) History(dev int, dst []Sample) int {
	if dev < 0 || dev >= len(m.rings) {
		return 0
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	r := &m.rings[dev]
	k := min(len(dst), r.n)
	for i := range k {
		dst[i] = *r.at(r.n - k + i)
	}
	return k
}

// CopySeries copies field f of device dev's newest min(len(dst), Len(dev)) samples into dst,
// oldest first, for a sparkline, and returns how many it copied. A sample without f gives
// NaN, which charting code can draw as a gap. It allocates nothing.
func (m *Monitor) CopySeries(dev int, f Field, dst []float64) int {
	if dev < 0 || dev >= len(m.rings) {
		return 0
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	r := &m.rings[dev]
	k := min(len(dst), r.n)
	for i := range k {
		v, ok := r.at(r.n - k + i).Value(f)
		if !ok {
			v = math.NaN()
		}
		dst[i] = v
	}
	return k
}

// Window copies out the samples of the span [start, end] of every device, plus the nearest
// sample before start and after end where the rings hold them: Summarize interpolates
// cumulative quantities (energy) at the edges from those. It allocates the copy and is meant
// to be called once per run.
func (m *Monitor) Window(start, end time.Time) Recording {
	rec := Recording{
		Source:   m.src.Name(),
		Interval: m.interval,
		Devices:  slices.Clone(m.devs),
		Start:    start,
		End:      end,
		Samples:  make([][]Sample, len(m.rings)),
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	for d := range m.rings {
		r := &m.rings[d]
		lo, hi := 0, r.n // samples [lo, hi) are copied
		for lo < r.n && r.at(lo).Time.Before(start) {
			lo++
		}
		for hi > lo && r.at(hi-1).Time.After(end) {
			hi--
		}
		if lo > 0 {
			lo--
		}
		if hi < r.n {
			hi++
		}
		if lo >= hi {
			continue
		}
		out := make([]Sample, hi-lo)
		for i := range out {
			out[i] = *r.at(lo + i)
		}
		rec.Samples[d] = out
		// The ring dropped samples this window needed when it has overwritten any and its
		// oldest left is already after start.
		if r.evicted && r.n > 0 && r.at(0).Time.After(start) {
			rec.Truncated = true
		}
	}
	return rec
}
