package telemetry

import (
	"errors"
	"fmt"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
)

// nvmlSource samples every GPU NVML reports.
type nvmlSource struct {
	lib     nvml.Interface
	devs    []Device
	handles []nvml.Device
	// missing holds, per GPU, the fields NVML said it cannot report (not supported, MIG, no
	// permission). They are not asked for again: the answer does not change while the driver
	// is loaded, and each NVML call costs time on every tick.
	missing []Field
}

// OpenNVML initialises NVML and lists its GPUs. It fails when the library cannot be loaded
// (no NVIDIA driver), NVML does not initialise, or there is no GPU; the error wraps the
// nvml.Return, so errors.Is(err, nvml.ERROR_LIBRARY_NOT_FOUND) works. lib nil means the
// system's libnvidia-ml.
func OpenNVML(lib nvml.Interface) (Source, error) {
	if lib == nil {
		lib = nvml.New()
	}
	if ret := lib.Init(); ret != nvml.SUCCESS {
		return nil, fmt.Errorf("nvml init: %w", ret)
	}
	s, err := openNVMLDevices(lib)
	if err != nil {
		// Shutdown balances the successful Init; its own result cannot add anything useful.
		lib.Shutdown()
		return nil, err
	}
	return s, nil
}

func openNVMLDevices(lib nvml.Interface) (*nvmlSource, error) {
	n, ret := lib.DeviceGetCount()
	if ret != nvml.SUCCESS {
		return nil, fmt.Errorf("nvml device count: %w", ret)
	}
	if n == 0 {
		return nil, errors.New("nvml: no GPU found")
	}
	s := &nvmlSource{lib: lib, missing: make([]Field, n)}
	for i := range n {
		h, ret := lib.DeviceGetHandleByIndex(i)
		if ret != nvml.SUCCESS {
			return nil, fmt.Errorf("nvml GPU %d handle: %w", i, ret)
		}
		d := Device{Index: i, Kind: KindGPU}
		// A name or UUID NVML cannot give is shown as empty rather than failing the source.
		if name, ret := h.GetName(); ret == nvml.SUCCESS {
			d.Name = name
		}
		if uuid, ret := h.GetUUID(); ret == nvml.SUCCESS {
			d.UUID = uuid
		}
		s.handles = append(s.handles, h)
		s.devs = append(s.devs, d)
	}
	return s, nil
}

func (s *nvmlSource) Name() string      { return "nvml" }
func (s *nvmlSource) Devices() []Device { return s.devs }

func (s *nvmlSource) Close() error {
	if ret := s.lib.Shutdown(); ret != nvml.SUCCESS {
		return fmt.Errorf("nvml shutdown: %w", ret)
	}
	return nil
}

// Read asks each GPU for every field it has not already said it lacks. The first unexpected
// NVML error is returned (wrapped with the GPU and the call); fields that failed are n/a.
func (s *nvmlSource) Read(dst []Sample) error {
	if len(dst) != len(s.handles) {
		return fmt.Errorf("nvml read: %d samples for %d GPUs", len(dst), len(s.handles))
	}
	var first error
	for i, h := range s.handles {
		d := &dst[i]
		*d = Sample{}
		if s.want(i, FieldUtil) {
			u, ret := h.GetUtilizationRates()
			if s.ok(i, FieldUtil, "utilization", ret, &first) {
				d.UtilPercent = float64(u.Gpu)
				d.Valid |= FieldUtil
			}
		}
		if s.want(i, FieldMemUsed|FieldMemTotal) {
			m, ret := h.GetMemoryInfo()
			if s.ok(i, FieldMemUsed|FieldMemTotal, "memory info", ret, &first) {
				d.MemUsedBytes, d.MemTotalBytes = m.Used, m.Total
				d.Valid |= FieldMemUsed | FieldMemTotal
			}
		}
		if s.want(i, FieldPower) {
			mw, ret := h.GetPowerUsage()
			if s.ok(i, FieldPower, "power usage", ret, &first) {
				d.PowerW = float64(mw) / 1000
				d.Valid |= FieldPower
			}
		}
		if s.want(i, FieldEnergy) {
			mj, ret := h.GetTotalEnergyConsumption()
			if s.ok(i, FieldEnergy, "total energy", ret, &first) {
				d.EnergyMJ = mj
				d.Valid |= FieldEnergy
			}
		}
		if s.want(i, FieldTemp) {
			c, ret := h.GetTemperature(nvml.TEMPERATURE_GPU)
			if s.ok(i, FieldTemp, "temperature", ret, &first) {
				d.TempC = float64(c)
				d.Valid |= FieldTemp
			}
		}
		if s.want(i, FieldSMClock) {
			mhz, ret := h.GetClockInfo(nvml.CLOCK_SM)
			if s.ok(i, FieldSMClock, "SM clock", ret, &first) {
				d.SMClockMHz = mhz
				d.Valid |= FieldSMClock
			}
		}
		if s.want(i, FieldMemClock) {
			mhz, ret := h.GetClockInfo(nvml.CLOCK_MEM)
			if s.ok(i, FieldMemClock, "memory clock", ret, &first) {
				d.MemClockMHz = mhz
				d.Valid |= FieldMemClock
			}
		}
	}
	return first
}

func (s *nvmlSource) want(i int, f Field) bool { return s.missing[i]&f == 0 }

// ok sorts an NVML result: success, "this GPU has no such data" (remembered, not an error),
// or a failure, of which the first is kept in *first. Building the error allocates, but only
// on a failure, so the steady state stays allocation-free.
func (s *nvmlSource) ok(i int, f Field, what string, ret nvml.Return, first *error) bool {
	switch {
	case ret == nvml.SUCCESS:
		return true
	case notAvailable(ret):
		s.missing[i] |= f
	case *first == nil:
		*first = fmt.Errorf("nvml GPU %d %s: %w", i, what, ret)
	}
	return false
}

// notAvailable reports whether ret means the data does not exist here rather than that
// something went wrong: the GPU or its mode (MIG) does not support it, the driver is too old
// to have the function, or this user may not read it.
func notAvailable(ret nvml.Return) bool {
	switch ret {
	case nvml.ERROR_NOT_SUPPORTED, nvml.ERROR_FUNCTION_NOT_FOUND, nvml.ERROR_NO_PERMISSION:
		return true
	}
	return false
}
