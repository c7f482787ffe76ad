package rpcwire

import (
	"context"
	"encoding/binary"
	"io"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeServer speaks enough of the protocol for the tests: the handshake (with the version
// and transport capabilities it is given), GET_ALIGNMENT (an 8-byte reply), GET_TENSOR (a
// reply as long as the request's last 8 bytes say), SET_TENSOR (no reply), and
// GRAPH_COMPUTE (no reply, after a pause as long as its payload's first 8 bytes say, in
// microseconds). It records the handshake's capabilities it received.
type fakeServer struct {
	ln      net.Listener
	version Version
	caps    byte // value of every capability byte it sends
	mu      sync.Mutex
	gotCaps []byte
	// closeAfter, when > 0, makes the server close the connection on its Nth command
	// instead of serving it.
	closeAfter int
}

func newFakeServer(t *testing.T, v Version) *fakeServer {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &fakeServer{ln: ln, version: v, caps: 0xAB}
	go s.serve()
	t.Cleanup(func() { ln.Close() })
	return s
}

func (s *fakeServer) addr() string { return s.ln.Addr().String() }

func (s *fakeServer) serve() {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		go s.handle(c)
	}
}

func (s *fakeServer) handle(c net.Conn) {
	defer c.Close()
	var hdr [9]byte
	payload := make([]byte, 1<<20)
	reply := make([]byte, 8+(1<<20))
	n := 0
	for {
		if _, err := io.ReadFull(c, hdr[:]); err != nil {
			return
		}
		n++
		if s.closeAfter > 0 && n == s.closeAfter {
			return
		}
		size := binary.LittleEndian.Uint64(hdr[1:])
		if _, err := io.ReadFull(c, payload[:size]); err != nil {
			return
		}
		var out []byte
		switch hdr[0] {
		case cmdHello:
			s.mu.Lock()
			s.gotCaps = append([]byte(nil), payload[:size]...)
			s.mu.Unlock()
			out = reply[:8+helloReplySize]
			binary.LittleEndian.PutUint64(out, helloReplySize)
			out[8], out[9], out[10], out[11] = s.version.Major, s.version.Minor, s.version.Patch, 0
			for i := 12; i < len(out); i++ {
				out[i] = s.caps
			}
		case cmdGetAlignment:
			out = reply[:16]
			binary.LittleEndian.PutUint64(out, 8)
			binary.LittleEndian.PutUint64(out[8:], 32)
		case cmdGetTensor:
			want := binary.LittleEndian.Uint64(payload[size-8 : size])
			out = reply[:8+want]
			binary.LittleEndian.PutUint64(out, want)
		case cmdGraphCompute:
			time.Sleep(time.Duration(binary.LittleEndian.Uint64(payload[:8])) * time.Microsecond)
		}
		if out != nil {
			if _, err := c.Write(out); err != nil {
				return
			}
		}
	}
}

// client is the llama.cpp side of a test: it writes framed commands and reads replies with
// buffers made once.
type client struct {
	t   testing.TB
	c   net.Conn
	req []byte
	rsp []byte
}

func dialClient(t testing.TB, addr string) *client {
	t.Helper()
	c, err := net.Dial("tcp4", addr)
	if err != nil {
		t.Fatal(err)
	}
	return &client{t: t, c: c, req: make([]byte, 9+(1<<20)), rsp: make([]byte, 1<<20)}
}

// send writes one command with a payload of n bytes, the first 8 (and last 8) set to arg.
func (k *client) send(cmd byte, n int, arg uint64) {
	b := k.req[:9+n]
	b[0] = cmd
	binary.LittleEndian.PutUint64(b[1:9], uint64(n))
	if n >= 8 {
		binary.LittleEndian.PutUint64(b[9:17], arg)
		binary.LittleEndian.PutUint64(b[len(b)-8:], arg)
	}
	if _, err := k.c.Write(b); err != nil {
		k.t.Fatalf("send command %d: %v", cmd, err)
	}
}

// recv reads one reply and returns its payload.
func (k *client) recv() ([]byte, error) {
	if _, err := io.ReadFull(k.c, k.rsp[:8]); err != nil {
		return nil, err
	}
	n := binary.LittleEndian.Uint64(k.rsp[:8])
	if _, err := io.ReadFull(k.c, k.rsp[:n]); err != nil {
		return nil, err
	}
	return k.rsp[:n], nil
}

func (k *client) hello() []byte {
	b := k.req[:9+capsSize]
	b[0] = cmdHello
	binary.LittleEndian.PutUint64(b[1:9], capsSize)
	for i := 9; i < len(b); i++ {
		b[i] = 0xCD
	}
	if _, err := k.c.Write(b); err != nil {
		k.t.Fatal(err)
	}
	rsp, err := k.recv()
	if err != nil {
		k.t.Fatalf("handshake reply: %v", err)
	}
	return rsp
}

func TestProbe(t *testing.T) {
	ok := newFakeServer(t, Version{7, 0, 0})
	if v, err := Probe(context.Background(), ok.addr(), time.Second); err != nil || v != (Version{7, 0, 0}) {
		t.Fatalf("probe of a version 7.0.0 server: %v, %v", v, err)
	}

	old := newFakeServer(t, Version{6, 1, 0})
	_, err := Probe(context.Background(), old.addr(), time.Second)
	if err == nil || !strings.Contains(err.Error(), "speaks RPC protocol 6.1.0") || !strings.Contains(err.Error(), old.addr()) {
		t.Errorf("probe of a version 6 server: %v", err)
	}
	newer := newFakeServer(t, Version{7, 3, 0})
	if _, err := Probe(context.Background(), newer.addr(), time.Second); err == nil {
		t.Error("a server of a newer minor version was accepted; llama.cpp refuses it")
	}

	// A port nobody listens on.
	ln, _ := net.Listen("tcp4", "127.0.0.1:0")
	free := ln.Addr().String()
	ln.Close()
	if _, err := Probe(context.Background(), free, time.Second); err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("probe of a closed port: %v", err)
	}

	// A server busy with another client: the connection waits in the backlog unanswered.
	mute, _ := net.Listen("tcp4", "127.0.0.1:0")
	defer mute.Close()
	if _, err := Probe(context.Background(), mute.Addr().String(), 200*time.Millisecond); err == nil || !strings.Contains(err.Error(), "did not answer the handshake") {
		t.Errorf("probe of a mute server: %v", err)
	}

	// An older server that hangs up on a handshake it does not understand.
	hangup := newFakeServer(t, Version{7, 0, 0})
	hangup.closeAfter = 1
	if _, err := Probe(context.Background(), hangup.addr(), time.Second); err == nil || !strings.Contains(err.Error(), "closed the connection during the handshake") {
		t.Errorf("probe of a server that hangs up: %v", err)
	}
}

func TestParseEndpoints(t *testing.T) {
	got, err := ParseEndpoints("127.0.0.1:50052, gpu-2:50053")
	if err != nil || len(got) != 2 || got[1] != "gpu-2:50053" {
		t.Fatalf("ParseEndpoints = %v, %v", got, err)
	}
	for _, bad := range []string{"", "127.0.0.1", "host:0", "host:70000", "host:x", "[::1]:50052", "a:1,a:1", ":50052"} {
		if _, err := ParseEndpoints(bad); err == nil {
			t.Errorf("ParseEndpoints(%q) accepted it", bad)
		}
	}
}

// TestRelayCounts checks the relay's byte counts against the bytes written, its command
// count, that it clears the transport capabilities both ways, and that busy time covers a
// compute the server spends time on but not the idle time after it.
func TestRelayCounts(t *testing.T) {
	srv := newFakeServer(t, Version{7, 0, 0})
	r, err := Listen(srv.addr(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	k := dialClient(t, r.Addr())
	defer k.c.Close()

	rsp := k.hello()
	for i, b := range rsp[4:] {
		if b != 0 {
			t.Fatalf("handshake reply capability byte %d is %#x: the relay must clear it", i, b)
		}
	}
	srv.mu.Lock()
	for i, b := range srv.gotCaps {
		if b != 0 {
			t.Fatalf("handshake request capability byte %d reached the server as %#x", i, b)
		}
	}
	srv.mu.Unlock()
	if v := r.Version(); v != (Version{7, 0, 0}) {
		t.Errorf("relay read version %v", v)
	}

	sent := uint64(9 + capsSize)
	recv := uint64(8 + helloReplySize)
	// One step: upload 100 KiB, compute for 50 ms, read back 64 KiB.
	const compute = 50 * time.Millisecond
	busy0 := r.Counters().BusyNS
	start := time.Now()
	k.send(cmdSetTensor, 100<<10, 0)
	k.send(cmdGraphCompute, 16, uint64(compute/time.Microsecond))
	k.send(cmdGetTensor, 64, 640<<10)
	rsp, err = k.recv()
	if err != nil || len(rsp) != 640<<10 {
		t.Fatalf("reply of %d bytes (%v), want %d", len(rsp), err, 640<<10)
	}
	wall := time.Since(start)
	sent += 9 + 100<<10 + 9 + 16 + 9 + 64
	recv += 8 + 640<<10
	time.Sleep(100 * time.Millisecond) // idle: not busy
	c := r.Counters()
	if c.SentBytes != sent || c.RecvBytes != recv {
		t.Errorf("counted %d bytes sent and %d received, want %d and %d", c.SentBytes, c.RecvBytes, sent, recv)
	}
	if c.Commands != 4 {
		t.Errorf("counted %d commands, want 4", c.Commands)
	}
	busy := time.Duration(c.BusyNS - busy0)
	if busy < compute || busy > wall {
		t.Errorf("busy %v for a step of %v with a %v compute: want between the compute and the step", busy, wall, compute)
	}
}

// TestRelayServerDies checks that a server closing the connection while a reply is awaited
// is reported once, naming the server, and that the client sees the stream end.
func TestRelayServerDies(t *testing.T) {
	srv := newFakeServer(t, Version{7, 0, 0})
	srv.closeAfter = 3
	got := make(chan string, 4)
	r, err := Listen(srv.addr(), Options{OnFail: func(m string) { got <- m }})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	k := dialClient(t, r.Addr())
	defer k.c.Close()
	k.hello()
	k.send(cmdGetAlignment, 4, 0)
	if _, err := k.recv(); err != nil {
		t.Fatal(err)
	}
	k.send(cmdGetAlignment, 4, 0) // the server hangs up on this one
	if _, err := k.recv(); err == nil {
		t.Fatal("the client read a reply from a server that hung up")
	}
	select {
	case m := <-got:
		want := "RPC server " + srv.addr() + " closed the connection while llama.cpp waited for it"
		if m != want {
			t.Errorf("failure message %q, want %q", m, want)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("no failure reported")
	}
	select {
	case m := <-got:
		t.Errorf("a second failure was reported: %q", m)
	case <-time.After(100 * time.Millisecond):
	}
}

// TestRelayNoAllocs checks that steady-state traffic through the relay allocates nothing.
// The fake client and server allocate nothing per command either, and the count covers
// every goroutine of the process.
func TestRelayNoAllocs(t *testing.T) {
	srv := newFakeServer(t, Version{7, 0, 0})
	r, err := Listen(srv.addr(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	k := dialClient(t, r.Addr())
	defer k.c.Close()
	k.hello()
	// Small payloads go through the relay's buffers, large ones are spliced.
	step := func() {
		k.send(cmdSetTensor, 4<<10, 0)
		k.send(cmdSetTensor, 256<<10, 0)
		k.send(cmdGraphCompute, 16, 0)
		k.send(cmdGetTensor, 64, 16<<10)
		if _, err := k.recv(); err != nil {
			t.Fatal(err)
		}
		k.send(cmdGetTensor, 64, 200<<10)
		if _, err := k.recv(); err != nil {
			t.Fatal(err)
		}
		r.Counters()
	}
	for range 50 {
		step()
	}
	if a := testing.AllocsPerRun(200, step); a > 0.05 {
		t.Errorf("%.2f allocations per step through the relay, want none", a)
	}
}

// TestProbeRealServer makes the handshake with llama.cpp's own rpc-server.
func TestProbeRealServer(t *testing.T) {
	bin, err := filepath.Abs("../../.llama/cpu/bin/ggml-rpc-server")
	if err != nil {
		t.Fatal(err)
	}
	ln, _ := net.Listen("tcp4", "127.0.0.1:0")
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", strconv.Itoa(port), "-t", "1")
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s (scripts/setup-llama.sh builds it): %v", bin, err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
	addr := "127.0.0.1:" + strconv.Itoa(port)
	var v Version
	for deadline := time.Now().Add(10 * time.Second); ; {
		v, err = Probe(context.Background(), addr, time.Second)
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	if v != (Version{ProtoMajor, ProtoMinor, ProtoPatch}) {
		t.Errorf("rpc-server speaks %v, this package says %d.%d.%d", v, ProtoMajor, ProtoMinor, ProtoPatch)
	}
}

// BenchmarkRoundTrip times one small request and its reply, and one 1 MiB upload and a
// small reply, to the fake server directly and through the relay: the difference is what the
// relay adds per command on loopback.
func BenchmarkRoundTrip(b *testing.B) {
	srv := newFakeServer(&testing.T{}, Version{7, 0, 0})
	defer srv.ln.Close()
	r, err := Listen(srv.addr(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	for _, path := range []struct{ name, addr string }{{"direct", srv.addr()}, {"relay", r.Addr()}} {
		k := dialClient(b, path.addr)
		k.hello()
		b.Run(path.name+"/small", func(b *testing.B) {
			for range b.N {
				k.send(cmdGetTensor, 64, 64)
				if _, err := k.recv(); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(path.name+"/1MiB", func(b *testing.B) {
			b.SetBytes(1 << 20)
			for range b.N {
				k.send(cmdSetTensor, 1<<20-64, 0)
				k.send(cmdGetTensor, 64, 64)
				if _, err := k.recv(); err != nil {
					b.Fatal(err)
				}
			}
		})
		k.c.Close()
	}
}
