package session

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/benchtui/benchtui/engine"
	"github.com/benchtui/benchtui/report"
)

// A run that the backend fails at step k is reported as what it was: the requests that
// finished are completed, the others failed (also those that never started), and no latency
// in the report or the request file is negative. In process the step returns an error; in
// the backend process it returns one, or the process aborts.
func TestReportAfterEngineFault(t *testing.T) {
	for _, c := range []struct {
		name      string
		inProcess bool
		fault     string
	}{
		{"in process, error", true, "error@12"},
		{"backend process, error", false, "error@12"},
		{"backend process, abort", false, "abort@12"},
	} {
		t.Run(c.name, func(t *testing.T) {
			o, env := tinyOptions(t, c.inProcess)
			if !c.inProcess {
				t.Setenv(FaultEnv, c.fault)
			}
			s, err := Open(context.Background(), o, env, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if c.inProcess {
				s.(*local).fault = faultFromString(c.fault)
			}
			// Batch 2, 8-token outputs: the first requests finish at step 8, so step 12
			// fails with some completed, two in flight and most never started.
			sp := spec(2, 12, 16, 8)
			sp.Engine.SnapshotEvery = time.Millisecond
			r, err := s.Run(context.Background(), sp, nil)
			if err != nil {
				t.Fatal(err)
			}
			if r.Err == nil {
				t.Fatal("the run did not fail")
			}
			checkReportCounts(t, s.Report(r, ReportExtra{}), r.Result.Records, 12)
		})
	}
}

func checkReportCounts(t *testing.T, rep report.Report, recs []engine.Record, n int) {
	t.Helper()
	completed, failed, unstarted := 0, 0, 0
	for _, rec := range recs {
		switch rec.Status {
		case engine.StatusCompleted:
			completed++
		case engine.StatusFailed:
			failed++
			if rec.OutputTokens() == 0 {
				unstarted++
			}
		default:
			t.Errorf("request %d ended with status %q", rec.Index, rec.Status)
		}
	}
	if len(recs) != n || completed == 0 || unstarted == 0 {
		t.Errorf("%d records, %d completed, %d failed (%d without a token): want %d with some of each", len(recs), completed, failed, unstarted, n)
	}
	b := rep.BenchTUI
	if b.NumCompleted != completed || b.NumFailed != failed || b.NumCanceled != 0 || rep.RequestInfo.NumRequests != completed {
		t.Errorf("report counts %d completed, %d failed, %d canceled; records %d and %d", b.NumCompleted, b.NumFailed, b.NumCanceled, completed, failed)
	}
	for name, p := range map[string]report.Percentiles{"latency": rep.Performance.RequestLatencyPercentilesMS,
		"ttft": rep.StreamingMetrics.TTFTPercentiles, "tpot": rep.StreamingMetrics.TPOTPercentiles,
		"itl": b.ITLPercentilesMS, "queue": b.QueueTimePercentilesMS} {
		if p.Minimum < 0 || p.Average < 0 {
			t.Errorf("%s: negative %+v", name, p)
		}
	}
	if b.SampleCounts.RequestLatency != completed {
		t.Errorf("%d latencies for %d completed requests", b.SampleCounts.RequestLatency, completed)
	}
	var buf bytes.Buffer
	if err := report.WriteRequestJSON(&buf, recs); err != nil {
		t.Fatal(err)
	}
	var entries []map[string]any
	if err := json.Unmarshal(buf.Bytes(), &entries); err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		for k, v := range e {
			if f, ok := v.(float64); ok && f < 0 && (strings.Contains(k, "latency") || strings.Contains(k, "time")) {
				t.Errorf("request %v: %s = %v", e["id"], k, f)
			}
		}
	}
}
