#!/usr/bin/env bash
# seed-commands.sh runs every command of trtllm-bench's guide "Offline Benchmarking with
# Autodeploy Backend", in the guide's order, with trtllm-bench replaced by benchtui and
# python3 benchmarks/cpp/prepare_dataset.py by benchtui prepare-dataset, and checks each exit
# status, line and output file. Where benchtui cannot do what a command asks (TensorRT-LLM's
# backends, more GPUs than the machine has), the command must stop with exit status 2 and one
# line that says what to run instead; the script checks that line, then runs the same command
# on benchtui's own engine (llama.cpp, no --backend) and checks that.
#
# Substitutions, printed when the script starts:
#   - the guide's models, meta-llama/Llama-3.1-8b (preset llama-3.1-8b, 16 GB in f16) and
#     meta-llama/Llama-3.1-70B (preset llama-3.1-70b, 141 GB), run as the tiny preset unless
#     SEED_MODEL_8B / SEED_MODEL_70B say otherwise: on a CPU the guide's 256 requests of
#     1,024 + 1,024 tokens would take days at those sizes. --tokenizer follows --model, so that
#     the datasets' token ids fit the model benchmarked;
#   - /path/to/dataset.txt and /tmp/dataset.txt are files of the work folder (SEED_WORK, a new
#     temporary folder by default), where every command runs; dataset.txt, which the guide uses
#     without making it, is the Dataset Preparation step's set;
#   - config.yaml and ad_config.yaml are scripts/testdata/autodeploy-config.yaml,
#     pytorch_config.yaml is scripts/testdata/pytorch-config.yaml;
#   - SEED_REQUESTS replaces --num-requests 256 and SEED_SCALE divides every --input-mean and
#     --output-mean (the test suite runs the script with a few requests of a few tokens).
#
# Environment: BENCHTUI (the binary; built into bin/ when unset), SEED_WORK, SEED_REQUESTS,
# SEED_SCALE, SEED_MODEL_8B, SEED_MODEL_70B, and benchtui's own (BENCHTUI_THREADS,
# BENCHTUI_CACHE_DIR, BENCHTUI_LLAMA_LIB).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
requests=${SEED_REQUESTS:-256}
scale=${SEED_SCALE:-1}
m8=${SEED_MODEL_8B:-tiny}
m70=${SEED_MODEL_70B:-tiny}
work=${SEED_WORK:-$(mktemp -d "${TMPDIR:-/tmp}/benchtui-seed.XXXXXX")}
mkdir -p "$work"

if [[ -z ${BENCHTUI:-} ]]; then
	BENCHTUI=$repo/bin/benchtui
	(cd "$repo" && go build -o "$BENCHTUI" ./cmd/benchtui)
fi
if [[ -z ${BENCHTUI_LLAMA_LIB:-} ]]; then
	if [[ ! -e $repo/.llama/cpu/lib && ! -e $repo/.llama/cuda/lib ]]; then
		bash "$repo/scripts/setup-llama.sh" cpu
	fi
	# The commands run in the work folder, outside the repository, where benchtui would not
	# find the build.
	for v in cuda cpu; do
		if [[ -e $repo/.llama/$v/lib ]]; then
			export BENCHTUI_LLAMA_LIB=$repo/.llama/$v/lib
			break
		fi
	done
fi
gpus=0
if command -v nvidia-smi >/dev/null 2>&1; then
	gpus=$(nvidia-smi -L 2>/dev/null | grep -c '^GPU' || true)
fi

cp "$repo/scripts/testdata/autodeploy-config.yaml" "$work/config.yaml"
cp "$repo/scripts/testdata/autodeploy-config.yaml" "$work/ad_config.yaml"
cp "$repo/scripts/testdata/pytorch-config.yaml" "$work/pytorch_config.yaml"
cd "$work"

echo "seed-commands: trtllm-bench's offline AutoDeploy guide, run with $BENCHTUI in $work"
echo "seed-commands: meta-llama/Llama-3.1-8b runs as $m8, meta-llama/Llama-3.1-70B as $m70 (the model and its tokenizer);" \
	"--num-requests 256 is $requests, lengths are divided by $scale; $gpus GPUs"

commands=0
fail() {
	echo "seed-commands: FAILED: $*" >&2
	exit 1
}
step() {
	commands=$((commands + 1))
	echo
	echo "== $commands. $*"
}
len() { echo $(($1 / scale > 0 ? $1 / scale : 1)); }

# prepare NAME OUT ISL OSL: the guide's prepare_dataset.py command, stdout to OUT.
prepare() {
	local tok=$1 out=$2 isl osl
	isl=$(len "$3")
	osl=$(len "$4")
	echo "\$ benchtui prepare-dataset --stdout --tokenizer $tok token-norm-dist --input-mean $isl --output-mean $osl" \
		"--input-stdev 0 --output-stdev 0 --num-requests $requests > $out"
	"$BENCHTUI" prepare-dataset --stdout --tokenizer "$tok" token-norm-dist --input-mean "$isl" --output-mean "$osl" \
		--input-stdev 0 --output-stdev 0 --num-requests "$requests" >"$out" || fail "prepare-dataset exited $?"
	[[ $(wc -l <"$out") -eq $requests ]] || fail "$out has $(wc -l <"$out") lines, want $requests"
	grep -q "\"output_tokens\":$osl[,}]" "$out" || fail "$out: output_tokens is not $osl"
}

# bench ARGS...: a trtllm-bench command as written. With a TensorRT-LLM --backend it must stop
# with exit status 2 and one line that names trtllm-serve and benchtui --backend openai; then
# the same command runs on llama.cpp (no --backend), and must succeed, or, with a --tp above
# the machine's GPUs, stop with exit status 2 and the line that says which --tp can run.
bench() {
	local args=("$@") plain=() tp=1 out="" i
	for ((i = 0; i < ${#args[@]}; i++)); do
		case ${args[i]} in
		--backend) i=$((i + 1)) ;;
		--tp) tp=${args[i + 1]} plain+=("${args[i]}") ;;
		--output) out=${args[i + 1]} plain+=("${args[i]}") ;;
		*) plain+=("${args[i]}") ;;
		esac
	done
	if [[ ${#plain[@]} -ne ${#args[@]} ]]; then
		echo "\$ benchtui ${args[*]}"
		local rc=0
		"$BENCHTUI" "${args[@]}" >stdout.txt 2>stderr.txt || rc=$?
		[[ $rc -eq 2 ]] || fail "exit status $rc, want 2: $(cat stderr.txt)"
		[[ $(wc -l <stderr.txt) -eq 1 && ! -s stdout.txt ]] || fail "want one line on stderr and nothing on stdout: $(cat stderr.txt stdout.txt)"
		grep -q "is TensorRT-LLM's .* trtllm-serve .* --backend openai --base_url http://localhost:8000/v1" stderr.txt ||
			fail "the line does not say what to run instead: $(cat stderr.txt)"
		echo "   exit 2: $(cat stderr.txt)"
		echo "   on llama.cpp instead:"
	fi
	echo "\$ benchtui ${plain[*]}"
	local rc=0
	"$BENCHTUI" "${plain[@]}" >stdout.txt 2>stderr.txt || rc=$?
	if [[ $tp -gt $gpus && $tp -gt 1 ]]; then
		[[ $rc -eq 2 ]] || fail "--tp $tp with $gpus GPUs: exit status $rc, want 2"
		grep -q -- "--tp $tp needs $tp GPUs, llama.cpp sees $gpus: give --tp" stderr.txt || fail "no line for --tp $tp: $(cat stderr.txt)"
		echo "   exit 2: $(tail -n 1 stderr.txt)"
		return
	fi
	[[ $rc -eq 0 ]] || fail "exit status $rc: $(tail -n 5 stderr.txt)"
	grep -q "PERFORMANCE OVERVIEW" stdout.txt || fail "no summary on stdout"
	grep "Output Throughput" stdout.txt | head -n 1 | sed 's/^/   /'
	if [[ -n $out ]]; then
		[[ -s $out ]] || fail "no report in $out"
		# The guide's "Metrics to Expect": throughput, TTFT and inter-token latency,
		# GPU utilization and memory (host CPU and memory without a GPU).
		for key in system_output_throughput_tok_s ttft_percentiles itl_percentiles_ms avg_util_pct peak_mem_used_bytes; do
			grep -q "\"$key\"" "$out" || fail "$out has no $key"
		done
		echo "   report: $out"
	fi
}

step "Basic Usage (its dataset is the placeholder /path/to/dataset.txt, written first with the Dataset Preparation settings)"
mkdir -p path/to
prepare "$m8" path/to/dataset.txt 128 128
bench --model "$m8" throughput --dataset path/to/dataset.txt --backend _autodeploy --max_batch_size 256 \
	--extra_llm_api_options config.yaml --tp 1

step "Dataset Preparation (to /tmp/dataset.txt, here tmp/dataset.txt; the guide's dataset.txt is this set)"
mkdir -p tmp
prepare "$m8" tmp/dataset.txt 128 128
cp tmp/dataset.txt dataset.txt

step "Complete Example: 1. Prepare dataset"
prepare "$m8" dataset_1024_1024.txt 1024 1024

step "Complete Example: 2. Run benchmark"
bench --model "$m8" throughput --dataset dataset_1024_1024.txt --warmup 0 --backend _autodeploy --max_batch_size 256 \
	--extra_llm_api_options config.yaml --tp 1

step "Multi-GPU Benchmarking (meta-llama/Llama-3.1-70B, --tp 8)"
bench --model "$m70" throughput --dataset dataset.txt --backend _autodeploy --max_batch_size 256 \
	--extra_llm_api_options config.yaml --tp 8

step "Comparing Backends: AutoDeploy"
bench --model "$m8" throughput --dataset dataset.txt --backend _autodeploy --extra_llm_api_options ad_config.yaml \
	--max_batch_size 256

step "Comparing Backends: PyTorch"
bench --model "$m8" throughput --dataset dataset.txt --backend pytorch --extra_llm_api_options pytorch_config.yaml \
	--max_batch_size 256

step "Additional Options: --warmup 5, --output results.json, --verbose (on the Basic Usage command)"
bench --model "$m8" throughput --dataset dataset.txt --max_batch_size 256 --extra_llm_api_options config.yaml --tp 1 \
	--warmup 5 --output results.json --verbose

step "Common Patterns: ISL/OSL Sweep (16 datasets and runs)"
for isl in 128 512 1024 2048; do
	for osl in 128 512 1024 2048; do
		prepare "$m8" "dataset_${isl}_${osl}.txt" "$isl" "$osl"
		bench --model "$m8" throughput --dataset "dataset_${isl}_${osl}.txt" --backend _autodeploy \
			--extra_llm_api_options config.yaml --output "results_${isl}_${osl}.json"
	done
done

step "Common Patterns: Batch Size Sweep (384 runs as 256, llama.cpp's most sequences at once)"
for bs in 32 64 128 256 384; do
	bench --model "$m8" throughput --dataset dataset.txt --backend _autodeploy --max_batch_size "$bs" \
		--extra_llm_api_options config.yaml --output "results_bs${bs}.json"
	if [[ $bs -gt 256 ]]; then
		grep -q "max_batch_size $bs is above llama.cpp's 256 sequences at once: ran with 256" stderr.txt ||
			fail "no line for --max_batch_size $bs"
		grep -q '"max_batch_size": 256' "results_bs${bs}.json" || fail "results_bs${bs}.json does not say it ran with 256"
	fi
done

echo
echo "seed-commands: all $commands steps of the guide passed (work folder $work)"
