package openai

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/benchtui/benchtui/engine"
)

// The metric names servers use for the three figures the engine panel shows, checked against
// their sources: vLLM (vllm/v1/metrics/loggers.py: kv_cache_usage_perc since v0.10,
// gpu_cache_usage_perc before), SGLang (sglang/srt/metrics/collector.py), llama.cpp's
// llama-server with --metrics (tools/server/server-task.cpp at v0.5.0: no KV figure; older
// builds had kv_cache_usage_ratio), TGI (router/src/infer), trtllm-serve's Prometheus
// endpoint (kv_cache_utilization only). Several series of one name (labels per model or
// engine) are summed, except ratios, which are averaged.
var (
	runningNames = map[string]bool{
		"vllm:num_requests_running":    true,
		"sglang:num_running_reqs":      true,
		"llamacpp:requests_processing": true,
		"tgi_batch_current_size":       true,
	}
	waitingNames = map[string]bool{
		"vllm:num_requests_waiting":  true,
		"sglang:num_queue_reqs":      true,
		"llamacpp:requests_deferred": true,
		"tgi_queue_size":             true,
	}
	// kvNames are in order of preference: a vLLM that exports both has the newer one right.
	kvNames = []string{
		"vllm:kv_cache_usage_perc",
		"vllm:gpu_cache_usage_perc",
		"sglang:token_usage",
		"llamacpp:kv_cache_usage_ratio",
		"trtllm_kv_cache_utilization",
	}
)

// metricsState remembers which endpoints have no metrics, so that they are asked once.
type metricsState struct {
	mu  sync.Mutex
	off map[int]string // endpoint index -> why it has none
}

// ServerMetrics implements engine.ServerMetricsSource: it reads every endpoint's /metrics
// (Prometheus text, or trtllm-serve's JSON iteration statistics) and sums the requests
// running and waiting, averaging the KV cache use. Endpoints without metrics (404, or
// llama-server started without --metrics) are skipped from then on; when none has any, the
// error wraps engine.ErrNoServerMetrics.
func (b *Backend) ServerMetrics(ctx context.Context) (engine.ServerMetrics, error) {
	out := engine.ServerMetrics{Running: -1, Waiting: -1, KVUsage: -1}
	var kvSum float64
	var kvN int
	var firstErr error
	answered := 0
	for i := range b.eps {
		b.metrics.mu.Lock()
		_, off := b.metrics.off[i]
		b.metrics.mu.Unlock()
		if off {
			continue
		}
		r, err := b.scrape(ctx, &b.eps[i])
		if err != nil {
			if nm, ok := err.(noMetricsError); ok {
				b.metrics.mu.Lock()
				if b.metrics.off == nil {
					b.metrics.off = map[int]string{}
				}
				b.metrics.off[i] = string(nm)
				b.metrics.mu.Unlock()
				continue
			}
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		answered++
		if r.Running >= 0 {
			out.Running = max(out.Running, 0) + r.Running
		}
		if r.Waiting >= 0 {
			out.Waiting = max(out.Waiting, 0) + r.Waiting
		}
		if r.KVUsage >= 0 {
			kvSum += r.KVUsage
			kvN++
		}
		if out.Source == "" {
			out.Source = r.Source
		}
	}
	if kvN > 0 {
		out.KVUsage = kvSum / float64(kvN)
	}
	if answered == 0 {
		b.metrics.mu.Lock()
		allOff := len(b.metrics.off) == len(b.eps)
		b.metrics.mu.Unlock()
		if allOff {
			return out, fmt.Errorf("%s/metrics: %w", b.eps[0].root, engine.ErrNoServerMetrics)
		}
		return out, firstErr
	}
	return out, nil
}

type noMetricsError string

func (e noMetricsError) Error() string { return string(e) }

// scrape reads one endpoint's metrics (2 s at most).
func (b *Backend) scrape(ctx context.Context, ep *endpoint) (engine.ServerMetrics, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	u := ep.root + "/metrics"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return engine.ServerMetrics{}, err
	}
	if b.auth != "" {
		req.Header.Set("Authorization", b.auth)
	}
	resp, err := b.client.Do(req)
	if err != nil {
		return engine.ServerMetrics{}, requestError("GET", u, err, 0)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return engine.ServerMetrics{}, fmt.Errorf("GET %s: %w", u, err)
	}
	switch {
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusNotImplemented ||
		resp.StatusCode == http.StatusMethodNotAllowed:
		return engine.ServerMetrics{}, noMetricsError(resp.Status)
	case resp.StatusCode != http.StatusOK:
		return engine.ServerMetrics{}, statusError("GET", u, resp, body)
	}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		return parseTRTLLMStats(body)
	}
	m := ParsePrometheus(body)
	if m.Source == "" {
		return m, noMetricsError("no metric benchtui knows")
	}
	return m, nil
}

// ParsePrometheus reads the running, waiting and KV-use gauges from a Prometheus text
// exposition; a figure the text lacks is -1, and Source is "" when it has none of them.
func ParsePrometheus(text []byte) engine.ServerMetrics {
	out := engine.ServerMetrics{Running: -1, Waiting: -1, KVUsage: -1}
	kv := make([]struct {
		sum float64
		n   int
	}, len(kvNames))
	for len(text) > 0 {
		var line []byte
		if i := bytes.IndexByte(text, '\n'); i >= 0 {
			line, text = text[:i], text[i+1:]
		} else {
			line, text = text, nil
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		name, value, ok := promSample(line)
		if !ok {
			continue
		}
		switch n := string(name); {
		case runningNames[n]:
			out.Running = max(out.Running, 0) + value
			out.Source = sourceOf(n)
		case waitingNames[n]:
			out.Waiting = max(out.Waiting, 0) + value
			out.Source = sourceOf(n)
		default:
			for i, k := range kvNames {
				if n == k {
					kv[i].sum += value
					kv[i].n++
					out.Source = sourceOf(n)
				}
			}
		}
	}
	for i := range kv {
		if kv[i].n > 0 {
			out.KVUsage = kv[i].sum / float64(kv[i].n)
			break
		}
	}
	return out
}

// promSample splits a sample line into its metric name and value, skipping the labels
// (whose quoted values may hold any character) and an optional timestamp.
func promSample(line []byte) (name []byte, value float64, ok bool) {
	i := 0
	for i < len(line) && line[i] != '{' && line[i] != ' ' && line[i] != '\t' {
		i++
	}
	name = line[:i]
	if i < len(line) && line[i] == '{' {
		inQuote := false
		for i++; i < len(line); i++ {
			c := line[i]
			if inQuote {
				if c == '\\' {
					i++
				} else if c == '"' {
					inQuote = false
				}
				continue
			}
			if c == '"' {
				inQuote = true
			} else if c == '}' {
				i++
				break
			}
		}
	}
	rest := bytes.Fields(line[min(i, len(line)):])
	if len(name) == 0 || len(rest) == 0 {
		return nil, 0, false
	}
	v, err := strconv.ParseFloat(string(rest[0]), 64)
	if err != nil {
		return nil, 0, false
	}
	return name, v, true
}

func sourceOf(name string) string {
	if i := strings.IndexAny(name, ":_"); i > 0 {
		return name[:i]
	}
	return name
}

// parseTRTLLMStats reads trtllm-serve's /metrics, a JSON array of iteration statistics (the
// ones since the last read), from its newest element.
func parseTRTLLMStats(body []byte) (engine.ServerMetrics, error) {
	out := engine.ServerMetrics{Running: -1, Waiting: -1, KVUsage: -1, Source: "trtllm"}
	var stats []struct {
		NumActive *float64 `json:"numActiveRequests"`
		NumQueued *float64 `json:"numQueuedRequests"`
		KV        *struct {
			Used float64 `json:"usedNumBlocks"`
			Max  float64 `json:"maxNumBlocks"`
		} `json:"kvCacheStats"`
	}
	if err := json.Unmarshal(body, &stats); err != nil {
		return out, noMetricsError("a JSON /metrics that is not trtllm-serve's iteration statistics")
	}
	if len(stats) == 0 {
		return out, fmt.Errorf("trtllm-serve sent no iteration statistics since the last read")
	}
	s := stats[len(stats)-1]
	if s.NumActive != nil {
		out.Running = *s.NumActive
	}
	if s.NumQueued != nil {
		out.Waiting = *s.NumQueued
	}
	if s.KV != nil && s.KV.Max > 0 {
		out.KVUsage = s.KV.Used / s.KV.Max
	}
	return out, nil
}
