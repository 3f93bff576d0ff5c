/* apply.c -- the layouts selection chose for activations, made real.
 *
 * Selection (select.c) says which layout each tensor's readers read best;
 * the executor runs graphs, not plans, so a chosen layout becomes graph
 * structure here, before fusion and block splitting see the graph.  For an
 * activation v whose one copy is permuted (the readers want dim d
 * innermost: attention's V, which A.V reads along the sequence), written
 * by a kernel:
 *
 *     v/layout  = Transpose(v, perm)           pinned: kept in memory
 *     v/logical = Transpose(v/layout, perm^-1) read by v's former readers
 *
 * The pass then treats both as it treats any data movement: v's producer
 * writes v/layout through (eliminate.c, the pinned chain), the readers
 * compose v/logical's map into their loads from v/layout, and v itself is
 * never stored.
 * Where the write cannot be carried out, both Transposes read through and
 * compose back to v: the graph means what it meant, at worst as before.
 *
 * Only a matmul-family kernel writes a chosen layout (tile_writer): the
 * elementwise and reduction templates store one element per work-item in
 * the logical order, so a permuted store scatters, and the readers do not
 * win that back (our matmul templates stage either order of an operand).
 *
 * Blocked (NC4HW4) layouts are not applied: the conv templates read NCHW,
 * and a blocked input read through its map would cost every tap a div and
 * a mod.  Tensors with more than one copy are not either (the producer
 * would write two outputs). */
#include "layout_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A value named name (or a fresh name when taken), or -1. */
static int add_value(ir_graph *g, const char *name, int dtype, const dn_shape *shape, dn_err *e)
{
    int v = ir_add_value(g, ir_find_value(g, name) < 0 ? name : NULL, IR_VAL_NODE, dtype, shape);
    if (v < 0) dn_errf(e, "layout: cannot add a value for %s", name);
    return v;
}

/* The node out = Transpose(in, perm), named after out. */
static void add_transpose(ir_graph *g, int in, int out, const int *perm, int rank)
{
    int node = ir_add_node(g, "Transpose", g->val[out].name, &in, 1, &out, 1);
    ir_attr *a = ir_add_attr(g, node, "perm", IR_ATTR_INTS);
    a->ints = malloc((size_t)rank * sizeof *a->ints);
    if (!a->ints) abort();
    a->n = rank;
    for (int k = 0; k < rank; k++)
        a->ints[k] = perm[k];
}

/* Will v be stored by a matmul-family kernel?  Those templates store an
   output tile in either order at about the same cost (the GPU tiles put
   neighbouring work-items along m when the store is contiguous there), but
   the elementwise and reduction families store one element per work-item
   in the logical order, so a permuted store scatters: vit_b_16 unfused on
   PoCL, its QKV bias Add written transposed, spent 23 ms in elementwise
   kernels against 13 without.  Fused, an elementwise chain that only a
   MatMul/Gemm feeds (a bias Add) is that product's epilogue. */
static int tile_writer(const ly_plan *p, int v, int fused)
{
    const ir_graph *g = p->g;
    for (int hop = 0; hop < 8; hop++) {
        int node = g->val[v].producer;
        if (node < 0) return 0;
        const ir_node *n = &g->node[node];
        if (n->domain[0]) return 0;
        if (!strcmp(n->op, "MatMul") || !strcmp(n->op, "Gemm")) return 1;
        const char *grp = ly_node_group(p->groups, node);
        if (!fused || !grp || strcmp(grp, "ili_var")) return 0;
        int next = -1; /* the one operand that is not a constant */
        for (int k = 0; k < n->nin; k++) {
            int u = n->in[k];
            if (u < 0 || g->val[u].kind == IR_VAL_CONST) continue;
            if (next >= 0) return 0;
            next = u;
        }
        if (next < 0 || p->uses[next] != 1) return 0;
        v = next;
    }
    return 0;
}

/* Does ly_apply_layouts make v's chosen layout real: an activation that a
   matmul-family kernel writes, one copy, permuted? */
static int applied(const ly_plan *p, int v, int fused)
{
    const ir_graph *g = p->g;
    const ir_value *x = &g->val[v];
    if (x->kind != IR_VAL_NODE || x->is_output || x->pinned || x->producer < 0 ||
        ly_is_candidate(g, x->producer) || ly_plan_ncopies(p, v) != 1 || !tile_writer(p, v, fused))
        return 0;
    const ly_layout *l = ly_plan_layout(p, v, 0);
    return l && l->kind == LY_PERMUTED;
}

/* One layout to apply, read off the plan before the graph changes (the
   plan's arrays are sized by the graph it was built on). */
typedef struct todo {
    int v, rank;
    int perm[DN_MAX_RANK];
    dn_shape phys;
} todo;

int ly_apply_layouts(ir_graph *g, const gm_rules *r, const ly_options *o, int fused, int *napplied,
                     dn_err *e)
{
    *napplied = 0;
    ly_plan *p = ly_plan_build(g, r, NULL, o, e);
    if (!p) return -1;
    todo *t = calloc((size_t)g->nval + 1, sizeof *t);
    if (!t) abort();
    int nt = 0;
    for (int v = 0; v < g->nval; v++) {
        if (!applied(p, v, fused)) continue;
        const ly_layout *l = ly_plan_layout(p, v, 0);
        t[nt].v = v;
        t[nt].rank = g->val[v].shape.rank;
        memcpy(t[nt].perm, l->perm, sizeof t[nt].perm);
        t[nt++].phys = l->phys;
    }
    ly_plan_free(p);
    int rc = 0;
    for (int i = 0; i < nt && rc == 0; i++) {
        int v = t[i].v, rank = t[i].rank, inv[DN_MAX_RANK];
        for (int k = 0; k < rank; k++)
            inv[t[i].perm[k]] = k;
        dn_shape logical = g->val[v].shape; /* g->val moves as values are added */
        char name[256];
        snprintf(name, sizeof name, "%.200s/layout", g->val[v].name);
        int vp = add_value(g, name, g->val[v].dtype, &t[i].phys, e);
        snprintf(name, sizeof name, "%.200s/logical", g->val[v].name);
        int vl = vp < 0 ? -1 : add_value(g, name, g->val[v].dtype, &logical, e);
        if (vl < 0) {
            rc = -1;
            break;
        }
        /* every reader of v reads v/logical; then v/layout is written from
           v and v/logical read back from it */
        ir_replace_uses(g, v, vl);
        add_transpose(g, v, vp, t[i].perm, rank);
        add_transpose(g, vp, vl, inv, rank);
        g->val[vp].pinned = 1;
        (*napplied)++;
    }
    free(t);
    return rc;
}
