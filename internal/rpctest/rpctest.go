// Package rpctest starts llama.cpp's rpc-server on loopback, for the tests and the
// measurement script of llama.cpp's RPC backend. A Server is a real rpc-server process on
// 127.0.0.1 and a free port, ready (it answered the protocol's handshake) when Start
// returns.
package rpctest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/benchtui/benchtui/internal/rpcwire"
)

// Server is a running rpc-server.
type Server struct {
	// Addr is where it listens (127.0.0.1:port): what --rpc takes.
	Addr string
	cmd  *exec.Cmd
	out  syncBuffer
	done chan struct{}
}

// Start runs bin (llama.cpp's rpc-server) on 127.0.0.1 with threads CPU threads and the
// extra arguments, and waits until it answers the handshake.
func Start(bin string, threads int, extra ...string) (*Server, error) {
	var last error
	for range 3 { // the free port may be taken between finding it and the server binding it
		s, err := start(bin, threads, extra)
		if err == nil {
			return s, nil
		}
		last = err
	}
	return nil, last
}

func start(bin string, threads int, extra []string) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	s := &Server{Addr: "127.0.0.1:" + strconv.Itoa(port), done: make(chan struct{})}
	args := append([]string{"-H", "127.0.0.1", "-p", strconv.Itoa(port), "-t", strconv.Itoa(max(threads, 1))}, extra...)
	s.cmd = exec.Command(bin, args...)
	s.cmd.Stdout, s.cmd.Stderr = &s.out, &s.out
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	go func() {
		s.cmd.Wait()
		close(s.done)
	}()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, err := rpcwire.Probe(context.Background(), s.Addr, time.Second); err == nil {
			return s, nil
		} else if time.Now().After(deadline) {
			s.Kill()
			return nil, fmt.Errorf("rpc-server on %s not ready: %v; its output: %s", s.Addr, err, s.out.String())
		}
		select {
		case <-s.done:
			return nil, fmt.Errorf("rpc-server on %s exited: %s", s.Addr, s.out.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Kill ends the server at once (SIGKILL), as a host that dies.
func (s *Server) Kill() {
	s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.done
}

// Stop ends the server (SIGTERM, then SIGKILL after a second).
func (s *Server) Stop() {
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(time.Second):
		s.Kill()
	}
}

// Output is what the server printed so far.
func (s *Server) Output() string { return s.out.String() }

// PID is the server's process id.
func (s *Server) PID() int { return s.cmd.Process.Pid }

func freePort() (int, error) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
