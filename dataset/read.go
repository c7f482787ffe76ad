package dataset

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// Dataset formats, as reported in Result.Format.
const (
	// FormatJSONL is one request object per line (prepare_dataset.py --stdout,
	// trtllm-bench prepare-dataset).
	FormatJSONL = "jsonl"
	// FormatDocument is the older single JSON document {"metadata": {...}, "samples": [...]}.
	FormatDocument = "document"
)

// DefaultMaxErrors is how many bad lines are described when ReadOptions.MaxErrors is 0.
const DefaultMaxErrors = 20

// ErrEmpty is returned (wrapped) for a dataset with no requests at all. Its text is
// trtllm-bench's message for the same case.
var ErrEmpty = errors.New("Expected JSON lines with at least 'prompt', 'task_id' and 'output_tokens' fields")

// ReadOptions control Read.
type ReadOptions struct {
	// NumRequests, when positive, stops reading after this many valid requests (trtllm-bench's
	// --num_requests). Lines after them are not read, so they are not checked either.
	NumRequests int
	// SkipBadLines drops malformed lines (counted in Result.Skipped) instead of refusing the
	// file. A file with no valid line is refused even so.
	SkipBadLines bool
	// MaxErrors caps how many bad lines are described (0 means DefaultMaxErrors, negative
	// means no cap); every bad line is counted either way.
	MaxErrors int
}

// Result is a dataset read by Read.
type Result struct {
	Requests []Request
	// Skipped is how many bad lines (or samples) SkipBadLines dropped.
	Skipped int
	// Problems describes the bad lines, up to ReadOptions.MaxErrors of them.
	Problems []LineError
	// Format is FormatJSONL or FormatDocument.
	Format string
	// Metadata is the document form's metadata; nil for JSON Lines.
	Metadata *Metadata
}

// LineError is one malformed line of a JSON Lines file, or one malformed sample of the
// document form.
type LineError struct {
	// Line is the 1-based line number, or the 1-based sample number when Sample is set.
	Line   int
	Sample bool
	// Msg says what is wrong, e.g. "output_tokens missing".
	Msg string
}

func (e LineError) Error() string {
	switch {
	case e.Line <= 0:
		return e.Msg
	case e.Sample:
		return "sample " + strconv.Itoa(e.Line) + ": " + e.Msg
	}
	return "line " + strconv.Itoa(e.Line) + ": " + e.Msg
}

// BadLinesError refuses a dataset with malformed lines. It lists them all, up to
// ReadOptions.MaxErrors; Error() summarises them on one line.
type BadLinesError struct {
	// Path is the file's path, "" when read from a stream.
	Path string
	// Format is FormatJSONL or FormatDocument.
	Format string
	// Bad is how many lines (or samples) are malformed; Problems describes the first ones.
	Bad      int
	Problems []LineError
	// NoValid is set when not one request was valid, which is an error even with
	// SkipBadLines.
	NoValid bool
}

func (e *BadLinesError) Error() string {
	var b strings.Builder
	b.WriteString("dataset")
	if e.Path != "" {
		b.WriteString(" " + e.Path)
	}
	unit := "line"
	if e.Format == FormatDocument {
		unit = "sample"
	}
	if e.Bad != 1 {
		unit += "s"
	}
	if e.NoValid {
		fmt.Fprintf(&b, ": no valid request, %d bad %s (", e.Bad, unit)
	} else {
		fmt.Fprintf(&b, ": %d bad %s (", e.Bad, unit)
	}
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.Error())
	}
	if more := e.Bad - len(e.Problems); more > 0 {
		if len(e.Problems) > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "... and %d more", more)
	}
	b.WriteString(")")
	if !e.NoValid {
		b.WriteString("; fix them or pass --skip-bad-lines")
	}
	return b.String()
}

// ReadFile reads the dataset at path; see Read. Errors name the path.
func ReadFile(path string, opts ReadOptions) (*Result, error) {
	f, err := os.Open(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the path is named here already
		}
		return nil, fmt.Errorf("dataset %s: %w", path, err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.IsDir() {
		return nil, fmt.Errorf("dataset %s is a folder: pass a JSON Lines or JSON file", path)
	}
	return read(f, opts, path)
}

// Read reads a dataset in either trtllm-bench form, telling them apart by the first key of
// the first object: "metadata" or "samples" means the single-document form, anything else
// one object per line. It streams: memory holds the requests, never the file's text.
//
// A malformed line is reported with its line number, and so is every other one (up to
// MaxErrors); the file is then refused as a whole with a *BadLinesError unless
// SkipBadLines. Blank lines are skipped. An empty dataset is an error wrapping ErrEmpty.
func Read(r io.Reader, opts ReadOptions) (*Result, error) {
	return read(r, opts, "")
}

// readBufSize is the read buffer: big enough that format detection can look past a long
// run of leading blank lines, and that most lines are parsed in place without copying.
const readBufSize = 256 << 10

func read(r io.Reader, opts ReadOptions, path string) (*Result, error) {
	name := "dataset"
	if path != "" {
		name += " " + path
	}
	br := bufio.NewReaderSize(r, readBufSize)
	format, err := detect(br)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	rd := reader{opts: opts, res: &Result{Format: format}, name: name}
	if rd.opts.MaxErrors == 0 {
		rd.opts.MaxErrors = DefaultMaxErrors
	}
	if format == FormatDocument {
		err = rd.document(br)
	} else {
		err = rd.lines(br)
	}
	if err != nil {
		return nil, err
	}
	res := rd.res
	res.Requests = rd.requests()
	switch {
	case len(res.Requests) == 0 && rd.bad == 0:
		return nil, fmt.Errorf("%s is empty: %w", name, ErrEmpty)
	case rd.bad > 0 && (!opts.SkipBadLines || len(res.Requests) == 0):
		return nil, &BadLinesError{Path: path, Format: format, Bad: rd.bad, Problems: res.Problems, NoValid: len(res.Requests) == 0}
	}
	res.Skipped = rd.bad
	return res, nil
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// detect tells the two formats apart without consuming anything but a byte order mark. It
// scans the top-level keys of the first object in the peeked input: a "metadata" object or a
// "samples" array there means the document form; a first object that closes without one
// means JSON Lines. Looking at keys rather than at line structure matters because json.dump
// writes the whole document on one line, and a pretty-printed one spans many. The scan stops
// at the first such key, so a document's samples are not read twice.
func detect(br *bufio.Reader) (string, error) {
	if b, _ := br.Peek(len(utf8BOM)); bytes.Equal(b, utf8BOM) {
		br.Discard(len(utf8BOM))
	}
	for n := 4096; ; n *= 2 {
		n = min(n, br.Size())
		b, err := br.Peek(n)
		complete := err != nil // EOF (or a read error, reported by the reader proper)
		format, decided, cerr := classify(b, complete)
		if cerr != nil {
			return "", cerr
		}
		if decided {
			return format, nil
		}
		if complete || n == br.Size() {
			// The first object is longer than the buffer without a document key so far: a
			// very long JSON Lines line.
			return FormatJSONL, nil
		}
	}
}

// classify looks at the start of the input. decided is false when b ends before the answer
// and more input may follow (complete is false).
func classify(b []byte, complete bool) (format string, decided bool, err error) {
	i := skipSpace(b, 0)
	if i == len(b) {
		return FormatJSONL, complete, nil
	}
	switch b[i] {
	case '{':
	case '[':
		return "", true, errors.New(`unsupported format: the file is a JSON array; expected JSON Lines (one {"task_id", "input_ids" or "prompt", "output_tokens"} object per line) or a {"metadata", "samples"} document`)
	default:
		return FormatJSONL, true, nil
	}
	p := parser{b: b, i: i + 1}
	p.ws()
	if p.peek() == '}' {
		return FormatJSONL, true, nil
	}
	for p.err == "" {
		p.ws()
		key, ok := p.key()
		if !ok {
			break
		}
		switch c := p.peek(); {
		case string(key) == "metadata" && c == '{', string(key) == "samples" && c == '[':
			return FormatDocument, true, nil
		}
		if !p.skip(0) {
			break
		}
		p.ws()
		switch p.peek() {
		case ',':
			p.i++
		case '}':
			return FormatJSONL, true, nil
		default:
			p.syntax("expected ',' or '}'")
		}
	}
	// Bad JSON before the end of what we have is JSON Lines with a bad first line, which
	// the line reader reports; at the end, we need to see more.
	if p.errAt >= len(b) && !complete {
		return "", false, nil
	}
	return FormatJSONL, true, nil
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// reader holds the state of one Read.
type reader struct {
	opts ReadOptions
	res  *Result
	name string
	p    parser
	bad  int
	// Requests are collected in fixed-size chunks and joined once at the end. Appending to
	// one slice would copy it at every growth step, and Go grows large slices by only 1.25x,
	// so the copies would add up to several times the final size.
	chunks [][]Request
	cur    []Request
	n      int
}

const chunkSize = 4096

func (rd *reader) add(r Request) {
	if len(rd.cur) == cap(rd.cur) {
		if len(rd.cur) > 0 {
			rd.chunks = append(rd.chunks, rd.cur)
		}
		size := chunkSize
		if rd.opts.NumRequests > 0 {
			size = min(size, rd.opts.NumRequests-rd.n)
		}
		rd.cur = make([]Request, 0, size)
	}
	rd.cur = append(rd.cur, r)
	rd.n++
}

// requests joins the chunks into one slice of exactly the right size.
func (rd *reader) requests() []Request {
	if len(rd.chunks) == 0 {
		return rd.cur
	}
	all := make([]Request, 0, rd.n)
	for _, c := range rd.chunks {
		all = append(all, c...)
	}
	return append(all, rd.cur...)
}

// done reports whether NumRequests valid requests have been read.
func (rd *reader) done() bool {
	return rd.opts.NumRequests > 0 && rd.n >= rd.opts.NumRequests
}

func (rd *reader) badLine(line int, sample bool, msg string) {
	rd.bad++
	if rd.opts.MaxErrors < 0 || len(rd.res.Problems) < rd.opts.MaxErrors {
		rd.res.Problems = append(rd.res.Problems, LineError{Line: line, Sample: sample, Msg: msg})
	}
}

// lines reads JSON Lines. Lines are parsed straight out of the bufio buffer; only a line
// longer than the buffer is copied, into a scratch buffer that is reused.
func (rd *reader) lines(br *bufio.Reader) error {
	var long []byte
	lineNo := 0
	for !rd.done() {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			long = append(long[:0], line...)
			for errors.Is(err, bufio.ErrBufferFull) {
				line, err = br.ReadSlice('\n')
				long = append(long, line...)
			}
			line = long
		}
		if len(line) > 0 {
			lineNo++
			rd.line(line, lineNo)
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("read %s: line %d: %w", rd.name, lineNo, err)
		}
	}
	return nil
}

func (rd *reader) line(line []byte, lineNo int) {
	if n := len(line); n > 0 && line[n-1] == '\n' {
		line = line[:n-1]
	}
	if skipSpace(line, 0) == len(line) {
		return // blank lines are allowed anywhere (trtllm-bench fails on them)
	}
	req, ok := rd.p.parse(line, false)
	if !ok {
		rd.badLine(lineNo, false, rd.p.problem())
		return
	}
	req.Line = lineNo
	rd.add(req)
}

// document reads the single-document form, streaming the samples array with json.Decoder
// so that only one sample's text is in memory at a time.
func (rd *reader) document(br *bufio.Reader) error {
	dec := json.NewDecoder(br)
	fail := func(what string, err error) error {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return fmt.Errorf("read %s: %s: invalid JSON at byte %d: %w", rd.name, what, se.Offset, err)
		}
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return fmt.Errorf("read %s: %s: %w", rd.name, what, err)
	}
	if _, err := dec.Token(); err != nil { // '{', as detect saw
		return fail("document", err)
	}
	seenSamples := false
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return fail("document", err)
		}
		key, _ := t.(string)
		switch key {
		case "metadata":
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return fail("metadata", err)
			}
			if string(raw) == "null" {
				continue
			}
			var m Metadata
			if err := json.Unmarshal(raw, &m); err != nil {
				return fail("metadata", err)
			}
			rd.res.Metadata = &m
		case "samples":
			if seenSamples {
				return fmt.Errorf("read %s: the document has two \"samples\" arrays", rd.name)
			}
			seenSamples = true
			stopped, err := rd.samples(dec, fail)
			if err != nil {
				return err
			}
			if stopped {
				return nil // NumRequests reached: the rest of the file is not needed
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return fail("key "+quoteShort(key), err)
			}
		}
	}
	if _, err := dec.Token(); err != nil { // '}'
		return fail("document", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		if err == nil {
			err = errors.New("unexpected data after the document")
		}
		return fail("after the document", err)
	}
	if !seenSamples {
		return fmt.Errorf("read %s: the document has no \"samples\" array", rd.name)
	}
	return nil
}

// quoteShort quotes s for a message, cut to a readable length: it may be any key a file has.
func quoteShort(s string) string {
	if r := []rune(s); len(r) > 32 {
		s = string(r[:29]) + "..."
	}
	return strconv.Quote(s)
}

// samples reads the samples array; stopped reports that NumRequests was reached first.
func (rd *reader) samples(dec *json.Decoder, fail func(string, error) error) (stopped bool, err error) {
	t, err := dec.Token()
	if err != nil {
		return false, fail("samples", err)
	}
	if t == nil {
		return false, nil // "samples": null holds no samples
	}
	if d, ok := t.(json.Delim); !ok || d != '[' {
		return false, fmt.Errorf("read %s: \"samples\" must be an array", rd.name)
	}
	n := 0
	var raw json.RawMessage
	for dec.More() {
		if rd.done() {
			return true, nil
		}
		n++
		raw = raw[:0]
		if err := dec.Decode(&raw); err != nil {
			return false, fail("sample "+strconv.Itoa(n), err)
		}
		req, ok := rd.p.parse(raw, true)
		if !ok {
			rd.badLine(n, true, rd.p.problem())
			continue
		}
		req.Line, req.Sample = n, true
		rd.add(req)
	}
	if _, err := dec.Token(); err != nil { // ']'
		return false, fail("samples", err)
	}
	return rd.done(), nil
}
