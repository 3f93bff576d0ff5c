/* optimize.c -- `dnnf optimize MODEL`: equality saturation with the rules
 * (engine/saturate.c), the cheapest equivalent graph written as .graph or
 * .onnx, a trace, statistics, and (--check) the reference interpreter
 * run on the model before and after. */
#include "cli.h"
#include "grammar.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int parse_int(const char *s, int *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < -2147483647L || v > 2147483647L) return -1;
    *out = (int)v;
    return 0;
}

/* Runs g and h (same inputs) under the reference interpreter; prints the
   worst difference.  0 when within 1e-4 x max |output|. */
static int check(const ir_graph *g, ir_graph *h, const gm_rules *R, uint64_t seed, FILE *out)
{
    dn_err e;
    if (eg_expand_composites(h, R, &e)) return cli_fail(&e);
    int ni = g->ninput, no = g->noutput;
    dn_tensor *in = calloc((size_t)ni + 1, sizeof *in), *o1 = calloc((size_t)no + 1, sizeof *o1),
              *o2 = calloc((size_t)no + 1, sizeof *o2);
    if (!in || !o1 || !o2) abort();
    int rc = CLI_OK;
    for (int i = 0; i < ni && rc == CLI_OK; i++)
        if (rt_make_input(g, g->input[i], seed, &in[i], &e)) rc = cli_fail(&e);
    if (rc == CLI_OK && rt_reference_run(g, in, o1, NULL, &e)) {
        dn_errpre(&e, "reference run of the original graph: ");
        rc = cli_fail(&e);
    }
    if (rc == CLI_OK && rt_reference_run(h, in, o2, NULL, &e)) {
        dn_errpre(&e, "reference run of the optimized graph: ");
        rc = cli_fail(&e);
    }
    if (rc == CLI_OK) {
        double worst = 0, scale = 0;
        for (int k = 0; k < no; k++) {
            int64_t n = dn_shape_numel(&o1[k].shape);
            if (!dn_shape_eq(&o1[k].shape, &o2[k].shape)) {
                fprintf(stderr, "dnnf: check: output %s changed shape\n",
                        g->val[g->output[k]].name);
                rc = CLI_ERR;
                break;
            }
            for (int64_t i = 0; i < n; i++) {
                double a = dn_get(&o1[k], i), b = dn_get(&o2[k], i);
                if (fabs(a) > scale) scale = fabs(a);
                double d = fabs(a - b);
                if (isnan(d) && !(isnan(a) && isnan(b))) d = INFINITY;
                if (d > worst) worst = d;
            }
        }
        double tol = 1e-4 * (scale > 0 ? scale : 1);
        if (rc == CLI_OK) {
            fprintf(out,
                    "check: max abs error %.3g, tolerance %.3g (1e-4 x max |output| %.3g): %s\n",
                    worst, tol, scale, worst <= tol ? "ok" : "MISMATCH");
            if (!(worst <= tol)) rc = CLI_ERR;
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

static void print_stats(const eg_result *r, FILE *f)
{
    fprintf(f, "%5s %9s %8s %8s %7s %7s %9s %9s %9s %9s %6s\n", "iter", "matches", "applied",
            "rejected", "capped", "banned", "e-nodes", "e-classes", "search_ms", "apply_ms",
            "rebuild");
    for (int i = 0; i < r->niter; i++) {
        const eg_iter_stats *s = &r->iter[i];
        fprintf(f, "%5d %9d %8d %8d %7d %7d %9d %9d %9.2f %9.2f %6.2f\n", s->iter, s->matches,
                s->applied, s->rejected, s->capped, s->banned, s->nodes, s->classes, s->search_ms,
                s->apply_ms, s->rebuild_ms);
    }
    fprintf(f, "rules that fired (applied / guard-passing matches / bans):\n");
    for (int i = 0; i < r->nrules; i++) {
        const eg_rule_stats *x = &r->rules[i];
        if (!x->applied && !x->bans) continue;
        fprintf(f, "  %-28s %-5s %6d %8d %3d  %s\n", x->name, x->dir ? "<=" : "=>", x->applied,
                x->matches, x->bans, x->loc);
    }
}

/* "gelu_erf x12, transpose_pair x3" (rules applied, both directions summed) */
static void fired(const eg_result *r, char *buf, size_t n)
{
    size_t k = 0;
    buf[0] = 0;
    for (int i = 0; i < r->nrules; i++) {
        if (!r->rules[i].applied) continue;
        int dup = 0;
        for (int j = 0; j < i && !dup; j++)
            dup = r->rules[j].applied && !strcmp(r->rules[j].name, r->rules[i].name);
        if (dup) continue;
        int total = 0;
        for (int j = i; j < r->nrules; j++)
            if (!strcmp(r->rules[j].name, r->rules[i].name)) total += r->rules[j].applied;
        if (k < n)
            k += (size_t)snprintf(buf + k, n - k, "%s%s x%d", k ? ", " : "", r->rules[i].name,
                                  total);
    }
}

int cli_optimize(int argc, char **argv)
{
    const char *model = NULL, *out = NULL, *trace = NULL;
    const char *rules[64];
    int nrules = 0, stats = 0, do_check = 0, random = 0, json = 0;
    uint64_t seed = 0;
    eg_limits L;
    eg_limits_default(&L);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int need = i + 1 < argc;
        if (!strcmp(a, "-r") || !strcmp(a, "--rules")) {
            if (!need) return cli_usage("optimize", "%s needs a file", a);
            if (nrules == 64) return cli_usage("optimize", "too many rule files");
            rules[nrules++] = argv[++i];
        } else if (!strcmp(a, "-o")) {
            if (!need) return cli_usage("optimize", "-o needs a file");
            out = argv[++i];
        } else if (!strcmp(a, "--trace")) {
            if (!need) return cli_usage("optimize", "--trace needs a file");
            trace = argv[++i];
        } else if (!strcmp(a, "--max-iters") || !strcmp(a, "--max-nodes") ||
                   !strcmp(a, "--max-ms")) {
            int v;
            if (!need || parse_int(argv[i + 1], &v))
                return cli_usage("optimize", "%s needs a number", a);
            i++;
            if (a[6] == 'i')
                L.max_iters = v;
            else if (a[6] == 'n')
                L.max_nodes = v;
            else
                L.max_ms = v;
        } else if (!strcmp(a, "--stats"))
            stats = 1;
        else if (!strcmp(a, "--json"))
            json = 1;
        else if (!strcmp(a, "--check"))
            do_check = 1;
        else if (!strcmp(a, "--random-weights")) {
            random = 1;
            if (cli_opt_seed(argc, argv, &i, &seed)) return cli_usage("optimize", "bad seed");
        } else if (a[0] == '-' && a[1])
            return cli_usage("optimize", "unknown option %s", a);
        else if (model)
            return cli_usage("optimize", "one model at a time (got %s and %s)", model, a);
        else
            model = a;
    }
    if (!model) return cli_usage("optimize", "no model given");
    dn_err e;
    if (eg_limits_check(&L, &e)) return cli_usage("optimize", "%s", e.msg);
    if (out && !cli_ends_with(out, ".graph") && !cli_ends_with(out, ".onnx"))
        return cli_usage("optimize", "-o takes a .graph or .onnx file (got %s)", out);

    double t0 = cli_now_ms();
    gm_rules *R = cli_load_rules(rules, nrules);
    if (!R) return CLI_ERR;
    /* weights: for --check and for an ONNX output (which must hold them);
       a .graph output and the statistics need only the structure */
    cli_model_opts mo = {random || do_check || (out && cli_ends_with(out, ".onnx")),
                         random || do_check, seed, 1};
    ir_graph *g = cli_load_model(model, &mo, NULL, NULL, &e);
    if (!g) {
        gm_rules_free(R);
        return cli_fail(&e);
    }
    double tload = cli_now_ms();

    FILE *tf = NULL;
    if (trace && !(tf = fopen(trace, "w"))) {
        fprintf(stderr, "dnnf: %s: cannot create\n", trace);
        ir_free(g);
        gm_rules_free(R);
        return CLI_ERR;
    }
    eg_result res;
    int rc = CLI_OK;
    if (eg_optimize(g, R, &L, tf, &res, &e)) {
        dn_errpre(&e, "%s: ", model);
        rc = cli_fail(&e);
    }
    if (tf) fclose(tf);
    if (rc == CLI_OK) {
        double topt = cli_now_ms();
        char list[8192];
        fired(&res, list, sizeof list);
        if (json) {
            printf("{\"model\": ");
            cli_json_str(stdout, model);
            printf(
                ", \"compute_ops\": %d, \"compute_ops_after\": %d, \"flops\": %.0f, "
                "\"flops_after\": %.0f, "
                "\"bytes\": %.0f, \"bytes_after\": %.0f, \"iterations\": %d, \"enodes\": %d, "
                "\"eclasses\": %d, "
                "\"applied\": %d, \"stop\": \"%s\", \"optimize_ms\": %.1f, \"saturate_ms\": %.1f, "
                "\"extract_ms\": %.1f, \"load_ms\": %.1f, \"rules_fired\": ",
                res.nodes_before, res.nodes_after, res.flops_before, res.flops_after,
                res.bytes_before, res.bytes_after, res.iterations, res.enodes, res.eclasses,
                res.applied, eg_stop_name(res.stop), res.ms, res.saturate_ms, res.extract_ms,
                tload - t0);
            cli_json_str(stdout, list);
            printf("}\n");
        } else {
            printf("%s: compute ops %d -> %d, GFLOPs %.4g -> %.4g, MB moved %.4g -> %.4g\n", model,
                   res.nodes_before, res.nodes_after, res.flops_before / 1e9, res.flops_after / 1e9,
                   res.bytes_before / 1e6, res.bytes_after / 1e6);
            printf("  %d iteration%s, %d e-nodes, %d e-classes, stop: %s; %d rewrites; optimize "
                   "%.1f ms "
                   "(saturate %.1f, extract %.1f; load %.1f)\n",
                   res.iterations, res.iterations == 1 ? "" : "s", res.enodes, res.eclasses,
                   eg_stop_name(res.stop), res.applied, res.ms, res.saturate_ms, res.extract_ms,
                   tload - t0);
            printf("  rules fired: %s\n", list[0] ? list : "none");
        }
        if (stats) print_stats(&res, stdout);
        (void)topt;
        if (out) {
            if (cli_ends_with(out, ".graph")) {
                FILE *f = fopen(out, "w");
                if (!f) {
                    fprintf(stderr, "dnnf: %s: cannot create\n", out);
                    rc = CLI_ERR;
                } else {
                    ir_print(res.graph, f);
                    fclose(f);
                }
            } else if (eg_onnx_write(res.graph, out, 4096, &e))
                rc = cli_fail(&e);
        }
        if (rc == CLI_OK && do_check) rc = check(g, res.graph, R, 1, stdout);
        ir_free(res.graph);
        eg_result_free(&res);
    }
    ir_free(g);
    gm_rules_free(R);
    return rc;
}
