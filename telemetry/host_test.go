package telemetry

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseCPUStat(t *testing.T) {
	// cpu  1000 50 300 8000 200 10 20 30 40 5: total is the first eight columns (guest time is
	// already in user), idle is idle + iowait.
	busy, total, ok := parseCPUStat(readFixture(t, "proc/stat"))
	if !ok || total != 9610 || busy != 1410 {
		t.Errorf("parseCPUStat = busy %d total %d ok %v, want 1410 9610 true", busy, total, ok)
	}
	for _, bad := range []string{"", "intr 1 2 3\n", "cpu0 1 2 3 4\n", "cpu  1 2\n"} {
		if _, _, ok := parseCPUStat([]byte(bad)); ok {
			t.Errorf("parseCPUStat(%q) ok", bad)
		}
	}
}

func TestParseMeminfo(t *testing.T) {
	total, avail, ok := parseMeminfo(readFixture(t, "proc/meminfo"))
	if !ok || total != 32768000*1024 || avail != 24576000*1024 {
		t.Errorf("parseMeminfo = %d %d %v", total, avail, ok)
	}
	if _, _, ok := parseMeminfo([]byte("MemTotal: 100 kB\nMemFree: 5 kB\n")); ok {
		t.Error("parseMeminfo without MemAvailable ok")
	}
}

func TestParseCPUInfo(t *testing.T) {
	c := parseCPUInfo(string(readFixture(t, "proc/cpuinfo")))
	if c.model != "Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz" || c.threads != 8 || c.cores != 4 {
		t.Errorf("x86 cpuinfo = %+v, want the Xeon with 4 cores and 8 threads", c)
	}
	c = parseCPUInfo(string(readFixture(t, "proc-arm/cpuinfo")))
	if c.model != "Example SoC" || c.threads != 4 || c.cores != 0 {
		t.Errorf("arm cpuinfo = %+v, want Example SoC with 4 threads and no core ids", c)
	}
}

// copyFile copies a fixture over dst in place (same inode), as the kernel's regenerated
// /proc file would appear to a reader holding it open.
func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	if err := os.WriteFile(dst, readFixture(t, src), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestHostSourceOnFixtures(t *testing.T) {
	dir := t.TempDir()
	copyFile(t, "proc/stat", filepath.Join(dir, "stat"))
	copyFile(t, "proc/meminfo", filepath.Join(dir, "meminfo"))
	copyFile(t, "proc/cpuinfo", filepath.Join(dir, "cpuinfo"))
	src := newHostSource(dir)
	defer src.Close()
	if devs := src.Devices(); len(devs) != 1 || devs[0].Kind != KindCPU ||
		devs[0].Name != "Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz" {
		t.Errorf("Devices = %+v", devs)
	}

	dst := make([]Sample, 1)
	if err := src.Read(dst); err != nil {
		t.Fatal(err)
	}
	s := dst[0]
	// The first read has no previous counters, so no utilisation yet.
	if s.Valid != FieldMemUsed|FieldMemTotal {
		t.Errorf("first read valid = %v, want memory only", s.Valid)
	}
	if s.MemTotalBytes != 32768000*1024 || s.MemUsedBytes != (32768000-24576000)*1024 {
		t.Errorf("memory = %d / %d", s.MemUsedBytes, s.MemTotalBytes)
	}
	if s.Format(FieldUtil) != "n/a" || s.Format(FieldPower) != "n/a" {
		t.Errorf("Format util %q power %q, want n/a", s.Format(FieldUtil), s.Format(FieldPower))
	}

	// Between the snapshots busy grows by 600 jiffies (user 400, system 200) and idle by 1400
	// (idle 1200, iowait 200); guest's 100 is inside user. 600 / 2000 = 30%.
	copyFile(t, "proc/stat.next", filepath.Join(dir, "stat"))
	if err := src.Read(dst); err != nil {
		t.Fatal(err)
	}
	if !dst[0].Has(FieldUtil) || !near(dst[0].UtilPercent, 30, 1e-12) {
		t.Errorf("util = %v (%v), want 30%%", dst[0].UtilPercent, dst[0].Valid)
	}
	// Counters that did not move give n/a, not 0% or a division by zero.
	if err := src.Read(dst); err != nil {
		t.Fatal(err)
	}
	if dst[0].Has(FieldUtil) {
		t.Errorf("util with unchanged counters = %v, want n/a", dst[0].UtilPercent)
	}
}

func TestHostSourceWithoutProc(t *testing.T) {
	src := newHostSource(filepath.Join(t.TempDir(), "missing"))
	defer src.Close()
	dst := make([]Sample, 1)
	err := src.Read(dst)
	if err == nil || !strings.Contains(err.Error(), "stat") || !strings.Contains(err.Error(), "meminfo") {
		t.Errorf("Read error = %v, want both missing files named", err)
	}
	if dst[0].Valid != 0 || len(src.Devices()) != 1 || src.Devices()[0].Name != "CPU" {
		t.Errorf("sample %+v, devices %+v", dst[0], src.Devices())
	}
}

func TestHostSourceOnThisMachine(t *testing.T) {
	src := OpenHost()
	defer src.Close()
	dst := make([]Sample, 1)
	if err := src.Read(dst); err != nil {
		t.Fatal(err)
	}
	// Burn a little CPU so that the jiffy counters move between the reads.
	deadline := time.Now().Add(60 * time.Millisecond)
	for x := 0; time.Now().Before(deadline); x++ {
		_ = x * x
	}
	if err := src.Read(dst); err != nil {
		t.Fatal(err)
	}
	s := dst[0]
	if !s.Has(FieldUtil) || s.UtilPercent <= 0 || s.UtilPercent > 100 {
		t.Errorf("util = %v (valid %v), want in (0, 100]", s.UtilPercent, s.Valid)
	}
	var si syscall.Sysinfo_t
	if err := syscall.Sysinfo(&si); err != nil {
		t.Fatal(err)
	}
	// MemTotal and sysinfo's totalram are the same kernel number; meminfo rounds to kB.
	ram := uint64(si.Totalram) * uint64(si.Unit)
	if !s.Has(FieldMemTotal|FieldMemUsed) || s.MemTotalBytes/1024 != ram/1024 ||
		s.MemUsedBytes == 0 || s.MemUsedBytes >= s.MemTotalBytes {
		t.Errorf("memory %d / %d, sysinfo total %d", s.MemUsedBytes, s.MemTotalBytes, ram)
	}

	if allocs := testing.AllocsPerRun(50, func() { src.Read(dst) }); allocs != 0 {
		t.Errorf("host Read allocates %.1f times per call, want 0", allocs)
	}
}
