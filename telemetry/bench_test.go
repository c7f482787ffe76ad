package telemetry

import "testing"

// BenchmarkRead measures one Source.Read of the real sources of this machine: the host's
// /proc, and NVML where the driver is present. Allocations inside go-nvml's cgo wrappers
// show up here; nvmlSource's own are pinned at zero by TestNVMLSamplingAllocatesNothing.
func BenchmarkRead(b *testing.B) {
	b.Run("host", func(b *testing.B) { benchmarkRead(b, OpenHost()) })
	b.Run("nvml", func(b *testing.B) {
		src, err := OpenNVML(nil)
		if err != nil {
			b.Skipf("no NVML on this machine: %v", err)
		}
		benchmarkRead(b, src)
	})
}

func benchmarkRead(b *testing.B, src Source) {
	defer src.Close()
	dst := make([]Sample, len(src.Devices()))
	if err := src.Read(dst); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := src.Read(dst); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSampleNow is the Monitor's own cost per tick over a fake 8-GPU source.
func BenchmarkSampleNow(b *testing.B) {
	m := NewMonitor(newFakeSource(8, utilFill), Options{Capacity: 1024})
	b.ReportAllocs()
	for b.Loop() {
		m.SampleNow()
	}
}
