# The big stage of scripts/gpu-suite.sh (sourced by it): models that need most of one H200.
#
# llama-3.1-70b at q4_0 (~40 GB) and q8_0 (~75 GB) and qwen2.5-32b at f16 (~66 GB) at B=1, 16
# and 64 (128/128, one batch of requests a point: BIG_RPB), each model's batch sizes in one
# benchtui sweep (one load), with % of speed of light from its reports; and llama-3.1-70b at
# f16 (~141 GB), which benchtui must refuse before loading (one line, exit 2).
#
# The disk (64 GiB) cannot hold the larger files, so the model cache is BIG_CACHE
# (/dev/shm/benchtui-big, RAM): /dev/shm is enlarged to BIG_SHM_GIB (120) when it is smaller
# (mount -o remount; the GPU machine is a VM of our own; BIG_REMOUNT=0 leaves it, and the CPU
# variant never remounts). One model at a time is written, run and deleted; before writing,
# its size (parameters x bits per weight) is checked against the cache's free space and the
# RAM (MemAvailable, or BIG_RAM_GIB (128) less what is in use when MemTotal reads less: the
# VM's memory grows as it is used). The write is timed (GB/s) so that the plan's estimates
# can be checked; synth writes large files with O_DIRECT where the file system takes it, and
# the stage says whether /dev/shm does.
#
# The refusal check writes nothing: its cache is a folder on disk and a file-size limit of
# 2 GiB stops a write that should not have started.

# model_bytes MODEL prints the synthetic model's size from its parameter count
# (benchtui models) and weight type: f16 16 bits a weight, q8_0 8.5, q4_0 4.5.
model_bytes() {
  local preset=${1%%:*} dtype=f16
  [ "$preset" = "$1" ] || dtype=${1#*:}
  "$bin" models 2>/dev/null | awk -v p="$preset" -v d="$dtype" '
    $1 == p { n = $10; mult = 1
      if (n ~ /B$/) mult = 1e9; else if (n ~ /M$/) mult = 1e6; else if (n ~ /K$/) mult = 1e3
      sub(/[BMK]$/, "", n)
      bits = (d == "q8_0") ? 8.5 : (d == "q4_0") ? 4.5 : 16
      printf "%.0f\n", n * mult * bits / 8 }'
}

# ram_free prints the bytes the host can still give: MemAvailable, or, when MemTotal reads
# less than BIG_RAM_GIB (a VM whose memory grows as it is used), that less what is in use.
ram_free() {
  awk -v cap="${BIG_RAM_GIB:-128}" -v cpu="$variant" '
    /MemTotal/ { t = $2 * 1024 } /MemAvailable/ { a = $2 * 1024 }
    END { c = cap * 1073741824
      if (cpu == "cuda" && t < c) { a2 = c - (t - a); if (a2 > a) a = a2 }
      printf "%.0f\n", a }' /proc/meminfo
}

stage_big() {
  local cache=${BIG_CACHE:-/dev/shm/benchtui-big} shm_gib=${BIG_SHM_GIB:-120} size
  case $cache in
    /dev/shm/*)
      size=$(df -B1 --output=size /dev/shm | tail -1)
      if [ "$variant" = cuda ] && [ "${BIG_REMOUNT:-1}" = 1 ] && [ "$size" -lt $((shm_gib << 30)) ]; then
        if mount -o remount,size="${shm_gib}G" /dev/shm; then
          note "/dev/shm was $(gib "$size") GiB: remounted with size=${shm_gib}G (this machine is a VM of our own, given back after the session)"
        else
          note "/dev/shm is $(gib "$size") GiB and could not be remounted larger: models that do not fit are skipped"
        fi
      fi
      ;;
  esac
  mkdir -p "$cache" || return 1
  export BENCHTUI_CACHE_DIR=$cache
  note "cache $cache: $(df -h --output=size,avail "$cache" | tail -1 | awk '{print $1 " (" $2 " free)"}'); host RAM: MemTotal $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo), usable $(gib "$(ram_free)") GiB"
  python3 "$suite_py" odirect "$cache" | tee -a "$out/summary.txt"

  # The f16 70b must be refused before anything is written or loaded.
  local refuse=${BIG_REFUSE:-llama-3.1-70b} t0 rc lines
  t0=$(now)
  (
    ulimit -f $((2 << 20))
    BENCHTUI_CACHE_DIR=$out/refuse-cache exec timeout -s INT -k 10 120 env CUDA_VISIBLE_DEVICES=0 "$bin" throughput --model "$refuse" \
      --max_batch_size 64 --num_requests 64 --isl 128 --osl 128 --quiet
  ) >"$out/refuse.txt" 2>&1
  rc=$?
  lines=$(grep -c . "$out/refuse.txt")
  if [ "$rc" = 2 ] && [ "$lines" = 1 ]; then
    note "refusal: $refuse (f16, $(gib "$(model_bytes "$refuse")") GiB of weights): exit 2 in $(($(now) - t0)) s, one line: $(cat "$out/refuse.txt")"
  else
    note "refusal FAILED: $refuse gave exit $rc and $lines lines in $(($(now) - t0)) s (want exit 2, one line, before loading): $(head -c 300 "$out/refuse.txt" | tr '\n' ' ')"
  fi
  rm -rf "$out/refuse-cache"

  local m tag bytes free ram gbps=${BIG_WRITE_GBPS:-1.5} est path t1 dt
  local table=("| model | batch | output tok/s | roofline tok/s | % of speed of light |" "|---|---|---|---|---|")
  local models=${BIG_MODELS:-}
  if [ -z "$models" ]; then
    models="llama-3.1-70b:q4_0 llama-3.1-70b:q8_0 qwen2.5-32b"
    [ -z "$model_set" ] || models="$model:q4_0 $model:q8_0 $model"
  fi
  for m in $models; do
    tag=${m//[:\/]/-}
    bytes=$(model_bytes "$m")
    [ -n "$bytes" ] || { skip "$m: not a preset"; continue; }
    free=$(df -B1 --output=avail "$cache" | tail -1)
    ram=$(ram_free)
    if [ "$bytes" -gt $((free / 100 * 97)) ]; then
      skip "$m: $(gib "$bytes") GiB does not fit the $(gib "$free") GiB free in $cache"
      continue
    fi
    case $cache in /dev/shm/*)
      if [ "$bytes" -gt $((ram - (8 << 30))) ]; then
        skip "$m: $(gib "$bytes") GiB in RAM would leave less than 8 GiB of the $(gib "$ram") GiB usable"
        continue
      fi ;;
    esac
    # Writing at the speed measured so far, loading at about 3 GB/s, then the runs.
    est=$(awk -v b="$bytes" -v w="$gbps" 'BEGIN { printf "%d", b / 1e9 / w + b / 3e9 + 60 }')
    need "$est" "$m ($(gib "$bytes") GiB)" || continue
    t1=$(date +%s.%N)
    path=$(timeout -s INT -k 20 "$(left)" "$bin" models --write "$m" --quiet 2>"$out/write-$tag.txt") ||
      { note "$m: writing failed: $(tail -1 "$out/write-$tag.txt")"; rm -f "$cache"/*.tmp-*; continue; }
    dt=$(echo "$(date +%s.%N) $t1" | awk '{printf "%.1f", $1 - $2}')
    gbps=$(awk -v s="$(stat -c %s "$path")" -v t="$dt" 'BEGIN { printf "%.2f", s / 1e9 / (t > 0.05 ? t : 0.05) }')
    note "$m: wrote $(gib "$(stat -c %s "$path")") GiB (estimated $(gib "$bytes")) in $dt s: $gbps GB/s"
    t1=$(now)
    step "sweep-$tag" "$(left)" "$out/sweep-$tag.txt" env CUDA_VISIBLE_DEVICES=0 "$bin" sweep --model "$m" \
      --max_batch_size "${BIG_BATCHES:-1,16,64}" --requests_per_batch "${BIG_RPB:-1}" --isl 128 --osl 128 --warmup 1 \
      --threads "$threads" --out "$out/sw-$tag" || tail_of "$out/sweep-$tag.txt"
    note "$m: load and runs $(($(now) - t1)) s"
    while IFS= read -r line; do table+=("$line"); done < <(python3 "$suite_py" big "$out/sw-$tag" "$m")
    rm -f "$path"
  done
  rm -rf "$cache"
  printf '%s\n' "${table[@]}" | tee -a "$out/summary.txt"
}
