package html

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// browser drives a headless Chromium through the DevTools protocol on a pipe
// (--remote-debugging-pipe: JSON messages separated by NUL bytes on file descriptors 3 and
// 4), which needs no port, no websocket and no polling for a DevTools address.
type browser struct {
	t    *testing.T
	cmd  *exec.Cmd
	in   io.WriteCloser
	done chan struct{}

	mu      sync.Mutex
	next    int
	pending map[int]chan cdpMessage
	logs    []string // console errors, exceptions and error log entries
}

type cdpMessage struct {
	ID        int             `json:"id,omitempty"`
	Method    string          `json:"method,omitempty"`
	Params    json.RawMessage `json:"params,omitempty"`
	Result    json.RawMessage `json:"result,omitempty"`
	SessionID string          `json:"sessionId,omitempty"`
	Error     *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error,omitempty"`
}

// chromiumFlags keep a headless Chromium off the network: on a machine without one, its
// background connections (updates, sync, QUIC probes) otherwise make it hang.
var chromiumFlags = []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
	"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-extensions",
	"--disable-default-apps", "--mute-audio", "--hide-scrollbars", "--remote-debugging-pipe"}

func startBrowser(t *testing.T) *browser {
	t.Helper()
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("chromium is not installed: scripts/test.sh installs it (scripts/apt-install.sh chromium)")
	}
	profile := t.TempDir()
	toChrome, chromeIn, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	chromeOut, fromChrome, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, append(chromiumFlags, "--user-data-dir="+profile, "about:blank")...)
	cmd.ExtraFiles = []*os.File{toChrome, fromChrome} // fds 3 and 4
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	toChrome.Close()
	fromChrome.Close()
	b := &browser{t: t, cmd: cmd, in: chromeIn, done: make(chan struct{}), pending: map[int]chan cdpMessage{}}
	go b.read(chromeOut)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = b.call(ctx, "", "Browser.close", nil, nil)
		cancel()
		chromeIn.Close()
		select {
		case <-b.done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
		}
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("chromium stderr (tail): %s", tail(stderr.String(), 2000))
		}
	})
	return b
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

func (b *browser) read(r io.Reader) {
	defer close(b.done)
	br := bufio.NewReaderSize(r, 1<<20)
	for {
		raw, err := br.ReadBytes(0)
		if err != nil {
			return
		}
		var m cdpMessage
		if json.Unmarshal(raw[:len(raw)-1], &m) != nil {
			continue
		}
		b.mu.Lock()
		if m.ID != 0 {
			if ch, ok := b.pending[m.ID]; ok {
				delete(b.pending, m.ID)
				ch <- m
			}
		} else {
			b.event(m)
		}
		b.mu.Unlock()
	}
}

// event records what counts as a console error: console.error and assert calls, uncaught
// exceptions, and error entries of the browser's log (failed loads among them).
func (b *browser) event(m cdpMessage) {
	switch m.Method {
	case "Runtime.consoleAPICalled":
		var p struct {
			Type string `json:"type"`
			Args []struct {
				Value       any    `json:"value"`
				Description string `json:"description"`
			} `json:"args"`
		}
		if json.Unmarshal(m.Params, &p) == nil && (p.Type == "error" || p.Type == "assert") {
			var parts []string
			for _, a := range p.Args {
				parts = append(parts, fmt.Sprint(a.Value, a.Description))
			}
			b.logs = append(b.logs, "console."+p.Type+": "+strings.Join(parts, " "))
		}
	case "Runtime.exceptionThrown":
		var p struct {
			Details struct {
				Text      string `json:"text"`
				Exception struct {
					Description string `json:"description"`
				} `json:"exception"`
			} `json:"exceptionDetails"`
		}
		_ = json.Unmarshal(m.Params, &p)
		b.logs = append(b.logs, "exception: "+p.Details.Text+" "+p.Details.Exception.Description)
	case "Log.entryAdded":
		var p struct {
			Entry struct {
				Level string `json:"level"`
				Text  string `json:"text"`
				URL   string `json:"url"`
			} `json:"entry"`
		}
		if json.Unmarshal(m.Params, &p) == nil && p.Entry.Level == "error" {
			b.logs = append(b.logs, "log: "+p.Entry.Text+" "+p.Entry.URL)
		}
	}
}

// call sends one command (to a page when session is set) and decodes its result.
func (b *browser) call(ctx context.Context, session, method string, params, result any) error {
	b.mu.Lock()
	b.next++
	id := b.next
	ch := make(chan cdpMessage, 1)
	b.pending[id] = ch
	b.mu.Unlock()
	var raw json.RawMessage
	if params != nil {
		var err error
		if raw, err = json.Marshal(params); err != nil {
			return err
		}
	}
	msg, err := json.Marshal(cdpMessage{ID: id, Method: method, Params: raw, SessionID: session})
	if err != nil {
		return err
	}
	if _, err := b.in.Write(append(msg, 0)); err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	select {
	case m := <-ch:
		if m.Error != nil {
			return fmt.Errorf("%s: %s", method, m.Error.Message)
		}
		if result != nil {
			return json.Unmarshal(m.Result, result)
		}
		return nil
	case <-b.done:
		return fmt.Errorf("%s: chromium exited", method)
	case <-ctx.Done():
		return fmt.Errorf("%s: %w", method, ctx.Err())
	}
}

func (b *browser) errors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.logs...)
}

// tab is one page of the browser, at 1280x800.
type tab struct {
	b       *browser
	session string
}

func (b *browser) newTab(ctx context.Context, scheme string) (*tab, error) {
	var created struct {
		TargetID string `json:"targetId"`
	}
	if err := b.call(ctx, "", "Target.createTarget", map[string]any{"url": "about:blank"}, &created); err != nil {
		return nil, err
	}
	var attached struct {
		SessionID string `json:"sessionId"`
	}
	if err := b.call(ctx, "", "Target.attachToTarget", map[string]any{"targetId": created.TargetID, "flatten": true}, &attached); err != nil {
		return nil, err
	}
	t := &tab{b: b, session: attached.SessionID}
	for _, c := range []struct {
		method string
		params any
	}{
		{"Runtime.enable", nil}, {"Log.enable", nil}, {"Page.enable", nil},
		{"Emulation.setDeviceMetricsOverride", map[string]any{"width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": false}},
		{"Emulation.setEmulatedMedia", map[string]any{"features": []map[string]string{{"name": "prefers-color-scheme", "value": scheme}}}},
	} {
		if err := b.call(ctx, t.session, c.method, c.params, nil); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// eval evaluates a JavaScript expression (awaiting a promise) and decodes its value.
func (t *tab) eval(ctx context.Context, expr string, out any) error {
	var res struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		Exception *struct {
			Text string `json:"text"`
		} `json:"exceptionDetails"`
	}
	if err := t.b.call(ctx, t.session, "Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true, "awaitPromise": true}, &res); err != nil {
		return err
	}
	if res.Exception != nil {
		return errors.New("evaluate " + expr + ": " + res.Exception.Text)
	}
	if out != nil {
		return json.Unmarshal(res.Result.Value, out)
	}
	return nil
}

// pageState is what the page's script reports once it has set up every chart.
type pageState struct {
	Charts  int      `json:"charts"`
	Drawn   int      `json:"drawn"`
	Empty   []string `json:"empty"`
	ReadyMS float64  `json:"readyMS"`
	// PaintedMS is when the first frame after the script was drawn, from navigation start.
	PaintedMS float64 `json:"paintedMS"`
}

// open loads a file and waits until its script ran and the next frame was painted. It
// returns the page's state and the time from the navigation command to that frame.
func (t *tab) open(ctx context.Context, path string) (pageState, time.Duration, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return pageState{}, 0, err
	}
	before := len(t.b.errors())
	start := time.Now()
	if err := t.b.call(ctx, t.session, "Page.navigate", map[string]any{"url": "file://" + filepath.ToSlash(abs)}, nil); err != nil {
		return pageState{}, 0, err
	}
	// Until the navigation commits, expressions run in the old document (or in none), so
	// readiness is polled and errors in between are retried.
	url := "file://" + abs
	ready := fmt.Sprintf(`(function () { var r = document.documentElement;
		return !!r && location.href === %q && r.getAttribute("data-ready") === "1"; })()`, url)
	for {
		var ok bool
		if err := t.eval(ctx, ready, &ok); err == nil && ok {
			break
		}
		if ctx.Err() != nil {
			return pageState{}, 0, fmt.Errorf("open %s: the page never became ready: %w", path, ctx.Err())
		}
		// A script that failed never says it is ready: stop at its error.
		if errs := t.b.errors(); len(errs) > before {
			time.Sleep(50 * time.Millisecond)
			return pageState{}, 0, fmt.Errorf("open %s: the page failed before it was ready: %v", path, t.b.errors()[before:])
		}
		time.Sleep(5 * time.Millisecond)
	}
	var st pageState
	const painted = `new Promise(function (done) {
		requestAnimationFrame(function () { setTimeout(function () {
			var s = window.benchtuiReport; s.paintedMS = performance.now(); done(s);
		}, 0); });
	})`
	if err := t.eval(ctx, painted, &st); err != nil {
		return st, 0, err
	}
	return st, time.Since(start), nil
}

// screenshot saves the viewport (1280x800) as a PNG.
func (t *tab) screenshot(ctx context.Context, path string) error {
	var shot struct {
		Data string `json:"data"`
	}
	if err := t.b.call(ctx, t.session, "Page.captureScreenshot", map[string]any{"format": "png"}, &shot); err != nil {
		return err
	}
	png, err := base64.StdEncoding.DecodeString(shot.Data)
	if err != nil {
		return err
	}
	return os.WriteFile(path, png, 0o644)
}
