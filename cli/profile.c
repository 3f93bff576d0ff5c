/* profile.c -- `dnnf profile MODEL... -o FILE`: DNNFusion's profile
 * database, measured on an OpenCL device (docs/fusion.md, "The profile
 * database").
 *
 * First the device's constants (cli/profile_time.c), which replace the
 * static model's defaults for this device.  Then each model is planned
 * the way `dnnf fuse` plans it -- as given, and after rewriting with the
 * rules -- with a database that times every block signature a `profile`
 * verdict asks for and does not have yet (the fused block and the two
 * apart), so the next `dnnf fuse --profile-db FILE` finds every one of
 * them.  The verdicts that differ from what the static model with its
 * default constants decided are printed (with -v, every measured one). */
#include "profile.h"

#if defined(DNNF_HAVE_FUSION) && defined(DNNF_HAVE_CODEGEN)
#include "grammar.h"

#include <stdlib.h>
#include <string.h>

/* Did the step go through timing (a profile verdict not stopped earlier
   by a constraint)? */
static int timed(const fu_step *s)
{
    return s->verdict == GM_PROFILE && (s->why == FU_WHY_TABLE || s->why == FU_WHY_SLOWER);
}

/* The static plan's step for the same pair, or NULL when the plans had
   diverged before it. */
static const fu_step *same_pair(const fu_plan *p, const fu_step *s)
{
    for (int i = 0; i < fu_plan_nsteps(p); i++) {
        const fu_step *t = fu_plan_step(p, i);
        if (timed(t) && t->node == s->node && t->from == s->from && t->dir == s->dir) return t;
    }
    return NULL;
}

/* Plans g with the measuring database and with the static model, prints
   each timed verdict; counts them. */
static int plan_pair(const ir_graph *g, const gm_rules *R, fu_profile *db, const char *what,
                     int verbose, int *nverdicts, int *nflips, int *ndiverged)
{
    dn_err e;
    fu_limits L;
    fu_limits_default(&L);
    fu_plan *ps = fu_plan_build(g, R, &L, NULL, &e);
    fu_plan *pm = ps ? fu_plan_build(g, R, &L, db, &e) : NULL;
    if (!pm) {
        fu_plan_free(ps);
        return cli_fail(&e);
    }
    for (int i = 0; i < fu_plan_nsteps(pm); i++) {
        const fu_step *s = fu_plan_step(pm, i);
        if (!timed(s)) continue;
        const fu_step *t = same_pair(ps, s);
        int fused = s->kind == FU_STEP_JOIN, flip = t && (t->kind == FU_STEP_JOIN) != fused;
        const ir_node *a = &g->node[s->from], *b = &g->node[s->node];
        if (s->dir == FU_DIR_PRED) {
            const ir_node *x = a;
            a = b;
            b = x;
        }
        (*nverdicts)++;
        *nflips += flip;
        *ndiverged += !t;
        if (!flip && !verbose) continue;
        printf("  %s: %s (%s) -> %s (%s): fused %.4g ms, apart %.4g ms (%s): %s; static model: "
               "%s%s\n",
               what, a->name, a->op, b->name, b->op, s->ms_fused, s->ms_apart,
               s->measured ? "measured" : "estimated", fused ? "fuse" : "apart",
               !t                        ? "not asked (the plans differ before)"
               : t->kind == FU_STEP_JOIN ? "fuse"
                                         : "apart",
               flip ? "  FLIPPED" : "");
    }
    fu_plan_free(pm);
    fu_plan_free(ps);
    return CLI_OK;
}

static int profile_model(const char *model, const gm_rules *R, fu_profile *db, int verbose)
{
    dn_err e;
    /* loaded exactly as `dnnf fuse` loads it, so that the graphs -- and the
       block signatures -- are the ones it plans */
    cli_model_opts mo = {0, 1, 0, 0};
    ir_graph *g = cli_load_model(model, &mo, NULL, NULL, &e);
    if (!g) return cli_fail(&e);
    int n = 0, flips = 0, diverged = 0;
    printf("%s:\n", model);
    int rc = plan_pair(g, R, db, "as given", verbose, &n, &flips, &diverged);
    eg_limits EL;
    eg_limits_default(&EL);
    eg_result res;
    if (rc == CLI_OK && eg_optimize(g, R, &EL, NULL, &res, &e)) {
        dn_errpre(&e, "%s: rewriting: ", model);
        rc = cli_fail(&e);
    } else if (rc == CLI_OK) {
        eg_result_free(&res);
        rc = plan_pair(res.graph, R, db, "after rewriting", verbose, &n, &flips, &diverged);
        ir_free(res.graph);
    }
    if (rc == CLI_OK)
        printf("  %d profile verdicts measured: %d flipped from the static model's defaults, %d "
               "where its plan had diverged before\n",
               n, flips, diverged);
    ir_free(g);
    return rc;
}

int cli_profile(int argc, char **argv)
{
    const char *out = NULL, *device = NULL;
    const char *models[256], *rules[64];
    int nmodel = 0, nrules = 0, runs = 20, verbose = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-o") || !strcmp(a, "--device") || !strcmp(a, "--runs") ||
            !strcmp(a, "-r") || !strcmp(a, "--rules")) {
            if (i + 1 >= argc) return cli_usage("profile", "%s needs an argument", a);
            const char *v = argv[++i];
            if (!strcmp(a, "-o"))
                out = v;
            else if (!strcmp(a, "--device"))
                device = v;
            else if (!strcmp(a, "--runs")) {
                char *end;
                runs = (int)strtol(v, &end, 10);
                if (*end || runs < 1) return cli_usage("profile", "--runs wants a positive number");
            } else if (nrules < 64)
                rules[nrules++] = v;
            else
                return cli_usage("profile", "too many rule files");
        } else if (!strcmp(a, "-v"))
            verbose = 1;
        else if (a[0] == '-' && a[1])
            return cli_usage("profile", "unknown option %s", a);
        else if (nmodel < 256)
            models[nmodel++] = a;
        else
            return cli_usage("profile", "too many models");
    }
    if (!nmodel) return cli_usage("profile", "no model given");
    if (!out) return cli_usage("profile", "no database given (-o FILE)");
    gm_rules *R = cli_load_rules(rules, nrules);
    if (!R) return CLI_ERR;
    dn_err e;
    rt_cl_opts o = {device, NULL};
    rt_cl_ctx *c = rt_cl_create(&o, &e);
    if (!c) {
        gm_rules_free(R);
        return cli_fail(&e);
    }
    pf_timer t;
    pf_timer_init(&t, c, R, runs);
    fu_device_model d;
    fu_profile *db = NULL;
    int rc = CLI_OK;
    if (pf_device_constants(&t, &d, &e) || !(db = fu_profile_open(out, &d, &e))) rc = cli_fail(&e);
    if (rc == CLI_OK) {
        fu_profile_set_device(db, &d);
        printf("device %s: launch %.1f us, copy bandwidth %.2f GB/s, matmul %.2f GFLOP/s (best of "
               "%d+ runs)\n",
               d.name, d.launch_us, d.gbytes_s, d.gflops_s, runs);
        int before = fu_profile_entries(db);
        fu_profile_set_timer(db, pf_time_nodes, &t);
        for (int i = 0; i < nmodel; i++)
            if (profile_model(models[i], R, db, verbose)) rc = CLI_ERR;
        if (fu_profile_save(db, &e)) rc = cli_fail(&e);
        printf("%s: %d measured blocks for %s (%d new, %d timed now; %d could not run)\n", out,
               fu_profile_entries(db), d.name, fu_profile_entries(db) - before, t.blocks, t.failed);
    }
    fu_profile_free(db);
    rt_cl_free(c);
    gm_rules_free(R);
    return rc;
}

#else
int cli_profile(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "dnnf profile: this dnnf was built without fusion/ or the code generator\n");
    return CLI_ERR;
}
#endif
