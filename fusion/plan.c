/* plan.c -- DNNFusion's fusion plan generation (PLDI 2021, §4.3), driven by
 * the lattice, declarations and fusion table of the rules.
 *
 * 1. Seeds.  The One-to-One node with the smallest intermediate result
 *    that no block holds yet starts a block (small results first, because
 *    a block seeded there keeps the most bytes out of memory per join).
 *    After the last One-to-One seed, every remaining node seeds in turn
 *    (lowest lattice level first, then smallest result): a chain of
 *    Reorganize/Shuffle nodes between two Many-to-Many ones has no
 *    One-to-One seed, and should still become one kernel.
 * 2. Growth.  First through successors, recursively (each newly joined
 *    node's consumers are tried in turn), then through predecessors of
 *    every member, recursively.  Each candidate is looked up in the table
 *    as (producer type, consumer type), where the block side is the
 *    block's current type and the node side its type on the connecting
 *    edge (mapping.c): `fuse` joins, `break` (or no entry) stops, `profile`
 *    joins only when the profile database or the static model says the
 *    fused block is faster than the two apart.  The block takes the type
 *    the table gives.
 * 3. Constraints, checked before every join: no cycle between blocks (a
 *    path leaving the block and coming back through other blocks, with
 *    the nodes no block holds yet counted as blocks of their own), at most
 *    max_args buffers per kernel, at most max_work FLOPs per output
 *    element.
 * 4. Recomputation (recompute.c).  A cheap One-to-One node whose result
 *    other blocks read is copied into those readers when that moves fewer
 *    bytes than writing its result and reading it back; the plan records
 *    each copy.
 *
 * What a candidate block reads, writes and costs, and the cycle check,
 * are in candidate.c; the final order of the blocks in schedule.c.
 *
 * Every decision is logged as a step (fu_step) so that tests can check
 * seeds and growth order, and `dnnf fuse --steps` can explain a plan. */
#include "plan_impl.h"

#include <math.h>
#include <string.h>

void fu_limits_default(fu_limits *l)
{
    /* OpenCL guarantees 1024 bytes of kernel parameters: 128 pointers;
       half of that leaves room for the scalars of the index maps */
    l->max_args = 64;
    /* a 3x3 convolution over 512 channels costs ~9k FLOPs per output, the
       first Gemm of VGG-16 ~50k: a bound of 128k stops only blocks that
       recompute whole reductions per element */
    l->max_work = 131072;
    l->recompute = 1;
    l->recompute_flops = 32;
    l->other_seeds = 1;
}

const ir_graph *fu_plan_graph(const fu_plan *p)
{
    return p->g;
}
const fu_mapping *fu_plan_mapping(const fu_plan *p)
{
    return p->m;
}
const gm_rules *fu_plan_rules(const fu_plan *p)
{
    return p->r;
}
int fu_plan_nblocks(const fu_plan *p)
{
    return p->nblocks;
}
const fu_block *fu_plan_block(const fu_plan *p, int i)
{
    return &p->blocks[i];
}
int fu_plan_block_of(const fu_plan *p, int node)
{
    return node >= 0 && node < p->nn ? p->block_of[node] : -1;
}
int fu_plan_is_recomputed(const fu_plan *p, int node)
{
    return node >= 0 && node < p->nn && p->copied[node];
}
int fu_plan_nsteps(const fu_plan *p)
{
    return p->nsteps;
}
const fu_step *fu_plan_step(const fu_plan *p, int i)
{
    return &p->steps[i];
}

void fu_plan_free(fu_plan *p)
{
    if (!p) return;
    for (int i = 0; i < p->nwb; i++)
        free(p->wb[i].mem.v), free(p->wb[i].recomp.v);
    for (int i = 0; i < p->nblocks; i++) {
        fu_block *b = &p->blocks[i];
        free(b->nodes);
        free(b->recomp);
        free(b->exec);
        free(b->inputs);
        free(b->params);
        free(b->outputs);
    }
    if (p->own_db) fu_profile_free(p->db);
    fu_mapping_free(p->m);
    free(p->blocks);
    free(p->block_of);
    free(p->wb_final);
    free(p->wb);
    free(p->steps);
    free(p->pos);
    free(p->topo);
    free(p->cons_off);
    free(p->cons);
    free(p->flops);
    free(p->blk);
    free(p->dissolved);
    free(p->copied);
    free(p->stamp);
    free(p->bstamp);
    free(p);
}

fu_step *fup_step(fu_plan *p, int kind, int node, int block, int dir, int from)
{
    if (p->nsteps == p->capsteps) {
        p->capsteps = p->capsteps ? 2 * p->capsteps : 64;
        p->steps = realloc(p->steps, (size_t)p->capsteps * sizeof *p->steps);
        if (!p->steps) abort();
    }
    fu_step *s = &p->steps[p->nsteps++];
    *s = (fu_step){kind, node, block, dir, from, -1, -1, 0, 0, 0, 0, 0};
    return s;
}

static int new_block(fu_plan *p, int seed)
{
    if (p->nwb == p->capwb) {
        p->capwb = p->capwb ? 2 * p->capwb : 64;
        p->wb = realloc(p->wb, (size_t)p->capwb * sizeof *p->wb);
        p->bstamp = realloc(p->bstamp, (size_t)p->capwb * sizeof *p->bstamp);
        if (!p->wb || !p->bstamp) abort();
    }
    int b = p->nwb++;
    p->wb[b] = (wblock){1, fu_node_type(p->m, seed), seed, {0}, {0}};
    p->bstamp[b] = 0;
    fup_ipush(&p->wb[b].mem, seed);
    p->blk[seed] = b;
    return b;
}

/* ------------------------------------------------------------------ */
/* Growth                                                               */
/* ------------------------------------------------------------------ */

/* Would joining c to block b put a pinned tensor (layout/apply.c: kept in
   memory in the layout chosen for it) and one of its readers in one
   kernel, where it would be a register and its layout moot? */
static int joins_pinned(const fu_plan *p, int b, int c)
{
    const ir_graph *g = p->g;
    const ir_node *n = &g->node[c];
    for (int i = 0; i < n->nin; i++) {
        int v = n->in[i];
        if (v >= 0 && g->val[v].pinned && g->val[v].producer >= 0 &&
            fup_runs(p, b, g->val[v].producer))
            return 1;
    }
    for (int o = 0; o < n->nout; o++) {
        int v = n->out[o];
        if (v < 0 || !g->val[v].pinned) continue;
        for (int q = p->cons_off[c]; q < p->cons_off[c + 1]; q++)
            if (fup_runs(p, b, p->cons[q])) return 1;
    }
    return 0;
}

/* Tries to put node c into block b; c is reached from member `from`
   through input k of the consumer (c's input k for SUCC, from's for
   PRED).  Returns 1 when it joined. */
static int try_join(fu_plan *p, int b, int c, int dir, int from, int k)
{
    wblock *w = &p->wb[b];
    int first, second;
    if (dir == FU_DIR_SUCC) {
        first = w->type;
        second = fu_edge_type(p->m, c, k);
    } else {
        first = fu_node_type(p->m, c);
        second = fup_max_type(p, w->type, fu_edge_type(p->m, from, k));
    }
    const char *res = NULL;
    int verdict = gm_rules_fuse(p->r, fu_type_name(p->m, first), fu_type_name(p->m, second), &res);
    fu_step *st = fup_step(p, FU_STEP_STOP, c, b, dir, from);
    st->first = first;
    st->second = second;
    st->verdict = verdict;
    if (verdict == 0) {
        st->why = FU_WHY_NOENTRY;
        return 0;
    }
    if (verdict == GM_BREAK) {
        st->why = FU_WHY_TABLE;
        return 0;
    }
    int rt = fu_type_find(p->m, res);
    if (rt < 0) rt = fup_max_type(p, first, second);
    if (fup_would_cycle(p, b, c)) {
        p->steps[p->nsteps - 1].why = FU_WHY_CYCLE;
        return 0;
    }
    if (joins_pinned(p, b, c)) {
        p->steps[p->nsteps - 1].why = FU_WHY_PINNED;
        return 0;
    }
    nset s = {b, c};
    int nargs;
    double by, fl, mo;
    fup_set_cost(p, s, &nargs, &by, &fl, &mo);
    if (nargs > p->L.max_args) {
        p->steps[p->nsteps - 1].why = FU_WHY_ARGS;
        return 0;
    }
    if (fl / mo > p->L.max_work && fl > p->flops[c]) {
        p->steps[p->nsteps - 1].why = FU_WHY_WORK;
        return 0;
    }
    /* The prologue rule (docs/fusion.md): a computed node joining a
       convolution as the prologue of its windowed input is redone once per
       tap, and makes the convolution stage its input.  When an epilogue
       can compute it once instead (its input comes from a Many-to-Many
       node that nothing else reads: the same bytes either way), the join
       is refused; otherwise, when it is redone (more than one tap per
       element), it is settled like a `profile` pair, the recomputation
       counted. */
    int settle = 0;
    if (verdict == GM_FUSE) {
        nset pro = dir == FU_DIR_SUCC ? (nset){b, -1} : (nset){-1, c};
        double taps = dir == FU_DIR_SUCC ? fup_window_taps(p, c, k) : fup_window_taps(p, from, k);
        double pf = 0;
        if (taps >= 1) fup_set_cost(p, pro, NULL, NULL, &pf, NULL);
        if (taps >= 1 && pf > 0 && fup_epilogue_home(p, pro)) {
            p->steps[p->nsteps - 1].why = FU_WHY_RECOMPUTE;
            return 0;
        }
        settle = taps > 1 && pf > 0;
    }
    if (verdict == GM_PROFILE || settle) {
        /* the producer's work is redone once per read of its result */
        double extra = 0;
        if (dir == FU_DIR_SUCC) {
            double bf;
            fup_set_cost(p, (nset){b, -1}, NULL, NULL, &bf, NULL);
            double r = fup_fanout(p, c, p->g->node[c].in[k]);
            extra = (r - 1) * bf;
        } else {
            double r = fup_fanout(p, from, p->g->node[from].in[k]);
            extra = (r - 1) * p->flops[c];
        }
        int measured = 1;
        double fused = fup_set_ms(p, s, extra, &measured);
        double apart =
            fup_set_ms(p, (nset){b, -1}, 0, &measured) + fup_set_ms(p, (nset){-1, c}, 0, &measured);
        fu_profile_count(p->db, measured);
        fu_step *s2 = &p->steps[p->nsteps - 1];
        s2->ms_fused = fused;
        s2->ms_apart = apart;
        s2->measured = measured;
        if (!(fused < apart)) {
            s2->why = FU_WHY_SLOWER;
            return 0;
        }
    }
    fu_step *s3 = &p->steps[p->nsteps - 1];
    s3->kind = FU_STEP_JOIN;
    s3->why = FU_WHY_TABLE;
    w = &p->wb[b];
    fup_ipush(&w->mem, c);
    p->blk[c] = b;
    w->type = rt;
    return 1;
}

static void grow(fu_plan *p, int b)
{
    const ir_graph *g = p->g;
    /* successors, breadth first from the seed */
    for (int qi = 0; qi < p->wb[b].mem.n; qi++) {
        int x = p->wb[b].mem.v[qi];
        const ir_node *n = &g->node[x];
        for (int o = 0; o < n->nout; o++) {
            int v = n->out[o];
            if (v < 0) continue;
            for (int kk = p->cons_off[x]; kk < p->cons_off[x + 1]; kk++) {
                int c = p->cons[kk];
                if (p->blk[c] >= 0) continue;
                const ir_node *cn = &g->node[c];
                for (int j = 0; j < cn->nin; j++)
                    if (cn->in[j] == v) {
                        try_join(p, b, c, FU_DIR_SUCC, x, j);
                        break;
                    }
            }
        }
    }
    /* then predecessors of every member, recursively */
    for (int qi = 0; qi < p->wb[b].mem.n; qi++) {
        int x = p->wb[b].mem.v[qi];
        const ir_node *n = &g->node[x];
        for (int j = 0; j < n->nin; j++) {
            int v = n->in[j];
            if (v < 0 || g->val[v].kind != IR_VAL_NODE) continue;
            int pr = g->val[v].producer;
            if (pr < 0 || p->blk[pr] >= 0) continue;
            try_join(p, b, pr, FU_DIR_PRED, x, j);
        }
    }
}

/* Seed order: lower lattice level first (the One-to-One seeds of the
   paper, then the rest), then smaller intermediate results, then program
   order (so that the same graph always gives the same plan). */
typedef struct seed_key {
    int level, pos, node;
    double bytes;
} seed_key;

static int seed_cmp(const void *a, const void *b)
{
    const seed_key *x = a, *y = b;
    if (x->level != y->level) return x->level < y->level ? -1 : 1;
    if (x->bytes != y->bytes) return x->bytes < y->bytes ? -1 : 1;
    return x->pos - y->pos;
}

/* ------------------------------------------------------------------ */
/* fu_plan_build                                                        */
/* ------------------------------------------------------------------ */

fu_plan *fu_plan_build(const ir_graph *g, const gm_rules *r, const fu_limits *l, fu_profile *db,
                       dn_err *e)
{
    fu_mapping *m = fu_mapping_build(g, r, e);
    if (!m) return NULL;
    fu_plan *p = calloc(1, sizeof *p);
    if (!p) abort();
    p->g = g;
    p->r = r;
    p->m = m;
    if (l)
        p->L = *l;
    else
        fu_limits_default(&p->L);
    if (db)
        p->db = db;
    else {
        p->db = fu_profile_open(NULL, NULL, e);
        p->own_db = 1;
    }
    int nn = p->nn = g->nnode;
    size_t nz = (size_t)(nn ? nn : 1);
    p->pos = malloc(nz * sizeof *p->pos);
    p->flops = calloc(nz, sizeof *p->flops);
    p->blk = malloc(nz * sizeof *p->blk);
    p->block_of = malloc(nz * sizeof *p->block_of);
    p->dissolved = calloc(nz, 1);
    p->copied = calloc(nz, 1);
    p->stamp = calloc(nz + (size_t)g->nval + 1, sizeof *p->stamp);
    p->cons_off = calloc(nz + 1, sizeof *p->cons_off);
    if (!p->pos || !p->flops || !p->blk || !p->block_of || !p->dissolved || !p->copied ||
        !p->stamp || !p->cons_off)
        abort();
    int *order = NULL;
    int cnt = ir_topo_order(g, &order, e);
    if (cnt < 0) {
        fu_plan_free(p);
        return NULL;
    }
    p->topo = order;
    p->ntopo = cnt;
    for (int i = 0; i < nn; i++)
        p->pos[i] = -1, p->blk[i] = -1, p->block_of[i] = -1;
    for (int i = 0; i < cnt; i++)
        p->pos[order[i]] = i;
    /* consumers of every node, each once */
    ivec *cl = calloc(nz, sizeof *cl);
    if (!cl) abort();
    for (int i = 0; i < cnt; i++) {
        int x = order[i];
        const ir_node *n = &g->node[x];
        for (int j = 0; j < n->nin; j++) {
            int v = n->in[j];
            if (v < 0 || g->val[v].kind != IR_VAL_NODE) continue;
            int pr = g->val[v].producer;
            if (pr < 0 || g->node[pr].dead || fup_has_node(&cl[pr], x)) continue;
            fup_ipush(&cl[pr], x);
        }
        fu_node_cost(g, x, fu_node_decl(m, x), &p->flops[x], &(double){0});
    }
    int tot = 0;
    for (int i = 0; i < nn; i++)
        p->cons_off[i] = tot, tot += cl[i].n;
    p->cons_off[nn] = tot;
    p->cons = malloc((size_t)(tot ? tot : 1) * sizeof *p->cons);
    if (!p->cons) abort();
    for (int i = 0; i < nn; i++) {
        if (cl[i].n) memcpy(p->cons + p->cons_off[i], cl[i].v, (size_t)cl[i].n * sizeof(int));
        free(cl[i].v);
    }
    free(cl);

    /* seeds: One-to-One nodes by the size of their result, then the rest */
    seed_key *seeds = calloc((size_t)(cnt ? cnt : 1), sizeof *seeds);
    if (!seeds) abort();
    for (int i = 0; i < cnt; i++) {
        int x = order[i];
        const ir_node *n = &g->node[x];
        seeds[i] = (seed_key){fup_level(p, fu_node_type(m, x)), i, x, 0};
        for (int o = 0; o < n->nout; o++)
            seeds[i].bytes += fu_value_bytes(g, n->out[o]);
    }
    qsort(seeds, (size_t)cnt, sizeof *seeds, seed_cmp);
    int o2o_level = 0;
    for (int i = 0; i < cnt; i++) {
        int x = seeds[i].node;
        if (p->blk[x] >= 0) continue;
        int b = new_block(p, x);
        if (seeds[i].level != o2o_level && !p->L.other_seeds) continue;
        fup_step(p, FU_STEP_SEED, x, b, FU_DIR_NONE, -1)->first = fu_node_type(m, x);
        grow(p, b);
    }
    free(seeds);
    /* later nodes first, so that a chain of cheap nodes is copied whole:
       once the consumer is copied into a block, that block reads x */
    if (p->L.recompute)
        for (int i = cnt - 1; i >= 0; i--)
            fup_try_recompute(p, order[i]);
    if (fup_finalize(p, e)) {
        fu_plan_free(p);
        return NULL;
    }
    return p;
}
