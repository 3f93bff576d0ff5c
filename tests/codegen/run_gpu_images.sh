#!/bin/sh
# tests/codegen/run_gpu_images.sh DNNF MODEL OUTDIR -- the GPU templates
# with constant weights in an image2d_t (DNNF_IMAGES=1, docs/gpu.md,
# "Weights in image2d_t"): run_gpu.sh's checks (the fused run matches the
# reference; the kernels are in the GPU shape), and at least one matmul or
# conv-gemm kernel must declare its packed weights as an image2d_t.
set -e
export DNNF_IMAGES=1
sh "$(dirname "$0")/run_gpu.sh" "$1" "$2" "$3"
n=$(grep -l "__read_only image2d_t" "$3"/*_mm_*.cl "$3"/*_convmm_*.cl 2>/dev/null | wc -l)
echo "$n kernels read their weights from an image2d_t"
[ "$n" -gt 0 ] || { echo "no kernel took the image2d_t path"; exit 1; }
