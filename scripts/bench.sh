#!/usr/bin/env bash
# benchtui against llama.cpp's own llama-batched-bench, built from the same source, on the same
# synthetic model and shape. Prints each tool's output tokens/s and their ratio per batch size.
#
#   scripts/bench.sh [-m MODEL] [-b "1 16 64"] [-i ISL] [-o OSL] [-r REPEATS] [-t THREADS] [-v cpu|cuda] [-p]
#
# -p also runs benchtui with --in_process after each pair and prints the ratio of the default
# (llama.cpp in a child process) to it: what the process boundary costs.
#
# Same work on both sides: benchtui's OSL tokens per request come from one prefill and OSL-1
# decode steps (the first token is sampled from the prefill), so llama-batched-bench runs
# -ntg OSL-1 after its -npp ISL prefill: the same forward passes over the same token counts.
# Both rates are B x OSL / wall time, prefill included. Each repeat runs the two tools back to
# back; the medians are printed, with the ratio of the medians and the median of the ratios of
# each back-to-back pair (steadier on a machine whose speed drifts).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
model=small
batches="1 16 64"
isl=128
osl=128
repeats=3
threads=$(nproc)
variant=
extra=()
inproc=0
while getopts "m:b:i:o:r:t:v:x:p" opt; do
  case $opt in
    m) model=$OPTARG ;;
    b) batches=$OPTARG ;;
    i) isl=$OPTARG ;;
    o) osl=$OPTARG ;;
    r) repeats=$OPTARG ;;
    t) threads=$OPTARG ;;
    v) variant=$OPTARG ;;
    x) extra+=("$OPTARG") ;;
    p) inproc=1 ;;
    *) echo "usage: $0 [-m MODEL] [-b \"1 16 64\"] [-i ISL] [-o OSL] [-r REPEATS] [-t THREADS] [-v cpu|cuda]" >&2; exit 2 ;;
  esac
done

if [ -z "$variant" ]; then
  variant=cpu
  [ -f "$root/.llama/cuda/lib/libllama.so" ] && variant=cuda
fi
lib="$root/.llama/$variant/lib"
bb="$root/.llama/$variant/bin/llama-batched-bench"
bin=${BENCHTUI:-$root/bin/benchtui}
[ -x "$bb" ] || { echo "bench: $bb missing: run scripts/setup-llama.sh $variant" >&2; exit 1; }
[ -x "$bin" ] || { echo "bench: $bin missing: run scripts/build.sh" >&2; exit 1; }
export BENCHTUI_LLAMA_LIB="$lib"

gguf=$("$bin" models --write "$model" --quiet)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "machine: $(uname -n), $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), threads $threads"
if command -v nvidia-smi >/dev/null 2>&1; then
  echo "gpus: $(nvidia-smi --query-gpu=name --format=csv,noheader | paste -sd, -)"
fi
echo "model: $model ($gguf), llama.cpp $(cat "$root/.llama/$variant/VERSION") $variant, ISL $isl, OSL $osl, $repeats repeats"
echo

median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

printf "%6s %16s %22s %8s %10s\n" "batch" "benchtui tok/s" "batched-bench tok/s" "ratio" "pair ratio"
for b in $batches; do
  ctx=$(( b * (isl + osl) ))
  : >"$work/bt.$b"
  : >"$work/bb.$b"
  : >"$work/ip.$b"
  for r in $(seq "$repeats"); do
    "$bin" throughput --model "$model" --isl "$isl" --osl "$osl" --num_requests "$b" \
      --max_batch_size "$b" --max_num_tokens 2048 --warmup 1 --threads "$threads" --quiet \
      --report_json "$work/report.json" "${extra[@]}" >"$work/bt.log" 2>&1 ||
      { cat "$work/bt.log" >&2; exit 1; }
    python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["performance"]["system_output_throughput_tok_s"])' \
      "$work/report.json" >>"$work/bt.$b"
    if [ "$inproc" = 1 ]; then
      "$bin" throughput --model "$model" --isl "$isl" --osl "$osl" --num_requests "$b" \
        --max_batch_size "$b" --max_num_tokens 2048 --warmup 1 --threads "$threads" --quiet --in_process \
        --report_json "$work/report.json" "${extra[@]}" >"$work/bt.log" 2>&1 ||
        { cat "$work/bt.log" >&2; exit 1; }
      python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["performance"]["system_output_throughput_tok_s"])' \
        "$work/report.json" >>"$work/ip.$b"
    fi
    LD_LIBRARY_PATH="$lib" "$bb" -m "$gguf" -c "$ctx" -b 2048 -ub 512 -npp "$isl" -ntg $((osl - 1)) -npl "$b" \
      -t "$threads" -fa auto -ngl 999 --output-format jsonl >"$work/bb.log" 2>&1 ||
      { cat "$work/bb.log" >&2; exit 1; }
    python3 -c '
import json, sys
osl = int(sys.argv[2])
for line in open(sys.argv[1]):
    line = line.strip()
    if line.startswith("{") and "speed_tg" in line:
        d = json.loads(line)
        print(d["pl"] * osl / d["t"])
' "$work/bb.log" "$osl" >>"$work/bb.$b"
  done
  bt=$(median <"$work/bt.$b")
  bbv=$(median <"$work/bb.$b")
  # Each repeat runs the two back to back, so the ratio of a pair holds when the machine's
  # speed drifts between repeats; the median of those ratios is the figure to quote.
  pr=$(paste -d' ' "$work/bt.$b" "$work/bb.$b" | awk '{print $1/$2}' | median)
  printf "%6d %16.1f %22.1f %8.3f %10.3f\n" "$b" "$bt" "$bbv" "$(echo "$bt $bbv" | awk '{print $1/$2}')" "$pr"
  echo "        runs: benchtui $(paste -sd' ' "$work/bt.$b") | batched-bench $(paste -sd' ' "$work/bb.$b")"
  if [ "$inproc" = 1 ]; then
    ipm=$(median <"$work/ip.$b")
    ipr=$(paste -d' ' "$work/bt.$b" "$work/ip.$b" | awk '{print $1/$2}' | median)
    printf "        in process: %.1f tok/s; child process / in process: median pair ratio %.3f (runs %s)\n" "$ipm" "$ipr" "$(paste -sd' ' "$work/ip.$b")"
  fi
done
