/* ir.c -- the graph IR: values and nodes in growable arrays, addressed by
 * integer ids (arrays move when they grow, ids do not), and a uthash index
 * from value name to id.  Nodes are never removed in place: a pass marks
 * them dead and ir_compact() renumbers once at the end, so ids held during
 * a pass stay valid. */
#include "engine.h"

#include <stdlib.h>
#include <string.h>
#include <uthash.h>

struct ir_name {
    char *name; /* points into ir_value.name */
    int id;
    UT_hash_handle hh;
};

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) abort(); /* out of memory is not a recoverable user error */
    return q;
}

char *ir_strdup(const char *s)
{
    size_t n = strlen(s ? s : "") + 1;
    char *d = xrealloc(NULL, n);
    memcpy(d, s ? s : "", n);
    return d;
}

ir_graph *ir_new(const char *name)
{
    ir_graph *g = calloc(1, sizeof *g);
    if (!g) abort();
    g->name = ir_strdup(name ? name : "graph");
    g->opset = 17;
    return g;
}

static void free_attr(ir_attr *a)
{
    free(a->name);
    free(a->s);
    free(a->ints);
    free(a->floats);
    for (int i = 0; a->strings && i < a->n; i++) free(a->strings[i]);
    free(a->strings);
    free(a->t.data);
}

static void free_node(ir_node *n)
{
    free(n->name);
    free(n->op);
    free(n->domain);
    free(n->in);
    free(n->out);
    for (int i = 0; i < n->nattr; i++) free_attr(&n->attr[i]);
    free(n->attr);
}

static void free_value(ir_value *v)
{
    free(v->name);
    free(v->data);
    free(v->ext_location);
}

void ir_free(ir_graph *g)
{
    if (!g) return;
    struct ir_name *h, *tmp;
    HASH_ITER(hh, g->names, h, tmp)
    {
        HASH_DEL(g->names, h);
        free(h);
    }
    for (int i = 0; i < g->nval; i++) free_value(&g->val[i]);
    for (int i = 0; i < g->nnode; i++) free_node(&g->node[i]);
    free(g->val);
    free(g->node);
    free(g->input);
    free(g->output);
    free(g->name);
    free(g->path);
    free(g->dir);
    free(g);
}

int ir_find_value(const ir_graph *g, const char *name)
{
    struct ir_name *h = NULL;
    HASH_FIND_STR(g->names, name, h);
    return h ? h->id : -1;
}

static void index_name(ir_graph *g, int id)
{
    struct ir_name *h = calloc(1, sizeof *h);
    if (!h) abort();
    h->name = g->val[id].name;
    h->id = id;
    HASH_ADD_KEYPTR(hh, g->names, h->name, strlen(h->name), h);
}

int ir_add_value(ir_graph *g, const char *name, int kind, int dtype, const dn_shape *shape)
{
    char made[64];
    if (!name || !name[0]) {
        /* made-up names start with '%' so they cannot collide with ONNX ones in practice */
        int k = g->nval;
        do snprintf(made, sizeof made, "%%v%d", k++);
        while (ir_find_value(g, made) >= 0);
        name = made;
    } else if (ir_find_value(g, name) >= 0)
        return -1;
    if (g->nval == g->cap_val) {
        g->cap_val = g->cap_val ? 2 * g->cap_val : 64;
        g->val = xrealloc(g->val, (size_t)g->cap_val * sizeof *g->val);
    }
    int id = g->nval++;
    ir_value *v = &g->val[id];
    memset(v, 0, sizeof *v);
    v->name = ir_strdup(name);
    v->kind = kind;
    v->dtype = dtype;
    v->shape = shape ? *shape : dn_shape_unknown();
    v->producer = -1;
    index_name(g, id);
    return id;
}

int ir_add_node(ir_graph *g, const char *op, const char *name, const int *in, int nin,
                const int *out, int nout)
{
    if (g->nnode == g->cap_node) {
        g->cap_node = g->cap_node ? 2 * g->cap_node : 64;
        g->node = xrealloc(g->node, (size_t)g->cap_node * sizeof *g->node);
    }
    int id = g->nnode++;
    ir_node *n = &g->node[id];
    memset(n, 0, sizeof *n);
    char made[64];
    if (!name || !name[0]) {
        snprintf(made, sizeof made, "%s_%d", op, id);
        name = made;
    }
    n->name = ir_strdup(name);
    n->op = ir_strdup(op);
    n->domain = ir_strdup("");
    n->nin = nin;
    n->nout = nout;
    n->in = xrealloc(NULL, (size_t)nin * sizeof(int));
    n->out = xrealloc(NULL, (size_t)nout * sizeof(int));
    if (nin) memcpy(n->in, in, (size_t)nin * sizeof(int));
    if (nout) memcpy(n->out, out, (size_t)nout * sizeof(int));
    for (int i = 0; i < nout; i++)
        if (out[i] >= 0) {
            g->val[out[i]].producer = id;
            g->val[out[i]].kind = IR_VAL_NODE;
        }
    return id;
}

ir_attr *ir_add_attr(ir_graph *g, int node, const char *name, int type)
{
    ir_node *n = &g->node[node];
    n->attr = xrealloc(n->attr, (size_t)(n->nattr + 1) * sizeof *n->attr);
    ir_attr *a = &n->attr[n->nattr++];
    memset(a, 0, sizeof *a);
    a->name = ir_strdup(name);
    a->type = type;
    return a;
}

static void *dup_bytes(const void *src, size_t n)
{
    void *d = xrealloc(NULL, n ? n : 1);
    if (n) memcpy(d, src, n);
    return d;
}

ir_attr *ir_copy_attr(ir_graph *g, int node, const ir_attr *s)
{
    ir_attr *d = ir_add_attr(g, node, s->name, s->type);
    d->i = s->i;
    d->f = s->f;
    d->n = s->n;
    if (s->s) d->s = ir_strdup(s->s);
    if (s->ints) d->ints = dup_bytes(s->ints, (size_t)s->n * sizeof *s->ints);
    if (s->floats) d->floats = dup_bytes(s->floats, (size_t)s->n * sizeof *s->floats);
    if (s->strings) {
        d->strings = dup_bytes(s->strings, (size_t)s->n * sizeof *s->strings);
        for (int i = 0; i < s->n; i++)
            d->strings[i] = ir_strdup(s->strings[i]);
    }
    d->t = s->t;
    d->t.data = s->t.data ? dup_bytes(s->t.data, dn_tensor_bytes(&s->t)) : NULL;
    return d;
}

void ir_add_input(ir_graph *g, int value)
{
    g->input = xrealloc(g->input, (size_t)(g->ninput + 1) * sizeof(int));
    g->input[g->ninput++] = value;
}

void ir_add_output(ir_graph *g, int value)
{
    g->output = xrealloc(g->output, (size_t)(g->noutput + 1) * sizeof(int));
    g->output[g->noutput++] = value;
    g->val[value].is_output = 1;
}

const ir_attr *ir_attr_get(const ir_node *n, const char *name)
{
    for (int i = 0; i < n->nattr; i++)
        if (strcmp(n->attr[i].name, name) == 0) return &n->attr[i];
    return NULL;
}

int64_t ir_attr_int(const ir_node *n, const char *name, int64_t dflt)
{
    const ir_attr *a = ir_attr_get(n, name);
    return a && a->type == IR_ATTR_INT ? a->i : dflt;
}

float ir_attr_float(const ir_node *n, const char *name, float dflt)
{
    const ir_attr *a = ir_attr_get(n, name);
    if (!a) return dflt;
    if (a->type == IR_ATTR_FLOAT) return a->f;
    if (a->type == IR_ATTR_INT) return (float)a->i;
    return dflt;
}

const char *ir_attr_str(const ir_node *n, const char *name, const char *dflt)
{
    const ir_attr *a = ir_attr_get(n, name);
    return a && a->type == IR_ATTR_STRING ? a->s : dflt;
}

const int64_t *ir_attr_ints(const ir_node *n, const char *name, int *count)
{
    const ir_attr *a = ir_attr_get(n, name);
    if (!a || a->type != IR_ATTR_INTS) {
        *count = 0;
        return NULL;
    }
    *count = a->n;
    return a->ints ? a->ints : (const int64_t *)"";
}

const float *ir_attr_floats(const ir_node *n, const char *name, int *count)
{
    const ir_attr *a = ir_attr_get(n, name);
    if (!a || a->type != IR_ATTR_FLOATS) {
        *count = 0;
        return NULL;
    }
    *count = a->n;
    return a->floats ? a->floats : (const float *)"";
}

int ir_input_tensor(const ir_graph *g, const ir_node *n, int i, dn_tensor *t)
{
    if (i >= n->nin || n->in[i] < 0) return 0;
    const ir_value *v = &g->val[n->in[i]];
    t->dtype = v->dtype;
    t->shape = v->shape;
    t->data = v->data;
    return 1;
}

int *ir_use_counts(const ir_graph *g)
{
    int *c = calloc((size_t)(g->nval ? g->nval : 1), sizeof(int));
    if (!c) abort();
    for (int i = 0; i < g->nnode; i++) {
        const ir_node *n = &g->node[i];
        if (n->dead) continue;
        for (int k = 0; k < n->nin; k++)
            if (n->in[k] >= 0) c[n->in[k]]++;
    }
    for (int i = 0; i < g->noutput; i++) c[g->output[i]]++;
    return c;
}

void ir_replace_uses(ir_graph *g, int from, int to)
{
    for (int i = 0; i < g->nnode; i++) {
        ir_node *n = &g->node[i];
        if (n->dead) continue;
        for (int k = 0; k < n->nin; k++)
            if (n->in[k] == from) n->in[k] = to;
    }
    for (int i = 0; i < g->noutput; i++)
        if (g->output[i] == from) {
            g->output[i] = to;
            g->val[from].is_output = 0;
            g->val[to].is_output = 1;
        }
}

void ir_compact(ir_graph *g)
{
    int *use = ir_use_counts(g);
    int *newid = malloc((size_t)(g->nval ? g->nval : 1) * sizeof(int));
    if (!newid) abort();
    for (int i = 0; i < g->ninput; i++) use[g->input[i]]++; /* inputs stay, even unused */
    /* A value survives if something reads it or a live node writes it. */
    for (int i = 0; i < g->nnode; i++)
        if (!g->node[i].dead)
            for (int k = 0; k < g->node[i].nout; k++)
                if (g->node[i].out[k] >= 0) use[g->node[i].out[k]]++;
    struct ir_name *h, *tmp;
    HASH_ITER(hh, g->names, h, tmp)
    {
        HASH_DEL(g->names, h);
        free(h);
    }
    int nv = 0;
    for (int i = 0; i < g->nval; i++) {
        if (use[i] == 0) {
            free_value(&g->val[i]);
            newid[i] = -1;
            continue;
        }
        newid[i] = nv;
        g->val[nv++] = g->val[i];
    }
    g->nval = nv;
    for (int i = 0; i < nv; i++) index_name(g, i);
    int nn = 0;
    int *newnode = malloc((size_t)(g->nnode ? g->nnode : 1) * sizeof(int));
    if (!newnode) abort();
    for (int i = 0; i < g->nnode; i++) {
        if (g->node[i].dead) {
            free_node(&g->node[i]);
            newnode[i] = -1;
            continue;
        }
        ir_node *n = &g->node[i];
        for (int k = 0; k < n->nin; k++)
            if (n->in[k] >= 0) n->in[k] = newid[n->in[k]];
        for (int k = 0; k < n->nout; k++)
            if (n->out[k] >= 0) n->out[k] = newid[n->out[k]];
        newnode[i] = nn;
        g->node[nn++] = *n;
    }
    g->nnode = nn;
    for (int i = 0; i < nv; i++)
        if (g->val[i].producer >= 0) g->val[i].producer = newnode[g->val[i].producer];
    for (int i = 0; i < g->ninput; i++) g->input[i] = newid[g->input[i]];
    for (int i = 0; i < g->noutput; i++) g->output[i] = newid[g->output[i]];
    free(newnode);
    free(newid);
    free(use);
}

int ir_count_nodes(const ir_graph *g, int compute_only)
{
    int c = 0;
    for (int i = 0; i < g->nnode; i++) {
        const ir_node *n = &g->node[i];
        if (n->dead) continue;
        if (compute_only && (!strcmp(n->op, "Constant") || !strcmp(n->op, "Identity"))) continue;
        c++;
    }
    return c;
}

int64_t ir_param_bytes(const ir_graph *g)
{
    int64_t b = 0;
    for (int i = 0; i < g->nval; i++)
        if (g->val[i].kind == IR_VAL_CONST) {
            int64_t n = dn_shape_numel(&g->val[i].shape);
            if (n > 0) b += n * (int64_t)dn_dtype_size(g->val[i].dtype);
        }
    return b;
}
