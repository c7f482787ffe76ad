package dataset

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"
)

// The lexical layer of the request parser (parse.go): whitespace, literals, strings,
// numbers, and skipping values of fields that are not read.

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
