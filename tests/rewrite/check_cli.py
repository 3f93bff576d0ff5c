#!/usr/bin/env python3
"""`dnnf optimize` and `dnnf trace` as a user meets them: bad input gives a
clear message and the exit status of GUIDE 6 (1 user error, 2 usage),
never a crash.

usage: check_cli.py DNNF
"""
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GRAPH = """graph t opset 17 {
  input x: f32[2,3];
  a: f32[*] = Transpose(x) [perm=[1, 0]];
  b: f32[*] = Transpose(a) [perm=[1, 0]];
  y: f32[*] = Relu(b);
  output y;
}
"""


def main():
    dnnf = sys.argv[1]
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        def w(name, text):
            p = os.path.join(tmp, name)
            open(p, "w").write(text)
            return p

        g = w("t.graph", GRAPH)
        bad_rules = w("bad.rules", f'include "{ROOT}/rules/ops.rules";\nrule broken: Transpose(x)[perm=p] => Nope(x);\n')
        unsound = w("unsound.rules", f'include "{ROOT}/rules/ops.rules";\n\nrule squash: Transpose(x)[perm=p] => x;\n')
        empty = w("empty.graph", "graph e opset 17 {\n}\n")
        garbage = w("garbage.jsonl", "this is not json\n")
        trace = os.path.join(tmp, "t.jsonl")
        cases = [
            # (arguments, exit status, text expected in the output)
            (["optimize", g, "-o", os.path.join(tmp, "o.graph"), "--trace", trace], 0, "rules fired"),
            (["trace", trace], 0, "stopped: saturated"),
            (["trace", trace, "--rule", "transpose_cancel"], 0, "became"),
            (["trace", trace, "--node", "nothing_like_this"], 0, "no record matches"),
            (["optimize", g, "-r", bad_rules], 1, "bad.rules:2"),
            (["optimize", g, "-r", unsound], 1, "unsound.rules:3: rule 'squash' is unsound"),
            (["optimize", g, "--max-iters", "0"], 2, "--max-iters must be at least 1"),
            (["optimize", g, "--max-nodes", "0"], 2, "--max-nodes must be at least 1"),
            (["optimize", g, "--max-ms", "0"], 2, "--max-ms must be positive"),
            (["optimize", g, "--max-iters", "x"], 2, "needs a number"),
            (["optimize", empty], 1, "no outputs"),
            (["optimize", os.path.join(tmp, "missing.onnx")], 1, "missing.onnx"),
            (["optimize", g, "-o", os.path.join(tmp, "o.txt")], 2, ".graph or .onnx"),
            (["optimize"], 2, "no model"),
            (["optimize", g, "--bogus"], 2, "unknown option"),
            (["trace"], 2, "no trace file"),
            (["trace", garbage], 1, "not a trace record"),
            (["trace", os.path.join(tmp, "none.jsonl")], 1, "cannot open"),
        ]
        for args, status, text in cases:
            p = subprocess.run([dnnf, *args], capture_output=True, text=True, cwd=ROOT)
            out = p.stdout + p.stderr
            ok = p.returncode == status and text in out
            if not ok:
                failed += 1
                print(f"FAIL dnnf {' '.join(args)}: exit {p.returncode} (want {status}), "
                      f"wanted {text!r} in:\n{out}")
            else:
                print(f"ok   dnnf {' '.join(os.path.basename(a) for a in args)}")
    print(f"{len(cases) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
