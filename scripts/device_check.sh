#!/usr/bin/env bash
# GPU checks, run on the device machine from the repo root (see README "GPU"): `build` configures and builds
# with CUDA against the machine's torch; `run` runs the CUDA tests, the extraction and training benchmarks
# and the test suite.
# Needs .deps/ (scripts/build_gpu_deps.sh) carried along. Logs go to $OUT.
set -uo pipefail
OUT=${OUT:-/tmp/bua_out}
mkdir -p "$OUT"
case "${1:-}" in
  build)
    nvidia-smi -L
    prefix=$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)')
    python3 -c 'import torch;print("torch", torch.__version__, "cuda", torch.version.cuda)'
    cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" \
      -DCMAKE_CUDA_ARCHITECTURES=90 > "$OUT/cmake.log" 2>&1 || { tail -40 "$OUT/cmake.log"; exit 1; }
    grep -E "bua:|CUDA" "$OUT/cmake.log" | head -5
    start=$(date +%s)
    cmake --build build-gpu -j 16 -- -k 0 > "$OUT/build.log" 2>&1
    rc=$?
    echo "build rc=$rc in $(( $(date +%s) - start )) s"
    grep -E "error|FAILED" "$OUT/build.log" | head -40
    exit $rc
    ;;
  run)
    cd build-gpu || exit 1
    ./bin/test_cuda 2>&1 | tail -15
    ./bin/test_caffe_parity --gtest_brief=1 2>&1 | tail -4
    ./bin/bench_extract --device cuda --images 300 --batch-images 16 --decode-threads 12 --warmup 16 \
      --work-dir /tmp/bench 2>&1 | grep -v "^  \|INFO\|WARN" | tee "$OUT/bench.txt"
    ./bin/bench_extract --device cuda --dtypes bf16 --cudnn-benchmark --images 300 --batch-images 16 \
      --decode-threads 12 --warmup 16 --work-dir /tmp/bench2 2>&1 | grep -v "^  \|INFO\|WARN" | tee -a "$OUT/bench.txt"
    for dtype in fp32 bf16; do
      ./bin/bench_train --device cuda --dtype $dtype --iterations 40 --warmup 5 --arch ../configs/resnet101_vg.yml \
        --cfg ../experiments/cfgs/faster_rcnn_end2end_resnet.yml 2>&1 | grep -v "^  \|INFO\|WARN" |
        tee -a "$OUT/bench_train.txt"
    done
    ctest -j 12 --timeout 300 -E "Cuda|Learning" > "$OUT/ctest.log" 2>&1
    tail -25 "$OUT/ctest.log"
    ;;
  *) echo "usage: $0 build|run"; exit 2 ;;
esac
