#!/usr/bin/env bash
# Installs the pinned llama.cpp (release v0.5.0) into .llama/<variant> (git-ignored) and
# reuses what is there.
#
#   scripts/setup-llama.sh [cpu-prebuilt|cpu|cuda]      (default: cpu)
#
# cpu-prebuilt  llama.cpp's own prebuilt CPU libraries, from the npm package
#               @node-llama-cpp/linux-x64 (about 10 MB, seconds): lib/ holds libllama and
#               ggml, whose CPU backend is one library per CPU generation, chosen at run
#               time. Linux x86-64 only; elsewhere this builds the cpu variant instead.
# cpu, cuda     a source build (the source is a git bundle in the npm package
#               node-llama-cpp, about 36 MB, kept in .llama/npm and cloned into .llama/src)
#               with GGML_RPC=ON: lib/ holds libllama, ggml and ggml's RPC backend, bin/
#               llama-batched-bench, llama-server and ggml-rpc-server (llama.cpp's RPC
#               server, under its own name), which find their libraries through their
#               run path. cuda needs nvcc and builds for CMAKE_CUDA_ARCHITECTURES
#               ${CUDA_ARCH:-90}.
#
# A variant is complete when its stamp (.complete-v0.5.0) and every file of its layout are
# there; a variant of an older layout (the libraries and llama-batched-bench only) is
# upgraded in place, reusing .llama/build-<variant>. JOBS sets the build's parallel jobs
# (default: all CPUs). Needs npm (or the tarballs already in .llama/npm) and, for source
# builds, git, cmake and a C++ compiler, which are installed with apt-get where missing.
set -euo pipefail

NODE_LLAMA_CPP_VERSION=3.22.1
LLAMA_RELEASE=v0.5.0
variant=${1:-cpu}
root=$(cd "$(dirname "$0")/.." && pwd)
dir="$root/.llama"
src="$dir/src"
out="$dir/$variant"
stamp="$out/.complete-$LLAMA_RELEASE"

say() { echo "setup-llama: $*" >&2; }
die() { say "$*"; exit 1; }

# layout lists the files a variant must have, beside its stamp.
layout() {
  case "$1" in
    cpu-prebuilt) echo lib/libllama.v0.5.0.so ;;
    cpu | cuda) echo lib/libllama.so lib/libggml-rpc.so bin/llama-batched-bench bin/llama-server bin/ggml-rpc-server ;;
  esac
}

complete() {
  [ -f "$stamp" ] || return 1
  local f
  for f in $(layout "$variant"); do
    [ -e "$out/$f" ] || return 1
  done
}

case "$variant" in
  cpu-prebuilt | cpu | cuda) ;;
  *) echo "setup-llama: unknown variant '$variant' (want cpu-prebuilt, cpu or cuda)" >&2; exit 2 ;;
esac
if [ "$variant" = cpu-prebuilt ] && { [ "$(uname -s)-$(uname -m)" != Linux-x86_64 ] || ! getconf GNU_LIBC_VERSION >/dev/null 2>&1; }; then
  say "no prebuilt CPU libraries for this platform ($(uname -sm), or no glibc): using the cpu variant, built from source"
  variant=cpu out="$dir/cpu" stamp="$dir/cpu/.complete-$LLAMA_RELEASE"
fi
complete && exit 0

mkdir -p "$dir/npm"
# One setup at a time per checkout: a second waits for the first and then finds its work done.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$dir/.setup.lock"
  flock -n 9 || { say "waiting for another setup of .llama to finish"; flock 9; }
  complete && exit 0
fi

# apt installs Debian packages that are missing, where there is apt-get.
apt() {
  command -v apt-get >/dev/null 2>&1 || return 0
  local sudo=()
  [ "$(id -u)" = 0 ] || sudo=(sudo)
  say "installing $* with apt-get"
  "${sudo[@]}" apt-get update -qq >/dev/null && "${sudo[@]}" apt-get install -y -qq "$@" >/dev/null
}
need() { command -v "$1" >/dev/null 2>&1 || die "'$1' is missing: $2"; }

# npm_pack prints the path of an npm package's tarball: the one in .llama/npm (for machines
# without a network, copy it there), or one it fetches into folder $2.
npm_pack() {
  local pkg=$1 into=$2 name
  name=$(echo "${pkg#@}" | tr / -)
  name="${name%@*}-${pkg##*@}.tgz"
  [ -f "$dir/npm/$name" ] && into=$dir/npm
  if [ ! -f "$into/$name" ]; then
    need npm "install Node.js and npm, or copy $name into $into"
    say "fetching $pkg"
    (cd "$into" && npm pack --silent "$pkg" >/dev/null) || die "npm pack $pkg failed"
  fi
  echo "$into/$name"
}

start=$(date +%s)

if [ "$variant" = cpu-prebuilt ]; then
  tmp=$(mktemp -d "$dir/.prebuilt.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  tgz=$(npm_pack "@node-llama-cpp/linux-x64@$NODE_LLAMA_CPP_VERSION" "$tmp")
  tar -xzf "$tgz" -C "$tmp" package/bins/linux-x64 package/LICENSE
  rm -rf "$out"
  mkdir -p "$out/lib"
  cp "$tmp"/package/bins/linux-x64/lib*.so "$out/lib/"
  cp "$tmp/package/LICENSE" "$out/LICENSE"
  echo "$LLAMA_RELEASE" >"$out/VERSION"
  touch "$stamp"
  say "installed llama.cpp $LLAMA_RELEASE's prebuilt CPU libraries into .llama/$variant in $(( $(date +%s) - start )) s"
  exit 0
fi

# A source build. On Debian-like machines, install the build tools that are missing.
missing=()
command -v cmake >/dev/null 2>&1 || missing+=(cmake)
command -v c++ >/dev/null 2>&1 || missing+=(g++)
command -v git >/dev/null 2>&1 || missing+=(git)
[ ${#missing[@]} -eq 0 ] || apt "${missing[@]}"
need git "install git"
need cmake "install cmake (Debian: apt-get install cmake)"
need c++ "install a C++ compiler (Debian: apt-get install g++)"

if [ ! -f "$src/include/llama.h" ]; then
  tgz=$(npm_pack "node-llama-cpp@$NODE_LLAMA_CPP_VERSION" "$dir/npm")
  rm -rf "$src" "$dir/npm/package"
  tar -xzf "$tgz" -C "$dir/npm" package/llama/gitRelease.bundle
  git -c advice.detachedHead=false clone -q "$dir/npm/package/llama/gitRelease.bundle" "$src"
  rm -rf "$dir/npm/package"
fi

# benchtui's cgo build carries this release's headers; they must be the ones built here.
for h in "$root"/engine/llamacpp/include/*.h; do
  name=$(basename "$h")
  theirs="$src/ggml/include/$name"
  [ "$name" = llama.h ] && theirs="$src/include/llama.h"
  cmp -s "$h" "$theirs" || die "engine/llamacpp/include/$name differs from $theirs: the carried headers must be those of the library built (see engine/llamacpp/include/README.md)"
done

extra=()
if [ "$variant" = cuda ]; then
  need nvcc "the CUDA variant needs the CUDA toolkit"
  extra=(-DGGML_CUDA=ON "-DCMAKE_CUDA_ARCHITECTURES=${CUDA_ARCH:-90}")
fi
gen=()
command -v ninja >/dev/null 2>&1 && [ ! -f "$dir/build-$variant/Makefile" ] && gen=(-G Ninja)
if [ -f "$stamp" ]; then
  say ".llama/$variant has an older layout (no llama-server, ggml-rpc-server or RPC backend): adding them in place"
fi

log="$dir/build-$variant.log"
# progress copies a target's build output to the log and prints a line every tenth of the
# way (from make's "[ 42%]" or ninja's "[12/345]", which count each target apart) or every
# minute.
progress() {
  local target=$1 last=-10 shown pct line now
  shown=$(date +%s)
  while IFS= read -r line; do
    printf '%s\n' "$line" >>"$log"
    if [[ $line =~ ^\[\ *([0-9]+)%\] ]]; then
      pct=${BASH_REMATCH[1]}
    elif [[ $line =~ ^\[([0-9]+)/([0-9]+)\] ]]; then
      pct=$((100 * BASH_REMATCH[1] / BASH_REMATCH[2]))
    else
      continue
    fi
    now=$(date +%s)
    if ((pct >= last + 10 || now - shown >= 60)); then
      say "building $target: $pct% after $((now - start)) s"
      last=$pct shown=$now
    fi
  done
}

jobs=${JOBS:-$(nproc)}
# Only the targets benchtui needs, libllama first, the largest (llama-server) last.
targets=(llama ggml-rpc-server llama-batched-bench llama-server)
say "building llama.cpp $LLAMA_RELEASE ($variant, GGML_RPC=ON): ${targets[*]}, with $jobs jobs, into .llama/$variant; log in .llama/build-$variant.log"
: >"$log"
# The run path lets bin/'s tools find lib/ (and each library its neighbours) wherever
# .llama is. The web UI is left out: it would be downloaded, and benchtui needs only the API.
cmake -S "$src" -B "$dir/build-$variant" "${gen[@]}" \
  -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=ON \
  -DGGML_RPC=ON -DLLAMA_BUILD_SERVER=ON -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_BUILD_UI=OFF \
  -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_APP=OFF \
  -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF \
  -DCMAKE_BUILD_RPATH_USE_ORIGIN=ON -DCMAKE_BUILD_WITH_INSTALL_RPATH=ON '-DCMAKE_INSTALL_RPATH=$ORIGIN:$ORIGIN/../lib' \
  "${extra[@]}" >>"$log" 2>&1 || { tail -30 "$log" >&2; die "cmake configure failed (log: $log)"; }
for t in "${targets[@]}"; do
  cmake --build "$dir/build-$variant" -j "$jobs" --target "$t" 2>&1 | progress "$t" ||
    { tail -30 "$log" >&2; die "building $t failed (log: $log)"; }
done

rm -rf "$out"
mkdir -p "$out/lib" "$out/bin"
cp -P "$dir/build-$variant"/bin/lib*.so* "$out/lib/"
for t in "${targets[@]:1}"; do
  cp "$dir/build-$variant/bin/$t" "$out/bin/"
done
cp "$src/LICENSE" "$out/LICENSE"
(cd "$src" && git rev-parse HEAD) >"$out/COMMIT"
echo "$LLAMA_RELEASE" >"$out/VERSION"
touch "$stamp"
say "done in $(( $(date +%s) - start )) s"
