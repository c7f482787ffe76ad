package openaitest

import (
	"container/heap"
	"sync"
	"time"

	"github.com/benchtui/benchtui/internal/alarm"
)

// pacer wakes the server's streams at their chunks' times. A stream goroutine that slept on
// a Go timer would wake up to a millisecond late (the runtime sleeps in whole
// milliseconds), which would blur the very schedule a test checks the client against; one
// precise alarm for all streams wakes each within microseconds.
type pacer struct {
	mu   sync.Mutex
	h    waitHeap
	kick chan struct{}
	stop chan struct{}
	done chan struct{}
}

type waiter struct {
	due time.Time
	ch  chan struct{}
}

type waitHeap []waiter

func (h waitHeap) Len() int           { return len(h) }
func (h waitHeap) Less(i, j int) bool { return h[i].due.Before(h[j].due) }
func (h waitHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *waitHeap) Push(x any)        { *h = append(*h, x.(waiter)) }
func (h *waitHeap) Pop() any {
	old := *h
	w := old[len(old)-1]
	*h = old[:len(old)-1]
	return w
}

func newPacer() *pacer {
	p := &pacer{kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go p.loop()
	return p
}

// wait returns at due (at once when due is past); ch is the caller's own channel, with a
// buffer of one.
func (p *pacer) wait(due time.Time, ch chan struct{}) {
	if time.Until(due) <= 0 {
		return
	}
	p.mu.Lock()
	heap.Push(&p.h, waiter{due: due, ch: ch})
	first := p.h[0].ch == ch
	p.mu.Unlock()
	if first {
		select {
		case p.kick <- struct{}{}:
		default:
		}
	}
	select {
	case <-ch:
	case <-p.stop:
	}
}

func (p *pacer) loop() {
	defer close(p.done)
	a := alarm.New()
	defer a.Close()
	for {
		select {
		case <-p.stop:
			return
		case <-p.kick:
		case <-a.C:
		}
		now := time.Now()
		p.mu.Lock()
		for len(p.h) > 0 && !p.h[0].due.After(now) {
			w := heap.Pop(&p.h).(waiter)
			w.ch <- struct{}{}
		}
		pending := len(p.h) > 0
		var next time.Duration
		if pending {
			next = time.Until(p.h[0].due) // may be past already: the alarm rings at once
		}
		p.mu.Unlock()
		if pending {
			a.Set(next)
		}
	}
}

func (p *pacer) close() {
	close(p.stop)
	<-p.done
}
