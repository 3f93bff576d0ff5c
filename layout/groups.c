/* groups.c -- SmartMem's operator groups and the edge table, per graph.
 *
 * SmartMem sorts operators by two questions: does the operator's speed
 * depend on its input layout (ILD) or not (ILI), and is its output layout
 * free (Variable) or dictated by its semantics (Fixed)?  dnnf does not
 * hard-code the answer: each declaration in rules/ops.rules names its
 * group, and rules/layout.rules holds the 4x4 table of what to do with a
 * producer -> consumer edge.  This file only looks the answers up once per
 * node and per edge, so the later stages (and the report) read them
 * without string compares. */
#include "layout_impl.h"

#include <stdlib.h>
#include <string.h>

struct ly_groups {
    int nnode;
    const char **group; /* per node: the group name (owned by the rules), NULL when dead */
    ly_edge *edges;
    int nedges;
    int *edge_of; /* per node: first edge into it (edges sorted by consumer), -1 */
};

static const char *const movement_ops[] = {
    "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity",     "Transpose",    "Slice", "Split",
    "Expand",  "Tile",    "Concat",  "Gather",    "DepthToSpace", "SpaceToDepth", NULL};
static const char *const view_ops[] = {"Reshape",   "Flatten",  "Squeeze",
                                       "Unsqueeze", "Identity", NULL};

static int in_list(const char *const *l, const char *op)
{
    for (int i = 0; l[i]; i++)
        if (!strcmp(l[i], op)) return 1;
    return 0;
}

int ly_is_movement(const char *op)
{
    return in_list(movement_ops, op);
}
int ly_is_view(const char *op)
{
    return in_list(view_ops, op);
}

ly_groups *ly_groups_build(const ir_graph *g, const gm_rules *r, dn_err *e)
{
    ly_groups *gr = calloc(1, sizeof *gr);
    if (!gr) abort();
    gr->nnode = g->nnode;
    gr->group = calloc((size_t)g->nnode + 1, sizeof *gr->group);
    gr->edge_of = malloc(((size_t)g->nnode + 1) * sizeof *gr->edge_of);
    if (!gr->group || !gr->edge_of) abort();
    /* every missing declaration is named once, so a user fixes them all
       in one go rather than one per run */
    char missing[512] = "";
    size_t used = 0;
    for (int i = 0; i < g->nnode; i++) {
        const ir_node *n = &g->node[i];
        gr->edge_of[i] = -1;
        if (n->dead) continue;
        const gm_opdecl *d = gm_rules_find_op(r, n->domain ? n->domain : "", n->op);
        if (d && d->layout) {
            gr->group[i] = d->layout;
            continue;
        }
        if (!strstr(missing, n->op) && used + strlen(n->op) + 3 < sizeof missing)
            used += (size_t)snprintf(missing + used, sizeof missing - used, "%s%s",
                                     used ? ", " : "", n->op);
    }
    if (used) {
        dn_errf(e, "no layout group declared for: %s (rules/ops.rules)", missing);
        ly_groups_free(gr);
        return NULL;
    }
    /* edges: one per (consumer, slot) whose value a live node produces */
    int cap = 16;
    gr->edges = malloc((size_t)cap * sizeof *gr->edges);
    if (!gr->edges) abort();
    for (int c = 0; c < g->nnode; c++) {
        const ir_node *n = &g->node[c];
        if (n->dead) continue;
        for (int k = 0; k < n->nin; k++) {
            int v = n->in[k];
            if (v < 0 || g->val[v].kind != IR_VAL_NODE) continue;
            int pr = g->val[v].producer;
            if (pr < 0 || !gr->group[pr]) continue;
            if (gr->nedges == cap) {
                cap *= 2;
                gr->edges = realloc(gr->edges, (size_t)cap * sizeof *gr->edges);
                if (!gr->edges) abort();
            }
            ly_edge *ed = &gr->edges[gr->nedges];
            if (gr->edge_of[c] < 0) gr->edge_of[c] = gr->nedges;
            gr->nedges++;
            ed->producer = pr;
            ed->consumer = c;
            ed->value = v;
            ed->slot = k;
            ed->pgroup = gr->group[pr];
            ed->cgroup = gr->group[c];
            ed->search = GM_SEARCH_NONE;
            ed->action = gm_rules_edge_action(r, ed->pgroup, ed->cgroup, &ed->search);
        }
    }
    return gr;
}

void ly_groups_free(ly_groups *gr)
{
    if (!gr) return;
    free(gr->group);
    free(gr->edges);
    free(gr->edge_of);
    free(gr);
}

const char *ly_node_group(const ly_groups *gr, int node)
{
    return node >= 0 && node < gr->nnode ? gr->group[node] : NULL;
}

int ly_groups_nedges(const ly_groups *gr)
{
    return gr->nedges;
}
const ly_edge *ly_groups_edge(const ly_groups *gr, int i)
{
    return &gr->edges[i];
}

int ly_edge_action(const ly_groups *gr, int consumer, int slot, int *search)
{
    if (search) *search = GM_SEARCH_NONE;
    if (consumer < 0 || consumer >= gr->nnode || gr->edge_of[consumer] < 0) return 0;
    for (int i = gr->edge_of[consumer]; i < gr->nedges && gr->edges[i].consumer == consumer; i++)
        if (gr->edges[i].slot == slot) {
            if (search) *search = gr->edges[i].search;
            return gr->edges[i].action;
        }
    return 0;
}
