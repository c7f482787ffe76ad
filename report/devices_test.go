package report

import (
	"strings"
	"testing"

	"github.com/benchtui/benchtui/engine"
	"github.com/benchtui/benchtui/telemetry"
)

// A model split over two of eight GPUs (--tp 2) and the CPU: every device that holds
// weights is listed with its share, each GPU with the telemetry of the GPU CUDA maps it to.
func TestNewDeviceShares(t *testing.T) {
	var sum telemetry.RunSummary
	for i := range 8 {
		u := float64(10 * (i + 1))
		sum.Devices = append(sum.Devices, telemetry.DeviceSummary{Device: telemetry.Device{Index: i, Name: "NVIDIA H100 80GB HBM3", Kind: telemetry.KindGPU}, AvgUtilPercent: &u})
	}
	devs := []engine.Device{{Name: "CPU", Type: "cpu", ModelBytes: 1 << 20}}
	for i := range 8 {
		d := engine.Device{Name: "CUDA" + string(rune('0'+i)), Type: "gpu", Description: "NVIDIA H100 80GB HBM3"}
		if i < 2 {
			d.ModelBytes = 7 << 30
		}
		devs = append(devs, d)
	}
	got := NewDeviceShares(devs, []int{3, 2, 1, 0, 4, 5, 6, 7}, &sum)
	if len(got) != 3 {
		t.Fatalf("%d devices, want the CPU and two GPUs: %+v", len(got), got)
	}
	total := float64(14<<30 + 1<<20)
	if got[1].Name != "CUDA0" || *got[1].GPUIndex != 3 || *got[1].AvgUtilPercent != 40 || got[1].WeightShare != float64(7<<30)/total {
		t.Errorf("CUDA0 %+v: want NVML GPU 3 at 40%% and its share", got[1])
	}
	if got[2].Name != "CUDA1" || *got[2].GPUIndex != 2 || *got[2].AvgUtilPercent != 30 {
		t.Errorf("CUDA1 %+v: want NVML GPU 2 at 30%%", got[2])
	}
	if got[0].GPUIndex != nil || got[0].WeightShare != float64(1<<20)/total {
		t.Errorf("CPU %+v", got[0])
	}
	// Without CUDA's order, NVML's.
	if g := NewDeviceShares(devs, nil, &sum); *g[1].GPUIndex != 0 || *g[2].GPUIndex != 1 {
		t.Errorf("in NVML order: %v, %v", *g[1].GPUIndex, *g[2].GPUIndex)
	}
	// One device holding everything is no split.
	if g := NewDeviceShares(devs[:1], nil, nil); g != nil {
		t.Errorf("one device: %+v", g)
	}
	var b strings.Builder
	writeDevicesSection(&b, got)
	for _, want := range []string{"DEVICES", "CUDA0", "7168.0 MiB", "50.0%", "40.0%"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, b.String())
		}
	}
}
