package telemetry

import (
	"fmt"
	"strings"
	"time"
)

// Recording is the telemetry of one run, copied out of a Monitor by Window. Samples[d] holds
// device d's samples in time order: those in [Start, End] plus, where available, the last one
// before Start and the first one after End.
type Recording struct {
	Source   string
	Interval time.Duration
	Devices  []Device
	Start    time.Time
	End      time.Time
	Samples  [][]Sample
	// Truncated is set when the rings had already overwritten samples from the run's start,
	// so the summary covers only its later part.
	Truncated bool
}

// RunSummary is what a report says about the hardware during one run. Nil numbers mean n/a
// (encoded as JSON null).
type RunSummary struct {
	Source    string  `json:"source"`
	DurationS float64 `json:"duration_s"`
	Truncated bool    `json:"truncated,omitempty"`
	// OutputTokens is the run's output token count, the denominator of JoulesPerToken.
	OutputTokens int64 `json:"output_tokens"`
	// EnergyJ is the energy of all devices together; nil unless every device has one.
	EnergyJ *float64 `json:"energy_j"`
	// JoulesPerToken is EnergyJ / OutputTokens.
	JoulesPerToken *float64        `json:"j_per_token"`
	Devices        []DeviceSummary `json:"devices"`
}

// DeviceSummary is one device's share of a RunSummary.
type DeviceSummary struct {
	Device
	// Samples counts the samples inside the run's span.
	Samples          int      `json:"samples"`
	AvgUtilPercent   *float64 `json:"avg_util_pct"`
	PeakUtilPercent  *float64 `json:"peak_util_pct"`
	PeakMemUsedBytes *float64 `json:"peak_mem_used_bytes"`
	AvgPowerW        *float64 `json:"avg_power_w"`
	PeakPowerW       *float64 `json:"peak_power_w"`
	EnergyJ          *float64 `json:"energy_j"`
	// EnergyMethod says where EnergyJ came from: EnergyFromCounter or EnergyFromPower.
	EnergyMethod string `json:"energy_method,omitempty"`
}

// Energy methods.
const (
	// EnergyFromCounter: the difference of NVML's cumulative energy counter, interpolated
	// at the run's start and end. Preferred, because the driver integrates at a far higher
	// rate than we sample.
	EnergyFromCounter = "counter"
	// EnergyFromPower: the power samples integrated over time (trapezoids), used where the
	// GPU has no energy counter or it went backwards (a driver reload).
	EnergyFromPower = "power"
)

// Summarize turns a run's recording into its summary. Averages and peaks use the samples
// inside [Start, End]; energy covers the part of [Start, End] that samples span, with values
// at the edges interpolated from the samples just outside. outputTokens is the run's output
// token count (0 leaves JoulesPerToken n/a).
func Summarize(rec Recording, outputTokens int64) RunSummary {
	sum := RunSummary{
		Source:       rec.Source,
		DurationS:    rec.End.Sub(rec.Start).Seconds(),
		Truncated:    rec.Truncated,
		OutputTokens: outputTokens,
		Devices:      make([]DeviceSummary, len(rec.Devices)),
	}
	total, allEnergy := 0.0, len(rec.Devices) > 0
	for d, dev := range rec.Devices {
		var samples []Sample
		if d < len(rec.Samples) {
			samples = rec.Samples[d]
		}
		ds := summarizeDevice(dev, samples, rec.Start, rec.End)
		if ds.EnergyJ == nil {
			allEnergy = false
		} else {
			total += *ds.EnergyJ
		}
		sum.Devices[d] = ds
	}
	if allEnergy {
		sum.EnergyJ = ptr(total)
		if outputTokens > 0 {
			sum.JoulesPerToken = ptr(total / float64(outputTokens))
		}
	}
	return sum
}

func summarizeDevice(dev Device, samples []Sample, start, end time.Time) DeviceSummary {
	ds := DeviceSummary{Device: dev}
	var utilSum, powerSum float64
	var utilN, powerN int
	for i := range samples {
		s := &samples[i]
		if s.Time.Before(start) || s.Time.After(end) {
			continue
		}
		ds.Samples++
		if v, ok := s.Value(FieldUtil); ok {
			utilSum += v
			utilN++
			ds.PeakUtilPercent = maxPtr(ds.PeakUtilPercent, v)
		}
		if v, ok := s.Value(FieldMemUsed); ok {
			ds.PeakMemUsedBytes = maxPtr(ds.PeakMemUsedBytes, v)
		}
		if v, ok := s.Value(FieldPower); ok {
			powerSum += v
			powerN++
			ds.PeakPowerW = maxPtr(ds.PeakPowerW, v)
		}
	}
	if utilN > 0 {
		ds.AvgUtilPercent = ptr(utilSum / float64(utilN))
	}
	if powerN > 0 {
		ds.AvgPowerW = ptr(powerSum / float64(powerN))
	}

	// Energy uses the samples just outside the span too, so that the edges can be
	// interpolated; times are seconds from start.
	if ts, mj, ok := curve(samples, FieldEnergy, start); ok && nonDecreasing(mj) {
		if a, b, ok := clip(ts, start, end); ok {
			ds.EnergyJ = ptr((interp(ts, mj, b) - interp(ts, mj, a)) / 1000)
			ds.EnergyMethod = EnergyFromCounter
			return ds
		}
	}
	if ts, w, ok := curve(samples, FieldPower, start); ok {
		if a, b, ok := clip(ts, start, end); ok {
			ds.EnergyJ = ptr(integrate(ts, w, a, b))
			ds.EnergyMethod = EnergyFromPower
		}
	}
	return ds
}

func maxPtr(p *float64, v float64) *float64 {
	if p == nil || v > *p {
		return ptr(v)
	}
	return p
}

// curve returns the (time in seconds from origin, value) points of the samples that have f;
// false when there are fewer than two, which cannot span any time.
func curve(samples []Sample, f Field, origin time.Time) (ts, vs []float64, ok bool) {
	for i := range samples {
		if v, ok := samples[i].Value(f); ok {
			ts = append(ts, samples[i].Time.Sub(origin).Seconds())
			vs = append(vs, v)
		}
	}
	return ts, vs, len(ts) >= 2
}

func nonDecreasing(vs []float64) bool {
	for i := 1; i < len(vs); i++ {
		if vs[i] < vs[i-1] {
			return false
		}
	}
	return true
}

// clip returns the part [a, b] of the run (0 to end-start seconds) that the points ts cover,
// and false when they cover none of it.
func clip(ts []float64, start, end time.Time) (a, b float64, ok bool) {
	a = max(0, ts[0])
	b = min(end.Sub(start).Seconds(), ts[len(ts)-1])
	return a, b, b > a
}

// interp evaluates the piecewise-linear curve through (ts, vs) at t, ts[0] <= t <= ts[last].
func interp(ts, vs []float64, t float64) float64 {
	for i := 1; i < len(ts); i++ {
		if t <= ts[i] {
			if ts[i] == ts[i-1] {
				return vs[i]
			}
			f := (t - ts[i-1]) / (ts[i] - ts[i-1])
			return vs[i-1] + f*(vs[i]-vs[i-1])
		}
	}
	return vs[len(vs)-1]
}

// integrate is the integral over [a, b] of the piecewise-linear curve through (ts, vs): exact
// trapezoids, with the edges cut at a and b.
func integrate(ts, vs []float64, a, b float64) float64 {
	total := 0.0
	for i := 1; i < len(ts); i++ {
		lo, hi := max(a, ts[i-1]), min(b, ts[i])
		if hi <= lo {
			continue
		}
		total += (interp(ts, vs, lo) + interp(ts, vs, hi)) / 2 * (hi - lo)
	}
	return total
}

// String prints the summary as a few human lines, "n/a" for what was not measured.
func (s RunSummary) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "telemetry (%s) over %.1f s", s.Source, s.DurationS)
	if s.Truncated {
		b.WriteString(" (start of run no longer in memory)")
	}
	fmt.Fprintf(&b, ": energy %s, %s\n", formatOpt("%.1f J", s.EnergyJ),
		formatOpt("%.4f J/token", s.JoulesPerToken))
	for _, d := range s.Devices {
		fmt.Fprintf(&b, "  %s %d %s: util avg %s peak %s, peak mem %s, power avg %s peak %s, energy %s",
			d.Kind, d.Index, d.Name, formatOpt("%.0f%%", d.AvgUtilPercent),
			formatOpt("%.0f%%", d.PeakUtilPercent), formatBytesOpt(d.PeakMemUsedBytes),
			formatOpt("%.0f W", d.AvgPowerW), formatOpt("%.0f W", d.PeakPowerW),
			formatOpt("%.1f J", d.EnergyJ))
		if d.EnergyMethod != "" {
			fmt.Fprintf(&b, " (%s)", d.EnergyMethod)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func formatBytesOpt(p *float64) string {
	if p == nil {
		return NA
	}
	return FormatBytes(*p)
}

// Series is a run's telemetry as a time series for a report. All devices share the time
// axis (the Monitor samples them together); a value a sample lacks is null, and a quantity no
// sample has is left out.
type Series struct {
	Source     string  `json:"source"`
	IntervalMS float64 `json:"interval_ms"`
	// TimesMS are the sample times in milliseconds from the run's start.
	TimesMS []int64        `json:"t_ms"`
	Devices []DeviceSeries `json:"devices"`
}

// DeviceSeries holds one device's values, index-aligned with Series.TimesMS.
type DeviceSeries struct {
	Device
	UtilPercent  []*float64 `json:"util_pct,omitempty"`
	MemUsedBytes []*float64 `json:"mem_used_bytes,omitempty"`
	PowerW       []*float64 `json:"power_w,omitempty"`
	TempC        []*float64 `json:"temp_c,omitempty"`
	SMClockMHz   []*float64 `json:"sm_clock_mhz,omitempty"`
	MemClockMHz  []*float64 `json:"mem_clock_mhz,omitempty"`
}

// NewSeries builds the series of the samples inside [rec.Start, rec.End]. The time axis is
// the first device's; the others are cut to the same length should they differ.
func NewSeries(rec Recording) Series {
	s := Series{Source: rec.Source, IntervalMS: float64(rec.Interval) / float64(time.Millisecond)}
	inside := make([][]Sample, len(rec.Devices))
	n := -1
	for d := range rec.Devices {
		if d < len(rec.Samples) {
			for _, smp := range rec.Samples[d] {
				if !smp.Time.Before(rec.Start) && !smp.Time.After(rec.End) {
					inside[d] = append(inside[d], smp)
				}
			}
		}
		if n < 0 || len(inside[d]) < n {
			n = len(inside[d])
		}
	}
	if n <= 0 {
		s.TimesMS = []int64{}
		for _, dev := range rec.Devices {
			s.Devices = append(s.Devices, DeviceSeries{Device: dev})
		}
		return s
	}
	s.TimesMS = make([]int64, n)
	for i := range n {
		s.TimesMS[i] = inside[0][i].Time.Sub(rec.Start).Milliseconds()
	}
	for d, dev := range rec.Devices {
		smp := inside[d][:n]
		s.Devices = append(s.Devices, DeviceSeries{
			Device:       dev,
			UtilPercent:  column(smp, FieldUtil),
			MemUsedBytes: column(smp, FieldMemUsed),
			PowerW:       column(smp, FieldPower),
			TempC:        column(smp, FieldTemp),
			SMClockMHz:   column(smp, FieldSMClock),
			MemClockMHz:  column(smp, FieldMemClock),
		})
	}
	return s
}

// column returns field f of every sample, nil entries where a sample lacks it, and nil when
// none has it. The values live in one backing array so the column costs two allocations, not
// one per value.
func column(samples []Sample, f Field) []*float64 {
	vals := make([]float64, len(samples))
	out := make([]*float64, len(samples))
	found := false
	for i := range samples {
		if v, ok := samples[i].Value(f); ok {
			vals[i] = v
			out[i] = &vals[i]
			found = true
		}
	}
	if !found {
		return nil
	}
	return out
}
