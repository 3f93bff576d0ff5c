/* recompute.c -- recomputing cheap One-to-One producers in their readers
 * (see the comment on fup_try_recompute). */
#include "plan_impl.h"

#include <string.h>

/* ------------------------------------------------------------------ */
/* Recomputation                                                        */
/* ------------------------------------------------------------------ */

/* Node x (cheap, One-to-One, owned by block b) writes a result that other
   blocks read.  When each reader can compute x itself -- the table lets x
   join it outright, x's inputs are in memory anyway (graph inputs,
   constants, results of other blocks, results b writes for other
   readers), and the kernel-argument bound holds -- and the bytes the
   readers would then read are fewer than writing x's result once and
   reading it in every reader, the readers get a copy of x.  If b itself
   no longer needs x, x leaves b: it is "dissolved", owned by no block. */
void fup_try_recompute(fu_plan *p, int x)
{
    const ir_graph *g = p->g;
    const ir_node *n = &g->node[x];
    int b = p->blk[x];
    if (b < 0 || p->dissolved[x] || fup_level(p, fu_node_type(p->m, x)) != 0) return;
    double ne =
        n->nout > 0 && n->out[0] >= 0 ? (double)dn_shape_numel(&g->val[n->out[0]].shape) : 0;
    if (ne <= 0 || p->flops[x] / ne > p->L.recompute_flops) return;
    for (int o = 0; o < n->nout; o++)
        if (n->out[o] >= 0 && g->val[n->out[o]].is_output) return;
    /* x's inputs must be in memory without x's block writing more */
    for (int j = 0; j < n->nin; j++) {
        int u = n->in[j];
        if (u < 0 || g->val[u].kind != IR_VAL_NODE) continue;
        int pr = g->val[u].producer;
        if (fup_runs(p, b, pr) && !fup_leaves(p, (nset){b, -1}, u)) return;
    }
    /* the readers: blocks that read one of x's results without running x */
    ivec readers = {0};
    int internal = 0;
    for (int c = 0; c < p->nwb; c++) {
        if (!p->wb[c].alive) continue;
        const wblock *wc = &p->wb[c];
        int reads = 0;
        for (int i = 0; i < wc->mem.n + wc->recomp.n && !reads; i++) {
            int y = i < wc->mem.n ? wc->mem.v[i] : wc->recomp.v[i - wc->mem.n];
            if (i < wc->mem.n && p->dissolved[y]) continue;
            const ir_node *yn = &g->node[y];
            for (int j = 0; j < yn->nin && !reads; j++)
                for (int o = 0; o < n->nout && !reads; o++)
                    reads = yn->in[j] >= 0 && yn->in[j] == n->out[o];
        }
        if (!reads) continue;
        if (c == b)
            internal = 1;
        else if (!fup_is_copy_in(p, c, x))
            fup_ipush(&readers, c);
    }
    if (!readers.n) {
        free(readers.v);
        return;
    }
    double before = 0, after = 0;
    for (int o = 0; o < n->nout; o++)
        before += (1 + readers.n) * fu_value_bytes(g, n->out[o]);
    int ok = 1;
    for (int r = 0; r < readers.n && ok; r++) {
        int c = readers.v[r];
        const char *res = NULL;
        if (gm_rules_fuse(p->r, fu_type_name(p->m, fu_node_type(p->m, x)),
                          fu_type_name(p->m, p->wb[c].type), &res) != GM_FUSE) {
            ok = 0;
            break;
        }
        int nargs, extra = 0;
        fup_set_cost(p, (nset){c, -1}, &nargs, NULL, NULL, NULL);
        for (int j = 0; j < n->nin; j++) {
            int u = n->in[j], already = 0;
            if (u < 0) continue;
            const wblock *wc = &p->wb[c];
            for (int i = 0; i < wc->mem.n + wc->recomp.n && !already; i++) {
                const ir_node *yn =
                    &g->node[i < wc->mem.n ? wc->mem.v[i] : wc->recomp.v[i - wc->mem.n]];
                for (int k = 0; k < yn->nin && !already; k++)
                    already = yn->in[k] == u;
            }
            if (already) continue;
            after += fu_value_bytes(g, u);
            if (!fup_is_scalar_const(p, u)) extra++;
        }
        /* x's results no longer come in as arguments */
        if (nargs + extra - 1 > p->L.max_args) ok = 0;
    }
    if (ok && after < before) {
        for (int r = 0; r < readers.n; r++)
            fup_ipush(&p->wb[readers.v[r]].recomp, x);
        p->copied[x] = 1;
        p->ncopies++;
        if (!internal) {
            /* b does not need x any more */
            wblock *w = &p->wb[b];
            int k = 0;
            for (int i = 0; i < w->mem.n; i++)
                if (w->mem.v[i] != x) w->mem.v[k++] = w->mem.v[i];
            w->mem.n = k;
            p->dissolved[x] = 1;
            if (!k)
                w->alive = 0;
            else if (w->seed == x)
                w->seed = w->mem.v[0];
        }
        fu_step *s = fup_step(p, FU_STEP_RECOMPUTE, x, b, FU_DIR_NONE, -1);
        s->from = internal ? x : -1;
        s->ms_fused = after;
        s->ms_apart = before;
    }
    free(readers.v);
}
