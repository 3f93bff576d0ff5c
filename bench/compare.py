#!/usr/bin/env python3
"""bench/compare.py -- dnnf fused, dnnf unfused and ONNX Runtime (CPU), side
by side in one run on this machine, with the same weights and thread count.

    bench/compare.py [--dnnf BUILD/dnnf] [--threads 2] [--runs 20] [--timeout S]
                     [--no-layout-column] [--out docs/benchmarks.md] MODEL.onnx...

For each model: `dnnf weights MODEL -o TMP.onnx --random-weights 1` writes
the copy with the weights dnnf runs with; ONNX Runtime loads that copy
(intra-op threads = --threads, one inter-op thread) and is timed as dnnf
bench times itself: median of --runs runs after 3 warm-ups.  `dnnf bench
--json` gives the dnnf figures: fused; fused with the layout pass off
(`--no-layout`); unfused with the pass off (`--no-fuse --no-layout`: every
operator a kernel, the baseline); unfused with the pass on (`--no-fuse`:
the layout pass alone, SmartMem's own comparison), and the baseline's copy
kernels with the bound they put on the pass alone.  A dnnf
run that exceeds --timeout seconds is reported as "timeout".  The table is
written between markers into --out with the date and the machine, so the
file keeps its other text.  Needs numpy and onnxruntime (the project's
.venv); a model ORT cannot load gets "-" and the reason."""
import argparse, datetime, json, os, platform, statistics, subprocess, sys, tempfile, time


def dnnf_bench(dnnf, model, extra, runs, env, timeout):
    try:
        p = subprocess.run([dnnf, "bench", model, "--json", "--runs", str(runs)] + extra,
                           capture_output=True, text=True, env=env, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"status": "timeout", "error": "over %d s" % timeout}
    try:
        return json.loads(p.stdout)[0]
    except Exception:
        return {"status": "error", "error": p.stderr.strip()[-200:]}


def ort_bench(path, threads, runs):
    import numpy as np
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    s = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(1)
    feeds = {}
    for i in s.get_inputs():
        shape = [d if isinstance(d, int) else 1 for d in i.shape]
        if "int" in i.type:
            dt = np.int64 if "int64" in i.type else np.int32
            feeds[i.name] = rng.integers(0, 1000, size=shape).astype(dt)
        else:
            feeds[i.name] = rng.uniform(-1, 1, size=shape).astype(np.float32)
    for _ in range(3):
        s.run(None, feeds)
    t = []
    for _ in range(runs):
        t0 = time.perf_counter()
        s.run(None, feeds)
        t.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(t)


def ms(r):
    return "%.2f" % r["latency_ms"] if r.get("status") == "ok" else r.get("status", "error")


def ratio(num, den):
    """num's latency over den's, as a speed-up of den ('-' unless both ran)."""
    if num.get("status") != "ok" or den.get("status") != "ok":
        return "-"
    return "%.2fx" % (num["latency_ms"] / den["latency_ms"])


def copies(un):
    """The unfused baseline's layout (copy) kernels: their event time, and
    the most removing them could give (dnnf bench's bound on the layout pass
    alone: kernel time / (kernel time - copies), both from the profiled
    runs)."""
    if un.get("status") != "ok" or "layout_kernel_ms" not in un or "kernel_ms" not in un:
        return "-"
    c, t = un["layout_kernel_ms"], un["kernel_ms"]
    return "%.2f (%.2fx)" % (c, t / (t - c)) if t > c else "%.2f" % c


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dnnf", default=os.path.join(os.path.dirname(__file__), "..", "build", "dnnf"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--timeout", type=int, default=900)
    ap.add_argument("--no-layout-column", action="store_true",
                    help="skip the runs with the layout pass toggled (fused --no-layout, unfused with the pass on)")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "docs", "benchmarks.md"))
    ap.add_argument("models", nargs="+")
    a = ap.parse_args()
    env = dict(os.environ)
    # PoCL's thread count, so that every system uses the same cores
    env.setdefault("POCL_MAX_PTHREAD_COUNT", str(a.threads))
    rows = []
    tmp = tempfile.mkdtemp(prefix="dnnf-bench-")
    for m in a.models:
        name = os.path.splitext(os.path.basename(m))[0]
        fused = dnnf_bench(a.dnnf, m, [], a.runs, env, a.timeout)
        nolay = ({"status": "skipped"} if a.no_layout_column else
                 dnnf_bench(a.dnnf, m, ["--no-layout"], a.runs, env, a.timeout))
        unfused = dnnf_bench(a.dnnf, m, ["--no-fuse", "--no-layout"], a.runs, env, a.timeout)
        unlay = ({"status": "skipped"} if a.no_layout_column else
                 dnnf_bench(a.dnnf, m, ["--no-fuse"], a.runs, env, a.timeout))
        copy = os.path.join(tmp, name + ".onnx")
        ort_ms, why = None, ""
        w = subprocess.run([a.dnnf, "weights", m, "-o", copy, "--random-weights", "1"],
                           capture_output=True, text=True)
        if w.returncode == 0:
            try:
                ort_ms = ort_bench(copy, a.threads, a.runs)
            except Exception as e:  # reported in the table, not hidden
                why = str(e).splitlines()[0][:80]
        else:
            why = w.stderr.strip()[-80:]
        rows.append((name, fused, nolay, unfused, unlay, ort_ms, why))
        print("%-20s fused %8s ms  layout off %8s ms  unfused %8s ms  unfused+layout %8s ms  ORT %8s ms  "
              "kernels %s host %s" % (
            name, ms(fused), ms(nolay), ms(unfused), ms(unlay),
            "%.2f" % ort_ms if ort_ms else "-", fused.get("kernels", "-"), fused.get("host_blocks", "-")),
            flush=True)
    lines = ["<!-- bench/compare.py: begin -->",
             "Measured %s on %s (%s), %d threads for every system, median of %d runs after 3 warm-ups; "
             "random weights (seed 1), the same for dnnf and ONNX Runtime." % (
                 datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M UTC"), platform.node(),
                 platform.processor() or platform.machine(), a.threads, a.runs),
             "",
             "| model | dnnf fused ms | layout off ms | layout on/off | dnnf unfused ms "
             "| unfused + layout ms | layout alone | copies ms (bound) | unfused / fused "
             "| ORT ms | fused / ORT | kernels | host blocks | peak MB |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name, fu, nl, un, ul, o, why in rows:
        ok = fu.get("status") == "ok"
        lines.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            name, ms(fu), ms(nl), ratio(nl, fu), ms(un), ms(ul), ratio(un, ul), copies(un),
            ratio(un, fu),
            "%.2f" % o if o else "- " + why,
            "%.2fx" % (fu["latency_ms"] / o) if ok and o else "-",
            fu.get("kernels", "-"), fu.get("host_blocks", "-"),
            "%.1f" % (fu["peak_bytes"] / 1e6) if ok else "-"))
    lines.append("<!-- bench/compare.py: end -->")
    table = "\n".join(lines) + "\n"
    text = open(a.out).read() if os.path.exists(a.out) else "# Benchmarks\n\n"
    b, e = "<!-- bench/compare.py: begin -->", "<!-- bench/compare.py: end -->\n"
    if b in text and e in text:
        text = text[:text.index(b)] + table + text[text.index(e) + len(e):]
    else:
        text += "\n" + table
    open(a.out, "w").write(text)
    print("written to", a.out)


if __name__ == "__main__":
    sys.exit(main())
