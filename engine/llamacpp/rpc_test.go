package llamacpp

import (
	"context"
	"net"
	"strings"
	"testing"

	"github.com/benchtui/benchtui/dataset"
	"github.com/benchtui/benchtui/engine"
	"github.com/benchtui/benchtui/internal/rpctest"
)

// startRPCServers starts n of llama.cpp's rpc-servers on loopback (CPU, one thread).
func startRPCServers(t *testing.T, n int) []*rpctest.Server {
	t.Helper()
	bin, err := FindRPCServer("")
	if err != nil {
		t.Fatal(err)
	}
	var out []*rpctest.Server
	for range n {
		s, err := rpctest.Start(bin, 1)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.Stop)
		out = append(out, s)
	}
	return out
}

func runTiny(t *testing.T, o Options, reqs []dataset.Request) (*engine.Result, engine.BackendInfo) {
	t.Helper()
	o.ModelPath, o.Threads, o.FlashAttn, o.OffloadKQV = tinyModel(t), 1, "auto", true
	b, err := Open(context.Background(), o, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	cfg := engine.Config{MaxBatchSize: 4, MaxNumTokens: 64, MaxSeqLen: 64, Concurrency: -1, EOSID: -1, KeepTokens: true}
	if err := b.CreateContext(cfg.MaxBatchSize*cfg.MaxSeqLen, cfg.MaxNumTokens, 0, cfg.MaxBatchSize); err != nil {
		t.Fatal(err)
	}
	res, err := engine.Run(context.Background(), b, reqs, cfg, engine.Hooks{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return res, b.Info()
}

// TestRPCSplitMatchesLocal splits the tiny model over two loopback rpc-servers and this
// machine's CPU (n_gpu_layers 3 counts the output layer: two layers stay here, two and the
// output go to the servers) and checks the
// greedy tokens against a local run, the devices named with their hosts, and the per-host
// traffic.
func TestRPCSplitMatchesLocal(t *testing.T) {
	srv := startRPCServers(t, 2)
	reqs, _, err := dataset.GenerateNormal(dataset.NormalOptions{
		GenerateOptions: dataset.GenerateOptions{NumRequests: 8, VocabSize: 2048, EOS: 2, Seed: 11},
		InputMean:       24, InputStdev: 8, OutputMean: 12, OutputStdev: 4,
	})
	if err != nil {
		t.Fatal(err)
	}
	local, _ := runTiny(t, Options{GPULayers: 0}, reqs)
	split, info := runTiny(t, Options{GPULayers: 3, SplitMode: "layer", TensorSplit: []float32{1, 1},
		RPC: []string{srv[0].Addr, srv[1].Addr}}, reqs)

	for i := range reqs {
		a, b := local.Records[i].OutputIDs, split.Records[i].OutputIDs
		if len(a) == 0 || len(a) != len(b) {
			t.Fatalf("request %d: %d tokens locally, %d split", i, len(a), len(b))
		}
		for k := range a {
			if a[k] != b[k] {
				t.Fatalf("request %d token %d: %d locally, %d split over RPC (%v vs %v)", i, k, a[k], b[k], a, b)
			}
		}
	}

	var hosts []string
	var weights uint64
	for _, d := range info.Devices {
		weights += d.ModelBytes
		if d.Type == "rpc" {
			if d.ModelBytes == 0 {
				t.Errorf("RPC device %s holds no weights", d.Name)
			}
			hosts = append(hosts, d.Host)
			if !strings.Contains(d.Description, d.Host) || d.TotalBytes == 0 {
				t.Errorf("RPC device %+v: want its host in the description and its memory", d)
			}
		}
	}
	if len(hosts) != 2 || hosts[0] != srv[0].Addr || hosts[1] != srv[1].Addr {
		t.Errorf("RPC devices on %v, want %s and %s", hosts, srv[0].Addr, srv[1].Addr)
	}
	// The load log's buffer sizes (rounded to 0.01 MiB) add up to the model's size.
	if diff := float64(weights) - float64(info.SizeBytes); diff < -0.1*float64(info.SizeBytes) || diff > 0.1*float64(info.SizeBytes) {
		t.Errorf("devices hold %d bytes of weights, the model has %d", weights, info.SizeBytes)
	}
	if len(info.RPC) != 2 || info.RPC[0].Protocol != "7.0.0" || !info.RPC[1].Measured {
		t.Errorf("RPC servers %+v", info.RPC)
	}
	if !strings.Contains(info.RunsOn, srv[1].Addr) {
		t.Errorf("runs on %q: the servers are not named", info.RunsOn)
	}

	if len(split.Hosts) != 2 {
		t.Fatalf("%d hosts measured, want 2", len(split.Hosts))
	}
	for i, h := range split.Hosts {
		if h.Host != srv[i].Addr || h.Steps != split.Steps || h.SentBytes == 0 || h.RecvBytes == 0 || h.Commands < uint64(h.Steps) {
			t.Errorf("host %d figures %+v over %d steps", i, h, split.Steps)
		}
		if s := h.BusyShare(); s <= 0 || s > 1.05 {
			t.Errorf("host %s waited on for %.1f%% of the step time", h.Host, 100*s)
		}
	}
	// The second server holds the output layer and samples there: only tokens come back,
	// not a vocabulary of logits per sequence (4 x 2048 floats a step here).
	if got := split.Hosts[1].RecvPerStep(); got >= 4*2048 {
		t.Errorf("the server holding the output sent back %.0f bytes a step: logits rows are copied", got)
	}
}

// TestRPCDirect connects llama.cpp to a server without the relay: the model runs, and no
// traffic is measured.
func TestRPCDirect(t *testing.T) {
	srv := startRPCServers(t, 1)
	reqs, _, _ := dataset.GenerateNormal(dataset.NormalOptions{
		GenerateOptions: dataset.GenerateOptions{NumRequests: 2, VocabSize: 2048, EOS: 2, Seed: 1},
		InputMean:       8, OutputMean: 4,
	})
	res, info := runTiny(t, Options{GPULayers: -1, SplitMode: "layer", RPC: []string{srv[0].Addr}, RPCDirect: true}, reqs)
	if res.Hosts != nil || len(info.RPC) != 1 || info.RPC[0].Measured {
		t.Errorf("direct connection: hosts %+v, servers %+v", res.Hosts, info.RPC)
	}
	if !res.Records[1].Completed() {
		t.Error("request did not complete")
	}
}

// TestRPCUnreachable checks that a server nobody listens on is one clear error before
// llama.cpp, which would abort the process, connects.
func TestRPCUnreachable(t *testing.T) {
	ln, _ := net.Listen("tcp4", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	_, err := Open(context.Background(), Options{ModelPath: tinyModel(t), Threads: 1, GPULayers: -1, RPC: []string{addr}}, nil)
	if err == nil || !strings.Contains(err.Error(), "RPC server "+addr+": connection refused") {
		t.Fatalf("open with an unreachable server: %v", err)
	}
}

// TestRPCTensorSplitTooLong checks that a weight for a device that does not exist is one
// clear error naming the devices, where llama.cpp would ignore it.
func TestRPCTensorSplitTooLong(t *testing.T) {
	srv := startRPCServers(t, 1)
	_, err := Open(context.Background(), Options{ModelPath: tinyModel(t), Threads: 1, GPULayers: -1,
		SplitMode: "layer", TensorSplit: []float32{1, 1}, RPC: []string{srv[0].Addr}}, nil)
	if err == nil || !strings.Contains(err.Error(), "tensor_split has 2 weights but the layers are split over 1 device (RPC") {
		t.Fatalf("open with a weight too many: %v", err)
	}
}

// TestRPCOptionsFile reads the RPC keys of an options file, in TOML and in YAML, as a list
// or as --rpc's comma-separated string.
func TestRPCOptionsFile(t *testing.T) {
	for name, body := range map[string]string{
		"opts.toml": "rpc = [\"10.0.0.2:50052\", \"10.0.0.3:50052\"]\nrpc_measure = false\n",
		"opts.yaml": "rpc: 10.0.0.2:50052,10.0.0.3:50052\nrpc_measure: false\n",
	} {
		o, err := LoadOptionsFile(writeFile(t, name, body))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		b := o.Backend
		if strings.Join(b.RPC, " ") != "10.0.0.2:50052 10.0.0.3:50052" || b.RPCMeasure == nil || *b.RPCMeasure {
			t.Errorf("%s: rpc %v, rpc_measure %v", name, b.RPC, b.RPCMeasure)
		}
	}
	if _, err := LoadOptionsFile(writeFile(t, "bad.toml", "rpc = 5\n")); err == nil || !strings.Contains(err.Error(), "host:port") {
		t.Errorf("rpc = 5: %v", err)
	}
}
