/* verify.c -- eliminated chains checked against the reference operators.
 *
 * The composed maps are only worth their speed if they read exactly what
 * the operators they replace would have produced.  The check is the
 * index-map property test's, on the real chains of a real graph: an iota
 * tensor (element i holds i) goes through the chain's nodes under
 * op_run_node, with the graph's own constant inputs; each element of the
 * result names the source element it came from, and the composed map
 * must name the same one. */
#include "layout_impl.h"

#include <stdlib.h>
#include <string.h>

/* Runs node (output which) with `x` as its input `slot` (others: graph
   constants, or -1-filled tensors of their shape); *y gets the output. */
static int run_step(const ir_graph *g, int node, int slot, int which, const dn_tensor *x,
                    dn_tensor *y, dn_err *e)
{
    const ir_node *n = &g->node[node];
    dn_tensor in[LY_MAX_INPUTS], fill[LY_MAX_INPUTS], out[LY_MAX_INPUTS];
    const dn_tensor *pin[LY_MAX_INPUTS];
    int nfill = 0, rc = -1;
    memset(in, 0, sizeof in);
    memset(out, 0, sizeof out);
    if (n->nin > LY_MAX_INPUTS || n->nout > LY_MAX_INPUTS)
        return dn_errf(e, "%s: too many inputs", n->name);
    for (int k = 0; k < n->nin; k++) {
        pin[k] = NULL;
        if (n->in[k] < 0) continue;
        if (k == slot) {
            pin[k] = x;
            continue;
        }
        if (ir_input_tensor(g, n, k, &in[k]) && in[k].data) {
            pin[k] = &in[k];
            continue;
        }
        dn_tensor *f = &fill[nfill++];
        memset(f, 0, sizeof *f);
        f->dtype = DN_I64;
        f->shape = g->val[n->in[k]].shape;
        if (dn_tensor_alloc(f, e)) goto done;
        for (int64_t i = 0; i < dn_shape_numel(&f->shape); i++)
            dn_seti(f, i, -1);
        pin[k] = f;
    }
    if (op_run_node(n, pin, n->nin, out, n->nout, e)) goto done;
    *y = out[which];
    memset(&out[which], 0, sizeof out[which]);
    rc = 0;
done:
    for (int k = 0; k < 16; k++)
        dn_tensor_free(&out[k]);
    for (int k = 0; k < nfill; k++)
        dn_tensor_free(&fill[k]);
    return rc;
}

static int iota(const dn_shape *s, dn_tensor *t, dn_err *e)
{
    memset(t, 0, sizeof *t);
    t->dtype = DN_I64;
    t->shape = *s;
    if (dn_tensor_alloc(t, e)) return -1;
    for (int64_t i = 0; i < dn_shape_numel(s); i++)
        dn_seti(t, i, i);
    return 0;
}

static void unflat(int64_t i, const dn_shape *s, int64_t *v)
{
    for (int k = s->rank - 1; k >= 0; k--) {
        v[k] = s->d[k] ? i % s->d[k] : 0;
        i = s->d[k] ? i / s->d[k] : 0;
    }
}

static int64_t flat(const int64_t *v, const dn_shape *s)
{
    int64_t f = 0;
    for (int k = 0; k < s->rank; k++)
        f = f * s->d[k] + v[k];
    return f;
}

/* The index of the data input of node along a chain (Concat: which). */
static int data_slot(const ir_node *n, int which)
{
    return !strcmp(n->op, "Concat") ? which : 0;
}

static int check_read(const ly_plan *p, const ly_access *a, dn_err *e)
{
    const ir_graph *g = p->g;
    dn_tensor cur, next;
    if (iota(&g->val[a->source].shape, &cur, e)) return -1;
    for (int i = 0; i < a->npath; i++) {
        const ly_step *s = &a->path[i];
        const ir_node *n = &g->node[s->node];
        int isc = !strcmp(n->op, "Concat");
        if (run_step(g, s->node, isc ? s->which : 0, isc ? 0 : s->which, &cur, &next, e)) {
            dn_tensor_free(&cur);
            return dn_errpre(e, "%s: ", g->node[s->node].name);
        }
        dn_tensor_free(&cur);
        cur = next;
    }
    int rc = 0;
    int64_t n = dn_shape_numel(&cur.shape);
    if (!dn_shape_eq(&cur.shape, &a->map.out))
        rc = dn_errf(e, "domain differs from the chain's result");
    for (int64_t i = 0; i < n && !rc; i++) {
        int64_t vars[DN_MAX_RANK], idx[DN_MAX_RANK];
        if (a->map.flat)
            vars[0] = i;
        else
            unflat(i, &a->map.out, vars);
        if (!cg_map_eval(&a->map, vars, idx)) continue;
        int64_t want = dn_geti(&cur, i), got = flat(idx, &a->map.src);
        if (want != got)
            rc = dn_errf(e, "element %lld: the chain reads %lld, the map %lld", (long long)i,
                         (long long)want, (long long)got);
    }
    dn_tensor_free(&cur);
    return rc;
}

static int check_write(const ly_plan *p, const ly_store *st, dn_err *e)
{
    const ir_graph *g = p->g;
    dn_tensor cur, next;
    if (iota(&g->val[st->value].shape, &cur, e)) return -1;
    for (int i = 0; i < st->npath; i++) {
        const ly_step *s = &st->path[i];
        const ir_node *n = &g->node[s->node];
        if (run_step(g, s->node, data_slot(n, s->which), !strcmp(n->op, "Concat") ? 0 : s->which,
                     &cur, &next, e)) {
            dn_tensor_free(&cur);
            return dn_errpre(e, "%s: ", n->name);
        }
        dn_tensor_free(&cur);
        cur = next;
    }
    int rc = 0;
    int64_t n = dn_shape_numel(&st->map.out);
    for (int64_t i = 0; i < n && !rc; i++) {
        int64_t vars[DN_MAX_RANK], idx[DN_MAX_RANK];
        if (st->map.flat)
            vars[0] = i;
        else
            unflat(i, &st->map.out, vars);
        if (!cg_map_eval(&st->map, vars, idx)) continue;
        int64_t at = flat(idx, &st->map.src);
        if (at < 0 || at >= dn_shape_numel(&cur.shape) || dn_geti(&cur, at) != i)
            rc = dn_errf(e, "element %lld is written to %lld, where the chain has %lld",
                         (long long)i, (long long)at,
                         at >= 0 && at < dn_shape_numel(&cur.shape) ? (long long)dn_geti(&cur, at)
                                                                    : -1LL);
    }
    dn_tensor_free(&cur);
    return rc;
}

int ly_plan_verify(const ly_plan *p, int64_t max_numel, int *checked, int *skipped, dn_err *e)
{
    const ir_graph *g = p->g;
    *checked = *skipped = 0;
    for (int i = 0; i < p->nacc; i++) {
        const ly_access *a = &p->acc[i];
        if (!a->npath) continue;
        if (dn_shape_numel(&g->val[a->source].shape) > max_numel ||
            dn_shape_numel(&g->val[a->value].shape) > max_numel) {
            ++*skipped;
            continue;
        }
        if (check_read(p, a, e))
            return dn_errpre(e, "read of %s by %s through %d eliminated nodes: ",
                             g->val[a->value].name, g->node[a->node].name, a->npath);
        ++*checked;
    }
    for (int i = 0; i < p->nst; i++) {
        const ly_store *s = &p->st[i];
        if (dn_shape_numel(&g->val[s->dest].shape) > max_numel) {
            ++*skipped;
            continue;
        }
        if (check_write(p, s, e))
            return dn_errpre(e, "write of %s by %s into %s: ", g->val[s->value].name,
                             g->node[s->node].name, g->val[s->dest].name);
        ++*checked;
    }
    return 0;
}
