/* plan.c -- the layout plan: building it stage by stage, and reading it.
 *
 * The stages run in the pipeline's order and each one reads only what the
 * one before it decided: groups (groups.c), elimination (eliminate.c),
 * layout selection over the tensors left in memory (select.c), 2.5-D
 * memory for the Conv and MatMul operands among them (texture.c). */
#include "layout_impl.h"

#include <stdlib.h>
#include <string.h>

void ly_options_default(ly_options *o)
{
    memset(o, 0, sizeof *o);
    o->max_divmod = 8;
    o->max_copies = 2;
    o->select = 1;
    o->conv_blocked = 1;
    o->images = 1;
    o->image_max_w = 16384;
    o->image_max_h = 16384;
    o->eliminate = 1;
}

ly_plan *ly_plan_build(const ir_graph *g, const gm_rules *r, const ly_blocks *b,
                       const ly_options *o, dn_err *e)
{
    ly_groups *gr = ly_groups_build(g, r, e);
    if (!gr) return NULL;
    ly_plan *p = calloc(1, sizeof *p);
    if (!p) abort();
    p->g = g;
    p->groups = gr;
    if (o)
        p->o = *o;
    else
        ly_options_default(&p->o);
    if (p->o.max_copies < 1) p->o.max_copies = 1;
    p->arena = dn_arena_new();
    size_t nn = (size_t)g->nnode + 1, nv = (size_t)g->nval + 1;
    p->block_of = malloc(nn * sizeof *p->block_of);
    p->fate_of = malloc(nn * sizeof *p->fate_of);
    p->acc_of = malloc(nn * sizeof *p->acc_of);
    p->st_of = malloc(nn * sizeof *p->st_of);
    p->uses = calloc(nv, sizeof *p->uses);
    p->mat = malloc(nv);
    p->ncopies = calloc(nv, sizeof *p->ncopies);
    p->lays = calloc(nv, sizeof *p->lays);
    p->tex_of = malloc(nv * sizeof *p->tex_of);
    if (!p->block_of || !p->fate_of || !p->acc_of || !p->st_of || !p->uses || !p->mat ||
        !p->ncopies || !p->lays || !p->tex_of)
        abort();
    memset(p->mat, 1, nv);
    for (int v = 0; v < g->nval; v++)
        p->tex_of[v] = -1;
    if (b && b->block_of) {
        p->nblocks = b->nblocks;
        p->block_kind = malloc(((size_t)b->nblocks + 1) * sizeof *p->block_kind);
        if (!p->block_kind) abort();
        memcpy(p->block_kind, b->kind, (size_t)b->nblocks * sizeof *p->block_kind);
        memcpy(p->block_of, b->block_of, (size_t)g->nnode * sizeof *p->block_of);
    } else {
        /* one block per node: a data-movement node is a layout kernel
           (GUIDE §7 counts Reshape too), anything else a kernel */
        p->nblocks = g->nnode;
        p->unfused = 1;
        p->block_kind = malloc(nn * sizeof *p->block_kind);
        if (!p->block_kind) abort();
        for (int i = 0; i < g->nnode; i++) {
            const ir_node *n = &g->node[i];
            p->block_of[i] = n->dead ? -1 : i;
            p->block_kind[i] =
                !n->dead && ly_is_candidate(g, i) ? LY_BLOCK_LAYOUT : LY_BLOCK_KERNEL;
        }
    }
    for (int i = 0; i < g->nnode; i++) {
        const ir_node *n = &g->node[i];
        if (n->dead) continue;
        for (int k = 0; k < n->nin; k++)
            if (n->in[k] >= 0) p->uses[n->in[k]]++;
    }
    if (ly_eliminate(p, e) || ly_select(p, e) || ly_textures(p, e)) {
        ly_plan_free(p);
        return NULL;
    }
    return p;
}

void ly_plan_free(ly_plan *p)
{
    if (!p) return;
    ly_groups_free(p->groups);
    dn_arena_free(p->arena);
    free(p->block_of);
    free(p->block_kind);
    free(p->uses);
    free(p->fate_of);
    free(p->fates);
    free(p->acc);
    free(p->acc_of);
    free(p->st);
    free(p->st_of);
    free(p->mat);
    if (p->lays)
        for (int v = 0; v < p->g->nval; v++)
            free(p->lays[v]);
    free(p->lays);
    free(p->ncopies);
    free(p->tex);
    free(p->tex_of);
    free(p);
}

const ir_graph *ly_plan_graph(const ly_plan *p)
{
    return p->g;
}
const ly_groups *ly_plan_groups(const ly_plan *p)
{
    return p->groups;
}

const ly_access *ly_plan_read(const ly_plan *p, int node, int slot)
{
    if (node < 0 || node >= p->g->nnode || p->acc_of[node] < 0) return NULL;
    for (int i = p->acc_of[node]; i < p->nacc && p->acc[i].node == node; i++)
        if (p->acc[i].slot == slot) return &p->acc[i];
    return NULL;
}

const ly_access *ly_plan_read_pieces(const ly_plan *p, int node, int slot, int *n)
{
    const ly_access *a = ly_plan_read(p, node, slot);
    *n = 0;
    if (!a) return NULL;
    int i = (int)(a - p->acc);
    while (i + *n < p->nacc && p->acc[i + *n].node == node && p->acc[i + *n].slot == slot)
        ++*n;
    return a;
}

const ly_store *ly_plan_write(const ly_plan *p, int node, int slot)
{
    if (node < 0 || node >= p->g->nnode || p->st_of[node] < 0) return NULL;
    for (int i = p->st_of[node]; i < p->nst && p->st[i].node == node; i++)
        if (p->st[i].slot == slot) return &p->st[i];
    return NULL;
}

int ly_plan_naccesses(const ly_plan *p)
{
    return p->nacc;
}
const ly_access *ly_plan_access(const ly_plan *p, int i)
{
    return &p->acc[i];
}
int ly_plan_nstores(const ly_plan *p)
{
    return p->nst;
}
const ly_store *ly_plan_store(const ly_plan *p, int i)
{
    return &p->st[i];
}
int ly_plan_nfates(const ly_plan *p)
{
    return p->nfates;
}
const ly_fate *ly_plan_fate(const ly_plan *p, int i)
{
    return &p->fates[i];
}

const ly_fate *ly_plan_node_fate(const ly_plan *p, int node)
{
    if (node < 0 || node >= p->g->nnode || p->fate_of[node] < 0) return NULL;
    return &p->fates[p->fate_of[node]];
}

int ly_plan_materialized(const ly_plan *p, int v)
{
    return v >= 0 && v < p->g->nval && p->mat[v];
}

int ly_plan_ncopies(const ly_plan *p, int v)
{
    return v >= 0 && v < p->g->nval ? p->ncopies[v] : 0;
}

const ly_layout *ly_plan_layout(const ly_plan *p, int v, int copy)
{
    if (v < 0 || v >= p->g->nval || copy < 0 || copy >= p->ncopies[v]) return NULL;
    return &p->lays[v][copy];
}

const ly_texture *ly_plan_texture(const ly_plan *p, int v)
{
    return v >= 0 && v < p->g->nval && p->tex_of[v] >= 0 ? &p->tex[p->tex_of[v]] : NULL;
}
int ly_plan_ntextures(const ly_plan *p)
{
    return p->ntex;
}
const ly_texture *ly_plan_texture_at(const ly_plan *p, int i)
{
    return &p->tex[i];
}

int ly_access_physical(const ly_plan *p, const ly_access *ac, dn_arena *a, cg_map *out, dn_err *e)
{
    const ly_layout *l = ly_plan_layout(p, ac->source, ac->copy);
    if (!l || l->kind == LY_ROW_MAJOR) {
        *out = ac->map;
        return 0;
    }
    return cg_map_compose(a, &ac->map, &l->map, out, e);
}

int ly_plan_block_reads(const ly_plan *p, int block, int *out, int max)
{
    int n = 0;
    for (int i = 0; i < p->nacc; i++) {
        const ly_access *a = &p->acc[i];
        if (p->block_of[a->node] != block) continue;
        const ir_value *s = &p->g->val[a->source];
        if (s->kind == IR_VAL_NODE && s->producer >= 0 && p->block_of[s->producer] == block)
            continue;
        if (n < max) out[n] = i;
        n++;
    }
    return n;
}
