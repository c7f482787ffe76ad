package tui

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/benchtui/benchtui/themes"
)

// dashboard holds one of every panel, filled with realistic, deterministic data: a
// 500-request run of an 8B model on two H100s, two minutes in.
type dashboard struct {
	st         *themes.Styles
	header     *Header
	throughput *Throughput
	latency    *Latency
	progress   *Progress
	engine     *Engine
	devices    *Devices
	history    *History
	compare    *Compare
	help       *Help
	hints      *Hints
}

func styles(name string) *themes.Styles {
	p, ok := themes.ByName(name)
	if !ok {
		panic("unknown theme " + name)
	}
	return themes.Build(p, name != "solarized-light")
}

func newDashboard(theme string) *dashboard {
	st := styles(theme)
	rng := rand.New(rand.NewPCG(7, 11))
	d := &dashboard{st: st}

	d.header = NewHeader(st)
	d.header.Model = "llama-3.1-8b-instruct"
	d.header.DType = "Q4_K_M"
	d.header.Device = "2× NVIDIA H100 80GB HBM3"
	d.header.RunID = "run 3"
	d.header.State = StateRunning
	d.header.Spinner = "⠹"
	d.header.Settings = Settings{Batch: 64, ISL: 1024, OSL: 128, Requests: 500, Concurrency: 64}
	d.header.SetPending(Settings{Batch: 128, ISL: 1024, OSL: 128, Requests: 500, Concurrency: 64})

	d.throughput = NewThroughput(st)
	for i := 0; i < 1200; i++ {
		t := float64(i) * 0.1
		ramp := 1 - math.Exp(-t/8)
		out := ramp*(5200+300*math.Sin(t/6)) + rng.NormFloat64()*120
		total := out*1.9 + ramp*(30000+4000*math.Sin(t/9+1)) + rng.NormFloat64()*900
		d.throughput.Add(t, math.Max(out, 0), math.Max(total, 0))
	}

	d.latency = NewLatency(st)
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
	d.latency.SetSamples(MetricTTFT, ttft)
	d.latency.SetSamples(MetricTPOT, tpot)
	d.latency.SetSamples(MetricITL, itl)
	d.latency.SetSamples(MetricE2E, e2e)

	d.progress = NewProgress(st)
	d.progress.Done, d.progress.Failed, d.progress.Total = 372, 2, 500
	d.progress.Running = 64
	d.progress.InputTokens, d.progress.OutputTokens = 380_928+64*1024, 47_616
	d.progress.Elapsed = 120*time.Second + 400*time.Millisecond
	d.progress.ETA = 41 * time.Second

	d.engine = NewEngine(st)
	d.engine.MaxBatch = 64
	for i := 0; i < engineHistory; i++ {
		// Requests ramp up, then finish and get replaced in waves.
		run := min(64, 4+i/2)
		if i > 120 {
			run = 52 + int(10*math.Sin(float64(i)/9)) + rng.IntN(3)
		}
		queued := max(0, 40-i/6+rng.IntN(4))
		kv := math.Min(100, float64(run)*1.25+float64(i%23)/2+rng.Float64()*3)
		d.engine.Push(run, queued, kv, float64(run)/64*100)
	}

	d.devices = NewDevices(st)
	var devs []DeviceView
	for g := 0; g < 2; g++ {
		dv := DeviceView{Name: "NVIDIA H100 80GB HBM3", MemTotal: 79.6, PowerW: 612 - float64(g)*40, PowerLimitW: 700,
			HasPower: true, TempC: 64 + float64(g)*9, HasTemp: true}
		for i := 0; i < 120; i++ {
			dv.Util = append(dv.Util, math.Min(100, 78+14*math.Sin(float64(i+9*g)/8)+rng.Float64()*6))
			dv.MemUsed = append(dv.MemUsed, math.Min(71.5, 38+float64(i)*0.4))
		}
		devs = append(devs, dv)
	}
	d.devices.SetDevices(devs)

	d.history = NewHistory(st)
	d.history.SetRows([]RunRow{
		{ID: "1", Model: "llama-3.1-8b-instruct", Batch: 32, ISL: 1024, OSL: 128, Requests: 500,
			OutputTokS: 3921.4, ReqS: 30.6, TTFTp50: 141.2, TPOTp50: 8.31, E2Ep50: 1196, State: StateFinished},
		{ID: "2", Model: "llama-3.1-8b-instruct", Batch: 64, ISL: 1024, OSL: 128, Requests: 500,
			OutputTokS: 5187.9, ReqS: 40.5, TTFTp50: 212.7, TPOTp50: 11.06, E2Ep50: 1617, State: StateFinished},
		{ID: "3", Model: "llama-3.1-8b-instruct", Batch: 128, ISL: 2048, OSL: 256, Requests: 200,
			State: StateFailed},
		{ID: "4", Model: "qwen2.5-14b-instruct-q5_k_m", Batch: 64, ISL: 1024, OSL: 128, Requests: 500,
			OutputTokS: 3012.0, ReqS: 23.5, TTFTp50: 388.1, TPOTp50: 17.9, E2Ep50: 2661, State: StateCanceled},
		{ID: "5", Model: "llama-3.1-8b-instruct", Batch: 64, ISL: 1024, OSL: 128, Requests: 500,
			OutputTokS: 5243.0, ReqS: 40.9, TTFTp50: 205.3, TPOTp50: 10.87, E2Ep50: 1591, State: StateRunning},
	})
	d.history.Cursor = 0
	d.history.ToggleMark()
	d.history.Cursor = 1
	d.history.ToggleMark()
	d.history.Cursor = 3

	d.compare = NewCompare(st)
	a, b, _ := d.history.Comparison()
	d.compare.Set(a, b)

	d.help = NewHelp(st)
	d.help.Note = "? close"
	d.help.SetGroups([]HelpGroup{
		{Title: "Run", Keys: []HelpKey{{"s", "start run"}, {"x", "cancel run"}, {"r", "restart"}}},
		{Title: "Settings", Keys: []HelpKey{{"b/B", "batch size −/+"}, {"i/I", "input length −/+"}, {"o/O", "output length −/+"}, {"n/N", "requests −/+"}}},
		{Title: "View", Keys: []HelpKey{{"tab", "next panel"}, {"enter", "maximize panel"}, {"l", "next latency metric"}, {"t", "next theme"}}},
		{Title: "History", Keys: []HelpKey{{"↑/↓", "move cursor"}, {"space", "mark for compare"}, {"c", "compare marked"}}},
		{Title: "App", Keys: []HelpKey{{"?", "toggle help"}, {"q", "quit"}}},
	})

	d.hints = NewHints(st)
	d.hints.Keys = []HelpKey{{"s", "start"}, {"x", "cancel"}, {"tab", "focus"}, {"enter", "maximize"}, {"t", "theme"}, {"?", "help"}}
	d.hints.Status = "results → runs/3.json"
	return d
}

// render renders panel id at the given size.
func (d *dashboard) render(id PanelID, w, h int) string {
	switch id {
	case PanelHeader:
		return d.header.Render(w, h)
	case PanelThroughput:
		return d.throughput.Render(w, h)
	case PanelLatency:
		return d.latency.Render(w, h)
	case PanelProgress:
		return d.progress.Render(w, h)
	case PanelEngine:
		return d.engine.Render(w, h)
	case PanelDevices:
		return d.devices.Render(w, h)
	case PanelHistory:
		return d.history.Render(w, h)
	case PanelHints:
		return d.hints.Render(w, h)
	case PanelCompare:
		return d.compare.Render(w, h)
	case PanelHelp:
		return d.help.Render(w, h)
	}
	return ""
}

// frame renders a whole dashboard frame.
func (d *dashboard) frame(w, h int) string {
	return RenderFrame(Layout(w, h), d.render)
}
