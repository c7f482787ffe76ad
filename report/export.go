package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/benchtui/benchtui/engine"
	"github.com/benchtui/benchtui/telemetry"
)

// ExportFormat names the export file's layout; readers refuse other versions.
const ExportFormat = "benchtui-export/1"

// Export is a finished run as the dashboard saves it: the report, every request's record with
// its token times, and the engine snapshots, so that a replay can draw the same charts and
// histograms the live run drew.
type Export struct {
	Format    string            `json:"format"`
	Report    Report            `json:"report"`
	Requests  []engine.Record   `json:"requests"`
	Snapshots []engine.Snapshot `json:"snapshots"`
	// Telemetry is the hardware time series of the run (the report's hardware series).
	Telemetry *telemetry.Series `json:"telemetry,omitempty"`
}

// TelemetrySeries is the run's hardware time series: the export's own, or the report's for a
// report read alone; nil when the hardware was not watched.
func (x *Export) TelemetrySeries() *telemetry.Series {
	if x.Telemetry != nil {
		return x.Telemetry
	}
	if hw := x.Report.BenchTUI.Hardware; hw != nil && len(hw.Series.Devices) > 0 {
		return &hw.Series
	}
	return nil
}

// WriteJSON writes x indented.
func (x *Export) WriteJSON(w io.Writer) error {
	x.Format = ExportFormat
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(x); err != nil {
		return fmt.Errorf("encode export: %w", err)
	}
	return nil
}

// ReadExport reads an export file, or a report alone (as --report_json writes it, from
// benchtui or trtllm-bench), which then has no records or snapshots.
func ReadExport(path string) (*Export, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	var probe struct {
		Format      string          `json:"format"`
		Performance json.RawMessage `json:"performance"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, fmt.Errorf("%s is not a benchtui export or report: %w", path, err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	switch {
	case probe.Format == ExportFormat:
		var x Export
		if err := dec.Decode(&x); err != nil {
			return nil, fmt.Errorf("read export %s: %w", path, err)
		}
		return &x, nil
	case probe.Format != "":
		return nil, fmt.Errorf("%s has format %q; this benchtui reads %q", path, probe.Format, ExportFormat)
	case probe.Performance != nil:
		var x Export
		if err := dec.Decode(&x.Report); err != nil {
			return nil, fmt.Errorf("read report %s: %w", path, err)
		}
		return &x, nil
	}
	return nil, errors.New(path + " is neither a benchtui export nor a report (no \"format\" or \"performance\" key)")
}
