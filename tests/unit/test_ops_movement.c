/* test_ops_movement.c -- hand-computed checks of the data-movement and
 * indexing families (op_movement.c, op_movement_spatial.c, op_index.c,
 * op_index_misc.c), driven through op_run_node and, for the shape-only
 * cases that constant folding relies on, through the op_def's infer.
 * The last line printed is "N passed, N failed"; exit status 1 on failure. */
#include "engine.h"
#include "nodes.h"

#include "check.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- building nodes and tensors ---------------------------------- */

static int run(ir_node *n, const dn_tensor *const *in, dn_tensor *out, dn_err *e)
{
    e->msg[0] = 0;
    int r = op_run_node(n, in, n->nin, out, n->nout, e);
    if (r) printf("  (%s: %s)\n", n->op, e->msg);
    return r;
}

/* Shape inference alone, as the folder runs it (inputs may lack data). */
static int infer(ir_node *n, const dn_tensor *const *in, dn_tensor *out, dn_err *e)
{
    const op_def *d = op_lookup("", n->op);
    for (int i = 0; i < n->nout; i++) {
        memset(&out[i], 0, sizeof out[i]);
        out[i].shape = dn_shape_unknown();
    }
    e->msg[0] = 0;
    return d ? d->infer(n, in, n->nin, out, n->nout, e) : -1;
}

static int eq_f(const dn_tensor *t, const float *want, int64_t k)
{
    if (t->dtype != DN_F32 || dn_shape_numel(&t->shape) != k) return 0;
    return k == 0 || memcmp(t->data, want, (size_t)k * 4) == 0;
}
static int eq_i64(const dn_tensor *t, const int64_t *want, int64_t k)
{
    if (t->dtype != DN_I64 || dn_shape_numel(&t->shape) != k) return 0;
    return k == 0 || memcmp(t->data, want, (size_t)k * 8) == 0;
}
static int eq_i32(const dn_tensor *t, const int32_t *want, int64_t k)
{
    if (t->dtype != DN_I32 || dn_shape_numel(&t->shape) != k) return 0;
    return k == 0 || memcmp(t->data, want, (size_t)k * 4) == 0;
}
static int shape_is(const dn_tensor *t, int rank, const int64_t *d)
{
    dn_shape s = dn_shape_make(rank, d);
    return dn_shape_eq(&t->shape, &s);
}
static void free_all(dn_tensor *o, int k)
{
    for (int i = 0; i < k; i++) dn_tensor_free(&o[i]);
}
static float seqf[4096];

/* ---- Reshape family ------------------------------------------------ */

static void test_reshape(void)
{
    node_buf b;
    dn_err e;
    dn_tensor o[1];
    int64_t dx[] = {2, 3, 4};
    dn_tensor x = tens(DN_F32, 3, dx, seqf);
    { /* int32 shape input with 0 and -1 */
        int32_t sv[] = {0, -1};
        int64_t ds[] = {2}, want[] = {2, 12};
        dn_tensor s = tens(DN_I32, 1, ds, sv);
        const dn_tensor *in[] = {&x, &s};
        CHECK(run(mk(&b, "Reshape", "11", 1), in, o, &e) == 0 && shape_is(&o[0], 2, want) &&
              eq_f(&o[0], seqf, 24));
        free_all(o, 1);
    }
    { /* two -1: error */
        int64_t sv[] = {-1, -1}, ds[] = {2};
        dn_tensor s = tens(DN_I64, 1, ds, sv);
        const dn_tensor *in[] = {&x, &s};
        CHECK(op_run_node(mk(&b, "Reshape", "11", 1), in, 2, o, 1, &e) == -1 &&
              strstr(e.msg, "-1") && o[0].data == NULL);
    }
    { /* size mismatch: error */
        int64_t sv[] = {5, 5}, ds[] = {2};
        dn_tensor s = tens(DN_I64, 1, ds, sv);
        const dn_tensor *in[] = {&x, &s};
        CHECK(op_run_node(mk(&b, "Reshape", "11", 1), in, 2, o, 1, &e) == -1 &&
              strstr(e.msg, "reshape"));
    }
    { /* unknown batch dim copied by 0 still lets -1 be inferred */
        int64_t du[] = {-1, 128, 768}, sv[] = {0, -1, 12, 64}, ds[] = {4};
        int64_t want[] = {-1, 128, 12, 64};
        dn_tensor xu = tens(DN_F32, 3, du, NULL), s = tens(DN_I64, 1, ds, sv);
        const dn_tensor *in[] = {&xu, &s};
        CHECK(infer(mk(&b, "Reshape", "11", 1), in, o, &e) == 0 && shape_is(&o[0], 4, want));
        /* shape data unknown: rank known, dims not */
        dn_tensor sn = tens(DN_I64, 1, ds, NULL);
        const dn_tensor *in2[] = {&x, &sn};
        int64_t w2[] = {-1, -1, -1, -1};
        CHECK(infer(mk(&b, "Reshape", "11", 1), in2, o, &e) == 0 && shape_is(&o[0], 4, w2));
    }
    { /* Flatten axis -1 */
        node_buf fb;
        ir_node *n = mk(&fb, "Flatten", "1", 1);
        attr_i(&fb, "axis", -1);
        const dn_tensor *in[] = {&x};
        int64_t want[] = {6, 4};
        CHECK(run(n, in, o, &e) == 0 && shape_is(&o[0], 2, want) && eq_f(&o[0], seqf, 24));
        free_all(o, 1);
    }
    { /* Squeeze / Unsqueeze with int32 axes, and a squeeze error */
        int64_t d1[] = {1, 3, 1}, da[] = {1}, w1[] = {1, 3}, w2[] = {1, 3, 1, 1};
        int32_t ax[] = {-1};
        dn_tensor t = tens(DN_F32, 3, d1, seqf), a = tens(DN_I32, 1, da, ax);
        const dn_tensor *in[] = {&t, &a};
        CHECK(run(mk(&b, "Squeeze", "11", 1), in, o, &e) == 0 && shape_is(&o[0], 2, w1));
        free_all(o, 1);
        CHECK(run(mk(&b, "Unsqueeze", "11", 1), in, o, &e) == 0 && shape_is(&o[0], 4, w2));
        free_all(o, 1);
        int32_t bad[] = {1};
        dn_tensor a2 = tens(DN_I32, 1, da, bad);
        const dn_tensor *in2[] = {&t, &a2};
        CHECK(op_run_node(mk(&b, "Squeeze", "11", 1), in2, 2, o, 1, &e) == -1 &&
              strstr(e.msg, "squeeze"));
        const dn_tensor *in3[] = {&t};
        int64_t w3[] = {3};
        CHECK(run(mk(&b, "Squeeze", "1", 1), in3, o, &e) == 0 && shape_is(&o[0], 1, w3));
        free_all(o, 1);
    }
}

/* ---- Transpose, Expand, Tile, Concat, Split, Slice ---------------- */

static void test_transpose(void)
{
    node_buf b;
    dn_err e;
    dn_tensor o[1];
    { /* default perm of [2,3] */
        int64_t d[] = {2, 3}, w[] = {3, 2};
        dn_tensor x = tens(DN_F32, 2, d, seqf);
        const dn_tensor *in[] = {&x};
        float want[] = {0, 3, 1, 4, 2, 5};
        CHECK(run(mk(&b, "Transpose", "1", 1), in, o, &e) == 0 && shape_is(&o[0], 2, w) &&
              eq_f(&o[0], want, 6));
        free_all(o, 1);
    }
    { /* the tiled path, checked against the definition */
        int64_t d[] = {3, 37, 29}, perm[] = {0, 2, 1};
        dn_tensor x = tens(DN_F32, 3, d, seqf);
        const dn_tensor *in[] = {&x};
        ir_node *n = mk(&b, "Transpose", "1", 1);
        attr_ints(&b, "perm", perm, 3);
        int ok = run(n, in, o, &e) == 0;
        for (int i = 0; ok && i < 3; i++)
            for (int j = 0; j < 29; j++)
                for (int k = 0; k < 37; k++)
                    ok &= ((float *)o[0].data)[(i * 29 + j) * 37 + k] == seqf[(i * 37 + k) * 29 + j];
        CHECK(ok);
        free_all(o, 1);
        perm[1] = 0; /* [0, 0, 1]: not a permutation */
        CHECK(op_run_node(n, in, 1, o, 1, &e) == -1 && strstr(e.msg, "perm"));
    }
}

static void test_expand_tile_concat(void)
{
    node_buf b;
    dn_err e;
    dn_tensor o[3];
    { /* Expand [3,1] by [2,1,4] */
        int64_t d[] = {3, 1}, ds[] = {3}, sv[] = {2, 1, 4}, w[] = {2, 3, 4};
        float xv[] = {1, 2, 3};
        dn_tensor x = tens(DN_F32, 2, d, xv), s = tens(DN_I64, 1, ds, sv);
        const dn_tensor *in[] = {&x, &s};
        float want[24];
        for (int i = 0; i < 24; i++) want[i] = xv[(i / 4) % 3];
        CHECK(run(mk(&b, "Expand", "11", 1), in, o, &e) == 0 && shape_is(&o[0], 3, w) &&
              eq_f(&o[0], want, 24));
        free_all(o, 1);
        int64_t sb[] = {4, 1}, dbad[] = {2};
        dn_tensor s2 = tens(DN_I64, 1, dbad, sb); /* [4,1] vs [3,1] */
        const dn_tensor *in2[] = {&x, &s2};
        CHECK(op_run_node(mk(&b, "Expand", "11", 1), in2, 2, o, 1, &e) == -1 &&
              strstr(e.msg, "broadcast"));
    }
    { /* Tile [2] by [3] */
        int64_t d[] = {2}, dr[] = {1}, rv[] = {3}, w[] = {6};
        float xv[] = {1, 2}, want[] = {1, 2, 1, 2, 1, 2};
        dn_tensor x = tens(DN_F32, 1, d, xv), r = tens(DN_I64, 1, dr, rv);
        const dn_tensor *in[] = {&x, &r};
        CHECK(run(mk(&b, "Tile", "11", 1), in, o, &e) == 0 && shape_is(&o[0], 1, w) &&
              eq_f(&o[0], want, 6));
        free_all(o, 1);
    }
    { /* Concat of shape vectors, one empty */
        int64_t d1[] = {1}, d2[] = {2}, d0[] = {0}, a[] = {1}, c[] = {2, 3}, want[] = {1, 2, 3};
        dn_tensor ta = tens(DN_I64, 1, d1, a), tb = tens(DN_I64, 1, d0, a),
                  tc = tens(DN_I64, 1, d2, c);
        const dn_tensor *in[] = {&ta, &tb, &tc};
        ir_node *n = mk(&b, "Concat", "111", 1);
        attr_i(&b, "axis", 0);
        CHECK(run(n, in, o, &e) == 0 && eq_i64(&o[0], want, 3));
        free_all(o, 1);
        int64_t d22[] = {2, 2};
        dn_tensor bad = tens(DN_I64, 2, d22, c);
        const dn_tensor *in2[] = {&ta, &bad};
        n = mk(&b, "Concat", "11", 1);
        attr_i(&b, "axis", 0);
        CHECK(op_run_node(n, in2, 2, o, 1, &e) == -1 && strstr(e.msg, "rank"));
    }
    { /* Split [5] into num_outputs=2 -> 3, 2; and split sizes that do not add up */
        int64_t d[] = {5};
        float want0[] = {0, 1, 2}, want1[] = {3, 4};
        dn_tensor x = tens(DN_F32, 1, d, seqf);
        const dn_tensor *in[] = {&x};
        ir_node *n = mk(&b, "Split", "1", 2);
        attr_i(&b, "num_outputs", 2);
        CHECK(run(n, in, o, &e) == 0 && eq_f(&o[0], want0, 3) && eq_f(&o[1], want1, 2));
        free_all(o, 2);
        int64_t ds[] = {2}, sv[] = {1, 3};
        dn_tensor s = tens(DN_I64, 1, ds, sv);
        const dn_tensor *in2[] = {&x, &s};
        CHECK(op_run_node(mk(&b, "Split", "11", 2), in2, 2, o, 2, &e) == -1 &&
              strstr(e.msg, "Split"));
    }
}

static void test_slice(void)
{
    node_buf b;
    dn_err e;
    dn_tensor o[1];
    int64_t d[] = {2, 5}, d1[] = {1};
    dn_tensor x = tens(DN_F32, 2, d, seqf);
    { /* reverse the last axis: start -1, end INT64_MIN, step -1 */
        int64_t st[] = {-1}, en[] = {INT64_MIN}, ax[] = {-1}, sp[] = {-1}, w[] = {2, 5};
        dn_tensor ts = tens(DN_I64, 1, d1, st), te = tens(DN_I64, 1, d1, en),
                  ta = tens(DN_I64, 1, d1, ax), tp = tens(DN_I64, 1, d1, sp);
        const dn_tensor *in[] = {&x, &ts, &te, &ta, &tp};
        float want[] = {4, 3, 2, 1, 0, 9, 8, 7, 6, 5};
        CHECK(run(mk(&b, "Slice", "11111", 1), in, o, &e) == 0 && shape_is(&o[0], 2, w) &&
              eq_f(&o[0], want, 10));
        free_all(o, 1);
    }
    { /* int32 params, axes omitted but steps given, INT32_MAX end */
        int32_t st[] = {1, 1}, en[] = {INT32_MAX, INT32_MAX}, sp[] = {1, 2};
        int64_t d2[] = {2}, w[] = {1, 2};
        dn_tensor ts = tens(DN_I32, 1, d2, st), te = tens(DN_I32, 1, d2, en),
                  tp = tens(DN_I32, 1, d2, sp);
        const dn_tensor *in[] = {&x, &ts, &te, NULL, &tp};
        float want[] = {6, 8};
        CHECK(run(mk(&b, "Slice", "11101", 1), in, o, &e) == 0 && shape_is(&o[0], 2, w) &&
              eq_f(&o[0], want, 2));
        free_all(o, 1);
    }
    { /* step 0 is an error */
        int64_t st[] = {0}, en[] = {1}, ax[] = {0}, sp[] = {0};
        dn_tensor ts = tens(DN_I64, 1, d1, st), te = tens(DN_I64, 1, d1, en),
                  ta = tens(DN_I64, 1, d1, ax), tp = tens(DN_I64, 1, d1, sp);
        const dn_tensor *in[] = {&x, &ts, &te, &ta, &tp};
        CHECK(op_run_node(mk(&b, "Slice", "11111", 1), in, 5, o, 1, &e) == -1 &&
              strstr(e.msg, "step"));
    }
}

/* ---- Pad, DepthToSpace, Resize, Trilu ------------------------------ */

static void test_spatial(void)
{
    node_buf b;
    dn_err e;
    dn_tensor o[1];
    { /* Pad reflect 1-D [0,1,2] by (2, 1) -> [2,1,0,1,2,1] */
        int64_t d[] = {3}, dp[] = {2}, pv[] = {2, 1};
        dn_tensor x = tens(DN_F32, 1, d, seqf), p = tens(DN_I64, 1, dp, pv);
        const dn_tensor *in[] = {&x, &p};
        ir_node *n = mk(&b, "Pad", "11", 1);
        attr_s(&b, "mode", "reflect");
        float want[] = {2, 1, 0, 1, 2, 1};
        CHECK(run(n, in, o, &e) == 0 && eq_f(&o[0], want, 6));
        free_all(o, 1);
        float cv = 9;
        dn_tensor c = tens(DN_F32, 0, NULL, &cv);
        const dn_tensor *in2[] = {&x, &p, &c};
        float want2[] = {9, 9, 0, 1, 2, 9};
        CHECK(run(mk(&b, "Pad", "111", 1), in2, o, &e) == 0 && eq_f(&o[0], want2, 6));
        free_all(o, 1);
        n = mk(&b, "Pad", "11", 1);
        attr_s(&b, "mode", "mirror");
        CHECK(op_run_node(n, in, 2, o, 1, &e) == -1 && strstr(e.msg, "mirror"));
    }
    { /* DepthToSpace DCR, [1,4,1,1] -> [1,1,2,2] */
        int64_t d[] = {1, 4, 1, 1}, w[] = {1, 1, 2, 2};
        dn_tensor x = tens(DN_F32, 4, d, seqf);
        const dn_tensor *in[] = {&x};
        ir_node *n = mk(&b, "DepthToSpace", "1", 1);
        attr_i(&b, "blocksize", 2);
        CHECK(run(n, in, o, &e) == 0 && shape_is(&o[0], 4, w) && eq_f(&o[0], seqf, 4));
        free_all(o, 1);
        /* and back */
        dn_tensor y = tens(DN_F32, 4, w, seqf);
        const dn_tensor *in2[] = {&y};
        n = mk(&b, "SpaceToDepth", "1", 1);
        attr_i(&b, "blocksize", 2);
        CHECK(run(n, in2, o, &e) == 0 && shape_is(&o[0], 4, d) && eq_f(&o[0], seqf, 4));
        free_all(o, 1);
    }
    { /* Resize nearest x2 on [1,1,1,2]; linear align_corners [1,1,1,2] -> 3 wide */
        int64_t d[] = {1, 1, 1, 2}, ds[] = {4}, w[] = {1, 1, 2, 4};
        float xv[] = {1, 3}, sv[] = {1, 1, 2, 2};
        dn_tensor x = tens(DN_F32, 4, d, xv), s = tens(DN_F32, 1, ds, sv);
        const dn_tensor *in[] = {&x, NULL, &s};
        float want[] = {1, 1, 3, 3, 1, 1, 3, 3};
        CHECK(run(mk(&b, "Resize", "101", 1), in, o, &e) == 0 && shape_is(&o[0], 4, w) &&
              eq_f(&o[0], want, 8));
        free_all(o, 1);
        int64_t zv[] = {1, 1, 1, 3};
        dn_tensor z = tens(DN_I64, 1, ds, zv);
        const dn_tensor *in2[] = {&x, NULL, NULL, &z};
        ir_node *n = mk(&b, "Resize", "1001", 1);
        attr_s(&b, "mode", "linear");
        attr_s(&b, "coordinate_transformation_mode", "align_corners");
        float want2[] = {1, 2, 3};
        CHECK(run(n, in2, o, &e) == 0 && eq_f(&o[0], want2, 3));
        free_all(o, 1);
        n = mk(&b, "Resize", "101", 1);
        attr_s(&b, "mode", "cubic");
        CHECK(op_run_node(n, in, 3, o, 1, &e) == -1 && strstr(e.msg, "cubic"));
    }
    { /* Trilu lower, k = 0, on 3x3 */
        int64_t d[] = {3, 3};
        dn_tensor x = tens(DN_F32, 2, d, seqf);
        const dn_tensor *in[] = {&x};
        ir_node *n = mk(&b, "Trilu", "1", 1);
        attr_i(&b, "upper", 0);
        float want[] = {0, 0, 0, 3, 4, 0, 6, 7, 8};
        CHECK(run(n, in, o, &e) == 0 && eq_f(&o[0], want, 9));
        free_all(o, 1);
    }
}

/* ---- Gather, Scatter ------------------------------------------------ */

static void test_gather_scatter(void)
{
    node_buf b;
    dn_err e;
    dn_tensor o[1];
    int64_t d[] = {3, 2};
    dn_tensor x = tens(DN_F32, 2, d, seqf);
    { /* Gather axis 0 with a negative index; out of range is an error */
        int64_t di[] = {2}, iv[] = {-1, 0}, w[] = {2, 2};
        dn_tensor i = tens(DN_I64, 1, di, iv);
        const dn_tensor *in[] = {&x, &i};
        float want[] = {4, 5, 0, 1};
        CHECK(run(mk(&b, "Gather", "11", 1), in, o, &e) == 0 && shape_is(&o[0], 2, w) &&
              eq_f(&o[0], want, 4));
        free_all(o, 1);
        int32_t bad[] = {3, 0};
        dn_tensor ib = tens(DN_I32, 1, di, bad);
        const dn_tensor *in2[] = {&x, &ib};
        CHECK(op_run_node(mk(&b, "Gather", "11", 1), in2, 2, o, 1, &e) == -1 &&
              strstr(e.msg, "out of range"));
    }
    { /* GatherElements axis 1; GatherND with tuples */
        int64_t di[] = {3, 1}, iv[] = {1, 0, -1};
        dn_tensor i = tens(DN_I64, 2, di, iv);
        const dn_tensor *in[] = {&x, &i};
        ir_node *n = mk(&b, "GatherElements", "11", 1);
        attr_i(&b, "axis", 1);
        float want[] = {1, 2, 5};
        CHECK(run(n, in, o, &e) == 0 && eq_f(&o[0], want, 3));
        free_all(o, 1);
        int64_t dn[] = {2, 2}, nv[] = {2, 0, 0, 1};
        dn_tensor t = tens(DN_I64, 2, dn, nv);
        const dn_tensor *in2[] = {&x, &t};
        float want2[] = {4, 1};
        CHECK(run(mk(&b, "GatherND", "11", 1), in2, o, &e) == 0 && eq_f(&o[0], want2, 2));
        free_all(o, 1);
    }
    { /* ScatterND add with a repeated index; ScatterElements */
        int64_t di[] = {2, 1}, iv[] = {1, 1}, du[] = {2, 2};
        float uv[] = {10, 20, 30, 40};
        dn_tensor i = tens(DN_I64, 2, di, iv), u = tens(DN_F32, 2, du, uv);
        const dn_tensor *in[] = {&x, &i, &u};
        ir_node *n = mk(&b, "ScatterND", "111", 1);
        attr_s(&b, "reduction", "add");
        float want[] = {0, 1, 42, 63, 4, 5};
        CHECK(run(n, in, o, &e) == 0 && eq_f(&o[0], want, 6));
        free_all(o, 1);
        int64_t dbu[] = {3, 2};
        dn_tensor ub = tens(DN_F32, 2, dbu, uv);
        const dn_tensor *in2[] = {&x, &i, &ub};
        CHECK(op_run_node(mk(&b, "ScatterND", "111", 1), in2, 3, o, 1, &e) == -1 &&
              strstr(e.msg, "updates"));
        int64_t de[] = {1, 2}, ev[] = {2, 0};
        dn_tensor ie = tens(DN_I64, 2, de, ev), ue = tens(DN_F32, 2, de, uv);
        const dn_tensor *in3[] = {&x, &ie, &ue};
        float want3[] = {0, 20, 2, 3, 10, 5};
        CHECK(run(mk(&b, "ScatterElements", "111", 1), in3, o, &e) == 0 && eq_f(&o[0], want3, 6));
        free_all(o, 1);
    }
}

/* ---- Shape, Size, Range, ConstantOfShape, Constant ----------------- */

static void test_shape_ops(void)
{
    node_buf b;
    dn_err e;
    dn_tensor o[1];
    int64_t d[] = {2, 3, 4};
    dn_tensor x = tens(DN_F32, 3, d, NULL); /* contents unknown */
    const dn_tensor *in[] = {&x};
    { /* Shape sets its data in infer, from the shape alone */
        CHECK(infer(mk(&b, "Shape", "1", 1), in, o, &e) == 0 && o[0].data && eq_i64(&o[0], d, 3));
        free_all(o, 1);
        ir_node *n = mk(&b, "Shape", "1", 1);
        attr_i(&b, "start", -2);
        attr_i(&b, "end", 10);
        CHECK(infer(n, in, o, &e) == 0 && o[0].data && eq_i64(&o[0], d + 1, 2));
        free_all(o, 1);
        int64_t du[] = {-1, 3};
        dn_tensor xu = tens(DN_F32, 2, du, NULL);
        const dn_tensor *inu[] = {&xu};
        int64_t w[] = {2};
        CHECK(infer(mk(&b, "Shape", "1", 1), inu, o, &e) == 0 && !o[0].data &&
              shape_is(&o[0], 1, w));
        n = mk(&b, "Shape", "1", 1);
        attr_i(&b, "start", 1);
        CHECK(infer(n, inu, o, &e) == 0 && o[0].data && eq_i64(&o[0], du + 1, 1));
        free_all(o, 1);
        int64_t want = 24;
        CHECK(infer(mk(&b, "Size", "1", 1), in, o, &e) == 0 && o[0].data &&
              eq_i64(&o[0], &want, 1) && o[0].shape.rank == 0);
        free_all(o, 1);
        /* and through op_run_node, where infer's data is the result */
        dn_tensor xd = tens(DN_F32, 3, d, seqf);
        const dn_tensor *ind[] = {&xd};
        CHECK(run(mk(&b, "Shape", "1", 1), ind, o, &e) == 0 && eq_i64(&o[0], d, 3));
        free_all(o, 1);
    }
    { /* Range on int32 scalars; unknown length when not constant */
        int32_t s = 0, l = 10, dl = 3, want[] = {0, 3, 6, 9};
        dn_tensor ts = tens(DN_I32, 0, NULL, &s), tl = tens(DN_I32, 0, NULL, &l),
                  td = tens(DN_I32, 0, NULL, &dl);
        const dn_tensor *ri[] = {&ts, &tl, &td};
        CHECK(run(mk(&b, "Range", "111", 1), ri, o, &e) == 0 && eq_i32(&o[0], want, 4));
        free_all(o, 1);
        dn_tensor tu = tens(DN_I32, 0, NULL, NULL);
        const dn_tensor *ru[] = {&ts, &tu, &td};
        int64_t w[] = {-1};
        CHECK(infer(mk(&b, "Range", "111", 1), ru, o, &e) == 0 && shape_is(&o[0], 1, w));
        int32_t z = 0;
        dn_tensor tz = tens(DN_I32, 0, NULL, &z);
        const dn_tensor *rz[] = {&ts, &tl, &tz};
        CHECK(op_run_node(mk(&b, "Range", "111", 1), rz, 3, o, 1, &e) == -1 &&
              strstr(e.msg, "delta"));
        float fs = 1, fl = 2, fd = 0.25f, fw[] = {1, 1.25f, 1.5f, 1.75f};
        dn_tensor fa = tens(DN_F32, 0, NULL, &fs), fb = tens(DN_F32, 0, NULL, &fl),
                  fc = tens(DN_F32, 0, NULL, &fd);
        const dn_tensor *rf[] = {&fa, &fb, &fc};
        CHECK(run(mk(&b, "Range", "111", 1), rf, o, &e) == 0 && eq_f(&o[0], fw, 4));
        free_all(o, 1);
    }
    { /* ConstantOfShape from an int32 shape, i64 value */
        int32_t sv[] = {2, 2};
        int64_t ds[] = {2}, one = 1, val = 5, want[] = {5, 5, 5, 5};
        dn_tensor s = tens(DN_I32, 1, ds, sv);
        const dn_tensor *ci[] = {&s};
        ir_node *n = mk(&b, "ConstantOfShape", "1", 1);
        ir_attr *a = attr(&b, "value", IR_ATTR_TENSOR);
        a->t = tens(DN_I64, 1, &one, &val);
        CHECK(run(n, ci, o, &e) == 0 && eq_i64(&o[0], want, 4));
        free_all(o, 1);
        n = mk(&b, "ConstantOfShape", "1", 1);
        float fw[4] = {0};
        CHECK(run(n, ci, o, &e) == 0 && eq_f(&o[0], fw, 4));
        free_all(o, 1);
    }
    { /* Constant value_ints; a Constant without value is an error */
        int64_t v[] = {4, 5, 6};
        ir_node *n = mk(&b, "Constant", "", 1);
        attr_ints(&b, "value_ints", v, 3);
        CHECK(run(n, NULL, o, &e) == 0 && eq_i64(&o[0], v, 3));
        free_all(o, 1);
        CHECK(op_run_node(mk(&b, "Constant", "", 1), NULL, 0, o, 1, &e) == -1);
    }
}

/* ---- NonZero, OneHot, EyeLike, TopK, CumSum ------------------------- */

static void test_misc(void)
{
    node_buf b;
    dn_err e;
    dn_tensor o[2];
    { /* NonZero: [2,-1] without data, exact with it */
        int64_t d[] = {2, 3}, w[] = {2, -1}, want[] = {0, 1, 1, 2, 0, 2};
        float xv[] = {0, 0, 1, 2, -0.0f, 3};
        dn_tensor xu = tens(DN_F32, 2, d, NULL), x = tens(DN_F32, 2, d, xv);
        const dn_tensor *inu[] = {&xu}, *in[] = {&x};
        CHECK(infer(mk(&b, "NonZero", "1", 1), inu, o, &e) == 0 && shape_is(&o[0], 2, w));
        int64_t ws[] = {2, 3};
        CHECK(run(mk(&b, "NonZero", "1", 1), in, o, &e) == 0 && shape_is(&o[0], 2, ws) &&
              eq_i64(&o[0], want, 6));
        free_all(o, 1);
    }
    { /* OneHot axis -1 with a negative index and an out-of-range one */
        int64_t di[] = {3}, iv[] = {-1, 0, 7}, depth = 3, dv[] = {2};
        float vv[] = {0, 1};
        dn_tensor i = tens(DN_I64, 1, di, iv), dp = tens(DN_I64, 0, NULL, &depth),
                  v = tens(DN_F32, 1, dv, vv);
        const dn_tensor *in[] = {&i, &dp, &v};
        float want[] = {0, 0, 1, 1, 0, 0, 0, 0, 0};
        CHECK(run(mk(&b, "OneHot", "111", 1), in, o, &e) == 0 && eq_f(&o[0], want, 9));
        free_all(o, 1);
    }
    { /* EyeLike k=1 as int32 */
        int64_t d[] = {2, 3};
        dn_tensor x = tens(DN_F32, 2, d, seqf);
        const dn_tensor *in[] = {&x};
        ir_node *n = mk(&b, "EyeLike", "1", 1);
        attr_i(&b, "k", 1);
        attr_i(&b, "dtype", DN_I32);
        int32_t want[] = {0, 1, 0, 0, 0, 1};
        CHECK(run(n, in, o, &e) == 0 && eq_i32(&o[0], want, 6));
        free_all(o, 1);
    }
    { /* TopK: ties go to the lower index; K too large is an error */
        int64_t d[] = {6}, dk[] = {1}, k = 3, ik[] = {1, 2, 4};
        float xv[] = {1, 3, 3, 2, 3, 1}, want[] = {3, 3, 3};
        dn_tensor x = tens(DN_F32, 1, d, xv), tk = tens(DN_I64, 1, dk, &k);
        const dn_tensor *in[] = {&x, &tk};
        CHECK(run(mk(&b, "TopK", "11", 2), in, o, &e) == 0 && eq_f(&o[0], want, 3) &&
              eq_i64(&o[1], ik, 3));
        free_all(o, 2);
        ir_node *n = mk(&b, "TopK", "11", 2);
        attr_i(&b, "largest", 0);
        float ws[] = {1, 1, 2};
        int64_t is[] = {0, 5, 3};
        CHECK(run(n, in, o, &e) == 0 && eq_f(&o[0], ws, 3) && eq_i64(&o[1], is, 3));
        free_all(o, 2);
        int64_t big = 7;
        dn_tensor tb = tens(DN_I64, 1, dk, &big);
        const dn_tensor *in2[] = {&x, &tb};
        CHECK(op_run_node(mk(&b, "TopK", "11", 2), in2, 2, o, 2, &e) == -1 &&
              strstr(e.msg, "exceeds"));
    }
    { /* CumSum exclusive + reverse along axis 0 of [3] */
        int64_t d[] = {3}, ax = 0;
        float xv[] = {1, 2, 4}, want[] = {6, 4, 0};
        dn_tensor x = tens(DN_F32, 1, d, xv), a = tens(DN_I64, 0, NULL, &ax);
        const dn_tensor *in[] = {&x, &a};
        ir_node *n = mk(&b, "CumSum", "11", 1);
        attr_i(&b, "exclusive", 1);
        attr_i(&b, "reverse", 1);
        CHECK(run(n, in, o, &e) == 0 && eq_f(&o[0], want, 3));
        free_all(o, 1);
    }
}

int main(void)
{
    for (int i = 0; i < 4096; i++) seqf[i] = (float)i;
    test_reshape();
    test_transpose();
    test_expand_tile_concat();
    test_slice();
    test_spatial();
    test_gather_scatter();
    test_shape_ops();
    test_misc();
    return DONE();
}
