/* texture.c -- 2.5-D memory: tensors held in OpenCL image2d_t.
 *
 * Mobile GPUs (and NVIDIA's and PoCL's OpenCL) read images through the
 * texture path: a separate cache with 2-D locality and free bounds
 * handling, one RGBA texel (four floats) per fetch.  SmartMem puts the hot
 * operands there -- the inputs of Conv and MatMul, read many times each --
 * and packs the dim the kernel vectorises over four to a texel:
 *
 *   Conv operand (rank 4, NCHW), channels packed:
 *        x = (c/4)*W + w,  y = n*H + h,  channel = c%4     (MNN's layout)
 *   MatMul / Gemm operand, last dim packed (rank r, shape [..., R, D]):
 *        x = d/4,  y = row-major index of the leading dims, channel = d%4
 *
 * The texel map is an ordinary cg_map from the logical index to
 * (x, y, channel) over the shape [width, height, 4], so the emitter prints
 * it like any other access.  A candidate stays in a buffer when the
 * device has no images, the dtype is not f32, or the image would exceed
 * the device's image2d limits (the reason is recorded). */
#include "layout_impl.h"

#include <stdlib.h>
#include <string.h>

int ly_texture_map(dn_arena *a, const dn_shape *s, int vec_dim, int64_t max_w, int64_t max_h,
                   ly_texture *t, dn_err *e)
{
    memset(t, 0, sizeof *t);
    t->value = -1;
    t->mem = LY_MEM_IMAGE;
    t->vec_dim = vec_dim;
    if (!dn_shape_known(s) || s->rank < 1 || vec_dim < 0 || vec_dim >= s->rank)
        return dn_errf(e, "texel map: shape not known or bad packed dim %d", vec_dim);
    cg_map *m = &t->map;
    if (cg_map_identity(a, s, m, e)) return -1;
    const cg_expr *x, *y, *ch;
    if (s->rank == 4 && vec_dim == 1) {
        int64_t C4 = (s->d[1] + 3) / 4, H = s->d[2], W = s->d[3];
        t->width = C4 * W;
        t->height = s->d[0] * H;
        x = cg_add(a, cg_mul(a, cg_div(a, cg_var(a, 1), 4), W), cg_var(a, 3));
        y = cg_add(a, cg_mul(a, cg_var(a, 0), H), cg_var(a, 2));
        ch = cg_mod(a, cg_var(a, 1), 4);
    } else {
        /* x: the packed dim by 4, then the dims after it; y: the dims before */
        int64_t inner = 1;
        const cg_expr *after = cg_const(a, 0);
        for (int k = vec_dim + 1; k < s->rank; k++) {
            after = cg_add(a, cg_mul(a, after, s->d[k]), cg_var(a, k));
            inner *= s->d[k];
        }
        int64_t v4 = (s->d[vec_dim] + 3) / 4;
        t->width = v4 * inner;
        x = cg_add(a, cg_mul(a, cg_div(a, cg_var(a, vec_dim), 4), inner), after);
        const cg_expr *before = cg_const(a, 0);
        int64_t outer = 1;
        for (int k = 0; k < vec_dim; k++) {
            before = cg_add(a, cg_mul(a, before, s->d[k]), cg_var(a, k));
            outer *= s->d[k];
        }
        t->height = outer;
        y = before;
        ch = cg_mod(a, cg_var(a, vec_dim), 4);
    }
    int64_t d3[3] = {t->width, t->height, 4};
    m->src = dn_shape_make(3, d3);
    m->idx[0] = x;
    m->idx[1] = y;
    m->idx[2] = ch;
    for (int k = 3; k < DN_MAX_RANK; k++)
        m->idx[k] = NULL;
    cg_map_simplify(a, m);
    if (t->width > max_w || t->height > max_h) {
        t->mem = LY_MEM_BUFFER;
        snprintf(t->why, sizeof t->why, "image %lldx%lld exceeds the device's %lldx%lld",
                 (long long)t->width, (long long)t->height, (long long)max_w, (long long)max_h);
        return 1;
    }
    return 0;
}

/* The packed dim node n wants for input `slot` of rank r; -1: not an operand. */
static int operand_dim(const ir_node *n, int slot, int r)
{
    if (slot > 1 || r < 1) return -1;
    if (!strcmp(n->op, "Conv") && r == 4) return 1;
    if (!strcmp(n->op, "MatMul") || !strcmp(n->op, "Gemm")) return r - 1;
    return -1;
}

int ly_textures(ly_plan *p, dn_err *e)
{
    const ir_graph *g = p->g;
    for (int c = 0; c < g->nnode; c++) {
        const ir_node *n = &g->node[c];
        if (n->dead) continue;
        for (int k = 0; k < n->nin && k < 2; k++) {
            if (n->in[k] < 0) continue;
            int np;
            const ly_access *pc = ly_plan_read_pieces(p, c, k, &np);
            for (int q = 0; q < (np ? np : 1); q++) {
                const ly_access *a = np ? &pc[q] : NULL;
                int v = a ? a->source : n->in[k];
                /* the operand as the kernel sees it may be a view of v: pack
                   v's own last dim then (its Conv/MatMul dim is what the
                   access map reads along, which the emitter resolves) */
                int r = g->val[v].shape.rank;
                int d = operand_dim(n, k, g->val[n->in[k]].shape.rank);
                if (d < 0 || p->tex_of[v] >= 0 || !ly_plan_materialized(p, v) ||
                    !dn_shape_known(&g->val[v].shape))
                    continue;
                if (a && a->npath) d = !strcmp(n->op, "Conv") && r == 4 ? 1 : r - 1;
                ly_texture t;
                int rc = ly_texture_map(p->arena, &g->val[v].shape, d, p->o.image_max_w,
                                        p->o.image_max_h, &t, e);
                if (rc < 0) return -1;
                t.value = v;
                if (!p->o.images) {
                    t.mem = LY_MEM_BUFFER;
                    snprintf(t.why, sizeof t.why, "images off (or the device has none)");
                } else if (g->val[v].dtype != DN_F32) {
                    t.mem = LY_MEM_BUFFER;
                    snprintf(t.why, sizeof t.why, "dtype %s: RGBA texels here are f32",
                             dn_dtype_name(g->val[v].dtype));
                } else if (rc == 0)
                    snprintf(t.why, sizeof t.why, "%s input %d of %s", n->op, k, n->name);
                p->tex = realloc(p->tex, ((size_t)p->ntex + 1) * sizeof *p->tex);
                if (!p->tex) abort();
                p->tex_of[v] = p->ntex;
                p->tex[p->ntex++] = t;
            }
        }
    }
    return 0;
}
