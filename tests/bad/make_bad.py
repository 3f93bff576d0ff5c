"""Regenerates the malformed models of tests/bad/ (kept in git as data).

    .venv/bin/python tests/bad/make_bad.py

Each NAME.onnx has a NAME.expect: the text `dnnf run NAME.onnx --reference`
must print on stderr (one line, exit status 1).
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))


def save(name, model, expect):
    onnx.save(model, os.path.join(HERE, name + ".onnx"))
    with open(os.path.join(HERE, name + ".expect"), "w") as f:
        f.write(expect + "\n")


def model(nodes, inputs, outputs, inits=()):
    g = helper.make_graph(nodes, "bad", inputs, outputs, list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    return m


def f32(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def main():
    x = f32("x", [2, 3])
    good = model([helper.make_node("Relu", ["x"], ["y"], name="relu0")], [x], [f32("y", [2, 3])])
    blob = good.SerializeToString()
    with open(os.path.join(HERE, "truncated.onnx"), "wb") as f:
        f.write(blob[: len(blob) - 7])
    with open(os.path.join(HERE, "truncated.expect"), "w") as f:
        f.write("not a valid ONNX model\n")
    with open(os.path.join(HERE, "not_onnx.onnx"), "w") as f:
        f.write("this is a text file, not a model\n")
    with open(os.path.join(HERE, "not_onnx.expect"), "w") as f:
        f.write("not a valid ONNX model\n")
    open(os.path.join(HERE, "empty.onnx"), "w").close()
    with open(os.path.join(HERE, "empty.expect"), "w") as f:
        f.write("empty file\n")

    save("unknown_op", model([helper.make_node("FrobnicateTensor", ["x"], ["y"], name="frob_7")],
                             [x], [f32("y", [2, 3])]),
         "node 'frob_7' (FrobnicateTensor): unsupported operator FrobnicateTensor")
    save("bad_broadcast", model([helper.make_node("Add", ["x", "b"], ["y"], name="add_1")],
                                [x, f32("b", [4])], [f32("y", [2, 3])]),
         "node 'add_1' (Add): shapes [2,3] and [4] cannot broadcast")
    save("dangling_input", model([helper.make_node("Relu", ["nowhere"], ["y"], name="relu_9")],
                                 [x], [f32("y", [2, 3])]),
         "node 'relu_9' (Relu) reads 'nowhere', which no node, input or initializer defines")

    save("missing_required", model([helper.make_node("Slice", ["x", "", "e"], ["y"], name="slice_3")],
                                   [x, helper.make_tensor_value_info("e", TensorProto.INT64, [1])],
                                   [f32("y", [2, 3])]),
         "node 'slice_3' (Slice): Slice: required input 1 is missing")

    w = numpy_helper.from_array(np.zeros((3, 3), np.float32), "W")
    w.ClearField("raw_data")
    w.data_location = TensorProto.EXTERNAL
    for k, v in (("location", "missing.weights"), ("offset", "0"), ("length", "36")):
        e = w.external_data.add()
        e.key, e.value = k, v
    save("missing_weights", model([helper.make_node("MatMul", ["x", "W"], ["y"], name="mm")],
                                  [x], [f32("y", [2, 3])], [w]),
         "external data file")
    t = numpy_helper.from_array(np.zeros((3,), np.float32), "B")
    t.raw_data = b"\0" * 5
    save("bad_tensor", model([helper.make_node("Add", ["x", "B"], ["y"], name="add")],
                             [x], [f32("y", [2, 3])], [t]),
         "tensor 'B' f32 holds 5 bytes of data, its dims need 12")


if __name__ == "__main__":
    main()
