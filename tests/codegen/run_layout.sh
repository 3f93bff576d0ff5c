#!/bin/sh
# tests/codegen/run_layout.sh DNNF FILE.graph -- the layout pass in what
# runs (runtime/split.c): a block that no template covers because of its
# shape is split at its anchor, and the data movement left between two
# blocks is read through by its readers -- no kernel made only of
# Transpose/Reshape -- with --check passing; with --no-layout the same
# movement runs as a copy kernel and --check passes too.
set -e
dnnf=$1
g=$2
on=$("$dnnf" run "$g" --random-weights 1 --check --forbid Transpose,Reshape,Flatten,Squeeze,Unsqueeze)
echo "$on"
echo "$on" | grep -Eq "layout pass on: 0 layout kernels, [1-9][0-9]* data-movement blocks read through, [0-9]+ written through \(layout plan: [1-9][0-9]* -> 0\); [1-9][0-9]* blocks split at their anchor" ||
    { echo "expected an anchor split, the data movement read through, and the layout plan to agree"; exit 1; }
off=$("$dnnf" run "$g" --random-weights 1 --check --no-layout)
echo "$off"
echo "$off" | grep -Eq "layout pass off: [1-9][0-9]* layout kernels" ||
    { echo "expected a copy kernel with the layout pass off"; exit 1; }
if "$dnnf" run "$g" --random-weights 1 --no-layout --forbid Transpose,Reshape >/dev/null 2>&1; then
    echo "--forbid did not fail on a copy kernel"
    exit 1
fi
# unfused (one block per node of the graph as given): the layout pass alone
# reads every Transpose/Reshape through, --check passes; with --no-layout
# too, they are copy kernels (the baseline where every operator launches)
un=$("$dnnf" run "$g" --random-weights 1 --check --no-fuse --forbid Transpose,Reshape,Flatten,Squeeze,Unsqueeze)
echo "$un"
echo "$un" | grep -Eq "^unfused run" && echo "$un" | grep -Eq "layout pass on: 0 layout kernels, [1-9][0-9]* data-movement blocks read through" ||
    { echo "expected the unfused run to read its data movement through"; exit 1; }
un0=$("$dnnf" run "$g" --random-weights 1 --check --no-fuse --no-layout)
echo "$un0"
echo "$un0" | grep -Eq "layout pass off: [1-9][0-9]* layout kernels" ||
    { echo "expected copy kernels unfused with the layout pass off"; exit 1; }
