/* execute_host.c -- the host fallback: a block that no template covers
 * runs with the reference operators (engine/op_*.c) on host copies of its
 * inputs.  It is slow by design and always reported (`host blocks` in
 * `dnnf run` and `dnnf bench`), so that every model runs end to end while
 * templates replace fallbacks one by one. */
#include "exec_impl.h"

#ifdef DNNF_HAVE_CODEGEN

#include <stdlib.h>
#include <string.h>

int rt_exec_host_block(rt_cl_ctx *c, const ir_graph *g, const cg_block *b, const rt_memplan *mp,
                       rt_cl_buf *const *bufs, dn_err *e)
{
    int nv = g->nval, rc = 0;
    dn_tensor *t = calloc((size_t)nv + 1, sizeof *t);
    char *have = calloc((size_t)nv + 1, 1), *own = calloc((size_t)nv + 1, 1);
    if (!t || !have || !own) abort();
    for (int i = 0; i < b->nparams; i++) {
        int v = b->params[i];
        t[v] = (dn_tensor){g->val[v].dtype, g->val[v].shape, g->val[v].data};
        have[v] = 1;
    }
    for (int i = 0; i < b->ninputs && !rc; i++) {
        int v = b->inputs[i], r = mp->root[v];
        t[v] = (dn_tensor){g->val[v].dtype, g->val[v].shape, NULL};
        if (g->val[r].kind == IR_VAL_CONST) {
            t[v].data = g->val[r].data;
        } else {
            if (dn_tensor_alloc(&t[v], e)) {
                rc = -1;
                break;
            }
            own[v] = 1;
            rc = rt_cl_read_bytes(c, bufs[mp->slot[r]], 0, t[v].data, dn_tensor_bytes(&t[v]), e);
        }
        have[v] = 1;
    }
    for (int i = 0; i < b->nexec && !rc; i++) {
        const ir_node *n = &g->node[b->exec[i]];
        const dn_tensor *in[n->nin > 0 ? n->nin : 1];
        dn_tensor out[n->nout > 0 ? n->nout : 1];
        memset(out, 0, sizeof out);
        for (int k = 0; k < n->nin && !rc; k++) {
            int v = n->in[k];
            in[k] = NULL;
            if (v < 0) continue;
            if (!have[v] && g->val[v].kind == IR_VAL_CONST) {
                t[v] = (dn_tensor){g->val[v].dtype, g->val[v].shape, g->val[v].data};
                have[v] = 1;
            }
            if (!have[v])
                rc = dn_errf(e, "host block %d: node '%s' reads '%s', which is not available",
                             b->id, n->name, g->val[v].name);
            in[k] = &t[v];
        }
        if (rc) break;
        if (!op_lookup(n->domain, n->op)) {
            rc = dn_errf(e, "host block %d: node '%s' (%s%s%s) has no reference operator", b->id,
                         n->name, n->domain, n->domain[0] ? "::" : "", n->op);
            break;
        }
        if (op_run_node(n, in, n->nin, out, n->nout, e)) {
            rc = dn_errpre(e, "host block %d: node '%s' (%s): ", b->id, n->name, n->op);
            break;
        }
        for (int k = 0; k < n->nout; k++) {
            int v = n->out[k];
            if (v < 0 || have[v]) {
                dn_tensor_free(&out[k]);
                continue;
            }
            t[v] = out[k];
            have[v] = own[v] = 1;
        }
    }
    for (int i = 0; i < b->noutputs && !rc; i++) {
        int v = b->outputs[i], r = mp->root[v];
        if (!have[v]) {
            rc = dn_errf(e, "host block %d did not compute '%s'", b->id, g->val[v].name);
            break;
        }
        if (mp->slot[r] < 0) continue;
        rc = rt_cl_write_bytes(c, bufs[mp->slot[r]], 0, t[v].data, dn_tensor_bytes(&t[v]), e);
    }
    for (int v = 0; v < nv; v++)
        if (own[v]) dn_tensor_free(&t[v]);
    free(t);
    free(have);
    free(own);
    return rc;
}

#endif
