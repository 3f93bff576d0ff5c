/* weights.c -- `dnnf weights MODEL -o OUT.onnx [--random-weights [SEED]]`:
 * a runnable copy of a model whose weights are absent.  The copy keeps the
 * graph byte for byte and points every external initializer into
 * OUT.weights, so ONNX Runtime and dnnf read the same numbers: that is how
 * the reference interpreter is cross-checked (tests/ort/). */
#include "cli.h"

#include <string.h>

int cli_weights(int argc, char **argv)
{
    const char *path = NULL, *out = NULL;
    int random = 0;
    uint64_t seed = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-o") && i + 1 < argc)
            out = argv[++i];
        else if (!strcmp(argv[i], "--random-weights")) {
            random = 1;
            if (cli_opt_seed(argc, argv, &i, &seed)) return cli_usage("weights", "bad seed");
        } else if (argv[i][0] == '-')
            return cli_usage("weights", "unknown option %s", argv[i]);
        else
            path = argv[i];
    }
    if (!path || !out) return cli_usage("weights", "want MODEL -o OUT.onnx");
    dn_err e;
    ir_graph *g = ox_load(path, &e);
    if (!g) return cli_fail(&e);
    int rc = ox_load_weights(g, random, seed, &e) || ox_save_weights_copy(path, g, out, &e);
    ir_free(g);
    if (rc) return cli_fail(&e);
    printf("wrote %s\n", out);
    return CLI_OK;
}
