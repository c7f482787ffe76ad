package html

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/benchtui/benchtui/report"
	"github.com/benchtui/benchtui/sweep"
	"github.com/benchtui/benchtui/telemetry"
)

// Kind says what a source file holds, and so what a page can show of it.
type Kind int

// The kinds of input.
const (
	// KindExport is a dashboard export (or a headless run's --export): the report, every
	// request's record, the engine snapshots and the telemetry.
	KindExport Kind = iota
	// KindReport is benchtui's --report_json: figures and time series, no records.
	KindReport
	// KindTRTLLM is trtllm-bench's report: its figures only.
	KindTRTLLM
	// KindSweep is a sweep's sweep.json: every point's statistics and reports.
	KindSweep
)

func (k Kind) String() string {
	switch k {
	case KindExport:
		return "benchtui export"
	case KindReport:
		return "benchtui report"
	case KindTRTLLM:
		return "trtllm-bench report"
	case KindSweep:
		return "benchtui sweep"
	}
	return "unknown"
}

// Source is one input, read.
type Source struct {
	// Name labels the source on the page (the file's base name).
	Name string
	Kind Kind
	// Export holds a run (KindExport, KindReport, KindTRTLLM); Records and Snapshots are
	// empty unless it is an export.
	Export *report.Export
	// Sweep holds a sweep (KindSweep).
	Sweep *Sweep

	hw     *report.Hardware
	series *telemetry.Series
}

// Sweep is a sweep's result file: its axes in order and its points.
type Sweep struct {
	Axes   []string            `json:"axes"`
	Points []sweep.PointResult `json:"points"`
}

// Load reads an export, a report (benchtui's or trtllm-bench's) or a sweep.json. Its errors
// name the file and say what it should have held.
func Load(path string) (*Source, error) {
	name := filepath.Base(path)
	if isSweep(path) {
		return loadSweep(path, name)
	}
	x, err := report.ReadExport(path)
	if err != nil {
		if s, serr := loadSweep(path, name); serr == nil {
			return s, nil // a sweep.json whose keys were reordered
		}
		return nil, fmt.Errorf("%w (want a benchtui export, a --report_json report, a trtllm-bench report or a sweep.json)", err)
	}
	return FromExport(name, x), nil
}

// isSweep tells a sweep.json by its first key, "axes", without reading the rest: an export
// of a long run is tens of megabytes, and ReadExport reads it once more anyway.
func isSweep(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	dec := json.NewDecoder(bufio.NewReader(f))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return false
	}
	t, err := dec.Token()
	return err == nil && t == "axes"
}

func loadSweep(path, name string) (*Source, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	var s Sweep
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("read sweep %s: %w", path, err)
	}
	if s.Axes == nil || s.Points == nil {
		return nil, fmt.Errorf("%s is not a sweep.json (no \"axes\" and \"points\")", path)
	}
	return FromSweep(name, &s), nil
}

// FromExport makes a source of a run held in memory: an export, or a report alone in
// x.Report (no records).
func FromExport(name string, x *report.Export) *Source {
	s := &Source{Name: name, Export: x, Kind: KindExport, hw: x.Report.BenchTUI.Hardware, series: x.TelemetrySeries()}
	if len(x.Requests) == 0 && len(x.Snapshots) == 0 {
		s.Kind = KindReport
		if x.Report.BenchTUI.Version == "" && x.Report.BenchTUI.TimeSeries == nil {
			s.Kind = KindTRTLLM
		}
	}
	return s
}

// FromSweep makes a source of a sweep's results.
func FromSweep(name string, s *Sweep) *Source {
	return &Source{Name: name, Kind: KindSweep, Sweep: s}
}
