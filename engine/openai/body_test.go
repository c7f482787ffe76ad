package openai

import (
	"strconv"
	"strings"
	"testing"

	"github.com/benchtui/benchtui/dataset"
)

// BenchmarkBody50k measures the encoding of a 50,000-token prompt's request body, which a
// request's time to first token includes.
func BenchmarkBody50k(b *testing.B) {
	bk := &Backend{prefix: []byte(`{"model":"m","stream":true,`)}
	r := &dataset.Request{InputIDs: make([]int32, 50_000), OutputTokens: 128}
	for i := range r.InputIDs {
		r.InputIDs[i] = int32(i * 7 % 128000)
	}
	b.Run("body", func(b *testing.B) {
		var buf []byte
		for b.Loop() {
			var err error
			if buf, err = bk.appendBody(buf[:0], r); err != nil {
				b.Fatal(err)
			}
		}
		b.SetBytes(int64(len(buf)))
	})
	// What appendIDs replaced, for comparison.
	b.Run("strconv", func(b *testing.B) {
		var buf []byte
		for b.Loop() {
			buf = buf[:0]
			for i, t := range r.InputIDs {
				if i > 0 {
					buf = append(buf, ',')
				}
				buf = strconv.AppendInt(buf, int64(t), 10)
			}
		}
		b.SetBytes(int64(len(buf)))
	})
}

func TestAppendIDs(t *testing.T) {
	ids := []int32{0, 1, 9, 10, 99, 100, 101, 999, 1000, 65535, 128255, 1 << 30, 2147483647, -1, -2147483648}
	want := make([]string, len(ids))
	for i, v := range ids {
		want[i] = strconv.Itoa(int(v))
	}
	if got := string(appendIDs([]byte("x"), ids)); got != "x"+strings.Join(want, ",") {
		t.Errorf("appendIDs = %s", got)
	}
	if got := appendIDs(nil, nil); len(got) != 0 {
		t.Errorf("no ids gave %q", got)
	}
}
