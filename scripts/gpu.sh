#!/usr/bin/env bash
# On a machine with CUDA and cmake: build the CUDA variant of the pinned llama.cpp into
# .llama/cuda (libllama with the RPC backend, llama-batched-bench, llama-server and
# ggml-rpc-server; reused when present), then run a command with benchtui using it.
#
#   scripts/gpu.sh                       # build, list the GPUs, one short benchtui run
#   scripts/gpu.sh bench -m llama-3.1-8b -b "1 16 64 256"
#   scripts/gpu.sh run throughput --model llama-3.1-8b --max_batch_size 64
#
# benchtui is not built here (the GPU machines have no Go): bin/benchtui comes from
# scripts/build.sh on a development machine, and .llama/npm must hold the source tarball,
# node-llama-cpp-3.22.1.tgz, when the machine has no network (scripts/setup-llama.sh
# fetches it otherwise).
# CUDA_ARCH picks the architectures (default 90, Hopper).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

JOBS=${JOBS:-$(nproc)} bash scripts/setup-llama.sh cuda
export BENCHTUI_LLAMA_LIB="$root/.llama/cuda/lib"
bin=${BENCHTUI:-$root/bin/benchtui}
[ -x "$bin" ] || { echo "gpu: $bin missing: build it with scripts/build.sh and copy it here" >&2; exit 1; }

cmd=${1:-smoke}
[ $# -gt 0 ] && shift
case "$cmd" in
  smoke)
    nvidia-smi --query-gpu=index,name,memory.total,driver_version --format=csv,noheader
    "$bin" throughput --model tiny --num_requests 16 --isl 64 --osl 32
    ;;
  bench)
    exec bash scripts/bench.sh -v cuda "$@"
    ;;
  run)
    exec "$bin" "$@"
    ;;
  *)
    echo "usage: $0 [smoke | bench ARGS | run BENCHTUI-ARGS]" >&2
    exit 2
    ;;
esac
