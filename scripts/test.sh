#!/usr/bin/env bash
# The whole test suite: build, then every test through ctest. .ci/run calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
bash scripts/check_cuda.sh  # the CUDA kernels compile (nvcc, no GPU needed); says so where it skips
cd build
ctest --output-on-failure -j "${BUA_JOBS:-$(nproc)}" --timeout 1500
