/* bench.c -- `dnnf bench MODEL...`: GUIDE §7's latency (median of at
 * least 20 runs after 3 warm-ups), kernels, host blocks, peak memory, and
 * a roofline figure (achieved GFLOP/s and GB/s, from event times) for the
 * kernels that take the most time.  Numbers are printed, never asserted.
 * --no-layout gives the layout pass's "off" side (data-movement blocks run
 * as copy kernels), to print beside the default.  The timed runs launch
 * without profiling events; the per-kernel figures come from 5 more runs
 * with them. */
#include "cli.h"

#if defined(DNNF_HAVE_FUSION) && defined(DNNF_HAVE_CODEGEN)
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef struct top {
    const char *name, *family;
    double ms, flops, bytes; /* per inference */
    int launches;
    /* of the blocks that launch this kernel, those made only of data
       movement (layout kernels): one kernel text can serve both, e.g. an
       identity Slice and a zero Pad */
    int nblocks, ncopy;
} top;

static int cmp_top(const void *a, const void *b)
{
    const top *x = a, *y = b;
    return x->ms < y->ms ? 1 : x->ms > y->ms ? -1 : 0;
}

/* Kernel time per template family, so a benchmark shows where the time goes
 * (matrix products against copies and elementwise launches) and how far the
 * summed event times are from the wall-clock median: that gap is launch and
 * host overhead, which no kernel-level change recovers. */
static void print_families(const top *tp, int n, double sum, double med)
{
    const char *fam[16];
    double ms[16];
    int cnt[16], nf = 0;
    for (int i = 0; i < n; i++) {
        const char *f = tp[i].family ? tp[i].family : "?";
        int k = 0;
        while (k < nf && strcmp(fam[k], f))
            k++;
        if (k == nf) {
            if (nf == 16) continue;
            fam[nf] = f, ms[nf] = 0, cnt[nf++] = 0;
        }
        ms[k] += tp[i].ms;
        cnt[k] += tp[i].launches;
    }
    printf("  kernel time %.3f ms of the %.3f ms median:", sum, med);
    for (int k = 0; k < nf; k++)
        printf("%s %s %.3f (%d launches)", k ? "," : "", fam[k], ms[k], cnt[k]);
    printf("\n");
}

/* Summed event time of the kernels per inference. */
static double kernel_ms(const top *tp, int n)
{
    double sum = 0;
    for (int i = 0; i < n; i++)
        sum += tp[i].ms;
    return sum;
}

/* Event time of the layout (copy) kernels per inference, and their launches. */
static double copy_ms(const top *tp, int n, int *launches)
{
    double ms = 0;
    *launches = 0;
    for (int i = 0; i < n; i++)
        if (tp[i].ncopy) {
            /* a kernel's launches cost alike: its blocks run the same text */
            ms += tp[i].ms * tp[i].ncopy / tp[i].nblocks;
            *launches += tp[i].launches * tp[i].ncopy / tp[i].nblocks;
        }
    return ms;
}

/* What the layout kernels cost, and so the most that removing them can give
 * (Amdahl: with the copies free, the run takes the rest of the kernel
 * time).  Both from the profiled runs: the copies' share of the summed
 * kernel time, not of the event-free median, because on NVIDIA's OpenCL
 * event times of short kernels come out longer than their share of it (an
 * unfused swin_t: 4.8 ms of kernel time in a 3.6 ms median).  On the
 * pass's "off" side this bounds "the layout pass alone" before the "on"
 * side is measured: the pass can do better only by making other kernels
 * faster. */
static void print_copies(const top *tp, int n, double sum)
{
    int nl;
    double ms = copy_ms(tp, n, &nl);
    if (nl == 0) return;
    printf("  layout kernels %.3f ms in %d launches (%.1f%% of the kernel time); without them at "
           "most %.2fx faster\n",
           ms, nl, 100 * ms / (sum > 0 ? sum : 1), sum > ms ? sum / (sum - ms) : 0);
}

static int bench_one(const char *model, const char *device, int nofuse, int nolayout, int runs,
                     int ntopmax, int json, int first)
{
    cli_pipeline pl;
    dn_err e;
    if (cli_pipeline_build(model, !nofuse, !nolayout, 1, 1, &pl)) {
        cli_pipeline_free(&pl);
        if (json) printf("%s{\"model\": \"%s\", \"status\": \"error\"}", first ? "" : ",\n", model);
        return CLI_ERR;
    }
    rt_cl_opts o = {device, NULL};
    rt_cl_ctx *c = rt_cl_create(&o, &e);
    rt_exec *x = c && !cli_pipeline_for_device(&pl, model, c)
                     ? rt_exec_new(c, pl.run, pl.b, pl.nb, &e)
                     : NULL;
    const ir_graph *g = pl.g;
    dn_tensor *in = calloc((size_t)g->ninput + 1, sizeof *in),
              *out = calloc((size_t)g->noutput + 1, sizeof *out);
    if (!in || !out) abort();
    int rc = x ? CLI_OK : CLI_ERR;
    for (int i = 0; i < g->ninput && rc == CLI_OK; i++)
        if (rt_make_input(g, g->input[i], 1, &in[i], &e)) rc = CLI_ERR;
    double *t = calloc((size_t)runs, sizeof *t);
    if (!t) abort();
    /* 3 warm-ups with profiling events (a failing kernel is named), the
       timed runs without (rt_cl_set_timing: events cost host time per
       launch), then nprof runs with events for the per-kernel figures */
    int nprof = runs < 5 ? runs : 5;
    for (int r = -3; r < runs + nprof && rc == CLI_OK; r++) {
        rt_cl_set_timing(c, r < 0 || r >= runs);
        if (r == runs) rt_cl_reset_kernel_stats(c);
        double t0 = now_ms();
        if (rt_exec_run(x, in, out, &e)) rc = CLI_ERR;
        if (r >= 0 && r < runs) t[r] = now_ms() - t0;
        for (int k = 0; k < g->noutput; k++)
            dn_tensor_free(&out[k]);
    }
    if (c) rt_cl_set_timing(c, 1);
    if (rc != CLI_OK) {
        dn_errpre(&e, "%s: ", model);
        cli_fail(&e);
        if (json) printf("%s{\"model\": \"%s\", \"status\": \"error\"}", first ? "" : ",\n", model);
    } else {
        qsort(t, (size_t)runs, sizeof *t, cmp_d);
        double med = runs % 2 ? t[runs / 2] : (t[runs / 2 - 1] + t[runs / 2]) / 2;
        rt_exec_stats st;
        rt_exec_get_stats(x, &st);
        rt_cl_stats cs;
        rt_cl_get_stats(c, &cs);
        top *tp = calloc((size_t)cs.nkernel + 1, sizeof *tp);
        if (!tp) abort();
        for (int i = 0; i < cs.nkernel; i++) {
            tp[i].name = cs.kernel[i].name;
            tp[i].ms = cs.kernel[i].total_ms / nprof;
            tp[i].launches = cs.kernel[i].launches / nprof;
            for (int b = 0; b < rt_exec_nblocks(x); b++) {
                const rt_exec_block *bi = rt_exec_block_info(x, b);
                if (bi->kind == 1 && !strcmp(bi->kernel, tp[i].name)) {
                    tp[i].flops += bi->flops;
                    tp[i].bytes += bi->bytes;
                    tp[i].family = bi->family;
                    tp[i].nblocks++;
                    tp[i].ncopy += bi->copy;
                }
            }
        }
        qsort(tp, (size_t)cs.nkernel, sizeof *tp, cmp_top);
        int ntop = cs.nkernel < ntopmax ? cs.nkernel : ntopmax;
        double ksum = kernel_ms(tp, cs.nkernel);
        if (json) {
            printf("%s{\"model\": ", first ? "" : ",\n");
            cli_json_str(stdout, model);
            printf(", \"fused\": %s, \"layout\": %s, \"layout_kernels\": %d, \"device\": ",
                   nofuse ? "false" : "true", pl.layout ? "true" : "false", pl.prep.layout_kernels);
            cli_json_str(stdout, rt_cl_device(c)->name);
            int ncopy;
            double cms = copy_ms(tp, cs.nkernel, &ncopy);
            printf(", \"kernel_ms\": %.3f, \"layout_kernel_ms\": %.3f, "
                   "\"layout_kernel_launches\": %d",
                   ksum, cms, ncopy);
            printf(", \"compute_ops\": %d, \"kernels\": %d, \"host_blocks\": %d, \"views\": %d, "
                   "\"fusion_rate\": %.3f, \"peak_bytes\": %lld, \"param_bytes\": %lld, "
                   "\"latency_ms\": %.3f, \"min_ms\": %.3f, \"runs\": %d, \"host_ms\": %.3f, "
                   "\"optimize_ms\": %.1f, \"top_kernels\": [",
                   pl.compute_ops, st.kernels, st.host_blocks, st.views,
                   (double)pl.compute_ops /
                       (st.kernels + st.host_blocks ? st.kernels + st.host_blocks : 1),
                   (long long)st.peak_bytes, (long long)st.param_bytes, med, t[0], runs, st.host_ms,
                   pl.optimize_ms);
            for (int i = 0; i < ntop; i++) {
                printf("%s{\"name\": \"%s\", \"family\": \"%s\", \"ms\": %.3f, \"gflops_s\": %.2f, "
                       "\"gbytes_s\": %.2f}",
                       i ? ", " : "", tp[i].name, tp[i].family ? tp[i].family : "?", tp[i].ms,
                       tp[i].ms > 0 ? tp[i].flops / tp[i].ms / 1e6 : 0,
                       tp[i].ms > 0 ? tp[i].bytes / tp[i].ms / 1e6 : 0);
            }
            printf("], \"status\": \"ok\"}");
        } else {
            printf("%s (%s, layout pass %s) on %s: median %.2f ms (min %.2f, %d runs after 3 "
                   "warm-ups)\n",
                   model, nofuse ? "unfused" : "fused", pl.layout ? "on" : "off",
                   rt_cl_device(c)->name, med, t[0], runs);
            printf("  %d compute ops -> %d kernels + %d host blocks (%.1f ms of host work), %d "
                   "views, %d layout kernels; peak activations %.2f MB; optimize %.0f ms\n",
                   pl.compute_ops, st.kernels, st.host_blocks, st.host_ms, st.views,
                   pl.prep.layout_kernels, st.peak_bytes / 1e6, pl.optimize_ms);
            print_families(tp, cs.nkernel, ksum, med);
            print_copies(tp, cs.nkernel, ksum);
            for (int i = 0; i < ntop; i++)
                printf("  top kernel %-22s %-11s %7.3f ms/inference  %7.2f GFLOP/s  %6.2f GB/s\n",
                       tp[i].name, tp[i].family ? tp[i].family : "?", tp[i].ms,
                       tp[i].ms > 0 ? tp[i].flops / tp[i].ms / 1e6 : 0,
                       tp[i].ms > 0 ? tp[i].bytes / tp[i].ms / 1e6 : 0);
        }
        free(tp);
    }
    free(t);
    for (int i = 0; i < g->ninput; i++)
        dn_tensor_free(&in[i]);
    free(in);
    free(out);
    rt_exec_free(x);
    rt_cl_free(c);
    cli_pipeline_free(&pl);
    return rc;
}

int cli_bench(int argc, char **argv)
{
    const char *device = NULL;
    int json = 0, nofuse = 0, nolayout = 0, runs = 20, ntop = 5, nmodel = 0, rc = CLI_OK;
    const char *models[256];
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            json = 1;
        else if (!strcmp(argv[i], "--no-fuse"))
            nofuse = 1;
        else if (!strcmp(argv[i], "--no-layout"))
            nolayout = 1;
        else if (!strcmp(argv[i], "--device") && i + 1 < argc)
            device = argv[++i];
        else if (!strcmp(argv[i], "--runs") && i + 1 < argc) {
            runs = atoi(argv[++i]);
            if (runs < 1) return cli_usage("bench", "--runs wants a positive number");
        } else if (!strcmp(argv[i], "--top") && i + 1 < argc) {
            ntop = atoi(argv[++i]);
            if (ntop < 0) return cli_usage("bench", "--top wants a number >= 0");
        } else if (argv[i][0] == '-')
            return cli_usage("bench", "unknown option %s", argv[i]);
        else if (nmodel < 256)
            models[nmodel++] = argv[i];
    }
    if (!nmodel) return cli_usage("bench", "no model given");
    if (json) printf("[");
    for (int i = 0; i < nmodel; i++)
        if (bench_one(models[i], device, nofuse, nolayout, runs, ntop, json, i == 0)) rc = CLI_ERR;
    if (json) printf("]\n");
    return rc;
}
#else
int cli_bench(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "dnnf bench: this dnnf was built without tests/codegen/codegen.cmake\n");
    return CLI_ERR;
}
#endif
