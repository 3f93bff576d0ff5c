/* op_index.c -- operators that index, scatter or make tensors: Gather,
 * GatherElements, GatherND, ScatterND, ScatterElements, Shape, Size,
 * Range, ConstantOfShape and Constant (TopK, CumSum, NonZero, OneHot and
 * EyeLike are in op_index_misc.c).  Shape and Size set their output data
 * during inference, from the input shape alone: that is what lets
 * constant folding remove the shape subgraphs of real models. */
#include "op_movement.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define OP_ARGS                                                                                    \
    const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out, int nout, dn_err *e

static size_t esize(const dn_tensor *t, dn_err *e)
{
    size_t es = dn_dtype_size(t->dtype);
    if (!es) dn_errf(e, "dtype %s not supported", dn_dtype_name(t->dtype));
    return es;
}

static int check_index_dtype(const dn_tensor *t, dn_err *e)
{
    if (t->dtype != DN_I64 && t->dtype != DN_I32 && t->dtype != DN_UNDEF)
        return dn_errf(e, "indices must be int64 or int32, got %s", dn_dtype_name(t->dtype));
    return 0;
}

/* Index i of t, made non-negative against dim; -1 with a message if out of range. */
static int get_index(const dn_tensor *t, int64_t i, int64_t dim, int64_t *v, dn_err *e)
{
    int64_t x = dn_geti(t, i);
    if (x < -dim || x >= dim)
        return dn_errf(e, "index %lld out of range for dim of size %lld", (long long)x,
                       (long long)dim);
    *v = x < 0 ? x + dim : x;
    return 0;
}

static int64_t prod(const int64_t *d, int from, int to)
{
    int64_t p = 1;
    for (int i = from; i < to; i++) p *= d[i];
    return p;
}

/* ------------------------------------------------------------------ */
/* Gather, GatherElements, GatherND                                    */
/* ------------------------------------------------------------------ */

static int gather_infer(OP_ARGS)
{
    (void)nin, (void)nout;
    const dn_shape *xs = &in[0]->shape, *is = &in[1]->shape;
    out[0].dtype = in[0]->dtype;
    if (check_index_dtype(in[1], e)) return -1;
    if (xs->rank < 0 || is->rank < 0) return 0;
    if (xs->rank == 0) return dn_errf(e, "Gather needs data of rank >= 1");
    int axis;
    if (dn_axis(ir_attr_int(n, "axis", 0), xs->rank, &axis, e)) return -1;
    int r = xs->rank - 1 + is->rank;
    if (r > DN_MAX_RANK) return dn_errf(e, "Gather output rank %d exceeds %d", r, DN_MAX_RANK);
    dn_shape o = dn_shape_make(r, NULL);
    int k = 0;
    for (int i = 0; i < axis; i++) o.d[k++] = xs->d[i];
    for (int i = 0; i < is->rank; i++) o.d[k++] = is->d[i];
    for (int i = axis + 1; i < xs->rank; i++) o.d[k++] = xs->d[i];
    out[0].shape = o;
    return 0;
}

static int gather_eval(OP_ARGS)
{
    (void)nin, (void)nout;
    const dn_tensor *x = in[0], *ind = in[1];
    size_t es = esize(x, e);
    if (!es) return -1;
    int axis;
    if (dn_axis(ir_attr_int(n, "axis", 0), x->shape.rank, &axis, e)) return -1;
    int64_t outer = prod(x->shape.d, 0, axis), dim = x->shape.d[axis];
    size_t inner = (size_t)prod(x->shape.d, axis + 1, x->shape.rank) * es;
    int64_t ni = dn_shape_numel(&ind->shape);
    int64_t *iv = malloc((size_t)(ni ? ni : 1) * sizeof *iv);
    if (!iv) return dn_errf(e, "out of memory");
    for (int64_t j = 0; j < ni; j++)
        if (get_index(ind, j, dim, &iv[j], e)) {
            free(iv);
            return -1;
        }
    char *o = out[0].data;
    const char *p = x->data;
    if (inner)
        for (int64_t ob = 0; ob < outer; ob++)
            for (int64_t j = 0; j < ni; j++, o += inner)
                memcpy(o, p + (size_t)(ob * dim + iv[j]) * inner, inner);
    free(iv);
    return 0;
}

static int gather_elements_infer(OP_ARGS)
{
    (void)nin, (void)nout;
    const dn_shape *xs = &in[0]->shape, *is = &in[1]->shape;
    out[0].dtype = in[0]->dtype;
    if (check_index_dtype(in[1], e)) return -1;
    out[0].shape = *is;
    if (xs->rank < 0 || is->rank < 0) return 0;
    if (xs->rank != is->rank || xs->rank == 0)
        return dn_errf(e, "GatherElements: data rank %d, indices rank %d", xs->rank, is->rank);
    int axis;
    return dn_axis(ir_attr_int(n, "axis", 0), xs->rank, &axis, e);
}

static int gather_elements_eval(OP_ARGS)
{
    (void)nin, (void)nout;
    const dn_tensor *x = in[0], *ind = in[1];
    size_t es = esize(x, e);
    if (!es) return -1;
    int r = x->shape.rank, axis;
    if (dn_axis(ir_attr_int(n, "axis", 0), r, &axis, e)) return -1;
    int64_t ni = dn_shape_numel(&ind->shape), xst[DN_MAX_RANK], idx[DN_MAX_RANK] = {0};
    if (ni == 0) return 0;
    dn_strides(&x->shape, xst);
    char *o = out[0].data;
    const char *p = x->data;
    for (int64_t j = 0; j < ni; j++) {
        int64_t off = 0, v = 0;
        if (get_index(ind, j, x->shape.d[axis], &v, e)) return -1;
        for (int k = 0; k < r; k++) off += (k == axis ? v : idx[k]) * xst[k];
        memcpy(o + j * (int64_t)es, p + off * (int64_t)es, es);
        op_next_index(&ind->shape, idx);
    }
    return 0;
}

static int gather_nd_infer(OP_ARGS)
{
    (void)nin, (void)nout;
    const dn_shape *xs = &in[0]->shape, *is = &in[1]->shape;
    out[0].dtype = in[0]->dtype;
    if (check_index_dtype(in[1], e)) return -1;
    if (xs->rank < 0 || is->rank < 0) return 0;
    int64_t b = ir_attr_int(n, "batch_dims", 0);
    int q = is->rank, r = xs->rank;
    if (q < 1) return dn_errf(e, "GatherND indices must have rank >= 1");
    if (b < 0 || b >= q || b >= r)
        return dn_errf(e, "GatherND batch_dims %lld invalid for ranks %d and %d", (long long)b, r,
                       q);
    int64_t last = is->d[q - 1];
    if (last < 0) return 0;
    if (b + last > r)
        return dn_errf(e, "GatherND index tuples of %lld exceed data rank %d (batch_dims %lld)",
                       (long long)last, r, (long long)b);
    int orank = q - 1 + r - (int)(b + last);
    if (orank > DN_MAX_RANK) return dn_errf(e, "GatherND output rank %d too large", orank);
    dn_shape o = dn_shape_make(orank, NULL);
    int k = 0;
    for (int i = 0; i < q - 1; i++) o.d[k++] = is->d[i];
    for (int i = (int)(b + last); i < r; i++) o.d[k++] = xs->d[i];
    out[0].shape = o;
    return 0;
}

static int gather_nd_eval(OP_ARGS)
{
    (void)nin, (void)nout;
    const dn_tensor *x = in[0], *ind = in[1];
    size_t es = esize(x, e);
    if (!es) return -1;
    int b = (int)ir_attr_int(n, "batch_dims", 0), q = ind->shape.rank, r = x->shape.rank;
    int last = (int)ind->shape.d[q - 1];
    int64_t xst[DN_MAX_RANK];
    dn_strides(&x->shape, xst);
    int64_t batches = prod(ind->shape.d, 0, b), tuples = prod(ind->shape.d, b, q - 1);
    int64_t xbatch = prod(x->shape.d, b, r);
    size_t slice = (size_t)prod(x->shape.d, b + last, r) * es;
    char *o = out[0].data;
    const char *p = x->data;
    for (int64_t bi = 0; bi < batches; bi++)
        for (int64_t t = 0; t < tuples; t++, o += slice) {
            int64_t off = bi * xbatch, base = (bi * tuples + t) * last;
            for (int j = 0; j < last; j++) {
                int64_t v = 0;
                if (get_index(ind, base + j, x->shape.d[b + j], &v, e)) return -1;
                off += v * xst[b + j];
            }
            if (slice) memcpy(o, p + off * (int64_t)es, slice);
        }
    return 0;
}

/* ------------------------------------------------------------------ */
/* ScatterND, ScatterElements                                          */
/* ------------------------------------------------------------------ */

enum { RED_NONE, RED_ADD, RED_MUL, RED_MAX, RED_MIN };

static int reduction(const ir_node *n, dn_err *e)
{
    static const char *const names[] = {"none", "add", "mul", "max", "min"};
    const char *r = ir_attr_str(n, "reduction", "none");
    for (int i = 0; i < 5; i++)
        if (strcmp(r, names[i]) == 0) return i;
    return dn_errf(e, "%s reduction '%s' is not none, add, mul, max or min", n->op, r);
}

/* Integers combine through their unsigned type: wrapping, never UB. */
#define COMBINE(T, U)                                                                              \
    do {                                                                                           \
        T *d = dst;                                                                                \
        const T *s = src;                                                                          \
        for (int64_t i = 0; i < cnt; i++) switch (red) {                                           \
            case RED_ADD: d[i] = (T)((U)d[i] + (U)s[i]); break;                                   \
            case RED_MUL: d[i] = (T)((U)d[i] * (U)s[i]); break;                                   \
            case RED_MAX: d[i] = s[i] > d[i] ? s[i] : d[i]; break;                                \
            default: d[i] = s[i] < d[i] ? s[i] : d[i]; break;                                     \
            }                                                                                      \
    } while (0)

static int combine(void *dst, const void *src, int64_t cnt, int dtype, size_t es, int red,
                   dn_err *e)
{
    if (red == RED_NONE) {
        memcpy(dst, src, (size_t)cnt * es);
        return 0;
    }
    switch (dtype) {
    case DN_F32: COMBINE(float, float); break;
    case DN_F64: COMBINE(double, double); break;
    case DN_I32: COMBINE(int32_t, uint32_t); break;
    case DN_I64: COMBINE(int64_t, uint64_t); break;
    case DN_I16: COMBINE(int16_t, uint32_t); break;
    case DN_I8: COMBINE(int8_t, uint32_t); break;
    case DN_U8: COMBINE(uint8_t, uint32_t); break;
    case DN_U16: COMBINE(uint16_t, uint32_t); break;
    case DN_U32: COMBINE(uint32_t, uint32_t); break;
    case DN_U64: COMBINE(uint64_t, uint64_t); break;
    default: return dn_errf(e, "scatter reduction on %s is not supported", dn_dtype_name(dtype));
    }
    return 0;
}

static int scatter_nd_infer(OP_ARGS)
{
    (void)nin, (void)nout;
    const dn_shape *xs = &in[0]->shape, *is = &in[1]->shape, *us = &in[2]->shape;
    out[0].dtype = in[0]->dtype;
    out[0].shape = *xs;
    if (check_index_dtype(in[1], e) || reduction(n, e) < 0) return -1;
    if (in[2]->dtype != in[0]->dtype)
        return dn_errf(e, "ScatterND updates are %s, data is %s", dn_dtype_name(in[2]->dtype),
                       dn_dtype_name(in[0]->dtype));
    if (!dn_shape_known(xs) || !dn_shape_known(is) || !dn_shape_known(us)) return 0;
    int q = is->rank;
    if (q < 1) return dn_errf(e, "ScatterND indices must have rank >= 1");
    int64_t k = is->d[q - 1];
    if (k > xs->rank) return dn_errf(e, "ScatterND index tuples of %lld exceed data rank %d",
                                     (long long)k, xs->rank);
    int ok = us->rank == q - 1 + xs->rank - (int)k;
    for (int i = 0; ok && i < us->rank; i++)
        ok = us->d[i] == (i < q - 1 ? is->d[i] : xs->d[k + i - (q - 1)]);
    if (!ok) {
        char a[128], b[128], c[128];
        return dn_errf(e, "ScatterND updates shape %s does not fit data %s and indices %s",
                       dn_shape_str(us, a, sizeof a), dn_shape_str(xs, b, sizeof b),
                       dn_shape_str(is, c, sizeof c));
    }
    return 0;
}

static int scatter_nd_eval(OP_ARGS)
{
    (void)nin, (void)nout;
    const dn_tensor *x = in[0], *ind = in[1], *up = in[2];
    size_t es = esize(x, e);
    int red = reduction(n, e);
    if (!es || red < 0) return -1;
    int q = ind->shape.rank, r = x->shape.rank;
    int k = (int)ind->shape.d[q - 1];
    int64_t xst[DN_MAX_RANK];
    dn_strides(&x->shape, xst);
    int64_t tuples = prod(ind->shape.d, 0, q - 1), slice = prod(x->shape.d, k, r);
    memcpy(out[0].data, x->data, dn_tensor_bytes(x));
    char *o = out[0].data;
    const char *u = up->data;
    for (int64_t t = 0; t < tuples; t++) {
        int64_t off = 0;
        for (int j = 0; j < k; j++) {
            int64_t v = 0;
            if (get_index(ind, t * k + j, x->shape.d[j], &v, e)) return -1;
            off += v * xst[j];
        }
        if (combine(o + off * (int64_t)es, u + t * slice * (int64_t)es, slice, x->dtype, es, red,
                    e))
            return -1;
    }
    return 0;
}

static int scatter_elements_infer(OP_ARGS)
{
    (void)nin, (void)nout;
    const dn_shape *xs = &in[0]->shape, *is = &in[1]->shape, *us = &in[2]->shape;
    out[0].dtype = in[0]->dtype;
    out[0].shape = *xs;
    if (check_index_dtype(in[1], e) || reduction(n, e) < 0) return -1;
    if (in[2]->dtype != in[0]->dtype)
        return dn_errf(e, "ScatterElements updates are %s, data is %s",
                       dn_dtype_name(in[2]->dtype), dn_dtype_name(in[0]->dtype));
    if (xs->rank < 0) return 0;
    int axis;
    if (dn_axis(ir_attr_int(n, "axis", 0), xs->rank, &axis, e)) return -1;
    if (is->rank >= 0 && is->rank != xs->rank)
        return dn_errf(e, "ScatterElements: data rank %d, indices rank %d", xs->rank, is->rank);
    if (dn_shape_known(is) && dn_shape_known(us) && !dn_shape_eq(is, us))
        return dn_errf(e, "ScatterElements indices and updates shapes differ");
    return 0;
}

static int scatter_elements_eval(OP_ARGS)
{
    (void)nin, (void)nout;
    const dn_tensor *x = in[0], *ind = in[1], *up = in[2];
    size_t es = esize(x, e);
    int red = reduction(n, e);
    if (!es || red < 0) return -1;
    int r = x->shape.rank, axis;
    if (dn_axis(ir_attr_int(n, "axis", 0), r, &axis, e)) return -1;
    memcpy(out[0].data, x->data, dn_tensor_bytes(x));
    int64_t ni = dn_shape_numel(&ind->shape), xst[DN_MAX_RANK], idx[DN_MAX_RANK] = {0};
    dn_strides(&x->shape, xst);
    char *o = out[0].data;
    const char *u = up->data;
    for (int64_t j = 0; j < ni; j++) {
        int64_t off = 0, v = 0;
        if (get_index(ind, j, x->shape.d[axis], &v, e)) return -1;
        for (int k = 0; k < r; k++) off += (k == axis ? v : idx[k]) * xst[k];
        if (combine(o + off * (int64_t)es, u + j * (int64_t)es, 1, x->dtype, es, red, e))
            return -1;
        op_next_index(&ind->shape, idx);
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Shape, Size                                                         */
/* ------------------------------------------------------------------ */

/* The [start, end) range of dims Shape reports (opset 15 attributes). */
static void shape_range(const ir_node *n, int r, int *s, int *t)
{
    int64_t a = ir_attr_int(n, "start", 0), b = ir_attr_int(n, "end", r);
    if (a < 0) a += r;
    if (b < 0) b += r;
    a = a < 0 ? 0 : a > r ? r : a;
    b = b < 0 ? 0 : b > r ? r : b;
    *s = (int)a;
    *t = (int)(b > a ? b : a);
}

static int shape_eval(OP_ARGS)
{
    (void)nin, (void)nout, (void)e;
    int s, t;
    shape_range(n, in[0]->shape.rank, &s, &t);
    for (int i = s; i < t; i++) ((int64_t *)out[0].data)[i - s] = in[0]->shape.d[i];
    return 0;
}

static int shape_infer(OP_ARGS)
{
    (void)nout;
    const dn_shape *xs = &in[0]->shape;
    out[0].dtype = DN_I64;
    if (xs->rank < 0) {
        out[0].shape = dn_shape_make(1, NULL);
        return 0;
    }
    int s, t;
    shape_range(n, xs->rank, &s, &t);
    int64_t len = t - s;
    out[0].shape = dn_shape_make(1, &len);
    for (int i = s; i < t; i++)
        if (xs->d[i] < 0) return 0;
    out[0].data = malloc((size_t)(len ? len : 1) * sizeof(int64_t));
    if (!out[0].data) return dn_errf(e, "out of memory");
    return shape_eval(n, in, nin, out, nout, e);
}

static int size_eval(OP_ARGS)
{
    (void)n, (void)nin, (void)nout, (void)e;
    *(int64_t *)out[0].data = dn_shape_numel(&in[0]->shape);
    return 0;
}

static int size_infer(OP_ARGS)
{
    out[0].dtype = DN_I64;
    out[0].shape = dn_shape_make(0, NULL);
    if (dn_shape_numel(&in[0]->shape) < 0) return 0;
    out[0].data = malloc(sizeof(int64_t));
    if (!out[0].data) return dn_errf(e, "out of memory");
    return size_eval(n, in, nin, out, nout, e);
}

/* ------------------------------------------------------------------ */
/* Range                                                               */
/* ------------------------------------------------------------------ */

static int range_dtype_ok(int dt)
{
    return dt == DN_F32 || dt == DN_F64 || dt == DN_I16 || dt == DN_I32 || dt == DN_I64;
}

/* Element count of Range; -1 with a message for a zero delta. */
static int range_len(const dn_tensor *const *in, int64_t *len, dn_err *e)
{
    int dt = in[0]->dtype;
    for (int i = 0; i < 3; i++)
        if (dn_shape_numel(&in[i]->shape) != 1)
            return dn_errf(e, "Range inputs must be scalars");
    if (dt == DN_F32 || dt == DN_F64) {
        double a = dn_get(in[0], 0), b = dn_get(in[1], 0), c = dn_get(in[2], 0);
        if (c == 0.0) return dn_errf(e, "Range delta is 0");
        /* the difference in the input's own precision, as ONNX Runtime does */
        double diff = dt == DN_F32 ? (double)((float)b - (float)a) : b - a;
        double cnt = ceil(diff / c);
        *len = cnt > 0 ? (int64_t)cnt : 0;
        return 0;
    }
    int64_t a = dn_geti(in[0], 0), b = dn_geti(in[1], 0), c = dn_geti(in[2], 0);
    if (c == 0) return dn_errf(e, "Range delta is 0");
    if ((c > 0 && b <= a) || (c < 0 && b >= a)) {
        *len = 0;
    } else {
        uint64_t d = c > 0 ? (uint64_t)b - (uint64_t)a : (uint64_t)a - (uint64_t)b;
        uint64_t s = c > 0 ? (uint64_t)c : -(uint64_t)c;
        *len = (int64_t)((d + s - 1) / s);
    }
    return 0;
}

static int range_infer(OP_ARGS)
{
    (void)n, (void)nin, (void)nout;
    int dt = in[0]->dtype;
    out[0].dtype = dt;
    out[0].shape = dn_shape_make(1, NULL);
    if (!range_dtype_ok(dt)) return dn_errf(e, "Range on %s is not supported", dn_dtype_name(dt));
    if (in[1]->dtype != dt || in[2]->dtype != dt)
        return dn_errf(e, "Range inputs must share one dtype");
    if (!in[0]->data || !in[1]->data || !in[2]->data) return 0;
    return range_len(in, &out[0].shape.d[0], e);
}

static int range_eval(OP_ARGS)
{
    (void)n, (void)nin, (void)nout, (void)e;
    dn_tensor *o = &out[0];
    int64_t len = o->shape.d[0];
    if (o->dtype == DN_F32) {
        float a = (float)dn_get(in[0], 0), c = (float)dn_get(in[2], 0);
        for (int64_t i = 0; i < len; i++) ((float *)o->data)[i] = a + (float)i * c;
    } else if (o->dtype == DN_F64) {
        double a = dn_get(in[0], 0), c = dn_get(in[2], 0);
        for (int64_t i = 0; i < len; i++) ((double *)o->data)[i] = a + (double)i * c;
    } else {
        int64_t a = dn_geti(in[0], 0), c = dn_geti(in[2], 0);
        for (int64_t i = 0; i < len; i++) dn_seti(o, i, a + i * c);
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* ConstantOfShape, Constant                                           */
/* ------------------------------------------------------------------ */

/* The fill value of ConstantOfShape as a one-element view (f32 0 by default). */
static int cos_value(const ir_node *n, dn_tensor *v, dn_err *e)
{
    static const float zero = 0.0f;
    const ir_attr *a = ir_attr_get(n, "value");
    *v = (dn_tensor){DN_F32, dn_shape_make(1, NULL), (void *)&zero};
    v->shape.d[0] = 1;
    if (!a) return 0;
    if (a->type != IR_ATTR_TENSOR) return dn_errf(e, "ConstantOfShape value must be a tensor");
    if (dn_shape_numel(&a->t.shape) != 1 || !a->t.data)
        return dn_errf(e, "ConstantOfShape value must hold one element");
    if (!dn_dtype_size(a->t.dtype))
        return dn_errf(e, "ConstantOfShape value dtype %s not supported",
                       dn_dtype_name(a->t.dtype));
    *v = a->t;
    return 0;
}

static int cos_infer(OP_ARGS)
{
    (void)nin, (void)nout;
    const dn_tensor *sh = in[0];
    dn_tensor v;
    if (cos_value(n, &v, e)) return -1;
    out[0].dtype = v.dtype;
    if (!sh->data) {
        if (sh->shape.rank == 1 && sh->shape.d[0] >= 0 && sh->shape.d[0] <= DN_MAX_RANK)
            out[0].shape = dn_shape_make((int)sh->shape.d[0], NULL);
        return 0;
    }
    int64_t d[DN_MAX_RANK];
    int k = op_mv_ints(sh, d, DN_MAX_RANK, "ConstantOfShape shape", e);
    if (k < 0) return -1;
    for (int i = 0; i < k; i++)
        if (d[i] < 0) return dn_errf(e, "ConstantOfShape dim %lld is negative", (long long)d[i]);
    out[0].shape = dn_shape_make(k, d);
    return 0;
}

static int cos_eval(OP_ARGS)
{
    (void)nin, (void)nout, (void)in;
    dn_tensor v;
    if (cos_value(n, &v, e)) return -1;
    size_t es = dn_dtype_size(v.dtype);
    int64_t cnt = dn_shape_numel(&out[0].shape);
    char *o = out[0].data;
    int zero = 1;
    for (size_t i = 0; i < es; i++) zero &= ((const char *)v.data)[i] == 0;
    if (zero) return 0; /* output comes zeroed */
    for (int64_t i = 0; i < cnt; i++) memcpy(o + i * (int64_t)es, v.data, es);
    return 0;
}

/* The value of a Constant node as a view of its attribute. */
static int const_value(const ir_node *n, dn_tensor *v, dn_err *e)
{
    const ir_attr *a;
    if ((a = ir_attr_get(n, "value"))) {
        if (a->type != IR_ATTR_TENSOR) return dn_errf(e, "Constant value must be a tensor");
        if (!dn_dtype_size(a->t.dtype))
            return dn_errf(e, "Constant of dtype %s is not supported", dn_dtype_name(a->t.dtype));
        *v = a->t;
    } else if ((a = ir_attr_get(n, "value_float"))) {
        *v = (dn_tensor){DN_F32, dn_shape_make(0, NULL), (void *)&a->f};
    } else if ((a = ir_attr_get(n, "value_int"))) {
        *v = (dn_tensor){DN_I64, dn_shape_make(0, NULL), (void *)&a->i};
    } else if ((a = ir_attr_get(n, "value_floats"))) {
        int64_t d = a->n;
        *v = (dn_tensor){DN_F32, dn_shape_make(1, &d), a->floats};
    } else if ((a = ir_attr_get(n, "value_ints"))) {
        int64_t d = a->n;
        *v = (dn_tensor){DN_I64, dn_shape_make(1, &d), a->ints};
    } else if (ir_attr_get(n, "value_string") || ir_attr_get(n, "value_strings")) {
        return dn_errf(e, "Constant strings are not supported");
    } else if (ir_attr_get(n, "sparse_value")) {
        return dn_errf(e, "Constant sparse_value is not supported");
    } else {
        return dn_errf(e, "Constant has no value attribute");
    }
    return 0;
}

static int const_infer(OP_ARGS)
{
    (void)in, (void)nin, (void)nout;
    dn_tensor v;
    if (const_value(n, &v, e)) return -1;
    out[0].dtype = v.dtype;
    out[0].shape = v.shape;
    return 0;
}

static int const_eval(OP_ARGS)
{
    (void)in, (void)nin, (void)nout;
    dn_tensor v;
    if (const_value(n, &v, e)) return -1;
    size_t b = dn_tensor_bytes(&out[0]);
    if (b && !v.data) return dn_errf(e, "Constant value has no data");
    if (b) memcpy(out[0].data, v.data, b);
    return 0;
}

/* ------------------------------------------------------------------ */

const op_def op_defs_index[] = {
    {"Gather", 2, 2, 1, 1, gather_infer, gather_eval},
    {"GatherElements", 2, 2, 1, 1, gather_elements_infer, gather_elements_eval},
    {"GatherND", 2, 2, 1, 1, gather_nd_infer, gather_nd_eval},
    {"ScatterND", 3, 3, 1, 1, scatter_nd_infer, scatter_nd_eval},
    {"ScatterElements", 3, 3, 1, 1, scatter_elements_infer, scatter_elements_eval},
    {"Shape", 1, 1, 1, 1, shape_infer, shape_eval},
    {"Size", 1, 1, 1, 1, size_infer, size_eval},
    {"Range", 3, 3, 1, 1, range_infer, range_eval},
    {"ConstantOfShape", 1, 1, 1, 1, cos_infer, cos_eval},
    {"Constant", 0, 0, 1, 1, const_infer, const_eval},
    {"NonZero", 1, 1, 1, 1, op_nonzero_infer, op_nonzero_eval},
    {"EyeLike", 1, 1, 1, 1, op_eyelike_infer, op_eyelike_eval},
    {"OneHot", 3, 3, 1, 1, op_onehot_infer, op_onehot_eval},
    {"TopK", 2, 2, 2, 2, op_topk_infer, op_topk_eval},
    {"CumSum", 2, 2, 1, 1, op_cumsum_infer, op_cumsum_eval},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};
