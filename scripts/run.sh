#!/usr/bin/env bash
# Runs benchtui from this checkout: with no arguments the dashboard on the built-in
# default (the tiny synthetic model, on the CPU); any arguments are benchtui's
# (scripts/run.sh --model small --run, scripts/run.sh throughput --num_requests 16).
#
# Unless a llama.cpp build is in .llama (or BENCHTUI_LLAMA_LIB names one), the first run
# installs llama.cpp's prebuilt CPU libraries (seconds: scripts/setup-llama.sh
# cpu-prebuilt); then it builds bin/benchtui and runs it in the current folder.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${BENCHTUI_LLAMA_LIB:-}" ]; then
  found=
  for v in cuda cpu cpu-prebuilt; do
    [ -f "$root/.llama/$v/.complete-v0.5.0" ] && found=$v && break
  done
  [ -n "$found" ] || bash "$root/scripts/setup-llama.sh" cpu-prebuilt
fi
bash "$root/scripts/build.sh"
exec "$root/bin/benchtui" "$@"
