/* op_movement_spatial.c -- the data-movement operators with per-position
 * logic: Pad, DepthToSpace, SpaceToDepth, Resize (nearest and linear) and
 * Trilu.  Registered in op_defs_movement (op_movement.c). */
#include "op_movement.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define OP_ARGS                                                                                    \
    const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out, int nout, dn_err *e

static const dn_tensor *opt_in(const dn_tensor *const *in, int nin, int i)
{
    return i < nin ? in[i] : NULL;
}

static size_t esize(const dn_tensor *t, dn_err *e)
{
    size_t es = dn_dtype_size(t->dtype);
    if (!es) dn_errf(e, "dtype %s not supported", dn_dtype_name(t->dtype));
    return es;
}

static void fill(char *dst, const char *val, int64_t cnt, size_t es)
{
    for (int64_t i = 0; i < cnt; i++) memcpy(dst + i * (int64_t)es, val, es);
}

/* Advances a row-major index over the first r dims of s; 0 after the last. */
static int next_outer(const dn_shape *s, int r, int64_t *idx)
{
    for (int k = r - 1; k >= 0; k--) {
        if (++idx[k] < s->d[k]) return 1;
        idx[k] = 0;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Pad                                                                 */
/* ------------------------------------------------------------------ */

enum { PAD_CONSTANT, PAD_REFLECT, PAD_EDGE, PAD_WRAP };

static int pad_mode(const ir_node *n, dn_err *e)
{
    const char *m = ir_attr_str(n, "mode", "constant");
    if (strcmp(m, "constant") == 0) return PAD_CONSTANT;
    if (strcmp(m, "reflect") == 0) return PAD_REFLECT;
    if (strcmp(m, "edge") == 0) return PAD_EDGE;
    if (strcmp(m, "wrap") == 0) return PAD_WRAP;
    return dn_errf(e, "Pad mode '%s' is not one of constant, reflect, edge, wrap", m);
}

/* Input position that output position i (already shifted by the begin
   pad) reads along a dim of size d; -1 means the constant value. */
static int64_t pad_map(int64_t i, int64_t d, int mode)
{
    if (i >= 0 && i < d) return i;
    switch (mode) {
    case PAD_EDGE: return i < 0 ? 0 : d - 1;
    case PAD_REFLECT: {
        if (d == 1) return 0;
        int64_t p = 2 * (d - 1);
        i = ((i % p) + p) % p;
        return i < d ? i : p - i;
    }
    case PAD_WRAP: return ((i % d) + d) % d;
    default: return -1;
    }
}

/* Begin/end pads per dim.  Returns 1 when known, 0 when not (dims that
   may change marked in unk), -1 on error. */
static int pad_params(const ir_node *n, const dn_tensor *const *in, int nin, int r, int64_t *pb,
                      int64_t *pe, int *unk, dn_err *e)
{
    const dn_tensor *tp = opt_in(in, nin, 1), *ta = opt_in(in, nin, 3);
    int64_t pads[2 * DN_MAX_RANK], ax[DN_MAX_RANK];
    int na = r, np;
    for (int i = 0; i < r; i++) pb[i] = pe[i] = 0, unk[i] = 0, ax[i] = i;
    if (ta) {
        if (!ta->data) {
            for (int i = 0; i < r; i++) unk[i] = 1;
            return 0;
        }
        if ((na = op_mv_ints(ta, ax, DN_MAX_RANK, "Pad axes", e)) < 0) return -1;
    }
    int seen[DN_MAX_RANK] = {0};
    for (int i = 0; i < na; i++) {
        int a;
        if (dn_axis(ax[i], r, &a, e)) return -1;
        if (seen[a]) return dn_errf(e, "Pad axis %lld repeated", (long long)ax[i]);
        seen[a] = 1;
        ax[i] = a;
    }
    if (tp) {
        if (!tp->data) {
            for (int i = 0; i < na; i++) unk[ax[i]] = 1;
            return 0;
        }
        if ((np = op_mv_ints(tp, pads, 2 * DN_MAX_RANK, "Pad pads", e)) < 0) return -1;
    } else {
        const int64_t *p = ir_attr_ints(n, "pads", &np); /* opset < 11 */
        if (!p) return dn_errf(e, "Pad needs pads");
        if (np > 2 * DN_MAX_RANK) return dn_errf(e, "Pad has too many pads");
        memcpy(pads, p, (size_t)np * sizeof *p);
    }
    if (np != 2 * na) return dn_errf(e, "Pad has %d pads for %d axes", np, na);
    for (int i = 0; i < na; i++) pb[ax[i]] = pads[i], pe[ax[i]] = pads[i + na];
    return 1;
}

int op_pad_infer(OP_ARGS)
{
    (void)nout;
    const dn_shape *xs = &in[0]->shape;
    out[0].dtype = in[0]->dtype;
    int mode = pad_mode(n, e);
    if (mode < 0) return -1;
    if (xs->rank < 0) return 0;
    int64_t pb[DN_MAX_RANK], pe[DN_MAX_RANK];
    int unk[DN_MAX_RANK];
    if (pad_params(n, in, nin, xs->rank, pb, pe, unk, e) < 0) return -1;
    dn_shape o = *xs;
    for (int i = 0; i < xs->rank; i++) {
        if (unk[i] || xs->d[i] < 0) {
            o.d[i] = unk[i] ? -1 : xs->d[i];
            continue;
        }
        o.d[i] = xs->d[i] + pb[i] + pe[i];
        if (o.d[i] < 0)
            return dn_errf(e, "Pad makes dim %d negative (%lld)", i, (long long)o.d[i]);
        if (mode != PAD_CONSTANT && xs->d[i] == 0 && o.d[i] > 0)
            return dn_errf(e, "Pad cannot pad empty dim %d in mode %s", i,
                           ir_attr_str(n, "mode", ""));
    }
    out[0].shape = o;
    return 0;
}

int op_pad_eval(OP_ARGS)
{
    (void)nout;
    const dn_tensor *x = in[0];
    size_t es = esize(x, e);
    if (!es) return -1;
    int mode = pad_mode(n, e), r = x->shape.rank;
    if (mode < 0) return -1;
    int64_t pb[DN_MAX_RANK], pe[DN_MAX_RANK];
    int unk[DN_MAX_RANK];
    if (pad_params(n, in, nin, r, pb, pe, unk, e) < 0) return -1;
    char val[16] = {0};
    const dn_tensor *cv = opt_in(in, nin, 2);
    if (mode == PAD_CONSTANT && cv && dn_shape_numel(&cv->shape) > 0) {
        if (cv->dtype != x->dtype)
            return dn_errf(e, "Pad constant_value is %s, data is %s", dn_dtype_name(cv->dtype),
                           dn_dtype_name(x->dtype));
        memcpy(val, cv->data, es);
    } else if (mode == PAD_CONSTANT && !cv && ir_attr_get(n, "value")) {
        dn_tensor t = {x->dtype, dn_shape_make(0, NULL), val};
        dn_set(&t, 0, ir_attr_float(n, "value", 0.0f));
    }
    const dn_shape *os = &out[0].shape;
    if (r == 0) {
        memcpy(out[0].data, x->data, es);
        return 0;
    }
    if (dn_shape_numel(os) == 0) return 0;
    int64_t xst[DN_MAX_RANK], idx[DN_MAX_RANK] = {0};
    dn_strides(&x->shape, xst);
    int64_t W = os->d[r - 1], d = x->shape.d[r - 1], p = pb[r - 1];
    /* Output columns [a, b) read the input row as is. */
    int64_t a = p > 0 ? (p < W ? p : W) : 0, b = p + d < W ? p + d : W;
    if (b < a) b = a;
    char *o = out[0].data;
    const char *xd = x->data;
    do {
        int64_t off = 0;
        int outside = 0;
        for (int k = 0; k < r - 1 && !outside; k++) {
            int64_t i = pad_map(idx[k] - pb[k], x->shape.d[k], mode);
            if (i < 0)
                outside = 1;
            else
                off += i * xst[k];
        }
        if (outside) {
            fill(o, val, W, es);
        } else {
            const char *src = xd + off * (int64_t)es;
            for (int64_t j = 0; j < a; j++) {
                int64_t i = pad_map(j - p, d, mode);
                memcpy(o + j * (int64_t)es, i < 0 ? val : src + i * (int64_t)es, es);
            }
            if (b > a)
                memcpy(o + a * (int64_t)es, src + (a - p) * (int64_t)es, (size_t)(b - a) * es);
            for (int64_t j = b; j < W; j++) {
                int64_t i = pad_map(j - p, d, mode);
                memcpy(o + j * (int64_t)es, i < 0 ? val : src + i * (int64_t)es, es);
            }
        }
        o += W * (int64_t)es;
    } while (next_outer(os, r - 1, idx));
    return 0;
}

/* ------------------------------------------------------------------ */
/* DepthToSpace, SpaceToDepth                                          */
/* ------------------------------------------------------------------ */

static int blocksize(const ir_node *n, dn_err *e)
{
    int64_t b = ir_attr_int(n, "blocksize", 0);
    if (b <= 0 || b > (1 << 20))
        return dn_errf(e, "%s needs a positive blocksize, got %lld", n->op, (long long)b);
    return (int)b;
}

static int64_t mul_or_unknown(int64_t a, int64_t b) { return a < 0 ? -1 : a * b; }

int op_d2s_infer(OP_ARGS)
{
    (void)nin, (void)nout;
    const dn_shape *xs = &in[0]->shape;
    out[0].dtype = in[0]->dtype;
    int b = blocksize(n, e);
    if (b < 0) return -1;
    const char *mode = ir_attr_str(n, "mode", "DCR");
    if (strcmp(mode, "DCR") && strcmp(mode, "CRD"))
        return dn_errf(e, "DepthToSpace mode '%s' is not DCR or CRD", mode);
    if (xs->rank < 0) {
        out[0].shape = dn_shape_make(4, NULL);
        return 0;
    }
    if (xs->rank != 4) return dn_errf(e, "DepthToSpace needs a 4-D input, got rank %d", xs->rank);
    int64_t c = xs->d[1];
    if (c >= 0 && c % ((int64_t)b * b))
        return dn_errf(e, "DepthToSpace: %lld channels not divisible by blocksize^2 = %d",
                       (long long)c, b * b);
    int64_t d[4] = {xs->d[0], c < 0 ? -1 : c / ((int64_t)b * b), mul_or_unknown(xs->d[2], b),
                    mul_or_unknown(xs->d[3], b)};
    out[0].shape = dn_shape_make(4, d);
    return 0;
}

int op_d2s_eval(OP_ARGS)
{
    (void)nin, (void)nout;
    const dn_tensor *x = in[0];
    size_t es = esize(x, e);
    if (!es) return -1;
    int64_t b = ir_attr_int(n, "blocksize", 1), N = x->shape.d[0], C = x->shape.d[1],
            H = x->shape.d[2], W = x->shape.d[3], c = C / (b * b), hw = H * W;
    int crd = strcmp(ir_attr_str(n, "mode", "DCR"), "CRD") == 0;
    /* Output seen as [N, c, H, b1, W, b2]: the input channel is
       (b1*b + b2)*c + ch for DCR, ch*b*b + b1*b + b2 for CRD. */
    int64_t d[6] = {N, c, H, b, W, b};
    int64_t st[6] = {C * hw, crd ? b * b * hw : hw, W, crd ? b * hw : b * c * hw, 1,
                     crd ? hw : c * hw};
    op_mv_view_copy(out[0].data, x->data, 6, d, st, 0, es);
    return 0;
}

int op_s2d_infer(OP_ARGS)
{
    (void)nin, (void)nout;
    const dn_shape *xs = &in[0]->shape;
    out[0].dtype = in[0]->dtype;
    int b = blocksize(n, e);
    if (b < 0) return -1;
    if (xs->rank < 0) {
        out[0].shape = dn_shape_make(4, NULL);
        return 0;
    }
    if (xs->rank != 4) return dn_errf(e, "SpaceToDepth needs a 4-D input, got rank %d", xs->rank);
    for (int i = 2; i < 4; i++)
        if (xs->d[i] >= 0 && xs->d[i] % b)
            return dn_errf(e, "SpaceToDepth: dim %d (%lld) not divisible by blocksize %d", i,
                           (long long)xs->d[i], b);
    int64_t d[4] = {xs->d[0], mul_or_unknown(xs->d[1], (int64_t)b * b),
                    xs->d[2] < 0 ? -1 : xs->d[2] / b, xs->d[3] < 0 ? -1 : xs->d[3] / b};
    out[0].shape = dn_shape_make(4, d);
    return 0;
}

int op_s2d_eval(OP_ARGS)
{
    (void)nin, (void)nout;
    const dn_tensor *x = in[0];
    size_t es = esize(x, e);
    if (!es) return -1;
    int64_t b = ir_attr_int(n, "blocksize", 1), N = x->shape.d[0], C = x->shape.d[1],
            H = x->shape.d[2], W = x->shape.d[3];
    /* Output channel (b1*b + b2)*C + c reads input (c, h*b + b1, w*b + b2). */
    int64_t d[6] = {N, b, b, C, H / b, W / b};
    int64_t st[6] = {C * H * W, W, 1, H * W, b * W, b};
    op_mv_view_copy(out[0].data, x->data, 6, d, st, 0, es);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Resize                                                              */
/* ------------------------------------------------------------------ */

enum { RZ_NEAREST, RZ_LINEAR };
enum { CT_HALF_PIXEL, CT_PYTORCH, CT_ALIGN, CT_ASYM, CT_TF_CROP, CT_HALF_SYM };
enum { NR_FLOOR_HALF, NR_CEIL_HALF, NR_FLOOR, NR_CEIL };

typedef struct rz_geom {
    int mode, ctm, nearest;
    float scale[DN_MAX_RANK], roi_s[DN_MAX_RANK], roi_e[DN_MAX_RANK];
} rz_geom;

static int pick(const char *v, const char *const *names, int cnt)
{
    for (int i = 0; i < cnt; i++)
        if (strcmp(v, names[i]) == 0) return i;
    return -1;
}

static int rz_attrs(const ir_node *n, rz_geom *z, dn_err *e)
{
    static const char *const modes[] = {"nearest", "linear"};
    static const char *const ctms[] = {"half_pixel",         "pytorch_half_pixel",
                                       "align_corners",      "asymmetric",
                                       "tf_crop_and_resize", "half_pixel_symmetric"};
    static const char *const nms[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"};
    const char *m = ir_attr_str(n, "mode", "nearest");
    const char *c = ir_attr_str(n, "coordinate_transformation_mode", "half_pixel");
    const char *nm = ir_attr_str(n, "nearest_mode", "round_prefer_floor");
    if ((z->mode = pick(m, modes, 2)) < 0) {
        if (strcmp(m, "cubic") == 0) return dn_errf(e, "Resize mode 'cubic' is not supported");
        return dn_errf(e, "Resize mode '%s' is not nearest, linear or cubic", m);
    }
    if ((z->ctm = pick(c, ctms, 6)) < 0)
        return dn_errf(e, "Resize coordinate_transformation_mode '%s' is not supported", c);
    if ((z->nearest = pick(nm, nms, 4)) < 0)
        return dn_errf(e, "Resize nearest_mode '%s' is not supported", nm);
    return 0;
}

/* An input given as an empty tensor counts as omitted (opset 11-13 models
   pass an empty `scales` next to `sizes`). */
static const dn_tensor *present(const dn_tensor *t)
{
    if (t && t->shape.rank == 1 && t->shape.d[0] == 0) return NULL;
    return t;
}

/* Output shape and the scale of every dim.  Returns 1 when known, 0 when
   the resized dims are unknown, -1 on error. */
static int rz_shape(const ir_node *n, const dn_tensor *const *in, int nin, rz_geom *z,
                    dn_shape *os, dn_err *e)
{
    const dn_shape *xs = &in[0]->shape;
    const dn_tensor *roi = present(opt_in(in, nin, 1)), *sc = present(opt_in(in, nin, 2)),
                    *sz = present(opt_in(in, nin, 3));
    int r = xs->rank, na;
    if (rz_attrs(n, z, e)) return -1;
    if (sc && sz) return dn_errf(e, "Resize takes scales or sizes, not both");
    if (!sc && !sz) return dn_errf(e, "Resize needs scales or sizes");
    int64_t ax[DN_MAX_RANK];
    const int64_t *aa = ir_attr_ints(n, "axes", &na);
    if (aa) {
        if (na > r) return dn_errf(e, "Resize has %d axes for rank %d", na, r);
        int seen[DN_MAX_RANK] = {0};
        for (int i = 0; i < na; i++) {
            int a;
            if (dn_axis(aa[i], r, &a, e)) return -1;
            if (seen[a]) return dn_errf(e, "Resize axis %lld repeated", (long long)aa[i]);
            seen[a] = 1;
            ax[i] = a;
        }
    } else {
        na = r;
        for (int i = 0; i < r; i++) ax[i] = i;
    }
    *os = *xs;
    for (int i = 0; i < r; i++) z->scale[i] = 1.0f, z->roi_s[i] = 0.0f, z->roi_e[i] = 1.0f;
    if ((sc && !sc->data) || (sz && !sz->data)) {
        for (int i = 0; i < na; i++) os->d[ax[i]] = -1;
        return 0;
    }
    if (roi && roi->data && z->ctm == CT_TF_CROP) {
        if (dn_shape_numel(&roi->shape) != 2 * na)
            return dn_errf(e, "Resize roi has %lld values for %d axes",
                           (long long)dn_shape_numel(&roi->shape), na);
        for (int i = 0; i < na; i++) {
            z->roi_s[ax[i]] = (float)dn_get(roi, i);
            z->roi_e[ax[i]] = (float)dn_get(roi, i + na);
        }
    }
    int known = 1;
    if (sc) {
        if (dn_shape_numel(&sc->shape) != na)
            return dn_errf(e, "Resize scales has %lld values for %d axes",
                           (long long)dn_shape_numel(&sc->shape), na);
        for (int i = 0; i < na; i++) {
            int a = (int)ax[i];
            float s = (float)dn_get(sc, i);
            if (!(s > 0.0f)) return dn_errf(e, "Resize scale %g is not positive", (double)s);
            z->scale[a] = s;
            if (xs->d[a] < 0) {
                os->d[a] = -1, known = 0;
                continue;
            }
            float len = (float)xs->d[a];
            if (z->ctm == CT_TF_CROP) len *= z->roi_e[a] - z->roi_s[a];
            /* float arithmetic, as ONNX Runtime does, so that both agree on
               boundary cases such as 0.1 * 10 */
            os->d[a] = (int64_t)floorf(len * s);
        }
        return known;
    }
    int64_t v[DN_MAX_RANK];
    int k = op_mv_ints(sz, v, DN_MAX_RANK, "Resize sizes", e);
    if (k < 0) return -1;
    if (k != na) return dn_errf(e, "Resize sizes has %d values for %d axes", k, na);
    const char *pol = ir_attr_str(n, "keep_aspect_ratio_policy", "stretch");
    int stretch = strcmp(pol, "stretch") == 0, larger = strcmp(pol, "not_smaller") == 0;
    if (!stretch && !larger && strcmp(pol, "not_larger"))
        return dn_errf(e, "Resize keep_aspect_ratio_policy '%s' is not supported", pol);
    float common = larger ? 0.0f : INFINITY;
    for (int i = 0; i < na; i++) {
        int a = (int)ax[i];
        if (v[i] < 0) return dn_errf(e, "Resize sizes[%d] is negative", i);
        if (xs->d[a] < 0) {
            os->d[a] = -1, known = 0;
            continue;
        }
        float s = xs->d[a] ? (float)v[i] / (float)xs->d[a] : 1.0f;
        z->scale[a] = s;
        os->d[a] = v[i];
        if (larger ? s > common : s < common) common = s;
    }
    if (!stretch && known)
        for (int i = 0; i < na; i++) {
            int a = (int)ax[i];
            z->scale[a] = common;
            os->d[a] = (int64_t)roundf(common * (float)xs->d[a]);
        }
    if (!stretch && !known)
        for (int i = 0; i < na; i++) os->d[ax[i]] = -1;
    return known;
}

/* Position in the input that output position x maps to along dim a. */
static float rz_coord(const rz_geom *z, int a, int64_t x, int64_t in_len, int64_t out_len)
{
    float s = z->scale[a], xf = (float)x;
    switch (z->ctm) {
    case CT_PYTORCH: return out_len > 1 ? (xf + 0.5f) / s - 0.5f : 0.0f;
    case CT_ALIGN:
        return out_len == 1 ? 0.0f : xf * (float)(in_len - 1) / (float)(out_len - 1);
    case CT_ASYM: return xf / s;
    case CT_TF_CROP: {
        float rs = z->roi_s[a], re = z->roi_e[a], il = (float)(in_len - 1);
        if (out_len > 1) return rs * il + xf * (re - rs) * il / (float)(out_len - 1);
        return 0.5f * (rs + re) * il;
    }
    case CT_HALF_SYM: {
        float adj = (float)out_len / (s * (float)in_len), center = (float)in_len / 2.0f;
        return center * (1.0f - adj) + (xf + 0.5f) / s - 0.5f;
    }
    default: return (xf + 0.5f) / s - 0.5f;
    }
}

static int64_t rz_nearest(float x, int mode)
{
    switch (mode) {
    case NR_FLOOR: return (int64_t)floorf(x);
    case NR_CEIL: return (int64_t)ceilf(x);
    case NR_CEIL_HALF: return (int64_t)roundf(x);
    default: /* round_prefer_floor, written as ONNX Runtime writes it */
        return x == (float)(int64_t)x + 0.5f ? (int64_t)x : (int64_t)roundf(x);
    }
}

int op_resize_infer(OP_ARGS)
{
    (void)nout;
    out[0].dtype = in[0]->dtype;
    rz_geom z;
    if (in[0]->shape.rank < 0) return rz_attrs(n, &z, e);
    return rz_shape(n, in, nin, &z, &out[0].shape, e) < 0 ? -1 : 0;
}

static int resize_nearest(const dn_tensor *x, dn_tensor *y, const rz_geom *z, const char *ext,
                          dn_err *e)
{
    int r = x->shape.rank;
    size_t es = dn_dtype_size(x->dtype);
    int64_t tot = 0, *map[DN_MAX_RANK];
    for (int a = 0; a < r; a++) tot += y->shape.d[a];
    int64_t *buf = malloc((size_t)(tot ? tot : 1) * sizeof *buf);
    if (!buf) return dn_errf(e, "out of memory");
    tot = 0;
    for (int a = 0; a < r; a++) {
        int64_t il = x->shape.d[a], ol = y->shape.d[a];
        map[a] = buf + tot;
        tot += ol;
        for (int64_t o = 0; o < ol; o++) {
            float c = rz_coord(z, a, o, il, ol);
            if (z->ctm == CT_TF_CROP && (c < 0.0f || c > (float)(il - 1))) {
                map[a][o] = -1;
                continue;
            }
            int64_t i = rz_nearest(c, z->nearest);
            map[a][o] = i < 0 ? 0 : i >= il ? il - 1 : i;
        }
    }
    int64_t xst[DN_MAX_RANK], idx[DN_MAX_RANK] = {0};
    dn_strides(&x->shape, xst);
    char *o = y->data;
    const char *xd = x->data;
    if (r == 0) {
        memcpy(o, xd, es);
    } else if (dn_shape_numel(&y->shape) > 0) {
        int64_t W = y->shape.d[r - 1];
        const int64_t *mw = map[r - 1];
        do {
            int64_t off = 0;
            int outside = 0;
            for (int k = 0; k < r - 1; k++) {
                int64_t i = map[k][idx[k]];
                if (i < 0) outside = 1;
                off += i * xst[k];
            }
            if (outside) {
                fill(o, ext, W, es);
            } else {
                for (int64_t j = 0; j < W; j++)
                    memcpy(o + j * (int64_t)es, mw[j] < 0 ? ext : xd + (off + mw[j]) * (int64_t)es,
                           es);
            }
            o += W * (int64_t)es;
        } while (next_outer(&y->shape, r - 1, idx));
    }
    free(buf);
    return 0;
}

/* Linear along one dim at a time: n-linear interpolation is separable. */
static int resize_linear(const dn_tensor *x, dn_tensor *y, const rz_geom *z, float ext, dn_err *e)
{
    int r = x->shape.rank;
    dn_shape cs = x->shape;
    int64_t numel = dn_shape_numel(&x->shape);
    float *cur = malloc((size_t)(numel ? numel : 1) * sizeof *cur);
    if (!cur) return dn_errf(e, "out of memory");
    memcpy(cur, x->data, (size_t)numel * sizeof *cur);
    for (int a = 0; a < r; a++) {
        int64_t il = cs.d[a], ol = y->shape.d[a];
        int64_t *i0 = malloc((size_t)(ol ? ol : 1) * 2 * sizeof *i0);
        float *w = malloc((size_t)(ol ? ol : 1) * sizeof *w);
        if (!i0 || !w) {
            free(i0), free(w), free(cur);
            return dn_errf(e, "out of memory");
        }
        int64_t *i1 = i0 + ol;
        int ident = il == ol;
        for (int64_t o = 0; o < ol; o++) {
            float c = rz_coord(z, a, o, il, ol);
            if (il == 0 || (z->ctm == CT_TF_CROP && (c < 0.0f || c > (float)(il - 1)))) {
                i0[o] = -1, i1[o] = -1, w[o] = 0.0f, ident = 0;
                continue;
            }
            c = c < 0.0f ? 0.0f : c > (float)(il - 1) ? (float)(il - 1) : c;
            int64_t lo = (int64_t)c;
            if (lo > il - 1) lo = il - 1;
            i0[o] = lo;
            i1[o] = lo + 1 < il ? lo + 1 : il - 1;
            w[o] = c - (float)lo;
            if (lo != o || w[o] != 0.0f) ident = 0;
        }
        if (ident) {
            free(i0), free(w);
            continue;
        }
        int64_t outer = 1, inner = 1;
        for (int k = 0; k < a; k++) outer *= cs.d[k];
        for (int k = a + 1; k < r; k++) inner *= cs.d[k];
        int64_t cnt = outer * ol * inner;
        float *nx = malloc((size_t)(cnt > 0 ? cnt : 1) * sizeof *nx);
        if (!nx) {
            free(i0), free(w), free(cur);
            return dn_errf(e, "out of memory");
        }
        for (int64_t ob = 0; ob < outer; ob++)
            for (int64_t o = 0; o < ol; o++) {
                float *dst = nx + (ob * ol + o) * inner;
                if (i0[o] < 0) {
                    for (int64_t k = 0; k < inner; k++) dst[k] = ext;
                    continue;
                }
                const float *p0 = cur + (ob * il + i0[o]) * inner,
                            *p1 = cur + (ob * il + i1[o]) * inner;
                float w1 = w[o], w0 = 1.0f - w1;
                for (int64_t k = 0; k < inner; k++) dst[k] = w0 * p0[k] + w1 * p1[k];
            }
        free(cur), free(i0), free(w);
        cur = nx;
        cs.d[a] = ol;
    }
    memcpy(y->data, cur, dn_tensor_bytes(y));
    free(cur);
    return 0;
}

int op_resize_eval(OP_ARGS)
{
    (void)nout;
    const dn_tensor *x = in[0];
    if (!esize(x, e)) return -1;
    rz_geom z;
    dn_shape os;
    if (rz_shape(n, in, nin, &z, &os, e) < 0) return -1;
    float ext = ir_attr_float(n, "extrapolation_value", 0.0f);
    if (z.mode == RZ_NEAREST) {
        char val[16] = {0};
        dn_tensor t = {x->dtype, dn_shape_make(0, NULL), val};
        dn_set(&t, 0, ext);
        return resize_nearest(x, &out[0], &z, val, e);
    }
    if (x->dtype != DN_F32)
        return dn_errf(e, "linear Resize supports f32 only, got %s", dn_dtype_name(x->dtype));
    if (ir_attr_int(n, "antialias", 0))
        for (int a = 0; a < x->shape.rank; a++)
            if (z.scale[a] < 1.0f)
                return dn_errf(e, "Resize with antialias=1 when downscaling is not supported");
    return resize_linear(x, &out[0], &z, ext, e);
}

/* ------------------------------------------------------------------ */
/* Trilu                                                               */
/* ------------------------------------------------------------------ */

static int trilu_k(const dn_tensor *const *in, int nin, int64_t *k, dn_err *e)
{
    const dn_tensor *t = opt_in(in, nin, 1);
    *k = 0;
    if (!t || !t->data) return 0;
    if (dn_shape_numel(&t->shape) != 1) return dn_errf(e, "Trilu k must hold one value");
    if (t->dtype != DN_I64 && t->dtype != DN_I32)
        return dn_errf(e, "Trilu k must be int64, got %s", dn_dtype_name(t->dtype));
    *k = dn_geti(t, 0);
    return 0;
}

int op_trilu_infer(OP_ARGS)
{
    (void)n, (void)nout;
    const dn_shape *xs = &in[0]->shape;
    out[0].dtype = in[0]->dtype;
    int64_t k = 0;
    if (trilu_k(in, nin, &k, e)) return -1;
    if (xs->rank >= 0 && xs->rank < 2)
        return dn_errf(e, "Trilu needs rank >= 2, got %d", xs->rank);
    out[0].shape = *xs;
    return 0;
}

int op_trilu_eval(OP_ARGS)
{
    (void)nout;
    const dn_tensor *x = in[0];
    size_t es = esize(x, e);
    if (!es) return -1;
    int64_t k = 0;
    if (trilu_k(in, nin, &k, e)) return -1;
    int upper = ir_attr_int(n, "upper", 1) != 0, r = x->shape.rank;
    int64_t N = x->shape.d[r - 2], M = x->shape.d[r - 1], mats = 1;
    for (int i = 0; i < r - 2; i++) mats *= x->shape.d[i];
    const char *src = x->data;
    char *dst = out[0].data;
    /* Output comes zeroed, and zero bits are zero in every dtype: copy
       only the kept span of each row. */
    for (int64_t m = 0; m < mats; m++)
        for (int64_t i = 0; i < N; i++) {
            int64_t lo = 0, hi = M;
            if (upper) {
                /* keep j - i >= k, computed without overflow for extreme k */
                lo = k > M - i ? M : (k < -i ? 0 : i + k);
            } else {
                hi = k >= M - i ? M : (k < -i - 1 ? 0 : i + k + 1);
            }
            if (hi > lo) {
                size_t off = (size_t)((m * N + i) * M + lo) * es;
                memcpy(dst + off, src + off, (size_t)(hi - lo) * es);
            }
        }
    return 0;
}
