//go:build !linux

package alarm

import "time"

// Alarm rings once at a chosen time, on its channel C (a Go timer where there is no
// timerfd).
type Alarm struct {
	C chan struct{}
	t *time.Timer
}

func New() *Alarm {
	a := &Alarm{C: make(chan struct{}, 1)}
	a.t = time.AfterFunc(time.Hour, func() {
		select {
		case a.C <- struct{}{}:
		default:
		}
	})
	a.t.Stop()
	return a
}

func (a *Alarm) Set(d time.Duration) { a.t.Reset(max(d, time.Microsecond)) }

func (a *Alarm) Close() { a.t.Stop() }
