package tui

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"strings"

	"github.com/benchtui/benchtui/report"
	"github.com/benchtui/benchtui/tui/panel"
)

// ReadReplay reads a file for `benchtui replay`: an export, or a --report_json report
// (benchtui's or trtllm-bench's). Anything else is refused with one line saying what the
// file is and what replay takes, never a decoder's message about Go types.
func ReadReplay(path string) (*report.Export, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("replay %s: %w", path, err)
	}
	trimmed := bytes.TrimSpace(data)
	const takes = "replay takes an export (e in the dashboard) or a --report_json report"
	switch {
	case len(trimmed) == 0:
		return nil, fmt.Errorf("replay %s: the file is empty; %s", path, takes)
	case trimmed[0] == '[':
		return nil, fmt.Errorf("replay %s: this is a list of per-request records (a --request_json file), which has no token times, engine snapshots or report to rebuild the panels from; %s", path, takes)
	case trimmed[0] != '{' || !json.Valid(trimmed):
		return nil, fmt.Errorf("replay %s: not a JSON object; %s", path, takes)
	}
	x, err := report.ReadExport(path)
	if err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &typ):
			return nil, fmt.Errorf("replay %s: field %q holds a %s where a report has a %s; %s", path, typ.Field, typ.Value, kindOf(typ.Type.Kind().String()), takes)
		case errors.As(err, &syn):
			return nil, fmt.Errorf("replay %s: broken JSON at byte %d; %s", path, syn.Offset, takes)
		}
		return nil, fmt.Errorf("replay: %s", oneLine(err.Error()))
	}
	return x, nil
}

// kindOf names a Go kind in words.
func kindOf(k string) string {
	switch {
	case strings.HasPrefix(k, "int"), strings.HasPrefix(k, "uint"), strings.HasPrefix(k, "float"):
		return "number"
	case k == "struct" || k == "map":
		return "object"
	case k == "slice" || k == "array":
		return "list"
	}
	return k
}

// loadReplay shows a saved run as the session's only run.
func (m *model) loadReplay(x *report.Export, name string) {
	rep := &x.Report
	s := Settings{Batch: rep.WorldInfo.MaxBatchSize, Requests: len(x.Requests), Concurrency: replayConcurrency(rep)}
	if s.Requests == 0 {
		s.Requests = rep.RequestInfo.NumRequests
	}
	isl, osl := datasetAverages(rep)
	if isl == 0 {
		isl, osl = rep.RequestInfo.AvgInputLength, rep.RequestInfo.AvgOutputLength
	}
	s.ISL, s.OSL = int(math.Round(isl)), int(math.Round(osl))
	r := &run{id: 1, label: name, settings: s, state: panel.StateFinished, export: x, records: x.Requests}
	if _, _, canceled := counts(r.records); canceled > 0 {
		r.state = panel.StateCanceled
	}
	m.runs = []*run{r}
	m.cur = r
	m.loaded = true
	m.target = Target{Model: rep.Engine.Model, DType: rep.Engine.Dtype, Device: replayDevice(x)}
	m.header.Model, m.header.DType, m.header.Device = m.target.Model, m.target.DType, m.target.Device
	m.header.State = r.state
	m.header.RunID = "replay " + name
	m.header.Settings = s
	m.header.Detail = ""
	if len(x.Requests) > 0 {
		m.header.Detail = "← → move in time · [ ] by a tenth · space plays (1x, 10x) · enter lists the requests"
	}
	m.engine.MaxBatch = s.Batch
	m.engine.Final = r.state.String()
	m.showRun(r, math.Inf(1))
	m.syncHistory()
	m.syncResult()
}

// replayConcurrency is the report's concurrency, unlimited (-1) when it has none.
func replayConcurrency(rep *report.Report) int {
	if cfg, ok := rep.BenchTUI.Config.(map[string]any); ok {
		for _, sub := range []any{cfg, cfg["settings"]} {
			if m, ok := sub.(map[string]any); ok {
				if c, ok := m["concurrency"].(float64); ok && c > 0 {
					return int(c)
				}
			}
		}
	}
	return -1
}

// replayDevice names the device the saved run ran on: the report's GPU, the machine's GPUs
// or CPU from its hardware section, or what the backend said it ran on.
func replayDevice(x *report.Export) string {
	rep := &x.Report
	if rep.Machine != nil && rep.Machine.Name != "" {
		return rep.Machine.Name
	}
	if hw := rep.BenchTUI.Hardware; hw != nil {
		mc := hw.Machine
		if gpus := mc.GPUs; len(gpus) > 0 {
			if len(gpus) > 1 {
				return fmt.Sprintf("%d× %s", len(gpus), gpus[0].Name)
			}
			return gpus[0].Name
		}
		if mc.CPUModel != "" {
			return "CPU (" + mc.CPUModel + ")"
		}
	}
	if cfg, ok := rep.BenchTUI.Config.(map[string]any); ok {
		if ll, ok := cfg["llama_cpp"].(map[string]any); ok {
			if on, ok := ll["runs_on"].(string); ok && on != "" {
				return on
			}
		}
	}
	return "unknown device"
}

// scrubbing reports whether the replay's time cursor is before the run's end.
func (m *model) scrubbing() bool { return !math.IsInf(m.until, 1) }

// canScrub reports whether the shown run can be moved through in time: a replay or an
// ended run with records.
func (m *model) canScrub() bool {
	return m.opts.Replay != nil && m.cur != nil && len(m.cur.records) > 0
}

// scrub moves the time cursor by d seconds, from the end when it is at the end; reaching
// the end shows the whole run again.
func (m *model) scrub(d float64) {
	if !m.canScrub() {
		return
	}
	end := m.cur.span()
	t := m.until
	if math.IsInf(t, 1) {
		t = end
	}
	t = math.Max(0, t+d)
	if t >= end-1e-6 {
		m.setUntil(math.Inf(1))
		m.play = 0
		return
	}
	m.setUntil(t)
}

// setUntil shows the run at the cursor t.
func (m *model) setUntil(t float64) {
	m.until = t
	r := m.cur
	m.engine.Final = ""
	if math.IsInf(t, 1) {
		m.engine.Final = r.state.String()
	}
	m.showRun(r, t)
	switch {
	case math.IsInf(t, 1):
		m.header.State = r.state
		m.header.Detail = "the whole run · ← → move in time · space plays"
	default:
		m.header.State = panel.StateRunning
		m.header.Detail = fmt.Sprintf("at %s of %s", secsText(t), secsText(r.span()))
		if m.play > 0 {
			m.header.Detail += fmt.Sprintf(" · playing %gx · space: %s", m.play, nextPlayWord(m.play))
		}
	}
	m.syncResult()
}

// scrubStep is the small step of ← and →: a hundredth of the run.
func (m *model) scrubStep() float64 { return math.Max(m.cur.span()/100, 1e-3) }

// togglePlay cycles paused → 1x → 10x → paused; playing from the end starts over.
func (m *model) togglePlay() {
	switch m.play {
	case 0:
		m.play = 1
		if !m.scrubbing() {
			m.setUntil(0)
		}
	case 1:
		m.play = 10
	default:
		m.play = 0
	}
	if m.scrubbing() {
		m.setUntil(m.until)
	}
}

func nextPlayWord(speed float64) string {
	if speed == 1 {
		return "10x"
	}
	return "pause"
}

// advancePlay moves a playing replay by d seconds of run time.
func (m *model) advancePlay(d float64) {
	if !m.canScrub() || !m.scrubbing() {
		m.play = 0
		return
	}
	m.scrub(d)
}

// secsText formats seconds for the header: 12.3 s, 2m05s.
func secsText(v float64) string {
	if v < 60 {
		return fmt.Sprintf("%.2f s", v)
	}
	return fmt.Sprintf("%dm%02ds", int(v)/60, int(v)%60)
}
