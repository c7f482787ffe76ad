package rpcwire

import (
	"syscall"
	"time"
)

// tcpUserTimeout is TCP_USER_TIMEOUT (linux/tcp.h), which package syscall does not name.
const tcpUserTimeout = 18

// userTimeout bounds how long sent data may stay unacknowledged before the connection
// fails: a server host that vanishes while llama.cpp uploads to it is then noticed in d
// instead of after the kernel's retransmissions (about 15 minutes).
func userTimeout(d time.Duration) func(network, address string, c syscall.RawConn) error {
	return func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, tcpUserTimeout, int(d/time.Millisecond))
		})
		if err != nil {
			return err
		}
		return serr
	}
}
