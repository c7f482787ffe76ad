# The serve stage of scripts/gpu-suite.sh (sourced by it): the serving backend on the GPU.
#
# 1. One dataset (SERVE_REQUESTS, 256 requests of 128/128, prepare-dataset) through
#    --backend llamacpp and --backend llama-server (the CUDA build's, started by benchtui) side
#    by side at B=64 and 256 (SERVE_BATCHES), and benchtui compare of each pair. Both run with
#    the same CUDA graphs setting: SERVE_GRAPHS=off (benchtui's default) sets
#    GGML_CUDA_DISABLE_GRAPHS=1 for both (llama-server inherits it; it would otherwise run with
#    ggml's default, graphs on); SERVE_GRAPHS=on turns them on in both.
# 2. The highest request rate llama-server keeps within SERVE_SLO (ttft=500ms,tpot=50ms,
#    attain=99%: an 8B model's decode step on an H200 is 10-30 ms at these batch sizes, so
#    TPOT binds only under overload; TTFT binds when requests queue for a slot or behind long
#    prefills) at B=256 slots: benchtui sweep --request_rate search, doubling from
#    SERVE_RATE_START (8 requests/s), then bisecting, SERVE_RATE_REQUESTS (128) requests a run,
#    time-boxed.

stage_serve() {
  local graphs=${SERVE_GRAPHS:-off} genv=() b
  case $graphs in
    off) genv=(GGML_CUDA_DISABLE_GRAPHS=1) ;;
    on) genv=(BENCHTUI_CUDA_GRAPHS=1) ;;
    *) echo "SERVE_GRAPHS=$graphs: want on or off" >&2; return 2 ;;
  esac
  note "CUDA graphs $graphs in both backends; $model, $(echo "${SERVE_BATCHES:-64 256}" | tr ' ' ','), ${SERVE_REQUESTS:-256} requests of ${SERVE_ISL:-128}/${SERVE_OSL:-128}"
  "$bin" prepare-dataset --tokenizer "$model" --random-seed 7 --output "$out/dataset.jsonl" token-norm-dist \
    --num-requests "${SERVE_REQUESTS:-256}" --input-mean "${SERVE_ISL:-128}" --input-stdev 0 --output-mean "${SERVE_OSL:-128}" \
    --output-stdev 0 >/dev/null 2>"$out/prepare.txt" || { tail_of "$out/prepare.txt"; return 1; }
  local est=40 t0 be
  for b in ${SERVE_BATCHES:-64 256}; do
    need "$est" "llamacpp and llama-server at B=$b" || continue
    t0=$(now)
    for be in llamacpp llama-server; do
      step "$be-b$b" "$(left)" "$out/$be-b$b.txt" env CUDA_VISIBLE_DEVICES=0 "${genv[@]}" "$bin" throughput --model "$model" \
        --backend "$be" --dataset "$out/dataset.jsonl" --max_batch_size "$b" --warmup 2 --quiet --report_json "$out/$be-b$b.json" ||
        tail_of "$out/$be-b$b.txt"
    done
    est=$(( $(now) - t0 + 10 ))
    [ -f "$out/llamacpp-b$b.json" ] && [ -f "$out/llama-server-b$b.json" ] || continue
    "$bin" compare "$out/llamacpp-b$b.json" "$out/llama-server-b$b.json" >"$out/compare-b$b.txt" 2>&1
    echo "-- B=$b: benchtui compare llamacpp-b$b.json llama-server-b$b.json"
    # The rows that say where the two differ; the whole table is in compare-b$b.txt.
    grep -E '^note|metric|backend|output_tok_s|request_s|ttft_(avg|p50|p99)|tpot_(avg|p99)|e2e_(avg|p99)|server_overhead' \
      "$out/compare-b$b.txt" | cut -c1-160
    note "B=$b: llamacpp $(tput "$out/llamacpp-b$b.json") tok/s, llama-server $(tput "$out/llama-server-b$b.json") tok/s, llama-server/llamacpp $(echo "$(tput "$out/llama-server-b$b.json") $(tput "$out/llamacpp-b$b.json")" | awk '$2 > 0 {printf "%.3f", $1/$2}')"
  done

  need 60 "the request-rate search with an SLO through llama-server" || return 0
  local slo=${SERVE_SLO:-ttft=500ms,tpot=50ms,attain=99%}
  step rate-search "$(left)" "$out/rate-search.txt" env CUDA_VISIBLE_DEVICES=0 "${genv[@]}" "$bin" sweep --model "$model" \
    --backend llama-server --max_batch_size "${SERVE_RATE_B:-256}" --num_requests "${SERVE_RATE_REQUESTS:-128}" \
    --isl "${SERVE_ISL:-128}" --osl "${SERVE_OSL:-128}" --warmup 2 --request_rate search --slo "$slo" \
    --rate_start "${SERVE_RATE_START:-8}" --rate_runs "${SERVE_RATE_RUNS:-8}" --rate_tolerance "${SERVE_RATE_TOL:-0.1}" \
    --out "$out/slo"
  grep -E 'requests/s' "$out/rate-search.txt" | grep -v '^sweep: loading' | cut -c1-200
  grep -E '^(highest|no request rate)' "$out/rate-search.txt" | tee -a "$out/summary.txt" ||
    note "rate search: no result line (see rate-search.txt)"
}
