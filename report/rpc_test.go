package report

import (
	"strings"
	"testing"

	"github.com/benchtui/benchtui/engine"
)

func TestNewRPC(t *testing.T) {
	hosts := []engine.HostFigures{
		{Host: "10.0.0.2:50052", Steps: 100, StepNS: 200e6, WallNS: 250e6, SentBytes: 1e6, RecvBytes: 5e5, Commands: 900, BusyNS: 50e6},
		{Host: "10.0.0.3:50052", Steps: 100, StepNS: 200e6, WallNS: 250e6, SentBytes: 2e5, RecvBytes: 1e3, Commands: 400, BusyNS: 120e6},
	}
	devs := []engine.Device{{Name: "CPU"}, {Name: "RPC0", Host: "10.0.0.2:50052", ModelBytes: 3 << 20}, {Name: "RPC1", Host: "10.0.0.3:50052"}, {Name: "RPC2", Host: "10.0.0.3:50052"}}
	s := NewRPC(hosts, nil, devs)
	if s == nil || len(s.Hosts) != 2 || s.Steps != 100 || s.MeanStepMS != 2 {
		t.Fatalf("section %+v", s)
	}
	a, b := s.Hosts[0], s.Hosts[1]
	if a.SentBytesPerStep != 1e4 || a.ReceivedBytesPerStep != 5e3 || a.CommandsPerStep != 9 || a.WaitMSPerStep != 0.5 || a.WaitShare != 0.25 {
		t.Errorf("host A %+v", a)
	}
	if a.ModelBytes != 3<<20 {
		t.Errorf("host A holds %d bytes of weights", a.ModelBytes)
	}
	if a.SentMBPerSec != 4 || b.ReceivedMBPerSec != 0.004 {
		t.Errorf("rates %g and %g MB/s, want 4 and 0.004", a.SentMBPerSec, b.ReceivedMBPerSec)
	}
	if strings.Join(b.Devices, ",") != "RPC1,RPC2" || b.WaitShare != 0.6 {
		t.Errorf("host B %+v", b)
	}

	// A run whose backend died: the last snapshot's totals.
	series := []engine.Snapshot{{Hosts: hosts[:1]}, {}}
	if s := NewRPC(nil, series, nil); s == nil || s.Hosts[0].SentBytes != 1e6 {
		t.Errorf("from the snapshots: %+v", s)
	}
	if NewRPC(nil, nil, nil) != nil {
		t.Error("a section without hosts")
	}

	var sb strings.Builder
	writeRPCSection(&sb, s)
	out := sb.String()
	for _, want := range []string{"RPC HOSTS", "10.0.0.2:50052", "RPC0", "3.0 MiB", "10000", "25.0%", "60.0%"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
}
