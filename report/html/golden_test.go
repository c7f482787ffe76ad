package html

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	xhtml "golang.org/x/net/html"
)

var update = flag.Bool("update", false, "rewrite the golden skeletons in testdata/golden")

// The fixtures are real runs of the tiny model (scripts/html-fixtures.sh makes them).
var fixtures = map[string][]string{
	"run":     {"testdata/run-b8.json"},
	"report":  {"testdata/report-b8.json"},
	"trtllm":  {"../../cmd/benchtui/testdata/trtllm-report.json"},
	"sweep":   {"testdata/sweep.json"},
	"compare": {"testdata/run-b8.json", "testdata/run-b16.json", "testdata/run-stopped.json"},
}

func loadAll(t testing.TB, paths []string) []*Source {
	t.Helper()
	var srcs []*Source
	for _, p := range paths {
		s, err := Load(p)
		if err != nil {
			t.Fatal(err)
		}
		srcs = append(srcs, s)
	}
	return srcs
}

func buildPage(t testing.TB, name string) []byte {
	t.Helper()
	page, err := Build(loadAll(t, fixtures[name]), Options{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := page.WriteHTML(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// skeleton lists a page's structure and values, one line each: sections and their titles,
// notes, cards, charts with their legend and the number of marks they drew, and every
// keyed table cell. It leaves out geometry, so that a change of drawing style does not
// touch it, while a lost section, chart or value does.
func skeleton(t *testing.T, page []byte) string {
	t.Helper()
	doc, err := xhtml.Parse(bytes.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	var walk func(n *xhtml.Node, depth int)
	walk = func(n *xhtml.Node, depth int) {
		if n.Type == xhtml.ElementNode {
			pad := strings.Repeat("  ", depth)
			cls := attr(n, "class")
			switch {
			case n.Data == "title":
				fmt.Fprintf(&b, "title %q\n", text(n))
			case n.Data == "section":
				fmt.Fprintf(&b, "%ssection #%s\n", pad, attr(n, "id"))
				depth++
			case n.Data == "h2":
				fmt.Fprintf(&b, "%sh2 %q\n", pad, text(n))
			case n.Data == "p" && strings.HasPrefix(cls, "note"):
				fmt.Fprintf(&b, "%s%s: %s\n", pad, cls, text(n))
			case n.Data == "div" && cls == "card":
				fmt.Fprintf(&b, "%scard %s: %s\n", pad, attr(n, "data-key"), text(n))
				return
			case n.Data == "figure":
				fmt.Fprintf(&b, "%sfigure #%s\n", pad, attr(n, "id"))
				depth++
			case n.Data == "figcaption":
				fmt.Fprintf(&b, "%s%q\n", pad, text(n))
			case n.Data == "svg":
				fmt.Fprintf(&b, "%smarks %s\n", pad, attr(n, "data-marks"))
			case n.Data == "g" && (strings.HasPrefix(cls, "lg ") || strings.HasPrefix(cls, "lgk ")):
				fmt.Fprintf(&b, "%slegend %q\n", pad, text(n))
				return
			case n.Data == "line" && strings.HasPrefix(cls, "mark "):
				fmt.Fprintf(&b, "%smarker %q\n", pad, attr(n, "data-tip"))
			case n.Data == "table":
				rows := 0
				for r := range n.Descendants() {
					if r.Type == xhtml.ElementNode && r.Data == "tr" {
						rows++
					}
				}
				fmt.Fprintf(&b, "%stable #%s rows %d\n", pad, attr(n, "id"), rows)
				depth++
			case n.Data == "caption":
				fmt.Fprintf(&b, "%s%q\n", pad, text(n))
			case n.Data == "td" && attr(n, "data-key") != "":
				fmt.Fprintf(&b, "%s%s = %s\n", pad, attr(n, "data-key"), text(n))
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, depth)
		}
	}
	walk(doc, 0)
	return b.String()
}

func attr(n *xhtml.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func text(n *xhtml.Node) string {
	var b strings.Builder
	for d := range n.Descendants() {
		if d.Type == xhtml.TextNode {
			b.WriteString(d.Data)
			b.WriteByte(' ')
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// TestGoldenSkeleton checks each kind of page against its skeleton in testdata/golden
// (go test ./report/html -update rewrites them after a deliberate change).
func TestGoldenSkeleton(t *testing.T) {
	for _, name := range []string{"run", "report", "trtllm", "sweep", "compare"} {
		t.Run(name, func(t *testing.T) {
			got := skeleton(t, buildPage(t, name))
			path := filepath.Join("testdata", "golden", name+".txt")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (go test ./report/html -update writes it)", err)
			}
			if got != string(want) {
				t.Errorf("the %s page's skeleton changed (go test ./report/html -update after a deliberate change):\n%s", name, lineDiff(string(want), got))
			}
		})
	}
}

// lineDiff shows the first lines where two texts differ.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < max(len(w), len(g)) && shown < 12; i++ {
		var a, c string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			c = g[i]
		}
		if a != c {
			fmt.Fprintf(&b, "line %d:\n  want %s\n  got  %s\n", i+1, a, c)
			shown++
		}
	}
	return b.String()
}
