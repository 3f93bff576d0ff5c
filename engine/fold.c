/* fold.c -- shape and constant inference over a whole graph.
 *
 * One pass in topological order: every node's outputs get dtype and shape
 * from its operator's infer function; a node whose inputs are all known
 * constants is evaluated (by the same code the reference interpreter runs)
 * and replaced by its results.  This is what removes the exporters' shape
 * arithmetic (Shape -> Gather -> Concat -> Reshape, Range, ScatterND ...):
 * once input shapes are static, all of it is constant.  Identity nodes are
 * bypassed and nodes nothing reads are dropped. */
#include "engine.h"

#include <stdlib.h>
#include <string.h>

/* Larger folded results would trade a cheap kernel for a lot of memory. */
#define MAX_FOLD_BYTES ((size_t)256 << 20)

static int foldable(const ir_graph *g, const ir_node *n)
{
    for (int k = 0; k < n->nin; k++)
        if (n->in[k] >= 0 && !g->val[n->in[k]].data) return 0;
    for (int k = 0; k < n->nout; k++) {
        if (n->out[k] < 0) continue;
        const ir_value *v = &g->val[n->out[k]];
        dn_tensor t = {v->dtype, v->shape, NULL};
        if (!dn_shape_known(&v->shape) || dn_tensor_bytes(&t) > MAX_FOLD_BYTES) return 0;
    }
    return 1;
}

/* Turns node id's outputs into constants; they must all have data. */
static void make_const(ir_graph *g, int id)
{
    ir_node *n = &g->node[id];
    for (int k = 0; k < n->nout; k++) {
        if (n->out[k] < 0) continue;
        ir_value *v = &g->val[n->out[k]];
        v->kind = IR_VAL_CONST;
        v->producer = -1;
    }
    n->dead = 1;
}

static int fold_node(ir_graph *g, int id, dn_err *e)
{
    ir_node *n = &g->node[id];
    const dn_tensor *in[n->nin > 0 ? n->nin : 1];
    dn_tensor inv[n->nin > 0 ? n->nin : 1], out[n->nout > 0 ? n->nout : 1];
    for (int k = 0; k < n->nin; k++) in[k] = ir_input_tensor(g, n, k, &inv[k]) ? &inv[k] : NULL;
    if (op_run_node(n, in, n->nin, out, n->nout, e)) return -1;
    for (int k = 0; k < n->nout; k++) {
        if (n->out[k] < 0) {
            dn_tensor_free(&out[k]);
            continue;
        }
        ir_value *v = &g->val[n->out[k]];
        free(v->data);
        v->data = out[k].data;
        v->dtype = out[k].dtype;
        v->shape = out[k].shape;
    }
    make_const(g, id);
    return 0;
}

/* Identity (and inference-mode Dropout without mask) reads as its input. */
static int bypass(ir_graph *g, int id)
{
    ir_node *n = &g->node[id];
    int is_id = !strcmp(n->op, "Identity") && (!n->domain[0]);
    if (!is_id || n->nin < 1 || n->in[0] < 0 || n->out[0] < 0) return 0;
    /* An output's name is what users see: keep the node if it names one. */
    if (g->val[n->out[0]].is_output) return 0;
    ir_replace_uses(g, n->out[0], n->in[0]);
    n->dead = 1;
    return 1;
}

static void drop_unused(ir_graph *g, const int *order, int count)
{
    int *use = ir_use_counts(g);
    for (int i = count - 1; i >= 0; i--) {
        ir_node *n = &g->node[order[i]];
        if (n->dead) continue;
        int used = 0;
        for (int k = 0; k < n->nout; k++)
            if (n->out[k] >= 0 && use[n->out[k]]) used = 1;
        if (used) continue;
        n->dead = 1;
        for (int k = 0; k < n->nin; k++)
            if (n->in[k] >= 0) use[n->in[k]]--;
    }
    free(use);
}

int ir_infer(ir_graph *g, int fold, ir_fold_stats *st, dn_err *e)
{
    ir_fold_stats s;
    memset(&s, 0, sizeof s);
    s.nodes_before = ir_count_nodes(g, 0);
    int *order = NULL;
    int count = ir_topo_order(g, &order, e);
    if (count < 0) return -1;
    int rc = 0;
    for (int i = 0; i < count && rc == 0; i++) {
        int id = order[i];
        ir_node *n = &g->node[id];
        if (bypass(g, id)) {
            s.identities++;
            continue;
        }
        if (op_infer_node(g, id, e)) {
            rc = dn_errpre(e, "node '%s' (%s): ", n->name, n->op);
            break;
        }
        if (!fold) continue;
        int all_known = n->nout > 0;
        for (int k = 0; k < n->nout; k++)
            if (n->out[k] >= 0 && !g->val[n->out[k]].data) all_known = 0;
        if (all_known) { /* Shape, Size: the result follows from shapes alone */
            make_const(g, id);
            s.folded++;
        } else if (foldable(g, n)) {
            if (fold_node(g, id, e)) {
                rc = dn_errpre(e, "node '%s' (%s): ", n->name, n->op);
                break;
            }
            s.folded++;
        }
    }
    if (rc == 0 && fold) {
        drop_unused(g, order, count);
        ir_compact(g);
    }
    free(order);
    if (rc) return rc;
    for (int v = 0; v < g->nval; v++)
        if (!dn_shape_known(&g->val[v].shape)) s.unknown_dims++;
    s.nodes_after = ir_count_nodes(g, 0);
    if (st) *st = s;
    return 0;
}
