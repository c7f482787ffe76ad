package telemetry

import (
	"context"
	"errors"
	"math"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestMonitorDefaults(t *testing.T) {
	m := NewMonitor(newFakeSource(1, utilFill), Options{})
	if m.Interval() != 250*time.Millisecond || len(m.rings[0].buf) != DefaultCapacity {
		t.Errorf("interval %v capacity %d", m.Interval(), len(m.rings[0].buf))
	}
	if _, ok := m.Latest(0); ok {
		t.Error("Latest before any sample")
	}
	if _, ok := m.Latest(5); ok || m.Len(-1) != 0 || m.History(9, make([]Sample, 1)) != 0 ||
		m.CopySeries(9, FieldUtil, make([]float64, 1)) != 0 {
		t.Error("unknown device gave data")
	}
}

func TestCopySeriesMarksNAWithNaN(t *testing.T) {
	src := newFakeSource(1, func(n int, dst []Sample) error {
		if n != 1 { // the second reading has no utilisation
			dst[0].UtilPercent, dst[0].Valid = float64(n), FieldUtil
		}
		return nil
	})
	m := NewMonitor(src, Options{Capacity: 8})
	for range 3 {
		m.SampleNow()
	}
	buf := make([]float64, 8)
	k := m.CopySeries(0, FieldUtil, buf)
	if k != 3 || buf[0] != 0 || !math.IsNaN(buf[1]) || buf[2] != 2 {
		t.Errorf("series = %v", buf[:k])
	}
}

func TestMonitorReadsAllocateNothing(t *testing.T) {
	m := NewMonitor(newFakeSource(8, utilFill), Options{Capacity: 64})
	for range 100 { // wrap the rings
		m.SampleNow()
	}
	hist := make([]Sample, 32)
	series := make([]float64, 64)
	cases := map[string]func(){
		"SampleNow":  func() { m.SampleNow() },
		"History":    func() { m.History(3, hist) },
		"CopySeries": func() { m.CopySeries(7, FieldUtil, series) },
		"Latest":     func() { m.Latest(2) },
		"Err":        func() { _ = m.Err() },
	}
	for name, f := range cases {
		if allocs := testing.AllocsPerRun(100, f); allocs != 0 {
			t.Errorf("%s allocates %.1f times per call, want 0", name, allocs)
		}
	}
}

func TestMonitorConcurrentReaders(t *testing.T) {
	var mu sync.Mutex
	reads := 0
	src := newFakeSource(4, func(n int, dst []Sample) error {
		mu.Lock()
		reads++
		mu.Unlock()
		return utilFill(n, dst)
	})
	m := NewMonitor(src, Options{Interval: time.Millisecond, Capacity: 32})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m.Start(ctx)
	m.Start(ctx) // a second Start is a no-op
	var wg sync.WaitGroup
	// The readers run until the sampler has taken enough samples to overlap them many
	// times, however slowly a loaded machine schedules it, or until a generous deadline.
	deadline := time.Now().Add(10 * time.Second)
	running := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return reads < 40 && time.Now().Before(deadline)
	}
	for r := range 4 {
		wg.Go(func() {
			series := make([]float64, 16)
			hist := make([]Sample, 16)
			for running() {
				k := m.CopySeries(r, FieldUtil, series)
				// Samples are appended whole and in order, so a series always increases.
				for i := 1; i < k; i++ {
					if series[i] <= series[i-1] {
						t.Errorf("device %d series not increasing: %v", r, series[:k])
						return
					}
				}
				if k := m.History(r, hist); k > 0 && hist[k-1].UtilPercent != float64(int(hist[k-1].UtilPercent)/10*10+r) {
					t.Errorf("device %d sample from another device: %+v", r, hist[k-1])
					return
				}
				m.Latest(r)
			}
		})
	}
	wg.Wait()
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	n := reads
	mu.Unlock()
	if n < 40 || m.Len(0) == 0 {
		t.Errorf("%d reads, %d samples held: the sampler did not run", n, m.Len(0))
	}
	if src.closed != 1 {
		t.Errorf("source closed %d times, want 1", src.closed)
	}
	if err := m.SampleNow(); !errors.Is(err, errClosed) {
		t.Errorf("SampleNow after Close = %v", err)
	}
	if err := m.Close(); err != nil || src.closed != 1 {
		t.Errorf("second Close = %v, source closed %d times", err, src.closed)
	}
}

func TestMonitorStopsOnContext(t *testing.T) {
	m := NewMonitor(newFakeSource(1, utilFill), Options{Interval: time.Millisecond, Capacity: 4})
	ctx, cancel := context.WithCancel(context.Background())
	m.Start(ctx)
	cancel()
	select {
	case <-m.done:
	case <-time.After(5 * time.Second):
		t.Fatal("sampler did not stop when its context ended")
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestMonitorCloseBeforeStart(t *testing.T) {
	src := newFakeSource(1, utilFill)
	m := NewMonitor(src, Options{})
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	m.Start(context.Background())
	select {
	case <-m.done:
	case <-time.After(time.Second):
		t.Fatal("Start after Close left a goroutine running")
	}
	if src.n != 0 {
		t.Errorf("source read %d times after Close", src.n)
	}
}

func TestMonitorSourceErrorAndPanic(t *testing.T) {
	boom := errors.New("boom")
	src := newFakeSource(1, func(n int, dst []Sample) error {
		if n == 0 {
			return boom
		}
		if n == 1 {
			return nil
		}
		panic("driver exploded")
	})
	m := NewMonitor(src, Options{Interval: time.Millisecond, Capacity: 4})
	if err := m.SampleNow(); !errors.Is(err, boom) || !errors.Is(m.Err(), boom) {
		t.Errorf("SampleNow = %v, Err = %v", err, m.Err())
	}
	if s, ok := m.Latest(0); !ok || s.Valid != 0 {
		t.Errorf("a failed read still appends an all-n/a sample; got %+v %v", s, ok)
	}
	if err := m.SampleNow(); err != nil || m.Err() != nil {
		t.Errorf("a good read must clear the error: %v %v", err, m.Err())
	}
	m.Start(context.Background())
	select {
	case <-m.done:
	case <-time.After(5 * time.Second):
		t.Fatal("sampler still running after a panic")
	}
	if err := m.Err(); err == nil || !strings.Contains(err.Error(), "driver exploded") {
		t.Errorf("Err after panic = %v", err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestWindow(t *testing.T) {
	src := newFakeSource(2, utilFill)
	m := NewMonitor(src, Options{Capacity: 20, Interval: time.Second, Now: newStepClock(time.Second).now})
	for range 10 { // samples at 0..9 s
		m.SampleNow()
	}
	rec := m.Window(at(2.5), at(5.5))
	if rec.Source != "fake" || rec.Interval != time.Second || len(rec.Devices) != 2 || rec.Truncated {
		t.Errorf("recording = %+v", rec)
	}
	for d := range 2 {
		var secs []float64
		for _, s := range rec.Samples[d] {
			secs = append(secs, s.Time.Sub(t0).Seconds())
		}
		// 3, 4 and 5 s are inside; 2 s and 6 s bracket the window.
		if len(secs) != 5 || secs[0] != 2 || secs[4] != 6 {
			t.Errorf("device %d window times = %v, want 2..6", d, secs)
		}
	}
	// Exactly on sample times: no bracketing beyond what is there.
	rec = m.Window(at(0), at(9))
	if len(rec.Samples[0]) != 10 {
		t.Errorf("full window holds %d samples, want 10", len(rec.Samples[0]))
	}

	small := NewMonitor(newFakeSource(1, utilFill), Options{Capacity: 3, Now: newStepClock(time.Second).now})
	for range 10 { // keeps 7, 8, 9 s
		small.SampleNow()
	}
	rec = small.Window(at(2.5), at(7.5))
	if !rec.Truncated || len(rec.Samples[0]) != 2 {
		t.Errorf("truncated window = %d samples, truncated %v; want 7 s and 8 s, true",
			len(rec.Samples[0]), rec.Truncated)
	}
	rec = small.Window(at(7), at(9))
	if rec.Truncated {
		t.Error("a window inside the ring marked truncated")
	}
}
