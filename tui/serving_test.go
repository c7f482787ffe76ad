package tui

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/benchtui/benchtui/engine"
	"github.com/benchtui/benchtui/report"
	"github.com/benchtui/benchtui/tui/panel"
)

// serverRunner is a fakeRunner whose target is a server: one that owns its batch size
// (slots), or a managed llama-server.
type serverRunner struct {
	fakeRunner
	target Target
}

func (s *serverRunner) Load(ctx context.Context, ev *engine.Events) (Target, error) {
	return s.target, nil
}

// Run runs as fakeRunner does; with an SLO its report has the goodput section, as the
// session's reports do.
func (s *serverRunner) Run(ctx context.Context, st Settings, ev *engine.Events) (*report.Export, error) {
	x, err := s.fakeRunner.Run(ctx, st, ev)
	if err == nil && s.target.SLO != nil {
		x.Report.BenchTUI.Goodput = report.NewGoodputSection(x.Requests, *s.target.SLO)
	}
	return x, err
}

// A server that owns its batch size: the header shows its slots, b/B say why they do
// nothing, and the request rate keys set the next run's rate, which the runner gets.
func TestServerOwnsItsBatchSize(t *testing.T) {
	slo, err := report.ParseSLO("ttft=50ms")
	if err != nil {
		t.Fatal(err)
	}
	fr := &serverRunner{target: Target{Model: "tiny", DType: "openai", Device: "http://127.0.0.1:1/v1",
		Server: &Server{URL: "http://127.0.0.1:1/v1", Slots: 4}, SLO: &slo}}
	d := newDriver(t, Options{Runner: fr, Settings: Settings{Batch: 64, ISL: 8, OSL: 4, Requests: 16, Concurrency: -1}, ExportDir: t.TempDir()})
	d.until("the target to load", func() bool { return d.m.loaded })
	if !d.m.header.Serving || d.m.header.Settings.Batch != 4 {
		t.Fatalf("header serving %v batch %d, want the server's 4 slots", d.m.header.Serving, d.m.header.Settings.Batch)
	}
	d.key("B")
	if !strings.Contains(d.m.status, "owns its batch size (4 slots)") || d.m.pending.Batch != 4 {
		t.Errorf("B against a server: status %q, pending batch %d", d.m.status, d.m.pending.Batch)
	}
	d.key("a") // unlimited → the default rate, before any run
	if d.m.pending.Rate != defaultRate {
		t.Fatalf("rate after a: %v, want %v", d.m.pending.Rate, float64(defaultRate))
	}
	if f := d.checkFrame(120, 36); !strings.Contains(f, "slots 4") || !strings.Contains(f, "rate 8/s") {
		t.Errorf("header does not show the slots and the rate:\n%s", f)
	}
	d.key("r")
	d.until("the run to end", func() bool { return len(d.m.runs) == 1 && !d.m.active })
	if got := fr.ran(); len(got) != 1 || got[0].Rate != 8 || got[0].Batch != 4 {
		t.Fatalf("runs %+v, want one at rate 8 with the server's 4 slots", got)
	}
	r := d.m.runs[0]
	if math.IsNaN(r.fig.Goodput) || math.IsNaN(r.fig.GoodShare) {
		t.Errorf("no goodput with an SLO: %+v", r.fig)
	}
	f := d.checkFrame(200, 60)
	for _, want := range []string{"Engine · server", "in flight", "goodput", "meet ttft=50ms"} {
		if !strings.Contains(f, want) {
			t.Errorf("200x60 frame does not say %q:\n%s", want, f)
		}
	}
	// From unlimited, a halves from what the last run reached.
	d.key("A") // 16/s
	d.key("A") // 32/s
	for d.m.pending.Rate > 0 {
		d.key("A")
	}
	d.key("a")
	if want := roundRate(r.fig.ReqS); d.m.pending.Rate != want {
		t.Errorf("a from unlimited after a run: %v, want the run's %v req/s rounded (%v)", d.m.pending.Rate, r.fig.ReqS, want)
	}
}

// llama.cpp in process has no arrival schedule: the rate keys say so and change nothing;
// a managed llama-server takes both its slots and a rate.
func TestRateKeysNeedAServer(t *testing.T) {
	fr := &fakeRunner{}
	d := newDriver(t, Options{Runner: fr, Settings: Settings{Batch: 4, ISL: 8, OSL: 4, Requests: 8, Concurrency: -1}, ExportDir: t.TempDir()})
	d.until("the target to load", func() bool { return d.m.loaded })
	d.key("a")
	if d.m.pending.Rate != 0 || !strings.Contains(d.m.status, "takes no request rate") {
		t.Errorf("a in process: rate %v, status %q", d.m.pending.Rate, d.m.status)
	}
	sr := &serverRunner{target: Target{Model: "tiny", DType: "f16", Device: "CPU", Server: &Server{URL: "llama-server", Managed: true}}}
	d = newDriver(t, Options{Runner: sr, Settings: Settings{Batch: 4, ISL: 8, OSL: 4, Requests: 8, Concurrency: -1}, ExportDir: t.TempDir()})
	d.until("the target to load", func() bool { return d.m.loaded })
	d.key("B")
	d.key("a")
	if d.m.pending.Batch != 8 || d.m.pending.Rate != defaultRate {
		t.Errorf("managed llama-server: pending %+v, want batch 8 and rate %v", d.m.pending, float64(defaultRate))
	}
}

func TestRateSteps(t *testing.T) {
	for _, c := range []struct{ r, measured, up, down float64 }{
		{0, 0, 0, defaultRate},
		{0, 37.4, 0, 37},
		{0, 0.123, 0, 0.12},
		{8, 0, 16, 4},
		{1024, 0, 0, 512},
		{minRate, 0, 2 * minRate, minRate},
	} {
		if got := rateUp(c.r); got != c.up {
			t.Errorf("rateUp(%v) = %v, want %v", c.r, got, c.up)
		}
		if got := rateDown(c.r, c.measured); math.Abs(got-c.down) > 1e-12 {
			t.Errorf("rateDown(%v, %v) = %v, want %v", c.r, c.measured, got, c.down)
		}
	}
}

// A model over RPC servers: the devices panel gives each server and this machine's CPU
// its share of the weights, the header names the servers, and the snapshots' per-host
// traffic reaches the panel.
func TestRPCServersInPanels(t *testing.T) {
	m := newModel(Options{Theme: "mono"})
	m.target = Target{Model: "tiny", DType: "f16", Device: "CPU",
		Devices: []engine.Device{{Name: "CPU", Type: "cpu", ModelBytes: 1 << 20}, {Name: "RPC0", Type: "rpc", Host: "127.0.0.1:50052", ModelBytes: 3 << 20}},
		RPC:     []engine.RPCHost{{Host: "127.0.0.1:50052", Protocol: "3.0.0", Devices: 1, Measured: true}}}
	m.devices.SetDevices([]panel.DeviceView{{Name: "host (2 cores)", Host: true}})
	m.applyTarget(m.target)
	if d := m.devices.Devices[0]; d.Weights != 1<<20 || d.WeightShare != 0.25 {
		t.Errorf("the CPU's weights %d (%v), want 1 MiB (25%%)", d.Weights, d.WeightShare)
	}
	if h := m.devices.Hosts; len(h) != 1 || h[0].WeightShare != 0.75 || h[0].Devices[0] != "RPC0" {
		t.Fatalf("hosts %+v", m.devices.Hosts)
	}
	if len(m.header.Notes) != 1 || !strings.Contains(m.header.Notes[0], "rpc 127.0.0.1:50052: 1 device, protocol 3.0.0, measured") {
		t.Errorf("header notes %q", m.header.Notes)
	}
	m.pushSnapshot(&engine.Snapshot{Running: 1, Hosts: []engine.HostFigures{{Host: "127.0.0.1:50052", Rate: engine.HostRate{SentBytesPerSec: 2e6, RecvBytesPerSec: 1e5, BusyShare: 0.3}}}})
	if h := m.devices.Hosts[0]; len(h.Sent) != 1 || h.Sent[0] != 2e6 || h.Busy[0] != 0.3 {
		t.Errorf("host traffic %+v", h)
	}
	m.resetHosts()
	if len(m.devices.Hosts[0].Sent) != 0 {
		t.Error("resetHosts kept the traffic")
	}
}
