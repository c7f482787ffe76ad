package html

import (
	"fmt"
	"math"
	"strconv"

	"github.com/benchtui/benchtui/engine"
	"github.com/benchtui/benchtui/report"
	"github.com/benchtui/benchtui/telemetry"
)

// maxPoints is the most points a line chart draws: about one per unit of its width.
const maxPoints = 600

// resampled is a set of series over a shared time axis, cut to at most maxPoints buckets.
type resampled struct {
	x    []float64
	xtip []string
	y    [][]float64
	tips [][]string
}

// resample averages samples (t in seconds, vals[series][i], NaN for none) into at most
// maxPoints equal buckets. A bucket of several samples shows its mean and, in the tooltip,
// its range, so the exact extremes are never lost to the averaging.
func resample(t []float64, vals [][]float64, unit []string) resampled {
	var r resampled
	r.y = make([][]float64, len(vals))
	r.tips = make([][]string, len(vals))
	if len(t) == 0 {
		return r
	}
	if len(t) <= maxPoints {
		r.x = t
		for i := range t {
			r.xtip = append(r.xtip, fmtVal(t[i])+" s")
		}
		copy(r.y, vals)
		return r
	}
	lo, hi := t[0], t[len(t)-1]
	w := (hi - lo) / maxPoints
	if w <= 0 {
		w = 1
	}
	type acc struct {
		sum, min, max float64
		n             int
	}
	accs := make([][maxPoints]acc, len(vals))
	var times [maxPoints]struct {
		sum float64
		n   int
	}
	for i, ti := range t {
		k := min(int((ti-lo)/w), maxPoints-1)
		times[k].sum += ti
		times[k].n++
		for s := range vals {
			v := vals[s][i]
			if math.IsNaN(v) {
				continue
			}
			a := &accs[s][k]
			if a.n == 0 || v < a.min {
				a.min = v
			}
			if a.n == 0 || v > a.max {
				a.max = v
			}
			a.sum += v
			a.n++
		}
	}
	for k := range maxPoints {
		if times[k].n == 0 {
			continue
		}
		r.x = append(r.x, times[k].sum/float64(times[k].n))
		r.xtip = append(r.xtip, fmt.Sprintf("%s–%s s (%d samples)", fmtVal(lo+float64(k)*w), fmtVal(lo+float64(k+1)*w), times[k].n))
		for s := range vals {
			a := accs[s][k]
			if a.n == 0 {
				r.y[s] = append(r.y[s], math.NaN())
				r.tips[s] = append(r.tips[s], "")
				continue
			}
			r.y[s] = append(r.y[s], a.sum/float64(a.n))
			tip := withUnit(fmtVal(a.sum/float64(a.n)), unit[s])
			if a.n > 1 && a.max > a.min {
				tip += " (" + fmtVal(a.min) + "–" + fmtVal(a.max) + ")"
			}
			r.tips[s] = append(r.tips[s], tip)
		}
	}
	return r
}

// resampledChart draws resampled series as a line chart.
func resampledChart(lc lineChart, r resampled, names, units []string) *Chart {
	lc.x, lc.xtip = r.x, r.xtip
	for s := range r.y {
		lc.series = append(lc.series, lineSeries{name: names[s], unit: units[s], y: r.y[s], tips: r.tips[s]})
	}
	return lc.chart()
}

// engineState draws the engine's snapshots (requests running and queued, KV cache and batch
// use), or the report's requests in flight when there are no snapshots.
func (v *runView) engineState() *Section {
	var t []float64
	var running, queued, kv, batch []float64
	for _, s := range v.src.Export.Snapshots {
		if s.Phase != engine.PhaseRunning && s.Phase != "" {
			continue
		}
		t = append(t, float64(s.ElapsedNS)/1e9)
		running = append(running, float64(s.Running))
		queued = append(queued, float64(s.Queued))
		kv = append(kv, 100*s.KVUsage)
		batch = append(batch, 100*s.BatchOccupancy)
	}
	sec := &Section{ID: v.id("engine"), Title: "Engine"}
	if len(t) > 0 {
		sec.Intro = fmt.Sprintf("The engine's state from its %d snapshots (about ten a second).", len(t))
		names, units := []string{"running", "queued"}, []string{"requests", "requests"}
		sec.Charts = append(sec.Charts, resampledChart(lineChart{id: v.id("engine-requests"), title: "Requests in the engine",
			xlabel: "time (s)", ylabel: "requests", caption: "Requests decoding or being prefilled (running) and those holding a slot but waiting for the batch (queued)."},
			resample(t, [][]float64{running, queued}, units), names, units))
		names, units = []string{"KV cache used", "batch occupancy"}, []string{"%", "%"}
		sec.Charts = append(sec.Charts, resampledChart(lineChart{id: v.id("engine-kv"), title: "KV cache and batch", ymax: 100,
			xlabel: "time (s)", ylabel: "%", caption: fmt.Sprintf("KV cells in use over the capacity, and running sequences over max_batch_size (%d).", v.rep.WorldInfo.MaxBatchSize)},
			resample(t, [][]float64{kv, batch}, units), names, units))
		return sec
	}
	ts := v.rep.BenchTUI.TimeSeries
	if len(ts) == 0 || v.hasRecords() {
		return nil
	}
	var inflight []float64
	for _, p := range ts {
		t = append(t, p.TimeS+p.DurationS)
		inflight = append(inflight, float64(p.InFlight))
	}
	sec.Intro = "Without engine snapshots, the report's time series gives the requests in flight."
	sec.Charts = append(sec.Charts, resampledChart(lineChart{id: v.id("engine-requests"), title: "Requests in flight", xlabel: "time (s)", ylabel: "requests"},
		resample(t, [][]float64{inflight}, []string{"requests"}), []string{"in flight"}, []string{"requests"}))
	return sec
}

// hardware draws the telemetry series and tables the hardware summary and speed of light.
func (v *runView) hardware() *Section {
	hw, series := v.src.hw, v.src.series
	if hw == nil && series == nil {
		return nil
	}
	sec := &Section{ID: v.id("hardware"), Title: "Hardware"}
	if series != nil && len(series.TimesMS) > 0 {
		t := make([]float64, len(series.TimesMS))
		for i, ms := range series.TimesMS {
			t[i] = float64(ms) / 1000
		}
		for _, q := range []struct {
			id, title, unit string
			get             func(d *telemetry.DeviceSeries) []*float64
			scale           float64
			ymax            float64
		}{
			{"gpu-util", "Utilisation", "%", func(d *telemetry.DeviceSeries) []*float64 { return d.UtilPercent }, 1, 100},
			{"gpu-memory", "Memory used", "GiB", func(d *telemetry.DeviceSeries) []*float64 { return d.MemUsedBytes }, 1.0 / (1 << 30), 0},
			{"gpu-power", "Power", "W", func(d *telemetry.DeviceSeries) []*float64 { return d.PowerW }, 1, 0},
		} {
			var vals [][]float64
			var names, units []string
			for i := range series.Devices {
				d := &series.Devices[i]
				col := q.get(d)
				if col == nil {
					continue
				}
				ys := make([]float64, len(t))
				for k := range ys {
					ys[k] = math.NaN()
					if k < len(col) && col[k] != nil {
						ys[k] = *col[k] * q.scale
					}
				}
				vals = append(vals, ys)
				names = append(names, deviceName(d.Device))
				units = append(units, q.unit)
			}
			if len(vals) == 0 {
				continue
			}
			lc := lineChart{id: v.id(q.id), title: q.title, xlabel: "time (s)", ylabel: q.unit, ymax: q.ymax,
				caption: fmt.Sprintf("Sampled every %s ms (%s).", fmtVal(series.IntervalMS), series.Source)}
			sec.Charts = append(sec.Charts, resampledChart(lc, resample(t, vals, units), names, units))
		}
	}
	if hw != nil {
		sec.Tables = append(sec.Tables, deviceTable(v.id("devices"), hw.Summary))
		if sol := hw.SpeedOfLight; sol != nil {
			sec.Tables = append(sec.Tables, speedOfLightTable(v.id("speed-of-light"), v.rep, sol.Roofline, sol.WeightBytes, sol.KVBytesPerToken,
				sol.MeanBatch, sol.MeanContextTokens, sol.RooflineOutputTokS, sol.AchievedPercent))
		}
		sec.Tables = append(sec.Tables, machineTable(v.id("machine"), hw.Machine))
	}
	return sec
}

func deviceName(d telemetry.Device) string {
	return fmt.Sprintf("%s %d %s", d.Kind, d.Index, d.Name)
}

func opt(p *float64, unit string) string {
	if p == nil {
		return telemetry.NA
	}
	return withUnit(fmtVal(*p), unit)
}

func deviceTable(id string, s telemetry.RunSummary) *Table {
	t := &Table{ID: id, Caption: fmt.Sprintf("Devices over %s s (%s): energy %s, %s",
		fmtVal(s.DurationS), s.Source, opt(s.EnergyJ, "J"), opt(s.JoulesPerToken, "J/token")),
		Head: []string{"device", "samples", "util avg", "util peak", "memory peak", "power avg", "power peak", "energy"}}
	for _, d := range s.Devices {
		mem := telemetry.NA
		if d.PeakMemUsedBytes != nil {
			mem = telemetry.FormatBytes(*d.PeakMemUsedBytes)
		}
		energy := opt(d.EnergyJ, "J")
		if d.EnergyMethod != "" {
			energy += " (" + d.EnergyMethod + ")"
		}
		t.Rows = append(t.Rows, []Cell{{Text: deviceName(d.Device)}, {Text: strconv.Itoa(d.Samples), Class: "num"},
			{Text: opt(d.AvgUtilPercent, "%"), Class: "num"}, {Text: opt(d.PeakUtilPercent, "%"), Class: "num"},
			{Text: mem, Class: "num"}, {Text: opt(d.AvgPowerW, "W"), Class: "num"}, {Text: opt(d.PeakPowerW, "W"), Class: "num"},
			{Text: energy, Class: "num"}})
	}
	return t
}

func speedOfLightTable(id string, r *report.Report, roof telemetry.Roofline, weights, kvPerToken, batch, ctx, roofTokS, pct float64) *Table {
	bw := fmtVal(roof.BandwidthBytesPerSec/1e12) + " TB/s (" + roof.Source
	if roof.Estimate {
		bw += ", estimate"
	}
	bw += ")"
	rows := [][2]string{
		{"memory bandwidth", bw},
		{"weights read per step", telemetry.FormatBytes(weights)},
		{"KV cache per token", telemetry.FormatBytes(kvPerToken)},
		{"mean batch", fmtVal(batch)},
		{"mean context", fmtVal(ctx) + " tokens"},
		{"speed of light (decode)", fmtVal(roofTokS) + " tok/s"},
		{"output throughput", fmtVal(r.Performance.SystemOutputThroughputTokS) + " tok/s"},
		{"achieved", fmtVal(pct) + "%"},
	}
	if roof.Note != "" {
		rows = append(rows, [2]string{"note", roof.Note})
	}
	t := &Table{ID: id, Caption: "Speed of light", Head: []string{"", "value"}}
	for _, kv := range rows {
		t.Rows = append(t.Rows, []Cell{{Text: kv[0]}, {Text: kv[1], Class: "num", Key: "sol-" + slug(kv[0])}})
	}
	return t
}

func machineTable(id string, m telemetry.Machine) *Table {
	t := &Table{ID: id, Caption: "Machine", Head: []string{"", "value"}}
	add := func(k, v string) {
		if v != "" && v != "0" {
			t.Rows = append(t.Rows, []Cell{{Text: k}, {Text: v}})
		}
	}
	add("OS", m.OS+"/"+m.Arch)
	add("CPU", m.CPUModel)
	add("cores / threads", fmt.Sprintf("%d / %d", m.CPUCores, m.CPUThreads))
	if m.RAMBytes > 0 {
		add("RAM", telemetry.FormatBytes(float64(m.RAMBytes)))
	}
	add("driver", m.DriverVersion)
	add("CUDA", m.CUDAVersion)
	for _, g := range m.GPUs {
		v := g.Name
		if g.MemoryTotalBytes > 0 {
			v += ", " + telemetry.FormatBytes(float64(g.MemoryTotalBytes))
		}
		add(fmt.Sprintf("GPU %d", g.Index), v)
	}
	add("GPU note", m.GPUNote)
	return t
}
