/* op_conv.c -- Conv and ConvTranspose (1-D, 2-D, 3-D, grouped), f32.
 *
 * Conv lowers each (image, group) to one GEMM: W_g [Mg x Cg*k] times the
 * im2col matrix [Cg*k x out_positions].  The im2col matrix is built in
 * slabs of output rows so its memory stays bounded on large images.  Two
 * shapes skip im2col: 1x1 stride-1 unpadded kernels (X already is that
 * matrix) and depthwise kernels (one input channel per group), where the
 * matrix would be as large as the work itself and a direct loop is faster.
 *
 * ConvTranspose is the adjoint: col = W_g^T X_g by GEMM, then col2im
 * scatters-adds col into the output.
 */
#include "op_impl.h"

#include <stdlib.h>
#include <string.h>

#define NSP_MAX (DN_MAX_RANK - 2)
/* Floats in one im2col / col2im slab (16 MiB). */
#define COL_MAX ((int64_t)1 << 22)

typedef struct conv_geom {
    int nsp;                /* spatial dims */
    int64_t N, C, M, group; /* M: output channels */
    int64_t in[NSP_MAX], k[NSP_MAX], out[NSP_MAX];
    int64_t stride[NSP_MAX], dil[NSP_MAX], pb[NSP_MAX], pe[NSP_MAX];
} conv_geom;

static int auto_pad_mode(const ir_node *n, int *mode, dn_err *e)
{
    const char *ap = ir_attr_str(n, "auto_pad", "NOTSET");
    static const char *const names[] = {"NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"};
    for (int i = 0; i < 4; i++)
        if (strcmp(ap, names[i]) == 0) {
            *mode = i;
            return 0;
        }
    return dn_errf(e, "%s: unknown auto_pad '%s'", n->op, ap);
}
enum { AP_NOTSET, AP_SAME_UPPER, AP_SAME_LOWER, AP_VALID };

/* Attributes and dims shared by Conv and ConvTranspose; unknown dims stay -1. */
static int geom_common(const ir_node *n, const dn_shape *x, const dn_shape *w, conv_geom *g,
                       dn_err *e)
{
    if (x->rank < 3) return dn_errf(e, "%s: X must have rank >= 3, got %d", n->op, x->rank);
    if (x->rank > DN_MAX_RANK) return dn_errf(e, "%s: rank %d too large", n->op, x->rank);
    if (w->rank >= 0 && w->rank != x->rank)
        return dn_errf(e, "%s: W rank %d differs from X rank %d", n->op, w->rank, x->rank);
    memset(g, 0, sizeof *g);
    g->nsp = x->rank - 2;
    g->N = x->d[0];
    g->C = x->d[1];
    g->group = ir_attr_int(n, "group", 1);
    if (g->group < 1) return dn_errf(e, "%s: group must be >= 1", n->op);
    for (int i = 0; i < g->nsp; i++) {
        g->in[i] = x->d[2 + i];
        g->k[i] = w->rank >= 0 ? w->d[2 + i] : -1;
    }
    int cnt;
    const int64_t *ks = ir_attr_ints(n, "kernel_shape", &cnt);
    if (ks) {
        if (cnt != g->nsp)
            return dn_errf(e, "%s: kernel_shape has %d values for %d spatial dims", n->op, cnt,
                           g->nsp);
        for (int i = 0; i < g->nsp; i++) {
            if (g->k[i] >= 0 && g->k[i] != ks[i])
                return dn_errf(e, "%s: kernel_shape disagrees with W", n->op);
            g->k[i] = ks[i];
        }
    }
    if (op_ints_attr(n, "strides", g->nsp, 1, g->stride, e) ||
        op_ints_attr(n, "dilations", g->nsp, 1, g->dil, e))
        return -1;
    int64_t pads[2 * NSP_MAX];
    if (op_ints_attr(n, "pads", 2 * g->nsp, 0, pads, e)) return -1;
    for (int i = 0; i < g->nsp; i++) {
        if (g->stride[i] < 1 || g->dil[i] < 1)
            return dn_errf(e, "%s: strides and dilations must be >= 1", n->op);
        if (pads[i] < 0 || pads[g->nsp + i] < 0) return dn_errf(e, "%s: negative pads", n->op);
        if (g->k[i] == 0) return dn_errf(e, "%s: empty kernel", n->op);
        g->pb[i] = pads[i];
        g->pe[i] = pads[g->nsp + i];
    }
    return 0;
}

static int conv_geom_make(const ir_node *n, const dn_shape *x, const dn_shape *w, const dn_shape *b,
                          conv_geom *g, dn_err *e)
{
    if (geom_common(n, x, w, g, e)) return -1;
    int mode;
    if (auto_pad_mode(n, &mode, e)) return -1;
    g->M = w->rank >= 0 ? w->d[0] : -1;
    if (w->rank >= 0 && g->C >= 0 && w->d[1] >= 0 && g->C != w->d[1] * g->group)
        return dn_errf(e, "Conv: X has %lld channels, W expects %lld x group %lld", (long long)g->C,
                       (long long)w->d[1], (long long)g->group);
    if (g->M >= 0 && g->M % g->group)
        return dn_errf(e, "Conv: %lld output channels not divisible by group %lld", (long long)g->M,
                       (long long)g->group);
    if (b && b->rank >= 0 && (b->rank != 1 || (g->M >= 0 && b->d[0] >= 0 && b->d[0] != g->M)))
        return dn_errf(e, "Conv: bias must have shape [%lld]", (long long)g->M);
    for (int i = 0; i < g->nsp; i++) {
        int64_t in = g->in[i], k = g->k[i], s = g->stride[i];
        if (in < 0 || k < 0) {
            g->out[i] = -1;
            continue;
        }
        int64_t dk = g->dil[i] * (k - 1) + 1;
        if (mode == AP_VALID) g->pb[i] = g->pe[i] = 0;
        if (mode == AP_SAME_UPPER || mode == AP_SAME_LOWER) {
            int64_t o = (in + s - 1) / s, total = (o - 1) * s + dk - in;
            if (total < 0) total = 0;
            g->pb[i] = mode == AP_SAME_UPPER ? total / 2 : (total + 1) / 2;
            g->pe[i] = total - g->pb[i];
        }
        int64_t span = in + g->pb[i] + g->pe[i] - dk;
        if (span < 0)
            return dn_errf(e,
                           "Conv: kernel extent %lld exceeds padded input %lld on spatial dim %d",
                           (long long)dk, (long long)(in + g->pb[i] + g->pe[i]), i);
        g->out[i] = span / s + 1;
    }
    return 0;
}

static int conv_check_dtypes(const ir_node *n, const dn_tensor *const *in, int nin, dn_err *e)
{
    for (int i = 0; i < nin; i++)
        if (in[i] && in[i]->dtype != DN_F32)
            return dn_errf(e, "%s: dtype %s not supported (f32 only)", n->op,
                           dn_dtype_name(in[i]->dtype));
    return 0;
}

static int conv_infer(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out,
                      int nout, dn_err *e)
{
    (void)nout;
    if (conv_check_dtypes(n, in, nin, e)) return -1;
    out[0].dtype = DN_F32;
    if (in[0]->shape.rank < 0) {
        out[0].shape = dn_shape_unknown();
        return 0;
    }
    conv_geom g;
    const dn_shape *b = nin > 2 && in[2] ? &in[2]->shape : NULL;
    if (conv_geom_make(n, &in[0]->shape, &in[1]->shape, b, &g, e)) return -1;
    dn_shape o = dn_shape_make(g.nsp + 2, NULL);
    o.d[0] = g.N;
    o.d[1] = g.M;
    for (int i = 0; i < g.nsp; i++)
        o.d[2 + i] = g.out[i];
    out[0].shape = o;
    return 0;
}

/* The t in [lo, hi) with 0 <= t*s + off < lim form one interval [*a, *b). */
static void valid_range(int64_t lo, int64_t hi, int64_t s, int64_t off, int64_t lim, int64_t *a,
                        int64_t *b)
{
    int64_t first = off >= 0 ? 0 : (-off + s - 1) / s;
    int64_t last = lim - 1 - off < 0 ? -1 : (lim - 1 - off) / s; /* inclusive */
    *a = first > lo ? first : lo;
    *b = last + 1 < hi ? last + 1 : hi;
    if (*b < *a) *b = *a;
}

static int64_t prod(const int64_t *d, int n)
{
    int64_t p = 1;
    for (int i = 0; i < n; i++)
        p *= d[i];
    return p;
}

/* Splits a row-major kernel index into per-dim offsets k*dil - pad_begin. */
static void kernel_offsets(const conv_geom *g, int64_t kk, int64_t *koff)
{
    for (int d = g->nsp - 1; d >= 0; d--) {
        koff[d] = (kk % g->k[d]) * g->dil[d] - g->pb[d];
        kk /= g->k[d];
    }
}

/* im2col rows for Cg channels of x ([Cg, in...]) over output positions whose
   first spatial index is in [o0, o1): col is [Cg*ksz, (o1-o0)*rest]. */
static void im2col(const conv_geom *g, const float *x, int64_t Cg, int64_t o0, int64_t o1,
                   float *col)
{
    int L = g->nsp - 1;
    int64_t ksz = prod(g->k, g->nsp), inhw = prod(g->in, g->nsp);
    int64_t ist[NSP_MAX];
    dn_shape ins = dn_shape_make(g->nsp, g->in);
    dn_strides(&ins, ist);
    dn_shape outer = dn_shape_make(L, g->out); /* every dim but the last */
    if (L > 0) outer.d[0] = o1 - o0;
    int64_t lo = L == 0 ? o0 : 0, hi = L == 0 ? o1 : g->out[L];
    int64_t inner = hi - lo, s = g->stride[L];
    float *dst = col;
    for (int64_t c = 0; c < Cg; c++) {
        const float *xc = x + c * inhw;
        for (int64_t kk = 0; kk < ksz; kk++) {
            int64_t koff[NSP_MAX];
            kernel_offsets(g, kk, koff);
            int64_t a, b;
            valid_range(lo, hi, s, koff[L], g->in[L], &a, &b);
            int64_t idx[NSP_MAX] = {0};
            do {
                int64_t base = 0, ok = 1;
                for (int d = 0; d < L; d++) {
                    int64_t i = (idx[d] + (d == 0 ? o0 : 0)) * g->stride[d] + koff[d];
                    if (i < 0 || i >= g->in[d]) ok = 0;
                    base += i * ist[d];
                }
                if (!ok || a == b) {
                    memset(dst, 0, sizeof(float) * (size_t)inner);
                } else {
                    const float *src = xc + base + koff[L];
                    int64_t t = lo;
                    for (; t < a; t++)
                        dst[t - lo] = 0.0f;
                    if (s == 1)
                        memcpy(dst + (a - lo), src + a, sizeof(float) * (size_t)(b - a));
                    else
                        for (t = a; t < b; t++)
                            dst[t - lo] = src[t * s];
                    for (t = b; t < hi; t++)
                        dst[t - lo] = 0.0f;
                }
                dst += inner;
            } while (op_next_index(&outer, idx));
        }
    }
}

typedef float v4f __attribute__((vector_size(16)));
typedef float v4f_u __attribute__((vector_size(16), aligned(4)));

/* y += a * x over n floats, 4-wide: -O2 does not vectorize loops that need
   a scalar epilogue, and this is the inner loop of the depthwise path. */
static void axpy(float *y, const float *x, float a, int64_t n)
{
    v4f av = {a, a, a, a};
    int64_t k = 0;
    for (; k + 8 <= n; k += 8) {
        *(v4f_u *)(y + k) += av * *(const v4f_u *)(x + k);
        *(v4f_u *)(y + k + 4) += av * *(const v4f_u *)(x + k + 4);
    }
    for (; k < n; k++)
        y[k] += a * x[k];
}

/* One channel plane of a depthwise 2-D conv (1-D runs as H = 1), accumulated into y. */
static void depthwise_plane(const conv_geom *g, const float *x, const float *w, float *y)
{
    int two = g->nsp == 2;
    int64_t H = two ? g->in[0] : 1, W = g->in[two], KH = two ? g->k[0] : 1, KW = g->k[two];
    int64_t OH = two ? g->out[0] : 1, OW = g->out[two];
    int64_t sh = two ? g->stride[0] : 1, sw = g->stride[two];
    int64_t dh = two ? g->dil[0] : 1, dw = g->dil[two];
    int64_t ph = two ? g->pb[0] : 0, pw = g->pb[two];
    for (int64_t oh = 0; oh < OH; oh++) {
        float *yr = y + oh * OW;
        for (int64_t kh = 0; kh < KH; kh++) {
            int64_t ih = oh * sh - ph + kh * dh;
            if (ih < 0 || ih >= H) continue;
            const float *xr = x + ih * W;
            for (int64_t kw = 0; kw < KW; kw++) {
                float wv = w[kh * KW + kw];
                int64_t off = kw * dw - pw, a, b;
                valid_range(0, OW, sw, off, W, &a, &b);
                if (sw == 1) {
                    axpy(yr + a, xr + off + a, wv, b - a);
                } else {
                    for (int64_t ow = a; ow < b; ow++)
                        yr[ow] += wv * xr[ow * sw + off];
                }
            }
        }
    }
}

static void add_bias(float *y, const float *bias, int64_t N, int64_t M, int64_t hw)
{
    if (!bias) return;
    for (int64_t n = 0; n < N; n++)
        for (int64_t m = 0; m < M; m++) {
            float *p = y + (n * M + m) * hw, bv = bias[m];
            for (int64_t i = 0; i < hw; i++)
                p[i] += bv;
        }
}

static int conv_eval(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out,
                     int nout, dn_err *e)
{
    (void)nout;
    conv_geom g;
    const dn_shape *bs = nin > 2 && in[2] ? &in[2]->shape : NULL;
    if (conv_geom_make(n, &in[0]->shape, &in[1]->shape, bs, &g, e)) return -1;
    const float *X = in[0]->data, *W = in[1]->data;
    const float *bias = bs ? in[2]->data : NULL;
    float *Y = out[0].data;
    int64_t Cg = g.C / g.group, Mg = g.M / g.group;
    int64_t inhw = prod(g.in, g.nsp), ohw = prod(g.out, g.nsp), ksz = prod(g.k, g.nsp);
    if (dn_shape_numel(&out[0].shape) == 0) return 0;
    int pointwise = 1;
    for (int i = 0; i < g.nsp; i++)
        if (g.k[i] != 1 || g.stride[i] != 1 || g.pb[i] || g.pe[i]) pointwise = 0;
    int depthwise = Cg == 1 && g.nsp <= 2 && !pointwise;
    int64_t R = Cg * ksz;
    /* Slab of whole first-dim output rows under COL_MAX floats, at least one row. */
    int64_t rest = g.nsp > 1 ? ohw / g.out[0] : 1, rows = g.nsp > 1 ? g.out[0] : ohw;
    int64_t per_row = g.nsp > 1 ? rest : 1;
    int64_t slab = R * per_row > 0 ? COL_MAX / (R * per_row) : rows;
    if (slab < 1) slab = 1;
    if (slab > rows) slab = rows;
    float *col = NULL;
    if (!pointwise && !depthwise) {
        col = malloc(sizeof(float) * (size_t)(R * slab * per_row + 1));
        if (!col) return dn_errf(e, "Conv: out of memory for the im2col buffer");
    }
    for (int64_t b = 0; b < g.N; b++)
        for (int64_t gr = 0; gr < g.group; gr++) {
            const float *xg = X + (b * g.C + gr * Cg) * inhw;
            const float *wg = W + gr * Mg * R;
            float *yg = Y + (b * g.M + gr * Mg) * ohw;
            if (pointwise) {
                op_sgemm(0, 0, Mg, ohw, Cg, 1.0f, wg, Cg, xg, inhw, 0.0f, yg, ohw);
            } else if (depthwise) {
                for (int64_t m = 0; m < Mg; m++)
                    depthwise_plane(&g, xg, wg + m * ksz, yg + m * ohw);
            } else {
                for (int64_t o0 = 0; o0 < rows; o0 += slab) {
                    int64_t o1 = o0 + slab < rows ? o0 + slab : rows;
                    int64_t ncol = (o1 - o0) * per_row;
                    im2col(&g, xg, Cg, o0, o1, col);
                    op_sgemm(0, 0, Mg, ncol, R, 1.0f, wg, R, col, ncol, 0.0f, yg + o0 * per_row,
                             ohw);
                }
            }
        }
    free(col);
    add_bias(Y, bias, g.N, g.M, ohw);
    return 0;
}

/* ------------------------------------------------------------------ */
/* ConvTranspose                                                        */
/* ------------------------------------------------------------------ */

/* With output_shape (or SAME_*) the total padding is derived from the
   target size and split as the ONNX spec says: SAME_UPPER puts the odd
   pixel at the end, NOTSET and SAME_LOWER at the beginning (ORT agrees). */
static int convt_geom_make(const ir_node *n, const dn_shape *x, const dn_shape *w,
                           const dn_shape *b, conv_geom *g, dn_err *e)
{
    if (geom_common(n, x, w, g, e)) return -1;
    int mode;
    if (auto_pad_mode(n, &mode, e)) return -1;
    if (w->rank >= 0 && g->C >= 0 && w->d[0] >= 0 && w->d[0] != g->C)
        return dn_errf(e, "ConvTranspose: X has %lld channels, W has %lld", (long long)g->C,
                       (long long)w->d[0]);
    if (g->C >= 0 && g->C % g->group)
        return dn_errf(e, "ConvTranspose: %lld channels not divisible by group %lld",
                       (long long)g->C, (long long)g->group);
    g->M = w->rank >= 0 && w->d[1] >= 0 ? w->d[1] * g->group : -1;
    if (b && b->rank >= 0 && (b->rank != 1 || (g->M >= 0 && b->d[0] >= 0 && b->d[0] != g->M)))
        return dn_errf(e, "ConvTranspose: bias must have shape [%lld]", (long long)g->M);
    int64_t adj[NSP_MAX], oshape[NSP_MAX];
    if (op_ints_attr(n, "output_padding", g->nsp, 0, adj, e)) return -1;
    int cnt;
    const int64_t *os = ir_attr_ints(n, "output_shape", &cnt);
    if (os && cnt != g->nsp && cnt != g->nsp + 2)
        return dn_errf(e, "ConvTranspose: output_shape has %d values", cnt);
    for (int i = 0; i < g->nsp; i++)
        oshape[i] = os ? os[cnt == g->nsp ? i : i + 2] : -1;
    for (int i = 0; i < g->nsp; i++) {
        int64_t in = g->in[i], k = g->k[i], s = g->stride[i];
        if (in < 0 || k < 0) {
            g->out[i] = -1;
            continue;
        }
        int64_t full = (in - 1) * s + adj[i] + (k - 1) * g->dil[i] + 1;
        int64_t target = oshape[i] >= 0                                     ? oshape[i]
                         : (mode == AP_SAME_UPPER || mode == AP_SAME_LOWER) ? in * s
                                                                            : -1;
        if (mode == AP_VALID) g->pb[i] = g->pe[i] = 0;
        if (target >= 0) {
            int64_t total = full - target > 0 ? full - target : 0;
            g->pb[i] = mode == AP_SAME_UPPER ? total / 2 : total - total / 2;
            g->pe[i] = total - g->pb[i];
        }
        g->out[i] = oshape[i] >= 0 ? oshape[i] : full - g->pb[i] - g->pe[i];
        if (g->out[i] <= 0)
            return dn_errf(e, "ConvTranspose: output size %lld on spatial dim %d",
                           (long long)g->out[i], i);
    }
    return 0;
}

static int convt_infer(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out,
                       int nout, dn_err *e)
{
    (void)nout;
    if (conv_check_dtypes(n, in, nin, e)) return -1;
    out[0].dtype = DN_F32;
    if (in[0]->shape.rank < 0) {
        out[0].shape = dn_shape_unknown();
        return 0;
    }
    conv_geom g;
    const dn_shape *b = nin > 2 && in[2] ? &in[2]->shape : NULL;
    if (convt_geom_make(n, &in[0]->shape, &in[1]->shape, b, &g, e)) return -1;
    dn_shape o = dn_shape_make(g.nsp + 2, NULL);
    o.d[0] = g.N;
    o.d[1] = g.M;
    for (int i = 0; i < g.nsp; i++)
        o.d[2 + i] = g.out[i];
    out[0].shape = o;
    return 0;
}

/* Adds col ([Mg*ksz, (i1-i0)*rest] over input positions whose first spatial
   index is in [i0, i1)) into y ([Mg, out...]): the mirror of im2col. */
static void col2im(const conv_geom *g, const float *col, int64_t Mg, int64_t i0, int64_t i1,
                   float *y)
{
    int L = g->nsp - 1;
    int64_t ksz = prod(g->k, g->nsp), ohw = prod(g->out, g->nsp);
    int64_t ost[NSP_MAX];
    dn_shape os = dn_shape_make(g->nsp, g->out);
    dn_strides(&os, ost);
    dn_shape outer = dn_shape_make(L, g->in);
    if (L > 0) outer.d[0] = i1 - i0;
    int64_t lo = L == 0 ? i0 : 0, hi = L == 0 ? i1 : g->in[L];
    int64_t inner = hi - lo, s = g->stride[L];
    const float *src = col;
    for (int64_t m = 0; m < Mg; m++) {
        float *ym = y + m * ohw;
        for (int64_t kk = 0; kk < ksz; kk++) {
            int64_t koff[NSP_MAX];
            kernel_offsets(g, kk, koff);
            int64_t a, b;
            valid_range(lo, hi, s, koff[L], g->out[L], &a, &b);
            int64_t idx[NSP_MAX] = {0};
            do {
                int64_t base = 0, ok = 1;
                for (int d = 0; d < L; d++) {
                    int64_t o = (idx[d] + (d == 0 ? i0 : 0)) * g->stride[d] + koff[d];
                    if (o < 0 || o >= g->out[d]) ok = 0;
                    base += o * ost[d];
                }
                if (ok) {
                    float *dst = ym + base + koff[L];
                    for (int64_t t = a; t < b; t++)
                        dst[t * s] += src[t - lo];
                }
                src += inner;
            } while (op_next_index(&outer, idx));
        }
    }
}

static int convt_eval(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out,
                      int nout, dn_err *e)
{
    (void)nout;
    conv_geom g;
    const dn_shape *bs = nin > 2 && in[2] ? &in[2]->shape : NULL;
    if (convt_geom_make(n, &in[0]->shape, &in[1]->shape, bs, &g, e)) return -1;
    const float *X = in[0]->data, *W = in[1]->data;
    const float *bias = bs ? in[2]->data : NULL;
    float *Y = out[0].data;
    int64_t Cg = g.C / g.group, Mg = g.M / g.group;
    int64_t inhw = prod(g.in, g.nsp), ohw = prod(g.out, g.nsp), ksz = prod(g.k, g.nsp);
    if (dn_shape_numel(&out[0].shape) == 0) return 0;
    int64_t R = Mg * ksz;
    int64_t rows = g.nsp > 1 ? g.in[0] : inhw, per_row = g.nsp > 1 && g.in[0] ? inhw / g.in[0] : 1;
    int64_t slab = R * per_row > 0 ? COL_MAX / (R * per_row) : rows;
    if (slab < 1) slab = 1;
    if (slab > rows) slab = rows;
    float *col = malloc(sizeof(float) * (size_t)(R * slab * per_row + 1));
    if (!col) return dn_errf(e, "ConvTranspose: out of memory for the col buffer");
    for (int64_t b = 0; b < g.N; b++)
        for (int64_t gr = 0; gr < g.group; gr++) {
            const float *xg = X + (b * g.C + gr * Cg) * inhw;
            const float *wg = W + gr * Cg * R; /* [Cg, Mg*ksz] */
            float *yg = Y + (b * g.M + gr * Mg) * ohw;
            for (int64_t i0 = 0; i0 < rows; i0 += slab) {
                int64_t i1 = i0 + slab < rows ? i0 + slab : rows;
                int64_t ncol = (i1 - i0) * per_row;
                op_sgemm(1, 0, R, ncol, Cg, 1.0f, wg, R, xg + i0 * per_row, inhw, 0.0f, col, ncol);
                col2im(&g, col, Mg, i0, i1, yg);
            }
        }
    free(col);
    add_bias(Y, bias, g.N, g.M, ohw);
    return 0;
}

const op_def op_defs_conv[] = {
    {"Conv", 2, 3, 1, 1, conv_infer, conv_eval},
    {"ConvTranspose", 2, 3, 1, 1, convt_infer, convt_eval},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};
