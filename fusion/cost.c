/* cost.c -- FLOPs and bytes of one node, from the cost(flops = ...,
 * bytes = ...) of its declaration (rules/ops.rules).
 *
 * The expressions use numel(X), dim(X, i), rank(X), prod(attr) over the
 * declaration's input names and `out`, attribute names (with their
 * declared defaults) and arithmetic.  Anything not computable (an unknown
 * dim, an attribute absent without default) makes the cost 0: the model
 * then simply has no opinion about that node. */
#include "fusion.h"

#include <math.h>
#include <string.h>

typedef struct cenv {
    const ir_graph *g;
    const ir_node *n;
    const gm_opdecl *d;
} cenv;

/* The shape that a name denotes: `out` or an input parameter. */
static const dn_shape *shape_of(const cenv *c, const gm_expr *x)
{
    if (!x || x->kind != GM_NAME) return NULL;
    if (!strcmp(x->str, "out"))
        return c->n->nout > 0 && c->n->out[0] >= 0 ? &c->g->val[c->n->out[0]].shape : NULL;
    for (int k = 0; k < c->d->nparams; k++)
        if (!strcmp(c->d->params[k].name, x->str)) {
            if (k >= c->n->nin || c->n->in[k] < 0) return NULL;
            return &c->g->val[c->n->in[k]].shape;
        }
    return NULL;
}

static double eval(const cenv *c, const gm_expr *x);

static double attr_num(const cenv *c, const char *name, int prod)
{
    const ir_attr *a = ir_attr_get(c->n, name);
    if (a) {
        switch (a->type) {
        case IR_ATTR_INT:
            return (double)a->i;
        case IR_ATTR_FLOAT:
            return a->f;
        case IR_ATTR_INTS:
            if (prod) {
                double p = 1;
                for (int i = 0; i < a->n; i++)
                    p *= (double)a->ints[i];
                return p;
            }
            return NAN;
        default:
            return NAN;
        }
    }
    for (int k = 0; k < c->d->nattrs; k++)
        if (!strcmp(c->d->attrs[k].name, name) && c->d->attrs[k].dflt)
            return eval(c, c->d->attrs[k].dflt);
    return NAN;
}

static double eval(const cenv *c, const gm_expr *x)
{
    if (!x) return NAN;
    switch (x->kind) {
    case GM_NUM:
        return x->is_int ? (double)x->inum : x->num;
    case GM_NAME:
        return attr_num(c, x->str, 0);
    case GM_UNARY:
        return x->op == '-' ? -eval(c, x->args[0]) : NAN;
    case GM_BINARY: {
        double a = eval(c, x->args[0]), b = eval(c, x->args[1]);
        switch (x->op) {
        case '+':
            return a + b;
        case '-':
            return a - b;
        case '*':
            return a * b;
        case '/':
            return b != 0 ? a / b : NAN;
        case '%':
            return b != 0 ? fmod(a, b) : NAN;
        default:
            return NAN;
        }
    }
    case GM_CALL: {
        const char *f = x->str;
        if (!strcmp(f, "numel") && x->nargs == 1) {
            const dn_shape *s = shape_of(c, x->args[0]);
            int64_t n = s ? dn_shape_numel(s) : -1;
            return n >= 0 ? (double)n : NAN;
        }
        if (!strcmp(f, "rank") && x->nargs == 1) {
            const dn_shape *s = shape_of(c, x->args[0]);
            return s && s->rank >= 0 ? s->rank : NAN;
        }
        if (!strcmp(f, "dim") && x->nargs == 2) {
            const dn_shape *s = shape_of(c, x->args[0]);
            double i = eval(c, x->args[1]);
            if (!s || s->rank < 0 || isnan(i)) return NAN;
            int k = (int)i < 0 ? (int)i + s->rank : (int)i;
            if (k < 0 || k >= s->rank || s->d[k] < 0) return NAN;
            return (double)s->d[k];
        }
        if (!strcmp(f, "prod") && x->nargs == 1 && x->args[0]->kind == GM_NAME)
            return attr_num(c, x->args[0]->str, 1);
        if ((!strcmp(f, "min") || !strcmp(f, "max")) && x->nargs == 2) {
            double a = eval(c, x->args[0]), b = eval(c, x->args[1]);
            return f[1] == 'i' ? fmin(a, b) : fmax(a, b);
        }
        return NAN;
    }
    default:
        return NAN;
    }
}

void fu_node_cost(const ir_graph *g, int node, const gm_opdecl *d, double *flops, double *bytes)
{
    *flops = *bytes = 0;
    if (!d) return;
    cenv c = {g, &g->node[node], d};
    double f = eval(&c, d->flops), b = eval(&c, d->bytes);
    *flops = isfinite(f) && f > 0 ? f : 0;
    *bytes = isfinite(b) && b > 0 ? b : 0;
}

double fu_value_bytes(const ir_graph *g, int v)
{
    if (v < 0) return 0;
    int64_t n = dn_shape_numel(&g->val[v].shape);
    size_t s = dn_dtype_size(g->val[v].dtype);
    return n > 0 ? (double)n * (double)(s ? s : 4) : 0;
}
