/* report.c -- `dnnf report MODEL -o FILE.html [-r RULES]... [--random-weights [SEED]]
 *              [--max-draw N] [--max-ms N]`
 *
 * One self-contained HTML page about one model: the graph before and
 * after rewriting drawn by Graphviz with the fusion blocks coloured by
 * mapping type, the rewrite trace to step through, per-rule statistics and
 * the fusion summary of GUIDE §7 (report_html.c says what is on it). */
#include "report.h"

#include <stdlib.h>
#include <string.h>

/* Boxes drawn one per node up to this many; above it blocks are collapsed
   (report_dot.c).  Graphviz lays out 400 boxes in about a second. */
#define DEFAULT_MAX_DRAW 400

int cli_report(int argc, char **argv)
{
    rp_options o;
    rp_options_default(&o);
    const char *out = NULL;
    int max_draw = DEFAULT_MAX_DRAW;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int need = i + 1 < argc;
        if (!strcmp(a, "-r") || !strcmp(a, "--rules")) {
            if (!need) return cli_usage("report", "%s needs a file", a);
            if (o.nrules == 64) return cli_usage("report", "too many rule files");
            o.rules[o.nrules++] = argv[++i];
        } else if (!strcmp(a, "-o")) {
            if (!need) return cli_usage("report", "-o needs a file");
            out = argv[++i];
        } else if (!strcmp(a, "--max-draw") || !strcmp(a, "--max-ms")) {
            char *end;
            if (!need) return cli_usage("report", "%s needs a number", a);
            long v = strtol(argv[++i], &end, 10);
            if (*end || v <= 0 || v > 1000000)
                return cli_usage("report", "%s needs a positive number", a);
            if (a[6] == 'd')
                max_draw = (int)v;
            else
                o.limits.max_ms = (double)v;
        } else if (!strcmp(a, "--random-weights")) {
            o.weights = o.random = 1;
            if (cli_opt_seed(argc, argv, &i, &o.seed)) return cli_usage("report", "bad seed");
        } else if (a[0] == '-' && a[1])
            return cli_usage("report", "unknown option %s", a);
        else if (o.model)
            return cli_usage("report", "one model at a time (got %s and %s)", o.model, a);
        else
            o.model = a;
    }
    if (!o.model) return cli_usage("report", "no model given");
    if (!out) return cli_usage("report", "no output given (-o FILE.html)");
    dn_err e;
    rp_model m;
    int rc = CLI_OK;
    dn_err warn;
    warn.msg[0] = 0;
    if (rp_model_run(&o, &m, &e) || rp_report_write(&m, out, max_draw, &warn, &e))
        rc = cli_fail(&e);
    if (warn.msg[0])
        fprintf(stderr, "dnnf report: warning: the page has no pictures: %s\n", warn.msg);
    if (rc == CLI_OK && m.after.s.have)
        printf("%s: wrote %s (%d rewrites; compute ops %d -> %d, kernels %d -> %d)\n", o.model, out,
               m.res.applied, m.before.s.compute_ops, m.after.s.compute_ops, m.before.s.kernels,
               m.after.s.kernels);
    else if (rc == CLI_OK)
        printf("%s: wrote %s (%d rewrites; compute ops %d -> %d; no fusion plan in this build)\n",
               o.model, out, m.res.applied, m.before.s.compute_ops, m.after.s.compute_ops);
    rp_model_free(&m);
    return rc;
}
