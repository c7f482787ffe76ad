package telemetry

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestLookupBandwidth(t *testing.T) {
	cases := []struct {
		name  string
		tbps  float64
		entry string
	}{
		{"NVIDIA H100 80GB HBM3", 3.35, "H100 SXM"},
		{"NVIDIA H100 PCIe", 2.0, "H100 PCIe"},
		{"NVIDIA H100 NVL", 3.9, "H100 NVL"},
		{"NVIDIA H200", 4.8, "H200"},
		{"NVIDIA H200 NVL", 4.8, "H200"},
		{"NVIDIA GH200 480GB", 4.0, "GH200 (HBM3)"},
		{"NVIDIA B200", 8.0, "B200"},
		{"NVIDIA A100-SXM4-40GB", 1.555, "A100 40GB"},
		{"NVIDIA A100-SXM4-80GB", 2.039, "A100 80GB"},
		{"NVIDIA A100 80GB PCIe", 2.039, "A100 80GB"},
		{"NVIDIA L40S", 0.864, "L40S"},
		{"NVIDIA L4", 0.3, "L4"},
		{"NVIDIA A10", 0.6, "A10"},
		{"NVIDIA A10G", 0.6, "A10G"},
		{"NVIDIA GeForce RTX 4090", 1.008, "RTX 4090"},
		{"NVIDIA GeForce RTX 3090", 0.936, "RTX 3090"},
		{"NVIDIA GeForce RTX 3090 Ti", 1.008, "RTX 3090 Ti"},
		{"Tesla V100-SXM2-16GB", 0.9, "V100"},
	}
	for _, c := range cases {
		got, entry, ok := LookupBandwidth(c.name)
		if !ok || !near(got, c.tbps*1e12, 1e-12) || entry != c.entry {
			t.Errorf("LookupBandwidth(%q) = %g %q %v, want %g TB/s %q", c.name, got, entry, ok, c.tbps, c.entry)
		}
	}
	for _, name := range []string{"NVIDIA L40", "NVIDIA GeForce RTX 4080", "NVIDIA T4", ""} {
		if got, entry, ok := LookupBandwidth(name); ok {
			t.Errorf("LookupBandwidth(%q) = %g %q, want no match", name, got, entry)
		}
	}
}

func TestNVMLBandwidth(t *testing.T) {
	// H100 SXM: 2619 MHz × 5120 bit × 2 / 8 = 2619e6 × 1280 B = 3.35232e12 B/s.
	if got := NVMLBandwidth(2619, 5120); got != 3.35232e12 {
		t.Errorf("NVMLBandwidth(2619, 5120) = %g", got)
	}
	// RTX 4090 (GDDR6X, NVML reports the effective clock): 10501 MHz × 384 bit / 4 = 1.008096e12.
	if got := NVMLBandwidth(10501, 384); got != 1.008096e12 {
		t.Errorf("NVMLBandwidth(10501, 384) = %g", got)
	}
	if NVMLBandwidth(0, 5120) != 0 || NVMLBandwidth(2619, 0) != 0 {
		t.Error("unknown clock or width gave a bandwidth")
	}
}

func TestGPURooflineFromMock(t *testing.T) {
	m := describeMachine(newDGX(t), "testdata/proc")
	r := GPURoofline(m.GPUs)
	// Eight H100 SXM from the table: 8 × 3.35 TB/s.
	if !near(r.BandwidthBytesPerSec, 8*3.35e12, 1e-12) || r.Source != "table" || r.Estimate || r.Note != "" {
		t.Errorf("roofline = %+v", r)
	}
	if got := r.String(); got != "memory bandwidth: 26.80 TB/s (table)" {
		t.Errorf("String = %q", got)
	}
	if len(r.GPUs) != 8 || r.GPUs[0].NVMLBytesPerSec != 3.35232e12 || r.GPUs[0].Used != "table" || r.GPUs[0].Disagree {
		t.Errorf("GPU 0 = %+v", r.GPUs[0])
	}
	// One GPU batch-1 decode of 16 GB of weights: 2 × 3.35e12 / 16e9 per two GPUs.
	two := GPURoofline(m.GPUs[:2])
	if got := two.DecodeTokensPerSec(16e9, 0, 1, 0); !near(got, 418.75, 1e-12) {
		t.Errorf("2×H100 decode = %g tok/s, want 418.75", got)
	}
}

func TestGPURooflineDisagreementAndFallbacks(t *testing.T) {
	// An H100 SXM name with PCIe-like clocks: NVML gives 1593 MHz × 5120 / 4 = 2.03904e12,
	// 39% below the table's 3.35e12.
	r := GPURoofline([]GPUInfo{{Index: 0, Name: "NVIDIA H100 80GB HBM3", MemoryClockMaxMHz: 1593, MemoryBusWidthBits: 5120}})
	if r.BandwidthBytesPerSec != 3.35e12 || !r.GPUs[0].Disagree || r.GPUs[0].NVMLBytesPerSec != 2.03904e12 ||
		!strings.Contains(r.Note, "table 3.35 TB/s and NVML 2.04 TB/s differ by 39%; using the table") {
		t.Errorf("disagreeing roofline = %+v", r)
	}
	// A GPU not in the table uses NVML: 1000 MHz × 256 bit / 4 = 64e9.
	r = GPURoofline([]GPUInfo{
		{Index: 0, Name: "NVIDIA Future GPU", MemoryClockMaxMHz: 1000, MemoryBusWidthBits: 256},
		{Index: 1, Name: "NVIDIA L4"},
	})
	if !near(r.BandwidthBytesPerSec, 64e9+0.3e12, 1e-12) || r.Source != "table+nvml" || r.GPUs[0].Used != "nvml" {
		t.Errorf("mixed roofline = %+v", r)
	}
	// A GPU with neither makes the total unknown rather than too low.
	r = GPURoofline([]GPUInfo{{Index: 0, Name: "NVIDIA L4"}, {Index: 1, Name: "Mystery"}})
	if r.BandwidthBytesPerSec != 0 || r.Source != "unknown" || !strings.Contains(r.Note, "GPU 1 (Mystery)") {
		t.Errorf("unknown roofline = %+v", r)
	}
	if got := r.DecodeTokensPerSec(1e9, 0, 1, 0); got != 0 {
		t.Errorf("decode with unknown bandwidth = %g", got)
	}
	if !strings.Contains(r.String(), "n/a") {
		t.Errorf("String = %q", r.String())
	}
	if r := GPURoofline(nil); r.BandwidthBytesPerSec != 0 || r.Source != "unknown" {
		t.Errorf("no GPUs = %+v", r)
	}
}

func TestDecodeTokensPerSec(t *testing.T) {
	r := Roofline{BandwidthBytesPerSec: 1e12, Source: "table"}
	// 1 GB of weights at 1 TB/s: 1 ms a step, 1000 tokens/s at batch 1.
	if got := r.DecodeTokensPerSec(1e9, 0, 1, 0); got != 1000 {
		t.Errorf("batch 1 = %g, want 1000", got)
	}
	// Batch 4 with 1000 tokens of context each at 250 000 B/token: 1e9 + 1e9 bytes, 2 ms a step,
	// 4 tokens a step = 2000 tokens/s.
	if got := r.DecodeTokensPerSec(1e9, 250_000, 4, 4000); got != 2000 {
		t.Errorf("batch 4 = %g, want 2000", got)
	}
	// Llama 3.1 8B in f16 on an H100 SXM: 16e9 weight bytes, 131072 KV bytes per token
	// (32 layers × 8 KV heads × 128 × 2 (K and V) × 2 bytes), batch 8 at 2048 tokens each:
	// 8 × 3.35e12 / (16e9 + 131072 × 16384) = 8 × 3.35e12 / 18147483648 = 1476.7888 tok/s.
	h100 := Roofline{BandwidthBytesPerSec: 3.35e12}
	if got := h100.DecodeTokensPerSec(16e9, 131072, 8, 8*2048); !near(got, 1476.788766962387, 1e-12) {
		t.Errorf("8B batch 8 = %.10g, want 1476.788767", got)
	}
	for _, c := range []struct {
		w, kv float64
		b     int
		ctx   int64
	}{{1e9, 0, 0, 0}, {0, 0, 1, 0}, {1e9, 0, -1, 0}} {
		if got := r.DecodeTokensPerSec(c.w, c.kv, c.b, c.ctx); got != 0 {
			t.Errorf("DecodeTokensPerSec(%+v) = %g, want 0", c, got)
		}
	}
	b, err := json.Marshal(h100)
	if err != nil || !strings.Contains(string(b), `"bandwidth_bytes_per_s":3350000000000`) {
		t.Errorf("JSON = %s %v", b, err)
	}
}

func TestMeasureHostBandwidth(t *testing.T) {
	start := time.Now()
	bw, err := MeasureHostBandwidth(context.Background(), 0, 0)
	elapsed := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("host copy bandwidth %.2f GB/s in %v", bw/1e9, elapsed)
	// Any machine that runs these tests moves more than 100 MB/s and less than 10 TB/s.
	if bw < 1e8 || bw > 1e13 {
		t.Errorf("bandwidth %g B/s is not plausible", bw)
	}
	// The budget bounds the repetitions, not wall time (CI runs packages side by side on two
	// cores), so it is checked by counting: a spent budget stops after the one repetition
	// always timed, a generous one runs them all.
	if _, reps, err := measureHostBandwidth(context.Background(), 4<<20, time.Nanosecond); err != nil || reps != 1 {
		t.Errorf("a 1 ns budget timed %d repetitions (%v), want 1", reps, err)
	}
	if _, reps, err := measureHostBandwidth(context.Background(), 4<<20, time.Hour); err != nil || reps != maxBandwidthReps {
		t.Errorf("a 1 h budget timed %d repetitions (%v), want %d", reps, err, maxBandwidthReps)
	}
	r := HostRoofline(bw)
	if !r.Estimate || r.Source != "measured" || !strings.Contains(r.String(), "GB/s (measured, estimate)") {
		t.Errorf("host roofline = %+v", r)
	}
	if _, err := MeasureHostBandwidth(context.Background(), 1024, 0); err == nil {
		t.Error("a 1 KiB measurement was accepted")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := MeasureHostBandwidth(ctx, 4<<20, 0); err == nil {
		t.Error("a cancelled measurement succeeded")
	}
}

func TestFormatting(t *testing.T) {
	for v, want := range map[float64]string{512: "512 B", 1536: "1.5 KiB", 80 << 30: "80.0 GiB", 3 << 40: "3.0 TiB"} {
		if got := FormatBytes(v); got != want {
			t.Errorf("FormatBytes(%g) = %q, want %q", v, got, want)
		}
	}
	if got := (FieldUtil | FieldPower).String(); got != "util|power" {
		t.Errorf("Field String = %q", got)
	}
	if got := Field(0).String(); got != "none" {
		t.Errorf("empty Field String = %q", got)
	}
	s := Sample{Valid: FieldEnergy | FieldTemp, EnergyMJ: 12345, TempC: 61}
	if s.Format(FieldEnergy) != "12.3 J" || s.Format(FieldTemp) != "61 °C" || s.Format(FieldUtil|FieldTemp) != "n/a" {
		t.Errorf("Format: %q %q %q", s.Format(FieldEnergy), s.Format(FieldTemp), s.Format(FieldUtil|FieldTemp))
	}
}
