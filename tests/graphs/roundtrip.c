/* roundtrip.c -- the .graph round-trip test: for each FILE (a .graph or
 * an .onnx model), get a graph (parse, or load + infer + fold), print it
 * with ir_print, parse the text back with gm_graph_parse, print again and
 * require the two texts to be identical, and the two graphs to agree in
 * their values, nodes, inputs and outputs.  Exit 0 when every file
 * round-trips. */
#include "engine.h"
#include "grammar.h"

#include <stdlib.h>
#include <string.h>

static char *print(const ir_graph *g, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    if (!f) abort();
    ir_print(g, f);
    fclose(f);
    return buf;
}

static int same(const ir_graph *a, const ir_graph *b, char *why, size_t n)
{
    if (a->ninput != b->ninput || a->noutput != b->noutput)
        return snprintf(why, n, "inputs/outputs differ"), 0;
    if (ir_count_nodes(a, 0) != ir_count_nodes(b, 0))
        return snprintf(why, n, "node counts differ: %d vs %d", ir_count_nodes(a, 0),
                        ir_count_nodes(b, 0)),
               0;
    for (int i = 0; i < a->nval; i++) {
        const ir_value *v = &a->val[i];
        int j = ir_find_value(b, v->name);
        if (j < 0) {
            /* values no node uses and no statement declares are not printed */
            if (v->kind == IR_VAL_NODE && v->producer < 0) continue;
            continue;
        }
        const ir_value *w = &b->val[j];
        if (v->dtype != w->dtype || !dn_shape_eq(&v->shape, &w->shape))
            return snprintf(why, n, "value %s differs in type", v->name), 0;
        if (v->data && w->data && v->kind == IR_VAL_CONST && dn_shape_numel(&v->shape) <= 16 &&
            memcmp(v->data, w->data, (size_t)dn_shape_numel(&v->shape) * dn_dtype_size(v->dtype)))
            return snprintf(why, n, "const %s differs in contents", v->name), 0;
    }
    return 1;
}

/* A hand-written graph states every value's type; shape inference must
   agree with what it states.  (Operators not implemented yet are a note,
   not a failure.) */
static int consistent(const char *path, const char *text, size_t n)
{
    gm_diags *d = gm_diags_new();
    ir_graph *g = gm_graph_parse(path, text, n, d), *h = gm_graph_parse(path, text, n, d);
    gm_diags_free(d);
    if (!g || !h) {
        ir_free(g);
        ir_free(h);
        return 1;
    }
    dn_err e;
    int rc = 0;
    if (ir_infer(h, 0, NULL, &e)) {
        if (strstr(e.msg, "unsupported operator"))
            printf("note %s: shapes not checked: %s\n", path, e.msg);
        else {
            fprintf(stderr, "%s: shape inference fails: %s\n", path, e.msg);
            rc = 1;
        }
    } else
        for (int i = 0; i < g->nval; i++) {
            int j = ir_find_value(h, g->val[i].name);
            char a[128], b[128];
            if (j < 0 || g->val[i].kind != IR_VAL_NODE) continue;
            if (g->val[i].dtype != h->val[j].dtype ||
                !dn_shape_eq(&g->val[i].shape, &h->val[j].shape)) {
                fprintf(stderr, "%s: value %s is written %s%s but infers as %s%s\n", path,
                        g->val[i].name, dn_dtype_name(g->val[i].dtype),
                        dn_shape_str(&g->val[i].shape, a, sizeof a), dn_dtype_name(h->val[j].dtype),
                        dn_shape_str(&h->val[j].shape, b, sizeof b));
                rc = 1;
            }
        }
    ir_free(g);
    ir_free(h);
    return rc;
}

static int one(const char *path)
{
    dn_err e;
    gm_diags *d = gm_diags_new();
    ir_graph *g;
    size_t plen = strlen(path);
    if (plen > 5 && !strcmp(path + plen - 5, ".onnx")) {
        g = ox_load(path, &e);
        if (g && ir_infer(g, 1, NULL, &e)) {
            ir_free(g);
            g = NULL;
        }
        if (!g) fprintf(stderr, "%s: %s\n", path, e.msg);
    } else {
        g = gm_graph_read(path, d);
        if (!g) fprintf(stderr, "%s", gm_diags_text(d));
    }
    if (!g) {
        gm_diags_free(d);
        return 1;
    }
    size_t n1, n2;
    char *t1 = print(g, &n1);
    int bad_shapes = !(plen > 5 && !strcmp(path + plen - 5, ".onnx")) && consistent(path, t1, n1);
    ir_graph *h = gm_graph_parse(path, t1, n1, d);
    int rc = 0;
    if (!h) {
        fprintf(stderr, "%s: the printed text does not parse:\n%s", path, gm_diags_text(d));
        rc = 1;
    } else {
        char *t2 = print(h, &n2);
        char why[256];
        if (n1 != n2 || memcmp(t1, t2, n1)) {
            size_t k = 0;
            while (k < n1 && k < n2 && t1[k] == t2[k])
                k++;
            size_t ls = k;
            while (ls > 0 && t1[ls - 1] != '\n')
                ls--;
            fprintf(stderr,
                    "%s: print -> parse -> print differs at byte %zu:\n  first:  %.200s\n  second: "
                    "%.200s\n",
                    path, k, t1 + ls, t2 + ls);
            rc = 1;
        } else if (!same(g, h, why, sizeof why)) {
            fprintf(stderr, "%s: %s\n", path, why);
            rc = 1;
        } else
            printf("ok %s (%d nodes, %zu bytes of text)\n", path, ir_count_nodes(h, 0), n1);
        free(t2);
        ir_free(h);
    }
    free(t1);
    ir_free(g);
    gm_diags_free(d);
    return rc | bad_shapes;
}

int main(int argc, char **argv)
{
    int bad = 0;
    for (int i = 1; i < argc; i++)
        bad |= one(argv[i]);
    return bad;
}
