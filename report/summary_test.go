package report

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func summaryText(t *testing.T, r *Report) string {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteSummary(&buf, r); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func TestWriteSummarySections(t *testing.T) {
	r := Build(sampleReportInput())
	out := summaryText(t, &r)

	// trtllm-bench's sections, in its order, each framed by banners.
	titles := []string{"BACKEND DETAILS", "MACHINE DETAILS", "REQUEST DETAILS",
		"WORLD + RUNTIME INFORMATION", "PERFORMANCE OVERVIEW", "DATASET DETAILS"}
	last := -1
	for _, title := range titles {
		framed := summaryBanner + "\n= " + title + "\n" + summaryBanner + "\n"
		i := strings.Index(out, framed)
		if i < 0 {
			t.Errorf("section %q missing or not framed by banners", title)
			continue
		}
		if i < last {
			t.Errorf("section %q out of order", title)
		}
		last = i
	}

	// Key lines, with trtllm-bench's wording, column and 4 decimals (values from
	// TestComputeMetricsAggregates).
	lines := []string{
		"Model:                  tinyllama",
		"llama.cpp Version:      b6000",
		"Model Preset:           tiny",
		"NVIDIA H100 80GB HBM3, memory 79.19 GB, 2.62 GHz",
		"Number of requests:             3",
		"Number of concurrent requests:  1.8250",
		"Average Input Length (tokens):  20.0000",
		"Average Output Length (tokens): 3.0000",
		"Number of failed requests:      1",
		"Number of canceled requests:    0",
		"TP Size:                2",
		"Max Runtime Batch Size: 64",
		"KV Memory Percentage:   90.00%",
		"Issue Rate (req/sec):   20.0000",
		"Request Throughput (req/sec):                     7.5000",
		"Total Output Throughput (tokens/sec):             22.5000",
		"Total Token Throughput (tokens/sec):              172.5000",
		"Total Latency (ms):                               400.0000",
		"Average request latency (ms):                     243.3333",
		"Per User Output Throughput [w/ ctx] (tps/user):   14.3704",
		"Per GPU Output Throughput (tps/gpu):              11.2500",
		"Average time-to-first-token [TTFT] (ms):          166.6667",
		"Average time-per-output-token [TPOT] (ms):        47.5000",
		"Per User Output Speed (tps/user):                 31.6667",
		"[TPOT] MINIMUM: 20.0000",
		"[TPOT] P50    : 75.0000",
		"[TTFT] P90    : 300.0000",
		"[GTPS] MAXIMUM: 50.0000",
		"[Latency] P50    : 250.0000",
		"[ITL] P90    : 100.0000",
		"[QUEUE] AVERAGE: 10.0000",
		"Dataset Path:         /data/set.jsonl",
		"Number of Sequences:  4",
		"MIN:    10.0000             1.0000            15.0000",
		"P99:    30.0000             5.0000            31.0000",
	}
	for _, l := range lines {
		if !strings.Contains(out, l+"\n") {
			t.Errorf("summary lacks line %q", l)
		}
	}

	// The breakdowns come in trtllm-bench's order, benchtui's after them, each with its seven
	// statistics in the order MINIMUM MAXIMUM AVERAGE P50 P90 P95 P99.
	last = -1
	for _, tag := range []string{"[TPOT]", "[TTFT]", "[GTPS]", "[Latency]", "[ITL]", "[QUEUE]"} {
		i := strings.Index(out, tag+" MINIMUM")
		if i < last {
			t.Errorf("breakdown %s missing or out of order", tag)
		}
		last = i
		prev := i
		for _, k := range []string{"MAXIMUM", "AVERAGE", "P50", "P90", "P95", "P99"} {
			j := strings.Index(out[prev:], tag+" "+k)
			if j < 0 {
				t.Errorf("%s lacks %s after the previous statistic", tag, k)
				break
			}
			prev += j
		}
	}
	if i, j := strings.Index(out, "[QUEUE] P99"), strings.Index(out, "DATASET DETAILS"); i > j {
		t.Errorf("breakdowns run into the dataset section")
	}
	if !strings.HasSuffix(out, summaryBanner+"\n") {
		t.Errorf("summary does not end with a banner")
	}
}

func TestWriteSummaryMissingParts(t *testing.T) {
	in := sampleReportInput()
	in.Machine = nil
	in.Dataset = nil
	in.World.KVCachePercentage = nil
	r := Build(in)
	out := summaryText(t, &r)
	for _, l := range []string{"No GPU info available", "No dataset statistics available",
		"KV Memory Percentage:   N/A"} {
		if !strings.Contains(out, l+"\n") {
			t.Errorf("summary lacks %q", l)
		}
	}

	// An empty run still prints every section, with zeros.
	empty := Build(Input{})
	out = summaryText(t, &empty)
	if !strings.Contains(out, "Request Throughput (req/sec):                     0.0000\n") {
		t.Errorf("empty run summary:\n%s", out)
	}
	if strings.Contains(out, "NaN") || strings.Contains(out, "Inf") {
		t.Errorf("empty run summary has NaN or Inf:\n%s", out)
	}

	if err := WriteSummary(&bytes.Buffer{}, nil); err != nil {
		t.Errorf("nil report: %v", err)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("closed") }

func TestWriteSummaryWriteError(t *testing.T) {
	r := Build(sampleReportInput())
	if err := WriteSummary(failingWriter{}, &r); err == nil {
		t.Error("write error was not returned")
	}
}

func TestFormatDatasetNumber(t *testing.T) {
	// As in trtllm-bench: at least nine characters, scientific notation from 100000 on.
	for v, want := range map[float64]string{
		1:      "   1.0000",
		1234.5: "1234.5000",
		99999:  "99999.0000",
		131072: " 1.31e+05",
	} {
		if got := formatDatasetNumber(v); got != want {
			t.Errorf("formatDatasetNumber(%v) = %q, want %q", v, got, want)
		}
	}
}
