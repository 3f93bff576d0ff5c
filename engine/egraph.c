/* egraph.c -- the e-graph: hash-consed e-nodes, union-find over e-classes,
 * deferred rebuild, and the per-class analyses (dtype + shape, constant
 * value).
 *
 * As in egg, a union does not restore congruence at once: it records the
 * merged class as pending, and eg_rebuild() -- called once per saturation
 * iteration, after every rewrite of that iteration is applied -- re-
 * canonicalises the parents of pending classes, finds nodes that became
 * equal and merges their classes in turn.  Batching the repair this way is
 * what makes equality saturation affordable (egg, section 3).
 *
 * Analyses.  Every class knows its dtype and shape: they come from the
 * operator's own shape inference (op_def.infer, the code that the
 * reference interpreter runs), evaluated once when a node is added.  Two
 * classes that disagree cannot be equal, so a union between them means the
 * rule being applied is unsound; the union fails and the message names
 * that rule and its file:line.  A class whose value can be computed from
 * constants (small ones: fold_max_elems) gets that value, by op_run_node,
 * and a constant leaf node, so extraction can pick the constant: this is
 * constant folding inside the e-graph, and new constants flow upward as
 * merges reveal them.
 *
 * Multi-output operators (Split, TopK, ...) are one e-node per output,
 * told apart by oidx; extraction puts the siblings back into one node. */
#include "egraph_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ------------------------------------------------------------------ */
/* Arena and vectors                                                   */
/* ------------------------------------------------------------------ */

void eg_ivec_push(eg_ivec *v, int x)
{
    if (v->n == v->cap) {
        v->cap = v->cap ? 2 * v->cap : 4;
        v->v = realloc(v->v, (size_t)v->cap * sizeof *v->v);
        if (!v->v) abort();
    }
    v->v[v->n++] = x;
}

void eg_ivec_free(eg_ivec *v)
{
    free(v->v);
    v->v = NULL;
    v->n = v->cap = 0;
}

double eg_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* ------------------------------------------------------------------ */
/* Hashing and equality of e-nodes                                     */
/* ------------------------------------------------------------------ */

static uint64_t mix(uint64_t h, uint64_t x)
{
    h ^= x + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    return h * 0x100000001b3ull;
}

static uint64_t hash_bytes(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3ull;
    return h;
}

static uint64_t hash_attr(uint64_t h, const ir_attr *a)
{
    h = hash_bytes(h, a->name, strlen(a->name));
    h = mix(h, (uint64_t)a->type);
    switch (a->type) {
    case IR_ATTR_INT:
        return mix(h, (uint64_t)a->i);
    case IR_ATTR_FLOAT:
        return hash_bytes(h, &a->f, sizeof a->f);
    case IR_ATTR_STRING:
        return a->s ? hash_bytes(h, a->s, strlen(a->s)) : h;
    case IR_ATTR_INTS:
        return hash_bytes(mix(h, (uint64_t)a->n), a->ints, (size_t)a->n * sizeof *a->ints);
    case IR_ATTR_FLOATS:
        return hash_bytes(mix(h, (uint64_t)a->n), a->floats, (size_t)a->n * sizeof *a->floats);
    case IR_ATTR_STRINGS:
        for (int i = 0; i < a->n; i++)
            h = hash_bytes(h, a->strings[i], strlen(a->strings[i]));
        return h;
    case IR_ATTR_TENSOR:
        h = mix(h, (uint64_t)a->t.dtype);
        h = hash_bytes(h, a->t.shape.d,
                       (size_t)(a->t.shape.rank > 0 ? a->t.shape.rank : 0) * sizeof(int64_t));
        return a->t.data ? hash_bytes(h, a->t.data, dn_tensor_bytes(&a->t)) : h;
    default:
        return h;
    }
}

int eg_attr_eq(const ir_attr *a, const ir_attr *b)
{
    if (a == b) return 1;
    if (strcmp(a->name, b->name) || a->type != b->type) return 0;
    switch (a->type) {
    case IR_ATTR_INT:
        return a->i == b->i;
    case IR_ATTR_FLOAT:
        return a->f == b->f || (isnan(a->f) && isnan(b->f));
    case IR_ATTR_STRING:
        return !strcmp(a->s ? a->s : "", b->s ? b->s : "");
    case IR_ATTR_INTS:
        return a->n == b->n && (!a->n || !memcmp(a->ints, b->ints, (size_t)a->n * sizeof *a->ints));
    case IR_ATTR_FLOATS:
        return a->n == b->n &&
               (!a->n || !memcmp(a->floats, b->floats, (size_t)a->n * sizeof *a->floats));
    case IR_ATTR_STRINGS:
        if (a->n != b->n) return 0;
        for (int i = 0; i < a->n; i++)
            if (strcmp(a->strings[i], b->strings[i])) return 0;
        return 1;
    case IR_ATTR_TENSOR:
        if (a->t.dtype != b->t.dtype || !dn_shape_eq(&a->t.shape, &b->t.shape)) return 0;
        if (!a->t.data || !b->t.data) return a->t.data == b->t.data;
        return !memcmp(a->t.data, b->t.data, dn_tensor_bytes(&a->t));
    default:
        return 0;
    }
}

static int attr_cmp(const void *x, const void *y)
{
    return strcmp(((const ir_attr *)x)->name, ((const ir_attr *)y)->name);
}

void eg_sort_attrs(ir_attr *a, int n)
{
    if (n > 1) qsort(a, (size_t)n, sizeof *a, attr_cmp);
}

/* Large constants that come from the source graph are keyed by their
   value id: hashing megabytes of weights buys nothing.  Small constants
   are keyed by contents, so that equal ones (the many 1.0 scalars an
   exporter emits) become one class. */
#define CONTENT_KEY_MAX 4096

static int const_by_ref(const eg_const *c)
{
    return c->value >= 0 && (!c->t.data || dn_tensor_bytes(&c->t) > CONTENT_KEY_MAX);
}

static uint64_t node_hash(const eg_graph *E, const eg_node *n)
{
    uint64_t h = mix(0xcbf29ce484222325ull, (uint64_t)n->kind);
    if (n->kind == EG_INPUT) return mix(h, (uint64_t)n->leaf);
    if (n->kind == EG_CONST) {
        const eg_const *c = &E->cst[n->leaf];
        if (const_by_ref(c)) return mix(mix(h, 1), (uint64_t)c->value);
        h = mix(h, (uint64_t)c->t.dtype);
        h = mix(h, (uint64_t)c->t.shape.rank);
        for (int i = 0; i < c->t.shape.rank; i++)
            h = mix(h, (uint64_t)c->t.shape.d[i]);
        return c->t.data ? hash_bytes(h, c->t.data, dn_tensor_bytes(&c->t)) : h;
    }
    h = mix(h, (uint64_t)n->op);
    h = mix(h, (uint64_t)n->oidx);
    h = mix(h, (uint64_t)n->nout);
    for (int i = 0; i < n->nattr; i++)
        h = hash_attr(h, &n->attr[i]);
    h = mix(h, (uint64_t)n->nch);
    for (int i = 0; i < n->nch; i++)
        h = mix(h, (uint64_t)(int64_t)n->ch[i]);
    return h;
}

static int node_eq(const eg_graph *E, const eg_node *a, const eg_node *b)
{
    if (a->kind != b->kind) return 0;
    if (a->kind == EG_INPUT) return a->leaf == b->leaf;
    if (a->kind == EG_CONST) {
        const eg_const *x = &E->cst[a->leaf], *y = &E->cst[b->leaf];
        int rx = const_by_ref(x), ry = const_by_ref(y);
        if (rx || ry) return rx && ry && x->value == y->value;
        if (x->t.dtype != y->t.dtype || !dn_shape_eq(&x->t.shape, &y->t.shape)) return 0;
        if (!x->t.data || !y->t.data) return 0;
        return !memcmp(x->t.data, y->t.data, dn_tensor_bytes(&x->t));
    }
    if (a->op != b->op || a->oidx != b->oidx || a->nout != b->nout || a->nch != b->nch ||
        a->nattr != b->nattr)
        return 0;
    for (int i = 0; i < a->nch; i++)
        if (a->ch[i] != b->ch[i]) return 0;
    for (int i = 0; i < a->nattr; i++)
        if (!eg_attr_eq(&a->attr[i], &b->attr[i])) return 0;
    return 1;
}

/* ------------------------------------------------------------------ */
/* Hash-cons                                                           */
/* ------------------------------------------------------------------ */

/* The node equal to *probe, or -1. */
static int hc_lookup(eg_graph *E, const eg_node *probe)
{
    eg_bucket *b;
    HASH_FIND(hh, E->hc, &probe->hash, sizeof probe->hash, b);
    if (!b) return -1;
    for (int k = b->first; k >= 0; k = E->node[k].next_hash)
        if (node_eq(E, &E->node[k], probe)) return k;
    return -1;
}

static void hc_insert(eg_graph *E, int id)
{
    eg_node *n = &E->node[id];
    eg_bucket *b;
    HASH_FIND(hh, E->hc, &n->hash, sizeof n->hash, b);
    if (!b) {
        b = dn_arena_alloc(&E->arena, sizeof *b);
        b->h = n->hash;
        b->first = -1;
        HASH_ADD(hh, E->hc, h, sizeof b->h, b);
    }
    n->next_hash = b->first;
    b->first = id;
}

static void hc_remove(eg_graph *E, int id)
{
    eg_node *n = &E->node[id];
    eg_bucket *b;
    HASH_FIND(hh, E->hc, &n->hash, sizeof n->hash, b);
    if (!b) return;
    if (b->first == id) {
        b->first = n->next_hash;
        return;
    }
    for (int k = b->first; k >= 0; k = E->node[k].next_hash)
        if (E->node[k].next_hash == id) {
            E->node[k].next_hash = n->next_hash;
            return;
        }
}

/* ------------------------------------------------------------------ */
/* Life cycle, operators, classes                                      */
/* ------------------------------------------------------------------ */

eg_graph *eg_graph_new(const gm_rules *rules)
{
    eg_graph *E = calloc(1, sizeof *E);
    if (!E) abort();
    E->rules = rules;
    E->fold_max_elems = 1 << 16;
    E->cur_record = -1;
    return E;
}

void eg_graph_free(eg_graph *E)
{
    if (!E) return;
    for (int i = 0; i < E->ncls; i++) {
        eg_ivec_free(&E->cls[i].nodes);
        eg_ivec_free(&E->cls[i].parents);
    }
    for (int i = 0; i < E->nops; i++)
        eg_ivec_free(&E->ops[i]->nodes);
    HASH_CLEAR(hh, E->opidx);
    HASH_CLEAR(hh, E->hc);
    eg_ivec_free(&E->pending);
    eg_ivec_free(&E->analysis);
    free(E->node);
    free(E->cls);
    free(E->cst);
    free(E->ops);
    free(E->rec);
    dn_arena_clear(&E->arena);
    free(E);
}

int eg_find(eg_graph *E, int c)
{
    while (E->cls[c].parent != c) {
        E->cls[c].parent = E->cls[E->cls[c].parent].parent; /* path halving */
        c = E->cls[c].parent;
    }
    return c;
}

int eg_op_intern(eg_graph *E, const char *domain, const char *name)
{
    if (!domain || !strcmp(domain, "ai.onnx")) domain = "";
    char key[96];
    snprintf(key, sizeof key, "%s::%s", domain, name);
    eg_opinfo *o;
    HASH_FIND_STR(E->opidx, key, o);
    if (o) {
        for (int i = 0; i < E->nops; i++)
            if (E->ops[i] == o) return i;
    }
    o = dn_arena_alloc(&E->arena, sizeof *o);
    snprintf(o->key, sizeof o->key, "%s", key);
    o->domain = dn_arena_strdup(&E->arena, domain);
    o->name = dn_arena_strdup(&E->arena, name);
    o->def = op_lookup(domain, name);
    o->decl = E->rules ? gm_rules_find_op(E->rules, domain, name) : NULL;
    o->commutative = o->decl && (o->decl->flags & GM_PROP_COMMUTATIVE);
    HASH_ADD_STR(E->opidx, key, o);
    if (E->nops == E->cap_ops) {
        E->cap_ops = E->cap_ops ? 2 * E->cap_ops : 64;
        E->ops = realloc(E->ops, (size_t)E->cap_ops * sizeof *E->ops);
        if (!E->ops) abort();
    }
    E->ops[E->nops] = o;
    return E->nops++;
}

static int new_class(eg_graph *E, int dtype, const dn_shape *s)
{
    if (E->ncls == E->cap_cls) {
        E->cap_cls = E->cap_cls ? 2 * E->cap_cls : 256;
        E->cls = realloc(E->cls, (size_t)E->cap_cls * sizeof *E->cls);
        if (!E->cls) abort();
    }
    int id = E->ncls++;
    eg_class *c = &E->cls[id];
    memset(c, 0, sizeof *c);
    c->parent = id;
    c->dtype = dtype;
    c->shape = *s;
    c->cst = -1;
    c->name = -1;
    E->live_classes++;
    return id;
}

static int new_node(eg_graph *E)
{
    if (E->nnode == E->cap_node) {
        E->cap_node = E->cap_node ? 2 * E->cap_node : 1024;
        E->node = realloc(E->node, (size_t)E->cap_node * sizeof *E->node);
        if (!E->node) abort();
    }
    int id = E->nnode++;
    memset(&E->node[id], 0, sizeof E->node[id]);
    E->node[id].op = -1;
    E->node[id].origin = -1;
    E->node[id].record = E->cur_record;
    E->node[id].next_hash = -1;
    return id;
}

const dn_tensor *eg_class_const(eg_graph *E, int c)
{
    c = eg_find(E, c);
    if (E->cls[c].cst < 0) return NULL;
    const dn_tensor *t = &E->cst[E->cls[c].cst].t;
    return t->data ? t : NULL;
}

void eg_class_view(eg_graph *E, int c, dn_tensor *t)
{
    c = eg_find(E, c);
    const eg_class *k = &E->cls[c];
    t->dtype = k->dtype;
    t->shape = k->shape;
    t->data = k->cst >= 0 ? E->cst[k->cst].t.data : NULL;
}

static int new_const(eg_graph *E, const dn_tensor *t, int value, int copy)
{
    if (E->ncst == E->cap_cst) {
        E->cap_cst = E->cap_cst ? 2 * E->cap_cst : 256;
        E->cst = realloc(E->cst, (size_t)E->cap_cst * sizeof *E->cst);
        if (!E->cst) abort();
    }
    int id = E->ncst++;
    eg_const *c = &E->cst[id];
    c->t = *t;
    c->value = value;
    if (copy && t->data) {
        size_t n = dn_tensor_bytes(t);
        c->t.data = dn_arena_alloc(&E->arena, n ? n : 1);
        memcpy(c->t.data, t->data, n);
    }
    return id;
}

/* ------------------------------------------------------------------ */
/* Adding nodes                                                        */
/* ------------------------------------------------------------------ */

static int add_parent_links(eg_graph *E, int id)
{
    eg_node *n = &E->node[id];
    for (int i = 0; i < n->nch; i++)
        if (n->ch[i] >= 0) eg_ivec_push(&E->cls[n->ch[i]].parents, id);
    return 0;
}

/* Puts leaf node `id` (already filled in) into the hash-cons and a class:
   an equal leaf's class when there is one. */
static int place_leaf(eg_graph *E, int id, int dtype, const dn_shape *s)
{
    eg_node *n = &E->node[id];
    n->hash = node_hash(E, n);
    int q = hc_lookup(E, n);
    if (q >= 0) {
        E->nnode--; /* the node was the last one added: drop it */
        return eg_find(E, E->node[q].cls);
    }
    int c = new_class(E, dtype, s);
    n = &E->node[id];
    n->cls = c;
    hc_insert(E, id);
    eg_ivec_push(&E->cls[c].nodes, id);
    E->cls[c].has_leaf = 1;
    if (n->kind == EG_CONST && E->cst[n->leaf].t.data) E->cls[c].cst = n->leaf;
    return c;
}

int eg_add_input(eg_graph *E, int value, int dtype, const dn_shape *s)
{
    int id = new_node(E);
    E->node[id].kind = EG_INPUT;
    E->node[id].leaf = value;
    return place_leaf(E, id, dtype, s);
}

int eg_add_const(eg_graph *E, const dn_tensor *t, int value, int copy)
{
    int k = new_const(E, t, value, copy);
    int id = new_node(E);
    E->node[id].kind = EG_CONST;
    E->node[id].leaf = k;
    int c = place_leaf(E, id, t->dtype, &t->shape);
    if (E->nnode == id) E->ncst--; /* an equal constant existed: forget the copy */
    return c;
}

/* Gives class c the constant t (folded): records it and adds a constant
   leaf, which joins c (and the class of an equal constant, if any). */
static int attach_const(eg_graph *E, int c, dn_tensor *t, dn_err *e)
{
    c = eg_find(E, c);
    if (E->cls[c].cst >= 0) {
        dn_tensor_free(t);
        return 0;
    }
    int k = new_const(E, t, -1, 1);
    dn_tensor_free(t);
    E->cls[c].cst = k;
    int id = new_node(E);
    E->node[id].kind = EG_CONST;
    E->node[id].leaf = k;
    E->node[id].record = -1;
    E->node[id].hash = node_hash(E, &E->node[id]);
    int q = hc_lookup(E, &E->node[id]);
    if (q >= 0) {
        E->nnode--;
        int other = eg_find(E, E->node[q].cls);
        E->cls[c].cst = E->node[q].leaf;
        if (other != c) return eg_union(E, c, other, e) < 0 ? -1 : 0;
        return 0;
    }
    E->node[id].cls = c;
    hc_insert(E, id);
    eg_ivec_push(&E->cls[c].nodes, id);
    E->cls[c].has_leaf = 1;
    for (int i = 0; i < E->cls[c].parents.n; i++)
        eg_ivec_push(&E->analysis, E->cls[c].parents.v[i]);
    return 0;
}

static void tmp_node(eg_graph *E, const eg_node *n, ir_node *t, int *in, int *out)
{
    memset(t, 0, sizeof *t);
    t->name = "egraph";
    t->op = (char *)E->ops[n->op]->name;
    t->domain = (char *)E->ops[n->op]->domain;
    t->nin = n->nch;
    for (int i = 0; i < n->nch; i++)
        in[i] = n->ch[i] >= 0 ? i : -1;
    t->in = in;
    t->nout = n->nout;
    for (int i = 0; i < n->nout; i++)
        out[i] = i;
    t->out = out;
    t->nattr = n->nattr;
    t->attr = (ir_attr *)n->attr;
}

#define MAXIO 64

/* Tries to compute node id's value from constant children. */
static int try_fold(eg_graph *E, int id, dn_err *e)
{
    eg_node *n = &E->node[id];
    if (n->kind != EG_OPNODE || n->dup) return 0;
    const eg_opinfo *o = E->ops[n->op];
    int c = eg_find(E, n->cls);
    if (E->cls[c].cst >= 0 || !o->def || n->nch > MAXIO || n->nout > MAXIO) return 0;
    if (!dn_shape_known(&E->cls[c].shape) || dn_shape_numel(&E->cls[c].shape) > E->fold_max_elems)
        return 0;
    dn_tensor inv[MAXIO];
    const dn_tensor *inp[MAXIO];
    for (int i = 0; i < n->nch; i++) {
        inp[i] = NULL;
        if (n->ch[i] < 0) continue;
        eg_class_view(E, n->ch[i], &inv[i]);
        if (!inv[i].data) return 0;
        inp[i] = &inv[i];
    }
    /* random ops have no fixed value */
    if (!strcmp(o->name, "RandomNormal") || !strcmp(o->name, "RandomUniform") ||
        !strcmp(o->name, "RandomNormalLike") || !strcmp(o->name, "RandomUniformLike") ||
        !strcmp(o->name, "Multinomial") || !strcmp(o->name, "Bernoulli"))
        return 0;
    ir_node t;
    int in[MAXIO], out[MAXIO];
    tmp_node(E, n, &t, in, out);
    dn_tensor res[MAXIO];
    dn_err tmp;
    if (op_run_node(&t, inp, n->nch, res, n->nout, &tmp))
        return 0; /* not foldable: keep the node */
    for (int i = 0; i < n->nout; i++)
        if (i != n->oidx) dn_tensor_free(&res[i]);
    return attach_const(E, c, &res[n->oidx], e);
}

int eg_add_op(eg_graph *E, int op, int oidx, int nout, const ir_attr *attr, int nattr,
              const int *ch, int nch, int origin, dn_err *e)
{
    if (nch > MAXIO || nout > MAXIO)
        return dn_errf(e, "%s: too many inputs or outputs", E->ops[op]->name);
    /* trailing omitted inputs are not part of the key */
    while (nch > 0 && ch[nch - 1] < 0)
        nch--;
    int cch[MAXIO];
    for (int i = 0; i < nch; i++)
        cch[i] = ch[i] >= 0 ? eg_find(E, ch[i]) : -1;
    eg_node probe;
    memset(&probe, 0, sizeof probe);
    probe.kind = EG_OPNODE;
    probe.op = op;
    probe.oidx = oidx;
    probe.nout = nout;
    probe.nattr = nattr;
    probe.attr = attr;
    probe.nch = nch;
    probe.ch = cch;
    probe.hash = node_hash(E, &probe);
    int q = hc_lookup(E, &probe);
    if (q >= 0) return eg_find(E, E->node[q].cls);

    /* the analysis: dtype and shape by the operator's inference */
    const eg_opinfo *o = E->ops[op];
    dn_tensor inv[MAXIO], outv[MAXIO];
    const dn_tensor *inp[MAXIO];
    for (int i = 0; i < nch; i++) {
        inp[i] = NULL;
        if (cch[i] < 0) continue;
        eg_class_view(E, cch[i], &inv[i]);
        inp[i] = &inv[i];
    }
    ir_node t;
    int in[MAXIO], out[MAXIO];
    tmp_node(E, &probe, &t, in, out);
    memset(outv, 0, sizeof outv);
    for (int i = 0; i < nout; i++)
        outv[i].shape = dn_shape_unknown();
    int rc;
    if (o->def) {
        rc = 0;
        if (nch < o->def->min_in || (o->def->max_in >= 0 && nch > o->def->max_in))
            rc = dn_errf(e, "%s takes %d to %d inputs, got %d", o->name, o->def->min_in,
                         o->def->max_in, nch);
        for (int i = 0; !rc && i < o->def->min_in && i < nch; i++)
            if (cch[i] < 0) rc = dn_errf(e, "%s: required input %d is missing", o->name, i);
        if (!rc) rc = o->def->infer(&t, inp, nch, outv, nout, e);
    } else if (o->decl && o->decl->body && nout == 1)
        rc = eg_body_infer(E->rules, o->decl, &t, inp, nch, &outv[0], e);
    else
        rc = dn_errf(e, "operator %s%s%s has no shape inference", o->domain,
                     o->domain[0] ? "::" : "", o->name);
    if (rc) {
        for (int i = 0; i < nout; i++)
            dn_tensor_free(&outv[i]);
        return -1;
    }
    int id = new_node(E);
    eg_node *n = &E->node[id];
    *n = probe;
    n->next_hash = -1;
    n->origin = origin;
    n->record = E->cur_record;
    n->ch = dn_arena_alloc(&E->arena, (size_t)(nch ? nch : 1) * sizeof *n->ch);
    memcpy(n->ch, cch, (size_t)nch * sizeof *cch);
    eg_node_cost(o->decl, &t, inp, nch, &outv[oidx], &n->flops, &n->bytes);
    int c = new_class(E, outv[oidx].dtype, &outv[oidx].shape);
    n = &E->node[id];
    n->cls = c;
    hc_insert(E, id);
    eg_ivec_push(&E->cls[c].nodes, id);
    add_parent_links(E, id);
    eg_ivec_push(&E->ops[op]->nodes, id);
    /* a value that follows from shapes alone (Shape, Size) */
    for (int i = 0; i < nout; i++)
        if (i != oidx) dn_tensor_free(&outv[i]);
    if (outv[oidx].data) {
        if (attach_const(E, c, &outv[oidx], e)) return -1;
    } else if (try_fold(E, id, e))
        return -1;
    return eg_find(E, c);
}

/* ------------------------------------------------------------------ */
/* Union and rebuild                                                   */
/* ------------------------------------------------------------------ */

static int shapes_compatible(const dn_shape *a, const dn_shape *b)
{
    if (a->rank < 0 || b->rank < 0) return 1;
    if (a->rank != b->rank) return 0;
    for (int i = 0; i < a->rank; i++)
        if (a->d[i] >= 0 && b->d[i] >= 0 && a->d[i] != b->d[i]) return 0;
    return 1;
}

static const char *class_desc(eg_graph *E, int c, char *buf, size_t n)
{
    char sh[128];
    const eg_class *k = &E->cls[c];
    const char *what = "?";
    for (int i = 0; i < k->nodes.n; i++) {
        const eg_node *x = &E->node[k->nodes.v[i]];
        if (x->dup) continue;
        what = x->kind == EG_OPNODE  ? E->ops[x->op]->name
               : x->kind == EG_INPUT ? "input"
                                     : "constant";
        break;
    }
    snprintf(buf, n, "%s%s (%s)", dn_dtype_name(k->dtype), dn_shape_str(&k->shape, sh, sizeof sh),
             what);
    return buf;
}

int eg_union(eg_graph *E, int a, int b, dn_err *e)
{
    a = eg_find(E, a);
    b = eg_find(E, b);
    if (a == b) return 0;
    eg_class *A = &E->cls[a], *B = &E->cls[b];
    if ((A->dtype && B->dtype && A->dtype != B->dtype) ||
        !shapes_compatible(&A->shape, &B->shape)) {
        char x[200], y[200];
        class_desc(E, a, x, sizeof x);
        class_desc(E, b, y, sizeof y);
        if (E->cur_rule)
            return dn_errf(e, "%s: rule '%s' is unsound: it makes %s equal to %s", E->cur_loc,
                           E->cur_rule, x, y);
        return dn_errf(e, "e-graph: merging %s with %s", x, y);
    }
    /* the larger class absorbs the smaller (ties: the older) */
    int sa = A->nodes.n + A->parents.n, sb = B->nodes.n + B->parents.n;
    if (sb > sa || (sb == sa && b < a)) {
        int t = a;
        a = b;
        b = t;
        A = &E->cls[a];
        B = &E->cls[b];
    }
    B->parent = a;
    E->live_classes--;
    for (int i = 0; i < B->nodes.n; i++)
        eg_ivec_push(&A->nodes, B->nodes.v[i]);
    for (int i = 0; i < B->parents.n; i++)
        eg_ivec_push(&A->parents, B->parents.v[i]);
    if (!A->dtype) A->dtype = B->dtype;
    if (A->shape.rank < 0)
        A->shape = B->shape;
    else if (B->shape.rank == A->shape.rank)
        for (int i = 0; i < A->shape.rank; i++)
            if (A->shape.d[i] < 0) A->shape.d[i] = B->shape.d[i];
    /* a constant learnt from either side: the parents of the side that
       lacked it may now fold */
    if (A->cst < 0 && B->cst >= 0) {
        A->cst = B->cst;
        for (int i = 0; i < A->parents.n; i++)
            eg_ivec_push(&E->analysis, A->parents.v[i]);
    } else if (A->cst >= 0 && B->cst < 0)
        for (int i = 0; i < B->parents.n; i++)
            eg_ivec_push(&E->analysis, B->parents.v[i]);
    A->has_leaf |= B->has_leaf;
    if (A->name < 0 || (B->name >= 0 && B->name < A->name)) A->name = B->name;
    eg_ivec_free(&B->nodes);
    eg_ivec_free(&B->parents);
    eg_ivec_push(&E->pending, a);
    return 1;
}

static int int_cmp(const void *x, const void *y)
{
    int a = *(const int *)x, b = *(const int *)y;
    return (a > b) - (a < b);
}

/* Re-canonicalises the parents of class c; merges congruent ones. */
static int repair(eg_graph *E, int c, dn_err *e)
{
    c = eg_find(E, c);
    eg_ivec todo = {0};
    for (int i = 0; i < E->cls[c].parents.n; i++)
        eg_ivec_push(&todo, E->cls[c].parents.v[i]);
    int rc = 0;
    for (int i = 0; i < todo.n && !rc; i++) {
        int p = todo.v[i];
        eg_node *n = &E->node[p];
        if (n->dup) continue;
        hc_remove(E, p);
        for (int k = 0; k < n->nch; k++)
            if (n->ch[k] >= 0) n->ch[k] = eg_find(E, n->ch[k]);
        n->hash = node_hash(E, n);
        int q = hc_lookup(E, n);
        if (q >= 0 && q != p) {
            n->dup = 1;
            if (eg_union(E, n->cls, E->node[q].cls, e) < 0) rc = -1;
        } else
            hc_insert(E, p);
    }
    eg_ivec_free(&todo);
    /* drop duplicates and repeats from the parent list */
    c = eg_find(E, c);
    eg_ivec *P = &E->cls[c].parents;
    if (P->n > 1) qsort(P->v, (size_t)P->n, sizeof *P->v, int_cmp);
    int m = 0;
    for (int i = 0; i < P->n; i++)
        if (!E->node[P->v[i]].dup && (m == 0 || P->v[m - 1] != P->v[i])) P->v[m++] = P->v[i];
    P->n = m;
    /* and congruent duplicates from its node list: they would only be
       skipped by every search, and count against the class size limit */
    eg_ivec *N = &E->cls[c].nodes;
    m = 0;
    for (int i = 0; i < N->n; i++)
        if (!E->node[N->v[i]].dup) N->v[m++] = N->v[i];
    N->n = m;
    return rc;
}

int eg_rebuild(eg_graph *E, dn_err *e)
{
    while (E->pending.n || E->analysis.n) {
        while (E->pending.n) {
            eg_ivec todo = E->pending;
            memset(&E->pending, 0, sizeof E->pending);
            for (int i = 0; i < todo.n; i++)
                todo.v[i] = eg_find(E, todo.v[i]);
            if (todo.n > 1) qsort(todo.v, (size_t)todo.n, sizeof *todo.v, int_cmp);
            int rc = 0;
            for (int i = 0; i < todo.n && !rc; i++)
                if (i == 0 || todo.v[i] != todo.v[i - 1]) rc = repair(E, todo.v[i], e);
            eg_ivec_free(&todo);
            if (rc) return -1;
        }
        eg_ivec todo = E->analysis;
        memset(&E->analysis, 0, sizeof E->analysis);
        int rc = 0;
        for (int i = 0; i < todo.n && !rc; i++)
            rc = try_fold(E, todo.v[i], e);
        eg_ivec_free(&todo);
        if (rc) return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* From a graph                                                        */
/* ------------------------------------------------------------------ */

int eg_from_ir(eg_graph *E, const ir_graph *g, int **cls_of_value, dn_err *e)
{
    E->src = g;
    int *cv = malloc((size_t)(g->nval ? g->nval : 1) * sizeof *cv);
    if (!cv) abort();
    for (int i = 0; i < g->nval; i++)
        cv[i] = -1;
    for (int i = 0; i < g->nval; i++) {
        const ir_value *v = &g->val[i];
        if (v->kind == IR_VAL_INPUT)
            cv[i] = eg_add_input(E, i, v->dtype, &v->shape);
        else if (v->kind == IR_VAL_CONST) {
            dn_tensor t = {v->dtype, v->shape, v->data};
            cv[i] = eg_add_const(E, &t, i, 0);
        }
        if (cv[i] >= 0 && E->cls[cv[i]].name < 0) E->cls[cv[i]].name = i;
    }
    int *order = NULL;
    int n = ir_topo_order(g, &order, e);
    if (n < 0) {
        free(cv);
        return -1;
    }
    for (int k = 0; k < n; k++) {
        const ir_node *nd = &g->node[order[k]];
        int op = eg_op_intern(E, nd->domain, nd->op);
        int ch[MAXIO];
        if (nd->nin > MAXIO) {
            free(order);
            free(cv);
            return dn_errf(e, "node '%s' (%s): more than %d inputs", nd->name, nd->op, MAXIO);
        }
        for (int i = 0; i < nd->nin; i++)
            ch[i] = nd->in[i] >= 0 ? cv[nd->in[i]] : -1;
        ir_attr *attrs = dn_arena_alloc(&E->arena, (size_t)(nd->nattr ? nd->nattr : 1) * sizeof *attrs);
        if (nd->nattr) memcpy(attrs, nd->attr, (size_t)nd->nattr * sizeof *attrs);
        eg_sort_attrs(attrs, nd->nattr);
        for (int o = 0; o < nd->nout; o++) {
            if (nd->out[o] < 0) continue;
            int c = eg_add_op(E, op, o, nd->nout, attrs, nd->nattr, ch, nd->nin, order[k], e);
            if (c < 0) {
                dn_errpre(e, "node '%s' (%s): ", nd->name, nd->op);
                free(order);
                free(cv);
                return -1;
            }
            cv[nd->out[o]] = c;
            if (E->cls[c].name < 0) E->cls[c].name = nd->out[o];
        }
    }
    free(order);
    if (eg_rebuild(E, e)) {
        free(cv);
        return -1;
    }
    *cls_of_value = cv;
    return 0;
}
