package llamacpp

import (
	"fmt"
	"os"
	"path/filepath"
)

// RPCServerEnv names the variable that points at llama.cpp's rpc-server (a file or a
// folder holding it).
const RPCServerEnv = "BENCHTUI_RPC_SERVER"

// rpcServerNames are the names llama.cpp's rpc-server has: rpc-server in a llama.cpp
// build tree, ggml-rpc-server as ggml installs it.
var rpcServerNames = []string{"rpc-server", "ggml-rpc-server"}

// FindRPCServer returns the path of llama.cpp's rpc-server. explicit (a file or folder)
// wins, then $BENCHTUI_RPC_SERVER, then the bin folder beside the library of
// $BENCHTUI_LLAMA_LIB, then .llama/cuda/bin and .llama/cpu/bin (CUDA first, as FindLibrary
// looks for the library) beside the executable or in the current folder or any folder above
// it.
func FindRPCServer(explicit string) (string, error) {
	if explicit == "" {
		explicit = os.Getenv(RPCServerEnv)
	}
	if explicit != "" {
		st, err := os.Stat(explicit)
		if err != nil {
			return "", fmt.Errorf("rpc-server %s: %w", explicit, err)
		}
		if !st.IsDir() {
			return explicit, nil
		}
		if p := rpcServerIn(explicit); p != "" {
			return p, nil
		}
		return "", fmt.Errorf("no rpc-server or ggml-rpc-server in %s", explicit)
	}
	var dirs []string
	if lib := os.Getenv("BENCHTUI_LLAMA_LIB"); lib != "" {
		if st, err := os.Stat(lib); err == nil && !st.IsDir() {
			lib = filepath.Dir(lib)
		}
		dirs = append(dirs, filepath.Join(filepath.Dir(lib), "bin"), lib)
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
	for _, variant := range []string{"cuda", "cpu"} {
		for _, b := range bases {
			dirs = append(dirs, filepath.Join(b, ".llama", variant, "bin"))
		}
	}
	for _, d := range dirs {
		if p := rpcServerIn(d); p != "" {
			return p, nil
		}
	}
	return "", fmt.Errorf("llama.cpp's rpc-server not found (looked in .llama/cuda/bin and .llama/cpu/bin beside the executable and above the current folder): run scripts/setup-llama.sh, which builds it with GGML_RPC=ON, or set %s", RPCServerEnv)
}

func rpcServerIn(dir string) string {
	for _, n := range rpcServerNames {
		p := filepath.Join(dir, n)
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p
		}
	}
	return ""
}
