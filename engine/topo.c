/* topo.c -- topological order of the live nodes (Kahn's algorithm).
 * ONNX requires nodes to be stored sorted, but exporters and our own
 * rewrites do not always keep that promise, so every pass asks here. */
#include "engine.h"

#include <stdlib.h>

int ir_topo_order(const ir_graph *g, int **order, dn_err *e)
{
    int n = g->nnode;
    int *indeg = calloc((size_t)(n ? n : 1), sizeof(int));
    int *ord = malloc((size_t)(n ? n : 1) * sizeof(int));
    /* consumers of each node, as a CSR list built from producer links */
    int *cnt = calloc((size_t)(n + 1), sizeof(int));
    if (!indeg || !ord || !cnt) abort();
    int live = 0;
    for (int i = 0; i < n; i++) {
        const ir_node *nd = &g->node[i];
        if (nd->dead) continue;
        live++;
        for (int k = 0; k < nd->nin; k++) {
            if (nd->in[k] < 0) continue;
            int p = g->val[nd->in[k]].producer;
            if (p >= 0 && !g->node[p].dead) {
                indeg[i]++;
                cnt[p + 1]++;
            }
        }
    }
    for (int i = 0; i < n; i++) cnt[i + 1] += cnt[i];
    int *adj = malloc((size_t)(cnt[n] ? cnt[n] : 1) * sizeof(int));
    int *fill = calloc((size_t)(n ? n : 1), sizeof(int));
    if (!adj || !fill) abort();
    for (int i = 0; i < n; i++) {
        const ir_node *nd = &g->node[i];
        if (nd->dead) continue;
        for (int k = 0; k < nd->nin; k++) {
            if (nd->in[k] < 0) continue;
            int p = g->val[nd->in[k]].producer;
            if (p >= 0 && !g->node[p].dead) adj[cnt[p] + fill[p]++] = i;
        }
    }
    /* Stable: among ready nodes, the one stored first goes first, so an
       already sorted graph keeps its order (and output is deterministic). */
    int head = 0, tail = 0;
    for (int i = 0; i < n; i++)
        if (!g->node[i].dead && indeg[i] == 0) ord[tail++] = i;
    while (head < tail) {
        int u = ord[head++];
        for (int j = cnt[u]; j < cnt[u + 1]; j++)
            if (--indeg[adj[j]] == 0) ord[tail++] = adj[j];
    }
    free(adj);
    free(fill);
    free(cnt);
    free(indeg);
    if (tail != live) {
        free(ord);
        *order = NULL;
        return dn_errf(e, "the graph has a cycle (%d of %d nodes could be ordered)", tail, live);
    }
    *order = ord;
    return tail;
}
