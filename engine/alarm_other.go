//go:build !linux

package engine

import "time"

// alarm wakes the stream driver at a send time (a Go timer where there is no timerfd).
type alarm struct {
	C chan struct{}
	t *time.Timer
}

func newAlarm() *alarm {
	a := &alarm{C: make(chan struct{}, 1)}
	a.t = time.AfterFunc(time.Hour, func() {
		select {
		case a.C <- struct{}{}:
		default:
		}
	})
	a.t.Stop()
	return a
}

func (a *alarm) set(d time.Duration) { a.t.Reset(max(d, time.Microsecond)) }

func (a *alarm) close() { a.t.Stop() }
