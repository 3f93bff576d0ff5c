/* op_pool.c -- MaxPool, AveragePool, LpPool and their Global* forms.
 *
 * One N-D window walker serves every pooling kind.  It works on a double
 * copy of the input, which is exact for every dtype accepted here (f32,
 * f64, i8, u8) and keeps one code path; pooling does a few reads per
 * input element, so the copy is not what costs.
 *
 * Output sizes follow ONNX Runtime, including its ceil_mode rule (from
 * PyTorch): a last window that would start in the end padding is dropped.
 * AveragePool's count_include_pad divisor counts the taps that fall
 * inside the padded input, so windows hanging past the end padding (only
 * possible with ceil_mode) divide by less than the kernel size, as ORT does.
 */
#include "op_impl.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NSP_MAX (DN_MAX_RANK - 2)

enum { POOL_MAX, POOL_AVG, POOL_LP };

typedef struct pool_geom {
    int nsp;
    int64_t N, C;
    int64_t in[NSP_MAX], k[NSP_MAX], out[NSP_MAX];
    int64_t stride[NSP_MAX], dil[NSP_MAX], pb[NSP_MAX], pe[NSP_MAX];
} pool_geom;

static int pool_geom_make(const ir_node *n, const dn_shape *x, int global, pool_geom *g, dn_err *e)
{
    if (x->rank < 3) return dn_errf(e, "%s: X must have rank >= 3, got %d", n->op, x->rank);
    memset(g, 0, sizeof *g);
    g->nsp = x->rank - 2;
    g->N = x->d[0];
    g->C = x->d[1];
    for (int i = 0; i < g->nsp; i++)
        g->in[i] = x->d[2 + i];
    if (global) {
        for (int i = 0; i < g->nsp; i++) {
            g->k[i] = g->in[i];
            g->stride[i] = g->dil[i] = 1;
            g->out[i] = 1;
        }
        return 0;
    }
    int cnt;
    const int64_t *ks = ir_attr_ints(n, "kernel_shape", &cnt);
    if (!ks) return dn_errf(e, "%s: missing kernel_shape", n->op);
    if (cnt != g->nsp)
        return dn_errf(e, "%s: kernel_shape has %d values for %d spatial dims", n->op, cnt, g->nsp);
    int64_t pads[2 * NSP_MAX];
    if (op_ints_attr(n, "strides", g->nsp, 1, g->stride, e) ||
        op_ints_attr(n, "dilations", g->nsp, 1, g->dil, e) ||
        op_ints_attr(n, "pads", 2 * g->nsp, 0, pads, e))
        return -1;
    const char *ap = ir_attr_str(n, "auto_pad", "NOTSET");
    int same_upper = strcmp(ap, "SAME_UPPER") == 0, same_lower = strcmp(ap, "SAME_LOWER") == 0;
    int valid = strcmp(ap, "VALID") == 0;
    if (!same_upper && !same_lower && !valid && strcmp(ap, "NOTSET") != 0)
        return dn_errf(e, "%s: unknown auto_pad '%s'", n->op, ap);
    int ceil_mode = ir_attr_int(n, "ceil_mode", 0) != 0;
    for (int i = 0; i < g->nsp; i++) {
        g->k[i] = ks[i];
        if (ks[i] < 1) return dn_errf(e, "%s: kernel_shape values must be >= 1", n->op);
        if (g->stride[i] < 1 || g->dil[i] < 1)
            return dn_errf(e, "%s: strides and dilations must be >= 1", n->op);
        if (pads[i] < 0 || pads[g->nsp + i] < 0) return dn_errf(e, "%s: negative pads", n->op);
        g->pb[i] = valid ? 0 : pads[i];
        g->pe[i] = valid ? 0 : pads[g->nsp + i];
        int64_t in = g->in[i], s = g->stride[i], dk = g->dil[i] * (ks[i] - 1) + 1;
        if (in < 0) {
            g->out[i] = -1;
            continue;
        }
        if (same_upper || same_lower) {
            int64_t o = (in + s - 1) / s, total = (o - 1) * s + dk - in;
            if (total < 0) total = 0;
            g->pb[i] = same_upper ? total / 2 : (total + 1) / 2;
            g->pe[i] = total - g->pb[i];
        }
        int64_t span = in + g->pb[i] + g->pe[i] - dk;
        if (span < 0)
            return dn_errf(e, "%s: window %lld larger than padded input %lld on spatial dim %d",
                           n->op, (long long)dk, (long long)(in + g->pb[i] + g->pe[i]), i);
        int64_t o = (ceil_mode ? (span + s - 1) / s : span / s) + 1;
        if (ceil_mode && (o - 1) * s >= in + g->pb[i]) o--;
        g->out[i] = o;
    }
    return 0;
}

/* The t in [0, k) with 0 <= start + t*dil < lim, as a count and a first index. */
static int64_t taps(int64_t k, int64_t dil, int64_t start, int64_t lim, int64_t *first)
{
    int64_t a = start >= 0 ? 0 : (-start + dil - 1) / dil;
    int64_t b = lim - 1 - start < 0 ? 0 : (lim - 1 - start) / dil + 1;
    if (b > k) b = k;
    *first = a;
    return b > a ? b - a : 0;
}

/* Per spatial dim and output index: where the window's valid taps begin in
   the input (first), how many there are (cnt), and how many fall inside the
   padded input (inc, the count_include_pad divisor).  Computed once per node
   so the per-output work is table lookups. */
typedef struct pool_tab {
    int64_t *pos[NSP_MAX], *cnt[NSP_MAX], *inc[NSP_MAX];
    int64_t *mem;
} pool_tab;

static int pool_tab_make(const pool_geom *g, pool_tab *t)
{
    int64_t total = 0;
    for (int d = 0; d < g->nsp; d++)
        total += g->out[d];
    t->mem = malloc(sizeof(int64_t) * (size_t)(3 * total + 1));
    if (!t->mem) return -1;
    int64_t *p = t->mem;
    for (int d = 0; d < g->nsp; d++) {
        t->pos[d] = p;
        t->cnt[d] = p + g->out[d];
        t->inc[d] = p + 2 * g->out[d];
        p += 3 * g->out[d];
        for (int64_t o = 0; o < g->out[d]; o++) {
            int64_t start = o * g->stride[d] - g->pb[d], first, f;
            t->cnt[d][o] = taps(g->k[d], g->dil[d], start, g->in[d], &first);
            t->pos[d][o] = start + first * g->dil[d];
            t->inc[d][o] =
                taps(g->k[d], g->dil[d], start + g->pb[d], g->in[d] + g->pb[d] + g->pe[d], &f);
        }
    }
    return 0;
}

/* Pools one (n, c) plane.  ind (MaxPool's Indices) may be NULL. */
static void pool_plane(const pool_geom *g, const pool_tab *t, int kind, int cip, double p,
                       double lowest, int col_major, const double *x, double *y, int64_t *ind,
                       int64_t ind_base)
{
    int ns = g->nsp, L = ns - 1;
    int64_t ist[NSP_MAX], step[NSP_MAX];
    dn_shape ins = dn_shape_make(ns, g->in), outs = dn_shape_make(ns, g->out);
    dn_strides(&ins, ist);
    for (int d = 0; d < ns; d++)
        step[d] = g->dil[d] * ist[d];
    int64_t oidx[NSP_MAX] = {0}, oi = 0;
    do {
        int64_t cnt[NSP_MAX], nvalid = 1, ninc = 1, base = 0;
        for (int d = 0; d < ns; d++) {
            int64_t o = oidx[d];
            cnt[d] = t->cnt[d][o];
            nvalid *= cnt[d];
            ninc *= t->inc[d][o];
            base += t->pos[d][o] * ist[d];
        }
        double acc = kind == POOL_MAX ? lowest : 0.0;
        int64_t best = -1;
        if (nvalid > 0) {
            /* walk the outer tap dims by carry, the last one as a plain loop */
            int64_t tt[NSP_MAX] = {0}, off = base;
            while (1) {
                const double *xr = x + off;
                int64_t n = cnt[L], sl = step[L];
                if (kind == POOL_MAX) {
                    /* strict >: the first maximum wins, NaN never does (as in ORT) */
                    for (int64_t q = 0; q < n; q++)
                        if (xr[q * sl] > acc) {
                            acc = xr[q * sl];
                            best = off + q * sl;
                        }
                } else if (kind == POOL_AVG) {
                    for (int64_t q = 0; q < n; q++)
                        acc += xr[q * sl];
                } else {
                    for (int64_t q = 0; q < n; q++)
                        acc += pow(fabs(xr[q * sl]), p);
                }
                int d = L - 1;
                for (; d >= 0; d--) {
                    off += step[d];
                    if (++tt[d] < cnt[d]) break;
                    off -= cnt[d] * step[d];
                    tt[d] = 0;
                }
                if (d < 0) break;
            }
        }
        if (kind == POOL_AVG) {
            int64_t div = cip ? ninc : nvalid;
            acc = div > 0 ? acc / (double)div : 0.0;
        } else if (kind == POOL_LP) {
            acc = pow(acc, 1.0 / p);
        }
        y[oi] = acc;
        if (ind) {
            int64_t at = best < 0 ? 0 : best;
            if (col_major) { /* ORT's storage_order 1: first spatial dim varies fastest */
                int64_t r = at, cm = 0, mul = 1;
                for (int d = 0; d < ns; d++) {
                    cm += (r / ist[d]) * mul;
                    r %= ist[d];
                    mul *= g->in[d];
                }
                at = cm;
            }
            ind[oi] = ind_base + at;
        }
        oi++;
    } while (op_next_index(&outs, oidx));
}

static int pool_dtype_ok(int kind, int dt)
{
    if (dt == DN_F32 || dt == DN_F64) return 1;
    return kind == POOL_MAX && (dt == DN_I8 || dt == DN_U8);
}

static int pool_kind(const ir_node *n)
{
    if (strstr(n->op, "Max")) return POOL_MAX;
    if (strstr(n->op, "Lp")) return POOL_LP;
    return POOL_AVG;
}

static int pool_infer(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out,
                      int nout, dn_err *e)
{
    (void)nin;
    int kind = pool_kind(n), global = strncmp(n->op, "Global", 6) == 0;
    if (!pool_dtype_ok(kind, in[0]->dtype))
        return dn_errf(e, "%s: dtype %s not supported", n->op, dn_dtype_name(in[0]->dtype));
    if (nout > 1) {
        int so = (int)ir_attr_int(n, "storage_order", 0);
        if (so != 0 && so != 1) return dn_errf(e, "MaxPool: storage_order must be 0 or 1");
        out[1].dtype = DN_I64;
        out[1].shape = dn_shape_unknown();
    }
    out[0].dtype = in[0]->dtype;
    if (in[0]->shape.rank < 0) {
        out[0].shape = dn_shape_unknown();
        return 0;
    }
    pool_geom g;
    if (pool_geom_make(n, &in[0]->shape, global, &g, e)) return -1;
    dn_shape o = dn_shape_make(g.nsp + 2, NULL);
    o.d[0] = g.N;
    o.d[1] = g.C;
    for (int i = 0; i < g.nsp; i++)
        o.d[2 + i] = g.out[i];
    out[0].shape = o;
    if (nout > 1) out[1].shape = o;
    return 0;
}

static int pool_eval(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out,
                     int nout, dn_err *e)
{
    (void)nin;
    int kind = pool_kind(n), global = strncmp(n->op, "Global", 6) == 0;
    pool_geom g;
    if (pool_geom_make(n, &in[0]->shape, global, &g, e)) return -1;
    const dn_tensor *X = in[0];
    dn_tensor *Y = &out[0];
    int64_t nx = dn_shape_numel(&X->shape), ny = dn_shape_numel(&Y->shape);
    if (ny == 0) return 0;
    int cip = ir_attr_int(n, "count_include_pad", 0) != 0;
    double p = kind == POOL_LP ? (double)ir_attr_int(n, "p", 2) : 1.0;
    if (kind == POOL_LP && p <= 0) return dn_errf(e, "%s: p must be positive", n->op);
    int col_major = nout > 1 && ir_attr_int(n, "storage_order", 0) == 1;
    double lowest = X->dtype == DN_F32   ? -FLT_MAX
                    : X->dtype == DN_F64 ? -DBL_MAX
                    : X->dtype == DN_I8  ? -128.0
                                         : 0.0;
    double *xd = malloc(sizeof(double) * (size_t)(nx + 1));
    double *yd = malloc(sizeof(double) * (size_t)(ny + 1));
    if (!xd || !yd) {
        free(xd);
        free(yd);
        return dn_errf(e, "%s: out of memory", n->op);
    }
    if (X->dtype == DN_F32)
        for (int64_t i = 0; i < nx; i++)
            xd[i] = ((const float *)X->data)[i];
    else
        for (int64_t i = 0; i < nx; i++)
            xd[i] = dn_get(X, i);
    int64_t *ind = nout > 1 ? out[1].data : NULL;
    int64_t ihw = 1, ohw = 1;
    for (int i = 0; i < g.nsp; i++)
        ihw *= g.in[i], ohw *= g.out[i];
    pool_tab tab;
    if (pool_tab_make(&g, &tab)) {
        free(xd);
        free(yd);
        return dn_errf(e, "%s: out of memory", n->op);
    }
    for (int64_t c = 0; c < g.N * g.C; c++)
        pool_plane(&g, &tab, kind, cip, p, lowest, col_major, xd + c * ihw, yd + c * ohw,
                   ind ? ind + c * ohw : NULL, c * ihw);
    free(tab.mem);
    if (Y->dtype == DN_F32)
        for (int64_t i = 0; i < ny; i++)
            ((float *)Y->data)[i] = (float)yd[i];
    else
        for (int64_t i = 0; i < ny; i++)
            dn_set(Y, i, yd[i]);
    free(xd);
    free(yd);
    return 0;
}

const op_def op_defs_pool[] = {
    {"MaxPool", 1, 1, 1, 2, pool_infer, pool_eval},
    {"AveragePool", 1, 1, 1, 1, pool_infer, pool_eval},
    {"LpPool", 1, 1, 1, 1, pool_infer, pool_eval},
    {"GlobalMaxPool", 1, 1, 1, 1, pool_infer, pool_eval},
    {"GlobalAveragePool", 1, 1, 1, 1, pool_infer, pool_eval},
    {"GlobalLpPool", 1, 1, 1, 1, pool_infer, pool_eval},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};
