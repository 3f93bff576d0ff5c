/* op_movement.c -- operators that move data without computing on it:
 * Reshape, Flatten, Squeeze, Unsqueeze, Transpose, Expand, Concat, Split,
 * Slice and Tile (Pad, DepthToSpace, SpaceToDepth, Resize and Trilu are in
 * op_movement_spatial.c).  Elements are copied by size, so every dtype
 * works.  The shape-input operators (Reshape, Expand, Slice, Tile, ...)
 * infer exact shapes whenever that input's data is known, since constant
 * folding of shape subgraphs depends on it. */
#include "op_movement.h"

#include <stdlib.h>
#include <string.h>

#define OP_ARGS                                                                                    \
    const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out, int nout, dn_err *e

static const dn_tensor *opt_in(const dn_tensor *const *in, int nin, int i)
{
    return i < nin ? in[i] : NULL;
}

int op_mv_ints(const dn_tensor *t, int64_t *v, int max, const char *what, dn_err *e)
{
    if (t->dtype != DN_I64 && t->dtype != DN_I32)
        return dn_errf(e, "%s must be int64 or int32, got %s", what, dn_dtype_name(t->dtype));
    if (t->shape.rank > 1) return dn_errf(e, "%s must be 1-D, got rank %d", what, t->shape.rank);
    int64_t cnt = dn_shape_numel(&t->shape);
    if (cnt < 0) return dn_errf(e, "%s has unknown length", what);
    if (cnt > max)
        return dn_errf(e, "%s has %lld values, at most %d supported", what, (long long)cnt, max);
    for (int64_t i = 0; i < cnt; i++) v[i] = dn_geti(t, i);
    return (int)cnt;
}

/* ------------------------------------------------------------------ */
/* Strided copy                                                        */
/* ------------------------------------------------------------------ */

/* Fixed-size memcpy compiles to one move; it also keeps strict aliasing
   happy whatever the element type is. */
#define ROW_LOOP(ES)                                                                               \
    for (int64_t i = 0; i < cnt; i++) memcpy(dst + i * (ES), src + i * st * (ES), (ES))

static void strided_row(char *dst, const char *src, int64_t cnt, int64_t st, size_t es)
{
    if (st == 1) {
        memcpy(dst, src, (size_t)cnt * es);
        return;
    }
    switch (es) {
    case 1: ROW_LOOP(1); break;
    case 2: ROW_LOOP(2); break;
    case 4: ROW_LOOP(4); break;
    case 8: ROW_LOOP(8); break;
    default:
        for (int64_t i = 0; i < cnt; i++)
            memcpy(dst + i * (int64_t)es, src + i * st * (int64_t)es, es);
    }
}

#define TILE 32
#define TILE_LOOP(ES)                                                                              \
    for (int64_t a = a0; a < a1; a++)                                                              \
        for (int64_t b = b0; b < b1; b++)                                                          \
    memcpy(o + (a * dsa + b) * (ES), p + (a + b * sb) * (ES), (ES))

/* A transpose whose input-contiguous dim t is not the innermost output
   dim: walk (t, last) in square tiles so that both sides stay in cache. */
static void tiled_copy(char *out, const char *in, int r, const int64_t *d, const int64_t *s, int t,
                       size_t es)
{
    int64_t ds[OP_MV_VIEW_MAX], idx[OP_MV_VIEW_MAX] = {0};
    ds[r - 1] = 1;
    for (int k = r - 2; k >= 0; k--) ds[k] = ds[k + 1] * d[k + 1];
    int64_t dsa = ds[t], sb = s[r - 1], na = d[t], nb = d[r - 1];
    for (;;) {
        int64_t io = 0, oo = 0;
        for (int k = 0; k < r - 1; k++)
            if (k != t) {
                io += idx[k] * s[k];
                oo += idx[k] * ds[k];
            }
        char *o = out + oo * (int64_t)es;
        const char *p = in + io * (int64_t)es;
        for (int64_t a0 = 0; a0 < na; a0 += TILE)
            for (int64_t b0 = 0; b0 < nb; b0 += TILE) {
                int64_t a1 = a0 + TILE < na ? a0 + TILE : na, b1 = b0 + TILE < nb ? b0 + TILE : nb;
                switch (es) {
                case 1: TILE_LOOP(1); break;
                case 2: TILE_LOOP(2); break;
                case 4: TILE_LOOP(4); break;
                case 8: TILE_LOOP(8); break;
                default:
                    for (int64_t a = a0; a < a1; a++)
                        for (int64_t b = b0; b < b1; b++)
                            memcpy(o + (a * dsa + b) * (int64_t)es, p + (a + b * sb) * (int64_t)es,
                                   es);
                }
            }
        int k = r - 2;
        for (; k >= 0; k--) {
            if (k == t) continue;
            if (++idx[k] < d[k]) break;
            idx[k] = 0;
        }
        if (k < 0) break;
    }
}

void op_mv_view_copy(void *dst, const void *src, int rank, const int64_t *dims, const int64_t *st,
                     int64_t base, size_t es)
{
    int64_t d[OP_MV_VIEW_MAX], s[OP_MV_VIEW_MAX];
    int r = 0;
    for (int k = 0; k < rank; k++) {
        if (dims[k] == 0) return;
        if (dims[k] == 1) continue;
        if (r > 0 && s[r - 1] == st[k] * dims[k]) { /* dims k-1 and k walk memory as one */
            d[r - 1] *= dims[k];
            s[r - 1] = st[k];
            continue;
        }
        d[r] = dims[k];
        s[r] = st[k];
        r++;
    }
    char *o = dst;
    const char *p = (const char *)src + base * (int64_t)es;
    if (r == 0) {
        memcpy(o, p, es);
        return;
    }
    int64_t inner = d[r - 1], ist = s[r - 1];
    if (ist != 1 && inner >= 8) {
        for (int k = r - 2; k >= 0; k--)
            if (s[k] == 1 && d[k] >= 8) {
                tiled_copy(o, p, r, d, s, k, es);
                return;
            }
    }
    int64_t rows = 1, idx[OP_MV_VIEW_MAX] = {0}, off = 0;
    for (int k = 0; k < r - 1; k++) rows *= d[k];
    size_t rowbytes = (size_t)inner * es;
    for (int64_t row = 0; row < rows; row++) {
        strided_row(o, p + off * (int64_t)es, inner, ist, es);
        o += rowbytes;
        for (int k = r - 2; k >= 0; k--) {
            off += s[k];
            if (++idx[k] < d[k]) break;
            off -= s[k] * d[k];
            idx[k] = 0;
        }
    }
}

static size_t esize(const dn_tensor *t, dn_err *e)
{
    size_t es = dn_dtype_size(t->dtype);
    if (!es) dn_errf(e, "dtype %s not supported", dn_dtype_name(t->dtype));
    return es;
}

static int copy_eval(OP_ARGS)
{
    (void)n, (void)nin, (void)nout, (void)e;
    size_t b = dn_tensor_bytes(&out[0]);
    if (b) memcpy(out[0].data, in[0]->data, b);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Reshape, Flatten, Squeeze, Unsqueeze                                */
/* ------------------------------------------------------------------ */

static int reshape_infer(OP_ARGS)
{
    (void)nin, (void)nout;
    const dn_tensor *x = in[0], *sh = in[1];
    const dn_shape *xs = &x->shape;
    out[0].dtype = x->dtype;
    int allowzero = (int)ir_attr_int(n, "allowzero", 0);
    if (!sh->data) {
        if (sh->shape.rank == 1 && sh->shape.d[0] >= 0) {
            if (sh->shape.d[0] > DN_MAX_RANK)
                return dn_errf(e, "Reshape to rank %lld exceeds %d", (long long)sh->shape.d[0],
                               DN_MAX_RANK);
            out[0].shape = dn_shape_make((int)sh->shape.d[0], NULL);
        }
        return 0;
    }
    int64_t v[DN_MAX_RANK];
    int k = op_mv_ints(sh, v, DN_MAX_RANK, "Reshape shape", e);
    if (k < 0) return -1;
    dn_shape o = dn_shape_make(k, NULL);
    int neg = -1, zero = 0, copied[DN_MAX_RANK] = {0};
    for (int i = 0; i < k; i++) {
        if (v[i] == -1) {
            if (neg >= 0) return dn_errf(e, "Reshape shape has more than one -1");
            neg = i;
        } else if (v[i] < -1) {
            return dn_errf(e, "Reshape shape[%d] = %lld is invalid", i, (long long)v[i]);
        } else if (v[i] == 0 && !allowzero) {
            if (xs->rank >= 0 && i >= xs->rank)
                return dn_errf(e, "Reshape shape[%d] is 0 (copy) but the input has rank %d", i,
                               xs->rank);
            o.d[i] = xs->rank >= 0 ? xs->d[i] : -1;
            copied[i] = o.d[i] != 0; /* a copied 0 must stay in the products below */
        } else {
            zero |= v[i] == 0;
            o.d[i] = v[i];
        }
    }
    if (allowzero && zero && neg >= 0)
        return dn_errf(e, "Reshape with allowzero=1 cannot have both 0 and -1 in shape");
    if (xs->rank < 0) {
        if (neg >= 0) o.d[neg] = -1;
        out[0].shape = o;
        return 0;
    }
    /* Dims copied by a 0 cancel out of both sides, so that -1 stays
       computable when only such copied dims (a batch dim) are unknown. */
    int64_t pin = 1, pout = 1;
    int kin = 1;
    for (int j = 0; j < xs->rank; j++) {
        if (j < k && copied[j]) continue;
        if (xs->d[j] < 0)
            kin = 0;
        else
            pin *= xs->d[j];
    }
    for (int i = 0; i < k; i++) {
        if (i == neg || copied[i]) continue;
        pout *= o.d[i];
    }
    char a[128], b[128];
    if (neg >= 0) {
        if (!kin)
            o.d[neg] = -1;
        else if (pout == 0 || pin % pout)
            return dn_errf(e, "cannot reshape %s into %s (shape with -1)", dn_shape_str(xs, a, sizeof a),
                           dn_shape_str(&o, b, sizeof b));
        else
            o.d[neg] = pin / pout;
    } else if (kin && pin != pout) {
        return dn_errf(e, "cannot reshape %s into %s", dn_shape_str(xs, a, sizeof a),
                       dn_shape_str(&o, b, sizeof b));
    }
    out[0].shape = o;
    return 0;
}

static int flatten_infer(OP_ARGS)
{
    (void)nin, (void)nout;
    const dn_shape *xs = &in[0]->shape;
    out[0].dtype = in[0]->dtype;
    int64_t axis = ir_attr_int(n, "axis", 1);
    if (xs->rank < 0) {
        out[0].shape = dn_shape_make(2, NULL);
        return 0;
    }
    if (axis < -xs->rank || axis > xs->rank)
        return dn_errf(e, "Flatten axis %lld out of range for rank %d", (long long)axis, xs->rank);
    int a = (int)(axis < 0 ? axis + xs->rank : axis);
    int64_t p[2] = {1, 1};
    for (int i = 0; i < xs->rank; i++) {
        int64_t *q = &p[i >= a];
        *q = (xs->d[i] < 0 || *q < 0) ? -1 : *q * xs->d[i];
    }
    out[0].shape = dn_shape_make(2, p);
    return 0;
}

/* Axes of Squeeze/Unsqueeze: from input `idx` (opset 13) or the `axes`
   attribute (earlier).  *cnt = -1 when absent; returns 1 when the axes
   are known, 0 when they come from an input whose data is unknown. */
static int get_axes(const ir_node *n, const dn_tensor *const *in, int nin, int idx, int64_t *ax,
                    int *cnt, dn_err *e)
{
    const dn_tensor *t = opt_in(in, nin, idx);
    *cnt = -1;
    if (t) {
        if (!t->data) {
            if (t->shape.rank == 1 && t->shape.d[0] >= 0) *cnt = (int)t->shape.d[0];
            if (t->shape.rank == 0) *cnt = 1;
            return 0;
        }
        *cnt = op_mv_ints(t, ax, DN_MAX_RANK, "axes", e);
        return *cnt < 0 ? -1 : 1;
    }
    int c;
    const int64_t *a = ir_attr_ints(n, "axes", &c);
    if (!a) return 1;
    if (c > DN_MAX_RANK) return dn_errf(e, "too many axes (%d)", c);
    memcpy(ax, a, (size_t)c * sizeof *a);
    *cnt = c;
    return 1;
}

/* Normalises axes against rank into a mask; rejects duplicates. */
static int axes_mask(const int64_t *ax, int cnt, int rank, int *mask, dn_err *e)
{
    for (int i = 0; i < rank; i++) mask[i] = 0;
    for (int i = 0; i < cnt; i++) {
        int a;
        if (dn_axis(ax[i], rank, &a, e)) return -1;
        if (mask[a]) return dn_errf(e, "axis %lld repeated", (long long)ax[i]);
        mask[a] = 1;
    }
    return 0;
}

static int squeeze_infer(OP_ARGS)
{
    (void)nout;
    const dn_shape *xs = &in[0]->shape;
    out[0].dtype = in[0]->dtype;
    int64_t ax[DN_MAX_RANK];
    int cnt, known = get_axes(n, in, nin, 1, ax, &cnt, e);
    if (known < 0) return -1;
    if (xs->rank < 0) return 0;
    if (!known) {
        if (cnt >= 0 && cnt <= xs->rank) out[0].shape = dn_shape_make(xs->rank - cnt, NULL);
        return 0;
    }
    int mask[DN_MAX_RANK];
    if (cnt < 0) {
        for (int i = 0; i < xs->rank; i++) {
            if (xs->d[i] < 0) return 0; /* which dims go is unknown */
            mask[i] = xs->d[i] == 1;
        }
    } else {
        if (axes_mask(ax, cnt, xs->rank, mask, e)) return -1;
        for (int i = 0; i < xs->rank; i++)
            if (mask[i] && xs->d[i] >= 0 && xs->d[i] != 1)
                return dn_errf(e, "cannot squeeze axis %d of size %lld", i, (long long)xs->d[i]);
    }
    dn_shape o = dn_shape_make(0, NULL);
    for (int i = 0; i < xs->rank; i++)
        if (!mask[i]) o.d[o.rank++] = xs->d[i];
    out[0].shape = o;
    return 0;
}

static int unsqueeze_infer(OP_ARGS)
{
    (void)nout;
    const dn_shape *xs = &in[0]->shape;
    out[0].dtype = in[0]->dtype;
    int64_t ax[DN_MAX_RANK];
    int cnt, known = get_axes(n, in, nin, 1, ax, &cnt, e);
    if (known < 0) return -1;
    if (known && cnt < 0) return dn_errf(e, "Unsqueeze needs axes");
    if (xs->rank < 0 || cnt < 0) return 0;
    int r = xs->rank + cnt;
    if (r > DN_MAX_RANK) return dn_errf(e, "Unsqueeze to rank %d exceeds %d", r, DN_MAX_RANK);
    if (!known) {
        out[0].shape = dn_shape_make(r, NULL);
        return 0;
    }
    int mask[DN_MAX_RANK];
    if (axes_mask(ax, cnt, r, mask, e)) return -1;
    dn_shape o = dn_shape_make(r, NULL);
    for (int i = 0, j = 0; i < r; i++) o.d[i] = mask[i] ? 1 : xs->d[j++];
    out[0].shape = o;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Transpose, Expand, Tile                                             */
/* ------------------------------------------------------------------ */

static int get_perm(const ir_node *n, int rank, int *perm, dn_err *e)
{
    int c;
    const int64_t *p = ir_attr_ints(n, "perm", &c);
    if (!p) {
        for (int i = 0; i < rank; i++) perm[i] = rank - 1 - i;
        return 0;
    }
    if (c != rank) return dn_errf(e, "Transpose perm has %d entries for rank %d", c, rank);
    int seen[DN_MAX_RANK] = {0};
    for (int i = 0; i < c; i++) {
        if (p[i] < 0 || p[i] >= rank || seen[p[i]])
            return dn_errf(e, "Transpose perm is not a permutation of 0..%d", rank - 1);
        seen[p[i]] = 1;
        perm[i] = (int)p[i];
    }
    return 0;
}

static int transpose_infer(OP_ARGS)
{
    (void)nin, (void)nout;
    const dn_shape *xs = &in[0]->shape;
    out[0].dtype = in[0]->dtype;
    if (xs->rank < 0) {
        int c;
        if (ir_attr_ints(n, "perm", &c) && c <= DN_MAX_RANK) out[0].shape = dn_shape_make(c, NULL);
        return 0;
    }
    int perm[DN_MAX_RANK];
    if (get_perm(n, xs->rank, perm, e)) return -1;
    dn_shape o = dn_shape_make(xs->rank, NULL);
    for (int i = 0; i < xs->rank; i++) o.d[i] = xs->d[perm[i]];
    out[0].shape = o;
    return 0;
}

static int transpose_eval(OP_ARGS)
{
    (void)nin, (void)nout;
    const dn_tensor *x = in[0];
    size_t es = esize(x, e);
    if (!es) return -1;
    int perm[DN_MAX_RANK];
    if (get_perm(n, x->shape.rank, perm, e)) return -1;
    int64_t xst[DN_MAX_RANK], st[DN_MAX_RANK];
    dn_strides(&x->shape, xst);
    for (int i = 0; i < x->shape.rank; i++) st[i] = xst[perm[i]];
    op_mv_view_copy(out[0].data, x->data, x->shape.rank, out[0].shape.d, st, 0, es);
    return 0;
}

static int expand_infer(OP_ARGS)
{
    (void)n, (void)nin, (void)nout;
    const dn_tensor *x = in[0], *sh = in[1];
    out[0].dtype = x->dtype;
    if (!sh->data) {
        if (x->shape.rank < 0 || sh->shape.rank != 1 || sh->shape.d[0] < 0) return 0;
        int m = (int)sh->shape.d[0], r = x->shape.rank > m ? x->shape.rank : m;
        if (r > DN_MAX_RANK) return dn_errf(e, "Expand to rank %d exceeds %d", r, DN_MAX_RANK);
        /* A known input dim other than 1 survives any valid target shape. */
        dn_shape o = dn_shape_make(r, NULL);
        for (int i = r - x->shape.rank; i < r; i++) {
            int64_t d = x->shape.d[i - (r - x->shape.rank)];
            if (d >= 0 && d != 1) o.d[i] = d;
        }
        out[0].shape = o;
        return 0;
    }
    int64_t v[DN_MAX_RANK];
    int k = op_mv_ints(sh, v, DN_MAX_RANK, "Expand shape", e);
    if (k < 0) return -1;
    for (int i = 0; i < k; i++)
        if (v[i] < 0) return dn_errf(e, "Expand shape[%d] = %lld is negative", i, (long long)v[i]);
    dn_shape t = dn_shape_make(k, v);
    return dn_broadcast(&x->shape, &t, &out[0].shape, e);
}

static int expand_eval(OP_ARGS)
{
    (void)n, (void)nin, (void)nout;
    const dn_tensor *x = in[0];
    size_t es = esize(x, e);
    if (!es) return -1;
    int64_t st[DN_MAX_RANK];
    op_bcast_strides(&out[0].shape, &x->shape, st);
    op_mv_view_copy(out[0].data, x->data, out[0].shape.rank, out[0].shape.d, st, 0, es);
    return 0;
}

static int tile_infer(OP_ARGS)
{
    (void)n, (void)nin, (void)nout;
    const dn_tensor *x = in[0], *rp = in[1];
    out[0].dtype = x->dtype;
    if (x->shape.rank < 0) return 0;
    dn_shape o = dn_shape_make(x->shape.rank, NULL);
    if (rp->data) {
        int64_t v[DN_MAX_RANK];
        int k = op_mv_ints(rp, v, DN_MAX_RANK, "Tile repeats", e);
        if (k < 0) return -1;
        if (k != x->shape.rank)
            return dn_errf(e, "Tile repeats has %d values for rank %d", k, x->shape.rank);
        for (int i = 0; i < k; i++) {
            if (v[i] < 0) return dn_errf(e, "Tile repeats[%d] is negative", i);
            o.d[i] = x->shape.d[i] < 0 ? -1 : x->shape.d[i] * v[i];
        }
    }
    out[0].shape = o;
    return 0;
}

static int tile_eval(OP_ARGS)
{
    (void)n, (void)nin, (void)nout;
    const dn_tensor *x = in[0];
    size_t es = esize(x, e);
    if (!es) return -1;
    int r = x->shape.rank;
    int64_t xst[DN_MAX_RANK], d[OP_MV_VIEW_MAX], st[OP_MV_VIEW_MAX];
    dn_strides(&x->shape, xst);
    /* Output dim i read as (repeat, position) pairs: the repeat has stride 0. */
    for (int i = 0; i < r; i++) {
        int64_t xd = x->shape.d[i];
        d[2 * i] = xd ? out[0].shape.d[i] / xd : 0;
        d[2 * i + 1] = xd;
        st[2 * i] = 0;
        st[2 * i + 1] = xst[i];
    }
    op_mv_view_copy(out[0].data, x->data, 2 * r, d, st, 0, es);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Concat, Split                                                       */
/* ------------------------------------------------------------------ */

static int concat_infer(OP_ARGS)
{
    (void)nout;
    out[0].dtype = in[0] ? in[0]->dtype : DN_UNDEF;
    const ir_attr *aa = ir_attr_get(n, "axis");
    if (!aa) return dn_errf(e, "Concat needs an axis attribute");
    int rank = -1;
    for (int i = 0; i < nin; i++) {
        if (!in[i] || in[i]->shape.rank < 0) continue;
        if (rank >= 0 && in[i]->shape.rank != rank)
            return dn_errf(e, "Concat inputs have ranks %d and %d", rank, in[i]->shape.rank);
        rank = in[i]->shape.rank;
    }
    if (rank < 0) return 0;
    if (rank == 0) return dn_errf(e, "Concat needs inputs of rank >= 1");
    int axis;
    if (dn_axis(aa->i, rank, &axis, e)) return -1;
    dn_shape o = dn_shape_make(rank, NULL);
    o.d[axis] = 0;
    const dn_shape *ref = NULL;
    for (int i = 0; i < nin; i++) {
        if (!in[i]) continue;
        const dn_shape *s = &in[i]->shape;
        if (s->rank < 0) {
            o.d[axis] = -1;
            continue;
        }
        for (int k = 0; k < rank; k++) {
            if (k == axis) {
                o.d[k] = (o.d[k] < 0 || s->d[k] < 0) ? -1 : o.d[k] + s->d[k];
            } else if (s->d[k] >= 0) {
                if (o.d[k] >= 0 && o.d[k] != s->d[k]) {
                    char a[128], b[128];
                    return dn_errf(e, "Concat on axis %d: input shapes %s and %s differ on dim %d",
                                   axis, dn_shape_str(ref, a, sizeof a),
                                   dn_shape_str(s, b, sizeof b), k);
                }
                o.d[k] = s->d[k];
                ref = s;
            }
        }
    }
    out[0].shape = o;
    return 0;
}

static int concat_eval(OP_ARGS)
{
    (void)nout;
    size_t es = esize(&out[0], e);
    if (!es) return -1;
    int rank = out[0].shape.rank, axis;
    if (dn_axis(ir_attr_int(n, "axis", 0), rank, &axis, e)) return -1;
    int64_t outer = 1, inner = 1;
    for (int k = 0; k < axis; k++) outer *= out[0].shape.d[k];
    for (int k = axis + 1; k < rank; k++) inner *= out[0].shape.d[k];
    char *o = out[0].data;
    for (int64_t ob = 0; ob < outer; ob++)
        for (int i = 0; i < nin; i++) {
            if (!in[i]) continue;
            size_t c = (size_t)(in[i]->shape.d[axis] * inner) * es;
            if (!c) continue;
            memcpy(o, (const char *)in[i]->data + (size_t)ob * c, c);
            o += c;
        }
    return 0;
}

/* Chunk sizes of Split along a dim of size dim (-1 if unknown) into nout
   parts: sz[i] = -1 where not known.  Returns -1 on error. */
static int split_sizes(const ir_node *n, const dn_tensor *const *in, int nin, int nout,
                       int64_t dim, int64_t *sz, dn_err *e)
{
    const dn_tensor *sp = opt_in(in, nin, 1);
    int c;
    const int64_t *attr = ir_attr_ints(n, "split", &c);
    const ir_attr *no = ir_attr_get(n, "num_outputs");
    if (sp && !sp->data) {
        for (int i = 0; i < nout; i++) sz[i] = -1;
        return 0;
    }
    if (sp || attr) {
        if (sp) {
            if (sp->dtype != DN_I64 && sp->dtype != DN_I32)
                return dn_errf(e, "Split split must be int64, got %s", dn_dtype_name(sp->dtype));
            c = (int)dn_shape_numel(&sp->shape);
        }
        if (c != nout) return dn_errf(e, "Split has %d sizes for %d outputs", c, nout);
        int64_t sum = 0;
        for (int i = 0; i < nout; i++) {
            sz[i] = sp ? dn_geti(sp, i) : attr[i];
            if (sz[i] < 0) return dn_errf(e, "Split size %lld is negative", (long long)sz[i]);
            sum += sz[i];
        }
        if (dim >= 0 && sum != dim)
            return dn_errf(e, "Split sizes add up to %lld, dim is %lld", (long long)sum,
                           (long long)dim);
        return 0;
    }
    if (no && no->i != nout)
        return dn_errf(e, "Split num_outputs=%lld but the node has %d outputs", (long long)no->i,
                       nout);
    for (int i = 0; i < nout; i++) sz[i] = -1;
    if (dim < 0) return 0;
    if (!no && dim % nout)
        return dn_errf(e, "Split cannot divide dim %lld evenly into %d outputs", (long long)dim,
                       nout);
    /* num_outputs (opset 18): chunks of ceil(dim/n), the last one smaller. */
    int64_t chunk = (dim + nout - 1) / nout, last = dim - chunk * (nout - 1);
    if (last < 0)
        return dn_errf(e, "Split cannot divide dim %lld into %d chunks of %lld", (long long)dim,
                       nout, (long long)chunk);
    for (int i = 0; i < nout; i++) sz[i] = i == nout - 1 ? last : chunk;
    return 0;
}

static int split_infer(OP_ARGS)
{
    const dn_shape *xs = &in[0]->shape;
    for (int i = 0; i < nout; i++) out[i].dtype = in[0]->dtype;
    if (xs->rank < 0) return 0;
    if (xs->rank == 0) return dn_errf(e, "Split needs rank >= 1");
    int axis;
    if (dn_axis(ir_attr_int(n, "axis", 0), xs->rank, &axis, e)) return -1;
    int64_t *sz = malloc((size_t)nout * sizeof *sz);
    if (!sz) return dn_errf(e, "out of memory");
    int rc = split_sizes(n, in, nin, nout, xs->d[axis], sz, e);
    for (int i = 0; !rc && i < nout; i++) {
        out[i].shape = *xs;
        out[i].shape.d[axis] = sz[i];
    }
    free(sz);
    return rc;
}

static int split_eval(OP_ARGS)
{
    (void)nin;
    const dn_tensor *x = in[0];
    size_t es = esize(x, e);
    if (!es) return -1;
    int rank = x->shape.rank, axis;
    if (dn_axis(ir_attr_int(n, "axis", 0), rank, &axis, e)) return -1;
    int64_t outer = 1, inner = 1;
    for (int k = 0; k < axis; k++) outer *= x->shape.d[k];
    for (int k = axis + 1; k < rank; k++) inner *= x->shape.d[k];
    const char *p = x->data;
    for (int64_t ob = 0; ob < outer; ob++)
        for (int i = 0; i < nout; i++) {
            size_t c = (size_t)(out[i].shape.d[axis] * inner) * es;
            if (!c) continue;
            memcpy((char *)out[i].data + (size_t)ob * c, p, c);
            p += c;
        }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Slice                                                               */
/* ------------------------------------------------------------------ */

/* Start and step per dim of x for Slice, and the output shape.  Returns 1
   when fully known, 0 when some sliced dims are unknown (-1 in *os). */
static int slice_params(const dn_tensor *const *in, int nin, dn_shape *os, int64_t *start,
                        int64_t *step, dn_err *e)
{
    const dn_shape *xs = &in[0]->shape;
    const dn_tensor *ts = in[1], *te = in[2], *ta = opt_in(in, nin, 3),
                    *tp = opt_in(in, nin, 4);
    int r = xs->rank;
    *os = *xs;
    for (int i = 0; i < r; i++) start[i] = 0, step[i] = 1;
    int64_t ax[DN_MAX_RANK], b[DN_MAX_RANK], en[DN_MAX_RANK], sp[DN_MAX_RANK];
    if (!ts->data || !te->data || (ta && !ta->data) || (tp && !tp->data)) {
        if (ta && ta->data) {
            int k = op_mv_ints(ta, ax, DN_MAX_RANK, "Slice axes", e);
            if (k < 0) return -1;
            for (int i = 0; i < k; i++) {
                int a;
                if (dn_axis(ax[i], r, &a, e)) return -1;
                os->d[a] = -1;
            }
        } else if (!ta && ts->shape.rank == 1 && ts->shape.d[0] >= 0 && ts->shape.d[0] <= r) {
            for (int i = 0; i < ts->shape.d[0]; i++) os->d[i] = -1;
        } else {
            for (int i = 0; i < r; i++) os->d[i] = -1;
        }
        return 0;
    }
    int k = op_mv_ints(ts, b, DN_MAX_RANK, "Slice starts", e);
    if (k < 0) return -1;
    int k2 = op_mv_ints(te, en, DN_MAX_RANK, "Slice ends", e);
    if (k2 < 0) return -1;
    if (k2 != k) return dn_errf(e, "Slice starts has %d values, ends %d", k, k2);
    if (ta) {
        int k3 = op_mv_ints(ta, ax, DN_MAX_RANK, "Slice axes", e);
        if (k3 < 0) return -1;
        if (k3 != k) return dn_errf(e, "Slice starts has %d values, axes %d", k, k3);
    } else {
        for (int i = 0; i < k; i++) ax[i] = i;
    }
    if (tp) {
        int k4 = op_mv_ints(tp, sp, DN_MAX_RANK, "Slice steps", e);
        if (k4 < 0) return -1;
        if (k4 != k) return dn_errf(e, "Slice starts has %d values, steps %d", k, k4);
    } else {
        for (int i = 0; i < k; i++) sp[i] = 1;
    }
    int seen[DN_MAX_RANK] = {0}, known = 1;
    for (int i = 0; i < k; i++) {
        int a;
        if (dn_axis(ax[i], r, &a, e)) return -1;
        if (seen[a]) return dn_errf(e, "Slice axis %lld repeated", (long long)ax[i]);
        seen[a] = 1;
        if (sp[i] == 0) return dn_errf(e, "Slice step is 0");
        int64_t dim = xs->d[a], s = b[i], t = en[i], st = sp[i], cnt;
        if (dim < 0) {
            os->d[a] = -1;
            known = 0;
            continue;
        }
        /* Adding dim only to negatives cannot overflow, even for INT64_MIN. */
        if (s < 0) s += dim;
        if (t < 0) t += dim;
        if (dim == 0) {
            s = 0, cnt = 0;
        } else if (st > 0) {
            s = s < 0 ? 0 : s > dim ? dim : s;
            t = t < 0 ? 0 : t > dim ? dim : t;
            cnt = t > s ? (t - s - 1) / st + 1 : 0;
        } else {
            s = s < 0 ? 0 : s > dim - 1 ? dim - 1 : s;
            t = t < -1 ? -1 : t > dim - 1 ? dim - 1 : t;
            int64_t as = st == INT64_MIN ? INT64_MAX : -st;
            cnt = s > t ? (s - t - 1) / as + 1 : 0;
        }
        start[a] = s;
        step[a] = st;
        os->d[a] = cnt;
    }
    return known;
}

static int slice_infer(OP_ARGS)
{
    (void)n, (void)nout;
    out[0].dtype = in[0]->dtype;
    if (in[0]->shape.rank < 0) return 0;
    int64_t start[DN_MAX_RANK], step[DN_MAX_RANK];
    return slice_params(in, nin, &out[0].shape, start, step, e) < 0 ? -1 : 0;
}

static int slice_eval(OP_ARGS)
{
    (void)n, (void)nout;
    const dn_tensor *x = in[0];
    size_t es = esize(x, e);
    if (!es) return -1;
    int64_t start[DN_MAX_RANK], step[DN_MAX_RANK], xst[DN_MAX_RANK], st[DN_MAX_RANK], base = 0;
    dn_shape os;
    if (slice_params(in, nin, &os, start, step, e) < 0) return -1;
    dn_strides(&x->shape, xst);
    for (int i = 0; i < x->shape.rank; i++) {
        base += start[i] * xst[i];
        /* a huge step leaves at most one element: its stride is moot (and would overflow) */
        st[i] = os.d[i] > 1 ? step[i] * xst[i] : 0;
    }
    op_mv_view_copy(out[0].data, x->data, os.rank, os.d, st, base, es);
    return 0;
}

/* ------------------------------------------------------------------ */

const op_def op_defs_movement[] = {
    {"Reshape", 2, 2, 1, 1, reshape_infer, copy_eval},
    {"Flatten", 1, 1, 1, 1, flatten_infer, copy_eval},
    {"Squeeze", 1, 2, 1, 1, squeeze_infer, copy_eval},
    {"Unsqueeze", 1, 2, 1, 1, unsqueeze_infer, copy_eval},
    {"Transpose", 1, 1, 1, 1, transpose_infer, transpose_eval},
    {"Expand", 2, 2, 1, 1, expand_infer, expand_eval},
    {"Tile", 2, 2, 1, 1, tile_infer, tile_eval},
    {"Concat", 1, -1, 1, 1, concat_infer, concat_eval},
    {"Split", 1, 2, 1, 1 << 16, split_infer, split_eval},
    {"Slice", 3, 5, 1, 1, slice_infer, slice_eval},
    {"Pad", 1, 4, 1, 1, op_pad_infer, op_pad_eval},
    {"DepthToSpace", 1, 1, 1, 1, op_d2s_infer, op_d2s_eval},
    {"SpaceToDepth", 1, 1, 1, 1, op_s2d_infer, op_s2d_eval},
    {"Resize", 1, 4, 1, 1, op_resize_infer, op_resize_eval},
    {"Trilu", 1, 2, 1, 1, op_trilu_infer, op_trilu_eval},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};
