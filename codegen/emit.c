/* emit.c -- the kernel emitter's entry: picks the template family of a
 * block and fills it (codegen.h section 6; docs/codegen.md).
 *
 * Families: `matmul` (a block with one MatMul or Gemm, its operand
 * prologues and its epilogue), `reduction` (Softmax, LayerNormalization,
 * Reduce*, GlobalAveragePool with prologue and epilogue), `elementwise` (any mix of One-to-One,
 * One-to-Many, Reorganize and Shuffle nodes).  A block no family covers
 * is answered 0 with the reason, and the executor runs it on the host. */
#include "emit_impl.h"

#ifdef DNNF_HAVE_CODEGEN

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cg_block_nodes(const ir_graph *g, const cg_block *b, char *buf, size_t n)
{
    size_t k = 0;
    buf[0] = 0;
    for (int i = 0; i < b->nexec && k + 1 < n; i++) {
        const ir_node *nd = &g->node[b->exec[i]];
        int w = snprintf(buf + k, n - k, "%s%s (%s)", i ? ", " : "", nd->name, nd->op);
        if (w < 0) break;
        k += (size_t)w;
    }
    if (k >= n && n > 4) strcpy(buf + n - 4, "...");
}

void cg_kernel_free(cg_kernel *k)
{
    free(k->source);
    free(k->nodes);
    free(k->args);
    memset(k, 0, sizeof *k);
}

int cg_emit(const ir_graph *g, const cg_block *b, const cg_device *d, cg_kernel *k, dn_err *e)
{
    memset(k, 0, sizeof *k);
    if (b->view) return dn_errf(e, "a view block launches nothing"), 0;
    /* only the nodes the outputs depend on count: a sub-block that writes
       just a prologue value (runtime/split.c splits blocks by output
       size) is elementwise even if its block holds a product */
    char *need = calloc((size_t)g->nval + 1, 1), *used = calloc((size_t)b->nexec + 1, 1);
    if (!need || !used) abort();
    for (int i = 0; i < b->noutputs; i++)
        need[b->outputs[i]] = 1;
    for (int i = b->nexec - 1; i >= 0; i--) {
        const ir_node *n = &g->node[b->exec[i]];
        for (int o = 0; o < n->nout; o++)
            if (n->out[o] >= 0 && need[n->out[o]]) used[i] = 1;
        if (used[i])
            for (int q = 0; q < n->nin; q++)
                if (n->in[q] >= 0) need[n->in[q]] = 1;
    }
    int mm = 0, red = 0, win = 0, bad = -1;
    for (int i = 0; i < b->nexec; i++) {
        const ir_node *n = &g->node[b->exec[i]];
        if (!used[i]) continue;
        if (!strcmp(n->op, "MatMul") || !strcmp(n->op, "Gemm"))
            mm++;
        else if (cg_is_reduction(n))
            red++;
        else if (cg_is_window(n))
            win++;
        else if (!ex_node_ok(g, n) && bad < 0)
            bad = i;
    }
    free(need);
    free(used);
    if (bad >= 0) {
        dn_errf(e, "no template for %s", g->node[b->exec[bad]].op);
        return 0;
    }
    for (int i = 0; i < b->noutputs; i++)
        if (!cg_ctype(g->val[b->outputs[i]].dtype) ||
            !dn_shape_known(&g->val[b->outputs[i]].shape)) {
            dn_errf(e, "output '%s' has dtype %s or an unknown shape", g->val[b->outputs[i]].name,
                    dn_dtype_name(g->val[b->outputs[i]].dtype));
            return 0;
        }
    int rc;
    if (ex_write_check(b, e)) return -1;
    if (mm + red + win > 1) {
        dn_errf(e, "%d matrix products, %d reductions and %d windows in one block", mm, red, win);
        return 0;
    }
    rc = mm    ? cg_emit_matmul(g, b, d, k, e)
         : red ? cg_emit_reduce(g, b, d, k, e)
         : win ? cg_emit_conv(g, b, d, k, e)
               : cg_emit_elementwise(g, b, d, k, e);
    if (rc == 1) {
        /* DNNF_LIBM_ERF=1 keeps the library's erf, for comparison */
        if (!d->gpu && !getenv("DNNF_LIBM_ERF")) ex_cpu_math(k);
        char buf[4096];
        cg_block_nodes(g, b, buf, sizeof buf);
        k->nodes = ir_strdup(buf);
    }
    return rc;
}

/* ---- elementwise family ------------------------------------------------ */

static const char *const var_names[] = {"i0", "i1", "i2", "i3", "i4", "i5", "i6", "i7"};

/* One try at the elementwise kernel of b: with flat, every access is a
   map of the one flat index gid (simplified: an identity read is a[gid], a
   per-channel broadcast a[gid / HW % C]); without, of the output's dims
   i0, i1, ... computed from gid.  On PoCL the flat form halves a SiLU
   (its loop over work-items vectorises once the index arithmetic is
   gone); a block with a run-time Gather adds a variable to its maps,
   which only the per-dim form can carry.  lanes > 1 (flat, CPU family):
   each work-item computes that many consecutive elements
   (elementwise_lanes.cl); 0 with no kernel when some read does not allow
   it (ex_ctx.lanes). */
static int elementwise_try(const ir_graph *g, const cg_block *b, const cg_device *d, cg_kernel *k,
                           int flat, int64_t lanes, dn_err *e);

/* Lanes for a flat CPU kernel of N elements.  A read whose offset has a
   div or mod in it is a gather per element when PoCL vectorises across
   work-items (Swin's window partition read through: 7-10x the time of
   the same Add on a contiguous input); w consecutive elements per
   work-item pay the div/mod once and load w contiguous floats.  Kept only
   when some read is not a plain a[gid] (ex_ctx.lanes_used): a contiguous
   kernel is vectorised across work-items already.  DNNF_LANES=0 turns
   lanes off. */
int cg_emit_elementwise(const ir_graph *g, const cg_block *b, const cg_device *d, cg_kernel *k,
                        dn_err *e)
{
    if (!d->gpu && ex_lanes_on() && b->noutputs > 0) {
        int64_t N = dn_shape_numel(&g->val[b->outputs[0]].shape);
        for (int64_t w = 16; w >= 4; w /= 2) {
            if (N % w) continue;
            int rc = elementwise_try(g, b, d, k, 1, w, e);
            if (rc == 1) return 1;
            if (rc < 0) return rc;
        }
    }
    int rc = elementwise_try(g, b, d, k, 1, 0, e);
    return rc == 1 ? 1 : elementwise_try(g, b, d, k, 0, 0, e);
}

static int elementwise_try(const ir_graph *g, const cg_block *b, const cg_device *d, cg_kernel *k,
                           int flat, int64_t lanes, dn_err *e)
{
    if (b->noutputs < 1) return dn_errf(e, "block writes nothing"), 0;
    int dom = b->outputs[0];
    for (int i = 1; i < b->noutputs; i++)
        if (dn_shape_numel(&g->val[b->outputs[i]].shape) != dn_shape_numel(&g->val[dom].shape)) {
            dn_errf(e, "outputs of different sizes");
            return 0;
        }
    const dn_shape *D = &g->val[dom].shape;
    int64_t N = dn_shape_numel(D);
    if (N <= 0 || N > 0x7fffffff) return dn_errf(e, "output of %lld elements", (long long)N), 0;
    dn_arena *a = dn_arena_new();
    ex_ctx x;
    ex_init(&x, g, b, a);
    static const char *const gid_name[] = {"gid"};
    x.names = flat ? gid_name : var_names;
    x.nnames = flat ? 1 : D->rank;
    cg_sb body = {0}, stores = {0}, index = {0}, params = {0}, hoist = {0};
    x.body = &body;
    x.indent = lanes > 1 ? 2 : 1;
    static const char *const gid0_name[] = {"gid0"};
    x.lanes = lanes;
    x.lane_var = 0;
    x.lane_nvar = 1;
    x.lane_names = gid0_name;
    x.lane_r = "r_";
    x.hoist = &hoist;
    int rc = 1;
    for (int i = 0; i < b->noutputs && rc == 1; i++) {
        int v = b->outputs[i];
        if (x.prod[v] < 0) {
            rc = dn_errf(e, "output '%s' is not computed in the block", g->val[v].name) ? 0 : 0;
            break;
        }
        cg_map m, fm;
        char expr[256];
        if (cg_map_reshape(a, &g->val[v].shape, D, &m, e) ||
            (flat && cg_map_flatten_domain(a, &m, &fm, e)) ||
            ex_value(&x, v, flat ? &fm : &m, expr, sizeof expr, e)) {
            rc = 0;
            break;
        }
        cg_sb_printf(&stores, "%s    a%d[gid] = %s;\n", lanes > 1 ? "    " : "", x.argof[v], expr);
    }
    if (rc == 1 && lanes > 1 && (x.lanes_failed || !x.lanes_used)) {
        dn_errf(e, "%s", x.lanes_failed ? "a read does not allow the lanes" : "no read needs them");
        rc = 0;
    }
    if (rc == 1) {
        int64_t stride = 1;
        for (int dd = flat ? -1 : D->rank - 1; dd >= 0; dd--) {
            if (D->d[dd] == 1)
                cg_sb_printf(&index, "    const int i%d = 0;\n", dd);
            else if (stride == 1 && dd == 0)
                cg_sb_printf(&index, "    const int i%d = gid;\n", dd);
            else if (stride == 1)
                cg_sb_printf(&index, "    const int i%d = gid %% %lld;\n", dd, (long long)D->d[dd]);
            else if (dd == 0)
                cg_sb_printf(&index, "    const int i%d = gid / %lld;\n", dd, (long long)stride);
            else
                cg_sb_printf(&index, "    const int i%d = gid / %lld %% %lld;\n", dd,
                             (long long)stride, (long long)D->d[dd]);
            stride *= D->d[dd];
        }
        ex_params(&x, &params, 0);
        cg_sb nparams = {0};
        ex_params(&x, &nparams, 1);
        /* On the CPU a work-group size that divides N needs no bounds test,
           and PoCL vectorises its loop over the work-items best without
           one: the largest power of two up to 256 that divides N, when it
           is at least 16; else groups of 64 and the test. */
        int64_t items = lanes > 1 ? N / lanes : N, wg = 256;
        while (wg >= 16 && items % wg)
            wg /= 2;
        int exact = !d->gpu && wg >= 16;
        char guard[64] = "", nl[24];
        if (!exact)
            snprintf(guard, sizeof guard, "    if (%s >= %lld) return;\n",
                     lanes > 1 ? "gid0" : "gid", (long long)N);
        snprintf(nl, sizeof nl, "%lld", (long long)lanes);
        const char *keys[] = {"COMMENT", "NAME",   "PARAMS", "GUARD", "INDEX",
                              "BODY",    "STORES", "HOIST",  "LANES"};
        const char *vals[] = {"",
                              "",
                              "",
                              guard,
                              index.s ? index.s : "",
                              body.s ? body.s : "",
                              stores.s,
                              hoist.s ? hoist.s : "",
                              nl};
        ex_finish_kernel(k, &x, lanes > 1 ? "elementwise_lanes" : "elementwise", "ew",
                         "elementwise", lanes > 1 ? " (lanes)" : NULL, keys, vals, 9, params.s,
                         nparams.s);
        cg_sb_free(&nparams);
        k->dims = 1;
        k->global[0] = exact ? (size_t)items : (size_t)((items + 63) / 64 * 64);
        k->has_local = exact;
        k->local[0] = (size_t)wg;
        k->flops = (double)N * b->nexec;
    }
    cg_sb_free(&body);
    cg_sb_free(&stores);
    cg_sb_free(&index);
    cg_sb_free(&params);
    cg_sb_free(&hoist);
    ex_free(&x);
    dn_arena_free(a);
    return rc;
}

#endif
