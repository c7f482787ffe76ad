package tui

import (
	"slices"

	"github.com/benchtui/benchtui/telemetry"
	"github.com/benchtui/benchtui/tui/panel"
)

// devicesFromMonitor copies the monitor's recent history into device views, reusing dst.
func devicesFromMonitor(m *telemetry.Monitor, dst []panel.DeviceView, n int) []panel.DeviceView {
	devs := m.Devices()
	dst = slices.Grow(dst[:0], len(devs))[:len(devs)]
	for i, d := range devs {
		v := &dst[i]
		v.Name = d.Name
		v.Host = d.Kind == telemetry.KindCPU
		v.Util = fill(v.Util, n, func(buf []float64) int { return m.CopySeries(i, telemetry.FieldUtil, buf) })
		v.MemUsed = fill(v.MemUsed, n, func(buf []float64) int { return m.CopySeries(i, telemetry.FieldMemUsed, buf) })
		for j := range v.MemUsed {
			v.MemUsed[j] /= 1 << 30
		}
		v.Util, v.MemUsed = dropNaN(v.Util), dropNaN(v.MemUsed)
		v.MemTotal, v.HasPower, v.HasTemp = 0, false, false
		if s, ok := m.Latest(i); ok {
			if x, ok := s.Value(telemetry.FieldMemTotal); ok {
				v.MemTotal = x / (1 << 30)
			}
			if x, ok := s.Value(telemetry.FieldPower); ok {
				v.PowerW, v.HasPower = x, true
			}
			if x, ok := s.Value(telemetry.FieldTemp); ok {
				v.TempC, v.HasTemp = x, true
			}
		}
	}
	return dst
}

func fill(buf []float64, n int, copyFn func([]float64) int) []float64 {
	buf = slices.Grow(buf[:0], n)[:n]
	return buf[:copyFn(buf)]
}

// dropNaN keeps the measured values: a field that is not available has no history.
func dropNaN(v []float64) []float64 {
	out := v[:0]
	for _, x := range v {
		if x == x {
			out = append(out, x)
		}
	}
	return out
}
