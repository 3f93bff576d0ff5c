"""Cross-checks dnnf's reference interpreter against ONNX Runtime.

For each model: `dnnf weights` writes a copy whose external weights are
filled with dnnf's deterministic random values (so both runtimes read the
very same bytes), ONNX Runtime runs it, `dnnf run --reference` runs it,
and every output is compared:

    max |dnnf - ort|  <=  tol * max |ort|        (tol = 1e-4)

Outputs must also be finite and not all equal (a classifier whose logits
are all the same would hide a broken weight filler).

    python tests/ort/crosscheck.py --dnnf build/dnnf MODEL.onnx ... [--markdown FILE]
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnxruntime as ort


def safe(name):
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)


def make_inputs(sess, rng):
    feeds = {}
    for i in sess.get_inputs():
        shape = [d if isinstance(d, int) else 1 for d in i.shape]
        if "int" in i.type:
            feeds[i.name] = rng.integers(0, 1000, size=shape).astype(np.int64)
        else:
            feeds[i.name] = rng.uniform(-1, 1, size=shape).astype(np.float32)
    return feeds


def check(dnnf, model, seed, tol, tmp):
    name = os.path.basename(model)[:-5]
    filled = os.path.join(tmp, name + ".onnx")
    r = subprocess.run([dnnf, "weights", model, "-o", filled, "--random-weights", str(seed)],
                       capture_output=True, text=True)
    if r.returncode:
        return {"model": name, "status": "weights failed: " + r.stderr.strip()}
    so = ort.SessionOptions()
    so.intra_op_num_threads = 2
    sess = ort.InferenceSession(filled, so, providers=["CPUExecutionProvider"])
    feeds = make_inputs(sess, np.random.default_rng(seed))
    t0 = time.perf_counter()
    expect = sess.run(None, feeds)
    ort_ms = (time.perf_counter() - t0) * 1e3
    args = [dnnf, "run", filled, "--reference", "--output-dir", os.path.join(tmp, "out")]
    for k, v in feeds.items():
        f = os.path.join(tmp, "in_" + safe(k) + ".npy")
        np.save(f, v)
        args += ["--input", "%s=%s" % (k, f)]
    t0 = time.perf_counter()
    r = subprocess.run(args, capture_output=True, text=True)
    dnnf_ms = (time.perf_counter() - t0) * 1e3
    res = {"model": name, "ort_ms": round(ort_ms, 1), "dnnf_ms": round(dnnf_ms, 1)}
    m = re.search(r"reference run of .*: (\d+) nodes, ([0-9.]+) ms", r.stdout)
    if m:
        res["run_ms"] = float(m.group(2))
    info = subprocess.run([dnnf, "info", model, "--json"], capture_output=True, text=True)
    if info.returncode == 0:
        j = json.loads(info.stdout)
        res.update(nodes_before=j["nodes"], nodes_after=j["nodes_folded"],
                   compute_before=j["compute_ops"], compute_after=j["compute_ops_folded"])
    if r.returncode:
        res["status"] = "dnnf failed: " + (r.stderr or r.stdout).strip()
        return res
    worst = 0.0
    for o, e in zip(sess.get_outputs(), expect):
        got = np.load(os.path.join(tmp, "out", safe(o.name) + ".npy"))
        if got.shape != e.shape:
            res["status"] = "%s: shape %s, ORT %s" % (o.name, got.shape, e.shape)
            return res
        e64, g64 = e.astype(np.float64), got.astype(np.float64)
        if not np.all(np.isfinite(e64)) or not np.all(np.isfinite(g64)):
            res["status"] = "%s: non-finite outputs" % o.name
            return res
        if e.size > 1 and np.ptp(e64) == 0:
            res["status"] = "%s: all outputs equal (%g): weights not meaningful" % (o.name, e64.flat[0])
            return res
        rel = float(np.max(np.abs(g64 - e64)) / max(np.max(np.abs(e64)), 1e-30))
        worst = max(worst, rel)
    res["rel_err"] = worst
    res["status"] = "ok" if worst <= tol else "error %.3g above %g" % (worst, tol)
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dnnf", required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--tol", type=float, default=1e-4)
    ap.add_argument("--markdown")
    ap.add_argument("--json")
    ap.add_argument("models", nargs="+")
    a = ap.parse_args()
    results = []
    for m in a.models:
        with tempfile.TemporaryDirectory() as tmp:
            try:
                res = check(a.dnnf, m, a.seed, a.tol, tmp)
            except Exception as ex:  # ORT refusing the copy is a failure of the copy
                res = {"model": os.path.basename(m), "status": "error: %s" % ex}
        results.append(res)
        print("%-20s %-8s rel_err %-10s dnnf %8s ms  ort %8s ms" % (
            res["model"], "ok" if res["status"] == "ok" else "FAIL",
            "%.2e" % res["rel_err"] if "rel_err" in res else "-",
            res.get("dnnf_ms", "-"), res.get("ort_ms", "-")), flush=True)
        if res["status"] != "ok":
            print("    " + res["status"], flush=True)
    if a.markdown:
        with open(a.markdown, "w") as f:
            f.write("| model | nodes before -> after folding | compute ops before -> after "
                    "| reference run ms | ORT ms (2 threads) | worst error vs ORT |\n")
            f.write("|---|---|---|---|---|---|\n")
            for r in results:
                f.write("| %s | %s -> %s | %s -> %s | %s | %s | %s |\n" % (
                    r["model"], r.get("nodes_before", "-"), r.get("nodes_after", "-"),
                    r.get("compute_before", "-"), r.get("compute_after", "-"),
                    r.get("run_ms", "-"), r.get("ort_ms", "-"),
                    "%.2e" % r["rel_err"] if "rel_err" in r else r["status"]))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=1)
    failed = sum(r["status"] != "ok" for r in results)
    print("%d passed, %d failed" % (len(results) - failed, failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
