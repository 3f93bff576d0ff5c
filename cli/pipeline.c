/* pipeline.c -- the whole pipeline up to executable blocks, shared by
 * `dnnf run`, `dnnf codegen` and `dnnf bench`: load and fold, rewrite
 * with the rules (eg_optimize), expand composites into standard operators
 * (so every node has a template or a reference operator), plan the fusion
 * blocks (fusion/), and list them as the blocks that run
 * (rt_blocks_prepare: split where a block's shape needs it, data movement
 * read through per the layout plan).  Unfused: one block per node of the
 * model as given, not rewritten; the layout pass still reads its data
 * movement through unless it is off too (`--no-fuse --no-layout`, the
 * baseline where every operator is a kernel): unfused with the pass on is
 * SmartMem's own comparison, the layout pass alone against a framework
 * that launches every transformation. */
#include "cli.h"

#if defined(DNNF_HAVE_FUSION) && defined(DNNF_HAVE_CODEGEN)
#include "codegen.h"
#include "fusion.h"
#include "grammar.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* A hand-written .graph (docs/graph-format.md): its weights have no values,
   so they are filled like missing external data (random, seeded). */
static ir_graph *load_graph_text(const char *path, uint64_t seed)
{
    dn_err e;
    gm_diags *d = gm_diags_new();
    ir_graph *g = gm_graph_read(path, d);
    if (!g) fprintf(stderr, "%s", gm_diags_text(d));
    gm_diags_free(d);
    if (!g) return NULL;
    for (int v = 0; v < g->nval; v++)
        if (g->val[v].kind == IR_VAL_CONST && !g->val[v].data && !g->val[v].ext_location) {
            g->val[v].ext_location = ir_strdup("graph.weights");
            g->val[v].ext_length = -1;
        }
    if (ox_load_weights(g, 2, seed, &e) || ir_infer(g, 1, NULL, &e)) {
        dn_errpre(&e, "%s: ", path);
        cli_fail(&e);
        ir_free(g);
        return NULL;
    }
    return g;
}

/* The fusion plan's blocks (or one per node) as they run: split where
   their shape needs it, data movement read through (runtime/split.c). */
static int prepare(const char *path, cli_pipeline *pl)
{
    dn_err e;
    cg_block *b;
    int nb;
    int flags = (pl->layout ? RT_PREP_LAYOUT : 0) | (pl->p ? RT_PREP_FUSED : 0);
    if (rt_blocks_prepare(pl->run, pl->R, pl->b0, pl->nb0, &pl->dev, flags, &b, &nb, &pl->prep,
                          &e)) {
        dn_errpre(&e, "%s: ", path);
        return cli_fail(&e);
    }
    if (pl->b) rt_blocks_free(pl->b, pl->nb);
    pl->b = b;
    pl->nb = nb;
    return CLI_OK;
}

int cli_pipeline_for_device(cli_pipeline *pl, const char *path, rt_cl_ctx *c)
{
    cg_device d;
    rt_device_class(c, &d);
    if (d.gpu == pl->dev.gpu &&
        (!d.gpu || (d.compute_units == pl->dev.compute_units && d.local_mem == pl->dev.local_mem)))
        return CLI_OK;
    pl->dev = d;
    return prepare(path, pl);
}

int cli_pipeline_forbid(const cli_pipeline *pl, const char *ops)
{
    int bad = 0;
    for (int i = 0; i < pl->nb; i++)
        if (rt_block_only_ops(pl->run, &pl->b[i], ops)) {
            char nodes[600];
            cg_block_nodes(pl->run, &pl->b[i], nodes, sizeof nodes);
            fprintf(stderr, "dnnf: block %d launches only %s: %s\n", pl->b[i].id, ops, nodes);
            bad++;
        }
    if (bad) fprintf(stderr, "dnnf: %d block(s) made only of forbidden operators (%s)\n", bad, ops);
    return bad ? CLI_ERR : CLI_OK;
}

/* With the layout pass on, the permuted layouts it selects for activations
   become graph structure before blocks are formed (cli_apply_layouts), so
   that a producer writes what its readers read best. */
static int apply_layouts(const char *path, cli_pipeline *pl, ir_graph *g, int fused)
{
    if (!pl->layout) return CLI_OK;
    ly_options o;
    ly_options_default(&o);
    return cli_apply_layouts(path, g, pl->R, &o, fused, &pl->layouts_applied);
}

int cli_pipeline_build(const char *path, int fuse, int layout, int random, uint64_t seed,
                       cli_pipeline *pl)
{
    memset(pl, 0, sizeof *pl);
    /* the device class `dnnf codegen` writes for, until a run's device
       says otherwise (cli_pipeline_for_device) */
    pl->dev = getenv("DNNF_FORCE_GPU_TEMPLATES")
                  ? (cg_device){1, 132, 49152, 1} /* as an H100: images over buffers */
                  : (cg_device){0, 2, 0, 0};
    dn_err e;
    double t0 = now_ms();
    size_t len = strlen(path);
    if (len > 6 && !strcmp(path + len - 6, ".graph"))
        pl->g = load_graph_text(path, seed);
    else
        pl->g = cli_load(path, 1, random, seed, NULL);
    if (!pl->g) return CLI_ERR;
    pl->compute_ops = ir_count_nodes(pl->g, 1);
    pl->layout = layout;
    /* the rules: the identities, the lattice and the layout groups */
    char rules[4096];
    const char *env = getenv("DNNF_RULES");
    snprintf(rules, sizeof rules, "%s", env && env[0] ? env : DNNF_RULES_DIR "/all.rules");
    const char *paths[1] = {rules};
    gm_diags *d = gm_diags_new();
    pl->R = gm_rules_load(paths, 1, d);
    if (!pl->R || gm_diags_count(d)) {
        fprintf(stderr, "%s", gm_diags_text(d));
        gm_diags_free(d);
        return CLI_ERR;
    }
    gm_diags_free(d);
    if (!fuse) {
        pl->run = pl->g;
        if (apply_layouts(path, pl, pl->g, 0)) return CLI_ERR;
        if (rt_blocks_per_node(pl->g, &pl->b0, &pl->nb0, &e)) return cli_fail(&e);
        if (prepare(path, pl)) return CLI_ERR;
        pl->optimize_ms = now_ms() - t0;
        return CLI_OK;
    }
    eg_limits L;
    eg_limits_default(&L);
    eg_result res;
    if (eg_optimize(pl->g, pl->R, &L, NULL, &res, &e)) {
        dn_errpre(&e, "%s: rewriting: ", path);
        return cli_fail(&e);
    }
    pl->h = res.graph;
    eg_result_free(&res);
    if (eg_expand_composites(pl->h, pl->R, &e) || ir_infer(pl->h, 1, NULL, &e)) {
        dn_errpre(&e, "%s: expanding composites: ", path);
        return cli_fail(&e);
    }
    if (apply_layouts(path, pl, pl->h, 1)) return CLI_ERR;
    fu_limits FL;
    fu_limits_default(&FL);
    pl->p = fu_plan_build(pl->h, pl->R, &FL, NULL, &e);
    if (!pl->p) return cli_fail(&e);
    if (fu_plan_validate(pl->p, pl->R, &e)) {
        dn_errpre(&e, "%s: invalid fusion plan: ", path);
        return cli_fail(&e);
    }
    rt_blocks_from_plan(pl->p, &pl->b0, &pl->nb0);
    pl->run = pl->h;
    if (prepare(path, pl)) return CLI_ERR;
    pl->optimize_ms = now_ms() - t0;
    if (pl->h->ninput != pl->g->ninput || pl->h->noutput != pl->g->noutput) {
        fprintf(stderr, "dnnf: %s: rewriting changed the graph's inputs or outputs\n", path);
        return CLI_ERR;
    }
    return CLI_OK;
}

void cli_pipeline_free(cli_pipeline *pl)
{
    if (pl->b) rt_blocks_free(pl->b, pl->nb);
    if (pl->b0) rt_blocks_free(pl->b0, pl->nb0);
    fu_plan_free(pl->p);
    ir_free(pl->h);
    ir_free(pl->g);
    gm_rules_free(pl->R);
    memset(pl, 0, sizeof *pl);
}

#endif
