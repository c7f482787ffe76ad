package telemetry

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
)

// Machine is the machine section of a report. Empty strings and zero numbers mean "not known"
// and are left out of the JSON.
type Machine struct {
	OS         string `json:"os"`
	Arch       string `json:"arch"`
	CPUModel   string `json:"cpu_model,omitempty"`
	CPUCores   int    `json:"cpu_cores,omitempty"`
	CPUThreads int    `json:"cpu_threads,omitempty"`
	RAMBytes   uint64 `json:"ram_bytes,omitempty"`
	// DriverVersion is the NVIDIA driver's version ("550.54.15").
	DriverVersion string `json:"driver_version,omitempty"`
	// CUDAVersion is the highest CUDA version the driver supports ("12.4").
	CUDAVersion string    `json:"cuda_version,omitempty"`
	GPUs        []GPUInfo `json:"gpus"`
	// GPUNote says why no GPU is listed (no driver, NVML failed), for the user.
	GPUNote string `json:"gpu_note,omitempty"`
}

// GPUInfo describes one GPU. Zero numbers mean NVML did not say.
type GPUInfo struct {
	Index             int    `json:"index"`
	Name              string `json:"name"`
	UUID              string `json:"uuid,omitempty"`
	ComputeCapability string `json:"compute_capability,omitempty"`
	MemoryTotalBytes  uint64 `json:"memory_total_bytes,omitempty"`
	// MemoryClockMaxMHz is the maximum memory clock NVML reports; with MemoryBusWidthBits it
	// gives the theoretical bandwidth (NVMLBandwidth).
	MemoryClockMaxMHz  uint32 `json:"memory_clock_max_mhz,omitempty"`
	MemoryBusWidthBits uint32 `json:"memory_bus_width_bits,omitempty"`
}

// DescribeMachine reads the host from /proc and the GPUs from NVML. Without NVML (no driver,
// or lib fails to initialise) it still describes the host, lists no GPU and says why in
// GPUNote. lib nil means the system's libnvidia-ml.
func DescribeMachine(lib nvml.Interface) Machine {
	return describeMachine(lib, "/proc")
}

func describeMachine(lib nvml.Interface, procRoot string) Machine {
	m := Machine{OS: runtime.GOOS, Arch: runtime.GOARCH, GPUs: []GPUInfo{}}
	if b, err := os.ReadFile(filepath.Join(procRoot, "cpuinfo")); err == nil {
		c := parseCPUInfo(string(b))
		m.CPUModel, m.CPUCores, m.CPUThreads = c.model, c.cores, c.threads
	}
	if m.CPUThreads == 0 {
		m.CPUThreads = runtime.NumCPU()
	}
	if m.CPUCores == 0 {
		// Without core ids (some VMs and ARM kernels) each logical CPU is counted as a core.
		m.CPUCores = m.CPUThreads
	}
	if b, err := os.ReadFile(filepath.Join(procRoot, "meminfo")); err == nil {
		if total, _, ok := parseMeminfo(b); ok {
			m.RAMBytes = total
		}
	}
	if err := describeGPUs(&m, lib); err != nil {
		m.GPUNote = "no GPU details: " + err.Error()
	}
	return m
}

func describeGPUs(m *Machine, lib nvml.Interface) error {
	if lib == nil {
		lib = nvml.New()
	}
	if ret := lib.Init(); ret != nvml.SUCCESS {
		return fmt.Errorf("nvml init: %w", ret)
	}
	defer lib.Shutdown()
	if v, ret := lib.SystemGetDriverVersion(); ret == nvml.SUCCESS {
		m.DriverVersion = v
	}
	if v, ret := lib.SystemGetCudaDriverVersion(); ret == nvml.SUCCESS && v > 0 {
		// NVML encodes CUDA 12.4 as 12040: major*1000 + minor*10.
		m.CUDAVersion = fmt.Sprintf("%d.%d", v/1000, v%1000/10)
	}
	n, ret := lib.DeviceGetCount()
	if ret != nvml.SUCCESS {
		return fmt.Errorf("nvml device count: %w", ret)
	}
	for i := range n {
		h, ret := lib.DeviceGetHandleByIndex(i)
		if ret != nvml.SUCCESS {
			return fmt.Errorf("nvml GPU %d handle: %w", i, ret)
		}
		// Each detail is optional: a GPU that cannot report one (MIG, old driver) is still
		// listed with what it can report.
		g := GPUInfo{Index: i}
		if v, ret := h.GetName(); ret == nvml.SUCCESS {
			g.Name = v
		}
		if v, ret := h.GetUUID(); ret == nvml.SUCCESS {
			g.UUID = v
		}
		if major, minor, ret := h.GetCudaComputeCapability(); ret == nvml.SUCCESS {
			g.ComputeCapability = fmt.Sprintf("%d.%d", major, minor)
		}
		if v, ret := h.GetMemoryInfo(); ret == nvml.SUCCESS {
			g.MemoryTotalBytes = v.Total
		}
		if v, ret := h.GetMaxClockInfo(nvml.CLOCK_MEM); ret == nvml.SUCCESS {
			g.MemoryClockMaxMHz = v
		}
		if v, ret := h.GetMemoryBusWidth(); ret == nvml.SUCCESS {
			g.MemoryBusWidthBits = v
		}
		m.GPUs = append(m.GPUs, g)
	}
	if n == 0 {
		return errors.New("nvml: no GPU found")
	}
	return nil
}

// String prints the machine as a few human lines.
func (m Machine) String() string {
	var b strings.Builder
	cpu := m.CPUModel
	if cpu == "" {
		cpu = "unknown CPU"
	}
	fmt.Fprintf(&b, "%s/%s, %s, %d cores / %d threads, RAM %s\n", m.OS, m.Arch, cpu, m.CPUCores,
		m.CPUThreads, formatKnownBytes(m.RAMBytes))
	if len(m.GPUs) == 0 {
		note := m.GPUNote
		if note == "" {
			note = "no GPU"
		}
		fmt.Fprintf(&b, "GPUs: none (%s)\n", note)
		return b.String()
	}
	fmt.Fprintf(&b, "driver %s, CUDA %s\n", orNA(m.DriverVersion), orNA(m.CUDAVersion))
	for _, g := range m.GPUs {
		fmt.Fprintf(&b, "GPU %d: %s, memory %s, max memory clock %s, bus %s\n", g.Index, orNA(g.Name),
			formatKnownBytes(g.MemoryTotalBytes), formatKnown("%d MHz", g.MemoryClockMaxMHz),
			formatKnown("%d bit", g.MemoryBusWidthBits))
	}
	return b.String()
}

func orNA(s string) string {
	if s == "" {
		return NA
	}
	return s
}

func formatKnown(format string, v uint32) string {
	if v == 0 {
		return NA
	}
	return fmt.Sprintf(format, v)
}

func formatKnownBytes(v uint64) string {
	if v == 0 {
		return NA
	}
	return FormatBytes(float64(v))
}
