package html

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// shotsDir is where screenshots go: $BENCHTUI_SHOTS when set (to look at them), else a
// temporary folder.
func shotsDir(t *testing.T) string {
	if dir := os.Getenv("BENCHTUI_SHOTS"); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	return t.TempDir()
}

// TestReportsInBrowser opens each kind of page in headless Chromium, in light and dark,
// and checks that it logs no error, that every chart drew, and takes screenshots at
// 1280x800: the top of the page and the sections named here.
func TestReportsInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a browser")
	}
	views := map[string][]string{
		"run":     {"latency", "timeline", "engine"},
		"sweep":   {"pareto"},
		"compare": {"compare-throughput"},
		"report":  {},
		"trtllm":  {},
	}
	dir := t.TempDir()
	shots := shotsDir(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	b := startBrowser(t)
	for _, name := range []string{"run", "sweep", "compare", "report", "trtllm"} {
		path := filepath.Join(dir, name+".html")
		if err := os.WriteFile(path, buildPage(t, name), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, scheme := range []string{"light", "dark"} {
			tb, err := b.newTab(ctx, scheme)
			if err != nil {
				t.Fatal(err)
			}
			before := len(b.errors())
			st, took, err := tb.open(ctx, path)
			if err != nil {
				t.Fatalf("%s (%s): %v", name, scheme, err)
			}
			if errs := b.errors()[before:]; len(errs) > 0 {
				t.Errorf("%s (%s): console errors: %v", name, scheme, errs)
			}
			if st.Drawn != st.Charts || len(st.Empty) > 0 {
				t.Errorf("%s (%s): %d of %d charts drawn, empty: %v", name, scheme, st.Drawn, st.Charts, st.Empty)
			}
			if name != "trtllm" && st.Charts == 0 {
				t.Errorf("%s: no charts", name)
			}
			t.Logf("%s (%s): %d charts drawn, ready in %v", name, scheme, st.Charts, took)
			var bg string
			if err := tb.eval(ctx, `getComputedStyle(document.documentElement).backgroundColor`, &bg); err != nil {
				t.Fatal(err)
			}
			if dark := bg == "rgb(13, 17, 23)"; dark != (scheme == "dark") {
				t.Errorf("%s: the page's background is %s under prefers-color-scheme %s", name, bg, scheme)
			}
			if err := tb.screenshot(ctx, filepath.Join(shots, fmt.Sprintf("%s-%s.png", name, scheme))); err != nil {
				t.Fatal(err)
			}
			for _, id := range views[name] {
				if err := tb.eval(ctx, fmt.Sprintf(`document.getElementById(%q).scrollIntoView({block: "start"}); window.scrollBy(0, -40)`, id), nil); err != nil {
					t.Fatalf("%s: scroll to %s: %v", name, id, err)
				}
				if err := tb.screenshot(ctx, filepath.Join(shots, fmt.Sprintf("%s-%s-%s.png", name, scheme, id))); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
}

// TestPageInteractions drives a run's page with real input events: hovering a line chart
// shows its values, a legend click hides its series, the theme button overrides the
// system's preference.
func TestPageInteractions(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a browser")
	}
	path := filepath.Join(t.TempDir(), "run.html")
	if err := os.WriteFile(path, buildPage(t, "run"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	b := startBrowser(t)
	tb, err := b.newTab(ctx, "light")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := tb.open(ctx, path); err != nil {
		t.Fatal(err)
	}
	// center scrolls an element into view and returns its centre in the viewport.
	center := func(selector string) (x, y float64) {
		t.Helper()
		var p struct{ X, Y float64 }
		expr := fmt.Sprintf(`(function () { var e = document.querySelector(%q); e.scrollIntoView({block: "center"});
			var r = e.getBoundingClientRect(); return {X: r.left + r.width / 2, Y: r.top + r.height / 2}; })()`, selector)
		if err := tb.eval(ctx, expr, &p); err != nil {
			t.Fatalf("%s: %v", selector, err)
		}
		return p.X, p.Y
	}
	mouse := func(kind string, x, y float64) {
		t.Helper()
		params := map[string]any{"type": kind, "x": x, "y": y, "button": "none"}
		if kind != "mouseMoved" {
			params["button"], params["clickCount"] = "left", 1
		}
		if err := b.call(ctx, tb.session, "Input.dispatchMouseEvent", params, nil); err != nil {
			t.Fatal(err)
		}
	}
	str := func(expr string) string {
		t.Helper()
		var s string
		if err := tb.eval(ctx, expr, &s); err != nil {
			t.Fatal(err)
		}
		return s
	}

	x, y := center("#svg-throughput .hover")
	mouse("mouseMoved", x, y)
	if tip := str(`document.getElementById("tip").hidden ? "" : document.getElementById("tip").textContent`); !strings.Contains(tip, "output: ") || !strings.Contains(tip, "tok/s") {
		t.Errorf("hovering the throughput chart shows %q", tip)
	}
	x, y = center(`#svg-hist-ttft rect.bar`)
	mouse("mouseMoved", x, y)
	if tip := str(`document.getElementById("tip").textContent`); !strings.Contains(tip, "requests (") {
		t.Errorf("hovering a histogram bar shows %q", tip)
	}

	x, y = center(`#svg-throughput .lg[data-series="0"]`)
	mouse("mousePressed", x, y)
	mouse("mouseReleased", x, y)
	if cls := str(`document.querySelector('#svg-throughput g[data-series="0"]:not(.lg)').getAttribute("class")`); !strings.Contains(cls, "hide") {
		t.Errorf("after a click on its legend entry the output series has class %q", cls)
	}

	x, y = center("#theme")
	for _, want := range []string{"light", "dark", ""} {
		mouse("mousePressed", x, y)
		mouse("mouseReleased", x, y)
		if got := str(`document.documentElement.getAttribute("data-theme") || ""`); got != want {
			t.Errorf("theme button: data-theme %q, want %q", got, want)
		}
	}
	if errs := b.errors(); len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}
}
