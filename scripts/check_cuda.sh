#!/usr/bin/env bash
# The CUDA code compiles, checked where no GPU and no CUDA build of Torch exist (this machine, CI): every .cu
# file of src/ is compiled with nvcc against the Torch headers Debian ships (ATen/cuda, c10/cuda), and every
# C++ file with BUA_WITH_CUDA branches is checked with them switched on (g++ -fsyntax-only). Issue #20.
#   scripts/check_cuda.sh            nvcc from PATH, else /usr/local/cuda/bin/nvcc
#   NVCC=/path/nvcc CUDA_ARCH=sm_80 scripts/check_cuda.sh
# Prints "CUDA compile check: N ok" and exits non-zero on any error; says so and exits 0 where nvcc is absent.
set -euo pipefail
cd "$(dirname "$0")/.."

nvcc="${NVCC:-$(command -v nvcc || true)}"
[[ -z "$nvcc" && -x /usr/local/cuda/bin/nvcc ]] && nvcc=/usr/local/cuda/bin/nvcc
if [[ -z "$nvcc" ]]; then
  echo "CUDA compile check: skipped (no nvcc on PATH or in /usr/local/cuda; the CUDA code was NOT checked)"
  exit 0
fi
# nvcc itself says where its headers are (it may be a wrapper script, as /usr/local/bin/nvcc is on CI): the
# plain g++ checks below need the same cuda.h.
cuda_include="$("$nvcc" --dryrun -x cu -c /dev/null -o /dev/null 2>&1 |
  sed -n 's/^#\$ INCLUDES="-I\([^"]*\)".*/\1/p' | head -1 | sed 's/[[:space:]]*$//')"
[[ -n "$cuda_include" ]] || cuda_include="$(cd "$(dirname "$nvcc")/.." && pwd)/include"
if [[ ! -f "$cuda_include/cuda.h" ]]; then
  echo "CUDA compile check: FAILED: no cuda.h under $cuda_include (where $nvcc says its headers are)" >&2
  exit 1
fi
torch_include="${TORCH_INCLUDE:-/usr/include}"
if [[ ! -f "$torch_include/ATen/cuda/CUDAContext.h" ]]; then
  echo "CUDA compile check: FAILED: no ATen/cuda headers under $torch_include (set TORCH_INCLUDE)" >&2
  exit 1
fi
arch="${CUDA_ARCH:-sm_90}"
# Debian's c10 headers come without the generated c10/cuda/impl/cuda_cmake_macros.h; this define skips it.
defs=(-DBUA_WITH_CUDA -DC10_CUDA_NO_CMAKE_CONFIGURE_FILE)
incs=(-Iinclude -Isrc -I"$torch_include" -I"$torch_include/torch/csrc/api/include" -I"$cuda_include")
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

ok=0 failed=0
check() {  # name, command...
  local name="$1"
  shift
  if "$@" > "$work/log" 2>&1; then
    ok=$((ok + 1))
  else
    failed=$((failed + 1))
    echo "CUDA compile check: $name FAILED:" >&2
    head -40 "$work/log" >&2
  fi
}

mapfile -t cu_files < <(find src -name '*.cu' | sort)
mapfile -t cuda_branches < <(grep -rl --include='*.cpp' 'BUA_WITH_CUDA' src tools benchmarks 2>/dev/null | sort)
for f in "${cu_files[@]}"; do
  check "$f" "$nvcc" -std=c++17 -arch="$arch" --expt-relaxed-constexpr -Xcompiler -fPIC "${defs[@]}" "${incs[@]}" \
    -c "$f" -o "$work/$(basename "$f").o"
done
for f in "${cuda_branches[@]}"; do
  check "$f" "${CXX:-g++}" -std=c++17 -fsyntax-only "${defs[@]}" "${incs[@]}" "$f"
done

if ((failed > 0)); then
  echo "CUDA compile check: $failed failed, $ok ok ($nvcc, $arch)" >&2
  exit 1
fi
if ((ok == 0)); then
  echo "CUDA compile check: FAILED: found no CUDA sources under src/" >&2
  exit 1
fi
echo "CUDA compile check: $ok ok (${#cu_files[@]} .cu with $("$nvcc" --version | sed -n 's/.*release \([0-9.]*\).*/\1/p'), ${#cuda_branches[@]} C++ files with BUA_WITH_CUDA; $arch)"
