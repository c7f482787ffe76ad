package dataset

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
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

func (p *parser) peek() byte {
	if p.i < len(p.b) {
		return p.b[p.i]
	}
	return 0
}

func (p *parser) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

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

// intValue parses an integer field. Whole numbers written as floats (128.0) are accepted, as
// pydantic accepts them for trtllm-bench's int fields.
func (p *parser) intValue(name string) intField {
	f := intField{seen: true}
	switch c := p.peek(); {
	case c == '-' || isDigit(c):
		n, ok := p.number()
		if !ok {
			return f
		}
		switch {
		case !n.integral:
			f.prob = fmt.Sprintf("%s must be an integer, got %s", name, p.text(n))
		case !n.inRange:
			f.prob = fmt.Sprintf("%s %s is out of range", name, p.text(n))
		default:
			f.v = n.v
		}
	default:
		kind := p.kind()
		if p.skip(0) {
			f.prob = fmt.Sprintf("%s must be an integer, got %s", name, kind)
		}
	}
	return f
}

// text is a number's source text for messages, shortened if long.
func (p *parser) text(n number) string {
	s := p.b[n.start:n.end]
	if len(s) > 24 {
		return string(s[:21]) + "..."
	}
	return string(s)
}

// tokens parses a token id array into p.toks[k].
func (p *parser) tokens(k int, name string) idsField {
	buf := p.toks[k][:0]
	defer func() { p.toks[k] = buf }()
	switch p.peek() {
	case 'n':
		p.literal("null")
		return idsField{}
	case '[':
	default:
		f := idsField{seen: true}
		kind := p.kind()
		if p.skip(0) {
			f.prob = fmt.Sprintf("%s must be an array of token ids, got %s", name, kind)
		}
		return f
	}
	f := idsField{seen: true}
	p.i++
	p.ws()
	if p.peek() == ']' {
		p.i++
		return f
	}
	b := p.b
	for idx := 0; ; idx++ {
		// Fast path, kept in local variables: a plain non-negative integer of at most 9
		// digits, which always fits an int32 and is nearly every token id, followed by ','
		// or ']'. Anything else falls through to the general path.
		i := p.i
		for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
			i++
		}
		if i < len(b) && b[i]-'1' < 9 {
			v := uint32(b[i] - '0')
			j := i + 1
			for j < len(b) && j-i < 9 {
				d := b[j] - '0'
				if d > 9 {
					break
				}
				v = v*10 + uint32(d)
				j++
			}
			if j < len(b) {
				switch b[j] {
				case ',':
					buf = append(buf, int32(v))
					p.i = j + 1
					continue
				case ']':
					buf = append(buf, int32(v))
					p.i = j + 1
					return f
				}
			}
		}
		p.i = i
		if c := p.peek(); c == '-' || isDigit(c) {
			n, ok := p.number()
			if !ok {
				return f
			}
			if f.prob == "" {
				switch {
				case !n.integral:
					f.prob = fmt.Sprintf("%s[%d] = %s is not an integer", name, idx, p.text(n))
				case (n.inRange && n.v < 0) || (!n.inRange && n.neg):
					f.prob = fmt.Sprintf("negative token id %s in %s (index %d)", p.text(n), name, idx)
				case !n.inRange || n.v > math.MaxInt32:
					f.prob = fmt.Sprintf("token id %s in %s (index %d) is out of range", p.text(n), name, idx)
				}
			}
			buf = append(buf, int32(n.v))
		} else {
			kind := p.kind()
			if !p.skip(1) {
				return f
			}
			if f.prob == "" {
				f.prob = fmt.Sprintf("%s[%d] must be a token id, got %s", name, idx, kind)
			}
		}
		p.ws()
		switch p.peek() {
		case ',':
			p.i++
		case ']':
			p.i++
			return f
		default:
			p.syntax("expected ',' or ']' after an array element")
			return f
		}
	}
}

// stringValue parses a string field; null counts as absent.
func (p *parser) stringValue(name string) strField {
	switch p.peek() {
	case 'n':
		p.literal("null")
		return strField{}
	case '"':
		s, e, esc, ok := p.lexString()
		if !ok {
			return strField{}
		}
		return strField{seen: true, v: p.stringAt(s, e, esc)}
	}
	f := strField{seen: true}
	kind := p.kind()
	if p.skip(0) {
		f.prob = fmt.Sprintf("%s must be a string, got %s", name, kind)
	}
	return f
}

// loraValue parses lora_request: null, or an object with lora_name, lora_int_id and
// (optionally, as in TensorRT-LLM's LoRARequest) lora_path. Other keys are ignored.
func (p *parser) loraValue() (*LoRARequest, string) {
	switch p.peek() {
	case 'n':
		p.literal("null")
		return nil, ""
	case '{':
	default:
		kind := p.kind()
		if p.skip(0) {
			return nil, "lora_request must be an object, got " + kind
		}
		return nil, ""
	}
	var name, path strField
	var id intField
	p.i++
	p.ws()
	if p.peek() == '}' {
		p.i++
	} else {
	members:
		for {
			p.ws()
			key, ok := p.key()
			if !ok {
				return nil, ""
			}
			switch string(key) {
			case "lora_name":
				name = p.stringValue("lora_request.lora_name")
			case "lora_int_id":
				id = p.intValue("lora_request.lora_int_id")
			case "lora_path":
				path = p.stringValue("lora_request.lora_path")
			default:
				p.skip(1)
			}
			if p.err != "" {
				return nil, ""
			}
			p.ws()
			switch p.peek() {
			case ',':
				p.i++
			case '}':
				p.i++
				break members
			default:
				p.syntax("expected ',' or '}' after an object value")
				return nil, ""
			}
		}
	}
	var probs []string
	for _, f := range []strField{name, path} {
		if f.prob != "" {
			probs = append(probs, f.prob)
		}
	}
	if !name.seen {
		probs = append(probs, "lora_request.lora_name missing")
	}
	switch {
	case !id.seen:
		probs = append(probs, "lora_request.lora_int_id missing")
	case id.prob != "":
		probs = append(probs, id.prob)
	}
	if len(probs) > 0 {
		return nil, strings.Join(probs, ", ")
	}
	return &LoRARequest{Name: name.v, IntID: id.v, Path: path.v}, ""
}

// mediaValue parses media_paths and reports whether it names any media. null and [] name
// none, so a text-only line that carries an empty field is still accepted.
func (p *parser) mediaValue() bool {
	switch p.peek() {
	case 'n':
		p.literal("null")
		return false
	case '[':
		save := p.i
		p.i++
		p.ws()
		if p.peek() == ']' {
			p.i++
			return false
		}
		p.i = save
	}
	p.skip(0)
	return true
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

// literal consumes the literal lit (true, false or null) at the cursor.
func (p *parser) literal(lit string) bool {
	if len(p.b)-p.i >= len(lit) && string(p.b[p.i:p.i+len(lit)]) == lit {
		p.i += len(lit)
		return true
	}
	return p.syntax("invalid literal (expected " + lit + ")")
}

// lexString lexes the string at the cursor (which is at its opening quote) and returns the
// bounds of its contents and whether it has escapes.
func (p *parser) lexString() (start, end int, escaped, ok bool) {
	b := p.b
	i := p.i + 1
	start = i
	for i < len(b) {
		c := b[i]
		switch {
		case c == '"':
			p.i = i + 1
			return start, i, escaped, true
		case c == '\\':
			escaped = true
			if i+1 >= len(b) {
				p.i = i
				return 0, 0, false, p.syntax("unterminated string")
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				for k := i + 2; k < i+6; k++ {
					if k >= len(b) || !isHex(b[k]) {
						p.i = i
						return 0, 0, false, p.syntax(`invalid \u escape in string`)
					}
				}
				i += 6
			default:
				p.i = i
				return 0, 0, false, p.syntax("invalid escape in string")
			}
		case c < 0x20:
			p.i = i
			return 0, 0, false, p.syntax("control character in string")
		default:
			i++
		}
	}
	p.i = i
	return 0, 0, false, p.syntax("unterminated string")
}

func isHex(c byte) bool {
	return isDigit(c) || ('a' <= c && c <= 'f') || ('A' <= c && c <= 'F')
}

// stringAt returns the string value of contents b[s:e].
func (p *parser) stringAt(s, e int, escaped bool) string {
	if !escaped && utf8.Valid(p.b[s:e]) {
		return string(p.b[s:e])
	}
	return p.decodeString(s, e)
}

// decodeString decodes escapes (and replaces invalid UTF-8 with U+FFFD) by handing the
// already-validated literal to encoding/json, which is rare enough not to matter for speed.
func (p *parser) decodeString(s, e int) string {
	var v string
	if err := json.Unmarshal(p.b[s-1:e+1], &v); err != nil {
		// Unreachable: lexString accepted the literal. Keep the raw text rather than fail.
		return string(p.b[s:e])
	}
	return v
}

// number lexes the JSON number at the cursor.
func (p *parser) number() (number, bool) {
	b := p.b
	i := p.i
	n := number{start: i}
	if b[i] == '-' {
		n.neg = true
		i++
	}
	if i >= len(b) || !isDigit(b[i]) {
		p.i = i
		return n, p.syntax("invalid number")
	}
	var u uint64
	over := false
	if b[i] == '0' {
		i++
	} else {
		for i < len(b) && isDigit(b[i]) {
			d := uint64(b[i] - '0')
			if u > (math.MaxUint64-d)/10 {
				over = true
			} else {
				u = u*10 + d
			}
			i++
		}
	}
	float := false
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || !isDigit(b[i]) {
			p.i = i
			return n, p.syntax("invalid number: expected a digit after '.'")
		}
		for i < len(b) && isDigit(b[i]) {
			i++
		}
		float = true
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || !isDigit(b[i]) {
			p.i = i
			return n, p.syntax("invalid number: expected a digit in the exponent")
		}
		for i < len(b) && isDigit(b[i]) {
			i++
		}
		float = true
	}
	p.i, n.end = i, i
	if !float {
		n.integral = true
		if over || (!n.neg && u > math.MaxInt64) || (n.neg && u > 1<<63) {
			return n, true
		}
		n.inRange = true
		n.v = int64(u)
		if n.neg {
			n.v = -n.v // 1<<63 wraps to MinInt64, which is the right value
		}
		return n, true
	}
	// Floats: a whole value is accepted as that integer (pydantic does the same). An
	// underflow reads as 0, as Python's float() reads it.
	f, err := strconv.ParseFloat(string(b[n.start:i]), 64)
	if err != nil && !math.IsInf(f, 0) && f != 0 {
		return n, true // not reachable for lexed numbers; treat as non-integral
	}
	if f != math.Trunc(f) {
		return n, true
	}
	n.integral = true
	if f >= -(1<<63) && f < 1<<63 {
		n.inRange = true
		n.v = int64(f)
	}
	return n, true
}

// skip validates and skips any JSON value.
func (p *parser) skip(depth int) bool {
	if depth > maxDepth {
		return p.syntax("value nested too deeply")
	}
	switch c := p.peek(); {
	case c == '{':
		p.i++
		p.ws()
		if p.peek() == '}' {
			p.i++
			return true
		}
		for {
			p.ws()
			if p.peek() != '"' {
				return p.syntax("expected a string key")
			}
			if _, _, _, ok := p.lexString(); !ok {
				return false
			}
			p.ws()
			if p.peek() != ':' {
				return p.syntax("expected ':' after an object key")
			}
			p.i++
			p.ws()
			if !p.skip(depth + 1) {
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
	case c == '[':
		p.i++
		p.ws()
		if p.peek() == ']' {
			p.i++
			return true
		}
		for {
			p.ws()
			if !p.skip(depth + 1) {
				return false
			}
			p.ws()
			switch p.peek() {
			case ',':
				p.i++
			case ']':
				p.i++
				return true
			default:
				return p.syntax("expected ',' or ']' after an array element")
			}
		}
	case c == '"':
		_, _, _, ok := p.lexString()
		return ok
	case c == '-' || isDigit(c):
		_, ok := p.number()
		return ok
	case c == 't':
		return p.literal("true")
	case c == 'f':
		return p.literal("false")
	case c == 'n':
		return p.literal("null")
	case p.i >= len(p.b):
		return p.syntax("unexpected end of value")
	default:
		if c >= 0x20 && c < 0x7f {
			return p.syntax(fmt.Sprintf("unexpected character %q", c))
		}
		return p.syntax(fmt.Sprintf("unexpected byte 0x%02x", c))
	}
}
