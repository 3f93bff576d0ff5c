#!/bin/sh
# tests/codegen/run_write.sh DNNF FILE.graph MIN_FUSED MIN_UNFUSED -- the
# layout pass's write-through in what runs (runtime/split.c step 4,
# codegen/emit_write.c): fused and unfused, at least MIN_* data-movement
# blocks are folded into the kernels that produce their inputs, no Concat,
# Transpose or Reshape launches, and --check passes, also with the GPU
# template family forced; with --no-layout the same nodes are copy kernels.
set -e
dnnf=$1
g=$2
forbid=Concat,Transpose,Reshape,Flatten,Squeeze,Unsqueeze
expect() { # OUTPUT MIN
    n=$(echo "$1" | sed -n 's/.* \([0-9][0-9]*\) written through .*/\1/p')
    [ -n "$n" ] && [ "$n" -ge "$2" ] || { echo "expected at least $2 blocks written through, got '$n'"; exit 1; }
}
for gpu in cpu gpu; do
    # the GPU family, forced on the default device (its variable set at all
    # forces it)
    if [ $gpu = gpu ]; then export DNNF_FORCE_GPU_TEMPLATES=1; else unset DNNF_FORCE_GPU_TEMPLATES; fi
    fused=$("$dnnf" run "$g" --random-weights 1 --check --forbid $forbid)
    echo "$fused"
    expect "$fused" "$3"
    un=$("$dnnf" run "$g" --random-weights 1 --check --no-fuse --forbid $forbid)
    echo "$un"
    expect "$un" "$4"
done
unset DNNF_FORCE_GPU_TEMPLATES
off=$("$dnnf" run "$g" --random-weights 1 --check --no-fuse --no-layout)
echo "$off"
echo "$off" | grep -Eq "layout pass off: [1-9][0-9]* layout kernels" ||
    { echo "expected copy kernels with the layout pass off"; exit 1; }
