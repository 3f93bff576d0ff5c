/* report.c -- what a plan achieved, in GUIDE §7's terms, and the block
 * listing.
 *
 * Kernels are the blocks that launch: FU_KERNEL blocks (some arithmetic)
 * and FU_LAYOUT blocks (only data movement: Transpose, Concat, Slice,
 * Expand, ... copies).  A block made only of views (Reshape, Squeeze,
 * Unsqueeze, Flatten) launches nothing: its output aliases its input,
 * which an earlier block has written (or is a graph input or constant).
 *
 * IRS counts the bytes of intermediate tensors written to memory: for the
 * plan, the outputs of launching blocks that are not graph outputs; for
 * the unfused graph, the outputs of every node except views, that some
 * node reads.  Graph outputs are written either way and count in neither. */
#include "fusion.h"

#include <stdlib.h>
#include <string.h>

static int64_t vbytes(const ir_graph *g, int v)
{
    return (int64_t)fu_value_bytes(g, v);
}

void fu_plan_summary(const fu_plan *p, fu_summary *s)
{
    const ir_graph *g = fu_plan_graph(p);
    const fu_mapping *m = fu_plan_mapping(p);
    memset(s, 0, sizeof *s);
    s->nodes = ir_count_nodes(g, 0);
    s->compute_ops = ir_count_nodes(g, 1);
    int *use = ir_use_counts(g);
    for (int i = 0; i < g->nnode; i++) {
        const ir_node *n = &g->node[i];
        if (n->dead) continue;
        if (fu_plan_is_recomputed(p, i)) s->recomputed++;
        if (fu_is_view_op(n->op)) continue;
        for (int o = 0; o < n->nout; o++) {
            int v = n->out[o];
            if (v >= 0 && !g->val[v].is_output && use[v] > 0) s->irs_bytes_unfused += vbytes(g, v);
        }
    }
    for (int b = 0; b < fu_plan_nblocks(p); b++) {
        const fu_block *B = fu_plan_block(p, b);
        s->flops += B->flops;
        if (B->kind == FU_VIEW) {
            s->view_blocks++;
            continue;
        }
        s->kernels++;
        if (B->kind == FU_LAYOUT) s->layout_kernels++;
        for (int i = 0; i < B->noutputs; i++)
            if (!g->val[B->outputs[i]].is_output) s->irs_bytes += vbytes(g, B->outputs[i]);
        /* a lone elementwise node that the table would let a neighbour take */
        if (B->nnodes != 1 || B->nrecomp || fu_type_level(m, fu_decl_type(m, B->nodes[0])) != 0)
            continue;
        int x = B->nodes[0], lone = 0;
        const ir_node *n = &g->node[x];
        const gm_rules *r = fu_plan_rules(p);
        for (int k = 0; k < n->nin && !lone; k++) {
            int v = n->in[k];
            if (v < 0 || g->val[v].kind != IR_VAL_NODE) continue;
            int pb = fu_plan_block_of(p, g->val[v].producer);
            if (pb < 0) continue;
            int verdict = gm_rules_fuse(r, fu_type_name(m, fu_plan_block(p, pb)->type),
                                        fu_type_name(m, fu_edge_type(m, x, k)), NULL);
            lone = verdict == GM_FUSE || verdict == GM_PROFILE;
        }
        for (int c = 0; c < g->nnode && !lone; c++) {
            const ir_node *cn = &g->node[c];
            if (cn->dead) continue;
            for (int k = 0; k < cn->nin && !lone; k++) {
                if (cn->in[k] < 0 || g->val[cn->in[k]].producer != x) continue;
                int cb = fu_plan_block_of(p, c);
                if (cb < 0) continue;
                int verdict = gm_rules_fuse(r, fu_type_name(m, fu_node_type(m, x)),
                                            fu_type_name(m, fu_plan_block(p, cb)->type), NULL);
                lone = verdict == GM_FUSE || verdict == GM_PROFILE;
            }
        }
        s->lone_elementwise += lone;
    }
    free(use);
}

const char *fu_block_ops(const fu_plan *p, const fu_block *b, char *buf, size_t n)
{
    const ir_graph *g = fu_plan_graph(p);
    size_t k = 0;
    buf[0] = 0;
    for (int i = 0; i < b->nexec && k + 1 < n; i++) {
        int x = b->exec[i];
        int rec = 0;
        for (int j = 0; j < b->nrecomp && !rec; j++)
            rec = b->recomp[j] == x;
        k += (size_t)snprintf(buf + k, n - k, "%s%s%s%s", i ? "+" : "", rec ? "(" : "",
                              g->node[x].op, rec ? ")" : "");
    }
    if (k + 1 >= n && n > 4) memcpy(buf + n - 4, "...", 4);
    return buf;
}

static const char *kind_name(int k)
{
    return k == FU_VIEW ? "view" : k == FU_LAYOUT ? "layout" : "kernel";
}

static void values(const ir_graph *g, const int *v, int n, FILE *f)
{
    char sh[128];
    for (int i = 0; i < n; i++)
        fprintf(f, "%s%s%s", i ? ", " : "", g->val[v[i]].name,
                dn_shape_str(&g->val[v[i]].shape, sh, sizeof sh));
    if (!n) fprintf(f, "-");
}

static const char *dir_name(int d)
{
    return d == FU_DIR_SUCC ? "successor" : d == FU_DIR_PRED ? "predecessor" : "";
}

static const char *why_name(const fu_step *s)
{
    switch (s->why) {
    case FU_WHY_TABLE:
        return s->kind == FU_STEP_JOIN ? gm_verdict_name(s->verdict) : "break";
    case FU_WHY_NOENTRY:
        return "no table entry";
    case FU_WHY_CYCLE:
        return "cycle";
    case FU_WHY_ARGS:
        return "too many kernel arguments";
    case FU_WHY_WORK:
        return "too much work per thread";
    case FU_WHY_SLOWER:
        return s->verdict == GM_PROFILE ? "profile: not faster fused"
                                        : "recomputed per tap: not faster fused";
    case FU_WHY_RECOMPUTE:
        return "prologue of a convolution: epilogue of its producer instead";
    case FU_WHY_PINNED:
        return "a tensor kept in memory in its chosen layout";
    default:
        return "?";
    }
}

static void print_steps(const fu_plan *p, FILE *f)
{
    const ir_graph *g = fu_plan_graph(p);
    const fu_mapping *m = fu_plan_mapping(p);
    for (int i = 0; i < fu_plan_nsteps(p); i++) {
        const fu_step *s = fu_plan_step(p, i);
        const char *nm = g->node[s->node].name;
        switch (s->kind) {
        case FU_STEP_SEED:
            fprintf(f, "seed %s (%s)\n", nm, fu_type_name(m, s->first));
            break;
        case FU_STEP_JOIN:
        case FU_STEP_STOP:
            fprintf(f, "  %s %s %s of %s: %s + %s: %s", s->kind == FU_STEP_JOIN ? "join" : "stop",
                    nm, dir_name(s->dir), g->node[s->from].name, fu_type_name(m, s->first),
                    fu_type_name(m, s->second), why_name(s));
            if ((s->verdict == GM_PROFILE || s->ms_fused > 0) && s->why != FU_WHY_CYCLE &&
                s->why != FU_WHY_ARGS && s->why != FU_WHY_WORK && s->why != FU_WHY_RECOMPUTE &&
                s->why != FU_WHY_PINNED)
                fprintf(f, " (fused %.4g ms, apart %.4g ms, %s)", s->ms_fused, s->ms_apart,
                        s->measured ? "measured" : "estimated");
            fputc('\n', f);
            break;
        case FU_STEP_RECOMPUTE:
            fprintf(f,
                    "recompute %s in its readers (%.0f bytes read instead of %.0f written and "
                    "read)%s\n",
                    nm, s->ms_fused, s->ms_apart, s->from >= 0 ? "" : ", dissolved");
            break;
        }
    }
}

void fu_plan_print(const fu_plan *p, int steps, FILE *f)
{
    const ir_graph *g = fu_plan_graph(p);
    const fu_mapping *m = fu_plan_mapping(p);
    char ops[512];
    for (int b = 0; b < fu_plan_nblocks(p); b++) {
        const fu_block *B = fu_plan_block(p, b);
        fprintf(f, "block %d  %-6s %-12s %s\n", B->id, kind_name(B->kind), fu_type_name(m, B->type),
                fu_block_ops(p, B, ops, sizeof ops));
        fprintf(f, "    nodes:");
        for (int i = 0; i < B->nexec; i++) {
            int x = B->exec[i];
            int rec = 0;
            for (int j = 0; j < B->nrecomp && !rec; j++)
                rec = B->recomp[j] == x;
            fprintf(f, " %s%s%s", rec ? "(recomputed)" : "", g->node[x].name,
                    x == B->seed ? "*" : "");
        }
        fprintf(f, "\n    in: ");
        values(g, B->inputs, B->ninputs, f);
        fprintf(f, "  params: %d\n    out: ", B->nparams);
        values(g, B->outputs, B->noutputs, f);
        fputc('\n', f);
    }
    if (steps) print_steps(p, f);
}

void fu_plan_print_canonical(const fu_plan *p, int steps, FILE *f)
{
    const ir_graph *g = fu_plan_graph(p);
    const fu_mapping *m = fu_plan_mapping(p);
    for (int b = 0; b < fu_plan_nblocks(p); b++) {
        const fu_block *B = fu_plan_block(p, b);
        fprintf(f, "block %s %s:", kind_name(B->kind), fu_type_name(m, B->type));
        for (int i = 0; i < B->nnodes; i++)
            fprintf(f, " %s", g->node[B->nodes[i]].name);
        if (B->nrecomp) {
            fprintf(f, " recompute:");
            for (int i = 0; i < B->nrecomp; i++)
                fprintf(f, " %s", g->node[B->recomp[i]].name);
        }
        fputc('\n', f);
    }
    if (steps) print_steps(p, f);
}
