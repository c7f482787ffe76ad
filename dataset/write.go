package dataset

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"
)

// The writers produce the bytes Python's json module produces in prepare_dataset.py, not
// encoding/json's, so that files from either tool are identical: JSON Lines is
// json.dumps(d, separators=(",", ":"), ensure_ascii=False), the document form is
// json.dump(d) with its default ", " and ": " separators and ASCII-only strings. The
// differences from encoding/json are in strings: Python does not escape <, > and &, and it
// writes \u escapes in lowercase hex.

// AppendJSONL appends r as one JSON Lines record, without the newline:
// {"task_id":0,"input_ids":[1,2],"output_tokens":128} with fields in the order task_id,
// input_ids, prompt, output_tokens, lora_request. input_ids is written when present, prompt
// when set, and input_ids (empty) when neither is.
func AppendJSONL(dst []byte, r *Request) []byte {
	dst = append(dst, `{"task_id":`...)
	dst = strconv.AppendInt(dst, r.TaskID, 10)
	if len(r.InputIDs) > 0 || r.Prompt == "" {
		dst = append(dst, `,"input_ids":`...)
		dst = appendIDs(dst, r.InputIDs, ",")
	}
	if r.Prompt != "" {
		dst = append(dst, `,"prompt":`...)
		dst = appendPyString(dst, r.Prompt, false)
	}
	dst = append(dst, `,"output_tokens":`...)
	dst = strconv.AppendInt(dst, int64(r.OutputTokens), 10)
	if l := r.LoRA; l != nil {
		dst = append(dst, `,"lora_request":{"lora_name":`...)
		dst = appendPyString(dst, l.Name, false)
		dst = append(dst, `,"lora_int_id":`...)
		dst = strconv.AppendInt(dst, l.IntID, 10)
		dst = append(dst, `,"lora_path":`...)
		dst = appendPyString(dst, l.Path, false)
		dst = append(dst, '}')
	}
	return append(dst, '}')
}

// WriteJSONL writes reqs as JSON Lines, one record per line (see AppendJSONL).
func WriteJSONL(w io.Writer, reqs []Request) error {
	bw := bufio.NewWriterSize(w, 256<<10)
	var line []byte
	for i := range reqs {
		line = AppendJSONL(line[:0], &reqs[i])
		line = append(line, '\n')
		if _, err := bw.Write(line); err != nil {
			return fmt.Errorf("write dataset: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write dataset: %w", err)
	}
	return nil
}

// WriteDocument writes the single-document form, as prepare_dataset.py writes it without
// --stdout: {"metadata": {...}, "samples": [{"input_len": 3, "input_ids": [...],
// "output_len": 128, "task_id": -1}, ...]} on one line with no trailing newline. Each
// sample's task_id is the request's TaskID; in this form it is the LoRA task id, -1 for
// none (gptManagerBenchmark's convention). A request without InputIDs is written as a
// prompt sample {"task_id", "prompt", "output_len"}. The form has no place for
// lora_request, so it is dropped.
//
// The metadata is written as given, except that an empty WorkloadName is derived as
// prepare_dataset.py derives it.
func WriteDocument(w io.Writer, meta Metadata, reqs []Request) error {
	bw := bufio.NewWriterSize(w, 256<<10)
	buf := appendMetadata([]byte(`{"metadata": `), &meta)
	buf = append(buf, `, "samples": [`...)
	for i := range reqs {
		r := &reqs[i]
		if i > 0 {
			buf = append(buf, ", "...)
		}
		if len(r.InputIDs) > 0 || r.Prompt == "" {
			buf = append(buf, `{"input_len": `...)
			buf = strconv.AppendInt(buf, int64(len(r.InputIDs)), 10)
			buf = append(buf, `, "input_ids": `...)
			buf = appendIDs(buf, r.InputIDs, ", ")
			buf = append(buf, `, "output_len": `...)
			buf = strconv.AppendInt(buf, int64(r.OutputTokens), 10)
			buf = append(buf, `, "task_id": `...)
			buf = strconv.AppendInt(buf, r.TaskID, 10)
		} else {
			buf = append(buf, `{"task_id": `...)
			buf = strconv.AppendInt(buf, r.TaskID, 10)
			buf = append(buf, `, "prompt": `...)
			buf = appendPyString(buf, r.Prompt, true)
			buf = append(buf, `, "output_len": `...)
			buf = strconv.AppendInt(buf, int64(r.OutputTokens), 10)
		}
		buf = append(buf, '}')
		if len(buf) >= 64<<10 {
			if _, err := bw.Write(buf); err != nil {
				return fmt.Errorf("write dataset: %w", err)
			}
			buf = buf[:0]
		}
	}
	buf = append(buf, "]}"...)
	if _, err := bw.Write(buf); err != nil {
		return fmt.Errorf("write dataset: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write dataset: %w", err)
	}
	return nil
}

// appendMetadata writes the metadata object in prepare_dataset.py's key order.
func appendMetadata(dst []byte, m *Metadata) []byte {
	dst = append(dst, '{')
	for i, f := range m.fields() {
		if i > 0 {
			dst = append(dst, ", "...)
		}
		dst = appendPyString(dst, f.key, true)
		dst = append(dst, ": "...)
		if f.isS {
			dst = appendPyString(dst, f.str, true)
		} else {
			dst = strconv.AppendInt(dst, int64(f.num), 10)
		}
	}
	dst = append(dst, `, "workload_name": `...)
	dst = appendPyString(dst, m.Name(), true)
	return append(dst, '}')
}

func appendIDs(dst []byte, ids []int32, sep string) []byte {
	dst = append(dst, '[')
	for i, t := range ids {
		if i > 0 {
			dst = append(dst, sep...)
		}
		dst = strconv.AppendInt(dst, int64(t), 10)
	}
	return append(dst, ']')
}

const hexDigits = "0123456789abcdef"

// appendPyString writes s as Python's json module does: ", \ and control characters are
// escaped (\n \r \t \b \f by name, the rest as \u00xx); with asciiOnly (ensure_ascii=True)
// everything outside printable ASCII is escaped too, as UTF-16 \u escapes. Invalid UTF-8,
// which a Python str cannot hold, is written as U+FFFD, as encoding/json does.
func appendPyString(dst []byte, s string, asciiOnly bool) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"':
				dst = append(dst, `\"`...)
			case c == '\\':
				dst = append(dst, `\\`...)
			case c == '\n':
				dst = append(dst, `\n`...)
			case c == '\r':
				dst = append(dst, `\r`...)
			case c == '\t':
				dst = append(dst, `\t`...)
			case c == '\b':
				dst = append(dst, `\b`...)
			case c == '\f':
				dst = append(dst, `\f`...)
			case c < 0x20 || (asciiOnly && c == 0x7f):
				dst = appendU(dst, rune(c))
			default:
				dst = append(dst, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case !asciiOnly && r == utf8.RuneError && size == 1:
			dst = utf8.AppendRune(dst, utf8.RuneError)
		case !asciiOnly:
			dst = append(dst, s[i-size:i]...)
		case r >= 0x10000:
			r -= 0x10000
			dst = appendU(dst, 0xd800+(r>>10))
			dst = appendU(dst, 0xdc00+(r&0x3ff))
		default:
			dst = appendU(dst, r)
		}
	}
	return append(dst, '"')
}

// appendU writes \uXXXX in lowercase hex, as Python does.
func appendU(dst []byte, r rune) []byte {
	return append(dst, '\\', 'u',
		hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
}
