/* index_node.c -- the index map of one graph node: reads a data-movement
 * node's attributes and constant inputs the way engine/op_movement.c and
 * engine/op_index.c read them, and calls the builder of index.c.
 *
 * Output shapes come from the engine's own shape inference (op_lookup ->
 * infer), so Reshape's 0 and -1, Squeeze without axes and friends mean
 * exactly what they mean to the reference interpreter: one definition of
 * each operator's semantics.  Only Slice's clamping is restated here,
 * because the map needs the clamped starts, which infer does not expose. */
#include "codegen.h"

#include <stdlib.h>
#include <string.h>

/* A 1-D (or scalar) int tensor with known data, at most max values. */
static int ints(const dn_tensor *t, int64_t *v, int max, const char *what, dn_err *e)
{
    if (!t || !t->data) return dn_errf(e, "%s is not a constant", what);
    if (t->dtype != DN_I64 && t->dtype != DN_I32)
        return dn_errf(e, "%s must be int64 or int32", what);
    int64_t n = dn_shape_numel(&t->shape);
    if (n < 0 || n > max)
        return dn_errf(e, "%s has %lld values, at most %d", what, (long long)n, max);
    for (int64_t i = 0; i < n; i++)
        v[i] = dn_geti(t, i);
    return (int)n;
}

static const dn_tensor *input(const dn_tensor *const *in, int nin, int i)
{
    return i < nin ? in[i] : NULL;
}

/* ONNX Slice: the clamped start and the step per dim (as slice_params in
   engine/op_movement.c computes them). */
static int slice_starts(const dn_tensor *const *in, int nin, const dn_shape *xs, int64_t *start,
                        int64_t *step, dn_err *e)
{
    int r = xs->rank;
    int64_t b[DN_MAX_RANK], en[DN_MAX_RANK], ax[DN_MAX_RANK], sp[DN_MAX_RANK];
    for (int i = 0; i < r; i++)
        start[i] = 0, step[i] = 1;
    int k = ints(input(in, nin, 1), b, DN_MAX_RANK, "Slice starts", e);
    if (k < 0) return -1;
    int k2 = ints(input(in, nin, 2), en, DN_MAX_RANK, "Slice ends", e);
    if (k2 < 0) return -1;
    if (k2 != k) return dn_errf(e, "Slice starts has %d values, ends %d", k, k2);
    if (input(in, nin, 3)) {
        int k3 = ints(in[3], ax, DN_MAX_RANK, "Slice axes", e);
        if (k3 < 0) return -1;
        if (k3 != k) return dn_errf(e, "Slice starts has %d values, axes %d", k, k3);
    } else {
        for (int i = 0; i < k; i++)
            ax[i] = i;
    }
    if (input(in, nin, 4)) {
        int k4 = ints(in[4], sp, DN_MAX_RANK, "Slice steps", e);
        if (k4 < 0) return -1;
        if (k4 != k) return dn_errf(e, "Slice starts has %d values, steps %d", k, k4);
    } else {
        for (int i = 0; i < k; i++)
            sp[i] = 1;
    }
    for (int i = 0; i < k; i++) {
        int a;
        if (dn_axis(ax[i], r, &a, e)) return -1;
        if (sp[i] == 0) return dn_errf(e, "Slice step is 0");
        int64_t dim = xs->d[a], s = b[i];
        if (s < 0) s += dim;
        if (sp[i] > 0)
            s = s < 0 ? 0 : s > dim ? dim : s;
        else
            s = s < 0 ? 0 : s > dim - 1 ? dim - 1 : s;
        start[a] = s;
        step[a] = sp[i];
    }
    return 0;
}

/* Output `which` of a Split reads the input from the sum of the sizes of
   the outputs before it, along the axis: a Slice with step 1.  The sizes
   come from the engine's inference (a split input, the attribute, or
   equal parts). */
static int split_map(dn_arena *a, const ir_node *n, const op_def *def, const dn_tensor *const *in,
                     int nin, int which, cg_map *m, dn_err *e)
{
    if (which < 0 || which >= n->nout) return dn_errf(e, "Split has no output %d", which);
    if (!in[0] || !dn_shape_known(&in[0]->shape))
        return dn_errf(e, "Split input shape is not known");
    dn_tensor *out = calloc((size_t)n->nout, sizeof *out);
    if (!out) abort();
    for (int i = 0; i < n->nout; i++)
        out[i].shape = dn_shape_unknown();
    int rc = def->infer(n, in, nin, out, n->nout, e);
    dn_shape os = out[which].shape, xs = in[0]->shape;
    int axis = 0;
    int64_t off = 0;
    if (!rc) rc = dn_axis(ir_attr_int(n, "axis", 0), xs.rank, &axis, e);
    for (int i = 0; i < which && !rc; i++)
        off += out[i].shape.d[axis];
    for (int i = 0; i < n->nout; i++)
        free(out[i].data);
    free(out);
    if (rc) return -1;
    int64_t start[DN_MAX_RANK] = {0}, step[DN_MAX_RANK];
    for (int k = 0; k < xs.rank; k++)
        step[k] = 1;
    start[axis] = off;
    return cg_map_slice(a, &xs, start, step, &os, m, e);
}

/* Restates pad_params of engine/op_movement_spatial.c (static there): the
   map needs the pads per dim, which infer does not expose. */
int cg_pad_params(const ir_node *n, const dn_tensor *const *in, int nin, int r, int64_t *pb,
                  int64_t *pe, int *mode, dn_err *e)
{
    const char *md = ir_attr_str(n, "mode", "constant");
    *mode = !strcmp(md, "constant")  ? CG_PAD_CONSTANT
            : !strcmp(md, "reflect") ? CG_PAD_REFLECT
            : !strcmp(md, "edge")    ? CG_PAD_EDGE
            : !strcmp(md, "wrap")    ? CG_PAD_WRAP
                                     : -1;
    if (*mode < 0) return dn_errf(e, "Pad mode '%s' is not known", md);
    int64_t pads[2 * DN_MAX_RANK], ax[DN_MAX_RANK];
    int na = r, np;
    for (int i = 0; i < r; i++)
        pb[i] = pe[i] = 0, ax[i] = i;
    if (input(in, nin, 3) && (na = ints(in[3], ax, DN_MAX_RANK, "Pad axes", e)) < 0) return -1;
    int seen[DN_MAX_RANK] = {0};
    for (int i = 0; i < na; i++) {
        int a;
        if (dn_axis(ax[i], r, &a, e)) return -1;
        if (seen[a]) return dn_errf(e, "Pad axis %lld repeated", (long long)ax[i]);
        seen[a] = 1;
        ax[i] = a;
    }
    if (input(in, nin, 1)) {
        if ((np = ints(input(in, nin, 1), pads, 2 * DN_MAX_RANK, "Pad pads", e)) < 0) return -1;
    } else { /* opset < 11: an attribute */
        const int64_t *p = ir_attr_ints(n, "pads", &np);
        if (!p) return dn_errf(e, "Pad needs pads");
        if (np > 2 * DN_MAX_RANK) return dn_errf(e, "Pad has too many pads");
        memcpy(pads, p, (size_t)np * sizeof *p);
    }
    if (np != 2 * na) return dn_errf(e, "Pad has %d pads for %d axes", np, na);
    for (int i = 0; i < na; i++)
        pb[ax[i]] = pads[i], pe[ax[i]] = pads[i + na];
    return 0;
}

int cg_map_node(dn_arena *a, const ir_node *n, const dn_tensor *const *in, int nin, int which,
                cg_map *m, dn_err *e)
{
    e->msg[0] = 0;
    const op_def *def = op_lookup(n->domain, n->op);
    if (!def) return dn_errf(e, "operator %s is not known", n->op);
    const char *op = n->op;
    if (!strcmp(op, "Split")) return split_map(a, n, def, in, nin, which, m, e);
    if (which < 0 || which >= nin || !in[which])
        return dn_errf(e, "%s has no input %d", n->op, which);
    dn_tensor out[1];
    memset(out, 0, sizeof out);
    out[0].shape = dn_shape_unknown();
    if (n->nout != 1)
        return dn_errf(e, "%s with %d outputs has no single index map", n->op, n->nout);
    if (def->infer(n, in, nin, out, 1, e)) return -1;
    free(out[0].data); /* only the shape is wanted */
    const dn_shape *xs = &in[which]->shape, *os = &out[0].shape;
    if (n->domain[0])
        return dn_errf(e, "%s of domain %s is not a data-movement operator", op, n->domain);
    if (which != 0 && strcmp(op, "Concat"))
        return dn_errf(e, "input %d of %s is not data that moves", which, op);

    if (!strcmp(op, "Identity") || !strcmp(op, "Reshape") || !strcmp(op, "Flatten") ||
        !strcmp(op, "Squeeze") || !strcmp(op, "Unsqueeze"))
        return cg_map_reshape(a, xs, os, m, e);
    if (!strcmp(op, "Transpose")) {
        int64_t perm[DN_MAX_RANK];
        int k;
        const int64_t *p = ir_attr_ints(n, "perm", &k);
        if (!p) {
            k = xs->rank;
            for (int i = 0; i < k; i++)
                perm[i] = k - 1 - i;
        } else {
            if (k != xs->rank)
                return dn_errf(e, "Transpose perm has %d values for rank %d", k, xs->rank);
            memcpy(perm, p, (size_t)k * sizeof *perm);
        }
        return cg_map_transpose(a, xs, perm, m, e);
    }
    if (!strcmp(op, "Expand")) return cg_map_expand(a, xs, os, m, e);
    if (!strcmp(op, "Tile")) {
        int64_t rep[DN_MAX_RANK];
        int k = ints(input(in, nin, 1), rep, DN_MAX_RANK, "Tile repeats", e);
        if (k < 0) return -1;
        if (k != xs->rank) return dn_errf(e, "Tile repeats has %d values for rank %d", k, xs->rank);
        return cg_map_tile(a, xs, rep, m, e);
    }
    if (!strcmp(op, "Slice")) {
        if (!dn_shape_known(xs)) return dn_errf(e, "Slice input shape is not known");
        int64_t start[DN_MAX_RANK], step[DN_MAX_RANK];
        if (slice_starts(in, nin, xs, start, step, e)) return -1;
        return cg_map_slice(a, xs, start, step, os, m, e);
    }
    if (!strcmp(op, "Concat")) {
        int axis;
        if (dn_axis(ir_attr_int(n, "axis", 0), xs->rank, &axis, e)) return -1;
        int64_t off = 0;
        for (int i = 0; i < which; i++) {
            if (!in[i] || in[i]->shape.rank != xs->rank || in[i]->shape.d[axis] < 0)
                return dn_errf(e, "Concat input %d has no known size along axis %d", i, axis);
            off += in[i]->shape.d[axis];
        }
        return cg_map_concat_input(a, xs, os, axis, off, m, e);
    }
    if (!strcmp(op, "Gather")) {
        int axis;
        if (dn_axis(ir_attr_int(n, "axis", 0), xs->rank, &axis, e)) return -1;
        const dn_tensor *it = input(in, nin, 1);
        if (!it || !it->data) return dn_errf(e, "Gather indices are not a constant");
        int64_t ni = dn_shape_numel(&it->shape);
        if (ni < 0) return dn_errf(e, "Gather indices shape is not known");
        int64_t *v = dn_arena_alloc(a, (size_t)(ni ? ni : 1) * sizeof *v);
        for (int64_t i = 0; i < ni; i++)
            v[i] = dn_geti(it, i);
        return cg_map_gather(a, xs, axis, &it->shape, v, m, e);
    }
    if (!strcmp(op, "Pad")) {
        int64_t pb[DN_MAX_RANK], pe[DN_MAX_RANK];
        int mode;
        if (!dn_shape_known(xs)) return dn_errf(e, "Pad input shape is not known");
        if (cg_pad_params(n, in, nin, xs->rank, pb, pe, &mode, e)) return -1;
        if (mode != CG_PAD_CONSTANT && mode != CG_PAD_WRAP)
            return dn_errf(e, "Pad mode %s has no single index map (it is read piecewise)",
                           ir_attr_str(n, "mode", ""));
        return cg_map_pad(a, xs, pb, pe, mode == CG_PAD_WRAP, m, e);
    }
    if (!strcmp(op, "DepthToSpace"))
        return cg_map_depth_to_space(a, xs, ir_attr_int(n, "blocksize", 0),
                                     !strcmp(ir_attr_str(n, "mode", "DCR"), "CRD"), m, e);
    if (!strcmp(op, "SpaceToDepth"))
        return cg_map_space_to_depth(a, xs, ir_attr_int(n, "blocksize", 0), m, e);
    return dn_errf(e, "%s is not a data-movement operator with an index map", op);
}
