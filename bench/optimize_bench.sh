#!/bin/sh
# optimize_bench.sh -- `dnnf optimize` time per shared model, on one core
# (GUIDE 7: printed, never asserted).  Structure only: no weights are
# loaded, so the numbers are the engine's (load + saturate + extract).
#
#   bench/optimize_bench.sh [DNNF] [MODELS_DIR] [RUNS]
#
# Prints one row per model: the median of RUNS runs (default 5) of the
# engine's own optimize_ms, the wall time of the whole command, and what
# the run did (compute ops and GFLOPs before -> after, iterations,
# e-nodes, stop reason).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
dnnf=${1:-$here/build/dnnf}
models=${2:-$here/../shared/models}
runs=${3:-5}
pin=""
command -v taskset >/dev/null 2>&1 && pin="taskset -c 0"
printf '%-20s %10s %10s %14s %16s %6s %8s  %s\n' model optimize_ms wall_ms compute_ops GFLOPs iters e-nodes stop
for m in "$models"/*.onnx; do
    name=$(basename "$m" .onnx)
    rows=""
    for i in $(seq "$runs"); do
        t0=$(date +%s%N)
        line=$(cd "$here" && $pin "$dnnf" optimize "$m" --json)
        t1=$(date +%s%N)
        rows="$rows$(( (t1 - t0) / 1000000 )) $line
"
    done
    printf '%s' "$rows" | python3 -c '
import json, sys
name = sys.argv[1]
rows = []
for l in sys.stdin:
    wall, js = l.split(" ", 1)
    rows.append((json.loads(js)["optimize_ms"], int(wall), json.loads(js)))
rows.sort(key=lambda r: r[0])
ms, wall, r = rows[len(rows) // 2]
print("%-20s %10.1f %10d %6d -> %-5d %7.3f -> %-7.3f %6d %8d  %s" % (name, ms, wall, r["compute_ops"],
      r["compute_ops_after"], r["flops"] / 1e9, r["flops_after"] / 1e9, r["iterations"], r["enodes"], r["stop"]))
' "$name"
done
