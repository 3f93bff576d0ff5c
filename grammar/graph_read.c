/* graph_read.c -- a `.graph` file into the engine's graph IR.
 *
 * The text form is the one ir_print writes (docs/graph-format.md), so
 * print -> read -> print is the identity on text; hand-written graphs use
 * the same statements.  Values must be defined before they are used
 * (ir_print writes nodes in topological order), which keeps the reader
 * one pass and makes a typo in a hand-written graph an error at the line
 * where it is used.
 *
 * What ir_print leaves ambiguous and how it reads back:
 *   - `[]` as an attribute: an empty ints list (FLOATS/STRINGS print the same);
 *   - `[?]`: rank 1 with an unknown dim; `[*]` is a value of unknown rank;
 *   - `weight` values have no contents (data NULL), as after ox_load
 *     without weights. */
#include "internal.h"

#include <errno.h>
#include <math.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>

typedef struct rd {
    gm_diags *d;
    ir_graph *g;
    int errors;
} rd;

static void err(rd *R, gm_loc loc, const char *fmt, const char *a, const char *b)
{
    gm_error(R->d, loc, fmt, a, b);
    R->errors++;
}

static int type_of(rd *R, const gm_type *t, int *dtype, dn_shape *s)
{
    if (!t->dtype) {
        err(R, t->loc, "a type needs a dtype (f32[%s...])%s", "", "");
        return -1;
    }
    *dtype = strcmp(t->dtype, "?") ? dn_dtype_parse(t->dtype) : DN_UNDEF;
    if (*dtype == DN_UNDEF && strcmp(t->dtype, "?")) {
        err(R, t->loc, "unknown dtype '%s'%s", t->dtype, "");
        return -1;
    }
    if (t->rank < 0)
        *s = dn_shape_unknown();
    else
        *s = dn_shape_make(t->rank, t->d);
    return 0;
}

/* A number literal: 3, -3, 2.5, nan, inf, -inf, true, false. */
static int number(const gm_expr *e, double *v, int64_t *iv, int *is_int)
{
    int neg = 0;
    if (e->kind == GM_UNARY && e->op == '-') {
        neg = 1;
        e = e->args[0];
    }
    if (e->kind == GM_NUM) {
        *is_int = e->is_int;
        *iv = neg ? -e->inum : e->inum;
        *v = neg ? -e->num : e->num;
        return 0;
    }
    if (e->kind == GM_NAME) {
        *is_int = 0;
        if (!strcmp(e->str, "nan"))
            *v = NAN;
        else if (!strcmp(e->str, "inf"))
            *v = neg ? -INFINITY : INFINITY;
        else if (!neg && (!strcmp(e->str, "true") || !strcmp(e->str, "false"))) {
            *is_int = 1;
            *iv = !strcmp(e->str, "true");
            *v = (double)*iv;
            return 0;
        } else
            return -1;
        *iv = 0;
        return 0;
    }
    return -1;
}

/* Fills t (dtype and shape set) from a [v, ...] literal. */
static int fill(rd *R, const gm_expr *list, dn_tensor *t)
{
    if (list->kind != GM_LIST) {
        err(R, list->loc, "expected a list of values [v, ...]%s%s", "", "");
        return -1;
    }
    int64_t n = dn_shape_numel(&t->shape);
    if (n != list->nargs) {
        char msg[128];
        snprintf(msg, sizeof msg, "%d values for a tensor of %lld elements", list->nargs,
                 (long long)n);
        err(R, list->loc, "%s%s", msg, "");
        return -1;
    }
    dn_err e;
    if (dn_dtype_size(t->dtype) == 0 || dn_tensor_alloc(t, &e)) {
        err(R, list->loc, "cannot hold values of dtype %s%s", dn_dtype_name(t->dtype), "");
        return -1;
    }
    for (int64_t i = 0; i < n; i++) {
        double v;
        int64_t iv;
        int is_int;
        if (number(list->args[i], &v, &iv, &is_int)) {
            err(R, list->args[i]->loc, "expected a number%s%s", "", "");
            dn_tensor_free(t);
            return -1;
        }
        if (dn_dtype_is_float(t->dtype))
            dn_set(t, i, is_int ? (double)iv : v);
        else if (is_int)
            dn_seti(t, i, iv);
        else {
            err(R, list->args[i]->loc, "a float value in a tensor of dtype %s%s",
                dn_dtype_name(t->dtype), "");
            dn_tensor_free(t);
            return -1;
        }
    }
    return 0;
}

static void set_attr(rd *R, int node, const gm_attrval *av)
{
    const gm_expr *v = av->value;
    double f;
    int64_t iv;
    int is_int;
    ir_graph *g = R->g;
    if (!number(v, &f, &iv, &is_int)) {
        ir_attr *a = ir_add_attr(g, node, av->name, is_int ? IR_ATTR_INT : IR_ATTR_FLOAT);
        if (is_int)
            a->i = iv;
        else
            a->f = (float)f;
        return;
    }
    if (v->kind == GM_STR) {
        ir_attr *a = ir_add_attr(g, node, av->name, IR_ATTR_STRING);
        a->s = ir_strdup(v->str);
        return;
    }
    if (v->kind == GM_LIST) {
        int type = IR_ATTR_INTS;
        for (int i = 0; i < v->nargs; i++) {
            const gm_expr *x = v->args[i];
            if (x->kind == GM_STR ||
                (x->kind == GM_NAME && strcmp(x->str, "nan") && strcmp(x->str, "inf")))
                type = IR_ATTR_STRINGS;
            else if (number(x, &f, &iv, &is_int)) {
                err(R, x->loc, "expected a number or a name in attribute '%s'%s", av->name, "");
                return;
            } else if (!is_int && type == IR_ATTR_INTS)
                type = IR_ATTR_FLOATS;
        }
        ir_attr *a = ir_add_attr(g, node, av->name, type);
        a->n = v->nargs;
        if (type == IR_ATTR_STRINGS) {
            a->strings = calloc((size_t)(v->nargs ? v->nargs : 1), sizeof *a->strings);
            if (!a->strings) abort();
            for (int i = 0; i < v->nargs; i++) {
                const gm_expr *x = v->args[i];
                if (x->kind != GM_STR && x->kind != GM_NAME) {
                    err(R, x->loc, "a number among the strings of attribute '%s'%s", av->name, "");
                    a->strings[i] = ir_strdup("");
                } else
                    a->strings[i] = ir_strdup(x->str);
            }
        } else if (type == IR_ATTR_FLOATS) {
            a->floats = calloc((size_t)(v->nargs ? v->nargs : 1), sizeof *a->floats);
            if (!a->floats) abort();
            for (int i = 0; i < v->nargs; i++) {
                number(v->args[i], &f, &iv, &is_int);
                a->floats[i] = (float)(is_int ? (double)iv : f);
            }
        } else {
            a->ints = calloc((size_t)(v->nargs ? v->nargs : 1), sizeof *a->ints);
            if (!a->ints) abort();
            for (int i = 0; i < v->nargs; i++) {
                number(v->args[i], &f, &iv, &is_int);
                a->ints[i] = iv;
            }
        }
        return;
    }
    if (v->kind == GM_TENSOR) {
        dn_tensor t = {0};
        if (type_of(R, v->type, &t.dtype, &t.shape)) return;
        if (v->nargs && fill(R, v->args[0], &t)) return;
        ir_attr *a = ir_add_attr(g, node, av->name, IR_ATTR_TENSOR);
        a->t = t;
        return;
    }
    err(R, v->loc, "attribute '%s' needs a literal value%s", av->name, "");
}

static int value_ref(rd *R, const char *name, gm_loc loc)
{
    int id = ir_find_value(R->g, name);
    if (id < 0) err(R, loc, "unknown value '%s'%s", name, "");
    return id;
}

static void stmt(rd *R, const gm_gstmt *s)
{
    ir_graph *g = R->g;
    int dtype;
    dn_shape shape;
    switch (s->kind) {
    case GM_G_INPUT:
    case GM_G_WEIGHT:
    case GM_G_CONST: {
        if (type_of(R, s->type, &dtype, &shape)) return;
        int id = ir_add_value(g, s->name, s->kind == GM_G_INPUT ? IR_VAL_INPUT : IR_VAL_CONST,
                              dtype, &shape);
        if (id < 0) {
            err(R, s->loc, "value '%s' defined twice%s", s->name, "");
            return;
        }
        if (s->kind == GM_G_INPUT) ir_add_input(g, id);
        if (s->kind == GM_G_CONST) {
            if (!dn_shape_known(&shape)) {
                err(R, s->type->loc, "a const needs a known shape%s%s", "", "");
                return;
            }
            dn_tensor t = {dtype, shape, NULL};
            if (fill(R, s->value, &t) == 0) g->val[id].data = t.data;
        }
        return;
    }
    case GM_G_OUTPUT: {
        int id = value_ref(R, s->name, s->loc);
        if (id >= 0) ir_add_output(g, id);
        return;
    }
    case GM_G_NODE: {
        const gm_expr *app = s->app;
        int nin = app->nargs, nout = s->nouts;
        int *in = malloc((size_t)(nin + 1) * sizeof *in),
            *out = malloc((size_t)(nout + 1) * sizeof *out);
        if (!in || !out) abort();
        int bad = 0;
        for (int i = 0; i < nin; i++) {
            const gm_expr *a = app->args[i];
            in[i] = a->kind == GM_OMIT ? -1 : value_ref(R, a->str, a->loc);
            if (a->kind != GM_OMIT && in[i] < 0) bad = 1;
        }
        for (int i = 0; i < nout && !bad; i++) {
            const gm_gout *o = &s->outs[i];
            out[i] = -1;
            if (!o->name) continue;
            if (type_of(R, o->type, &dtype, &shape)) {
                bad = 1;
                break;
            }
            out[i] = ir_add_value(g, o->name, IR_VAL_NODE, dtype, &shape);
            if (out[i] < 0) {
                err(R, o->loc, "value '%s' defined twice%s", o->name, "");
                bad = 1;
            }
        }
        if (!bad) {
            int id = ir_add_node(g, app->str, s->name, in, nin, out, nout);
            if (app->domain[0]) {
                free(g->node[id].domain);
                g->node[id].domain = ir_strdup(app->domain);
            }
            for (int i = 0; i < app->nattrs; i++) {
                for (int j = 0; j < i; j++)
                    if (!strcmp(app->attrs[j].name, app->attrs[i].name))
                        err(R, app->attrs[i].loc, "attribute '%s' given twice%s",
                            app->attrs[i].name, "");
                set_attr(R, id, &app->attrs[i]);
            }
        }
        free(in);
        free(out);
        return;
    }
    }
}

ir_graph *gm_graph_parse(const char *name, const char *text, size_t len, gm_diags *d)
{
    dn_arena *A = dn_arena_new();
    gm_src *src = gm_src_new(A, name, text, len);
    gm_unit u;
    memset(&u, 0, sizeof u);
    int before = gm_diags_count(d);
    gm_parse(A, src, &u, d);
    rd R = {d, NULL, 0};
    gm_loc top = {src, 1, 1};
    if (u.ninc || u.nmapdecl || u.nlay || u.nops || u.nfuse || u.nedges || u.nrules)
        err(&R, top, "a .graph file holds one graph { ... } and nothing else%s%s", "", "");
    if (gm_diags_count(d) == before && u.ngraphs != 1) {
        char msg[64];
        snprintf(msg, sizeof msg, "%d", u.ngraphs);
        err(&R, u.ngraphs ? u.graphs[1].loc : top, "expected one graph, found %s%s", msg, "");
    }
    if (gm_diags_count(d) != before || u.ngraphs != 1) {
        dn_arena_free(A);
        return NULL;
    }
    const gm_graph *G = &u.graphs[0];
    R.g = ir_new(G->name);
    R.g->opset = G->opset;
    R.g->path = ir_strdup(name);
    for (int i = 0; i < G->nstmts && gm_diags_count(d) <= GM_MAX_ERRORS; i++)
        stmt(&R, &G->stmts[i]);
    dn_arena_free(A);
    if (R.errors) {
        ir_free(R.g);
        return NULL;
    }
    return R.g;
}

ir_graph *gm_graph_read(const char *path, gm_diags *d)
{
    gm_loc none = {0};
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        gm_error(d, none, "%s: not a regular file", path);
        return NULL;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        gm_error(d, none, "%s: cannot read: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap);
    if (!buf) abort();
    for (size_t k; (k = fread(buf + n, 1, cap - n, f)) > 0;) {
        n += k;
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            if (!buf) abort();
        }
    }
    fclose(f);
    ir_graph *g = gm_graph_parse(path, buf, n, d);
    free(buf);
    return g;
}
