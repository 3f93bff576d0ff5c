/* extract.c -- choosing the cheapest graph an e-graph represents, and
 * writing it back as a graph.
 *
 * Cost.  A node costs what its operator declares in the rules
 * (cost(flops = ..., bytes = ...) in rules/ops.rules, evaluated once when
 * the node is added), flops + bytes, plus one unit per node so that every
 * operator node costs something; leaves (inputs, constants) cost nothing.
 *
 * Choice.  First the classic bottom-up fixpoint (egg's Extractor): a
 * class costs its cheapest node plus its children's costs.  Because every
 * operator node costs at least one unit, a child's cost is strictly below
 * its parent's, so the chosen nodes can never form a cycle -- the result
 * is acyclic even though the e-graph is not.  That cost counts a shared
 * subterm once per use, which punishes sharing; so a second pass
 * re-chooses class by class with the DAG cost of the whole selection
 * (every chosen class counted once) and keeps a change only when that
 * total drops and the selection stays acyclic.  Ties go to the older node,
 * so a graph no rule improves comes back unchanged.
 *
 * Writing.  Classes are emitted depth-first from the outputs: inputs keep
 * their names, a class keeps the name of a source value in it, outputs
 * keep theirs (an Identity gives an output its name when the chosen value
 * already has another: an input, or a second output of the same class),
 * the siblings of multi-output operators become one node again, nodes
 * that came from the source keep their ONNX names and new ones are named
 * after the rule that made them. */
#include "egraph_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NODE_UNIT 1.0

static double node_cost(const eg_graph *E, const eg_node *n)
{
    (void)E;
    if (n->kind != EG_OPNODE) return 0;
    return n->flops + n->bytes + NODE_UNIT;
}

typedef struct xstate {
    eg_graph *E;
    double *best; /* per class */
    int *sel;     /* per class: chosen node */
    int *mark;    /* DAG walk colours */
    int gen;
} xstate;

/* DAG cost of the selection reachable from the roots; -1 on a cycle. */
static int dag_visit(xstate *X, int c, double *total, int *stack, int *sp)
{
    (void)stack;
    (void)sp;
    eg_graph *E = X->E;
    c = eg_find(E, c);
    if (X->mark[c] == 2 * X->gen + 1) return 0; /* done */
    if (X->mark[c] == 2 * X->gen) return -1;    /* on the path: a cycle */
    X->mark[c] = 2 * X->gen;
    const eg_node *n = &E->node[X->sel[c]];
    for (int i = 0; i < n->nch; i++)
        if (n->ch[i] >= 0 && dag_visit(X, n->ch[i], total, stack, sp)) return -1;
    *total += node_cost(E, n);
    X->mark[c] = 2 * X->gen + 1;
    return 0;
}

static int dag_cost(xstate *X, const int *roots, int nroots, double *total)
{
    X->gen++;
    *total = 0;
    for (int i = 0; i < nroots; i++)
        if (dag_visit(X, roots[i], total, NULL, NULL)) return -1;
    return 0;
}

static void choose(xstate *X)
{
    eg_graph *E = X->E;
    for (int c = 0; c < E->ncls; c++) {
        X->best[c] = INFINITY;
        X->sel[c] = -1;
    }
    /* fixpoint: nodes are mostly created after their children, so few
       passes are needed */
    for (int pass = 0, changed = 1; changed && pass < 10000; pass++) {
        changed = 0;
        for (int i = 0; i < E->nnode; i++) {
            const eg_node *n = &E->node[i];
            if (n->dup) continue;
            double cost = node_cost(E, n);
            for (int k = 0; k < n->nch && isfinite(cost); k++)
                if (n->ch[k] >= 0) cost += X->best[eg_find(E, n->ch[k])];
            int c = eg_find(E, n->cls);
            if (cost < X->best[c]) {
                X->best[c] = cost;
                changed = 1;
            }
        }
    }
    for (int i = 0; i < E->nnode; i++) {
        const eg_node *n = &E->node[i];
        if (n->dup) continue;
        double cost = node_cost(E, n);
        for (int k = 0; k < n->nch && isfinite(cost); k++)
            if (n->ch[k] >= 0) cost += X->best[eg_find(E, n->ch[k])];
        int c = eg_find(E, n->cls);
        /* the same sums as in the fixpoint, so exact comparison is safe:
           the oldest node of minimal cost wins */
        if (X->sel[c] < 0 && cost <= X->best[c]) X->sel[c] = i;
    }
}

/* Re-chooses with the DAG cost, for classes that have alternatives. */
static void improve(xstate *X, const int *roots, int nroots, int max_trials)
{
    eg_graph *E = X->E;
    double cur;
    if (dag_cost(X, roots, nroots, &cur)) return;
    int trials = 0;
    for (int round = 0; round < 2; round++) {
        int better = 0;
        for (int c = 0; c < E->ncls && trials < max_trials; c++) {
            if (eg_find(E, c) != c || X->sel[c] < 0) continue;
            const eg_ivec *L = &E->cls[c].nodes;
            if (L->n < 2) continue;
            int keep = X->sel[c];
            for (int k = 0; k < L->n && trials < max_trials; k++) {
                int id = L->v[k];
                if (id == keep || E->node[id].dup) continue;
                const eg_node *n = &E->node[id];
                int ok = 1;
                for (int j = 0; j < n->nch && ok; j++)
                    if (n->ch[j] >= 0 && X->sel[eg_find(E, n->ch[j])] < 0) ok = 0;
                if (!ok) continue;
                trials++;
                X->sel[c] = id;
                double t;
                if (dag_cost(X, roots, nroots, &t) == 0 && t < cur - 1e-9 * cur) {
                    cur = t;
                    keep = id;
                    better = 1;
                } else
                    X->sel[c] = keep;
            }
            X->sel[c] = keep;
        }
        if (!better) break;
    }
}

/* ------------------------------------------------------------------ */
/* Writing the graph                                                   */
/* ------------------------------------------------------------------ */

typedef struct wstate {
    eg_graph *E;
    xstate *X;
    const ir_graph *src;
    ir_graph *g;
    int *val;       /* per class: value id in g, or -1 */
    int *want;      /* per class: source output value to be named after, or -1 */
    int *input_val; /* source value id -> g value id for inputs */
    int *enode_of;  /* per node of g */
    int cap_enode;
    int depth;
    dn_err *e;
} wstate;

static void copy_attr(ir_attr *d, const ir_attr *s)
{
    char *name = d->name;
    *d = *s;
    d->name = name;
    d->s = s->s ? ir_strdup(s->s) : NULL;
    d->ints = NULL;
    d->floats = NULL;
    d->strings = NULL;
    if (s->type == IR_ATTR_INTS) {
        d->ints = malloc((size_t)(s->n ? s->n : 1) * sizeof *d->ints);
        if (!d->ints) abort();
        if (s->n) memcpy(d->ints, s->ints, (size_t)s->n * sizeof *d->ints);
    } else if (s->type == IR_ATTR_FLOATS) {
        d->floats = malloc((size_t)(s->n ? s->n : 1) * sizeof *d->floats);
        if (!d->floats) abort();
        if (s->n) memcpy(d->floats, s->floats, (size_t)s->n * sizeof *d->floats);
    } else if (s->type == IR_ATTR_STRINGS) {
        d->strings = malloc((size_t)(s->n ? s->n : 1) * sizeof *d->strings);
        if (!d->strings) abort();
        for (int i = 0; i < s->n; i++)
            d->strings[i] = ir_strdup(s->strings[i]);
    }
    d->t.data = NULL;
    if (s->type == IR_ATTR_TENSOR && s->t.data) {
        size_t n = dn_tensor_bytes(&s->t);
        d->t.data = malloc(n ? n : 1);
        if (!d->t.data) abort();
        memcpy(d->t.data, s->t.data, n);
    }
}

/* A new value for class c, named after an output, a source value, or made up. */
static int class_value(wstate *W, int c, int kind)
{
    eg_class *k = &W->E->cls[c];
    const char *name = NULL;
    if (W->want[c] >= 0)
        name = W->src->val[W->want[c]].name;
    else if (k->name >= 0 && !W->src->val[k->name].is_output &&
             W->src->val[k->name].kind != IR_VAL_INPUT)
        name = W->src->val[k->name].name;
    int v = name ? ir_add_value(W->g, name, kind, k->dtype, &k->shape) : -1;
    if (v < 0) v = ir_add_value(W->g, NULL, kind, k->dtype, &k->shape);
    return v;
}

static int emit(wstate *W, int c);

static int emit_op(wstate *W, int c, int id)
{
    eg_graph *E = W->E;
    const eg_node *n = &E->node[id];
    const eg_opinfo *o = E->ops[n->op];
    int in[64];
    for (int i = 0; i < n->nch; i++) {
        in[i] = -1;
        if (n->ch[i] < 0) continue;
        in[i] = emit(W, n->ch[i]);
        if (in[i] < 0) return -1;
    }
    n = &E->node[id];
    int out[64];
    for (int j = 0; j < n->nout; j++) {
        if (j == n->oidx) {
            out[j] = class_value(W, c, IR_VAL_NODE);
            W->val[c] = out[j];
            continue;
        }
        /* a sibling output: the class of the same node with oidx j */
        int sib = -1;
        for (int q = 0; q < E->nnode && sib < 0; q++) {
            const eg_node *m = &E->node[q];
            if (m->dup || m->kind != EG_OPNODE || m->op != n->op || m->oidx != j ||
                m->nch != n->nch || m->nattr != n->nattr)
                continue;
            int same = 1;
            for (int k = 0; k < m->nch && same; k++)
                same = (m->ch[k] < 0 ? -1 : eg_find(E, m->ch[k])) ==
                       (n->ch[k] < 0 ? -1 : eg_find(E, n->ch[k]));
            for (int k = 0; k < m->nattr && same; k++)
                same = eg_attr_eq(&m->attr[k], &n->attr[k]);
            if (same) sib = q;
        }
        int sc = sib >= 0 ? eg_find(E, E->node[sib].cls) : -1;
        if (sc >= 0 && W->val[sc] < 0 && W->X->sel[sc] == sib) {
            out[j] = class_value(W, sc, IR_VAL_NODE);
            W->val[sc] = out[j];
        } else {
            dn_shape s = dn_shape_unknown();
            out[j] = ir_add_value(W->g, NULL, IR_VAL_NODE, 0, &s);
        }
    }
    /* the node's name: the source node's, or the rule's */
    char name[512];
    const char *nm = NULL;
    if (n->origin >= 0)
        nm = W->src->node[n->origin].name;
    else if (n->record >= 0) {
        snprintf(name, sizeof name, "%s/%s_%d", E->rec[n->record].rule_name, o->name, n->record);
        nm = name;
    }
    int nid = ir_add_node(W->g, o->name, nm, in, n->nch, out, n->nout);
    ir_node *nd = &W->g->node[nid];
    free(nd->domain);
    nd->domain = ir_strdup(o->domain);
    for (int a = 0; a < n->nattr; a++) {
        ir_attr *d = ir_add_attr(W->g, nid, n->attr[a].name, n->attr[a].type);
        copy_attr(d, &n->attr[a]);
    }
    if (nid >= W->cap_enode) {
        int cap = W->cap_enode ? 2 * W->cap_enode : 256;
        while (cap <= nid)
            cap *= 2;
        W->enode_of = realloc(W->enode_of, (size_t)cap * sizeof *W->enode_of);
        if (!W->enode_of) abort();
        W->cap_enode = cap;
    }
    W->enode_of[nid] = id;
    return W->val[c];
}

static int emit(wstate *W, int c)
{
    eg_graph *E = W->E;
    c = eg_find(E, c);
    if (W->val[c] >= 0) return W->val[c];
    int id = W->X->sel[c];
    if (id < 0) return dn_errf(W->e, "extraction: a class with no finite-cost node"), -1;
    const eg_node *n = &E->node[id];
    if (n->kind == EG_INPUT) {
        W->val[c] = W->input_val[n->leaf];
        return W->val[c];
    }
    if (n->kind == EG_CONST) {
        const eg_const *k = &E->cst[n->leaf];
        int v = -1;
        if (W->want[c] >= 0)
            v = ir_add_value(W->g, W->src->val[W->want[c]].name, IR_VAL_CONST, k->t.dtype,
                             &k->t.shape);
        if (v < 0 && k->value >= 0)
            v = ir_add_value(W->g, W->src->val[k->value].name, IR_VAL_CONST, k->t.dtype,
                             &k->t.shape);
        if (v < 0) v = class_value(W, c, IR_VAL_CONST);
        ir_value *x = &W->g->val[v];
        x->kind = IR_VAL_CONST;
        x->dtype = k->t.dtype;
        x->shape = k->t.shape;
        if (k->t.data) {
            size_t sz = dn_tensor_bytes(&k->t);
            x->data = malloc(sz ? sz : 1);
            if (!x->data) abort();
            memcpy(x->data, k->t.data, sz);
        } else if (k->value >= 0 && W->src->val[k->value].ext_location) {
            const ir_value *s = &W->src->val[k->value];
            x->ext_location = ir_strdup(s->ext_location);
            x->ext_offset = s->ext_offset;
            x->ext_length = s->ext_length;
        }
        W->val[c] = v;
        return v;
    }
    if (++W->depth > 100000) return dn_errf(W->e, "extraction: graph too deep"), -1;
    int v = emit_op(W, c, id);
    W->depth--;
    return v;
}

int eg_extract(eg_graph *E, const int *cv, ir_graph **out, int **enode_of, dn_err *e)
{
    const ir_graph *src = E->src;
    xstate X = {E, NULL, NULL, NULL, 0};
    X.best = malloc((size_t)(E->ncls + 1) * sizeof *X.best);
    X.sel = malloc((size_t)(E->ncls + 1) * sizeof *X.sel);
    X.mark = calloc((size_t)E->ncls + 1, sizeof *X.mark);
    int *roots = malloc((size_t)(src->noutput + 1) * sizeof *roots);
    if (!X.best || !X.sel || !X.mark || !roots) abort();
    choose(&X);
    for (int i = 0; i < src->noutput; i++)
        roots[i] = eg_find(E, cv[src->output[i]]);
    for (int i = 0; i < src->noutput; i++)
        if (X.sel[roots[i]] < 0) {
            free(X.best), free(X.sel), free(X.mark), free(roots);
            return dn_errf(e, "extraction: output '%s' has no finite-cost term",
                           src->val[src->output[i]].name);
        }
    double before;
    if (dag_cost(&X, roots, src->noutput, &before)) {
        free(X.best), free(X.sel), free(X.mark), free(roots);
        return dn_errf(e, "extraction: the selection has a cycle");
    }
    improve(&X, roots, src->noutput, 4000);

    wstate W = {0};
    W.E = E;
    W.X = &X;
    W.src = src;
    W.e = e;
    W.g = ir_new(src->name);
    W.g->opset = src->opset;
    if (src->path) W.g->path = ir_strdup(src->path);
    if (src->dir) W.g->dir = ir_strdup(src->dir);
    W.val = malloc((size_t)(E->ncls + 1) * sizeof *W.val);
    W.want = malloc((size_t)(E->ncls + 1) * sizeof *W.want);
    W.input_val = malloc((size_t)(src->nval + 1) * sizeof *W.input_val);
    if (!W.val || !W.want || !W.input_val) abort();
    for (int c = 0; c < E->ncls; c++)
        W.val[c] = W.want[c] = -1;
    for (int i = 0; i < src->ninput; i++) {
        const ir_value *v = &src->val[src->input[i]];
        int id = ir_add_value(W.g, v->name, IR_VAL_INPUT, v->dtype, &v->shape);
        ir_add_input(W.g, id);
        W.input_val[src->input[i]] = id;
    }
    /* outputs name the class they belong to (the first output of a class) */
    for (int i = 0; i < src->noutput; i++)
        if (W.want[roots[i]] < 0) W.want[roots[i]] = src->output[i];
    int rc = 0;
    for (int i = 0; i < src->noutput && !rc; i++) {
        int v = emit(&W, roots[i]);
        if (v < 0) {
            rc = -1;
            break;
        }
        const char *name = src->val[src->output[i]].name;
        if (strcmp(W.g->val[v].name, name) != 0) {
            /* the chosen value already has a name (an input, or another output) */
            const ir_value *sv = &src->val[src->output[i]];
            int o = ir_add_value(W.g, name, IR_VAL_NODE, sv->dtype, &sv->shape);
            if (o < 0) {
                rc = dn_errf(e, "extraction: output name '%s' is taken", name);
                break;
            }
            char nn[600];
            snprintf(nn, sizeof nn, "%s/Identity", name);
            int nid = ir_add_node(W.g, "Identity", nn, &v, 1, &o, 1);
            if (nid >= W.cap_enode) {
                int cap = W.cap_enode ? 2 * W.cap_enode : 256;
                while (cap <= nid)
                    cap *= 2;
                W.enode_of = realloc(W.enode_of, (size_t)cap * sizeof *W.enode_of);
                if (!W.enode_of) abort();
                W.cap_enode = cap;
            }
            W.enode_of[nid] = -1;
            v = o;
        }
        ir_add_output(W.g, v);
    }
    free(X.best), free(X.sel), free(X.mark), free(roots);
    free(W.val), free(W.want), free(W.input_val);
    if (rc) {
        ir_free(W.g);
        free(W.enode_of);
        return -1;
    }
    int *order = NULL;
    if (ir_topo_order(W.g, &order, e) < 0) {
        ir_free(W.g);
        free(W.enode_of);
        return dn_errpre(e, "extraction produced an invalid graph: ");
    }
    free(order);
    *out = W.g;
    *enode_of = W.enode_of;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Cost of a whole graph                                               */
/* ------------------------------------------------------------------ */

void eg_graph_cost(const ir_graph *g, const struct gm_rules *r, double *flops, double *bytes)
{
    *flops = *bytes = 0;
    for (int i = 0; i < g->nnode; i++) {
        const ir_node *n = &g->node[i];
        if (n->dead || !strcmp(n->op, "Constant") || !strcmp(n->op, "Identity")) continue;
        const gm_opdecl *d = r ? gm_rules_find_op(r, n->domain, n->op) : NULL;
        dn_tensor inv[64];
        const dn_tensor *inp[64];
        int nin = n->nin < 64 ? n->nin : 64;
        for (int k = 0; k < nin; k++) {
            inp[k] = NULL;
            if (n->in[k] < 0) continue;
            const ir_value *v = &g->val[n->in[k]];
            inv[k] = (dn_tensor){v->dtype, v->shape, v->data};
            inp[k] = &inv[k];
        }
        dn_tensor out = {0, dn_shape_unknown(), NULL};
        if (n->nout > 0 && n->out[0] >= 0)
            out = (dn_tensor){g->val[n->out[0]].dtype, g->val[n->out[0]].shape, NULL};
        double f, b;
        eg_node_cost(d, n, inp, nin, &out, &f, &b);
        *flops += f;
        *bytes += b;
    }
}

/* ------------------------------------------------------------------ */
/* Composites back into primitives (for the reference interpreter)     */
/* ------------------------------------------------------------------ */

typedef struct xenv {
    ir_graph *g;
    const struct gm_rules *R;
    const gm_opdecl *decl;
    int node;
    dn_arena A;
} xenv;

static int xenv_lookup(void *ctx, const char *name, gm_val *out)
{
    xenv *X = ctx;
    const ir_node *n = &X->g->node[X->node];
    const ir_attr *a = ir_attr_get(n, name);
    if (a) {
        gm_attr_val(a, out);
        return 0;
    }
    for (int k = 0; k < X->decl->nattrs; k++)
        if (!strcmp(X->decl->attrs[k].name, name)) {
            const ir_attr *d = eg_default_attr(&X->A, &X->decl->attrs[k]);
            gm_attr_val(d, out);
            return 0;
        }
    return -1;
}

static int scalar_value(ir_graph *g, double v, int dtype)
{
    dn_shape s = dn_shape_make(0, NULL);
    int id = ir_add_value(g, NULL, IR_VAL_CONST, dtype ? dtype : DN_F32, &s);
    dn_tensor t = {dtype ? dtype : DN_F32, s, NULL};
    dn_err e;
    if (dn_tensor_alloc(&t, &e)) abort();
    dn_set(&t, 0, v);
    g->val[id].data = t.data;
    return id;
}

/* Builds term e of the body; root_out >= 0: the value the term must produce. */
static int xterm(xenv *X, const gm_expr *e, int dtype, int root_out, dn_err *err)
{
    ir_graph *g = X->g;
    if (e->kind == GM_NUM) return scalar_value(g, e->num, dtype);
    if (e->kind == GM_UNARY && e->op == '-' && e->args[0]->kind == GM_NUM)
        return scalar_value(g, -e->args[0]->num, dtype);
    if (e->kind == GM_NAME) {
        for (int i = 0; i < X->decl->nparams; i++)
            if (!strcmp(X->decl->params[i].name, e->str)) {
                const ir_node *n = &g->node[X->node];
                return i < n->nin ? n->in[i] : -1;
            }
        gm_val v;
        if (xenv_lookup(X, e->str, &v) || (v.kind != GM_V_INT && v.kind != GM_V_FLOAT))
            return dn_errf(err, "composite %s: '%s' has no value", X->decl->name, e->str), -2;
        return scalar_value(g, v.kind == GM_V_INT ? (double)v.i : v.f, dtype);
    }
    if (e->kind != GM_APP)
        return dn_errf(err, "composite %s: cannot expand this term", X->decl->name), -2;
    int n = e->nargs, in[64];
    if (n > 64) return dn_errf(err, "too many operands"), -2;
    int dt = 0;
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < n; i++) {
            const gm_expr *a = e->args[i];
            int lit = a->kind == GM_NUM || a->kind == GM_UNARY;
            if ((pass == 0) == lit) continue;
            if (a->kind == GM_OMIT) {
                in[i] = -1;
                continue;
            }
            in[i] = xterm(X, a, dt ? dt : dtype, -1, err);
            if (in[i] == -2) return -2;
            if (pass == 0 && in[i] >= 0 && !dt) dt = g->val[in[i]].dtype;
        }
    int out = root_out;
    if (out < 0) {
        dn_shape s = dn_shape_unknown();
        out = ir_add_value(g, NULL, IR_VAL_NODE, 0, &s);
    }
    char name[600];
    snprintf(name, sizeof name, "%s/%s_%d", g->node[X->node].name, e->str, g->nnode);
    int id = ir_add_node(g, e->str, name, in, n, &out, 1);
    free(g->node[id].domain);
    g->node[id].domain = ir_strdup(e->domain);
    const gm_opdecl *od = gm_rules_find_op(X->R, e->domain, e->str);
    for (int i = 0; i < e->nattrs; i++) {
        gm_val v;
        if (gm_eval(e->attrs[i].value, xenv_lookup, X, &v, err)) return -2;
        if (v.kind == GM_V_ABSENT) continue;
        int type = v.kind == GM_V_INT      ? IR_ATTR_INT
                   : v.kind == GM_V_FLOAT  ? IR_ATTR_FLOAT
                   : v.kind == GM_V_STR    ? IR_ATTR_STRING
                   : v.kind == GM_V_FLOATS ? IR_ATTR_FLOATS
                                         : IR_ATTR_INTS;
        for (int k = 0; od && k < od->nattrs; k++)
            if (!strcmp(od->attrs[k].name, e->attrs[i].name)) type = od->attrs[k].type;
        ir_attr tmp;
        if (eg_val_attr(&X->A, &v, e->attrs[i].name, type, &tmp, err)) return -2;
        ir_attr *d = ir_add_attr(g, id, e->attrs[i].name, type);
        copy_attr(d, &tmp);
    }
    return out;
}

int eg_expand_composites(ir_graph *g, const struct gm_rules *r, dn_err *e)
{
    for (int round = 0; round < 8; round++) {
        int expanded = 0, nn = g->nnode;
        for (int i = 0; i < nn; i++) {
            ir_node *n = &g->node[i];
            if (n->dead || op_lookup(n->domain, n->op)) continue;
            const gm_opdecl *d = r ? gm_rules_find_op(r, n->domain, n->op) : NULL;
            if (!d || !d->body)
                return dn_errf(e, "node '%s': operator %s%s%s has no definition", n->name,
                               n->domain, n->domain[0] ? "::" : "", n->op);
            if (n->nout != 1) return dn_errf(e, "node '%s': a composite has one output", n->name);
            xenv X = {g, r, d, i, {0}};
            int out = n->out[0];
            int dt = n->nin > 0 && n->in[0] >= 0 ? g->val[n->in[0]].dtype : DN_F32;
            g->node[i].dead = 1;
            int v = xterm(&X, d->body, dt, out, e);
            dn_arena_clear(&X.A);
            if (v == -2) return -1;
            if (v != out) {
                /* the body is one of its parameters: an Identity keeps the name */
                int id = ir_add_node(g, "Identity", NULL, &v, 1, &out, 1);
                (void)id;
            }
            expanded++;
        }
        if (!expanded) break;
    }
    ir_fold_stats st;
    return ir_infer(g, 0, &st, e);
}
