package openai

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"
)

// requestError turns a transport error into one line that says what happened: a refused
// connection, a name that does not resolve, a timeout.
func requestError(method, u string, err error, timeout time.Duration) error {
	var dns *net.DNSError
	var op *net.OpError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		host := u
		if errors.As(err, &op) && op.Addr != nil {
			host = op.Addr.String()
		}
		return fmt.Errorf("%s %s: connection refused: no server is listening at %s", method, u, host)
	case errors.As(err, &dns):
		return fmt.Errorf("%s %s: host %s not found", method, u, dns.Name)
	case errors.Is(err, context.DeadlineExceeded) && timeout > 0:
		return fmt.Errorf("%s %s: no complete answer within the request timeout of %s: %w", method, u, timeout, context.DeadlineExceeded)
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("%s %s: %w", method, u, context.Canceled)
	case errors.Is(err, syscall.ECONNRESET):
		return fmt.Errorf("%s %s: the server reset the connection", method, u)
	}
	var ue interface{ Unwrap() error }
	if errors.As(err, &ue) && strings.HasPrefix(err.Error(), method) {
		// net/http's *url.Error repeats the method and URL: keep its cause only.
		if inner := ue.Unwrap(); inner != nil {
			err = inner
		}
	}
	return fmt.Errorf("%s %s: %v", method, u, oneLine(err.Error()))
}

// statusError reports an HTTP error status with the server's own message, taken from the
// JSON error bodies servers send ({"error": {"message": ...}} from OpenAI, llama-server and
// SGLang; {"message": ...} from vLLM; {"detail": ...} from FastAPI's validation; {"error":
// "..."} from TGI), or the start of the body when it is not one of those.
func statusError(method, u string, resp *http.Response, body []byte) error {
	msg := serverMessage(body)
	if msg == "" {
		msg = "(no message)"
	}
	return fmt.Errorf("%s %s: %s: %s", method, u, resp.Status, msg)
}

// serverMessage extracts the message of a JSON error body, or returns the start of a body
// that is not JSON.
func serverMessage(body []byte) string {
	var e struct {
		Error   json.RawMessage `json:"error"`
		Message string          `json:"message"`
		Detail  json.RawMessage `json:"detail"`
	}
	if json.Unmarshal(body, &e) == nil {
		if len(e.Error) > 0 {
			var inner struct {
				Message string `json:"message"`
			}
			var s string
			switch {
			case json.Unmarshal(e.Error, &inner) == nil && inner.Message != "":
				return oneLine(inner.Message)
			case json.Unmarshal(e.Error, &s) == nil && s != "":
				return oneLine(s)
			}
		}
		if e.Message != "" {
			return oneLine(e.Message)
		}
		if len(e.Detail) > 0 {
			var s string
			if json.Unmarshal(e.Detail, &s) == nil {
				return oneLine(s)
			}
			return oneLine(string(e.Detail))
		}
	}
	return oneLine(excerpt(body, 200))
}

// excerpt is the start of b, cut at a rune boundary, with an ellipsis when cut.
func excerpt(b []byte, n int) string {
	if len(b) <= n {
		return string(b)
	}
	for n > 0 && !utf8.RuneStart(b[n]) {
		n--
	}
	return string(b[:n]) + "..."
}

// oneLine folds a message onto one line.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}

// LengthError is a request whose output had another length than the one asked for: the
// server ignored max_tokens, ignore_eos or min_tokens.
type LengthError struct {
	Got, Want    int
	FinishReason string
	Endpoint     string
}

func (e *LengthError) Error() string {
	why := "it does not honour max_tokens"
	if e.Got < e.Want {
		why = "it does not honour ignore_eos/min_tokens"
		if e.FinishReason != "" && e.FinishReason != "stop" {
			why = "it stopped early (finish_reason " + e.FinishReason + ")"
		}
	}
	return fmt.Sprintf("%s produced %d output tokens where %d were requested: %s (pass --any_length to accept such outputs)", e.Endpoint, e.Got, e.Want, why)
}

// StreamError is a stream that is not what the API promises: not an event stream, a chunk
// that is not JSON, an error in the stream, or a stream that ends before it is finished.
type StreamError struct {
	Endpoint string
	Msg      string
}

func (e *StreamError) Error() string { return "malformed stream from " + e.Endpoint + ": " + e.Msg }
