/* select.c -- each tensor's layout from its consumers' reduction dims.
 *
 * SmartMem's observation: an ILD operator is fast when the dimension it
 * reduces over is contiguous (a MatMul walks K, a Softmax its axis, a
 * Conv the input channels), and every tensor has exactly one writer, who
 * can write any layout at no cost when its own group is Variable.  So the
 * layout of a tensor is chosen by its readers: for each ILD reader (the
 * group comes from the rules), the reduction variable of the reader's
 * input is traced through the access map (which may have folded a
 * Transpose in) to the source dim it walks, and that dim is asked to be
 * innermost -- or, for Conv, to be blocked by 4 (NC4HW4: four channels
 * side by side, what float4 loads and image texels want).  When readers
 * disagree, up to max_copies layouts are kept (the writer writes each);
 * the rest read copy 0.  Graph inputs and outputs, tensors a surviving
 * view aliases, and outputs of Fixed producers stay row-major: their
 * layout is not ours to choose. */
#include "layout_impl.h"

#include <stdlib.h>
#include <string.h>

int ly_layout_row_major(dn_arena *a, const dn_shape *s, ly_layout *l, dn_err *e)
{
    memset(l, 0, sizeof *l);
    l->kind = LY_ROW_MAJOR;
    l->dim = -1;
    l->phys = *s;
    for (int k = 0; k < s->rank; k++)
        l->perm[k] = k;
    return cg_map_identity(a, s, &l->map, e);
}

/* d innermost: phys.d[k] = s.d[perm[k]], perm = (others in order, d). */
static int layout_permuted(dn_arena *a, const dn_shape *s, int d, ly_layout *l, dn_err *e)
{
    if (ly_layout_row_major(a, s, l, e)) return -1;
    if (d == s->rank - 1) return 0;
    l->kind = LY_PERMUTED;
    l->dim = d;
    int j = 0;
    for (int k = 0; k < s->rank; k++)
        if (k != d) l->perm[j++] = k;
    l->perm[j] = d;
    for (int k = 0; k < s->rank; k++) {
        l->phys.d[k] = s->d[l->perm[k]];
        l->map.idx[k] = cg_var(a, l->perm[k]);
    }
    l->map.src = l->phys;
    return 0;
}

/* dim d split into (ceil(d/4), ..., 4 innermost). */
static int layout_blocked(dn_arena *a, const dn_shape *s, int d, ly_layout *l, dn_err *e)
{
    if (ly_layout_row_major(a, s, l, e)) return -1;
    if (s->rank + 1 > DN_MAX_RANK) return 0;
    l->kind = LY_BLOCKED4;
    l->dim = d;
    l->phys.rank = s->rank + 1;
    l->phys.d[d] = (s->d[d] + 3) / 4;
    l->phys.d[s->rank] = 4;
    l->map.src = l->phys;
    l->map.idx[d] = cg_div(a, cg_var(a, d), 4);
    l->map.idx[s->rank] = cg_mod(a, cg_var(a, d), 4);
    cg_map_simplify(a, &l->map);
    return 0;
}

int ly_reduction_dim(const ir_graph *g, const ir_node *n, int slot, int *blocked)
{
    *blocked = 0;
    int v = n->in[slot];
    if (v < 0) return -1;
    int r = g->val[v].shape.rank, ax;
    dn_err e;
    if (!strcmp(n->op, "MatMul")) {
        if (slot == 0) return r - 1;
        if (slot == 1) return r >= 2 ? r - 2 : 0;
    }
    if (!strcmp(n->op, "Gemm") && r == 2) {
        if (slot == 0) return ir_attr_int(n, "transA", 0) ? 0 : 1;
        if (slot == 1) return ir_attr_int(n, "transB", 0) ? 1 : 0;
    }
    if ((!strcmp(n->op, "Conv") || !strcmp(n->op, "ConvTranspose")) && slot <= 1 && r >= 3) {
        *blocked = 1;
        return 1;
    }
    if ((!strcmp(n->op, "Softmax") || !strcmp(n->op, "LogSoftmax") ||
         !strcmp(n->op, "LayerNormalization")) &&
        slot == 0)
        return dn_axis(ir_attr_int(n, "axis", -1), r, &ax, &e) ? -1 : ax;
    if (!strncmp(n->op, "Reduce", 6) && slot == 0) {
        int cnt = 0;
        const int64_t *axes = ir_attr_ints(n, "axes", &cnt);
        dn_tensor t;
        if (!axes && n->nin > 1 && n->in[1] >= 0 && g->val[n->in[1]].data &&
            ir_input_tensor(g, n, 1, &t)) {
            cnt = (int)dn_shape_numel(&t.shape);
            return cnt > 0 && !dn_axis(dn_geti(&t, cnt - 1), r, &ax, &e) ? ax : -1;
        }
        return axes && cnt > 0 && !dn_axis(axes[cnt - 1], r, &ax, &e) ? ax : -1;
    }
    return -1;
}

/* One reader's wish for a tensor. */
typedef struct wish {
    int node, slot;
    int acc;  /* access index, -1: a direct read */
    int kind; /* LY_PERMUTED / LY_BLOCKED4 / LY_ROW_MAJOR */
    int dim;
} wish;

static int fixed_or_free(const ly_plan *p, int v)
{
    const ir_graph *g = p->g;
    const ir_value *x = &g->val[v];
    if (x->is_output || x->pinned || x->kind == IR_VAL_INPUT) return 0;
    if (x->kind == IR_VAL_CONST) return 1; /* weights are laid out once, at load */
    if (x->producer < 0) return 0;
    const char *grp = ly_node_group(p->groups, x->producer);
    size_t n = grp ? strlen(grp) : 0;
    return n >= 4 && !strcmp(grp + n - 4, "_var");
}

static void sort_accesses(ly_plan *p)
{
    /* insertion sort by (node, slot): few out of order */
    for (int i = 1; i < p->nacc; i++) {
        ly_access t = p->acc[i];
        int j = i - 1;
        while (j >= 0 &&
               (p->acc[j].node > t.node || (p->acc[j].node == t.node && p->acc[j].slot > t.slot))) {
            p->acc[j + 1] = p->acc[j];
            j--;
        }
        p->acc[j + 1] = t;
    }
    for (int i = 0; i < p->g->nnode; i++)
        p->acc_of[i] = -1;
    for (int i = p->nacc - 1; i >= 0; i--)
        p->acc_of[p->acc[i].node] = i;
}

int ly_select(ly_plan *p, dn_err *e)
{
    const ir_graph *g = p->g;
    int nv = g->nval;
    /* readers per source value */
    int cap = 64, nw = 0;
    wish *w = malloc((size_t)cap * sizeof *w);
    char *pinned = calloc((size_t)nv + 1, 1);
    if (!w || !pinned) abort();
    for (int i = 0; i < p->nfates; i++)
        if (p->fates[i].fate == LY_VIEW || p->fates[i].fate == LY_KEEP) {
            const ir_node *n = &g->node[p->fates[i].node];
            /* a view aliases its input: that input must be row-major; a
               copy kernel of a Fixed group writes row-major */
            if (p->fates[i].fate == LY_VIEW && n->in[0] >= 0) pinned[n->in[0]] = 1;
        }
    for (int i = 0; i < p->nst; i++)
        pinned[p->st[i].dest] = 1;
    for (int c = 0; c < g->nnode; c++) {
        const ir_node *n = &g->node[c];
        if (n->dead) continue;
        const ly_fate *f = ly_plan_node_fate(p, c);
        if (f && (f->fate == LY_ELIM_READ || f->fate == LY_ELIM_WRITE)) continue;
        const char *grp = ly_node_group(p->groups, c);
        int ild = grp && !strncmp(grp, "ild", 3);
        for (int k = 0; k < n->nin; k++) {
            if (n->in[k] < 0) continue;
            int np, blocked = 0, r = ild ? ly_reduction_dim(g, n, k, &blocked) : -1;
            const ly_access *pc = ly_plan_read_pieces(p, c, k, &np);
            for (int q = 0; q < (np ? np : 1); q++) {
                const ly_access *a = np ? &pc[q] : NULL;
                int src = a ? a->source : n->in[k];
                if (r < 0 || !p->o.select || !ly_plan_materialized(p, src) ||
                    !dn_shape_known(&g->val[src].shape))
                    continue;
                int d = -1, hits = 0;
                for (int j = 0; j < g->val[src].shape.rank; j++) {
                    int uses = a ? cg_expr_uses(a->map.idx[j], a->map.flat ? 0 : r) : j == r;
                    if (uses) d = j, hits++;
                }
                if (hits != 1 || (a && a->map.flat)) continue;
                if (nw == cap) {
                    cap *= 2;
                    w = realloc(w, (size_t)cap * sizeof *w);
                    if (!w) abort();
                }
                wish *x = &w[nw++];
                x->node = c;
                x->slot = k;
                x->acc = a ? (int)(a - p->acc) : -1;
                x->dim = d;
                x->kind = blocked && p->o.conv_blocked      ? LY_BLOCKED4
                          : d == g->val[src].shape.rank - 1 ? LY_ROW_MAJOR
                                                            : LY_PERMUTED;
            }
        }
    }
    int rc = 0;
    for (int v = 0; v < nv && !rc; v++) {
        if (!ly_plan_materialized(p, v) || !dn_shape_known(&g->val[v].shape)) continue;
        /* only tensors somebody reads (or a graph output) get a layout */
        int used = g->val[v].is_output || p->uses[v] > 0;
        for (int i = 0; i < p->nacc && !used; i++)
            used = p->acc[i].source == v;
        if (!used || (g->val[v].kind == IR_VAL_CONST && !p->uses[v])) continue;
        /* distinct wishes, most wanted first */
        int kinds[16], dims[16], count[16], nd = 0;
        int free_ = fixed_or_free(p, v) && !pinned[v];
        for (int i = 0; i < nw && free_; i++) {
            int src = w[i].acc >= 0 ? p->acc[w[i].acc].source : g->node[w[i].node].in[w[i].slot];
            if (src != v) continue;
            int j = 0;
            while (j < nd && !(kinds[j] == w[i].kind && dims[j] == w[i].dim))
                j++;
            if (j == nd && nd < 16) {
                kinds[nd] = w[i].kind;
                dims[nd] = w[i].dim;
                count[nd++] = 0;
            }
            if (j < 16) count[j]++;
        }
        for (int i = 1; i < nd; i++)
            for (int j = i; j > 0 && count[j] > count[j - 1]; j--) {
                int t;
                t = kinds[j], kinds[j] = kinds[j - 1], kinds[j - 1] = t;
                t = dims[j], dims[j] = dims[j - 1], dims[j - 1] = t;
                t = count[j], count[j] = count[j - 1], count[j - 1] = t;
            }
        int nc = nd ? (nd < p->o.max_copies ? nd : p->o.max_copies) : 1;
        p->lays[v] = calloc((size_t)nc, sizeof *p->lays[v]);
        if (!p->lays[v]) abort();
        p->ncopies[v] = nc;
        const dn_shape *s = &g->val[v].shape;
        for (int c = 0; c < nc && !rc; c++) {
            ly_layout *l = &p->lays[v][c];
            if (!nd || kinds[c] == LY_ROW_MAJOR)
                rc = ly_layout_row_major(p->arena, s, l, e);
            else if (kinds[c] == LY_PERMUTED)
                rc = layout_permuted(p->arena, s, dims[c], l, e);
            else
                rc = layout_blocked(p->arena, s, dims[c], l, e);
        }
        /* which copy each reader reads; a direct reader of a copy other
           than 0 gets an access record (identity map) to say so */
        for (int i = 0; i < nw && !rc; i++) {
            int src = w[i].acc >= 0 ? p->acc[w[i].acc].source : g->node[w[i].node].in[w[i].slot];
            if (src != v) continue;
            int copy = 0;
            for (int c = 0; c < nc && c < nd; c++) /* nd == 0: a pinned value, one copy */
                if (kinds[c] == w[i].kind && dims[c] == w[i].dim) copy = c;
            ly_layout *l = &p->lays[v][copy];
            l->readers++;
            if (!l->why[0])
                snprintf(l->why, sizeof l->why, "%s (%s) input %d reduces over dim %d",
                         g->node[w[i].node].name, g->node[w[i].node].op, w[i].slot, w[i].dim);
            if (w[i].acc >= 0)
                p->acc[w[i].acc].copy = copy;
            else if (copy) {
                ly_access a;
                memset(&a, 0, sizeof a);
                a.node = w[i].node;
                a.slot = w[i].slot;
                a.value = a.source = v;
                a.copy = copy;
                rc = cg_map_identity(p->arena, s, &a.map, e);
                p->acc = realloc(p->acc, ((size_t)p->nacc + 1) * sizeof *p->acc);
                if (!p->acc) abort();
                p->acc[p->nacc++] = a;
            }
        }
    }
    if (!rc) sort_accesses(p);
    free(w);
    free(pinned);
    return rc;
}
