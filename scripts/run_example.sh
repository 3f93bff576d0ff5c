#!/usr/bin/env bash
# The main job on a model that ships with dnnf: set up (install what is
# missing, build), describe the model, then optimize it (rules, fusion,
# layout), generate its OpenCL kernels and run them on the default device
# (PoCL) with deterministic random weights, checked against the reference
# interpreter, and write its outputs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
MODEL=${1:-examples/squeezenet1_1.onnx}
./build/dnnf info "$MODEL"
./build/dnnf run "$MODEL" --check --random-weights 0 --output-dir out/"$(basename "$MODEL" .onnx)"
echo "outputs written to out/$(basename "$MODEL" .onnx)/"
