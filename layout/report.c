/* report.c -- what the layout pass decided, for people and for tests.
 *
 * "Layout kernels" are GUIDE §7's: launches whose only work is moving
 * data.  Before the pass they are the fusion plan's layout blocks (or,
 * unfused, every data-movement node that is not a view); after it, the
 * blocks that still hold a surviving data-movement node that is not a
 * view.  Every survivor is listed with its reason. */
#include "layout_impl.h"

#include <stdlib.h>
#include <string.h>

const char *ly_fate_name(int fate)
{
    switch (fate) {
    case LY_KEEP:
        return "kept";
    case LY_ELIM_READ:
        return "read-through";
    case LY_ELIM_WRITE:
        return "write-through";
    case LY_ELIM_BLOCK:
        return "fused";
    case LY_VIEW:
        return "view";
    }
    return "?";
}

const char *ly_why_name(int why)
{
    switch (why) {
    case LY_WHY_NONE:
        return "";
    case LY_WHY_OFF:
        return "off";
    case LY_WHY_NOMAP:
        return "no-map";
    case LY_WHY_OUTPUT:
        return "graph-output";
    case LY_WHY_COST:
        return "cost";
    case LY_WHY_PATH:
        return "chain-length";
    case LY_WHY_CONCAT:
        return "concat-input";
    case LY_WHY_PIECES:
        return "pieces";
    }
    return "?";
}

void ly_plan_summary(const ly_plan *p, ly_summary *s)
{
    const ir_graph *g = p->g;
    memset(s, 0, sizeof *s);
    s->movement = p->nfates;
    char *live = calloc((size_t)p->nblocks + 1, 1);
    if (!live) abort();
    for (int b = 0; b < p->nblocks; b++)
        if (p->block_kind[b] == LY_BLOCK_LAYOUT) s->layout_kernels_before++;
    /* a block made of movement only that lost every member launches nothing */
    for (int i = 0; i < p->nfates; i++) {
        const ly_fate *f = &p->fates[i];
        switch (f->fate) {
        case LY_KEEP:
            s->surviving++, s->standalone++;
            break;
        case LY_ELIM_READ:
            s->eliminated_read++;
            break;
        case LY_ELIM_WRITE:
            s->eliminated_write++;
            break;
        case LY_ELIM_BLOCK:
            s->eliminated_block++;
            break;
        case LY_VIEW:
            s->views++;
            break;
        }
        int b = p->block_of[f->node];
        if (f->fate == LY_KEEP && b >= 0 && !live[b]) {
            live[b] = 1;
            s->layout_kernels_after++;
        }
    }
    free(live);
    for (int i = 0; i < p->nacc; i++)
        if (p->acc[i].npath) {
            s->accesses++;
            int c = p->acc[i].cost.div + p->acc[i].cost.mod;
            if (c > s->max_divmod) s->max_divmod = c;
        }
    s->stores = p->nst;
    for (int v = 0; v < g->nval; v++) {
        if (p->ncopies[v] > 1) s->copies += p->ncopies[v] - 1;
        for (int c = 0; c < p->ncopies[v]; c++) {
            if (p->lays[v][c].kind == LY_PERMUTED) s->permuted++;
            if (p->lays[v][c].kind == LY_BLOCKED4) s->blocked++;
        }
    }
    for (int i = 0; i < p->ntex; i++) {
        if (p->tex[i].mem == LY_MEM_IMAGE)
            s->images++;
        else
            s->image_rejected++;
    }
}

static const char *layout_str(const ly_layout *l, char *buf, size_t n)
{
    char sh[128];
    dn_shape_str(&l->phys, sh, sizeof sh);
    if (l->kind == LY_ROW_MAJOR)
        snprintf(buf, n, "row-major");
    else if (l->kind == LY_BLOCKED4)
        snprintf(buf, n, "blocked4(dim %d) %s", l->dim, sh);
    else {
        size_t k = (size_t)snprintf(buf, n, "perm(");
        for (int i = 0; i < l->phys.rank && k < n; i++)
            k += (size_t)snprintf(buf + k, n - k, "%s%d", i ? "," : "", l->perm[i]);
        if (k < n) snprintf(buf + k, n - k, ") %s", sh);
    }
    return buf;
}

static void print_node_list(const ly_plan *p, const ly_step *path, int n, FILE *f)
{
    for (int i = 0; i < n; i++)
        fprintf(f, "%s%s(%s)", i ? " -> " : "", p->g->node[path[i].node].name,
                p->g->node[path[i].node].op);
}

void ly_plan_print(const ly_plan *p, int verbose, FILE *f)
{
    const ir_graph *g = p->g;
    ly_summary s;
    ly_plan_summary(p, &s);
    fprintf(f,
            "layout: %d data-movement nodes: %d read-through, %d write-through, %d fused, %d "
            "views, %d kept; layout kernels: unfused %d, %s %d -> %d; %d composed reads (max %d "
            "div/mod), %d composed writes; layouts: %d permuted, %d blocked, %d extra copies; "
            "image2d %d (%d candidates kept in buffers)\n",
            s.movement, s.eliminated_read, s.eliminated_write, s.eliminated_block, s.views,
            s.surviving, s.movement, p->unfused ? "one block per node" : "fusion plan",
            s.layout_kernels_before, s.layout_kernels_after, s.accesses, s.max_divmod, s.stores,
            s.permuted, s.blocked, s.copies, s.images, s.image_rejected);
    for (int i = 0; i < p->nfates; i++) {
        const ly_fate *x = &p->fates[i];
        if (x->fate != LY_KEEP && x->fate != LY_VIEW && !(verbose && x->fate == LY_ELIM_BLOCK))
            continue;
        fprintf(f, "  %s %s (%s) [%s]: %s\n", ly_fate_name(x->fate), g->node[x->node].name,
                g->node[x->node].op, ly_why_name(x->why), x->reason);
    }
    if (!verbose) return;
    char buf[1024], lb[256];
    for (int i = 0; i < p->nacc; i++) {
        const ly_access *a = &p->acc[i];
        if (!a->npath && !a->copy) continue;
        cg_map_print_debug(&a->map, NULL, 0, buf, sizeof buf);
        fprintf(f, "  read %s input %d: %s[%s] via ", g->node[a->node].name, a->slot,
                g->val[a->source].name, buf);
        print_node_list(p, a->path, a->npath, f);
        fprintf(f, " (%d div, %d mod; copy %d)\n", a->cost.div, a->cost.mod, a->copy);
    }
    for (int i = 0; i < p->nst; i++) {
        const ly_store *st = &p->st[i];
        cg_map_print_debug(&st->map, NULL, 0, buf, sizeof buf);
        fprintf(f, "  write %s output %s into %s[%s] via ", g->node[st->node].name,
                g->val[st->value].name, g->val[st->dest].name, buf);
        print_node_list(p, st->path, st->npath, f);
        fprintf(f, "\n");
    }
    for (int v = 0; v < g->nval; v++)
        for (int c = 0; c < p->ncopies[v]; c++)
            if (p->lays[v][c].kind != LY_ROW_MAJOR)
                fprintf(f, "  layout %s copy %d: %s (%s)\n", g->val[v].name, c,
                        layout_str(&p->lays[v][c], lb, sizeof lb), p->lays[v][c].why);
    for (int i = 0; i < p->ntex; i++) {
        const ly_texture *t = &p->tex[i];
        cg_map_print_debug(&t->map, NULL, 0, buf, sizeof buf);
        fprintf(f, "  %s %s: %lldx%lld texels, packed dim %d, (x;y;c) = %s (%s)\n",
                t->mem == LY_MEM_IMAGE ? "image2d" : "buffer", g->val[t->value].name,
                (long long)t->width, (long long)t->height, t->vec_dim, buf, t->why);
    }
}

void ly_plan_print_canonical(const ly_plan *p, FILE *f)
{
    const ir_graph *g = p->g;
    char buf[1024], lb[256];
    for (int i = 0; i < p->nfates; i++) {
        const ly_fate *x = &p->fates[i];
        fprintf(f, "node %s %s %s%s%s\n", g->node[x->node].name, g->node[x->node].op,
                ly_fate_name(x->fate), x->why ? " " : "", ly_why_name(x->why));
    }
    for (int i = 0; i < p->nacc; i++) {
        const ly_access *a = &p->acc[i];
        if (!a->npath && !a->copy) continue;
        cg_map_print_debug(&a->map, NULL, 0, buf, sizeof buf);
        fprintf(f, "read %s.%d %s[%s] divmod %d copy %d\n", g->node[a->node].name, a->slot,
                g->val[a->source].name, buf, a->cost.div + a->cost.mod, a->copy);
    }
    for (int i = 0; i < p->nst; i++) {
        const ly_store *st = &p->st[i];
        cg_map_print_debug(&st->map, NULL, 0, buf, sizeof buf);
        fprintf(f, "write %s.%d %s[%s]\n", g->node[st->node].name, st->slot, g->val[st->dest].name,
                buf);
    }
    for (int v = 0; v < g->nval; v++)
        for (int c = 0; c < p->ncopies[v]; c++)
            if (p->lays[v][c].kind != LY_ROW_MAJOR)
                fprintf(f, "layout %s %d %s\n", g->val[v].name, c,
                        layout_str(&p->lays[v][c], lb, sizeof lb));
    for (int i = 0; i < p->ntex; i++) {
        const ly_texture *t = &p->tex[i];
        cg_map_print_debug(&t->map, NULL, 0, buf, sizeof buf);
        fprintf(f, "%s %s %lldx%lld [%s]\n", t->mem == LY_MEM_IMAGE ? "image2d" : "buffer",
                g->val[t->value].name, (long long)t->width, (long long)t->height, buf);
    }
}

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fprintf(f, "\\%c", *s);
        else if ((unsigned char)*s < 0x20)
            fprintf(f, "\\u%04x", *s);
        else
            fputc(*s, f);
    }
    fputc('"', f);
}

void ly_plan_json(const ly_plan *p, FILE *f)
{
    const ir_graph *g = p->g;
    ly_summary s;
    ly_plan_summary(p, &s);
    fprintf(
        f,
        "\"layout_kernels_unfused\": %d, \"layout_kernels_before\": %d, \"layout_kernels\": %d, "
        "\"standalone_movement\": %d, \"movement_ops\": %d, "
        "\"eliminated_read\": %d, \"eliminated_write\": %d, \"eliminated_fused\": %d, "
        "\"views\": %d, \"surviving\": %d, \"composed_reads\": %d, \"composed_writes\": %d, "
        "\"max_divmod\": %d, \"permuted\": %d, \"blocked\": %d, \"extra_copies\": %d, "
        "\"images\": %d, \"image_rejected\": %d, \"survivors\": [",
        s.movement, s.layout_kernels_before, s.layout_kernels_after, s.standalone, s.movement,
        s.eliminated_read, s.eliminated_write, s.eliminated_block, s.views, s.surviving, s.accesses,
        s.stores, s.max_divmod, s.permuted, s.blocked, s.copies, s.images, s.image_rejected);
    int first = 1;
    for (int i = 0; i < p->nfates; i++) {
        const ly_fate *x = &p->fates[i];
        if (x->fate != LY_KEEP && x->fate != LY_VIEW) continue;
        fprintf(f, "%s{\"node\": ", first ? "" : ", ");
        json_str(f, g->node[x->node].name);
        fprintf(f, ", \"op\": ");
        json_str(f, g->node[x->node].op);
        fprintf(f, ", \"fate\": \"%s\", \"why\": \"%s\", \"reason\": ", ly_fate_name(x->fate),
                ly_why_name(x->why));
        json_str(f, x->reason);
        fprintf(f, "}");
        first = 0;
    }
    fprintf(f, "], \"image2d\": [");
    first = 1;
    for (int i = 0; i < p->ntex; i++)
        if (p->tex[i].mem == LY_MEM_IMAGE) {
            fprintf(f, "%s", first ? "" : ", ");
            json_str(f, g->val[p->tex[i].value].name);
            first = 0;
        }
    fprintf(f, "]");
}
