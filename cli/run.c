/* run.c -- `dnnf run MODEL`: execute a model and write its outputs as .npy
 * files.  By default the model is rewritten, fused and run as generated
 * OpenCL kernels (cli/pipeline.c, runtime/execute.c); --no-fuse runs one
 * kernel per node of the model as given; --no-layout keeps every
 * data-movement block a copy kernel (the layout pass's read-through off);
 * --forbid OP,... fails before running when a launching block is made only
 * of those operators; --reference runs the reference
 * interpreter alone; --check runs it beside the OpenCL run and prints the
 * worst error per output (exit 1 beyond 1e-3 x max |output|, or R x max
 * |output| with --tolerance R, which implies --check).  Inputs come
 * from --input NAME=FILE.npy or, when not given, are generated
 * deterministically (rt_make_input). */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_FEEDS 64

static void summary(const char *name, const dn_tensor *t)
{
    char buf[256];
    int64_t n = dn_shape_numel(&t->shape);
    double lo = INFINITY, hi = -INFINITY, sum = 0;
    int64_t bad = 0;
    for (int64_t i = 0; i < n; i++) {
        double v = dn_get(t, i);
        if (!isfinite(v)) {
            bad++;
            continue;
        }
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
        sum += v;
    }
    printf("  %-24s %s%s  min %.6g  max %.6g  mean %.6g", name, dn_dtype_name(t->dtype),
           dn_shape_str(&t->shape, buf, sizeof buf), n ? lo : 0, n ? hi : 0,
           n > bad ? sum / (double)(n - bad) : 0);
    if (bad) printf("  non-finite %lld", (long long)bad);
    printf("\n");
}

int cli_run(int argc, char **argv)
{
    const char *path = NULL, *outdir = NULL;
    const char *feed_name[MAX_FEEDS], *feed_file[MAX_FEEDS];
    const char *device = NULL, *forbid = NULL;
    int nfeed = 0, reference = 0, random = 0, nofuse = 0, nolayout = 0, verbose = 0;
    double check = 0; /* the tolerance, relative to max |output|; 0: no check */
    uint64_t seed = 0, input_seed = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--reference"))
            reference = 1;
        else if (!strcmp(a, "--no-fuse"))
            nofuse = 1;
        else if (!strcmp(a, "--no-layout"))
            nolayout = 1;
        else if (!strcmp(a, "--forbid") && i + 1 < argc)
            forbid = argv[++i];
        else if (!strcmp(a, "--check")) {
            if (!check) check = 1e-3;
        } else if (!strcmp(a, "--tolerance") && i + 1 < argc) {
            char *end;
            check = strtod(argv[++i], &end);
            if (*end || !(check > 0)) return cli_usage("run", "--tolerance wants a number > 0");
        } else if (!strcmp(a, "-v") || !strcmp(a, "--verbose"))
            verbose |= 1;
        else if (!strcmp(a, "--verify-blocks"))
            verbose |= 2;
        else if (!strcmp(a, "--device") && i + 1 < argc)
            device = argv[++i];
        else if (!strcmp(a, "--random-weights")) {
            random = 1;
            if (cli_opt_seed(argc, argv, &i, &seed)) return cli_usage("run", "bad seed");
        } else if (!strcmp(a, "--input-seed") && i + 1 < argc)
            input_seed = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(a, "--output-dir") && i + 1 < argc)
            outdir = argv[++i];
        else if (!strcmp(a, "--input") && i + 1 < argc) {
            char *eq = strchr(argv[++i], '=');
            if (!eq || eq == argv[i]) return cli_usage("run", "--input wants NAME=FILE.npy");
            if (nfeed == MAX_FEEDS) return cli_usage("run", "too many --input");
            *eq = 0;
            feed_name[nfeed] = argv[i];
            feed_file[nfeed++] = eq + 1;
        } else if (a[0] == '-')
            return cli_usage("run", "unknown option %s", a);
        else if (path)
            return cli_usage("run", "one model at a time");
        else
            path = a;
    }
    if (!path) return cli_usage("run", "missing MODEL");
    if (reference && (nofuse || nolayout || forbid || check || device))
        return cli_usage("run", "--reference runs the interpreter alone (no --no-fuse, "
                                "--no-layout, --forbid, --check, --device)");
#if defined(DNNF_HAVE_FUSION) && defined(DNNF_HAVE_CODEGEN)
    cli_pipeline pl;
    ir_graph *g;
    if (!reference) {
        if (cli_pipeline_build(path, !nofuse, !nolayout, random, seed, &pl) ||
            (forbid && cli_pipeline_forbid(&pl, forbid))) {
            cli_pipeline_free(&pl);
            return CLI_ERR;
        }
        g = pl.g;
    } else
        g = cli_load(path, 1, random, seed, NULL);
#else
    (void)nofuse;
    (void)nolayout;
    (void)forbid;
    (void)check;
    (void)device;
    (void)verbose;
    if (!reference)
        return cli_usage("run", "this dnnf was built without the OpenCL executor "
                                "(tests/codegen/codegen.cmake): only --reference");
    ir_graph *g = cli_load(path, 1, random, seed, NULL);
#endif
    if (!g) return CLI_ERR;
    dn_err e;
    int rc = CLI_OK;
    dn_tensor *in = calloc((size_t)g->ninput + 1, sizeof *in);
    dn_tensor *out = calloc((size_t)g->noutput + 1, sizeof *out);
    if (!in || !out) abort();
    for (int k = 0; k < nfeed && rc == CLI_OK; k++) {
        int found = 0;
        for (int i = 0; i < g->ninput; i++)
            if (!strcmp(g->val[g->input[i]].name, feed_name[k])) found = 1;
        if (!found) {
            dn_errf(&e, "%s: the model has no input named '%s'", path, feed_name[k]);
            rc = cli_fail(&e);
        }
    }
    for (int i = 0; i < g->ninput && rc == CLI_OK; i++) {
        const char *name = g->val[g->input[i]].name;
        int k = 0;
        while (k < nfeed && strcmp(feed_name[k], name))
            k++;
        int err = k < nfeed ? rt_npy_read(feed_file[k], &in[i], &e)
                            : rt_make_input(g, g->input[i], input_seed, &in[i], &e);
        if (err) rc = cli_fail(&e);
    }
    rt_ref_stats st;
#if defined(DNNF_HAVE_FUSION) && defined(DNNF_HAVE_CODEGEN)
    if (!reference && rc == CLI_OK)
        rc = cli_run_opencl(&pl, path, device, nofuse, check, verbose, in, out);
    else
#endif
        if (rc == CLI_OK && rt_reference_run(g, in, out, &st, &e)) {
        dn_errpre(&e, "%s: ", path);
        rc = cli_fail(&e);
    } else if (rc == CLI_OK)
        printf("reference run of %s: %d nodes, %.1f ms, peak intermediates %.1f MB\n", path,
               st.nodes, st.ms, st.peak_bytes / 1e6);
    if (rc == CLI_OK) {
        if (outdir && cli_mkdirs(outdir, &e)) rc = cli_fail(&e);
        for (int i = 0; i < g->noutput && rc == CLI_OK; i++) {
            const char *name = g->val[g->output[i]].name;
            summary(name, &out[i]);
            if (!outdir) continue;
            char file[1024], safe[512];
            cli_out_name(name, safe, sizeof safe);
            snprintf(file, sizeof file, "%s/%s.npy", outdir, safe);
            if (rt_npy_write(file, &out[i], &e)) rc = cli_fail(&e);
        }
    }
    for (int i = 0; i < g->ninput; i++)
        dn_tensor_free(&in[i]);
    for (int i = 0; i < g->noutput; i++)
        dn_tensor_free(&out[i]);
    free(in);
    free(out);
#if defined(DNNF_HAVE_FUSION) && defined(DNNF_HAVE_CODEGEN)
    if (!reference)
        cli_pipeline_free(&pl);
    else
#endif
        ir_free(g);
    return rc;
}
