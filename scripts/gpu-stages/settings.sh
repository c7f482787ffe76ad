# The settings stage of scripts/gpu-suite.sh (sourced by it): which llama.cpp settings are
# fastest for llama-3.1-8b f16 at 128/128, B=64 and B=256.
#
# The full grid (3 n_ubatch x 2 flash attention x 2 KV types x 2 CUDA graphs = 24 backend
# configurations, each its own model load) does not fit a device call, so the grid is pruned:
# one factor at a time around the default (n_ubatch 0, which llama.cpp makes 512; flash
# attention auto; KV f16; CUDA graphs off), each factor's values in one benchtui sweep, then
# the fastest value of each factor combined, per batch size, in one more sweep. Interactions
# between factors are measured only in that combination. Every sweep runs both batch sizes
# from one model load, SETTINGS_RPB (2) batches of requests a point, SETTINGS_REPEAT (2)
# repeats.
#
# SETTINGS_BATCHES ("64,256"), SETTINGS_FACTORS (the one-factor sweeps, "axis=values" each:
# "n_ubatch=256,1024 flash_attn=on,off kv_cache_dtype=q8_0 cuda_graphs=on"), SETTINGS_ISL/OSL
# (128).

# settings_sweep NAME [AXIS FLAGS...] runs one sweep into sw-NAME, time-boxed.
settings_sweep() {
  local name=$1
  shift
  step "sweep-$name" "$(left)" "$out/sweep-$name.txt" env CUDA_VISIBLE_DEVICES=0 "$bin" sweep --model "$model" \
    --max_batch_size "${SETTINGS_BATCHES:-64,256}" --requests_per_batch "${SETTINGS_RPB:-2}" --repeat "${SETTINGS_REPEAT:-2}" \
    --isl "${SETTINGS_ISL:-128}" --osl "${SETTINGS_OSL:-128}" --warmup 1 --threads "$threads" --out "$out/sw-$name" "$@" ||
    tail_of "$out/sweep-$name.txt"
}

stage_settings() {
  local t0 est=60 f axis vals
  t0=$(now)
  need "$est" "the default settings" || return 1
  settings_sweep default
  # The default's time (one load, every point) is the estimate of each sweep of one value.
  est=$(( $(now) - t0 + 5 ))
  for f in ${SETTINGS_FACTORS:-n_ubatch=256,1024 flash_attn=on,off kv_cache_dtype=q8_0 cuda_graphs=on}; do
    axis=${f%%=*} vals=${f#*=}
    need $((est * $(echo "$vals" | tr ',' '\n' | wc -l))) "$axis $vals" || continue
    settings_sweep "$axis" "--$axis" "$vals"
  done
  # The fastest value of each factor, combined, per batch size (one sweep when both batch
  # sizes have the same combination).
  local best b combo flags done_combos=" "
  best=$(python3 "$suite_py" settings "$out" | grep '^BEST ')
  while read -r _ b combo; do
    [ -n "$b" ] || continue
    if [ "$combo" = "n_ubatch=0 flash_attn=auto kv_cache_dtype=f16 cuda_graphs=default" ]; then
      note "B=$b: the default is the fastest value of every factor; no combination to run"
      continue
    fi
    case $done_combos in *" $combo "*) continue ;; esac
    # Batch sizes sharing this combination run in one sweep.
    local bs
    bs=$(echo "$best" | awk -v c="$combo" '{ s = $3; for (i = 4; i <= NF; i++) s = s " " $i; if (s == c) printf "%s%s", (n++ ? "," : ""), $2 }')
    flags=()
    for f in $combo; do flags+=("--${f%%=*}" "${f#*=}"); done
    need "$est" "the combination $combo at B=$bs" || break
    SETTINGS_BATCHES=$bs settings_sweep "best-${bs//,/-}" "${flags[@]}"
    done_combos="$done_combos$combo "
  done <<<"$best"
  python3 "$suite_py" settings "$out" | grep -v '^BEST ' | tee -a "$out/summary.txt"
}
