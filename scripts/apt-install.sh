#!/usr/bin/env bash
# apt-install.sh PKG...: installs Debian packages that are missing, with sudo when not root.
# The tests need tmux (the dashboard's end-to-end test drives the real binary in it) and
# chromium (the HTML report's tests open pages in it, headless). Each name is both the
# package and the command it installs.
set -euo pipefail
missing=()
for p in "$@"; do
  command -v "$p" >/dev/null 2>&1 || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "apt-install: ${missing[*]} missing and there is no apt-get: install them with your package manager" >&2
  exit 1
fi
sudo=()
[ "$(id -u)" -ne 0 ] && sudo=(sudo)
echo "apt-install: installing ${missing[*]} with apt-get"
"${sudo[@]}" apt-get update -qq >/dev/null
"${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
