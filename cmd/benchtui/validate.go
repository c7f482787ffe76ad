package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/benchtui/benchtui/engine"
	"github.com/benchtui/benchtui/engine/llamacpp"
	"github.com/benchtui/benchtui/session"
)

// runSettings are what every command that runs a benchmark (throughput, latency, the
// dashboard, each point of a sweep) sets, from its flags, its settings file and the options
// file (--config / --extra_llm_api_options) merged. check is their one validation, called
// before anything loads, after clampBatch; the backend options go through
// session.NormalizeBackend, and what needs the model and the dataset through
// session.Preflight. Each names a value as the user gave it (see where).
type runSettings struct {
	MaxBatchSize, MaxNumTokens, MaxSeqLen int
	// NumRequests below MinRequests is refused (0 means the whole dataset headless).
	NumRequests, MinRequests           int
	Warmup, Concurrency, TP, PP, EOSID int
	ISL, OSL, ISLStdev, OSLStdev       int
	StallTimeoutS                      float64
	// SchedulerPolicy and ContextChunking are the scheduler's policies ("" the defaults).
	SchedulerPolicy, ContextChunking string
}

// where names a setting and its value as the user gave them, for messages:
// "--max_batch_size 0", "max_batch_size = 0 in ~/.config/benchtui/config.toml", or
// "kv_cache_config.free_gpu_memory_fraction: 1.5 in config.yaml line 4". Keys are benchtui's
// settings, named as their flags (llama_lib) or their options-file keys (library).
type where func(key string, value any) string

func asFlag(key string, value any) string { return fmt.Sprintf("--%s %v", flagOf(key), value) }

// flagOf is the flag of a setting (the options file's library is --llama_lib).
func flagOf(key string) string {
	if key == "library" {
		return "llama_lib"
	}
	return key
}

// source names a setting that a file set, and reports whether it did.
type source func(key string, value any) (string, bool)

// namedFrom names a setting as a flag when the command line set it, else as a key of the
// first file of files that set it, else as its flag (with its default).
func namedFrom(set map[string]bool, files ...source) where {
	return func(key string, value any) string {
		if !set[flagOf(key)] {
			for _, f := range files {
				if s, ok := f(key, value); ok {
					return s
				}
			}
		}
		return asFlag(key, value)
	}
}

// settingsFile is the dashboard's TOML settings file at path, whose keys are the flags'
// names (defined reports which it set).
func settingsFile(path string, defined func(key string) bool) source {
	return func(key string, value any) (string, bool) {
		key = flagOf(key)
		if path == "" || !defined(key) {
			return "", false
		}
		return fmt.Sprintf("%s = %v in %s", key, value, path), true
	}
}

// optionsFile is an options file (nil for none): a setting it set is named by the key that
// set it, as the file spells it, and its line.
func optionsFile(of *llamacpp.OptionsFile) source {
	return func(key string, value any) (string, bool) {
		if key == "llama_lib" {
			key = "library"
		}
		k, ok := of.Source(key)
		if !ok {
			return "", false
		}
		if of.Format == "yaml" {
			return fmt.Sprintf("%s: %v in %s line %d", k.Key, value, of.Path, k.Line), true
		}
		return fmt.Sprintf("%s = %v in %s line %d", k.Key, value, of.Path, k.Line), true
	}
}

// clampBatch runs a max_batch_size above llama.cpp's most sequences at once with that most,
// saying so in one line: trtllm-bench's guide sweeps batch sizes up to 384, and a larger
// limit than the engine can hold changes nothing but the figure in the report, which then
// says what ran. It comes before check, which refuses what is still out of range, and
// returns the note for the report's config ("" when nothing changed).
func clampBatch(n *int, name where, stderr io.Writer) string {
	if *n <= llamacpp.MaxSequences {
		return ""
	}
	note := fmt.Sprintf("%s is above llama.cpp's %d sequences at once: ran with %d", name("max_batch_size", *n), llamacpp.MaxSequences, llamacpp.MaxSequences)
	fmt.Fprintln(stderr, "benchtui: "+note)
	*n = llamacpp.MaxSequences
	return note
}

// clampBatchValues is clampBatch for a sweep's batch sizes: those above the most run as it,
// once, with one line for all of them.
func clampBatchValues(vals []string, name where, stderr io.Writer) []string {
	var out, over []string
	for _, v := range vals {
		if n, err := strconv.Atoi(v); err == nil && n > llamacpp.MaxSequences {
			over = append(over, v)
			v = strconv.Itoa(llamacpp.MaxSequences)
		}
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	if len(over) > 0 {
		fmt.Fprintf(stderr, "benchtui: %s is above llama.cpp's %d sequences at once: those points run as %d\n",
			name("max_batch_size", strings.Join(over, ",")), llamacpp.MaxSequences, llamacpp.MaxSequences)
	}
	return out
}

// checkBackend refuses a --backend that benchtui does not run (TensorRT-LLM's with the
// commands that benchmark such an engine, see trtBackendError) and the flags that do not fit
// the one given (serveFlags.check), and names the backend as the session does.
func checkBackend(f *benchFlags, set map[string]bool, command string) error {
	if err := trtBackendError(f, set, command); err != nil {
		return err
	}
	b := canonicalBackend(f.Backend)
	if b == "" {
		return badInput("--backend %q: want llamacpp (in process), openai (servers at --base_url) or llama-server (started here) (TensorRT-LLM's pytorch, _autodeploy and tensorrt run behind trtllm-serve)", f.Backend)
	}
	f.Backend = b
	return f.serveFlags.check(b, set)
}

// check refuses the first setting out of its range, with its value and what it must be.
func (s runSettings) check(name where) error {
	bad := func(key string, v any, want string) error { return badInput("%s: %s", name(key, v), want) }
	switch {
	case s.MaxBatchSize < 1 || s.MaxBatchSize > llamacpp.MaxSequences:
		return bad("max_batch_size", s.MaxBatchSize, fmt.Sprintf("it must be between 1 and %d, the most sequences llama.cpp decodes at once", llamacpp.MaxSequences))
	case s.MaxNumTokens < 1:
		return bad("max_num_tokens", s.MaxNumTokens, "it must be at least 1 (tokens in one decode step)")
	case s.MaxSeqLen < 0 || s.MaxSeqLen > math.MaxInt32:
		return bad("max_seq_len", s.MaxSeqLen, fmt.Sprintf("it must be 0 (the dataset's longest request) or a length up to %d", math.MaxInt32))
	case int64(s.MaxBatchSize)*int64(s.MaxSeqLen) > math.MaxUint32:
		return badInput("%s x %s is %d KV cells, more than llama.cpp holds in one context (%d): lower either",
			name("max_batch_size", s.MaxBatchSize), name("max_seq_len", s.MaxSeqLen), int64(s.MaxBatchSize)*int64(s.MaxSeqLen), uint64(math.MaxUint32))
	case s.NumRequests < s.MinRequests:
		if s.MinRequests == 0 {
			return bad("num_requests", s.NumRequests, "it must be 0 (all of the dataset) or more")
		}
		return bad("num_requests", s.NumRequests, fmt.Sprintf("it must be at least %d", s.MinRequests))
	case s.Warmup < 0:
		return bad("warmup", s.Warmup, "it must be 0 or more")
	case s.Concurrency == 0 || s.Concurrency < -1:
		return bad("concurrency", s.Concurrency, "it must be -1 (unlimited) or at least 1")
	case s.TP < 1:
		return bad("tp", s.TP, "it must be at least 1")
	case s.PP != 1:
		return bad("pp", s.PP, "llama.cpp has no pipeline parallelism here: use --tp")
	case s.ISL < 1:
		return bad("isl", s.ISL, "it must be at least 1")
	case s.OSL < 1:
		return bad("osl", s.OSL, "it must be at least 1")
	case s.ISLStdev < 0:
		return bad("isl_stdev", s.ISLStdev, "it must be 0 or more")
	case s.OSLStdev < 0:
		return bad("osl_stdev", s.OSLStdev, "it must be 0 or more")
	case s.EOSID < -1:
		return bad("eos_id", s.EOSID, "it must be -1 (ignore EOS) or a token id")
	case !(s.StallTimeoutS > 0) || s.StallTimeoutS > 1e6:
		// NaN fails the first test too: a stall timeout that never fires must be asked for
		// as a large number, not arrive by accident.
		return bad("stall_timeout", s.StallTimeoutS, "it must be a number of seconds above 0 (and below 1e6)")
	}
	if _, err := engine.ParseSchedulerPolicy(s.SchedulerPolicy); err != nil {
		return bad("scheduler_policy", s.SchedulerPolicy, "want one of "+policyNames())
	}
	c, err := engine.ParseContextChunking(s.ContextChunking)
	if err != nil {
		return bad("context_chunking_policy", s.ContextChunking, "want aligned_finish, equal_progress or first_come_first_served")
	}
	if s.SchedulerPolicy == string(engine.PolicyWaves) && c != engine.ChunkFirstComeFirstServed && s.ContextChunking != "" {
		return badInput("%s: the waves prefill first come, first served; give no context chunking policy with them", name("context_chunking_policy", s.ContextChunking))
	}
	return nil
}

// optionError names a backend option that session.NormalizeBackend refused as the user gave
// it; other errors are bad input as they are.
func optionError(err error, name where) error {
	var oe *session.OptionError
	if errors.As(err, &oe) {
		return badInput("%s: %s", name(oe.Key, oe.Value), oe.Msg)
	}
	return usageError{err}
}

// checkLibrary finds the llama.cpp library that a run will load, without loading it, so that
// a wrong --llama_lib is refused before anything else starts.
func checkLibrary(lib string, name where) error {
	if _, err := llamacpp.FindLibrary(lib); err != nil {
		if lib == "" {
			return usageError{err}
		}
		why := "no libllama there"
		if _, serr := os.Stat(lib); serr != nil {
			why = "no such file or folder"
		}
		return badInput("%s: %s: give libllama's file or the folder that holds it (.llama/cpu/lib after scripts/setup-llama.sh)", name("llama_lib", lib), why)
	}
	return nil
}

// preflight runs session.Preflight and prints its warnings.
func preflight(so session.Options, env session.Env, spec session.Spec, warn func(string)) error {
	warnings, err := session.Preflight(so, env, spec)
	if err != nil {
		return asUsage(err)
	}
	for _, w := range warnings {
		warn(w)
	}
	return nil
}

// staticBatching reads --static_batching as --scheduler_policy static_batch, which it is,
// and refuses the two naming different policies.
func staticBatching(f *benchFlags, set map[string]bool) error {
	if !f.Static {
		return nil
	}
	if set["scheduler_policy"] && f.Policy != string(engine.PolicyStaticBatch) {
		return badInput("--static_batching and --scheduler_policy %s disagree: give one of them", f.Policy)
	}
	f.Policy = string(engine.PolicyStaticBatch)
	return nil
}

// policyNames lists the scheduler policies, the default first.
func policyNames() string {
	names := make([]string, len(engine.SchedulerPolicies))
	for i, p := range engine.SchedulerPolicies {
		names[i] = string(p)
	}
	return strings.Join(names, ", ")
}
