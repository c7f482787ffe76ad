#!/usr/bin/env bash
# The GPU measurements of docs/benchmarks.md, in stages that fit one device call each.
# Run on a machine with CUDA and cmake, after scripts/gpu.sh has built .llama/cuda (it builds
# it when missing). Each stage works in gpu-out/STAGE (git-ignored) and prints its summary;
# where $OUT is set (the device tool's folder of files to bring back, which takes few files),
# the stage's printed output goes there as STAGE.log and everything else it wrote (reports,
# captures, the build log) as STAGE.tar.gz.
#
#   scripts/gpu-suite.sh bench        benchtui vs llama-batched-bench, llama-3.1-8b f16, B 1 16 64 256,
#                                     the default scheduler and the waves (COMPARE) side by side
#   scripts/gpu-suite.sh sched        trtllm-bench's example: 256 requests of 1024/1024 at B=256, default
#                                     and waves, each against llama-batched-bench, with ITL and TPOT
#   scripts/gpu-suite.sh ifb          in-flight vs static batching, 1024 variable-length requests, B 256
#   scripts/gpu-suite.sh tp           --tp 1 and --tp 2 at batch 256 (needs two GPUs)
#   scripts/gpu-suite.sh sweep        ISL/OSL and batch-size sweeps
#   scripts/gpu-suite.sh dash         the dashboard during a run, captured from tmux
#   scripts/gpu-suite.sh profile      where a decode step's time goes (BENCHTUI_PROFILE), B 64 256
#   scripts/gpu-suite.sh diag         CUDA graphs on variable-length runs: which setting fails
#
# MODEL (default llama-3.1-8b) and REPEATS (default 1) change the model and the repeats;
# VARIANT=cpu MODEL=tiny runs a stage on the CPU build, to check the script without a GPU.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
stage=${1:-bench}
shift || true
out=$root/gpu-out/$stage
rm -rf "$out"
mkdir -p "$out"
model=${MODEL:-llama-3.1-8b}
repeats=${REPEATS:-1}
# VARIANT=cpu runs a stage on the CPU build (with MODEL=tiny, a quick check of the script).
variant=${VARIANT:-cuda}
export BENCHTUI_LLAMA_LIB="$root/.llama/$variant/lib"
bin=${BENCHTUI:-$root/bin/benchtui}
export NCCL_NVLS_ENABLE=0

# tput prints a report's output tokens/s.
tput() { python3 -c 'import json,sys; print(round(json.load(open(sys.argv[1]))["performance"]["system_output_throughput_tok_s"], 1))' "$1"; }

# headless runs one benchtui run with a report; extra flags follow the name.
headless() {
  local name=$1
  shift
  "$bin" throughput --model "$model" --quiet --report_json "$out/$name.json" "$@" >"$out/$name.txt" 2>&1 ||
    { tail -5 "$out/$name.txt"; return 1; }
}

run_stage() {
set -e
JOBS=${JOBS:-$(nproc)} bash scripts/setup-llama.sh "$variant" >"$out/setup.log" 2>&1 || { tail -20 "$out/setup.log"; return 1; }
case "$stage" in
  bench)
    if command -v nvidia-smi >/dev/null; then nvidia-smi --query-gpu=index,name,memory.total,clocks.max.memory,driver_version --format=csv; fi
    # Each repeat also runs benchtui with --scheduler_policy $COMPARE (the waves by default),
    # so each pair of default and waves figures comes from one call, side by side.
    CUDA_VISIBLE_DEVICES=0 bash scripts/bench.sh -v "$variant" -m "$model" -b "${BATCHES:-1 16 64 256}" -r "$repeats" -t "$(nproc)" \
      -c "${COMPARE:-waves}" | tee "$out/bench.log"
    # One report with the GPU's telemetry, machine section and speed of light.
    CUDA_VISIBLE_DEVICES=0 headless telemetry-b64 --num_requests 256 --max_batch_size 64 --isl 128 --osl 128
    sed -n '/= HARDWARE/,$p' "$out/telemetry-b64.txt"
    ;;
  sched)
    # The example of trtllm-bench's docs that showed the waves' stall: every request waited
    # after its first token until the whole burst was prefilled (ITL max 10.4 s, TPOT 16%
    # above the ITL median on an H200). The default and the waves, side by side, each against
    # llama-batched-bench; then one iteration log of each for the step counts.
    CUDA_VISIBLE_DEVICES=0 bash scripts/bench.sh -v "$variant" -m "$model" -b "${BATCHES:-256}" -i "${ISL:-1024}" -o "${OSL:-1024}" \
      -n 2048 -r "$repeats" -t "$(nproc)" -c "${COMPARE:-waves}" | tee "$out/sched.log"
    for p in guaranteed_no_evict "${COMPARE:-waves}"; do
      CUDA_VISIBLE_DEVICES=0 headless "sched-$p" --num_requests "${BATCHES:-256}" --max_batch_size "${BATCHES:-256}" \
        --isl "${ISL:-1024}" --osl "${OSL:-1024}" --max_num_tokens 2048 --warmup 1 --scheduler_policy "$p" --iteration_log "$out/sched-$p.jsonl"
      python3 - "$out/sched-$p.jsonl" "$p" <<'PY'
import json, sys
steps = [json.loads(l) for l in open(sys.argv[1])]
pre = [s for s in steps if s["num_ctx_tokens"] > 0]
dec = [s for s in steps if s["num_ctx_tokens"] == 0]
med = lambda v: sorted(v)[len(v) // 2] if v else 0
print(f"{sys.argv[2]}: {len(steps)} steps; {len(pre)} with prompt tokens ({sum(s['num_micro_batches'] for s in pre)} micro-batches, "
      f"median {med([s['duration_ns'] for s in pre]) / 1e6:.1f} ms); {len(dec)} decode-only "
      f"({sum(s['num_micro_batches'] for s in dec)} micro-batches, median {med([s['duration_ns'] for s in dec]) / 1e6:.2f} ms, "
      f"median {med([s['num_gen_requests'] for s in dec])} requests)")
PY
    done
    ;;
  ifb)
    # token-norm-dist with stdev 50% of the mean, the same seed (so the same requests) for both.
    common=(--num_requests 1024 --max_batch_size 256 --isl 128 --isl_stdev 64 --osl 128 --osl_stdev 64 --max_num_tokens 4096 --warmup 8)
    for i in $(seq "$repeats"); do
      CUDA_VISIBLE_DEVICES=0 headless "ifb-inflight-$i" "${common[@]}" ${IFB_FLAGS:-}
      CUDA_VISIBLE_DEVICES=0 headless "ifb-static-$i" "${common[@]}" --static_batching ${IFB_FLAGS:-}
      a=$(tput "$out/ifb-inflight-$i.json")
      b=$(tput "$out/ifb-static-$i.json")
      echo "variable-length, B=256, 1024 requests: in-flight $a tok/s, static $b tok/s, ratio $(echo "$a $b" | awk '{printf "%.3f", $1/$2}')" | tee -a "$out/ifb.log"
    done
    ;;
  ifb-split)
    # The static baseline as separate runs, one per batch of 256 requests: each run admits
    # its whole batch at once and ends when the batch's last request ends, which is what a
    # static batch does; the sum of their times is the static schedule's time.
    "$bin" prepare-dataset --tokenizer "$model" --random-seed 7 --output "$out/ifb.jsonl" token-norm-dist --num-requests 1024 \
      --input-mean 128 --input-stdev 64 --output-mean 128 --output-stdev 64
    split -l 256 -d "$out/ifb.jsonl" "$out/ifb-part-"
    common=(--max_batch_size 256 --max_num_tokens 4096 --warmup 8)
    CUDA_VISIBLE_DEVICES=0 headless ifb-all --dataset "$out/ifb.jsonl" "${common[@]}"
    for p in "$out"/ifb-part-0*; do
      CUDA_VISIBLE_DEVICES=0 headless "ifb-static-$(basename "$p")" --dataset "$p" "${common[@]}"
    done
    python3 - "$out" <<'PY'
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
    ;;
  tp)
    common=(--num_requests 512 --max_batch_size 256 --isl 128 --osl 128 --warmup 8)
    for i in $(seq "$repeats"); do
      headless "tp1-$i" "${common[@]}" --tp 1
      headless "tp2-$i" "${common[@]}" --tp 2
      a=$(tput "$out/tp1-$i.json")
      b=$(tput "$out/tp2-$i.json")
      echo "B=256: --tp 1 $a tok/s, --tp 2 $b tok/s, scaling $(echo "$b $a" | awk '{printf "%.3f", $1/$2}')" | tee -a "$out/tp.log"
      grep -m1 "loaded" "$out/tp2-$i.txt" || true
    done
    ;;
  sweep)
    echo "isl osl batch requests output_tok_s" | tee "$out/sweep.log"
    for io in ${SHAPES:-128:128 512:512 1024:1024 2048:2048}; do
      i=${io%:*} o=${io#*:}
      CUDA_VISIBLE_DEVICES=0 headless "sweep-$i-$o" --num_requests 128 --max_batch_size 128 --isl "$i" --osl "$o" --max_num_tokens 8192
      echo "$i $o 128 128 $(tput "$out/sweep-$i-$o.json")" | tee -a "$out/sweep.log"
    done
    for b in ${SWEEP_BATCHES:-32 64 128 256 384}; do
      CUDA_VISIBLE_DEVICES=0 headless "sweep-b$b" --num_requests $((b * 2)) --max_batch_size "$b" --isl 128 --osl 128 --max_num_tokens 8192
      echo "128 128 $b $((b * 2)) $(tput "$out/sweep-b$b.json")" | tee -a "$out/sweep.log"
    done
    ;;
  dash)
    # The dashboard during a run, captured from tmux. The GPU machines have no tmux: carry
    # Debian's (scripts/fetch-tmux.sh puts it in .tools/tmux), or use the system's.
    tmux_bin=$(command -v tmux || echo "$root/.tools/tmux/usr/bin/tmux")
    export LD_LIBRARY_PATH="$root/.tools/tmux/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    t() { "$tmux_bin" -L benchtui-dash -f /dev/null "$@"; }
    t new-session -d -s dash -x 160 -y 48 -e CUDA_VISIBLE_DEVICES=0 -e BENCHTUI_LLAMA_LIB="$BENCHTUI_LLAMA_LIB" \
      "$bin --model $model --max_batch_size 64 --num_requests 1024 --isl 128 --osl 512 --run --theme nvidia; sleep 600" \; set -g status off
    for s in ${DASH_AT:-20 35}; do
      sleep $((s - ${prev:-0})); prev=$s
      t capture-pane -p -t dash >"$out/dash-${s}s.txt"
      t capture-pane -p -e -t dash >"$out/dash-${s}s.ansi"
    done
    t resize-window -t dash -x 80 -y 24 2>/dev/null || true
    sleep 1
    t capture-pane -p -t dash >"$out/dash-80x24.txt"
    t kill-server
    cat "$out/dash-${prev}s.txt"
    ;;
  profile)
    # Where a step's time goes at larger batches (BENCHTUI_PROFILE: llama_decode's call, the
    # wait for the GPU, reading tokens, benchtui's own time between steps), with CUDA graphs
    # on and off, with greedy sampling on the GPU (its tokens copied back in one copy a step,
    # or one per sequence: "rows") or over the logits on the host, beside
    # llama-batched-bench's prefill and generation times at the same shape.
    printf 'backend_sampling = false\n' >"$out/nobs.toml"
    gguf=$("$bin" models --write "$model" --quiet)
    for b in ${BATCHES:-64 256}; do
      for v in ${PROFILE_VARIANTS:-graphs graphs-rows graphs-nobs nographs}; do
        flags=(--num_requests "$b" --max_batch_size "$b" --isl 128 --osl 128 --max_num_tokens 2048 --warmup 1 --verbose)
        envs=(BENCHTUI_PROFILE=1 CUDA_VISIBLE_DEVICES=0)
        case $v in *nobs*) flags+=(--config "$out/nobs.toml") ;; esac
        case $v in *rows*) envs+=(BENCHTUI_SAMPLED_COPY=rows) ;; esac
        case $v in nographs) ;; *) envs+=(BENCHTUI_CUDA_GRAPHS=1) ;; esac
        name="profile-b$b-${v// /-}"
        env "${envs[@]}" "$bin" throughput --model "$model" --report_json "$out/$name.json" "${flags[@]}" >"$out/$name.txt" 2>&1 ||
          { tail -5 "$out/$name.txt"; continue; }
        echo "B=$b $v: $(tput "$out/$name.json") tok/s"
        grep "benchtui profile" "$out/$name.txt" | sed 's/^/    /'
      done
      CUDA_VISIBLE_DEVICES=0 LD_LIBRARY_PATH="$BENCHTUI_LLAMA_LIB" "$root/.llama/$variant/bin/llama-batched-bench" -m "$gguf" \
        -c $((b * 256)) -b 2048 -ub 512 -npp 128 -ntg 127 -npl "$b" -t "$(nproc)" -fa auto -ngl 999 --output-format jsonl 2>/dev/null |
        grep '^{' | sed "s/^/B=$b batched-bench: /"
    done
    ;;
  diag)
    # CUDA graphs and variable-length in-flight runs: DIAG_N runs of each configuration,
    # interleaved, counting the runs that fail. A: as benchtui runs by default with graphs on
    # (batched greedy sampling in the graph); B: sampling over host logits; C: A without
    # llama.cpp's graph reuse (so ggml-cuda checks every node before replaying a graph).
    printf 'backend_sampling = false\n' >"$out/nobs.toml"
    common=(--num_requests "${DIAG_REQUESTS:-512}" --max_batch_size 256 --isl 128 --isl_stdev 64 --osl 128 --osl_stdev 64 --max_num_tokens 4096 --warmup 0)
    declare -A fails=() runs=()
    for i in $(seq "${DIAG_N:-4}"); do
      for c in ${DIAG_CONFIGS:-A B C}; do
        envs=(CUDA_VISIBLE_DEVICES=0 BENCHTUI_CUDA_GRAPHS=1)
        flags=()
        case $c in
          B) flags+=(--config "$out/nobs.toml") ;;
          C) envs+=(LLAMA_GRAPH_REUSE_DISABLE=1) ;;
        esac
        name="diag-$c-$i"
        runs[$c]=$(( ${runs[$c]:-0} + 1 ))
        if timeout 180 env "${envs[@]}" "$bin" throughput --model "$model" --quiet --report_json "$out/$name.json" "${common[@]}" "${flags[@]}" >"$out/$name.txt" 2>&1; then
          echo "$name: ok $(tput "$out/$name.json") tok/s"
        else
          fails[$c]=$(( ${fails[$c]:-0} + 1 ))
          echo "$name: FAILED: $(grep -m4 -i 'cuda error\|assert\|illegal\|fault\|died' "$out/$name.txt" | tr '\n' ' ' | cut -c1-400)"
        fi
      done
    done
    for c in ${DIAG_CONFIGS:-A B C}; do echo "config $c: ${fails[$c]:-0} of ${runs[$c]} runs failed"; done
    ;;
  *)
    echo "usage: $0 bench|sched|ifb|ifb-split|tp|sweep|dash|profile|diag" >&2
    return 2
    ;;
esac
}

set +e
run_stage "$@" 2>&1 | tee "$out/printed.log"
rc=${PIPESTATUS[0]}
if [ -n "${OUT:-}" ]; then
  cp "$out/printed.log" "$OUT/$stage.log"
  tar czf "$OUT/$stage.tar.gz" -C "$out" --exclude printed.log .
fi
exit "$rc"
