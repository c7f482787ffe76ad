# The build stage of scripts/gpu-suite.sh (sourced by it): llama.cpp's build for VARIANT, what
# the machine is, and the synthetic models of the later stages written ahead, timed, so that
# the plan's estimates can be checked against this machine's write speed.

# gib prints a byte count in GiB with one decimal.
gib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1073741824 }'; }

# write_model MODEL writes a synthetic model into the cache (benchtui models --write) and
# prints its size and the write speed; a model already in the cache is only checked.
write_model() {
  local m=$1 t0 dt path size before
  before=$(ls "${BENCHTUI_CACHE_DIR:-$HOME/.cache/benchtui/models}" 2>/dev/null)
  t0=$(date +%s.%N)
  path=$(timeout -s INT -k 20 "$(left)" "$bin" models --write "$m" --quiet 2>"$out/write-${m//[:\/]/-}.txt") ||
    { note "write $m: failed: $(tail -1 "$out/write-${m//[:\/]/-}.txt")"; return 1; }
  dt=$(echo "$(date +%s.%N) $t0" | awk '{printf "%.1f", $1 - $2}')
  size=$(stat -c %s "$path")
  if grep -qxF "$(basename "$path")" <<<"$before"; then
    note "write $m: $(gib "$size") GiB already in $(dirname "$path") (its header checked in $dt s)"
  else
    note "write $m: $(gib "$size") GiB in $dt s ($(awk -v s="$size" -v t="$dt" 'BEGIN { printf "%.2f", s / 1e9 / (t > 0.05 ? t : 0.05) }') GB/s) to $(dirname "$path")"
  fi
}

stage_build() {
  gpu_info
  echo "host: $(nproc) CPUs, MemTotal $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo), MemAvailable $(awk '/MemAvailable/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo) (a VM whose memory may grow as it is used)"
  df -h --output=target,size,avail / /dev/shm 2>/dev/null | sed 's/^/disk: /'
  local tool
  for tool in nvcc cmake ninja compute-sanitizer python3 tmux; do
    printf 'tool %s: %s\n' "$tool" "$(command -v "$tool" || echo missing)"
  done
  [ -x "$root/.tools/tmux/usr/bin/tmux" ] && echo "tool tmux (carried): $root/.tools/tmux/usr/bin/tmux"
  [ -x "$root/bin/rpcbench" ] && echo "tool rpcbench (carried): $root/bin/rpcbench"
  "$bin" version 2>&1 | sed 's/^/benchtui: /'
  local t0
  t0=$(now)
  setup || return 1
  note "llama.cpp $variant: ready in $(($(now) - t0)) s ($(tail -1 "$out/setup.log" 2>/dev/null | grep . || echo "built before"))"
  # The 8B model of most stages and the 1B of the graphs stage, written once here.
  local m
  for m in $(printf '%s\n' ${PREWRITE:-$model $graphs_model} | awk '!seen[$0]++'); do
    need 20 "writing $m" || break
    write_model "$m"
  done
}
