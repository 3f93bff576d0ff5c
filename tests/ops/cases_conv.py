"""Convolution and pooling (engine/op_conv.c, engine/op_pool.c): Conv,
ConvTranspose, MaxPool, AveragePool, LpPool, Global{Average,Max,Lp}Pool."""
import numpy as np

from opcase import case, const, inp

F = "f32"
CASES = []
add = CASES.append


def w(name, shape, seed, scale=0.2):
    """A constant weight tensor (initializer), as in real models."""
    return const(name, np.random.default_rng(seed).standard_normal(shape).astype(np.float32) * scale, F)


# ---- Conv ---------------------------------------------------------------------
add(case("Conv", [inp("X", F, [1, 3, 8, 8]), w("W", [4, 3, 3, 3], 1), w("B", [4], 2)],
         pads=[1, 1, 1, 1], name="conv_3x3_pad_bias"))
add(case("Conv", [inp("X", F, [2, 3, 9, 7]), inp("W", F, [5, 3, 3, 2])],
         strides=[2, 1], dilations=[1, 2], pads=[1, 0, 2, 1], name="conv_stride_dil_asym"))
add(case("Conv", [inp("X", F, [1, 2, 7, 7]), w("W", [3, 2, 3, 3], 3)],
         kernel_shape=[3, 3], strides=[2, 2], auto_pad="SAME_UPPER", name="conv_same_upper"))
add(case("Conv", [inp("X", F, [1, 2, 8, 7]), w("W", [3, 2, 4, 4], 4)],
         strides=[2, 3], auto_pad="SAME_LOWER", name="conv_same_lower"))
add(case("Conv", [inp("X", F, [1, 2, 8, 7]), w("W", [3, 2, 3, 3], 5)],
         strides=[2, 2], auto_pad="VALID", name="conv_valid"))
add(case("Conv", [inp("X", F, [1, 4, 6, 6]), w("W", [6, 2, 3, 3], 6), w("B", [6], 7)],
         group=2, pads=[1, 1, 1, 1], name="conv_group2"))
add(case("Conv", [inp("X", F, [1, 8, 10, 10]), w("W", [8, 1, 3, 3], 8), w("B", [8], 9)],
         group=8, pads=[1, 1, 1, 1], name="conv_depthwise"))
add(case("Conv", [inp("X", F, [2, 8, 11, 11]), w("W", [8, 1, 5, 5], 10)],
         group=8, strides=[2, 2], pads=[2, 2, 2, 2], name="conv_depthwise_s2"))
add(case("Conv", [inp("X", F, [1, 3, 9, 8]), w("W", [6, 1, 3, 3], 11)],
         group=3, dilations=[2, 2], pads=[0, 1, 2, 1], name="conv_depthwise_mult"))
add(case("Conv", [inp("X", F, [1, 16, 7, 7]), w("W", [8, 16, 1, 1], 12), w("B", [8], 13)],
         name="conv_pointwise"))
add(case("Conv", [inp("X", F, [1, 16, 7, 7]), w("W", [8, 16, 1, 1], 14)],
         strides=[2, 2], name="conv_1x1_s2"))
add(case("Conv", [inp("X", F, [2, 3, 20]), w("W", [4, 3, 5], 15), w("B", [4], 16)],
         strides=[2], pads=[2, 1], name="conv_1d"))
add(case("Conv", [inp("X", F, [1, 4, 12]), w("W", [4, 1, 3], 17)],
         group=4, dilations=[3], pads=[1, 1], name="conv_1d_depthwise"))
add(case("Conv", [inp("X", F, [1, 2, 5, 6, 4]), w("W", [3, 2, 2, 3, 2], 18), w("B", [3], 19)],
         pads=[1, 0, 1, 0, 1, 1], strides=[1, 2, 1], name="conv_3d"))
add(case("Conv", [inp("X", F, [1, 4, 5, 5, 5]), w("W", [4, 2, 3, 3, 3], 20)],
         group=2, auto_pad="SAME_UPPER", name="conv_3d_group_same"))
add(case("Conv", [inp("X", F, [1, 3, 224, 224]), w("W", [64, 3, 7, 7], 21, 0.1), w("B", [64], 22)],
         strides=[2, 2], pads=[3, 3, 3, 3], name="conv_resnet_stem", tol=1e-4))
add(case("Conv", [inp("X", F, [1, 64, 56, 56]), w("W", [64, 64, 3, 3], 23, 0.05)],
         pads=[1, 1, 1, 1], name="conv_resnet_3x3", tol=1e-4))
add(case("Conv", [inp("X", F, [1, 3, 4, 4]), w("W", [2, 3, 4, 4], 24)], name="conv_full_kernel"))

# ---- ConvTranspose -------------------------------------------------------------
add(case("ConvTranspose", [inp("X", F, [1, 3, 5, 5]), w("W", [3, 2, 3, 3], 30), w("B", [2], 31)],
         strides=[2, 2], pads=[1, 1, 1, 1], output_padding=[1, 1], name="convt_s2_outpad"))
add(case("ConvTranspose", [inp("X", F, [2, 4, 3, 4]), w("W", [4, 3, 2, 3], 32)],
         group=2, strides=[2, 1], pads=[1, 0, 0, 1], name="convt_group_asym"))
add(case("ConvTranspose", [inp("X", F, [1, 2, 4, 4]), w("W", [2, 3, 3, 3], 33)],
         strides=[2, 2], output_shape=[8, 8], name="convt_output_shape"))
add(case("ConvTranspose", [inp("X", F, [1, 2, 4, 4]), w("W", [2, 3, 4, 4], 34)],
         strides=[2, 2], auto_pad="SAME_UPPER", name="convt_same_upper"))
add(case("ConvTranspose", [inp("X", F, [1, 2, 4, 4]), w("W", [2, 3, 3, 3], 40)],
         strides=[2, 2], auto_pad="SAME_UPPER", name="convt_same_upper_odd"))
add(case("ConvTranspose", [inp("X", F, [1, 2, 4, 4]), w("W", [2, 3, 3, 3], 41)],
         strides=[2, 2], auto_pad="SAME_LOWER", name="convt_same_lower_odd"))
add(case("ConvTranspose", [inp("X", F, [1, 2, 4, 4]), w("W", [2, 3, 3, 3], 42)],
         strides=[2, 2], output_shape=[10, 7], name="convt_output_shape_full"))
add(case("ConvTranspose", [inp("X", F, [1, 2, 4, 5]), w("W", [2, 2, 3, 2], 35)],
         dilations=[2, 3], name="convt_dilated"))
add(case("ConvTranspose", [inp("X", F, [1, 3, 7]), w("W", [3, 2, 4], 36), w("B", [2], 37)],
         strides=[3], name="convt_1d"))
add(case("ConvTranspose", [inp("X", F, [1, 2, 3, 3, 3]), w("W", [2, 2, 2, 2, 2], 38)],
         strides=[2, 2, 2], name="convt_3d"))
add(case("ConvTranspose", [inp("X", F, [1, 64, 16, 16]), w("W", [64, 32, 4, 4], 39, 0.05)],
         strides=[2, 2], pads=[1, 1, 1, 1], name="convt_upsample", tol=1e-4))

# ---- MaxPool -------------------------------------------------------------------
add(case("MaxPool", [inp("X", F, [1, 4, 112, 112])], kernel_shape=[3, 3], strides=[2, 2],
         pads=[1, 1, 1, 1], name="maxpool_resnet"))
add(case("MaxPool", [inp("X", F, [2, 3, 8, 8])], kernel_shape=[2, 2], strides=[2, 2],
         name="maxpool_2x2"))
add(case("MaxPool", [inp("X", F, [1, 2, 7, 7])], kernel_shape=[2, 2], strides=[2, 2],
         ceil_mode=1, name="maxpool_ceil"))
add(case("MaxPool", [inp("X", F, [1, 1, 5])], kernel_shape=[2], strides=[3], pads=[1, 1],
         ceil_mode=1, name="maxpool_ceil_drop_last"))
add(case("MaxPool", [inp("X", F, [1, 2, 9, 9])], kernel_shape=[3, 2], dilations=[2, 3],
         strides=[1, 2], pads=[2, 1, 1, 1], name="maxpool_dilated"))
add(case("MaxPool", [inp("X", F, [1, 2, 9])], kernel_shape=[3], strides=[2], name="maxpool_1d"))
add(case("MaxPool", [inp("X", F, [1, 2, 5, 6, 7])], kernel_shape=[2, 3, 2], strides=[2, 2, 1],
         pads=[0, 1, 1, 1, 1, 0], name="maxpool_3d"))
add(case("MaxPool", [inp("X", F, [1, 2, 7, 8])], kernel_shape=[3, 3], strides=[2, 2],
         auto_pad="SAME_UPPER", name="maxpool_same_upper"))
add(case("MaxPool", [inp("X", F, [1, 2, 7, 8])], kernel_shape=[2, 2], strides=[2, 2],
         auto_pad="SAME_LOWER", name="maxpool_same_lower"))
add(case("MaxPool", [inp("X", F, [1, 2, 7, 8])], kernel_shape=[3, 2], strides=[2, 2],
         auto_pad="VALID", name="maxpool_valid"))
add(case("MaxPool", [inp("X", F, [2, 3, 6, 5])], outputs=2, kernel_shape=[2, 2], strides=[2, 1],
         pads=[1, 0, 0, 1], name="maxpool_indices"))
add(case("MaxPool", [inp("X", F, [1, 2, 6, 5])], outputs=2, kernel_shape=[3, 2],
         storage_order=1, name="maxpool_indices_colmajor"))
add(case("MaxPool", [inp("X", "u8", [1, 2, 6, 6], 0, 255)], kernel_shape=[2, 2], strides=[2, 2],
         name="maxpool_u8"))
add(case("MaxPool", [inp("X", "i8", [1, 2, 6, 6], -128, 127)], kernel_shape=[3, 3],
         pads=[1, 1, 1, 1], name="maxpool_i8"))
add(case("MaxPool", [inp("X", "f64", [1, 2, 6, 6])], kernel_shape=[3, 3], strides=[2, 2],
         name="maxpool_f64"))

# ---- AveragePool -------------------------------------------------------------
add(case("AveragePool", [inp("X", F, [1, 3, 8, 8])], kernel_shape=[3, 3], strides=[2, 2],
         pads=[1, 1, 1, 1], name="avgpool_pad_exclude"))
add(case("AveragePool", [inp("X", F, [1, 3, 8, 8])], kernel_shape=[3, 3], strides=[2, 2],
         pads=[1, 1, 1, 1], count_include_pad=1, name="avgpool_pad_include"))
add(case("AveragePool", [inp("X", F, [1, 2, 7, 6])], kernel_shape=[3, 2], strides=[1, 2],
         pads=[0, 1, 2, 0], name="avgpool_asym_pads"))
add(case("AveragePool", [inp("X", F, [1, 2, 7, 7])], kernel_shape=[2, 2], strides=[2, 2],
         ceil_mode=1, name="avgpool_ceil"))
add(case("AveragePool", [inp("X", F, [1, 2, 7, 7])], kernel_shape=[2, 2], strides=[2, 2],
         ceil_mode=1, count_include_pad=1, name="avgpool_ceil_include"))
add(case("AveragePool", [inp("X", F, [1, 1, 6])], kernel_shape=[3], strides=[2], pads=[1, 1],
         ceil_mode=1, count_include_pad=1, name="avgpool_ceil_include_pad"))
add(case("AveragePool", [inp("X", F, [1, 2, 7, 8])], kernel_shape=[3, 3], strides=[2, 2],
         auto_pad="SAME_UPPER", name="avgpool_same_upper"))
add(case("AveragePool", [inp("X", F, [1, 2, 7, 8])], kernel_shape=[3, 3], strides=[2, 2],
         auto_pad="SAME_LOWER", count_include_pad=1, name="avgpool_same_lower_include"))
add(case("AveragePool", [inp("X", F, [2, 2, 10])], kernel_shape=[4], strides=[3],
         name="avgpool_1d"))
add(case("AveragePool", [inp("X", F, [1, 2, 4, 5, 6])], kernel_shape=[2, 2, 3],
         pads=[1, 0, 1, 1, 1, 1], name="avgpool_3d"))
add(case("AveragePool", [inp("X", F, [1, 2, 9, 9])], kernel_shape=[2, 2], dilations=[2, 2],
         strides=[2, 2], opset=19, name="avgpool_dilated"))

# ---- LpPool, global pools ---------------------------------------------------------
add(case("LpPool", [inp("X", F, [1, 2, 6, 6])], kernel_shape=[2, 2], strides=[2, 2],
         name="lppool_p2"))
add(case("LpPool", [inp("X", F, [1, 2, 6, 7])], kernel_shape=[3, 3], pads=[1, 1, 1, 1], p=1,
         name="lppool_p1_pad"))
add(case("GlobalAveragePool", [inp("X", F, [2, 8, 7, 7])], name="gap_2d"))
add(case("GlobalAveragePool", [inp("X", F, [1, 4, 10])], name="gap_1d"))
add(case("GlobalAveragePool", [inp("X", F, [1, 3, 2, 3, 4])], name="gap_3d"))
add(case("GlobalMaxPool", [inp("X", F, [2, 5, 6, 6])], name="gmp_2d"))
add(case("GlobalMaxPool", [inp("X", F, [1, 3, 7])], name="gmp_1d"))
add(case("GlobalLpPool", [inp("X", F, [1, 3, 4, 4])], p=3, name="glp_p3"))

# ---- shapes and attributes as the shared real models use them --------------------
add(case("MaxPool", [inp("X", F, [1, 8, 111, 111])], kernel_shape=[3, 3], strides=[2, 2],
         pads=[0, 0, 0, 0], ceil_mode=1, dilations=[1, 1], name="maxpool_squeezenet_ceil"))
add(case("MaxPool", [inp("X", F, [1, 8, 54, 54])], kernel_shape=[3, 3], strides=[2, 2],
         ceil_mode=1, name="maxpool_ceil_even"))
add(case("AveragePool", [inp("X", F, [1, 8, 56, 56])], kernel_shape=[2, 2], strides=[2, 2],
         pads=[0, 0, 0, 0], ceil_mode=0, count_include_pad=1, name="avgpool_densenet"))
add(case("AveragePool", [inp("X", F, [1, 8, 7, 7])], kernel_shape=[1, 1], strides=[1, 1],
         name="avgpool_vgg_1x1"))
add(case("Conv", [inp("X", F, [1, 3, 224, 224]), w("W", [32, 3, 16, 16], 50, 0.05), w("B", [32], 51)],
         auto_pad="NOTSET", kernel_shape=[16, 16], strides=[16, 16], pads=[0, 0, 0, 0],
         name="conv_vit_patch", tol=1e-4))
add(case("Conv", [inp("X", F, [1, 3, 64, 64]), w("W", [24, 3, 4, 4], 52), w("B", [24], 53)],
         kernel_shape=[4, 4], strides=[4, 4], name="conv_convnext_stem"))
add(case("Conv", [inp("X", F, [1, 24, 14, 14]), w("W", [24, 1, 7, 7], 54), w("B", [24], 55)],
         group=24, kernel_shape=[7, 7], pads=[3, 3, 3, 3], name="conv_convnext_dw7"))
add(case("Conv", [inp("X", F, [1, 12, 14, 14]), w("W", [12, 2, 3, 3], 56)],
         group=6, pads=[1, 1, 1, 1], strides=[2, 2], name="conv_regnet_group"))
add(case("Conv", [inp("X", F, [1, 3, 4, 28, 28]), w("W", [8, 3, 3, 7, 7], 57, 0.1)],
         kernel_shape=[3, 7, 7], pads=[1, 3, 3, 1, 3, 3], strides=[1, 2, 2], name="conv_r3d_stem",
         tol=1e-4))
add(case("Conv", [inp("X", F, [1, 8, 4, 14, 14]), w("W", [16, 8, 1, 1, 1], 58)],
         kernel_shape=[1, 1, 1], strides=[2, 2, 2], name="conv_r3d_downsample"))
