package openai

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/benchtui/benchtui/engine"
)

// Send implements engine.StreamBackend: it posts one streamed request to the next endpoint
// and reads its event stream to the end, calling obs for every chunk with output.
func (b *Backend) Send(ctx context.Context, req engine.StreamRequest, obs engine.StreamObserver) (engine.StreamReply, error) {
	ep := &b.eps[int((b.next.Add(1)-1)%uint64(len(b.eps)))]
	reply := engine.StreamReply{Endpoint: ep.base}
	bp := bodyPool.Get().(*[]byte)
	body, err := b.appendBody((*bp)[:0], req.Request)
	if err != nil {
		return reply, err
	}
	pooled := true
	defer func() {
		// A body the transport may still be writing (the server answered before reading
		// it all) is left to the garbage collector rather than reused.
		if pooled && cap(body) <= 1<<20 {
			*bp = body[:0]
			bodyPool.Put(bp)
		}
	}()
	if b.opts.RequestTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, b.opts.RequestTimeout)
		defer cancel()
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, ep.api, bytes.NewReader(body))
	if err != nil {
		return reply, fmt.Errorf("POST %s: %w", ep.api, err)
	}
	hreq.ContentLength = int64(len(body))
	hreq.Header["Content-Type"] = jsonType
	hreq.Header["Accept"] = eventStreamType
	// A keep-alive connection that the server closed while it was idle (llama-server closes
	// one after a few requests) fails the next request on it before the server has read
	// anything; marked idempotent, with a body it can rewind, the request is sent again on a
	// new connection instead of failing. The empty key is not sent.
	hreq.Header["X-Idempotency-Key"] = nil
	if b.auth != "" {
		hreq.Header["Authorization"] = []string{b.auth}
	}
	resp, err := b.client.Do(hreq)
	if err != nil {
		pooled = false
		return reply, requestError("POST", ep.api, err, b.opts.RequestTimeout)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		pooled = false
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		return reply, statusError("POST", ep.api, resp, msg)
	}
	if ct := resp.Header.Get("Content-Type"); strings.HasPrefix(ct, "application/json") {
		return reply, &StreamError{Endpoint: ep.base, Msg: "the server answered with one JSON document, not an event stream: it ignored \"stream\": true"}
	}
	st := stream{b: b, ep: ep, obs: obs, reply: &reply}
	if err := st.read(resp.Body); err != nil {
		if ctx.Err() != nil {
			return reply, requestError("POST", ep.api, ctx.Err(), b.opts.RequestTimeout)
		}
		return reply, err
	}
	return reply, st.check(req.Request.OutputTokens)
}

var (
	jsonType        = []string{"application/json"}
	eventStreamType = []string{"text/event-stream"}
)

// stream is one response's event stream being read.
type stream struct {
	b     *Backend
	ep    *endpoint
	obs   engine.StreamObserver
	reply *engine.StreamReply

	events int  // data events read
	chunks int  // chunks with output
	tokens int  // tokens counted from the chunks
	usage  bool // the server sent usage
	done   bool // [DONE] was read
	c      chunk
}

// A stream's read buffer starts small, since a chunk is a few hundred bytes and thousands of
// streams may be open, and grows for a long line up to maxLine.
const (
	initialLine = 8 << 10
	maxLine     = 64 << 20
)

var linePool = sync.Pool{New: func() any { b := make([]byte, initialLine); return &b }}

// read consumes the event stream. Every line completed by one read from the connection gets
// the time read right after that read returned.
func (s *stream) read(body io.Reader) error {
	bp := linePool.Get().(*[]byte)
	buf := *bp
	defer func() {
		if cap(buf) <= 1<<20 {
			*bp = buf[:cap(buf)]
			linePool.Put(bp)
		}
	}()
	start, end := 0, 0
	for {
		if end == len(buf) {
			if start > 0 {
				end = copy(buf, buf[start:end])
				start = 0
			} else {
				if len(buf) >= maxLine {
					return &StreamError{Endpoint: s.ep.base, Msg: fmt.Sprintf("a line longer than %d MiB", maxLine>>20)}
				}
				nb := make([]byte, 2*len(buf))
				copy(nb, buf[:end])
				buf = nb
			}
		}
		n, rerr := body.Read(buf[end:])
		at := time.Now()
		end += n
		for {
			nl := bytes.IndexByte(buf[start:end], '\n')
			if nl < 0 {
				break
			}
			line := buf[start : start+nl]
			start += nl + 1
			if err := s.line(line, at); err != nil {
				return err
			}
		}
		if start == end {
			start, end = 0, 0
		}
		if rerr == io.EOF {
			if start < end {
				// A last line without its newline.
				if err := s.line(buf[start:end], at); err != nil {
					return err
				}
			}
			return nil
		}
		if rerr != nil {
			if errors.Is(rerr, context.Canceled) || errors.Is(rerr, context.DeadlineExceeded) {
				return rerr
			}
			if errors.Is(rerr, io.ErrUnexpectedEOF) {
				return &StreamError{Endpoint: s.ep.base, Msg: fmt.Sprintf("the server closed the connection after %d events, before the stream's end", s.events)}
			}
			return fmt.Errorf("read the stream from %s: %v", s.ep.base, rerr)
		}
	}
}

var (
	dataPrefix = []byte("data:")
	doneMarker = []byte("[DONE]")
)

// line handles one line of the event stream. Each data line holds one JSON chunk: the
// servers this backend talks to never split a chunk over several data lines, so the events'
// blank-line boundaries need no tracking.
func (s *stream) line(line []byte, at time.Time) error {
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	if len(line) == 0 || line[0] == ':' || !bytes.HasPrefix(line, dataPrefix) {
		return nil // an event boundary, a comment (keep-alive), or event:/id:/retry:
	}
	payload := line[len(dataPrefix):]
	if len(payload) > 0 && payload[0] == ' ' {
		payload = payload[1:]
	}
	if s.done {
		return nil
	}
	if bytes.Equal(payload, doneMarker) {
		s.done = true
		return nil
	}
	s.events++
	c := &s.c
	if err := parseChunk(payload, c); err != nil {
		return &StreamError{Endpoint: s.ep.base, Msg: fmt.Sprintf("event %d is not a JSON chunk (%v): %s", s.events, err, excerpt(payload, 80))}
	}
	if c.errVal != nil {
		return fmt.Errorf("%s reported an error mid-stream: %s", s.ep.base, serverMessage(append(append([]byte(`{"error":`), c.errVal...), '}')))
	}
	tokens := 1
	if c.tokenIDs > 0 {
		tokens = c.tokenIDs
	}
	if c.usage != nil {
		var u struct {
			Prompt     int `json:"prompt_tokens"`
			Completion int `json:"completion_tokens"`
		}
		if err := json.Unmarshal(c.usage, &u); err != nil {
			return &StreamError{Endpoint: s.ep.base, Msg: fmt.Sprintf("event %d: usage is not what the API says: %v", s.events, err)}
		}
		s.usage = true
		s.reply.PromptTokens, s.reply.OutputTokens = u.Prompt, u.Completion
		if c.choice && u.Completion > s.tokens {
			// A server that sends usage with every chunk (vLLM's continuous_usage_stats)
			// says exactly how many tokens each chunk carried.
			tokens = u.Completion - s.tokens
		}
	}
	if c.timings != nil {
		var t engine.ServerTimings
		if json.Unmarshal(c.timings, &t) == nil {
			s.reply.Server = &t
		}
	}
	if c.finishReason != "" {
		s.reply.FinishReason = c.finishReason
	}
	// Completions: a chunk with text, or with empty text while unfinished (a token whose piece
	// is empty), is a token; an empty chunk that only says the completion finished is not.
	// Chat: only deltas with content (or reasoning) count; the first, role-only delta does not.
	if c.output || (c.emptyText && c.finishReason == "" && !s.b.chat) {
		s.chunks++
		s.tokens += tokens
		s.obs.Chunk(at, tokens)
	}
	return nil
}

// check says whether the stream was complete and had the requested length.
func (s *stream) check(want int) error {
	if !s.done && s.reply.FinishReason == "" {
		return &StreamError{Endpoint: s.ep.base, Msg: fmt.Sprintf("it ended after %d events without a finish_reason or [DONE]", s.events)}
	}
	if s.events == 0 {
		return &StreamError{Endpoint: s.ep.base, Msg: "it held no chunk"}
	}
	got := s.tokens
	if s.usage {
		got = s.reply.OutputTokens
	}
	if got != want && !s.b.opts.AnyLength {
		return &LengthError{Got: got, Want: want, FinishReason: s.reply.FinishReason, Endpoint: s.ep.base}
	}
	return nil
}

// String describes the backend for logs.
func (b *Backend) String() string {
	return b.opts.Name + " " + b.opts.Endpoint + " " + strconv.Quote(b.opts.Model) + " at " + strings.Join(b.Endpoints(), ",")
}
