/* split.c -- the block list that runs: the fusion plan's blocks (or one
 * per node) reshaped where a block's *shape*, not a missing operator,
 * keeps it from a template, and with the layout plan's read-through
 * carried across block boundaries.  `dnnf run`, `dnnf bench` and
 * `dnnf codegen` all execute or print this list, so they agree.
 *
 *   1. Anchor split.  A template has one anchor -- a MatMul/Gemm, a
 *      reduction, a Conv or pool -- whose result it holds in registers at
 *      one index; it cannot write a prologue value of another size beside
 *      it, nor read the result at another index (a transpose after the
 *      product).  A block whose kernel fails (cg_emit answers 0) and that
 *      has one anchor becomes up to three blocks:
 *        - the prologue values other blocks read, written by an
 *          elementwise block (the attention's Q/K/V projection sum);
 *        - the anchor, its prologue (reading those values from memory
 *          instead of recomputing them per load) and the epilogue nodes
 *          that read the result at its own index;
 *        - the rest, reading the anchor's result from memory; when it is
 *          only data movement (the attention output's permute + view,
 *          ConvNeXt's NCHW -> NHWC Transpose), step 3 folds it away.
 *      The split is kept only when it moves nodes off the host.
 *   2. Output sizes.  Every template writes outputs of one size; a block
 *      whose outputs differ becomes one block per size, each recomputing
 *      the (elementwise) nodes it needs.
 *   3. Read-through.  A block made only of data movement launches a copy
 *      kernel.  When the layout plan (layout/, built over these blocks)
 *      folds its nodes into their readers (fate LY_ELIM_READ), each reader
 *      block takes the nodes instead -- recomputing index arithmetic is
 *      free, and the emitter composes their maps into the reader's loads
 *      -- and reads the source tensor directly.  Views of such values
 *      follow them.  Nodes the plan keeps (a graph output, the div/mod
 *      cost bound, no index map) stay copy kernels, with the plan's
 *      reason, and with the layout pass off every one does.
 *   4. Write-through.  Where the plan folds data movement into its
 *      *producer* instead (fate LY_ELIM_WRITE: a Concat whose pieces are
 *      written in place, a Transpose/Reshape chain before a graph output)
 *      and the blocks between are copy or view blocks of their own, those
 *      blocks go and the producer kernels store through the plan's map
 *      (cg_block.wdest; codegen/emit_write.c).
 *   5. Epilogues.  With fusion on, for the GPU family, an elementwise block
 *      left between a kernel and its reader by the anchor split becomes
 *      that kernel's epilogue (merge_epilogues), done before steps 3 and 4.
 *
 * Nodes are ordered by one topological order of the graph, so a block's
 * nodes stay in producer-first order however they were gathered. */
#include "exec_impl.h"

#ifdef DNNF_HAVE_CODEGEN
#ifdef DNNF_HAVE_LAYOUT
#include "layout.h"
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct blist {
    cg_block *b;
    int n, cap;
} blist;

typedef struct sctx {
    const ir_graph *g;
    const cg_device *d;
    int *pos; /* node -> place in a topological order */
    rt_prepare_stats *st;
} sctx;

static void push_block(blist *l, cg_block b)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 64;
        l->b = realloc(l->b, (size_t)l->cap * sizeof *l->b);
        if (!l->b) abort();
    }
    l->b[l->n++] = b;
}

static int *dup_ints(const int *a, int n)
{
    int *p = malloc((size_t)(n > 0 ? n : 1) * sizeof *p);
    if (!p) abort();
    if (n > 0) memcpy(p, a, (size_t)n * sizeof *p);
    return p;
}

static cg_block copy_block(const cg_block *b)
{
    cg_block c = *b;
    c.wdest = NULL; /* write-through is decided last, on the final list */
    c.wmap = NULL;
    c.exec = dup_ints(b->exec, b->nexec);
    c.inputs = dup_ints(b->inputs, b->ninputs);
    c.params = dup_ints(b->params, b->nparams);
    c.outputs = dup_ints(b->outputs, b->noutputs);
    return c;
}

/* Removes the blocks marked in drop[] from L, keeping the order. */
static void drop_blocks(blist *L, const char *drop)
{
    int n = 0;
    for (int i = 0; i < L->n; i++) {
        if (drop[i])
            rt_block_release(&L->b[i]);
        else
            L->b[n++] = L->b[i];
    }
    L->n = n;
}

/* The node that the emitter builds a template around (codegen/emit.c:
   matrix products, reductions, windows). */
static int is_anchor(const ir_node *n)
{
    static const char *const ops[] = {
        "MatMul",    "Gemm",        "Softmax",   "LayerNormalization", "ReduceMean",
        "ReduceSum", "ReduceMax",   "ReduceMin", "GlobalAveragePool",  "Conv",
        "MaxPool",   "AveragePool", NULL};
    if (n->domain[0]) return 0;
    for (const char *const *p = ops; *p; p++)
        if (!strcmp(*p, n->op)) return 1;
    return 0;
}

/* Data movement the layout pass knows (a Gather only on constant indices). */
static int is_move(const ir_graph *g, const ir_node *n)
{
#ifdef DNNF_HAVE_LAYOUT
    if (n->domain[0] || !ly_is_movement(n->op)) return 0;
    if (!strcmp(n->op, "Gather")) return n->nin > 1 && n->in[1] >= 0 && g->val[n->in[1]].data;
    return 1;
#else
    (void)g;
    (void)n;
    return 0;
#endif
}

/* A launching block made only of data movement: a copy kernel. */
int rt_block_movement_only(const ir_graph *g, const cg_block *b)
{
    if (b->view || b->nexec == 0) return 0;
    for (int i = 0; i < b->nexec; i++)
        if (!is_move(g, &g->node[b->exec[i]])) return 0;
    return 1;
}

/* Nodes in topological order (insertion sort: blocks are small, and the
   order must not depend on a global comparison context). */
static void sort_nodes(sctx *c, int *nodes, int n)
{
    for (int i = 1; i < n; i++) {
        int x = nodes[i], j = i;
        while (j > 0 && c->pos[nodes[j - 1]] > c->pos[x]) {
            nodes[j] = nodes[j - 1];
            j--;
        }
        nodes[j] = x;
    }
}

/* A block over a set of nodes: the ones its outputs need.  A value some
   node of the set produces is computed, unless read[v] says that it is in
   memory already (and it is not one of the outputs); every other value is
   an input or, for constants, a parameter. */
static cg_block make_block(sctx *c, int id, const int *nodes, int nn, const int *outs, int no,
                           const char *read)
{
    const ir_graph *g = c->g;
    char *inset = calloc((size_t)g->nnode + 1, 1), *need = calloc((size_t)g->nval + 1, 1),
         *isout = calloc((size_t)g->nval + 1, 1), *ext = calloc((size_t)g->nval + 1, 1);
    int *ord = dup_ints(nodes, nn), *used = malloc((size_t)(nn + 1) * sizeof *used);
    int *in = malloc((size_t)(g->nval + 1) * sizeof *in),
        *pr = malloc((size_t)(g->nval + 1) * sizeof *pr);
    if (!inset || !need || !isout || !ext || !used || !in || !pr) abort();
    int nu = 0, nin = 0, npr = 0;
    for (int i = 0; i < nn; i++)
        inset[nodes[i]] = 1;
    for (int i = 0; i < no; i++)
        need[outs[i]] = isout[outs[i]] = 1;
    sort_nodes(c, ord, nn);
    for (int i = nn - 1; i >= 0; i--) {
        if (i + 1 < nn && ord[i] == ord[i + 1]) continue; /* duplicates */
        const ir_node *n = &g->node[ord[i]];
        int u = 0;
        for (int k = 0; k < n->nout; k++)
            if (n->out[k] >= 0 && need[n->out[k]]) u = 1;
        if (!u) continue;
        used[nu++] = ord[i];
        for (int k = 0; k < n->nin; k++) {
            int v = n->in[k];
            if (v < 0) continue;
            int p = g->val[v].producer;
            if (g->val[v].kind == IR_VAL_NODE && p >= 0 && inset[p] &&
                !(read && read[v] && !isout[v]))
                need[v] = 1;
            else if (!ext[v]) {
                ext[v] = 1;
                if (g->val[v].kind == IR_VAL_CONST)
                    pr[npr++] = v;
                else
                    in[nin++] = v;
            }
        }
    }
    sort_nodes(c, used, nu);
    cg_block b = {0};
    b.id = id;
    b.nexec = nu;
    b.exec = dup_ints(used, nu);
    b.ninputs = nin;
    b.inputs = dup_ints(in, nin);
    b.nparams = npr;
    b.params = dup_ints(pr, npr);
    b.noutputs = no;
    b.outputs = dup_ints(outs, no);
    free(inset);
    free(need);
    free(isout);
    free(ext);
    free(ord);
    free(used);
    free(in);
    free(pr);
    return b;
}

/* 1: a template covers b; 0: the host would run it; the emitter's errors
   count as 0 here and are reported when the executor emits the block. */
static int emits(sctx *c, const cg_block *b)
{
    if (b->view) return 1;
    cg_kernel k;
    dn_err e;
    int r = cg_emit(c->g, b, c->d, &k, &e);
    if (r == 1) cg_kernel_free(&k);
    return r == 1;
}

/* ---- 2. one block per output size --------------------------------------- */

static void split_sizes(sctx *c, const cg_block *b, blist *out)
{
    const ir_graph *g = c->g;
    int mixed = 0;
    for (int o = 1; o < b->noutputs; o++)
        if (dn_shape_numel(&g->val[b->outputs[o]].shape) !=
            dn_shape_numel(&g->val[b->outputs[0]].shape))
            mixed = 1;
    if (b->view || !mixed) {
        push_block(out, copy_block(b));
        return;
    }
    c->st->size_splits++;
    char *done = calloc((size_t)b->noutputs + 1, 1);
    int *outs = malloc((size_t)(b->noutputs + 1) * sizeof *outs);
    if (!done || !outs) abort();
    for (int o = 0; o < b->noutputs; o++) {
        if (done[o]) continue;
        int64_t sz = dn_shape_numel(&g->val[b->outputs[o]].shape);
        int k = 0;
        for (int q = o; q < b->noutputs; q++)
            if (!done[q] && dn_shape_numel(&g->val[b->outputs[q]].shape) == sz) {
                done[q] = 1;
                outs[k++] = b->outputs[q];
            }
        push_block(out, make_block(c, b->id, b->exec, b->nexec, outs, k, NULL));
    }
    free(done);
    free(outs);
}

/* ---- 1. the anchor split ------------------------------------------------ */

static int host_nodes(sctx *c, const cg_block *b, int nb)
{
    int n = 0;
    for (int i = 0; i < nb; i++)
        if (!emits(c, &b[i])) n += b[i].nexec;
    return n;
}

/* Epilogue nodes that read the anchor's result at its own index: not
   data movement, not another anchor, same shape as the result, and every
   input that depends on the result is the result or such a node, with the
   same shape (no broadcast of it). */
static void own_index_epilogue(sctx *c, const ir_node *A, const char *down, const int *used, int nu,
                               char *epi, char *epival)
{
    const ir_graph *g = c->g;
    const dn_shape *S = &g->val[A->out[0]].shape;
    epival[A->out[0]] = 1;
    for (int i = 0; i < nu; i++) {
        const ir_node *n = &g->node[used[i]];
        if (!down[used[i]] || is_anchor(n) || is_move(g, n) || n->nout != 1 || n->out[0] < 0 ||
            !dn_shape_eq(&g->val[n->out[0]].shape, S))
            continue;
        int ok = 1;
        for (int k = 0; k < n->nin && ok; k++) {
            int v = n->in[k];
            if (v < 0 || g->val[v].kind != IR_VAL_NODE || g->val[v].producer < 0) continue;
            if (epival[v])
                ok = dn_shape_eq(&g->val[v].shape, S);
            else if (down[g->val[v].producer])
                ok = 0;
        }
        if (ok) epi[used[i]] = epival[n->out[0]] = 1;
    }
}

/* Tries the anchor split of block b (which no template covers); 1 with
   the pieces pushed to out when it moves nodes off the host. */
static int split_anchor(sctx *c, const cg_block *b0, blist *out)
{
    const ir_graph *g = c->g;
    cg_block b = make_block(c, b0->id, b0->exec, b0->nexec, b0->outputs, b0->noutputs, NULL);
    int A = -1, nanchor = 0, rc = 0;
    for (int i = 0; i < b.nexec; i++)
        if (is_anchor(&g->node[b.exec[i]])) A = b.exec[i], nanchor++;
    /* an anchor with a second output in use (LayerNormalization's mean)
       would leave that output to no block */
    int extra = 0;
    for (int k = 1; A >= 0 && k < g->node[A].nout; k++) {
        int v = g->node[A].out[k];
        for (int i = 0; v >= 0 && i < b.noutputs; i++)
            extra |= b.outputs[i] == v;
        for (int i = 0; v >= 0 && i < b.nexec; i++)
            for (int q = 0; q < g->node[b.exec[i]].nin; q++)
                extra |= g->node[b.exec[i]].in[q] == v;
    }
    if (nanchor != 1 || extra || g->node[A].nout < 1 || g->node[A].out[0] < 0) {
        rt_block_release(&b);
        return 0;
    }
    size_t NN = (size_t)g->nnode + 1, NV = (size_t)g->nval + 1;
    char *inb = calloc(NN, 1), *up = calloc(NN, 1), *down = calloc(NN, 1), *epi = calloc(NN, 1),
         *epival = calloc(NV, 1), *read = calloc(NV, 1);
    int *set = malloc((b.nexec + 1) * sizeof *set),
        *outs = malloc((NV + b.noutputs) * sizeof *outs);
    if (!inb || !up || !down || !epi || !epival || !read || !set || !outs) abort();
    for (int i = 0; i < b.nexec; i++)
        inb[b.exec[i]] = 1;
    /* up: what the anchor depends on; down: what depends on it */
    up[A] = 1;
    for (int i = b.nexec - 1; i >= 0; i--) {
        const ir_node *n = &g->node[b.exec[i]];
        if (!up[b.exec[i]]) continue;
        for (int k = 0; k < n->nin; k++) {
            int v = n->in[k];
            if (v >= 0 && g->val[v].kind == IR_VAL_NODE && g->val[v].producer >= 0 &&
                inb[g->val[v].producer])
                up[g->val[v].producer] = 1;
        }
    }
    up[A] = 0;
    down[A] = 1;
    for (int i = 0; i < b.nexec; i++) {
        const ir_node *n = &g->node[b.exec[i]];
        for (int k = 0; k < n->nin; k++) {
            int v = n->in[k];
            if (v >= 0 && g->val[v].kind == IR_VAL_NODE && g->val[v].producer >= 0 &&
                down[g->val[v].producer])
                down[b.exec[i]] = 1;
        }
    }
    down[A] = 0;
    blist pieces = {0};
    /* the prologue values other blocks read, from an elementwise block */
    int np = 0;
    for (int i = 0; i < b.noutputs; i++) {
        int v = b.outputs[i], p = g->val[v].producer;
        if (p >= 0 && up[p]) outs[np++] = v, read[v] = 1;
    }
    if (np) push_block(&pieces, make_block(c, b.id, b.exec, b.nexec, outs, np, NULL));
    /* the anchor with its own-index epilogue, else alone */
    for (int withepi = 1; withepi >= 0; withepi--) {
        memset(epi, 0, NN);
        memset(epival, 0, NV);
        if (withepi)
            own_index_epilogue(c, &g->node[A], down, b.exec, b.nexec, epi, epival);
        else
            epival[g->node[A].out[0]] = 1;
        int ns = 0, no = 0;
        for (int i = 0; i < b.nexec; i++)
            if (!down[b.exec[i]] || epi[b.exec[i]]) set[ns++] = b.exec[i];
        /* its outputs: anchor or epilogue values that the graph or the
           rest of the block reads */
        for (int i = 0; i < b.nexec; i++) {
            const ir_node *n = &g->node[b.exec[i]];
            if (b.exec[i] == A || epi[b.exec[i]]) continue;
            for (int k = 0; k < n->nin; k++) {
                int v = n->in[k];
                if (v >= 0 && epival[v] && read[v] != 2) read[v] = 2, outs[np + no++] = v;
            }
        }
        for (int i = 0; i < b.noutputs; i++)
            if (epival[b.outputs[i]] && read[b.outputs[i]] != 2)
                read[b.outputs[i]] = 2, outs[np + no++] = b.outputs[i];
        cg_block ab = make_block(c, b.id, set, ns, outs + np, no, read);
        if (no > 0 && emits(c, &ab)) {
            push_block(&pieces, ab);
            /* the rest reads every value written above */
            int nr = 0;
            for (int i = 0; i < b.noutputs; i++)
                if (!read[b.outputs[i]]) outs[nr++] = b.outputs[i];
            ns = 0;
            for (int i = 0; i < b.nexec; i++)
                if (b.exec[i] != A && !epi[b.exec[i]]) set[ns++] = b.exec[i];
            if (nr) {
                cg_block rb = make_block(c, b.id, set, ns, outs, nr, read);
                split_sizes(c, &rb, &pieces);
                rt_block_release(&rb);
            }
            rc = 1;
            break;
        }
        rt_block_release(&ab);
        for (int v = 0; v < g->nval; v++)
            if (read[v] == 2) read[v] = 0;
    }
    if (rc && host_nodes(c, pieces.b, pieces.n) < host_nodes(c, &b, 1)) {
        for (int i = 0; i < pieces.n; i++)
            push_block(out, pieces.b[i]);
        c->st->anchor_splits++;
    } else {
        rc = 0;
        for (int i = 0; i < pieces.n; i++)
            rt_block_release(&pieces.b[i]);
    }
    free(pieces.b);
    rt_block_release(&b);
    free(inb);
    free(up);
    free(down);
    free(epi);
    free(epival);
    free(read);
    free(set);
    free(outs);
    return rc;
}

#ifdef DNNF_HAVE_LAYOUT
/* ---- 4. write-through --------------------------------------------------- */

/* Every store into one destination, or none: a Concat half written in
   place and half copied would need both.  Conditions per destination D:
   each store's value is an output of exactly one kernel block, that block
   writes no other piece of D, and no block but those dropped reads it;
   every block holding a node of the stores' paths is a copy or view block
   made of such nodes only.  Then those blocks are dropped and the
   producers write through, each checked to still emit. */
static void write_through(sctx *c, const ly_plan *p, blist *L)
{
    const ir_graph *g = c->g;
    int ns = ly_plan_nstores(p);
    if (ns == 0) return;
    size_t NN = (size_t)g->nnode + 1, NV = (size_t)g->nval + 1;
    int *writer = malloc(NV * sizeof *writer);
    int *bl = malloc(((size_t)ns + 1) * sizeof *bl), *ko = malloc(((size_t)ns + 1) * sizeof *ko);
    char *inpath = calloc(NN, 1), *done = calloc(NV, 1), *drop = calloc((size_t)L->n + 1, 1),
         *cand = calloc((size_t)L->n + 1, 1), *used = calloc((size_t)L->n + 1, 1);
    if (!writer || !bl || !ko || !inpath || !done || !drop || !cand || !used) abort();
    for (int v = 0; v < g->nval; v++)
        writer[v] = -1;
    for (int i = 0; i < L->n; i++)
        for (int k = 0; k < L->b[i].noutputs; k++) {
            int v = L->b[i].outputs[k];
            writer[v] = writer[v] == -1 ? i : -2;
        }
    dn_arena *a = dn_arena_new();
    for (int s0 = 0; s0 < ns; s0++) {
        int D = ly_plan_store(p, s0)->dest;
        if (done[D]) continue;
        done[D] = 1;
        int ok = 1, napplied = 0;
        memset(cand, 0, (size_t)L->n + 1);
        memset(used, 0, (size_t)L->n + 1);
        for (int s = 0; s < ns; s++) {
            const ly_store *st = ly_plan_store(p, s);
            if (st->dest != D) continue;
            for (int q = 0; q < st->npath; q++)
                inpath[st->path[q].node] = 1;
        }
        /* the blocks to drop: those holding path nodes, made of them only */
        for (int i = 0; i < L->n && ok; i++) {
            const cg_block *b = &L->b[i];
            int any = 0, all = 1;
            for (int k = 0; k < b->nexec; k++) {
                if (inpath[b->exec[k]])
                    any = 1;
                else
                    all = 0;
            }
            if (!any) continue;
            if (!all || !(b->view || rt_block_movement_only(g, b))) ok = 0;
            cand[i] = 1;
        }
        /* D is written by the dropped blocks only */
        if (ok && (writer[D] == -2 || (writer[D] >= 0 && !cand[writer[D]]))) ok = 0;
        for (int s = 0; s < ns && ok; s++) {
            const ly_store *st = ly_plan_store(p, s);
            if (st->dest != D) continue;
            int w = writer[st->value];
            if (w < 0 || cand[w] || used[w] || L->b[w].view ||
                rt_block_movement_only(g, &L->b[w])) {
                ok = 0;
                break;
            }
            used[w] = 1;
            for (int i = 0; i < L->n && ok; i++)
                for (int k = 0; k < L->b[i].ninputs; k++)
                    if (L->b[i].inputs[k] == st->value && !cand[i]) ok = 0;
        }
        /* apply, and make sure every producer still emits */
        for (int s = 0; s < ns && ok; s++) {
            const ly_store *st = ly_plan_store(p, s);
            if (st->dest != D) continue;
            cg_block *b = &L->b[writer[st->value]];
            int k = 0;
            while (b->outputs[k] != st->value)
                k++;
            dn_err e;
            char *txt = cg_write_map_text(a, &st->map, &e);
            if (!txt) {
                ok = 0;
                break;
            }
            if (!b->wdest) {
                b->wdest = malloc((size_t)b->noutputs * sizeof *b->wdest);
                b->wmap = calloc((size_t)b->noutputs, sizeof *b->wmap);
                if (!b->wdest || !b->wmap) abort();
                for (int q = 0; q < b->noutputs; q++)
                    b->wdest[q] = -1;
            }
            b->wdest[k] = D;
            b->wmap[k] = txt;
            bl[napplied] = writer[st->value];
            ko[napplied++] = k;
            if (!emits(c, b)) ok = 0;
        }
        if (!ok)
            for (int j = 0; j < napplied; j++) { /* undo */
                cg_block *b = &L->b[bl[j]];
                b->wdest[ko[j]] = -1;
                free(b->wmap[ko[j]]);
                b->wmap[ko[j]] = NULL;
            }
        else
            for (int i = 0; i < L->n; i++)
                if (cand[i]) {
                    drop[i] = 1;
                    c->st->write_through += !L->b[i].view;
                }
        memset(inpath, 0, NN);
    }
    dn_arena_free(a);
    /* a block whose redirects were all undone keeps no wdest */
    for (int i = 0; i < L->n; i++) {
        cg_block *b = &L->b[i];
        int any = 0;
        for (int k = 0; b->wdest && k < b->noutputs; k++)
            any |= b->wdest[k] >= 0;
        if (b->wdest && !any) rt_block_drop_writes(b);
    }
    drop_blocks(L, drop);
    free(writer);
    free(bl);
    free(ko);
    free(inpath);
    free(done);
    free(drop);
    free(cand);
    free(used);
}

/* ---- 3. read-through across blocks ------------------------------------- */

static int read_fate(const ly_plan *p, const ir_graph *g, int v)
{
    if (v < 0 || g->val[v].kind != IR_VAL_NODE || g->val[v].producer < 0 || g->val[v].is_output)
        return 0;
    const ly_fate *f = ly_plan_node_fate(p, g->val[v].producer);
    return f && f->fate == LY_ELIM_READ;
}

/* The block with every value it reads that is not in memory (virt: read
   through; or internal to a block read through) computed inside it: the
   producers of those values join it, recursively. */
static cg_block pull(sctx *c, const cg_block *b, const char *virt, const char *mem, const int *outs,
                     int no)
{
    const ir_graph *g = c->g;
    int cap = b->nexec + 16, n = 0;
    int *set = malloc((size_t)cap * sizeof *set);
    char *inset = calloc((size_t)g->nnode + 1, 1);
    if (!set || !inset) abort();
    for (int i = 0; i < b->nexec; i++)
        if (!inset[b->exec[i]]) set[n++] = b->exec[i], inset[b->exec[i]] = 1;
    for (int i = 0; i < n; i++) {
        const ir_node *nd = &g->node[set[i]];
        for (int k = 0; k < nd->nin; k++) {
            int v = nd->in[k];
            if (v < 0 || g->val[v].kind != IR_VAL_NODE || (!virt[v] && mem[v])) continue;
            int p = g->val[v].producer;
            if (inset[p]) continue;
            if (n == cap) {
                cap *= 2;
                set = realloc(set, (size_t)cap * sizeof *set);
                if (!set) abort();
            }
            set[n++] = p;
            inset[p] = 1;
        }
    }
    cg_block r = make_block(c, b->id, set, n, outs, no, NULL);
    free(set);
    free(inset);
    return r;
}

static int read_through(sctx *c, const struct gm_rules *R, blist *L)
{
    const ir_graph *g = c->g;
    size_t NN = (size_t)g->nnode + 1, NV = (size_t)g->nval + 1;
    int *block_of = malloc(NN * sizeof *block_of),
        *kind = malloc(((size_t)L->n + 1) * sizeof *kind);
    char *cand = calloc(NV, 1), *virt = calloc(NV, 1);
    int *vsrc = malloc(NV * sizeof *vsrc);
    if (!block_of || !kind || !cand || !virt || !vsrc) abort();
    for (int i = 0; i < g->nnode; i++)
        block_of[i] = -1;
    for (int v = 0; v < g->nval; v++)
        vsrc[v] = -1;
    for (int i = 0; i < L->n; i++) {
        const cg_block *b = &L->b[i];
        kind[i] = b->view                        ? LY_BLOCK_VIEW
                  : rt_block_movement_only(g, b) ? LY_BLOCK_LAYOUT
                                                 : LY_BLOCK_KERNEL;
        for (int k = 0; k < b->nexec; k++)
            if (block_of[b->exec[k]] < 0 || kind[i] == LY_BLOCK_KERNEL) block_of[b->exec[k]] = i;
    }
    ly_blocks lb = {L->n, block_of, kind};
    ly_options o;
    ly_options_default(&o);
    dn_err pe;
    ly_plan *p = ly_plan_build(g, R, &lb, &o, &pe);
    if (!p) {
        /* no plan (an operator the rules give no layout group): the
           blocks run as they are, data movement as copy kernels */
        snprintf(c->st->layout_error, sizeof c->st->layout_error, "%.190s", pe.msg);
        free(block_of), free(kind), free(cand), free(virt), free(vsrc);
        return 0;
    }
    ly_summary sum;
    ly_plan_summary(p, &sum);
    c->st->plan_before = sum.layout_kernels_before;
    c->st->plan_after = sum.layout_kernels_after;
    for (int i = 0; i < L->n; i++) {
        const cg_block *b = &L->b[i];
        if (kind[i] == LY_BLOCK_LAYOUT)
            for (int k = 0; k < b->noutputs; k++)
                if (read_fate(p, g, b->outputs[k])) cand[b->outputs[k]] = 1;
        if (kind[i] == LY_BLOCK_VIEW)
            for (int k = 0; k < b->nexec; k++) {
                const ir_node *n = &g->node[b->exec[k]];
                if (n->nin > 0 && n->nout > 0 && n->out[0] >= 0) vsrc[n->out[0]] = n->in[0];
            }
    }
    /* what blocks write (a view's outputs alias its input's memory) */
    char *mem = calloc(NV, 1);
    if (!mem) abort();
    for (int i = 0; i < L->n; i++)
        for (int k = 0; k < L->b[i].noutputs; k++)
            mem[L->b[i].outputs[k]] = 1;
    /* Views alias their input: a view of a value that is not in memory is
       not in memory either, which needs the plan to read it through too;
       where it cannot (a graph output), the value it views stays. */
    for (;;) {
        memcpy(virt, cand, NV);
        int changed = 0;
        for (int i = 0; i < L->n && !changed; i++) {
            const cg_block *b = &L->b[i];
            if (kind[i] != LY_BLOCK_VIEW) continue;
            for (int k = 0; k < b->nexec && !changed; k++) {
                const ir_node *n = &g->node[b->exec[k]];
                if (n->nin < 1 || n->in[0] < 0 || !virt[n->in[0]] || n->out[0] < 0) continue;
                if (read_fate(p, g, n->out[0])) {
                    virt[n->out[0]] = 1;
                    continue;
                }
                int x = n->in[0];
                while (!cand[x] && vsrc[x] >= 0)
                    x = vsrc[x];
                cand[x] = 0;
                changed = 1;
            }
        }
        if (!changed) {
            /* every reader must still emit: a block that a template
               covered and that fails with the pulled nodes (a Conv weight
               behind a Transpose) keeps its source in memory */
            int bad = 0;
            for (int i = 0; i < L->n && !bad; i++) {
                const cg_block *b = &L->b[i];
                int reads = 0;
                for (int k = 0; k < b->ninputs; k++)
                    if (virt[b->inputs[k]]) reads = 1;
                if (!reads || b->view) continue;
                cg_block r = pull(c, b, virt, mem, b->outputs, b->noutputs);
                if (!emits(c, &r) && emits(c, b)) {
                    for (int k = 0; k < b->ninputs; k++) {
                        int x = b->inputs[k];
                        if (!virt[x]) continue;
                        while (!cand[x] && vsrc[x] >= 0)
                            x = vsrc[x];
                        cand[x] = 0;
                    }
                    bad = 1;
                }
                rt_block_release(&r);
            }
            if (!bad) break;
        }
    }
    /* rebuild: drop what is read through, pull it into the readers */
    blist out = {0};
    int *outs = malloc(NV * sizeof *outs);
    if (!outs) abort();
    for (int i = 0; i < L->n; i++) {
        cg_block *b = &L->b[i];
        int no = 0, reads = 0;
        for (int k = 0; k < b->noutputs; k++)
            if (!virt[b->outputs[k]]) outs[no++] = b->outputs[k];
        for (int k = 0; k < b->ninputs; k++)
            if (virt[b->inputs[k]]) reads = 1;
        if (b->view) {
            /* view nodes of virtual values go with them */
            int ne = 0, *ex = malloc(((size_t)b->nexec + 1) * sizeof *ex);
            if (!ex) abort();
            for (int k = 0; k < b->nexec; k++) {
                const ir_node *n = &g->node[b->exec[k]];
                if (n->nout < 1 || n->out[0] < 0 || !virt[n->out[0]]) ex[ne++] = b->exec[k];
            }
            if (ne == 0) {
                c->st->read_through++;
                free(ex);
                rt_block_release(b);
                continue;
            }
            cg_block v = *b;
            v.exec = ex;
            v.nexec = ne;
            v.outputs = dup_ints(outs, no);
            v.noutputs = no;
            free((void *)b->exec);
            free((void *)b->outputs);
            push_block(&out, v);
            continue;
        }
        if (no == 0) {
            c->st->read_through++;
            rt_block_release(b);
            continue;
        }
        if (!reads && no == b->noutputs) {
            push_block(&out, *b);
            continue;
        }
        push_block(&out, pull(c, b, virt, mem, outs, no));
        rt_block_release(b);
    }
    free(L->b);
    *L = out;
    write_through(c, p, L);
    free(outs);
    free(mem);
    ly_plan_free(p);
    free(block_of);
    free(kind);
    free(cand);
    free(virt);
    free(vsrc);
    return 0;
}

#else
/* Built without layout/ (layout/layout.cmake not included): no plan, so
   nothing is read through. */
static int read_through(sctx *c, const struct gm_rules *R, blist *L)
{
    (void)c, (void)R, (void)L;
    snprintf(c->st->layout_error, sizeof c->st->layout_error, "dnnf was built without layout/");
    return 0;
}
#endif

/* ---- 5. elementwise epilogues back into their producer ------------------
 * DNNFusion grows a seed through its successors first, so a Sigmoid+Mul
 * (SiLU) after a depthwise Conv joins the GlobalAveragePool that reads it,
 * and the anchor split of that block leaves the SiLU as an elementwise
 * block of its own between the Conv and the pool (EfficientNet: 16 of
 * them, each a full extra write and read of a feature map).  When such a
 * block reads, besides constants, one value that a kernel block writes
 * for it alone, it becomes that kernel's epilogue instead -- if the merged
 * block still has a template.  Only for the GPU family: on PoCL the
 * separate elementwise kernel vectorises its exp across work-items, which
 * a Conv epilogue does not, and EfficientNet measured 11.2-13.2 ms apart
 * against 11.8-14.8 merged (three rounds each, 2026-12-07). */
static void merge_epilogues(sctx *c, blist *L)
{
    const ir_graph *g = c->g;
    size_t NV = (size_t)g->nval + 1;
    int *writer = malloc(NV * sizeof *writer), *readers = calloc(NV, sizeof *readers);
    char *gone = calloc((size_t)L->n + 1, 1);
    if (!writer || !readers || !gone) abort();
    for (int v = 0; v < g->nval; v++)
        writer[v] = -1;
    for (int i = 0; i < L->n; i++) {
        for (int k = 0; k < L->b[i].noutputs; k++)
            writer[L->b[i].outputs[k]] = i;
        for (int k = 0; k < L->b[i].ninputs; k++)
            readers[L->b[i].inputs[k]]++;
    }
    for (int i = 0; i < L->n; i++) {
        cg_block *E = &L->b[i];
        if (E->view || E->ninputs != 1 || E->nexec == 0) continue;
        int ok = 1;
        for (int k = 0; k < E->nexec && ok; k++) {
            const ir_node *n = &g->node[E->exec[k]];
            ok = !is_anchor(n) && !is_move(g, n) && n->nout == 1;
        }
        int v = E->inputs[0], p = v >= 0 ? writer[v] : -1;
        if (!ok || p < 0 || p >= i || gone[p] || readers[v] != 1 || g->val[v].is_output) continue;
        cg_block *P = &L->b[p];
        if (P->view || P->noutputs != 1 || P->outputs[0] != v || P->wdest) continue;
        int *nodes = malloc(((size_t)P->nexec + E->nexec) * sizeof *nodes);
        if (!nodes) abort();
        memcpy(nodes, P->exec, (size_t)P->nexec * sizeof *nodes);
        memcpy(nodes + P->nexec, E->exec, (size_t)E->nexec * sizeof *nodes);
        cg_block M =
            make_block(c, P->id, nodes, P->nexec + E->nexec, E->outputs, E->noutputs, NULL);
        free(nodes);
        if (!emits(c, &M)) {
            rt_block_release(&M);
            continue;
        }
        rt_block_release(P);
        *P = M;
        for (int k = 0; k < M.noutputs; k++)
            writer[M.outputs[k]] = p;
        gone[i] = 1;
        c->st->epilogue_merges++;
    }
    drop_blocks(L, gone);
    free(writer);
    free(readers);
    free(gone);
}

/* Every block reads only graph inputs, constants and what earlier blocks
   wrote: the invariant the executor's memory plan relies on. */
static int check_order(const ir_graph *g, const blist *L, dn_err *e)
{
    char *w = calloc((size_t)g->nval + 1, 1);
    if (!w) abort();
    for (int i = 0; i < g->ninput; i++)
        w[g->input[i]] = 1;
    int rc = 0;
    for (int i = 0; i < L->n && !rc; i++) {
        const cg_block *b = &L->b[i];
        for (int k = 0; k < b->ninputs && !rc; k++)
            if (!w[b->inputs[k]] && g->val[b->inputs[k]].kind != IR_VAL_CONST)
                rc = dn_errf(e, "block %d reads '%s', which no earlier block writes", i,
                             g->val[b->inputs[k]].name);
        for (int k = 0; k < b->noutputs; k++)
            w[cg_block_dest(b, k)] = 1;
    }
    free(w);
    return rc;
}

int rt_blocks_prepare(const ir_graph *g, const struct gm_rules *r, const cg_block *b, int nb,
                      const cg_device *d, int flags, cg_block **out, int *nout,
                      rt_prepare_stats *st, dn_err *e)
{
    rt_prepare_stats st0;
    if (!st) st = &st0;
    memset(st, 0, sizeof *st);
    int *order;
    int n = ir_topo_order(g, &order, e);
    if (n < 0) return -1;
    sctx c = {g, d, calloc((size_t)g->nnode + 1, sizeof(int)), st};
    if (!c.pos) abort();
    for (int i = 0; i < n; i++)
        c.pos[order[i]] = i;
    free(order);
    blist L = {0};
    for (int i = 0; i < nb; i++) {
        if (b[i].view || emits(&c, &b[i]) || !split_anchor(&c, &b[i], &L))
            split_sizes(&c, &b[i], &L);
    }
    if ((flags & RT_PREP_FUSED) && d->gpu) merge_epilogues(&c, &L);
    int rc = 0;
    if ((flags & RT_PREP_LAYOUT) && r) rc = read_through(&c, r, &L);
    for (int i = 0; i < L.n; i++)
        L.b[i].id = i;
    if (!rc) rc = check_order(g, &L, e);
    free(c.pos);
    if (rc) {
        rt_blocks_free(L.b, L.n);
        return -1;
    }
    for (int i = 0; i < L.n; i++) {
        if (L.b[i].view) continue;
        st->kernels++;
        if (rt_block_movement_only(g, &L.b[i])) st->layout_kernels++;
    }
    *out = L.b ? L.b : calloc(1, sizeof **out);
    *nout = L.n;
    return 0;
}

int rt_block_only_ops(const ir_graph *g, const cg_block *b, const char *ops)
{
    if (b->view || b->nexec == 0) return 0;
    for (int i = 0; i < b->nexec; i++) {
        const char *op = g->node[b->exec[i]].op, *p = ops;
        size_t n = strlen(op);
        int found = 0;
        while (*p && !found) {
            const char *q = strchr(p, ',');
            size_t len = q ? (size_t)(q - p) : strlen(p);
            found = len == n && !strncmp(p, op, n);
            p += len + (q != NULL);
        }
        if (!found) return 0;
    }
    return 1;
}

#else
/* Built without the emitter (tests/codegen/codegen.cmake): nothing here. */
typedef int rt_split_not_built;
#endif
