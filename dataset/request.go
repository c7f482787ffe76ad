// Package dataset reads, writes and generates benchmark request sets in the formats of
// trtllm-bench (JSON Lines and the older single-document form).
package dataset

import "strconv"

// Request is one benchmark request: prompt tokens (or text to tokenize) and the number of
// tokens to generate.
type Request struct {
	// TaskID is the request's task_id from the file, or its 0-based index for generated sets.
	TaskID int64 `json:"task_id"`
	// InputIDs are the prompt's token ids. Empty when Prompt is set and not yet tokenized.
	InputIDs []int32 `json:"input_ids,omitempty"`
	// Prompt is text to tokenize with the model's vocabulary; InputIDs win when both are set.
	Prompt string `json:"prompt,omitempty"`
	// OutputTokens is how many tokens to generate (exactly, unless an EOS id is honoured).
	OutputTokens int `json:"output_tokens"`
	// LoRA is kept as metadata; benchtui does not apply adapters.
	LoRA *LoRARequest `json:"lora_request,omitempty"`
	// Line is the 1-based line (or sample index) the request came from; 0 when generated.
	// It is not part of the dataset formats (the writers leave it out), but it travels with
	// the request to a backend process, whose messages name the line.
	Line int `json:"line,omitempty"`
	// Sample records that Line counts samples of the document form, not lines, so that
	// messages can say which.
	Sample bool `json:"sample,omitempty"`
}

// LoRARequest is trtllm-bench's lora_request object.
type LoRARequest struct {
	Name  string `json:"lora_name"`
	IntID int64  `json:"lora_int_id"`
	Path  string `json:"lora_path"`
}

// InputLen is the prompt length in tokens (0 until a text prompt is tokenized).
func (r *Request) InputLen() int { return len(r.InputIDs) }

// Where names the request's place in its file for messages: "line 12" for JSON Lines,
// "sample 12" for the document form, "" for a request that did not come from a file.
func (r *Request) Where() string {
	switch {
	case r.Line <= 0:
		return ""
	case r.Sample:
		return "sample " + strconv.Itoa(r.Line)
	default:
		return "line " + strconv.Itoa(r.Line)
	}
}
