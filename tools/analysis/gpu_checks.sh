#!/usr/bin/env bash
# The GPU checks of the speed-and-scale work in one run, for a session that
# has a GPU for a few minutes (budget about 9 minutes on one H100 / H200):
#   1. the CUDA tests (tests/test_gpu.py: FSDP pretraining through the
#      FlexibleRunner, bf16 + fused AdamW on the flash kernel, benchmark MFU)
#      and the fast-path tests on the GPU;
#   2. the ViT-B pretraining step vs transformers' VideoMAEForPreTraining,
#      bf16, batch 32 (clips/s ratio, MFU, peak memory);
#   3. the ViT-B fine-tuning step vs mmaction2's VisionTransformer, bf16;
#   4. measured peak memory of ViT-S/B, v1 / v2 x checkpointing, batch 32.
# Each step has its own time limit; a failing step is reported and the
# others still run. The JSON files land in OUT_DIR (default: benchmarks/).
#
# Usage: bash tools/analysis/gpu_checks.sh [OUT_DIR]
set -uo pipefail
cd "$(dirname "$0")/../.."
out=${1:-benchmarks}

gpu=$(python -c 'import torch
if torch.cuda.is_available():
    print(torch.cuda.get_device_name().split()[1].lower())' 2>/dev/null)
if [ -z "$gpu" ]; then
    echo "gpu_checks.sh needs a CUDA GPU: torch.cuda.is_available() is" \
        "False on this machine" >&2
    exit 2
fi
echo "GPU: $(python -c 'import torch; print(torch.cuda.get_device_name())')"
mkdir -p "$out"

failed=()
step() {  # step NAME SECONDS COMMAND...
    local name=$1 limit=$2
    shift 2
    echo "=== $name (limit ${limit} s): $*"
    local start=$SECONDS
    timeout "$limit" "$@"
    local rc=$?
    echo "=== $name: exit $rc after $((SECONDS - start)) s"
    [ "$rc" -eq 0 ] || failed+=("$name (exit $rc)")
}

step tests 150 python -m pytest -q -p no:cacheprovider -rs \
    tests/test_gpu.py tests/test_fast_path.py
step pretrain 150 python tools/analysis/benchmark_pretrain.py \
    --device cuda --dtype bf16 --arch b \
    --out "$out/pretrain_${gpu}_bf16.json"
step finetune 120 python tools/analysis/benchmark_finetune.py \
    --device cuda --dtype bf16 --arch b \
    --out "$out/finetune_${gpu}_bf16.json"
step memory 120 python tools/analysis/benchmark_memory.py \
    --device cuda --dtype bf16 --arch s b \
    --out "$out/memory_${gpu}_bf16.json"

if [ ${#failed[@]} -gt 0 ]; then
    printf 'failed: %s\n' "${failed[@]}" >&2
    exit 1
fi
echo "all GPU checks passed; results in $out/"
