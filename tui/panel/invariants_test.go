package panel_test

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/benchtui/benchtui/tui/panel"
	"github.com/benchtui/benchtui/tui/panel/paneltest"
)

func TestPanelInvariantsSweep(t *testing.T) {
	d := paneltest.New("nvidia")
	ws, hs := paneltest.SweepWidths(), paneltest.SweepHeights()
	if testing.Short() {
		ws, hs = []int{10, 11, 12, 13, 20, 29, 30, 40, 59, 60, 80, 120, 250}, []int{3, 4, 5, 6, 7, 9, 12, 20, 70}
	}
	for _, np := range d.Panels() {
		t.Run(np.Name, func(t *testing.T) {
			t.Parallel()
			fails := 0
			for _, w := range ws {
				for _, h := range hs {
					if !paneltest.CheckBlock(t, np.Name, np.Panel.Render(w, h), w, h) {
						if fails++; fails > 5 {
							t.Fatal("too many failures")
						}
					}
				}
			}
		})
	}
}

// TestPanelInvariantsTiny covers sizes below the sweep, down to nothing.
func TestPanelInvariantsTiny(t *testing.T) {
	d := paneltest.New("mono")
	for _, np := range d.Panels() {
		for w := -1; w <= 12; w++ {
			for h := -1; h <= 4; h++ {
				paneltest.CheckBlock(t, np.Name, np.Panel.Render(w, h), w, h)
			}
		}
	}
}

// TestEmptyPanelInvariants checks panels that have no data yet.
func TestEmptyPanelInvariants(t *testing.T) {
	st := paneltest.Styles("nvidia")
	panels := map[string]interface{ Render(int, int) string }{
		"header": panel.NewHeader(st), "throughput": panel.NewThroughput(st), "latency": panel.NewLatency(st),
		"progress": panel.NewProgress(st), "engine": panel.NewEngine(st), "devices": panel.NewDevices(st),
		"history": panel.NewHistory(st), "compare": panel.NewCompare(st), "help": panel.NewHelp(st), "hints": panel.NewHints(st),
		"result": panel.NewResult(st), "trend": panel.NewTrend(st), "requests": panel.NewRequests(st),
	}
	for name, p := range panels {
		for _, w := range []int{1, 5, 10, 12, 20, 40, 80, 250} {
			for _, h := range []int{1, 2, 3, 4, 10, 70} {
				paneltest.CheckBlock(t, name, p.Render(w, h), w, h)
			}
		}
	}
}

// TestHostileData feeds values and names a real run should not produce (NaN, huge and
// negative numbers, wide and combining characters, empty strings) and checks the
// rendering contract still holds.
func TestHostileData(t *testing.T) {
	st := paneltest.Styles("nvidia")
	nan, inf := math.NaN(), math.Inf(1)
	long := "模型-名称-非常长的名字-🚀-e\u0301-" + strings.Repeat("x", 300)

	h := panel.NewHeader(st)
	h.Model, h.DType, h.Device, h.RunID, h.Detail = long, long, long, long, long
	h.State, h.Spinner, h.LoadProgress = panel.StateLoading, "⣾ ", 7
	h.Settings = panel.Settings{Batch: -1, ISL: 1 << 40, OSL: 0, Requests: math.MaxInt32, Concurrency: -5}
	h.SetPending(panel.Settings{Batch: 1 << 30})

	tp := panel.NewThroughput(st)
	for i, v := range []float64{nan, inf, -5, 1e15, 0, 3} {
		tp.Add(float64(i), v, -v)
	}
	tp.Add(-1, 5, 5) // out of order: ignored

	lat := panel.NewLatency(st)
	lat.SetDistribution(panel.MetricTTFT, []float64{nan, inf, -1, 1e12, 0, 0, 0}, panel.LatencyStats{N: 5, Max: 1e12, P99: 1e12, P90: nan, Mean: inf})
	lat.SetDistribution(panel.MetricTPOT, []float64{1e-9}, panel.LatencyStats{N: 1, Min: 1e-9, Max: 1e-9})
	lat.SetDistribution(panel.MetricITL, nil, panel.LatencyStats{N: 3, P50: nan, P99: -4})
	lat.Split = panel.TTFTSplit{QueueP50: nan, PrefillP50: -inf, OK: true}

	tr := panel.NewTrend(st)
	tr.Bucket = -1
	tr.SetSeries(panel.MetricTTFT, panel.TrendSeries{T: []float64{nan, 1, 0}, P50: []float64{inf, nan, -1}, P99: []float64{1e15}, Part: []float64{3}})
	tr.SetBaseline(long, panel.MetricTTFT, panel.TrendSeries{T: []float64{5}, P50: []float64{nan}})

	res := panel.NewResult(st)
	res.Run, res.State, res.BaseName, res.HasBase, res.Mismatch = long, panel.RunState(-3), long, true, long
	res.Figures = panel.Figures{OutputTokS: inf, ReqS: -1, TTFTp50: nan, Completed: -5, Failed: 1 << 40}
	res.Base = panel.Figures{OutputTokS: 0, ReqS: nan, TTFTp50: 1e300}

	rq := panel.NewRequests(st)
	rq.Run = long
	rq.SetRows([]panel.RequestRow{{Index: -1, StartMS: nan, EndMS: inf, Status: long, Error: long},
		{Index: 3, StartMS: 5, AdmitMS: 2, FirstMS: 1e18, EndMS: -4, TTFT: nan, E2E: inf}}, nan)
	rq.SetDetail(-1, []float64{nan, 3}, []float64{inf, -2, nan})

	pr := panel.NewProgress(st)
	pr.Completed, pr.Total, pr.Failed, pr.Canceled, pr.Phase = 900, 10, 1<<20, -7, long
	pr.InputTokens, pr.OutputTokens, pr.Elapsed = -1, 1<<62, -time.Second

	en := panel.NewEngine(st)
	en.Push(-3, 1<<30, nan, 250)
	en.Push(5, 0, inf, -20)

	dv := panel.NewDevices(st)
	dv.SetDevices([]panel.DeviceView{
		{Name: long, Util: []float64{nan, 500, -50}, MemUsed: []float64{inf}, MemTotal: -1, HasPower: true, PowerW: nan, HasTemp: true, TempC: 1e9},
		{},
	})

	hi := panel.NewHistory(st)
	hi.SetRows([]panel.RunRow{{ID: long, Model: long, Figures: panel.Figures{OutputTokS: nan, TTFTp50: inf}, State: panel.RunState(99)}, {}})
	hi.ToggleMark()
	cmp := panel.NewCompare(st)
	cmp.Set(panel.RunRow{ID: long, Model: long, Dataset: long, Figures: panel.Figures{OutputTokS: -1}, State: panel.StateCanceled},
		panel.RunRow{ISL: -1, Figures: panel.Figures{OutputTokS: inf, ReqS: nan}})

	help := panel.NewHelp(st)
	help.Note = long
	help.SetGroups([]panel.HelpGroup{{Title: long, Keys: []panel.HelpKey{{Key: long, Desc: long}, {Key: "", Desc: ""}, {Key: "x", Desc: long, Disabled: true, Why: long}}}, {}})
	hints := panel.NewHints(st)
	hints.Keys, hints.Status = []panel.HelpKey{{Key: long, Desc: long}, {Key: "?", Desc: long, Disabled: true}}, long

	panels := map[string]interface{ Render(int, int) string }{
		"header": h, "throughput": tp, "latency": lat, "progress": pr, "engine": en,
		"devices": dv, "history": hi, "compare": cmp, "help": help, "hints": hints,
		"trend": tr, "result": res, "requests": rq,
	}
	for name, p := range panels {
		for _, w := range []int{1, 3, 10, 13, 27, 41, 80, 133, 250} {
			for _, hh := range []int{1, 2, 3, 5, 8, 17, 70} {
				paneltest.CheckBlock(t, name, p.Render(w, hh), w, hh)
			}
		}
	}
	for m := panel.LatencyMetric(0); m < panel.NumMetrics; m++ {
		lat.Metric = m
		paneltest.CheckBlock(t, "latency "+m.String(), lat.Render(60, 14), 60, 14)
	}
}

// TestRenderIsPure checks that rendering does not change what the next render shows.
func TestRenderIsPure(t *testing.T) {
	d := paneltest.New("nvidia")
	for _, np := range d.Panels() {
		a := np.Panel.Render(90, 20)
		np.Panel.Render(33, 7)
		if b := np.Panel.Render(90, 20); a != b {
			t.Errorf("%s renders differently the second time", np.Name)
		}
	}
}
