#!/usr/bin/env bash
# The GPU measurements of docs/benchmarks.md, in stages that fit one device call each (several
# stages may share a call). Run on a machine with CUDA and cmake; each stage builds
# .llama/cuda first when it is missing (scripts/setup-llama.sh; the build stage does only
# that, and says what the machine is). scripts/gpu-plan.md gives the device calls in order.
#
#   scripts/gpu-suite.sh STAGE [STAGE...]
#
#   build     llama.cpp's CUDA build, the machine (GPU, disk, RAM, /dev/shm, tools), and the
#             8B and 1B models written ahead (with the time per GB)
#   bench     benchtui vs llama-batched-bench, llama-3.1-8b f16, B 1 16 64 256 (BATCHES), the
#             default scheduler and the waves (COMPARE) side by side, one B at a time
#   sched     trtllm-bench's example: 256 requests of 1024/1024 at B=256, default and waves,
#             each against llama-batched-bench, with ITL and TPOT, and each one's steps
#   graphs    CUDA graphs: compute-sanitizer (memcheck) on a variable-length run with graphs
#             on, then GRAPHS_N variable-length runs with graphs on and one with them off
#   settings  the fastest n_ubatch, flash attention, KV type and CUDA graphs at B=64 and 256
#             (benchtui sweep, one factor at a time around the default, then the best of each
#             combined)
#   big       llama-3.1-70b q4_0 and q8_0, qwen2.5-32b f16 at B 1 16 64 with % of speed of
#             light (models on /dev/shm, one at a time), and 70b f16 refused before loading
#   serve     one dataset through --backend llamacpp and llama-server at B 64 and 256, then the
#             highest request rate within an SLO through llama-server
#   dashcost  the same run headless and in the dashboard (tmux), output tok/s ratio
#   rpc       local GPU against the GPU behind a loopback rpc-server (bin/rpcbench)
#   ifb, ifb-split, tp, sweep, dash, profile, diag: earlier measurements (see each below)
#
# Each stage works in gpu-out/STAGE (git-ignored) and prints a summary table at its end, then
# its total time; where $OUT is set (the device tool's folder of files to bring back, at most
# 8 files: four stages a call), its printed output goes to $OUT/STAGE.log as it is printed and
# everything else it wrote to $OUT/STAGE.tar.gz at its end. After the last stage, every
# stage's summary is printed again (the device tool returns only the end of the output).
#
# Time: every step runs under `timeout`; a stage stops starting steps when its budget is spent
# and says what it skipped. A stage's budget is BUDGET_<STAGE> (seconds, e.g. BUDGET_BIG=300),
# else BUDGET, else its default below; DEADLINE_S (seconds from the start of this command)
# bounds all the stages of one call, so that the call ends, with its files written, before the
# device tool's limit.
#
# MODEL (default llama-3.1-8b) and REPEATS (default 1) change the model and the repeats;
# SUITE_GRAPHS=on turns CUDA graphs on in the stages that run benchtui's defaults;
# VARIANT=cpu MODEL=tiny runs a stage on the CPU build, to check the script without a GPU
# (with small sizes: see each stage's variables); THREADS sets the CPU threads (default: all).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

# Stages and their default budgets (seconds).
declare -A default_budget=([build]=540 [bench]=600 [sched]=420 [graphs]=360 [settings]=480 [big]=540
  [serve]=420 [dashcost]=180 [rpc]=180 [ifb]=600 [ifb-split]=600 [tp]=600 [sweep]=600 [dash]=120
  [profile]=600 [diag]=600)
[ $# -gt 0 ] || set -- bench
for s in "$@"; do
  [ -n "${default_budget[$s]:-}" ] || { echo "usage: $0 STAGE [STAGE...]: stages are ${!default_budget[*]}" >&2; exit 2; }
done

model_set=${MODEL:+1}
model=${MODEL:-llama-3.1-8b}
repeats=${REPEATS:-1}
variant=${VARIANT:-cuda}
threads=${THREADS:-$(nproc)}
export BENCHTUI_LLAMA_LIB="$root/.llama/$variant/lib"
bin=${BENCHTUI:-$root/bin/benchtui}
suite_py="$root/scripts/gpu-stages/suite.py"
export NCCL_NVLS_ENABLE=0
# The stages choose CUDA graphs themselves; a setting in the caller's environment would
# change what the default runs measure.
unset BENCHTUI_CUDA_GRAPHS GGML_CUDA_DISABLE_GRAPHS
suite_start=$(date +%s)
suite_end=$((suite_start + ${DEADLINE_S:-86400}))

now() { date +%s; }
# left prints the seconds left in the stage's budget.
left() { echo $((stage_end - $(now))); }
# note prints a line and keeps it for the stage's summary.
note() { echo "$*"; echo "$*" >>"$out/summary.txt"; }
# skip says what a stage leaves out and why; it is part of the summary.
skip() { echo "skipped: $*"; echo "skipped: $*" >>"$out/summary.txt"; }
# need N WHAT returns 1, saying so, when fewer than N seconds are left.
need() {
  local l
  l=$(left)
  if [ "$l" -lt "$1" ]; then
    skip "$2 (needs about $1 s, $l s left in the stage's budget)"
    return 1
  fi
}
# step NAME LIMIT FILE CMD... runs CMD under timeout (LIMIT seconds, at most what is left),
# its output to FILE ("-" for the console), and says how it ended and how long it took. A
# timeout sends SIGINT first (benchtui then stops at its next step and keeps what finished),
# then SIGKILL 20 s later.
step() {
  local name=$1 limit=$2 file=$3 t rc t0
  shift 3
  t=$(left)
  [ "$limit" -lt "$t" ] && t=$limit
  if [ "$t" -lt 5 ]; then
    skip "$name (budget spent)"
    return 124
  fi
  t0=$(now)
  if [ "$file" = - ]; then
    timeout -s INT -k 20 "$t" "$@"
  else
    timeout -s INT -k 20 "$t" "$@" >"$file" 2>&1
  fi
  rc=$?
  printf '%s\t%s\t%s\n' "$name" "$rc" "$(($(now) - t0))" >>"$out/steps.tsv"
  case $rc in
    0) echo "step $name: done in $(($(now) - t0)) s" ;;
    124 | 137) note "step $name: stopped at its time limit ($t s)" ;;
    *) echo "step $name: exit $rc after $(($(now) - t0)) s" ;;
  esac
  return $rc
}
# tail_of FILE prints the last lines of a failed step's output.
tail_of() { [ -f "$1" ] && tail -"${2:-5}" "$1" | sed 's/^/    /'; }

# tput prints a report's (or an export's) output tokens/s.
tput() { python3 "$suite_py" tput "$1" 2>/dev/null || echo "-"; }

# headless NAME [FLAG...] runs one benchtui throughput run with a report, time-boxed.
headless() {
  local name=$1
  shift
  step "$name" "$(left)" "$out/$name.txt" "$bin" throughput --model "$model" --quiet --report_json "$out/$name.json" "$@" ||
    { tail_of "$out/$name.txt"; return 1; }
}

gpu_info() {
  command -v nvidia-smi >/dev/null || return 0
  nvidia-smi --query-gpu=index,name,memory.total,memory.used,clocks.max.memory,driver_version --format=csv,noheader | sed 's/^/gpu: /'
}

# setup builds the variant's llama.cpp when it is not there (a no-op otherwise).
setup() {
  step setup-llama "$(left)" "$out/setup.log" env JOBS="${JOBS:-$(nproc)}" bash scripts/setup-llama.sh "$variant" ||
    { tail_of "$out/setup.log" 20; return 1; }
}

for f in "$root"/scripts/gpu-stages/*.sh; do
  # shellcheck source=/dev/null
  source "$f"
done

stage_bench() {
  gpu_info
  # One batch size at a time (so that a budget that runs out keeps the finished ones), each
  # repeat running benchtui, llama-batched-bench and benchtui --scheduler_policy $COMPARE (the
  # waves by default) back to back: each pair of figures comes from runs side by side.
  local b est=60 t0 shown=
  for b in ${BATCHES:-1 16 64 256}; do
    need "$est" "bench B=$b" || continue
    t0=$(now)
    step "bench-b$b" "$(left)" "$out/bench-b$b.txt" env CUDA_VISIBLE_DEVICES=0 bash scripts/bench.sh -v "$variant" -m "$model" \
      -b "$b" -r "$repeats" -t "$threads" -c "${COMPARE:-waves}" || tail_of "$out/bench-b$b.txt"
    # The header once, then each batch size's rows.
    [ -n "$shown" ] || sed -n '1,/batch .*tok\/s/p' "$out/bench-b$b.txt"
    [ -n "$shown" ] || sed -n '/batch .*tok\/s/p' "$out/bench-b$b.txt" >>"$out/summary.txt"
    shown=1
    sed '1,/batch .*tok\/s/d' "$out/bench-b$b.txt" | grep -v '^bench:' | tee -a "$out/summary.txt"
    # A larger batch takes longer: the next estimate is this one's time and a half.
    est=$(( ($(now) - t0) * 3 / 2 ))
  done
  # One report with the GPU's telemetry, machine section and speed of light.
  need 30 "the telemetry report at B=64" || return 0
  CUDA_VISIBLE_DEVICES=0 headless telemetry-b64 --num_requests "${TELEMETRY_REQUESTS:-256}" --max_batch_size 64 --isl 128 --osl 128 &&
    sed -n '/= HARDWARE/,$p' "$out/telemetry-b64.txt" | head -30
}

stage_sched() {
  # The example of trtllm-bench's docs that showed the waves' stall: every request waited
  # after its first token until the whole burst was prefilled (ITL max 10.4 s, TPOT 16%
  # above the ITL median on an H200). The default and the waves, side by side, each against
  # llama-batched-bench; the iteration logs of those runs give the step counts.
  local b=${BATCHES:-256} p
  step sched "$(left)" "$out/sched.txt" env CUDA_VISIBLE_DEVICES=0 bash scripts/bench.sh -v "$variant" -m "$model" -b "$b" \
    -i "${ISL:-1024}" -o "${OSL:-1024}" -n 2048 -r "$repeats" -t "$threads" -c "${COMPARE:-waves}" -l "$out/iter"
  grep -v '^bench:' "$out/sched.txt" | tee -a "$out/summary.txt"
  local bb
  for bb in $b; do
    for p in default "${COMPARE:-waves}"; do
      if [ -f "$out/iter/$p-b$bb-r1.jsonl" ]; then
        python3 "$suite_py" steps "$out/iter/$p-b$bb-r1.jsonl" "$p B=$bb" | tee -a "$out/summary.txt"
      else
        note "$p B=$bb: no iteration log"
      fi
    done
  done
}

stage_ifb() {
  # token-norm-dist with stdev 50% of the mean, the same seed (so the same requests) for both.
  local common=(--num_requests 1024 --max_batch_size 256 --isl 128 --isl_stdev 64 --osl 128 --osl_stdev 64 --max_num_tokens 4096 --warmup 8)
  local i a b
  for i in $(seq "$repeats"); do
    # shellcheck disable=SC2086
    CUDA_VISIBLE_DEVICES=0 headless "ifb-inflight-$i" "${common[@]}" ${IFB_FLAGS:-} || continue
    # shellcheck disable=SC2086
    CUDA_VISIBLE_DEVICES=0 headless "ifb-static-$i" "${common[@]}" --static_batching ${IFB_FLAGS:-} || continue
    a=$(tput "$out/ifb-inflight-$i.json")
    b=$(tput "$out/ifb-static-$i.json")
    note "variable-length, B=256, 1024 requests: in-flight $a tok/s, static $b tok/s, ratio $(echo "$a $b" | awk '{printf "%.3f", $1/$2}')"
  done
}

stage_ifb_split() {
  # The static baseline as separate runs, one per batch of 256 requests: each run admits
  # its whole batch at once and ends when the batch's last request ends, which is what a
  # static batch does; the sum of their times is the static schedule's time.
  "$bin" prepare-dataset --tokenizer "$model" --random-seed 7 --output "$out/ifb.jsonl" token-norm-dist --num-requests 1024 \
    --input-mean 128 --input-stdev 64 --output-mean 128 --output-stdev 64 || return 1
  split -l 256 -d "$out/ifb.jsonl" "$out/ifb-part-"
  local common=(--max_batch_size 256 --max_num_tokens 4096 --warmup 8) p
  CUDA_VISIBLE_DEVICES=0 headless ifb-all --dataset "$out/ifb.jsonl" "${common[@]}" || return 1
  for p in "$out"/ifb-part-0*; do
    CUDA_VISIBLE_DEVICES=0 headless "ifb-static-$(basename "$p")" --dataset "$p" "${common[@]}" || return 1
  done
  python3 - "$out" <<'PY' | tee -a "$out/summary.txt"
import glob, json, sys
out = sys.argv[1]
a = json.load(open(f"{out}/ifb-all.json"))
parts = [json.load(open(p)) for p in sorted(glob.glob(f"{out}/ifb-static-ifb-part-*.json"))]
tok = sum(p["benchtui"]["total_output_tokens"] for p in parts)
sec = sum(p["performance"]["total_latency_ms"] for p in parts) / 1e3
s = tok / sec
i = a["performance"]["system_output_throughput_tok_s"]
print(f"1024 requests, ISL/OSL 128 +- 64, B=256: in-flight {i:.1f} tok/s ({a['benchtui']['total_output_tokens']} tokens), "
      f"static batches of 256 {s:.1f} tok/s ({tok} tokens in {sec:.1f} s, {len(parts)} batches), ratio {i/s:.3f}")
PY
}

stage_tp() {
  local common=(--num_requests 512 --max_batch_size 256 --isl 128 --osl 128 --warmup 8) i a b
  for i in $(seq "$repeats"); do
    headless "tp1-$i" "${common[@]}" --tp 1 || continue
    headless "tp2-$i" "${common[@]}" --tp 2 || continue
    a=$(tput "$out/tp1-$i.json")
    b=$(tput "$out/tp2-$i.json")
    note "B=256: --tp 1 $a tok/s, --tp 2 $b tok/s, scaling $(echo "$b $a" | awk '{printf "%.3f", $1/$2}')"
    grep -m1 "loaded" "$out/tp2-$i.txt" || true
  done
}

stage_sweep() {
  local io i o b
  note "isl osl batch requests output_tok_s"
  for io in ${SHAPES:-128:128 512:512 1024:1024 2048:2048}; do
    i=${io%:*} o=${io#*:}
    CUDA_VISIBLE_DEVICES=0 headless "sweep-$i-$o" --num_requests 128 --max_batch_size 128 --isl "$i" --osl "$o" --max_num_tokens 8192 &&
      note "$i $o 128 128 $(tput "$out/sweep-$i-$o.json")"
  done
  for b in ${SWEEP_BATCHES:-32 64 128 256 384}; do
    CUDA_VISIBLE_DEVICES=0 headless "sweep-b$b" --num_requests $((b * 2)) --max_batch_size "$b" --isl 128 --osl 128 --max_num_tokens 8192 &&
      note "128 128 $b $((b * 2)) $(tput "$out/sweep-b$b.json")"
  done
}

stage_dash() {
  # The dashboard during a run, captured from tmux. The GPU machines have no tmux: carry
  # Debian's (scripts/fetch-tmux.sh puts it in .tools/tmux), or use the system's.
  tmux_setup dash || return 1
  t new-session -d -s dash -x 160 -y 48 -e CUDA_VISIBLE_DEVICES=0 -e BENCHTUI_LLAMA_LIB="$BENCHTUI_LLAMA_LIB" \
    "$bin --model $model --max_batch_size 64 --num_requests 1024 --isl 128 --osl 512 --run --theme nvidia; sleep 600" \; set -g status off
  local s prev=0
  for s in ${DASH_AT:-20 35}; do
    sleep $((s - prev))
    prev=$s
    t capture-pane -p -t dash >"$out/dash-${s}s.txt"
    t capture-pane -p -e -t dash >"$out/dash-${s}s.ansi"
  done
  t resize-window -t dash -x 80 -y 24 2>/dev/null || true
  sleep 1
  t capture-pane -p -t dash >"$out/dash-80x24.txt"
  t kill-server
  cat "$out/dash-${prev}s.txt"
}

stage_profile() {
  # Where a step's time goes at larger batches (BENCHTUI_PROFILE: llama_decode's call, the
  # wait for the GPU, reading tokens, benchtui's own time between steps), with CUDA graphs
  # on and off, with greedy sampling on the GPU (its tokens copied back in one copy a step,
  # or one per sequence: "rows") or over the logits on the host, beside
  # llama-batched-bench's prefill and generation times at the same shape.
  printf 'backend_sampling = false\n' >"$out/nobs.toml"
  local gguf b v name flags envs
  gguf=$("$bin" models --write "$model" --quiet) || return 1
  for b in ${BATCHES:-64 256}; do
    for v in ${PROFILE_VARIANTS:-graphs graphs-rows graphs-nobs nographs}; do
      flags=(--num_requests "$b" --max_batch_size "$b" --isl 128 --osl 128 --max_num_tokens 2048 --warmup 1 --verbose)
      envs=(BENCHTUI_PROFILE=1 CUDA_VISIBLE_DEVICES=0)
      case $v in *nobs*) flags+=(--config "$out/nobs.toml") ;; esac
      case $v in *rows*) envs+=(BENCHTUI_SAMPLED_COPY=rows) ;; esac
      case $v in nographs) ;; *) envs+=(BENCHTUI_CUDA_GRAPHS=1) ;; esac
      name="profile-b$b-${v// /-}"
      step "$name" "$(left)" "$out/$name.txt" env "${envs[@]}" "$bin" throughput --model "$model" --report_json "$out/$name.json" "${flags[@]}" ||
        { tail_of "$out/$name.txt"; continue; }
      note "B=$b $v: $(tput "$out/$name.json") tok/s"
      grep "benchtui profile" "$out/$name.txt" | sed 's/^/    /'
    done
    step "batched-bench-b$b" "$(left)" "$out/batched-bench-b$b.txt" env CUDA_VISIBLE_DEVICES=0 LD_LIBRARY_PATH="$BENCHTUI_LLAMA_LIB" \
      "$root/.llama/$variant/bin/llama-batched-bench" -m "$gguf" -c $((b * 256)) -b 2048 -ub 512 -npp 128 -ntg 127 -npl "$b" \
      -t "$threads" -fa auto -ngl 999 --output-format jsonl
    grep '^{' "$out/batched-bench-b$b.txt" | sed "s/^/B=$b batched-bench: /"
  done
}

stage_diag() {
  # CUDA graphs and variable-length in-flight runs: DIAG_N runs of each configuration,
  # interleaved, counting the runs that fail. A: as benchtui runs by default with graphs on
  # (batched greedy sampling in the graph); B: sampling over host logits; C: A without
  # llama.cpp's graph reuse (so ggml-cuda checks every node before replaying a graph).
  printf 'backend_sampling = false\n' >"$out/nobs.toml"
  local common=(--num_requests "${DIAG_REQUESTS:-512}" --max_batch_size 256 --isl 128 --isl_stdev 64 --osl 128 --osl_stdev 64 --max_num_tokens 4096 --warmup 0)
  local -A fails=() runs=()
  local i c envs flags name
  for i in $(seq "${DIAG_N:-4}"); do
    for c in ${DIAG_CONFIGS:-A B C}; do
      envs=(CUDA_VISIBLE_DEVICES=0 BENCHTUI_CUDA_GRAPHS=1)
      flags=()
      case $c in
        B) flags+=(--config "$out/nobs.toml") ;;
        C) envs+=(LLAMA_GRAPH_REUSE_DISABLE=1) ;;
      esac
      name="diag-$c-$i"
      need 20 "$name and the rest" || break 2
      runs[$c]=$((${runs[$c]:-0} + 1))
      if step "$name" 180 "$out/$name.txt" env "${envs[@]}" "$bin" throughput --model "$model" --quiet --report_json "$out/$name.json" "${common[@]}" "${flags[@]}"; then
        echo "$name: ok $(tput "$out/$name.json") tok/s"
      else
        fails[$c]=$((${fails[$c]:-0} + 1))
        echo "$name: FAILED: $(grep -m4 -i 'cuda error\|assert\|illegal\|fault\|died' "$out/$name.txt" | tr '\n' ' ' | cut -c1-400)"
      fi
    done
  done
  for c in ${DIAG_CONFIGS:-A B C}; do note "config $c: ${fails[$c]:-0} of ${runs[$c]:-0} runs failed"; done
}

run_stage() {
  echo "== $stage: budget $((stage_end - stage_start)) s, $(date -u +%FT%TZ), $(uname -n), $(nproc) CPUs"
  if [ "$stage" = build ]; then
    stage_build
    return
  fi
  setup || return 1
  # SUITE_GRAPHS=on runs the stages that take benchtui's defaults with CUDA graphs on (the
  # graphs, settings and serve stages choose graphs per run themselves).
  case ${SUITE_GRAPHS:-off}:$stage in
    on:bench | on:sched | on:big | on:dashcost | on:rpc | on:ifb* | on:tp | on:sweep | on:dash)
      export BENCHTUI_CUDA_GRAPHS=1
      echo "CUDA graphs on in benchtui's runs (SUITE_GRAPHS=on)" ;;
  esac
  local fn=stage_${stage//-/_}
  "$fn"
}

# pack writes everything the stage wrote, but its printed log, to $OUT/STAGE.tar.gz; a tarball
# over the device tool's 16 MiB a file is written again without the iteration logs and
# sweep point files (the sweeps' sweep.json keeps every report).
pack() {
  [ -n "${OUT:-}" ] || return 0
  local tgz="$OUT/$stage.tar.gz"
  tar czf "$tgz" -C "$out" --exclude printed.log . 2>/dev/null
  if [ "$(stat -c %s "$tgz" 2>/dev/null || echo 0)" -gt $((15 << 20)) ]; then
    tar czf "$tgz" -C "$out" --exclude printed.log --exclude '*.jsonl' --exclude points . 2>/dev/null
    echo "pack: $stage.tar.gz was over 15 MiB: written again without *.jsonl and sweep points/" | tee -a "$OUT/$stage.log"
  fi
}

worst=0
recap=()
for stage in "$@"; do
  out=$root/gpu-out/$stage
  rm -rf "$out"
  mkdir -p "$out"
  : >"$out/summary.txt"
  key=BUDGET_$(echo "${stage//-/_}" | tr a-z A-Z)
  budget=${!key:-${BUDGET:-${default_budget[$stage]}}}
  stage_start=$(now)
  stage_end=$((stage_start + budget))
  # The call's deadline, less the time to pack the files.
  [ "$stage_end" -le $((suite_end - 15)) ] || stage_end=$((suite_end - 15))
  logs=("$out/printed.log")
  [ -n "${OUT:-}" ] && logs+=("$OUT/$stage.log")
  run_stage 2>&1 | tee "${logs[@]}"
  rc=${PIPESTATUS[0]}
  took=$(($(now) - stage_start))
  echo "== $stage: exit $rc, $took s in all (budget $budget s)" | tee -a "${logs[@]}"
  pack
  recap+=("$stage")
  [ "$rc" -gt "$worst" ] && worst=$rc
  printf '%s\n' "== $stage: exit $rc, $took s" >>"$out/summary.txt"
  if [ "$stage" = build ] && [ "$rc" != 0 ]; then
    echo "== the build failed: the other stages of this call need it, so they do not run" | tee -a "${logs[@]}"
    break
  fi
done
if [ ${#recap[@]} -gt 1 ]; then
  echo
  echo "== summaries ($(($(now) - suite_start)) s for ${#recap[@]} stages)"
  for stage in "${recap[@]}"; do
    echo "-- $stage"
    cat "$root/gpu-out/$stage/summary.txt"
  done
fi
exit "$worst"
