# The dashcost stage of scripts/gpu-suite.sh (sourced by it), and the tmux helpers it shares
# with the dash stage: what the dashboard costs a run on the GPU.
#
# The same run (the 8B model, B=64, DASHCOST_REQUESTS (512) requests of 128/128, 2 warmup
# requests) headless and in the dashboard, DASHCOST_PAIRS (2) pairs back to back, the order
# alternating. The dashboard runs in tmux at 160x48 (the machine's tmux, or Debian's carried in
# .tools/tmux: scripts/fetch-tmux.sh) with --run; when its header says the run finished, `e`
# exports it to a folder of its own, and the export's report gives its output tok/s, the same
# figure as the headless report's.

# tmux_setup NAME picks tmux and defines t, which runs it on a socket of this stage's own.
tmux_setup() {
  tmux_bin=$(command -v tmux || echo "$root/.tools/tmux/usr/bin/tmux")
  [ -x "$tmux_bin" ] || { skip "tmux: none on this machine and none carried in .tools/tmux (scripts/fetch-tmux.sh)"; return 1; }
  export LD_LIBRARY_PATH="$root/.tools/tmux/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  tmux_sock=benchtui-$1-$$
}
t() { "$tmux_bin" -L "$tmux_sock" -f /dev/null "$@"; }

# dash_run NAME runs the stage's run in the dashboard and copies its export to NAME.json.
dash_run() {
  local name=$1 dir="$out/$1-export" deadline f
  mkdir -p "$dir"
  t new-session -d -s dc -x 160 -y 48 -e CUDA_VISIBLE_DEVICES=0 -e BENCHTUI_LLAMA_LIB="$BENCHTUI_LLAMA_LIB" \
    -e BENCHTUI_CACHE_DIR="${BENCHTUI_CACHE_DIR:-}" \
    "$bin --model $model --max_batch_size ${DASHCOST_B:-64} --num_requests ${DASHCOST_REQUESTS:-512} --isl 128 --osl 128 --warmup 2 --threads $threads --run --theme nvidia --export_dir $dir; sleep 600" \
    \; set -g status off || return 1
  deadline=$(($(now) + $(left) - 5))
  while [ "$(now)" -lt "$deadline" ]; do
    t capture-pane -p -t dc >"$out/$name-screen.txt" 2>/dev/null
    grep -q 'finished · press e' "$out/$name-screen.txt" && break
    sleep 0.5
  done
  if ! grep -q 'finished · press e' "$out/$name-screen.txt"; then
    t kill-server 2>/dev/null
    echo "$name: the dashboard's run did not finish in time; its last screen:"
    tail_of "$out/$name-screen.txt" 12
    return 1
  fi
  t send-keys -t dc e
  while [ "$(now)" -lt "$deadline" ]; do
    for f in "$dir"/benchtui-*.json; do
      [ -f "$f" ] && python3 "$suite_py" tput "$f" >/dev/null 2>&1 && { cp "$f" "$out/$name.json"; break 2; }
    done
    sleep 0.5
  done
  t capture-pane -p -t dc >"$out/$name-screen.txt" 2>/dev/null
  t kill-server 2>/dev/null
  [ -f "$out/$name.json" ] || { echo "$name: no export appeared in $dir"; return 1; }
}

stage_dashcost() {
  tmux_setup dashcost || return 1
  local i hl dash a b ratios=() est=60 t0
  local flags=(--max_batch_size "${DASHCOST_B:-64}" --num_requests "${DASHCOST_REQUESTS:-512}" --isl 128 --osl 128 --warmup 2 --threads "$threads")
  note "$model, B=${DASHCOST_B:-64}, ${DASHCOST_REQUESTS:-512} requests of 128/128; the dashboard at 160x48 in tmux"
  for i in $(seq "${DASHCOST_PAIRS:-2}"); do
    need "$est" "pair $i" || break
    t0=$(now)
    hl=headless-$i dash=dashboard-$i
    if [ $((i % 2)) = 1 ]; then
      CUDA_VISIBLE_DEVICES=0 headless "$hl" "${flags[@]}"
      dash_run "$dash"
    else
      dash_run "$dash"
      CUDA_VISIBLE_DEVICES=0 headless "$hl" "${flags[@]}"
    fi
    a=$(tput "$out/$hl.json") b=$(tput "$out/$dash.json")
    if [ "$a" != - ] && [ "$b" != - ]; then
      ratios+=("$(echo "$b $a" | awk '{printf "%.4f", $1/$2}')")
      note "pair $i: headless $a tok/s, dashboard $b tok/s, dashboard/headless ${ratios[-1]}"
    else
      note "pair $i: headless $a, dashboard $b: no ratio"
    fi
    est=$(( $(now) - t0 + 10 ))
  done
  [ ${#ratios[@]} -gt 0 ] && note "dashboard/headless output tok/s: median $(printf '%s\n' "${ratios[@]}" | sort -g |
    awk '{a[NR]=$1} END {printf "%.3f", (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}') over ${#ratios[@]} pairs (goal >= 0.99)"
  return 0
}
