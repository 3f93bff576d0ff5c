/* info.c -- `dnnf info MODEL [--json]`: what a model is made of, before and
 * after shape and constant inference.  Needs no weights: a model whose
 * external data is absent is described from its dims alone. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The name is copied: folding frees the nodes the "before" histogram saw. */
typedef struct {
    char op[64];
    int n;
} op_count;

/* Operator histogram, sorted by count then name; returns the entry count. */
static int histogram(const ir_graph *g, op_count *h, int cap)
{
    int k = 0;
    for (int i = 0; i < g->nnode; i++) {
        const ir_node *n = &g->node[i];
        if (n->dead) continue;
        int j = 0;
        while (j < k && strcmp(h[j].op, n->op)) j++;
        if (j == k) {
            if (k == cap) continue;
            snprintf(h[k].op, sizeof h[k].op, "%s", n->op);
            h[k++].n = 0;
        }
        h[j].n++;
    }
    for (int a = 1; a < k; a++)
        for (int b = a; b > 0 && (h[b].n > h[b - 1].n ||
                                  (h[b].n == h[b - 1].n && strcmp(h[b].op, h[b - 1].op) < 0));
             b--) {
            op_count t = h[b];
            h[b] = h[b - 1];
            h[b - 1] = t;
        }
    return k;
}

/* 2 per multiply-add for MatMul/Gemm/Conv, 1 per output element elsewhere;
   -1 when a shape is unknown. */
static int64_t graph_flops(const ir_graph *g)
{
    int64_t total = 0;
    for (int i = 0; i < g->nnode; i++) {
        const ir_node *n = &g->node[i];
        if (n->dead || n->nout < 1 || n->out[0] < 0) continue;
        const dn_shape *o = &g->val[n->out[0]].shape;
        int64_t out = dn_shape_numel(o);
        if (out < 0) return -1;
        if ((!strcmp(n->op, "MatMul") || !strcmp(n->op, "Gemm")) && n->nin >= 2 && n->in[0] >= 0) {
            const dn_shape *a = &g->val[n->in[0]].shape;
            int64_t k = a->rank >= 1 ? a->d[a->rank - 1] : 1;
            if (!strcmp(n->op, "Gemm") && ir_attr_int(n, "transA", 0)) k = a->d[0];
            total += 2 * out * k;
        } else if (!strcmp(n->op, "Conv") && n->nin >= 2 && n->in[1] >= 0) {
            const dn_shape *w = &g->val[n->in[1]].shape;
            int64_t k = 1;
            for (int d = 1; d < w->rank; d++) k *= w->d[d];
            total += 2 * out * k;
        } else
            total += out;
    }
    return total;
}

static void print_values(FILE *f, const ir_graph *g, const int *ids, int n, int json)
{
    char buf[256];
    for (int i = 0; i < n; i++) {
        const ir_value *v = &g->val[ids[i]];
        if (json) {
            fprintf(f, "%s{\"name\": ", i ? ", " : "");
            cli_json_str(f, v->name);
            fprintf(f, ", \"dtype\": \"%s\", \"shape\": [", dn_dtype_name(v->dtype));
            for (int k = 0; k < v->shape.rank; k++)
                fprintf(f, "%s%lld", k ? ", " : "", (long long)v->shape.d[k]);
            fprintf(f, "]}");
        } else
            fprintf(f, "  %-24s %s%s\n", v->name, dn_dtype_name(v->dtype),
                    dn_shape_str(&v->shape, buf, sizeof buf));
    }
}

static void print_hist(FILE *f, const op_count *h, int k, int json)
{
    for (int i = 0; i < k; i++) {
        if (json) {
            fprintf(f, "%s", i ? ", " : "");
            cli_json_str(f, h[i].op);
            fprintf(f, ": %d", h[i].n);
        } else
            fprintf(f, "  %-22s %5d\n", h[i].op, h[i].n);
    }
}

int cli_info(int argc, char **argv)
{
    const char *path = NULL;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            json = 1;
        else if (argv[i][0] == '-')
            return cli_usage("info", "unknown option %s", argv[i]);
        else if (path)
            return cli_usage("info", "one model at a time");
        else
            path = argv[i];
    }
    if (!path) return cli_usage("info", "missing MODEL");
    dn_err e;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ir_graph *g = ox_load(path, &e);
    if (!g) return cli_fail(&e);
    op_count before[256], after[256];
    int nb = histogram(g, before, 256);
    int nodes0 = ir_count_nodes(g, 0), compute0 = ir_count_nodes(g, 1);
    ir_fold_stats st;
    if (ir_infer(g, 1, &st, &e)) {
        dn_errpre(&e, "%s: ", path);
        ir_free(g);
        return cli_fail(&e);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
    int na = histogram(g, after, 256);
    int nodes1 = ir_count_nodes(g, 0), compute1 = ir_count_nodes(g, 1);
    int64_t params = ir_param_bytes(g), flops = graph_flops(g);
    FILE *f = stdout;
    if (json) {
        fprintf(f, "{\"model\": ");
        cli_json_str(f, path);
        fprintf(f,
                ", \"status\": \"ok\", \"nodes\": %d, \"compute_ops\": %d, \"nodes_folded\": %d, "
                "\"compute_ops_folded\": %d, \"folded\": %d, \"identities_removed\": %d, "
                "\"unknown_dims\": %d, \"param_bytes\": %lld, \"flops\": %lld, \"opset\": %lld, "
                "\"fold_ms\": %.3f, \"inputs\": [",
                nodes0, compute0, nodes1, compute1, st.folded, st.identities, st.unknown_dims,
                (long long)params, (long long)flops, (long long)g->opset, ms);
        print_values(f, g, g->input, g->ninput, 1);
        fprintf(f, "], \"outputs\": [");
        print_values(f, g, g->output, g->noutput, 1);
        fprintf(f, "], \"ops_before\": {");
        print_hist(f, before, nb, 1);
        fprintf(f, "}, \"ops_folded\": {");
        print_hist(f, after, na, 1);
        fprintf(f, "}}\n");
    } else {
        fprintf(f, "model        %s (opset %lld)\n", path, (long long)g->opset);
        fprintf(f, "nodes        %d -> %d after folding (compute ops %d -> %d)\n", nodes0, nodes1,
                compute0, compute1);
        fprintf(f, "folded       %d nodes into constants, %d Identity removed\n", st.folded,
                st.identities);
        fprintf(f, "parameters   %.2f MB\n", params / 1e6);
        fprintf(f, "flops        %.3f G\n", flops / 1e9);
        fprintf(f, "unknown dims %d tensors\n", st.unknown_dims);
        fprintf(f, "inputs:\n");
        print_values(f, g, g->input, g->ninput, 0);
        fprintf(f, "outputs:\n");
        print_values(f, g, g->output, g->noutput, 0);
        fprintf(f, "operators before folding:\n");
        print_hist(f, before, nb, 0);
        fprintf(f, "operators after folding:\n");
        print_hist(f, after, na, 0);
    }
    ir_free(g);
    return CLI_OK;
}
