"""Operator test cases as data: each case is one ONNX node with its inputs,
run by ONNX Runtime and by `dnnf run --reference`, outputs compared.

A cases file (tests/ops/cases_*.py) defines CASES, a list of case(...):

    case("Add", [inp("A", "f32", [2, 3]), inp("B", "f32", [3])])
    case("Reshape", [inp("X", "f32", [2, 3, 4]), const("shape", [0, -1], "i64")])
    case("Split", [inp("X", "f32", [4, 6])], outputs=2, axis=1, name="split_even")
    case("Clip", [inp("X", "f32", [5]), None, const("max", 6.0, "f32")])   # None: omitted input

Keyword arguments other than outputs/name/opset/tol become node attributes.
"""
import numpy as np

DTYPES = {"f32": np.float32, "f64": np.float64, "i64": np.int64, "i32": np.int32,
          "bool": np.bool_, "u8": np.uint8, "i8": np.int8}


class Input:
    def __init__(self, name, dtype, shape, low=None, high=None, value=None):
        self.name, self.dtype, self.shape = name, dtype, list(shape)
        self.low, self.high, self.value = low, high, value

    @property
    def is_const(self):
        return self.value is not None

    def make(self, rng):
        """The input's array: its constant value, or seeded random data."""
        if self.value is not None:
            return self.value
        dt = DTYPES[self.dtype]
        if self.dtype == "bool":
            return rng.random(self.shape) < 0.5
        if np.issubdtype(dt, np.integer):
            lo = 0 if self.low is None else self.low
            hi = 5 if self.high is None else self.high
            return rng.integers(lo, hi, size=self.shape).astype(dt)
        if self.low is not None or self.high is not None:
            lo = -1.0 if self.low is None else self.low
            hi = 1.0 if self.high is None else self.high
            return rng.uniform(lo, hi, size=self.shape).astype(dt)
        return rng.standard_normal(self.shape).astype(dt)


def inp(name, dtype, shape, low=None, high=None):
    """A run-time input filled with random data (ints in [low, high))."""
    return Input(name, dtype, shape, low, high)


def const(name, value, dtype):
    """An initializer with a fixed value."""
    arr = np.array(value, dtype=DTYPES[dtype])
    return Input(name, dtype, arr.shape, value=arr)


class Case:
    def __init__(self, op, inputs, outputs=1, name=None, opset=17, tol=1e-5, **attrs):
        self.op, self.inputs, self.outputs = op, inputs, outputs
        self.opset, self.tol, self.attrs = opset, tol, attrs
        self.name = name or op


def case(op, inputs, **kw):
    return Case(op, inputs, **kw)
