package dataset

import (
	"errors"
	"fmt"
	"strings"
)

// VocabError refuses requests whose token ids fall outside the model's vocabulary. It
// describes the first offending id of up to DefaultMaxErrors requests.
type VocabError struct {
	VocabSize int
	// Bad is how many requests have an id out of range; Problems describes the first ones.
	Bad      int
	Problems []LineError
}

func (e *VocabError) Error() string {
	var b strings.Builder
	s := "s have"
	if e.Bad == 1 {
		s = " has"
	}
	fmt.Fprintf(&b, "%d request%s token ids outside the vocabulary [0, %d) (", e.Bad, s, e.VocabSize)
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.Error())
	}
	if more := e.Bad - len(e.Problems); more > 0 {
		fmt.Fprintf(&b, "; ... and %d more", more)
	}
	b.WriteString(")")
	return b.String()
}

// Validate checks every token id against a vocabulary of vocabSize ids, [0, vocabSize). It
// returns a *VocabError naming each bad request's line and first bad id.
func Validate(reqs []Request, vocabSize int) error {
	if vocabSize < 1 {
		return fmt.Errorf("vocabulary size %d: it must be at least 1", vocabSize)
	}
	var e VocabError
	for i := range reqs {
		r := &reqs[i]
		for k, t := range r.InputIDs {
			if t >= 0 && int(t) < vocabSize {
				continue
			}
			e.Bad++
			if len(e.Problems) < DefaultMaxErrors {
				e.Problems = append(e.Problems, locate(r, i, fmt.Sprintf("token id %d (index %d)", t, k)))
			}
			break
		}
	}
	if e.Bad > 0 {
		e.VocabSize = vocabSize
		return &e
	}
	return nil
}

// locate makes a LineError for request i: by line or sample when it came from a file, by
// index and task id otherwise.
func locate(r *Request, i int, msg string) LineError {
	if r.Line > 0 {
		return LineError{Line: r.Line, Sample: r.Sample, Msg: msg}
	}
	return LineError{Msg: fmt.Sprintf("request %d (task_id %d): %s", i, r.TaskID, msg)}
}

// Tokenizer turns prompt text into token ids with the model's vocabulary.
type Tokenizer interface {
	Tokenize(text string) ([]int32, error)
}

// TokenizePrompts fills InputIDs for the requests that have only a prompt; requests with
// InputIDs keep them (they win over the prompt, as in trtllm-bench). It stops at the first
// failure, which names the request's line.
func TokenizePrompts(reqs []Request, tok Tokenizer) error {
	if tok == nil {
		for i := range reqs {
			if len(reqs[i].InputIDs) == 0 {
				return errors.New("the requests have text prompts but no tokenizer is available")
			}
		}
		return nil
	}
	for i := range reqs {
		r := &reqs[i]
		if len(r.InputIDs) > 0 {
			continue
		}
		if r.Prompt == "" {
			return locate(r, i, "neither input_ids nor prompt")
		}
		ids, err := tok.Tokenize(r.Prompt)
		if err != nil {
			return fmt.Errorf("%s: %w", locate(r, i, "tokenize prompt").Error(), err)
		}
		if len(ids) == 0 {
			return locate(r, i, "the prompt tokenized to no tokens")
		}
		r.InputIDs = ids
	}
	return nil
}
