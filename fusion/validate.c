/* validate.c -- a plan is checked, not trusted.
 *
 * Independently of how plan.c built it, a plan must be an execution
 * schedule of the same graph with joins the table allows:
 *
 *  - every live node is owned by exactly one block, or is recomputed: then
 *    it is owned by none and every block that reads its result runs a
 *    copy of it;
 *  - in the order given, a block only reads values that an earlier block
 *    lists among its outputs (or graph inputs and constants): the blocks
 *    form a DAG and their input and output lists are complete;
 *  - inside a block, every producer-consumer edge is allowed by the
 *    table: walking the block in topological order, the type reaching a
 *    node through each internal edge (the table's result for the type
 *    upstream of the edge and the node's type on that edge) must not be a
 *    `break` or a pair the table does not mention.  (Checking pairs of
 *    node types alone would accept Conv -> Relu -> Conv in one block.) */
#include "fusion.h"

#include <stdlib.h>
#include <string.h>

static int contains(const int *v, int n, int x)
{
    for (int i = 0; i < n; i++)
        if (v[i] == x) return 1;
    return 0;
}

static const char *nname(const ir_graph *g, int x)
{
    return g->node[x].name;
}

int fu_plan_validate(const fu_plan *p, const gm_rules *r, dn_err *e)
{
    const ir_graph *g = fu_plan_graph(p);
    const fu_mapping *m = fu_plan_mapping(p);
    int nb = fu_plan_nblocks(p);
    int nn = g->nnode;
    int *owner = malloc((size_t)(nn ? nn : 1) * sizeof *owner);
    int *ptype = malloc((size_t)(nn ? nn : 1) * sizeof *ptype);
    if (!owner || !ptype) abort();
    int rc = 0;
    for (int i = 0; i < nn; i++)
        owner[i] = -1;
    for (int b = 0; b < nb && !rc; b++) {
        const fu_block *B = fu_plan_block(p, b);
        if (B->id != b) rc = dn_errf(e, "block %d carries id %d", b, B->id);
        for (int i = 0; i < B->nnodes && !rc; i++) {
            int x = B->nodes[i];
            if (x < 0 || x >= nn || g->node[x].dead)
                rc = dn_errf(e, "block %d holds a node that is not in the graph", b);
            else if (owner[x] >= 0)
                rc = dn_errf(e, "node '%s' is in blocks %d and %d", nname(g, x), owner[x], b);
            else if (contains(B->recomp, B->nrecomp, x))
                rc = dn_errf(e, "block %d both owns and recomputes node '%s'", b, nname(g, x));
            else
                owner[x] = b;
        }
    }
    for (int x = 0; x < nn && !rc; x++) {
        if (g->node[x].dead || owner[x] >= 0) continue;
        if (!fu_plan_is_recomputed(p, x))
            rc = dn_errf(e, "node '%s' (%s) is in no block", nname(g, x), g->node[x].op);
    }
    /* schedule: inputs come from earlier blocks' outputs */
    for (int b = 0; b < nb && !rc; b++) {
        const fu_block *B = fu_plan_block(p, b);
        for (int i = 0; i < B->nexec && !rc; i++) {
            int x = B->exec[i];
            const ir_node *n = &g->node[x];
            if (contains(B->recomp, B->nrecomp, x) && !fu_plan_is_recomputed(p, x))
                rc = dn_errf(
                    e, "block %d recomputes node '%s', which the plan does not mark recomputed", b,
                    nname(g, x));
            for (int k = 0; k < n->nin && !rc; k++) {
                int v = n->in[k];
                if (v < 0) continue;
                if (g->val[v].kind == IR_VAL_CONST) {
                    if (!contains(B->params, B->nparams, v))
                        rc = dn_errf(e, "block %d reads constant '%s' without listing it", b,
                                     g->val[v].name);
                    continue;
                }
                if (g->val[v].kind == IR_VAL_INPUT) {
                    if (!contains(B->inputs, B->ninputs, v))
                        rc = dn_errf(e, "block %d reads input '%s' without listing it", b,
                                     g->val[v].name);
                    continue;
                }
                int y = g->val[v].producer;
                if (contains(B->exec, B->nexec, y)) {
                    /* the producer runs here: it must run first */
                    int py = -1, px = -1;
                    for (int j = 0; j < B->nexec; j++) {
                        if (B->exec[j] == y) py = j;
                        if (B->exec[j] == x) px = j;
                    }
                    if (py > px)
                        rc = dn_errf(e, "block %d runs '%s' before its producer '%s'", b,
                                     nname(g, x), nname(g, y));
                    continue;
                }
                int ob = owner[y];
                if (ob < 0) {
                    rc = dn_errf(e,
                                 "block %d reads '%s' of node '%s', which no block owns, without "
                                 "recomputing it",
                                 b, g->val[v].name, nname(g, y));
                    continue;
                }
                if (ob >= b)
                    rc =
                        dn_errf(e,
                                "block %d reads '%s' from block %d, which does not come before it: "
                                "the blocks do not form a DAG in this order",
                                b, g->val[v].name, ob);
                else if (!contains(fu_plan_block(p, ob)->outputs, fu_plan_block(p, ob)->noutputs,
                                   v))
                    rc = dn_errf(e, "block %d reads '%s', which block %d does not write", b,
                                 g->val[v].name, ob);
                else if (!contains(B->inputs, B->ninputs, v))
                    rc = dn_errf(e, "block %d reads '%s' without listing it as an input", b,
                                 g->val[v].name);
            }
        }
        for (int i = 0; i < B->noutputs && !rc; i++) {
            int v = B->outputs[i];
            int y = g->val[v].kind == IR_VAL_NODE ? g->val[v].producer : -1;
            if (y < 0 || !contains(B->nodes, B->nnodes, y))
                rc = dn_errf(e, "block %d lists output '%s' that none of its nodes produces", b,
                             g->val[v].name);
        }
    }
    for (int i = 0; i < g->noutput && !rc; i++) {
        int v = g->output[i];
        if (g->val[v].kind != IR_VAL_NODE) continue;
        int y = g->val[v].producer, ob = y >= 0 ? owner[y] : -1;
        if (ob < 0 || !contains(fu_plan_block(p, ob)->outputs, fu_plan_block(p, ob)->noutputs, v))
            rc = dn_errf(e, "graph output '%s' is written by no block", g->val[v].name);
    }
    /* the table, edge by edge inside each block */
    for (int b = 0; b < nb && !rc; b++) {
        const fu_block *B = fu_plan_block(p, b);
        for (int i = 0; i < B->nexec && !rc; i++) {
            int x = B->exec[i];
            const ir_node *n = &g->node[x];
            int t = -1;
            for (int k = 0; k < n->nin && !rc; k++) {
                int v = n->in[k];
                if (v < 0 || g->val[v].kind != IR_VAL_NODE) continue;
                int y = g->val[v].producer, j;
                for (j = 0; j < i && B->exec[j] != y; j++) {
                }
                if (j == i) continue; /* from outside */
                const char *first = fu_type_name(m, ptype[j]),
                           *second = fu_type_name(m, fu_edge_type(m, x, k));
                const char *res = NULL;
                int verdict = gm_rules_fuse(r, first, second, &res);
                if (verdict == 0 || verdict == GM_BREAK)
                    rc = dn_errf(e,
                                 "block %d joins '%s' (%s) and '%s' (%s): the fusion table says %s "
                                 "for %s + %s",
                                 b, nname(g, y), g->node[y].op, nname(g, x), n->op,
                                 verdict ? "break" : "nothing", first, second);
                else {
                    int rt = fu_type_find(m, res);
                    if (rt < 0) rt = ptype[j];
                    if (t < 0 || fu_type_level(m, rt) > fu_type_level(m, t)) t = rt;
                }
            }
            ptype[i] = t >= 0 ? t : fu_node_type(m, x);
        }
    }
    free(owner);
    free(ptype);
    return rc;
}
