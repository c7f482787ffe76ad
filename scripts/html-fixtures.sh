#!/usr/bin/env bash
# html-fixtures.sh: makes the HTML report's test fixtures in report/html/testdata from real
# runs of the tiny synthetic model on the CPU (one thread):
#
#   run-b8.json       throughput export: 48 requests, ISL 64 +- 16, OSL 32 +- 8, batch 8
#   run-b16.json      the same workload at batch 16
#   run-stopped.json  OSL 64 at batch 8, stopped with SIGINT part way (a stopped run)
#   report-b8.json    the --report_json report of run-b8 (no records)
#   sweep.json        a sweep of max_batch_size 1,4,16 x osl 16,32, 16 requests a point
#
# The figures differ from run to run (they are timings); the golden test reads the files as
# they were made, so regenerate the golden skeleton after this (go test ./report/html -update).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/report/html/testdata
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export BENCHTUI_THREADS=1
lib=$root/.llama/cpu/lib
bin=$tmp/benchtui
(cd "$root" && go build -o "$bin" ./cmd/benchtui)
mkdir -p "$out"
common=(--model tiny --isl 64 --osl 32 --isl_stdev 16 --osl_stdev 8 --num_requests 48 --warmup 2 --llama_lib "$lib" --quiet)
"$bin" throughput "${common[@]}" --max_batch_size 8 --export "$tmp/run-b8.json" --report_json "$tmp/report-b8.json" >/dev/null
"$bin" throughput "${common[@]}" --max_batch_size 16 --export "$tmp/run-b16.json" >/dev/null
# A run stopped part way: the requests that finished are exported, the others carry the
# cancel reason.
"$bin" throughput --model tiny --isl 64 --osl 64 --num_requests 400 --max_batch_size 8 --llama_lib "$lib" --quiet \
  --export "$tmp/run-stopped.json" >/dev/null &
pid=$!
sleep 3
kill -INT "$pid"
wait "$pid" || true
"$bin" sweep --model tiny --max_batch_size 1,4,16 --osl 16,32 --isl 32 --num_requests 16 --warmup 1 \
  --llama_lib "$lib" --out "$tmp/sweep" --quiet >/dev/null
cp "$tmp/run-b8.json" "$tmp/run-b16.json" "$tmp/run-stopped.json" "$tmp/report-b8.json" "$tmp/sweep/sweep.json" "$out/"
ls -l "$out"
