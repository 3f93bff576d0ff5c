#!/usr/bin/env bash
# Installs what dnnf needs on a Debian machine, only what is missing, then
# configures and builds. Idempotent: a second run does almost nothing.
#   scripts/setup.sh            build into ./build
# Environment: DNNF_BUILD (build folder, default build), DNNF_NO_PY=1 skips the
# Python cross-check tools.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${DNNF_BUILD:-build}

# Debian packages: the toolchain and the libraries of GUIDE §9.
PKGS="build-essential cmake pkg-config re2c bison uthash-dev libprotobuf-c-dev
protobuf-c-compiler ocl-icd-opencl-dev opencl-c-headers pocl-opencl-icd clinfo
graphviz python3 python3-venv chromium"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  echo "setup: installing$missing"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# Python tools for the ONNX Runtime cross-check, in a venv of our own so that
# neither the system Python nor pyenv's is modified.
if [ "${DNNF_NO_PY:-0}" != 1 ]; then
  VENV=.venv
  if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
  fi
  if ! "$VENV/bin/python" -c "import onnx, onnxruntime, numpy" 2>/dev/null; then
    echo "setup: installing onnx, onnxruntime, numpy into $VENV"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r scripts/requirements.txt
  fi
fi

cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=${DNNF_BUILD_TYPE:-Release} >/dev/null
cmake --build "$BUILD" -j"$(nproc)"
