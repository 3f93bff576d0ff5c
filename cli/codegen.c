/* codegen.c -- `dnnf codegen MODEL -o DIR`: the OpenCL source of every
 * block (one readable .cl file per launching block, its comment naming the
 * ONNX nodes it fuses) and the plan (DIR/plan.txt: one line per block with
 * its kind, kernel, family and nodes; host blocks with the reason no
 * template covers them yet).  Needs an OpenCL device only for the device
 * class the templates are chosen for; nothing is compiled. */
#include "cli.h"

#if defined(DNNF_HAVE_FUSION) && defined(DNNF_HAVE_CODEGEN)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int cli_codegen(int argc, char **argv)
{
    const char *model = NULL, *outdir = NULL;
    int nofuse = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-o") && i + 1 < argc)
            outdir = argv[++i];
        else if (!strcmp(argv[i], "--no-fuse"))
            nofuse = 1;
        else if (!strcmp(argv[i], "--random-weights")) {
            uint64_t s;
            if (cli_opt_seed(argc, argv, &i, &s)) return cli_usage("codegen", "bad seed");
        } else if (argv[i][0] == '-')
            return cli_usage("codegen", "unknown option %s", argv[i]);
        else if (model)
            return cli_usage("codegen", "one model at a time");
        else
            model = argv[i];
    }
    if (!model || !outdir) return cli_usage("codegen", "wants MODEL -o DIR");
    cli_pipeline pl;
    /* constants' values matter to the kernels only as scalars folded into
       the text, so random weights give the same code */
    if (cli_pipeline_build(model, !nofuse, 1, 0, &pl)) {
        cli_pipeline_free(&pl);
        return CLI_ERR;
    }
    dn_err e;
    if (cli_mkdirs(outdir, &e)) {
        cli_pipeline_free(&pl);
        return cli_fail(&e);
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/plan.txt", outdir);
    FILE *plan = fopen(path, "w");
    if (!plan) {
        dn_errf(&e, "%s: %s", path, strerror(errno));
        cli_pipeline_free(&pl);
        return cli_fail(&e);
    }
    fprintf(plan, "# dnnf codegen %s%s: %d blocks\n# block kind kernel family : nodes\n", model,
            nofuse ? " --no-fuse" : "", pl.nb);
    cg_device dev = {0, 2, 0};
    int rc = CLI_OK, nk = 0, nh = 0, nv = 0;
    for (int i = 0; i < pl.nb && rc == CLI_OK; i++) {
        const cg_block *b = &pl.b[i];
        char nodes[8192];
        cg_block_nodes(pl.run, b, nodes, sizeof nodes);
        if (b->view) {
            fprintf(plan, "%d view - - : %s\n", b->id, nodes);
            nv++;
            continue;
        }
        cg_kernel k;
        int r = cg_emit(pl.run, b, &dev, &k, &e);
        if (r < 0) {
            rc = cli_fail(&e);
            break;
        }
        if (r == 0) {
            fprintf(plan, "%d host - - : %s   # %s\n", b->id, nodes, e.msg);
            nh++;
            continue;
        }
        nk++;
        fprintf(plan, "%d kernel %s %s : %s\n", b->id, k.name, k.family, nodes);
        snprintf(path, sizeof path, "%s/block%03d_%s.cl", outdir, b->id, k.name);
        FILE *f = fopen(path, "w");
        if (!f) {
            dn_errf(&e, "%s: %s", path, strerror(errno));
            rc = cli_fail(&e);
        } else {
            fputs(k.source, f);
            fclose(f);
        }
        cg_kernel_free(&k);
    }
    fclose(plan);
    if (rc == CLI_OK)
        printf("%s: %d blocks: %d kernels, %d host blocks, %d views; written to %s/\n", model,
               pl.nb, nk, nh, nv, outdir);
    cli_pipeline_free(&pl);
    return rc;
}
#else
int cli_codegen(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "dnnf codegen: this dnnf was built without tests/codegen/codegen.cmake\n");
    return CLI_ERR;
}
#endif
