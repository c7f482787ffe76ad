#!/usr/bin/env bash
# The tests, as CI runs them (.ci/run): lint (scripts/lint.sh), every package's tests, and
# the race detector over the packages that run goroutines. The tests are real: llama.cpp
# inference on the tiny synthetic model, llama-server and ggml-rpc-server on 127.0.0.1, the
# dashboard driven in tmux. So first this installs what they need when it is missing: tmux
# (apt-get), llama.cpp's CPU build from source with its tools (scripts/setup-llama.sh cpu:
# minutes, once per checkout) and its prebuilt CPU libraries (seconds; a test loads them).
# Arguments are passed to both go test runs (scripts/test.sh -run TestName).
set -euo pipefail
cd "$(dirname "$0")/.."
export CGO_CFLAGS="${CGO_CFLAGS:--O2 -g} -Wno-deprecated-declarations"
# llama.cpp's threads spin while they wait for each other: with more threads than free
# CPUs, parallel test packages crawl.
export BENCHTUI_THREADS=${BENCHTUI_THREADS:-1}

bash scripts/apt-install.sh tmux chromium
bash scripts/setup-llama.sh cpu
bash scripts/setup-llama.sh cpu-prebuilt
bash scripts/lint.sh

# The streaming client's timing test (TTFT and gaps within 1 ms of a known schedule at p99,
# with 1,000 streams open) judges how the client keeps time, so it needs the CPUs that the
# other packages' tests would take: with no arguments it runs first, alone, and the runs
# after it skip it.
#
# The race detector then runs over the packages where goroutines share state: the harness
# and its events, the child-process session, the dashboard's updates, telemetry's sampler.
# It slows Go code several times over, and copy() most of all (it checks every word
# copied), so the one test that needs a realistic host memory bandwidth (a run's speed of
# light must stay under 100%) is left to the run without it.
race=(./engine/... ./session/... ./tui/... ./telemetry/...)
if [ $# -eq 0 ]; then
	timing='^TestTimingAtAThousandStreams$'
	go test -count=1 -run "$timing" ./engine/openai
	go test -count=1 -skip "$timing" ./...
	go test -race -count=1 -skip '^(TestSessionHardwareReport|TestTimingAtAThousandStreams)$' "${race[@]}"
else
	go test -count=1 "$@" ./...
	go test -race -count=1 -skip '^TestSessionHardwareReport$' "$@" "${race[@]}"
fi
