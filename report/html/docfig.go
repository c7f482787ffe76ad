package html

import (
	"fmt"
	"math"
)

// DocFigure is a chart of figures that a document quotes: values of named series at
// categories (batch sizes, settings), drawn with the report's charts for docs.
type DocFigure struct {
	// ID names the SVG file.
	ID      string `json:"id"`
	Title   string `json:"title"`
	Caption string `json:"caption"`
	// Kind is "bars" (grouped bars) or "lines" (a line a series over the categories).
	Kind       string      `json:"kind"`
	XLabel     string      `json:"xlabel"`
	YLabel     string      `json:"ylabel"`
	Unit       string      `json:"unit"`
	Categories []string    `json:"categories"`
	Series     []DocSeries `json:"series"`
}

// DocSeries is one series of a DocFigure; a null value is a category without one.
type DocSeries struct {
	Name   string     `json:"name"`
	Values []*float64 `json:"values"`
}

// SVG draws the figure as a standalone SVG file.
func (f DocFigure) SVG() ([]byte, error) {
	if f.ID == "" || len(f.Categories) == 0 || len(f.Series) == 0 {
		return nil, fmt.Errorf("figure %q: it needs an id, categories and series", f.ID)
	}
	var series []catSeries
	for _, s := range f.Series {
		if len(s.Values) != len(f.Categories) {
			return nil, fmt.Errorf("figure %s: series %q has %d values for %d categories", f.ID, s.Name, len(s.Values), len(f.Categories))
		}
		cs := catSeries{name: s.Name}
		for i, v := range s.Values {
			y := math.NaN()
			if v != nil {
				y = *v
			}
			cs.y = append(cs.y, y)
			cs.tips = append(cs.tips, s.Name+" at "+f.Categories[i]+": "+withUnit(fmtVal(y), f.Unit))
		}
		series = append(series, cs)
	}
	var c *Chart
	switch f.Kind {
	case "bars":
		c = barChart{id: f.ID, title: f.Title, caption: f.Caption, xlabel: f.XLabel, ylabel: f.YLabel, unit: f.Unit,
			cats: f.Categories, series: series}.chart()
	case "lines":
		c = catChart{id: f.ID, title: f.Title, caption: f.Caption, xlabel: f.XLabel, ylabel: f.YLabel,
			cats: f.Categories, series: series}.chart()
	default:
		return nil, fmt.Errorf("figure %s: kind %q: want bars or lines", f.ID, f.Kind)
	}
	return c.standalone(), nil
}
