/* eval.c -- the one evaluator of guards, computed attributes and costs.
 *
 * `dnnf rules check` (verify.c) verifies a rule under the meaning this
 * file gives its guard and computed attributes, and the e-graph engine
 * (engine/match.c, extract.c) applies the rule under the same meaning:
 * there is no second implementation that could drift from the one that
 * was verified.  The two callers differ only in where names come from
 * (their gm_lookup_fn): verify.c knows every operand's contents, the
 * engine knows the contents of constants only (t.data NULL otherwise),
 * and shapes that the engine could not infer have unknown dims.  Every
 * builtin therefore says what it does with unknown contents or dims: a
 * fact that cannot be established is false (is_const, positive,
 * same_shape, ...) or an error (value, shape of unknown rank), never a
 * guess, so a guard that holds in the engine also held on the concrete
 * instances `rules check` tried.
 *
 * Values never own memory: tensors are views of the caller's tensors,
 * strings point into the AST or the caller's attributes. */
#include "internal.h"

#include <math.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Values                                                              */
/* ------------------------------------------------------------------ */

int gm_truth(const gm_val *v)
{
    if (v->kind == GM_V_FLOAT) return v->f != 0;
    if (v->kind == GM_V_TENSOR) return 1;
    if (v->kind == GM_V_ABSENT || v->kind == GM_V_NONE) return 0;
    return v->i != 0;
}

int gm_val_is_num(const gm_val *v)
{
    return v->kind == GM_V_INT || v->kind == GM_V_FLOAT || v->kind == GM_V_BOOL;
}

double gm_val_num(const gm_val *v)
{
    if (v->kind == GM_V_FLOAT) return v->f;
    if (v->kind == GM_V_TENSOR)
        return v->t.data && dn_shape_numel(&v->t.shape) > 0 ? dn_get(&v->t, 0) : NAN;
    return (double)v->i;
}

int gm_val_ints(const gm_val *v, int64_t *out, int *n)
{
    if (v->kind == GM_V_INTS) {
        memcpy(out, v->ints, (size_t)v->n * sizeof *out);
        *n = v->n;
        return 0;
    }
    /* an integer tensor of known contents is a list too (Reshape's shape,
       Slice's starts and ends are operands, not attributes) */
    if (v->kind == GM_V_TENSOR && v->t.data && !dn_dtype_is_float(v->t.dtype) &&
        dn_shape_numel(&v->t.shape) <= GM_MAXL && dn_shape_numel(&v->t.shape) >= 0) {
        *n = (int)dn_shape_numel(&v->t.shape);
        for (int i = 0; i < *n; i++)
            out[i] = dn_geti(&v->t, i);
        return 0;
    }
    return -1;
}

/* Element i of a list as a number, from the array its kind makes
   authoritative (producers outside this file need not fill both). */
static double elem(const gm_val *v, int i)
{
    return v->kind == GM_V_FLOATS ? v->floats[i] : (double)v->ints[i];
}

int gm_val_eq(const gm_val *a, const gm_val *b)
{
    if (gm_val_is_num(a) && gm_val_is_num(b)) return gm_val_num(a) == gm_val_num(b);
    if (a->kind == GM_V_STR && b->kind == GM_V_STR) return !strcmp(a->s, b->s);
    if (a->kind == GM_V_FLOATS || b->kind == GM_V_FLOATS) {
        if ((a->kind != GM_V_FLOATS && a->kind != GM_V_INTS) ||
            (b->kind != GM_V_FLOATS && b->kind != GM_V_INTS))
            return 0;
        if (a->n != b->n) return 0;
        for (int i = 0; i < a->n; i++)
            if (elem(a, i) != elem(b, i)) return 0;
        return 1;
    }
    int64_t p[GM_MAXL], q[GM_MAXL];
    int np, nq;
    if (!gm_val_ints(a, p, &np) && !gm_val_ints(b, q, &nq)) {
        if (np != nq) return 0;
        for (int i = 0; i < np; i++)
            if (p[i] != q[i]) return 0;
        return 1;
    }
    return 0;
}

void gm_attr_val(const ir_attr *a, gm_val *v)
{
    memset(v, 0, sizeof *v);
    if (!a) {
        v->kind = GM_V_ABSENT;
        return;
    }
    switch (a->type) {
    case IR_ATTR_INT:
        v->kind = GM_V_INT;
        v->i = a->i;
        break;
    case IR_ATTR_FLOAT:
        v->kind = GM_V_FLOAT;
        v->f = a->f;
        break;
    case IR_ATTR_STRING:
        v->kind = GM_V_STR;
        v->s = a->s ? a->s : "";
        break;
    case IR_ATTR_INTS:
        v->kind = GM_V_INTS;
        v->n = a->n < GM_MAXL ? a->n : GM_MAXL;
        for (int i = 0; i < v->n; i++)
            v->ints[i] = a->ints[i], v->floats[i] = (double)a->ints[i];
        if (a->n > GM_MAXL) v->kind = GM_V_NONE; /* too long to reason about */
        break;
    case IR_ATTR_FLOATS:
        v->kind = GM_V_FLOATS;
        v->n = a->n < GM_MAXL ? a->n : GM_MAXL;
        for (int i = 0; i < v->n; i++)
            v->floats[i] = a->floats[i], v->ints[i] = (int64_t)a->floats[i];
        if (a->n > GM_MAXL) v->kind = GM_V_NONE;
        break;
    case IR_ATTR_TENSOR:
        v->kind = GM_V_TENSOR;
        v->t = a->t;
        break;
    default:
        v->kind = GM_V_NONE;
    }
}

int gm_val_attr_type(const gm_val *v)
{
    switch (v->kind) {
    case GM_V_INT:
        return IR_ATTR_INT;
    case GM_V_FLOAT:
        return IR_ATTR_FLOAT;
    case GM_V_STR:
        return IR_ATTR_STRING;
    case GM_V_FLOATS:
        return IR_ATTR_FLOATS;
    default:
        return IR_ATTR_INTS;
    }
}

int gm_val_attr(const gm_val *v, const char *name, int type, ir_attr *a, int64_t *ints,
                float *floats, dn_err *err)
{
    memset(a, 0, sizeof *a);
    a->name = (char *)name;
    a->type = type;
    switch (type) {
    case IR_ATTR_INT:
        if (!gm_val_is_num(v)) return dn_errf(err, "attribute %s needs an int", name);
        a->i = (int64_t)gm_val_num(v);
        return 0;
    case IR_ATTR_FLOAT:
        /* a tensor is not a number here: value(x) says which number */
        if (!gm_val_is_num(v)) return dn_errf(err, "attribute %s needs a float", name);
        a->f = (float)gm_val_num(v);
        return 0;
    case IR_ATTR_STRING:
        if (v->kind != GM_V_STR) return dn_errf(err, "attribute %s needs a string", name);
        a->s = (char *)v->s;
        return 0;
    case IR_ATTR_INTS:
    case IR_ATTR_FLOATS: {
        int64_t p[GM_MAXL];
        int n = 0;
        if (v->kind == GM_V_FLOATS) {
            n = v->n;
            for (int i = 0; i < n; i++)
                p[i] = (int64_t)v->floats[i];
        } else if (gm_val_ints(v, p, &n))
            return dn_errf(err, "attribute %s needs a list", name);
        a->n = n;
        if (type == IR_ATTR_INTS) {
            memcpy(ints, p, (size_t)n * sizeof *p);
            a->ints = ints;
        } else {
            for (int i = 0; i < n; i++)
                floats[i] = (float)(v->kind == GM_V_FLOATS ? v->floats[i] : (double)p[i]);
            a->floats = floats;
        }
        return 0;
    }
    default:
        return dn_errf(err, "attribute %s: unsupported type", name);
    }
}

/* ------------------------------------------------------------------ */
/* Builtins (docs/rules-language.md, "Expressions"; check.c holds their */
/* arities)                                                             */
/* ------------------------------------------------------------------ */

#define RES_BOOL(x) (*out = (gm_val){.kind = GM_V_BOOL, .i = (x)})
#define RES_INT(x) (*out = (gm_val){.kind = GM_V_INT, .i = (x)})

static int want_tensor(const gm_val *v, const char *fn, dn_err *e)
{
    if (v->kind != GM_V_TENSOR) return dn_errf(e, "%s() takes a tensor", fn);
    return 0;
}

static int want_data(const gm_val *v, const char *fn, dn_err *e)
{
    if (want_tensor(v, fn, e)) return -1;
    if (!v->t.data) return dn_errf(e, "%s(): contents not known", fn);
    return 0;
}

static void res_ints(gm_val *out, const int64_t *p, int n)
{
    out->kind = GM_V_INTS;
    out->n = n;
    for (int i = 0; i < n; i++)
        out->ints[i] = p[i], out->floats[i] = (double)p[i];
}

/* Each builtin gets its arguments evaluated (as many as check.c allows
   it) and the function name for messages. */
typedef int (*builtin_fn)(const char *f, const gm_val *a, gm_val *out, dn_err *err);

static int b_rank(const char *f, const gm_val *a, gm_val *out, dn_err *err)
{
    if (want_tensor(&a[0], f, err)) return -1;
    RES_INT(a[0].t.shape.rank);
    return 0;
}

static int b_shape(const char *f, const gm_val *a, gm_val *out, dn_err *err)
{
    if (want_tensor(&a[0], f, err)) return -1;
    if (a[0].t.shape.rank < 0 || a[0].t.shape.rank > GM_MAXL)
        return dn_errf(err, "shape() of unknown rank");
    res_ints(out, a[0].t.shape.d, a[0].t.shape.rank);
    return 0;
}

static int b_dim(const char *f, const gm_val *a, gm_val *out, dn_err *err)
{
    int ax;
    if (want_tensor(&a[0], f, err)) return -1;
    if (dn_axis((int64_t)gm_val_num(&a[1]), a[0].t.shape.rank, &ax, err)) return -1;
    RES_INT(a[0].t.shape.d[ax]);
    return 0;
}

static int b_numel(const char *f, const gm_val *a, gm_val *out, dn_err *err)
{
    if (want_tensor(&a[0], f, err)) return -1;
    RES_INT(dn_shape_numel(&a[0].t.shape));
    return 0;
}

static int b_same_shape(const char *f, const gm_val *a, gm_val *out, dn_err *err)
{
    if (want_tensor(&a[0], f, err) || want_tensor(&a[1], f, err)) return -1;
    /* two unknown dims are not known to be equal */
    RES_BOOL(dn_shape_known(&a[0].t.shape) && dn_shape_eq(&a[0].t.shape, &a[1].t.shape));
    return 0;
}

static int b_broadcasts_to(const char *f, const gm_val *a, gm_val *out, dn_err *err)
{
    if (want_tensor(&a[0], f, err) || want_tensor(&a[1], f, err)) return -1;
    dn_shape s;
    dn_err tmp;
    RES_BOOL(dn_shape_known(&a[0].t.shape) && dn_shape_known(&a[1].t.shape) &&
             !dn_broadcast(&a[0].t.shape, &a[1].t.shape, &s, &tmp) &&
             dn_shape_eq(&s, &a[1].t.shape));
    return 0;
}

static int b_is_identity(const char *f, const gm_val *a, gm_val *out, dn_err *err)
{
    int64_t p[GM_MAXL];
    int np;
    (void)f;
    if (gm_val_ints(&a[0], p, &np)) return dn_errf(err, "is_identity() takes ints");
    int ok = 1;
    for (int i = 0; i < np; i++)
        ok &= p[i] == i;
    RES_BOOL(ok);
    return 0;
}

/* Transpose(Transpose(x, p), q) == Transpose(x, compose(p, q)): r[i] = p[q[i]] */
static int b_compose(const char *f, const gm_val *a, gm_val *out, dn_err *err)
{
    int64_t p[GM_MAXL], q[GM_MAXL], r[GM_MAXL];
    int np, nq;
    (void)f;
    if (gm_val_ints(&a[0], p, &np) || gm_val_ints(&a[1], q, &nq) || np != nq)
        return dn_errf(err, "compose() takes two permutations of one length");
    for (int i = 0; i < np; i++) {
        if (q[i] < 0 || q[i] >= np) return dn_errf(err, "compose(): not a permutation");
        r[i] = p[q[i]];
    }
    res_ints(out, r, np);
    return 0;
}

static int b_inverse(const char *f, const gm_val *a, gm_val *out, dn_err *err)
{
    int64_t p[GM_MAXL], r[GM_MAXL] = {0};
    int np;
    (void)f;
    if (gm_val_ints(&a[0], p, &np)) return dn_errf(err, "inverse() takes a permutation");
    for (int i = 0; i < np; i++) {
        if (p[i] < 0 || p[i] >= np) return dn_errf(err, "inverse(): not a permutation");
        r[p[i]] = i;
    }
    res_ints(out, r, np);
    return 0;
}

/* `rules check` knows every operand's contents, so there it is always
   true for a tensor; the engine knows the contents of constants only. */
static int b_is_const(const char *f, const gm_val *a, gm_val *out, dn_err *err)
{
    if (want_tensor(&a[0], f, err)) return -1;
    RES_BOOL(a[0].t.data != NULL);
    return 0;
}

static int b_is_scalar(const char *f, const gm_val *a, gm_val *out, dn_err *err)
{
    if (want_tensor(&a[0], f, err)) return -1;
    RES_BOOL(dn_shape_numel(&a[0].t.shape) == 1);
    return 0;
}

/* positive / nonneg: false when the contents are not known */
static int b_positive(const char *f, const gm_val *a, gm_val *out, dn_err *err)
{
    if (want_tensor(&a[0], f, err)) return -1;
    int ok = a[0].t.data != NULL, pos = f[0] == 'p';
    for (int64_t i = 0; ok && i < dn_shape_numel(&a[0].t.shape); i++) {
        double x = dn_get(&a[0].t, i);
        ok &= pos ? x > 0 : x >= 0;
    }
    RES_BOOL(ok);
    return 0;
}

static int b_len(const char *f, const gm_val *a, gm_val *out, dn_err *err)
{
    int64_t p[GM_MAXL];
    int np;
    (void)f;
    if (a[0].kind == GM_V_FLOATS)
        RES_INT(a[0].n);
    else if (gm_val_ints(&a[0], p, &np))
        return dn_errf(err, "len() takes a list");
    else
        RES_INT(np);
    return 0;
}

/* the value of a constant all of whose elements are equal; else NaN */
static int b_value(const char *f, const gm_val *a, gm_val *out, dn_err *err)
{
    if (want_data(&a[0], f, err)) return -1;
    int64_t n = dn_shape_numel(&a[0].t.shape);
    if (n < 1) return dn_errf(err, "value() of an empty tensor");
    double x = dn_get(&a[0].t, 0);
    for (int64_t i = 1; i < n; i++)
        if (dn_get(&a[0].t, i) != x) x = NAN;
    *out = (gm_val){.kind = GM_V_FLOAT, .f = x};
    return 0;
}

static int b_is_float(const char *f, const gm_val *a, gm_val *out, dn_err *err)
{
    if (want_tensor(&a[0], f, err)) return -1;
    RES_BOOL(dn_dtype_is_float(a[0].t.dtype));
    return 0;
}

/* The ONNX dtype code (TensorProto.DataType), the number Cast's `to` holds:
   `dtype(x) == f32` and `dtype(x) == to` both read naturally. */
static int b_dtype(const char *f, const gm_val *a, gm_val *out, dn_err *err)
{
    if (want_tensor(&a[0], f, err)) return -1;
    RES_INT(a[0].t.dtype);
    return 0;
}

static int b_dims_one(const char *f, const gm_val *a, gm_val *out, dn_err *err)
{
    int64_t p[GM_MAXL];
    int np;
    if (want_tensor(&a[0], f, err)) return -1;
    if (gm_val_ints(&a[1], p, &np)) return dn_errf(err, "dims_one(x, axes) takes ints");
    int ok = 1;
    for (int i = 0; i < np; i++) {
        int ax;
        if (dn_axis(p[i], a[0].t.shape.rank, &ax, err)) return -1;
        ok &= a[0].t.shape.d[ax] == 1;
    }
    RES_BOOL(ok);
    return 0;
}

static int b_max(const char *f, const gm_val *a, gm_val *out, dn_err *err)
{
    (void)err;
    double x = gm_val_num(&a[0]), y = gm_val_num(&a[1]);
    double m = (f[1] == 'a') ? (x > y ? x : y) : (x < y ? x : y);
    if (a[0].kind == GM_V_INT && a[1].kind == GM_V_INT)
        RES_INT((int64_t)m);
    else
        *out = (gm_val){.kind = GM_V_FLOAT, .f = m};
    return 0;
}

static int b_prod(const char *f, const gm_val *a, gm_val *out, dn_err *err)
{
    int64_t p[GM_MAXL];
    int np;
    (void)f;
    if (gm_val_ints(&a[0], p, &np)) return dn_errf(err, "prod() takes ints");
    int64_t m = 1;
    for (int i = 0; i < np; i++)
        m *= p[i];
    RES_INT(m);
    return 0;
}

/* strictly increasing */
static int b_sorted(const char *f, const gm_val *a, gm_val *out, dn_err *err)
{
    int64_t p[GM_MAXL];
    int np;
    (void)f;
    if (gm_val_ints(&a[0], p, &np)) return dn_errf(err, "sorted() takes ints");
    int ok = 1;
    for (int i = 1; i < np; i++)
        ok &= p[i - 1] < p[i];
    RES_BOOL(ok);
    return 0;
}

static int b_contains(const char *f, const gm_val *a, gm_val *out, dn_err *err)
{
    int64_t p[GM_MAXL];
    int np;
    (void)f;
    if (gm_val_ints(&a[0], p, &np)) return dn_errf(err, "contains() takes ints");
    int ok = 0;
    for (int i = 0; i < np; i++)
        ok |= p[i] == (int64_t)gm_val_num(&a[1]);
    RES_BOOL(ok);
    return 0;
}

/* last_axes(axes, r): axes, normalised against rank r, are r-k..r-1 */
static int b_last_axes(const char *f, const gm_val *a, gm_val *out, dn_err *err)
{
    int64_t p[GM_MAXL];
    int np;
    (void)f;
    if (gm_val_ints(&a[0], p, &np)) return dn_errf(err, "last_axes() takes ints");
    int64_t r = (int64_t)gm_val_num(&a[1]);
    int ok = np > 0;
    for (int i = 0; i < np; i++) {
        int64_t x = p[i] < 0 ? p[i] + r : p[i];
        ok &= x == r - np + i;
    }
    RES_BOOL(ok);
    return 0;
}

static int b_same_elems(const char *f, const gm_val *a, gm_val *out, dn_err *err)
{
    int64_t p[GM_MAXL], q[GM_MAXL];
    int np, nq;
    (void)f;
    if (gm_val_ints(&a[0], p, &np) || gm_val_ints(&a[1], q, &nq))
        return dn_errf(err, "same_elems() takes ints");
    int ok = np == nq;
    for (int i = 0; i < np && ok; i++)
        ok &= p[i] == q[i];
    RES_BOOL(ok);
    return 0;
}

static int b_all_zero(const char *f, const gm_val *a, gm_val *out, dn_err *err)
{
    int64_t p[GM_MAXL];
    int np;
    (void)f;
    if (gm_val_ints(&a[0], p, &np)) return dn_errf(err, "all_zero() takes ints");
    int ok = 1;
    for (int i = 0; i < np; i++)
        ok &= p[i] == 0;
    RES_BOOL(ok);
    return 0;
}

/* covers(x, ends, axes): Slice ends reach the end of x on every axis (an
   unknown dim is not known to be reached) */
static int b_covers(const char *f, const gm_val *a, gm_val *out, dn_err *err)
{
    int64_t p[GM_MAXL], ax[GM_MAXL];
    int np, nax;
    if (want_tensor(&a[0], f, err)) return -1;
    if (gm_val_ints(&a[1], p, &np) || gm_val_ints(&a[2], ax, &nax) || np != nax)
        return dn_errf(err, "covers(x, ends, axes) takes two int lists of one length");
    int ok = 1;
    for (int i = 0; i < np; i++) {
        int k;
        if (dn_axis(ax[i], a[0].t.shape.rank, &k, err)) return -1;
        ok &= a[0].t.shape.d[k] >= 0 && p[i] >= a[0].t.shape.d[k];
    }
    RES_BOOL(ok);
    return 0;
}

/* expand_is_noop(x, shape): Expand(x, shape) has x's own shape */
static int b_expand_is_noop(const char *f, const gm_val *a, gm_val *out, dn_err *err)
{
    int64_t p[GM_MAXL];
    int np;
    if (want_tensor(&a[0], f, err)) return -1;
    if (gm_val_ints(&a[1], p, &np) || np > DN_MAX_RANK)
        return dn_errf(err, "expand_is_noop(x, shape) takes ints");
    dn_shape s = dn_shape_make(np, p), o;
    dn_err tmp;
    RES_BOOL(dn_shape_known(&a[0].t.shape) && !dn_broadcast(&a[0].t.shape, &s, &o, &tmp) &&
             dn_shape_eq(&o, &a[0].t.shape));
    return 0;
}

/* Every builtin once: its name, how many arguments it takes, and its code.
   The checker (check.c) reads the arity from here through gm_builtin. */
static const struct {
    const char *name;
    int min, max;
    builtin_fn fn;
} builtins[] = {
    {"rank", 1, 1, b_rank},
    {"shape", 1, 1, b_shape},
    {"dim", 2, 2, b_dim},
    {"numel", 1, 1, b_numel},
    {"same_shape", 2, 2, b_same_shape},
    {"broadcasts_to", 2, 2, b_broadcasts_to},
    {"is_identity", 1, 1, b_is_identity},
    {"compose", 2, 2, b_compose},
    {"inverse", 1, 1, b_inverse},
    {"is_const", 1, 1, b_is_const},
    {"is_scalar", 1, 1, b_is_scalar},
    {"positive", 1, 1, b_positive},
    {"nonneg", 1, 1, b_positive},
    {"len", 1, 1, b_len},
    {"value", 1, 1, b_value},
    {"is_float", 1, 1, b_is_float},
    {"dims_one", 2, 2, b_dims_one},
    {"max", 2, 2, b_max},
    {"min", 2, 2, b_max},
    {"prod", 1, 1, b_prod},
    {"sorted", 1, 1, b_sorted},
    {"contains", 2, 2, b_contains},
    {"last_axes", 2, 2, b_last_axes},
    {"same_elems", 2, 2, b_same_elems},
    {"all_zero", 1, 1, b_all_zero},
    {"covers", 3, 3, b_covers},
    {"expand_is_noop", 2, 2, b_expand_is_noop},
    {"dtype", 1, 1, b_dtype},
};

int gm_builtin(const char *name, int *min_args, int *max_args)
{
    for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
        if (!strcmp(builtins[i].name, name)) {
            if (min_args) *min_args = builtins[i].min;
            if (max_args) *max_args = builtins[i].max;
            return 1;
        }
    return 0;
}

#define MAX_ARGS 3 /* the most any builtin takes (covers) */

static int call(const gm_expr *e, gm_lookup_fn lk, void *ctx, gm_val *out, dn_err *err)
{
    const char *f = e->str;
    builtin_fn fn = NULL;
    for (size_t i = 0; i < sizeof builtins / sizeof builtins[0] && !fn; i++)
        if (!strcmp(builtins[i].name, f)) fn = builtins[i].fn;
    int lo, hi;
    if (!fn || !gm_builtin(f, &lo, &hi)) return dn_errf(err, "unknown function %s", f);
    /* the checker reports a wrong arity; an unchecked AST must not make a
       builtin read arguments that were never evaluated */
    if (e->nargs < lo || e->nargs > hi || e->nargs > MAX_ARGS)
        return dn_errf(err, "%s() takes %d argument%s", f, lo, lo == 1 ? "" : "s");
    gm_val a[MAX_ARGS];
    memset(a, 0, sizeof a);
    for (int i = 0; i < e->nargs; i++)
        if (gm_eval(e->args[i], lk, ctx, &a[i], err)) return -1;
    return fn(f, a, out, err);
}

/* ------------------------------------------------------------------ */
/* Expressions                                                         */
/* ------------------------------------------------------------------ */

static int binary(const gm_expr *e, gm_lookup_fn lk, void *ctx, gm_val *out, dn_err *err)
{
    gm_val a, b;
    if (gm_eval(e->args[0], lk, ctx, &a, err)) return -1;
    /* && and || short-circuit: `rank(x) >= 2 && dim(x, -2) == 1` must not
       fail on a rank-1 x */
    if (e->op == GM_OP_AND && !gm_truth(&a)) {
        RES_BOOL(0);
        return 0;
    }
    if (e->op == GM_OP_OR && gm_truth(&a)) {
        RES_BOOL(1);
        return 0;
    }
    if (gm_eval(e->args[1], lk, ctx, &b, err)) return -1;
    if (e->op == GM_OP_AND || e->op == GM_OP_OR) {
        RES_BOOL(gm_truth(&b));
        return 0;
    }
    if (e->op == GM_OP_EQ || e->op == GM_OP_NE) {
        RES_BOOL(gm_val_eq(&a, &b) == (e->op == GM_OP_EQ));
        return 0;
    }
    /* numbers only: a tensor is not a number even with one element
       (value(x) gives a constant's value and says NaN when it has none) */
    if (!gm_val_is_num(&a) || !gm_val_is_num(&b)) return dn_errf(err, "arithmetic on a non-number");
    double x = gm_val_num(&a), y = gm_val_num(&b);
    int ints = a.kind != GM_V_FLOAT && b.kind != GM_V_FLOAT;
    switch (e->op) {
    case '<':
        RES_BOOL(x < y);
        break;
    case '>':
        RES_BOOL(x > y);
        break;
    case GM_OP_LE:
        RES_BOOL(x <= y);
        break;
    case GM_OP_GE:
        RES_BOOL(x >= y);
        break;
    case '+':
        *out = ints ? (gm_val){.kind = GM_V_INT, .i = a.i + b.i}
                    : (gm_val){.kind = GM_V_FLOAT, .f = x + y};
        break;
    case '-':
        *out = ints ? (gm_val){.kind = GM_V_INT, .i = a.i - b.i}
                    : (gm_val){.kind = GM_V_FLOAT, .f = x - y};
        break;
    case '*':
        *out = ints ? (gm_val){.kind = GM_V_INT, .i = a.i * b.i}
                    : (gm_val){.kind = GM_V_FLOAT, .f = x * y};
        break;
    case '/':
        if (ints && b.i == 0) return dn_errf(err, "division by zero");
        *out = ints ? (gm_val){.kind = GM_V_INT, .i = a.i / b.i}
                    : (gm_val){.kind = GM_V_FLOAT, .f = x / y};
        break;
    case '%':
        if (!ints || b.i == 0) return dn_errf(err, "'%%' takes nonzero integers");
        RES_INT(a.i % b.i);
        break;
    default:
        return dn_errf(err, "bad operator");
    }
    return 0;
}

int gm_eval(const gm_expr *e, gm_lookup_fn lk, void *ctx, gm_val *out, dn_err *err)
{
    memset(out, 0, sizeof *out);
    switch (e->kind) {
    case GM_NUM:
        if (e->is_int)
            *out = (gm_val){.kind = GM_V_INT, .i = e->inum};
        else
            *out = (gm_val){.kind = GM_V_FLOAT, .f = e->num};
        return 0;
    case GM_STR:
        *out = (gm_val){.kind = GM_V_STR, .s = e->str};
        return 0;
    case GM_NAME:
        /* the caller's names hide the words below */
        if (lk && lk(ctx, e->str, out) == 0) {
            if (out->kind == GM_V_ABSENT) return dn_errf(err, "'%s' is not set", e->str);
            return 0;
        }
        if (!strcmp(e->str, "true") || !strcmp(e->str, "false"))
            *out = (gm_val){.kind = GM_V_BOOL, .i = e->str[0] == 't'};
        else if (!strcmp(e->str, "nan"))
            *out = (gm_val){.kind = GM_V_FLOAT, .f = NAN};
        else if (!strcmp(e->str, "inf"))
            *out = (gm_val){.kind = GM_V_FLOAT, .f = INFINITY};
        else if (dn_dtype_parse(e->str) != DN_UNDEF) /* its ONNX code, as Cast's `to` */
            *out = (gm_val){.kind = GM_V_INT, .i = dn_dtype_parse(e->str)};
        else
            return dn_errf(err, "'%s' has no value", e->str);
        return 0;
    case GM_CALL:
        return call(e, lk, ctx, out, err);
    case GM_LIST: {
        int isf = 0;
        if (e->nargs > GM_MAXL) return dn_errf(err, "list longer than %d", GM_MAXL);
        gm_val it;
        for (int i = 0; i < e->nargs; i++) {
            if (gm_eval(e->args[i], lk, ctx, &it, err)) return -1;
            if (it.kind == GM_V_FLOAT)
                isf = 1;
            else if (it.kind != GM_V_INT)
                return dn_errf(err, "a list holds numbers");
            out->ints[i] = it.kind == GM_V_INT ? it.i : (int64_t)it.f;
            out->floats[i] = gm_val_num(&it);
        }
        out->n = e->nargs;
        out->kind = isf ? GM_V_FLOATS : GM_V_INTS;
        return 0;
    }
    case GM_UNARY: {
        gm_val a;
        if (gm_eval(e->args[0], lk, ctx, &a, err)) return -1;
        if (e->op == '!')
            RES_BOOL(!gm_truth(&a));
        else if (a.kind == GM_V_INT)
            RES_INT(-a.i);
        else if (a.kind == GM_V_FLOAT)
            *out = (gm_val){.kind = GM_V_FLOAT, .f = -a.f};
        else if (a.kind == GM_V_INTS || a.kind == GM_V_FLOATS) {
            *out = a;
            for (int i = 0; i < a.n; i++) {
                double x = -elem(&a, i);
                out->floats[i] = x;
                out->ints[i] = a.kind == GM_V_INTS ? -a.ints[i] : (int64_t)x;
            }
        } else
            return dn_errf(err, "'-' of a non-number");
        return 0;
    }
    case GM_BINARY:
        return binary(e, lk, ctx, out, err);
    case GM_APP:
        return dn_errf(err, "operator %s in an expression", e->str);
    default:
        return dn_errf(err, "cannot evaluate this expression");
    }
}
