// Package openaitest is a streaming server that speaks enough of the OpenAI API to test and
// benchmark clients: it streams completion chunks on a known schedule (a first token after
// TTFT, then one chunk every Gap), records when it wrote each one, and can misbehave on
// purpose (an HTTP error, a malformed stream, an ignored length).
//
// It is a plain HTTP/1.1 server on a raw TCP listener rather than net/http, so that it costs
// as little as possible next to the client it measures: each chunk is one preformatted write.
package openaitest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Fault is a way for the server to misbehave.
type Fault string

// The faults the server knows.
const (
	// FaultNone serves normally.
	FaultNone Fault = ""
	// FaultStatus500 answers every completion with 500 and a JSON error message.
	FaultStatus500 Fault = "500"
	// FaultMalformed sends one good chunk and then a line that is not JSON.
	FaultMalformed Fault = "malformed"
	// FaultShort ignores the requested length: half the tokens, then finish_reason "stop".
	FaultShort Fault = "short"
	// FaultCut closes the connection halfway through the stream.
	FaultCut Fault = "cut"
)

// ErrorMessage is the message FaultStatus500 sends.
const ErrorMessage = "the model is on fire"

// Options shape the server's streams.
type Options struct {
	// Model is the name /v1/models lists (default "test-model").
	Model string
	// TTFT is the time from reading a request to writing its first chunk.
	TTFT time.Duration
	// Gap is the time between chunks; 0 writes them as fast as the connection takes them,
	// Coalesce at a time.
	Gap time.Duration
	// TokensPerChunk is how many tokens each chunk carries (default 1); usage counts them all.
	TokensPerChunk int
	// Coalesce, with Gap 0, writes this many chunks per write (default 1).
	Coalesce int
	// Fault makes the server misbehave.
	Fault Fault
	// Record keeps the write time of every chunk (Streams).
	Record bool
	// Timings adds llama-server's "timings" object to the last chunk.
	Timings bool
	// APIKey, when set, is the bearer token every request must carry (401 otherwise).
	APIKey string
}

// Stream is what the server did for one request.
type Stream struct {
	// ID is the request's first prompt token id (the client's request index, when the
	// client puts it there), or -1.
	ID int
	// MaxTokens is the length the request asked for.
	MaxTokens int
	// Received is when the server had read the whole request.
	Received time.Time
	// Writes are the times just before each chunk's write, in order.
	Writes []time.Time
	// PromptBytes is the size of the request body.
	PromptBytes int
}

// Server is a running test server.
type Server struct {
	URL  string
	opts Options
	ln   net.Listener

	pace    *pacer
	mu      sync.Mutex
	streams []*Stream
	conns   map[net.Conn]struct{}
	active  atomic.Int64
	chunks  atomic.Int64
	wg      sync.WaitGroup
	closed  atomic.Bool
}

// Start listens on a free loopback port and serves until Close.
func Start(o Options) (*Server, error) {
	if o.Model == "" {
		o.Model = "test-model"
	}
	if o.TokensPerChunk < 1 {
		o.TokensPerChunk = 1
	}
	if o.Coalesce < 1 {
		o.Coalesce = 1
	}
	ln, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Server{URL: "http://" + ln.Addr().String(), opts: o, ln: ln, conns: map[net.Conn]struct{}{}, pace: newPacer()}
	s.wg.Go(s.accept)
	return s, nil
}

// Close stops the server and ends its connections.
func (s *Server) Close() {
	if s.closed.Swap(true) {
		return
	}
	s.ln.Close()
	s.mu.Lock()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.pace.close()
	s.wg.Wait()
}

// Streams returns what the server did for every request so far.
func (s *Server) Streams() []*Stream {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*Stream(nil), s.streams...)
}

// Chunks is the number of chunks written so far.
func (s *Server) Chunks() int64 { return s.chunks.Load() }

func (s *Server) accept() {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns[c] = struct{}{}
		s.mu.Unlock()
		s.wg.Go(func() {
			defer func() {
				s.mu.Lock()
				delete(s.conns, c)
				s.mu.Unlock()
				c.Close()
			}()
			s.serve(c)
		})
	}
}

// serve answers the requests of one keep-alive connection.
func (s *Server) serve(c net.Conn) {
	br := bufio.NewReaderSize(c, 64<<10)
	for {
		method, path, auth, body, err := readRequest(br)
		if err != nil {
			return
		}
		switch {
		case s.opts.APIKey != "" && auth != "Bearer "+s.opts.APIKey:
			writeResponse(c, 401, "application/json", `{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","code":401}}`)
		case method == "GET" && path == "/v1/models":
			writeResponse(c, 200, "application/json", fmt.Sprintf(`{"object":"list","data":[{"id":%q,"object":"model"}]}`, s.opts.Model))
		case method == "GET" && path == "/metrics":
			a := s.active.Load()
			writeResponse(c, 200, "text/plain; version=0.0.4", fmt.Sprintf(
				"# TYPE vllm:num_requests_running gauge\nvllm:num_requests_running{model_name=%q} %d\nvllm:num_requests_waiting{model_name=%q} 0\nvllm:kv_cache_usage_perc{model_name=%q} %g\n",
				s.opts.Model, a, s.opts.Model, s.opts.Model, float64(a)/1000))
		case method == "POST" && (path == "/v1/completions" || path == "/v1/chat/completions"):
			if !s.complete(c, body, path == "/v1/chat/completions") {
				return
			}
		default:
			writeResponse(c, 404, "application/json", `{"error":{"message":"not found","code":404}}`)
		}
	}
}

// readRequest reads one request: its method, path, Authorization header and body (by
// Content-Length).
func readRequest(br *bufio.Reader) (method, path, auth string, body []byte, err error) {
	line, err := br.ReadSlice('\n')
	if err != nil {
		return "", "", "", nil, err
	}
	f := strings.Fields(string(line))
	if len(f) < 2 {
		return "", "", "", nil, errors.New("bad request line")
	}
	method, path = f[0], f[1]
	n := 0
	for {
		h, err := br.ReadSlice('\n')
		if err != nil {
			return "", "", "", nil, err
		}
		h = bytes.TrimRight(h, "\r\n")
		if len(h) == 0 {
			break
		}
		if k, v, ok := bytes.Cut(h, []byte(":")); ok {
			switch {
			case strings.EqualFold(string(k), "content-length"):
				n, _ = strconv.Atoi(strings.TrimSpace(string(v)))
			case strings.EqualFold(string(k), "authorization"):
				auth = strings.TrimSpace(string(v))
			}
		}
	}
	body = make([]byte, n)
	if _, err := io.ReadFull(br, body); err != nil {
		return "", "", "", nil, err
	}
	return method, path, auth, body, nil
}

func writeResponse(c net.Conn, status int, ctype, body string) {
	fmt.Fprintf(c, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n%s", status, statusText(status), ctype, len(body), body)
}

func statusText(code int) string {
	switch code {
	case 200:
		return "OK"
	case 401:
		return "Unauthorized"
	case 404:
		return "Not Found"
	case 500:
		return "Internal Server Error"
	}
	return "Status"
}

// intField finds "key": N in a JSON body without decoding it (bodies can be 300 KB).
func intField(body []byte, key string) (int, bool) {
	i := bytes.Index(body, []byte(`"`+key+`":`))
	if i < 0 {
		return 0, false
	}
	j := i + len(key) + 3
	for j < len(body) && (body[j] == ' ' || body[j] == '[') {
		j++
	}
	k := j
	for k < len(body) && body[k] >= '0' && body[k] <= '9' {
		k++
	}
	v, err := strconv.Atoi(string(body[j:k]))
	return v, err == nil
}

// complete streams one completion; it returns false when the connection must close.
func (s *Server) complete(c net.Conn, body []byte, chat bool) bool {
	st := &Stream{ID: -1, Received: time.Now(), PromptBytes: len(body)}
	if id, ok := intField(body, "prompt"); ok {
		st.ID = id
	}
	key := "max_tokens"
	if chat {
		key = "max_completion_tokens"
	}
	st.MaxTokens, _ = intField(body, key)
	if s.opts.Record {
		s.mu.Lock()
		s.streams = append(s.streams, st)
		s.mu.Unlock()
	}
	if s.opts.Fault == FaultStatus500 {
		writeResponse(c, 500, "application/json", `{"error":{"message":"`+ErrorMessage+`","type":"server_error","code":500}}`)
		return true
	}
	s.active.Add(1)
	defer s.active.Add(-1)
	if _, err := io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n\r\n"); err != nil {
		return false
	}
	tokens := st.MaxTokens
	if s.opts.Fault == FaultShort {
		tokens = max(tokens/2, 1)
	}
	per := s.opts.TokensPerChunk
	nChunks := (tokens + per - 1) / per
	piece := tokenChunk(chat, per)
	var buf []byte
	start := st.Received.Add(s.opts.TTFT)
	wake := make(chan struct{}, 1)
	for k := 0; k < nChunks; {
		if s.opts.Gap > 0 || k == 0 {
			s.pace.wait(start.Add(time.Duration(k)*s.opts.Gap), wake)
		}
		batch := 1
		if s.opts.Gap == 0 {
			batch = min(s.opts.Coalesce, nChunks-k)
		}
		buf = buf[:0]
		for range batch {
			buf = appendChunk(buf, piece)
		}
		if s.opts.Fault == FaultMalformed && k == 1 {
			buf = appendChunk(buf[:0], []byte("data: {\"choices\": oops\n\n"))
		}
		if s.opts.Fault == FaultCut && k >= nChunks/2 {
			return false
		}
		if s.opts.Record {
			now := time.Now()
			for range batch {
				st.Writes = append(st.Writes, now)
			}
		}
		if _, err := c.Write(buf); err != nil {
			return false
		}
		s.chunks.Add(int64(batch))
		k += batch
	}
	finish := "length"
	if s.opts.Fault == FaultShort {
		finish = "stop"
	}
	var last []byte
	if chat {
		last = fmt.Appendf(nil, `data: {"choices":[{"index":0,"delta":{},"finish_reason":%q}]}`+"\n\n"+`data: {"choices":[],"usage":{"prompt_tokens":%d,"completion_tokens":%d,"total_tokens":%d}}`+"\n\n", finish, 1, tokens, tokens+1)
	} else {
		timings := ""
		if s.opts.Timings {
			timings = fmt.Sprintf(`,"timings":{"cache_n":0,"prompt_n":1,"prompt_ms":%.3f,"predicted_n":%d,"predicted_ms":%.3f}`,
				float64(s.opts.TTFT)/1e6, tokens, float64(s.opts.Gap*time.Duration(nChunks))/1e6)
		}
		last = fmt.Appendf(nil, `data: {"choices":[{"text":"","index":0,"logprobs":null,"finish_reason":%q}],"object":"text_completion","usage":{"prompt_tokens":%d,"completion_tokens":%d,"total_tokens":%d}%s}`+"\n\n", finish, 1, tokens, tokens+1, timings)
	}
	buf = appendChunk(buf[:0], last)
	buf = appendChunk(buf, []byte("data: [DONE]\n\n"))
	buf = append(buf, "0\r\n\r\n"...)
	_, err := c.Write(buf)
	return err == nil
}

// tokenChunk is one event carrying n tokens, shaped like vLLM's chunks.
func tokenChunk(chat bool, n int) []byte {
	text := strings.Repeat(" tok", n)
	if chat {
		return fmt.Appendf(nil, `data: {"id":"chatcmpl-test","object":"chat.completion.chunk","created":1,"model":"test-model","choices":[{"index":0,"delta":{"content":%q},"logprobs":null,"finish_reason":null}]}`+"\n\n", text)
	}
	return fmt.Appendf(nil, `data: {"id":"cmpl-test","object":"text_completion","created":1,"model":"test-model","choices":[{"index":0,"text":%q,"logprobs":null,"finish_reason":null,"stop_reason":null}],"usage":null}`+"\n\n", text)
}

// appendChunk appends data as one HTTP/1.1 chunk.
func appendChunk(dst, data []byte) []byte {
	dst = strconv.AppendInt(dst, int64(len(data)), 16)
	dst = append(dst, '\r', '\n')
	dst = append(dst, data...)
	return append(dst, '\r', '\n')
}
