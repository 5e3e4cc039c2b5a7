#!/usr/bin/env bash
# Installs the Debian packages BUA needs to build, test and run (idempotent, non-interactive, as root).
set -euo pipefail
PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config
  libtorch-dev libopencv-dev libpugixml-dev nlohmann-json3-dev libcli11-dev
  libyaml-cpp-dev libprotobuf-dev protobuf-compiler libgtest-dev libgmock-dev libbenchmark-dev
  libopenblas0-pthread libgloo-dev libhdf5-dev
  python3 python3-numpy python3-torch python3-h5py
  pybind11-dev python3-dev  # the Python module `bua` (src/python), built into build/python
  python3-yaml python3-torchvision  # arch YAML and ROI pooling for the eager PyTorch reference of benchmarks/eager_reference.py
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
echo "install_deps: all ${#PACKAGES[@]} packages present"
