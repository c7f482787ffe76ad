package telemetry

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// Field names one quantity of a [Sample]. Fields are bits, so a set of them (such as
// [Sample.Valid]) is a bitmask.
type Field uint16

const (
	// FieldUtil is the GPU's busy percentage, or the host's CPU busy percentage.
	FieldUtil Field = 1 << iota
	// FieldMemUsed is device memory (or host RAM) in use, in bytes.
	FieldMemUsed
	// FieldMemTotal is device memory (or host RAM) in total, in bytes.
	FieldMemTotal
	// FieldPower is the board power draw in watts.
	FieldPower
	// FieldEnergy is the GPU's cumulative energy counter in millijoules.
	FieldEnergy
	// FieldTemp is the GPU core temperature in degrees Celsius.
	FieldTemp
	// FieldSMClock is the current SM clock in MHz.
	FieldSMClock
	// FieldMemClock is the current memory clock in MHz.
	FieldMemClock

	// AllFields is every field above.
	AllFields = FieldUtil | FieldMemUsed | FieldMemTotal | FieldPower | FieldEnergy | FieldTemp |
		FieldSMClock | FieldMemClock
)

// fieldOrder lists the single fields in the order String helpers print them.
var fieldOrder = [...]Field{FieldUtil, FieldMemUsed, FieldMemTotal, FieldPower, FieldEnergy,
	FieldTemp, FieldSMClock, FieldMemClock}

var fieldNames = map[Field]string{
	FieldUtil: "util", FieldMemUsed: "mem_used", FieldMemTotal: "mem_total", FieldPower: "power",
	FieldEnergy: "energy", FieldTemp: "temp", FieldSMClock: "sm_clock", FieldMemClock: "mem_clock",
}

// String names the fields of f joined by "|", or "none" for the empty set.
func (f Field) String() string {
	if f == 0 {
		return "none"
	}
	var parts []string
	for _, one := range fieldOrder {
		if f&one != 0 {
			parts = append(parts, fieldNames[one])
		}
	}
	if rest := f &^ AllFields; rest != 0 {
		parts = append(parts, fmt.Sprintf("0x%x", uint16(rest)))
	}
	return strings.Join(parts, "|")
}

// Sample is one reading of one device. Only the fields whose bit is set in Valid hold a
// measurement; the others are zero and print as "n/a". Sample holds no pointers other than
// Time's location, so copying it into a ring allocates nothing.
type Sample struct {
	// Time is when the Monitor took the reading (sources leave it zero).
	Time time.Time
	// Valid says which of the fields below were measured.
	Valid Field

	UtilPercent   float64
	MemUsedBytes  uint64
	MemTotalBytes uint64
	PowerW        float64
	// EnergyMJ is NVML's total energy counter: millijoules since the driver was last loaded.
	// Only differences between samples mean anything.
	EnergyMJ    uint64
	TempC       float64
	SMClockMHz  uint32
	MemClockMHz uint32
}

// Has reports whether every field of f was measured.
func (s *Sample) Has(f Field) bool { return f != 0 && s.Valid&f == f }

// Value returns one field as a float64 and whether it was measured. f must be a single
// field; a set of several gives false.
func (s *Sample) Value(f Field) (float64, bool) {
	if !s.Has(f) {
		return 0, false
	}
	switch f {
	case FieldUtil:
		return s.UtilPercent, true
	case FieldMemUsed:
		return float64(s.MemUsedBytes), true
	case FieldMemTotal:
		return float64(s.MemTotalBytes), true
	case FieldPower:
		return s.PowerW, true
	case FieldEnergy:
		return float64(s.EnergyMJ), true
	case FieldTemp:
		return s.TempC, true
	case FieldSMClock:
		return float64(s.SMClockMHz), true
	case FieldMemClock:
		return float64(s.MemClockMHz), true
	}
	return 0, false
}

// NA is what every String helper prints for a quantity that was not measured.
const NA = "n/a"

// Format prints one field with its unit ("37%", "12.5 GiB", "312 W", "54 °C", "1980 MHz"), or
// "n/a" when it was not measured.
func (s *Sample) Format(f Field) string {
	v, ok := s.Value(f)
	if !ok {
		return NA
	}
	switch f {
	case FieldUtil:
		return fmt.Sprintf("%.0f%%", v)
	case FieldMemUsed, FieldMemTotal:
		return FormatBytes(v)
	case FieldPower:
		return fmt.Sprintf("%.0f W", v)
	case FieldEnergy:
		return fmt.Sprintf("%.1f J", v/1000)
	case FieldTemp:
		return fmt.Sprintf("%.0f °C", v)
	default:
		return fmt.Sprintf("%.0f MHz", v)
	}
}

// String prints every field of the sample on one line, "n/a" for those not measured.
func (s Sample) String() string {
	return fmt.Sprintf("util %s, mem %s / %s, power %s, temp %s, clocks sm %s mem %s",
		s.Format(FieldUtil), s.Format(FieldMemUsed), s.Format(FieldMemTotal), s.Format(FieldPower),
		s.Format(FieldTemp), s.Format(FieldSMClock), s.Format(FieldMemClock))
}

// FormatBytes prints a byte count in binary units with one decimal ("79.6 GiB").
func FormatBytes(b float64) string {
	if math.IsNaN(b) {
		return NA
	}
	const unit = 1024
	units := [...]string{"B", "KiB", "MiB", "GiB", "TiB", "PiB"}
	i := 0
	for math.Abs(b) >= unit && i < len(units)-1 {
		b /= unit
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%.0f B", b)
	}
	return fmt.Sprintf("%.1f %s", b, units[i])
}

// formatOpt prints *p with format, or "n/a" for nil.
func formatOpt(format string, p *float64) string {
	if p == nil {
		return NA
	}
	return fmt.Sprintf(format, *p)
}

// ptr returns a pointer to a copy of v, for the nullable fields of report structures.
func ptr(v float64) *float64 { return &v }
