// Package openai is a stream backend (engine.StreamBackend) for servers with an
// OpenAI-compatible HTTP API: vLLM, SGLang, trtllm-serve, TGI, llama.cpp's llama-server.
//
// Every request is a streamed completion (/v1/completions, the prompt as token ids when the
// dataset has them and as text otherwise) or chat completion (/v1/chat/completions, text),
// asking for usage in the stream and for an exact output length (max_tokens with ignore_eos
// and min_tokens, which vLLM, SGLang, trtllm-serve and llama-server honour). Each chunk is
// timed from the monotonic clock right after the socket read that completed it; the first
// chunk with output is the first token. A chunk that carries several tokens (a server that
// batches its writes, speculative decoding) counts as one in the chunk stream, and the usage
// count at the end says how many tokens there were: the engine spreads them over the chunks,
// so inter-token latency is per chunk where chunks carry several tokens, as in vLLM's
// benchmark. A server's own timings (llama-server's "timings") are kept per request.
//
// Requests go to the base URLs in turn (round-robin), each record naming its endpoint. Errors
// are one line: a refused connection, an HTTP error with the server's own message, a stream
// that is not an event stream of JSON chunks, a server that did not produce the requested
// number of tokens.
package openai

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/benchtui/benchtui/engine"
)

// Endpoint names the API a backend calls.
const (
	EndpointCompletions = "completions"
	EndpointChat        = "chat"
)

// Options configure a Backend.
type Options struct {
	// BaseURLs are the servers, each with or without its /v1 suffix
	// ("http://127.0.0.1:8000"); requests go to them in turn.
	BaseURLs []string
	// Endpoint is EndpointCompletions (the default) or EndpointChat.
	Endpoint string
	// APIKey is sent as a bearer token; empty means $OPENAI_API_KEY (and none when unset).
	APIKey string
	// Model is the served model name; empty means the first model the first server lists
	// at /v1/models.
	Model string
	// RequestTimeout bounds each request from send to last chunk (0: no bound).
	RequestTimeout time.Duration
	// StandardOnly sends only the OpenAI API's own fields, for servers that reject others:
	// no ignore_eos and no min_tokens, so output lengths are then the server's choice.
	StandardOnly bool
	// AnyLength accepts outputs of another length than the request's output_tokens; by
	// default such a request fails, saying that the server does not honour the length.
	AnyLength bool
	// Extra fields are added to every request body (llama-server's cache_prompt, ...).
	Extra map[string]any
	// MaxConnsPerEndpoint limits the connections to each server (0: as many as requests in
	// flight).
	MaxConnsPerEndpoint int
	// Name is the backend's name in Info (default "openai").
	Name string
	// HTTPClient replaces the tuned client (tests).
	HTTPClient *http.Client
}

// Backend is a stream backend for OpenAI-compatible servers. Its methods may be called from
// many goroutines.
type Backend struct {
	opts    Options
	client  *http.Client
	eps     []endpoint
	next    atomic.Uint64
	auth    string
	chat    bool
	info    engine.BackendInfo
	prefix  []byte // the body's fields shared by every request
	metrics metricsState
}

// endpoint is one server.
type endpoint struct {
	base    string // the base URL as given, for records
	api     string // the URL of the completions or chat endpoint
	root    string // scheme://host[:port]/prefix without /v1, for /metrics and /health
	v1      string // root + "/v1"
	display string
}

// connBufferSize is the size of each connection's read and write buffers. One read takes
// every chunk that has arrived (16 KiB is some fifty chunks); a request body larger than the
// write buffer (a 50,000-token prompt is about 300 KB) goes to the socket straight from its
// own bytes after the headers, in a few system calls, so a larger buffer would only cost
// memory: thousands of connections may be open.
const connBufferSize = 16 << 10

// NewTransport is the HTTP transport the backend uses: one connection per stream in flight,
// kept alive and reused (an idle pool as large as the number of streams, so that a run never
// reconnects), HTTP/1.1 (each stream on a connection of its own, as the benchmark clients of
// vLLM and SGLang do), and no compression (an event stream is read as it arrives).
func NewTransport(maxConnsPerHost int) *http.Transport {
	return &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: (&net.Dialer{
			Timeout:   30 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		MaxIdleConns:          0,
		MaxIdleConnsPerHost:   1 << 16,
		MaxConnsPerHost:       maxConnsPerHost,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: 0,
		DisableCompression:    true,
		ReadBufferSize:        connBufferSize,
		WriteBufferSize:       connBufferSize,
	}
}

// CheckOptions checks o without touching the network: base URLs that parse, a known
// endpoint. The commands call it with the other flags, before anything starts.
func CheckOptions(o Options) error {
	_, err := normalize(o)
	return err
}

// EndpointName is the endpoint named by s: EndpointCompletions for "", "completions" or
// "/v1/completions", EndpointChat for "chat", "chat_completions" or "/v1/chat/completions".
func EndpointName(s string) (string, error) {
	switch s {
	case "", EndpointCompletions, "/v1/completions":
		return EndpointCompletions, nil
	case EndpointChat, "chat_completions", "/v1/chat/completions":
		return EndpointChat, nil
	}
	return s, fmt.Errorf("endpoint %q: use completions (/v1/completions) or chat (/v1/chat/completions)", s)
}

func normalize(o Options) (Options, error) {
	if len(o.BaseURLs) == 0 {
		return o, errors.New("no base URL: pass --base_url http://HOST:PORT")
	}
	var err error
	if o.Endpoint, err = EndpointName(o.Endpoint); err != nil {
		return o, err
	}
	for _, raw := range o.BaseURLs {
		if _, err := parseEndpoint(raw, false); err != nil {
			return o, err
		}
	}
	if o.RequestTimeout < 0 {
		return o, fmt.Errorf("request timeout %v: it must not be negative (0 is none)", o.RequestTimeout)
	}
	return o, nil
}

// Open checks the servers (each must answer /v1/models), finds the served model name when
// none is given, and describes the first server in Info.
func Open(ctx context.Context, o Options) (*Backend, error) {
	o, err := normalize(o)
	if err != nil {
		return nil, err
	}
	if o.APIKey == "" {
		o.APIKey = os.Getenv("OPENAI_API_KEY")
	}
	if o.Name == "" {
		o.Name = "openai"
	}
	b := &Backend{opts: o, chat: o.Endpoint == EndpointChat}
	if o.APIKey != "" {
		b.auth = "Bearer " + o.APIKey
	}
	b.client = o.HTTPClient
	if b.client == nil {
		b.client = &http.Client{Transport: NewTransport(o.MaxConnsPerEndpoint)}
	}
	for _, raw := range o.BaseURLs {
		ep, err := parseEndpoint(raw, b.chat)
		if err != nil {
			return nil, err
		}
		b.eps = append(b.eps, ep)
	}
	var models []modelInfo
	for i := range b.eps {
		m, err := b.listModels(ctx, &b.eps[i])
		if err != nil {
			b.Close()
			return nil, err
		}
		if i == 0 {
			models = m
		}
	}
	if o.Model == "" {
		if len(models) == 0 {
			b.Close()
			return nil, fmt.Errorf("%s/models lists no model: pass --served_model_name", b.eps[0].v1)
		}
		b.opts.Model = models[0].ID
	}
	b.info = b.describe(ctx, models)
	var prefix []byte
	prefix, err = b.bodyPrefix()
	if err != nil {
		b.Close()
		return nil, err
	}
	b.prefix = prefix
	return b, nil
}

func parseEndpoint(raw string, chat bool) (endpoint, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return endpoint{}, fmt.Errorf("base URL %q: want http://HOST:PORT or https://HOST[/PREFIX]", raw)
	}
	path := strings.TrimRight(u.Path, "/")
	for _, suffix := range []string{"/chat/completions", "/completions"} {
		path = strings.TrimSuffix(path, suffix)
	}
	path = strings.TrimSuffix(path, "/v1")
	root := u.Scheme + "://" + u.Host + path
	ep := endpoint{base: strings.TrimSpace(raw), root: root, v1: root + "/v1", display: u.Host + path}
	if chat {
		ep.api = ep.v1 + "/chat/completions"
	} else {
		ep.api = ep.v1 + "/completions"
	}
	return ep, nil
}

// modelInfo is an entry of /v1/models, with the details some servers add.
type modelInfo struct {
	ID string `json:"id"`
	// MaxModelLen is vLLM's context length.
	MaxModelLen int `json:"max_model_len"`
	// Meta is llama-server's model description.
	Meta *struct {
		NVocab    int    `json:"n_vocab"`
		NCtx      int    `json:"n_ctx"`
		NCtxTrain int    `json:"n_ctx_train"`
		NEmbd     int    `json:"n_embd"`
		NParams   uint64 `json:"n_params"`
		Size      uint64 `json:"size"`
	} `json:"meta"`
}

func (b *Backend) listModels(ctx context.Context, ep *endpoint) ([]modelInfo, error) {
	var list struct {
		Data []modelInfo `json:"data"`
	}
	if err := b.getJSON(ctx, ep.v1+"/models", &list); err != nil {
		return nil, err
	}
	return list.Data, nil
}

// getJSON GETs a small JSON document (10 s at most).
func (b *Backend) getJSON(ctx context.Context, u string, v any) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("GET %s: %w", u, err)
	}
	if b.auth != "" {
		req.Header.Set("Authorization", b.auth)
	}
	resp, err := b.client.Do(req)
	if err != nil {
		return requestError("GET", u, err, 0)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("GET %s: read: %w", u, err)
	}
	if resp.StatusCode != http.StatusOK {
		return statusError("GET", u, resp, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("GET %s: not the JSON expected: %v", u, err)
	}
	return nil
}

// describe builds Info from what the first server says about itself: /v1/models, then
// llama-server's /props or vLLM's /version where they exist.
func (b *Backend) describe(ctx context.Context, models []modelInfo) engine.BackendInfo {
	ep := &b.eps[0]
	hosts := make([]string, len(b.eps))
	for i := range b.eps {
		hosts[i] = b.eps[i].display
	}
	info := engine.BackendInfo{
		Backend:   b.opts.Name,
		ModelName: b.opts.Model,
		ModelDesc: b.opts.Model,
		ModelPath: strings.Join(hosts, ","),
		RunsOn:    "server " + strings.Join(hosts, ", "),
		BOS:       -1,
		EOS:       -1,
	}
	for _, m := range models {
		if m.ID != b.opts.Model {
			continue
		}
		info.NCtx, info.NCtxSeq = m.MaxModelLen, m.MaxModelLen
		if m.Meta != nil {
			info.NVocab, info.NCtxTrain, info.NEmbd = m.Meta.NVocab, m.Meta.NCtxTrain, m.Meta.NEmbd
			info.NParams, info.SizeBytes = m.Meta.NParams, m.Meta.Size
			info.NCtxSeq = m.Meta.NCtx
		}
	}
	var props struct {
		TotalSlots int    `json:"total_slots"`
		BuildInfo  string `json:"build_info"`
		ModelPath  string `json:"model_path"`
		Settings   struct {
			NCtx int `json:"n_ctx"`
		} `json:"default_generation_settings"`
	}
	if b.getJSON(ctx, ep.root+"/props", &props) == nil && props.TotalSlots > 0 {
		info.NSeqMax = props.TotalSlots
		info.Version = props.BuildInfo
		if props.Settings.NCtx > 0 {
			info.NCtxSeq = props.Settings.NCtx
			info.NCtx = props.Settings.NCtx * props.TotalSlots
		}
		if props.ModelPath != "" {
			info.ModelPath = props.ModelPath
		}
	} else {
		var v struct {
			Version string `json:"version"`
		}
		if b.getJSON(ctx, ep.root+"/version", &v) == nil {
			info.Version = v.Version
		}
	}
	return info
}

// Info describes the backend and the served model.
func (b *Backend) Info() engine.BackendInfo { return b.info }

// Model is the served model name the requests carry.
func (b *Backend) Model() string { return b.opts.Model }

// Endpoints are the base URLs, as given.
func (b *Backend) Endpoints() []string {
	out := make([]string, len(b.eps))
	for i := range b.eps {
		out[i] = b.eps[i].base
	}
	return out
}

// Close releases idle connections.
func (b *Backend) Close() error {
	b.client.CloseIdleConnections()
	return nil
}
