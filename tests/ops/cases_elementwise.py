"""Elementwise operators (engine/op_elementwise.c, engine/op_unary.c)."""
import numpy as np

from opcase import case, const, inp

F = "f32"
CASES = []
add = CASES.append

# ---- binary arithmetic, broadcasting ----------------------------------------
add(case("Add", [inp("A", F, [2, 3]), inp("B", F, [3])], name="add_row"))
add(case("Add", [inp("A", F, [1, 128, 768]), inp("B", F, [768])], name="add_bert_bias"))
add(case("Add", [inp("A", F, [2, 1, 4]), inp("B", F, [3, 1])], name="add_both_bcast"))
add(case("Add", [inp("A", F, []), inp("B", F, [3])], name="add_rank0"))
add(case("Add", [inp("A", F, [0, 3]), inp("B", F, [3])], name="add_empty"))
add(case("Add", [inp("A", "i64", [2, 3], -9, 9), inp("B", "i64", [1, 3], -9, 9)], name="add_i64"))
add(case("Add", [inp("A", "i32", [4], -9, 9), const("B", 7, "i32")], name="add_i32"))
add(case("Add", [inp("A", "f64", [2, 3]), inp("B", "f64", [2, 3])], name="add_f64"))
add(case("Sub", [inp("A", F, [3, 1]), inp("B", F, [3, 4])], name="sub_col"))
add(case("Sub", [const("A", 1.0, F), inp("B", F, [2, 5])], name="sub_scalar_left"))
add(case("Sub", [inp("A", "i64", [5], -9, 9), inp("B", "i64", [5], -9, 9)], name="sub_i64"))
add(case("Mul", [inp("A", F, [1, 64, 56, 56]), inp("B", F, [1, 64, 1, 1])], name="mul_chan"))
add(case("Mul", [inp("A", F, [2, 3, 4]), inp("B", F, [2, 1, 4])], name="mul_mid"))
add(case("Mul", [inp("A", "i32", [3, 2], -9, 9), inp("B", "i32", [2], -9, 9)], name="mul_i32"))
add(case("Div", [inp("A", F, [4, 5]), inp("B", F, [5], 0.5, 2.0)], name="div_f32"))
add(case("Div", [inp("A", "f64", [4, 5]), inp("B", "f64", [4, 1], 0.5, 2.0)], name="div_f64"))
add(case("Div", [inp("A", "i64", [6], -20, 20), const("B", [3, -3, 7, -7, 2, 1], "i64")],
         name="div_i64_trunc"))
add(case("Div", [inp("A", "i32", [2, 3], -20, 20), const("B", [4, -3, 5], "i32")],
         name="div_i32_trunc"))
add(case("Pow", [inp("A", F, [3, 4], 0.1, 3.0), inp("B", F, [4], -2.0, 2.0)], name="pow_f32"))
add(case("Pow", [inp("A", F, [3, 4]), const("B", 3.0, F)], name="pow_cube"))
add(case("Pow", [inp("A", F, [2, 3]), const("B", 2, "i64")], name="pow_f32_i64"))
add(case("Pow", [inp("A", "i64", [5], -4, 5), const("B", [0, 1, 2, 3, 4], "i64")], name="pow_i64"))
add(case("Mod", [inp("A", "i64", [8], -20, 20), const("B", [3, -3, 5, -5, 7, -7, 2, 9], "i64")],
         name="mod_i64_python"))
add(case("Mod", [inp("A", "i64", [8], -20, 20), const("B", [3, -3, 5, -5, 7, -7, 2, 9], "i64")],
         fmod=1, name="mod_i64_fmod"))
add(case("Mod", [inp("A", "i32", [2, 4], -20, 20), const("B", [3, -4, 5, -6], "i32")],
         name="mod_i32"))
add(case("Mod", [inp("A", F, [3, 4], -5, 5), inp("B", F, [4], 0.5, 2.0)], fmod=1, name="mod_f32"))

# ---- variadic ----------------------------------------------------------------
add(case("Sum", [inp("A", F, [2, 3]), inp("B", F, [3]), inp("C", F, [2, 1])], name="sum3"))
add(case("Sum", [inp("A", F, [2, 3])], name="sum1"))
add(case("Mean", [inp("A", F, [2, 3]), inp("B", F, [1, 3]), inp("C", F, [])], name="mean3"))
add(case("Max", [inp("A", F, [2, 3]), inp("B", F, [3]), inp("C", F, [2, 1])], name="max3"))
add(case("Max", [inp("A", "i64", [4], -9, 9), inp("B", "i64", [4], -9, 9)], name="max_i64"))
add(case("Min", [inp("A", F, [4, 1]), inp("B", F, [3])], name="min2"))
add(case("Min", [const("A", [np.nan, 1.0, 2.0], F), const("B", [0.0, np.nan, 1.0], F)],
         name="min_nan"))
add(case("Min", [inp("A", "i32", [5], -9, 9)], name="min1_i32"))

# ---- comparisons, logic ------------------------------------------------------
add(case("Equal", [inp("A", "i64", [3, 4], 0, 3), inp("B", "i64", [4], 0, 3)], name="eq_i64"))
add(case("Equal", [inp("A", "bool", [6]), inp("B", "bool", [6])], name="eq_bool"))
add(case("Equal", [inp("A", F, [2, 2]), inp("A2", F, [2, 2])], name="eq_f32"))
add(case("Less", [inp("A", F, [2, 3]), inp("B", F, [3])], name="less"))
add(case("Less", [inp("A", "i32", [5], 0, 4), const("B", 2, "i32")], name="less_i32"))
add(case("LessOrEqual", [inp("A", "i64", [6], 0, 3), const("B", 1, "i64")], name="le_i64"))
add(case("Greater", [inp("A", F, [2, 1, 3]), inp("B", F, [4, 1])], name="greater"))
add(case("GreaterOrEqual", [inp("A", "i64", [6], 0, 3), const("B", 1, "i64")], name="ge_i64"))
add(case("And", [inp("A", "bool", [2, 3]), inp("B", "bool", [3])], name="and"))
add(case("Or", [inp("A", "bool", [2, 3]), inp("B", "bool", [2, 1])], name="or"))
add(case("Xor", [inp("A", "bool", [4]), inp("B", "bool", [4])], name="xor"))
add(case("Not", [inp("A", "bool", [2, 3])], name="not"))

# ---- Where -------------------------------------------------------------------
add(case("Where", [inp("C", "bool", [2, 1, 4]), inp("X", F, [3, 1]), const("Y", -1.0, F)],
         name="where_3way"))
add(case("Where", [inp("C", "bool", [1, 1, 4, 4]), inp("X", F, [1, 2, 4, 4]),
                   const("Y", -1e9, F)], name="where_mask"))
add(case("Where", [inp("C", "bool", [5]), inp("X", "i64", [5], 0, 9), inp("Y", "i64", [1], 0, 9)],
         name="where_i64"))
add(case("Where", [inp("C", "bool", [3]), inp("X", "u8", [3], 0, 9), inp("Y", "u8", [3], 0, 9)],
         name="where_u8"))
add(case("Where", [inp("C", "bool", [0, 2]), inp("X", F, [2]), inp("Y", F, [1])],
         name="where_empty"))

# ---- unary -------------------------------------------------------------------
X = lambda lo=None, hi=None, shape=(2, 3, 4): inp("X", F, list(shape), lo, hi)  # noqa: E731
for op in ["Abs", "Neg", "Exp", "Floor", "Ceil", "Sign", "Relu", "Sigmoid", "Tanh", "Erf",
           "Sin", "Cos", "Softplus", "HardSwish", "Elu", "Selu", "LeakyRelu", "HardSigmoid"]:
    add(case(op, [X(-4, 4)], name=op.lower()))
add(case("Log", [X(0.01, 10)], name="log"))
add(case("Sqrt", [X(0, 10)], name="sqrt"))
add(case("Reciprocal", [X(0.1, 10)], name="reciprocal"))
add(case("Tan", [X(-1.2, 1.2)], name="tan"))
add(case("Mish", [X(-4, 4)], opset=18, name="mish"))
add(case("Gelu", [X(-4, 4)], opset=20, name="gelu"))
add(case("Gelu", [X(-4, 4)], opset=20, approximate="tanh", name="gelu_tanh"))
add(case("LeakyRelu", [X(-4, 4)], alpha=0.2, name="leakyrelu_alpha"))
add(case("Elu", [X(-4, 4)], alpha=0.5, name="elu_alpha"))
add(case("Selu", [X(-4, 4)], alpha=1.5, gamma=2.0, name="selu_attrs"))
add(case("HardSigmoid", [X(-6, 6)], alpha=0.25, beta=0.4, name="hardsigmoid_attrs"))
add(case("Round", [const("X", [0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 0.49, 2.51, 3.0], F)],
         name="round_half_even"))
add(case("Round", [X(-10, 10)], name="round_rand"))
add(case("Relu", [X(-4, 4, shape=[])], name="relu_rank0"))
add(case("Exp", [inp("X", "f64", [3, 2])], name="exp_f64"))
add(case("Abs", [inp("X", "i64", [6], -9, 9)], name="abs_i64"))
add(case("Neg", [inp("X", "i32", [6], -9, 9)], name="neg_i32"))
add(case("Sign", [inp("X", "i64", [6], -3, 3)], name="sign_i64"))
add(case("Relu", [inp("X", "i32", [6], -9, 9)], name="relu_i32"))
SPECIAL = [np.nan, np.inf, -np.inf, 0.0, -1.0, 3.5]
add(case("IsNaN", [const("X", SPECIAL, F)], name="isnan"))
add(case("IsInf", [const("X", SPECIAL, F)], name="isinf"))
add(case("IsInf", [const("X", SPECIAL, F)], detect_negative=0, name="isinf_pos"))
add(case("IsInf", [const("X", SPECIAL, F)], detect_positive=0, name="isinf_neg"))
add(case("Sigmoid", [const("X", [-100.0, -20.0, 0.0, 20.0, 100.0], F)], name="sigmoid_far"))
add(case("Softplus", [const("X", [-100.0, -20.0, 0.0, 20.0, 80.0], F)], name="softplus_far"))

# ---- Cast --------------------------------------------------------------------
FR = [2.7, -2.7, 0.5, -0.5, 100.9, -100.9, 0.0, 1e6]
add(case("Cast", [const("X", FR, F)], to=7, name="cast_f32_i64"))
add(case("Cast", [const("X", FR, F)], to=6, name="cast_f32_i32"))
add(case("Cast", [const("X", FR, F)], to=9, name="cast_f32_bool"))
add(case("Cast", [const("X", FR, F)], to=11, name="cast_f32_f64"))
add(case("Cast", [inp("X", F, [3, 4], 0, 250)], to=2, name="cast_f32_u8"))
add(case("Cast", [inp("X", F, [3, 4], -120, 120)], to=3, name="cast_f32_i8"))
add(case("Cast", [inp("X", "f64", [3, 4])], to=1, name="cast_f64_f32"))
add(case("Cast", [inp("X", "i64", [2, 3], -1000, 1000)], to=1, name="cast_i64_f32"))
add(case("Cast", [const("X", [2**40 + 1, -(2**35) - 3, 7], "i64")], to=6, name="cast_i64_i32"))
add(case("Cast", [inp("X", "i32", [5], -9, 9)], to=7, name="cast_i32_i64"))
add(case("Cast", [inp("X", "bool", [5])], to=1, name="cast_bool_f32"))
add(case("Cast", [inp("X", "bool", [5])], to=7, name="cast_bool_i64"))
add(case("Cast", [inp("X", "i64", [5], -2, 3)], to=9, name="cast_i64_bool"))
add(case("Cast", [inp("X", "u8", [5], 0, 255)], to=1, name="cast_u8_f32"))
add(case("Cast", [inp("X", F, [2, 3])], to=1, name="cast_same"))
add(case("CastLike", [inp("X", F, [2, 3], -9, 9), const("T", [1], "i64")], name="castlike_i64"))
add(case("CastLike", [inp("X", "i32", [4], -9, 9), const("T", 0.0, F)], name="castlike_f32"))

# ---- Clip --------------------------------------------------------------------
add(case("Clip", [X(-4, 4), const("lo", -1.0, F), const("hi", 2.0, F)], name="clip_both"))
add(case("Clip", [X(-4, 4), None, const("hi", 6.0, F)], name="clip_max_only"))
add(case("Clip", [X(-4, 4), const("lo", 0.0, F)], name="clip_min_only"))
add(case("Clip", [X(-4, 4)], name="clip_none"))
add(case("Clip", [X(-4, 4), const("lo", 1.0, F), const("hi", -1.0, F)], name="clip_min_gt_max"))
add(case("Clip", [inp("X", "i64", [6], -9, 9), const("lo", -2, "i64"), const("hi", 3, "i64")],
         name="clip_i64"))
add(case("Clip", [const("X", [np.nan, -5.0, 5.0], F), const("lo", 0.0, F), const("hi", 1.0, F)],
         name="clip_nan"))

# ---- Identity, Dropout -------------------------------------------------------
add(case("Identity", [X()], name="identity"))
add(case("Identity", [inp("X", "i64", [3], 0, 9)], name="identity_i64"))
add(case("Identity", [inp("X", "bool", [2, 2])], name="identity_bool"))
add(case("Dropout", [X()], name="dropout"))
add(case("Dropout", [X(), const("ratio", 0.3, F)], outputs=2, name="dropout_mask"))
add(case("Dropout", [X(), const("ratio", 0.3, F), const("train", False, "bool")], outputs=2,
         name="dropout_train_false"))
