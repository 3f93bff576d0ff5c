/* reference.c -- the reference interpreter: the oracle.
 *
 * It walks the graph in topological order and runs each node with the
 * operator semantics of engine/ (op_run_node), the same code constant
 * folding uses.  Nothing is clever here on purpose: no fusion, no layout
 * change, no buffer aliasing.  The only economy is freeing each
 * intermediate tensor after its last reader, which keeps VGG-16 or BERT
 * within a few hundred MB. */
#include "runtime.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int check_input(const ir_graph *g, int i, const dn_tensor *t, dn_err *e)
{
    const ir_value *v = &g->val[g->input[i]];
    char want[256], got[256];
    int ok = t->data && (v->dtype == DN_UNDEF || v->dtype == t->dtype) &&
             (v->shape.rank < 0 || v->shape.rank == t->shape.rank);
    for (int k = 0; ok && v->shape.rank >= 0 && k < v->shape.rank; k++)
        if (v->shape.d[k] >= 0 && v->shape.d[k] != t->shape.d[k]) ok = 0;
    if (!ok)
        return dn_errf(e, "input '%s' expects %s%s, got %s%s", v->name, dn_dtype_name(v->dtype),
                       dn_shape_str(&v->shape, want, sizeof want), dn_dtype_name(t->dtype),
                       dn_shape_str(&t->shape, got, sizeof got));
    return 0;
}

int rt_reference_run(const ir_graph *g, const dn_tensor *inputs, dn_tensor *outputs,
                     rt_ref_stats *st, dn_err *e)
{
    double t0 = now_ms();
    int nv = g->nval;
    dn_tensor *val = calloc((size_t)(nv ? nv : 1), sizeof *val);
    char *owned = calloc((size_t)(nv ? nv : 1), 1);
    int *use = ir_use_counts(g);
    int *order = NULL;
    int rc = 0, count = 0;
    int64_t live = 0, peak = 0;
    if (!val || !owned) abort();
    for (int i = 0; i < g->noutput; i++) memset(&outputs[i], 0, sizeof outputs[i]);
    for (int v = 0; v < nv; v++) {
        const ir_value *x = &g->val[v];
        if (x->kind != IR_VAL_CONST) continue;
        if (!x->data) {
            rc = dn_errf(e, "constant '%s' has no data (weights not loaded: external file '%s')",
                         x->name, x->ext_location ? x->ext_location : "?");
            goto done;
        }
        val[v] = (dn_tensor){x->dtype, x->shape, x->data};
    }
    for (int i = 0; i < g->ninput; i++) {
        if ((rc = check_input(g, i, &inputs[i], e))) goto done;
        val[g->input[i]] = inputs[i];
    }
    count = ir_topo_order(g, &order, e);
    if (count < 0) {
        rc = -1;
        goto done;
    }
    for (int i = 0; i < count; i++) {
        const ir_node *n = &g->node[order[i]];
        const dn_tensor *in[n->nin > 0 ? n->nin : 1];
        dn_tensor out[n->nout > 0 ? n->nout : 1];
        for (int k = 0; k < n->nin; k++) in[k] = n->in[k] >= 0 ? &val[n->in[k]] : NULL;
        if (op_run_node(n, in, n->nin, out, n->nout, e)) {
            rc = dn_errpre(e, "node '%s' (%s): ", n->name, n->op);
            goto done;
        }
        for (int k = 0; k < n->nout; k++) {
            int o = n->out[k];
            if (o < 0 || (use[o] == 0 && !g->val[o].is_output)) {
                dn_tensor_free(&out[k]);
                continue;
            }
            val[o] = out[k];
            owned[o] = 1;
            live += (int64_t)dn_tensor_bytes(&out[k]);
        }
        if (live > peak) peak = live;
        for (int k = 0; k < n->nin; k++) {
            int x = n->in[k];
            if (x < 0 || --use[x] > 0 || !owned[x] || g->val[x].is_output) continue;
            live -= (int64_t)dn_tensor_bytes(&val[x]);
            dn_tensor_free(&val[x]);
            owned[x] = 0;
        }
    }
    for (int i = 0; i < g->noutput; i++) {
        int o = g->output[i];
        if (owned[o]) { /* hand over; one value may be listed twice */
            outputs[i] = val[o];
            owned[o] = 0;
        } else { /* an input or constant listed as output: copy */
            outputs[i] = (dn_tensor){val[o].dtype, val[o].shape, NULL};
            if ((rc = dn_tensor_alloc(&outputs[i], e))) goto done;
            memcpy(outputs[i].data, val[o].data, dn_tensor_bytes(&outputs[i]));
        }
    }
done:
    for (int v = 0; v < nv; v++)
        if (owned[v]) dn_tensor_free(&val[v]);
    if (rc)
        for (int i = 0; i < g->noutput; i++) dn_tensor_free(&outputs[i]);
    if (st) {
        st->nodes = count;
        st->peak_bytes = peak;
        st->ms = now_ms() - t0;
    }
    free(order);
    free(use);
    free(owned);
    free(val);
    return rc;
}

int rt_make_input(const ir_graph *g, int v, uint64_t seed, dn_tensor *t, dn_err *e)
{
    const ir_value *x = &g->val[v];
    *t = (dn_tensor){x->dtype, x->shape, NULL};
    if (!dn_shape_known(&x->shape))
        return dn_errf(e, "input '%s' has unknown dims: give it with --input", x->name);
    if (dn_tensor_alloc(t, e)) return -1;
    uint64_t s = seed * 0x9e3779b97f4a7c15ULL + (uint64_t)v + 1;
    int64_t n = dn_shape_numel(&x->shape);
    for (int64_t i = 0; i < n; i++) {
        s ^= s << 13, s ^= s >> 7, s ^= s << 17; /* xorshift64 */
        if (dn_dtype_is_float(x->dtype))
            dn_set(t, i, (double)(s >> 40) / 8388608.0 - 1.0);
        else if (x->dtype == DN_BOOL)
            dn_seti(t, i, (int64_t)(s >> 63));
        else
            dn_seti(t, i, (int64_t)((s >> 33) % 1000));
    }
    return 0;
}
