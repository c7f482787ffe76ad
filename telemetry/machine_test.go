package telemetry

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
)

func TestDescribeMachineWithNVML(t *testing.T) {
	d := newDGX(t)
	m := describeMachine(d, "testdata/proc")
	if m.CPUModel != "Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz" || m.CPUCores != 4 || m.CPUThreads != 8 ||
		m.RAMBytes != 32768000*1024 {
		t.Errorf("host = %q %d cores %d threads %d bytes", m.CPUModel, m.CPUCores, m.CPUThreads, m.RAMBytes)
	}
	if m.DriverVersion != "550.54.15" || m.CUDAVersion != "12.4" || m.GPUNote != "" {
		t.Errorf("driver %q CUDA %q note %q", m.DriverVersion, m.CUDAVersion, m.GPUNote)
	}
	if len(m.GPUs) != 8 {
		t.Fatalf("%d GPUs, want 8", len(m.GPUs))
	}
	for i, g := range m.GPUs {
		if g.Index != i || g.Name != "NVIDIA H100 80GB HBM3" || g.MemoryTotalBytes != 81920<<20 ||
			g.MemoryClockMaxMHz != 2619 || g.MemoryBusWidthBits != 5120 || g.ComputeCapability != "9.0" ||
			!strings.HasPrefix(g.UUID, "GPU-") {
			t.Errorf("GPU %d = %+v", i, g)
		}
	}
	if n := len(d.ShutdownCalls()); n != len(d.InitCalls()) {
		t.Errorf("Init %d times, Shutdown %d", len(d.InitCalls()), n)
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"cuda_version":"12.4"`, `"memory_bus_width_bits":5120`, `"cpu_cores":4`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON lacks %s: %s", want, b)
		}
	}
	if s := m.String(); !strings.Contains(s, "GPU 7: NVIDIA H100 80GB HBM3, memory 80.0 GiB, max memory clock 2619 MHz, bus 5120 bit") ||
		!strings.Contains(s, "driver 550.54.15, CUDA 12.4") {
		t.Errorf("String:\n%s", s)
	}
}

func TestDescribeMachineGPUWithoutDetails(t *testing.T) {
	d := newDGX(t)
	d.dev(1).GetMemoryBusWidthFunc = func() (uint32, nvml.Return) { return 0, nvml.ERROR_NOT_SUPPORTED }
	d.dev(1).GetMaxClockInfoFunc = func(nvml.ClockType) (uint32, nvml.Return) { return 0, nvml.ERROR_NOT_SUPPORTED }
	m := describeMachine(d, "testdata/proc")
	g := m.GPUs[1]
	if g.Name == "" || g.MemoryTotalBytes == 0 || g.MemoryBusWidthBits != 0 || g.MemoryClockMaxMHz != 0 {
		t.Errorf("GPU 1 = %+v", g)
	}
	if s := m.String(); !strings.Contains(s, "GPU 1: NVIDIA H100 80GB HBM3, memory 80.0 GiB, max memory clock n/a, bus n/a") {
		t.Errorf("String:\n%s", s)
	}
}

func TestDescribeMachineWithoutNVML(t *testing.T) {
	d := newDGX(t)
	d.InitFunc = func() nvml.Return { return nvml.ERROR_LIBRARY_NOT_FOUND }
	m := describeMachine(d, "testdata/proc")
	if len(m.GPUs) != 0 || !strings.Contains(m.GPUNote, "ERROR_LIBRARY_NOT_FOUND") || m.DriverVersion != "" {
		t.Errorf("GPUs %v note %q driver %q", m.GPUs, m.GPUNote, m.DriverVersion)
	}
	if m.CPUThreads != 8 || m.RAMBytes == 0 {
		t.Errorf("host not described: %+v", m)
	}
	b, _ := json.Marshal(m)
	if !strings.Contains(string(b), `"gpus":[]`) {
		t.Errorf("JSON = %s", b)
	}
	if s := m.String(); !strings.Contains(s, "GPUs: none (no GPU details: nvml init: ERROR_LIBRARY_NOT_FOUND)") {
		t.Errorf("String:\n%s", s)
	}

	// ARM cpuinfo has no core ids: each logical CPU counts as a core.
	arm := describeMachine(d, "testdata/proc-arm")
	if arm.CPUModel != "Example SoC" || arm.CPUCores != 4 || arm.CPUThreads != 4 || arm.RAMBytes != 0 {
		t.Errorf("arm = %+v", arm)
	}
}

func TestDescribeThisMachine(t *testing.T) {
	m := DescribeMachine(nil)
	t.Logf("%s", m)
	if m.CPUThreads < 1 || m.CPUCores < 1 || m.RAMBytes == 0 || m.OS == "" {
		t.Errorf("host = %+v", m)
	}
	if len(m.GPUs) == 0 && m.GPUNote == "" {
		t.Error("no GPU and no note saying why")
	}
	for _, g := range m.GPUs {
		if g.Name == "" || g.MemoryTotalBytes == 0 {
			t.Errorf("GPU %+v", g)
		}
		r := GPURoofline([]GPUInfo{g})
		t.Logf("GPU %d: %s", g.Index, r)
	}
}
