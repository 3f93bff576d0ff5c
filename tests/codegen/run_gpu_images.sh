#!/bin/sh
# tests/codegen/run_gpu_images.sh DNNF MODEL OUTDIR -- the GPU templates
# with 2.5-D memory (DNNF_IMAGES=1; docs/layout.md §4, docs/gpu.md):
# run_gpu.sh's checks (the fused run matches the reference; the kernels
# are in the GPU shape), and
# - at least one matmul or conv-gemm kernel declares its packed weights as
#   an image2d_t;
# - at least one product reads its A operand, an activation, through an
#   image2d_t (AIW=4096 in the source `dnnf codegen` writes for an H100),
#   and the run did so.  PoCL cannot make an image over a buffer, so the
#   run uses DNNF_IMAGE_COPY=1: the same kernels, each image a copy of the
#   buffer -- the texel addressing is what --check tests here; the H100
#   runs them over the buffer (docs/layout.md, "2.5-D memory").
set -e
export DNNF_IMAGES=1 DNNF_IMAGE_COPY=1
out=$(sh "$(dirname "$0")/run_gpu.sh" "$1" "$2" "$3") || { echo "$out"; exit 1; }
echo "$out"
n=$(grep -l "__read_only image2d_t" "$3"/*_mm_*.cl "$3"/*_convmm_*.cl 2>/dev/null | wc -l)
a=$(grep -l "AIW=4096" "$3"/*_mm_*.cl 2>/dev/null | wc -l)
echo "$n kernels read an image2d_t, $a of them their A operand"
[ "$n" -gt 0 ] || { echo "no kernel took the image2d_t path"; exit 1; }
[ "$a" -gt 0 ] || { echo "no product reads its A operand through an image2d_t"; exit 1; }
echo "$out" | grep -q " [1-9][0-9]* read an activation through an image" ||
    { echo "the run read no activation through an image"; exit 1; }
