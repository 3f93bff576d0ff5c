"""The dnnf command as a user meets it: exit codes, --json keys, the
determinism of --random-weights, external data written by `dnnf weights`
and read back, and --input handling.  Uses examples/squeezenet1_1.onnx.

    python tests/cli/check_cli.py DNNF
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODEL = os.path.join(ROOT, "examples", "squeezenet1_1.onnx")
results = []


def run(*args):
    return subprocess.run([DNNF] + list(args), capture_output=True, text=True)


def check(name, cond, detail=""):
    results.append(cond)
    print("%s %s%s" % ("ok  " if cond else "FAIL", name, "" if cond else ": " + detail))


def outputs(d):
    return {f: np.load(os.path.join(d, f)) for f in sorted(os.listdir(d))}


def main():
    r = run()
    check("no command: usage, exit 2", r.returncode == 2 and "usage" in r.stderr, r.stderr)
    r = run("frobnicate")
    check("unknown command: exit 2", r.returncode == 2, str(r.returncode))
    r = run("info")
    check("info without model: exit 2", r.returncode == 2, str(r.returncode))
    r = run("run", MODEL)
    check("fused run without weights: exit 1, says --random-weights",
          r.returncode == 1 and "--random-weights" in r.stderr, r.stderr)
    r = run("run", MODEL, "--reference", "--no-fuse")
    check("--reference with --no-fuse: usage error, exit 2", r.returncode == 2, str(r.returncode))
    r = run("info", "/nonexistent/model.onnx")
    check("missing file: exit 1, names it", r.returncode == 1 and "/nonexistent/model.onnx" in r.stderr,
          r.stderr)

    r = run("info", MODEL, "--json")
    ok = r.returncode == 0
    info = json.loads(r.stdout) if ok else {}
    keys = ["model", "nodes", "compute_ops", "unknown_dims", "status", "flops"]
    check("info --json has GUIDE keys", ok and all(k in info for k in keys), r.stdout + r.stderr)
    check("info: squeezenet compute ops as given 65", info.get("compute_ops") == 65,
          str(info.get("compute_ops")))
    check("info: folded counts present", info.get("nodes_folded", 0) > 0, str(info))

    r = run("run", MODEL, "--reference")
    check("run without weights: exit 1, says --random-weights",
          r.returncode == 1 and "--random-weights" in r.stderr, r.stderr)

    with tempfile.TemporaryDirectory() as tmp:
        a, b, c = (os.path.join(tmp, x) for x in "abc")
        r1 = run("run", MODEL, "--reference", "--random-weights", "7", "--output-dir", a)
        r2 = run("run", MODEL, "--reference", "--random-weights", "7", "--output-dir", b)
        r3 = run("run", MODEL, "--reference", "--random-weights", "8", "--output-dir", c)
        ok = r1.returncode == r2.returncode == r3.returncode == 0
        check("random weights: runs", ok, r1.stderr + r3.stderr)
        if ok:
            oa, ob, oc = outputs(a), outputs(b), outputs(c)
            check("same seed, same outputs", all(np.array_equal(oa[k], ob[k]) for k in oa))
            check("other seed, other outputs", any(not np.array_equal(oa[k], oc[k]) for k in oa))
            out = list(oa.values())[0]
            check("classifier outputs finite and not all equal",
                  np.all(np.isfinite(out)) and np.ptp(out) > 0, str(out.ravel()[:5]))
        copy = os.path.join(tmp, "copy.onnx")
        r = run("weights", MODEL, "-o", copy, "--random-weights", "7")
        check("weights: writes a copy and its data file",
              r.returncode == 0 and os.path.exists(os.path.join(tmp, "copy.weights")), r.stderr)
        d = os.path.join(tmp, "d")
        r = run("run", copy, "--reference", "--output-dir", d)
        check("copy runs from its external data", r.returncode == 0, r.stderr)
        if r.returncode == 0 and ok:
            od = outputs(d)
            check("external data round trip gives the same outputs",
                  all(np.array_equal(oa[k], od[k]) for k in oa))
        deep = os.path.join(tmp, "new", "deeper")
        r = run("run", copy, "--reference", "--output-dir", deep)
        check("--output-dir creates missing parent folders",
              r.returncode == 0 and len(os.listdir(deep)) == 1, r.stderr)
        x = os.path.join(tmp, "x.npy")
        np.save(x, np.zeros((1, 3, 224, 224), np.float32))
        r = run("run", copy, "--reference", "--input", "input.1=" + x)
        check("--input by name", r.returncode == 0, r.stderr)
        r = run("run", copy, "--reference", "--input", "nosuch=" + x)
        check("--input with an unknown name: exit 1", r.returncode == 1 and "nosuch" in r.stderr,
              r.stderr)
        np.save(x, np.zeros((1, 3, 10, 10), np.float32))
        r = run("run", copy, "--reference", "--input", "input.1=" + x)
        check("--input with a wrong shape: exit 1, says both shapes",
              r.returncode == 1 and "[1,3,224,224]" in r.stderr and "[1,3,10,10]" in r.stderr,
              r.stderr)

    # dnnf bench on a small graph: the latency line, kernel time per family,
    # at most --top kernels; --json; and dnnf run --tolerance
    graph = os.path.join(ROOT, "tests", "codegen", "se_block.graph")
    r = run("bench", graph, "--runs", "3", "--top", "2")
    lines = [l.strip() for l in r.stdout.splitlines()]
    ntop = sum(l.startswith("top kernel") for l in lines)
    check("bench: median, kernel time per family, at most --top kernels",
          r.returncode == 0 and "median" in r.stdout and 1 <= ntop <= 2 and
          any(l.startswith("kernel time") and "launches" in l for l in lines), r.stdout + r.stderr)
    r = run("bench", graph, "--runs", "3", "--json")
    ok = r.returncode == 0
    js = json.loads(r.stdout) if ok else [{}]
    check("bench --json: latency, kernels, top kernels",
          ok and js[0].get("latency_ms", 0) > 0 and js[0].get("kernels", 0) > 0 and
          0 < len(js[0].get("top_kernels", [])) <= 5, r.stdout + r.stderr)
    # the layout kernels' own time, on the pass's "off" side only: their
    # launches are the blocks made only of data movement
    att = os.path.join(ROOT, "tests", "codegen", "attention_scores.graph")
    r = run("bench", att, "--runs", "3", "--no-fuse", "--no-layout", "--json")
    ok = r.returncode == 0
    js = json.loads(r.stdout) if ok else [{}]
    check("bench --no-layout --json: layout kernel launches and time",
          ok and js[0].get("layout_kernels", 0) > 0 and
          js[0].get("layout_kernel_launches") == js[0].get("layout_kernels") and
          0 < js[0].get("layout_kernel_ms", 0) < js[0].get("kernel_ms", 0), r.stdout + r.stderr)
    r = run("bench", att, "--runs", "3", "--no-fuse", "--no-layout")
    check("bench --no-layout: layout kernels line with the bound",
          r.returncode == 0 and any(l.strip().startswith("layout kernels") and "at most" in l
                                    for l in r.stdout.splitlines()), r.stdout + r.stderr)
    r = run("bench", att, "--runs", "3", "--no-fuse", "--json")
    ok = r.returncode == 0
    js = json.loads(r.stdout) if ok else [{}]
    check("bench, pass on: no layout kernel launches",
          ok and js[0].get("layout_kernels") == 0 and js[0].get("layout_kernel_launches") == 0,
          r.stdout + r.stderr)
    r = run("bench", graph, "--top", "-1")
    check("bench --top -1: usage error, exit 2", r.returncode == 2, str(r.returncode))
    r = run("run", graph, "--random-weights", "--tolerance", "0")
    check("run --tolerance 0: usage error, exit 2", r.returncode == 2, str(r.returncode))
    r = run("run", graph, "--random-weights", "--tolerance", "1e-3")
    check("run --tolerance 1e-3: checks, exit 0", r.returncode == 0 and "tolerance" in r.stdout,
          r.stdout + r.stderr)
    r = run("run", graph, "--random-weights", "--tolerance", "1e-12")
    check("run --tolerance 1e-12: MISMATCH, exit 1",
          r.returncode == 1 and "MISMATCH" in r.stdout, r.stdout + r.stderr)

    failed = results.count(False)
    print("%d passed, %d failed" % (len(results) - failed, failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    DNNF = sys.argv[1]
    main()
