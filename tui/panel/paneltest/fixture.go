// Package paneltest fills every panel with realistic, deterministic data, for the panels'
// and the dashboard's tests and benchmarks.
package paneltest

import (
	"math"
	"math/rand/v2"
	"time"

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
	d.Latency.SetSamples(panel.MetricTTFT, ttft)
	d.Latency.SetSamples(panel.MetricTPOT, tpot)
	d.Latency.SetSamples(panel.MetricITL, itl)
	d.Latency.SetSamples(panel.MetricE2E, e2e)

	d.Progress = panel.NewProgress(st)
	d.Progress.Done, d.Progress.Failed, d.Progress.Total = 372, 2, 500
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
			OutputTokS: 3921.4, ReqS: 30.6, TTFTp50: 141.2, TPOTp50: 8.31, E2Ep50: 1196, State: panel.StateFinished},
		{ID: "2", Model: "llama-3.1-8b-instruct", Batch: 64, ISL: 1024, OSL: 128, Requests: 500,
			OutputTokS: 5187.9, ReqS: 40.5, TTFTp50: 212.7, TPOTp50: 11.06, E2Ep50: 1617, State: panel.StateFinished},
		{ID: "3", Model: "llama-3.1-8b-instruct", Batch: 128, ISL: 2048, OSL: 256, Requests: 200,
			State: panel.StateFailed},
		{ID: "4", Model: "qwen2.5-14b-instruct-q5_k_m", Batch: 64, ISL: 1024, OSL: 128, Requests: 500,
			OutputTokS: 3012.0, ReqS: 23.5, TTFTp50: 388.1, TPOTp50: 17.9, E2Ep50: 2661, State: panel.StateCanceled},
		{ID: "5", Model: "llama-3.1-8b-instruct", Batch: 64, ISL: 1024, OSL: 128, Requests: 500,
			OutputTokS: 5243.0, ReqS: 40.9, TTFTp50: 205.3, TPOTp50: 10.87, E2Ep50: 1591, State: panel.StateRunning},
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
		{Title: "Run", Keys: []panel.HelpKey{{"s", "start run"}, {"x", "cancel run"}, {"r", "restart"}}},
		{Title: "Settings", Keys: []panel.HelpKey{{"b/B", "batch size −/+"}, {"i/I", "input length −/+"}, {"o/O", "output length −/+"}, {"n/N", "requests −/+"}}},
		{Title: "View", Keys: []panel.HelpKey{{"tab", "next panel"}, {"enter", "maximize panel"}, {"l", "next latency metric"}, {"t", "next theme"}}},
		{Title: "History", Keys: []panel.HelpKey{{"↑/↓", "move cursor"}, {"space", "mark for compare"}, {"c", "compare marked"}}},
		{Title: "App", Keys: []panel.HelpKey{{"?", "toggle help"}, {"q", "quit"}}},
	})

	d.Hints = panel.NewHints(st)
	d.Hints.Keys = []panel.HelpKey{{"s", "start"}, {"x", "cancel"}, {"tab", "focus"}, {"enter", "maximize"}, {"t", "theme"}, {"?", "help"}}
	d.Hints.Status = "results → runs/3.json"
	return d
}

// Panels lists every panel with its name, in drawing order.
func (d *Dashboard) Panels() []Named {
	return []Named{
		{"header", d.Header}, {"throughput", d.Throughput}, {"latency", d.Latency},
		{"progress", d.Progress}, {"engine", d.Engine}, {"devices", d.Devices},
		{"history", d.History}, {"hints", d.Hints}, {"compare", d.Compare}, {"help", d.Help},
	}
}

// Named is a panel and its name.
type Named struct {
	Name  string
	Panel panel.Panel
}
