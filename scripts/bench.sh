#!/usr/bin/env bash
# benchtui against llama.cpp's own llama-batched-bench, built from the same source, on the same
# synthetic model and shape. Prints each tool's output tokens/s and their ratio per batch size,
# and benchtui's token timing: ITL median, p99 and max, and the average TPOT against the ITL
# median (a schedule that makes requests wait shows as TPOT above the ITL median and an ITL
# max far above its p99).
#
#   scripts/bench.sh [-m MODEL] [-b "1 16 64"] [-i ISL] [-o OSL] [-n MAX_NUM_TOKENS] [-r REPEATS]
#                    [-t THREADS] [-v cpu|cuda] [-c POLICY] [-x FLAG] [-p] [-l DIR]
#
# -c POLICY also runs benchtui with --scheduler_policy POLICY after each pair (waves: the
# scheduler before decode-first) and prints its figures and the median ratio of the default's
# throughput to it, each ratio from runs side by side.
# -p also runs benchtui with --in_process after each pair and prints the ratio of the default
# (llama.cpp in a child process) to it: what the process boundary costs.
# -x FLAG passes one more flag (or "FLAG VALUE") to every benchtui run.
# -l DIR keeps each benchtui run's iteration log as DIR/KIND-bB-rR.jsonl (KIND: default, the
# -c POLICY, or in_process), so that a run's steps can be read without running it again.
#
# Same work on both sides: benchtui's OSL tokens per request come from one prefill and OSL-1
# decode steps (the first token is sampled from the prefill), so llama-batched-bench runs
# -ntg OSL-1 after its -npp ISL prefill: the same forward passes over the same token counts.
# Both rates are B x OSL / wall time, prefill included. Each repeat runs the tools back to
# back; the medians are printed, with the ratio of the medians and the median of the ratios of
# each back-to-back pair (steadier on a machine whose speed drifts).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
model=small
batches="1 16 64"
isl=128
osl=128
mnt=2048
repeats=3
threads=$(nproc)
variant=
extra=()
inproc=0
compare=
iterdir=
usage="usage: $0 [-m MODEL] [-b \"1 16 64\"] [-i ISL] [-o OSL] [-n MAX_NUM_TOKENS] [-r REPEATS] [-t THREADS] [-v cpu|cuda] [-c POLICY] [-x FLAG] [-p] [-l DIR]"
while getopts "m:b:i:o:n:r:t:v:x:c:l:p" opt; do
  case $opt in
    m) model=$OPTARG ;;
    b) batches=$OPTARG ;;
    i) isl=$OPTARG ;;
    o) osl=$OPTARG ;;
    n) mnt=$OPTARG ;;
    r) repeats=$OPTARG ;;
    t) threads=$OPTARG ;;
    v) variant=$OPTARG ;;
    x) read -ra words <<<"$OPTARG"; extra+=("${words[@]}") ;;
    c) compare=$OPTARG ;;
    p) inproc=1 ;;
    l) iterdir=$OPTARG ;;
    *) echo "$usage" >&2; exit 2 ;;
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
[ -z "$iterdir" ] || mkdir -p "$iterdir"

gguf=$("$bin" models --write "$model" --quiet)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "machine: $(uname -n), $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), threads $threads, load average $(cut -d' ' -f1-3 /proc/loadavg)"
if command -v nvidia-smi >/dev/null 2>&1; then
  echo "gpus: $(nvidia-smi --query-gpu=name --format=csv,noheader | paste -sd, -)"
fi
echo "model: $model ($gguf), llama.cpp $(cat "$root/.llama/$variant/VERSION") $variant, ISL $isl, OSL $osl, max_num_tokens $mnt, $repeats repeats"
echo

median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
# col N FILE prints column N of FILE (one run a line); runs prints it on one line, rounded.
col() { awk -v c="$1" '{print $c}' "$2"; }
runs() { awk -v c="$1" '{printf "%s%.1f", (NR > 1 ? " " : ""), $c}' "$2"; }

# bench_run OUT [FLAG...] runs benchtui once and appends to OUT one line: output tok/s, ITL
# p50, p99 and max, average TPOT (ms), and average TTFT (ms), all from its report.
bench_run() {
  local out=$1 log=()
  shift
  if [ -n "$iterdir" ]; then
    local kind=default
    case $out in
      */cp.*) kind=$compare ;;
      */ip.*) kind=in_process ;;
    esac
    log=(--iteration_log "$iterdir/$kind-b$b-r$r.jsonl")
  fi
  "$bin" throughput --model "$model" --isl "$isl" --osl "$osl" --num_requests "$b" \
    --max_batch_size "$b" --max_num_tokens "$mnt" --warmup 1 --threads "$threads" --quiet \
    --report_json "$work/report.json" "${log[@]}" "${extra[@]}" "$@" >"$work/bt.log" 2>&1 ||
    { cat "$work/bt.log" >&2; exit 1; }
  python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
itl = d["benchtui"]["itl_percentiles_ms"]
s = d.get("streaming_metrics") or {}
print(d["performance"]["system_output_throughput_tok_s"], itl["p50"], itl["p99"], itl["maximum"],
      s.get("avg_tpot_ms", 0), s.get("avg_ttft_ms", 0))
' "$work/report.json" >>"$out"
}

# timing NAME FILE prints the median token timing of the runs in FILE.
timing() {
  local p50 p99 mx tpot ttft
  p50=$(col 2 "$2" | median)
  p99=$(col 3 "$2" | median)
  mx=$(col 4 "$2" | median)
  tpot=$(col 5 "$2" | median)
  ttft=$(col 6 "$2" | median)
  printf "        %s: ITL p50 %.2f p99 %.2f max %.2f ms (max/p99 %.2f), TPOT %.2f ms (TPOT/ITL p50 %.3f), TTFT %.1f ms\n" \
    "$1" "$p50" "$p99" "$mx" "$(echo "$mx $p99" | awk '{print $1/$2}')" "$tpot" "$(echo "$tpot $p50" | awk '{print $1/$2}')" "$ttft"
}

printf "%6s %16s %22s %8s %10s\n" "batch" "benchtui tok/s" "batched-bench tok/s" "ratio" "pair ratio"
for b in $batches; do
  ctx=$(( b * (isl + osl) ))
  : >"$work/bt.$b"
  : >"$work/bb.$b"
  : >"$work/ip.$b"
  : >"$work/cp.$b"
  for r in $(seq "$repeats"); do
    bench_run "$work/bt.$b"
    if [ "$inproc" = 1 ]; then
      bench_run "$work/ip.$b" --in_process
    fi
    LD_LIBRARY_PATH="$lib" "$bb" -m "$gguf" -c "$ctx" -b "$mnt" -ub 512 -npp "$isl" -ntg $((osl - 1)) -npl "$b" \
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
    # A run that exits 0 without its result line would otherwise show as 0 tok/s.
    [ "$(wc -l <"$work/bb.$b")" -ge "$r" ] || { echo "bench: llama-batched-bench gave no result at batch $b (repeat $r):" >&2; tail -5 "$work/bb.log" >&2; }
    if [ -n "$compare" ]; then
      bench_run "$work/cp.$b" --scheduler_policy "$compare"
    fi
  done
  bt=$(col 1 "$work/bt.$b" | median)
  bbv=$(median <"$work/bb.$b")
  # Each repeat runs the tools back to back, so the ratio of a pair holds when the machine's
  # speed drifts between repeats; the median of those ratios is the figure to quote.
  pr=$(paste -d' ' <(col 1 "$work/bt.$b") "$work/bb.$b" | awk '{print $1/$2}' | median)
  printf "%6d %16.1f %22.1f %8.3f %10.3f\n" "$b" "$bt" "$bbv" "$(echo "$bt $bbv" | awk '{print $1/$2}')" "$pr"
  echo "        runs: benchtui $(runs 1 "$work/bt.$b") | batched-bench $(runs 1 "$work/bb.$b")"
  timing "benchtui" "$work/bt.$b"
  if [ -n "$compare" ]; then
    cpm=$(col 1 "$work/cp.$b" | median)
    cpr=$(paste -d' ' <(col 1 "$work/cp.$b") "$work/bb.$b" | awk '{print $1/$2}' | median)
    dcr=$(paste -d' ' <(col 1 "$work/bt.$b") <(col 1 "$work/cp.$b") | awk '{print $1/$2}' | median)
    printf "        %s: %.1f tok/s, median pair ratio to batched-bench %.3f; default / %s: median pair ratio %.3f (runs %s)\n" \
      "$compare" "$cpm" "$cpr" "$compare" "$dcr" "$(runs 1 "$work/cp.$b")"
    timing "$compare" "$work/cp.$b"
  fi
  if [ "$inproc" = 1 ]; then
    ipm=$(col 1 "$work/ip.$b" | median)
    ipr=$(paste -d' ' <(col 1 "$work/bt.$b") <(col 1 "$work/ip.$b") | awk '{print $1/$2}' | median)
    printf "        in process: %.1f tok/s; child process / in process: median pair ratio %.3f (runs %s)\n" "$ipm" "$ipr" "$(runs 1 "$work/ip.$b")"
  fi
done
