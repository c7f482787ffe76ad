package main

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/benchtui/benchtui/engine"
	"github.com/benchtui/benchtui/engine/openai"
	"github.com/benchtui/benchtui/report"
	"github.com/benchtui/benchtui/session"
)

// backendNames are the values --backend takes, as the session names them.
var backendNames = []string{session.BackendLlamaCpp, session.BackendOpenAI, session.BackendLlamaServer}

// canonicalBackend is the backend a --backend value names ("" when none): llama_server
// is llama-server, as the flags' dash and underscore spellings are one.
func canonicalBackend(v string) string {
	v = strings.ToLower(strings.TrimSpace(v))
	if v == "llama_server" || v == "llamaserver" {
		v = session.BackendLlamaServer
	}
	for _, b := range backendNames {
		if v == b {
			return b
		}
	}
	return ""
}

// urlList is a repeatable flag whose values may also be comma-separated.
type urlList []string

func (u *urlList) String() string { return strings.Join(*u, ",") }

// UnmarshalTOML reads a settings file's value: a string (comma-separated) or a list of
// strings.
func (u *urlList) UnmarshalTOML(v any) error {
	switch v := v.(type) {
	case string:
		return u.Set(v)
	case []any:
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return fmt.Errorf("base_url: %v is not a URL string", e)
			}
			if err := u.Set(s); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("base_url: want a URL or a list of URLs, got %v", v)
}

func (u *urlList) Set(v string) error {
	for part := range strings.SplitSeq(v, ",") {
		if part = strings.TrimSpace(part); part != "" {
			*u = append(*u, part)
		}
	}
	return nil
}

// urlFlag is --base_url: its first value on the command line replaces the settings file's
// list, the next ones add to it.
type urlFlag struct {
	list  *urlList
	given bool
}

func (u *urlFlag) String() string {
	if u.list == nil {
		return ""
	}
	return u.list.String()
}

func (u *urlFlag) Set(v string) error {
	if !u.given {
		*u.list, u.given = nil, true
	}
	return u.list.Set(v)
}

// serveFlags are the flags of runs against a server (--backend openai or llama-server), and
// --slo, which measures any run.
// The TOML keys are the flags' names, for the dashboard's settings file.
type serveFlags struct {
	BaseURLs        urlList `toml:"base_url" json:"base_url,omitempty"`
	Endpoint        string  `toml:"endpoint" json:"endpoint,omitempty"`
	APIKey          string  `toml:"api_key" json:"-"`
	ServedModelName string  `toml:"served_model_name" json:"served_model_name,omitempty"`
	RequestTimeoutS float64 `toml:"request_timeout" json:"request_timeout_s,omitempty"`
	AnyLength       bool    `toml:"any_length" json:"any_length,omitempty"`
	Tokenizer       string  `toml:"tokenizer" json:"tokenizer,omitempty"`
	RequestRate     float64 `toml:"request_rate" json:"request_rate,omitempty"`
	Burstiness      float64 `toml:"burstiness" json:"burstiness,omitempty"`
	SLO             string  `toml:"slo" json:"slo,omitempty"`
	// slo is SLO parsed by check.
	slo *report.SLO
}

// serveKeys are serveFlags' settings-file keys, for messages.
const serveKeys = "base_url, endpoint, api_key, served_model_name, request_timeout, any_length, tokenizer, request_rate, burstiness, slo"

// register adds the flags to fs, their defaults the values s holds (the dashboard's
// settings file was read into it first); rate is false where --request_rate is registered
// otherwise (a sweep's axis).
func (s *serveFlags) register(fs *flagSet, rate bool) {
	def := *s
	if def.Endpoint == "" {
		def.Endpoint = openai.EndpointCompletions
	}
	fs.Value(&urlFlag{list: &s.BaseURLs}, "base_url", "a URL", "server to measure with --backend openai (http://HOST:PORT, with or without /v1); repeat it or give a comma-separated list to spread requests over replicas in turn")
	fs.String(&s.Endpoint, "endpoint", def.Endpoint, "API of --backend openai and llama-server: completions (/v1/completions, token ids or text) or chat (/v1/chat/completions, text prompts)")
	fs.String(&s.APIKey, "api_key", def.APIKey, "bearer token for the server (default: $OPENAI_API_KEY); never written to a file")
	fs.String(&s.ServedModelName, "served_model_name", def.ServedModelName, "model name the requests carry (default: the first the server lists at /v1/models)")
	fs.Float(&s.RequestTimeoutS, "request_timeout", def.RequestTimeoutS, "seconds a request to a server may take from send to last token (0: no limit)")
	fs.Bool(&s.AnyLength, "any_length", def.AnyLength, "accept outputs of another length than output_tokens from a server (by default such a request fails: the server did not honour max_tokens and ignore_eos)")
	fs.String(&s.Tokenizer, "tokenizer", def.Tokenizer, "with --backend openai, the model whose vocabulary generated requests draw token ids from (a preset, Hugging Face id, folder or GGUF file; default: --model when given, else the server's)")
	if rate {
		fs.Float(&s.RequestRate, "request_rate", def.RequestRate, "requests per second on a seeded arrival schedule, with --concurrency as a cap (0: every request as soon as --concurrency allows); servers only")
	}
	fs.Float(&s.Burstiness, "burstiness", def.Burstiness, "gamma shape of the gaps between arrivals with --request_rate: 1 is a Poisson process, below 1 burstier, above 1 more regular (default 1)")
	fs.String(&s.SLO, "slo", def.SLO, "service-level objective, e.g. ttft=200ms,tpot=20ms,e2e=2s[,attain=99%]: the report gives goodput and the share meeting each bound")
}

// serverOnly are the flags that mean something only for a server backend.
var serverOnly = []string{"base_url", "endpoint", "api_key", "served_model_name", "request_timeout", "any_length", "tokenizer", "request_rate", "burstiness"}

// engineOnly are the flags of the engine benchtui runs itself (llama.cpp, in process or as
// llama-server), which a server that runs already has set on its own.
var engineOnly = []string{"n_gpu_layers", "flash_attn", "threads", "kv_cache_dtype", "llama_lib", "kv_cache_free_gpu_mem_fraction",
	"max_batch_size", "max_num_tokens", "max_seq_len", "tp", "config", "extra_llm_api_options", "in_process", "stall_timeout", "static_batching", "scheduler_policy", "context_chunking_policy", "iteration_log", "eos_id", "rpc", "tensor_split", "rpc_measure"}

// inProcessOnly are the flags of the in-process engine alone: llama-server schedules its own
// batches, so neither static batching nor a log of decode steps has a meaning there; it runs
// in a process of its own without benchtui's backend process; it is asked for exact lengths
// (ignore_eos), never to stop at an EOS id; and it reaches RPC servers itself, without the
// relay that measures the traffic.
var inProcessOnly = []string{"static_batching", "scheduler_policy", "context_chunking_policy", "iteration_log", "in_process", "stall_timeout", "eos_id", "rpc_measure"}

// refusedFlags are the flags that backend takes no value of, and why.
func refusedFlags(backend string) ([]string, string) {
	switch backend {
	case session.BackendOpenAI:
		return engineOnly, "is a setting of the engine, which the server at --base_url has set itself: set it where the server starts (or use --backend llama-server, which starts one with it)"
	case session.BackendLlamaServer:
		return append(slices.Clone(inProcessOnly), "tokenizer", "served_model_name"), "has no meaning for llama-server, which benchtui starts with --model and schedules its own batches"
	}
	return serverOnly, "is for a server (--backend openai or llama-server); llama.cpp in process takes the requests as --concurrency allows"
}

// check refuses what does not fit backend among the flags set, and parses the SLO. Every
// problem is one line naming the flag.
func (s *serveFlags) check(backend string, set map[string]bool) error {
	switch {
	case backend == session.BackendOpenAI && len(s.BaseURLs) == 0:
		return badInput("--backend openai measures servers that run already: give --base_url http://HOST:PORT (or --backend llama-server to start one here)")
	case backend == session.BackendLlamaServer && set["base_url"]:
		return badInput("--base_url is for --backend openai: llama-server is started here on a free loopback port")
	}
	names, why := refusedFlags(backend)
	for _, n := range names {
		if set[n] {
			return badInput("--%s %s", n, why)
		}
	}
	if err := openai.CheckOptions(openai.Options{BaseURLs: append(urlList{"http://127.0.0.1"}, s.BaseURLs...), Endpoint: s.Endpoint}); err != nil {
		return badInput("--%s", flagMessage(err))
	}
	if !(s.RequestTimeoutS >= 0) || s.RequestTimeoutS > 1e6 {
		return badInput("--request_timeout %v: it must be a number of seconds of 0 (no limit) or more", s.RequestTimeoutS)
	}
	if err := (engine.Load{RequestRate: s.RequestRate, Burstiness: s.Burstiness}).Validate(); err != nil {
		return badInput("--%s", err)
	}
	if s.SLO != "" {
		slo, err := report.ParseSLO(s.SLO)
		if err != nil {
			return badInput("--%s", err)
		}
		s.slo = &slo
	}
	return nil
}

// checkBackends is check for a sweep over several backends: a flag is refused for one of
// them only when no other takes it (the points of the others use it), except an arrival
// schedule, which every point must be able to keep.
func (s *serveFlags) checkBackends(backends []string, set map[string]bool) error {
	for _, b := range backends {
		mine := map[string]bool{}
		for flag := range set {
			if flag == "request_rate" || flag == "burstiness" || !takenByOther(flag, b, backends) {
				mine[flag] = true
			}
		}
		if err := s.check(b, mine); err != nil {
			return err
		}
	}
	return nil
}

// takenByOther reports whether a backend of backends other than b takes flag.
func takenByOther(flag, b string, backends []string) bool {
	for _, c := range backends {
		if c == b {
			continue
		}
		if refused, _ := refusedFlags(c); !slices.Contains(refused, flag) && !(c == session.BackendLlamaServer && flag == "base_url") {
			return true
		}
	}
	return false
}

// flagMessage turns openai's option messages ("base URL ...", "endpoint ...") into a flag's.
func flagMessage(err error) string {
	msg := err.Error()
	if rest, ok := strings.CutPrefix(msg, "base URL "); ok {
		return "base_url " + rest
	}
	return msg
}

// serverOptions are the session's server options for backend (nil for llama.cpp in
// process). model is --model, modelSet whether it was given: a server that runs already
// takes generated ids from --tokenizer, else from --model when given, else its own
// vocabulary.
func (s *serveFlags) serverOptions(backend, model string, modelSet bool) *session.ServerOptions {
	switch backend {
	case session.BackendOpenAI:
		vocab := s.Tokenizer
		if vocab == "" && modelSet {
			vocab = model
		}
		return &session.ServerOptions{BaseURLs: s.BaseURLs, Endpoint: s.Endpoint, ServedModel: s.ServedModelName,
			RequestTimeout: s.timeout(), AnyLength: s.AnyLength, Vocab: vocab}
	case session.BackendLlamaServer:
		return &session.ServerOptions{Managed: true, Endpoint: s.Endpoint, RequestTimeout: s.timeout(), AnyLength: s.AnyLength}
	}
	return nil
}

func (s *serveFlags) timeout() time.Duration {
	return time.Duration(math.Round(s.RequestTimeoutS * float64(time.Second)))
}

// kvFractionNote says that llama-server sizes its KV cache as max_batch_size x max_seq_len,
// for an options file or flag that asks for a fraction of free memory ("" when none did).
func kvFractionNote(backend string, frac float64, name where) string {
	if backend != session.BackendLlamaServer || frac <= 0 {
		return ""
	}
	return fmt.Sprintf("%s is not applied with --backend llama-server, whose KV cache is max_batch_size x max_seq_len cells", name("kv_cache_free_gpu_mem_fraction", frac))
}
