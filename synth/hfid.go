package synth

import "strings"

// hfIDList maps Hugging Face model ids, as published, to the preset of the same shapes. Ids
// are matched by normalizeHFID: in any case, and with or without the -Instruct and -Base parts
// that name the same shapes with other weights. Only ids whose published config.json has
// exactly the preset's tensor shapes are listed: Mistral-7B v0.1 and v0.2, for example, have
// a 32000-token vocabulary and are not mistral-7b.
var hfIDList = []struct{ id, preset string }{
	{"meta-llama/Llama-3.2-1B", "llama-3.2-1b"},
	{"meta-llama/Llama-3.2-3B", "llama-3.2-3b"},
	{"meta-llama/Llama-3.1-8B", "llama-3.1-8b"},
	{"meta-llama/Meta-Llama-3.1-8B", "llama-3.1-8b"},
	{"meta-llama/Llama-3.1-70B", "llama-3.1-70b"},
	{"meta-llama/Meta-Llama-3.1-70B", "llama-3.1-70b"},
	{"meta-llama/Llama-3.3-70B-Instruct", "llama-3.1-70b"},
	{"meta-llama/Llama-3.1-405B", "llama-3.1-405b"},
	{"meta-llama/Meta-Llama-3.1-405B", "llama-3.1-405b"},
	{"Qwen/Qwen2.5-0.5B", "qwen2.5-0.5b"},
	{"Qwen/Qwen2.5-7B", "qwen2.5-7b"},
	{"Qwen/Qwen2.5-14B", "qwen2.5-14b"},
	{"Qwen/Qwen2.5-32B", "qwen2.5-32b"},
	{"Qwen/Qwen2.5-72B", "qwen2.5-72b"},
	{"Qwen/Qwen3-8B", "qwen3-8b"},
	{"Qwen/Qwen3-32B", "qwen3-32b"},
	{"mistralai/Mistral-7B-v0.3", "mistral-7b"},
	{"mistralai/Mistral-Small-24B-Instruct-2501", "mistral-small-24b"},
	{"mistralai/Mixtral-8x7B-v0.1", "mixtral-8x7b"},
	{"openai/gpt-oss-20b", "gpt-oss-20b"},
}

// hfIDs is hfIDList by normalised id.
var hfIDs = func() map[string]string {
	m := map[string]string{}
	for _, e := range hfIDList {
		m[normalizeHFID(e.id)] = e.preset
	}
	return m
}()

// normalizeHFID lower-cases a model id and drops the -instruct and -base name parts
// ("meta-llama/Llama-3.1-8B-Instruct", "mistralai/Mistral-7B-Instruct-v0.3" and
// "Qwen/Qwen3-8B-Base" name the shapes of their base model).
func normalizeHFID(id string) string {
	id = strings.ToLower(strings.TrimSpace(id))
	for _, part := range []string{"-instruct", "-base"} {
		id = strings.ReplaceAll(id, part, "")
	}
	return id
}

// PresetForHFID returns the preset with the shapes of the Hugging Face model id (any case,
// with or without -Instruct).
func PresetForHFID(id string) (string, bool) {
	p, ok := hfIDs[normalizeHFID(id)]
	return p, ok
}

// HFIDs returns the Hugging Face ids, as published, that name each preset. Their -Instruct
// (and -Base) releases name the same presets.
func HFIDs() map[string][]string {
	out := map[string][]string{}
	for _, e := range hfIDList {
		out[e.preset] = append(out[e.preset], e.id)
	}
	return out
}

// looksLikeHFID reports whether s has the form of a Hugging Face model id, "owner/name",
// rather than of a path.
func looksLikeHFID(s string) bool {
	owner, name, ok := strings.Cut(s, "/")
	if !ok || owner == "" || name == "" || strings.ContainsAny(name, "/\\ ") || strings.ContainsAny(owner, "\\ ~") {
		return false
	}
	return owner != "." && owner != ".." && !strings.HasPrefix(owner, ".")
}
