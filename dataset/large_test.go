package dataset

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
	"unsafe"
)

// writeLargeDataset writes n requests of 128 tokens from a 128k vocabulary, the shape of a
// typical trtllm-bench synthetic set, and returns the file's path.
func writeLargeDataset(tb testing.TB, n int) string {
	tb.Helper()
	reqs, _, err := GenerateNormal(NormalOptions{
		GenerateOptions: GenerateOptions{NumRequests: n, VocabSize: 128000, EOS: -1, Seed: 420},
		InputMean:       128, OutputMean: 128,
	})
	if err != nil {
		tb.Fatal(err)
	}
	path := filepath.Join(tb.TempDir(), "large.jsonl")
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	if err := WriteJSONL(f, reqs); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	return path
}

// TestReadLargeFileStreams reads 100k lines and checks that it is fast and that what it
// allocates is the requests, not the file's text.
func TestReadLargeFileStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 90 MB file")
	}
	const n = 100000
	path := writeLargeDataset(t, n)
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}

	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	res, err := ReadFile(path, ReadOptions{})
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Requests) != n || len(res.Requests[n-1].InputIDs) != 128 || res.Requests[n-1].Line != n {
		t.Fatalf("read %d requests", len(res.Requests))
	}

	alloc := after.TotalAlloc - before.TotalAlloc
	tokens := uint64(n * 128 * 4)
	// Requests are collected in chunks, then joined: twice their final size.
	requests := uint64(2 * cap(res.Requests) * int(unsafe.Sizeof(Request{})))
	overhead := alloc - min(alloc, tokens+requests)
	t.Logf("%d lines, %.1f MB file, read in %v; allocated %.1f MB (tokens %.1f MB, requests %.1f MB, other %.1f MB)",
		n, float64(st.Size())/1e6, elapsed, float64(alloc)/1e6, float64(tokens)/1e6, float64(requests)/1e6, float64(overhead)/1e6)
	if overhead > 8<<20 {
		t.Errorf("reading allocated %.1f MB beyond the requests themselves: the file's text is being kept", float64(overhead)/1e6)
	}
	// Well under a second on any recent machine; the bound is loose for slow CI and -race.
	if limit := 5 * time.Second; elapsed > limit {
		t.Errorf("reading took %v", elapsed)
	}
}

func BenchmarkReadJSONL(b *testing.B) {
	path := writeLargeDataset(b, 100000)
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Read(bytes.NewReader(data), ReadOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadDocument(b *testing.B) {
	reqs, meta, err := GenerateNormal(NormalOptions{
		GenerateOptions: GenerateOptions{NumRequests: 10000, VocabSize: 128000, EOS: -1, Seed: 420},
		InputMean:       128, OutputMean: 128,
	})
	if err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteDocument(&buf, meta, reqs); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Read(bytes.NewReader(data), ReadOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWriteJSONL(b *testing.B) {
	reqs, _, err := GenerateNormal(NormalOptions{
		GenerateOptions: GenerateOptions{NumRequests: 10000, VocabSize: 128000, EOS: -1, Seed: 420},
		InputMean:       128, OutputMean: 128,
	})
	if err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := WriteJSONL(&buf, reqs); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(buf.Len()))
}
