package telemetry

import (
	"math"
	"testing"
	"time"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
	"github.com/NVIDIA/go-nvml/pkg/nvml/mock/dgxh100"
	"github.com/NVIDIA/go-nvml/pkg/nvml/mock/server"
)

// t0 is the origin of every fake clock in the tests.
var t0 = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

// at is t0 plus a number of seconds.
func at(sec float64) time.Time { return t0.Add(time.Duration(sec * float64(time.Second))) }

// stepClock returns t0, t0+step, t0+2*step, ... on successive calls. Tests call it from one
// goroutine only.
type stepClock struct {
	next time.Time
	step time.Duration
}

func newStepClock(step time.Duration) *stepClock { return &stepClock{next: t0, step: step} }

func (c *stepClock) now() time.Time {
	t := c.next
	c.next = c.next.Add(c.step)
	return t
}

// gpuState is what one mocked GPU reports; tests change it between reads.
type gpuState struct {
	utilGPU  uint32
	powerMW  uint32
	energyMJ uint64
	tempC    uint32
	smMHz    uint32
	memMHz   uint32
}

// dgx is the dgxh100 mock (8 H100 SXM) with the sampling functions the mock does not provide
// filled in from per-GPU state.
type dgx struct {
	*server.Server
	state []*gpuState
}

func newDGX(t *testing.T) *dgx {
	t.Helper()
	s := dgxh100.New()
	if s == nil || len(s.Devices) != 8 {
		t.Fatalf("dgxh100 mock: want 8 devices, got %v", s)
	}
	d := &dgx{Server: s}
	for i, h := range s.Devices {
		dev := h.(*server.Device)
		st := &gpuState{utilGPU: uint32(10 * i), powerMW: uint32(100_000 + 1000*i),
			energyMJ: uint64(1_000_000 * (i + 1)), tempC: uint32(40 + i), smMHz: 1980, memMHz: 2619}
		d.state = append(d.state, st)
		dev.MemoryInfo.Used = uint64(i+1) << 30
		dev.MemoryInfo.Free = dev.MemoryInfo.Total - dev.MemoryInfo.Used
		dev.GetUtilizationRatesFunc = func() (nvml.Utilization, nvml.Return) {
			return nvml.Utilization{Gpu: st.utilGPU, Memory: st.utilGPU / 2}, nvml.SUCCESS
		}
		dev.GetPowerUsageFunc = func() (uint32, nvml.Return) { return st.powerMW, nvml.SUCCESS }
		dev.GetTotalEnergyConsumptionFunc = func() (uint64, nvml.Return) { return st.energyMJ, nvml.SUCCESS }
		dev.GetTemperatureFunc = func(s nvml.TemperatureSensors) (uint32, nvml.Return) {
			if s != nvml.TEMPERATURE_GPU {
				return 0, nvml.ERROR_INVALID_ARGUMENT
			}
			return st.tempC, nvml.SUCCESS
		}
		dev.GetClockInfoFunc = func(c nvml.ClockType) (uint32, nvml.Return) {
			switch c {
			case nvml.CLOCK_SM:
				return st.smMHz, nvml.SUCCESS
			case nvml.CLOCK_MEM:
				return st.memMHz, nvml.SUCCESS
			}
			return 0, nvml.ERROR_INVALID_ARGUMENT
		}
		dev.GetMaxClockInfoFunc = func(c nvml.ClockType) (uint32, nvml.Return) {
			if c == nvml.CLOCK_MEM {
				return 2619, nvml.SUCCESS
			}
			return 1980, nvml.SUCCESS
		}
		dev.GetMemoryBusWidthFunc = func() (uint32, nvml.Return) { return 5120, nvml.SUCCESS }
	}
	return d
}

func (d *dgx) dev(i int) *server.Device { return d.Devices[i].(*server.Device) }

// fakeSource is a Source whose readings a test function computes; n counts reads from 0.
type fakeSource struct {
	devs   []Device
	n      int
	fill   func(n int, dst []Sample) error
	closed int
}

func newFakeSource(devices int, fill func(n int, dst []Sample) error) *fakeSource {
	s := &fakeSource{fill: fill}
	for i := range devices {
		s.devs = append(s.devs, Device{Index: i, Name: "fake", Kind: KindGPU})
	}
	return s
}

func (s *fakeSource) Name() string      { return "fake" }
func (s *fakeSource) Devices() []Device { return s.devs }
func (s *fakeSource) Close() error      { s.closed++; return nil }
func (s *fakeSource) Read(dst []Sample) error {
	for i := range dst {
		dst[i] = Sample{}
	}
	err := s.fill(s.n, dst)
	s.n++
	return err
}

// utilFill reports utilisation n*10 + device and memory used n GiB on every device.
func utilFill(n int, dst []Sample) error {
	for i := range dst {
		dst[i].UtilPercent = float64(10*n + i)
		dst[i].MemUsedBytes = uint64(n) << 30
		dst[i].Valid = FieldUtil | FieldMemUsed
	}
	return nil
}

func near(got, want, relTol float64) bool {
	if want == 0 {
		return math.Abs(got) <= relTol
	}
	return math.Abs(got-want) <= relTol*math.Abs(want)
}

func wantFloat(t *testing.T, what string, got *float64, want float64) {
	t.Helper()
	if got == nil {
		t.Errorf("%s = n/a, want %g", what, want)
		return
	}
	if !near(*got, want, 1e-9) {
		t.Errorf("%s = %.12g, want %.12g", what, *got, want)
	}
}

func wantNA(t *testing.T, what string, got *float64) {
	t.Helper()
	if got != nil {
		t.Errorf("%s = %g, want n/a", what, *got)
	}
}
