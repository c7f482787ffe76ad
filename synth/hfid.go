package synth

import (
	"sort"
	"strings"
)

// hfIDs maps Hugging Face model ids to the preset of the same shapes. Keys are normalised by
// normalizeHFID: lower case, without the -Instruct and -Base parts that name the same shapes
// with other weights. Only ids whose published config.json has exactly the preset's tensor
// shapes are listed: Mistral-7B v0.1 and v0.2, for example, have a 32000-token vocabulary and
// are not mistral-7b.
var hfIDs = map[string]string{
	"meta-llama/llama-3.2-1b":          "llama-3.2-1b",
	"meta-llama/llama-3.2-3b":          "llama-3.2-3b",
	"meta-llama/llama-3.1-8b":          "llama-3.1-8b",
	"meta-llama/meta-llama-3.1-8b":     "llama-3.1-8b",
	"meta-llama/llama-3.1-70b":         "llama-3.1-70b",
	"meta-llama/meta-llama-3.1-70b":    "llama-3.1-70b",
	"meta-llama/llama-3.3-70b":         "llama-3.1-70b",
	"meta-llama/llama-3.1-405b":        "llama-3.1-405b",
	"meta-llama/meta-llama-3.1-405b":   "llama-3.1-405b",
	"qwen/qwen2.5-0.5b":                "qwen2.5-0.5b",
	"qwen/qwen2.5-7b":                  "qwen2.5-7b",
	"qwen/qwen2.5-14b":                 "qwen2.5-14b",
	"qwen/qwen2.5-32b":                 "qwen2.5-32b",
	"qwen/qwen2.5-72b":                 "qwen2.5-72b",
	"qwen/qwen3-8b":                    "qwen3-8b",
	"qwen/qwen3-32b":                   "qwen3-32b",
	"mistralai/mistral-7b-v0.3":        "mistral-7b",
	"mistralai/mistral-small-24b-2501": "mistral-small-24b",
	"mistralai/mixtral-8x7b-v0.1":      "mixtral-8x7b",
	"openai/gpt-oss-20b":               "gpt-oss-20b",
}

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

// HFIDs returns the Hugging Face ids (as normalised: lower case, without -Instruct) that
// name each preset.
func HFIDs() map[string][]string {
	out := map[string][]string{}
	for id, p := range hfIDs {
		out[p] = append(out[p], id)
	}
	for _, ids := range out {
		sort.Strings(ids)
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
