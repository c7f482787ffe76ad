package html

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestLargeReportOpensFast builds the page of a 100,000-request run and opens it in
// Chromium: it must be ready, every chart drawn, in under 2 s, because drawing is
// aggregated (time buckets, histogram bins, bands of requests) while tooltips and tables
// keep the exact values.
func TestLargeReportOpensFast(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 100,000-request run")
	}
	const n = 100_000
	x := syntheticExport(n, 8)
	start := time.Now()
	page, err := Build([]*Source{FromExport("synthetic-100k.json", x)}, Options{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := page.WriteHTML(&buf); err != nil {
		t.Fatal(err)
	}
	built := time.Since(start)
	path := filepath.Join(t.TempDir(), "large.html")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d requests: page of %d KiB built in %v", n, buf.Len()>>10, built)
	if buf.Len() > 3<<20 {
		t.Errorf("the page is %d KiB: drawing is meant to be aggregated", buf.Len()>>10)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	b := startBrowser(t)
	tb, err := b.newTab(ctx, "light")
	if err != nil {
		t.Fatal(err)
	}
	// The first page a fresh browser opens pays for starting its renderer; open a small one
	// first so that the measurement is of this page.
	small := filepath.Join(t.TempDir(), "small.html")
	os.WriteFile(small, []byte("<!DOCTYPE html><title>warm</title><script>document.documentElement.setAttribute('data-ready','1');window.benchtuiReport={}</script>"), 0o644)
	if _, _, err := tb.open(ctx, small); err != nil {
		t.Fatal(err)
	}
	st, took, err := tb.open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("opened in %v (page: script done at %.0f ms, first frame at %.0f ms from navigation): %d charts, %d drawn",
		took, st.ReadyMS, st.PaintedMS, st.Charts, st.Drawn)
	if errs := b.errors(); len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}
	if st.Charts < 12 || st.Drawn != st.Charts {
		t.Errorf("%d of %d charts drawn (empty: %v)", st.Drawn, st.Charts, st.Empty)
	}
	if took > 2*time.Second || st.PaintedMS > 2000 {
		t.Errorf("a 100,000-request report took %v to open (first frame at %.0f ms): want under 2 s", took, st.PaintedMS)
	}
	if dir := os.Getenv("BENCHTUI_SHOTS"); dir != "" {
		if err := tb.screenshot(ctx, filepath.Join(dir, "large-100k-light.png")); err != nil {
			t.Error(err)
		}
	}
}
