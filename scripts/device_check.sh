#!/usr/bin/env bash
# Everything a GPU session needs, as ONE command of at most 8 minutes: the device machine stays warm only about
# 30 s between calls and a CUDA build folder is far over what a call may carry, so configure, build and every
# check run in this one call (README "GPU"). Steps, each logged to $OUT/<step>.log and timed in $OUT/steps.txt:
#   configure  cmake against the torch of the python3 on PATH (the device's own virtual environment); must
#              report "bua: CUDA kernels ON"
#   build      the tools, benchmarks and GPU tests only (16 jobs)
#   test_cuda  the CUDA tests: CUDA NMS and ROI pooling against the CPU kernels, the reference network on the GPU
#              against the CPU within 1e-4 (so against Caffe, through the CPU's parity), training losses
#   parity     Caffe parity of this build (tests/data/caffe) on the machine's CPU
#   bench      bench_extract in fp32 and bf16 beside the eager PyTorch reference, same run
#   train      bench_train in bf16 and fp32 at 600 px
# The figures go to $OUT/figures.txt. Any failing step fails the script (set -e, no pipe hides a status).
#
#   scripts/device_check.sh             on the device machine; carry .deps/ (scripts/build_gpu_deps.sh)
#   scripts/device_check.sh --dry-run   here: the arguments, the paths, the tools found in build/, and the
#                                       benchmarks on the CPU at a tiny size; no CUDA step, no build
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

dry_run=0
budget=${BUA_DEVICE_BUDGET_S:-480}
for arg in "$@"; do
  case "$arg" in
    --dry-run) dry_run=1 ;;
    --budget=*) budget=${arg#--budget=} ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "device_check.sh: unknown argument '$arg' (expected --dry-run, --budget=SECONDS)" >&2; exit 2 ;;
  esac
done
[[ "$budget" =~ ^[0-9]+$ ]] || { echo "device_check.sh: --budget must be seconds, got '$budget'" >&2; exit 2; }

OUT=${OUT:-/tmp/bua_device_out}
mkdir -p "$OUT"
: > "$OUT/steps.txt"
: > "$OUT/figures.txt"
start_all=$(date +%s)

# step NAME SECONDS COMMAND...: runs COMMAND with its output in $OUT/NAME.log, within SECONDS and within what is
# left of the budget; on failure prints the log's tail and stops the script.
step() {
  local name=$1 limit=$2
  shift 2
  local left=$((budget - ($(date +%s) - start_all)))
  ((left < limit)) && limit=$left
  if ((limit <= 0)); then
    echo "device_check: $name: no time left in the ${budget} s budget" | tee -a "$OUT/steps.txt" >&2
    exit 1
  fi
  local t0 rc=0
  t0=$(date +%s)
  timeout "$limit" "$@" > "$OUT/$name.log" 2>&1 || rc=$?
  local took=$(($(date +%s) - t0))
  echo "$name: rc $rc in $took s" | tee -a "$OUT/steps.txt"
  if ((rc != 0)); then
    ((rc == 124)) && echo "device_check: $name ran past its $limit s" >&2
    tail -40 "$OUT/$name.log" >&2
    exit "$rc"
  fi
}

# The lines of a log that carry figures (bench_extract and bench_train print them without indentation).
figures() { grep -v -e '^  ' -e 'INFO' -e 'WARN' "$OUT/$1.log" | sed "s/^/$1: /" >> "$OUT/figures.txt" || true; }

for f in configs/resnet101_vg.yml configs/tiny_test.yml experiments/cfgs/faster_rcnn_end2end_resnet.yml \
         tests/data/caffe/weights.caffemodel benchmarks/eager_reference.py; do
  [[ -f "$f" ]] || { echo "device_check: missing $root/$f" >&2; exit 1; }
done

if ((dry_run)); then
  build=${BUA_BUILD_DIR:-build}
  for t in bench_extract bench_train test_cuda test_caffe_parity generate_tsv; do
    [[ -x "$build/bin/$t" ]] || { echo "device_check --dry-run: $build/bin/$t is not built (scripts/build.sh)" >&2; exit 1; }
  done
  python=$(command -v python3 || true)
  if [[ -n "$python" ]] && "$python" -c 'import torch' 2> /dev/null; then
    echo "python with torch: $python"
  else
    echo "python with torch: none here (on the device: the python3 on PATH must import torch)"
  fi
  step bench 120 "$build/bin/bench_extract" --arch configs/tiny_test.yml --device cpu --dtypes fp32,bf16 --images 2 \
    --width 96 --height 64 --warmup 1 --batch-images 2 --decode-threads 1 --no-eager --work-dir "$OUT/bench_work"
  figures bench
  step train 120 "$build/bin/bench_train" --arch configs/tiny_test.yml --cfg experiments/cfgs/faster_rcnn_end2end_resnet.yml \
    --device cpu --dtype bf16 --iterations 2 --warmup 1 --width 96 --height 64
  figures train
  echo "device_check --dry-run: ok in $(($(date +%s) - start_all)) s; logs and figures in $OUT"
  exit 0
fi

# ---- on the device machine --------------------------------------------------------------------------------
python=$(command -v python3 || true)
[[ -n "$python" ]] && "$python" -c 'import torch' 2> /dev/null ||
  { echo "device_check: the python3 on PATH ($python) cannot import torch" >&2; exit 1; }
nvidia-smi -L | tee "$OUT/gpu.txt"
"$python" -c 'import torch;print("torch", torch.__version__, "cuda", torch.version.cuda)' | tee -a "$OUT/gpu.txt"
prefix=$("$python" -c 'import torch;print(torch.utils.cmake_prefix_path)')
build=${BUA_BUILD_DIR:-build-gpu}

step configure 90 cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix"
grep -q "bua: CUDA kernels ON" "$OUT/configure.log" ||
  { echo "device_check: cmake did not enable the CUDA kernels:" >&2; grep "bua:" "$OUT/configure.log" >&2; exit 1; }
grep "bua:" "$OUT/configure.log" | tee -a "$OUT/gpu.txt"
step build 240 cmake --build "$build" -j 16 --target generate_tsv bench_extract bench_train test_cuda test_caffe_parity

bin=$build/bin
step test_cuda 60 "$bin/test_cuda"
step parity 60 "$bin/test_caffe_parity" --gtest_brief=1
step bench 150 "$bin/bench_extract" --device cuda --dtypes fp32,bf16 --images 200 --batch-images 16 --decode-threads 12 \
  --warmup 16 --python "$python" --work-dir "$OUT/bench_work"
figures bench
rm -rf "$OUT/bench_work"
step train 60 "$bin/bench_train" --device cuda --dtype bf16 --iterations 30 --warmup 5 \
  --arch configs/resnet101_vg.yml --cfg experiments/cfgs/faster_rcnn_end2end_resnet.yml
figures train
echo "device_check: ok in $(($(date +%s) - start_all)) s; figures in $OUT/figures.txt"
cat "$OUT/figures.txt"
