/* op_table.c -- the registry of operators and the two entry points that
 * every caller uses: op_infer_node (shapes, on the graph) and op_run_node
 * (values, on tensors).  Arity is checked here once, so the operator files
 * can index their inputs without checking counts again. */
#include "op_impl.h"

#include <stdlib.h>
#include <string.h>

static const op_def *const families[] = {
    op_defs_elementwise, op_defs_reduce, op_defs_movement, op_defs_index,
    op_defs_linalg,      op_defs_conv,   op_defs_pool,     NULL,
};

const op_def *const *op_families(void) { return families; }

const op_def *op_lookup(const char *domain, const char *op)
{
    /* Only the default ONNX domain for now ("ai.onnx" is its long name). */
    if (domain && domain[0] && strcmp(domain, "ai.onnx") != 0) return NULL;
    for (int f = 0; families[f]; f++)
        for (const op_def *d = families[f]; d->name; d++)
            if (strcmp(d->name, op) == 0) return d;
    return NULL;
}

static int check_arity(const op_def *d, const ir_node *n, dn_err *e)
{
    int nin = n->nin;
    while (nin > 0 && n->in[nin - 1] < 0) nin--; /* trailing omitted optionals */
    if (nin < d->min_in || (d->max_in >= 0 && nin > d->max_in)) {
        if (d->max_in < 0)
            return dn_errf(e, "%s takes at least %d inputs, got %d", n->op, d->min_in, nin);
        return dn_errf(e, "%s takes %d to %d inputs, got %d", n->op, d->min_in, d->max_in, nin);
    }
    /* A required input left out in the middle ("" in ONNX) is an error here,
       so the operator files may assume every required input is present. */
    for (int i = 0; i < d->min_in && i < n->nin; i++)
        if (n->in[i] < 0) return dn_errf(e, "%s: required input %d is missing", n->op, i);
    if (n->nout < d->min_out || n->nout > d->max_out)
        return dn_errf(e, "%s has %d to %d outputs, got %d", n->op, d->min_out, d->max_out,
                       n->nout);
    return 0;
}

static const op_def *node_def(const ir_node *n, dn_err *e)
{
    const op_def *d = op_lookup(n->domain, n->op);
    if (!d) {
        if (n->domain && n->domain[0])
            dn_errf(e, "unsupported operator %s (domain '%s')", n->op, n->domain);
        else
            dn_errf(e, "unsupported operator %s", n->op);
        return NULL;
    }
    if (check_arity(d, n, e)) return NULL;
    return d;
}

int op_infer_node(ir_graph *g, int id, dn_err *e)
{
    ir_node *n = &g->node[id];
    const op_def *d = node_def(n, e);
    if (!d) return -1;
    const dn_tensor *inp[n->nin > 0 ? n->nin : 1];
    dn_tensor inv[n->nin > 0 ? n->nin : 1];
    dn_tensor out[n->nout > 0 ? n->nout : 1];
    for (int i = 0; i < n->nin; i++) {
        inp[i] = NULL;
        if (n->in[i] < 0) continue;
        const ir_value *v = &g->val[n->in[i]];
        inv[i] = (dn_tensor){v->dtype, v->shape, v->data};
        inp[i] = &inv[i];
    }
    memset(out, 0, sizeof out);
    for (int i = 0; i < n->nout; i++) out[i].shape = dn_shape_unknown();
    if (d->infer(n, inp, n->nin, out, n->nout, e)) return -1;
    for (int i = 0; i < n->nout; i++) {
        if (n->out[i] < 0) {
            free(out[i].data);
            continue;
        }
        ir_value *v = &g->val[n->out[i]];
        v->dtype = out[i].dtype;
        v->shape = out[i].shape;
        if (out[i].data) {
            free(v->data);
            v->data = out[i].data;
        }
    }
    return 0;
}

int op_run_node(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out, int nout,
                dn_err *e)
{
    const op_def *d = node_def(n, e);
    if (!d) return -1;
    for (int i = 0; i < nout; i++) {
        memset(&out[i], 0, sizeof out[i]);
        out[i].shape = dn_shape_unknown();
    }
    if (d->infer(n, in, nin, out, nout, e)) goto fail;
    for (int i = 0; i < nout; i++) {
        if (!dn_shape_known(&out[i].shape)) {
            dn_errf(e, "output %d has unknown shape at run time", i);
            goto fail;
        }
        if (!out[i].data && dn_tensor_alloc(&out[i], e)) goto fail;
    }
    if (d->eval(n, in, nin, out, nout, e)) goto fail;
    return 0;
fail:
    for (int i = 0; i < nout; i++) dn_tensor_free(&out[i]);
    return -1;
}

void op_bcast_strides(const dn_shape *out, const dn_shape *in, int64_t *st)
{
    int64_t own[DN_MAX_RANK];
    dn_strides(in, own);
    int off = out->rank - in->rank;
    for (int i = 0; i < out->rank; i++) {
        int j = i - off;
        st[i] = (j < 0 || in->d[j] == 1) ? 0 : own[j];
    }
}

int op_next_index(const dn_shape *s, int64_t *idx)
{
    for (int i = s->rank - 1; i >= 0; i--) {
        if (++idx[i] < s->d[i]) return 1;
        idx[i] = 0;
    }
    return 0;
}

int op_ints_attr(const ir_node *n, const char *name, int want, int64_t dflt, int64_t *dst,
                 dn_err *e)
{
    int cnt;
    const int64_t *v = ir_attr_ints(n, name, &cnt);
    if (!v) {
        for (int i = 0; i < want; i++) dst[i] = dflt;
        return 0;
    }
    if (cnt != want)
        return dn_errf(e, "%s: '%s' has %d values, expected %d", n->op, name, cnt, want);
    for (int i = 0; i < want; i++) dst[i] = v[i];
    return 0;
}
