package llamacpp

/*
#include <stdlib.h>
#include "rpc.h"
*/
import "C"

import (
	"context"
	"fmt"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"github.com/benchtui/benchtui/engine"
	"github.com/benchtui/benchtui/internal/rpcwire"
)

// RPC servers (llama.cpp's rpc-server, started on other hosts with benchtui rpc-server)
// lend their devices to the model: they come first in the model's device list, before this
// machine's GPUs, and the layers are split over them as over local GPUs (split_mode layer,
// weighted by tensor_split; layers not offloaded stay on this machine's CPU). Unless
// Options.RPCDirect, llama.cpp reaches each server through a relay on loopback that
// measures the traffic (internal/rpcwire); the backend then implements engine.HostMeter.

// rpcState is a backend's RPC servers and the time of its decode steps.
type rpcState struct {
	hosts  []rpcHost
	steps  int64
	stepNS int64
}

// rpcHost is one server of a backend.
type rpcHost struct {
	host     string
	relay    *rpcwire.Relay // nil when llama.cpp connects directly
	id       C.int
	version  rpcwire.Version
	devices  []engine.Device
	endpoint string // what llama.cpp connects to: the relay's address, or host
}

var (
	rpcMu sync.Mutex
	// relays are this process's measuring relays, one per server. They last as long as the
	// process: llama.cpp keeps every endpoint it connected to, so a later load on the same
	// server must find the same relay address.
	relays = map[string]*rpcwire.Relay{}
)

// maxModelDevices bounds the device list of a model (llama.cpp takes 16 RPC servers, each
// with a few devices, and the local GPUs).
const maxModelDevices = 128

// openRPC checks and connects the servers of o.RPC; nil when there are none. Every server
// is first probed (reachable, free, same protocol version), since llama.cpp aborts the
// process on any of these failures.
func openRPC(ctx context.Context, o *Options) (*rpcState, error) {
	if len(o.RPC) == 0 {
		return nil, nil
	}
	st := &rpcState{hosts: make([]rpcHost, len(o.RPC))}
	errs := make([]error, len(o.RPC))
	var wg sync.WaitGroup
	for i, h := range o.RPC {
		st.hosts[i].host = h
		wg.Go(func() { st.hosts[i].version, errs[i] = rpcwire.Probe(ctx, h, 0) })
	}
	wg.Wait()
	if err := firstError(errs); err != nil {
		return nil, err
	}
	// llama.cpp writes to its sockets without MSG_NOSIGNAL: a write to a server that went
	// away would raise SIGPIPE in a native thread, which kills the process without a word.
	// Ignored, the write fails, llama.cpp aborts, and the abort callback names the server.
	signal.Ignore(syscall.SIGPIPE)

	rpcMu.Lock()
	defer rpcMu.Unlock()
	for i := range st.hosts {
		h := &st.hosts[i]
		h.endpoint = h.host
		if !o.RPCDirect {
			r := relays[h.host]
			if r == nil {
				var err error
				r, err = rpcwire.Listen(h.host, rpcwire.Options{OnFail: noteRPCFailure})
				if err != nil {
					return nil, err
				}
				relays[h.host] = r
			}
			h.relay, h.endpoint = r, r.Addr()
		}
		if err := h.connect(o.RPCDirect); err != nil {
			return nil, err
		}
	}
	return st, nil
}

func firstError(errs []error) error {
	var first error
	n := 0
	for _, e := range errs {
		if e != nil {
			if first == nil {
				first = e
			}
			n++
		}
	}
	if n > 1 {
		return fmt.Errorf("%w (and %d more RPC servers failed the same check)", first, n-1)
	}
	return first
}

// connect makes llama.cpp connect to the server and lists its devices.
func (h *rpcHost) connect(direct bool) error {
	ce := C.CString(h.endpoint)
	defer C.free(unsafe.Pointer(ce))
	var buf [512]C.char
	clearLog()
	id := C.bt_rpc_add(ce, boolInt(direct), &buf[0], C.size_t(len(buf)))
	if id < 0 {
		return fmt.Errorf("RPC server %s: %s", h.host, C.GoString(&buf[0]))
	}
	h.id = id
	n := int(C.bt_rpc_device_count(id))
	for j := 0; j < n; j++ {
		var d C.bt_device
		if C.bt_rpc_device_get(id, C.int(j), &d) != 0 {
			continue
		}
		desc := "RPC server " + h.host
		if n > 1 {
			desc += fmt.Sprintf(" device %d", j)
		}
		h.devices = append(h.devices, engine.Device{
			Name:        C.GoString(&d.name[0]),
			Description: desc,
			Type:        "rpc",
			FreeBytes:   uint64(d.free_mem),
			TotalBytes:  uint64(d.total_mem),
			Host:        h.host,
		})
	}
	return nil
}

// noteRPCFailure keeps a relay's one-line failure for the abort that follows it.
func noteRPCFailure(line string) {
	cl := C.CString(line)
	defer C.free(unsafe.Pointer(cl))
	C.bt_rpc_note(cl)
}

// modelDevices is the NULL-terminated device list for the model (free it with C.free). It
// refuses a tensor split with more weights than the list has devices, which llama.cpp
// would ignore.
func (st *rpcState) modelDevices(split []float32, local []engine.Device) (*C.ggml_backend_dev_t, error) {
	ids := make([]C.int32_t, len(st.hosts))
	for i := range st.hosts {
		ids[i] = C.int32_t(st.hosts[i].id)
	}
	list := (*C.ggml_backend_dev_t)(C.calloc(maxModelDevices, C.size_t(unsafe.Sizeof(C.ggml_backend_dev_t(nil)))))
	n := int(C.bt_rpc_model_devices(&ids[0], C.int(len(ids)), list, maxModelDevices))
	if len(split) > n {
		C.free(unsafe.Pointer(list))
		var names []string
		for _, d := range st.devices() {
			names = append(names, d.Name+" on "+d.Host)
		}
		for _, d := range local {
			if d.Type == "gpu" || d.Type == "igpu" {
				names = append(names, d.Name)
			}
		}
		devs := "devices"
		if n == 1 {
			devs = "device"
		}
		return nil, fmt.Errorf("tensor_split has %d weights but the layers are split over %d %s (%s): give one weight per device, the RPC servers' first; layers not offloaded (n_gpu_layers) stay on this machine's CPU",
			len(split), n, devs, strings.Join(names, ", "))
	}
	return list, nil
}

// devices lists the servers' devices, in the model's order.
func (st *rpcState) devices() []engine.Device {
	var out []engine.Device
	for _, h := range st.hosts {
		out = append(out, h.devices...)
	}
	return out
}

// info describes the servers for BackendInfo.
func (st *rpcState) info() []engine.RPCHost {
	out := make([]engine.RPCHost, len(st.hosts))
	for i, h := range st.hosts {
		out[i] = engine.RPCHost{Host: h.host, Protocol: h.version.String(), Devices: len(h.devices), Measured: h.relay != nil}
	}
	return out
}

// runsOn adds the servers to what the local devices run.
func (st *rpcState) runsOn(local string) string {
	names := make([]string, len(st.hosts))
	for i, h := range st.hosts {
		names[i] = h.host
	}
	what := "RPC server"
	if len(names) > 1 {
		what = fmt.Sprintf("%d RPC servers", len(names))
	}
	return fmt.Sprintf("%s + %s (%s)", local, what, strings.Join(names, ", "))
}

// step adds one decode step's time.
func (st *rpcState) step(d time.Duration) {
	st.steps++
	st.stepNS += int64(d)
}

// ReadHostTraffic implements engine.HostMeter: the relays' counters (servers reached
// directly are not measured) and the backend's decode steps. It allocates nothing once
// t.Hosts has room.
func (b *Backend) ReadHostTraffic(t *engine.HostTraffic) {
	t.Hosts = t.Hosts[:0]
	if b.rpc == nil {
		return
	}
	t.Steps, t.StepNS = b.rpc.steps, b.rpc.stepNS
	for i := range b.rpc.hosts {
		h := &b.rpc.hosts[i]
		if h.relay == nil {
			continue
		}
		c := h.relay.Counters()
		t.Hosts = append(t.Hosts, engine.HostCounters{Host: h.host, SentBytes: c.SentBytes, RecvBytes: c.RecvBytes, Commands: c.Commands, BusyNS: c.BusyNS})
	}
}

// CheckRPC refuses malformed or repeated RPC server names, and more servers than llama.cpp
// takes.
func CheckRPC(hosts []string) error {
	seen := map[string]bool{}
	for _, h := range hosts {
		if _, _, err := rpcwire.ParseEndpoint(h); err != nil {
			return err
		}
		if seen[h] {
			return fmt.Errorf("RPC server %s is listed twice", h)
		}
		seen[h] = true
	}
	if len(hosts) > maxRPCServers {
		return fmt.Errorf("%d RPC servers: llama.cpp takes at most %d", len(hosts), maxRPCServers)
	}
	return nil
}

// maxRPCServers is GGML_RPC_MAX_SERVERS.
const maxRPCServers = 16

// modelBytes sets each device's ModelBytes from llama.cpp's load log, whose lines
// "load_tensors: NAME model buffer size = X MiB" name a buffer per device: CPU (and
// CPU_Mapped), a local device by its name, and "RPC<i>[endpoint]" for device i of the server
// at endpoint (the relay's address when measured). The sizes are llama.cpp's, rounded to
// 0.01 MiB.
func (st *rpcState) modelBytes(log string, devs []engine.Device) {
	for _, line := range strings.Split(log, "\n") {
		head, rest, ok := strings.Cut(line, " model buffer size = ")
		if !ok {
			continue
		}
		mib, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "MiB")), 64)
		if err != nil {
			continue
		}
		name := head[strings.LastIndexByte(head, ' ')+1:]
		bytes := uint64(mib * (1 << 20))
		if d := st.deviceOf(name, devs); d != nil {
			d.ModelBytes += bytes
		}
	}
}

// deviceOf finds the device a buffer name of the load log belongs to.
func (st *rpcState) deviceOf(name string, devs []engine.Device) *engine.Device {
	if idx, endpoint, ok := strings.Cut(strings.TrimPrefix(name, "RPC"), "["); ok && strings.HasPrefix(name, "RPC") {
		j, err := strconv.Atoi(idx)
		endpoint = strings.TrimSuffix(endpoint, "]")
		if err != nil {
			return nil
		}
		for _, h := range st.hosts {
			if h.endpoint != endpoint || j >= len(h.devices) {
				continue
			}
			for i := range devs {
				if devs[i].Host == h.host && devs[i].Name == h.devices[j].Name {
					return &devs[i]
				}
			}
		}
		return nil
	}
	base, _, _ := strings.Cut(name, "_") // CPU_Mapped, CPU_REPACK
	for i := range devs {
		if devs[i].Host == "" && (devs[i].Name == name || devs[i].Name == base) {
			return &devs[i]
		}
	}
	return nil
}
