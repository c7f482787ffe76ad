package dataset

import (
	"fmt"
	"math"
	"strings"
)

// The field values of the request parser (parse.go): integers, token id arrays, strings,
// LoRA requests and multimodal fields.

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
