// Package alarm is a one-shot alarm with microsecond precision: the stream driver sends
// requests on their schedule with it, and the test server paces its chunks.
package alarm

import (
	"os"
	"syscall"
	"time"
	"unsafe"
)

// Alarm rings once at a chosen time, on its channel C. Go's timers wake a sleeping
// scheduler only at whole milliseconds (the runtime's epoll wait takes milliseconds), which
// would make a scheduled send or a paced write up to a millisecond late; a timerfd in the
// runtime's poller wakes it within microseconds, as a socket does. An Alarm is used from one
// goroutine.
type Alarm struct {
	C    chan struct{}
	f    *os.File
	fd   int
	fall *time.Timer // without a timerfd
}

func New() *Alarm {
	a := &Alarm{C: make(chan struct{}, 1)}
	fd, _, errno := syscall.Syscall(syscall.SYS_TIMERFD_CREATE, 1 /* CLOCK_MONOTONIC */, syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if errno != 0 {
		a.fall = time.AfterFunc(time.Hour, a.ring)
		a.fall.Stop()
		return a
	}
	a.fd = int(fd)
	a.f = os.NewFile(fd, "timerfd")
	go func() {
		var buf [8]byte
		for {
			if _, err := a.f.Read(buf[:]); err != nil {
				return
			}
			a.ring()
		}
	}()
	return a
}

func (a *Alarm) ring() {
	select {
	case a.C <- struct{}{}:
	default:
	}
}

type itimerspec struct {
	interval, value syscall.Timespec
}

// Set makes the alarm ring once after d (at once when d is not positive). A ring already due
// may still arrive: its owner treats a ring as "look at the clock".
func (a *Alarm) Set(d time.Duration) {
	d = max(d, time.Microsecond)
	if a.fall != nil {
		a.fall.Reset(d)
		return
	}
	spec := itimerspec{value: syscall.NsecToTimespec(int64(d))}
	if _, _, errno := syscall.Syscall6(syscall.SYS_TIMERFD_SETTIME, uintptr(a.fd), 0, uintptr(unsafe.Pointer(&spec)), 0, 0, 0); errno != 0 {
		a.fall = time.AfterFunc(d, a.ring)
	}
}

func (a *Alarm) Close() {
	if a.fall != nil {
		a.fall.Stop()
	}
	if a.f != nil {
		a.f.Close()
	}
}
