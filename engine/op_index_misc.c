/* op_index_misc.c -- the rest of op_defs_index (op_index.c): TopK,
 * CumSum, NonZero, OneHot and EyeLike. */
#include "op_movement.h"

#include <stdlib.h>
#include <string.h>

#define OP_ARGS                                                                                    \
    const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out, int nout, dn_err *e

static int64_t prod(const int64_t *d, int from, int to)
{
    int64_t p = 1;
    for (int i = from; i < to; i++) p *= d[i];
    return p;
}

static int is_int_dtype(int dt)
{
    return dt == DN_I8 || dt == DN_I16 || dt == DN_I32 || dt == DN_I64 || dt == DN_U8 ||
           dt == DN_U16 || dt == DN_U32 || dt == DN_U64;
}

/* ------------------------------------------------------------------ */
/* TopK                                                                */
/* ------------------------------------------------------------------ */

typedef struct tk_item {
    double f;
    int64_t i, idx;
} tk_item;

/* Ties go to the lower index, as in ONNX Runtime. */
static int tie(const tk_item *a, const tk_item *b) { return a->idx < b->idx ? -1 : a->idx > b->idx; }
static int cmp_large_f(const void *p, const void *q)
{
    const tk_item *a = p, *b = q;
    return a->f > b->f ? -1 : a->f < b->f ? 1 : tie(a, b);
}
static int cmp_small_f(const void *p, const void *q)
{
    const tk_item *a = p, *b = q;
    return a->f < b->f ? -1 : a->f > b->f ? 1 : tie(a, b);
}
static int cmp_large_i(const void *p, const void *q)
{
    const tk_item *a = p, *b = q;
    return a->i > b->i ? -1 : a->i < b->i ? 1 : tie(a, b);
}
static int cmp_small_i(const void *p, const void *q)
{
    const tk_item *a = p, *b = q;
    return a->i < b->i ? -1 : a->i > b->i ? 1 : tie(a, b);
}

static int topk_k(const dn_tensor *t, int64_t *k, dn_err *e)
{
    if (t->dtype != DN_I64 && t->dtype != DN_I32)
        return dn_errf(e, "TopK K must be int64, got %s", dn_dtype_name(t->dtype));
    if (dn_shape_numel(&t->shape) != 1) return dn_errf(e, "TopK K must hold one value");
    *k = dn_geti(t, 0);
    if (*k < 0) return dn_errf(e, "TopK K = %lld is negative", (long long)*k);
    return 0;
}

int op_topk_infer(OP_ARGS)
{
    (void)nin, (void)nout;
    const dn_shape *xs = &in[0]->shape;
    out[0].dtype = in[0]->dtype;
    out[1].dtype = DN_I64;
    if (!is_int_dtype(in[0]->dtype) && !dn_dtype_is_float(in[0]->dtype))
        return dn_errf(e, "TopK on %s is not supported", dn_dtype_name(in[0]->dtype));
    if (in[0]->dtype == DN_F16) return dn_errf(e, "TopK on f16 is not supported");
    if (xs->rank < 0) return 0;
    if (xs->rank == 0) return dn_errf(e, "TopK needs rank >= 1");
    int axis;
    if (dn_axis(ir_attr_int(n, "axis", -1), xs->rank, &axis, e)) return -1;
    dn_shape o = *xs;
    o.d[axis] = -1;
    if (in[1]->data) {
        int64_t k = 0;
        if (topk_k(in[1], &k, e)) return -1;
        if (xs->d[axis] >= 0 && k > xs->d[axis])
            return dn_errf(e, "TopK K = %lld exceeds dim %d of size %lld", (long long)k, axis,
                           (long long)xs->d[axis]);
        o.d[axis] = k;
    }
    out[0].shape = out[1].shape = o;
    return 0;
}

int op_topk_eval(OP_ARGS)
{
    (void)nin, (void)nout;
    const dn_tensor *x = in[0];
    size_t es = dn_dtype_size(x->dtype);
    int r = x->shape.rank, axis;
    if (dn_axis(ir_attr_int(n, "axis", -1), r, &axis, e)) return -1;
    int64_t k = out[0].shape.d[axis], dim = x->shape.d[axis];
    int64_t outer = prod(x->shape.d, 0, axis), inner = prod(x->shape.d, axis + 1, r);
    int largest = ir_attr_int(n, "largest", 1) != 0, isint = is_int_dtype(x->dtype);
    int (*cmp)(const void *, const void *) = isint ? (largest ? cmp_large_i : cmp_small_i)
                                                   : (largest ? cmp_large_f : cmp_small_f);
    /* Always sorted: with sorted=0 any order is valid, this one included. */
    tk_item *it = malloc((size_t)(dim ? dim : 1) * sizeof *it);
    if (!it) return dn_errf(e, "out of memory");
    const char *xd = x->data;
    char *vd = out[0].data;
    int64_t *id = out[1].data;
    for (int64_t ob = 0; ob < outer; ob++)
        for (int64_t ii = 0; ii < inner; ii++) {
            for (int64_t j = 0; j < dim; j++) {
                int64_t p = (ob * dim + j) * inner + ii;
                it[j].idx = j;
                if (isint)
                    it[j].i = dn_geti(x, p);
                else
                    it[j].f = dn_get(x, p);
            }
            qsort(it, (size_t)dim, sizeof *it, cmp);
            for (int64_t t = 0; t < k; t++) {
                int64_t p = (ob * k + t) * inner + ii;
                memcpy(vd + p * (int64_t)es, xd + ((ob * dim + it[t].idx) * inner + ii) * (int64_t)es,
                       es);
                id[p] = it[t].idx;
            }
        }
    free(it);
    return 0;
}

/* ------------------------------------------------------------------ */
/* CumSum                                                              */
/* ------------------------------------------------------------------ */

static int cumsum_axis(const dn_tensor *t, int rank, int *axis, dn_err *e)
{
    if (t->dtype != DN_I64 && t->dtype != DN_I32)
        return dn_errf(e, "CumSum axis must be int64 or int32, got %s", dn_dtype_name(t->dtype));
    if (dn_shape_numel(&t->shape) != 1) return dn_errf(e, "CumSum axis must hold one value");
    return dn_axis(dn_geti(t, 0), rank, axis, e);
}

int op_cumsum_infer(OP_ARGS)
{
    (void)n, (void)nin, (void)nout;
    int dt = in[0]->dtype;
    out[0].dtype = dt;
    out[0].shape = in[0]->shape;
    if (dt != DN_F32 && dt != DN_F64 && dt != DN_I32 && dt != DN_I64 && dt != DN_U32 &&
        dt != DN_U64)
        return dn_errf(e, "CumSum on %s is not supported", dn_dtype_name(dt));
    int axis;
    if (in[1]->data && in[0]->shape.rank >= 0 && cumsum_axis(in[1], in[0]->shape.rank, &axis, e))
        return -1;
    return 0;
}

/* Row by row along the axis, each row from the previous output row, so the
   sums run in order as in a sequential scan. */
#define CUMSUM(T)                                                                                  \
    do {                                                                                           \
        const T *s = in[0]->data;                                                                  \
        T *d = out[0].data;                                                                        \
        for (int64_t ob = 0; ob < outer; ob++)                                                     \
            for (int64_t t = 0; t < dim; t++) {                                                    \
                int64_t j = rev ? dim - 1 - t : t, pj = rev ? j + 1 : j - 1;                       \
                T *dr = d + (ob * dim + j) * inner;                                                \
                const T *sr = s + (ob * dim + j) * inner;                                          \
                const T *dp = d + (ob * dim + pj) * inner, *sp = s + (ob * dim + pj) * inner;      \
                for (int64_t i = 0; i < inner; i++) {                                              \
                    if (excl)                                                                      \
                        dr[i] = t ? (T)(dp[i] + sp[i]) : (T)0;                                     \
                    else                                                                           \
                        dr[i] = t ? (T)(dp[i] + sr[i]) : sr[i];                                    \
                }                                                                                  \
            }                                                                                      \
    } while (0)

int op_cumsum_eval(OP_ARGS)
{
    (void)nin, (void)nout;
    int r = in[0]->shape.rank, axis;
    if (cumsum_axis(in[1], r, &axis, e)) return -1;
    if (r == 0) return dn_errf(e, "CumSum needs rank >= 1");
    int excl = ir_attr_int(n, "exclusive", 0) != 0, rev = ir_attr_int(n, "reverse", 0) != 0;
    int64_t dim = in[0]->shape.d[axis], outer = prod(in[0]->shape.d, 0, axis),
            inner = prod(in[0]->shape.d, axis + 1, r);
    switch (in[0]->dtype) {
    case DN_F32: CUMSUM(float); break;
    case DN_F64: CUMSUM(double); break;
    case DN_I32: CUMSUM(int32_t); break;
    case DN_I64: CUMSUM(int64_t); break;
    case DN_U32: CUMSUM(uint32_t); break;
    case DN_U64: CUMSUM(uint64_t); break;
    default: return dn_errf(e, "CumSum on %s is not supported", dn_dtype_name(in[0]->dtype));
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* NonZero                                                             */
/* ------------------------------------------------------------------ */

static int nonzero_at(const dn_tensor *t, int64_t i, size_t es)
{
    if (t->dtype == DN_F32 || t->dtype == DN_F64) return dn_get(t, i) != 0.0; /* -0.0 is zero */
    if (t->dtype == DN_F16) return (((const uint16_t *)t->data)[i] & 0x7fff) != 0;
    const unsigned char *p = (const unsigned char *)t->data + i * (int64_t)es;
    for (size_t b = 0; b < es; b++)
        if (p[b]) return 1;
    return 0;
}

int op_nonzero_infer(OP_ARGS)
{
    (void)n, (void)nin, (void)nout;
    const dn_tensor *x = in[0];
    size_t es = dn_dtype_size(x->dtype);
    out[0].dtype = DN_I64;
    if (!es || x->dtype == DN_STRING)
        return dn_errf(e, "NonZero on %s is not supported", dn_dtype_name(x->dtype));
    /* A scalar reports one coordinate row, as ONNX Runtime does. */
    int64_t d[2] = {x->shape.rank < 0 ? -1 : x->shape.rank ? x->shape.rank : 1, -1};
    if (x->data && dn_shape_known(&x->shape)) {
        int64_t cnt = dn_shape_numel(&x->shape);
        d[1] = 0;
        for (int64_t i = 0; i < cnt; i++) d[1] += nonzero_at(x, i, es);
    }
    out[0].shape = dn_shape_make(2, d);
    return 0;
}

int op_nonzero_eval(OP_ARGS)
{
    (void)n, (void)nin, (void)nout, (void)e;
    const dn_tensor *x = in[0];
    size_t es = dn_dtype_size(x->dtype);
    int64_t cnt = dn_shape_numel(&x->shape), nnz = out[0].shape.d[1], c = 0,
            idx[DN_MAX_RANK] = {0};
    int64_t *o = out[0].data;
    int r = x->shape.rank;
    for (int64_t i = 0; i < cnt; i++) {
        if (nonzero_at(x, i, es)) {
            for (int k = 0; k < r; k++) o[k * nnz + c] = idx[k];
            c++;
        }
        op_next_index(&x->shape, idx);
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* OneHot                                                              */
/* ------------------------------------------------------------------ */

static int onehot_depth(const dn_tensor *t, int64_t *depth, dn_err *e)
{
    if (dn_shape_numel(&t->shape) != 1) return dn_errf(e, "OneHot depth must hold one value");
    *depth = dn_geti(t, 0);
    if (*depth <= 0) return dn_errf(e, "OneHot depth %lld is not positive", (long long)*depth);
    return 0;
}

int op_onehot_infer(OP_ARGS)
{
    (void)nin, (void)nout;
    const dn_shape *is = &in[0]->shape;
    out[0].dtype = in[2]->dtype;
    if (dn_shape_numel(&in[2]->shape) >= 0 && dn_shape_numel(&in[2]->shape) != 2)
        return dn_errf(e, "OneHot values must hold [off, on]");
    if (is->rank < 0) return 0;
    int r = is->rank + 1, axis;
    if (r > DN_MAX_RANK) return dn_errf(e, "OneHot output rank %d exceeds %d", r, DN_MAX_RANK);
    if (dn_axis(ir_attr_int(n, "axis", -1), r, &axis, e)) return -1;
    int64_t depth = -1;
    if (in[1]->data && onehot_depth(in[1], &depth, e)) return -1;
    dn_shape o = dn_shape_make(r, NULL);
    for (int i = 0, j = 0; i < r; i++) o.d[i] = i == axis ? depth : is->d[j++];
    out[0].shape = o;
    return 0;
}

int op_onehot_eval(OP_ARGS)
{
    (void)nin, (void)nout;
    const dn_tensor *ind = in[0], *vals = in[2];
    size_t es = dn_dtype_size(vals->dtype);
    int r = out[0].shape.rank, axis;
    if (dn_axis(ir_attr_int(n, "axis", -1), r, &axis, e)) return -1;
    int64_t depth = 0;
    if (onehot_depth(in[1], &depth, e)) return -1;
    int64_t outer = prod(ind->shape.d, 0, axis), inner = prod(ind->shape.d, axis, r - 1);
    const char *off = vals->data, *on = off + es;
    char *o = out[0].data;
    int64_t total = outer * depth * inner;
    for (int64_t i = 0; i < total; i++) memcpy(o + i * (int64_t)es, off, es);
    for (int64_t ob = 0; ob < outer; ob++)
        for (int64_t ii = 0; ii < inner; ii++) {
            int64_t v = dn_geti(ind, ob * inner + ii);
            if (v < 0) v += depth;
            if (v < 0 || v >= depth) continue;
            memcpy(o + ((ob * depth + v) * inner + ii) * (int64_t)es, on, es);
        }
    return 0;
}

/* ------------------------------------------------------------------ */
/* EyeLike                                                             */
/* ------------------------------------------------------------------ */

int op_eyelike_infer(OP_ARGS)
{
    (void)nin, (void)nout;
    const dn_shape *xs = &in[0]->shape;
    int dt = (int)ir_attr_int(n, "dtype", in[0]->dtype);
    out[0].dtype = dt;
    if (!dn_dtype_size(dt) || dt == DN_STRING)
        return dn_errf(e, "EyeLike dtype %s is not supported", dn_dtype_name(dt));
    if (xs->rank >= 0 && xs->rank != 2)
        return dn_errf(e, "EyeLike needs a 2-D input, got rank %d", xs->rank);
    out[0].shape = xs->rank < 0 ? dn_shape_make(2, NULL) : *xs;
    return 0;
}

int op_eyelike_eval(OP_ARGS)
{
    (void)in, (void)nin, (void)nout, (void)e;
    dn_tensor *o = &out[0];
    int64_t N = o->shape.d[0], M = o->shape.d[1], k = ir_attr_int(n, "k", 0);
    size_t es = dn_dtype_size(o->dtype);
    char one[16] = {0};
    if (o->dtype == DN_F16) {
        uint16_t h = 0x3c00; /* 1.0 in IEEE half */
        memcpy(one, &h, sizeof h);
    } else {
        dn_tensor t = {o->dtype, dn_shape_make(0, NULL), one};
        dn_set(&t, 0, 1.0);
    }
    for (int64_t i = 0; i < N; i++) {
        if (k < -i || k >= M - i) continue; /* j = i + k outside [0, M) */
        memcpy((char *)o->data + (i * M + i + k) * (int64_t)es, one, es);
    }
    return 0;
}
