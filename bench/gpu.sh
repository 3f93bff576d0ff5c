#!/bin/sh
# bench/gpu.sh DNNF OUTDIR MODEL... -- dnnf on a GPU through its OpenCL
# platform (docs/gpu.md): per model, the checked run and the latency fused
# and unfused, each with the layout pass on and off.
#
#   phase 1, JOBS models at a time:
#     dnnf run MODEL --device $DEVICE --random-weights 1 --check
#         kernels, host blocks, worst error against the reference
#         interpreter (which runs on the CPU: hence the parallel phase);
#     dnnf run MODEL --device $DEVICE --random-weights 1 --no-fuse
#         compiles the unfused kernels into the shared cache;
#   phase 2, one model at a time, alone on the GPU (skip with CHECK_ONLY=1):
#     dnnf bench MODEL --device $DEVICE --json --runs $RUNS [--no-fuse] [--no-layout]
#         median of RUNS runs after 3 warm-ups (GUIDE §7); VARIANTS picks
#         which (default all four: fused, fused --no-layout, --no-fuse
#         --no-layout (every operator a kernel), --no-fuse (the layout pass
#         alone)).
#
# Writes OUTDIR/MODEL.check.txt, OUTDIR/MODEL.nofuse.txt, OUTDIR/bench.jsonl
# and OUTDIR/gpu.md (the table; needs python3).  Environment: DEVICE (gpu),
# JOBS (8), RUNS (20), TIMEOUT (seconds per checked run, 400),
# DNNF_CACHE_DIR (OUTDIR/kc).  When NVIDIA's OpenCL library is installed but
# its ICD is not registered in /etc/OpenCL/vendors (the H100 machine,
# docs/runtime.md), the script lists it beside the registered ones in a
# temporary vendors folder (OCL_ICD_VENDORS).
set -u
dnnf=$1
out=$2
shift 2
DEVICE=${DEVICE:-gpu}
JOBS=${JOBS:-8}
RUNS=${RUNS:-20}
TIMEOUT=${TIMEOUT:-400}
mkdir -p "$out"
export DNNF_CACHE_DIR=${DNNF_CACHE_DIR:-$out/kc}
. "$(dirname "$0")/nvidia_icd.sh"
"$dnnf" devices >"$out/devices.txt" 2>&1
cat "$out/devices.txt"

check_one() {
    m=$1
    n=$(basename "$m")
    n=${n%.*}
    t0=$(date +%s)
    timeout "$TIMEOUT" "$dnnf" run "$m" --device "$DEVICE" --random-weights 1 --check \
        >"$out/$n.check.txt" 2>&1
    echo "exit $? after $(($(date +%s) - t0)) s" >>"$out/$n.check.txt"
    timeout "$TIMEOUT" "$dnnf" run "$m" --device "$DEVICE" --random-weights 1 --no-fuse \
        >"$out/$n.nofuse.txt" 2>&1
    echo "exit $?" >>"$out/$n.nofuse.txt"
    echo "checked $n: $(grep -c ': ok' "$out/$n.check.txt") outputs ok, $(tail -1 "$out/$n.check.txt")"
}

i=0
for m in "$@"; do
    check_one "$m" &
    i=$((i + 1))
    [ $((i % JOBS)) -eq 0 ] && wait
done
wait

if [ "${CHECK_ONLY:-0}" != 1 ]; then
    : >"$out/bench.jsonl"
    for m in "$@"; do
        for f in ${VARIANTS:-fused --no-layout --no-fuse,--no-layout --no-fuse}; do
            [ "$f" = fused ] && f=""
            f=$(echo "$f" | tr ',' ' ')
            timeout "$TIMEOUT" "$dnnf" bench "$m" --device "$DEVICE" --json --runs "$RUNS" $f \
                >"$out/bench.tmp" 2>"$out/bench.err"
            if [ -s "$out/bench.tmp" ]; then
                tr -d '\n' <"$out/bench.tmp" | sed 's/^\[//; s/\]$//' >>"$out/bench.jsonl"
                echo >>"$out/bench.jsonl"
            else
                echo "{\"model\": \"$m\", \"fused\": $(echo "$f" | grep -q no-fuse && echo false || echo true), \"layout\": $(echo "$f" | grep -q no-layout && echo false || echo true), \"status\": \"error\"}" >>"$out/bench.jsonl"
            fi
            echo "bench $(basename "$m") ${f:-fused}: $(grep -o '"latency_ms": [0-9.]*' "$out/bench.tmp")"
        done
    done
    rm -f "$out/bench.tmp"
fi

command -v python3 >/dev/null || exit 0
python3 - "$out" "$@" <<'EOF'
import json, os, re, sys, datetime
out, models = sys.argv[1], sys.argv[2:]
bench = {}
p = os.path.join(out, "bench.jsonl")
if os.path.exists(p):
    for line in open(p):
        line = line.strip()
        if not line:
            continue
        try:
            r = json.loads(line)
        except Exception:
            continue
        bench[(os.path.basename(r["model"]).rsplit(".", 1)[0], r.get("fused", True),
               r.get("layout", True))] = r
dev = open(os.path.join(out, "devices.txt")).read()
rows = ["| model | fused ms | fused, layout off ms | unfused, layout off ms | unfused, layout on ms "
        "| layout alone (unfused off/on) | copies ms (bound) | kernels | host blocks "
        "| worst error / max | check |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
for m in models:
    n = os.path.basename(m).rsplit(".", 1)[0]
    txt = open(os.path.join(out, n + ".check.txt"), errors="replace").read()
    k = re.search(r"(\d+) blocks: (\d+) kernels \((\d+) distinct\), (\d+) host blocks", txt)
    ratios = [float(x) for x in re.findall(r"worst error \S+ \((\S+) of max\)", txt)]
    ok = "ok" if re.search(r"exit 0 after", txt) else ("timeout" if "exit 124" in txt else "FAIL")
    def get(f, l):
        r = bench.get((n, f, l))
        return r["latency_ms"] if r and r.get("status") == "ok" else None
    def ms(f, l):
        v = get(f, l)
        return "%.2f" % v if v else (bench.get((n, f, l)) or {}).get("status", "-")
    off, on = get(False, False), get(False, True)
    # the unfused baseline's layout (copy) kernels and the bound they put on
    # the pass alone (dnnf bench: their share of the summed kernel time)
    u = bench.get((n, False, False)) or {}
    c, t = u.get("layout_kernel_ms"), u.get("kernel_ms")
    copies = "%.2f (%.2fx)" % (c, t / (t - c)) if c is not None and t and t > c else "-"
    rows.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
        n, ms(True, True), ms(True, False), ms(False, False), ms(False, True),
        "%.2fx" % (off / on) if off and on else "-", copies, k.group(2) if k else "-",
        k.group(4) if k else "-", "%.1e" % max(ratios) if ratios else "-", ok))
when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
text = "Measured %s; devices:\n\n```\n%s```\n\n%s\n" % (when, dev, "\n".join(rows))
open(os.path.join(out, "gpu.md"), "w").write(text)
print(text)
EOF
