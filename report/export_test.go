package report

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/benchtui/benchtui/engine"
	"github.com/benchtui/benchtui/internal/fsutil"
	"github.com/benchtui/benchtui/telemetry"
)

func TestExportRoundTripAndNoClobber(t *testing.T) {
	in := sampleReportInput()
	rep := Build(in)
	x := &Export{Report: rep, Requests: in.Records, Snapshots: []engine.Snapshot{{Phase: engine.PhaseRunning, ElapsedNS: 1e8, OutputTokensPerSec: 12.5, Running: 3}}}
	path := filepath.Join(t.TempDir(), "run.json")
	if err := fsutil.WriteNew(path, x.WriteJSON); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	// A second export to the same name fails and leaves the first file as it was.
	x2 := &Export{Report: rep}
	err := fsutil.WriteNew(path, x2.WriteJSON)
	if !errors.Is(err, fs.ErrExist) {
		t.Fatalf("second write: %v, want fs.ErrExist", err)
	}
	after, _ := os.ReadFile(path)
	if string(before) != string(after) {
		t.Fatal("second write changed the existing file")
	}
	if ents, _ := os.ReadDir(filepath.Dir(path)); len(ents) != 1 {
		n := len(ents)
		t.Errorf("%d files in the folder, want 1 (temporary files left behind)", n)
	}

	got, err := ReadExport(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Requests, in.Records) {
		t.Error("records differ after a round trip")
	}
	if !reflect.DeepEqual(got.Snapshots, x.Snapshots) {
		t.Error("snapshots differ after a round trip")
	}
	if got.Report.Performance != rep.Performance || got.Report.RequestInfo != rep.RequestInfo {
		t.Error("report performance differs after a round trip")
	}

	// A bare report reads as an export without records.
	rpath := filepath.Join(t.TempDir(), "report.json")
	if err := fsutil.WriteFile(rpath, rep.WriteJSON); err != nil {
		t.Fatal(err)
	}
	got, err = ReadExport(rpath)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Requests) != 0 || got.Report.Performance != rep.Performance {
		t.Errorf("bare report: %d records, performance equal %v", len(got.Requests), got.Report.Performance == rep.Performance)
	}

	// Anything else is refused with the reason.
	other := filepath.Join(t.TempDir(), "other.json")
	os.WriteFile(other, []byte(`{"hello": 1}`), 0o644)
	if _, err := ReadExport(other); err == nil {
		t.Error("a JSON file that is no report was accepted")
	}
	os.WriteFile(other, []byte(`{"format": "benchtui-export/9"}`), 0o644)
	if _, err := ReadExport(other); err == nil {
		t.Error("a future export format was accepted")
	}
}

func TestExportTelemetrySeries(t *testing.T) {
	var x Export
	if x.TelemetrySeries() != nil {
		t.Error("a series without telemetry")
	}
	own := &telemetry.Series{Source: "own", Devices: []telemetry.DeviceSeries{{}}}
	x.Report.BenchTUI.Hardware = &Hardware{Series: telemetry.Series{Source: "report", Devices: []telemetry.DeviceSeries{{}}}}
	if s := x.TelemetrySeries(); s == nil || s.Source != "report" {
		t.Errorf("report alone: series %+v, want the report's", s)
	}
	x.Telemetry = own
	if s := x.TelemetrySeries(); s != own {
		t.Errorf("export: series %+v, want its own", s)
	}
}
