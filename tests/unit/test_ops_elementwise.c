/* test_ops_elementwise.c -- hand-computed checks of the elementwise and
 * reduce families (op_elementwise.c, op_unary.c, op_reduce.c,
 * op_reduce_norm.c), driven through op_run_node on hand-built nodes.
 * The last line printed is "N passed, N failed"; exit status 1 on failure. */
#include "engine.h"
#include "nodes.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int passed, failed;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (cond)                                                                                  \
            passed++;                                                                              \
        else {                                                                                     \
            failed++;                                                                              \
            printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);                                 \
        }                                                                                          \
    } while (0)

/* ---- building nodes and tensors ---------------------------------- */

static int run(ir_node *n, const dn_tensor *const *in, dn_tensor *out, dn_err *e)
{
    e->msg[0] = 0;
    int r = op_run_node(n, in, n->nin, out, n->nout, e);
    if (r) printf("  (%s: %s)\n", n->op, e->msg);
    return r;
}

static int near(double a, double b, double tol)
{
    return a == b || fabs(a - b) <= tol * (1 + fabs(b));
}

static int allnear_f(const dn_tensor *t, const float *want, int64_t k, double tol)
{
    if (t->dtype != DN_F32 || dn_shape_numel(&t->shape) != k) return 0;
    const float *v = t->data;
    for (int64_t i = 0; i < k; i++)
        if (!(near(v[i], want[i], tol) || (isnan(v[i]) && isnan(want[i])))) {
            printf("  [%lld] got %.9g want %.9g\n", (long long)i, v[i], want[i]);
            return 0;
        }
    return 1;
}

static int alleq_i64(const dn_tensor *t, const int64_t *want, int64_t k)
{
    if (t->dtype != DN_I64 || dn_shape_numel(&t->shape) != k) return 0;
    return memcmp(t->data, want, (size_t)k * 8) == 0;
}

static int alleq_u8(const dn_tensor *t, int dtype, const uint8_t *want, int64_t k)
{
    if (t->dtype != dtype || dn_shape_numel(&t->shape) != k) return 0;
    return memcmp(t->data, want, (size_t)k) == 0;
}

static int shape_is(const dn_tensor *t, int rank, const int64_t *d)
{
    dn_shape s = dn_shape_make(rank, d);
    return dn_shape_eq(&t->shape, &s);
}

static void free_all(dn_tensor *o, int k)
{
    for (int i = 0; i < k; i++)
        dn_tensor_free(&o[i]);
}

/* ---- binary, variadic, Where ------------------------------------- */

static void test_binary(void)
{
    node_buf b;
    dn_err e;
    dn_tensor o[2];

    { /* [2,3] + [3] */
        int64_t da[] = {2, 3}, db[] = {3};
        float a[] = {1, 2, 3, 4, 5, 6}, bb[] = {10, 20, 30};
        dn_tensor ta = tens(DN_F32, 2, da, a), tb = tens(DN_F32, 1, db, bb);
        const dn_tensor *in[] = {&ta, &tb};
        float want[] = {11, 22, 33, 14, 25, 36};
        CHECK(run(mk(&b, "Add", "11", 1), in, o, &e) == 0 && allnear_f(&o[0], want, 6, 0) &&
              shape_is(&o[0], 2, da));
        free_all(o, 1);
        /* b - a: the broadcast operand first */
        const dn_tensor *in2[] = {&tb, &ta};
        float want2[] = {9, 18, 27, 6, 15, 24};
        CHECK(run(mk(&b, "Sub", "11", 1), in2, o, &e) == 0 && allnear_f(&o[0], want2, 6, 0));
        free_all(o, 1);
    }
    { /* [1,2,2,2] * [1,2,1,1] */
        int64_t da[] = {1, 2, 2, 2}, db[] = {1, 2, 1, 1};
        float a[] = {1, 2, 3, 4, 5, 6, 7, 8}, bb[] = {2, -1};
        dn_tensor ta = tens(DN_F32, 4, da, a), tb = tens(DN_F32, 4, db, bb);
        const dn_tensor *in[] = {&ta, &tb};
        float want[] = {2, 4, 6, 8, -5, -6, -7, -8};
        CHECK(run(mk(&b, "Mul", "11", 1), in, o, &e) == 0 && allnear_f(&o[0], want, 8, 0));
        free_all(o, 1);
    }
    { /* [2,1] + [1,3]: both sides broadcast; rank-0 scalar * [2] */
        int64_t da[] = {2, 1}, db[] = {1, 3};
        float a[] = {1, 2}, bb[] = {10, 20, 30};
        dn_tensor ta = tens(DN_F32, 2, da, a), tb = tens(DN_F32, 2, db, bb);
        const dn_tensor *in[] = {&ta, &tb};
        float want[] = {11, 21, 31, 12, 22, 32};
        int64_t dw[] = {2, 3};
        CHECK(run(mk(&b, "Add", "11", 1), in, o, &e) == 0 && allnear_f(&o[0], want, 6, 0) &&
              shape_is(&o[0], 2, dw));
        free_all(o, 1);
        float s = 3;
        dn_tensor ts = tens(DN_F32, 0, NULL, &s), tv = tens(DN_F32, 1, db + 1, bb);
        const dn_tensor *in2[] = {&ts, &tv};
        float want2[] = {30, 60, 90};
        CHECK(run(mk(&b, "Mul", "11", 1), in2, o, &e) == 0 && allnear_f(&o[0], want2, 3, 0));
        free_all(o, 1);
    }
    { /* incompatible broadcast */
        int64_t da[] = {2, 3}, db[] = {4};
        float a[6] = {0}, bb[4] = {0};
        dn_tensor ta = tens(DN_F32, 2, da, a), tb = tens(DN_F32, 1, db, bb);
        const dn_tensor *in[] = {&ta, &tb};
        e.msg[0] = 0;
        CHECK(op_run_node(mk(&b, "Add", "11", 1), in, 2, o, 1, &e) == -1 && e.msg[0] != 0 &&
              o[0].data == NULL);
    }
    { /* dtype mismatch, and Mod on floats without fmod=1 */
        int64_t d[] = {2};
        float a[2] = {1, 2};
        int64_t bi[2] = {1, 2};
        dn_tensor ta = tens(DN_F32, 1, d, a), tb = tens(DN_I64, 1, d, bi);
        const dn_tensor *in[] = {&ta, &tb}, *in2[] = {&ta, &ta};
        CHECK(op_run_node(mk(&b, "Add", "11", 1), in, 2, o, 1, &e) == -1);
        CHECK(op_run_node(mk(&b, "Mod", "11", 1), in2, 2, o, 1, &e) == -1 && strstr(e.msg, "fmod"));
    }
    { /* integer Div truncates, Mod follows the divisor's sign, fmod=1 the dividend's */
        int64_t d[] = {4};
        int64_t a[] = {5, -5, 5, -5}, bb[] = {3, 3, -3, -3};
        dn_tensor ta = tens(DN_I64, 1, d, a), tb = tens(DN_I64, 1, d, bb);
        const dn_tensor *in[] = {&ta, &tb};
        int64_t wdiv[] = {1, -1, -1, 1}, wmod[] = {2, 1, -1, -2}, wfmod[] = {2, -2, 2, -2};
        CHECK(run(mk(&b, "Div", "11", 1), in, o, &e) == 0 && alleq_i64(&o[0], wdiv, 4));
        free_all(o, 1);
        CHECK(run(mk(&b, "Mod", "11", 1), in, o, &e) == 0 && alleq_i64(&o[0], wmod, 4));
        free_all(o, 1);
        mk(&b, "Mod", "11", 1);
        attr_i(&b, "fmod", 1);
        CHECK(run(&b.n, in, o, &e) == 0 && alleq_i64(&o[0], wfmod, 4));
        free_all(o, 1);
    }
    { /* i32 arithmetic; f32 ** i64 */
        int64_t d[] = {3};
        int32_t a[] = {7, -7, 100}, bb[] = {2, 2, 7};
        dn_tensor ta = tens(DN_I32, 1, d, a), tb = tens(DN_I32, 1, d, bb);
        const dn_tensor *in[] = {&ta, &tb};
        CHECK(run(mk(&b, "Div", "11", 1), in, o, &e) == 0 && o[0].dtype == DN_I32 &&
              ((int32_t *)o[0].data)[0] == 3 && ((int32_t *)o[0].data)[1] == -3 &&
              ((int32_t *)o[0].data)[2] == 14);
        free_all(o, 1);
        float x[] = {2, 3, -2};
        int64_t p[] = {3, -1, 2};
        dn_tensor tx = tens(DN_F32, 1, d, x), tp = tens(DN_I64, 1, d, p);
        const dn_tensor *in2[] = {&tx, &tp};
        float want[] = {8, 1.0f / 3, 4};
        CHECK(run(mk(&b, "Pow", "11", 1), in2, o, &e) == 0 && allnear_f(&o[0], want, 3, 1e-6));
        free_all(o, 1);
    }
    { /* comparisons and logic give bool */
        int64_t d[] = {3};
        float a[] = {1, 2, 3}, bb[] = {2, 2, 2};
        dn_tensor ta = tens(DN_F32, 1, d, a), tb = tens(DN_F32, 1, d, bb);
        const dn_tensor *in[] = {&ta, &tb};
        uint8_t wl[] = {1, 0, 0}, wge[] = {0, 1, 1}, weq[] = {0, 1, 0};
        CHECK(run(mk(&b, "Less", "11", 1), in, o, &e) == 0 && alleq_u8(&o[0], DN_BOOL, wl, 3));
        free_all(o, 1);
        CHECK(run(mk(&b, "GreaterOrEqual", "11", 1), in, o, &e) == 0 &&
              alleq_u8(&o[0], DN_BOOL, wge, 3));
        free_all(o, 1);
        int64_t ia[] = {1, 2, 3}, ib[] = {2};
        int64_t d1[] = {1};
        dn_tensor tia = tens(DN_I64, 1, d, ia), tib = tens(DN_I64, 1, d1, ib);
        const dn_tensor *in2[] = {&tia, &tib};
        CHECK(run(mk(&b, "Equal", "11", 1), in2, o, &e) == 0 && alleq_u8(&o[0], DN_BOOL, weq, 3));
        free_all(o, 1);
        uint8_t x[] = {1, 1, 0}, y[] = {1, 0, 0}, wand[] = {1, 0, 0}, wxor[] = {0, 1, 0};
        dn_tensor tx = tens(DN_BOOL, 1, d, x), ty = tens(DN_BOOL, 1, d, y);
        const dn_tensor *in3[] = {&tx, &ty};
        CHECK(run(mk(&b, "And", "11", 1), in3, o, &e) == 0 && alleq_u8(&o[0], DN_BOOL, wand, 3));
        free_all(o, 1);
        CHECK(run(mk(&b, "Xor", "11", 1), in3, o, &e) == 0 && alleq_u8(&o[0], DN_BOOL, wxor, 3));
        free_all(o, 1);
        CHECK(op_run_node(mk(&b, "And", "11", 1), in, 2, o, 1, &e) == -1); /* floats */
    }
    { /* variadic: Sum of three with broadcasting, Mean, Max with NaN, single input */
        int64_t d2[] = {2, 2}, d1[] = {2}, d0[] = {1};
        float a[] = {1, 2, 3, 4}, bb[] = {10, 20}, c[] = {100};
        dn_tensor ta = tens(DN_F32, 2, d2, a), tb = tens(DN_F32, 1, d1, bb),
                  tc = tens(DN_F32, 1, d0, c);
        const dn_tensor *in[] = {&tc, &tb, &ta};
        float ws[] = {111, 122, 113, 124}, wm[] = {37, 122.0f / 3, 113.0f / 3, 124.0f / 3};
        CHECK(run(mk(&b, "Sum", "111", 1), in, o, &e) == 0 && allnear_f(&o[0], ws, 4, 1e-6) &&
              shape_is(&o[0], 2, d2));
        free_all(o, 1);
        CHECK(run(mk(&b, "Mean", "111", 1), in, o, &e) == 0 && allnear_f(&o[0], wm, 4, 1e-6));
        free_all(o, 1);
        float n1[] = {NAN, 1}, n2[] = {1, 5};
        dn_tensor t1 = tens(DN_F32, 1, d1, n1), t2 = tens(DN_F32, 1, d1, n2);
        const dn_tensor *in2[] = {&t1, &t2};
        float wmax[] = {NAN, 5};
        CHECK(run(mk(&b, "Max", "11", 1), in2, o, &e) == 0 && allnear_f(&o[0], wmax, 2, 0));
        free_all(o, 1);
        const dn_tensor *in3[] = {&ta};
        CHECK(run(mk(&b, "Min", "1", 1), in3, o, &e) == 0 && allnear_f(&o[0], a, 4, 0));
        free_all(o, 1);
    }
    { /* Where: cond [2,1], X [1,3], Y scalar */
        int64_t dc[] = {2, 1}, dx[] = {1, 3};
        uint8_t c[] = {1, 0};
        float x[] = {1, 2, 3}, y = -1;
        dn_tensor tc = tens(DN_BOOL, 2, dc, c), tx = tens(DN_F32, 2, dx, x),
                  ty = tens(DN_F32, 0, NULL, &y);
        const dn_tensor *in[] = {&tc, &tx, &ty};
        float want[] = {1, 2, 3, -1, -1, -1};
        CHECK(run(mk(&b, "Where", "111", 1), in, o, &e) == 0 && allnear_f(&o[0], want, 6, 0));
        free_all(o, 1);
        int64_t xi[] = {7, 8, 9}, yi = 0;
        dn_tensor txi = tens(DN_I64, 2, dx, xi), tyi = tens(DN_I64, 0, NULL, &yi);
        const dn_tensor *in2[] = {&tc, &txi, &tyi};
        int64_t wi[] = {7, 8, 9, 0, 0, 0};
        CHECK(run(mk(&b, "Where", "111", 1), in2, o, &e) == 0 && alleq_i64(&o[0], wi, 6));
        free_all(o, 1);
        const dn_tensor *in3[] = {&tc, &tx, &tyi}; /* X and Y dtypes differ */
        CHECK(op_run_node(mk(&b, "Where", "111", 1), in3, 3, o, 1, &e) == -1);
    }
    { /* an empty dim */
        int64_t d[] = {0, 3}, d1[] = {3};
        float a[1] = {0}, bb[] = {1, 2, 3};
        dn_tensor ta = tens(DN_F32, 2, d, a), tb = tens(DN_F32, 1, d1, bb);
        const dn_tensor *in[] = {&ta, &tb};
        CHECK(run(mk(&b, "Add", "11", 1), in, o, &e) == 0 && shape_is(&o[0], 2, d));
        free_all(o, 1);
    }
}

/* ---- unary, Cast, Clip, Dropout ---------------------------------- */

static void test_unary(void)
{
    node_buf b;
    dn_err e;
    dn_tensor o[2];
    int64_t d5[] = {5};
    float x[] = {-2, -0.5f, 0, 0.5f, 2.5f};
    dn_tensor tx = tens(DN_F32, 1, d5, x);
    const dn_tensor *in[] = {&tx};

    float wrelu[] = {0, 0, 0, 0.5f, 2.5f};
    CHECK(run(mk(&b, "Relu", "1", 1), in, o, &e) == 0 && allnear_f(&o[0], wrelu, 5, 0));
    free_all(o, 1);
    float wround[] = {-2, -0.0f, 0, 0, 2};
    CHECK(run(mk(&b, "Round", "1", 1), in, o, &e) == 0 && allnear_f(&o[0], wround, 5, 0));
    free_all(o, 1);
    float wsig[5];
    for (int i = 0; i < 5; i++)
        wsig[i] = (float)(1 / (1 + exp(-x[i])));
    CHECK(run(mk(&b, "Sigmoid", "1", 1), in, o, &e) == 0 && allnear_f(&o[0], wsig, 5, 1e-7));
    free_all(o, 1);
    float wleaky[] = {-0.2f, -0.05f, 0, 0.5f, 2.5f};
    mk(&b, "LeakyRelu", "1", 1);
    attr_f(&b, "alpha", 0.1f);
    CHECK(run(&b.n, in, o, &e) == 0 && allnear_f(&o[0], wleaky, 5, 1e-7));
    free_all(o, 1);
    float wgelu[5], wgelut[5];
    for (int i = 0; i < 5; i++) {
        wgelu[i] = (float)(0.5 * x[i] * (1 + erf(x[i] / sqrt(2.0))));
        wgelut[i] =
            (float)(0.5 * x[i] * (1 + tanh(0.7978845608028654 * (x[i] + 0.044715 * pow(x[i], 3)))));
    }
    CHECK(run(mk(&b, "Gelu", "1", 1), in, o, &e) == 0 && allnear_f(&o[0], wgelu, 5, 1e-6));
    free_all(o, 1);
    mk(&b, "Gelu", "1", 1);
    attr_s(&b, "approximate", "tanh");
    CHECK(run(&b.n, in, o, &e) == 0 && allnear_f(&o[0], wgelut, 5, 1e-6));
    free_all(o, 1);
    mk(&b, "Gelu", "1", 1);
    attr_s(&b, "approximate", "fast");
    CHECK(op_run_node(&b.n, in, 1, o, 1, &e) == -1);
    float whsw[] = {-2 * (1.0f / 6 * -2 + 0.5f), -0.5f * (0.5f - 0.5f / 6), 0,
                    0.5f * (0.5f + 0.5f / 6), 2.5f * (0.5f + 2.5f / 6)};
    CHECK(run(mk(&b, "HardSwish", "1", 1), in, o, &e) == 0 && allnear_f(&o[0], whsw, 5, 1e-6));
    free_all(o, 1);

    { /* IsInf with detect_negative=0, IsNaN, Not, Abs on i32, Sign */
        float y[] = {-INFINITY, INFINITY, NAN, 1};
        int64_t d4[] = {4};
        dn_tensor ty = tens(DN_F32, 1, d4, y);
        const dn_tensor *in2[] = {&ty};
        uint8_t winf[] = {0, 1, 0, 0}, wnan[] = {0, 0, 1, 0};
        mk(&b, "IsInf", "1", 1);
        attr_i(&b, "detect_negative", 0);
        CHECK(run(&b.n, in2, o, &e) == 0 && alleq_u8(&o[0], DN_BOOL, winf, 4));
        free_all(o, 1);
        CHECK(run(mk(&b, "IsNaN", "1", 1), in2, o, &e) == 0 && alleq_u8(&o[0], DN_BOOL, wnan, 4));
        free_all(o, 1);
        uint8_t bo[] = {1, 0, 0, 1}, wnot[] = {0, 1, 1, 0};
        dn_tensor tb = tens(DN_BOOL, 1, d4, bo);
        const dn_tensor *in3[] = {&tb};
        CHECK(run(mk(&b, "Not", "1", 1), in3, o, &e) == 0 && alleq_u8(&o[0], DN_BOOL, wnot, 4));
        free_all(o, 1);
        int32_t iv[] = {-3, 0, 4, -7};
        dn_tensor ti = tens(DN_I32, 1, d4, iv);
        const dn_tensor *in4[] = {&ti};
        CHECK(run(mk(&b, "Abs", "1", 1), in4, o, &e) == 0 && ((int32_t *)o[0].data)[0] == 3 &&
              ((int32_t *)o[0].data)[3] == 7);
        free_all(o, 1);
        CHECK(run(mk(&b, "Sign", "1", 1), in4, o, &e) == 0 && ((int32_t *)o[0].data)[0] == -1 &&
              ((int32_t *)o[0].data)[1] == 0 && ((int32_t *)o[0].data)[2] == 1);
        free_all(o, 1);
        CHECK(op_run_node(mk(&b, "Exp", "1", 1), in4, 1, o, 1, &e) == -1); /* ints */
    }
    { /* Cast */
        float c[] = {2.7f, -2.7f, NAN, 1e10f, 0};
        dn_tensor tc = tens(DN_F32, 1, d5, c);
        const dn_tensor *inc[] = {&tc};
        mk(&b, "Cast", "1", 1);
        attr_i(&b, "to", DN_I32);
        CHECK(run(&b.n, inc, o, &e) == 0 && o[0].dtype == DN_I32);
        if (o[0].data) {
            int32_t *v = o[0].data;
            CHECK(v[0] == 2 && v[1] == -2 && v[2] == INT32_MIN && v[3] == INT32_MIN && v[4] == 0);
        }
        free_all(o, 1);
        uint8_t wb[] = {1, 1, 1, 1, 0};
        mk(&b, "Cast", "1", 1);
        attr_i(&b, "to", DN_BOOL);
        CHECK(run(&b.n, inc, o, &e) == 0 && alleq_u8(&o[0], DN_BOOL, wb, 5));
        free_all(o, 1);
        /* f32 -> f16 -> f32 rounds to half precision */
        float h[] = {1.0f, 0.1f, -65504.0f, 1e-7f, 70000.0f};
        dn_tensor th = tens(DN_F32, 1, d5, h);
        const dn_tensor *inh[] = {&th};
        mk(&b, "Cast", "1", 1);
        attr_i(&b, "to", DN_F16);
        CHECK(run(&b.n, inh, o, &e) == 0 && o[0].dtype == DN_F16);
        if (o[0].data) {
            uint16_t *v = o[0].data;
            CHECK(v[0] == 0x3c00 && v[1] == 0x2e66 && v[2] == 0xfbff && v[3] == 0x0002 &&
                  v[4] == 0x7c00);
            const dn_tensor *inb[] = {&o[0]};
            dn_tensor o2[1];
            mk(&b, "Cast", "1", 1);
            attr_i(&b, "to", DN_F32);
            float w[] = {1.0f, 0.0999755859375f, -65504.0f, 1.1920928955078125e-07f, INFINITY};
            CHECK(run(&b.n, inb, o2, &e) == 0 && allnear_f(&o2[0], w, 5, 0));
            free_all(o2, 1);
        }
        free_all(o, 1);
        /* i64 -> f32, CastLike */
        int64_t iv[] = {1, -2, 3};
        int64_t d3[] = {3};
        float like = 0;
        dn_tensor ti = tens(DN_I64, 1, d3, iv), tl = tens(DN_F32, 0, NULL, &like);
        const dn_tensor *inl[] = {&ti, &tl};
        float wl[] = {1, -2, 3};
        CHECK(run(mk(&b, "CastLike", "11", 1), inl, o, &e) == 0 && allnear_f(&o[0], wl, 3, 0));
        free_all(o, 1);
        mk(&b, "Cast", "1", 1); /* no 'to' */
        CHECK(op_run_node(&b.n, inc, 1, o, 1, &e) == -1);
    }
    { /* Clip with min left out; with both; ints */
        float mx = 1;
        dn_tensor tmax = tens(DN_F32, 0, NULL, &mx);
        const dn_tensor *inc[] = {&tx, NULL, &tmax};
        float w[] = {-2, -0.5f, 0, 0.5f, 1};
        CHECK(run(mk(&b, "Clip", "101", 1), inc, o, &e) == 0 && allnear_f(&o[0], w, 5, 0));
        free_all(o, 1);
        float mn = 0;
        dn_tensor tmin = tens(DN_F32, 0, NULL, &mn);
        const dn_tensor *inc2[] = {&tx, &tmin, &tmax};
        float w2[] = {0, 0, 0, 0.5f, 1};
        CHECK(run(mk(&b, "Clip", "111", 1), inc2, o, &e) == 0 && allnear_f(&o[0], w2, 5, 0));
        free_all(o, 1);
        int64_t iv[] = {-5, 3, 9}, d3[] = {3}, imn = 0;
        dn_tensor ti = tens(DN_I64, 1, d3, iv), timn = tens(DN_I64, 0, NULL, &imn);
        const dn_tensor *inc3[] = {&ti, &timn};
        int64_t wi[] = {0, 3, 9};
        CHECK(run(mk(&b, "Clip", "11", 1), inc3, o, &e) == 0 && alleq_i64(&o[0], wi, 3));
        free_all(o, 1);
    }
    { /* Dropout: identity, mask all true; training_mode=true refused; Identity */
        CHECK(run(mk(&b, "Dropout", "1", 2), in, o, &e) == 0 && allnear_f(&o[0], x, 5, 0) &&
              o[1].dtype == DN_BOOL && ((uint8_t *)o[1].data)[4] == 1);
        free_all(o, 2);
        uint8_t tr = 1;
        dn_tensor ttr = tens(DN_BOOL, 0, NULL, &tr);
        const dn_tensor *ind[] = {&tx, NULL, &ttr};
        CHECK(op_run_node(mk(&b, "Dropout", "101", 1), ind, 3, o, 1, &e) == -1);
        CHECK(run(mk(&b, "Identity", "1", 1), in, o, &e) == 0 && allnear_f(&o[0], x, 5, 0));
        free_all(o, 1);
    }
}

/* ---- reductions --------------------------------------------------- */

static void test_reduce(void)
{
    node_buf b;
    dn_err e;
    dn_tensor o[3];
    int64_t d[] = {2, 3};
    float x[] = {1, 2, 3, 4, 5, 6};
    dn_tensor tx = tens(DN_F32, 2, d, x);

    { /* axes as input, keepdims=0 */
        int64_t ax[] = {0}, dax[] = {1};
        dn_tensor tax = tens(DN_I64, 1, dax, ax);
        const dn_tensor *in[] = {&tx, &tax};
        float w[] = {5, 7, 9};
        mk(&b, "ReduceSum", "11", 1);
        attr_i(&b, "keepdims", 0);
        CHECK(run(&b.n, in, o, &e) == 0 && allnear_f(&o[0], w, 3, 0) && shape_is(&o[0], 1, d + 1));
        free_all(o, 1);
        /* axes as attribute (opset < 18), negative */
        int64_t axa[] = {-1};
        const dn_tensor *in1[] = {&tx};
        float wm[] = {2, 5};
        int64_t dk[] = {2, 1};
        mk(&b, "ReduceMean", "1", 1);
        attr_ints(&b, "axes", axa, 1);
        CHECK(run(&b.n, in1, o, &e) == 0 && allnear_f(&o[0], wm, 2, 0) && shape_is(&o[0], 2, dk));
        free_all(o, 1);
        /* no axes: everything */
        float wmax[] = {6}, wl2[] = {(float)sqrt(91.0)}, wlse[1];
        double s = 0;
        for (int i = 0; i < 6; i++)
            s += exp(x[i]);
        wlse[0] = (float)log(s);
        int64_t d11[] = {1, 1};
        CHECK(run(mk(&b, "ReduceMax", "1", 1), in1, o, &e) == 0 && allnear_f(&o[0], wmax, 1, 0) &&
              shape_is(&o[0], 2, d11));
        free_all(o, 1);
        CHECK(run(mk(&b, "ReduceL2", "1", 1), in1, o, &e) == 0 && allnear_f(&o[0], wl2, 1, 1e-7));
        free_all(o, 1);
        CHECK(run(mk(&b, "ReduceLogSumExp", "1", 1), in1, o, &e) == 0 &&
              allnear_f(&o[0], wlse, 1, 1e-7));
        free_all(o, 1);
        /* noop_with_empty_axes: SumSquare still squares */
        mk(&b, "ReduceSumSquare", "1", 1);
        attr_i(&b, "noop_with_empty_axes", 1);
        float wsq[] = {1, 4, 9, 16, 25, 36};
        CHECK(run(&b.n, in1, o, &e) == 0 && allnear_f(&o[0], wsq, 6, 0) && shape_is(&o[0], 2, d));
        free_all(o, 1);
        /* axis out of range */
        int64_t bad[] = {2};
        mk(&b, "ReduceMin", "1", 1);
        attr_ints(&b, "axes", bad, 1);
        CHECK(op_run_node(&b.n, in1, 1, o, 1, &e) == -1 && strstr(e.msg, "axis"));
    }
    { /* middle axis of [2,3,2] (a kept innermost dim), prod */
        int64_t d3[] = {2, 3, 2}, ax[] = {1};
        float y[12];
        for (int i = 0; i < 12; i++)
            y[i] = (float)(i + 1);
        dn_tensor ty = tens(DN_F32, 3, d3, y);
        const dn_tensor *in[] = {&ty};
        float w[] = {1 * 3 * 5, 2 * 4 * 6, 7 * 9 * 11, 8 * 10 * 12};
        mk(&b, "ReduceProd", "1", 1);
        attr_ints(&b, "axes", ax, 1);
        attr_i(&b, "keepdims", 0);
        CHECK(run(&b.n, in, o, &e) == 0 && allnear_f(&o[0], w, 4, 0));
        free_all(o, 1);
    }
    { /* int64 sums stay exact beyond 2^53 */
        int64_t v[] = {(1LL << 60) + 1, 1}, d2[] = {2};
        dn_tensor tv = tens(DN_I64, 1, d2, v);
        const dn_tensor *in[] = {&tv};
        int64_t w[] = {(1LL << 60) + 2};
        CHECK(run(mk(&b, "ReduceSum", "1", 1), in, o, &e) == 0 && alleq_i64(&o[0], w, 1));
        free_all(o, 1);
    }
    { /* empty reduction: sum 0, max -inf */
        int64_t d0[] = {2, 0};
        float z[1] = {0};
        dn_tensor tz = tens(DN_F32, 2, d0, z);
        const dn_tensor *in[] = {&tz};
        int64_t ax[] = {1};
        float w0[] = {0, 0}, wi[] = {-INFINITY, -INFINITY};
        mk(&b, "ReduceSum", "1", 1);
        attr_ints(&b, "axes", ax, 1);
        CHECK(run(&b.n, in, o, &e) == 0 && allnear_f(&o[0], w0, 2, 0));
        free_all(o, 1);
        mk(&b, "ReduceMax", "1", 1);
        attr_ints(&b, "axes", ax, 1);
        CHECK(run(&b.n, in, o, &e) == 0 && allnear_f(&o[0], wi, 2, 0));
        free_all(o, 1);
    }
    { /* ArgMax / ArgMin */
        float v[] = {1, 3, 3, 0, 5, 5};
        dn_tensor tv = tens(DN_F32, 2, d, v);
        const dn_tensor *in[] = {&tv};
        int64_t w[] = {1, 1}, wl[] = {2, 2}, wmin[] = {1, 0, 0};
        mk(&b, "ArgMax", "1", 1);
        attr_i(&b, "axis", -1);
        CHECK(run(&b.n, in, o, &e) == 0 && alleq_i64(&o[0], w, 2));
        free_all(o, 1);
        mk(&b, "ArgMax", "1", 1);
        attr_i(&b, "axis", 1);
        attr_i(&b, "select_last_index", 1);
        attr_i(&b, "keepdims", 0);
        CHECK(run(&b.n, in, o, &e) == 0 && alleq_i64(&o[0], wl, 2) && o[0].shape.rank == 1);
        free_all(o, 1);
        CHECK(run(mk(&b, "ArgMin", "1", 1), in, o, &e) == 0 && alleq_i64(&o[0], wmin, 3));
        free_all(o, 1);
    }
    { /* Softmax over axis 0 and LogSoftmax over the last */
        const dn_tensor *in[] = {&tx};
        float w[6], wl[6];
        for (int j = 0; j < 3; j++) {
            double a = exp(x[j]), c = exp(x[3 + j]);
            w[j] = (float)(a / (a + c));
            w[3 + j] = (float)(c / (a + c));
        }
        for (int i = 0; i < 2; i++) {
            double s = 0;
            for (int j = 0; j < 3; j++)
                s += exp(x[3 * i + j]);
            for (int j = 0; j < 3; j++)
                wl[3 * i + j] = (float)(x[3 * i + j] - log(s));
        }
        mk(&b, "Softmax", "1", 1);
        attr_i(&b, "axis", 0);
        CHECK(run(&b.n, in, o, &e) == 0 && allnear_f(&o[0], w, 6, 1e-6));
        free_all(o, 1);
        CHECK(run(mk(&b, "LogSoftmax", "1", 1), in, o, &e) == 0 && allnear_f(&o[0], wl, 6, 1e-6));
        free_all(o, 1);
    }
}

/* ---- normalisations ----------------------------------------------- */

static void test_norm(void)
{
    node_buf b;
    dn_err e;
    dn_tensor o[3];

    { /* LayerNormalization over the last dim with Mean and InvStdDev */
        int64_t d[] = {2, 2}, d1[] = {2};
        float x[] = {1, 3, 0, 10}, sc[] = {2, 1}, bi[] = {0, 1};
        dn_tensor tx = tens(DN_F32, 2, d, x), ts = tens(DN_F32, 1, d1, sc),
                  tb = tens(DN_F32, 1, d1, bi);
        const dn_tensor *in[] = {&tx, &ts, &tb};
        double i1 = 1 / sqrt(1 + 1e-5), i2 = 1 / sqrt(25 + 1e-5);
        float w[] = {(float)(-i1 * 2), (float)(i1 + 1), (float)(-5 * i2 * 2), (float)(5 * i2 + 1)};
        float wm[] = {2, 5}, wi[] = {(float)i1, (float)i2};
        CHECK(run(mk(&b, "LayerNormalization", "111", 3), in, o, &e) == 0 &&
              allnear_f(&o[0], w, 4, 1e-6) && allnear_f(&o[1], wm, 2, 1e-6) &&
              allnear_f(&o[2], wi, 2, 1e-6));
        int64_t dm[] = {2, 1};
        CHECK(shape_is(&o[1], 2, dm));
        free_all(o, 3);
        /* no bias, axis 0: normalise everything */
        mk(&b, "LayerNormalization", "11", 1);
        attr_i(&b, "axis", 0);
        float sc4[] = {1, 1, 1, 1};
        dn_tensor ts4 = tens(DN_F32, 2, d, sc4);
        const dn_tensor *in2[] = {&tx, &ts4};
        double m = 3.5,
               v = ((1 - m) * (1 - m) + (3 - m) * (3 - m) + m * m + (10 - m) * (10 - m)) / 4;
        float w2[4];
        for (int i = 0; i < 4; i++)
            w2[i] = (float)((x[i] - m) / sqrt(v + 1e-5));
        CHECK(run(&b.n, in2, o, &e) == 0 && allnear_f(&o[0], w2, 4, 1e-6));
        free_all(o, 1);
        /* a scale that does not broadcast */
        int64_t d3[] = {3};
        float sc3[3] = {1, 1, 1};
        dn_tensor ts3 = tens(DN_F32, 1, d3, sc3);
        const dn_tensor *in3[] = {&tx, &ts3};
        CHECK(op_run_node(mk(&b, "LayerNormalization", "11", 1), in3, 2, o, 1, &e) == -1);
    }
    { /* BatchNormalization */
        int64_t d[] = {1, 2, 2}, d1[] = {2};
        float x[] = {1, 2, 3, 4}, sc[] = {1, 2}, bi[] = {0, 1}, mean[] = {1, 3}, var[] = {4, 1};
        dn_tensor tx = tens(DN_F32, 3, d, x), ts = tens(DN_F32, 1, d1, sc),
                  tb = tens(DN_F32, 1, d1, bi), tm = tens(DN_F32, 1, d1, mean),
                  tv = tens(DN_F32, 1, d1, var);
        const dn_tensor *in[] = {&tx, &ts, &tb, &tm, &tv};
        mk(&b, "BatchNormalization", "11111", 1);
        attr_f(&b, "epsilon", 0);
        float w[] = {0, 0.5f, 1, 3};
        CHECK(run(&b.n, in, o, &e) == 0 && allnear_f(&o[0], w, 4, 1e-6));
        free_all(o, 1);
        mk(&b, "BatchNormalization", "11111", 1);
        attr_i(&b, "training_mode", 1);
        CHECK(op_run_node(&b.n, in, 5, o, 1, &e) == -1 && strstr(e.msg, "training"));
        /* InstanceNormalization over the 2 spatial values of each channel */
        const dn_tensor *in2[] = {&tx, &ts, &tb};
        mk(&b, "InstanceNormalization", "111", 1);
        attr_f(&b, "epsilon", 0);
        float wi[] = {-1, 1, -2 + 1, 2 + 1};
        CHECK(run(&b.n, in2, o, &e) == 0 && allnear_f(&o[0], wi, 4, 1e-6));
        free_all(o, 1);
    }
    { /* GroupNormalization: 4 channels, 2 groups, per-group (18) and per-channel (21) scale */
        int64_t d[] = {1, 4, 1}, dg[] = {2}, dc[] = {4};
        float x[] = {1, 3, 10, 20}, sg[] = {1, 2}, bg[] = {0, 0}, scc[] = {1, 1, 2, 2},
              bcc[] = {0, 1, 0, 1};
        dn_tensor tx = tens(DN_F32, 3, d, x), tsg = tens(DN_F32, 1, dg, sg),
                  tbg = tens(DN_F32, 1, dg, bg), tsc = tens(DN_F32, 1, dc, scc),
                  tbc = tens(DN_F32, 1, dc, bcc);
        const dn_tensor *in[] = {&tx, &tsg, &tbg}, *in2[] = {&tx, &tsc, &tbc};
        float w[] = {-1, 1, -2, 2}, w2[] = {-1, 2, -2, 3};
        mk(&b, "GroupNormalization", "111", 1);
        attr_i(&b, "num_groups", 2);
        attr_f(&b, "epsilon", 0);
        CHECK(run(&b.n, in, o, &e) == 0 && allnear_f(&o[0], w, 4, 1e-6));
        free_all(o, 1);
        CHECK(run(&b.n, in2, o, &e) == 0 && allnear_f(&o[0], w2, 4, 1e-6));
        free_all(o, 1);
        mk(&b, "GroupNormalization", "111", 1);
        attr_i(&b, "num_groups", 3);
        CHECK(op_run_node(&b.n, in, 3, o, 1, &e) == -1);
    }
    { /* LpNormalization p=1 and p=2; a zero row stays zero */
        int64_t d[] = {2, 2};
        float x[] = {3, -4, 0, 0};
        dn_tensor tx = tens(DN_F32, 2, d, x);
        const dn_tensor *in[] = {&tx};
        float w2[] = {0.6f, -0.8f, 0, 0}, w1[] = {3.0f / 7, -4.0f / 7, 0, 0};
        CHECK(run(mk(&b, "LpNormalization", "1", 1), in, o, &e) == 0 &&
              allnear_f(&o[0], w2, 4, 1e-6));
        free_all(o, 1);
        mk(&b, "LpNormalization", "1", 1);
        attr_i(&b, "p", 1);
        CHECK(run(&b.n, in, o, &e) == 0 && allnear_f(&o[0], w1, 4, 1e-6));
        free_all(o, 1);
    }
}

/* ---- shape inference with unknown data / rank -------------------- */

static void test_infer(void)
{
    node_buf b;
    dn_err e;
    const op_def *d = op_lookup("", "ReduceMean");
    CHECK(d != NULL);
    if (!d) return;
    int64_t dx[] = {2, 1, 4}, dax[] = {1};
    dn_tensor tx = tens(DN_F32, 3, dx, NULL), tax = tens(DN_I64, 1, dax, NULL);
    const dn_tensor *in[] = {&tx, &tax};
    dn_tensor out;
    memset(&out, 0, sizeof out);
    mk(&b, "ReduceMean", "11", 1);
    /* axes not known: rank kept, dims unknown except those already 1 */
    CHECK(d->infer(&b.n, in, 2, &out, 1, &e) == 0 && out.shape.rank == 3 && out.shape.d[0] == -1 &&
          out.shape.d[1] == 1);
    attr_i(&b, "keepdims", 0);
    CHECK(d->infer(&b.n, in, 2, &out, 1, &e) == 0 && out.shape.rank < 0);
    const op_def *a = op_lookup("", "Add");
    dn_tensor tu = tens(DN_F32, 0, NULL, NULL);
    tu.shape = dn_shape_unknown();
    const dn_tensor *in2[] = {&tx, &tu};
    CHECK(a && a->infer(mk(&b, "Add", "11", 1), in2, 2, &out, 1, &e) == 0 && out.shape.rank < 0);
}

int main(void)
{
    test_binary();
    test_unary();
    test_reduce();
    test_norm();
    test_infer();
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
