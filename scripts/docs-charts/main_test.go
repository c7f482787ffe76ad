package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The charts are made from the figures docs/benchmarks.md quotes: every value of a figure's
// data must be in the doc as it prints it, and the committed charts must be what the data
// draws (run go run ./scripts/docs-charts after changing either).
func TestChartsMatchTheDoc(t *testing.T) {
	root := "../.."
	doc, err := os.ReadFile(filepath.Join(root, "docs", "benchmarks.md"))
	if err != nil {
		t.Fatal(err)
	}
	figs, err := readFigures(filepath.Join(root, "docs", "data"))
	if err != nil {
		t.Fatal(err)
	}
	for _, fig := range figs {
		for _, s := range fig.Series {
			for i, v := range s.Values {
				if v == nil {
					continue
				}
				if text := strconv.FormatFloat(*v, 'f', 1, 64); !strings.Contains(string(doc), text) {
					t.Errorf("%s: %s at %s is %s, which docs/benchmarks.md does not quote", fig.ID, s.Name, fig.Categories[i], text)
				}
			}
		}
		if !strings.Contains(string(doc), "charts/"+fig.ID+".svg") {
			t.Errorf("docs/benchmarks.md does not show charts/%s.svg", fig.ID)
		}
	}
	out := t.TempDir()
	paths, err := draw(filepath.Join(root, "docs", "data"), out)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range paths {
		fresh, _ := os.ReadFile(p)
		committed, err := os.ReadFile(filepath.Join(root, "docs", "charts", filepath.Base(p)))
		if err != nil || !bytes.Equal(fresh, committed) {
			t.Errorf("docs/charts/%s is not what its data draws (go run ./scripts/docs-charts): %v", filepath.Base(p), err)
		}
	}
}
