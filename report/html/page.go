package html

import (
	_ "embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Page is a report page: a title and sections, each with its cards, notes, charts and
// tables. Build makes one; WriteHTML and WriteSVG write it.
type Page struct {
	Title    string
	Subtitle string
	// Sources are the input files, as the page names them.
	Sources  []string
	Version  string
	Sections []*Section
}

// Section is one part of a page. A comparison nests each run's sections under one
// collapsed section of that run.
type Section struct {
	ID    string
	Title string
	Intro string
	Notes []Note
	Cards []Card
	// Charts are drawn in a two-column grid, wide ones across both columns.
	Charts []*Chart
	Tables []*Table
	// Sub holds nested sections, drawn as collapsible parts when Collapsed.
	Sub       []*Section
	Collapsed bool
}

// Note is a remark about the data: what is missing, what was cut, what differs.
type Note struct {
	// Level is "info" or "warn".
	Level string
	Text  string
}

// Card is one headline figure.
type Card struct {
	// Key names the figure for tests and scripts (data-key).
	Key   string
	Label string
	Value string
	Unit  string
	// Detail is a second line: the spread, what the figure is relative to.
	Detail string
}

// Table is a table of exact values.
type Table struct {
	ID      string
	Caption string
	Head    []string
	Rows    [][]Cell
}

// Cell is one table cell. Class is "num" for numbers, and "good", "bad" or "warn" to colour
// a change or a setting that differs.
type Cell struct {
	Text  string
	Class string
	Key   string
}

//go:embed assets/page.html
var pageTemplate string

//go:embed assets/page.css
var pageCSS string

//go:embed assets/page.js
var pageJS string

var tmpl = template.Must(template.New("page").Funcs(template.FuncMap{
	"css":  func() template.CSS { return template.CSS(chartCSS + pageCSS) },
	"js":   func() template.JS { return template.JS(pageJS) },
	"svg":  func(c *Chart) template.HTML { return c.inline(c.ID) },
	"data": func(c *Chart) template.JS { return c.dataJSON() },
}).Parse(pageTemplate))

// WriteHTML writes the page as one HTML document with everything inline.
func (p *Page) WriteHTML(w io.Writer) error {
	if err := tmpl.Execute(w, p); err != nil {
		return fmt.Errorf("write HTML report: %w", err)
	}
	return nil
}

// Charts lists the page's charts in page order, with the ids they have on the page.
func (p *Page) Charts() []*Chart {
	var out []*Chart
	var walk func(ss []*Section)
	walk = func(ss []*Section) {
		for _, s := range ss {
			out = append(out, s.Charts...)
			walk(s.Sub)
		}
	}
	walk(p.Sections)
	return out
}

// WriteSVG writes every chart of the page as DIR/<id>.svg, creating dir when needed, and
// returns the files' paths. Existing files of the same names are replaced: the folder is
// the charts' own.
func (p *Page) WriteSVG(dir string, write func(path string, content []byte) error) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("SVG folder %s: %w", dir, err)
	}
	var paths []string
	var errs []error
	for _, c := range p.Charts() {
		path := filepath.Join(dir, c.ID+".svg")
		if err := write(path, c.standalone()); err != nil {
			errs = append(errs, err)
			continue
		}
		paths = append(paths, path)
	}
	return paths, errors.Join(errs...)
}

// slug makes an id of a label: lower case letters, digits and dashes.
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}
