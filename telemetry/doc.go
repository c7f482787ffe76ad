// Package telemetry samples what the hardware does during a run: per-GPU utilisation, memory,
// power and clocks through NVML, and host CPU and memory from /proc where there is no NVIDIA
// driver. It is filled in by the GPU telemetry work; the engine does not depend on it.
package telemetry
