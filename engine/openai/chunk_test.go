package openai

import (
	"bytes"
	"encoding/json"
	"testing"
)

// Chunks as the servers send them (vLLM, llama-server v0.5.0, SGLang, OpenAI chat).
var chunkSamples = []string{
	`{"id":"cmpl-1","object":"text_completion","created":1,"model":"m","choices":[{"index":0,"text":" the","logprobs":null,"finish_reason":null,"stop_reason":null}],"usage":null}`,
	`{"choices":[{"text":"ao","index":0,"logprobs":null,"finish_reason":null}],"created":1796347347,"model":"/m.gguf","system_fingerprint":"b1-de3ff81","object":"text_completion","id":"chatcmpl-2um"}`,
	`{"choices":[{"text":"","index":0,"logprobs":null,"finish_reason":"length"}],"created":1,"model":"m","object":"text_completion","usage":{"completion_tokens":4,"prompt_tokens":4,"total_tokens":8,"prompt_tokens_details":{"cached_tokens":0}},"id":"x","timings":{"cache_n":0,"prompt_n":4,"prompt_ms":1.854,"prompt_per_token_ms":0.4635,"prompt_per_second":2157.49,"predicted_n":4,"predicted_ms":2.054,"predicted_per_token_ms":0.68,"predicted_per_second":1460.56}}`,
	`{"choices":[{"finish_reason":null,"index":0,"delta":{"role":"assistant","content":null}}],"created":1,"id":"c","model":"m","object":"chat.completion.chunk"}`,
	`{"choices":[{"finish_reason":null,"index":0,"delta":{"content":" vu"}}],"created":1,"id":"c","model":"m","object":"chat.completion.chunk"}`,
	`{"choices":[],"created":1,"id":"c","model":"m","object":"chat.completion.chunk","usage":{"completion_tokens":3,"prompt_tokens":45,"total_tokens":48}}`,
	`{"choices":[{"index":0,"delta":{"reasoning_content":"hmm \"quoted\" {braces} [x]"},"finish_reason":null}]}`,
	`{"choices":[{"index":0,"text":"a\\\"b","token_ids":[5,6,7],"finish_reason":null}]}`,
	`{"error":{"message":"boom","code":500}}`,
	`{"object":"error","message":"bad","type":"BadRequestError","code":400}`,
	` { "choices" : [ { "text" : "x" , "finish_reason" : "stop" } , { "text" : "y" } ] } `,
	`{"choices":null,"usage":null}`,
	`{}`,
}

// reference is what parseChunk must find, computed with a full decode.
func reference(t testing.TB, b []byte) (chunk, bool) {
	var v struct {
		Choices []struct {
			Text  *string `json:"text"`
			Delta *struct {
				Content          *string `json:"content"`
				ReasoningContent *string `json:"reasoning_content"`
				Reasoning        *string `json:"reasoning"`
			} `json:"delta"`
			FinishReason *string `json:"finish_reason"`
			TokenIDs     []int   `json:"token_ids"`
		} `json:"choices"`
		Usage   json.RawMessage `json:"usage"`
		Timings json.RawMessage `json:"timings"`
		Error   json.RawMessage `json:"error"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return chunk{}, false
	}
	c := chunk{tokenIDs: -1}
	if len(v.Choices) > 0 {
		ch := v.Choices[0]
		c.choice = true
		if ch.Text != nil {
			c.output = *ch.Text != ""
			c.emptyText = *ch.Text == ""
		}
		if dl := ch.Delta; dl != nil {
			for _, s := range []*string{dl.Content, dl.ReasoningContent, dl.Reasoning} {
				if s != nil && *s != "" {
					c.output = true
				}
			}
		}
		if ch.FinishReason != nil {
			c.finishReason = *ch.FinishReason
			if c.finishReason == "" {
				c.finishReason = "unknown"
			}
		}
		if ch.TokenIDs != nil {
			c.tokenIDs = len(ch.TokenIDs)
		}
	}
	raw := func(m json.RawMessage) []byte {
		if len(m) == 0 || string(m) == "null" {
			return nil
		}
		return m
	}
	c.usage, c.timings, c.errVal = raw(v.Usage), raw(v.Timings), raw(v.Error)
	return c, true
}

func sameChunk(a, b chunk) bool {
	return a.choice == b.choice && a.output == b.output && a.emptyText == b.emptyText &&
		a.finishReason == b.finishReason && a.tokenIDs == b.tokenIDs &&
		bytes.Equal(a.usage, b.usage) && bytes.Equal(a.timings, b.timings) && bytes.Equal(a.errVal, b.errVal)
}

func TestParseChunk(t *testing.T) {
	for _, s := range chunkSamples {
		var c chunk
		if err := parseChunk([]byte(s), &c); err != nil {
			t.Errorf("parseChunk(%s): %v", s, err)
			continue
		}
		want, _ := reference(t, []byte(s))
		if !sameChunk(c, want) {
			t.Errorf("parseChunk(%s) = %+v, want %+v", s, c, want)
		}
	}
	for _, bad := range []string{``, `[1]`, `{"choices":[{"text":"x"}]`, `{"a":1}x`, `{"choices": oops}`, `{"a":"unterminated}`, `not json`} {
		var c chunk
		if err := parseChunk([]byte(bad), &c); err == nil {
			t.Errorf("parseChunk(%q) accepted it", bad)
		}
	}
}

// FuzzParseChunk checks that parseChunk never panics and, on every object that
// encoding/json decodes into the chunk's shape, finds what a full decode finds. Inputs with
// capital letters or \u escapes are only checked for panics: encoding/json matches keys
// without regard to case and after unescaping them, which the scanner (on purpose) does not,
// servers writing their keys as the API spells them.
func FuzzParseChunk(f *testing.F) {
	for _, s := range chunkSamples {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var c chunk
		err := parseChunk(b, &c)
		want, ok := reference(t, b)
		if ok && err != nil {
			t.Fatalf("parseChunk(%q) rejected a chunk encoding/json takes: %v", b, err)
		}
		if !ok || bytes.ContainsFunc(b, func(r rune) bool { return r >= 'A' && r <= 'Z' }) || bytes.Contains(b, []byte(`\u`)) {
			return
		}
		if !sameChunk(c, want) {
			t.Errorf("parseChunk(%q) = %+v, want %+v", b, c, want)
		}
	})
}

// BenchmarkParseChunk measures the hot path against the full decode it replaces.
func BenchmarkParseChunk(b *testing.B) {
	s := []byte(chunkSamples[0])
	b.Run("scan", func(b *testing.B) {
		b.SetBytes(int64(len(s)))
		var c chunk
		for b.Loop() {
			if err := parseChunk(s, &c); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.SetBytes(int64(len(s)))
		for b.Loop() {
			if _, ok := reference(b, s); !ok {
				b.Fatal("decode failed")
			}
		}
	})
}
