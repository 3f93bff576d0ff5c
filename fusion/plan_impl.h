/* plan_impl.h -- what the files of plan generation share (plan.c,
 * candidate.c, recompute.c, schedule.c); private to fusion/.
 *
 * While the plan grows, blocks are "working blocks" (wblock): the nodes a
 * block owns (mem) and the nodes it recomputes (recomp).  A node belongs
 * to at most one working block (blk); a node "dissolved" into its readers
 * is owned by none and only runs as copies.  A candidate block is a
 * working block plus at most one more node (nset). */
#ifndef DNNF_FUSION_PLAN_IMPL_H
#define DNNF_FUSION_PLAN_IMPL_H

#include "fusion.h"

#include <stdlib.h>

typedef struct ivec {
    int *v;
    int n, cap;
} ivec;

static inline void fup_ipush(ivec *a, int x)
{
    if (a->n == a->cap) {
        a->cap = a->cap ? 2 * a->cap : 8;
        a->v = realloc(a->v, (size_t)a->cap * sizeof *a->v);
        if (!a->v) abort();
    }
    a->v[a->n++] = x;
}

typedef struct wblock {
    int alive, type, seed;
    ivec mem;    /* owned nodes */
    ivec recomp; /* recomputed copies */
} wblock;

struct fu_plan {
    const ir_graph *g;
    const gm_rules *r;
    fu_mapping *m;
    fu_limits L;
    fu_profile *db;
    int own_db;
    int nn;
    int *pos; /* node -> topological position (-1: dead) */
    int *topo, ntopo;
    int *cons_off, *cons; /* node -> consumer nodes (unique) */
    double *flops;        /* per node */
    int *blk;             /* node -> working block, -1 unassigned */
    char *dissolved;      /* owned by no block: only copies run */
    char *copied;         /* runs as a copy in some block */
    int ncopies;
    int *stamp, gen; /* scratch marks: nodes at [0, nn), values at nn + v */
    int *bstamp;     /* scratch marks per working block (grown with nwb) */
    wblock *wb;
    int nwb, capwb;
    fu_step *steps;
    int nsteps, capsteps;
    /* the result */
    fu_block *blocks;
    int nblocks;
    int *block_of;
    int *wb_final; /* working block -> final id */
};

static inline int fup_level(const fu_plan *p, int t)
{
    return fu_type_level(p->m, t);
}

static inline int fup_max_type(const fu_plan *p, int a, int b)
{
    return fup_level(p, b) > fup_level(p, a) ? b : a;
}

static inline int fup_is_const(const fu_plan *p, int v)
{
    return p->g->val[v].kind == IR_VAL_CONST;
}

/* A scalar parameter becomes a literal in the kernel, not an argument. */
static inline int fup_is_scalar_const(const fu_plan *p, int v)
{
    return fup_is_const(p, v) && dn_shape_numel(&p->g->val[v].shape) == 1;
}

static inline int fup_has_node(const ivec *a, int x)
{
    for (int i = 0; i < a->n; i++)
        if (a->v[i] == x) return 1;
    return 0;
}

typedef struct nset {
    int b;     /* working block, or -1 */
    int extra; /* one more node, or -1 */
} nset;

static inline int fup_in_set(const fu_plan *p, nset s, int node)
{
    return node == s.extra || (s.b >= 0 && p->blk[node] == s.b && !p->dissolved[node]);
}

/* Runs body with x bound to every node of the set: members, recomputed
   copies, then the extra node. */
#define FOR_SET(p, s, x, body)                                                                     \
    do {                                                                                           \
        if ((s).b >= 0) {                                                                          \
            const wblock *w_ = &(p)->wb[(s).b];                                                    \
            for (int i_ = 0; i_ < w_->mem.n + w_->recomp.n; i_++) {                                \
                int x = i_ < w_->mem.n ? w_->mem.v[i_] : w_->recomp.v[i_ - w_->mem.n];             \
                body                                                                               \
            }                                                                                      \
        }                                                                                          \
        if ((s).extra >= 0) {                                                                      \
            int x = (s).extra;                                                                     \
            body                                                                                   \
        }                                                                                          \
    } while (0)

static inline int fup_is_copy_in(const fu_plan *p, int b, int x)
{
    const wblock *w = &p->wb[b];
    for (int i = 0; i < w->recomp.n; i++)
        if (w->recomp.v[i] == x) return 1;
    return 0;
}

/* Does block b run node x (as a member or a copy)? */
static inline int fup_runs(const fu_plan *p, int b, int x)
{
    return (p->blk[x] == b && !p->dissolved[x]) || fup_is_copy_in(p, b, x);
}

/* plan.c */
fu_step *fup_step(fu_plan *p, int kind, int node, int block, int dir, int from);

/* candidate.c: a candidate block as one kernel */
int fup_leaves(const fu_plan *p, nset s, int v);
int fup_produced_in(const fu_plan *p, nset s, int v);
void fup_set_cost(fu_plan *p, nset s, int *nargs, double *bytes, double *flops, double *max_out);
int fup_would_cycle(fu_plan *p, int b, int c);
double fup_fanout(const fu_plan *p, int consumer, int v);
double fup_window_taps(const fu_plan *p, int consumer, int k);
int fup_epilogue_home(fu_plan *p, nset s);
double fup_set_ms(fu_plan *p, nset s, double extra_flops, int *measured);

/* recompute.c */
void fup_try_recompute(fu_plan *p, int x);

/* schedule.c: the final blocks, in an order where producers come first */
int fup_finalize(fu_plan *p, dn_err *e);

#endif
