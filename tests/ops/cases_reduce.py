"""Reductions, softmax and normalisations (engine/op_reduce.c, op_reduce_norm.c)."""
from opcase import case, const, inp

F = "f32"
CASES = []
add = CASES.append


def ax(v):
    return const("axes", v, "i64")


REDS = ["ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1",
        "ReduceL2", "ReduceSumSquare", "ReduceLogSumExp"]
for op in REDS:
    lo, hi = (0.5, 1.5) if op == "ReduceProd" else (None, None)
    k = op[6:].lower()
    X = inp("X", F, [2, 3, 4], lo, hi)
    # opset 18: axes as an input
    add(case(op, [X, ax([1])], opset=18, name=k + "_in_mid"))
    add(case(op, [X, ax([-1])], opset=18, keepdims=0, name=k + "_in_last_nokeep"))
    add(case(op, [X, ax([0, 2])], opset=18, name=k + "_in_outer_inner"))
    add(case(op, [X], opset=18, name=k + "_in_all"))
    add(case(op, [X, ax([])], opset=18, noop_with_empty_axes=1, name=k + "_noop"))
    # opset 13: axes as an attribute (ReduceSum already took an input)
    if op == "ReduceSum":
        add(case(op, [X, ax([0, -1])], opset=13, keepdims=0, name=k + "_13_in"))
    else:
        add(case(op, [X], opset=13, axes=[0, -1], keepdims=0, name=k + "_13_attr"))
        add(case(op, [X], opset=13, name=k + "_13_all"))
add(case("ReduceMean", [inp("X", F, [1, 64, 7, 7]), ax([2, 3])], opset=18, name="mean_gap"))
add(case("ReduceMean", [inp("X", F, [1, 16, 768]), ax([-1])], opset=18, name="mean_ln"))
add(case("ReduceMean", [inp("X", F, [1, 8, 6]), ax([1])], opset=18, name="mean_tokens"))
add(case("ReduceSum", [inp("X", "i64", [3, 4], -9, 9), ax([1])], opset=13, name="sum_i64"))
add(case("ReduceMax", [inp("X", "i32", [3, 4], -9, 9)], opset=13, axes=[0], name="max_i32"))
add(case("ReduceMin", [inp("X", "i64", [3, 4], -9, 9)], opset=18, keepdims=0, name="min_i64_all"))
add(case("ReduceSum", [inp("X", F, [2, 0]), ax([1])], opset=13, name="sum_empty"))
add(case("ReduceMax", [inp("X", F, [2, 0]), ax([1])], opset=18, name="max_empty"))
add(case("ReduceSum", [inp("X", F, [3, 2, 1, 4]), ax([2])], opset=13, keepdims=0,
         name="sum_unit_axis"))
add(case("ReduceLogSumExp", [inp("X", F, [2, 5], -50, 50), ax([1])], opset=18, name="lse_wide"))
add(case("ReduceSum", [inp("X", "f64", [4, 3]), ax([0])], opset=13, name="sum_f64"))

# ---- ArgMax / ArgMin ---------------------------------------------------------
add(case("ArgMax", [inp("X", F, [3, 4, 5])], name="argmax_default"))
add(case("ArgMax", [inp("X", F, [3, 4, 5])], axis=-1, keepdims=0, name="argmax_last"))
add(case("ArgMin", [inp("X", F, [3, 4, 5])], axis=1, name="argmin_mid"))
add(case("ArgMax", [inp("X", "i64", [4, 6], 0, 3)], axis=1, select_last_index=1,
         name="argmax_ties_last"))
add(case("ArgMin", [inp("X", "i32", [4, 6], 0, 3)], axis=1, name="argmin_ties_first"))
add(case("ArgMin", [inp("X", "i32", [4, 6], 0, 3)], axis=0, select_last_index=1, keepdims=0,
         name="argmin_ties_last"))

# ---- Softmax / LogSoftmax ----------------------------------------------------
add(case("Softmax", [inp("X", F, [2, 12, 16, 16])], name="softmax_attn"))
add(case("Softmax", [inp("X", F, [2, 3, 4])], axis=1, name="softmax_mid"))
add(case("Softmax", [inp("X", F, [2, 3, 4])], axis=0, name="softmax_first"))
add(case("Softmax", [inp("X", F, [2, 5], -500, 500)], name="softmax_large"))
add(case("Softmax", [inp("X", "f64", [3, 4])], name="softmax_f64"))
add(case("LogSoftmax", [inp("X", F, [2, 3, 4])], name="logsoftmax"))
add(case("LogSoftmax", [inp("X", F, [2, 3, 4])], axis=-2, name="logsoftmax_mid"))

# ---- LayerNormalization ------------------------------------------------------
add(case("LayerNormalization", [inp("X", F, [2, 5, 16]), inp("S", F, [16]), inp("B", F, [16])],
         name="ln_last"))
add(case("LayerNormalization", [inp("X", F, [2, 5, 16]), inp("S", F, [16]), inp("B", F, [16])],
         outputs=3, epsilon=1e-3, name="ln_stats"))
add(case("LayerNormalization", [inp("X", F, [2, 3, 4]), inp("S", F, [3, 4])], axis=1,
         name="ln_axis1_nobias"))
add(case("LayerNormalization", [inp("X", F, [2, 3, 4]), inp("S", F, [1, 4]), inp("B", F, [4])],
         axis=-2, outputs=3, name="ln_bcast_scale"))
add(case("LayerNormalization", [inp("X", F, [4, 8], 100, 101), inp("S", F, [8])],
         name="ln_big_mean"))

# ---- BatchNormalization / InstanceNormalization / GroupNormalization ---------
def bn_inputs(shape):
    c = shape[1]
    return [inp("X", F, shape), inp("scale", F, [c]), inp("B", F, [c]), inp("mean", F, [c]),
            inp("var", F, [c], 0.5, 2.0)]


add(case("BatchNormalization", bn_inputs([2, 3, 4, 4]), name="bn_4d"))
add(case("BatchNormalization", bn_inputs([2, 3]), epsilon=1e-3, name="bn_2d"))
add(case("BatchNormalization", bn_inputs([1, 4, 5]), training_mode=0, opset=15, name="bn_3d"))
add(case("InstanceNormalization", [inp("X", F, [2, 3, 5, 5]), inp("S", F, [3]), inp("B", F, [3])],
         name="in_4d"))
add(case("InstanceNormalization", [inp("X", F, [2, 3, 7]), inp("S", F, [3]), inp("B", F, [3])],
         epsilon=1e-2, name="in_3d"))
add(case("GroupNormalization", [inp("X", F, [2, 6, 4, 4]), inp("S", F, [3]), inp("B", F, [3])],
         num_groups=3, opset=18, name="gn_18"))
add(case("GroupNormalization", [inp("X", F, [2, 6, 4, 4]), inp("S", F, [6]), inp("B", F, [6])],
         num_groups=3, opset=21, name="gn_21"))
add(case("GroupNormalization", [inp("X", F, [1, 4, 9]), inp("S", F, [4]), inp("B", F, [4])],
         num_groups=2, epsilon=1e-3, opset=21, name="gn_21_3d"))

# ---- LpNormalization ---------------------------------------------------------
add(case("LpNormalization", [inp("X", F, [3, 4])], name="lp_l2"))
add(case("LpNormalization", [inp("X", F, [3, 4, 2])], axis=1, p=1, name="lp_l1_mid"))
add(case("LpNormalization", [const("X", [[0.0, 0.0], [3.0, 4.0]], F)], name="lp_zero"))
