"""Cases for op_defs_index (engine/op_index.c, op_index_misc.c): Gather,
GatherElements, GatherND, ScatterND, ScatterElements, Shape, Size, Range,
ConstantOfShape, Constant, NonZero, EyeLike, OneHot, TopK, CumSum."""
import numpy as np
from onnx import helper, numpy_helper

from opcase import case, const, inp


def tensor(value, dtype):
    return numpy_helper.from_array(np.array(value, dtype=dtype), "value")


CASES = [
    # Gather
    case("Gather", [inp("X", "f32", [5, 4]), inp("I", "i64", [2, 3], low=-5, high=5)], name="gather_axis0"),
    case("Gather", [inp("X", "f32", [3, 5, 2]), inp("I", "i64", [4], low=-5, high=5)], axis=1,
         name="gather_axis1"),
    case("Gather", [inp("X", "f32", [3, 5]), const("I", 2, "i64")], axis=-1, name="gather_scalar_index"),
    case("Gather", [inp("X", "i64", [6]), inp("I", "i32", [2, 2], low=-6, high=6)], name="gather_i32_indices"),
    case("Gather", [inp("X", "bool", [4, 3]), const("I", [], "i64")], name="gather_empty_indices"),
    case("Gather", [const("X", [1, 128, 768], "i64"), const("I", [1], "i64")], name="gather_shape_vector"),
    # GatherElements
    case("GatherElements", [inp("X", "f32", [3, 4]), inp("I", "i64", [2, 4], low=-3, high=3)],
         name="gather_elements_axis0"),
    case("GatherElements", [inp("X", "f32", [3, 4]), inp("I", "i32", [3, 6], low=-4, high=4)], axis=-1,
         name="gather_elements_axis1"),
    case("GatherElements", [inp("X", "i64", [2, 3, 4]), inp("I", "i64", [2, 2, 4], low=0, high=3)], axis=1,
         name="gather_elements_3d"),
    # GatherND
    case("GatherND", [inp("X", "f32", [3, 4]), const("I", [[0, 1], [2, 3]], "i64")], name="gather_nd_full"),
    case("GatherND", [inp("X", "f32", [3, 4, 5]), const("I", [[2], [0], [1]], "i64")], name="gather_nd_slices"),
    case("GatherND", [inp("X", "f32", [3, 4]), const("I", [[[-1, 0]], [[1, -2]]], "i64")], name="gather_nd_neg"),
    case("GatherND", [inp("X", "f32", [2, 3, 4]), const("I", [[1], [2]], "i64")], batch_dims=1,
         name="gather_nd_batch"),
    # ScatterND
    case("ScatterND", [inp("X", "f32", [4, 3]), const("I", [[1], [3]], "i64"), inp("U", "f32", [2, 3])],
         name="scatter_nd_rows"),
    case("ScatterND", [inp("X", "f32", [2, 3]), const("I", [[0, 1], [1, 2], [0, 1]], "i64"),
                       inp("U", "f32", [3])], reduction="add", name="scatter_nd_add_dups"),
    case("ScatterND", [inp("X", "f32", [2, 3]), const("I", [[0, 0], [1, -1]], "i64"), inp("U", "f32", [2])],
         reduction="mul", name="scatter_nd_mul"),
    case("ScatterND", [const("X", [1, 1, 1], "i64"), const("I", [[2]], "i64"), const("U", [768], "i64")],
         name="scatter_nd_shape_vector"),
    case("ScatterND", [inp("X", "f32", [2, 3]), const("I", [[0, 1], [1, 2]], "i64"), inp("U", "f32", [2])],
         reduction="max", opset=18, name="scatter_nd_max"),
    # ScatterElements
    case("ScatterElements", [inp("X", "f32", [3, 3]), const("I", [[1, 0, 2], [0, 2, 1]], "i64"),
                             inp("U", "f32", [2, 3])], name="scatter_elements_axis0"),
    case("ScatterElements", [inp("X", "f32", [2, 5]), const("I", [[1, 3], [-1, 0]], "i64"),
                             inp("U", "f32", [2, 2])], axis=1, name="scatter_elements_axis1_neg"),
    case("ScatterElements", [inp("X", "i64", [1, 5]), const("I", [[1, 1, 3]], "i64"),
                             inp("U", "i64", [1, 3])], axis=1, reduction="add", name="scatter_elements_add"),
    # Shape / Size
    case("Shape", [inp("X", "f32", [2, 3, 4])], name="shape_default"),
    case("Shape", [inp("X", "f32", [2, 3, 4])], start=1, opset=15, name="shape_start"),
    case("Shape", [inp("X", "f32", [2, 3, 4, 5])], start=-3, end=-1, opset=15, name="shape_start_end"),
    case("Shape", [inp("X", "f32", [2, 3])], start=5, opset=15, name="shape_empty_range"),
    case("Shape", [inp("X", "f32", [])], name="shape_scalar"),
    case("Size", [inp("X", "f32", [2, 3, 4])], name="size"),
    case("Size", [inp("X", "f32", [2, 0])], name="size_empty"),
    # Range
    case("Range", [const("s", 0, "i64"), const("l", 10, "i64"), const("d", 3, "i64")], name="range_i64"),
    case("Range", [const("s", 10, "i32"), const("l", 1, "i32"), const("d", -2, "i32")], name="range_i32_neg"),
    case("Range", [const("s", 1.0, "f32"), const("l", 2.0, "f32"), const("d", 0.25, "f32")], name="range_f32"),
    case("Range", [const("s", 5, "i64"), const("l", 1, "i64"), const("d", 1, "i64")], name="range_empty"),
    case("Range", [inp("s", "i64", [], low=0, high=5), inp("l", "i64", [], low=5, high=12), const("d", 2, "i64")],
         name="range_runtime"),
    case("Range", [const("s", -1.5, "f64"), const("l", 1.0, "f64"), const("d", 0.5, "f64")], name="range_f64"),
    # ConstantOfShape
    case("ConstantOfShape", [const("shape", [2, 3], "i64")], name="cos_default"),
    case("ConstantOfShape", [const("shape", [4], "i64")], value=tensor([7], np.int64), name="cos_i64"),
    case("ConstantOfShape", [const("shape", [], "i64")], value=tensor([1.5], np.float32), name="cos_scalar"),
    case("ConstantOfShape", [const("shape", [2, 0], "i64")], value=tensor([1], np.int32), name="cos_empty"),
    case("ConstantOfShape", [const("shape", [3], "i64")], value=tensor([True], np.bool_), name="cos_bool"),
    case("ConstantOfShape", [inp("shape", "i64", [2], low=0, high=4)], value=tensor([2.0], np.float64),
         name="cos_runtime_shape"),
    # Constant
    case("Constant", [], value=tensor([[1, 2], [3, 4]], np.float32), name="const_tensor"),
    case("Constant", [], value=tensor([5, 6, 7], np.int64), name="const_tensor_i64"),
    case("Constant", [], value_float=2.5, name="const_value_float"),
    case("Constant", [], value_floats=[1.0, -2.0, 3.5], name="const_value_floats"),
    case("Constant", [], value_int=-3, name="const_value_int"),
    case("Constant", [], value_ints=[1, 2, 3], name="const_value_ints"),
    # NonZero
    case("NonZero", [const("X", [[1.0, 0.0, 2.0], [0.0, -0.0, 3.0]], "f32")], name="nonzero_const"),
    case("NonZero", [inp("X", "i64", [3, 4], low=0, high=2)], name="nonzero_runtime"),
    case("NonZero", [inp("X", "bool", [2, 3, 2])], name="nonzero_bool_3d"),
    case("NonZero", [inp("X", "f32", [0, 3])], name="nonzero_empty"),
    # EyeLike
    case("EyeLike", [inp("X", "f32", [3, 4])], name="eyelike"),
    case("EyeLike", [inp("X", "f32", [4, 3])], k=1, name="eyelike_k1"),
    case("EyeLike", [inp("X", "f32", [4, 4])], k=-2, dtype=7, name="eyelike_i64"),
    # OneHot
    case("OneHot", [inp("I", "i64", [2, 3], low=-4, high=6), const("depth", 4, "i64"),
                    const("values", [0.0, 1.0], "f32")], name="onehot_last"),
    case("OneHot", [inp("I", "i64", [2, 3], low=0, high=3), const("depth", [3], "i64"),
                    const("values", [-1, 5], "i64")], axis=0, name="onehot_axis0"),
    case("OneHot", [inp("I", "i64", [4], low=0, high=3), inp("depth", "i64", [], low=1, high=4),
                    const("values", [0.0, 1.0], "f32")], name="onehot_runtime_depth"),
    case("OneHot", [inp("I", "i32", [2, 3], low=0, high=5), const("depth", 5.0, "f32"),
                    const("values", [2.0, 3.0], "f32")], axis=1, name="onehot_axis1"),
    # TopK
    case("TopK", [inp("X", "f32", [3, 10]), const("K", [3], "i64")], outputs=2, name="topk_last"),
    case("TopK", [inp("X", "f32", [3, 10]), const("K", [4], "i64")], outputs=2, largest=0,
         name="topk_smallest"),
    case("TopK", [inp("X", "f32", [6, 3, 2]), const("K", [2], "i64")], outputs=2, axis=0, name="topk_axis0"),
    case("TopK", [inp("X", "i64", [4, 9], low=0, high=3), const("K", [5], "i64")], outputs=2,
         name="topk_ties_i64"),
    case("TopK", [const("X", [[1.0, 3.0, 3.0, 2.0, 3.0, 1.0]], "f32"), const("K", [4], "i64")], outputs=2,
         name="topk_ties_f32"),
    case("TopK", [const("X", [[1.0, 3.0, 3.0, 2.0, 3.0, 1.0]], "f32"), const("K", [3], "i64")], outputs=2,
         largest=0, name="topk_ties_smallest"),
    case("TopK", [inp("X", "f32", [2, 5]), const("K", [0], "i64")], outputs=2, name="topk_k0"),
    case("TopK", [inp("X", "f32", [3, 7]), inp("K", "i64", [1], low=0, high=8)], outputs=2, name="topk_runtime_k"),
    # CumSum
    case("CumSum", [inp("X", "f32", [3, 4]), const("axis", 0, "i64")], name="cumsum_axis0"),
    case("CumSum", [inp("X", "f32", [3, 4]), const("axis", -1, "i32")], exclusive=1, name="cumsum_exclusive"),
    case("CumSum", [inp("X", "f32", [3, 4]), const("axis", 1, "i64")], reverse=1, name="cumsum_reverse"),
    case("CumSum", [inp("X", "f32", [2, 3, 4]), const("axis", 1, "i64")], reverse=1, exclusive=1,
         name="cumsum_rev_excl"),
    case("CumSum", [inp("X", "i64", [5], low=-10, high=10), const("axis", 0, "i64")], name="cumsum_i64"),
    case("CumSum", [inp("X", "i32", [2, 5], low=-10, high=10), const("axis", [1], "i64")], name="cumsum_i32"),
]
