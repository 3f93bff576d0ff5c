#!/usr/bin/env python3
"""`dnnf optimize -o OUT.onnx`: the written model passes onnx.checker, ONNX
Runtime runs it (when it holds standard operators only), and dnnf's own
reference run of it matches the reference run of the original model with
the same random weights and inputs (1e-4 x max |output|).

usage: check_export.py DNNF MODEL.onnx
"""
import glob
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {p.returncode}:\n{p.stdout}{p.stderr}")
    return p.stdout


def main():
    dnnf, model = sys.argv[1], sys.argv[2]
    name = os.path.splitext(os.path.basename(model))[0]
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, name + ".opt.onnx")
        run([dnnf, "optimize", model, "--random-weights", "-o", out])
        m = onnx.load(out)
        onnx.checker.check_model(m)
        domains = {n.domain for n in m.graph.node}
        a, b = os.path.join(tmp, "a"), os.path.join(tmp, "b")
        # the same inputs for both runs (dnnf's own depend on value ids)
        feeds = []
        rng = np.random.default_rng(1)
        for k, vi in enumerate(m.graph.input):
            tt = vi.type.tensor_type
            shape = [d.dim_value for d in tt.shape.dim]
            if tt.elem_type == onnx.TensorProto.INT64:
                x = rng.integers(0, 1000, size=shape, dtype=np.int64)
            else:
                x = rng.uniform(-1, 1, size=shape).astype(np.float32)
            f = os.path.join(tmp, f"in{k}.npy")
            np.save(f, x)
            feeds += ["--input", f"{vi.name}={f}"]
        run([dnnf, "run", model, "--reference", "--random-weights", "--output-dir", a, *feeds])
        if domains <= {""}:
            run([dnnf, "run", out, "--reference", "--output-dir", b, *feeds])
            import onnxruntime as ort
            ort.InferenceSession(out, providers=["CPUExecutionProvider"])
        else:
            print(f"{name}: composites in domains {sorted(domains - {''})}: reference run of the export skipped")
            print(f"ok {name}: onnx.checker accepts the export")
            return 0
        worst, scale = 0.0, 0.0
        for f in sorted(glob.glob(os.path.join(a, "*.npy"))):
            x = np.load(f).astype(np.float64)
            y = np.load(os.path.join(b, os.path.basename(f))).astype(np.float64)
            if x.shape != y.shape:
                print(f"FAIL {name}: {os.path.basename(f)} shape {x.shape} vs {y.shape}")
                return 1
            worst = max(worst, float(np.max(np.abs(x - y))) if x.size else 0.0)
            scale = max(scale, float(np.max(np.abs(x))) if x.size else 0.0)
        tol = 1e-4 * (scale or 1.0)
        if not worst <= tol:
            print(f"FAIL {name}: max abs error {worst:.3g} > {tol:.3g}")
            return 1
        print(f"ok {name}: {len(m.graph.node)} nodes exported, onnx.checker and ONNX Runtime accept it, "
              f"max abs error {worst:.3g} (tolerance {tol:.3g})")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # a failed step is a failed test, with its message
        print(f"FAIL: {e}")
        sys.exit(1)
