package llamacpp

// Finding and opening libllama, the devices it sees, and the process-wide switches of its
// native code (its log, CUDA graphs, the fault injection of tests).

/*
#include <stdlib.h>
#include "shim.h"
*/
import "C"

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"unsafe"

	"github.com/benchtui/benchtui/engine"
)

// openPath is the library opened, once per process; openMu guards it.
var (
	openMu   sync.Mutex
	openPath string
)

// libNames are the file names libllama has in a build tree and in npm's prebuilt packages.
var libNames = []string{"libllama.so", "libllama.so.0", "libllama.v0.5.0.so", "libllama.dylib"}

// variants are the folders of .llama that scripts/setup-llama.sh installs, in the order
// FindLibrary prefers them: a CUDA build, a CPU build from source (with llama.cpp's RPC
// backend, llama-server and the other tools beside it), and llama.cpp's prebuilt CPU
// libraries, which the first run installs because they take seconds instead of minutes.
var variants = []string{"cuda", "cpu", "cpu-prebuilt"}

// FindLibrary returns the path of libllama to load. explicit (a file or folder) wins, then
// BENCHTUI_LLAMA_LIB, then .llama/<variant>/lib for each of variants in turn, looked for
// next to the executable and in the current folder or any folder above it, then lib/ next
// to the executable.
func FindLibrary(explicit string) (string, error) {
	if explicit == "" {
		explicit = os.Getenv("BENCHTUI_LLAMA_LIB")
	}
	if explicit != "" {
		st, err := os.Stat(explicit)
		if err != nil {
			return "", fmt.Errorf("llama.cpp library %s: %w", explicit, err)
		}
		if !st.IsDir() {
			return explicit, nil
		}
		if p := findIn(explicit); p != "" {
			return p, nil
		}
		return "", fmt.Errorf("no libllama in %s", explicit)
	}
	var bases []string
	if exe, err := os.Executable(); err == nil {
		dir := filepath.Dir(exe)
		bases = append(bases, dir, filepath.Dir(dir))
	}
	if wd, err := os.Getwd(); err == nil {
		for d := wd; ; d = filepath.Dir(d) {
			bases = append(bases, d)
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	for _, variant := range variants {
		for _, b := range bases {
			if p := findIn(filepath.Join(b, ".llama", variant, "lib")); p != "" {
				return p, nil
			}
		}
	}
	for _, b := range bases[:min(len(bases), 1)] {
		if p := findIn(filepath.Join(b, "lib")); p != "" {
			return p, nil
		}
	}
	return "", fmt.Errorf("llama.cpp library not found in .llama/{cuda,cpu,cpu-prebuilt}/lib beside the executable or above the current folder: " +
		"install it with scripts/setup-llama.sh cpu-prebuilt (seconds) or cpu (a source build), or set BENCHTUI_LLAMA_LIB")
}

func findIn(dir string) string {
	for _, n := range libNames {
		p := filepath.Join(dir, n)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// Open loads libllama (once per process).
func openLibrary(explicit string, verbose bool, cudaGraphs *bool) (string, error) {
	openMu.Lock()
	defer openMu.Unlock()
	level := C.int(C.GGML_LOG_LEVEL_INFO)
	C.bt_log_configure(boolInt(verbose), level)
	if openPath != "" {
		return openPath, nil
	}
	path, err := FindLibrary(explicit)
	if err != nil {
		return "", err
	}
	cudaGraphsEnv(cudaGraphs)
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	var buf [1024]C.char
	if C.bt_open(cpath, &buf[0], C.size_t(len(buf))) != 0 {
		return "", fmt.Errorf("load llama.cpp library %s: %s", path, C.GoString(&buf[0]))
	}
	openPath = path
	return path, nil
}

func boolInt(b bool) C.int {
	if b {
		return 1
	}
	return 0
}

// LogTail returns llama.cpp's last log lines, for error messages.
func LogTail(lines int) string {
	var buf [8192]C.char
	n := C.bt_log_tail(&buf[0], C.size_t(len(buf)), C.int(lines))
	return strings.TrimSpace(C.GoStringN(&buf[0], C.int(n)))
}

// Devices lists the compute devices llama.cpp sees (opening the library if needed, with
// CUDA graphs as Options.CUDAGraphs says).
func Devices(library string, cudaGraphs *bool) ([]engine.Device, error) {
	if _, err := openLibrary(library, false, cudaGraphs); err != nil {
		return nil, err
	}
	return devices(), nil
}

func devices() []engine.Device {
	n := int(C.bt_device_count())
	out := make([]engine.Device, 0, n)
	for i := 0; i < n; i++ {
		var d C.bt_device
		if C.bt_device_get(C.int(i), &d) != 0 {
			continue
		}
		out = append(out, engine.Device{
			Name:        C.GoString(&d.name[0]),
			Description: C.GoString(&d.description[0]),
			Type:        deviceType(int(d._type)),
			FreeBytes:   uint64(d.free_mem),
			TotalBytes:  uint64(d.total_mem),
		})
	}
	return out
}

func deviceType(t int) string {
	switch t {
	case C.GGML_BACKEND_DEVICE_TYPE_CPU:
		return "cpu"
	case C.GGML_BACKEND_DEVICE_TYPE_GPU:
		return "gpu"
	case C.GGML_BACKEND_DEVICE_TYPE_IGPU:
		return "igpu"
	case C.GGML_BACKEND_DEVICE_TYPE_ACCEL:
		return "accel"
	default:
		return "other"
	}
}

// cudaGraphsEnv turns off ggml's CUDA graphs unless they are asked for (on, or, when on is
// nil, BENCHTUI_CUDA_GRAPHS=1). On H200s, with greedy sampling in the graph, runs of
// requests of varied lengths died now and then with "CUDA error: an illegal instruction was
// encountered" right after ggml reused a CUDA graph (three of about ten runs); with graphs
// off, none of the same runs failed. ggml reads the variable when its CUDA backend starts, so
// it is set before the library loads; a GGML_CUDA_DISABLE_GRAPHS of the user's is kept.
func cudaGraphsEnv(on *bool) {
	want := os.Getenv("BENCHTUI_CUDA_GRAPHS") == "1"
	if on != nil {
		want = *on
	}
	if want {
		return
	}
	if _, set := os.LookupEnv("GGML_CUDA_DISABLE_GRAPHS"); !set {
		os.Setenv("GGML_CUDA_DISABLE_GRAPHS", "1")
	}
}

// EchoWarnings makes llama.cpp's warnings and errors go to stderr as well as to the log
// buffer. A backend child process turns it on: its parent keeps the tail of its stderr to say
// why it died ("CUDA error: out of memory" comes from llama.cpp's log, not from an abort).
func EchoWarnings(on bool) { C.bt_log_echo_warnings(boolInt(on)) }

// Ticks counts the times llama.cpp called back into benchtui while loading a model or
// computing a graph (between every two nodes on the CPU): a count that moves while native code
// works, and stops when it hangs.
func Ticks() uint64 { return uint64(C.bt_ticks_get()) }

// Fault makes the native code fail on purpose, for tests of crash isolation: "abort" calls
// abort() as a failed GGML_ASSERT does, "segv" dereferences a null pointer.
func Fault(kind string) {
	switch kind {
	case "abort":
		C.bt_fault(1)
	case "segv":
		C.bt_fault(2)
	}
}

// ThreadsEnv overrides the default CPU thread count (all CPUs).
const ThreadsEnv = "BENCHTUI_THREADS"

// DefaultThreads is $BENCHTUI_THREADS, or the number of CPUs. ggml's threads wait for each
// other at every operation of a graph; on a machine where other processes keep the CPUs busy,
// each such wait can last a scheduler time slice and a run slows down a thousandfold, so a
// shared machine (a CI runner running tests in parallel) is better served by fewer threads.
func DefaultThreads() int {
	if n, err := strconv.Atoi(os.Getenv(ThreadsEnv)); err == nil && n > 0 {
		return n
	}
	return runtime.NumCPU()
}
