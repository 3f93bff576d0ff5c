/* mapping.c -- the mapping type of every node, from the rules.
 *
 * A node's declared type comes from its `op` declaration (rules/ops.rules,
 * composites.rules).  DNNFusion refines it per (input, output) pair: a
 * broadcasting operator reads an input that already has the output's
 * shape element for element (One-to-One on that edge) and replicates an
 * input of a smaller shape (One-to-Many on that edge).  The node's type is
 * the most complex of its pairs.
 *
 * Constants do not take part: a weight or a scalar is read by index from
 * a parameter buffer, it is no intermediate result that a block could
 * produce, so `Add(matmul_out, bias)` and `Mul(x, 0.5)` stay One-to-One
 * (otherwise every bias Add and every scaling would be One-to-Many and the
 * table would stop fusing epilogues, which is not what the paper means). */
#include "fusion.h"

#include <stdlib.h>
#include <string.h>

struct fu_mapping {
    const gm_rules *r;
    int ntypes;
    const char **name; /* per type */
    int *level;        /* per type */
    int nnode;
    int *decl_type, *node_type;
    int *edge_off; /* node -> first edge in edge_type */
    int *edge_type;
    const gm_opdecl **decl;
};

int fu_is_view_op(const char *op)
{
    return !strcmp(op, "Reshape") || !strcmp(op, "Squeeze") || !strcmp(op, "Unsqueeze") ||
           !strcmp(op, "Flatten") || !strcmp(op, "Identity");
}

int fu_type_find(const fu_mapping *m, const char *name)
{
    if (!name) return -1;
    for (int i = 0; i < m->ntypes; i++)
        if (!strcmp(m->name[i], name)) return i;
    return -1;
}

const char *fu_type_name(const fu_mapping *m, int t)
{
    return t >= 0 && t < m->ntypes ? m->name[t] : "?";
}

int fu_type_count(const fu_mapping *m)
{
    return m->ntypes;
}

int fu_type_level(const fu_mapping *m, int t)
{
    return t >= 0 && t < m->ntypes ? m->level[t] : -1;
}

int fu_node_type(const fu_mapping *m, int node)
{
    return m->node_type[node];
}
int fu_decl_type(const fu_mapping *m, int node)
{
    return m->decl_type[node];
}
const gm_opdecl *fu_node_decl(const fu_mapping *m, int node)
{
    return m->decl[node];
}

int fu_edge_type(const fu_mapping *m, int node, int k)
{
    return m->edge_type[m->edge_off[node] + k];
}

void fu_mapping_free(fu_mapping *m)
{
    if (!m) return;
    free(m->name);
    free(m->level);
    free(m->decl_type);
    free(m->node_type);
    free(m->edge_off);
    free(m->edge_type);
    free(m->decl);
    free(m);
}

fu_mapping *fu_mapping_build(const ir_graph *g, const gm_rules *r, dn_err *e)
{
    fu_mapping *m = calloc(1, sizeof *m);
    if (!m) abort();
    m->r = r;
    m->ntypes = gm_rules_nmapping(r);
    if (m->ntypes <= 0) {
        free(m);
        dn_errf(e, "the rules declare no mapping lattice (`mapping ... ;`): fusion needs one");
        return NULL;
    }
    m->name = calloc((size_t)m->ntypes, sizeof *m->name);
    m->level = calloc((size_t)m->ntypes, sizeof *m->level);
    m->nnode = g->nnode;
    int nn = g->nnode ? g->nnode : 1;
    m->decl_type = calloc((size_t)nn, sizeof(int));
    m->node_type = calloc((size_t)nn, sizeof(int));
    m->edge_off = calloc((size_t)nn + 1, sizeof(int));
    m->decl = calloc((size_t)nn, sizeof *m->decl);
    if (!m->name || !m->level || !m->decl_type || !m->node_type || !m->edge_off || !m->decl)
        abort();
    for (int i = 0; i < m->ntypes; i++)
        m->name[i] = gm_rules_mapping(r, i, &m->level[i]);
    int nedge = 0;
    for (int i = 0; i < g->nnode; i++) {
        m->edge_off[i] = nedge;
        nedge += g->node[i].nin;
    }
    m->edge_off[g->nnode] = nedge;
    m->edge_type = calloc((size_t)(nedge ? nedge : 1), sizeof(int));
    if (!m->edge_type) abort();

    /* Every missing operator is named once, so that one run tells the
       rule author all the declarations to write. */
    char missing[1024] = "";
    size_t ml = 0;
    int nmissing = 0;
    /* the broadcast refinement needs One-to-Many; a lattice without it
       keeps the declared type */
    int o2m = fu_type_find(m, "one_to_many");
    for (int i = 0; i < g->nnode; i++) {
        const ir_node *n = &g->node[i];
        m->node_type[i] = m->decl_type[i] = -1;
        if (n->dead) continue;
        const gm_opdecl *d = gm_rules_find_op(r, n->domain, n->op);
        int t = d ? fu_type_find(m, d->mapping) : -1;
        if (!d || t < 0) {
            char nm[160];
            snprintf(nm, sizeof nm, "%s%s%s", n->domain[0] ? n->domain : "",
                     n->domain[0] ? "::" : "", n->op);
            if (!strstr(missing, nm) && ml + strlen(nm) + 3 < sizeof missing)
                ml += (size_t)snprintf(missing + ml, sizeof missing - ml, "%s%s",
                                       nmissing ? ", " : "", nm);
            nmissing++;
            continue;
        }
        m->decl[i] = d;
        m->decl_type[i] = t;
        int best = -1;
        const dn_shape *os = n->nout > 0 && n->out[0] >= 0 ? &g->val[n->out[0]].shape : NULL;
        for (int k = 0; k < n->nin; k++) {
            int et = t;
            int v = n->in[k];
            if (v >= 0 && (d->flags & GM_PROP_BROADCAST) && os && o2m >= 0 && dn_shape_known(os) &&
                dn_shape_known(&g->val[v].shape) && !dn_shape_eq(&g->val[v].shape, os))
                et = o2m;
            m->edge_type[m->edge_off[i] + k] = et;
            if (v < 0 || g->val[v].kind == IR_VAL_CONST) continue;
            if (best < 0 || m->level[et] > m->level[best]) best = et;
        }
        m->node_type[i] = best >= 0 ? best : t;
    }
    if (nmissing) {
        dn_errf(e, "no declaration in the rules for operator%s %s (declare %s in rules/ops.rules)",
                strchr(missing, ',') ? "s" : "", missing, strchr(missing, ',') ? "them" : "it");
        fu_mapping_free(m);
        return NULL;
    }
    return m;
}
