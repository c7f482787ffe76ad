package main

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/benchtui/benchtui/session"
	"github.com/benchtui/benchtui/tui"
)

// The dashboard's runs take the options file as the headless commands do: its batch size, and
// a KV cache sized from the fraction of free memory it gives, which the report records.
func TestDashboardRunsWithOptionsFile(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	os.WriteFile(cfg, []byte("max_batch_size: 2\nkv_cache_config:\n  free_gpu_memory_fraction: 0.5\n"), 0o644)
	c := defaultDashConfig()
	c.ExtraOptions = cfg
	_, bo, err := dashOptionsFile(&c, map[string]bool{}, func(string) bool { return false }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if bo, err = session.NormalizeBackend(bo); err != nil {
		t.Fatal(err)
	}
	r := &dashRunner{so: session.Options{Model: "tiny", Seed: 420, Backend: bo, TP: 1}, env: session.Env{InProcess: true}, cfg: c}
	defer r.close()
	if _, err := r.Load(t.Context(), nil); err != nil {
		t.Fatal(err)
	}
	x, err := r.Run(t.Context(), tui.Settings{Batch: c.MaxBatchSize, ISL: 16, OSL: 4, Requests: 4, Concurrency: -1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	w := x.Report.WorldInfo
	if w.MaxBatchSize != 2 || w.KVCachePercentage == nil || *w.KVCachePercentage != 0.5 {
		t.Errorf("world_info: batch %d, KV cache percentage %v; want 2 and 0.5", w.MaxBatchSize, w.KVCachePercentage)
	}
	if n := x.Report.RequestInfo.NumRequests; n != 4 {
		t.Errorf("%d requests, want 4", n)
	}
}
