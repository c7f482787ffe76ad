package report

import (
	"fmt"
	"strings"

	"github.com/benchtui/benchtui/engine"
	"github.com/benchtui/benchtui/telemetry"
)

// DeviceShare is one device of the report's benchtui.devices section: a device the model's
// weights were spread over (a GPU of this machine, its CPU, or an RPC server's device), with
// its part of the work: its share of the weights and, for this machine's GPUs, what its
// telemetry said during the run.
type DeviceShare struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// Type is llama.cpp's (cpu, gpu, igpu, accel, rpc); Host the RPC server of an rpc
	// device.
	Type string `json:"type"`
	Host string `json:"host,omitempty"`
	// ModelBytes is the model's weights on the device, as llama.cpp's load log says, and
	// WeightShare their share of the model's weights (0..1).
	ModelBytes  uint64  `json:"model_bytes"`
	WeightShare float64 `json:"weight_share"`
	FreeBytes   uint64  `json:"free_bytes,omitempty"`
	TotalBytes  uint64  `json:"total_bytes,omitempty"`
	// GPUIndex is the NVML index of a GPU of this machine whose telemetry follows (absent
	// for other devices); the figures are telemetry.DeviceSummary's.
	GPUIndex         *int     `json:"gpu_index,omitempty"`
	AvgUtilPercent   *float64 `json:"avg_util_pct,omitempty"`
	PeakMemUsedBytes *float64 `json:"peak_mem_used_bytes,omitempty"`
	EnergyJ          *float64 `json:"energy_j,omitempty"`
}

// NewDeviceShares lists the devices that hold the model's weights with their shares. gpus
// is the NVML index of each of this machine's GPUs among devs, in their order (nil: the
// order of sum's GPUs), and sum the run's telemetry summary (nil without one). It returns
// nil unless two or more devices hold weights, when there is no split to show.
func NewDeviceShares(devs []engine.Device, gpus []int, sum *telemetry.RunSummary) []DeviceShare {
	var total uint64
	holders := 0
	for _, d := range devs {
		total += d.ModelBytes
		if d.ModelBytes > 0 {
			holders++
		}
	}
	if holders < 2 {
		return nil
	}
	var telem []telemetry.DeviceSummary
	if sum != nil {
		for _, d := range sum.Devices {
			if d.Kind == telemetry.KindGPU {
				telem = append(telem, d)
			}
		}
	}
	var out []DeviceShare
	gpu := 0
	for _, d := range devs {
		s := DeviceShare{Name: d.Name, Description: d.Description, Type: d.Type, Host: d.Host, ModelBytes: d.ModelBytes,
			WeightShare: float64(d.ModelBytes) / float64(total), FreeBytes: d.FreeBytes, TotalBytes: d.TotalBytes}
		if d.Host == "" && (d.Type == "gpu" || d.Type == "igpu") {
			k := gpu
			gpu++
			var t *telemetry.DeviceSummary
			switch {
			case gpus != nil && k < len(gpus):
				for i := range telem {
					if telem[i].Index == gpus[k] {
						t = &telem[i]
					}
				}
			case gpus == nil && k < len(telem):
				t = &telem[k]
			}
			if t != nil {
				n := t.Index
				s.GPUIndex, s.AvgUtilPercent, s.PeakMemUsedBytes, s.EnergyJ = &n, t.AvgUtilPercent, t.PeakMemUsedBytes, t.EnergyJ
			}
		}
		if d.ModelBytes > 0 {
			out = append(out, s)
		}
	}
	return out
}

// writeDevicesSection prints the devices the weights were spread over.
func writeDevicesSection(b *strings.Builder, devs []DeviceShare) {
	summaryTitle(b, "DEVICES")
	fmt.Fprintf(b, "%-8s %-28s %-22s %12s %7s %9s\n", "device", "description", "host", "weights", "share", "avg util")
	for _, d := range devs {
		host := d.Host
		if host == "" {
			host = "this machine"
		}
		util := "-"
		if d.AvgUtilPercent != nil {
			util = fmt.Sprintf("%.1f%%", *d.AvgUtilPercent)
		}
		fmt.Fprintf(b, "%-8s %-28s %-22s %12s %6.1f%% %9s\n", d.Name, truncateText(d.Description, 28), host, mib(d.ModelBytes), 100*d.WeightShare, util)
	}
	b.WriteString(summaryBanner + "\n")
}

// truncateText cuts s to n bytes of ASCII-safe width.
func truncateText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
