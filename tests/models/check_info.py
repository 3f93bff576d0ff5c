"""`dnnf info --json` on a real model: after shape and constant inference
every tensor has static dims, no Identity is left, and no shape
computation survives (Shape, Range, ScatterND, ConstantOfShape: the swin_t
subgraphs that only folding removes).

    python tests/models/check_info.py DNNF MODEL.onnx
"""
import json
import subprocess
import sys

SHAPE_OPS = ["Shape", "Range", "ScatterND", "ConstantOfShape", "Identity", "Constant", "Size"]


def main():
    dnnf, model = sys.argv[1], sys.argv[2]
    r = subprocess.run([dnnf, "info", model, "--json"], capture_output=True, text=True)
    fails = []
    if r.returncode != 0:
        fails.append("exit %d: %s" % (r.returncode, r.stderr.strip()))
    else:
        info = json.loads(r.stdout)
        if info["unknown_dims"] != 0:
            fails.append("%d tensors with unknown dims" % info["unknown_dims"])
        left = {op: n for op, n in info["ops_folded"].items() if op in SHAPE_OPS}
        if left:
            fails.append("shape computation left after folding: %s" % left)
        for v in info["inputs"] + info["outputs"]:
            if any(d < 0 for d in v["shape"]):
                fails.append("%s has unknown dims" % v["name"])
        print("%s: nodes %d -> %d, compute ops %d -> %d, folded %d" % (
            model, info["nodes"], info["nodes_folded"], info["compute_ops"],
            info["compute_ops_folded"], info["folded"]))
    for f in fails:
        print("FAIL " + f)
    print("%d passed, %d failed" % (0 if fails else 1, 1 if fails else 0))
    sys.exit(1 if fails else 0)


if __name__ == "__main__":
    main()
