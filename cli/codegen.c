/* codegen.c -- `dnnf codegen MODEL -o DIR`: the OpenCL source of every
 * block (one readable .cl file per launching block, its comment naming the
 * ONNX nodes it fuses) and the plan (DIR/plan.txt: one line per block with
 * its kind, kernel, family and nodes; host blocks with the reason no
 * template covers them yet): the blocks exactly as `dnnf run` executes
 * them (cli/pipeline.c).  --no-layout turns the layout pass's read-through
 * off; --forbid OP,... fails when a launching block is made only of those
 * operators.  Nothing is compiled and no device is needed. */
#include "cli.h"

#if defined(DNNF_HAVE_FUSION) && defined(DNNF_HAVE_CODEGEN)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int cli_codegen(int argc, char **argv)
{
    const char *model = NULL, *outdir = NULL, *forbid = NULL;
    int nofuse = 0, nolayout = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-o") && i + 1 < argc)
            outdir = argv[++i];
        else if (!strcmp(argv[i], "--no-fuse"))
            nofuse = 1;
        else if (!strcmp(argv[i], "--no-layout"))
            nolayout = 1;
        else if (!strcmp(argv[i], "--forbid") && i + 1 < argc)
            forbid = argv[++i];
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
    if (cli_pipeline_build(model, !nofuse, !nolayout, 1, 0, &pl)) {
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
    fprintf(plan,
            "# dnnf codegen %s%s%s: %d blocks (%d split at their anchor, %d by output size, %d "
            "data-movement blocks read through, %d written through; layout plan: %d -> %d layout "
            "kernels)\n"
            "# block kind kernel family : nodes\n",
            model, nofuse ? " --no-fuse" : "", nolayout ? " --no-layout" : "", pl.nb,
            pl.prep.anchor_splits, pl.prep.size_splits, pl.prep.read_through, pl.prep.write_through,
            pl.prep.plan_before, pl.prep.plan_after);
    const cg_device dev = pl.dev; /* the class the blocks were prepared for */
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
        fprintf(plan, "%d kernel %s %s : %s", b->id, k.name, k.family, nodes);
        for (int o = 0; b->wdest && o < b->noutputs; o++)
            if (b->wdest[o] >= 0)
                fprintf(plan, "   # writes %s into %s at %s", pl.run->val[b->outputs[o]].name,
                        pl.run->val[b->wdest[o]].name, b->wmap[o]);
        fputc('\n', plan);
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
        printf("%s: %d blocks: %d kernels, %d host blocks, %d views, %d layout kernels (layout "
               "pass %s); written to %s/\n",
               model, pl.nb, nk, nh, nv, pl.prep.layout_kernels, pl.layout ? "on" : "off", outdir);
    if (rc == CLI_OK && pl.prep.layout_error[0])
        printf("  layout pass skipped: %s\n", pl.prep.layout_error);
    if (rc == CLI_OK && forbid) rc = cli_pipeline_forbid(&pl, forbid);
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
