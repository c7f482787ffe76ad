#!/usr/bin/env bash
# What the dashboard itself costs: the CPU time of the benchtui process (not its llama.cpp
# backend process, which does the inference) during a run, with the dashboard drawn at a
# given size in tmux, beside the same run headless. Both figures are /proc CPU ticks of the
# benchtui process over the same window, as a percentage of one core.
#
#   scripts/dashboard-cpu.sh [-s SECONDS] [-x WIDTH] [-y HEIGHT] [-b BATCH] [-m MODEL] [-v VIEW] [-r RENDERER]
#
# Defaults: 20 s, 200x60, tiny model, B=16, ISL=OSL=128, the dashboard view. -v requests opens
# the requests view (enter) before measuring. -r bubbletea draws with Bubble Tea's renderer
# instead of the dashboard's own screen (BENCHTUI_DASHBOARD_RENDERER), to compare the two. BENCHTUI_BIN measures that binary instead of
# building this tree. The run is long enough to outlast the window;
# both processes are stopped after it. Timings on a shared machine are noisy: run it twice.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
secs=20
width=200
height=60
batch=16
model=tiny
view=dashboard
renderer=screen
while getopts "s:x:y:b:m:v:r:" opt; do
  case $opt in
    s) secs=$OPTARG ;;
    x) width=$OPTARG ;;
    y) height=$OPTARG ;;
    b) batch=$OPTARG ;;
    m) model=$OPTARG ;;
    v) view=$OPTARG ;;
    r) renderer=$OPTARG ;;
    *) echo "usage: $0 [-s SECONDS] [-x WIDTH] [-y HEIGHT] [-b BATCH] [-m MODEL] [-v dashboard|requests] [-r screen|bubbletea]" >&2; exit 2 ;;
  esac
done
command -v tmux >/dev/null || { echo "dashboard-cpu: tmux is needed (scripts/apt-install.sh tmux installs it)" >&2; exit 2; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/benchtui-cpu.XXXXXX")
sock="benchtui-cpu-$$"
headless_pid=
cleanup() {
  tmux -L "$sock" kill-server 2>/dev/null || true
  [ -n "$headless_pid" ] && kill "$headless_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

if [ -n "${BENCHTUI_BIN:-}" ]; then
  cp "$BENCHTUI_BIN" "$tmp/benchtui" # another build to compare with
else
  go build -o "$tmp/benchtui" "$root/cmd/benchtui"
fi
export BENCHTUI_LLAMA_LIB="${BENCHTUI_LLAMA_LIB:-$root/.llama/cpu/lib}"
export BENCHTUI_THREADS="${BENCHTUI_THREADS:-1}"
export XDG_STATE_HOME="$tmp"
hz=$(getconf CLK_TCK)
args=(--model "$model" --max_batch_size "$batch" --isl 128 --osl 128 --num_requests 100000)

# ticks PID: user + system CPU ticks of the process so far.
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# measure PID: the process's CPU use over the window, in percent of one core.
measure() {
  local pid=$1 a b
  a=$(ticks "$pid")
  sleep "$secs"
  b=$(ticks "$pid")
  awk -v d=$((b - a)) -v hz="$hz" -v s="$secs" 'BEGIN { printf "%.2f", 100 * d / hz / s }'
}

# The dashboard, started with --run; measured once the run shows on screen.
tmux -L "$sock" new-session -d -s cpu -x "$width" -y "$height" -e TERM=xterm-256color -e BENCHTUI_DASHBOARD_RENDERER="$renderer" \
  "exec $tmp/benchtui --run --theme nvidia ${args[*]} --export_dir $tmp"
pid=$(tmux -L "$sock" display-message -p -t cpu '#{pane_pid}')
for _ in $(seq 300); do
  tmux -L "$sock" capture-pane -p -t cpu | grep -q "running" && break
  sleep 0.1
done
sleep 3 # past the first batch's prefill
if [ "$view" = requests ]; then
  tmux -L "$sock" send-keys -t cpu Enter
  sleep 1
fi
dash=$(measure "$pid")
tmux -L "$sock" kill-server

# The same run headless.
"$tmp/benchtui" throughput "${args[@]}" --quiet >/dev/null 2>&1 &
headless_pid=$!
sleep 6 # model load and the first batch
head=$(measure "$headless_pid")

echo "dashboard ($view, ${width}x${height}, $renderer): ${dash}% of one core; headless: ${head}% of one core ($secs s of /proc ticks of the benchtui process, $model, B=$batch)"
