package rpcwire

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ParseEndpoint checks one host:port as llama.cpp's client takes it (ggml-rpc's
// parse_endpoint and socket_t::connect): a host name or IPv4 address, a colon, a port. IPv6
// is not supported by llama.cpp's RPC client.
func ParseEndpoint(s string) (host string, port int, err error) {
	i := strings.LastIndexByte(s, ':')
	if i <= 0 || i == len(s)-1 {
		return "", 0, fmt.Errorf("RPC server %q: want host:port (e.g. 192.168.1.20:50052)", s)
	}
	host = s[:i]
	if strings.ContainsAny(host, ":[]") {
		return "", 0, fmt.Errorf("RPC server %q: llama.cpp's RPC client takes IPv4 addresses and host names, not IPv6", s)
	}
	port, err = strconv.Atoi(s[i+1:])
	if err != nil || port < 1 || port > 65535 {
		return "", 0, fmt.Errorf("RPC server %q: port %q is not a number from 1 to 65535", s, s[i+1:])
	}
	return host, port, nil
}

// ParseEndpoints splits a comma-separated list (the --rpc flag's value), checking each entry
// and refusing duplicates (llama.cpp would share one connection between them).
func ParseEndpoints(list string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, s := range strings.Split(list, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if _, _, err := ParseEndpoint(s); err != nil {
			return nil, err
		}
		if seen[s] {
			return nil, fmt.Errorf("RPC server %s is listed twice", s)
		}
		seen[s] = true
		out = append(out, s)
	}
	if len(out) == 0 {
		return nil, errors.New("no RPC server given (want host:port[,host:port...])")
	}
	return out, nil
}

// ProbeTimeout bounds each step of a Probe (connecting, then the handshake's reply).
const ProbeTimeout = 5 * time.Second

// Probe connects to an RPC server, makes the protocol's handshake and hangs up, so that an
// unreachable server, a busy one or one of another version is one clear error before
// llama.cpp connects (llama.cpp aborts the process on any of these). It returns the server's
// protocol version; the error, when there is one, names the server and says what to do.
func Probe(ctx context.Context, endpoint string, timeout time.Duration) (Version, error) {
	if timeout <= 0 {
		timeout = ProbeTimeout
	}
	d := net.Dialer{Timeout: timeout}
	c, err := d.DialContext(ctx, "tcp4", endpoint)
	if err != nil {
		return Version{}, dialError(endpoint, err, timeout)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(timeout))
	if _, err := c.Write(helloRequest()); err != nil {
		return Version{}, fmt.Errorf("RPC server %s: sending the handshake: %w", endpoint, err)
	}
	var rsp [8 + helloReplySize]byte
	if _, err := io.ReadFull(c, rsp[:8]); err != nil {
		return Version{}, handshakeError(endpoint, err, timeout)
	}
	if n := binary.LittleEndian.Uint64(rsp[:8]); n != helloReplySize {
		return Version{}, fmt.Errorf("RPC server %s answered the handshake with %d bytes, not %d: it speaks another RPC protocol version than this llama.cpp build (%d.%d.%d); run the same llama.cpp release on every host",
			endpoint, n, helloReplySize, ProtoMajor, ProtoMinor, ProtoPatch)
	}
	if _, err := io.ReadFull(c, rsp[8:]); err != nil {
		return Version{}, handshakeError(endpoint, err, timeout)
	}
	v := Version{rsp[8], rsp[9], rsp[10]}
	if !v.Compatible() {
		return v, fmt.Errorf("RPC server %s speaks RPC protocol %s; this llama.cpp build speaks %d.%d.%d: run the same llama.cpp release on every host",
			endpoint, v, ProtoMajor, ProtoMinor, ProtoPatch)
	}
	return v, nil
}

func dialError(endpoint string, err error, timeout time.Duration) error {
	var dns *net.DNSError
	switch {
	case errors.As(err, &dns):
		return fmt.Errorf("RPC server %s: unknown host %s", endpoint, dns.Name)
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("RPC server %s: connection refused: no RPC server listens there (start one on that host with benchtui rpc-server --host ADDRESS --port PORT)", endpoint)
	case errors.Is(err, os.ErrDeadlineExceeded) || isTimeout(err):
		return fmt.Errorf("RPC server %s: not reachable within %s (a firewall, a wrong address, or the host is down)", endpoint, timeout)
	}
	return fmt.Errorf("RPC server %s: %w", endpoint, err)
}

func handshakeError(endpoint string, err error, timeout time.Duration) error {
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded) || isTimeout(err):
		return fmt.Errorf("RPC server %s accepted the connection but did not answer the handshake within %s: an RPC server serves one client at a time, so another client may be using it", endpoint, timeout)
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET):
		return fmt.Errorf("RPC server %s closed the connection during the handshake: it speaks another RPC protocol version than this llama.cpp build (%d.%d.%d), or it is not an RPC server; run the same llama.cpp release on every host",
			endpoint, ProtoMajor, ProtoMinor, ProtoPatch)
	}
	return fmt.Errorf("RPC server %s: handshake: %w", endpoint, err)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
