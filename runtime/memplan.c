/* memplan.c -- the memory plan of an execution: which buffer holds each
 * activation.
 *
 * A view (Reshape, Squeeze, Unsqueeze, Flatten, Identity in a view block)
 * owns no storage: its value's root is its input's root.  Every other
 * value written by a block is a root.  A root lives from the block that
 * writes it to the last block that reads it or any view of it (graph
 * outputs and graph inputs: the whole run); blocks are visited in order,
 * and a root takes the smallest free slot that is large enough, else a new
 * one.  A slot is freed only after the block that last reads it, so a
 * kernel never writes into a buffer that it reads.  The slots' total is
 * the peak (the plan's high-water mark, GUIDE §7).  A block output written
 * through (cg_block.wdest) owns no storage either: the value it is written
 * into is defined by the first block that writes a piece of it. */
#include "runtime.h"

#ifdef DNNF_HAVE_CODEGEN
#include "codegen.h"

#include <stdlib.h>
#include <string.h>

static int64_t value_bytes(const ir_value *v)
{
    int64_t n = dn_shape_numel(&v->shape);
    return n < 0 ? -1 : n * (int64_t)dn_dtype_size(v->dtype);
}

int rt_memplan_build(const ir_graph *g, const cg_block *b, int nb, rt_memplan *mp, dn_err *e)
{
    memset(mp, 0, sizeof *mp);
    int nv = g->nval;
    mp->nval = nv;
    mp->root = malloc((size_t)(nv + 1) * sizeof *mp->root);
    mp->slot = malloc((size_t)(nv + 1) * sizeof *mp->slot);
    int *def = malloc((size_t)(nv + 1) * sizeof *def),
        *last = malloc((size_t)(nv + 1) * sizeof *last);
    mp->slot_bytes = malloc((size_t)(nv + 1) * sizeof *mp->slot_bytes);
    char *busy = calloc((size_t)nv + 1, 1);
    if (!mp->root || !mp->slot || !def || !last || !mp->slot_bytes || !busy) abort();
    for (int v = 0; v < nv; v++) {
        mp->root[v] = v;
        mp->slot[v] = -1;
        def[v] = -2; /* never written */
        last[v] = -1;
    }
    for (int i = 0; i < g->ninput; i++)
        def[g->input[i]] = -1;
    for (int i = 0; i < nb; i++) {
        if (b[i].view)
            for (int k = 0; k < b[i].nexec; k++) {
                const ir_node *n = &g->node[b[i].exec[k]];
                if (n->nin > 0 && n->in[0] >= 0 && n->nout > 0 && n->out[0] >= 0)
                    mp->root[n->out[0]] = mp->root[n->in[0]];
            }
        else
            for (int k = 0; k < b[i].noutputs; k++) {
                int w = b[i].wdest ? b[i].wdest[k] : -1;
                if (w < 0)
                    def[b[i].outputs[k]] = i;
                else if (def[w] == -2) /* written through: its first writer */
                    def[w] = i;
            }
    }
    for (int i = 0; i < nb; i++) {
        for (int k = 0; k < b[i].ninputs; k++) {
            int r = mp->root[b[i].inputs[k]];
            if (last[r] < i) last[r] = i;
        }
        /* a value written through by several blocks (a Concat's pieces)
           lives from the first to the last of them at least */
        for (int k = 0; b[i].wdest && k < b[i].noutputs; k++) {
            int w = b[i].wdest[k];
            if (w >= 0 && last[mp->root[w]] < i) last[mp->root[w]] = i;
        }
    }
    for (int i = 0; i < g->noutput; i++)
        last[mp->root[g->output[i]]] = nb;
    for (int i = 0; i < g->ninput; i++)
        last[g->input[i]] = nb; /* the caller's data: never overwritten */
    int rc = 0;
    /* a[pos] lists roots by the block that defines them */
    for (int step = -1; step < nb && !rc; step++) {
        for (int v = 0; v < nv && !rc; v++) {
            if (def[v] != step || mp->root[v] != v || g->val[v].kind == IR_VAL_CONST) continue;
            int64_t need = value_bytes(&g->val[v]);
            if (need < 0) {
                char buf[128];
                rc = dn_errf(e, "value '%s' has an unknown shape %s", g->val[v].name,
                             dn_shape_str(&g->val[v].shape, buf, sizeof buf));
                break;
            }
            if (need < 4) need = 4;
            mp->unplanned_bytes += need;
            int best = -1;
            for (int s = 0; s < mp->nslot; s++)
                if (!busy[s] && mp->slot_bytes[s] >= need &&
                    (best < 0 || mp->slot_bytes[s] < mp->slot_bytes[best]))
                    best = s;
            if (best < 0) { /* grow the largest free slot rather than add one */
                for (int s = 0; s < mp->nslot; s++)
                    if (!busy[s] && (best < 0 || mp->slot_bytes[s] > mp->slot_bytes[best]))
                        best = s;
                if (best >= 0) mp->slot_bytes[best] = need;
            }
            if (best < 0) {
                best = mp->nslot++;
                mp->slot_bytes[best] = need;
            }
            busy[best] = 1;
            mp->slot[v] = best;
        }
        if (step < 0) continue;
        for (int v = 0; v < nv; v++) {
            if (mp->root[v] != v || mp->slot[v] < 0) continue;
            int end = last[v] < def[v] ? def[v] : last[v];
            if (end == step) busy[mp->slot[v]] = 0;
        }
    }
    for (int s = 0; s < mp->nslot; s++)
        mp->peak_bytes += mp->slot_bytes[s];
    free(def);
    free(last);
    free(busy);
    if (rc) rt_memplan_free(mp);
    return rc;
}

void rt_memplan_free(rt_memplan *mp)
{
    free(mp->root);
    free(mp->slot);
    free(mp->slot_bytes);
    memset(mp, 0, sizeof *mp);
}

#endif
