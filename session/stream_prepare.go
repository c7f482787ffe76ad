package session

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/benchtui/benchtui/dataset"
	"github.com/benchtui/benchtui/engine"
	"github.com/benchtui/benchtui/engine/llamacpp"
	"github.com/benchtui/benchtui/engine/llamaserver"
	"github.com/benchtui/benchtui/engine/openai"
)

// chatTemplateTokens is the room a managed llama-server's context keeps per request for the
// chat template, which wraps a chat prompt in tokens of its own: the prompt's length is
// known here only without them.
const chatTemplateTokens = 64

// streamPlan is a run prepared for a stream backend.
type streamPlan struct {
	reqs []dataset.Request
	cfg  engine.Config
	load engine.Load
	// textPrompts says that the requests go as text, whose lengths the server counts.
	textPrompts bool
}

// prepare makes and checks the requests of spec, and starts (or restarts) a managed server
// with the slots and context they need. Errors are InputErrors where spec is at fault.
func (s *stream) prepare(ctx context.Context, spec Spec, ev *engine.Events) (*streamPlan, error) {
	if s.closed {
		return nil, errNotStarted
	}
	if spec.Requests == nil && s.vocab <= 0 {
		return nil, inputErr("generated requests need token ids that %s knows, and it does not say its vocabulary: pass --tokenizer naming the served model (a preset or Hugging Face id), or a --dataset", s.info.ModelName)
	}
	reqs, err := requestsOf(spec, engine.BackendInfo{NVocab: s.vocab, EOS: s.eos})
	if err != nil {
		return nil, err
	}
	name := datasetName(spec)
	if err := engine.ValidateStream(reqs); err != nil {
		return nil, inputErr("%s: %w", name, err)
	}
	if err := openai.ValidateRequests(s.api.Endpoint, reqs); err != nil {
		return nil, inputErr("%s: %w", name, err)
	}
	p := &streamPlan{reqs: reqs, cfg: spec.Engine}
	p.load = engine.Load{RequestRate: spec.RequestRate, Burstiness: spec.Burstiness, Seed: spec.Gen.Seed}
	if spec.Requests != nil {
		p.load.Seed = s.opts.Seed
	}
	if err := p.load.Validate(); err != nil {
		return nil, InputError{err}
	}
	chat := s.api.Endpoint == openai.EndpointChat
	for i := range reqs {
		if len(reqs[i].InputIDs) == 0 || chat {
			p.textPrompts = true
			break
		}
	}
	if s.opts.Server.Managed {
		if err := s.prepareServer(ctx, p, name, ev); err != nil {
			return nil, err
		}
		return p, nil
	}
	nVocab := s.info.NVocab
	if nVocab == 0 && s.opts.Server.Vocab != "" {
		nVocab = s.vocab
	}
	if nVocab > 0 {
		if err := dataset.Validate(reqs, nVocab); err != nil {
			return nil, inputErr("%s: %w", name, err)
		}
	}
	if n := s.info.NCtxSeq; n > 0 {
		for i := range reqs {
			r := &reqs[i]
			if len(r.InputIDs) > 0 && len(r.InputIDs)+r.OutputTokens > n {
				return nil, inputErr("%s: %s: prompt (%d tokens) plus output (%d) is longer than the server's context of %d tokens per request",
					name, requestWhere(r, i), len(r.InputIDs), r.OutputTokens, n)
			}
		}
	}
	// The server owns its batching: the run's batch size is the server's slots where it
	// says them (0: not known), for the report and the batch occupancy.
	p.cfg.MaxBatchSize, p.cfg.MaxNumTokens, p.cfg.MaxSeqLen = s.info.NSeqMax, s.info.NBatch, s.info.NCtxSeq
	p.cfg.Policy, p.cfg.Chunking, p.cfg.KVCapacity = "", "", 0
	return p, nil
}

func requestWhere(r *dataset.Request, i int) string {
	if w := r.Where(); w != "" {
		return w
	}
	return fmt.Sprintf("request %d", i)
}

// prepareServer checks the requests against the model and the context they need, and starts
// llama-server with max_batch_size slots of max_seq_len tokens unless one runs with that
// shape already.
func (s *stream) prepareServer(ctx context.Context, p *streamPlan, name string, ev *engine.Events) error {
	bo := s.opts.Backend
	// Text prompts are tokenized here with the model's vocabulary, as the in-process backend
	// does, to size the context; completions then send the ids, chat the text.
	sized := p.reqs
	if p.textPrompts {
		sized = slices.Clone(p.reqs)
		if err := s.tokenize(sized, name); err != nil {
			return err
		}
		if s.api.Endpoint != openai.EndpointChat {
			p.reqs, p.textPrompts = sized, false
		}
	}
	if err := dataset.Validate(sized, s.header.NVocab); err != nil {
		return inputErr("%s: %w", name, err)
	}
	cfg := &p.cfg
	var seqFrom string
	cfg.MaxSeqLen, seqFrom = seqLenFrom(*cfg, sized, name)
	if s.api.Endpoint == openai.EndpointChat && seqFrom != "" {
		cfg.MaxSeqLen += chatTemplateTokens
	}
	cfg.Policy, cfg.Chunking, cfg.KVCapacity = "", "", 0
	if err := engine.Validate(sized, *cfg, s.header.NVocab); err != nil {
		return inputErr("%s: %w", name, err)
	}
	shape := serverShape{parallel: cfg.MaxBatchSize, ctx: cfg.MaxBatchSize * cfg.MaxSeqLen, batch: contextBatch(*cfg), ubatch: bo.NUBatch}
	if s.server != nil && shape == s.shape && !s.serverExited() {
		return nil
	}
	s.stopServer()
	msg := fmt.Sprintf("starting llama-server: %s, %d slots of %d tokens", s.model, shape.parallel, cfg.MaxSeqLen)
	ev.Publish(engine.Lifecycle{Phase: engine.PhaseLoading, Message: msg})
	// The server lives as long as the session (the run's context ends with the run); the
	// run's context only cuts its start short.
	life, end := context.WithCancel(context.Background())
	unwatch := context.AfterFunc(ctx, end)
	b, err := llamaserver.Open(life, s.serverOptions(shape), s.api)
	if !unwatch() || err != nil {
		end()
		if err == nil {
			b.Close()
			err = ctx.Err()
		}
		return fmt.Errorf("llama-server: %w", err)
	}
	s.server, s.b, s.shape, s.endServer = b, b, shape, end
	s.info = s.serverInfo(b.Info(), shape)
	ev.Publish(engine.Lifecycle{Phase: engine.PhaseLoaded, Message: fmt.Sprintf("llama-server at %s serving %s (%d slots of %d tokens)",
		b.Server().URL, s.info.ModelName, shape.parallel, cfg.MaxSeqLen)})
	return nil
}

// serverExited reports whether the managed server has ended.
func (s *stream) serverExited() bool {
	select {
	case <-s.server.Server().Exited():
		return true
	default:
		return false
	}
}

// stopServer stops the managed server, if one runs.
func (s *stream) stopServer() {
	if s.server != nil {
		s.server.Close()
		s.endServer()
	}
	s.server, s.b, s.shape = nil, nil, serverShape{}
}

// tokenize tokenizes the text prompts of reqs with the model's vocabulary, loaded alone.
func (s *stream) tokenize(reqs []dataset.Request, name string) error {
	tok, err := llamacpp.Open(context.Background(), llamacpp.Options{Library: s.opts.Backend.Library, ModelPath: s.modelFile, VocabOnly: true}, nil)
	if err != nil {
		return fmt.Errorf("load the vocabulary of %s: %w", s.modelFile, err)
	}
	defer tok.Close()
	if err := dataset.TokenizePrompts(reqs, tok); err != nil {
		return inputErr("%s: %w", name, err)
	}
	return nil
}

// serverOptions are llama-server's settings for shape: the session's backend options, as
// the in-process backend applies them.
func (s *stream) serverOptions(shape serverShape) llamaserver.Options {
	bo := s.opts.Backend
	threads := bo.Threads
	if threads <= 0 {
		threads = llamacpp.DefaultThreads()
	}
	o := llamaserver.Options{
		Binary: s.binary, ModelPath: s.modelFile, Alias: s.model.DisplayName(),
		Parallel: shape.parallel, CtxSize: shape.ctx, BatchSize: shape.batch, UBatchSize: shape.ubatch,
		FlashAttn: bo.FlashAttn, GPULayers: bo.GPULayers, Threads: threads, ThreadsBatch: bo.ThreadsBatch,
		KVCacheType: bo.KVCacheDType, KVUnified: bo.KVUnified, Log: s.logWriter(),
	}
	if s.model.IsFile() {
		o.Alias = ""
	}
	// --tp 1 is one GPU, as in process; --tp N splits the tensors over the first N.
	switch {
	case bo.SplitMode != "":
		o.Extra = append(o.Extra, "--split-mode", bo.SplitMode)
	case s.opts.TP > 1:
		o.Extra = append(o.Extra, "--split-mode", "tensor")
	default:
		o.Extra = append(o.Extra, "--split-mode", "none")
	}
	split := bo.TensorSplit
	if len(split) == 0 && s.opts.TP > 1 {
		split = make([]float64, s.opts.TP)
		for i := range split {
			split[i] = 1
		}
	}
	if len(split) > 0 {
		parts := make([]string, len(split))
		for i, v := range split {
			parts[i] = fmt.Sprint(v)
		}
		o.Extra = append(o.Extra, "--tensor-split", strings.Join(parts, ","))
	}
	if bo.MainGPU > 0 {
		o.Extra = append(o.Extra, "--main-gpu", fmt.Sprint(bo.MainGPU))
	}
	if len(bo.RPC) > 0 {
		// llama-server reaches the RPC servers itself (no relay measures the traffic).
		o.Extra = append(o.Extra, "--rpc", strings.Join(bo.RPC, ","))
	}
	if bo.BackendSampling != nil && *bo.BackendSampling {
		// llama-server samples each slot on the host unless told otherwise; on an H200 that
		// left the GPU idle most of the time at 64 and 256 slots (docs/benchmarks.md).
		o.Extra = append(o.Extra, "--backend-sampling")
	}
	if bo.OffloadKQV != nil && !*bo.OffloadKQV {
		o.Extra = append(o.Extra, "--no-kv-offload")
	}
	return o
}

// serverInfo is the model's description from its file completed with what the started
// server says about itself and the shape it was started with.
func (s *stream) serverInfo(srv engine.BackendInfo, shape serverShape) engine.BackendInfo {
	info := s.header
	info.Version = srv.Version
	if srv.NVocab > 0 {
		info.NVocab = srv.NVocab
	}
	if srv.NParams > 0 {
		info.NParams = srv.NParams
	}
	info.NSeqMax = shape.parallel
	if srv.NSeqMax > 0 {
		info.NSeqMax = srv.NSeqMax
	}
	info.NCtx, info.NCtxSeq = shape.ctx, shape.ctx/max(shape.parallel, 1)
	if srv.NCtxSeq > 0 {
		info.NCtxSeq = srv.NCtxSeq
	}
	info.NBatch, info.NUBatch = shape.batch, shape.ubatch
	if info.KVUnified = false; s.opts.Backend.KVUnified != nil {
		info.KVUnified = *s.opts.Backend.KVUnified
	}
	info.SplitMode = s.opts.Backend.SplitMode
	info.Threads = s.opts.Backend.Threads
	if info.Threads <= 0 {
		info.Threads = llamacpp.DefaultThreads()
	}
	info.ModelName = srv.ModelName
	info.RunsOn = "llama-server at " + s.server.Server().URL
	return info
}
