/* run_opencl.c -- `dnnf run` on an OpenCL device: executor, figures, the
 * host blocks listed by reason, and --check against the reference. */
#include "cli.h"

#if defined(DNNF_HAVE_FUSION) && defined(DNNF_HAVE_CODEGEN)
#include <math.h>
#include <stdlib.h>
#include <string.h>

void cli_compare(const dn_tensor *a, const dn_tensor *b, double *worst, double *scale)
{
    *worst = *scale = 0;
    int64_t n = dn_shape_numel(&a->shape);
    for (int64_t i = 0; i < n; i++) {
        double x = dn_get(a, i), y = dn_get(b, i);
        if (isfinite(x) && fabs(x) > *scale) *scale = fabs(x); /* an inf would void the bound */
        double d = x == y ? 0 : fabs(x - y);                   /* equal infinities agree */
        if (isnan(d) && !(isnan(x) && isnan(y))) d = INFINITY;
        if (isnan(d)) d = 0;
        if (d > *worst) *worst = d;
    }
}

/* Host blocks grouped by reason: "12 x no template for Conv". */
static void print_host_blocks(const rt_exec *x, int verbose)
{
    int nb = rt_exec_nblocks(x);
    char *done = calloc((size_t)nb + 1, 1);
    if (!done) abort();
    for (int i = 0; i < nb; i++) {
        const rt_exec_block *bi = rt_exec_block_info(x, i);
        if (bi->kind != 2 || done[i]) continue;
        int count = 0;
        for (int j = i; j < nb; j++) {
            const rt_exec_block *bj = rt_exec_block_info(x, j);
            if (bj->kind == 2 && !done[j] && !strcmp(bj->why, bi->why)) {
                done[j] = 1;
                count++;
                if (verbose) printf("    host block %d: %s\n", bj->id, bj->nodes);
            }
        }
        printf("  host blocks: %3d x %s\n", count, bi->why);
    }
    free(done);
}

int cli_run_opencl(cli_pipeline *pl, const char *path, const char *device, int nofuse, double check,
                   int verbose, const dn_tensor *in, dn_tensor *out)
{
    dn_err e;
    rt_cl_opts o = {device, NULL};
    rt_cl_ctx *c = rt_cl_create(&o, &e);
    if (!c) return cli_fail(&e);
    if (cli_pipeline_for_device(pl, path, c)) {
        rt_cl_free(c);
        return CLI_ERR;
    }
    int rc = CLI_OK;
    rt_exec *x = rt_exec_new(c, pl->run, pl->b, pl->nb, &e);
    if (!x) {
        dn_errpre(&e, "%s: ", path);
        rt_cl_free(c);
        return cli_fail(&e);
    }
    rt_exec_set_verify(x, (verbose & 2) != 0);
    if (rt_exec_run(x, in, out, &e)) {
        dn_errpre(&e, "%s: ", path);
        rc = cli_fail(&e);
    }
    rt_exec_stats st;
    rt_exec_get_stats(x, &st);
    rt_cl_stats cs;
    rt_cl_get_stats(c, &cs);
    if (rc == CLI_OK) {
        printf("%s run of %s on %s: %d compute ops, %d blocks: %d kernels (%d distinct), %d host "
               "blocks, %d views\n",
               nofuse ? "unfused" : "fused", path, rt_cl_device(c)->name, pl->compute_ops,
               st.blocks, st.kernels, st.programs, st.host_blocks, st.views);
        printf("  layout pass %s: %d layout kernels, %d data-movement blocks read through, %d "
               "written through (layout plan: %d -> %d); %d blocks split at their anchor, %d by "
               "output size, %d elementwise blocks merged into the kernel before them\n",
               pl->layout ? "on" : "off", pl->prep.layout_kernels, pl->prep.read_through,
               pl->prep.write_through, pl->prep.plan_before, pl->prep.plan_after,
               pl->prep.anchor_splits, pl->prep.size_splits, pl->prep.epilogue_merges);
        if (pl->layouts_applied) {
            /* chosen and made graph structure; written so where a kernel
               stores into the pinned tensor (else both Transposes read
               through and the tensor runs as it was) */
            int written = 0;
            for (int i = 0; i < pl->nb; i++) {
                const cg_block *B = &pl->b[i];
                /* a kernel of the producer, not a view or a copy */
                if (B->view || rt_block_movement_only(pl->run, B)) continue;
                for (int k = 0; k < B->noutputs; k++)
                    written += pl->run->val[cg_block_dest(B, k)].pinned;
            }
            printf("  layouts applied: %d activations in the layout their readers read "
                   "best, %d written so by their producer\n",
                   pl->layouts_applied, written);
        }
        if (st.image_weights || st.image_activations)
            printf("  image2d_t: %d kernels read weights from an image, %d read an activation "
                   "through an image%s\n",
                   st.image_weights, st.image_activations,
                   !st.image_activations ? ""
                   : st.image_copies     ? " copied from its buffer (DNNF_IMAGE_COPY=1, a test mode)"
                                         : " made over its buffer (no copy)");
        if (pl->prep.layout_error[0]) printf("  layout pass skipped: %s\n", pl->prep.layout_error);
        printf("  optimize %.0f ms, prepare %.0f ms (programs: %d compiled, %d from cache), "
               "run %.1f ms (host blocks %.1f ms, kernels %.1f ms)\n",
               pl->optimize_ms, st.prepare_ms, cs.cache_misses, cs.cache_hits, st.ms, st.host_ms,
               cs.kernel_ms);
        printf("  peak activations %.2f MB (%.2f MB without reuse), parameters %.2f MB\n",
               st.peak_bytes / 1e6, st.unplanned_bytes / 1e6, st.param_bytes / 1e6);
        print_host_blocks(x, verbose & 1);
    }
    if (rc == CLI_OK && check) {
        const ir_graph *g = pl->g;
        dn_tensor *ref = calloc((size_t)g->noutput + 1, sizeof *ref);
        if (!ref) abort();
        if (rt_reference_run(g, in, ref, NULL, &e)) {
            dn_errpre(&e, "%s: reference run: ", path);
            rc = cli_fail(&e);
        } else {
            for (int i = 0; i < g->noutput; i++) {
                double worst, scale;
                if (!dn_shape_eq(&ref[i].shape, &out[i].shape)) {
                    printf("  check %-24s shape differs: MISMATCH\n", g->val[g->output[i]].name);
                    rc = CLI_ERR;
                    continue;
                }
                cli_compare(&ref[i], &out[i], &worst, &scale);
                double tol = check * (scale > 0 ? scale : 1);
                int ok = worst <= tol;
                printf("  check %-24s max |ref| %.4g, worst error %.3g (%.2g of max), tolerance "
                       "%.3g: %s\n",
                       g->val[g->output[i]].name, scale, worst, scale > 0 ? worst / scale : worst,
                       tol, ok ? "ok" : "MISMATCH");
                if (!ok) rc = CLI_ERR;
            }
        }
        for (int i = 0; i < g->noutput; i++)
            dn_tensor_free(&ref[i]);
        free(ref);
    }
    rt_exec_free(x);
    rt_cl_free(c);
    return rc;
}
#endif
