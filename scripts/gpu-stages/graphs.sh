# The graphs stage of scripts/gpu-suite.sh (sourced by it): is the fault seen with CUDA graphs
# on (an illegal instruction after ggml reused a graph, in runs of varied lengths) benchtui's
# or ggml's?
#
# 1. compute-sanitizer's memcheck on one variable-length run with graphs on, benchtui running
#    llama.cpp in its own process (--in_process), so that the sanitizer sees the process that
#    makes the CUDA calls; --target-processes all would reach the backend process too, but one
#    process keeps the sanitizer's log to one program. Time-boxed (GRAPHS_SAN_S, 170 s): when
#    the box ends, benchtui gets SIGINT, stops after its step, and the sanitizer prints its
#    summary.
# 2. GRAPHS_N (20) variable-length runs with graphs on, each on its own request set
#    (prepare-dataset --random-seed i: other lengths, so other graph shapes), then one with
#    graphs off on the first set: failures, and throughput with graphs on against off. Each
#    run writes its iteration log as it goes, and a run still going after GRAPHS_PROBE_S (60 s;
#    the shape takes a few seconds) is probed before its limit (GRAPHS_RUN_S, 180 s) ends it:
#    the steps logged so far, the GPU's utilisation, and cuda-gdb's backtraces of every
#    benchtui process (in $out/on-I-hang.txt), so that a hang says where it is.
#
# GRAPHS_MODEL (llama-3.2-1b, or MODEL when given), GRAPHS_SAN_B (16), GRAPHS_SAN_REQUESTS
# (32), GRAPHS_REQUESTS (256), GRAPHS_B (256), GRAPHS_ISL/GRAPHS_OSL (128, stdev half of it);
# SANITIZER names the sanitizer (default: compute-sanitizer on PATH or in /usr/local/cuda).

graphs_model=${GRAPHS_MODEL:-${model_set:+$model}}
graphs_model=${graphs_model:-llama-3.2-1b}

# graphs_dataset SEED N FILE writes N variable-length requests for the stage's model.
graphs_dataset() {
  local isl=${GRAPHS_ISL:-128} osl=${GRAPHS_OSL:-128}
  "$bin" prepare-dataset --tokenizer "$graphs_model" --random-seed "$1" --output "$3" token-norm-dist --num-requests "$2" \
    --input-mean "$isl" --input-stdev $((isl / 2)) --output-mean "$osl" --output-stdev $((osl / 2)) >/dev/null 2>"$3.err" ||
    { echo "prepare-dataset: $(tail -1 "$3.err")"; return 1; }
}

# graphs_probe NAME, in the background while run NAME goes: after GRAPHS_PROBE_S seconds,
# what the run is doing, into $out/NAME-hang.txt (killed when the run ends first).
graphs_probe() {
  local name=$1 f="$out/$1-hang.txt" pid gdb
  sleep "${GRAPHS_PROBE_S:-60}"
  {
    echo "after ${GRAPHS_PROBE_S:-60} s: $(wc -l <"$out/$name-iter.jsonl" 2>/dev/null || echo 0) steps logged; GPU utilisation $(nvidia-smi --query-gpu=utilization.gpu --format=csv,noheader 2>/dev/null | head -1) (then $(sleep 1; nvidia-smi --query-gpu=utilization.gpu --format=csv,noheader 2>/dev/null | head -1))"
    echo "last steps: $(tail -2 "$out/$name-iter.jsonl" 2>/dev/null | cut -c1-300 | tr '\n' ' ')"
    gdb=$(command -v cuda-gdb || ls /usr/local/cuda/bin/cuda-gdb 2>/dev/null)
    for pid in $(pgrep -x benchtui 2>/dev/null); do
      echo "== process $pid: $(tr '\0' ' ' </proc/"$pid"/cmdline | cut -c1-200)"
      echo "   state $(awk '{print $3}' /proc/"$pid"/stat), threads $(ls /proc/"$pid"/task | wc -l), wchan $(cat /proc/"$pid"/wchan 2>/dev/null)"
      [ -n "$gdb" ] && timeout 60 "$gdb" -batch -p "$pid" -ex "info threads" -ex "thread apply all bt 25" 2>&1 | grep -v '^\[New LWP\|^$' | head -400
    done
  } >"$f" 2>&1
}

stage_graphs() {
  local san=${SANITIZER:-$(command -v compute-sanitizer || ls /usr/local/cuda/bin/compute-sanitizer 2>/dev/null)}
  local common=(--model "$graphs_model" --max_num_tokens 4096 --stall_timeout 600)
  note "model $graphs_model; CUDA graphs on through BENCHTUI_CUDA_GRAPHS=1"
  # 1. The sanitizer.
  if [ "${GRAPHS_SAN:-on}" = off ]; then
    skip "compute-sanitizer: GRAPHS_SAN=off"
  elif [ -z "$san" ]; then
    skip "compute-sanitizer: not found (set SANITIZER)"
  elif need 40 "compute-sanitizer"; then
    graphs_dataset 1000 "${GRAPHS_SAN_REQUESTS:-32}" "$out/san.jsonl" || return 1
    step sanitizer "${GRAPHS_SAN_S:-170}" "$out/sanitizer-run.txt" env CUDA_VISIBLE_DEVICES=0 BENCHTUI_CUDA_GRAPHS=1 \
      "$san" --tool memcheck --print-limit 100 --log-file "$out/sanitizer.log" \
      "$bin" throughput "${common[@]}" --in_process --dataset "$out/san.jsonl" --max_batch_size "${GRAPHS_SAN_B:-16}" \
      --warmup 1 --quiet --report_json "$out/sanitizer.json"
    local rc=$?
    note "memcheck, --in_process, B=${GRAPHS_SAN_B:-16}, ${GRAPHS_SAN_REQUESTS:-32} requests: exit $rc, $(tput "$out/sanitizer.json") tok/s"
    python3 "$suite_py" sanitizer "$out/sanitizer.log" | tee -a "$out/summary.txt"
    [ "$rc" = 0 ] || tail_of "$out/sanitizer-run.txt"
  fi
  # 2. Runs with graphs on, then one off.
  local n=${GRAPHS_N:-20} i ok=0 failed=0 name est=30 t0 on=()
  for i in $(seq "$n"); do
    need "$est" "graphs runs $i to $n" || break
    t0=$(now)
    graphs_dataset "$i" "${GRAPHS_REQUESTS:-256}" "$out/ds-$i.jsonl" || return 1
    name=on-$i
    graphs_probe "$name" &
    local probe=$!
    if step "$name" "${GRAPHS_RUN_S:-180}" "$out/$name.txt" env CUDA_VISIBLE_DEVICES=0 BENCHTUI_CUDA_GRAPHS=1 "$bin" throughput "${common[@]}" \
      --dataset "$out/ds-$i.jsonl" --max_batch_size "${GRAPHS_B:-256}" --warmup 0 --quiet --report_json "$out/$name.json" \
      --iteration_log "$out/$name-iter.jsonl"; then
      kill "$probe" 2>/dev/null; wait "$probe" 2>/dev/null
      ok=$((ok + 1))
      on+=("$(tput "$out/$name.json")")
      echo "$name: ok ${on[-1]} tok/s"
    else
      kill "$probe" 2>/dev/null; wait "$probe" 2>/dev/null
      failed=$((failed + 1))
      [ -s "$out/$name-hang.txt" ] && note "$name: probed while running: $(head -3 "$out/$name-hang.txt" | tr '\n' ' ' | cut -c1-400)"
      note "$name: FAILED: $(grep -m4 -i 'cuda error\|assert\|illegal\|fault\|died\|signal' "$out/$name.txt" | tr '\n' ' ' | cut -c1-300)"
    fi
    est=$(( ($(now) - t0) * 3 / 2 + 5 ))
    if [ "$i" = 1 ] && need "$est" "the run with graphs off"; then
      step off-1 180 "$out/off-1.txt" env CUDA_VISIBLE_DEVICES=0 "$bin" throughput "${common[@]}" --dataset "$out/ds-1.jsonl" \
        --max_batch_size "${GRAPHS_B:-256}" --warmup 0 --quiet --report_json "$out/off-1.json" || tail_of "$out/off-1.txt"
    fi
  done
  note "graphs on: $failed of $((ok + failed)) variable-length runs failed (B=${GRAPHS_B:-256}, ${GRAPHS_REQUESTS:-256} requests each, each set its own seed)"
  if [ ${#on[@]} -gt 0 ]; then
    local med first off
    med=$(printf '%s\n' "${on[@]}" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}')
    first=$(tput "$out/on-1.json")
    off=$(tput "$out/off-1.json")
    note "output tok/s with graphs on: median $med over ${#on[@]} runs; first set: on $first, off $off, on/off $(echo "$first $off" | awk '$2 > 0 {printf "%.3f", $1/$2} $2 <= 0 {print "-"}')"
  fi
}
