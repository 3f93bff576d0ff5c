/* schedule.c -- from working blocks to the plan's blocks: a topological
 * order of the block graph (earliest member first among the ready ones),
 * each block's members and copies in program order, its inputs,
 * parameters and outputs, and its kind (kernel, layout, view). */
#include "plan_impl.h"

#include <string.h>

/* ------------------------------------------------------------------ */
/* The final blocks                                                     */
/* ------------------------------------------------------------------ */

static int *copy_sorted(const fu_plan *p, const int *v, int n)
{
    int *a = malloc((size_t)(n ? n : 1) * sizeof *a);
    if (!a) abort();
    if (n) memcpy(a, v, (size_t)n * sizeof *a);
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && p->pos[a[j]] < p->pos[a[j - 1]]; j--) {
            int t = a[j];
            a[j] = a[j - 1];
            a[j - 1] = t;
        }
    return a;
}

static int only_moves_data(const fu_plan *p, int x)
{
    const char *t = fu_type_name(p->m, fu_decl_type(p->m, x));
    /* Reorganize / Shuffle operators and the copying One-to-Many ones
       (Expand, Gather, ...) whose declared cost has no FLOPs */
    return p->flops[x] == 0 &&
           (!strcmp(t, "reorganize") || !strcmp(t, "shuffle") || !strcmp(t, "one_to_many"));
}

int fup_finalize(fu_plan *p, dn_err *e)
{
    const ir_graph *g = p->g;
    int nw = p->nwb;
    p->wb_final = malloc((size_t)(nw ? nw : 1) * sizeof *p->wb_final);
    /* topological order of the blocks: Kahn, earliest member first */
    int *indeg = calloc((size_t)(nw ? nw : 1), sizeof *indeg);
    int *minpos = malloc((size_t)(nw ? nw : 1) * sizeof *minpos);
    char *edge = calloc((size_t)(nw ? nw : 1) * (size_t)(nw ? nw : 1), 1);
    if (!p->wb_final || !indeg || !minpos || !edge) abort();
    int alive = 0;
    for (int b = 0; b < nw; b++) {
        p->wb_final[b] = -1;
        minpos[b] = 1 << 30;
        if (!p->wb[b].alive) continue;
        alive++;
        const wblock *w = &p->wb[b];
        for (int i = 0; i < w->mem.n + w->recomp.n; i++) {
            int x = i < w->mem.n ? w->mem.v[i] : w->recomp.v[i - w->mem.n];
            if (i < w->mem.n && p->pos[x] < minpos[b]) minpos[b] = p->pos[x];
            const ir_node *n = &g->node[x];
            for (int j = 0; j < n->nin; j++) {
                int v = n->in[j];
                if (v < 0 || g->val[v].kind != IR_VAL_NODE) continue;
                int pr = g->val[v].producer;
                if (pr < 0 || p->dissolved[pr] || fup_is_copy_in(p, b, pr)) continue;
                int pb = p->blk[pr];
                if (pb == b || pb < 0) continue;
                if (!edge[(size_t)pb * (size_t)nw + (size_t)b]) {
                    edge[(size_t)pb * (size_t)nw + (size_t)b] = 1;
                    indeg[b]++;
                }
            }
        }
    }
    p->blocks = calloc((size_t)(alive ? alive : 1), sizeof *p->blocks);
    if (!p->blocks) abort();
    int placed = 0;
    while (placed < alive) {
        int best = -1;
        for (int b = 0; b < nw; b++)
            if (p->wb[b].alive && p->wb_final[b] < 0 && indeg[b] == 0 &&
                (best < 0 || minpos[b] < minpos[best]))
                best = b;
        if (best < 0) break;
        p->wb_final[best] = placed++;
        for (int c = 0; c < nw; c++)
            if (edge[(size_t)best * (size_t)nw + (size_t)c]) indeg[c]--;
    }
    free(indeg);
    free(minpos);
    free(edge);
    if (placed < alive) return dn_errf(e, "internal error: the fusion blocks form a cycle");
    p->nblocks = alive;
    for (int i = 0; i < p->nn; i++)
        p->block_of[i] = -1;
    for (int b = 0; b < nw; b++) {
        if (!p->wb[b].alive) continue;
        const wblock *w = &p->wb[b];
        fu_block *B = &p->blocks[p->wb_final[b]];
        B->id = p->wb_final[b];
        B->type = w->type;
        B->seed = w->seed;
        B->nnodes = w->mem.n;
        B->nodes = copy_sorted(p, w->mem.v, w->mem.n);
        B->nrecomp = w->recomp.n;
        B->recomp = copy_sorted(p, w->recomp.v, w->recomp.n);
        ivec ex = {0};
        for (int i = 0; i < w->mem.n; i++)
            fup_ipush(&ex, w->mem.v[i]);
        for (int i = 0; i < w->recomp.n; i++)
            fup_ipush(&ex, w->recomp.v[i]);
        B->nexec = ex.n;
        B->exec = copy_sorted(p, ex.v, ex.n);
        free(ex.v);
        for (int i = 0; i < w->mem.n; i++)
            p->block_of[w->mem.v[i]] = B->id;
        /* inputs, parameters, outputs */
        ivec in = {0}, par = {0}, out = {0};
        nset s = {b, -1};
        p->gen++;
        int views = 1, moves = 1;
        B->flops = 0;
        for (int i = 0; i < B->nexec; i++) {
            int x = B->exec[i];
            const ir_node *n = &g->node[x];
            B->flops += p->flops[x];
            if (!fu_is_view_op(n->op)) views = 0;
            if (!only_moves_data(p, x) && !fu_is_view_op(n->op)) moves = 0;
            for (int j = 0; j < n->nin; j++) {
                int v = n->in[j];
                if (v < 0 || fup_produced_in(p, s, v) || p->stamp[p->nn + v] == p->gen) continue;
                p->stamp[p->nn + v] = p->gen;
                fup_ipush(fup_is_const(p, v) ? &par : &in, v);
            }
            if (fup_is_copy_in(p, b, x)) continue;
            for (int o = 0; o < n->nout; o++) {
                int v = n->out[o];
                if (v >= 0 && fup_leaves(p, s, v)) fup_ipush(&out, v);
            }
        }
        B->ninputs = in.n;
        B->inputs = in.v ? in.v : calloc(1, sizeof(int));
        B->nparams = par.n;
        B->params = par.v ? par.v : calloc(1, sizeof(int));
        B->noutputs = out.n;
        B->outputs = out.v ? out.v : calloc(1, sizeof(int));
        B->bytes = 0;
        for (int i = 0; i < in.n; i++)
            B->bytes += fu_value_bytes(g, in.v[i]);
        for (int i = 0; i < par.n; i++)
            B->bytes += fu_value_bytes(g, par.v[i]);
        for (int i = 0; i < out.n; i++)
            B->bytes += fu_value_bytes(g, out.v[i]);
        B->kind = views && B->nrecomp == 0 ? FU_VIEW : moves ? FU_LAYOUT : FU_KERNEL;
    }
    for (int i = 0; i < p->nsteps; i++)
        if (p->steps[i].block >= 0) p->steps[i].block = p->wb_final[p->steps[i].block];
    return 0;
}
