//go:build !linux

package rpcwire

import (
	"syscall"
	"time"
)

// userTimeout is Linux's TCP_USER_TIMEOUT; elsewhere keepalive probes alone detect a
// vanished host.
func userTimeout(time.Duration) func(network, address string, c syscall.RawConn) error {
	return nil
}
