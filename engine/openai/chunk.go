package openai

import (
	"errors"
	"fmt"
)

// chunk is what the client needs from one streamed JSON chunk of a completion or chat
// completion. Parsing takes it from the raw bytes without decoding the whole object: a chunk
// is a few hundred bytes of which a handful matter, and the stream of chunks is the client's
// hot path (see BenchmarkParseChunk for what a full decode would cost).
type chunk struct {
	// choice is set when the chunk has a choices array with an element.
	choice bool
	// output is set when the first choice carries output: non-empty text (completions) or
	// delta content or reasoning (chat).
	output bool
	// emptyText is set when the first choice has a text field that is empty: a token whose
	// piece is empty (completions).
	emptyText bool
	// finishReason is the first choice's finish_reason, "" while it is null.
	finishReason string
	// tokenIDs is the length of the first choice's token_ids array, -1 without one.
	tokenIDs int
	// usage, timings and errVal are the raw values of those top-level keys (nil when absent
	// or null).
	usage, timings, errVal []byte
}

var errTruncated = errors.New("truncated JSON")

// parseChunk parses one chunk's JSON object into c (which it resets).
func parseChunk(b []byte, c *chunk) error {
	*c = chunk{tokenIDs: -1}
	i := skipWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		return errors.New("not a JSON object")
	}
	end, err := walkObject(b, i, func(key []byte, i int) (int, error) {
		switch string(key) {
		case "choices":
			return scanChoices(b, i, c)
		case "usage":
			return rawValue(b, i, &c.usage)
		case "timings":
			return rawValue(b, i, &c.timings)
		case "error":
			return rawValue(b, i, &c.errVal)
		}
		return skipValue(b, i)
	})
	if err != nil {
		return err
	}
	if j := skipWS(b, end); j != len(b) {
		return fmt.Errorf("unexpected %q after the object", b[j])
	}
	return nil
}

// walkObject walks the object starting at b[i] == '{', calling field with each key and the
// index of its value; field returns the index after the value. walkObject returns the index
// after the closing brace.
func walkObject(b []byte, i int, field func(key []byte, i int) (int, error)) (int, error) {
	i++ // '{'
	i = skipWS(b, i)
	if i < len(b) && b[i] == '}' {
		return i + 1, nil
	}
	for {
		if i >= len(b) {
			return i, errTruncated
		}
		if b[i] != '"' {
			return i, fmt.Errorf("expected a key, found %q", b[i])
		}
		end, err := scanString(b, i)
		if err != nil {
			return i, err
		}
		key := b[i+1 : end-1]
		i = skipWS(b, end)
		if i >= len(b) {
			return i, errTruncated
		}
		if b[i] != ':' {
			return i, fmt.Errorf("expected ':' after key %q, found %q", key, b[i])
		}
		i = skipWS(b, i+1)
		if i >= len(b) {
			return i, errTruncated
		}
		if i, err = field(key, i); err != nil {
			return i, err
		}
		i = skipWS(b, i)
		if i >= len(b) {
			return i, errTruncated
		}
		switch b[i] {
		case ',':
			i = skipWS(b, i+1)
		case '}':
			return i + 1, nil
		default:
			return i, fmt.Errorf("expected ',' or '}', found %q", b[i])
		}
	}
}

// scanChoices reads the first element of a choices array and skips the others.
func scanChoices(b []byte, i int, c *chunk) (int, error) {
	if isNull(b, i) {
		return i + 4, nil
	}
	if b[i] != '[' {
		return i, fmt.Errorf("choices is not an array")
	}
	i = skipWS(b, i+1)
	if i >= len(b) {
		return i, errTruncated
	}
	if b[i] == ']' {
		return i + 1, nil
	}
	first := true
	for {
		var err error
		if first && i < len(b) && b[i] == '{' {
			c.choice = true
			i, err = walkObject(b, i, func(key []byte, i int) (int, error) { return scanChoiceField(b, key, i, c) })
		} else {
			i, err = skipValue(b, i)
		}
		if err != nil {
			return i, err
		}
		first = false
		i = skipWS(b, i)
		if i >= len(b) {
			return i, errTruncated
		}
		switch b[i] {
		case ',':
			i = skipWS(b, i+1)
		case ']':
			return i + 1, nil
		default:
			return i, fmt.Errorf("expected ',' or ']' in choices, found %q", b[i])
		}
	}
}

func scanChoiceField(b []byte, key []byte, i int, c *chunk) (int, error) {
	switch string(key) {
	case "text":
		if b[i] == '"' {
			end, err := scanString(b, i)
			if err != nil {
				return i, err
			}
			if end-i > 2 {
				c.output = true
			} else {
				c.emptyText = true
			}
			return end, nil
		}
	case "delta":
		if b[i] == '{' {
			return walkObject(b, i, func(key []byte, i int) (int, error) {
				switch string(key) {
				case "content", "reasoning_content", "reasoning":
					if b[i] == '"' {
						end, err := scanString(b, i)
						if end-i > 2 {
							c.output = true
						}
						return end, err
					}
				}
				return skipValue(b, i)
			})
		}
	case "finish_reason":
		if b[i] == '"' {
			end, err := scanString(b, i)
			if err != nil {
				return i, err
			}
			c.finishReason = string(b[i+1 : end-1])
			if c.finishReason == "" {
				c.finishReason = "unknown"
			}
			return end, nil
		}
	case "token_ids":
		if b[i] == '[' {
			return countArray(b, i, &c.tokenIDs)
		}
	}
	return skipValue(b, i)
}

// countArray counts the elements of the array at b[i] == '['.
func countArray(b []byte, i int, n *int) (int, error) {
	*n = 0
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == ']' {
		return i + 1, nil
	}
	for {
		var err error
		if i, err = skipValue(b, i); err != nil {
			return i, err
		}
		*n++
		i = skipWS(b, i)
		if i >= len(b) {
			return i, errTruncated
		}
		switch b[i] {
		case ',':
			i = skipWS(b, i+1)
		case ']':
			return i + 1, nil
		default:
			return i, fmt.Errorf("expected ',' or ']', found %q", b[i])
		}
	}
}

// rawValue stores the raw bytes of the value at b[i] in *dst (nil for null).
func rawValue(b []byte, i int, dst *[]byte) (int, error) {
	end, err := skipValue(b, i)
	if err != nil {
		return end, err
	}
	if !isNull(b, i) {
		*dst = b[i:end]
	}
	return end, nil
}

func isNull(b []byte, i int) bool {
	return i+4 <= len(b) && string(b[i:i+4]) == "null"
}

// skipValue returns the index after the JSON value starting at b[i]. Nested objects and arrays
// are skipped by counting brackets outside strings; scalars are checked only for their first
// character, which is enough to keep the walk on the value boundaries.
func skipValue(b []byte, i int) (int, error) {
	if i >= len(b) {
		return i, errTruncated
	}
	switch c := b[i]; {
	case c == '"':
		return scanString(b, i)
	case c == '{' || c == '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				end, err := scanString(b, i)
				if err != nil {
					return end, err
				}
				i = end
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1, nil
				}
			}
			i++
		}
		return i, errTruncated
	case c == '-' || (c >= '0' && c <= '9') || c == 't' || c == 'f' || c == 'n':
		j := i
		for j < len(b) {
			switch b[j] {
			case ',', '}', ']', ' ', '\t', '\r', '\n':
				return j, nil
			}
			j++
		}
		return j, nil
	default:
		return i, fmt.Errorf("unexpected %q", c)
	}
}

// scanString returns the index after the string starting at b[i] == '"'.
func scanString(b []byte, i int) (int, error) {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '"':
			return j + 1, nil
		case '\\':
			j++
		}
	}
	return len(b), errTruncated
}

func skipWS(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\r', '\n':
			i++
		default:
			return i
		}
	}
	return i
}
