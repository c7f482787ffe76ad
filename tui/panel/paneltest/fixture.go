// Package paneltest fills every panel with realistic, deterministic data, for the panels'
// and the dashboard's tests and benchmarks.
package paneltest

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/benchtui/benchtui/report"
	"github.com/benchtui/benchtui/themes"
	"github.com/benchtui/benchtui/tui/panel"
)

// Dashboard holds one of every panel, filled with realistic, deterministic data: a
// 500-request run of an 8B model on two H100s, two minutes in.
type Dashboard struct {
	Styles     *themes.Styles
	Header     *panel.Header
	Throughput *panel.Throughput
	Latency    *panel.Latency
	Progress   *panel.Progress
	Engine     *panel.Engine
	Devices    *panel.Devices
	History    *panel.History
	Compare    *panel.Compare
	Help       *panel.Help
	Hints      *panel.Hints
	Result     *panel.Result
	Trend      *panel.Trend
	Requests   *panel.Requests
}

// Stats summarises samples with the report's percentile rule, as the dashboard does.
func Stats(v []float64) panel.LatencyStats {
	s := report.Summarize(v)
	return panel.LatencyStats{N: s.Count, Min: s.Minimum, Mean: s.Average, P50: s.P50, P90: s.P90, P99: s.P99, Max: s.Maximum}
}

// figs are history figures with the rest unknown.
func figs(out, reqs, ttft, tpot, e2e float64) panel.Figures {
	f := panel.NoFigures()
	f.OutputTokS, f.ReqS, f.TTFTp50, f.TPOTp50, f.E2Ep50 = out, reqs, ttft, tpot, e2e
	return f
}

func Styles(name string) *themes.Styles {
	p, ok := themes.ByName(name)
	if !ok {
		panic("unknown theme " + name)
	}
	return themes.Build(p, name != "solarized-light")
}

func New(theme string) *Dashboard {
	st := Styles(theme)
	rng := rand.New(rand.NewPCG(7, 11))
	d := &Dashboard{Styles: st}

	d.Header = panel.NewHeader(st)
	d.Header.Model = "llama-3.1-8b-instruct"
	d.Header.DType = "Q4_K_M"
	d.Header.Device = "2× NVIDIA H100 80GB HBM3"
	d.Header.RunID = "run 3"
	d.Header.State = panel.StateRunning
	d.Header.Spinner = "⠹"
	d.Header.Settings = panel.Settings{Batch: 64, ISL: 1024, OSL: 128, Requests: 500, Concurrency: 64}
	d.Header.SetPending(panel.Settings{Batch: 128, ISL: 1024, OSL: 128, Requests: 500, Concurrency: 64})

	d.Throughput = panel.NewThroughput(st)
	for i := 0; i < 1200; i++ {
		t := float64(i) * 0.1
		ramp := 1 - math.Exp(-t/8)
		out := ramp*(5200+300*math.Sin(t/6)) + rng.NormFloat64()*120
		total := out*1.9 + ramp*(30000+4000*math.Sin(t/9+1)) + rng.NormFloat64()*900
		d.Throughput.Add(t, math.Max(out, 0), math.Max(total, 0))
	}

	d.Latency = panel.NewLatency(st)
	var ttft, tpot, itl, e2e []float64
	for i := 0; i < 372; i++ {
		f := 180 + rng.ExpFloat64()*90 + rng.NormFloat64()*15
		p := 11 + rng.NormFloat64()*1.2 + rng.ExpFloat64()*1.5
		ttft = append(ttft, math.Max(f, 20))
		tpot = append(tpot, math.Max(p, 4))
		e2e = append(e2e, math.Max(f, 20)+127*math.Max(p, 4))
	}
	for i := 0; i < 20000; i++ {
		v := 10.5 + rng.NormFloat64()*1.1
		if rng.IntN(40) == 0 {
			v += 25 + rng.ExpFloat64()*30 // prefill stalls
		}
		itl = append(itl, math.Max(v, 3))
	}
	var queue []float64
	for _, f := range ttft {
		queue = append(queue, f*0.6)
	}
	for m, v := range map[panel.LatencyMetric][]float64{panel.MetricTTFT: ttft, panel.MetricTPOT: tpot,
		panel.MetricITL: itl, panel.MetricE2E: e2e, panel.MetricQueue: queue} {
		d.Latency.SetDistribution(m, v, Stats(v))
	}
	d.Latency.Split = panel.TTFTSplit{QueueP50: Stats(queue).P50, PrefillP50: Stats(ttft).P50 - Stats(queue).P50, OK: true}

	// Latency over time: 1 s buckets, TTFT rising as the queue builds.
	d.Trend = panel.NewTrend(st)
	d.Trend.Bucket = 1
	var tr, tq panel.TrendSeries
	for i := 0; i < 120; i++ {
		t := float64(i)
		p50 := 150 + 2*t + rng.NormFloat64()*10
		tr.T, tr.P50, tr.P99 = append(tr.T, t), append(tr.P50, p50), append(tr.P99, p50*1.8+rng.ExpFloat64()*40)
		tr.Part = append(tr.Part, 0.6*p50)
		tq.T, tq.P50, tq.P99 = append(tq.T, t), append(tq.P50, 160+rng.NormFloat64()*8), append(tq.P99, 300)
	}
	tr.PartName = "queue p50"
	d.Trend.SetSeries(panel.MetricTTFT, tr)
	d.Trend.SetBaseline("run 2", panel.MetricTTFT, tq)

	d.Result = panel.NewResult(st)
	d.Result.Run, d.Result.State = "run 5", panel.StateRunning
	d.Result.Figures = panel.Figures{OutputTokS: 5243, ReqS: 40.9, TTFTp50: Stats(ttft).P50, TTFTp99: Stats(ttft).P99,
		TPOTp50: Stats(tpot).P50, TPOTp99: Stats(tpot).P99, ITLp99: Stats(itl).P99, QueueP50: Stats(queue).P50,
		PrefillP50: d.Latency.Split.PrefillP50, E2Ep50: Stats(e2e).P50, Completed: 370, Failed: 2, Canceled: 0, Recent: true}
	d.Result.Base = panel.Figures{OutputTokS: 5187.9, ReqS: 40.5, TTFTp50: 212.7, TTFTp99: 410, TPOTp50: 11.06, TPOTp99: 14,
		ITLp99: 31, QueueP50: 120, PrefillP50: 90, E2Ep50: 1617, Completed: 500}
	d.Result.BaseName, d.Result.HasBase = "run 2", true

	d.Requests = panel.NewRequests(st)
	d.Requests.Run = "run 5"
	var rows []panel.RequestRow
	for i := 0; i < 372; i++ {
		start := float64(i) * 300
		q := ttft[i] * 0.6
		row := panel.RequestRow{Index: i, ISL: 1024, OSL: 128, StartMS: start, AdmitMS: start + q, FirstMS: start + ttft[i],
			EndMS: start + e2e[i], TTFT: ttft[i], TPOT: tpot[i], E2E: e2e[i], Status: "ok"}
		if i%97 == 5 {
			row.Status, row.Error = "failed", "decode: out of KV cells"
		}
		rows = append(rows, row)
	}
	d.Requests.SetRows(rows, 372*300+3000)
	d.Requests.MoveCursor(7)
	var gt, gaps []float64
	for j := 1; j < 128; j++ {
		g := itl[j]
		gaps = append(gaps, g)
		gt = append(gt, float64(j)*11)
	}
	d.Requests.SetDetail(7, gt, gaps)

	d.Progress = panel.NewProgress(st)
	d.Progress.Completed, d.Progress.Failed, d.Progress.Total = 370, 2, 500
	d.Progress.Running = 64
	d.Progress.InputTokens, d.Progress.OutputTokens = 380_928+64*1024, 47_616
	d.Progress.Elapsed = 120*time.Second + 400*time.Millisecond
	d.Progress.ETA = 41 * time.Second

	d.Engine = panel.NewEngine(st)
	d.Engine.MaxBatch = 64
	for i := 0; i < 256; i++ {
		// Requests ramp up, then finish and get replaced in waves.
		run := min(64, 4+i/2)
		if i > 120 {
			run = 52 + int(10*math.Sin(float64(i)/9)) + rng.IntN(3)
		}
		queued := max(0, 40-i/6+rng.IntN(4))
		kv := math.Min(100, float64(run)*1.25+float64(i%23)/2+rng.Float64()*3)
		d.Engine.Push(run, queued, kv, float64(run)/64*100)
	}

	d.Devices = panel.NewDevices(st)
	var devs []panel.DeviceView
	for g := 0; g < 2; g++ {
		dv := panel.DeviceView{Name: "NVIDIA H100 80GB HBM3", MemTotal: 79.6, PowerW: 612 - float64(g)*40, PowerLimitW: 700,
			HasPower: true, TempC: 64 + float64(g)*9, HasTemp: true}
		for i := 0; i < 120; i++ {
			dv.Util = append(dv.Util, math.Min(100, 78+14*math.Sin(float64(i+9*g)/8)+rng.Float64()*6))
			dv.MemUsed = append(dv.MemUsed, math.Min(71.5, 38+float64(i)*0.4))
		}
		devs = append(devs, dv)
	}
	d.Devices.SetDevices(devs)

	d.History = panel.NewHistory(st)
	d.History.SetRows([]panel.RunRow{
		{ID: "1", Model: "llama-3.1-8b-instruct", Batch: 32, ISL: 1024, OSL: 128, Requests: 500,
			Figures: figs(3921.4, 30.6, 141.2, 8.31, 1196), State: panel.StateFinished},
		{ID: "2", Model: "llama-3.1-8b-instruct", Batch: 64, ISL: 1024, OSL: 128, Requests: 500,
			Figures: figs(5187.9, 40.5, 212.7, 11.06, 1617), State: panel.StateFinished},
		{ID: "3", Model: "llama-3.1-8b-instruct", Batch: 128, ISL: 2048, OSL: 256, Requests: 200,
			Figures: panel.NoFigures(), State: panel.StateFailed},
		{ID: "4", Model: "qwen2.5-14b-instruct-q5_k_m", Batch: 64, ISL: 1024, OSL: 128, Requests: 500,
			Figures: figs(3012.0, 23.5, 388.1, 17.9, 2661), State: panel.StateCanceled},
		{ID: "5", Model: "llama-3.1-8b-instruct", Batch: 64, ISL: 1024, OSL: 128, Requests: 500,
			Figures: figs(5243.0, 40.9, 205.3, 10.87, 1591), State: panel.StateRunning},
	})
	d.History.Cursor = 0
	d.History.ToggleMark()
	d.History.Cursor = 1
	d.History.ToggleMark()
	d.History.Cursor = 3

	d.Compare = panel.NewCompare(st)
	a, b, _ := d.History.Comparison()
	d.Compare.Set(a, b)

	d.Help = panel.NewHelp(st)
	d.Help.Note = "? close"
	d.Help.SetGroups([]panel.HelpGroup{
		{Title: "Run", Keys: []panel.HelpKey{{Key: "s", Desc: "start run"}, {Key: "x", Desc: "cancel run"}, {Key: "r", Desc: "restart"}}},
		{Title: "Settings", Keys: []panel.HelpKey{{Key: "b/B", Desc: "batch size −/+"}, {Key: "i/I", Desc: "input length −/+"}, {Key: "o/O", Desc: "output length −/+"}, {Key: "n/N", Desc: "requests −/+"}}},
		{Title: "View", Keys: []panel.HelpKey{{Key: "tab", Desc: "next panel"}, {Key: "enter", Desc: "maximize panel"}, {Key: "l", Desc: "next latency metric"}, {Key: "t", Desc: "next theme"}}},
		{Title: "History", Keys: []panel.HelpKey{{Key: "↑/↓", Desc: "move cursor"}, {Key: "space", Desc: "mark for compare"},
			{Key: "c", Desc: "compare marked", Disabled: true, Why: "mark two runs first"}}},
		{Title: "App", Keys: []panel.HelpKey{{Key: "?", Desc: "toggle help"}, {Key: "q", Desc: "quit"}}},
	})

	d.Hints = panel.NewHints(st)
	d.Hints.Keys = []panel.HelpKey{{Key: "s", Desc: "start"}, {Key: "x", Desc: "cancel"}, {Key: "tab", Desc: "focus"}, {Key: "enter", Desc: "maximize"}, {Key: "t", Desc: "theme"}, {Key: "?", Desc: "help"}}
	d.Hints.Status = "results → runs/3.json"
	return d
}

// Panels lists every panel with its name, in drawing order.
func (d *Dashboard) Panels() []Named {
	return []Named{
		{"header", d.Header}, {"throughput", d.Throughput}, {"latency", d.Latency},
		{"progress", d.Progress}, {"engine", d.Engine}, {"devices", d.Devices},
		{"history", d.History}, {"hints", d.Hints}, {"compare", d.Compare}, {"help", d.Help},
		{"result", d.Result}, {"trend", d.Trend}, {"requests", d.Requests},
	}
}

// Named is a panel and its name.
type Named struct {
	Name  string
	Panel panel.Panel
}
