"""Runs operator cases (tests/ops/cases_*.py) through ONNX Runtime and
`dnnf run --reference`, and compares every output.

    python tests/ops/check_ops.py DNNF [CASES.py ...] [-k SUBSTRING]

Exit 0 when every case matches; the last line is 'N passed, N failed'.
"""
import argparse
import glob
import importlib.util
import os
import re
import subprocess
import sys
import tempfile
import zlib

import numpy as np
import onnx
import onnxruntime as ort
from onnx import helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from opcase import DTYPES  # noqa: E402

ONNX_DT = {"f32": onnx.TensorProto.FLOAT, "f64": onnx.TensorProto.DOUBLE,
           "i64": onnx.TensorProto.INT64, "i32": onnx.TensorProto.INT32,
           "bool": onnx.TensorProto.BOOL, "u8": onnx.TensorProto.UINT8,
           "i8": onnx.TensorProto.INT8}


def out_file(name):
    """The file name dnnf gives an output: unsafe characters become '_'."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", name) + ".npy"


def build(c, rng):
    names, inits, ginputs, feeds = [], [], [], {}
    for i in c.inputs:
        if i is None:
            names.append("")
            continue
        names.append(i.name)
        arr = np.asarray(i.make(rng), dtype=DTYPES[i.dtype])
        if i.is_const:
            inits.append(numpy_helper.from_array(arr, i.name))
        else:
            ginputs.append(helper.make_tensor_value_info(i.name, ONNX_DT[i.dtype], list(arr.shape)))
            feeds[i.name] = arr
    outs = ["out%d" % k for k in range(c.outputs)]
    node = helper.make_node(c.op, names, outs, name="node0", **c.attrs)
    graph = helper.make_graph([node], c.name, ginputs,
                              [helper.make_value_info(o, onnx.TypeProto()) for o in outs], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", c.opset)])
    model.ir_version = 8
    return model, feeds, outs


def run_case(dnnf, c, tmp):
    rng = np.random.default_rng(zlib.crc32(c.name.encode()))
    model, feeds, outs = build(c, rng)
    path = os.path.join(tmp, "case.onnx")
    onnx.save(model, path)
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    expect = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"]).run(outs, feeds)
    args = [dnnf, "run", path, "--reference", "--output-dir", os.path.join(tmp, "out")]
    for k, v in feeds.items():
        f = os.path.join(tmp, "in_" + out_file(k))
        np.save(f, v)
        args += ["--input", "%s=%s" % (k, f)]
    r = subprocess.run(args, capture_output=True, text=True)
    if r.returncode != 0:
        return "dnnf failed (%d): %s" % (r.returncode, (r.stderr or r.stdout).strip())
    for o, e in zip(outs, expect):
        got = np.load(os.path.join(tmp, "out", out_file(o)))
        if got.shape != e.shape:
            return "%s: shape %s, expected %s" % (o, got.shape, e.shape)
        if got.dtype != e.dtype:
            return "%s: dtype %s, expected %s" % (o, got.dtype, e.dtype)
        if np.issubdtype(e.dtype, np.floating):
            if not np.array_equal(np.isnan(got), np.isnan(e)):
                return "%s: NaN positions differ" % o
            inf = np.isinf(e)
            if not np.array_equal(got[inf], e[inf]):
                return "%s: infinities differ" % o
            m = np.isfinite(e)
            err = float(np.max(np.abs(got[m] - e[m]), initial=0.0))
            scale = max(1.0, float(np.max(np.abs(e[m]), initial=0.0)))
            if err > c.tol * scale:
                return "%s: max abs error %.3g > %.1g x %.3g" % (o, err, c.tol, scale)
        elif not np.array_equal(got, e):
            return "%s: values differ" % o
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dnnf")
    ap.add_argument("files", nargs="*")
    ap.add_argument("-k", default="")
    a = ap.parse_args()
    files = a.files or sorted(glob.glob(os.path.join(HERE, "cases_*.py")))
    passed = failed = 0
    for f in files:
        spec = importlib.util.spec_from_file_location(os.path.basename(f)[:-3], f)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        seen = set()
        for c in mod.CASES:
            if a.k and a.k not in c.name:
                continue
            assert c.name not in seen, "duplicate case name %s in %s" % (c.name, f)
            seen.add(c.name)
            with tempfile.TemporaryDirectory() as tmp:
                try:
                    msg = run_case(a.dnnf, c, tmp)
                except Exception as ex:  # ORT rejecting a case is a bad case: report it
                    msg = "harness error: %s" % ex
            if msg:
                failed += 1
                print("FAIL %s [%s]: %s" % (c.name, os.path.basename(f), msg))
            else:
                passed += 1
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed or not passed else 0)


if __name__ == "__main__":
    main()
