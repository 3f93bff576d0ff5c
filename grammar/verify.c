/* verify.c -- `dnnf rules check`: every rewrite rule is tested
 * numerically before anything trusts it.
 *
 * For each rule we look for instances -- shapes for its tensor
 * variables, values for its attribute variables, random contents -- on
 * which the guard holds and the left side evaluates, then evaluate the
 * right side with the same operators and compare.  The operators are the
 * engine's (op_run_node): the same code that constant folding and the
 * reference interpreter run, so a rule is checked against the semantics
 * it will be applied under.  An operator that the registry lacks but
 * whose declaration has a body (a composite such as dnnf::Gelu) is
 * evaluated by expanding that body.
 *
 * Instances come from the rule's `with` clauses first, then from a
 * generator: ranks 1 to 4, dims 1 to 4, every tensor of one base shape,
 * or broadcasting variants of it (leading dims dropped, dims set to 1),
 * or square shapes (so that MatMul chains fit); attribute variables get
 * values by their declared type and, for the well-known names (perm,
 * axis, axes, keepdims, epsilon), values that are valid for the rank.
 * A candidate whose guard is false or whose left side does not evaluate
 * is skipped; at least o->instances must pass, and the generator keeps
 * looking for one where the operands' shapes differ (broadcasting).
 *
 * Data is uniform in +-[0.5, 2] (no values near 0, so Reciprocal, Div and
 * Log stay tame); a variable named in positive(x) or nonneg(x) in the
 * guard gets [0.5, 2].  Both sides must agree in shape and within
 * |l - r| <= atol + rtol * max(|l|, |r|); NaN equals NaN.  For <=> a side
 * that fails where the other evaluates is also unsound: the rewrite
 * would build an invalid graph. */
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Values                                                              */
/* ------------------------------------------------------------------ */

/* A variable's value is a gm_val (grammar.h); unlike the evaluator's own
   values, a variable's tensor owns its data (var_free releases it). */
static void var_free(gm_val *v)
{
    if (v->kind == GM_V_TENSOR) dn_tensor_free(&v->t);
    v->kind = GM_V_NONE;
}

static int copy_tensor(const dn_tensor *src, dn_tensor *dst, dn_err *e)
{
    *dst = *src;
    dst->data = NULL;
    if (dn_tensor_alloc(dst, e)) return -1;
    if (src->data) memcpy(dst->data, src->data, dn_tensor_bytes(src));
    return 0;
}

static int scalar_tensor(double v, dn_tensor *t, dn_err *e)
{
    memset(t, 0, sizeof *t);
    t->dtype = DN_F32;
    t->shape = dn_shape_make(0, NULL);
    if (dn_tensor_alloc(t, e)) return -1;
    dn_set(t, 0, v);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Random numbers: splitmix64, seeded per rule so results are stable    */
/* ------------------------------------------------------------------ */

typedef struct rng {
    uint64_t s;
} rng;

static uint64_t next(rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static int rint_(rng *r, int lo, int hi)
{
    return lo + (int)(next(r) % (uint64_t)(hi - lo + 1));
}
static double runif(rng *r)
{
    return (double)(next(r) >> 11) / 9007199254740992.0;
}

/* ------------------------------------------------------------------ */
/* Variables of a rule                                                 */
/* ------------------------------------------------------------------ */

#define MAXV 64

typedef struct rvar {
    const char *name;
    int tensor;       /* 1: tensor, 0: attribute */
    int dtype;        /* tensors: from the operator's parameter, else f32 */
    int atype;        /* attributes: IR_ATTR_* */
    const char *attr; /* attributes: the attribute's name (perm, axis, ...) */
    int positive;     /* data in [0.5, 2] */
    gm_val val;       /* the current instance's value (a tensor owns its data) */
    int set;
} rvar;

typedef struct vctx {
    const gm_rules *r;
    const rl_options *o;
    rvar v[MAXV];
    int nv;
    rng g;
    int depth;
} vctx;

static rvar *find(vctx *V, const char *name)
{
    for (int i = 0; i < V->nv; i++)
        if (!strcmp(V->v[i].name, name)) return &V->v[i];
    return NULL;
}

static rvar *add(vctx *V, const char *name, int tensor)
{
    rvar *x = find(V, name);
    if (x || V->nv == MAXV) return x;
    x = &V->v[V->nv++];
    memset(x, 0, sizeof *x);
    x->name = name;
    x->tensor = tensor;
    x->dtype = DN_F32;
    return x;
}

static void collect(vctx *V, const gm_expr *e)
{
    if (e->kind == GM_NAME) {
        add(V, e->str, 1);
        return;
    }
    if (e->kind != GM_APP) return;
    const gm_opdecl *op = gm_rules_find_op(V->r, e->domain, e->str);
    for (int i = 0; i < e->nargs; i++) {
        const gm_expr *a = e->args[i];
        if (a->kind == GM_NAME) {
            rvar *x = add(V, a->str, 1);
            if (x && op && op->nparams) {
                const gm_param *p = &op->params[i < op->nparams ? i : op->nparams - 1];
                if (p->dtype) x->dtype = dn_dtype_parse(p->dtype);
            }
        } else
            collect(V, a);
    }
    for (int i = 0; i < e->nattrs; i++) {
        const gm_expr *a = e->attrs[i].value;
        if (a->kind != GM_NAME || !op) continue;
        if (dn_dtype_parse(a->str) != DN_UNDEF) continue;
        rvar *x = add(V, a->str, 0);
        if (!x) continue;
        x->attr = e->attrs[i].name;
        for (int k = 0; k < op->nattrs; k++)
            if (!strcmp(op->attrs[k].name, x->attr)) x->atype = op->attrs[k].type;
    }
}

static void mark_positive(vctx *V, const gm_expr *e)
{
    if (!e) return;
    if (e->kind == GM_CALL && (!strcmp(e->str, "positive") || !strcmp(e->str, "nonneg")) &&
        e->nargs == 1 && e->args[0]->kind == GM_NAME) {
        rvar *x = find(V, e->args[0]->str);
        if (x) x->positive = 1;
    }
    for (int i = 0; i < e->nargs; i++)
        mark_positive(V, e->args[i]);
}

/* ------------------------------------------------------------------ */
/* Expressions: guards and computed attributes                         */
/* ------------------------------------------------------------------ */

/* Guards and computed attributes go through gm_eval (eval.c), the same
   evaluator the e-graph engine applies rules with; here every variable
   has a value, every tensor its contents. */
static int var_lookup(void *ctx, const char *name, gm_val *out)
{
    rvar *x = find(ctx, name);
    if (!x || !x->set) return -1;
    *out = x->val; /* a view: the variable keeps its tensor */
    return 0;
}

static int eval_expr(vctx *V, const gm_expr *e, gm_val *out, dn_err *err)
{
    return gm_eval(e, var_lookup, V, out, err);
}

/* An evaluated value made fit to be a variable's: a tensor gets its own
   copy, since values from gm_eval are views of other variables. */
static int own(gm_val *v, dn_err *err)
{
    if (v->kind != GM_V_TENSOR) return 0;
    dn_tensor view = v->t;
    if (copy_tensor(&view, &v->t, err)) {
        v->kind = GM_V_NONE;
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Terms: evaluating a side with the engine's operators                 */
/* ------------------------------------------------------------------ */

static int eval_term(vctx *V, const gm_expr *e, dn_tensor *out, dn_err *err);

/* An attribute value converted to the declared type of the attribute
   (gm_val_attr decides how; lists are copied to the heap, freed by the
   caller, strings borrowed from the rule). */
static int to_attr(const gm_val *v, const char *name, int type, ir_attr *a, dn_err *err)
{
    int64_t ints[GM_MAXL];
    float floats[GM_MAXL];
    if (gm_val_attr(v, name, type, a, ints, floats, err)) return -1;
    size_t n = (size_t)(a->n ? a->n : 1);
    if (type == IR_ATTR_INTS) {
        a->ints = malloc(n * sizeof *a->ints);
        if (!a->ints) abort();
        memcpy(a->ints, ints, (size_t)a->n * sizeof *ints);
    } else if (type == IR_ATTR_FLOATS) {
        a->floats = malloc(n * sizeof *a->floats);
        if (!a->floats) abort();
        memcpy(a->floats, floats, (size_t)a->n * sizeof *floats);
    }
    return 0;
}

static const gm_attrdecl *attr_decl(const gm_opdecl *op, const char *name)
{
    for (int k = 0; k < op->nattrs; k++)
        if (!strcmp(op->attrs[k].name, name)) return &op->attrs[k];
    return NULL;
}

/* A composite evaluated through its body: parameters and attributes are
   bound in a fresh scope that hides the rule's variables. */
static int expand(vctx *V, const gm_opdecl *op, const gm_expr *e, dn_tensor *args, dn_tensor *out,
                  dn_err *err)
{
    vctx *W = malloc(sizeof *W);
    if (!W) abort();
    W->r = V->r;
    W->o = V->o;
    W->nv = 0;
    W->g = V->g;
    W->depth = V->depth + 1;
    int rc = 0;
    for (int i = 0; i < op->nparams && i < e->nargs; i++) {
        rvar *x = add(W, op->params[i].name, 1);
        if (!x) continue;
        x->set = 1;
        x->val.kind = GM_V_TENSOR;
        x->val.t = args[i];
        args[i].data = NULL; /* ownership moves to the scope */
    }
    for (int k = 0; k < op->nattrs && !rc; k++) {
        const gm_attrdecl *ad = &op->attrs[k];
        const gm_expr *given = NULL;
        for (int i = 0; i < e->nattrs; i++)
            if (!strcmp(e->attrs[i].name, ad->name)) given = e->attrs[i].value;
        if (!given) given = ad->dflt;
        if (!given) continue;
        gm_val val;
        if (eval_expr(V, given, &val, err) || own(&val, err))
            rc = -1;
        else {
            rvar *x = add(W, ad->name, 0);
            if (x) {
                x->set = 1;
                x->val = val;
            } else
                var_free(&val);
        }
    }
    if (!rc) rc = eval_term(W, op->body, out, err);
    for (int i = 0; i < W->nv; i++)
        var_free(&W->v[i].val);
    free(W);
    return rc;
}

#define MAX_EVAL_DEPTH 32

static int eval_app(vctx *V, const gm_expr *e, dn_tensor *out, dn_err *err)
{
    const gm_opdecl *op = gm_rules_find_op(V->r, e->domain, e->str);
    const op_def *def = op_lookup(e->domain, e->str);
    if (!def && !(op && op->body))
        return dn_errf(err, "%s%s%s has no reference implementation and no definition", e->domain,
                       e->domain[0] ? "::" : "", e->str);
    int n = e->nargs;
    dn_tensor *args = calloc((size_t)(n ? n : 1), sizeof *args);
    const dn_tensor **argp = calloc((size_t)(n ? n : 1), sizeof *argp);
    ir_attr *attrs = calloc((size_t)(e->nattrs ? e->nattrs : 1), sizeof *attrs);
    int *inid = calloc((size_t)(n ? n : 1), sizeof *inid);
    if (!args || !argp || !attrs || !inid) abort();
    int rc = 0;
    for (int i = 0; i < n && !rc; i++) {
        if (e->args[i]->kind == GM_OMIT) {
            inid[i] = -1;
            continue;
        }
        rc = eval_term(V, e->args[i], &args[i], err);
        argp[i] = &args[i];
    }
    if (!rc && def) {
        int na = 0;
        for (int i = 0; i < e->nattrs && !rc; i++) {
            const gm_attrdecl *ad = op ? attr_decl(op, e->attrs[i].name) : NULL;
            gm_val val;
            if (eval_expr(V, e->attrs[i].value, &val, err)) {
                rc = -1;
                break;
            }
            int type = ad ? ad->type : gm_val_attr_type(&val);
            rc = to_attr(&val, e->attrs[i].name, type, &attrs[na], err);
            if (!rc) na++;
        }
        if (!rc) {
            int outid = 0;
            ir_node node;
            memset(&node, 0, sizeof node);
            node.name = "rule";
            node.op = (char *)e->str;
            node.domain = (char *)e->domain;
            node.nin = n;
            node.in = inid;
            node.nout = 1;
            node.out = &outid;
            node.nattr = na;
            node.attr = attrs;
            rc = op_run_node(&node, argp, n, out, 1, err);
        }
        for (int i = 0; i < na; i++) {
            free(attrs[i].ints);
            free(attrs[i].floats);
        }
    } else if (!rc)
        rc = expand(V, op, e, args, out, err);
    for (int i = 0; i < n; i++)
        dn_tensor_free(&args[i]);
    free(args);
    free(argp);
    free(attrs);
    free(inid);
    return rc;
}

static int eval_term(vctx *V, const gm_expr *e, dn_tensor *out, dn_err *err)
{
    memset(out, 0, sizeof *out);
    if (V->depth > MAX_EVAL_DEPTH) return dn_errf(err, "composite definitions nest too deeply");
    switch (e->kind) {
    case GM_NAME: {
        rvar *x = find(V, e->str);
        if (!x || !x->set) return dn_errf(err, "'%s' has no value", e->str);
        if (x->val.kind == GM_V_TENSOR) return copy_tensor(&x->val.t, out, err);
        if (gm_val_is_num(&x->val)) return scalar_tensor(gm_val_num(&x->val), out, err);
        return dn_errf(err, "'%s' is not a tensor", e->str);
    }
    case GM_NUM:
        return scalar_tensor(e->num, out, err);
    case GM_UNARY:
        if (e->op == '-' && e->args[0]->kind == GM_NUM)
            return scalar_tensor(-e->args[0]->num, out, err);
        break;
    case GM_APP: {
        V->depth++;
        int rc = eval_app(V, e, out, err);
        V->depth--;
        return rc;
    }
    default:
        break;
    }
    return dn_errf(err, "cannot evaluate this term");
}

/* ------------------------------------------------------------------ */
/* Instances                                                           */
/* ------------------------------------------------------------------ */

static void clear(vctx *V)
{
    for (int i = 0; i < V->nv; i++) {
        var_free(&V->v[i].val);
        V->v[i].set = 0;
    }
}

static int random_tensor(vctx *V, rvar *x, const dn_shape *s, dn_err *err)
{
    x->val.kind = GM_V_TENSOR;
    x->val.t.dtype = x->dtype ? x->dtype : DN_F32;
    x->val.t.shape = *s;
    x->val.t.data = NULL;
    if (dn_tensor_alloc(&x->val.t, err)) {
        x->val.kind = GM_V_NONE;
        return -1;
    }
    int64_t n = dn_shape_numel(s);
    for (int64_t i = 0; i < n; i++) {
        if (dn_dtype_is_float(x->val.t.dtype)) {
            double m = 0.5 + 1.5 * runif(&V->g);
            if (!x->positive && (next(&V->g) & 1)) m = -m;
            dn_set(&x->val.t, i, m);
        } else if (x->val.t.dtype == DN_BOOL)
            dn_seti(&x->val.t, i, (int64_t)(next(&V->g) & 1));
        else
            dn_seti(&x->val.t, i, rint_(&V->g, x->positive ? 1 : 0, 3));
    }
    x->set = 1;
    return 0;
}

/* An attribute value valid for rank r, by the attribute's name and type. */
static void random_attr(vctx *V, rvar *x, int r)
{
    gm_val *v = &x->val;
    memset(v, 0, sizeof *v);
    const char *a = x->attr ? x->attr : "";
    x->set = 1;
    if (x->atype == IR_ATTR_INT) {
        v->kind = GM_V_INT;
        if (!strcmp(a, "axis"))
            v->i = rint_(&V->g, -r, r > 0 ? r - 1 : 0);
        else if (!strcmp(a, "keepdims"))
            v->i = (int64_t)(next(&V->g) & 1);
        else if (!strcmp(a, "group"))
            v->i = 1;
        else
            v->i = rint_(&V->g, 0, 3);
    } else if (x->atype == IR_ATTR_FLOAT) {
        v->kind = GM_V_FLOAT;
        v->f = !strcmp(a, "epsilon") ? 1e-5 : 0.5 + 1.5 * runif(&V->g);
    } else if (x->atype == IR_ATTR_INTS) {
        v->kind = GM_V_INTS;
        if (!strcmp(a, "perm")) {
            v->n = r;
            for (int i = 0; i < r; i++)
                v->ints[i] = i;
            for (int i = r - 1; i > 0; i--) {
                int j = rint_(&V->g, 0, i);
                int64_t t = v->ints[i];
                v->ints[i] = v->ints[j];
                v->ints[j] = t;
            }
        } else if (!strcmp(a, "axes")) {
            for (int i = 0; i < r; i++)
                if (next(&V->g) & 1) v->ints[v->n++] = i;
            if (!v->n && r > 0) v->ints[v->n++] = rint_(&V->g, 0, r - 1);
            if (next(&V->g) % 4 == 0)
                for (int i = 0; i < v->n; i++)
                    v->ints[i] -= r; /* negative axes too */
        } else {
            v->n = r;
            for (int i = 0; i < r; i++)
                v->ints[i] = rint_(&V->g, 1, 2);
        }
    } else if (x->atype == IR_ATTR_FLOATS) {
        v->kind = GM_V_FLOATS;
        v->n = r;
        for (int i = 0; i < r; i++)
            v->floats[i] = 0.5 + runif(&V->g);
    } else {
        v->kind = GM_V_STR;
        v->s = "";
    }
}

/* Candidate k: a base shape and a variant of it for every unbound variable.
   Returns 1 when the tensors' shapes differ (a broadcasting instance). */
static int generate(vctx *V, int k, dn_err *err)
{
    int r = 1 + (int)(next(&V->g) % 4);
    int64_t D[DN_MAX_RANK];
    int square = k % 4 == 1;
    int n0 = rint_(&V->g, 2, 4);
    for (int i = 0; i < r; i++)
        D[i] = square ? n0 : rint_(&V->g, 1, 4);
    int mode = k % 3; /* 0: one shape, 1: broadcasting variants, 2: mixed */
    dn_shape first = {-1, {0}};
    int differ = 0;
    for (int i = 0; i < V->nv; i++) {
        rvar *x = &V->v[i];
        if (x->set) {
            if (x->tensor && x->val.kind == GM_V_TENSOR) {
                if (first.rank < 0)
                    first = x->val.t.shape;
                else if (!dn_shape_eq(&first, &x->val.t.shape))
                    differ = 1;
            }
            continue;
        }
        if (!x->tensor) {
            random_attr(V, x, r);
            continue;
        }
        dn_shape s = dn_shape_make(r, D);
        if (mode == 1 || (mode == 2 && (next(&V->g) & 1))) {
            int drop = (int)(next(&V->g) % (uint64_t)(r + 1));
            if (drop == r && r > 0 && (next(&V->g) & 1)) drop = r - 1;
            s = dn_shape_make(r - drop, D + drop);
            for (int j = 0; j < s.rank; j++)
                if (next(&V->g) % 3 == 0) s.d[j] = 1;
        }
        if (random_tensor(V, x, &s, err)) return -1;
        if (first.rank < 0)
            first = s;
        else if (!dn_shape_eq(&first, &s))
            differ = 1;
    }
    return differ;
}

/* Binds the variables a `with` clause names. */
static int bind_with(vctx *V, const gm_instance *in, dn_err *err)
{
    for (int k = 0; k < in->n; k++) {
        const gm_binding *b = &in->b[k];
        rvar *x = find(V, b->var);
        if (!x) return dn_errf(err, "'%s' is not a variable of the rule", b->var);
        if (b->type) {
            dn_shape s = b->type->rank < 0 ? dn_shape_make(0, NULL)
                                           : dn_shape_make(b->type->rank, b->type->d);
            if (!dn_shape_known(&s)) return dn_errf(err, "'%s' needs known dims", b->var);
            if (dn_shape_numel(&s) > ((int64_t)1 << 24))
                return dn_errf(err, "'%s' has more than 2^24 elements: too large to check", b->var);
            int dt = b->type->dtype ? dn_dtype_parse(b->type->dtype) : x->dtype;
            int saved = x->dtype;
            x->dtype = dt ? dt : DN_F32;
            if (random_tensor(V, x, &s, err)) return -1;
            x->dtype = saved;
            if (b->value) {
                gm_val v;
                if (eval_expr(V, b->value, &v, err)) return -1;
                int64_t n = dn_shape_numel(&s);
                int cnt = v.kind == GM_V_INTS || v.kind == GM_V_FLOATS ? v.n : 1;
                if (cnt != n) {
                    return dn_errf(err, "'%s': %d values for %lld elements", b->var, cnt,
                                   (long long)n);
                }
                for (int64_t i = 0; i < n; i++) {
                    if (v.kind == GM_V_INTS)
                        dn_seti(&x->val.t, i, v.ints[i]);
                    else if (v.kind == GM_V_FLOATS)
                        dn_set(&x->val.t, i, v.floats[i]);
                    else
                        dn_set(&x->val.t, i, gm_val_num(&v));
                }
            }
        } else {
            if (eval_expr(V, b->value, &x->val, err) || own(&x->val, err)) return -1;
            x->set = 1;
        }
    }
    return 0;
}

/* "a: f32[2,3], p = [1, 0]" for a message. */
static void describe(vctx *V, char *buf, size_t n)
{
    size_t k = 0;
    buf[0] = 0;
    for (int i = 0; i < V->nv && k < n; i++) {
        rvar *x = &V->v[i];
        if (!x->set) continue;
        char tmp[256];
        const gm_val *v = &x->val;
        if (v->kind == GM_V_TENSOR) {
            char sh[128];
            dn_shape_str(&v->t.shape, sh, sizeof sh);
            snprintf(tmp, sizeof tmp, "%s: %s%s", x->name, dn_dtype_name(v->t.dtype), sh);
            if (!dn_dtype_is_float(v->t.dtype) && dn_shape_numel(&v->t.shape) <= 8) {
                size_t m = strlen(tmp);
                m += (size_t)snprintf(tmp + m, sizeof tmp - m, " = [");
                for (int64_t j = 0; j < dn_shape_numel(&v->t.shape) && m < sizeof tmp; j++)
                    m += (size_t)snprintf(tmp + m, sizeof tmp - m, "%s%lld", j ? ", " : "",
                                          (long long)dn_geti(&v->t, j));
                if (m < sizeof tmp) snprintf(tmp + m, sizeof tmp - m, "]");
            }
        } else if (v->kind == GM_V_INTS || v->kind == GM_V_FLOATS) {
            size_t m = (size_t)snprintf(tmp, sizeof tmp, "%s = [", x->name);
            for (int j = 0; j < v->n && m < sizeof tmp; j++) {
                if (v->kind == GM_V_INTS)
                    m += (size_t)snprintf(tmp + m, sizeof tmp - m, "%s%lld", j ? ", " : "",
                                          (long long)v->ints[j]);
                else
                    m += (size_t)snprintf(tmp + m, sizeof tmp - m, "%s%g", j ? ", " : "",
                                          v->floats[j]);
            }
            if (m < sizeof tmp) snprintf(tmp + m, sizeof tmp - m, "]");
        } else if (v->kind == GM_V_FLOAT)
            snprintf(tmp, sizeof tmp, "%s = %g", x->name, v->f);
        else if (v->kind == GM_V_STR)
            snprintf(tmp, sizeof tmp, "%s = \"%s\"", x->name, v->s);
        else
            snprintf(tmp, sizeof tmp, "%s = %lld", x->name, (long long)v->i);
        k += (size_t)snprintf(buf + k, n - k, "%s%s", k ? ", " : "", tmp);
    }
}

/* ------------------------------------------------------------------ */
/* One rule                                                            */
/* ------------------------------------------------------------------ */

enum { C_SKIP, C_OK, C_BAD };

typedef struct outcome {
    char why[1024]; /* C_BAD: what went wrong */
    double worst;
} outcome;

static int compare(vctx *V, const dn_tensor *l, const dn_tensor *r, outcome *oc)
{
    char a[128], b[128];
    if (!dn_shape_eq(&l->shape, &r->shape)) {
        snprintf(oc->why, sizeof oc->why, "the sides differ in shape: left %s, right %s",
                 dn_shape_str(&l->shape, a, sizeof a), dn_shape_str(&r->shape, b, sizeof b));
        return C_BAD;
    }
    double worst = 0, wl = 0, wr = 0, score = 0;
    int64_t at = -1;
    for (int64_t i = 0; i < dn_shape_numel(&l->shape); i++) {
        double x = dn_get(l, i), y = dn_get(r, i);
        if (isnan(x) && isnan(y)) continue;
        double d = fabs(x - y);
        if (isnan(d)) d = INFINITY;
        if (x == y) d = 0; /* equal infinities */
        double s = d / (V->o->atol + V->o->rtol * fmax(fabs(x), fabs(y)));
        if (isnan(s)) s = INFINITY;
        if (d > worst || s > score) {
            if (s > score) score = s;
            if (d >= worst) {
                worst = d;
                wl = x;
                wr = y;
                at = i;
            }
        }
    }
    if (worst > oc->worst) oc->worst = worst;
    if (score > 1) {
        snprintf(oc->why, sizeof oc->why,
                 "worst difference %.6g (left %.6g, right %.6g at element %lld of %s)", worst, wl,
                 wr, (long long)at, dn_shape_str(&l->shape, a, sizeof a));
        return C_BAD;
    }
    return C_OK;
}

/* Tries the current instance: C_SKIP when the guard is false or the left
   side does not apply, C_BAD (with oc->why) when the rule is unsound here. */
static int try_instance(vctx *V, const gm_rule *rule, outcome *oc, char *skipwhy, size_t nskip)
{
    dn_err err;
    if (rule->guard) {
        gm_val g;
        if (eval_expr(V, rule->guard, &g, &err)) {
            snprintf(skipwhy, nskip, "guard: %.900s", err.msg);
            return C_SKIP;
        }
        int t = gm_truth(&g);
        if (!t) {
            snprintf(skipwhy, nskip, "guard is false");
            return C_SKIP;
        }
    }
    dn_tensor l, r;
    int lok = eval_term(V, rule->lhs, &l, &err) == 0;
    char lerr[1024];
    snprintf(lerr, sizeof lerr, "%.1000s", lok ? "" : err.msg);
    int rok = eval_term(V, rule->rhs, &r, &err) == 0;
    if (!lok && !rok) {
        snprintf(skipwhy, nskip, "left side: %.900s", lerr);
        return C_SKIP;
    }
    if (!lok && !rule->bidir) {
        dn_tensor_free(&r);
        snprintf(skipwhy, nskip, "left side: %.900s", lerr);
        return C_SKIP;
    }
    if (!rok) {
        snprintf(oc->why, sizeof oc->why,
                 "the right side fails where the left side evaluates: %.900s", err.msg);
        dn_tensor_free(&l);
        return C_BAD;
    }
    if (!lok) {
        snprintf(oc->why, sizeof oc->why,
                 "the left side fails where the right side evaluates (<=>): %.900s", lerr);
        dn_tensor_free(&r);
        return C_BAD;
    }
    int c = compare(V, &l, &r, oc);
    dn_tensor_free(&l);
    dn_tensor_free(&r);
    return c;
}

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

/* 0: sound; 1: unsound or not verifiable (message in d). */
static int verify_rule(const gm_rules *R, const gm_rule *rule, const rl_options *o, FILE *report,
                       gm_diags *d)
{
    vctx *V = calloc(1, sizeof *V);
    if (!V) abort();
    V->r = R;
    V->o = o;
    V->g.s = o->seed ^ hash(rule->name);
    collect(V, rule->lhs);
    if (rule->bidir) collect(V, rule->rhs);
    mark_positive(V, rule->guard);
    int ok = 0, bcast = 0, tries = 0, bad = 0;
    outcome oc = {{0}, 0};
    char skipwhy[1024] = "no candidate tried", inst[2048] = "";
    dn_err err;
    /* explicit instances first */
    for (int i = 0; i < rule->ninst && !bad; i++) {
        clear(V);
        int differ = 0;
        if (bind_with(V, &rule->inst[i], &err) || (differ = generate(V, 0, &err)) < 0) {
            gm_error(d, rule->inst[i].loc, "rule '%s': cannot build this instance: %s", rule->name,
                     err.msg);
            bad = 2;
            break;
        }
        int c = try_instance(V, rule, &oc, skipwhy, sizeof skipwhy);
        if (c == C_SKIP) {
            gm_error(d, rule->inst[i].loc, "rule '%s': the 'with' instance does not apply (%s)",
                     rule->name, skipwhy);
            bad = 2;
        } else if (c == C_BAD) {
            describe(V, inst, sizeof inst);
            bad = 1;
        } else {
            ok++;
            bcast += differ;
        }
    }
    /* then generated ones, until enough pass and one of them broadcasts */
    int need = o->instances < 3 ? 3 : o->instances;
    for (int k = 0;
         !bad && tries < o->max_tries && (ok < need || (!bcast && tries < o->max_tries / 2)); k++) {
        tries++;
        clear(V);
        int differ = generate(V, k, &err);
        if (differ < 0) continue;
        if (!differ && ok >= need) continue;
        int c = try_instance(V, rule, &oc, skipwhy, sizeof skipwhy);
        if (c == C_BAD) {
            describe(V, inst, sizeof inst);
            bad = 1;
        } else if (c == C_OK) {
            ok++;
            bcast += differ;
        }
    }
    clear(V);
    free(V);
    if (bad == 1) {
        gm_error(d, rule->loc, "rule '%s' is unsound: %s; counterexample: %s", rule->name, oc.why,
                 inst);
        if (report)
            fprintf(report, "UNSOUND  %s (%s:%d)\n", rule->name, gm_src_name(rule->loc.src),
                    rule->loc.line);
        return 1;
    }
    if (bad) return 1;
    /* With `with` clauses the author has chosen the instances that matter;
       generated ones beyond three are then a bonus, not a requirement. */
    if (ok < need && !(rule->ninst > 0 && ok >= 3 && ok >= rule->ninst)) {
        gm_error(
            d, rule->loc,
            "rule '%s': only %d of %d instances found in %d tries (last: %s); add `with` instances",
            rule->name, ok, need, tries, skipwhy);
        if (report)
            fprintf(report, "NO-INST  %s (%s:%d)\n", rule->name, gm_src_name(rule->loc.src),
                    rule->loc.line);
        return 1;
    }
    if (report && o->verbose)
        fprintf(report,
                "ok       %-28s %s:%d  %d instances (%d with operands of differing shapes), worst "
                "difference %.3g\n",
                rule->name, gm_src_name(rule->loc.src), rule->loc.line, ok, bcast, oc.worst);
    return 0;
}

void rl_options_default(rl_options *o)
{
    memset(o, 0, sizeof *o);
    o->instances = 3;
    o->seed = 1;
    o->max_tries = 1000;
    o->rtol = 1e-4;
    o->atol = 1e-5;
}

int rl_verify(const gm_rules *r, const rl_options *o, FILE *report, rl_stats *st, gm_diags *d)
{
    rl_stats s = {0};
    for (int i = 0; i < gm_rules_nrules(r); i++) {
        const gm_rule *rule = gm_rules_rule(r, i);
        if (o->only && strcmp(o->only, rule->name)) continue;
        s.rules++;
        if (verify_rule(r, rule, o, report, d))
            s.unsound++;
        else
            s.sound++;
    }
    if (st) *st = s;
    return s.unsound;
}
