/* rules.c -- `dnnf rules check FILE...` and `dnnf rules show [FILE...]`.
 *
 * check: parse and type-check every file (with its includes), then verify
 *   every rule numerically (grammar/verify.c).  Every problem is reported
 *   as `file:line:col: message` with the source line and a caret; exit 0
 *   when all is well, 1 on any error, 2 on a usage error.
 * show: the lattice and both tables; with no FILE, the standard library
 *   (rules/all.rules of the source tree, or the file named by $DNNF_RULES). */
#include "cli.h"
#include "grammar.h"

#include <stdlib.h>
#include <string.h>

static int check(int argc, char **argv)
{
    rl_options o;
    rl_options_default(&o);
    const char **files = calloc((size_t)argc + 1, sizeof *files);
    if (!files) return cli_usage("rules", "out of memory");
    int nfiles = 0, no_verify = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-v") || !strcmp(a, "--verbose"))
            o.verbose = 1;
        else if (!strcmp(a, "--no-verify"))
            no_verify = 1;
        else if (!strcmp(a, "--seed") && i + 1 < argc)
            o.seed = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(a, "--instances") && i + 1 < argc)
            o.instances = atoi(argv[++i]);
        else if (!strcmp(a, "--rule") && i + 1 < argc)
            o.only = argv[++i];
        else if (a[0] == '-' && a[1]) {
            free(files);
            return cli_usage("rules check", "unknown option %s", a);
        } else
            files[nfiles++] = a;
    }
    if (!nfiles) {
        free(files);
        return cli_usage("rules check", "which files?");
    }
    gm_diags *d = gm_diags_new();
    gm_rules *r = gm_rules_load(files, nfiles, d);
    rl_stats st = {0};
    int parse_errors = gm_diags_count(d);
    if (!parse_errors && !no_verify) rl_verify(r, &o, stdout, &st, d);
    fputs(gm_diags_text(d), stderr);
    int n = gm_diags_count(d);
    if (n)
        fprintf(stderr, "dnnf rules check: %d error%s\n", n, n == 1 ? "" : "s");
    else
        printf("%d operators, %d fusion entries, %d edge entries, %d rules: %s\n", gm_rules_nops(r),
               gm_rules_nfuse(r), gm_rules_nedges(r), gm_rules_nrules(r),
               no_verify ? "checked (not verified)" : "all verified");
    gm_rules_free(r);
    gm_diags_free(d);
    free(files);
    return n ? CLI_ERR : CLI_OK;
}

static int show(int argc, char **argv)
{
    const char *dflt[1] = {cli_default_rules()};
    const char **files = argc > 1 ? (const char **)(argv + 1) : dflt;
    int nfiles = argc > 1 ? argc - 1 : 1;
    gm_diags *d = gm_diags_new();
    gm_rules *r = gm_rules_load(files, nfiles, d);
    int n = gm_diags_count(d);
    fputs(gm_diags_text(d), stderr);
    if (!n) rl_show(r, stdout);
    gm_rules_free(r);
    gm_diags_free(d);
    return n ? CLI_ERR : CLI_OK;
}

int cli_rules(int argc, char **argv)
{
    if (argc < 2) return cli_usage("rules", "expected 'check FILE...' or 'show [FILE...]'");
    if (!strcmp(argv[1], "check")) return check(argc - 1, argv + 1);
    if (!strcmp(argv[1], "show")) return show(argc - 1, argv + 1);
    return cli_usage("rules", "unknown subcommand '%s'", argv[1]);
}
