package telemetry

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
)

func TestNVMLSamplingFillsRings(t *testing.T) {
	d := newDGX(t)
	src, err := OpenNVML(d)
	if err != nil {
		t.Fatalf("OpenNVML: %v", err)
	}
	if src.Name() != "nvml" {
		t.Errorf("Name = %q", src.Name())
	}
	devs := src.Devices()
	if len(devs) != 8 {
		t.Fatalf("%d devices, want 8", len(devs))
	}
	for i, dev := range devs {
		if dev.Index != i || dev.Name != "NVIDIA H100 80GB HBM3" || dev.Kind != KindGPU ||
			!strings.HasPrefix(dev.UUID, "GPU-") {
			t.Errorf("device %d = %+v", i, dev)
		}
	}

	m := NewMonitor(src, Options{Capacity: 3, Interval: time.Second, Now: newStepClock(250 * time.Millisecond).now})
	// Five reads into rings of three: the ring must wrap and keep reads 2, 3 and 4.
	for n := range 5 {
		for i, st := range d.state {
			st.utilGPU = uint32(10*i + n)
			st.energyMJ += 1000
		}
		if err := m.SampleNow(); err != nil {
			t.Fatalf("SampleNow %d: %v", n, err)
		}
	}
	for i := range 8 {
		if got := m.Len(i); got != 3 {
			t.Errorf("GPU %d: Len = %d, want 3", i, got)
		}
		hist := make([]Sample, 5)
		k := m.History(i, hist)
		if k != 3 {
			t.Fatalf("GPU %d: History copied %d, want 3", i, k)
		}
		for j := range k {
			wantUtil := float64(10*i + 2 + j)
			wantTime := at(0.25 * float64(2+j))
			if hist[j].UtilPercent != wantUtil || !hist[j].Time.Equal(wantTime) {
				t.Errorf("GPU %d history[%d] = util %g at %v, want %g at %v", i, j,
					hist[j].UtilPercent, hist[j].Time, wantUtil, wantTime)
			}
		}
		series := make([]float64, 2)
		if k := m.CopySeries(i, FieldUtil, series); k != 2 ||
			series[0] != float64(10*i+3) || series[1] != float64(10*i+4) {
			t.Errorf("GPU %d util series = %d %v", i, k, series)
		}
		mem := make([]float64, 8)
		if k := m.CopySeries(i, FieldMemUsed, mem); k != 3 || mem[2] != float64(uint64(i+1)<<30) {
			t.Errorf("GPU %d memory series = %d %v", i, k, mem[:k])
		}

		s, ok := m.Latest(i)
		if !ok {
			t.Fatalf("GPU %d: no latest sample", i)
		}
		if s.Valid != AllFields {
			t.Errorf("GPU %d valid = %v, want all", i, s.Valid)
		}
		if s.PowerW != 100+float64(i) || s.TempC != float64(40+i) || s.SMClockMHz != 1980 ||
			s.MemClockMHz != 2619 || s.MemTotalBytes != 80<<30 || s.MemUsedBytes != uint64(i+1)<<30 ||
			s.EnergyMJ != uint64(1_000_000*(i+1)+5000) {
			t.Errorf("GPU %d latest = %+v", i, s)
		}
	}
	s, _ := m.Latest(3)
	want := "util 34%, mem 4.0 GiB / 80.0 GiB, power 103 W, temp 43 °C, clocks sm 1980 MHz mem 2619 MHz"
	if got := s.String(); got != want {
		t.Errorf("String =\n %q\nwant\n %q", got, want)
	}
	if err := m.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if n := len(d.ShutdownCalls()); n != 1 {
		t.Errorf("Shutdown called %d times, want 1", n)
	}
}

func TestNVMLUnsupportedFieldsAreNA(t *testing.T) {
	d := newDGX(t)
	// GPU 2 has no power reading, GPU 3 is in MIG mode (no utilisation) and may not read its
	// temperature, GPU 4's driver lacks the energy counter.
	d.dev(2).GetPowerUsageFunc = func() (uint32, nvml.Return) { return 0, nvml.ERROR_NOT_SUPPORTED }
	d.dev(3).GetUtilizationRatesFunc = func() (nvml.Utilization, nvml.Return) {
		return nvml.Utilization{}, nvml.ERROR_NOT_SUPPORTED
	}
	d.dev(3).GetTemperatureFunc = func(nvml.TemperatureSensors) (uint32, nvml.Return) {
		return 0, nvml.ERROR_NO_PERMISSION
	}
	d.dev(4).GetTotalEnergyConsumptionFunc = func() (uint64, nvml.Return) {
		return 0, nvml.ERROR_FUNCTION_NOT_FOUND
	}
	src, err := OpenNVML(d)
	if err != nil {
		t.Fatalf("OpenNVML: %v", err)
	}
	dst := make([]Sample, 8)
	for range 2 {
		if err := src.Read(dst); err != nil {
			t.Fatalf("Read reported unsupported fields as an error: %v", err)
		}
	}
	cases := []struct {
		gpu   int
		field Field
	}{{2, FieldPower}, {3, FieldUtil}, {3, FieldTemp}, {4, FieldEnergy}}
	for _, c := range cases {
		s := &dst[c.gpu]
		if s.Has(c.field) {
			t.Errorf("GPU %d: %v valid, want n/a", c.gpu, c.field)
		}
		if got := s.Format(c.field); got != "n/a" {
			t.Errorf("GPU %d: Format(%v) = %q, want n/a", c.gpu, c.field, got)
		}
	}
	// Everything else is still measured.
	wantValid := map[int]Field{0: AllFields, 2: AllFields &^ FieldPower,
		3: AllFields &^ (FieldUtil | FieldTemp), 4: AllFields &^ FieldEnergy}
	for gpu, want := range wantValid {
		if dst[gpu].Valid != want {
			t.Errorf("GPU %d valid = %v, want %v", gpu, dst[gpu].Valid, want)
		}
	}
	if got := dst[2].String(); !strings.Contains(got, "power n/a") {
		t.Errorf("GPU 2 String = %q, want power n/a", got)
	}
	// A field NVML said it lacks is not asked for again.
	if n := len(d.dev(2).GetPowerUsageCalls()); n != 1 {
		t.Errorf("GPU 2 power asked %d times over 2 reads, want 1", n)
	}
	if n := len(d.dev(0).GetPowerUsageCalls()); n != 2 {
		t.Errorf("GPU 0 power asked %d times over 2 reads, want 2", n)
	}
}

func TestNVMLFailureIsReportedAndKeepsOtherFields(t *testing.T) {
	d := newDGX(t)
	d.dev(5).GetUtilizationRatesFunc = func() (nvml.Utilization, nvml.Return) {
		return nvml.Utilization{}, nvml.ERROR_GPU_IS_LOST
	}
	src, err := OpenNVML(d)
	if err != nil {
		t.Fatalf("OpenNVML: %v", err)
	}
	dst := make([]Sample, 8)
	for range 2 {
		err = src.Read(dst)
		if !errors.Is(err, nvml.ERROR_GPU_IS_LOST) || !strings.Contains(err.Error(), "GPU 5 utilization") {
			t.Fatalf("Read error = %v, want GPU 5 utilization: ERROR_GPU_IS_LOST", err)
		}
	}
	if dst[5].Has(FieldUtil) || !dst[5].Has(FieldMemUsed|FieldPower) {
		t.Errorf("GPU 5 valid = %v", dst[5].Valid)
	}
	if dst[6].Valid != AllFields {
		t.Errorf("GPU 6 valid = %v, want all", dst[6].Valid)
	}
	// A failure is not "unsupported": it is asked again, since a GPU can recover.
	if n := len(d.dev(5).GetUtilizationRatesCalls()); n != 2 {
		t.Errorf("GPU 5 utilisation asked %d times, want 2", n)
	}
	if err := src.Read(make([]Sample, 3)); err == nil {
		t.Error("Read with a short dst succeeded")
	}
}

func TestOpenFallsBackToHostWithoutDriver(t *testing.T) {
	d := newDGX(t)
	d.InitFunc = func() nvml.Return { return nvml.ERROR_LIBRARY_NOT_FOUND }
	if _, err := OpenNVML(d); !errors.Is(err, nvml.ERROR_LIBRARY_NOT_FOUND) {
		t.Errorf("OpenNVML error = %v, want ERROR_LIBRARY_NOT_FOUND", err)
	}
	src, reason := Open(d)
	defer src.Close()
	if src.Name() != "host" || !strings.Contains(reason, "ERROR_LIBRARY_NOT_FOUND") {
		t.Errorf("Open = %s source, reason %q; want host and the NVML error", src.Name(), reason)
	}
	if n := len(d.ShutdownCalls()); n != 0 {
		t.Errorf("Shutdown called %d times after a failed Init", n)
	}
}

func TestOpenNVMLWithoutGPUs(t *testing.T) {
	d := newDGX(t)
	d.DeviceGetCountFunc = func() (int, nvml.Return) { return 0, nvml.SUCCESS }
	_, err := OpenNVML(d)
	if err == nil || !strings.Contains(err.Error(), "no GPU") {
		t.Errorf("OpenNVML error = %v, want no GPU", err)
	}
	if n := len(d.ShutdownCalls()); n != 1 {
		t.Errorf("Shutdown called %d times, want 1 to balance Init", n)
	}
}

// TestOpenOnThisMachine uses the real NVML: on a machine without the driver it must fall
// back to the host quietly, and with one every GPU must report its memory.
func TestOpenOnThisMachine(t *testing.T) {
	src, reason := Open(nil)
	defer src.Close()
	dst := make([]Sample, len(src.Devices()))
	err := src.Read(dst)
	switch src.Name() {
	case "host":
		if reason == "" {
			t.Error("host source without a reason")
		}
		t.Logf("no NVML: %s", reason)
		if err != nil {
			t.Errorf("host Read: %v", err)
		}
	case "nvml":
		if reason != "" {
			t.Errorf("nvml source with reason %q", reason)
		}
		if err != nil {
			t.Errorf("nvml Read: %v", err)
		}
		for i, s := range dst {
			t.Logf("GPU %d %s: %v", i, src.Devices()[i].Name, s)
			if !s.Has(FieldMemTotal) || s.MemTotalBytes == 0 {
				t.Errorf("GPU %d reports no memory total: %v", i, s)
			}
		}
	default:
		t.Errorf("Open gave source %q", src.Name())
	}
	if len(dst) == 0 || !dst[0].Has(FieldMemTotal) {
		t.Errorf("first device has no memory total: %+v", dst)
	}
}

// quietDevice answers the sampling calls like the mock but without the mock's call
// recording, which allocates; so an allocation count measures nvmlSource alone.
type quietDevice struct {
	nvml.Device
}

func (quietDevice) GetUtilizationRates() (nvml.Utilization, nvml.Return) {
	return nvml.Utilization{Gpu: 50}, nvml.SUCCESS
}
func (quietDevice) GetMemoryInfo() (nvml.Memory, nvml.Return) {
	return nvml.Memory{Total: 80 << 30, Used: 1 << 30}, nvml.SUCCESS
}
func (quietDevice) GetPowerUsage() (uint32, nvml.Return) { return 300_000, nvml.SUCCESS }
func (quietDevice) GetTotalEnergyConsumption() (uint64, nvml.Return) {
	return 0, nvml.ERROR_NOT_SUPPORTED
}
func (quietDevice) GetTemperature(nvml.TemperatureSensors) (uint32, nvml.Return) {
	return 60, nvml.SUCCESS
}
func (quietDevice) GetClockInfo(nvml.ClockType) (uint32, nvml.Return) { return 1500, nvml.SUCCESS }

func TestNVMLSamplingAllocatesNothing(t *testing.T) {
	d := newDGX(t)
	src := &nvmlSource{lib: d, missing: make([]Field, 4)}
	for i := range 4 {
		src.handles = append(src.handles, quietDevice{d.Devices[i]})
		src.devs = append(src.devs, Device{Index: i, Kind: KindGPU})
	}
	m := NewMonitor(src, Options{Capacity: 16})
	if err := m.SampleNow(); err != nil {
		t.Fatal(err)
	}
	if allocs := testing.AllocsPerRun(100, func() { m.SampleNow() }); allocs != 0 {
		t.Errorf("SampleNow over NVML allocates %.1f times per call, want 0", allocs)
	}
	s, _ := m.Latest(3)
	if s.Valid != AllFields&^FieldEnergy || s.PowerW != 300 {
		t.Errorf("latest = %+v", s)
	}
}
