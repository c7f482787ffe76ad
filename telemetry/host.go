package telemetry

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// procBufSize is the read buffer for /proc/stat and /proc/meminfo. Only their first lines are
// parsed (the "cpu " total and MemTotal/MemAvailable), which sit well inside 4 KiB even on
// machines with hundreds of CPUs, so a longer file is simply cut off.
const procBufSize = 4096

// hostSource samples the whole host as one device: CPU utilisation from /proc/stat and memory
// from /proc/meminfo. It is what Open gives when there is no NVIDIA driver.
type hostSource struct {
	dev     []Device
	stat    *os.File
	meminfo *os.File
	// openErr is why a /proc file could not be opened. It is returned by every Read rather
	// than retried, so that a broken /proc costs nothing per tick.
	openErr error
	buf     []byte

	// prevBusy and prevTotal are the jiffy counters of the previous read; utilisation is the
	// busy share of the jiffies in between, so the first read has none.
	prevBusy, prevTotal uint64
	havePrev            bool
}

// OpenHost returns the host source reading /proc. It never fails: a /proc file that cannot be
// opened makes its fields n/a and is reported by Read.
func OpenHost() Source { return newHostSource("/proc") }

func newHostSource(root string) *hostSource {
	s := &hostSource{buf: make([]byte, procBufSize)}
	var errs []error
	var err error
	// The files stay open and are re-read from offset 0 each time: procfs regenerates their
	// contents on such a read, and reusing the descriptor avoids allocating an os.File per tick.
	if s.stat, err = os.Open(filepath.Join(root, "stat")); err != nil {
		errs = append(errs, fmt.Errorf("host telemetry: %w", err))
	}
	if s.meminfo, err = os.Open(filepath.Join(root, "meminfo")); err != nil {
		errs = append(errs, fmt.Errorf("host telemetry: %w", err))
	}
	s.openErr = errors.Join(errs...)
	name := "CPU"
	if info, err := os.ReadFile(filepath.Join(root, "cpuinfo")); err == nil {
		if c := parseCPUInfo(string(info)); c.model != "" {
			name = c.model
		}
	}
	s.dev = []Device{{Index: 0, Name: name, Kind: KindCPU}}
	return s
}

func (s *hostSource) Name() string      { return "host" }
func (s *hostSource) Devices() []Device { return s.dev }

func (s *hostSource) Close() error {
	var errs []error
	for _, f := range []*os.File{s.stat, s.meminfo} {
		if f != nil {
			if err := f.Close(); err != nil {
				errs = append(errs, fmt.Errorf("host telemetry close: %w", err))
			}
		}
	}
	s.stat, s.meminfo = nil, nil
	return errors.Join(errs...)
}

func (s *hostSource) Read(dst []Sample) error {
	if len(dst) != 1 {
		return fmt.Errorf("host telemetry read: %d samples for 1 device", len(dst))
	}
	d := &dst[0]
	*d = Sample{}
	var first error
	if s.stat != nil {
		b, err := readAt0(s.stat, s.buf)
		busy, total, ok := parseCPUStat(b)
		switch {
		case err != nil:
			first = fmt.Errorf("host telemetry read /proc/stat: %w", err)
		case !ok:
			first = errors.New("host telemetry: /proc/stat has no cpu line")
		default:
			// Counters that did not move (two reads within one jiffy) or went backwards (a
			// counter reset) give no utilisation for this tick rather than a made-up one.
			if s.havePrev && total > s.prevTotal && busy >= s.prevBusy {
				d.UtilPercent = 100 * float64(busy-s.prevBusy) / float64(total-s.prevTotal)
				d.Valid |= FieldUtil
			}
			s.prevBusy, s.prevTotal, s.havePrev = busy, total, true
		}
	}
	if s.meminfo != nil {
		b, err := readAt0(s.meminfo, s.buf)
		total, avail, ok := parseMeminfo(b)
		switch {
		case err != nil:
			if first == nil {
				first = fmt.Errorf("host telemetry read /proc/meminfo: %w", err)
			}
		case !ok:
			if first == nil {
				first = errors.New("host telemetry: /proc/meminfo lacks MemTotal or MemAvailable")
			}
		default:
			d.MemTotalBytes = total
			d.MemUsedBytes = total - min(avail, total)
			d.Valid |= FieldMemTotal | FieldMemUsed
		}
	}
	if first == nil {
		first = s.openErr
	}
	return first
}

// readAt0 reads f from its start into buf and returns the part read. A file shorter than buf
// ends with io.EOF, which is the normal case here.
func readAt0(f *os.File, buf []byte) ([]byte, error) {
	n, err := f.ReadAt(buf, 0)
	if err == io.EOF {
		err = nil
	}
	return buf[:n], err
}

// parseCPUStat returns the busy and total jiffies of the "cpu " line of /proc/stat. Its
// columns are user nice system idle iowait irq softirq steal guest guest_nice; guest time is
// already counted in user and nice, so total sums the first eight, and idle plus iowait is
// the time the CPUs had nothing to run.
func parseCPUStat(b []byte) (busy, total uint64, ok bool) {
	line, _, _ := bytes.Cut(b, newline)
	rest, found := bytes.CutPrefix(line, cpuPrefix)
	if !found {
		return 0, 0, false
	}
	var idle uint64
	n := 0
	for n < 8 {
		v, r, got := nextUint(rest)
		if !got {
			break
		}
		rest = r
		total += v
		if n == 3 || n == 4 {
			idle += v
		}
		n++
	}
	if n < 4 {
		return 0, 0, false
	}
	return total - idle, total, true
}

// parseMeminfo returns MemTotal and MemAvailable of /proc/meminfo in bytes. Used memory is
// taken as total minus available, as free(1) does, because page cache the kernel can drop at
// once is not memory a model competes for.
func parseMeminfo(b []byte) (total, avail uint64, ok bool) {
	var haveTotal, haveAvail bool
	for len(b) > 0 && !(haveTotal && haveAvail) {
		var line []byte
		line, b, _ = bytes.Cut(b, newline)
		if rest, found := bytes.CutPrefix(line, memTotalKey); found {
			total, haveTotal = kbField(rest)
		} else if rest, found := bytes.CutPrefix(line, memAvailKey); found {
			avail, haveAvail = kbField(rest)
		}
	}
	return total, avail, haveTotal && haveAvail
}

// kbField parses "   24684092 kB" into bytes.
func kbField(b []byte) (uint64, bool) {
	v, rest, ok := nextUint(b)
	if !ok {
		return 0, false
	}
	if bytes.HasPrefix(bytes.TrimLeft(rest, " "), kbSuffix) {
		v *= 1024
	}
	return v, true
}

// Byte patterns live in package variables so that the parsers do not convert strings on every
// call.
var (
	newline     = []byte("\n")
	cpuPrefix   = []byte("cpu ")
	memTotalKey = []byte("MemTotal:")
	memAvailKey = []byte("MemAvailable:")
	kbSuffix    = []byte("kB")
)

// nextUint skips spaces and tabs and parses the decimal number that follows.
func nextUint(b []byte) (v uint64, rest []byte, ok bool) {
	i := 0
	for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	j := i
	for j < len(b) && b[j] >= '0' && b[j] <= '9' {
		v = v*10 + uint64(b[j]-'0')
		j++
	}
	return v, b[j:], j > i
}

// cpuInfo is what the machine section needs from /proc/cpuinfo.
type cpuInfo struct {
	model   string
	threads int // logical CPUs
	cores   int // physical cores; 0 when cpuinfo does not say
}

// parseCPUInfo reads the model and counts logical CPUs and distinct (physical id, core id)
// pairs. ARM kernels print no "model name", so the "Hardware" or "Model" line is used there.
func parseCPUInfo(text string) cpuInfo {
	var c cpuInfo
	var fallback, physID string
	cores := map[string]bool{}
	for line := range strings.Lines(text) {
		key, val, found := strings.Cut(line, ":")
		if !found {
			continue
		}
		key, val = strings.TrimSpace(key), strings.TrimSpace(val)
		switch key {
		case "processor":
			c.threads++
		case "model name":
			if c.model == "" {
				c.model = val
			}
		case "Hardware", "Model":
			if fallback == "" {
				fallback = val
			}
		case "physical id":
			physID = val
		case "core id":
			cores[physID+"/"+val] = true
		}
	}
	if c.model == "" {
		c.model = fallback
	}
	c.cores = len(cores)
	if c.threads == 0 {
		c.threads = runtime.NumCPU()
	}
	return c
}
