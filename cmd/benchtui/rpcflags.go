package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/benchtui/benchtui/engine/llamacpp"
	"github.com/benchtui/benchtui/internal/rpcwire"
)

// addRPCFlags adds the flags of llama.cpp's RPC backend and of the layer split; their
// defaults are the values they point at.
func addRPCFlags(fs *flagSet, rpc, split *string, measure *bool) {
	fs.String(rpc, "rpc", *rpc, "llama.cpp RPC servers host:port[,host:port...] (started with benchtui rpc-server) whose devices join this machine's; the layers are split over them")
	fs.String(split, "tensor_split", *split, "weights of the layer split over the devices, comma-separated: the RPC servers' devices first (in --rpc order), then the local GPUs (layers not offloaded, see --n_gpu_layers, stay on this machine's CPU)", "ts")
	fs.Bool(measure, "rpc_measure", *measure, "route the RPC traffic through a loopback relay that measures bytes and waiting per host (false: llama.cpp connects directly)")
}

// rpcOptions puts the RPC and split flags into o where use says the flag decides (given on
// the command line, or not set by the options file); an empty value that was not given
// leaves o as it is.
func rpcOptions(o *llamacpp.BackendOptions, rpc, split string, measure bool, set map[string]bool, use func(key string) bool) error {
	if use("rpc") && (set["rpc"] || rpc != "") {
		hosts, err := rpcwire.ParseEndpoints(rpc)
		if err != nil {
			return fmt.Errorf("--rpc: %w", err)
		}
		o.RPC = hosts
	}
	if use("tensor_split") && (set["tensor_split"] || split != "") {
		v, err := parseTensorSplit(split)
		if err != nil {
			return err
		}
		o.TensorSplit = v
	}
	if use("rpc_measure") {
		m := measure
		o.RPCMeasure = &m
	}
	return nil
}

// parseTensorSplit reads --tensor_split: non-negative weights, at least one above zero.
func parseTensorSplit(s string) ([]float64, error) {
	var out []float64
	sum := 0.0
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		v, err := strconv.ParseFloat(f, 64)
		if err != nil || v < 0 {
			return nil, fmt.Errorf("--tensor_split %q: %q is not a weight (want non-negative numbers, e.g. 3,1)", s, f)
		}
		out = append(out, v)
		sum += v
	}
	if sum == 0 {
		return nil, fmt.Errorf("--tensor_split %q: every weight is 0", s)
	}
	return out, nil
}
