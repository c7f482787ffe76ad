package session

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/benchtui/benchtui/engine"
	"github.com/benchtui/benchtui/engine/llamaserver"
	"github.com/benchtui/benchtui/engine/openai"
	"github.com/benchtui/benchtui/report"
	"github.com/benchtui/benchtui/synth"
)

// ServerOptions say how a session reaches a server that schedules requests itself.
type ServerOptions struct {
	// Managed starts llama.cpp's llama-server with the session's model and backend options
	// (--backend llama-server); otherwise BaseURLs are servers that run already (--backend
	// openai).
	Managed bool `json:"managed,omitempty"`
	// BaseURLs are the servers, requests going to them in turn (not for Managed).
	BaseURLs []string `json:"base_urls,omitempty"`
	// Endpoint is openai.EndpointCompletions (the default) or openai.EndpointChat.
	Endpoint string `json:"endpoint,omitempty"`
	// ServedModel is the model name the requests carry ("": the first the server lists).
	ServedModel string `json:"served_model_name,omitempty"`
	// RequestTimeout bounds each request from send to last chunk (0: none).
	RequestTimeout time.Duration `json:"request_timeout_ns,omitempty"`
	// AnyLength accepts outputs of another length than asked for; by default such a request
	// fails, saying that the server did not honour the length.
	AnyLength bool `json:"any_length,omitempty"`
	// Vocab names the model whose vocabulary generated requests draw their token ids from (a
	// preset, a Hugging Face id, a model folder or a GGUF file). Empty means the server's
	// vocabulary when it says it, else the served model's name when benchtui knows it.
	Vocab string `json:"vocab,omitempty"`
	// Binary is llama-server's path for Managed ("": beside the llama.cpp library, then
	// llamaserver.FindBinary).
	Binary string `json:"binary,omitempty"`
}

// stream is a session on a request-driven engine: a server over HTTP, driven by
// engine.RunStream in this process. A managed llama-server is started by the first run and
// restarted when a run needs other slots or another context, which llama-server fixes at
// start.
type stream struct {
	base
	api openai.Options // the client's options; BaseURLs set for servers that run already
	b   engine.StreamBackend
	// vocab and eos are the vocabulary that generated requests draw from (0: none known).
	vocab int
	eos   int32
	// server is the managed llama-server's backend and shape (nil when none runs); header
	// is the model's description from its file, which the server's completes.
	server    *llamaserver.Backend
	endServer context.CancelFunc // ends the context the server was started with
	shape     serverShape
	header    engine.BackendInfo
	binary    string

	mu     sync.Mutex
	abort  context.CancelFunc // ends the current run's streams; nil between runs
	closed bool
}

// serverShape is what a managed llama-server was started with.
type serverShape struct{ parallel, ctx, batch, ubatch int }

// openStream opens a session on servers that run already (it checks them and finds the
// served model), or prepares a managed llama-server (its model written, its binary found;
// the server starts with the first run).
func openStream(ctx context.Context, o Options, env Env, ev *engine.Events) (*stream, error) {
	so := *o.Server
	var err error
	if so.Endpoint, err = openai.EndpointName(so.Endpoint); err != nil {
		return nil, InputError{err}
	}
	if so.RequestTimeout < 0 {
		return nil, inputErr("request timeout %v: it must not be negative (0 is none)", so.RequestTimeout)
	}
	o.Server = &so
	s := &stream{base: base{opts: o, env: env}}
	s.api = openai.Options{Endpoint: so.Endpoint, APIKey: env.APIKey, Model: so.ServedModel,
		RequestTimeout: so.RequestTimeout, AnyLength: so.AnyLength}
	if so.Managed {
		if err := s.openManaged(ctx, ev); err != nil {
			return nil, err
		}
		return s, nil
	}
	s.api.BaseURLs = so.BaseURLs
	ev.Publish(engine.Lifecycle{Phase: engine.PhaseLoading, Message: "connecting to " + strings.Join(so.BaseURLs, ", ")})
	b, err := openai.Open(ctx, s.api)
	if err != nil {
		// The servers are the user's: one that cannot be reached, or that refuses the key,
		// is found before anything runs.
		return nil, InputError{err}
	}
	s.b = b
	s.info = b.Info()
	s.model = synth.Model{Name: b.Model()}
	s.vocab, s.eos, err = serverVocab(o, s.info)
	if err != nil {
		b.Close()
		return nil, err
	}
	ev.Publish(engine.Lifecycle{Phase: engine.PhaseLoaded, Message: fmt.Sprintf("connected to %s, serving %s%s",
		strings.Join(so.BaseURLs, ", "), b.Model(), slotsNote(s.info))})
	return s, nil
}

// openManaged checks the model, writes it if it is synthetic, and finds llama-server.
func (s *stream) openManaged(ctx context.Context, ev *engine.Events) error {
	o := &s.opts
	model, file, err := Check(*o)
	if err != nil {
		return err
	}
	if o.Backend, err = o.normalizedBackend(); err != nil {
		return err
	}
	shape, err := shapeOf(*o)
	if err != nil {
		return err
	}
	bin := o.Server.Binary
	if bin == "" && o.Backend.Library != "" {
		// llama-server is built beside the library: .llama/<variant>/lib and bin.
		lib := o.Backend.Library
		if st, err := os.Stat(lib); err == nil && !st.IsDir() {
			lib = filepath.Dir(lib)
		}
		if cand := filepath.Join(filepath.Dir(lib), "bin", "llama-server"); fileExists(cand) {
			bin = cand
		}
	}
	if s.binary, err = llamaserver.FindBinary(bin); err != nil {
		return InputError{err}
	}
	if file == "" {
		file, err = synth.Ensure(ctx, model, o.Seed, loadingEvents(ev, model.String()))
		if err != nil {
			return fmt.Errorf("write synthetic model %s: %w", model, err)
		}
	}
	s.model, s.modelFile = model, file
	s.header = shape.info
	s.header.Backend = BackendLlamaServer
	s.header.ModelPath = file
	s.header.Library = s.binary
	s.header.GPULayers = *o.Backend.GPULayers
	s.header.FlashAttn = o.Backend.FlashAttn
	s.header.KVType = o.Backend.KVCacheDType
	if s.header.KVType == "" {
		s.header.KVType = "f16" // llama-server's default, as llama.cpp's
	}
	s.header.RunsOn = "llama-server on this machine"
	s.info = s.header
	s.vocab, s.eos = shape.info.NVocab, shape.info.EOS
	ev.Publish(engine.Lifecycle{Phase: engine.PhaseLoaded, Message: fmt.Sprintf("llama-server %s will serve %s; it starts with the run's slots and context",
		s.binary, filepath.Base(file))})
	return nil
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// slotsNote describes the server's slots when it says how many it has.
func slotsNote(info engine.BackendInfo) string {
	if info.NSeqMax > 0 {
		return fmt.Sprintf(" (%d slots of %d tokens)", info.NSeqMax, info.NCtxSeq)
	}
	return ""
}

// serverVocab is the vocabulary that generated requests for servers that run already draw
// from: the model named in o.Server.Vocab, else the server's own, else the served model's
// when its name is a preset or Hugging Face id benchtui knows; 0 when none is known.
func serverVocab(o Options, info engine.BackendInfo) (int, int32, error) {
	if v := o.Server.Vocab; v != "" {
		sh, err := shapeOf(Options{Model: v, Seed: o.Seed})
		if err != nil {
			return 0, 0, inputErr("vocabulary of generated requests: %w", err)
		}
		return sh.info.NVocab, sh.info.EOS, nil
	}
	if info.NVocab > 0 {
		return info.NVocab, -1, nil
	}
	if m, err := synth.ParseModel(info.ModelName); err == nil && !m.IsFile() {
		if p, err := m.Architecture(); err == nil {
			return p.Vocab, -1, nil
		}
	}
	return 0, -1, nil
}

func (s *stream) Run(ctx context.Context, spec Spec, ev *engine.Events) (*Run, error) {
	p, err := s.prepare(ctx, spec, ev)
	if err != nil {
		return nil, err
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	s.mu.Lock()
	s.abort = cancel
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.abort = nil
		s.mu.Unlock()
	}()
	if hw := s.env.Hardware; hw != nil {
		hw.Monitor.SampleNow()
	}
	r := &Run{Spec: spec, Requests: p.reqs, Config: p.cfg, Info: s.info, Start: time.Now(), Endpoints: s.api.BaseURLs}
	if s.server != nil {
		r.Endpoints = []string{s.server.Server().URL}
	}
	res, err := engine.RunStream(runCtx, s.b, p.reqs, p.cfg, p.load, ev)
	r.End = time.Now()
	if res == nil {
		// Only a check before anything was sent fails without a result; prepare made them.
		return nil, InputError{err}
	}
	r.Result, r.Err = res, err
	if srv := s.server; srv != nil && s.serverExited() {
		// The server died under the run: what it said last explains the failures.
		r.Err = fmt.Errorf("llama-server exited during the run: %s", srv.Server().LogTail())
		s.stopServer()
	}
	r.Stats = s.datasetStats(p, res.Records)
	s.endRun(r)
	publishEnd(ev, r, len(p.reqs))
	return r, nil
}

// Abort ends the streams in flight at once: nothing native runs here, so the run returns
// what had finished, as canceled.
func (s *stream) Abort() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.abort != nil {
		s.abort()
	}
	return true
}

func (s *stream) Close() error {
	s.closed = true
	if s.server != nil {
		s.stopServer()
		return nil
	}
	if s.b == nil {
		return nil
	}
	err := s.b.Close()
	s.b = nil
	return err
}

// ServerPID is the managed llama-server's process id (0 when none runs).
func (s *stream) ServerPID() int {
	if s.server == nil {
		return 0
	}
	return s.server.Server().Pid
}

// logWriter is where a managed server's output goes: the session's log, or nowhere.
func (s *stream) logWriter() io.Writer {
	if s.env.Log == nil {
		return nil
	}
	return s.env.Log.Writer()
}

// datasetStats are the statistics of the run's requests. Text prompts that the server
// tokenized have their input lengths from its usage counts.
func (s *stream) datasetStats(p *streamPlan, records []engine.Record) report.Dataset {
	if !p.textPrompts || len(records) != len(p.reqs) {
		return report.DatasetStats(p.reqs)
	}
	isl := make([]int, len(records))
	osl := make([]int, len(records))
	for i := range records {
		isl[i], osl[i] = records[i].InputTokens, p.reqs[i].OutputTokens
	}
	return report.DatasetStatsOfLengths(isl, osl)
}

// errNotStarted is returned when a run finds no backend (the session was closed).
var errNotStarted = errors.New("session is closed")
