#!/usr/bin/env bash
# Puts Debian's tmux and its libraries into .tools/tmux (git-ignored), for machines without
# tmux or a network (the GPU machines): carry .tools with the device call.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$root/.tools/debs" && cd "$root/.tools/debs"
apt-get download tmux libevent-core-2.1-7 libutempter0
for f in *.deb; do dpkg -x "$f" "$root/.tools/tmux"; done
"$root/.tools/tmux/usr/bin/tmux" -V
