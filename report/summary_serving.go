package report

import (
	"fmt"
	"strings"
)

// servingKeyWidth is the key column of the serving and goodput sections.
const servingKeyWidth = 44

// writeServingSection prints how the client kept its schedule, whether the server honoured
// the lengths, the server's own timings beside the client's, and each endpoint's figures.
func writeServingSection(b *strings.Builder, s *Serving) {
	summaryTitle(b, "SERVING DETAILS")
	summaryKV(b, servingKeyWidth, "API", "/v1/"+apiPath(s.API))
	summaryKV(b, servingKeyWidth, "Endpoints", orNA(strings.Join(s.Endpoints, ", ")))
	l := &s.Load
	if l.TargetRate > 0 {
		summaryKV(b, servingKeyWidth, "Target Request Rate (req/sec)", FormatSummary(l.TargetRate))
		summaryKV(b, servingKeyWidth, "Scheduled Request Rate (req/sec)", FormatSummary(l.ScheduledRate))
	} else {
		summaryKV(b, servingKeyWidth, "Target Request Rate (req/sec)", "none (as fast as --concurrency allows)")
	}
	summaryKV(b, servingKeyWidth, "Achieved Request Rate (req/sec)", FormatSummary(l.AchievedRate))
	if l.TargetRate > 0 {
		summaryKV(b, servingKeyWidth, "Send Lag P50 / P99 (ms)", FormatSummary(l.SendLagMS.P50)+" / "+FormatSummary(l.SendLagMS.P99))
		summaryKV(b, servingKeyWidth, "Concurrency Slot Wait P50 / P99 (ms)", FormatSummary(l.SlotWaitMS.P50)+" / "+FormatSummary(l.SlotWaitMS.P99))
		behind := "no"
		if l.Behind {
			behind = "YES: the server did not see the arrival process asked for"
		}
		summaryKV(b, servingKeyWidth, "Client Fell Behind Schedule", behind)
	}
	n := &s.Lengths
	summaryKV(b, servingKeyWidth, "Output Tokens Requested / Generated", fmt.Sprintf("%d / %d", n.Requested, n.Generated))
	honoured := fmt.Sprintf("%d of %d requests", n.Honoured, n.Honoured+n.Mismatched)
	if n.WithoutUsage > 0 {
		honoured += fmt.Sprintf(" (%d without a usage count: lengths counted from chunks)", n.WithoutUsage)
	}
	summaryKV(b, servingKeyWidth, "Requested Length Honoured", honoured)
	tpc := FormatSummary(s.Chunks.TokensPerChunk)
	if s.Chunks.TokensPerChunk > 1 {
		tpc += " (several tokens per chunk: ITL is per chunk)"
	}
	summaryKV(b, servingKeyWidth, "Tokens per Streamed Chunk", tpc)
	if st := s.ServerTimings; st != nil {
		fmt.Fprintf(b, "\n-- Server Timings beside the Client's, %d requests (ms) ----\n\n", st.Requests)
		fmt.Fprintf(b, "%-28s %12s %12s %12s\n", "", "average", "p50", "p99")
		for _, row := range []struct {
			name string
			d    Distribution
		}{
			{"server prompt", st.PromptMS},
			{"client TTFT", st.ClientTTFTMS},
			{"server generation", st.PredictedMS},
			{"server total", st.ServerMS},
			{"client end-to-end", st.ClientE2EMS},
			{"overhead (client - server)", st.OverheadMS},
		} {
			fmt.Fprintf(b, "%-28s %12s %12s %12s\n", row.name, FormatSummary(row.d.Average), FormatSummary(row.d.P50), FormatSummary(row.d.P99))
		}
		if st.CachedPromptTokens > 0 {
			fmt.Fprintf(b, "prompt tokens taken from the server's cache: %d\n", st.CachedPromptTokens)
		}
	}
	if len(s.PerEndpoint) > 0 {
		b.WriteString("\n-- Per Endpoint ------------------------------------------\n\n")
		fmt.Fprintf(b, "%-32s %5s %5s %12s %12s %12s %12s\n", "endpoint", "done", "fail", "output tok/s", "TTFT p50 ms", "TPOT p50 ms", "E2E p99 ms")
		for _, e := range s.PerEndpoint {
			fmt.Fprintf(b, "%-32s %5d %5d %12s %12s %12s %12s\n", e.Endpoint, e.Completed, e.Failed,
				FormatValue(e.OutputTokS), FormatValue(e.TTFTMS.P50), FormatValue(e.TPOTMS.P50), FormatValue(e.E2EMS.P99))
		}
	}
	if len(s.ServerMetrics) > 0 {
		last := s.ServerMetrics[len(s.ServerMetrics)-1]
		peakRun, peakWait, peakKV := -1.0, -1.0, -1.0 // -1: not reported
		for _, m := range s.ServerMetrics {
			peakRun, peakWait, peakKV = max(peakRun, m.Running), max(peakWait, m.Waiting), max(peakKV, m.KVUsage)
		}
		fmt.Fprintf(b, "\nserver metrics (%s, %d readings): peak %s running, %s waiting, KV cache %s\n",
			orNA(last.Source), len(s.ServerMetrics), metricValue(peakRun), metricValue(peakWait), metricPercent(peakKV))
	}
	b.WriteString(summaryBanner + "\n")
}

// metricValue prints a server metric that may be unknown (-1).
func metricValue(v float64) string {
	if v < 0 {
		return "N/A"
	}
	return FormatValue(v)
}

func metricPercent(v float64) string {
	if v < 0 {
		return "N/A"
	}
	return fmt.Sprintf("%.1f%%", 100*v)
}

func apiPath(api string) string {
	if api == "chat" {
		return "chat/completions"
	}
	return "completions"
}

// writeGoodputSection prints a run's goodput against its SLO.
func writeGoodputSection(b *strings.Builder, g *GoodputSection) {
	summaryTitle(b, "GOODPUT")
	summaryKV(b, servingKeyWidth, "SLO", g.SLO)
	summaryKV(b, servingKeyWidth, "Goodput (req/sec)", FormatSummary(g.RequestsPerSec))
	summaryKV(b, servingKeyWidth, "Requests Meeting the SLO", fmt.Sprintf("%d of %d (%.1f%%)", g.Met, g.Total, 100*g.Share))
	summaryKV(b, servingKeyWidth, "Meeting TTFT / TPOT / E2E", fmt.Sprintf("%.1f%% / %.1f%% / %.1f%%", 100*g.TTFTShare, 100*g.TPOTShare, 100*g.E2EShare))
	pass := "no"
	if g.Pass {
		pass = "yes"
	}
	summaryKV(b, servingKeyWidth, "Passes (share >= attainment)", pass)
	b.WriteString(summaryBanner + "\n")
}
