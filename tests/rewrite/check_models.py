#!/usr/bin/env python3
"""One shared model through `dnnf optimize` (issue 4's acceptance check).

Optimizes MODEL with the standard rules within the default bounds, with
deterministic random weights, runs the reference interpreter on the model
before and after (dnnf optimize --check: max abs error <= 1e-4 x max
|output|), and checks that the trace names every rule that fired.  Prints
one line of numbers: compute ops and FLOPs before/after, iterations,
e-nodes, stop reason, optimize time, and the rules that fired.

usage: check_models.py DNNF MODEL.onnx
"""
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    dnnf, model = sys.argv[1], sys.argv[2]
    name = os.path.splitext(os.path.basename(model))[0]
    with tempfile.TemporaryDirectory() as tmp:
        trace = os.path.join(tmp, name + ".jsonl")
        out = os.path.join(tmp, name + ".graph")
        p = subprocess.run([dnnf, "optimize", model, "--random-weights", "--check", "--json",
                            "--trace", trace, "-o", out], capture_output=True, text=True, cwd=ROOT)
        sys.stdout.write(p.stdout)
        sys.stderr.write(p.stderr)
        if p.returncode != 0:
            print(f"FAIL {name}: dnnf optimize exited {p.returncode}")
            return 1
        lines = p.stdout.splitlines()
        res = json.loads(lines[0])
        if not any(l.startswith("check:") and l.endswith(": ok") for l in lines):
            print(f"FAIL {name}: the optimized graph does not match the original")
            return 1
        if res["stop"] not in ("saturated", "iteration limit", "node limit", "time limit"):
            print(f"FAIL {name}: unknown stop reason {res['stop']}")
            return 1
        fired = {}
        for l in open(trace):
            r = json.loads(l)
            if r["type"] == "rewrite":
                fired[r["rule"]] = fired.get(r["rule"], 0) + 1
        claimed = {}
        for item in filter(None, res["rules_fired"].split(", ")):
            rule, _, n = item.rpartition(" x")
            claimed[rule] = int(n)
        if claimed != fired:
            print(f"FAIL {name}: the trace names {fired}, the run reports {claimed}")
            return 1
        print(f"ok {name}: compute ops {res['compute_ops']} -> {res['compute_ops_after']}, "
              f"GFLOPs {res['flops'] / 1e9:.4g} -> {res['flops_after'] / 1e9:.4g}, "
              f"{res['iterations']} iterations, {res['enodes']} e-nodes, stop: {res['stop']}, "
              f"optimize {res['optimize_ms']:.0f} ms; rules fired: {res['rules_fired'] or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
