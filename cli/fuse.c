/* fuse.c -- `dnnf fuse MODEL`: the pipeline up to fusion, and the report.
 *
 * Folding (ir_infer), then DNNFusion's plan (fusion/plan.c) for the model
 * as given; then rewriting with the rules (eg_optimize) and the plan of
 * the rewritten graph.  Prints the blocks (nodes, mapping type, inputs,
 * outputs) and GUIDE §7's summary for both; `--json` prints one object
 * with the summary of the whole pipeline (and the as-given one nested).
 * `--check` runs each plan block by block under the reference interpreter
 * (runtime/blocks.c) and compares with the unfused reference run. */
#include "cli.h"

#ifdef DNNF_HAVE_FUSION
#include "fusion.h"
#include "grammar.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Max abs difference between two output sets, and the scale (max |a|). */
static int compare(const ir_graph *g, const dn_tensor *a, const dn_tensor *b, double *worst,
                   double *scale)
{
    *worst = *scale = 0;
    for (int k = 0; k < g->noutput; k++) {
        if (!dn_shape_eq(&a[k].shape, &b[k].shape)) return -1;
        int64_t n = dn_shape_numel(&a[k].shape);
        for (int64_t i = 0; i < n; i++) {
            double x = dn_get(&a[k], i), y = dn_get(&b[k], i);
            if (fabs(x) > *scale) *scale = fabs(x);
            double d = fabs(x - y);
            if (isnan(d) && !(isnan(x) && isnan(y))) d = INFINITY;
            if (d > *worst) *worst = d;
        }
    }
    return 0;
}

/* Runs plan p block by block and compares with ref; prints one line. */
static int check_plan(const fu_plan *p, const gm_rules *R, const dn_tensor *in,
                      const dn_tensor *ref, const ir_graph *g0, const char *what, FILE *out)
{
    const ir_graph *g = fu_plan_graph(p);
    dn_err e;
    if (g->noutput != g0->noutput || g->ninput != g0->ninput) {
        fprintf(stderr, "dnnf: check (%s): the graph's inputs or outputs changed\n", what);
        return CLI_ERR;
    }
    dn_tensor *o = calloc((size_t)g->noutput + 1, sizeof *o);
    if (!o) abort();
    rt_block_stats st;
    int rc = CLI_OK;
    if (rt_blocks_run(p, R, in, o, &st, &e)) {
        dn_errpre(&e, "check (%s): block-by-block run: ", what);
        rc = cli_fail(&e);
    } else {
        double worst, scale;
        if (compare(g0, ref, o, &worst, &scale)) {
            fprintf(stderr, "dnnf: check (%s): an output changed shape\n", what);
            rc = CLI_ERR;
        } else {
            double tol = 1e-4 * (scale > 0 ? scale : 1);
            fprintf(out,
                    "check (%s): %d blocks run one by one, IRS %.2f MB; max abs error %.3g, "
                    "tolerance %.3g: %s\n",
                    what, st.blocks, st.irs_bytes / 1e6, worst, tol,
                    worst <= tol ? "ok" : "MISMATCH");
            if (!(worst <= tol)) rc = CLI_ERR;
        }
        for (int k = 0; k < g->noutput; k++)
            dn_tensor_free(&o[k]);
    }
    free(o);
    return rc;
}

static void print_summary(const char *what, const fu_summary *s, int given, FILE *f)
{
    int k = s->kernels ? s->kernels : 1;
    fprintf(
        f,
        "%s: compute ops %d (%d planned), kernels %d (%d layout; %d view blocks launch nothing), "
        "fusion rate %.2fx, IRS %.2f MB -> %.2f MB, recomputed nodes %d, lone elementwise kernels "
        "%d\n",
        what, given, s->compute_ops, s->kernels, s->layout_kernels, s->view_blocks,
        (double)given / k, s->irs_bytes_unfused / 1e6, s->irs_bytes / 1e6, s->recomputed,
        s->lone_elementwise);
}

/* irs_unfused: the IRS of the model as given, one kernel per node (the
   "before" of GUIDE §7, whichever graph was planned). */
static void json_summary(const fu_summary *s, int given, int64_t irs_unfused, FILE *f)
{
    int k = s->kernels ? s->kernels : 1;
    fprintf(
        f,
        "\"nodes\": %d, \"compute_ops\": %d, \"compute_ops_planned\": %d, \"kernels\": %d, "
        "\"fusion_rate\": %.3f, \"layout_kernels\": %d, \"view_blocks\": %d, \"irs_bytes\": %lld, "
        "\"irs_bytes_unfused\": %lld, \"irs_bytes_unfused_planned\": %lld, \"recomputed\": %d, "
        "\"lone_elementwise\": %d, \"flops\": %.0f",
        s->nodes, given, s->compute_ops, s->kernels, (double)given / k, s->layout_kernels,
        s->view_blocks, (long long)s->irs_bytes, (long long)irs_unfused,
        (long long)s->irs_bytes_unfused, s->recomputed, s->lone_elementwise, s->flops);
}

/* Plans g, validates the plan; prints it unless quiet.  NULL after an error. */
static fu_plan *plan(const ir_graph *g, const gm_rules *R, const fu_limits *L, fu_profile *db,
                     const char *what, int canonical, int steps, int quiet, FILE *out)
{
    dn_err e;
    fu_plan *p = fu_plan_build(g, R, L, db, &e);
    if (!p) {
        cli_fail(&e);
        return NULL;
    }
    if (fu_plan_validate(p, R, &e)) {
        dn_errpre(&e, "invalid fusion plan (%s): ", what);
        cli_fail(&e);
        fu_plan_free(p);
        return NULL;
    }
    if (canonical)
        fu_plan_print_canonical(p, steps, out);
    else if (!quiet) {
        fprintf(out, "== %s: %d blocks\n", what, fu_plan_nblocks(p));
        fu_plan_print(p, steps, out);
    }
    return p;
}

int cli_fuse(int argc, char **argv)
{
    const char *model = NULL, *dbpath = NULL;
    const char *rules[64];
    int nrules = 0, json = 0, steps = 0, canonical = 0, do_check = 0, random = 0, rewrite = 1,
        quiet = 0;
    uint64_t seed = 0;
    fu_limits L;
    fu_limits_default(&L);
    eg_limits EL;
    eg_limits_default(&EL);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-r") || !strcmp(a, "--rules")) {
            if (i + 1 >= argc) return cli_usage("fuse", "%s needs a file", a);
            if (nrules == 64) return cli_usage("fuse", "too many rule files");
            rules[nrules++] = argv[++i];
        } else if (!strcmp(a, "--json"))
            json = 1;
        else if (!strcmp(a, "--steps"))
            steps = 1;
        else if (!strcmp(a, "--plan"))
            canonical = 1;
        else if (!strcmp(a, "--summary"))
            quiet = 1;
        else if (!strcmp(a, "--check"))
            do_check = 1;
        else if (!strcmp(a, "--no-rewrite"))
            rewrite = 0;
        else if (!strcmp(a, "--no-recompute"))
            L.recompute = 0;
        else if (!strcmp(a, "--profile-db")) {
            if (i + 1 >= argc) return cli_usage("fuse", "--profile-db needs a file");
            dbpath = argv[++i];
        } else if (!strcmp(a, "--max-args") || !strcmp(a, "--max-ms")) {
            char *end;
            if (i + 1 >= argc) return cli_usage("fuse", "%s needs a number", a);
            long v = strtol(argv[++i], &end, 10);
            if (*end || v <= 0) return cli_usage("fuse", "%s needs a positive number", a);
            if (a[6] == 'a')
                L.max_args = (int)v;
            else
                EL.max_ms = (double)v;
        } else if (!strcmp(a, "--random-weights")) {
            random = 1;
            if (cli_opt_seed(argc, argv, &i, &seed)) return cli_usage("fuse", "bad seed");
        } else if (a[0] == '-' && a[1])
            return cli_usage("fuse", "unknown option %s", a);
        else if (model)
            return cli_usage("fuse", "one model at a time (got %s and %s)", model, a);
        else
            model = a;
    }
    if (!model) return cli_usage("fuse", "no model given");
    if (canonical) rewrite = 0; /* the canonical listing is of the graph as written */
    double t0 = cli_now_ms();
    gm_rules *R = cli_load_rules(rules, nrules);
    if (!R) return CLI_ERR;
    dn_err e;
    int given = 0;
    cli_model_opts mo = {do_check, random ? 2 : 1, seed, 0};
    cli_model_counts counts;
    ir_graph *g = cli_load_model(model, &mo, &counts, NULL, &e);
    given = counts.compute_ops;
    if (!g) {
        gm_rules_free(R);
        return cli_fail(&e);
    }
    fu_profile *db = fu_profile_open(dbpath, NULL, &e);
    if (!db) {
        ir_free(g);
        gm_rules_free(R);
        return cli_fail(&e);
    }
    FILE *out = json ? stderr : stdout;
    int rc = CLI_OK;
    ir_graph *h = NULL;
    fu_plan *p0 = NULL, *p1 = NULL;
    fu_summary s0, s1;
    p0 = plan(g, R, &L, db, "as given", canonical, steps, quiet || json, out);
    if (!p0) rc = CLI_ERR;
    if (rc == CLI_OK) {
        fu_plan_summary(p0, &s0);
        if (!canonical && !json) print_summary("as given", &s0, given, out);
    }
    if (rc == CLI_OK && rewrite) {
        eg_result res;
        if (eg_optimize(g, R, &EL, NULL, &res, &e)) {
            dn_errpre(&e, "%s: rewriting: ", model);
            rc = cli_fail(&e);
        } else {
            h = res.graph;
            eg_result_free(&res);
            p1 = plan(h, R, &L, db, "after rewriting", 0, steps, quiet || json, out);
            if (!p1)
                rc = CLI_ERR;
            else {
                fu_plan_summary(p1, &s1);
                if (!json) print_summary("after rewriting", &s1, given, out);
            }
        }
    }
    double optimize_ms = cli_now_ms() - t0; /* load + fold + rewrite + fuse (GUIDE §7) */
#ifdef DNNF_HAVE_LAYOUT
    /* Which data-movement operators survive as kernels of their own, and why
       (the SmartMem pass over the last plan: issue 7's report). */
    if (rc == CLI_OK && !json && !canonical && (p1 || p0) &&
        cli_layout_of_plan(p1 ? p1 : p0, p1 ? h : g, R, out, &e)) {
        dn_errpre(&e, "%s: layout: ", model);
        rc = cli_fail(&e);
    }
#endif
    if (rc == CLI_OK && !json && !canonical) {
        int measured, estimated;
        fu_profile_counts(db, &measured, &estimated);
        if (measured + estimated)
            fprintf(out,
                    "profile verdicts: %d settled by measurements (%s), %d by the static model\n",
                    measured, dbpath ? dbpath : "no database", estimated);
    }
    if (rc == CLI_OK && do_check) {
        int ni = g->ninput, no = g->noutput;
        dn_tensor *in = calloc((size_t)ni + 1, sizeof *in),
                  *ref = calloc((size_t)no + 1, sizeof *ref);
        if (!in || !ref) abort();
        for (int i = 0; i < ni && rc == CLI_OK; i++)
            if (rt_make_input(g, g->input[i], 1, &in[i], &e)) rc = cli_fail(&e);
        if (rc == CLI_OK && rt_reference_run(g, in, ref, NULL, &e)) {
            dn_errpre(&e, "reference run: ");
            rc = cli_fail(&e);
        } else if (rc == CLI_OK) {
            rc = check_plan(p0, R, in, ref, g, "as given", out);
            if (p1) {
                int rc1 = check_plan(p1, R, in, ref, g, "after rewriting", out);
                if (rc == CLI_OK) rc = rc1;
            }
            for (int k = 0; k < no; k++)
                dn_tensor_free(&ref[k]);
        }
        for (int i = 0; i < ni; i++)
            dn_tensor_free(&in[i]);
        free(in);
        free(ref);
    }
    if (json) {
        const fu_summary *s = p1 ? &s1 : &s0;
        printf("{\"model\": ");
        cli_json_str(stdout, model);
        printf(", ");
        if (p0) {
            json_summary(s, given, s0.irs_bytes_unfused, stdout);
            printf(", \"rewritten\": %s, \"optimize_ms\": %.1f", p1 ? "true" : "false",
                   optimize_ms);
            printf(", \"as_given\": {");
            json_summary(&s0, given, s0.irs_bytes_unfused, stdout);
            printf("}");
            printf(", ");
        }
        printf("\"status\": \"%s\"}\n", rc == CLI_OK ? "ok" : "error");
    }
    if (rc == CLI_OK && fu_profile_save(db, &e)) rc = cli_fail(&e);
    fu_plan_free(p0);
    fu_plan_free(p1);
    fu_profile_free(db);
    ir_free(h);
    ir_free(g);
    gm_rules_free(R);
    return rc;
}

#else
int cli_fuse(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr,
            "dnnf fuse: this dnnf was built without fusion/ (include fusion/fusion.cmake)\n");
    return CLI_ERR;
}
#endif
