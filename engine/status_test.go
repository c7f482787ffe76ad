package engine

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// fullDisk fails every write, as a file on a full disk does.
type fullDisk struct{}

func (fullDisk) Write([]byte) (int, error) { return 0, errors.New("no space left on device") }

// A run that stops because its iteration log cannot be written ends every request it had not
// finished as failed: none is left looking completed with no end time.
func TestRunIterationLogErrorEndsEveryRequest(t *testing.T) {
	// About 400 steps of one JSON line each: more than the log's 64 KiB buffer, which fails
	// when it is flushed mid-run.
	reqs := makeReqs(8, func(int) int { return 4 }, func(int) int { return 100 })
	cfg := Config{MaxBatchSize: 2, MaxNumTokens: 16, MaxSeqLen: 128, Concurrency: -1, EOSID: -1}
	res, err := Run(context.Background(), newFake(t, cfg.MaxNumTokens, cfg.MaxBatchSize), reqs, cfg, Hooks{IterationLog: fullDisk{}}, nil)
	if err == nil || !strings.Contains(err.Error(), "write iteration log") {
		t.Fatalf("err = %v, want an iteration log error", err)
	}
	done, failed := 0, 0
	for _, r := range res.Records {
		switch r.Status {
		case StatusCompleted:
			done++
			if r.EndNS < r.StartNS || r.OutputTokens() != r.TargetOutputTokens {
				t.Errorf("completed request %d: start %d end %d, %d tokens", r.Index, r.StartNS, r.EndNS, r.OutputTokens())
			}
		case StatusFailed:
			failed++
			if !strings.Contains(r.Error, "no space left") {
				t.Errorf("failed request %d: error %q", r.Index, r.Error)
			}
		default:
			t.Errorf("request %d ended with status %q", r.Index, r.Status)
		}
	}
	if failed == 0 || done+failed != len(reqs) {
		t.Errorf("%d completed and %d failed of %d: want the unfinished failed", done, failed, len(reqs))
	}
}

// Records saved before Status existed are read from their Error and times.
func TestRecordStateOfOldRecords(t *testing.T) {
	for _, c := range []struct {
		r    Record
		want Status
	}{
		{Record{StartNS: 5, EndNS: 30, TokenNS: []int64{20, 30}}, StatusCompleted},
		{Record{StartNS: 5, TokenNS: []int64{20}}, StatusFailed}, // in flight: no end
		{Record{StartNS: 5}, StatusFailed},                       // never admitted
		{Record{StartNS: 5, Error: "canceled"}, StatusCanceled},
		{Record{StartNS: 5, EndNS: 30, TokenNS: []int64{30}, Error: "boom"}, StatusFailed},
		{Record{Status: StatusCanceled, Error: "stopped"}, StatusCanceled},
	} {
		if got := c.r.State(); got != c.want {
			t.Errorf("%+v: %s, want %s", c.r, got, c.want)
		}
	}
}
