/* report_pipeline.c -- one model through the pipeline for `dnnf report`
 * and `dnnf batch`: load and fold, rewrite with the rules (the trace kept
 * in memory, for the page), and the DNNFusion plans of the graph before
 * and after rewriting, converted into plain arrays (rp_view) so that the
 * drawing and the page do not depend on fusion/.
 *
 * "Before" is the model as given after folding (ir_infer), not the raw
 * ONNX file: swin_t's 6261 exported nodes are mostly shape arithmetic
 * that folding removes, and a picture of them would teach nothing. */
#include "report.h"

#ifdef DNNF_HAVE_FUSION
#include "fusion.h"
#endif
#if defined(DNNF_HAVE_FUSION) && defined(DNNF_HAVE_CODEGEN)
#include "codegen.h"
#endif

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int rp_have_fusion(void)
{
#ifdef DNNF_HAVE_FUSION
    return 1;
#else
    return 0;
#endif
}

void rp_options_default(rp_options *o)
{
    memset(o, 0, sizeof *o);
    eg_limits_default(&o->limits);
    o->trace = 1;
}

double rp_fusion_rate(const rp_model *m, const rp_summary *s)
{
    return s->have && s->kernels ? (double)m->given / s->kernels : 0;
}

#if defined(DNNF_HAVE_FUSION) && defined(DNNF_HAVE_CODEGEN)
/* The OpenCL kernel of block b for the page (the CPU template family, the
   one every machine has through PoCL), or the emitter's reason for none:
   a block holding a composite (dnnf::Gelu) has no template until
   composites are expanded, which `dnnf codegen` does before planning. */
static void emit_kernel(const ir_graph *g, const fu_block *b, rp_block *r)
{
    cg_block cb = {.id = b->id,
                   .view = b->kind == FU_VIEW,
                   .nexec = b->nexec,
                   .exec = b->exec,
                   .ninputs = b->ninputs,
                   .inputs = b->inputs,
                   .nparams = b->nparams,
                   .params = b->params,
                   .noutputs = b->noutputs,
                   .outputs = b->outputs};
    cg_device dev = {.gpu = 0, .compute_units = 2, .local_mem = 32768};
    cg_kernel k;
    dn_err e;
    e.msg[0] = 0;
    memset(&k, 0, sizeof k);
    if (b->kind == FU_VIEW) {
        r->kernel_note = ir_strdup("a view block launches nothing");
        return;
    }
    for (int i = 0; i < b->nexec; i++) {
        const ir_node *n = &g->node[b->exec[i]];
        if (n->domain && !strcmp(n->domain, "dnnf")) {
            char msg[512];
            snprintf(msg, sizeof msg,
                     "it holds the composite dnnf::%s, which `dnnf codegen` expands into "
                     "standard operators before planning (its output has this block's kernels)",
                     n->op);
            r->kernel_note = ir_strdup(msg);
            return;
        }
    }
    int rc = cg_emit(g, &cb, &dev, &k, &e);
    if (rc == 1) {
        r->kernel = ir_strdup(k.source);
        cg_kernel_free(&k);
    } else
        r->kernel_note = ir_strdup(e.msg[0] ? e.msg : "no template covers this block");
}
#endif

#ifdef DNNF_HAVE_FUSION
/* The plan of v->g as plain arrays. */
static int plan_view(rp_view *v, const gm_rules *R, void **keep, dn_err *e)
{
    fu_limits L;
    fu_limits_default(&L);
    fu_plan *p = fu_plan_build(v->g, R, &L, NULL, e);
    if (!p) return -1;
    if (fu_plan_validate(p, R, e)) {
        dn_errpre(e, "invalid fusion plan: ");
        fu_plan_free(p);
        return -1;
    }
    const fu_mapping *map = fu_plan_mapping(p);
    v->nblocks = fu_plan_nblocks(p);
    v->blocks = calloc((size_t)v->nblocks + 1, sizeof *v->blocks);
    v->block_of = malloc(((size_t)v->g->nnode + 1) * sizeof *v->block_of);
    if (!v->blocks || !v->block_of) abort();
    for (int i = 0; i < v->g->nnode; i++)
        v->block_of[i] = fu_plan_block_of(p, i);
    for (int i = 0; i < v->nblocks; i++) {
        const fu_block *b = fu_plan_block(p, i);
        rp_block *r = &v->blocks[i];
        r->id = b->id;
        r->kind = b->kind == FU_LAYOUT ? RP_LAYOUT : b->kind == FU_VIEW ? RP_VIEW : RP_KERNEL;
        snprintf(r->type, sizeof r->type, "%s", fu_type_name(map, b->type));
        fu_block_ops(p, b, r->ops, sizeof r->ops);
        r->nnodes = b->nnodes;
        r->nodes = malloc(((size_t)b->nnodes + 1) * sizeof(int));
        r->nrecomp = b->nrecomp;
        r->recomp = malloc(((size_t)b->nrecomp + 1) * sizeof(int));
        if (!r->nodes || !r->recomp) abort();
        memcpy(r->nodes, b->nodes, (size_t)b->nnodes * sizeof(int));
        memcpy(r->recomp, b->recomp, (size_t)b->nrecomp * sizeof(int));
        r->flops = b->flops;
        r->bytes = b->bytes;
#if defined(DNNF_HAVE_CODEGEN)
        emit_kernel(v->g, b, r);
#endif
    }
    fu_summary s;
    fu_plan_summary(p, &s);
    v->s.have = 1;
    v->s.nodes = s.nodes;
    v->s.compute_ops = s.compute_ops;
    v->s.kernels = s.kernels;
    v->s.layout_kernels = s.layout_kernels;
    v->s.view_blocks = s.view_blocks;
    v->s.recomputed = s.recomputed;
    v->s.irs_bytes = (long long)s.irs_bytes;
    v->s.irs_bytes_unfused = (long long)s.irs_bytes_unfused;
    v->s.flops = s.flops;
    *keep = p;
    return 0;
}
#endif

/* Without fusion: no blocks, but the node counts of GUIDE §7 still hold. */
static void plain_view(rp_view *v)
{
    v->block_of = malloc(((size_t)v->g->nnode + 1) * sizeof *v->block_of);
    if (!v->block_of) abort();
    for (int i = 0; i < v->g->nnode; i++)
        v->block_of[i] = -1;
    v->s.nodes = ir_count_nodes(v->g, 0);
    v->s.compute_ops = ir_count_nodes(v->g, 1);
}

int rp_model_run(const rp_options *o, rp_model *m, dn_err *e)
{
    memset(m, 0, sizeof *m);
    m->path = o->model;
    double t0 = cli_now_ms();
    const char *paths[64];
    int n = o->nrules;
    for (int i = 0; i < n; i++)
        paths[i] = o->rules[i];
    if (!n) paths[n++] = cli_default_rules();
    gm_diags *d = gm_diags_new();
    m->rules = gm_rules_load(paths, n, d);
    if (!m->rules || gm_diags_count(d)) {
        dn_errf(e, "%s", gm_diags_count(d) ? gm_diags_text(d) : "cannot read the rules");
        size_t k = strlen(e->msg);
        if (k && e->msg[k - 1] == '\n') e->msg[k - 1] = 0;
        gm_diags_free(d);
        return -1;
    }
    gm_diags_free(d);
    cli_model_opts mo = {o->weights, o->random ? 1 : 0, o->seed, 1};
    cli_model_counts given;
    m->g = cli_load_model(o->model, &mo, &given, &m->fold, e);
    m->given = given.compute_ops;
    m->nodes_given = given.nodes;
    if (!m->g) return -1;
    double t1 = cli_now_ms();
    m->load_ms = t1 - t0;

    /* the trace goes to memory: the page embeds it */
    FILE *tf = NULL;
    if (o->trace && !(tf = open_memstream(&m->trace, &m->trace_len)))
        return dn_errf(e, "cannot allocate the trace buffer");
    int rc = eg_optimize(m->g, m->rules, &o->limits, tf, &m->res, e);
    if (tf) fclose(tf);
    if (rc) {
        dn_errpre(e, "%s: rewriting: ", m->path);
        return -1;
    }
    m->have_res = 1;
    m->h = m->res.graph;
    m->res.graph = NULL;
    double t2 = cli_now_ms();
    m->rewrite_ms = t2 - t1;

    m->before.g = m->g;
    m->after.g = m->h;
#ifdef DNNF_HAVE_FUSION
    if (plan_view(&m->before, m->rules, &m->plans[0], e)) {
        dn_errpre(e, "%s: fusion plan of the model as given: ", m->path);
        return -1;
    }
    if (plan_view(&m->after, m->rules, &m->plans[1], e)) {
        dn_errpre(e, "%s: fusion plan after rewriting: ", m->path);
        return -1;
    }
#else
    plain_view(&m->before);
    plain_view(&m->after);
#endif
    (void)plain_view;
    double t3 = cli_now_ms();
    m->fuse_ms = t3 - t2;
    /* GUIDE §7: load + rewrite + fuse (+ layout + codegen, not built yet) */
    m->optimize_ms = t3 - t0;
    return 0;
}

static void view_free(rp_view *v)
{
    for (int i = 0; i < v->nblocks; i++) {
        free(v->blocks[i].nodes);
        free(v->blocks[i].recomp);
        free(v->blocks[i].kernel);
        free(v->blocks[i].kernel_note);
    }
    free(v->blocks);
    free(v->block_of);
}

void rp_model_free(rp_model *m)
{
    view_free(&m->before);
    view_free(&m->after);
#ifdef DNNF_HAVE_FUSION
    fu_plan_free(m->plans[0]);
    fu_plan_free(m->plans[1]);
#endif
    if (m->have_res) eg_result_free(&m->res);
    free(m->trace);
    ir_free(m->h);
    ir_free(m->g);
    gm_rules_free(m->rules);
    memset(m, 0, sizeof *m);
}

int rp_check(rp_model *m, double *worst, double *scale, dn_err *e)
{
    const ir_graph *g = m->g;
    if (eg_expand_composites(m->h, m->rules, e)) return -1;
    int ni = g->ninput, no = g->noutput, rc = 0;
    dn_tensor *in = calloc((size_t)ni + 1, sizeof *in), *o1 = calloc((size_t)no + 1, sizeof *o1),
              *o2 = calloc((size_t)no + 1, sizeof *o2);
    if (!in || !o1 || !o2) abort();
    for (int i = 0; i < ni && !rc; i++)
        rc = rt_make_input(g, g->input[i], 1, &in[i], e);
    if (!rc && (rc = rt_reference_run(g, in, o1, NULL, e)))
        dn_errpre(e, "reference run of the model: ");
    if (!rc && (rc = rt_reference_run(m->h, in, o2, NULL, e)))
        dn_errpre(e, "reference run of the optimized graph: ");
    *worst = *scale = 0;
    for (int k = 0; k < no && !rc; k++) {
        if (!dn_shape_eq(&o1[k].shape, &o2[k].shape)) {
            rc = dn_errf(e, "output %s changed shape", g->val[g->output[k]].name);
            break;
        }
        int64_t n = dn_shape_numel(&o1[k].shape);
        for (int64_t i = 0; i < n; i++) {
            double a = dn_get(&o1[k], i), b = dn_get(&o2[k], i);
            if (fabs(a) > *scale) *scale = fabs(a);
            double dd = fabs(a - b);
            if (isnan(dd) && !(isnan(a) && isnan(b))) dd = INFINITY;
            if (dd > *worst) *worst = dd;
        }
    }
    for (int i = 0; i < ni; i++)
        dn_tensor_free(&in[i]);
    for (int k = 0; k < no; k++)
        dn_tensor_free(&o1[k]), dn_tensor_free(&o2[k]);
    free(in);
    free(o1);
    free(o2);
    return rc;
}
