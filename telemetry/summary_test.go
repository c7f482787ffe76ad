package telemetry

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// runRecording is a hand-made run from 0.5 s to 2.5 s with samples at 0, 1, 2 and 3 s.
// GPU 0 has an energy counter; GPU 1 only power. The samples at 0 s and 3 s are outside the
// run and carry extreme utilisation and memory, so they must not count.
func runRecording() Recording {
	gpu0 := []Sample{
		{Time: at(0), UtilPercent: 100, MemUsedBytes: 70 << 30, PowerW: 999, EnergyMJ: 0},
		{Time: at(1), UtilPercent: 40, MemUsedBytes: 10 << 30, PowerW: 150, EnergyMJ: 100_000},
		{Time: at(2), UtilPercent: 80, MemUsedBytes: 20 << 30, PowerW: 250, EnergyMJ: 250_000},
		{Time: at(3), UtilPercent: 100, MemUsedBytes: 70 << 30, PowerW: 999, EnergyMJ: 450_000},
	}
	for i := range gpu0 {
		gpu0[i].Valid = FieldUtil | FieldMemUsed | FieldPower | FieldEnergy
	}
	power1 := []float64{100, 200, 200, 100}
	var gpu1 []Sample
	for i, p := range power1 {
		gpu1 = append(gpu1, Sample{Time: at(float64(i)), PowerW: p, UtilPercent: 50, Valid: FieldPower | FieldUtil})
	}
	return Recording{
		Source:   "nvml",
		Interval: time.Second,
		Devices:  []Device{{Index: 0, Name: "GPU A", Kind: KindGPU}, {Index: 1, Name: "GPU B", Kind: KindGPU}},
		Start:    at(0.5),
		End:      at(2.5),
		Samples:  [][]Sample{gpu0, gpu1},
	}
}

func TestSummarize(t *testing.T) {
	sum := Summarize(runRecording(), 1350)
	if sum.DurationS != 2 || sum.Source != "nvml" || len(sum.Devices) != 2 {
		t.Fatalf("summary = %+v", sum)
	}
	g0, g1 := sum.Devices[0], sum.Devices[1]
	if g0.Samples != 2 || g1.Samples != 2 {
		t.Errorf("samples inside the run = %d, %d; want 2, 2", g0.Samples, g1.Samples)
	}
	// GPU 0: utilisation 40 and 80 inside the run; memory 10 and 20 GiB; power 150 and 250.
	wantFloat(t, "GPU 0 avg util", g0.AvgUtilPercent, 60)
	wantFloat(t, "GPU 0 peak util", g0.PeakUtilPercent, 80)
	wantFloat(t, "GPU 0 peak mem", g0.PeakMemUsedBytes, 20<<30)
	wantFloat(t, "GPU 0 avg power", g0.AvgPowerW, 200)
	wantFloat(t, "GPU 0 peak power", g0.PeakPowerW, 250)
	// The counter, interpolated: 50 000 mJ at 0.5 s, 350 000 mJ at 2.5 s, so 300 J.
	wantFloat(t, "GPU 0 energy", g0.EnergyJ, 300)
	if g0.EnergyMethod != EnergyFromCounter {
		t.Errorf("GPU 0 energy method = %q", g0.EnergyMethod)
	}
	// GPU 1: power 150 W at 0.5 s, 200 W from 1 s to 2 s, 150 W at 2.5 s:
	// 0.5*(150+200)/2 + 1*200 + 0.5*(200+150)/2 = 87.5 + 200 + 87.5 = 375 J.
	wantFloat(t, "GPU 1 energy", g1.EnergyJ, 375)
	if g1.EnergyMethod != EnergyFromPower {
		t.Errorf("GPU 1 energy method = %q", g1.EnergyMethod)
	}
	wantNA(t, "GPU 1 peak mem", g1.PeakMemUsedBytes)
	// 675 J over 1350 tokens.
	wantFloat(t, "energy", sum.EnergyJ, 675)
	wantFloat(t, "J/token", sum.JoulesPerToken, 0.5)

	text := sum.String()
	for _, want := range []string{"energy 675.0 J", "0.5000 J/token", "util avg 60% peak 80%",
		"peak mem 20.0 GiB", "peak mem n/a", "(counter)", "(power)"} {
		if !strings.Contains(text, want) {
			t.Errorf("String lacks %q:\n%s", want, text)
		}
	}
	b, err := json.Marshal(sum)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"j_per_token":0.5`) || !strings.Contains(string(b), `"peak_mem_used_bytes":null`) {
		t.Errorf("JSON = %s", b)
	}
}

func TestSummarizeCounterResetFallsBackToPower(t *testing.T) {
	rec := runRecording()
	rec.Samples[0][2].EnergyMJ = 10 // the driver reloaded: the counter went back
	g0 := Summarize(rec, 0).Devices[0]
	// Power 999 at 0 s, 150, 250, 999 at 3 s: at 0.5 s (999+150)/2 = 574.5, at 2.5 s
	// (250+999)/2 = 624.5. 0.5*(574.5+150)/2 + 1*(150+250)/2 + 0.5*(250+624.5)/2
	// = 181.125 + 200 + 218.625 = 599.75 J.
	wantFloat(t, "GPU 0 energy", g0.EnergyJ, 599.75)
	if g0.EnergyMethod != EnergyFromPower {
		t.Errorf("energy method = %q, want power", g0.EnergyMethod)
	}
}

func TestSummarizeWithoutEnergy(t *testing.T) {
	rec := Recording{
		Source:  "host",
		Devices: []Device{{Name: "CPU", Kind: KindCPU}},
		Start:   at(0), End: at(2),
		Samples: [][]Sample{{
			{Time: at(0), MemUsedBytes: 1 << 30, MemTotalBytes: 4 << 30, Valid: FieldMemUsed | FieldMemTotal},
			{Time: at(1), UtilPercent: 25, MemUsedBytes: 2 << 30, MemTotalBytes: 4 << 30, Valid: FieldUtil | FieldMemUsed | FieldMemTotal},
			{Time: at(2), UtilPercent: 75, MemUsedBytes: 3 << 30, MemTotalBytes: 4 << 30, Valid: FieldUtil | FieldMemUsed | FieldMemTotal},
		}},
	}
	sum := Summarize(rec, 100)
	d := sum.Devices[0]
	wantFloat(t, "avg util", d.AvgUtilPercent, 50)
	wantFloat(t, "peak mem", d.PeakMemUsedBytes, 3<<30)
	wantNA(t, "energy", d.EnergyJ)
	wantNA(t, "avg power", d.AvgPowerW)
	wantNA(t, "total energy", sum.EnergyJ)
	wantNA(t, "J/token", sum.JoulesPerToken)
	if text := sum.String(); !strings.Contains(text, "energy n/a, n/a") || !strings.Contains(text, "power avg n/a") {
		t.Errorf("String:\n%s", text)
	}
	// One device without energy makes the total n/a rather than an undercount.
	mixed := runRecording()
	mixed.Devices = append(mixed.Devices, Device{Index: 2, Kind: KindGPU})
	mixed.Samples = append(mixed.Samples, []Sample{{Time: at(1), Valid: FieldUtil}})
	if s := Summarize(mixed, 10); s.EnergyJ != nil || s.Devices[0].EnergyJ == nil {
		t.Errorf("mixed energy: total %v, GPU 0 %v", s.EnergyJ, s.Devices[0].EnergyJ)
	}
	// No output tokens: energy is known, energy per token is not.
	if s := Summarize(runRecording(), 0); s.EnergyJ == nil || s.JoulesPerToken != nil {
		t.Errorf("zero tokens: energy %v, J/token %v", s.EnergyJ, s.JoulesPerToken)
	}
}

func TestSummarizeFromMonitor(t *testing.T) {
	// Power steps 100, 200, 300, ... W at 0, 1, 2, ... s; no energy counter.
	src := newFakeSource(1, func(n int, dst []Sample) error {
		dst[0].PowerW, dst[0].Valid = float64(100*(n+1)), FieldPower
		return nil
	})
	m := NewMonitor(src, Options{Capacity: 100, Now: newStepClock(time.Second).now})
	for range 6 {
		m.SampleNow()
	}
	// Over [1 s, 4 s] power rises linearly from 200 to 500 W: (200+500)/2 * 3 = 1050 J.
	sum := Summarize(m.Window(at(1), at(4)), 2100)
	wantFloat(t, "energy", sum.EnergyJ, 1050)
	wantFloat(t, "J/token", sum.JoulesPerToken, 0.5)
}

func TestNewSeries(t *testing.T) {
	rec := runRecording()
	rec.Samples[1][1].Valid &^= FieldPower // one missing power reading
	s := NewSeries(rec)
	if s.Source != "nvml" || s.IntervalMS != 1000 {
		t.Errorf("series header = %+v", s)
	}
	// Only the samples at 1 s and 2 s are inside [0.5 s, 2.5 s]: 500 and 1500 ms after start.
	if len(s.TimesMS) != 2 || s.TimesMS[0] != 500 || s.TimesMS[1] != 1500 {
		t.Fatalf("times = %v", s.TimesMS)
	}
	g0, g1 := s.Devices[0], s.Devices[1]
	if len(g0.UtilPercent) != 2 || *g0.UtilPercent[0] != 40 || *g0.UtilPercent[1] != 80 {
		t.Errorf("GPU 0 util = %v", g0.UtilPercent)
	}
	if *g0.MemUsedBytes[1] != 20<<30 || g0.TempC != nil || g1.MemUsedBytes != nil {
		t.Errorf("GPU 0 mem %v temp %v, GPU 1 mem %v", g0.MemUsedBytes, g0.TempC, g1.MemUsedBytes)
	}
	if g1.PowerW[0] != nil || *g1.PowerW[1] != 200 {
		t.Errorf("GPU 1 power = %v, want [null 200]", g1.PowerW)
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	js := string(b)
	for _, want := range []string{`"t_ms":[500,1500]`, `"power_w":[null,200]`, `"util_pct":[40,80]`} {
		if !strings.Contains(js, want) {
			t.Errorf("JSON lacks %s: %s", want, js)
		}
	}
	if strings.Contains(js, "temp_c") {
		t.Errorf("JSON has a temperature no sample had: %s", js)
	}
	var back Series
	if err := json.Unmarshal(b, &back); err != nil || len(back.Devices) != 2 || back.Devices[1].PowerW[0] != nil {
		t.Errorf("round trip: %v %+v", err, back)
	}

	empty := NewSeries(Recording{Devices: []Device{{Name: "x"}}, Samples: [][]Sample{nil}})
	if b, err := json.Marshal(empty); err != nil || !strings.Contains(string(b), `"t_ms":[]`) {
		t.Errorf("empty series JSON = %s, %v", b, err)
	}
}
