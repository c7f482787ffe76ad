package llamacpp

import (
	"fmt"
	"os"
	"path/filepath"
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
