package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/benchtui/benchtui/engine/llamacpp"
	"github.com/benchtui/benchtui/internal/rpcwire"
)

// rpcServerFlags are benchtui rpc-server's flags.
type rpcServerFlags struct {
	Host    string
	Port    int
	Device  string
	MemMiB  int
	Threads int
	Cache   bool
	Binary  string
}

// runRPCServer starts llama.cpp's rpc-server from the installed build, so that the hosts that
// lend their devices need only benchtui; it prints the address to give --rpc on the client,
// and stops the server on Ctrl-C.
func runRPCServer(args []string, stdout, stderr io.Writer) error {
	var f rpcServerFlags
	fs := newFlagSet("rpc-server")
	fs.String(&f.Host, "host", "127.0.0.1", "IPv4 address to listen on (0.0.0.0: every interface); the protocol has no authentication, so bind another address than loopback only on a trusted network", "H")
	fs.Int(&f.Port, "port", 50052, "TCP port (0: a free one)", "p")
	fs.String(&f.Device, "device", "", "devices to lend, comma-separated as llama.cpp names them (CUDA0,CUDA1; default: every GPU, else the CPU)", "d")
	fs.Int(&f.MemMiB, "mem", 0, "memory the server may lend, in MiB (only rpc-servers that have the option; 0: all)", "m")
	fs.Int(&f.Threads, "threads", 0, "CPU threads of the CPU device (0: $BENCHTUI_THREADS, else rpc-server's default)", "t")
	fs.Bool(&f.Cache, "cache", false, "let the server keep large tensors in a local file cache, so that a model's weights are not sent again", "c")
	fs.String(&f.Binary, "rpc_server", "", "llama.cpp's rpc-server to run (file or folder; default: .llama/cuda/bin, then .llama/cpu/bin)")
	for _, a := range args {
		if isHelp(a) {
			fmt.Fprint(stdout, "Usage: benchtui rpc-server [flags]\n\nStarts llama.cpp's rpc-server, which lends this machine's devices to a benchtui (or llama.cpp) run elsewhere: pass the address it prints to --rpc there.\n\n")
			fs.usage(stdout)
			return errHelpShown
		}
	}
	if err := fs.parse(args); err != nil {
		return usageError{err}
	}
	ip := net.ParseIP(f.Host)
	if ip == nil || ip.To4() == nil {
		return badInput("--host %q: llama.cpp's rpc-server listens on an IPv4 address (127.0.0.1, 0.0.0.0 or one of this machine's)", f.Host)
	}
	if f.Port < 0 || f.Port > 65535 {
		return badInput("--port %d: want 1 to 65535, or 0 for a free port", f.Port)
	}
	if f.MemMiB < 0 || f.Threads < 0 {
		return badInput("--mem and --threads must not be negative")
	}
	bin, err := llamacpp.FindRPCServer(f.Binary)
	if err != nil {
		return usageError{err}
	}
	if f.Port == 0 {
		if f.Port, err = freePort(f.Host); err != nil {
			return fmt.Errorf("find a free port on %s: %w", f.Host, err)
		}
	}
	argv := []string{"--host", f.Host, "--port", strconv.Itoa(f.Port)}
	if f.Device != "" {
		argv = append(argv, "--device", f.Device)
	}
	threads := f.Threads
	if threads == 0 {
		threads, _ = strconv.Atoi(os.Getenv(llamacpp.ThreadsEnv))
	}
	if threads > 0 {
		argv = append(argv, "--threads", strconv.Itoa(threads))
	}
	if f.Cache {
		argv = append(argv, "--cache")
	}
	if f.MemMiB > 0 {
		if !hasOption(bin, "--mem") {
			return badInput("--mem: %s has no memory limit (llama.cpp's rpc-server dropped --mem); weight what each host takes with --tensor_split on the client", bin)
		}
		argv = append(argv, "--mem", strconv.Itoa(f.MemMiB))
	}

	addr := net.JoinHostPort(f.Host, strconv.Itoa(f.Port))
	if ip.IsLoopback() {
		fmt.Fprintf(stderr, "benchtui: note: llama.cpp's RPC protocol has no authentication and no encryption; this server listens on loopback only (--host to lend the devices to other hosts, on a trusted network)\n")
	} else {
		fmt.Fprintf(stderr, "benchtui: WARNING: llama.cpp's RPC protocol has no authentication and no encryption: anyone who reaches %s can use this machine's devices and memory. Never expose it to an open network.\n", addr)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cmd := exec.Command(bin, argv...)
	cmd.Stdout, cmd.Stderr = stderr, stderr
	setParentDeathSignal(cmd)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	// Ready when it answers the handshake (on loopback when it listens on every interface).
	probeAt := addr
	if ip.IsUnspecified() {
		probeAt = net.JoinHostPort("127.0.0.1", strconv.Itoa(f.Port))
	}
	var version rpcwire.Version
	ready := false
	for deadline := time.Now().Add(30 * time.Second); !ready && time.Now().Before(deadline); {
		select {
		case err := <-exited:
			return fmt.Errorf("rpc-server %s exited before it was ready (%v): is port %d in use? (its output is above)", bin, exitStatus(err), f.Port)
		case <-ctx.Done():
			return stopRPCServer(cmd, exited)
		case <-time.After(100 * time.Millisecond):
		}
		if v, err := rpcwire.Probe(ctx, probeAt, time.Second); err == nil {
			version, ready = v, true
		}
	}
	if !ready {
		stopRPCServer(cmd, exited)
		return fmt.Errorf("rpc-server %s did not answer on %s within 30s", bin, probeAt)
	}
	fmt.Fprintf(stdout, "benchtui: RPC server ready on %s (protocol %s, %s); Ctrl-C stops it\n", addr, version, bin)
	for _, a := range clientAddresses(ip, f.Port) {
		fmt.Fprintf(stdout, "benchtui: on the client: --rpc %s\n", a)
	}
	select {
	case err := <-exited:
		return fmt.Errorf("rpc-server exited: %v", exitStatus(err))
	case <-ctx.Done():
		return stopRPCServer(cmd, exited)
	}
}

// stopRPCServer ends the server (SIGTERM, then SIGKILL after three seconds).
func stopRPCServer(cmd *exec.Cmd, exited chan error) error {
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(3 * time.Second):
		cmd.Process.Kill()
		<-exited
	}
	return nil
}

func exitStatus(err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ProcessState.String()
	}
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}

// hasOption says whether bin's --help lists opt.
func hasOption(bin, opt string) bool {
	out, _ := exec.Command(bin, "--help").CombinedOutput()
	return strings.Contains(string(out), opt+" ")
}

func freePort(host string) (int, error) {
	ln, err := net.Listen("tcp4", net.JoinHostPort(host, "0"))
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// clientAddresses are the addresses a client gives --rpc: the one listened on, or, on every
// interface, this machine's IPv4 addresses.
func clientAddresses(ip net.IP, port int) []string {
	p := strconv.Itoa(port)
	if !ip.IsUnspecified() {
		return []string{net.JoinHostPort(ip.String(), p)}
	}
	var out []string
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() {
			out = append(out, net.JoinHostPort(n.IP.String(), p))
		}
	}
	return append(out, net.JoinHostPort("127.0.0.1", p))
}
