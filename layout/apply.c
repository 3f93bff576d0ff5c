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
 * Blocked (NC4HW4) layouts are applied only with DNNF_APPLY_BLOCKED=1, for
 * a Conv's NCHW output (apply_blocked): the conv templates read one
 * channel's pixels side by side, so every load through the blocked map
 * pays a div and a mod by 4 and the CPU conv-gemm's vector stores scatter;
 * measured slower on PoCL (docs/layout.md, "Blocked layouts, measured").
 * Tensors with more than one copy are not applied (the producer would
 * write two outputs). */
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

/* The node out = Reshape(in, out's shape), its shape a new constant. */
static int add_reshape(ir_graph *g, int in, int out, dn_err *e)
{
    char name[256];
    snprintf(name, sizeof name, "%.200s/shape", g->val[out].name);
    int rank = g->val[out].shape.rank;
    dn_shape one = {.rank = 1, .d = {rank}};
    int c = ir_add_value(g, ir_find_value(g, name) < 0 ? name : NULL, IR_VAL_CONST, DN_I64, &one);
    if (c < 0) {
        dn_errf(e, "layout: cannot add a value for %s", name);
        return -1;
    }
    int64_t *d = malloc((size_t)rank * sizeof *d);
    if (!d) abort();
    for (int k = 0; k < rank; k++)
        d[k] = g->val[out].shape.d[k];
    g->val[c].data = d;
    int ins[2] = {in, c};
    ir_add_node(g, "Reshape", g->val[out].name, ins, 2, &out, 1);
    return 0;
}

/* Will v be stored by a matmul-family kernel (1), or by a Conv (2, only
   for blocked layouts)?  The matmul templates store an output tile in
   either order at about the same cost (the GPU tiles put
   neighbouring work-items along m when the store is contiguous there), but
   the elementwise and reduction families store one element per work-item
   in the logical order, so a permuted store scatters: vit_b_16 unfused on
   PoCL, its QKV bias Add written transposed, spent 23 ms in elementwise
   kernels against 13 without.  Fused, an elementwise chain that only a
   MatMul/Gemm/Conv feeds (a bias Add, a Relu) is that product's epilogue. */
static int tile_writer(const ly_plan *p, int v, int fused)
{
    const ir_graph *g = p->g;
    for (int hop = 0; hop < 8; hop++) {
        int node = g->val[v].producer;
        if (node < 0) return 0;
        const ir_node *n = &g->node[node];
        if (n->domain[0]) return 0;
        if (!strcmp(n->op, "MatMul") || !strcmp(n->op, "Gemm")) return 1;
        if (!strcmp(n->op, "Conv")) return 2;
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

/* DNNF_APPLY_BLOCKED=1: blocked (NC4HW4) layouts too, an experiment that
   is off by default (docs/layout.md, "Blocked layouts, measured"). */
static int blocked_on(void)
{
    const char *env = getenv("DNNF_APPLY_BLOCKED");
    return env && !strcmp(env, "1");
}

/* Does ly_apply_layouts make v's chosen layout real: an activation that a
   matmul-family kernel writes, one copy, permuted; or, with blocked_on(),
   an NCHW activation whose channels (a multiple of 4) a Conv writes and
   its readers want in fours? */
static int applied(const ly_plan *p, int v, int fused)
{
    const ir_graph *g = p->g;
    const ir_value *x = &g->val[v];
    if (x->kind != IR_VAL_NODE || x->is_output || x->pinned || x->producer < 0 ||
        ly_is_candidate(g, x->producer) || ly_plan_ncopies(p, v) != 1)
        return 0;
    int w = tile_writer(p, v, fused);
    const ly_layout *l = ly_plan_layout(p, v, 0);
    if (!w || !l) return 0;
    if (l->kind == LY_PERMUTED) return w == 1;
    return l->kind == LY_BLOCKED4 && blocked_on() && l->dim == 1 && x->shape.rank == 4 &&
           x->shape.d[1] % 4 == 0;
}

/* NC4HW4 for the NCHW activation v (C a multiple of 4), as graph
   structure the pass already knows, a Reshape and a Transpose each way:
       v/split   = Reshape(v, [N, C/4, 4, H, W])
       v/layout  = Transpose(v/split, [0,1,3,4,2])   [N, C/4, H, W, 4], pinned
       v/unsplit = Transpose(v/layout, [0,1,4,2,3])
       v/logical = Reshape(v/unsplit, [N, C, H, W])   read by v's former readers
   The producer writes v/layout through the first pair's inverse map, each
   reader reads through the second pair's composed map. */
static int apply_blocked(ir_graph *g, int v, dn_err *e)
{
    dn_shape logical = g->val[v].shape, split = logical, phys = logical;
    split.rank = phys.rank = 5;
    split.d[1] = phys.d[1] = logical.d[1] / 4;
    split.d[2] = 4;
    split.d[3] = phys.d[2] = logical.d[2];
    split.d[4] = phys.d[3] = logical.d[3];
    phys.d[4] = 4;
    static const int fwd[5] = {0, 1, 3, 4, 2}, back[5] = {0, 1, 4, 2, 3};
    const dn_shape *shapes[4] = {&split, &phys, &split, &logical};
    static const char *const suffix[4] = {"split", "layout", "unsplit", "logical"};
    int w[4], dt = g->val[v].dtype;
    for (int k = 0; k < 4; k++) {
        char name[256];
        snprintf(name, sizeof name, "%.200s/%s", g->val[v].name, suffix[k]);
        if ((w[k] = add_value(g, name, dt, shapes[k], e)) < 0) return -1;
    }
    ir_replace_uses(g, v, w[3]);
    if (add_reshape(g, v, w[0], e)) return -1;
    add_transpose(g, w[0], w[1], fwd, 5);
    add_transpose(g, w[1], w[2], back, 5);
    if (add_reshape(g, w[2], w[3], e)) return -1;
    g->val[w[1]].pinned = 1;
    return 0;
}

/* One layout to apply, read off the plan before the graph changes (the
   plan's arrays are sized by the graph it was built on). */
typedef struct todo {
    int v, rank, blocked;
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
        t[nt].blocked = l->kind == LY_BLOCKED4;
        memcpy(t[nt].perm, l->perm, sizeof t[nt].perm);
        t[nt++].phys = l->phys;
    }
    ly_plan_free(p);
    int rc = 0;
    for (int i = 0; i < nt && rc == 0; i++) {
        if (t[i].blocked) {
            rc = apply_blocked(g, t[i].v, e);
            *napplied += rc == 0;
            continue;
        }
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
