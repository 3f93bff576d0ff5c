/* common.c -- what several subcommands share: the clock, reading a model
 * (ONNX or `.graph`) up to folded shapes, and reading the rules (the
 * standard library when none are given).  One place, so that `optimize`,
 * `fuse`, `layout` and `report` read a model and find the rules the same
 * way. */
#include "cli.h"
#include "grammar.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

double cli_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int cli_ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !strcmp(s + a - b, suf);
}

const char *cli_default_rules(void)
{
    const char *env = getenv("DNNF_RULES");
    return env && env[0] ? env : DNNF_RULES_DIR "/all.rules";
}

gm_rules *cli_load_rules(const char *const *paths, int n)
{
    const char *dflt = cli_default_rules();
    if (n == 0) {
        paths = &dflt;
        n = 1;
    }
    gm_diags *d = gm_diags_new();
    gm_rules *R = gm_rules_load(paths, n, d);
    if (!R || gm_diags_count(d)) {
        fprintf(stderr, "%s", gm_diags_text(d));
        if (!gm_diags_count(d)) fprintf(stderr, "dnnf: cannot read the rules\n");
        gm_rules_free(R);
        R = NULL;
    }
    gm_diags_free(d);
    return R;
}

/* A graph the operator registry cannot infer because it holds composites
   (dnnf::Gelu, ...): the e-graph infers those through their bodies. */
static int has_composites(const ir_graph *g)
{
    for (int i = 0; i < g->nnode; i++)
        if (!g->node[i].dead && !op_lookup(g->node[i].domain, g->node[i].op)) return 1;
    return 0;
}

ir_graph *cli_load_model(const char *path, const cli_model_opts *o, cli_model_counts *given,
                         ir_fold_stats *st, dn_err *e)
{
    ir_graph *g;
    int graph = cli_ends_with(path, ".graph");
    if (graph) {
        gm_diags *d = gm_diags_new();
        g = gm_graph_read(path, d);
        if (!g) {
            dn_errf(e, "%s", gm_diags_text(d));
            size_t n = strlen(e->msg);
            if (n && e->msg[n - 1] == '\n') e->msg[n - 1] = 0;
        }
        gm_diags_free(d);
        if (!g) return NULL;
        /* hand-written graphs declare weights without values: mark them as
           missing external data, so that weights fill them the way they
           fill the shared models' */
        if (o->weights)
            for (int v = 0; v < g->nval; v++)
                if (g->val[v].kind == IR_VAL_CONST && !g->val[v].data && !g->val[v].ext_location) {
                    g->val[v].ext_location = ir_strdup("graph.weights");
                    g->val[v].ext_length = -1;
                }
    } else if (!(g = ox_load(path, e)))
        return NULL;
    if (given) {
        given->nodes = ir_count_nodes(g, 0);
        given->compute_ops = ir_count_nodes(g, 1);
    }
    int rc = o->weights ? ox_load_weights(g, graph ? 2 : o->random, o->seed, e) : 0;
    if (rc == 0 && ir_infer(g, 1, st, e) && !(o->composites && has_composites(g))) rc = -1;
    if (rc) {
        if (strncmp(e->msg, path, strlen(path)) != 0) dn_errpre(e, "%s: ", path);
        ir_free(g);
        return NULL;
    }
    return g;
}

int cli_mkdirs(const char *path, dn_err *e)
{
    char buf[4096];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof buf) return dn_errf(e, "%s: bad folder name", path);
    memcpy(buf, path, n + 1);
    /* every prefix ending before a '/', then the whole path */
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != 0) continue;
        char c = buf[i];
        buf[i] = 0;
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return dn_errf(e, "%s: cannot create folder: %s", buf, strerror(errno));
        buf[i] = c;
    }
    return 0;
}
