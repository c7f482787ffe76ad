package session

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/benchtui/benchtui/synth"
)

// tinyFile writes (or reuses) the tiny preset's GGUF file.
func tinyFile(t *testing.T) string {
	t.Helper()
	t.Setenv(synth.CacheDirEnv, filepath.Join(os.TempDir(), "benchtui-test-models"))
	m, err := synth.ParseModel("tiny")
	if err != nil {
		t.Fatal(err)
	}
	path, err := synth.Ensure(context.Background(), m, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	return path
}

func TestReadGGUF(t *testing.T) {
	path := tinyFile(t)
	g, err := readGGUFFile(path)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := synth.LookupPreset("tiny")
	if g.version != 3 || g.arch != p.Arch || g.archInt("block_count") != p.Layers || g.archInt("attention.head_count_kv") != p.KVHeads ||
		int(g.arrays["tokenizer.ggml.tokens"]) != p.Vocab {
		t.Errorf("header of %s: version %d, arch %q, %d layers, %d KV heads, %d tokens; want %+v", path, g.version, g.arch,
			g.archInt("block_count"), g.archInt("attention.head_count_kv"), g.arrays["tokenizer.ggml.tokens"], p)
	}
	if g.dataEnd > g.fileSize || g.fileSize-g.dataEnd >= 32 || g.dataBytes <= 0 || g.dataBytes > g.fileSize {
		t.Errorf("data ends at %d with %d bytes of weights, the file has %d", g.dataEnd, g.dataBytes, g.fileSize)
	}
}

// A file llama.cpp would refuse, or crash on, is refused with one line that says why.
func TestReadGGUFRefuses(t *testing.T) {
	whole, err := os.ReadFile(tinyFile(t))
	if err != nil {
		t.Fatal(err)
	}
	header := func(version uint32, tensors, kvs int64) []byte {
		b := []byte("GGUF")
		b = binary.LittleEndian.AppendUint32(b, version)
		b = binary.LittleEndian.AppendUint64(b, uint64(tensors))
		return binary.LittleEndian.AppendUint64(b, uint64(kvs))
	}
	// build writes a header with string keys and one-dimensional tensors, then data bytes.
	type tensor struct {
		name      string
		ne        int64
		typ       uint32
		off       uint64
		alignment uint32
	}
	build := func(keys []string, ts []tensor, data int) []byte {
		str := func(b []byte, s string) []byte {
			return append(binary.LittleEndian.AppendUint64(b, uint64(len(s))), s...)
		}
		b := header(3, int64(len(ts)), int64(len(keys)))
		for _, k := range keys {
			b = binary.LittleEndian.AppendUint32(str(b, k), 8)
			b = str(b, "v")
		}
		for _, tn := range ts {
			b = binary.LittleEndian.AppendUint32(str(b, tn.name), 1)
			b = binary.LittleEndian.AppendUint64(b, uint64(tn.ne))
			b = binary.LittleEndian.AppendUint32(b, tn.typ)
			b = binary.LittleEndian.AppendUint64(b, tn.off)
		}
		for len(b)%32 != 0 {
			b = append(b, 0)
		}
		return append(b, make([]byte, data)...)
	}
	dir := t.TempDir()
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"truncated data", whole[:len(whole)-4096], "truncated"},
		{"truncated header", whole[:200], "corrupt or truncated GGUF header"},
		{"not gguf", []byte("PK\x03\x04 a zip file"), "not a GGUF file"},
		{"empty", nil, "not a GGUF file"},
		{"version 1", header(1, 0, 0), "version 1 is not supported"},
		{"version 9", header(9, 0, 0), "GGUF version 9"},
		{"huge key count", header(3, 0, 1<<40), "metadata keys do not fit"},
		{"negative tensor count", header(3, -1, 0), "tensors do not fit"},
		{"duplicate key", build([]string{"a", "a"}, nil, 0), `key "a" appears twice`},
		{"removed tensor type", build(nil, []tensor{{name: "w", ne: 32, typ: 31}}, 64), "type 31"},
		{"row not a block multiple", build(nil, []tensor{{name: "w", ne: 30, typ: 8}}, 64), "not a multiple"},
		{"tensor offset", build(nil, []tensor{{name: "a", ne: 8, typ: 0}, {name: "b", ne: 8, typ: 0, off: 4}}, 64), "expected 32"},
		{"duplicate tensor", build(nil, []tensor{{name: "a", ne: 8, typ: 0}, {name: "a", ne: 8, typ: 0, off: 32}}, 64), "appears twice"},
		{"tensor past the end", build(nil, []tensor{{name: "a", ne: 64, typ: 0}}, 16), "truncated"},
		{"garbage after the magic", append([]byte("GGUF\x03\x00\x00\x00"), bytes.Repeat([]byte{0x5a}, 4096)...), "corrupt"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "-")+".gguf")
			if err := os.WriteFile(path, c.data, 0o644); err != nil {
				t.Fatal(err)
			}
			_, _, err := Check(Options{Model: path})
			var ie InputError
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), path) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %v: want one line naming the file and %q", err, c.want)
			} else if !asInput(err, &ie) {
				t.Errorf("error %v is not an InputError", err)
			}
		})
	}
	ok := filepath.Join(dir, "ok.gguf")
	if err := os.WriteFile(ok, build([]string{"general.architecture"}, []tensor{{name: "a", ne: 8, typ: 0}, {name: "b", ne: 32, typ: 8, off: 32}}, 32+34), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Check(Options{Model: ok}); err != nil {
		t.Errorf("a well-formed file: %v", err)
	}
	if _, _, err := Check(Options{Model: dir + "/"}); err == nil || !strings.Contains(err.Error(), "folder") {
		t.Errorf("a folder: %v", err)
	}
}

func asInput(err error, ie *InputError) bool {
	e, ok := err.(InputError)
	if ok {
		*ie = e
	}
	return ok
}
