/* eliminate.c -- elimination of layout transformations by index
 * comprehension (SmartMem §4).
 *
 * A data-movement node computes nothing: it only decides which element
 * goes where, and codegen can write that decision as an index map
 * (cg_map_node).  So instead of launching it, a neighbour that launches
 * anyway takes it over:
 *
 *   read-through   each consumer reads the node's input through the map
 *                  (composed along a chain Reshape -> Transpose -> Reshape,
 *                  simplified with div/mod strength reduction); this is
 *                  the common case and crosses fusion-block boundaries,
 *                  because a kernel of another block can read any tensor
 *                  in memory through any map;
 *   write-through  the producer writes its output where the node would
 *                  have put it: needed where the node's output must exist
 *                  in memory as itself -- a graph output, or a Concat
 *                  (whose inputs each producer writes in place).  Only
 *                  bijective maps can be written through, and only when
 *                  the producer's output has no other reader.
 *
 * A node survives when neither applies, and the reason is recorded: no
 * map (unknown shape, data-dependent indices), a graph output whose
 * producer is no kernel (a graph input, say), a composed access costlier
 * than the bound (then one copy kernel paying the div/mod once is
 * cheaper than every reader paying them), a Concat input nobody can write
 * in place.  The edge table agrees with this: every edge into or out of a
 * Fixed (transformation) operator says `eliminate`; the order of tries
 * here is how that verdict is carried out, not a second opinion. */
#include "layout_impl.h"

#include <stdlib.h>
#include <string.h>

int ly_is_candidate(const ir_graph *g, int node)
{
    const ir_node *n = &g->node[node];
    if (n->dead || !ly_is_movement(n->op)) return 0;
    /* a Gather whose indices are computed is an embedding lookup, a
       kernel in its own right, not a layout transformation */
    if (!strcmp(n->op, "Gather"))
        return n->nin > 1 && n->in[1] >= 0 && g->val[n->in[1]].data != NULL;
    return 1;
}

/* The input tensors of node n as views of g's values. */
static int node_inputs(const ir_graph *g, const ir_node *n, dn_tensor *t, const dn_tensor **pt)
{
    for (int k = 0; k < n->nin && k < LY_MAX_INPUTS; k++) {
        pt[k] = ir_input_tensor(g, n, k, &t[k]) ? &t[k] : NULL;
    }
    return n->nin < LY_MAX_INPUTS ? n->nin : LY_MAX_INPUTS;
}

/* The map of node `node` (output `which`, or Concat input `which`). */
static int node_map(ly_plan *p, int node, int which, cg_map *m, dn_err *e)
{
    const ir_node *n = &p->g->node[node];
    dn_tensor t[LY_MAX_INPUTS];
    const dn_tensor *pt[LY_MAX_INPUTS];
    memset(t, 0, sizeof t);
    if (n->nin > LY_MAX_INPUTS)
        return dn_errf(e, "%s has %d inputs, more than the %d the layout pass reads", n->name,
                       n->nin, LY_MAX_INPUTS);
    int nin = node_inputs(p->g, n, t, pt);
    return cg_map_node(p->arena, n, pt, nin, which, m, e);
}

/* The inverse of node's map (output position -> input position), for the
   bijective operators: from the node's input index to its output index. */
static int inverse_map(ly_plan *p, int node, cg_map *m, dn_err *e)
{
    const ir_graph *g = p->g;
    const ir_node *n = &g->node[node];
    const dn_shape *x = &g->val[n->in[0]].shape, *y = &g->val[n->out[0]].shape;
    if (ly_is_view(n->op)) return cg_map_reshape(p->arena, y, x, m, e);
    if (!strcmp(n->op, "Transpose")) {
        int cnt = 0;
        const int64_t *perm = ir_attr_ints(n, "perm", &cnt);
        int64_t inv[DN_MAX_RANK];
        if (!perm) { /* ONNX default: reverse */
            for (int k = 0; k < x->rank; k++)
                inv[k] = x->rank - 1 - k;
        } else {
            if (cnt != x->rank)
                return dn_errf(e, "%s: perm of %d for rank %d", n->name, cnt, x->rank);
            for (int k = 0; k < cnt; k++)
                inv[perm[k]] = k;
        }
        return cg_map_transpose(p->arena, y, inv, m, e);
    }
    if (!strcmp(n->op, "DepthToSpace") && !strcmp(ir_attr_str(n, "mode", "DCR"), "DCR"))
        return cg_map_space_to_depth(p->arena, y, ir_attr_int(n, "blocksize", 1), m, e);
    if (!strcmp(n->op, "SpaceToDepth"))
        return cg_map_depth_to_space(p->arena, y, ir_attr_int(n, "blocksize", 1), 0, m, e);
    return dn_errf(e, "%s (%s) has no inverse map", n->name, n->op);
}

static int invertible(const ir_node *n)
{
    return ly_is_view(n->op) || !strcmp(n->op, "Transpose") || !strcmp(n->op, "SpaceToDepth") ||
           (!strcmp(n->op, "DepthToSpace") && !strcmp(ir_attr_str(n, "mode", "DCR"), "DCR"));
}

static ly_fate *fate(ly_plan *p, int node)
{
    return &p->fates[p->fate_of[node]];
}

static void keep(ly_plan *p, int node, int why, const char *fmt, const char *a, const char *b)
{
    ly_fate *f = fate(p, node);
    f->fate = LY_KEEP;
    f->why = why;
    snprintf(f->reason, sizeof f->reason, fmt, a, b);
}

static int divmod(const cg_cost *c)
{
    return c->div + c->mod;
}

static void add_store(ly_plan *p, const ly_store *s)
{
    p->st = realloc(p->st, ((size_t)p->nst + 1) * sizeof *p->st);
    if (!p->st) abort();
    p->st[p->nst++] = *s;
}

/* Is value v read by nothing but one node (and no graph output)? */
static int single_use(const ly_plan *p, int v)
{
    return p->uses[v] == 1 && !p->g->val[v].is_output && !p->g->val[v].pinned;
}

/* The producer kernel of v, or -1 (graph input, constant, or a data-movement node). */
static int kernel_producer(const ly_plan *p, int v)
{
    if (v < 0 || p->g->val[v].kind != IR_VAL_NODE) return -1;
    int pr = p->g->val[v].producer;
    return pr >= 0 && !ly_is_candidate(p->g, pr) ? pr : -1;
}

static int output_slot(const ir_node *n, int v)
{
    for (int k = 0; k < n->nout; k++)
        if (n->out[k] == v) return k;
    return 0;
}

/* Write-through of a Concat: every input's producer writes its piece. */
static int concat_write(ly_plan *p, int node, dn_err *e)
{
    const ir_graph *g = p->g;
    const ir_node *n = &g->node[node];
    for (int k = 0; k < n->nin; k++) {
        int v = n->in[k];
        if (v < 0) continue;
        if (kernel_producer(p, v) < 0 || !single_use(p, v)) {
            /* the reason stands if reading the pieces fails too */
            keep(p, node, LY_WHY_CONCAT, "input %s %s: no producer kernel can write it in place",
                 g->val[v].name,
                 g->val[v].kind == IR_VAL_INPUT   ? "is a graph input"
                 : g->val[v].kind == IR_VAL_CONST ? "is a constant"
                 : !single_use(p, v)              ? "has other readers"
                                                  : "comes from data movement");
            return 0;
        }
    }
    int nst0 = p->nst;
    for (int k = 0; k < n->nin; k++) {
        int v = n->in[k];
        if (v < 0) continue;
        ly_store s;
        memset(&s, 0, sizeof s);
        s.node = g->val[v].producer;
        s.slot = output_slot(&g->node[s.node], v);
        s.value = v;
        s.dest = n->out[0];
        s.npath = 1;
        s.path[0].node = node;
        s.path[0].which = k;
        /* the placement: Concat input k's map runs from the output to
           the input, with a guard; the write goes the other way, which is
           the offset along the axis and nothing else */
        int axis;
        if (dn_axis(ir_attr_int(n, "axis", 0), g->val[v].shape.rank, &axis, e)) return -1;
        int64_t off = 0;
        for (int j = 0; j < k; j++)
            if (n->in[j] >= 0) off += g->val[n->in[j]].shape.d[axis];
        if (cg_map_identity(p->arena, &g->val[v].shape, &s.map, e)) return -1;
        s.map.src = g->val[s.dest].shape;
        s.map.idx[axis] = cg_add(p->arena, s.map.idx[axis], cg_const(p->arena, off));
        cg_map_simplify(p->arena, &s.map);
        cg_map_cost(p->arena, &s.map, &s.cost);
        add_store(p, &s);
    }
    (void)nst0;
    ly_fate *f = fate(p, node);
    f->fate = LY_ELIM_WRITE;
    f->why = LY_WHY_NONE;
    snprintf(f->reason, sizeof f->reason, "each of %d producers writes its piece in place", n->nin);
    return 0;
}

/* Write-through of a chain ending at node: at a graph output (output 1:
   a failure is recorded on the node), or at a tensor its readers want as
   it is (output 0: a failure leaves the node to read-through). */
static int chain_write(ly_plan *p, int node, int output, dn_err *e)
{
    const ir_graph *g = p->g;
    const char *dname = g->val[g->node[node].out[0]].name;
    int chain[LY_MAX_PATH], nch = 0;
    int cur = node;
    for (;;) {
        const ir_node *n = &g->node[cur];
        if (!invertible(n)) {
            if (output)
                keep(p, node, LY_WHY_OUTPUT,
                     "feeds graph output %s and %s cannot be written through", dname, n->op);
            return 0;
        }
        if (nch == LY_MAX_PATH) {
            if (output)
                keep(p, node, LY_WHY_PATH, "feeds graph output %s through a chain longer than %s",
                     dname, "LY_MAX_PATH");
            return 0;
        }
        chain[nch++] = cur;
        int x = n->in[0];
        if (kernel_producer(p, x) >= 0 && single_use(p, x)) break;
        int pr = x >= 0 && g->val[x].kind == IR_VAL_NODE ? g->val[x].producer : -1;
        if (pr >= 0 && ly_is_candidate(p->g, pr) && single_use(p, x) &&
            fate(p, pr)->fate == LY_KEEP && fate(p, pr)->why == LY_WHY_NONE &&
            strcmp(g->node[pr].op, "Concat")) {
            cur = pr;
            continue;
        }
        if (output)
            keep(p, node, LY_WHY_OUTPUT, "feeds graph output %s and its input %s", dname,
                 x < 0                            ? "is missing"
                 : g->val[x].kind == IR_VAL_INPUT ? "is a graph input"
                 : g->val[x].kind == IR_VAL_CONST ? "is a constant"
                 : !single_use(p, x)              ? "has other readers"
                                                  : "comes from a surviving node");
        return 0;
    }
    /* chain[nch-1] is next to the producer kernel */
    int last = chain[nch - 1];
    int x = g->node[last].in[0];
    ly_store s;
    memset(&s, 0, sizeof s);
    s.node = g->val[x].producer;
    s.slot = output_slot(&g->node[s.node], x);
    s.value = x;
    s.dest = g->node[node].out[0];
    for (int i = nch - 1; i >= 0; i--) {
        cg_map inv, c;
        if (inverse_map(p, chain[i], &inv, e)) return -1;
        if (i == nch - 1)
            s.map = inv;
        else {
            if (cg_map_compose(p->arena, &s.map, &inv, &c, e)) return -1;
            s.map = c;
        }
        s.path[s.npath].node = chain[i];
        s.path[s.npath++].which = 0;
    }
    cg_map_simplify(p->arena, &s.map);
    cg_map_cost(p->arena, &s.map, &s.cost);
    if (divmod(&s.cost) > p->o.max_divmod) {
        char buf[32];
        snprintf(buf, sizeof buf, "%d", divmod(&s.cost));
        if (output)
            keep(p, node, LY_WHY_COST, "feeds graph output %s; writing through costs %s div/mod",
                 dname, buf);
        return 0;
    }
    add_store(p, &s);
    for (int i = 0; i < nch; i++) {
        ly_fate *f = fate(p, chain[i]);
        f->fate = LY_ELIM_WRITE;
        f->why = LY_WHY_NONE;
        if (output)
            snprintf(f->reason, sizeof f->reason, "%s writes graph output %s through it",
                     g->node[s.node].name, dname);
        else
            snprintf(f->reason, sizeof f->reason,
                     "%.50s writes %.50s in the order its readers reduce along",
                     g->node[s.node].name, dname);
    }
    return 0;
}

/* Node is a Transpose that moves its output's last dim, and every reader
   of that output is an ILD operator (its speed depends on the layout, the
   groups of the rules say) reducing along that last dim. */
static int readers_walk_last(const ly_plan *p, int node)
{
    const ir_graph *g = p->g;
    const ir_node *n = &g->node[node];
    if (strcmp(n->op, "Transpose") || n->nout != 1 || n->out[0] < 0 || g->val[n->out[0]].is_output)
        return 0;
    int T = n->out[0], r = g->val[T].shape.rank, cnt = 0, readers = 0;
    const int64_t *perm = ir_attr_ints(n, "perm", &cnt);
    if (r < 2 || (perm ? cnt != r || perm[r - 1] == r - 1 : 0)) return 0;
    for (int c = 0; c < g->nnode; c++) {
        const ir_node *cn = &g->node[c];
        if (cn->dead) continue;
        for (int k = 0; k < cn->nin; k++) {
            if (cn->in[k] != T) continue;
            const char *grp = ly_node_group(p->groups, c);
            int blocked;
            if (!grp || strncmp(grp, "ild", 3) || ly_reduction_dim(g, cn, k, &blocked) != r - 1 ||
                blocked)
                return 0;
            readers++;
        }
    }
    return readers > 0;
}

static int tentative_read(const ly_plan *p, int node)
{
    return p->fate_of[node] >= 0 && p->fates[p->fate_of[node]].fate == LY_ELIM_READ;
}

static void add_access(ly_plan *p, const ly_access *a)
{
    p->acc = realloc(p->acc, ((size_t)p->nacc + 1) * sizeof *p->acc);
    if (!p->acc) abort();
    if (p->acc_of[a->node] < 0) p->acc_of[a->node] = p->nacc;
    p->acc[p->nacc++] = *a;
}

/* One read of consumer c's input k, walked back from value cur through
   tentatively eliminated nodes with the map composed so far (m; NULL at
   the start).  A Concat splits the read into one guarded piece per input,
   each walked on by itself.  Returns 0, 1 when a bound broke (a node was
   turned back into a survivor: the caller starts over), -1 on an error. */
static int walk(ly_plan *p, int c, int k, int cur, const cg_map *m, ly_step *rev, int nrev,
                int concat, int *pieces, dn_err *e)
{
    const ir_graph *g = p->g;
    const ir_node *n = &g->node[c];
    cg_map acc;
    if (m) acc = *m;
    while (cur >= 0 && g->val[cur].kind == IR_VAL_NODE && g->val[cur].producer >= 0 &&
           tentative_read(p, g->val[cur].producer)) {
        int mn = g->val[cur].producer;
        const ir_node *M = &g->node[mn];
        if (nrev == LY_MAX_PATH) {
            keep(p, mn, LY_WHY_PATH, "chain of more than %s nodes before %s", "LY_MAX_PATH",
                 n->name);
            return 1;
        }
        int isc = !strcmp(M->op, "Concat");
        int nw = isc ? M->nin : 1;
        for (int w = 0; w < nw; w++) {
            int which = isc ? w : output_slot(M, cur);
            if (isc && M->in[w] < 0) continue;
            cg_map mm, comp;
            if (node_map(p, mn, which, &mm, e)) return -1;
            if (nrev == 0 && !m)
                comp = mm;
            else if (cg_map_compose(p->arena, &acc, &mm, &comp, e))
                return -1;
            cg_cost cost;
            memset(&cost, 0, sizeof cost);
            cg_map_cost(p->arena, &comp, &cost);
            if (divmod(&cost) > p->o.max_divmod) {
                char buf[64];
                snprintf(buf, sizeof buf, "%d div/mod (bound %d)", divmod(&cost), p->o.max_divmod);
                /* materialise the Concat nearest the reader when the chain
                   has one: a Concat is where pieces meet, so copying there
                   cuts every piece's chain at once, and the Reshape and
                   Transpose around it still fold into its readers and
                   into the copy itself */
                int cut = mn;
                for (int i = 0; i < nrev; i++)
                    if (!strcmp(g->node[rev[i].node].op, "Concat")) {
                        cut = rev[i].node;
                        break;
                    }
                keep(p, cut, LY_WHY_COST, "%s would read through it at %s", n->name, buf);
                return 1;
            }
            if (comp.nguard == CG_MAX_GUARDS) {
                keep(p, mn, LY_WHY_PIECES, "%s would read through more than %s nested pieces",
                     n->name, "CG_MAX_GUARDS");
                return 1;
            }
            rev[nrev].node = mn;
            rev[nrev].which = which;
            if (isc) {
                int rc = walk(p, c, k, M->in[w], &comp, rev, nrev + 1, concat >= 0 ? concat : mn,
                              pieces, e);
                if (rc) return rc;
                continue;
            }
            acc = comp;
            m = &acc;
            nrev++;
            cur = M->in[0];
        }
        if (isc) return 0;
    }
    if (++*pieces > LY_MAX_PIECES) {
        keep(p, concat, LY_WHY_PIECES, "%s would read it in more than %s pieces", n->name,
             "LY_MAX_PIECES");
        return 1;
    }
    ly_access a;
    memset(&a, 0, sizeof a);
    a.node = c;
    a.slot = k;
    a.value = n->in[k];
    a.source = cur;
    a.npath = nrev;
    for (int i = 0; i < nrev; i++)
        a.path[i] = rev[nrev - 1 - i];
    if (m) a.map = *m;
    cg_map_cost(p->arena, &a.map, &a.cost);
    add_access(p, &a);
    return 0;
}

/* Builds every read access; 1 when one broke a bound (start over). */
static int build_reads(ly_plan *p, dn_err *e)
{
    const ir_graph *g = p->g;
    p->nacc = 0;
    for (int c = 0; c < g->nnode; c++)
        p->acc_of[c] = -1;
    for (int c = 0; c < g->nnode; c++) {
        const ir_node *n = &g->node[c];
        if (n->dead || tentative_read(p, c)) continue;
        for (int k = 0; k < n->nin; k++) {
            int v = n->in[k];
            if (v < 0 || g->val[v].kind != IR_VAL_NODE) continue;
            int pr = g->val[v].producer;
            if (pr < 0 || !tentative_read(p, pr)) continue;
            ly_step rev[LY_MAX_PATH];
            int pieces = 0;
            int rc = walk(p, c, k, v, NULL, rev, 0, -1, &pieces, e);
            if (rc) return rc;
        }
    }
    return 0;
}

int ly_eliminate(ly_plan *p, dn_err *e)
{
    const ir_graph *g = p->g;
    /* fates of every candidate, with its map checked once up front */
    for (int i = 0; i < g->nnode; i++) {
        p->fate_of[i] = -1;
        if (!ly_is_candidate(p->g, i)) continue;
        p->fates = realloc(p->fates, ((size_t)p->nfates + 1) * sizeof *p->fates);
        if (!p->fates) abort();
        p->fate_of[i] = p->nfates;
        ly_fate *f = &p->fates[p->nfates++];
        memset(f, 0, sizeof *f);
        f->node = i;
        f->fate = LY_KEEP;
        const ir_node *n = &g->node[i];
        if (!p->o.eliminate) {
            f->why = LY_WHY_OFF;
            snprintf(f->reason, sizeof f->reason, "elimination turned off");
            continue;
        }
        dn_err me;
        cg_map m;
        int nmaps = !strcmp(n->op, "Concat") ? n->nin : !strcmp(n->op, "Split") ? n->nout : 1;
        for (int w = 0; w < nmaps; w++)
            if ((!strcmp(n->op, "Concat") ? n->in[w] : n->out[w]) >= 0 &&
                node_map(p, i, w, &m, &me)) {
                f->why = LY_WHY_NOMAP;
                snprintf(f->reason, sizeof f->reason, "no index map: %.140s", me.msg);
                break;
            }
    }
    if (!p->o.eliminate) return 0;
    /* 1. write-through: Concats, then chains ending at graph outputs */
    for (int i = 0; i < p->nfates; i++) {
        ly_fate *f = &p->fates[i];
        if (f->why == LY_WHY_NOMAP || strcmp(g->node[f->node].op, "Concat")) continue;
        if (concat_write(p, f->node, e)) return -1;
    }
    for (int i = p->nfates - 1; i >= 0; i--) {
        ly_fate *f = &p->fates[i];
        const ir_node *n = &g->node[f->node];
        if (f->why || f->fate != LY_KEEP || !strcmp(n->op, "Concat")) continue;
        int out = 0;
        for (int k = 0; k < n->nout; k++)
            if (n->out[k] >= 0 && g->val[n->out[k]].is_output) out = 1;
        if (!out) continue;
        if (n->nout > 1) {
            keep(p, f->node, LY_WHY_OUTPUT, "feeds graph output %s and has several outputs",
                 g->val[n->out[0]].name, "");
            continue;
        }
        if (chain_write(p, f->node, 1, e)) return -1;
    }
    /* a tensor pinned in the layout selection chose for it (layout/apply.c:
       v/layout = Transpose(v)): its producer writes it in that order; where it
       cannot, the Transpose is read through like any other, and the pair
       apply.c inserted composes back to v */
    for (int i = p->nfates - 1; i >= 0; i--) {
        ly_fate *f = &p->fates[i];
        const ir_node *n = &g->node[f->node];
        if (f->why || f->fate != LY_KEEP || n->nout != 1 || n->out[0] < 0 ||
            !g->val[n->out[0]].pinned)
            continue;
        if (chain_write(p, f->node, 0, e)) return -1;
    }
    /* a transposition whose every reader walks its output's last dim (a
       LayerNorm after ConvNeXt's NCHW -> NHWC permute): read through, each
       reader would stride that dim, pass after pass; the producer writes
       it once in the order they walk instead (the edge table's "search
       first" on ild/ili_var -> ild_fixed: write directly in the
       transposed layout) */
    for (int i = p->nfates - 1; i >= 0; i--) {
        ly_fate *f = &p->fates[i];
        if (f->why || f->fate != LY_KEEP || !readers_walk_last(p, f->node)) continue;
        if (chain_write(p, f->node, 0, e)) return -1;
    }
    /* 2. read-through: every other candidate, tentatively; a bound that
       breaks turns one node back into a survivor and the reads are built
       again (each round fixes one node, so this ends) */
    for (int i = 0; i < p->nfates; i++) {
        ly_fate *f = &p->fates[i];
        const ir_node *n = &g->node[f->node];
        /* a Concat nobody could write in place is read in pieces */
        if ((f->why && f->why != LY_WHY_CONCAT) || f->fate != LY_KEEP) continue;
        int out = 0;
        for (int k = 0; k < n->nout; k++)
            if (n->out[k] >= 0 && g->val[n->out[k]].is_output) out = 1;
        if (out) continue;
        f->fate = LY_ELIM_READ;
        f->why = LY_WHY_NONE;
        snprintf(f->reason, sizeof f->reason, "its readers compose its index map");
    }
    for (;;) {
        int rc = build_reads(p, e);
        if (rc < 0) return -1;
        if (rc == 0) break;
    }
    /* 3. what still survives: fused with arithmetic by the plan, a view,
       or a kernel of its own */
    for (int i = 0; i < p->nfates; i++) {
        ly_fate *f = &p->fates[i];
        if (f->fate != LY_KEEP) continue;
        int b = p->block_of[f->node];
        if (b >= 0 && p->block_kind[b] == LY_BLOCK_KERNEL) {
            f->fate = LY_ELIM_BLOCK;
            char why[160];
            snprintf(why, sizeof why, "inside a fused kernel (%.130s)", f->reason);
            memcpy(f->reason, why, sizeof f->reason);
            f->reason[sizeof f->reason - 1] = 0;
        } else if (ly_is_view(g->node[f->node].op))
            f->fate = LY_VIEW;
    }
    /* what is in memory */
    for (int i = 0; i < p->nfates; i++) {
        const ly_fate *f = &p->fates[i];
        const ir_node *n = &g->node[f->node];
        if (f->fate == LY_ELIM_READ)
            for (int k = 0; k < n->nout; k++)
                if (n->out[k] >= 0) p->mat[n->out[k]] = 0;
    }
    for (int i = 0; i < p->nst; i++) {
        const ly_store *s = &p->st[i];
        p->mat[s->value] = 0;
        for (int j = 0; j + 1 < s->npath; j++) {
            const ir_node *n = &g->node[s->path[j].node];
            if (n->out[0] >= 0) p->mat[n->out[0]] = 0;
        }
    }
    /* stores sorted by node for ly_plan_write */
    for (int i = 0; i < g->nnode; i++)
        p->st_of[i] = -1;
    for (int i = 0; i < p->nst; i++)
        for (int j = i + 1; j < p->nst; j++)
            if (p->st[j].node < p->st[i].node) {
                ly_store t = p->st[i];
                p->st[i] = p->st[j];
                p->st[j] = t;
            }
    for (int i = p->nst - 1; i >= 0; i--)
        p->st_of[p->st[i].node] = i;
    return 0;
}
