#!/bin/sh
# tests/codegen/run_gpu.sh DNNF MODEL [OUTDIR [PATTERN]] -- the GPU template family
# (docs/gpu.md) on the default OpenCL device (PoCL in CI):
# DNNF_FORCE_GPU_TEMPLATES=1 makes the executor emit the GPU forms
# (local-memory matmul tiles, conv-gemm on the same tiles, one work-group
# per reduction row) whatever the device class.  The fused run must match
# the reference interpreter (--check), and with OUTDIR, `dnnf codegen`
# must write every matmul and conv-gemm kernel in the GPU shape, and at
# least one kernel (those or a reduction) in a GPU form; with PATTERN, at
# least one of its matmul kernels must contain that text.
set -e
export DNNF_FORCE_GPU_TEMPLATES=1
out=$("$1" run "$2" --random-weights 1 --check 2>&1) || { echo "$out"; exit 1; }
echo "$out" | grep -v '^  [^ ]* *[a-z0-9]*\['
echo "$out" | grep -q "MISMATCH" && exit 1
if [ -n "$3" ]; then
    rm -rf "$3"
    "$1" codegen "$2" --random-weights 1 -o "$3" >/dev/null
    n=0
    for f in "$3"/*_mm_*.cl "$3"/*_convmm_*.cl; do
        [ -e "$f" ] || continue
        grep -q "GPU shape" "$f" || { echo "not the GPU template: $f"; exit 1; }
        n=$((n + 1))
    done
    r=$(grep -l "one work-group of" "$3"/*_red_*.cl 2>/dev/null | wc -l)
    echo "$n matmul / conv-gemm kernels in the GPU shape, $r group reductions"
    [ $((n + r)) -gt 0 ] || { echo "no kernel in the GPU shape"; exit 1; }
    if [ -n "$4" ]; then
        grep -qF "$4" "$3"/*_mm_*.cl || { echo "no matmul kernel contains: $4"; exit 1; }
    fi
fi
