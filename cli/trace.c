/* trace.c -- `dnnf trace FILE [--rule R] [--node N]`: a rewrite trace
 * (dnnf optimize --trace) in plain text.  The reading is in
 * engine/trace.c, next to the writing, so the two cannot drift apart. */
#include "cli.h"

#include <string.h>

int cli_trace(int argc, char **argv)
{
    const char *file = NULL, *rule = NULL, *node = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--rule") || !strcmp(a, "--node")) {
            if (i + 1 >= argc) return cli_usage("trace", "%s needs a value", a);
            if (a[2] == 'r')
                rule = argv[++i];
            else
                node = argv[++i];
        } else if (a[0] == '-' && a[1])
            return cli_usage("trace", "unknown option %s", a);
        else if (file)
            return cli_usage("trace", "one trace file at a time");
        else
            file = a;
    }
    if (!file) return cli_usage("trace", "no trace file given");
    dn_err e;
    if (eg_trace_explain(file, rule, node, stdout, &e)) return cli_fail(&e);
    return CLI_OK;
}
