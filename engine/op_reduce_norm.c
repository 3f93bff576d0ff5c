/* op_reduce_norm.c -- the normalisations of the reduce family:
 * LayerNormalization, BatchNormalization (inference), InstanceNormalization,
 * GroupNormalization and LpNormalization.  Their op_def entries are in
 * op_reduce.c's table.  Statistics are taken in double, two passes (mean,
 * then squared deviations), which keeps the variance accurate for inputs
 * with a large mean. */
#include "op_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static inline double ld(const dn_tensor *t, int64_t i)
{
    if (t->dtype == DN_F32) return ((const float *)t->data)[i];
    if (t->dtype == DN_F64) return ((const double *)t->data)[i];
    return dn_get(t, i);
}

static inline void st(dn_tensor *t, int64_t i, double v)
{
    if (t->dtype == DN_F32)
        ((float *)t->data)[i] = (float)v;
    else
        ((double *)t->data)[i] = v;
}

static int float_only(const ir_node *n, const dn_tensor *const *in, int nin, dn_err *e)
{
    for (int i = 0; i < nin; i++) {
        if (!in[i]) continue;
        if (in[i]->dtype != DN_F32 && in[i]->dtype != DN_F64)
            return dn_errf(e, "%s needs f32 or f64 inputs, input %d is %s", n->op, i,
                           dn_dtype_name(in[i]->dtype));
    }
    return 0;
}

/* Mean and (biased) variance of x[base .. base+len). */
static void seg_stats(const dn_tensor *x, int64_t base, int64_t len, double *mean, double *var)
{
    double s = 0, q = 0;
    if (x->dtype == DN_F32) {
        const float *a = (const float *)x->data + base;
        for (int64_t k = 0; k < len; k++)
            s += a[k];
        s /= (double)len;
        for (int64_t k = 0; k < len; k++)
            q += (a[k] - s) * (a[k] - s);
    } else {
        for (int64_t k = 0; k < len; k++)
            s += ld(x, base + k);
        s /= (double)len;
        for (int64_t k = 0; k < len; k++)
            q += (ld(x, base + k) - s) * (ld(x, base + k) - s);
    }
    *mean = s;
    *var = q / (double)len;
}

/* y[base+k] = x[base+k] * a + b over a segment (per channel / group). */
static void seg_affine(const dn_tensor *x, dn_tensor *y, int64_t base, int64_t len, double a,
                       double b)
{
    if (x->dtype == DN_F32) {
        const float *xs = (const float *)x->data + base;
        float *ys = (float *)y->data + base, fa = (float)a, fb = (float)b;
        for (int64_t k = 0; k < len; k++)
            ys[k] = xs[k] * fa + fb;
    } else {
        for (int64_t k = 0; k < len; k++)
            st(y, base + k, ld(x, base + k) * a + b);
    }
}

/* ------------------------------------------------------------------ */
/* LayerNormalization                                                  */
/* ------------------------------------------------------------------ */

/* Scale and B must broadcast (one way) to the normalised dims x[axis:]. */
static int ln_param_ok(const dn_tensor *p, const dn_shape *ns, const char *what, dn_err *e)
{
    if (p->shape.rank < 0) return 0;
    char a[128], b[128];
    if (p->shape.rank > ns->rank)
        return dn_errf(e, "LayerNormalization: %s %s has a higher rank than the normalised %s",
                       what, dn_shape_str(&p->shape, a, sizeof a), dn_shape_str(ns, b, sizeof b));
    int off = ns->rank - p->shape.rank;
    for (int i = 0; i < p->shape.rank; i++) {
        int64_t pd = p->shape.d[i], xd = ns->d[off + i];
        if (pd >= 0 && xd >= 0 && pd != 1 && pd != xd)
            return dn_errf(e, "LayerNormalization: %s %s does not broadcast to %s", what,
                           dn_shape_str(&p->shape, a, sizeof a), dn_shape_str(ns, b, sizeof b));
    }
    return 0;
}

int op_rn_layernorm_infer(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out,
                          int nout, dn_err *e)
{
    if (float_only(n, in, nin, e)) return -1;
    const dn_tensor *x = in[0];
    int64_t stash = ir_attr_int(n, "stash_type", 1);
    int udt = stash == 1 ? DN_F32 : stash == 11 ? DN_F64 : x->dtype;
    for (int i = 0; i < nout; i++) {
        out[i].dtype = i ? udt : x->dtype;
        out[i].shape = x->shape;
    }
    int r = x->shape.rank;
    if (r < 0) return 0;
    int a;
    if (dn_axis(ir_attr_int(n, "axis", -1), r, &a, e)) return -1;
    dn_shape ns = dn_shape_make(r - a, x->shape.d + a);
    if (ln_param_ok(in[1], &ns, "Scale", e)) return -1;
    if (nin > 2 && in[2] && ln_param_ok(in[2], &ns, "B", e)) return -1;
    for (int i = 1; i < nout; i++)
        for (int j = a; j < r; j++)
            out[i].shape.d[j] = 1;
    return 0;
}

/* p broadcast over the normalised dims ns, flattened into D doubles. */
static double *ln_expand(const dn_tensor *p, const dn_shape *ns, int64_t D, double dflt)
{
    double *v = malloc((size_t)(D ? D : 1) * sizeof *v);
    if (!v) return NULL;
    if (!p) {
        for (int64_t k = 0; k < D; k++)
            v[k] = dflt;
        return v;
    }
    int64_t bst[DN_MAX_RANK], idx[DN_MAX_RANK] = {0};
    op_bcast_strides(ns, &p->shape, bst);
    for (int64_t k = 0; k < D; k++) {
        int64_t off = 0;
        for (int i = 0; i < ns->rank; i++)
            off += idx[i] * bst[i];
        v[k] = ld(p, off);
        op_next_index(ns, idx);
    }
    return v;
}

int op_rn_layernorm_eval(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out,
                         int nout, dn_err *e)
{
    const dn_tensor *x = in[0];
    int r = x->shape.rank, a;
    if (dn_axis(ir_attr_int(n, "axis", -1), r, &a, e)) return -1;
    double eps = ir_attr_float(n, "epsilon", 1e-5f);
    dn_shape ns = dn_shape_make(r - a, x->shape.d + a);
    int64_t D = dn_shape_numel(&ns), rows = 1;
    for (int i = 0; i < a; i++)
        rows *= x->shape.d[i];
    if (rows == 0) return 0;
    double *sc = ln_expand(in[1], &ns, D, 1), *bi = ln_expand(nin > 2 ? in[2] : NULL, &ns, D, 0);
    if (!sc || !bi) {
        free(sc);
        free(bi);
        return dn_errf(e, "out of memory");
    }
    for (int64_t row = 0; row < rows; row++) {
        int64_t base = row * D;
        double mean = NAN, var = NAN;
        if (D) seg_stats(x, base, D, &mean, &var);
        double inv = 1.0 / sqrt(var + eps);
        if (x->dtype == DN_F32) {
            const float *xs = (const float *)x->data + base;
            float *ys = (float *)out[0].data + base;
            for (int64_t k = 0; k < D; k++)
                ys[k] = (float)((xs[k] - mean) * inv * sc[k] + bi[k]);
        } else {
            for (int64_t k = 0; k < D; k++)
                st(&out[0], base + k, (ld(x, base + k) - mean) * inv * sc[k] + bi[k]);
        }
        if (nout > 1) st(&out[1], row, mean);
        if (nout > 2) st(&out[2], row, inv);
    }
    free(sc);
    free(bi);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Per-channel normalisations on [N, C, ...]                           */
/* ------------------------------------------------------------------ */

/* N, C and the spatial size S of x (rank >= 2). */
static void nc_dims(const dn_shape *s, int64_t *N, int64_t *C, int64_t *S)
{
    *N = s->d[0];
    *C = s->d[1];
    *S = 1;
    for (int i = 2; i < s->rank; i++)
        *S *= s->d[i];
}

static int param_len(const ir_node *n, const dn_tensor *p, const char *what, int64_t want,
                     int64_t alt, dn_err *e)
{
    int64_t k = dn_shape_numel(&p->shape);
    if (k < 0 || want < 0 || k == want || (alt >= 0 && k == alt)) return 0;
    if (alt >= 0)
        return dn_errf(e, "%s: %s has %lld elements, expected %lld or %lld", n->op, what,
                       (long long)k, (long long)want, (long long)alt);
    return dn_errf(e, "%s: %s has %lld elements, expected %lld", n->op, what, (long long)k,
                   (long long)want);
}

/* BatchNormalization, InstanceNormalization, GroupNormalization. */
int op_rn_chan_infer(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out,
                     int nout, dn_err *e)
{
    if (float_only(n, in, nin, e)) return -1;
    const dn_tensor *x = in[0];
    int bn = strcmp(n->op, "BatchNormalization") == 0;
    int gn = strcmp(n->op, "GroupNormalization") == 0;
    if (bn && ir_attr_int(n, "training_mode", 0))
        return dn_errf(e, "BatchNormalization: training_mode=1 is not supported (inference only)");
    if (bn && nout > 1)
        return dn_errf(e, "BatchNormalization has running_mean/running_var outputs only in "
                          "training mode, which is not supported");
    out[0].dtype = x->dtype;
    out[0].shape = x->shape;
    if (x->shape.rank < 0) return 0;
    if (x->shape.rank < 2) return dn_errf(e, "%s needs an input of rank >= 2 ([N, C, ...])", n->op);
    int64_t C = x->shape.d[1], G = -1;
    if (gn) {
        G = ir_attr_int(n, "num_groups", 0);
        if (G <= 0) return dn_errf(e, "GroupNormalization: num_groups must be > 0");
        if (C >= 0 && C % G != 0)
            return dn_errf(e, "GroupNormalization: %lld channels do not split into %lld groups",
                           (long long)C, (long long)G);
    }
    static const char *const names[] = {"X", "scale", "B", "mean", "var"};
    for (int i = 1; i < nin; i++)
        if (in[i] && param_len(n, in[i], names[i], C, G, e)) return -1;
    return 0;
}

int op_rn_batchnorm_eval(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out,
                         int nout, dn_err *e)
{
    (void)nin;
    (void)nout;
    (void)e;
    const dn_tensor *x = in[0];
    double eps = ir_attr_float(n, "epsilon", 1e-5f);
    int64_t N, C, S;
    nc_dims(&x->shape, &N, &C, &S);
    for (int64_t c = 0; c < C; c++) {
        double a = ld(in[1], c) / sqrt(ld(in[4], c) + eps);
        double b = ld(in[2], c) - ld(in[3], c) * a;
        for (int64_t b0 = 0; b0 < N; b0++)
            seg_affine(x, out, (b0 * C + c) * S, S, a, b);
    }
    return 0;
}

int op_rn_instnorm_eval(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out,
                        int nout, dn_err *e)
{
    (void)nin;
    (void)nout;
    (void)e;
    const dn_tensor *x = in[0];
    double eps = ir_attr_float(n, "epsilon", 1e-5f);
    int64_t N, C, S;
    nc_dims(&x->shape, &N, &C, &S);
    if (S == 0) return 0;
    for (int64_t b0 = 0; b0 < N; b0++)
        for (int64_t c = 0; c < C; c++) {
            int64_t base = (b0 * C + c) * S;
            double mean, var;
            seg_stats(x, base, S, &mean, &var);
            double a = ld(in[1], c) / sqrt(var + eps);
            seg_affine(x, out, base, S, a, ld(in[2], c) - mean * a);
        }
    return 0;
}

/* Scale and bias are per group in opset 18 and per channel from 21; the
   opset is not known here, so their length decides (C == G reads alike). */
int op_rn_groupnorm_eval(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out,
                         int nout, dn_err *e)
{
    (void)nin;
    (void)nout;
    (void)e;
    const dn_tensor *x = in[0];
    double eps = ir_attr_float(n, "epsilon", 1e-5f);
    int64_t N, C, S, G = ir_attr_int(n, "num_groups", 1);
    nc_dims(&x->shape, &N, &C, &S);
    int64_t cpg = C / G, len = cpg * S;
    int per_chan = dn_shape_numel(&in[1]->shape) == C;
    if (len == 0) return 0;
    for (int64_t b0 = 0; b0 < N; b0++)
        for (int64_t g = 0; g < G; g++) {
            int64_t base = (b0 * C + g * cpg) * S;
            double mean, var;
            seg_stats(x, base, len, &mean, &var);
            double inv = 1.0 / sqrt(var + eps);
            for (int64_t c = 0; c < cpg; c++) {
                int64_t p = per_chan ? g * cpg + c : g;
                double a = ld(in[1], p) * inv;
                seg_affine(x, out, base + c * S, S, a, ld(in[2], p) - mean * a);
            }
        }
    return 0;
}

/* ------------------------------------------------------------------ */
/* LpNormalization                                                     */
/* ------------------------------------------------------------------ */

int op_rn_lpnorm_infer(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out,
                       int nout, dn_err *e)
{
    (void)nout;
    if (float_only(n, in, nin, e)) return -1;
    int64_t p = ir_attr_int(n, "p", 2);
    if (p != 1 && p != 2)
        return dn_errf(e, "LpNormalization: p must be 1 or 2, got %lld", (long long)p);
    int a;
    if (in[0]->shape.rank >= 0 && dn_axis(ir_attr_int(n, "axis", -1), in[0]->shape.rank, &a, e))
        return -1;
    out[0].dtype = in[0]->dtype;
    out[0].shape = in[0]->shape;
    return 0;
}

int op_rn_lpnorm_eval(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out,
                      int nout, dn_err *e)
{
    (void)nin;
    (void)nout;
    const dn_tensor *x = in[0];
    int r = x->shape.rank, a = 0;
    if (r > 0 && dn_axis(ir_attr_int(n, "axis", -1), r, &a, e)) return -1;
    int p1 = ir_attr_int(n, "p", 2) == 1;
    int64_t outer = 1, len = r > 0 ? x->shape.d[a] : 1, inner = 1;
    for (int i = 0; i < a; i++)
        outer *= x->shape.d[i];
    for (int i = a + 1; i < r; i++)
        inner *= x->shape.d[i];
    for (int64_t o = 0; o < outer; o++)
        for (int64_t q = 0; q < inner; q++) {
            int64_t base = o * len * inner + q;
            double s = 0;
            for (int64_t k = 0; k < len; k++) {
                double v = ld(x, base + k * inner);
                s += p1 ? fabs(v) : v * v;
            }
            double norm = p1 ? s : sqrt(s);
            /* a zero vector stays zero (ORT), instead of 0/0 */
            for (int64_t k = 0; k < len; k++)
                st(out, base + k * inner, norm == 0 ? 0 : ld(x, base + k * inner) / norm);
        }
    return 0;
}
