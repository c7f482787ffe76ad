#!/usr/bin/env bash
# Installs the pinned llama.cpp into .llama/ (git-ignored) and reuses it when present.
#
#   scripts/setup-llama.sh [cpu|cuda]
#
# Source: the llama.cpp release carried by the npm package node-llama-cpp (a git bundle).
# The CPU variant builds libllama, libggml* and llama-batched-bench into .llama/cpu;
# the CUDA variant (needs nvcc) builds the same targets into .llama/cuda with
# GGML_CUDA=ON for CMAKE_CUDA_ARCHITECTURES (default 90, override with CUDA_ARCH).
# Needs: npm (or an already fetched .llama/npm tarball), git, cmake, a C/C++ compiler.
set -euo pipefail

NODE_LLAMA_CPP_VERSION=3.22.1
LLAMA_RELEASE=v0.5.0
variant=${1:-cpu}
root=$(cd "$(dirname "$0")/.." && pwd)
dir="$root/.llama"
src="$dir/src"
out="$dir/$variant"
stamp="$out/.complete-$LLAMA_RELEASE"

if [ -f "$stamp" ]; then
  exit 0
fi

need() { command -v "$1" >/dev/null 2>&1 || { echo "setup-llama: '$1' is missing: $2" >&2; exit 1; }; }

# On Debian-like machines, install the build tools when they are missing.
missing=()
command -v cmake >/dev/null 2>&1 || missing+=(cmake)
command -v c++ >/dev/null 2>&1 || missing+=(g++)
command -v git >/dev/null 2>&1 || missing+=(git)
if [ ${#missing[@]} -gt 0 ] && command -v apt-get >/dev/null 2>&1; then
  sudo=()
  [ "$(id -u)" = 0 ] || sudo=(sudo)
  echo "setup-llama: installing ${missing[*]} with apt-get"
  "${sudo[@]}" apt-get update -qq >/dev/null && "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi
need git "install git"
need cmake "install cmake (Debian: apt-get install cmake)"
need c++ "install a C++ compiler (Debian: apt-get install g++)"

mkdir -p "$dir/npm"
if [ ! -f "$src/include/llama.h" ]; then
  tgz="$dir/npm/node-llama-cpp-$NODE_LLAMA_CPP_VERSION.tgz"
  if [ ! -f "$tgz" ]; then
    need npm "install Node.js and npm, or copy node-llama-cpp-$NODE_LLAMA_CPP_VERSION.tgz into .llama/npm"
    echo "setup-llama: fetching node-llama-cpp@$NODE_LLAMA_CPP_VERSION (llama.cpp $LLAMA_RELEASE source)"
    (cd "$dir/npm" && npm pack --silent "node-llama-cpp@$NODE_LLAMA_CPP_VERSION" >/dev/null)
  fi
  rm -rf "$src" "$dir/npm/package"
  tar -xzf "$tgz" -C "$dir/npm" package/llama/gitRelease.bundle
  git -c advice.detachedHead=false clone -q "$dir/npm/package/llama/gitRelease.bundle" "$src"
  rm -rf "$dir/npm/package"
fi

extra=()
case "$variant" in
  cpu) ;;
  cuda)
    need nvcc "the CUDA variant needs the CUDA toolkit"
    extra=(-DGGML_CUDA=ON "-DCMAKE_CUDA_ARCHITECTURES=${CUDA_ARCH:-90}")
    ;;
  *) echo "setup-llama: unknown variant '$variant' (want cpu or cuda)" >&2; exit 2 ;;
esac
gen=()
command -v ninja >/dev/null 2>&1 && gen=(-G Ninja)

jobs=${JOBS:-$(nproc)}
echo "setup-llama: building llama.cpp $LLAMA_RELEASE ($variant) with $jobs jobs into $out"
start=$(date +%s)
cmake -S "$src" -B "$dir/build-$variant" "${gen[@]}" \
  -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=ON \
  -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF \
  -DLLAMA_BUILD_APP=OFF -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF \
  -DCMAKE_BUILD_RPATH_USE_ORIGIN=ON -DCMAKE_BUILD_WITH_INSTALL_RPATH=ON '-DCMAKE_INSTALL_RPATH=$ORIGIN' \
  "${extra[@]}" >"$dir/build-$variant.log" 2>&1 || { tail -30 "$dir/build-$variant.log" >&2; exit 1; }
cmake --build "$dir/build-$variant" -j "$jobs" --target llama llama-batched-bench \
  >>"$dir/build-$variant.log" 2>&1 || { tail -30 "$dir/build-$variant.log" >&2; exit 1; }

rm -rf "$out"
mkdir -p "$out/lib" "$out/bin"
cp -P "$dir/build-$variant"/bin/lib*.so* "$out/lib/"
cp "$dir/build-$variant/bin/llama-batched-bench" "$out/bin/"
(cd "$src" && git rev-parse HEAD) >"$out/COMMIT"
echo "$LLAMA_RELEASE" >"$out/VERSION"
touch "$stamp"
echo "setup-llama: done in $(( $(date +%s) - start ))s"
