/* op_reduce.c -- Reduce*, ArgMax/ArgMin, Softmax/LogSoftmax, and the family
 * table (the normalisations live in op_reduce_norm.c).
 *
 * A reduction is planned on the input's dims: dims of size 1 are dropped
 * and neighbours that are both reduced or both kept are merged, leaving
 * alternating groups.  The input is then read once, in order, one row of
 * the innermost group at a time: a reduced innermost group folds its row
 * into one output element, a kept one folds it elementwise into a row of
 * outputs.  Float reductions accumulate in double (results are compared to
 * ORT's within 1e-5), integer ones in int64, so that i64 stays exact. */
#include "op_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int is_int_dtype(int dt)
{
    return dt == DN_I8 || dt == DN_U8 || dt == DN_I16 || dt == DN_U16 || dt == DN_I32 ||
           dt == DN_I64 || dt == DN_U32 || dt == DN_U64;
}

static inline double ld(const dn_tensor *t, int64_t i)
{
    if (t->dtype == DN_F32) return ((const float *)t->data)[i];
    if (t->dtype == DN_F64) return ((const double *)t->data)[i];
    return dn_get(t, i);
}

/* ------------------------------------------------------------------ */
/* Reduce*                                                             */
/* ------------------------------------------------------------------ */

enum { R_SUM, R_MEAN, R_MAX, R_MIN, R_PROD, R_L1, R_L2, R_SUMSQ, R_LSE, R_EXPSUM };

static const struct {
    const char *name;
    int op;
} red_ops[] = {
    {"ReduceSum", R_SUM}, {"ReduceMean", R_MEAN},       {"ReduceMax", R_MAX},
    {"ReduceMin", R_MIN}, {"ReduceProd", R_PROD},       {"ReduceL1", R_L1},
    {"ReduceL2", R_L2},   {"ReduceSumSquare", R_SUMSQ}, {"ReduceLogSumExp", R_LSE},
};

static int red_op(const ir_node *n)
{
    for (size_t i = 0; i < sizeof red_ops / sizeof red_ops[0]; i++)
        if (strcmp(red_ops[i].name, n->op) == 0) return red_ops[i].op;
    return -1;
}

enum { AX_KNOWN, AX_UNKNOWN, AX_NOOP };

/* The reduced axes as a mask over the input's dims.  Axes come from the
   second input when the node has one (ReduceSum from opset 13, all from
   18), else from the attribute (the model's opset is not known here). */
static int red_axes(const ir_node *n, const dn_tensor *const *in, int nin, int rank, uint8_t *mask,
                    dn_err *e)
{
    memset(mask, 0, DN_MAX_RANK);
    const int64_t *attr = NULL;
    int64_t count;
    const dn_tensor *ax = nin > 1 ? in[1] : NULL;
    if (ax) {
        if (!ax->data) return AX_UNKNOWN;
        if (ax->dtype != DN_I64 && ax->dtype != DN_I32)
            return dn_errf(e, "%s: axes must be int64, got %s", n->op, dn_dtype_name(ax->dtype));
        count = dn_shape_numel(&ax->shape);
    } else {
        int k;
        attr = ir_attr_ints(n, "axes", &k);
        count = k;
    }
    if (count == 0) {
        if (ir_attr_int(n, "noop_with_empty_axes", 0)) return AX_NOOP;
        memset(mask, 1, DN_MAX_RANK);
        return AX_KNOWN;
    }
    for (int64_t i = 0; i < count; i++) {
        int a;
        if (dn_axis(attr ? attr[i] : dn_geti(ax, i), rank, &a, e)) return -1;
        mask[a] = 1;
    }
    return AX_KNOWN;
}

static int red_infer(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out,
                     int nout, dn_err *e)
{
    (void)nout;
    const dn_tensor *x = in[0];
    if (red_op(n) < 0) return dn_errf(e, "unknown reduction %s", n->op);
    if (!(x->dtype == DN_F32 || x->dtype == DN_F64 || is_int_dtype(x->dtype)))
        return dn_errf(e, "%s does not support dtype %s", n->op, dn_dtype_name(x->dtype));
    out[0].dtype = x->dtype;
    int r = x->shape.rank;
    if (r < 0) {
        out[0].shape = dn_shape_unknown();
        return 0;
    }
    uint8_t mask[DN_MAX_RANK];
    int st = red_axes(n, in, nin, r, mask, e);
    if (st < 0) return -1;
    int keep = ir_attr_int(n, "keepdims", 1) != 0;
    if (st == AX_NOOP) {
        out[0].shape = x->shape;
    } else if (st == AX_UNKNOWN) {
        if (!keep) {
            out[0].shape = dn_shape_unknown();
            return 0;
        }
        out[0].shape = dn_shape_make(r, NULL);
        for (int i = 0; i < r; i++)
            out[0].shape.d[i] = x->shape.d[i] == 1 ? 1 : -1;
    } else {
        dn_shape s = dn_shape_make(0, NULL);
        for (int i = 0; i < r; i++) {
            if (!mask[i])
                s.d[s.rank++] = x->shape.d[i];
            else if (keep)
                s.d[s.rank++] = 1;
        }
        out[0].shape = s;
    }
    return 0;
}

typedef struct red_plan {
    int nd;
    int64_t d[DN_MAX_RANK];
    int red[DN_MAX_RANK];
    int64_t ost[DN_MAX_RANK]; /* output stride of each group; 0 when reduced */
} red_plan;

static void red_plan_make(red_plan *p, const dn_shape *s, const uint8_t *mask)
{
    p->nd = 0;
    for (int i = 0; i < s->rank; i++) {
        if (s->d[i] == 1) continue;
        if (p->nd > 0 && p->red[p->nd - 1] == mask[i]) {
            p->d[p->nd - 1] *= s->d[i];
            continue;
        }
        p->d[p->nd] = s->d[i];
        p->red[p->nd] = mask[i];
        p->nd++;
    }
    if (p->nd == 0) {
        p->nd = 1;
        p->d[0] = 1;
        p->red[0] = 0;
    }
    int64_t st = 1;
    for (int i = p->nd - 1; i >= 0; i--) {
        p->ost[i] = p->red[i] ? 0 : st;
        if (!p->red[i]) st *= p->d[i];
    }
}

/* The loops of one row for accumulator type T, element k read by LD(k);
   `lastred` folds the row into acc[oo], else elementwise into acc[oo+k]. */
#define RED_ROW(T, LD)                                                                             \
    do {                                                                                           \
        if (lastred) {                                                                             \
            T a = acc[oo];                                                                         \
            switch (op) {                                                                          \
            case R_SUM:                                                                            \
                for (int64_t k = 0; k < L; k++)                                                    \
                    a += LD(k);                                                                    \
                break;                                                                             \
            case R_PROD:                                                                           \
                for (int64_t k = 0; k < L; k++)                                                    \
                    a *= LD(k);                                                                    \
                break;                                                                             \
            case R_MAX:                                                                            \
                for (int64_t k = 0; k < L; k++) {                                                  \
                    T v = LD(k);                                                                   \
                    if (v > a || isnan((double)v)) a = v;                                          \
                }                                                                                  \
                break;                                                                             \
            case R_MIN:                                                                            \
                for (int64_t k = 0; k < L; k++) {                                                  \
                    T v = LD(k);                                                                   \
                    if (v < a || isnan((double)v)) a = v;                                          \
                }                                                                                  \
                break;                                                                             \
            case R_L1:                                                                             \
                for (int64_t k = 0; k < L; k++) {                                                  \
                    T v = LD(k);                                                                   \
                    a += v < 0 ? -v : v;                                                           \
                }                                                                                  \
                break;                                                                             \
            case R_SUMSQ:                                                                          \
                for (int64_t k = 0; k < L; k++) {                                                  \
                    T v = LD(k);                                                                   \
                    a += v * v;                                                                    \
                }                                                                                  \
                break;                                                                             \
            case R_EXPSUM:                                                                         \
                for (int64_t k = 0; k < L; k++)                                                    \
                    a += (T)exp((double)LD(k) - mx[oo]);                                           \
                break;                                                                             \
            }                                                                                      \
            acc[oo] = a;                                                                           \
        } else {                                                                                   \
            T *a = acc + oo;                                                                       \
            switch (op) {                                                                          \
            case R_SUM:                                                                            \
                for (int64_t k = 0; k < L; k++)                                                    \
                    a[k] += LD(k);                                                                 \
                break;                                                                             \
            case R_PROD:                                                                           \
                for (int64_t k = 0; k < L; k++)                                                    \
                    a[k] *= LD(k);                                                                 \
                break;                                                                             \
            case R_MAX:                                                                            \
                for (int64_t k = 0; k < L; k++) {                                                  \
                    T v = LD(k);                                                                   \
                    if (v > a[k] || isnan((double)v)) a[k] = v;                                    \
                }                                                                                  \
                break;                                                                             \
            case R_MIN:                                                                            \
                for (int64_t k = 0; k < L; k++) {                                                  \
                    T v = LD(k);                                                                   \
                    if (v < a[k] || isnan((double)v)) a[k] = v;                                    \
                }                                                                                  \
                break;                                                                             \
            case R_L1:                                                                             \
                for (int64_t k = 0; k < L; k++) {                                                  \
                    T v = LD(k);                                                                   \
                    a[k] += v < 0 ? -v : v;                                                        \
                }                                                                                  \
                break;                                                                             \
            case R_SUMSQ:                                                                          \
                for (int64_t k = 0; k < L; k++) {                                                  \
                    T v = LD(k);                                                                   \
                    a[k] += v * v;                                                                 \
                }                                                                                  \
                break;                                                                             \
            case R_EXPSUM:                                                                         \
                for (int64_t k = 0; k < L; k++)                                                    \
                    a[k] += (T)exp((double)LD(k) - mx[oo + k]);                                    \
                break;                                                                             \
            }                                                                                      \
        }                                                                                          \
    } while (0)

#define LD_F32(k) ((double)xf[base + (k)])
#define LD_GEN(k) ld(x, base + (k))
#define LD_INT(k) dn_geti(x, base + (k))

/* One pass over x, folding with op into acc (double, or int64 when iacc). */
static void red_pass(const red_plan *p, const dn_tensor *x, int op, void *vacc, int iacc,
                     const double *mx)
{
    int last = p->nd - 1, lastred = p->red[last];
    int64_t L = p->d[last], rows = 1, idx[DN_MAX_RANK] = {0}, oo = 0;
    const float *xf = x->data;
    for (int i = 0; i < last; i++)
        rows *= p->d[i];
    for (int64_t r = 0; r < rows; r++) {
        int64_t base = r * L;
        if (iacc) {
            int64_t *acc = vacc;
            RED_ROW(int64_t, LD_INT);
        } else if (x->dtype == DN_F32) {
            double *acc = vacc;
            RED_ROW(double, LD_F32);
        } else {
            double *acc = vacc;
            RED_ROW(double, LD_GEN);
        }
        for (int i = last - 1; i >= 0; i--) {
            oo += p->ost[i];
            if (++idx[i] < p->d[i]) break;
            oo -= p->ost[i] * p->d[i];
            idx[i] = 0;
        }
    }
}

#undef RED_ROW
#undef LD_F32
#undef LD_GEN
#undef LD_INT

/* noop_with_empty_axes: ORT still applies L1/L2/SumSquare's elementwise
   part (abs, abs, square); the others copy. */
static void red_noop(int op, const dn_tensor *x, dn_tensor *y)
{
    int64_t m = dn_shape_numel(&x->shape);
    int fl = dn_dtype_is_float(x->dtype);
    for (int64_t i = 0; i < m; i++) {
        if (fl) {
            double v = ld(x, i);
            dn_set(y, i, op == R_L1 || op == R_L2 ? fabs(v) : op == R_SUMSQ ? v * v : v);
        } else {
            int64_t v = dn_geti(x, i);
            dn_seti(y, i, op == R_L1 || op == R_L2 ? (v < 0 ? -v : v) : op == R_SUMSQ ? v * v : v);
        }
    }
}

static int red_eval(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out, int nout,
                    dn_err *e)
{
    (void)nout;
    const dn_tensor *x = in[0];
    int op = red_op(n);
    uint8_t mask[DN_MAX_RANK];
    int st = red_axes(n, in, nin, x->shape.rank, mask, e);
    if (st < 0) return -1;
    if (st == AX_NOOP) {
        red_noop(op, x, out);
        return 0;
    }
    int64_t mo = dn_shape_numel(&out->shape), mi = dn_shape_numel(&x->shape);
    if (mo == 0) return 0;
    int64_t cnt = mi / mo; /* elements folded into each output (mi == 0: none) */
    red_plan p;
    red_plan_make(&p, &x->shape, mask);
    /* L2 and LogSumExp of integers go through double, as their results do */
    int iacc = is_int_dtype(x->dtype) && op != R_L2 && op != R_LSE;
    void *acc = malloc((size_t)mo * 8);
    double *mx = NULL;
    if (!acc) return dn_errf(e, "out of memory");
    int pop = op == R_MEAN ? R_SUM : op == R_L2 ? R_SUMSQ : op;
    for (int64_t i = 0; i < mo; i++) {
        double dv = pop == R_PROD ? 1 : pop == R_MAX ? -INFINITY : pop == R_MIN ? INFINITY : 0;
        int64_t iv = pop == R_PROD ? 1 : pop == R_MAX ? INT64_MIN : pop == R_MIN ? INT64_MAX : 0;
        if (iacc)
            ((int64_t *)acc)[i] = iv;
        else
            ((double *)acc)[i] = pop == R_LSE ? 0 : dv;
    }
    if (op == R_LSE) {
        mx = malloc((size_t)mo * sizeof *mx);
        if (!mx) {
            free(acc);
            return dn_errf(e, "out of memory");
        }
        for (int64_t i = 0; i < mo; i++)
            mx[i] = -INFINITY;
        if (mi) red_pass(&p, x, R_MAX, mx, 0, NULL);
        pop = R_EXPSUM;
    }
    if (mi) red_pass(&p, x, pop, acc, iacc, mx);
    for (int64_t i = 0; i < mo; i++) {
        if (iacc) {
            int64_t v = ((int64_t *)acc)[i];
            dn_seti(out, i, op == R_MEAN ? (cnt ? v / cnt : 0) : v);
            continue;
        }
        double v = ((double *)acc)[i];
        if (op == R_MEAN)
            v = cnt ? v / (double)cnt : 0; /* ORT gives 0 for an empty mean */
        else if (op == R_L2)
            v = sqrt(v);
        else if (op == R_LSE)
            v = isinf(mx[i]) ? mx[i] : mx[i] + log(v);
        if (is_int_dtype(out->dtype))
            dn_seti(out, i, (int64_t)v);
        else
            dn_set(out, i, v);
    }
    free(acc);
    free(mx);
    return 0;
}

/* ------------------------------------------------------------------ */
/* ArgMax, ArgMin                                                      */
/* ------------------------------------------------------------------ */

/* Splits x's dims around `axis` into outer x len x inner. */
static void split3(const dn_shape *s, int axis, int64_t *outer, int64_t *len, int64_t *inner)
{
    *outer = *inner = 1;
    for (int i = 0; i < axis; i++)
        *outer *= s->d[i];
    for (int i = axis + 1; i < s->rank; i++)
        *inner *= s->d[i];
    *len = s->rank > 0 ? s->d[axis] : 1;
}

static int arg_infer(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out,
                     int nout, dn_err *e)
{
    (void)nin;
    (void)nout;
    const dn_tensor *x = in[0];
    if (!(x->dtype == DN_F32 || x->dtype == DN_F64 || is_int_dtype(x->dtype)))
        return dn_errf(e, "%s does not support dtype %s", n->op, dn_dtype_name(x->dtype));
    out[0].dtype = DN_I64;
    if (x->shape.rank < 0) {
        out[0].shape = dn_shape_unknown();
        return 0;
    }
    int a;
    if (dn_axis(ir_attr_int(n, "axis", 0), x->shape.rank, &a, e)) return -1;
    if (x->shape.rank == 0) return dn_errf(e, "%s needs an input of rank >= 1", n->op);
    dn_shape s = x->shape;
    if (ir_attr_int(n, "keepdims", 1)) {
        s.d[a] = 1;
    } else {
        for (int i = a; i + 1 < s.rank; i++)
            s.d[i] = s.d[i + 1];
        s.rank--;
    }
    out[0].shape = s;
    return 0;
}

static int arg_eval(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out, int nout,
                    dn_err *e)
{
    (void)nin;
    (void)nout;
    const dn_tensor *x = in[0];
    int a;
    if (dn_axis(ir_attr_int(n, "axis", 0), x->shape.rank, &a, e)) return -1;
    int is_max = strcmp(n->op, "ArgMax") == 0, last = ir_attr_int(n, "select_last_index", 0) != 0;
    int64_t outer, len, inner;
    split3(&x->shape, a, &outer, &len, &inner);
    if (len == 0 && outer * inner > 0) return dn_errf(e, "%s over an empty axis", n->op);
    int fl = dn_dtype_is_float(x->dtype);
    int64_t *o = out->data;
    for (int64_t p = 0; p < outer; p++)
        for (int64_t q = 0; q < inner; q++) {
            int64_t base = p * len * inner + q, best = 0;
            /* strict comparisons skip NaN after the first element, as ORT does */
            if (fl) {
                double bv = ld(x, base);
                for (int64_t k = 1; k < len; k++) {
                    double v = ld(x, base + k * inner);
                    int better = is_max ? (last ? v >= bv : v > bv) : (last ? v <= bv : v < bv);
                    if (better) bv = v, best = k;
                }
            } else {
                int64_t bv = dn_geti(x, base);
                for (int64_t k = 1; k < len; k++) {
                    int64_t v = dn_geti(x, base + k * inner);
                    int better = is_max ? (last ? v >= bv : v > bv) : (last ? v <= bv : v < bv);
                    if (better) bv = v, best = k;
                }
            }
            o[p * inner + q] = best;
        }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Softmax, LogSoftmax (opset 13: one axis)                            */
/* ------------------------------------------------------------------ */

static int softmax_infer(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out,
                         int nout, dn_err *e)
{
    (void)nin;
    (void)nout;
    const dn_tensor *x = in[0];
    if (x->dtype != DN_F32 && x->dtype != DN_F64)
        return dn_errf(e, "%s needs f32 or f64, got %s", n->op, dn_dtype_name(x->dtype));
    int a;
    if (x->shape.rank >= 0 && dn_axis(ir_attr_int(n, "axis", -1), x->shape.rank, &a, e)) return -1;
    out[0].dtype = x->dtype;
    out[0].shape = x->shape;
    return 0;
}

static int softmax_eval(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out,
                        int nout, dn_err *e)
{
    (void)nin;
    (void)nout;
    const dn_tensor *x = in[0];
    int a = 0;
    if (x->shape.rank > 0 && dn_axis(ir_attr_int(n, "axis", -1), x->shape.rank, &a, e)) return -1;
    int logsm = strcmp(n->op, "LogSoftmax") == 0;
    int64_t outer, len, inner;
    split3(&x->shape, a, &outer, &len, &inner);
    if (outer * len * inner == 0) return 0;
    double *t = malloc((size_t)len * sizeof *t);
    if (!t) return dn_errf(e, "out of memory");
    for (int64_t p = 0; p < outer; p++)
        for (int64_t q = 0; q < inner; q++) {
            int64_t base = p * len * inner + q;
            double m = -INFINITY, s = 0;
            for (int64_t k = 0; k < len; k++) {
                t[k] = ld(x, base + k * inner);
                if (t[k] > m) m = t[k];
            }
            if (isinf(m)) m = 0; /* all -inf (or +inf present): let the NaNs/zeros fall out */
            for (int64_t k = 0; k < len; k++)
                s += exp(t[k] - m);
            double ls = log(s);
            for (int64_t k = 0; k < len; k++) {
                double v = logsm ? t[k] - m - ls : exp(t[k] - m) / s;
                if (x->dtype == DN_F32)
                    ((float *)out->data)[base + k * inner] = (float)v;
                else
                    ((double *)out->data)[base + k * inner] = v;
            }
        }
    free(t);
    return 0;
}

/* ------------------------------------------------------------------ */
/* The family table                                                    */
/* ------------------------------------------------------------------ */

#define RED(name)                                                                                  \
    {                                                                                              \
        name, 1, 2, 1, 1, red_infer, red_eval                                                      \
    }

const op_def op_defs_reduce[] = {
    RED("ReduceSum"),
    RED("ReduceMean"),
    RED("ReduceMax"),
    RED("ReduceMin"),
    RED("ReduceProd"),
    RED("ReduceL1"),
    RED("ReduceL2"),
    RED("ReduceSumSquare"),
    RED("ReduceLogSumExp"),
    {"ArgMax", 1, 1, 1, 1, arg_infer, arg_eval},
    {"ArgMin", 1, 1, 1, 1, arg_infer, arg_eval},
    {"Softmax", 1, 1, 1, 1, softmax_infer, softmax_eval},
    {"LogSoftmax", 1, 1, 1, 1, softmax_infer, softmax_eval},
    {"LayerNormalization", 2, 3, 1, 3, op_rn_layernorm_infer, op_rn_layernorm_eval},
    {"BatchNormalization", 5, 5, 1, 3, op_rn_chan_infer, op_rn_batchnorm_eval},
    {"InstanceNormalization", 3, 3, 1, 1, op_rn_chan_infer, op_rn_instnorm_eval},
    {"GroupNormalization", 3, 3, 1, 1, op_rn_chan_infer, op_rn_groupnorm_eval},
    {"LpNormalization", 1, 1, 1, 1, op_rn_lpnorm_infer, op_rn_lpnorm_eval},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};
