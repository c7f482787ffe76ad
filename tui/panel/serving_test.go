package panel_test

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/benchtui/benchtui/tui/panel"
	"github.com/benchtui/benchtui/tui/panel/paneltest"
)

// streamEngine is an engine panel of a run against a server that reports its own figures,
// with a client that fell behind a 16/s schedule.
func streamEngine(theme string) *panel.Engine {
	p := panel.NewEngine(paneltest.Styles(theme))
	p.Stream, p.MaxBatch = true, 4
	for i := 0; i < 40; i++ {
		p.Push(min(i, 4), 40-i, 0, 0)
		p.PushServer(float64(min(i, 4)), float64(max(0, 6-i)), float64(2*i))
	}
	p.ServerSource = "llamacpp"
	p.Load = panel.LoadView{Known: true, Sent: 36, Total: 64, TargetRate: 16, AchievedRate: 11.5, LagP50: 3.2, LagP99: 412, Behind: true}
	p.Lines = []panel.EngineLine{{Label: "output lengths", Value: "36 of 36 as asked · 1.00 tokens a chunk"}}
	return p
}

// rpcDevices is a devices panel of a model spread over this machine's CPU and two RPC
// servers, one measured, the other not.
func rpcDevices(theme string) *panel.Devices {
	p := panel.NewDevices(paneltest.Styles(theme))
	p.SetDevices([]panel.DeviceView{{Name: "host (2 cores)", Host: true, Util: []float64{40, 60, 80}, MemUsed: []float64{3, 3.2}, MemTotal: 23.4,
		Weights: 1 << 20, WeightShare: 0.25}})
	p.Hosts = []panel.HostView{
		{Host: "127.0.0.1:50052", Devices: []string{"RPC0"}, Weights: 3 << 19, WeightShare: 0.375, FreeBytes: 20 << 30, TotalBytes: 24 << 30,
			Measured: true, Sent: []float64{1e6, 2e6, 1.5e6}, Recv: []float64{3e5, 2e5, 4e5}, Busy: []float64{0.1, 0.2, 0.15}},
		{Host: "10.0.0.7:50052", Devices: []string{"RPC1"}, Weights: 3 << 19, WeightShare: 0.375},
	}
	p.Note = "telemetry: this machine's (the server runs elsewhere)"
	return p
}

func TestGoldenServingPanels(t *testing.T) {
	for _, theme := range goldenThemes {
		var b strings.Builder
		eng := streamEngine(theme)
		for _, s := range [][2]int{{80, eng.Rows() + 2}, {120, eng.Rows() + 2}, {60, 6}, {40, 1}} {
			fmt.Fprintf(&b, "── engine %dx%d ──\n%s\n", s[0], s[1], eng.Render(s[0], s[1]))
		}
		dev := rpcDevices(theme)
		for _, s := range [][2]int{{80, dev.Rows() + 2}, {120, dev.Rows() + 2}, {60, 5}, {40, 1}} {
			fmt.Fprintf(&b, "── devices %dx%d ──\n%s\n", s[0], s[1], dev.Render(s[0], s[1]))
		}
		h := panel.NewHeader(paneltest.Styles(theme))
		h.Model, h.DType, h.Device, h.State = "tiny", "openai", "http://127.0.0.1:8080/v1", panel.StateIdle
		h.Serving = true
		h.Settings = panel.Settings{Batch: 0, ISL: 128, OSL: 32, Requests: 64, Concurrency: -1, Rate: 0}
		h.SetPending(panel.Settings{Batch: 0, ISL: 128, OSL: 32, Requests: 64, Concurrency: -1, Rate: 8})
		h.Notes = []string{"rpc 127.0.0.1:50052: 1 device, protocol 3.0.0, measured"}
		for _, w := range []int{80, 200} {
			fmt.Fprintf(&b, "── header %dx2 ──\n%s\n", w, h.Render(w, 2))
		}
		paneltest.Golden(t, "serving_panels_"+theme, b.String())
	}
}

// A server run's engine panel has a line for each thing it says and keeps the contract at
// every size; what it says is the server's own where it is, and the client's schedule.
func TestStreamEngineSays(t *testing.T) {
	p := streamEngine("mono")
	full := ansi.Strip(p.Render(100, p.Rows()+2))
	for _, want := range []string{"in flight", "not sent", "srv run", "4/4", "srv kv", "llamacpp /metrics", "sent 36/64",
		"rate 11.5 of 16/s", "send lag p50 3.20ms", "p99 412ms", "client behind", "36 of 36 as asked"} {
		if !strings.Contains(full, want) {
			t.Errorf("engine panel does not say %q:\n%s", want, full)
		}
	}
	if lines := strings.Split(full, "\n"); strings.TrimSpace(strings.Trim(lines[len(lines)-2], "│")) == "" {
		t.Errorf("Rows() asks for more lines than the panel fills:\n%s", full)
	}
	// A server that reports no figures: its rows are not there.
	p.ServerSource = ""
	if out := ansi.Strip(p.Render(100, p.Rows()+2)); strings.Contains(out, "srv") {
		t.Errorf("server rows without server metrics:\n%s", out)
	}
	// One a server does not report (-1) is n/a, not 0.
	p.ServerSource = "vllm"
	p.PushServer(2, -1, -1)
	if out := ansi.Strip(p.Render(100, p.Rows()+2)); !strings.Contains(out, "n/a") {
		t.Errorf("unreported server figures not n/a:\n%s", out)
	}
	for _, w := range paneltest.SweepWidths() {
		for _, h := range []int{1, 2, 3, 5, 8, 12} {
			paneltest.CheckBlock(t, "stream engine", p.Render(w, h), w, h)
		}
	}
}

// The devices panel names every RPC server with its share of the weights and, when the
// relay measures it, its traffic; the note says whose telemetry it is.
func TestDevicesShowRPCServers(t *testing.T) {
	p := rpcDevices("mono")
	out := ansi.Strip(p.Render(100, p.Rows()+2))
	for _, want := range []string{"1 here + 2 rpc", "rpc 127.0.0.1:50052", "RPC0", "weights 1.5 MiB (38%)", "free 20.00 GiB/24.00 GiB",
		"sent", "1.50 MB/s", "wait", "15%", "rpc 10.0.0.7:50052", "traffic not measured", "weights 1.0 MiB (25%)", "this machine's"} {
		if !strings.Contains(out, want) {
			t.Errorf("devices panel does not say %q:\n%s", want, out)
		}
	}
	// Short: one line per server, and still every server.
	short := ansi.Strip(p.Render(100, 5))
	if !strings.Contains(short, "127.0.0.1:50052") || !strings.Contains(short, "10.0.0.7:50052") {
		t.Errorf("a short panel lost a server:\n%s", short)
	}
	p.Devices[0].WeightShare = math.NaN()
	if out := ansi.Strip(p.Render(100, p.Rows()+2)); strings.Contains(out, "weights 1.0 MiB") {
		t.Errorf("weights shown without a known share:\n%s", out)
	}
	for _, w := range paneltest.SweepWidths() {
		for _, h := range []int{1, 2, 3, 4, 6, 9} {
			paneltest.CheckBlock(t, "rpc devices", p.Render(w, h), w, h)
		}
	}
}

// A server's batch size is its slots: the header says so, and shows the request rate.
func TestHeaderServing(t *testing.T) {
	h := panel.NewHeader(paneltest.Styles("mono"))
	h.Serving = true
	h.Settings = panel.Settings{Batch: 4, ISL: 128, OSL: 32, Requests: 64, Concurrency: -1, Rate: 0.5}
	out := ansi.Strip(h.Render(120, 2))
	if !strings.Contains(out, "slots 4") || !strings.Contains(out, "rate 0.5/s") || strings.Contains(out, "B 4") {
		t.Errorf("serving header:\n%s", out)
	}
	h.Settings.Batch = 0
	if out := ansi.Strip(h.Render(120, 2)); !strings.Contains(out, "slots ?") {
		t.Errorf("unknown slots not shown as such:\n%s", out)
	}
	h.Serving = false
	if out := ansi.Strip(h.Render(120, 2)); strings.Contains(out, "rate") {
		t.Errorf("rate shown for an in-process engine:\n%s", out)
	}
}
