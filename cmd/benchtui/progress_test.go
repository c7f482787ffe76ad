package main

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/benchtui/benchtui/engine"
)

func TestProgressLine(t *testing.T) {
	s := engine.Snapshot{ElapsedNS: int64(12 * time.Second), Completed: 16, Total: 64, Running: 8, Queued: 40, KVUsage: 0.5}
	got := progressLine(s, 1523.44)
	want := "  12.0s 16/64 done (25%), ETA 36s, 1523.4 output tok/s over the last 10s, 8 running, 40 queued, KV 50%"
	if got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	s.Completed, s.Failed = 0, 2
	if got := progressLine(s, 0); !strings.Contains(got, "0/64 done (0%), ETA -,") || !strings.HasSuffix(got, ", 2 failed") {
		t.Errorf("nothing done yet: %q", got)
	}
}

// A headless run prints progress lines with the share done, the time left and the recent
// output rate.
func TestProgressLines(t *testing.T) {
	defer func(d time.Duration) { progressEvery = d }(progressEvery)
	progressEvery = 20 * time.Millisecond
	code, _, errs := runCLI(t, "throughput", "--model", "tiny", "--num_requests", "48", "--isl", "32", "--osl", "24",
		"--max_batch_size", "4", "--warmup", "0")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	line := regexp.MustCompile(`(?m)^benchtui: +[0-9.]+s [0-9]+/48 done \([0-9]+%\), ETA ([0-9a-z.]+|-), [0-9.]+ output tok/s over the last 10s, [0-9]+ running, [0-9]+ queued, KV [0-9]+%$`)
	if !line.MatchString(errs) {
		t.Errorf("no progress line in:\n%s", errs)
	}
}
