# The rpc stage of scripts/gpu-suite.sh (sourced by it): llama.cpp's RPC backend on the GPU
# machine, the local GPU against the same GPU behind one loopback rpc-server (the CUDA build's
# ggml-rpc-server, lending CUDA0), with each setup's time per decode step, the bytes sent and
# received per step and the share of the step spent waiting on the server, and the measuring
# relay's cost (pairs with and without it).
#
# scripts/rpcbench is a Go program and the GPU machines have no Go: it is built ahead
# (scripts/gpu-carry.sh puts it in bin/rpcbench beside bin/benchtui) and run with --bin, so
# that it builds nothing. RPC_SERVERS (1), RPC_REPEATS (2 rounds), RPC_PAIRS (1 relay pair),
# RPC_REQUESTS (64), RPC_B (64); on the CPU variant every layer goes to CPU rpc-servers.

stage_rpc() {
  local rb=${RPCBENCH:-$root/bin/rpcbench} gpu=()
  if [ ! -x "$rb" ]; then
    if command -v go >/dev/null; then
      go build -o "$out/rpcbench" ./scripts/rpcbench || return 1
      rb=$out/rpcbench
    else
      skip "rpcbench: $rb is missing and there is no Go here: build it with scripts/gpu-carry.sh and carry bin/"
      return 1
    fi
  fi
  [ "$variant" = cuda ] && gpu=(--gpu)
  note "$model, B=${RPC_B:-64}, ${RPC_REQUESTS:-64} requests of 128/128, ${RPC_SERVERS:-1} loopback server(s), ${RPC_REPEATS:-2} rounds, ${RPC_PAIRS:-1} relay pair(s)"
  # BENCHTUI_THREADS is each process's CPU threads (rpcbench passes it on); on the GPU it
  # matters little.
  step rpcbench "$(left)" "$out/rpcbench.md" env CUDA_VISIBLE_DEVICES=0 BENCHTUI_THREADS="${RPC_THREADS:-$threads}" "$rb" "${gpu[@]}" \
    --bin "$bin" --model "$model" --servers "${RPC_SERVERS:-1}" --max_batch_size "${RPC_B:-64}" --isl 128 --osl 128 \
    --num_requests "${RPC_REQUESTS:-64}" --repeats "${RPC_REPEATS:-2}" --relay_pairs "${RPC_PAIRS:-1}" --out "$out/runs"
  local rc=$?
  grep -v '^rpcbench: .* round' "$out/rpcbench.md" | grep -v '^Runs:' | tee -a "$out/summary.txt"
  return $rc
}
