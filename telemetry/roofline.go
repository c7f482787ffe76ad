package telemetry

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"strings"
	"sync"
	"time"
)

// Roofline is the memory bandwidth that bounds decode speed. A decode step must read every
// weight once and each sequence's KV cache, and at small batch it does little else, so
// bytes / bandwidth is the shortest a step can take: the "speed of light".
type Roofline struct {
	// BandwidthBytesPerSec is the bandwidth used; with several GPUs, their sum. Zero means not
	// known.
	BandwidthBytesPerSec float64 `json:"bandwidth_bytes_per_s"`
	// Source says where the number came from ("table", "nvml", "table+nvml", "measured").
	Source string `json:"source"`
	// Estimate is set when the number was measured on the host rather than taken from a
	// specification, so it is a lower bound on what the memory can do.
	Estimate bool `json:"estimate"`
	// Note explains choices worth a reader's attention (table and NVML disagreeing, a GPU
	// whose bandwidth is not known).
	Note string `json:"note,omitempty"`
	// GPUs holds the per-GPU figures behind a GPU roofline.
	GPUs []GPUBandwidth `json:"gpus,omitempty"`
}

// GPUBandwidth is one GPU's bandwidth from both places it can come from.
type GPUBandwidth struct {
	Index int    `json:"index"`
	Name  string `json:"name"`
	// TableBytesPerSec is the data-sheet peak of the matched TableEntry; 0 when the name
	// matches no entry.
	TableBytesPerSec float64 `json:"table_bytes_per_s,omitempty"`
	TableEntry       string  `json:"table_entry,omitempty"`
	// NVMLBytesPerSec is max memory clock × bus width × 2 / 8; 0 when NVML lacks either.
	NVMLBytesPerSec float64 `json:"nvml_bytes_per_s,omitempty"`
	// UsedBytesPerSec is the one used: the table's when known, else NVML's.
	UsedBytesPerSec float64 `json:"used_bytes_per_s"`
	// Used is "table", "nvml" or "" when neither is known.
	Used string `json:"used"`
	// Disagree is set when table and NVML differ by more than BandwidthTolerance.
	Disagree bool `json:"disagree,omitempty"`
}

// BandwidthTolerance is how far (relative to the table) NVML's theoretical bandwidth may be
// from the table before the Roofline notes it. Memory clocks in NVML are rounded and some
// boards ship below the data sheet, so a few percent is normal.
const BandwidthTolerance = 0.15

// bandwidthEntry matches a GPU by whole tokens of its NVML name: "L4" must not match
// "NVIDIA L40S", nor "H200" "NVIDIA GH200 480GB". Entries are tried in order, so a
// specific variant (H100 PCIe) comes before its family's default (H100, the SXM part).
type bandwidthEntry struct {
	label       string
	tokens      []string
	bytesPerSec float64
}

const tbps = 1e12

// bandwidthTable holds data-sheet peak memory bandwidths.
var bandwidthTable = []bandwidthEntry{
	{"GH200 (HBM3)", []string{"GH200"}, 4.0 * tbps},
	{"H200", []string{"H200"}, 4.8 * tbps},
	{"H100 NVL", []string{"H100", "NVL"}, 3.9 * tbps},
	{"H100 PCIe", []string{"H100", "PCIe"}, 2.0 * tbps},
	{"H100 SXM", []string{"H100"}, 3.35 * tbps},
	{"B200", []string{"B200"}, 8.0 * tbps},
	{"A100 80GB", []string{"A100", "80GB"}, 2.039 * tbps},
	{"A100 40GB", []string{"A100"}, 1.555 * tbps},
	{"L40S", []string{"L40S"}, 0.864 * tbps},
	{"L4", []string{"L4"}, 0.3 * tbps},
	{"A10", []string{"A10"}, 0.6 * tbps},
	{"A10G", []string{"A10G"}, 0.6 * tbps},
	{"RTX 4090", []string{"RTX", "4090"}, 1.008 * tbps},
	{"RTX 3090 Ti", []string{"RTX", "3090", "Ti"}, 1.008 * tbps},
	{"RTX 3090", []string{"RTX", "3090"}, 0.936 * tbps},
	{"V100", []string{"V100"}, 0.9 * tbps},
}

// LookupBandwidth returns the data-sheet memory bandwidth of the GPU NVML calls name, and the
// table entry that matched.
func LookupBandwidth(name string) (bytesPerSec float64, entry string, ok bool) {
	words := strings.FieldsFunc(strings.ToLower(name), func(r rune) bool {
		return r == ' ' || r == '-' || r == '_' || r == '/' || r == ','
	})
	for _, e := range bandwidthTable {
		if hasAllTokens(words, e.tokens) {
			return e.bytesPerSec, e.label, true
		}
	}
	return 0, "", false
}

func hasAllTokens(words, tokens []string) bool {
	for _, t := range tokens {
		found := false
		for _, w := range words {
			if w == strings.ToLower(t) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// NVMLBandwidth is the theoretical bandwidth in bytes/s from NVML's maximum memory clock and
// bus width: two transfers per clock (DDR) of busWidthBits bits. 0 when either is unknown.
func NVMLBandwidth(memClockMaxMHz, busWidthBits uint32) float64 {
	return float64(memClockMaxMHz) * 1e6 * float64(busWidthBits) * 2 / 8
}

// GPURoofline is the roofline of the given GPUs working together with the model split across
// them (tensor split): each reads its share at the same time, so their bandwidths add up.
// With a layer split and one sequence in flight the GPUs take turns, and the sum is an upper
// bound rather than the speed of light. If any GPU's bandwidth is not known the total is 0,
// because a partial sum would understate the bound.
func GPURoofline(gpus []GPUInfo) Roofline {
	r := Roofline{}
	var notes []string
	usedTable, usedNVML, unknown := false, false, false
	for _, g := range gpus {
		b := GPUBandwidth{Index: g.Index, Name: g.Name}
		b.TableBytesPerSec, b.TableEntry, _ = LookupBandwidth(g.Name)
		b.NVMLBytesPerSec = NVMLBandwidth(g.MemoryClockMaxMHz, g.MemoryBusWidthBits)
		switch {
		case b.TableBytesPerSec > 0:
			b.UsedBytesPerSec, b.Used, usedTable = b.TableBytesPerSec, "table", true
			if b.NVMLBytesPerSec > 0 {
				diff := math.Abs(b.NVMLBytesPerSec-b.TableBytesPerSec) / b.TableBytesPerSec
				if diff > BandwidthTolerance {
					b.Disagree = true
					notes = append(notes, fmt.Sprintf(
						"GPU %d (%s): table %s and NVML %s differ by %.0f%%; using the table",
						g.Index, g.Name, formatBandwidth(b.TableBytesPerSec),
						formatBandwidth(b.NVMLBytesPerSec), 100*diff))
				}
			}
		case b.NVMLBytesPerSec > 0:
			b.UsedBytesPerSec, b.Used, usedNVML = b.NVMLBytesPerSec, "nvml", true
		default:
			unknown = true
			notes = append(notes, fmt.Sprintf("GPU %d (%s): memory bandwidth not known", g.Index, g.Name))
		}
		r.BandwidthBytesPerSec += b.UsedBytesPerSec
		r.GPUs = append(r.GPUs, b)
	}
	switch {
	case unknown || len(gpus) == 0:
		r.BandwidthBytesPerSec, r.Source = 0, "unknown"
	case usedTable && usedNVML:
		r.Source = "table+nvml"
	case usedTable:
		r.Source = "table"
	default:
		r.Source = "nvml"
	}
	r.Note = strings.Join(notes, "; ")
	return r
}

// HostRoofline is the CPU roofline from a measured host bandwidth (MeasureHostBandwidth). It
// is marked as an estimate: a copy test reaches less than the memory's peak.
func HostRoofline(bytesPerSec float64) Roofline {
	return Roofline{BandwidthBytesPerSec: bytesPerSec, Source: "measured", Estimate: true,
		Note: "host memory bandwidth measured with a parallel copy, best of several runs"}
}

// DecodeTokensPerSec is the roofline decode speed in tokens/s at batch size batch: one decode
// step reads weightBytes once plus kvBytesPerToken for each of the sumContext tokens the
// batch's sequences hold, and makes batch tokens, so
//
//	tokens/s = batch / ((weightBytes + kvBytesPerToken*sumContext) / bandwidth).
//
// It is 0 when the bandwidth is not known or the inputs make no step.
func (r Roofline) DecodeTokensPerSec(weightBytes, kvBytesPerToken float64, batch int, sumContext int64) float64 {
	bytes := weightBytes + kvBytesPerToken*float64(sumContext)
	if r.BandwidthBytesPerSec <= 0 || batch <= 0 || bytes <= 0 {
		return 0
	}
	return float64(batch) * r.BandwidthBytesPerSec / bytes
}

// String prints the bandwidth, its source and any note.
func (r Roofline) String() string {
	if r.BandwidthBytesPerSec <= 0 {
		s := "memory bandwidth: n/a"
		if r.Note != "" {
			s += " (" + r.Note + ")"
		}
		return s
	}
	s := "memory bandwidth: " + formatBandwidth(r.BandwidthBytesPerSec) + " (" + r.Source
	if r.Estimate {
		s += ", estimate"
	}
	s += ")"
	if r.Note != "" {
		s += "; " + r.Note
	}
	return s
}

// formatBandwidth prints bytes/s as TB/s from 1 TB/s up and as GB/s below.
func formatBandwidth(b float64) string {
	if b >= tbps {
		return fmt.Sprintf("%.2f TB/s", b/tbps)
	}
	return fmt.Sprintf("%.1f GB/s", b/1e9)
}

// Defaults of MeasureHostBandwidth.
const (
	DefaultBandwidthBytes  = 256 << 20
	DefaultBandwidthBudget = 500 * time.Millisecond
	maxBandwidthReps       = 5
)

// MeasureHostBandwidth estimates host memory bandwidth in bytes/s the way STREAM's copy does:
// copy one half of totalBytes into the other on every CPU at once, count the bytes read plus
// the bytes written, and keep the best repetition. totalBytes should be well above the
// last-level cache; zero values mean 256 MiB and a 0.5 s budget. At least one repetition is
// timed, and up to five while the budget lasts; on a small VM most of the time goes to the
// kernel faulting the fresh pages in, which happens before timing starts.
func MeasureHostBandwidth(ctx context.Context, totalBytes int, budget time.Duration) (float64, error) {
	bw, _, err := measureHostBandwidth(ctx, totalBytes, budget)
	return bw, err
}

// measureHostBandwidth is MeasureHostBandwidth that also says how many repetitions it timed.
func measureHostBandwidth(ctx context.Context, totalBytes int, budget time.Duration) (float64, int, error) {
	if totalBytes <= 0 {
		totalBytes = DefaultBandwidthBytes
	}
	if budget <= 0 {
		budget = DefaultBandwidthBudget
	}
	start := time.Now()
	half := totalBytes / 2
	if half < 1<<20 {
		return 0, 0, fmt.Errorf("measure host bandwidth: %d bytes is too small to measure", totalBytes)
	}
	src := make([]byte, half)
	dst := make([]byte, half)
	workers := runtime.GOMAXPROCS(0)
	// Both buffers are written before timing. A fresh allocation maps the kernel's shared
	// zero page until written, so reading an untouched source would measure the cache, and
	// writing an untouched destination would measure page faults.
	parallelRange(half, workers, func(lo, hi int) {
		fillPattern(src[lo:hi])
		fillPattern(dst[lo:hi])
	})
	best, last, reps := 0.0, time.Duration(0), 0
	for ; reps < maxBandwidthReps; reps++ {
		if err := ctx.Err(); err != nil {
			return 0, reps, fmt.Errorf("measure host bandwidth: %w", err)
		}
		if reps > 0 && time.Since(start)+last > budget {
			break
		}
		t0 := time.Now()
		parallelRange(half, workers, func(lo, hi int) { copy(dst[lo:hi], src[lo:hi]) })
		last = time.Since(t0)
		if s := last.Seconds(); s > 0 {
			best = max(best, 2*float64(half)/s)
		}
	}
	return best, reps, nil
}

// fillPattern writes every byte of b: a short pattern, then doubling copies, which run at
// memmove speed instead of a byte loop's.
func fillPattern(b []byte) {
	for i := range min(4096, len(b)) {
		b[i] = byte(i*7 + 1)
	}
	for n := 4096; n < len(b); n *= 2 {
		copy(b[n:], b[:n])
	}
}

// parallelRange runs f over [0, n) split into workers contiguous chunks at once, because one
// core cannot saturate a modern memory system.
func parallelRange(n, workers int, f func(lo, hi int)) {
	var wg sync.WaitGroup
	chunk := (n + workers - 1) / workers
	for lo := 0; lo < n; lo += chunk {
		hi := min(lo+chunk, n)
		wg.Go(func() { f(lo, hi) })
	}
	wg.Wait()
}
