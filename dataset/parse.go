package dataset

import (
	"fmt"
	"math"
	"strings"
)

// This file holds a small JSON parser for one request object (a JSON Lines line, or one
// sample of the document form). It exists because encoding/json's reflection costs several
// times more than the rest of reading a token dataset: a 100k-line file of 128-token prompts
// is mostly digits, and this parser turns them into int32s in one pass, with no per-token
// allocation. It validates the whole object as strictly as encoding/json does (the fuzz test
// checks that against json.Valid) and keeps the first syntax error and every field problem,
// so that a bad line is described completely.

// maxDepth bounds the nesting of values we skip, as encoding/json does, so that a hostile
// line cannot exhaust the stack.
const maxDepth = 10000

// slabSize is how many token ids are allocated at once for the requests' InputIDs: one
// allocation per slab instead of one per request.
const slabSize = 1 << 16

// fieldRole is what a key of a request object means.
type fieldRole uint8

const (
	roleUnknown fieldRole = iota
	roleTaskID
	roleInputIDs
	roleLogits
	rolePrompt
	roleOutput   // output_tokens in JSON Lines, output_len in the document form
	roleInputLen // document form only
	roleLoRA
	roleMedia
)

// roleOf maps a key to its role. The switch on string(key) does not allocate.
func roleOf(key []byte, doc bool) fieldRole {
	if doc {
		switch string(key) {
		case "task_id":
			return roleTaskID
		case "input_ids":
			return roleInputIDs
		case "prompt":
			return rolePrompt
		case "output_len":
			return roleOutput
		case "input_len":
			return roleInputLen
		case "media_paths":
			return roleMedia
		}
		return roleUnknown
	}
	switch string(key) {
	case "task_id":
		return roleTaskID
	case "input_ids":
		return roleInputIDs
	case "logits":
		return roleLogits
	case "prompt":
		return rolePrompt
	case "output_tokens":
		return roleOutput
	case "lora_request":
		return roleLoRA
	case "media_paths":
		return roleMedia
	}
	return roleUnknown
}

// intField is an integer field as found: seen is false when the key is absent; prob
// describes a value of the wrong type or range.
type intField struct {
	seen bool
	v    int64
	prob string
}

// idsField is a token id array; its tokens are in parser.toks. seen is false when absent or
// null (trtllm-bench treats null as absent).
type idsField struct {
	seen bool
	prob string
}

// strField is a string field; seen is false when absent or null.
type strField struct {
	seen bool
	v    string
	prob string
}

// record is one parsed request object, before its fields are checked.
type record struct {
	taskID   intField
	output   intField
	inputLen intField
	ids      [2]idsField // input_ids, logits
	prompt   strField
	lora     *LoRARequest
	loraProb string
	media    bool
}

// number is a lexed JSON number.
type number struct {
	v        int64
	neg      bool // written with a minus sign
	integral bool // the value is a whole number (128 and 128.0 both are)
	inRange  bool // integral and fits an int64 (v is valid)
	start    int
	end      int
}

// parser parses request objects. Its buffers are reused from one object to the next, so a
// parser is not safe for concurrent use.
type parser struct {
	b     []byte
	i     int
	err   string // first syntax error, "" if none
	errAt int    // byte offset of err
	doc   bool   // document-form sample (output_len, input_len) rather than a JSON Lines line
	toks  [2][]int32
	slab  []int32
	probs []string
}

// parse parses one request object. On success it returns the request with its InputIDs
// copied out of the parser's buffers; otherwise ok is false and problem() describes why.
func (p *parser) parse(b []byte, doc bool) (req Request, ok bool) {
	p.b, p.i, p.err, p.errAt, p.doc = b, 0, "", 0, doc
	p.probs = p.probs[:0]
	var rec record
	p.ws()
	if p.peek() != '{' {
		p.notObject()
		return Request{}, false
	}
	if !p.object(&rec) {
		return Request{}, false
	}
	p.ws()
	if p.i < len(p.b) {
		p.syntax("unexpected data after the object")
		return Request{}, false
	}
	return p.build(&rec)
}

// problem describes why the last parse failed, as one line.
func (p *parser) problem() string {
	if p.err != "" {
		if p.errAt >= len(p.b) {
			return "invalid JSON: unexpected end of line (" + p.err + ")"
		}
		return fmt.Sprintf("invalid JSON at column %d: %s", p.errAt+1, p.err)
	}
	return strings.Join(p.probs, ", ")
}

// notObject records why a line that does not start with '{' is bad: it is either some other
// JSON value or not JSON at all.
func (p *parser) notObject() {
	if p.i >= len(p.b) {
		p.syntax("empty value")
		return
	}
	kind := p.kind()
	if !p.skip(0) {
		return
	}
	p.ws()
	if p.i < len(p.b) {
		p.syntax("unexpected data after the value")
		return
	}
	p.probs = append(p.probs, "expected a JSON object, got "+kind)
}

func (p *parser) syntax(msg string) bool {
	if p.err == "" {
		p.err, p.errAt = msg, p.i
	}
	return false
}

// kind names the JSON type of the value at the cursor, for messages.
func (p *parser) kind() string {
	switch c := p.peek(); {
	case c == '{':
		return "object"
	case c == '[':
		return "array"
	case c == '"':
		return "string"
	case c == 't' || c == 'f':
		return "boolean"
	case c == 'n':
		return "null"
	case c == '-' || isDigit(c):
		return "number"
	}
	return "invalid value"
}

// object parses the top-level request object; the cursor is at '{'.
func (p *parser) object(rec *record) bool {
	p.i++
	p.ws()
	if p.peek() == '}' {
		p.i++
		return true
	}
	for {
		p.ws()
		key, ok := p.key()
		if !ok {
			return false
		}
		if !p.field(roleOf(key, p.doc), rec) {
			return false
		}
		p.ws()
		switch p.peek() {
		case ',':
			p.i++
		case '}':
			p.i++
			return true
		default:
			return p.syntax("expected ',' or '}' after an object value")
		}
	}
}

// key lexes an object key and the ':' after it, leaving the cursor at the value. The
// returned bytes alias the line unless the key has escapes.
func (p *parser) key() ([]byte, bool) {
	if p.peek() != '"' {
		return nil, p.syntax("expected a string key")
	}
	s, e, esc, ok := p.lexString()
	if !ok {
		return nil, false
	}
	key := p.b[s:e]
	if esc {
		key = []byte(p.decodeString(s, e))
	}
	p.ws()
	if p.peek() != ':' {
		return nil, p.syntax("expected ':' after an object key")
	}
	p.i++
	p.ws()
	return key, true
}

// field parses the value of one key. Later duplicates replace earlier ones, as in Python's
// json.loads and encoding/json.
func (p *parser) field(role fieldRole, rec *record) bool {
	switch role {
	case roleTaskID:
		rec.taskID = p.intValue("task_id")
	case roleOutput:
		rec.output = p.intValue(p.outputName())
	case roleInputLen:
		rec.inputLen = p.intValue("input_len")
	case roleInputIDs:
		rec.ids[0] = p.tokens(0, "input_ids")
	case roleLogits:
		rec.ids[1] = p.tokens(1, "logits")
	case rolePrompt:
		rec.prompt = p.stringValue("prompt")
	case roleLoRA:
		rec.lora, rec.loraProb = p.loraValue()
	case roleMedia:
		rec.media = p.mediaValue()
	default:
		return p.skip(0)
	}
	return p.err == ""
}

func (p *parser) outputName() string {
	if p.doc {
		return "output_len"
	}
	return "output_tokens"
}

// build checks the parsed fields and makes the request.
func (p *parser) build(rec *record) (Request, bool) {
	out := p.outputName()
	switch {
	case !rec.taskID.seen:
		p.probs = append(p.probs, "task_id missing")
	case rec.taskID.prob != "":
		p.probs = append(p.probs, rec.taskID.prob)
	}

	// input_ids wins over its alias logits, and both win over prompt, as in trtllm-bench.
	src, srcName := -1, ""
	switch {
	case rec.ids[0].seen:
		src, srcName = 0, "input_ids"
	case rec.ids[1].seen:
		src, srcName = 1, "logits"
	}
	if rec.prompt.prob != "" {
		p.probs = append(p.probs, rec.prompt.prob)
	}
	switch {
	case src >= 0 && rec.ids[src].prob != "":
		p.probs = append(p.probs, rec.ids[src].prob)
	case src >= 0 && len(p.toks[src]) == 0:
		p.probs = append(p.probs, srcName+" is empty")
	case src < 0 && rec.prompt.seen && rec.prompt.prob == "" && rec.prompt.v == "":
		p.probs = append(p.probs, "prompt is empty")
	case src < 0 && !rec.prompt.seen:
		p.probs = append(p.probs, "neither input_ids nor prompt")
	}
	if rec.inputLen.seen {
		switch {
		case rec.inputLen.prob != "":
			p.probs = append(p.probs, rec.inputLen.prob)
		case src >= 0 && rec.ids[src].prob == "" && rec.inputLen.v != int64(len(p.toks[src])):
			p.probs = append(p.probs, fmt.Sprintf("input_len %d does not match the %d input_ids", rec.inputLen.v, len(p.toks[src])))
		}
	}

	switch {
	case !rec.output.seen:
		p.probs = append(p.probs, out+" missing")
	case rec.output.prob != "":
		p.probs = append(p.probs, rec.output.prob)
	case rec.output.v < 1:
		p.probs = append(p.probs, fmt.Sprintf("%s must be at least 1, got %d", out, rec.output.v))
	case rec.output.v > math.MaxInt32:
		p.probs = append(p.probs, fmt.Sprintf("%s %d is too large", out, rec.output.v))
	}
	if rec.loraProb != "" {
		p.probs = append(p.probs, rec.loraProb)
	}
	if rec.media {
		p.probs = append(p.probs, "media_paths is not supported (multimodal requests cannot be benchmarked): remove the field or the request")
	}
	if len(p.probs) > 0 {
		return Request{}, false
	}

	r := Request{
		TaskID:       rec.taskID.v,
		OutputTokens: int(rec.output.v),
		LoRA:         rec.lora,
	}
	if rec.prompt.seen {
		r.Prompt = rec.prompt.v
	}
	if src >= 0 {
		r.InputIDs = p.alloc(p.toks[src])
	}
	return r, true
}

// alloc copies toks into the slab. The full slice expression caps the result so that an
// append to one request's InputIDs can never write into the next one's.
func (p *parser) alloc(toks []int32) []int32 {
	n := len(toks)
	if n > len(p.slab) {
		if n >= slabSize/4 {
			// Large prompts get their own array rather than wasting a slab's tail.
			return append([]int32(nil), toks...)
		}
		p.slab = make([]int32, slabSize)
	}
	out := p.slab[:n:n]
	copy(out, toks)
	p.slab = p.slab[n:]
	return out
}
