package report

import (
	"strings"
	"testing"

	"github.com/benchtui/benchtui/engine"
	"github.com/benchtui/benchtui/telemetry"
)

func TestNewSpeedOfLight(t *testing.T) {
	r := telemetry.HostRoofline(1e9) // 1 GB/s
	series := []engine.Snapshot{
		{Running: 0, KVUsedCells: 999}, // idle snapshots do not count
		{Running: 2, KVUsedCells: 100},
		{Running: 4, KVUsedCells: 300},
	}
	sol := NewSpeedOfLight(r, 1e6, 10, series, 1500)
	if sol == nil {
		t.Fatal("no speed of light")
	}
	if sol.MeanBatch != 3 || sol.MeanContextTokens != 200 {
		t.Errorf("mean batch %g, context %g; want 3 and 200", sol.MeanBatch, sol.MeanContextTokens)
	}
	// One step reads 1e6 + 10*200 bytes and makes 3 tokens: 3e9/1.002e6 tokens/s.
	want := 3 * 1e9 / (1e6 + 10*200)
	if d := sol.RooflineOutputTokS - want; d > 1e-6 || d < -1e-6 {
		t.Errorf("roofline %g tok/s, want %g", sol.RooflineOutputTokS, want)
	}
	if got := 100 * 1500 / want; sol.AchievedPercent != got {
		t.Errorf("achieved %g%%, want %g%%", sol.AchievedPercent, got)
	}
	if NewSpeedOfLight(telemetry.Roofline{}, 1e6, 10, series, 1) != nil {
		t.Error("a speed of light without a bandwidth")
	}
	if NewSpeedOfLight(r, 1e6, 10, series[:1], 1) != nil {
		t.Error("a speed of light without a running batch")
	}
}

func TestWriteSummaryHardware(t *testing.T) {
	r := Build(sampleReportInput())
	if out := summaryText(t, &r); strings.Contains(out, "= HARDWARE") {
		t.Error("a HARDWARE section without hardware")
	}
	r.BenchTUI.Hardware = &Hardware{SpeedOfLight: &SpeedOfLight{Roofline: telemetry.HostRoofline(2e10),
		MeanBatch: 3.5, MeanContextTokens: 120, RooflineOutputTokS: 1000, AchievedPercent: 42.5}}
	out := summaryText(t, &r)
	hw, ds := strings.Index(out, "= HARDWARE\n"), strings.Index(out, "= DATASET DETAILS\n")
	if hw < 0 || hw < ds {
		t.Fatalf("HARDWARE section missing or before DATASET DETAILS:\n%s", out)
	}
	line := "Speed of light (decode, batch 3.5, context 120 tokens): 1000.0 tok/s; achieved 42.5%\n"
	if !strings.Contains(out[hw:], line) || !strings.HasSuffix(out, summaryBanner+"\n") {
		t.Errorf("hardware section:\n%s", out[hw:])
	}
}

func TestEnergy(t *testing.T) {
	e := func(v float64) *float64 { return &v }
	if NewEnergy(telemetry.RunSummary{DurationS: 10}, 100) != nil {
		t.Error("an energy object without energy")
	}
	if NewEnergy(telemetry.RunSummary{EnergyJ: e(500)}, 100) != nil {
		t.Error("an energy object without a duration")
	}
	got := NewEnergy(telemetry.RunSummary{EnergyJ: e(3000), DurationS: 10}, 1500)
	if got == nil || *got != (Energy{TotalEnergyJ: 3000, AverageGPUPower: 300, OutputTPSPerW: 5}) {
		t.Errorf("energy %+v, want 3000 J, 300 W, 5 tok/s/W", got)
	}

	r := Build(sampleReportInput())
	doc, _ := decodeReport(t, &r)
	if _, ok := doc["energy"]; ok {
		t.Error("a report without energy has an energy key")
	}
	r.SetHardware(&Hardware{Summary: telemetry.RunSummary{EnergyJ: e(100), DurationS: 2}})
	doc, _ = decodeReport(t, &r)
	want := map[string]float64{"total_energy_j": 100, "average_gpu_power": 50,
		"output_tps_per_w": r.Performance.SystemOutputThroughputTokS / 50}
	for k, w := range want {
		if v, _ := lookup(doc, "energy", k); v != w {
			t.Errorf("energy.%s = %v, want %v", k, v, w)
		}
	}
	if r.BenchTUI.Hardware == nil {
		t.Error("SetHardware did not keep the hardware section")
	}
}
