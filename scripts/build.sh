#!/usr/bin/env bash
# Builds bin/benchtui. It needs no llama.cpp (libllama is opened at run time, and the cgo
# build uses the headers in engine/llamacpp/include), only Go and a C compiler.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# go-nvml's cgo wrappers call NVML functions that NVML marks deprecated; without this every
# fresh build prints a page of warnings about code that is not benchtui's.
export CGO_CFLAGS="${CGO_CFLAGS:--O2 -g} -Wno-deprecated-declarations"
version=$(git -C "$root" describe --tags --always --dirty 2>/dev/null || echo dev)
[ -x "$root/bin/benchtui" ] || echo "build: building bin/benchtui (a first build compiles its dependencies too: about a minute)" >&2
go build -C "$root" -ldflags "-X main.version=$version" -o bin/benchtui ./cmd/benchtui
