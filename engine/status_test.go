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

// A run whose iteration log cannot be written goes on to its end (the log stops, not the
// run): every request ends completed, with its end time and all its tokens, and the run's
// error names the log.
func TestRunIterationLogErrorEndsEveryRequest(t *testing.T) {
	reqs := makeReqs(8, func(int) int { return 4 }, func(int) int { return 100 })
	cfg := Config{MaxBatchSize: 2, MaxNumTokens: 16, MaxSeqLen: 128, Concurrency: -1, EOSID: -1}
	res, err := Run(context.Background(), newFake(t, cfg.MaxNumTokens, cfg.MaxBatchSize), reqs, cfg, Hooks{IterationLog: fullDisk{}}, nil)
	if err == nil || !strings.Contains(err.Error(), "iteration log: write line 1") || !strings.Contains(err.Error(), "no space left") {
		t.Fatalf("err = %v, want the iteration log's failed write", err)
	}
	for _, r := range res.Records {
		if r.Status != StatusCompleted || r.EndNS < r.StartNS || r.OutputTokens() != r.TargetOutputTokens {
			t.Errorf("request %d: status %q, start %d end %d, %d tokens", r.Index, r.Status, r.StartNS, r.EndNS, r.OutputTokens())
		}
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
