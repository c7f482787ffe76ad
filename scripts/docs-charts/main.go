// Command docs-charts draws the figures that docs/benchmarks.md quotes as SVG charts: it reads
// each docs/data/NAME.json (a report/html DocFigure: the values of the doc's tables) and
// writes docs/charts/NAME.svg with the HTML report's chart code.
//
//	go run ./scripts/docs-charts [-data docs/data] [-out docs/charts]
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	htmlreport "github.com/benchtui/benchtui/report/html"
)

func main() {
	data := flag.String("data", "docs/data", "folder of the figures' data (NAME.json)")
	out := flag.String("out", "docs/charts", "folder for the charts (NAME.svg)")
	flag.Parse()
	paths, err := draw(*data, *out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "docs-charts:", err)
		os.Exit(1)
	}
	for _, p := range paths {
		fmt.Println(p)
	}
}

// readFigures reads every figure of dir, sorted by file name.
func readFigures(dir string) ([]htmlreport.DocFigure, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no figures (*.json) in %s", dir)
	}
	sort.Strings(files)
	var figs []htmlreport.DocFigure
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("read figure: %w", err)
		}
		var fig htmlreport.DocFigure
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&fig); err != nil {
			return nil, fmt.Errorf("figure %s: %w", f, err)
		}
		if want := strings.TrimSuffix(filepath.Base(f), ".json"); fig.ID != want {
			return nil, fmt.Errorf("figure %s has id %q: name the file after its id", f, fig.ID)
		}
		figs = append(figs, fig)
	}
	return figs, nil
}

func draw(dataDir, outDir string) ([]string, error) {
	figs, err := readFigures(dataDir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return nil, err
	}
	var paths []string
	for _, fig := range figs {
		svg, err := fig.SVG()
		if err != nil {
			return nil, err
		}
		p := filepath.Join(outDir, fig.ID+".svg")
		if err := os.WriteFile(p, svg, 0o644); err != nil {
			return nil, err
		}
		paths = append(paths, p)
	}
	return paths, nil
}
