#!/usr/bin/env bash
# Installs the Debian packages (if missing) and builds everything into build/ (Release, ccache when present).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_deps.sh
jobs=${BUA_JOBS:-$(nproc)}
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release "$@"
cmake --build build -j "$jobs"
