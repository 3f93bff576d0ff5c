/* blocks.c -- running a fusion plan block by block with the reference
 * operators: the plan's own oracle.
 *
 * Each block runs as a kernel would: it sees only the values that earlier
 * blocks wrote (their listed outputs), graph inputs and constants; the
 * values its nodes produce live in a scratch store that is thrown away
 * when the block ends, except its listed outputs, which are "written to
 * memory" (and counted as IRS bytes unless they are graph outputs or the
 * block is a view).  Recomputed nodes run again in every block that lists
 * them.  So a plan whose blocks read a value no earlier block wrote, or
 * whose recomputation is incomplete, fails here with the block and value
 * named -- and a correct plan gives exactly the unfused reference outputs,
 * because every node runs the same engine/ code.
 *
 * Composite operators of the rewritten graph (the `dnnf` domain) have no
 * reference implementation: each such node runs as a one-node graph
 * expanded into its definition from the rules (eg_expand_composites). */
#include "runtime.h"

#ifdef DNNF_HAVE_FUSION
#include "fusion.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* A node the engine has no operator for: run its composite definition. */
static int run_composite(const ir_node *n, const gm_rules *r, const dn_tensor *const *in,
                         dn_tensor *out, dn_err *e)
{
    ir_graph *h = ir_new("composite");
    int *ins = malloc((size_t)(n->nin + 1) * sizeof *ins),
        *outs = malloc((size_t)(n->nout + 1) * sizeof *outs);
    dn_tensor *feed = calloc((size_t)n->nin + 1, sizeof *feed),
              *res = calloc((size_t)n->nout + 1, sizeof *res);
    if (!ins || !outs || !feed || !res) abort();
    int nfeed = 0, rc = 0;
    for (int k = 0; k < n->nin; k++) {
        ins[k] = -1;
        if (!in[k]) continue;
        char nm[32];
        snprintf(nm, sizeof nm, "in%d", k);
        ins[k] = ir_add_value(h, nm, IR_VAL_INPUT, in[k]->dtype, &in[k]->shape);
        ir_add_input(h, ins[k]);
        feed[nfeed++] = *in[k];
    }
    for (int k = 0; k < n->nout; k++) {
        char nm[32];
        snprintf(nm, sizeof nm, "out%d", k);
        dn_shape unk = dn_shape_unknown();
        outs[k] = ir_add_value(h, nm, IR_VAL_NODE, DN_UNDEF, &unk);
    }
    int id = ir_add_node(h, n->op, n->name, ins, n->nin, outs, n->nout);
    free(h->node[id].domain);
    h->node[id].domain = ir_strdup(n->domain);
    for (int a = 0; a < n->nattr; a++)
        ir_copy_attr(h, id, &n->attr[a]);
    for (int k = 0; k < n->nout; k++)
        ir_add_output(h, outs[k]);
    if (!r)
        rc = dn_errf(
            e,
            "operator %s::%s has no reference implementation and no rules were given to expand it",
            n->domain, n->op);
    if (!rc) rc = eg_expand_composites(h, r, e);
    if (!rc) rc = ir_infer(h, 0, NULL, e);
    if (!rc) rc = rt_reference_run(h, feed, res, NULL, e);
    if (!rc)
        for (int k = 0; k < n->nout; k++)
            out[k] = res[k];
    ir_free(h);
    free(ins);
    free(outs);
    free(feed);
    free(res);
    return rc;
}

int rt_blocks_run(const fu_plan *p, const gm_rules *r, const dn_tensor *inputs, dn_tensor *outputs,
                  rt_block_stats *st, dn_err *e)
{
    double t0 = now_ms();
    const ir_graph *g = fu_plan_graph(p);
    int nv = g->nval, nb = fu_plan_nblocks(p), rc = 0;
    size_t nz = (size_t)(nv ? nv : 1);
    dn_tensor *gv = calloc(nz, sizeof *gv), *lv = calloc(nz, sizeof *lv);
    char *gown = calloc(nz, 1), *gavail = calloc(nz, 1), *lset = calloc(nz, 1);
    int *readers = calloc(nz, sizeof *readers);
    int *touched = malloc(nz * sizeof *touched);
    if (!gv || !lv || !gown || !gavail || !lset || !readers || !touched) abort();
    int64_t irs = 0, live = 0, peak = 0;
    int launches = 0;
    for (int i = 0; i < g->noutput; i++)
        memset(&outputs[i], 0, sizeof outputs[i]);
    for (int v = 0; v < nv; v++) {
        const ir_value *x = &g->val[v];
        if (x->kind != IR_VAL_CONST) continue;
        if (!x->data) {
            rc = dn_errf(e, "constant '%s' has no data (weights not loaded)", x->name);
            goto done;
        }
        gv[v] = (dn_tensor){x->dtype, x->shape, x->data};
        gavail[v] = 1;
    }
    for (int i = 0; i < g->ninput; i++) {
        int v = g->input[i];
        if (!inputs[i].data || inputs[i].dtype != g->val[v].dtype ||
            inputs[i].shape.rank != g->val[v].shape.rank) {
            rc = dn_errf(e, "input '%s' does not match the graph", g->val[v].name);
            goto done;
        }
        gv[v] = inputs[i];
        gavail[v] = 1;
    }
    for (int b = 0; b < nb; b++) {
        const fu_block *B = fu_plan_block(p, b);
        for (int i = 0; i < B->ninputs; i++)
            readers[B->inputs[i]]++;
    }
    for (int b = 0; b < nb && !rc; b++) {
        const fu_block *B = fu_plan_block(p, b);
        int nt = 0;
        if (B->kind != FU_VIEW) launches++;
        for (int i = 0; i < B->nexec && !rc; i++) {
            const ir_node *n = &g->node[B->exec[i]];
            const dn_tensor *in[n->nin > 0 ? n->nin : 1];
            dn_tensor out[n->nout > 0 ? n->nout : 1];
            memset(out, 0, sizeof out);
            for (int k = 0; k < n->nin && !rc; k++) {
                int v = n->in[k];
                in[k] = NULL;
                if (v < 0) continue;
                if (lset[v])
                    in[k] = &lv[v];
                else if (gavail[v])
                    in[k] = &gv[v];
                else
                    rc = dn_errf(e, "block %d: node '%s' reads '%s', which no earlier block wrote",
                                 b, n->name, g->val[v].name);
            }
            if (rc) break;
            if (op_lookup(n->domain, n->op))
                rc = op_run_node(n, in, n->nin, out, n->nout, e);
            else
                rc = run_composite(n, r, in, out, e);
            if (rc) {
                dn_errpre(e, "block %d: node '%s' (%s): ", b, n->name, n->op);
                break;
            }
            for (int k = 0; k < n->nout; k++) {
                int v = n->out[k];
                if (v < 0 || lset[v]) {
                    dn_tensor_free(&out[k]);
                    continue;
                }
                lv[v] = out[k];
                lset[v] = 1;
                touched[nt++] = v;
                live += (int64_t)dn_tensor_bytes(&out[k]);
            }
        }
        if (live > peak) peak = live;
        /* the block ends: its outputs go to memory, the rest is dropped */
        for (int i = 0; i < B->noutputs && !rc; i++) {
            int v = B->outputs[i];
            if (!lset[v]) {
                rc = dn_errf(e, "block %d lists output '%s' but did not compute it", b,
                             g->val[v].name);
                break;
            }
            gv[v] = lv[v];
            gown[v] = gavail[v] = 1;
            lset[v] = 0;
            if (B->kind != FU_VIEW && !g->val[v].is_output) irs += (int64_t)dn_tensor_bytes(&gv[v]);
        }
        for (int i = 0; i < nt; i++) {
            int v = touched[i];
            if (!lset[v]) continue;
            live -= (int64_t)dn_tensor_bytes(&lv[v]);
            dn_tensor_free(&lv[v]);
            lset[v] = 0;
        }
        for (int i = 0; i < B->ninputs; i++) {
            int v = B->inputs[i];
            if (--readers[v] > 0 || !gown[v] || g->val[v].is_output) continue;
            live -= (int64_t)dn_tensor_bytes(&gv[v]);
            dn_tensor_free(&gv[v]);
            gown[v] = gavail[v] = 0;
        }
    }
    for (int i = 0; i < g->noutput && !rc; i++) {
        int v = g->output[i];
        if (!gavail[v]) {
            rc = dn_errf(e, "graph output '%s' was never written", g->val[v].name);
            break;
        }
        if (gown[v]) {
            outputs[i] = gv[v];
            gown[v] = 0;
        } else {
            outputs[i] = (dn_tensor){gv[v].dtype, gv[v].shape, NULL};
            if ((rc = dn_tensor_alloc(&outputs[i], e))) break;
            memcpy(outputs[i].data, gv[v].data, dn_tensor_bytes(&outputs[i]));
        }
    }
done:
    for (int v = 0; v < nv; v++) {
        if (gown[v]) dn_tensor_free(&gv[v]);
        if (lset[v]) dn_tensor_free(&lv[v]);
    }
    if (rc)
        for (int i = 0; i < g->noutput; i++)
            dn_tensor_free(&outputs[i]);
    if (st) {
        st->blocks = nb;
        st->launches = launches;
        st->irs_bytes = irs;
        st->peak_bytes = peak;
        st->ms = now_ms() - t0;
    }
    free(gv);
    free(lv);
    free(gown);
    free(gavail);
    free(lset);
    free(readers);
    free(touched);
    return rc;
}

#else
/* Built without fusion/ (fusion/fusion.cmake not included): nothing here. */
typedef int rt_blocks_not_built;
#endif
