package rpcwire

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Counters are a relay's totals since it started. Commands counts requests; BusyNS is the
// time during which the server had a command outstanding: from a request's first byte
// (arriving while nothing was outstanding) to the last byte of the reply that leaves nothing
// outstanding. Commands without a reply stay outstanding until a later reply, which the
// server sends only once it has finished them, since it serves commands in order.
type Counters struct {
	Host        string
	SentBytes   uint64
	RecvBytes   uint64
	Commands    uint64
	BusyNS      int64
	Connections uint64
}

// Options configure a Relay.
type Options struct {
	// OnFail, when set, is called once, from a relay goroutine, when the server's side of a
	// connection fails while llama.cpp still uses it (the server closed or reset it, or
	// stopped answering); message is one line that names the server.
	OnFail func(message string)
	// DialTimeout bounds the connection to the server (ProbeTimeout when 0).
	DialTimeout time.Duration
}

// Relay forwards llama.cpp's connections to one RPC server through a listener on loopback,
// counting what passes. Its methods may be called from any goroutine.
type Relay struct {
	host string
	opts Options
	ln   *net.TCPListener

	sent, recv, cmds, conns atomic.Uint64

	mu        sync.Mutex
	busyConns int   // connections with a command outstanding
	busyStart int64 // when busyConns last went from 0 to 1 (monotonic ns)
	busyNS    int64
	live      map[*relayConn]struct{}
	version   Version

	failed  atomic.Bool
	closing atomic.Bool
	wg      sync.WaitGroup
}

// epoch is the origin of the relay's monotonic clock.
var epoch = time.Now()

func mono() int64 { return int64(time.Since(epoch)) }

// bufSize is each direction's buffer, for headers and small payloads; payloads of
// spliceMin bytes or more go from socket to socket.
const (
	bufSize   = 64 << 10
	spliceMin = 32 << 10
)

// ringSize bounds the replies a connection may await at once. llama.cpp's client waits
// for each reply before sending anything else, so one suffices; the rest is slack.
const ringSize = 64

// Listen starts a relay to host (host:port) on 127.0.0.1 and a free port.
func Listen(host string, opts Options) (*Relay, error) {
	ln, err := net.ListenTCP("tcp4", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, fmt.Errorf("RPC relay for %s: listen on loopback: %w", host, err)
	}
	if opts.DialTimeout <= 0 {
		opts.DialTimeout = ProbeTimeout
	}
	r := &Relay{host: host, opts: opts, ln: ln, live: map[*relayConn]struct{}{}}
	r.wg.Add(1)
	go r.accept()
	return r, nil
}

// Addr is the relay's loopback address (what llama.cpp connects to).
func (r *Relay) Addr() string { return r.ln.Addr().String() }

// Host is the server the relay forwards to.
func (r *Relay) Host() string { return r.host }

// Version is the protocol version the server announced in the last handshake (zero
// before one).
func (r *Relay) Version() Version {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.version
}

// Counters reads the totals; a busy interval still open counts up to now.
func (r *Relay) Counters() Counters {
	c := Counters{Host: r.host, SentBytes: r.sent.Load(), RecvBytes: r.recv.Load(), Commands: r.cmds.Load(), Connections: r.conns.Load()}
	now := mono()
	r.mu.Lock()
	c.BusyNS = r.busyNS
	if r.busyConns > 0 {
		c.BusyNS += now - r.busyStart
	}
	r.mu.Unlock()
	return c
}

// Close stops the relay and ends its connections.
func (r *Relay) Close() error {
	r.closing.Store(true)
	err := r.ln.Close()
	r.mu.Lock()
	for c := range r.live {
		c.down.Close()
		c.up.Close()
	}
	r.mu.Unlock()
	r.wg.Wait()
	return err
}

func (r *Relay) accept() {
	defer r.wg.Done()
	for {
		down, err := r.ln.AcceptTCP()
		if err != nil {
			return // closed
		}
		r.wg.Add(1)
		go r.serve(down)
	}
}

// fail reports the first failure of the server's side.
func (r *Relay) fail(what string) {
	if r.closing.Load() || !r.failed.CompareAndSwap(false, true) {
		return
	}
	if r.opts.OnFail != nil {
		r.opts.OnFail(fmt.Sprintf("RPC server %s %s", r.host, what))
	}
}

// busy moves the count of connections with work outstanding by delta at time now.
func (r *Relay) busy(delta int, now int64) {
	if delta > 0 {
		if r.busyConns == 0 {
			r.busyStart = now
		}
		r.busyConns++
		return
	}
	r.busyConns--
	if r.busyConns == 0 {
		r.busyNS += now - r.busyStart
	}
}

func (r *Relay) serve(down *net.TCPConn) {
	defer r.wg.Done()
	r.conns.Add(1)
	up, err := dialServer(r.host, r.opts.DialTimeout)
	if err != nil {
		// llama.cpp sees the connection close and aborts; the message says why.
		r.fail("refused a new connection: " + reason(err))
		down.Close()
		return
	}
	c := &relayConn{r: r, down: down, up: up}
	r.mu.Lock()
	closing := r.closing.Load()
	if !closing {
		r.live[c] = struct{}{}
	}
	r.mu.Unlock()
	if closing {
		down.Close()
		up.Close()
		return
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.toServer()
	}()
	c.toClient()
	<-done
	r.mu.Lock()
	delete(r.live, c)
	if c.outstanding {
		c.outstanding = false
		r.busy(-1, mono())
	}
	r.mu.Unlock()
	down.Close()
	up.Close()
}

// dialServer connects to the server with keepalive probes, so that a host that vanishes
// (no reset, no close) is noticed in about 20 seconds rather than never, and (on Linux) a
// bound on unacknowledged data for the same while sending.
func dialServer(host string, timeout time.Duration) (*net.TCPConn, error) {
	d := net.Dialer{
		Timeout: timeout,
		KeepAliveConfig: net.KeepAliveConfig{
			Enable: true, Idle: 5 * time.Second, Interval: 5 * time.Second, Count: 3,
		},
		Control: userTimeout(20 * time.Second),
	}
	c, err := d.Dial("tcp4", host)
	if err != nil {
		return nil, err
	}
	return c.(*net.TCPConn), nil
}

// reason words a connection's failure for the one-line message.
func reason(err error) string {
	switch {
	case errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE):
		// A server that dies with unread requests resets the connection rather than
		// closing it; to the user both are the same event.
		return "closed the connection"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "refused the connection (is its rpc-server still running?)"
	case errors.Is(err, syscall.ETIMEDOUT) || errors.Is(err, os.ErrDeadlineExceeded) || isTimeout(err):
		return "stopped answering (the connection timed out)"
	}
	return "failed: " + err.Error()
}

// relayConn is one llama.cpp connection and its connection to the server. The fields
// below mu are the relay's mu's.
type relayConn struct {
	r        *Relay
	down, up *net.TCPConn

	// Guarded by r.mu: commands sent, the sequence numbers of those awaiting a reply, and
	// whether the server has work outstanding for this connection.
	seq         uint64
	ring        [ringSize]uint64
	head, n     int
	outstanding bool
	untimed     bool // the reply order was lost: count bytes only
	downGone    atomic.Bool
	failedUp    atomic.Bool
}

// reqParser follows the request framing: | command | size | payload |.
type reqParser struct {
	hdr    [9]byte
	nhdr   int
	left   uint64
	cmd    byte
	offset uint64
}

// rspParser follows the reply framing: | size | payload |.
type rspParser struct {
	hdr    [8]byte
	nhdr   int
	left   uint64
	offset uint64
	hello  bool // this reply answers the handshake
}

// toServer copies llama.cpp's requests to the server. The rest of a large payload goes
// from socket to socket without passing through this process's memory (splice on Linux):
// copying tensors through a buffer cut loopback throughput by two thirds.
func (c *relayConn) toServer() {
	buf := make([]byte, bufSize)
	var p reqParser
	lim := &io.LimitedReader{R: c.down}
	for {
		n, err := c.down.Read(buf)
		if n > 0 {
			c.requests(&p, buf[:n], mono())
			if !c.failedUp.Load() {
				if _, werr := c.up.Write(buf[:n]); werr != nil {
					c.upFailed(werr)
				} else {
					c.r.sent.Add(uint64(n))
				}
			}
			if err == nil && p.nhdr == len(p.hdr) && p.left >= spliceMin && p.cmd != cmdHello && !c.failedUp.Load() {
				lim.N = int64(p.left)
				m, serr := c.up.ReadFrom(lim)
				c.r.sent.Add(uint64(m))
				p.left -= uint64(m)
				if p.left == 0 {
					p.nhdr = 0
				}
				switch {
				case serr != nil:
					c.upFailed(serr)
				case p.left > 0:
					err = io.EOF // llama.cpp hung up in the middle of a payload
				}
			}
		}
		if err != nil {
			// llama.cpp hung up (it frees a connection when it no longer needs the
			// server): tell the server, whose close then ends toClient.
			c.downGone.Store(true)
			c.up.CloseWrite()
			return
		}
	}
}

// toClient copies the server's replies to llama.cpp, large payloads as toServer does.
func (c *relayConn) toClient() {
	buf := make([]byte, bufSize)
	var p rspParser
	p.hello = true
	lim := &io.LimitedReader{R: c.up}
	for {
		n, err := c.up.Read(buf)
		if n > 0 {
			done := c.replies(&p, buf[:n])
			if _, werr := c.down.Write(buf[:n]); werr != nil {
				// llama.cpp went away: close both sides, so that neither toServer nor
				// the server (which serves one client at a time) waits on this
				// connection any longer.
				c.down.Close()
				c.up.Close()
				return
			}
			c.r.recv.Add(uint64(n))
			if err == nil && p.nhdr == len(p.hdr) && p.left >= spliceMin && !p.hello {
				lim.N = int64(p.left)
				m, serr := c.down.ReadFrom(lim)
				c.r.recv.Add(uint64(m))
				p.left -= uint64(m)
				if p.left == 0 {
					p.nhdr = 0
					done++
				}
				switch {
				case serr != nil && !c.downGone.Load():
					// Either side may have failed; the server's is the one to report
					// while llama.cpp is still connected.
					c.upFailed(serr)
					return
				case p.left > 0:
					err = io.EOF // the server hung up in the middle of a reply
				}
			}
			if done > 0 {
				c.completed(done, mono())
			}
		}
		if err != nil {
			if !c.downGone.Load() {
				c.upFailed(err)
			}
			return
		}
	}
}

// upFailed handles the server's side failing while llama.cpp still uses the connection:
// the failure is reported, and llama.cpp is shown the end of the stream (a half close, so
// that its sends still succeed and it fails on the missing reply, not on SIGPIPE).
func (c *relayConn) upFailed(err error) {
	if !c.failedUp.CompareAndSwap(false, true) {
		return
	}
	c.r.mu.Lock()
	waiting := c.outstanding
	c.r.mu.Unlock()
	what := reason(err)
	if waiting {
		what += " while llama.cpp waited for it"
	}
	c.r.fail(what)
	c.down.CloseWrite()
}

// requests follows the framing through p (one read's bytes), noting each command's start
// at now and clearing the transport capabilities of a handshake.
func (c *relayConn) requests(ps *reqParser, p []byte, now int64) {
	for len(p) > 0 {
		if ps.nhdr < len(ps.hdr) {
			if ps.nhdr == 0 {
				c.begin(p[0], now)
			}
			k := copy(ps.hdr[ps.nhdr:], p)
			ps.nhdr += k
			p = p[k:]
			if ps.nhdr == len(ps.hdr) {
				ps.cmd = ps.hdr[0]
				ps.left = le64(ps.hdr[1:])
				ps.offset = 0
				if ps.left == 0 {
					ps.nhdr = 0
				}
			}
			continue
		}
		k := uint64(len(p))
		if k > ps.left {
			k = ps.left
		}
		if ps.cmd == cmdHello {
			clearCaps(p[:k], ps.offset, 0)
		}
		ps.offset += k
		ps.left -= k
		p = p[k:]
		if ps.left == 0 {
			ps.nhdr = 0
		}
	}
}

// replies follows the reply framing through p and returns how many replies end in it.
func (c *relayConn) replies(ps *rspParser, p []byte) int {
	done := 0
	for len(p) > 0 {
		if ps.nhdr < len(ps.hdr) {
			k := copy(ps.hdr[ps.nhdr:], p)
			ps.nhdr += k
			p = p[k:]
			if ps.nhdr == len(ps.hdr) {
				ps.left = le64(ps.hdr[:])
				ps.offset = 0
				if ps.left == 0 {
					ps.nhdr = 0
					ps.hello = false
					done++
				}
			}
			continue
		}
		k := uint64(len(p))
		if k > ps.left {
			k = ps.left
		}
		if ps.hello {
			c.helloReply(p[:k], ps.offset)
		}
		ps.offset += k
		ps.left -= k
		p = p[k:]
		if ps.left == 0 {
			ps.nhdr = 0
			ps.hello = false
			done++
		}
	}
	return done
}

// helloReply reads the server's version from the handshake's reply and clears its
// transport capabilities (bytes 4 to 28).
func (c *relayConn) helloReply(b []byte, offset uint64) {
	if offset < 3 {
		c.r.mu.Lock()
		for i := range b {
			switch offset + uint64(i) {
			case 0:
				c.r.version.Major = b[i]
			case 1:
				c.r.version.Minor = b[i]
			case 2:
				c.r.version.Patch = b[i]
			}
		}
		c.r.mu.Unlock()
	}
	clearCaps(b, offset, 4)
}

// clearCaps zeroes the bytes of b (which starts at payload offset offset) that fall in
// the capabilities, which start at payload offset from.
func clearCaps(b []byte, offset, from uint64) {
	for i := range b {
		at := offset + uint64(i)
		if at >= from && at < from+capsSize {
			b[i] = 0
		}
	}
}

// begin notes a command whose first byte arrived at now.
func (c *relayConn) begin(cmd byte, now int64) {
	c.r.cmds.Add(1)
	r := c.r
	r.mu.Lock()
	defer r.mu.Unlock()
	c.seq++
	if c.untimed {
		return
	}
	if hasReply[cmd] {
		if c.n == ringSize {
			c.stopTiming(now)
			return
		}
		c.ring[(c.head+c.n)%ringSize] = c.seq
		c.n++
	}
	if !c.outstanding {
		c.outstanding = true
		r.busy(+1, now)
	}
}

// completed notes n replies whose last byte went to llama.cpp at now.
func (c *relayConn) completed(n int, now int64) {
	r := c.r
	r.mu.Lock()
	defer r.mu.Unlock()
	for ; n > 0 && !c.untimed; n-- {
		if c.n == 0 {
			c.stopTiming(now) // a reply to nothing: the framing was misread
			return
		}
		seq := c.ring[c.head]
		c.head = (c.head + 1) % ringSize
		c.n--
		if seq == c.seq && c.outstanding {
			c.outstanding = false
			r.busy(-1, now)
		}
	}
}

// stopTiming gives up timing this connection (its byte counts stay exact).
func (c *relayConn) stopTiming(now int64) {
	c.untimed = true
	if c.outstanding {
		c.outstanding = false
		c.r.busy(-1, now)
	}
}

func le64(b []byte) uint64 {
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}
