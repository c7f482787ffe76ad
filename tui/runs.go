package tui

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/benchtui/benchtui/engine"
	"github.com/benchtui/benchtui/internal/fsutil"
	"github.com/benchtui/benchtui/report"
	"github.com/benchtui/benchtui/telemetry"
)

// Runner is what the dashboard drives: it loads a model once and runs benchmarks with it.
// Its methods block and are called from commands, never from Update.
type Runner interface {
	// Load opens the model, publishing loading events on ev.
	Load(ctx context.Context, ev *engine.Events) (Target, error)
	// Run runs one benchmark, publishing its events on ev. It returns the run's export,
	// also for a canceled or failed run (with the requests that finished); the error is
	// for a run that could not start.
	Run(ctx context.Context, s Settings, ev *engine.Events) (*report.Export, error)
}

// Target is what the runner benchmarks, for the header.
type Target struct {
	Model, DType, Device string
}

// run is one run of this session, live or finished.
type run struct {
	id       int
	settings Settings
	state    RunState
	err      string
	started  time.Time
	// records are the finished requests, from snapshots while the run is live and from
	// the export once it ended.
	records []engine.Record
	export  *report.Export
	saved   string // path of the last export
}

func (r *run) name() string { return fmt.Sprintf("run %d", r.id) }

// row is the run as the history table shows it.
func (r *run) row(model string) RunRow {
	row := RunRow{
		ID: r.name(), Model: model, Batch: r.settings.Batch, ISL: r.settings.ISL, OSL: r.settings.OSL,
		Requests: r.settings.Requests, State: r.state,
	}
	if r.export != nil {
		rep := &r.export.Report
		row.OutputTokS = rep.Performance.SystemOutputThroughputTokS
		row.ReqS = rep.Performance.RequestThroughputReqS
		row.TTFTp50 = rep.StreamingMetrics.TTFTPercentiles.P50
		row.TPOTp50 = rep.StreamingMetrics.TPOTPercentiles.P50
		row.E2Ep50 = rep.Performance.RequestLatencyPercentilesMS.P50
	}
	return row
}

// exportName picks a file name in dir that does not exist yet for the run.
func exportName(dir, model string, r *run, now time.Time) string {
	model = strings.Map(func(c rune) rune {
		if c == '/' || c == ' ' || c == ':' {
			return '-'
		}
		return c
	}, filepath.Base(model))
	return filepath.Join(dir, fmt.Sprintf("benchtui-%s-run%d-%s.json", model, r.id, now.Format("20060102-150405")))
}

// writeExport writes x to a new file named after path, adding -2, -3... when that name is
// taken: an export never replaces a file. When path's folder cannot take it (gone, full, not
// writable), the export goes to the temporary folder instead: the returned error says why,
// and the path where it went.
func writeExport(path string, x *report.Export) (string, error) {
	p, err := writeNew(path, x)
	if err == nil {
		return p, nil
	}
	if rescued, rerr := writeNew(filepath.Join(os.TempDir(), filepath.Base(path)), x); rerr == nil {
		return rescued, err
	}
	return "", err
}

func writeNew(path string, x *report.Export) (string, error) {
	ext := filepath.Ext(path)
	base := strings.TrimSuffix(path, ext)
	for i := 1; i < 100; i++ {
		p := path
		if i > 1 {
			p = fmt.Sprintf("%s-%d%s", base, i, ext)
		}
		err := fsutil.WriteNew(p, x.WriteJSON)
		if err == nil {
			return p, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return "", err
		}
	}
	return "", fmt.Errorf("export %s: too many files with this name", path)
}

// devicesFromMonitor copies the monitor's recent history into device views, reusing dst.
func devicesFromMonitor(m *telemetry.Monitor, dst []DeviceView, n int) []DeviceView {
	devs := m.Devices()
	dst = slices.Grow(dst[:0], len(devs))[:len(devs)]
	for i, d := range devs {
		v := &dst[i]
		v.Name = d.Name
		v.Host = d.Kind == telemetry.KindCPU
		v.Util = fill(v.Util, n, func(buf []float64) int { return m.CopySeries(i, telemetry.FieldUtil, buf) })
		v.MemUsed = fill(v.MemUsed, n, func(buf []float64) int { return m.CopySeries(i, telemetry.FieldMemUsed, buf) })
		for j := range v.MemUsed {
			v.MemUsed[j] /= 1 << 30
		}
		v.Util, v.MemUsed = dropNaN(v.Util), dropNaN(v.MemUsed)
		v.MemTotal, v.HasPower, v.HasTemp = 0, false, false
		if s, ok := m.Latest(i); ok {
			if x, ok := s.Value(telemetry.FieldMemTotal); ok {
				v.MemTotal = x / (1 << 30)
			}
			if x, ok := s.Value(telemetry.FieldPower); ok {
				v.PowerW, v.HasPower = x, true
			}
			if x, ok := s.Value(telemetry.FieldTemp); ok {
				v.TempC, v.HasTemp = x, true
			}
		}
	}
	return dst
}

func fill(buf []float64, n int, copyFn func([]float64) int) []float64 {
	buf = slices.Grow(buf[:0], n)[:n]
	return buf[:copyFn(buf)]
}

// dropNaN keeps the measured values: a field that is not available has no history.
func dropNaN(v []float64) []float64 {
	out := v[:0]
	for _, x := range v {
		if x == x {
			out = append(out, x)
		}
	}
	return out
}

// devicesFromSeries rebuilds device views from a saved telemetry series (replay).
func devicesFromSeries(s *telemetry.Series) []DeviceView {
	var out []DeviceView
	for _, d := range s.Devices {
		v := DeviceView{Name: d.Name, Host: d.Kind == telemetry.KindCPU}
		for _, x := range d.UtilPercent {
			if x != nil {
				v.Util = append(v.Util, *x)
			}
		}
		for _, x := range d.MemUsedBytes {
			if x != nil {
				v.MemUsed = append(v.MemUsed, *x/(1<<30))
			}
		}
		if n := len(d.PowerW); n > 0 && d.PowerW[n-1] != nil {
			v.PowerW, v.HasPower = *d.PowerW[n-1], true
		}
		if n := len(d.TempC); n > 0 && d.TempC[n-1] != nil {
			v.TempC, v.HasTemp = *d.TempC[n-1], true
		}
		out = append(out, v)
	}
	return out
}
