/* test_ops_linalg.c -- checks of op_sgemm (gemm.c) and the linalg, conv and
 * pool families (op_linalg.c, op_conv.c, op_pool.c) through op_run_node on
 * hand-built nodes: hand-computed values, and naive reference loops for the
 * shapes too big to do by hand.  Last line: "N passed, N failed". */
#include "check.h"
#include "engine.h"
#include "nodes.h"
#include "op_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- nodes and tensors --------------------------------------------- */

static dn_tensor tf(int rank, const int64_t *d, const float *v)
{
    dn_tensor t = {DN_F32, dn_shape_make(rank, d), NULL};
    dn_err e;
    dn_tensor_alloc(&t, &e);
    if (v) memcpy(t.data, v, dn_tensor_bytes(&t));
    return t;
}

/* Deterministic values in [-1, 1). */
static dn_tensor trand(int rank, const int64_t *d, unsigned seed)
{
    dn_tensor t = tf(rank, d, NULL);
    float *p = t.data;
    uint32_t s = seed * 2654435761u + 12345u;
    for (int64_t i = 0; i < dn_shape_numel(&t.shape); i++) {
        s = s * 1664525u + 1013904223u;
        p[i] = (float)((s >> 8) & 0xffff) / 32768.0f - 1.0f;
    }
    return t;
}

static int run(ir_node *n, dn_tensor **in, int nin, dn_tensor *out, int nout, dn_err *e)
{
    const dn_tensor *ins[8];
    for (int i = 0; i < nin; i++)
        ins[i] = in[i];
    e->msg[0] = 0;
    return op_run_node(n, ins, nin, out, nout, e);
}

static int near(const float *a, const float *b, int64_t n, float tol)
{
    for (int64_t i = 0; i < n; i++)
        if (!(fabsf(a[i] - b[i]) <= tol * (1.0f + fabsf(b[i])))) return 0;
    return 1;
}

static int shape_is(const dn_tensor *t, int rank, const int64_t *d)
{
    dn_shape s = dn_shape_make(rank, d);
    return dn_shape_eq(&t->shape, &s);
}

/* ---- op_sgemm against a double-precision loop ------------------------ */

static void sgemm_case(int tA, int tB, int64_t M, int64_t N, int64_t K, float alpha, float beta)
{
    int64_t lda = (tA ? M : K) + 3, ldb = (tB ? K : N) + 1, ldc = N + 2;
    int64_t ra = tA ? K : M, rb = tB ? N : K;
    float *A = malloc(sizeof(float) * (size_t)(ra * lda + 1));
    float *B = malloc(sizeof(float) * (size_t)(rb * ldb + 1));
    float *C = malloc(sizeof(float) * (size_t)(M * ldc + 1));
    float *C0 = malloc(sizeof(float) * (size_t)(M * ldc + 1));
    for (int64_t i = 0; i < ra * lda; i++)
        A[i] = (float)((i * 7 % 19) - 9) / 9.0f;
    for (int64_t i = 0; i < rb * ldb; i++)
        B[i] = (float)((i * 5 % 23) - 11) / 11.0f;
    for (int64_t i = 0; i < M * ldc; i++)
        C[i] = C0[i] = beta == 0.0f ? NAN : (float)(i % 5);
    op_sgemm(tA, tB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    int ok = 1;
    for (int64_t i = 0; i < M && ok; i++)
        for (int64_t j = 0; j < ldc && ok; j++) {
            float got = C[i * ldc + j];
            if (j >= N) { /* padding between rows must be untouched */
                ok = isnan(C0[i * ldc + j]) ? isnan(got) : got == C0[i * ldc + j];
                continue;
            }
            double acc = 0;
            for (int64_t k = 0; k < K; k++)
                acc += (double)(tA ? A[k * lda + i] : A[i * lda + k]) *
                       (tB ? B[j * ldb + k] : B[k * ldb + j]);
            double want = alpha * acc + (beta != 0.0f ? beta * C0[i * ldc + j] : 0.0);
            ok = fabs(got - want) <= 1e-4 * (1.0 + fabs(want)) * (1.0 + sqrt((double)K) / 4);
        }
    if (!ok)
        fprintf(stderr, "sgemm tA=%d tB=%d M=%lld N=%lld K=%lld alpha=%g beta=%g\n", tA, tB,
                (long long)M, (long long)N, (long long)K, alpha, beta);
    CHECK(ok);
    free(A);
    free(B);
    free(C);
    free(C0);
}

static void test_sgemm(void)
{
    static const int64_t sz[][3] = {{1, 1, 1},    {1, 7, 5},    {6, 1, 9},      {5, 9, 0},
                                    {7, 13, 5},   {17, 33, 70}, {37, 21, 300},  {130, 70, 260},
                                    {1, 300, 40}, {300, 1, 40}, {200, 150, 600}};
    for (size_t s = 0; s < sizeof sz / sizeof sz[0]; s++)
        for (int t = 0; t < 4; t++)
            sgemm_case(t & 1, t >> 1, sz[s][0], sz[s][1], sz[s][2], t == 3 ? 0.5f : 1.0f,
                       s % 3 == 0 ? 0.0f : (s % 3 == 1 ? 1.0f : -2.0f));
    /* M or N of 0 must not touch anything */
    float c = 42.0f;
    op_sgemm(0, 0, 0, 1, 3, 1.0f, NULL, 3, NULL, 1, 0.0f, &c, 1);
    CHECK(c == 42.0f);
}

/* ---- MatMul, Gemm, Einsum -------------------------------------------- */

static void test_matmul(void)
{
    node_buf b;
    dn_err e;
    ir_node *n = mk(&b, "MatMul", "11", 1);
    dn_tensor A = tf(2, (int64_t[]){2, 3}, (float[]){1, 2, 3, 4, 5, 6});
    dn_tensor B = tf(2, (int64_t[]){3, 2}, (float[]){7, 8, 9, 10, 11, 12});
    dn_tensor Y;
    CHECK(run(n, (dn_tensor *[]){&A, &B}, 2, &Y, 1, &e) == 0);
    CHECK(shape_is(&Y, 2, (int64_t[]){2, 2}));
    CHECK(near(Y.data, (float[]){58, 64, 139, 154}, 4, 0));
    dn_tensor_free(&Y);

    /* 1-D times 2-D: [3] x [3,2] -> [2] */
    dn_tensor v = tf(1, (int64_t[]){3}, (float[]){1, 0, -1});
    CHECK(run(n, (dn_tensor *[]){&v, &B}, 2, &Y, 1, &e) == 0);
    CHECK(shape_is(&Y, 1, (int64_t[]){2}));
    CHECK(near(Y.data, (float[]){-4, -4}, 2, 0));
    dn_tensor_free(&Y);

    /* batch broadcast: [2,1,2,3] x [3,3,2] -> [2,3,2,2] */
    dn_tensor A4 = trand(4, (int64_t[]){2, 1, 2, 3}, 1), B3 = trand(3, (int64_t[]){3, 3, 2}, 2);
    CHECK(run(n, (dn_tensor *[]){&A4, &B3}, 2, &Y, 1, &e) == 0);
    CHECK(shape_is(&Y, 4, (int64_t[]){2, 3, 2, 2}));
    int ok = 1;
    const float *a = A4.data, *bb = B3.data, *y = Y.data;
    for (int i0 = 0; i0 < 2; i0++)
        for (int i1 = 0; i1 < 3; i1++)
            for (int m = 0; m < 2; m++)
                for (int j = 0; j < 2; j++) {
                    float acc = 0;
                    for (int k = 0; k < 3; k++)
                        acc += a[i0 * 6 + m * 3 + k] * bb[i1 * 6 + k * 2 + j];
                    ok &= fabsf(acc - y[((i0 * 3 + i1) * 2 + m) * 2 + j]) < 1e-5f;
                }
    CHECK(ok);
    dn_tensor_free(&Y);

    /* int64 */
    dn_tensor Ai = {DN_I64, dn_shape_make(2, (int64_t[]){1, 2}), NULL};
    dn_tensor Bi = {DN_I64, dn_shape_make(2, (int64_t[]){2, 1}), NULL};
    dn_tensor_alloc(&Ai, &e);
    dn_tensor_alloc(&Bi, &e);
    ((int64_t *)Ai.data)[0] = 3000000000LL;
    ((int64_t *)Ai.data)[1] = 2;
    ((int64_t *)Bi.data)[0] = 3;
    ((int64_t *)Bi.data)[1] = -5;
    CHECK(run(n, (dn_tensor *[]){&Ai, &Bi}, 2, &Y, 1, &e) == 0);
    CHECK(Y.dtype == DN_I64 && ((int64_t *)Y.data)[0] == 8999999990LL);
    dn_tensor_free(&Y);

    /* inner dims differ */
    CHECK(run(n, (dn_tensor *[]){&A, &A}, 2, &Y, 1, &e) == -1 && strstr(e.msg, "inner"));
    /* scalars are not matrices */
    dn_tensor s = tf(0, NULL, (float[]){2});
    CHECK(run(n, (dn_tensor *[]){&s, &A}, 2, &Y, 1, &e) == -1 && e.msg[0]);
    dn_tensor *all[] = {&A, &B, &v, &A4, &B3, &Ai, &Bi, &s};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        dn_tensor_free(all[i]);
}

static void test_gemm(void)
{
    node_buf b;
    dn_err e;
    dn_tensor Y;
    /* A^T (3x2 stored as 2x3), B^T (2x2), C row broadcast */
    ir_node *n = mk(&b, "Gemm", "111", 1);
    attr_i(&b, "transA", 1);
    attr_i(&b, "transB", 1);
    attr_f(&b, "alpha", 2.0f);
    attr_f(&b, "beta", 0.5f);
    dn_tensor A = tf(2, (int64_t[]){2, 3}, (float[]){1, 2, 3, 4, 5, 6});
    dn_tensor B = tf(2, (int64_t[]){2, 2}, (float[]){1, 0, 1, 1});
    dn_tensor C = tf(1, (int64_t[]){2}, (float[]){10, 20});
    CHECK(run(n, (dn_tensor *[]){&A, &B, &C}, 3, &Y, 1, &e) == 0);
    CHECK(shape_is(&Y, 2, (int64_t[]){3, 2}));
    /* op(A) rows: [1,4],[2,5],[3,6]; op(B) = [[1,1],[0,1]] */
    CHECK(near(Y.data, (float[]){2 + 5, 10 + 10, 4 + 5, 14 + 10, 6 + 5, 18 + 10}, 6, 1e-6f));
    dn_tensor_free(&Y);

    /* beta = 0: NaN in C must not leak */
    n = mk(&b, "Gemm", "111", 1);
    attr_f(&b, "beta", 0.0f);
    dn_tensor A2 = tf(2, (int64_t[]){1, 2}, (float[]){1, 2});
    dn_tensor C2 = tf(2, (int64_t[]){1, 2}, (float[]){NAN, NAN});
    CHECK(run(n, (dn_tensor *[]){&A2, &B, &C2}, 3, &Y, 1, &e) == 0);
    CHECK(near(Y.data, (float[]){3, 2}, 2, 0));
    dn_tensor_free(&Y);

    /* no C */
    n = mk(&b, "Gemm", "11", 1);
    CHECK(run(n, (dn_tensor *[]){&A2, &B}, 2, &Y, 1, &e) == 0);
    CHECK(near(Y.data, (float[]){3, 2}, 2, 0));
    dn_tensor_free(&Y);

    /* C that does not broadcast to [M, N] */
    n = mk(&b, "Gemm", "111", 1);
    dn_tensor C3 = tf(1, (int64_t[]){3}, (float[]){1, 2, 3});
    CHECK(run(n, (dn_tensor *[]){&A2, &B, &C3}, 3, &Y, 1, &e) == -1 && strstr(e.msg, "broadcast"));
    dn_tensor *all[] = {&A, &B, &C, &A2, &C2, &C3};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        dn_tensor_free(all[i]);
}

static void test_einsum(void)
{
    node_buf b;
    dn_err e;
    dn_tensor Y;
    ir_node *n = mk(&b, "Einsum", "11", 1);
    attr_s(&b, "equation", "ij,jk->ik");
    dn_tensor A = tf(2, (int64_t[]){2, 3}, (float[]){1, 2, 3, 4, 5, 6});
    dn_tensor B = tf(2, (int64_t[]){3, 2}, (float[]){7, 8, 9, 10, 11, 12});
    CHECK(run(n, (dn_tensor *[]){&A, &B}, 2, &Y, 1, &e) == 0);
    CHECK(near(Y.data, (float[]){58, 64, 139, 154}, 4, 1e-6f));
    dn_tensor_free(&Y);

    /* implicit output, transposed result: "ji,kj" -> "ik" order (i<k) */
    n = mk(&b, "Einsum", "11", 1);
    attr_s(&b, "equation", "jk,ij");
    CHECK(run(n, (dn_tensor *[]){&B, &A}, 2, &Y, 1, &e) == 0);
    CHECK(shape_is(&Y, 2, (int64_t[]){2, 2}) &&
          near(Y.data, (float[]){58, 64, 139, 154}, 4, 1e-6f));
    dn_tensor_free(&Y);

    /* attention-style batch matmul (GEMM path) against a loop */
    n = mk(&b, "Einsum", "11", 1);
    attr_s(&b, "equation", "bhid,bhjd->bhij");
    dn_tensor Q = trand(4, (int64_t[]){2, 3, 4, 5}, 3), K = trand(4, (int64_t[]){2, 3, 6, 5}, 4);
    CHECK(run(n, (dn_tensor *[]){&Q, &K}, 2, &Y, 1, &e) == 0);
    CHECK(shape_is(&Y, 4, (int64_t[]){2, 3, 4, 6}));
    int ok = 1;
    const float *q = Q.data, *k = K.data, *y = Y.data;
    for (int bh = 0; bh < 6; bh++)
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 6; j++) {
                float acc = 0;
                for (int d = 0; d < 5; d++)
                    acc += q[(bh * 4 + i) * 5 + d] * k[(bh * 6 + j) * 5 + d];
                ok &= fabsf(acc - y[(bh * 4 + i) * 6 + j]) < 1e-5f;
            }
    CHECK(ok);
    dn_tensor_free(&Y);

    /* permuted output: "bhid,bhjd->bjhi" (the GEMM path reorders its result) */
    n = mk(&b, "Einsum", "11", 1);
    attr_s(&b, "equation", "bhid,bhjd->bjhi");
    CHECK(run(n, (dn_tensor *[]){&Q, &K}, 2, &Y, 1, &e) == 0);
    CHECK(shape_is(&Y, 4, (int64_t[]){2, 6, 3, 4}));
    ok = 1;
    y = Y.data;
    for (int bb = 0; bb < 2; bb++)
        for (int h = 0; h < 3; h++)
            for (int i = 0; i < 4; i++)
                for (int j = 0; j < 6; j++) {
                    float acc = 0;
                    for (int d = 0; d < 5; d++)
                        acc += q[(((bb * 3 + h) * 4) + i) * 5 + d] *
                               k[(((bb * 3 + h) * 6) + j) * 5 + d];
                    ok &= fabsf(acc - y[((bb * 6 + j) * 3 + h) * 4 + i]) < 1e-5f;
                }
    CHECK(ok);
    dn_tensor_free(&Y);

    /* diagonal and trace (general path) */
    dn_tensor S = tf(2, (int64_t[]){2, 2}, (float[]){1, 2, 3, 4});
    n = mk(&b, "Einsum", "1", 1);
    attr_s(&b, "equation", "ii->i");
    CHECK(run(n, (dn_tensor *[]){&S}, 1, &Y, 1, &e) == 0);
    CHECK(shape_is(&Y, 1, (int64_t[]){2}) && near(Y.data, (float[]){1, 4}, 2, 0));
    dn_tensor_free(&Y);
    n = mk(&b, "Einsum", "1", 1);
    attr_s(&b, "equation", "ii");
    CHECK(run(n, (dn_tensor *[]){&S}, 1, &Y, 1, &e) == 0);
    CHECK(Y.shape.rank == 0 && ((float *)Y.data)[0] == 5.0f);
    dn_tensor_free(&Y);

    /* ellipsis: "...ij->...ji" */
    n = mk(&b, "Einsum", "1", 1);
    attr_s(&b, "equation", "...ij->...ji");
    CHECK(run(n, (dn_tensor *[]){&A}, 1, &Y, 1, &e) == 0);
    CHECK(shape_is(&Y, 2, (int64_t[]){3, 2}) && near(Y.data, (float[]){1, 4, 2, 5, 3, 6}, 6, 0));
    dn_tensor_free(&Y);

    /* errors: sizes disagree, bad character, wrong term count */
    n = mk(&b, "Einsum", "11", 1);
    attr_s(&b, "equation", "ij,ij->i");
    CHECK(run(n, (dn_tensor *[]){&A, &B}, 2, &Y, 1, &e) == -1 && strstr(e.msg, "sizes"));
    n = mk(&b, "Einsum", "1", 1);
    attr_s(&b, "equation", "i1->i");
    CHECK(run(n, (dn_tensor *[]){&A}, 1, &Y, 1, &e) == -1 && e.msg[0]);
    n = mk(&b, "Einsum", "1", 1);
    attr_s(&b, "equation", "ij,jk->ik");
    CHECK(run(n, (dn_tensor *[]){&A}, 1, &Y, 1, &e) == -1 && e.msg[0]);
    dn_tensor *all[] = {&A, &B, &Q, &K, &S};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        dn_tensor_free(all[i]);
}

/* ---- Conv, ConvTranspose ---------------------------------------------- */

/* Direct N-D convolution, the definition itself. */
static void conv_ref(const dn_tensor *X, const dn_tensor *W, const float *bias, int group,
                     const int64_t *st, const int64_t *pb, const int64_t *dil, dn_tensor *Y)
{
    int ns = X->shape.rank - 2;
    int64_t C = X->shape.d[1], M = W->shape.d[0], Cg = C / group, Mg = M / group;
    const float *x = X->data, *w = W->data;
    float *y = Y->data;
    dn_shape os = dn_shape_make(ns, Y->shape.d + 2), ks = dn_shape_make(ns, W->shape.d + 2);
    int64_t ohw = dn_shape_numel(&os), khw = dn_shape_numel(&ks), ihw = 1;
    for (int d = 0; d < ns; d++)
        ihw *= X->shape.d[2 + d];
    for (int64_t n = 0; n < Y->shape.d[0]; n++)
        for (int64_t m = 0; m < M; m++) {
            int64_t g = m / Mg;
            int64_t oi[6] = {0}, o = 0;
            do {
                double acc = bias ? bias[m] : 0.0;
                for (int64_t c = 0; c < Cg; c++) {
                    int64_t ki[6] = {0}, kk = 0;
                    do {
                        int64_t off = 0, ok = 1;
                        for (int d = 0; d < ns; d++) {
                            int64_t i = oi[d] * st[d] - pb[d] + ki[d] * dil[d];
                            if (i < 0 || i >= X->shape.d[2 + d]) ok = 0;
                            off = off * X->shape.d[2 + d] + i;
                        }
                        if (ok)
                            acc += (double)x[(n * C + g * Cg + c) * ihw + off] *
                                   w[(m * Cg + c) * khw + kk];
                        kk++;
                    } while (op_next_index(&ks, ki));
                }
                y[(n * M + m) * ohw + o++] = (float)acc;
            } while (op_next_index(&os, oi));
        }
}

static void conv_case(int ns, int64_t N, int64_t C, int64_t M, int group, const int64_t *in,
                      const int64_t *k, const int64_t *st, const int64_t *pads, const int64_t *dil,
                      int with_bias, unsigned seed)
{
    node_buf b;
    dn_err e;
    int64_t xd[8] = {N, C}, wd[8] = {M, C / group}, yd[8] = {N, M};
    for (int d = 0; d < ns; d++) {
        xd[2 + d] = in[d];
        wd[2 + d] = k[d];
        yd[2 + d] = (in[d] + pads[d] + pads[ns + d] - dil[d] * (k[d] - 1) - 1) / st[d] + 1;
    }
    dn_tensor X = trand(ns + 2, xd, seed), W = trand(ns + 2, wd, seed + 1);
    dn_tensor Bv = trand(1, (int64_t[]){M}, seed + 2), R = tf(ns + 2, yd, NULL), Y;
    ir_node *n = mk(&b, "Conv", with_bias ? "111" : "11", 1);
    attr_ints(&b, "strides", (int64_t *)st, ns);
    attr_ints(&b, "pads", (int64_t *)pads, 2 * ns);
    attr_ints(&b, "dilations", (int64_t *)dil, ns);
    attr_i(&b, "group", group);
    int rc = run(n, (dn_tensor *[]){&X, &W, &Bv}, with_bias ? 3 : 2, &Y, 1, &e);
    CHECK(rc == 0);
    if (rc == 0) {
        conv_ref(&X, &W, with_bias ? Bv.data : NULL, group, st, pads, dil, &R);
        int ok = dn_shape_eq(&Y.shape, &R.shape) &&
                 near(Y.data, R.data, dn_shape_numel(&R.shape), 1e-4f);
        if (!ok)
            fprintf(stderr, "conv case ns=%d C=%lld M=%lld group=%d\n", ns, (long long)C,
                    (long long)M, group);
        CHECK(ok);
        dn_tensor_free(&Y);
    } else {
        fprintf(stderr, "conv: %s\n", e.msg);
    }
    dn_tensor_free(&X);
    dn_tensor_free(&W);
    dn_tensor_free(&Bv);
    dn_tensor_free(&R);
}

static void test_conv(void)
{
    node_buf b;
    dn_err e;
    dn_tensor Y;
    /* 3x3 all-ones kernel, pad 1, on a 3x3 ramp: hand-computed box sums */
    ir_node *n = mk(&b, "Conv", "11", 1);
    static int64_t p1[4] = {1, 1, 1, 1};
    attr_ints(&b, "pads", p1, 4);
    dn_tensor X = tf(4, (int64_t[]){1, 1, 3, 3}, (float[]){1, 2, 3, 4, 5, 6, 7, 8, 9});
    dn_tensor W = tf(4, (int64_t[]){1, 1, 3, 3}, (float[]){1, 1, 1, 1, 1, 1, 1, 1, 1});
    CHECK(run(n, (dn_tensor *[]){&X, &W}, 2, &Y, 1, &e) == 0);
    CHECK(shape_is(&Y, 4, (int64_t[]){1, 1, 3, 3}));
    CHECK(near(Y.data, (float[]){12, 21, 16, 27, 45, 33, 24, 39, 28}, 9, 1e-6f));
    dn_tensor_free(&Y);

    /* auto_pad SAME_UPPER with stride 2: out = ceil(3/2) = 2 */
    n = mk(&b, "Conv", "11", 1);
    attr_s(&b, "auto_pad", "SAME_UPPER");
    static int64_t s2[2] = {2, 2};
    attr_ints(&b, "strides", s2, 2);
    CHECK(run(n, (dn_tensor *[]){&X, &W}, 2, &Y, 1, &e) == 0);
    /* total pad 2 -> 1 each side: windows centred on (0,0),(0,2),(2,0),(2,2) */
    CHECK(shape_is(&Y, 4, (int64_t[]){1, 1, 2, 2}) &&
          near(Y.data, (float[]){12, 16, 24, 28}, 4, 1e-6f));
    dn_tensor_free(&Y);

    /* channel mismatch */
    n = mk(&b, "Conv", "11", 1);
    dn_tensor W2 = tf(4, (int64_t[]){1, 2, 3, 3}, NULL);
    CHECK(run(n, (dn_tensor *[]){&X, &W2}, 2, &Y, 1, &e) == -1 && strstr(e.msg, "channels"));
    dn_tensor_free(&X);
    dn_tensor_free(&W);
    dn_tensor_free(&W2);

    /* against the direct definition: generic, pointwise, depthwise, grouped, 1-D, 3-D */
    static const int64_t one[3] = {1, 1, 1}, two[3] = {2, 2, 2}, zero[6] = {0};
    static const int64_t in2[2] = {9, 7}, k3[2] = {3, 3}, pads2[4] = {1, 0, 2, 1}, dil2[2] = {2, 1};
    conv_case(2, 2, 5, 4, 1, in2, k3, one, pads2, one, 1, 10);
    conv_case(2, 1, 6, 8, 1, in2, one, one, zero, one, 1, 11);  /* pointwise */
    conv_case(2, 1, 6, 8, 2, in2, one, two, zero, one, 0, 12);  /* 1x1 stride 2 */
    conv_case(2, 2, 4, 4, 4, in2, k3, two, pads2, one, 1, 13);  /* depthwise */
    conv_case(2, 1, 3, 6, 3, in2, k3, one, pads2, dil2, 0, 14); /* depthwise x2 */
    conv_case(2, 1, 6, 4, 2, in2, k3, two, pads2, dil2, 1, 15); /* grouped */
    static const int64_t in1[1] = {11}, k1[1] = {4}, pads1[2] = {2, 1};
    conv_case(1, 2, 3, 5, 1, in1, k1, two, pads1, one, 1, 16);
    conv_case(1, 1, 4, 4, 4, in1, k1, one, pads1, two, 1, 17); /* 1-D depthwise */
    static const int64_t in3[3] = {5, 6, 4}, k33[3] = {2, 3, 2}, pads3[6] = {1, 0, 1, 0, 1, 1};
    conv_case(3, 1, 3, 4, 1, in3, k33, one, pads3, one, 1, 18);
    conv_case(3, 1, 4, 4, 2, in3, k33, two, pads3, one, 0, 19);
    /* big enough to go through several im2col slabs and the threaded GEMM */
    static const int64_t inb[2] = {150, 120};
    conv_case(2, 1, 24, 32, 1, inb, k3, one, (const int64_t[]){1, 1, 1, 1}, one, 1, 20);
}

static void test_conv_transpose(void)
{
    node_buf b;
    dn_err e;
    dn_tensor Y;
    /* 1-D, stride 2: y[i*2 + k] += x[i] * w[k] */
    ir_node *n = mk(&b, "ConvTranspose", "11", 1);
    static int64_t s2[1] = {2};
    attr_ints(&b, "strides", s2, 1);
    dn_tensor X = tf(3, (int64_t[]){1, 1, 3}, (float[]){1, 2, 3});
    dn_tensor W = tf(3, (int64_t[]){1, 1, 3}, (float[]){1, 10, 100});
    CHECK(run(n, (dn_tensor *[]){&X, &W}, 2, &Y, 1, &e) == 0);
    CHECK(shape_is(&Y, 3, (int64_t[]){1, 1, 7}));
    CHECK(near(Y.data, (float[]){1, 10, 102, 20, 203, 30, 300}, 7, 1e-6f));
    dn_tensor_free(&Y);

    /* pads 1,1 crop the ends; output_padding adds one at the end */
    n = mk(&b, "ConvTranspose", "11", 1);
    static int64_t p11[2] = {1, 1}, op1[1] = {1};
    attr_ints(&b, "strides", s2, 1);
    attr_ints(&b, "pads", p11, 2);
    attr_ints(&b, "output_padding", op1, 1);
    CHECK(run(n, (dn_tensor *[]){&X, &W}, 2, &Y, 1, &e) == 0);
    CHECK(shape_is(&Y, 3, (int64_t[]){1, 1, 6}));
    CHECK(near(Y.data, (float[]){10, 102, 20, 203, 30, 300}, 6, 1e-6f));
    dn_tensor_free(&Y);

    /* 2-D, two groups, bias: against a scatter loop */
    n = mk(&b, "ConvTranspose", "111", 1);
    static int64_t s22[2] = {2, 1}, p2[4] = {1, 0, 0, 1};
    attr_ints(&b, "strides", s22, 2);
    attr_ints(&b, "pads", p2, 4);
    attr_i(&b, "group", 2);
    dn_tensor X2 = trand(4, (int64_t[]){1, 4, 3, 4}, 30),
              W2 = trand(4, (int64_t[]){4, 3, 2, 3}, 31);
    dn_tensor B2 = trand(1, (int64_t[]){6}, 32);
    CHECK(run(n, (dn_tensor *[]){&X2, &W2, &B2}, 3, &Y, 1, &e) == 0);
    /* out: (3-1)*2 + 2 - 1 = 5 rows, (4-1) + 3 - 1 = 5 cols */
    CHECK(shape_is(&Y, 4, (int64_t[]){1, 6, 5, 5}));
    float ref[6 * 5 * 5];
    const float *x = X2.data, *w = W2.data, *bias = B2.data;
    for (int m = 0; m < 6; m++)
        for (int i = 0; i < 25; i++)
            ref[m * 25 + i] = bias[m];
    for (int c = 0; c < 4; c++)
        for (int mm = 0; mm < 3; mm++)
            for (int ih = 0; ih < 3; ih++)
                for (int iw = 0; iw < 4; iw++)
                    for (int kh = 0; kh < 2; kh++)
                        for (int kw = 0; kw < 3; kw++) {
                            int oh = ih * 2 - 1 + kh, ow = iw - 0 + kw, m = (c / 2) * 3 + mm;
                            if (oh < 0 || oh >= 5 || ow < 0 || ow >= 5) continue;
                            ref[m * 25 + oh * 5 + ow] +=
                                x[c * 12 + ih * 4 + iw] * w[(c * 3 + mm) * 6 + kh * 3 + kw];
                        }
    CHECK(near(Y.data, ref, 150, 1e-5f));
    dn_tensor_free(&Y);

    /* W's first dim must equal X's channels */
    n = mk(&b, "ConvTranspose", "11", 1);
    CHECK(run(n, (dn_tensor *[]){&X2, &W}, 2, &Y, 1, &e) == -1 && e.msg[0]);
    dn_tensor *all[] = {&X, &W, &X2, &W2, &B2};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        dn_tensor_free(all[i]);
}

/* ---- pooling ---------------------------------------------------------- */

static void test_pool(void)
{
    node_buf b;
    dn_err e;
    dn_tensor Y[2];
    dn_tensor X = tf(4, (int64_t[]){1, 1, 4, 4},
                     (float[]){1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 16, 15});
    static int64_t k2[2] = {2, 2}, s2[2] = {2, 2}, p1[4] = {1, 1, 1, 1}, k3[2] = {3, 3};

    ir_node *n = mk(&b, "MaxPool", "1", 2);
    attr_ints(&b, "kernel_shape", k2, 2);
    attr_ints(&b, "strides", s2, 2);
    CHECK(run(n, (dn_tensor *[]){&X}, 1, Y, 2, &e) == 0);
    CHECK(shape_is(&Y[0], 4, (int64_t[]){1, 1, 2, 2}));
    CHECK(near(Y[0].data, (float[]){6, 8, 14, 16}, 4, 0));
    const int64_t *ind = Y[1].data;
    CHECK(Y[1].dtype == DN_I64 && ind[0] == 5 && ind[1] == 7 && ind[2] == 13 && ind[3] == 14);
    dn_tensor_free(&Y[0]);
    dn_tensor_free(&Y[1]);

    /* AveragePool 3x3 pad 1: corner divides by 4 (exclude pad) or 9 (include) */
    n = mk(&b, "AveragePool", "1", 1);
    attr_ints(&b, "kernel_shape", k3, 2);
    attr_ints(&b, "strides", s2, 2);
    attr_ints(&b, "pads", p1, 4);
    CHECK(run(n, (dn_tensor *[]){&X}, 1, Y, 1, &e) == 0);
    CHECK(shape_is(&Y[0], 4, (int64_t[]){1, 1, 2, 2}));
    CHECK(near(Y[0].data,
               (float[]){(1 + 2 + 5 + 6) / 4.0f, (2 + 3 + 4 + 6 + 7 + 8) / 6.0f,
                         (5 + 6 + 9 + 10 + 13 + 14) / 6.0f,
                         (6 + 7 + 8 + 10 + 11 + 12 + 14 + 16 + 15) / 9.0f},
               4, 1e-6f));
    dn_tensor_free(&Y[0]);
    attr_i(&b, "count_include_pad", 1);
    CHECK(run(n, (dn_tensor *[]){&X}, 1, Y, 1, &e) == 0);
    CHECK(near(Y[0].data, (float[]){14 / 9.0f}, 1, 1e-6f));
    dn_tensor_free(&Y[0]);

    /* ceil_mode: 1-D length 5, k 2, s 3, pads 1,1 -> 3 windows by the formula,
       the last starts in the end padding and is dropped */
    dn_tensor X1 = tf(3, (int64_t[]){1, 1, 5}, (float[]){1, 2, 3, 4, 5});
    n = mk(&b, "MaxPool", "1", 1);
    static int64_t k1[1] = {2}, s3[1] = {3}, p11[2] = {1, 1};
    attr_ints(&b, "kernel_shape", k1, 1);
    attr_ints(&b, "strides", s3, 1);
    attr_ints(&b, "pads", p11, 2);
    attr_i(&b, "ceil_mode", 1);
    CHECK(run(n, (dn_tensor *[]){&X1}, 1, Y, 1, &e) == 0);
    CHECK(shape_is(&Y[0], 3, (int64_t[]){1, 1, 2}) && near(Y[0].data, (float[]){1, 4}, 2, 0));
    dn_tensor_free(&Y[0]);

    /* ceil_mode with include-pad: the overhanging window divides by what it covers */
    n = mk(&b, "AveragePool", "1", 1);
    static int64_t s2_1[1] = {2};
    attr_ints(&b, "kernel_shape", k1, 1);
    attr_ints(&b, "strides", s2_1, 1);
    attr_i(&b, "ceil_mode", 1);
    attr_i(&b, "count_include_pad", 1);
    CHECK(run(n, (dn_tensor *[]){&X1}, 1, Y, 1, &e) == 0);
    CHECK(shape_is(&Y[0], 3, (int64_t[]){1, 1, 3}) &&
          near(Y[0].data, (float[]){1.5f, 3.5f, 5}, 3, 0));
    dn_tensor_free(&Y[0]);

    n = mk(&b, "GlobalAveragePool", "1", 1);
    CHECK(run(n, (dn_tensor *[]){&X}, 1, Y, 1, &e) == 0);
    CHECK(shape_is(&Y[0], 4, (int64_t[]){1, 1, 1, 1}) &&
          near(Y[0].data, (float[]){8.5f}, 1, 1e-6f));
    dn_tensor_free(&Y[0]);
    n = mk(&b, "GlobalMaxPool", "1", 1);
    CHECK(run(n, (dn_tensor *[]){&X}, 1, Y, 1, &e) == 0);
    CHECK(near(Y[0].data, (float[]){16}, 1, 0));
    dn_tensor_free(&Y[0]);

    n = mk(&b, "LpPool", "1", 1);
    attr_ints(&b, "kernel_shape", k2, 2);
    attr_ints(&b, "strides", s2, 2);
    CHECK(run(n, (dn_tensor *[]){&X}, 1, Y, 1, &e) == 0);
    CHECK(near(Y[0].data, (float[]){sqrtf(1 + 4 + 25 + 36)}, 1, 1e-6f));
    dn_tensor_free(&Y[0]);

    /* errors: no kernel_shape; rank too small */
    n = mk(&b, "MaxPool", "1", 1);
    CHECK(run(n, (dn_tensor *[]){&X}, 1, Y, 1, &e) == -1 && strstr(e.msg, "kernel_shape"));
    dn_tensor X2 = tf(2, (int64_t[]){2, 2}, NULL);
    n = mk(&b, "GlobalAveragePool", "1", 1);
    CHECK(run(n, (dn_tensor *[]){&X2}, 1, Y, 1, &e) == -1 && strstr(e.msg, "rank"));
    dn_tensor_free(&X);
    dn_tensor_free(&X1);
    dn_tensor_free(&X2);
}

/* ---- shape inference with unknown dims ------------------------------- */

static int infer(ir_node *n, dn_tensor **in, int nin, dn_tensor *out, int nout, dn_err *e)
{
    const op_def *d = op_lookup("", n->op);
    const dn_tensor *ins[8];
    for (int i = 0; i < nin; i++)
        ins[i] = in[i];
    for (int i = 0; i < nout; i++) {
        memset(&out[i], 0, sizeof out[i]);
        out[i].shape = dn_shape_unknown();
    }
    return d ? d->infer(n, ins, nin, out, nout, e) : -1;
}

static void test_infer_unknown(void)
{
    node_buf b;
    dn_err e;
    dn_tensor Y[2];
    /* MatMul [?,128,768] x [768,3072] -> [?,128,3072]; unknown rank -> unknown */
    dn_tensor A = {DN_F32, dn_shape_make(3, (int64_t[]){-1, 128, 768}), NULL};
    dn_tensor W = {DN_F32, dn_shape_make(2, (int64_t[]){768, 3072}), NULL};
    dn_tensor U = {DN_F32, dn_shape_unknown(), NULL};
    ir_node *n = mk(&b, "MatMul", "11", 1);
    CHECK(infer(n, (dn_tensor *[]){&A, &W}, 2, Y, 1, &e) == 0 &&
          shape_is(&Y[0], 3, (int64_t[]){-1, 128, 3072}));
    CHECK(infer(n, (dn_tensor *[]){&U, &W}, 2, Y, 1, &e) == 0 && Y[0].shape.rank < 0);
    /* Conv with unknown batch and height */
    dn_tensor X = {DN_F32, dn_shape_make(4, (int64_t[]){-1, 3, -1, 32}), NULL};
    dn_tensor K = {DN_F32, dn_shape_make(4, (int64_t[]){8, 3, 3, 3}), NULL};
    n = mk(&b, "Conv", "11", 1);
    static int64_t s2[2] = {2, 2};
    attr_ints(&b, "strides", s2, 2);
    CHECK(infer(n, (dn_tensor *[]){&X, &K}, 2, Y, 1, &e) == 0 &&
          shape_is(&Y[0], 4, (int64_t[]){-1, 8, -1, 15}));
    /* MaxPool with Indices, unknown width */
    dn_tensor P = {DN_F32, dn_shape_make(4, (int64_t[]){1, 3, 8, -1}), NULL};
    n = mk(&b, "MaxPool", "1", 2);
    static int64_t k2[2] = {2, 2};
    attr_ints(&b, "kernel_shape", k2, 2);
    attr_ints(&b, "strides", s2, 2);
    CHECK(infer(n, (dn_tensor *[]){&P}, 1, Y, 2, &e) == 0 &&
          shape_is(&Y[0], 4, (int64_t[]){1, 3, 4, -1}) && Y[1].dtype == DN_I64 &&
          shape_is(&Y[1], 4, (int64_t[]){1, 3, 4, -1}));
    /* Einsum with an unknown batch dim */
    dn_tensor Q = {DN_F32, dn_shape_make(3, (int64_t[]){-1, 5, 4}), NULL};
    dn_tensor R = {DN_F32, dn_shape_make(3, (int64_t[]){-1, 6, 4}), NULL};
    n = mk(&b, "Einsum", "11", 1);
    attr_s(&b, "equation", "bid,bjd->bij");
    CHECK(infer(n, (dn_tensor *[]){&Q, &R}, 2, Y, 1, &e) == 0 &&
          shape_is(&Y[0], 3, (int64_t[]){-1, 5, 6}));
    /* Gemm: unsupported dtype is a clear error */
    dn_tensor I = {DN_I64, dn_shape_make(2, (int64_t[]){2, 2}), NULL};
    n = mk(&b, "Gemm", "11", 1);
    CHECK(infer(n, (dn_tensor *[]){&I, &I}, 2, Y, 1, &e) == -1 && strstr(e.msg, "not supported"));
}

int main(void)
{
    test_sgemm();
    test_matmul();
    test_gemm();
    test_einsum();
    test_conv();
    test_conv_transpose();
    test_pool();
    test_infer_unknown();
    return DONE();
}
