/* candidate.c -- a candidate block (a working block plus perhaps one more
 * node) seen as one kernel: which values it reads and writes, its
 * arguments, bytes and FLOPs, whether it would make a cycle between
 * blocks, and its time by the profile database or the static model. */
#include "plan_impl.h"

#include <math.h>
#include <string.h>

/* Does value v, produced by a node of the set, leave it: is it a graph
   output, or read by a node of another block (or of no block yet) that
   does not compute it itself? */
int fup_leaves(const fu_plan *p, nset s, int v)
{
    if (p->g->val[v].is_output) return 1;
    const ir_graph *g = p->g;
    int prod = g->val[v].producer;
    for (int k = p->cons_off[prod]; k < p->cons_off[prod + 1]; k++) {
        int c = p->cons[k];
        const ir_node *n = &g->node[c];
        int reads = 0;
        for (int j = 0; j < n->nin && !reads; j++)
            reads = n->in[j] == v;
        if (!reads || fup_in_set(p, s, c)) continue;
        if (!p->ncopies) return 1;
        /* with copies: the owner of c reads v unless it runs prod too */
        if (!p->dissolved[c] && (p->blk[c] < 0 || !fup_runs(p, p->blk[c], prod))) return 1;
        for (int b = 0; b < p->nwb; b++)
            if (p->wb[b].alive && b != s.b && fup_is_copy_in(p, b, c) && !fup_runs(p, b, prod))
                return 1;
    }
    return 0;
}

int fup_produced_in(const fu_plan *p, nset s, int v)
{
    int prod = p->g->val[v].producer;
    if (prod < 0 || p->g->val[v].kind != IR_VAL_NODE) return 0;
    if (prod == s.extra) return 1;
    if (s.b < 0) return 0;
    const wblock *w = &p->wb[s.b];
    if (p->blk[prod] == s.b && !p->dissolved[prod]) return 1;
    for (int i = 0; i < w->recomp.n; i++)
        if (w->recomp.v[i] == prod) return 1;
    return 0;
}

/* Kernel arguments, bytes moved and FLOPs of the set as one kernel. */
void fup_set_cost(fu_plan *p, nset s, int *nargs, double *bytes, double *flops, double *max_out)
{
    const ir_graph *g = p->g;
    p->gen++;
    int args = 0;
    double by = 0, fl = 0, mo = 1;
    FOR_SET(p, s, x, {
        const ir_node *n = &g->node[x];
        fl += p->flops[x];
        for (int j = 0; j < n->nin; j++) {
            int v = n->in[j];
            if (v < 0 || fup_produced_in(p, s, v)) continue;
            /* value stamps live past the node range */
            int key = p->nn + v;
            if (p->stamp[key] == p->gen) continue;
            p->stamp[key] = p->gen;
            by += fu_value_bytes(g, v);
            if (!fup_is_scalar_const(p, v)) args++;
        }
        for (int j = 0; j < n->nout && fup_in_set(p, s, x); j++) {
            int v = n->out[j];
            if (v < 0) continue;
            double nb = (double)dn_shape_numel(&g->val[v].shape);
            if (nb > mo) mo = nb;
            if (fup_leaves(p, s, v)) {
                by += fu_value_bytes(g, v);
                args++;
            }
        }
    });
    if (nargs) *nargs = args;
    if (bytes) *bytes = by;
    if (flops) *flops = fl;
    if (max_out) *max_out = mo;
}

/* Would putting node c into block b make a cycle between blocks?  A path
   that leaves b+c and comes back, through other blocks (all of whose
   members' consumers are reachable once the block is entered) or through
   nodes no block holds yet. */
int fup_would_cycle(fu_plan *p, int b, int c)
{
    nset s = {b, c};
    p->gen++;
    int cap = p->nn + 4, sp = 0;
    int *stack = malloc((size_t)cap * 4 * sizeof *stack);
    if (!stack) abort();
    cap *= 4;
#define PUSH_CONSUMERS(x)                                                                          \
    for (int k_ = p->cons_off[x]; k_ < p->cons_off[(x) + 1]; k_++) {                               \
        int y_ = p->cons[k_];                                                                      \
        if (p->stamp[y_] == p->gen) continue;                                                      \
        if (sp == cap) {                                                                           \
            cap *= 2;                                                                              \
            stack = realloc(stack, (size_t)cap * sizeof *stack);                                   \
            if (!stack) abort();                                                                   \
        }                                                                                          \
        stack[sp++] = y_;                                                                          \
    }
    FOR_SET(p, s, x, {
        for (int k = p->cons_off[x]; k < p->cons_off[x + 1]; k++) {
            int y = p->cons[k];
            if (fup_in_set(p, s, y)) continue;
            if (sp == cap) {
                cap *= 2;
                stack = realloc(stack, (size_t)cap * sizeof *stack);
                if (!stack) abort();
            }
            stack[sp++] = y;
        }
    });
    int cyc = 0;
    while (sp > 0 && !cyc) {
        int y = stack[--sp];
        if (p->stamp[y] == p->gen) continue;
        if (fup_in_set(p, s, y)) {
            cyc = 1;
            break;
        }
        p->stamp[y] = p->gen;
        int yb = p->dissolved[y] ? -1 : p->blk[y];
        if (yb >= 0 && yb != b) {
            if (p->bstamp[yb] == p->gen) continue;
            p->bstamp[yb] = p->gen;
            const wblock *w = &p->wb[yb];
            for (int i = 0; i < w->mem.n; i++) {
                int z = w->mem.v[i];
                p->stamp[z] = p->gen;
                PUSH_CONSUMERS(z)
            }
            for (int i = 0; i < w->recomp.n; i++) {
                int z = w->recomp.v[i];
                PUSH_CONSUMERS(z)
            }
        } else {
            PUSH_CONSUMERS(y)
        }
    }
#undef PUSH_CONSUMERS
    free(stack);
    return cyc;
}

/* Taps of a windowed consumer on its input k: a node whose input 1 is a
   constant of the rank of input 0 (a convolution's weights [OC, IC /
   groups, kernel...]) reads each element of input 0 once per tap of its
   window that lands there: the kernel's size x output pixels / input
   pixels, at least 1.  The code generator evaluates an input's prologue
   once for all output channels, so the channels do not multiply it (the
   staged CPU forms pay less still: a window row serves several taps).
   0 when the consumer is not windowed on input k. */
double fup_window_taps(const fu_plan *p, int consumer, int k)
{
    const ir_graph *g = p->g;
    const ir_node *n = &g->node[consumer];
    if (k != 0 || n->nin < 2 || n->in[0] < 0 || n->in[1] < 0 || n->nout < 1 || n->out[0] < 0)
        return 0;
    const ir_value *X = &g->val[n->in[0]], *W = &g->val[n->in[1]], *Y = &g->val[n->out[0]];
    int r = X->shape.rank;
    if (W->kind != IR_VAL_CONST || W->shape.rank != r || r < 3 || Y->shape.rank != r) return 0;
    double kk = 1, in = 1, out = 1;
    for (int d = 2; d < r; d++) {
        kk *= (double)W->shape.d[d];
        in *= (double)X->shape.d[d];
        out *= (double)Y->shape.d[d];
    }
    if (in <= 0 || out <= 0 || kk <= 0) return 0;
    double t = kk * out / in;
    return t > 1 ? t : 1;
}

/* Is every reader of v a node of s or of chain[0..nc)? */
static int read_only_by(const fu_plan *p, nset s, int v, const int *chain, int nc)
{
    const ir_graph *g = p->g;
    int pr = g->val[v].producer;
    if (g->val[v].is_output) return 0;
    for (int q = p->cons_off[pr]; q < p->cons_off[pr + 1]; q++) {
        int c = p->cons[q];
        const ir_node *cn = &g->node[c];
        int reads = 0, inside = fup_in_set(p, s, c);
        for (int i = 0; i < cn->nin; i++)
            reads |= cn->in[i] == v;
        for (int i = 0; i < nc && !inside; i++)
            inside = chain[i] == c;
        if (reads && !inside) return 0;
    }
    return 1;
}

/* Does v come, through One-to-One nodes no block holds and nothing else
   reads (chain), from a node of the top of the lattice that only they
   read? */
static int home_of(const fu_plan *p, nset s, int v, int reader, int top, int *chain, int nc)
{
    const ir_graph *g = p->g;
    if (v < 0 || g->val[v].kind != IR_VAL_NODE) return 0;
    int pr = g->val[v].producer;
    if (pr < 0 || !read_only_by(p, s, v, chain, nc)) return 0;
    int lv = fup_level(p, fu_node_type(p->m, pr));
    if (lv == top) {
        /* a home only if the table lets the reader join pr's block as its
           epilogue: with `many_to_many + one_to_one => break` there is none */
        const char *res = NULL;
        return gm_rules_fuse(p->r, fu_type_name(p->m, fu_node_type(p->m, pr)),
                             fu_type_name(p->m, fu_node_type(p->m, reader)), &res) == GM_FUSE;
    }
    if (lv != 0 || p->blk[pr] >= 0 || nc >= 4) return 0;
    chain[nc] = pr;
    const ir_node *n = &g->node[pr];
    for (int j = 0; j < n->nin; j++)
        if (home_of(p, s, n->in[j], pr, top, chain, nc + 1)) return 1;
    return 0;
}

/* Could the work a join would make a prologue (the nodes of s) run once
   instead, as the epilogue of the Many-to-Many node that produces their
   input?  Yes when some input of s comes from a node of the top of the
   lattice outside s whose result only s reads, directly or through a
   short chain of One-to-One nodes that no block holds yet and only the
   chain reads (ResNet's Add before the ReLU): that node's block can take
   s (and the chain) after it, writing s's result in place of its own (the
   same bytes). */
int fup_epilogue_home(fu_plan *p, nset s)
{
    const ir_graph *g = p->g;
    int top = 0;
    for (int t = 0; t < fu_type_count(p->m); t++)
        if (fup_level(p, t) > top) top = fup_level(p, t);
    int home = 0, chain[4];
    FOR_SET(p, s, x, {
        const ir_node *n = &g->node[x];
        for (int j = 0; j < n->nin && !home; j++) {
            int v = n->in[j];
            if (v < 0 || g->val[v].kind != IR_VAL_NODE || fup_produced_in(p, s, v)) continue;
            home = home_of(p, s, v, x, top, chain, 0);
        }
    });
    return home;
}

/* How many times a consumer node reads each element of value v: what
   fusing recomputes per element of the producer.  A windowed consumer
   (a convolution) reads it once per tap (fup_window_taps).  Another
   reduction or contraction consumer (the top of the lattice: MatMul,
   pooling) is tiled by the code generator: one load of an input element
   serves a whole tile of outputs, so the producer is recomputed once per
   tile, not per output. */
double fup_fanout(const fu_plan *p, int consumer, int v)
{
    const ir_graph *g = p->g;
    double nv = (double)dn_shape_numel(&g->val[v].shape);
    const ir_node *n = &g->node[consumer];
    if (n->nin > 0 && n->in[0] == v) {
        double t = fup_window_taps(p, consumer, 0);
        if (t > 0) return t;
    }
    double no =
        n->nout > 0 && n->out[0] >= 0 ? (double)dn_shape_numel(&g->val[n->out[0]].shape) : 0;
    if (nv <= 0) return 1;
    double r = no / nv, r2 = p->flops[consumer] / (2 * nv);
    if (r2 > r) r = r2;
    int top = 0;
    for (int t = 0; t < fu_type_count(p->m); t++)
        if (fup_level(p, t) > top) top = fup_level(p, t);
    double tile = fu_profile_device(p->db)->tile;
    if (fup_level(p, fu_decl_type(p->m, consumer)) == top && tile > 1) r /= tile;
    return r > 1 ? r : 1;
}

/* "Conv[1,64,56,56]+Relu[1,64,56,56]": the profile database's key. */
static void signature(const fu_plan *p, nset s, char *buf, size_t n)
{
    size_t k = 0;
    buf[0] = 0;
    /* in topological order, so that the same block gets the same key */
    int ids[64], m = 0;
    FOR_SET(p, s, x, {
        if (m < 64) ids[m++] = x;
    });
    for (int i = 1; i < m; i++)
        for (int j = i; j > 0 && p->pos[ids[j]] < p->pos[ids[j - 1]]; j--) {
            int t = ids[j];
            ids[j] = ids[j - 1];
            ids[j - 1] = t;
        }
    for (int i = 0; i < m && k + 1 < n; i++) {
        const ir_node *nd = &p->g->node[ids[i]];
        char sh[128] = "[?]";
        if (nd->nout > 0 && nd->out[0] >= 0)
            dn_shape_str(&p->g->val[nd->out[0]].shape, sh, sizeof sh);
        k += (size_t)snprintf(buf + k, n - k, "%s%s%s", i ? "+" : "", nd->op, sh);
    }
}

/* Estimated (or measured) milliseconds of a set as one kernel. */
double fup_set_ms(fu_plan *p, nset s, double extra_flops, int *measured)
{
    char sig[4096];
    signature(p, s, sig, sizeof sig);
    double ms;
    int ids[256], m = 0; /* what a timer (dnnf profile) runs when nothing is recorded */
    FOR_SET(p, s, x, {
        if (m < 256) ids[m] = x;
        m++;
    });
    if (fu_profile_measure(p->db, sig, p->g, ids, m <= 256 ? m : 0, &ms))
        return ms; /* a measurement includes any recomputation */
    *measured = 0;
    double by, fl;
    fup_set_cost(p, s, NULL, &by, &fl, NULL);
    /* recomputed work is charged on top of the roofline time: it runs per
       element, in scalar code, and does not hide under the memory traffic */
    const fu_device_model *d = fu_profile_device(p->db);
    return fu_estimate_ms(d, by, fl) + 1e3 * extra_flops / (d->gflops_s * 1e9);
}
