package openai

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"sync"

	"github.com/benchtui/benchtui/dataset"
)

// bodyPrefix encodes the fields every request shares, as the start of a JSON object: the
// model, streaming with usage, greedy sampling, ignore_eos, and the caller's extra fields.
func (b *Backend) bodyPrefix() ([]byte, error) {
	fields := map[string]any{
		"model":          b.opts.Model,
		"stream":         true,
		"stream_options": map[string]any{"include_usage": true},
		"temperature":    0,
	}
	if !b.opts.StandardOnly {
		fields["ignore_eos"] = true
	}
	for k, v := range b.opts.Extra {
		switch k {
		case "prompt", "messages", "max_tokens", "max_completion_tokens", "min_tokens", "stream":
			return nil, fmt.Errorf("extra request field %q is set by benchtui itself", k)
		}
		fields[k] = v
	}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := []byte{'{'}
	for _, k := range keys {
		kb, _ := json.Marshal(k)
		vb, err := json.Marshal(fields[k])
		if err != nil {
			return nil, fmt.Errorf("extra request field %q: %w", k, err)
		}
		out = append(out, kb...)
		out = append(out, ':')
		out = append(out, vb...)
		out = append(out, ',')
	}
	return out, nil
}

var bodyPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// appendBody appends a request's JSON body to dst: the shared prefix, the output length and
// the prompt.
func (b *Backend) appendBody(dst []byte, r *dataset.Request) ([]byte, error) {
	dst = append(dst, b.prefix...)
	if b.chat {
		dst = append(dst, `"max_completion_tokens":`...)
	} else {
		dst = append(dst, `"max_tokens":`...)
	}
	dst = strconv.AppendInt(dst, int64(r.OutputTokens), 10)
	if !b.opts.StandardOnly {
		dst = append(dst, `,"min_tokens":`...)
		dst = strconv.AppendInt(dst, int64(r.OutputTokens), 10)
	}
	switch {
	case b.chat:
		if r.Prompt == "" {
			return dst, fmt.Errorf("the chat endpoint takes text prompts and this request has token ids only: use --endpoint completions")
		}
		text, err := json.Marshal(r.Prompt)
		if err != nil {
			return dst, err
		}
		dst = append(dst, `,"messages":[{"role":"user","content":`...)
		dst = append(dst, text...)
		dst = append(dst, "}]}"...)
	case len(r.InputIDs) > 0:
		dst = append(dst, `,"prompt":[`...)
		dst = appendIDs(dst, r.InputIDs)
		dst = append(dst, "]}"...)
	default:
		text, err := json.Marshal(r.Prompt)
		if err != nil {
			return dst, err
		}
		dst = append(dst, `,"prompt":`...)
		dst = append(dst, text...)
		dst = append(dst, '}')
	}
	return dst, nil
}

// Validate checks that every request can be sent to this backend's endpoint: the chat
// endpoint needs text prompts.
func (b *Backend) Validate(reqs []dataset.Request) error {
	return ValidateRequests(b.opts.Endpoint, reqs)
}

// ValidateRequests is Validate for the endpoint named as in Options, before any backend is
// open: the commands and a managed server's session check requests with it before a server
// starts.
func ValidateRequests(endpoint string, reqs []dataset.Request) error {
	o, err := normalize(Options{BaseURLs: []string{"http://127.0.0.1"}, Endpoint: endpoint})
	if err != nil {
		return err
	}
	if o.Endpoint != EndpointChat {
		return nil
	}
	for i := range reqs {
		if reqs[i].Prompt == "" {
			where := reqs[i].Where()
			if where == "" {
				where = fmt.Sprintf("request %d", i)
			}
			return fmt.Errorf("%s has token ids but no text prompt, and the chat endpoint takes text: use --endpoint completions, or a dataset with prompts", where)
		}
	}
	return nil
}

// appendIDs appends token ids separated by commas. A request's time to first token includes
// its encoding, and a 50,000-token prompt is 50,000 numbers: they are written two digits at
// a time into room grown once, about 1.5 times as fast as strconv.AppendInt one by one
// (BenchmarkBody50k, median of pair ratios on a loaded two-core machine).
func appendIDs(dst []byte, ids []int32) []byte {
	dst = slices.Grow(dst, 12*len(ids))
	var tmp [11]byte
	for i, t := range ids {
		if i > 0 {
			dst = append(dst, ',')
		}
		if t < 0 {
			dst = strconv.AppendInt(dst, int64(t), 10)
			continue
		}
		v := uint32(t)
		j := len(tmp)
		for v >= 100 {
			q := v / 100
			k := (v - q*100) * 2
			j -= 2
			tmp[j], tmp[j+1] = digitPairs[k], digitPairs[k+1]
			v = q
		}
		if v >= 10 {
			j -= 2
			tmp[j], tmp[j+1] = digitPairs[v*2], digitPairs[v*2+1]
		} else {
			j--
			tmp[j] = byte('0' + v)
		}
		dst = append(dst, tmp[j:]...)
	}
	return dst
}

const digitPairs = "00010203040506070809101112131415161718192021222324252627282930313233343536373839" +
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879" +
	"8081828384858687888990919293949596979899"
