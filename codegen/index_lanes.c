/* index_lanes.c -- how an index expression moves across w consecutive
 * values of one variable (cg_expr_lanes; docs/index-maps.md, "Lanes").
 *
 * The CPU family's elementwise kernels give each work-item w consecutive
 * output elements, gid = w*q + r for r in [0, w).  A read through a
 * composed map (Swin's window partition: 37632*(gid/37632) +
 * 4704*((gid/672)%8) + ...) then costs its div/mod once per work-item
 * instead of once per element, and its loads become w contiguous floats
 * instead of a gather -- when the map allows it.  This decides that:
 *
 *   uniform     e(w*q + r) = e(w*q)          every lane reads one element
 *   contiguous  e(w*q + r) = e(w*q) + r      lanes read w consecutive ones
 *   aligned     contiguous, with e(w*q) a multiple of w
 *
 * Aligned is what lets a DIV or MOD by a multiple of w pass through: if
 * w | B, w | k and 0 <= r < w, then (B + r) / k = B / k and
 * (B + r) % k = B % k + r, with w | B % k.  DIV and MOD dividends are
 * non-negative by construction (codegen.h), so the floor identities hold
 * for C's `/` and `%` too. */
#include "codegen.h"

typedef struct lanes {
    int kind;  /* CG_LANES_* */
    int multw; /* uniform: the value is a multiple of w; contiguous: e(w*q) is */
} lanes;

static lanes classify(const cg_expr *e, int var, int64_t w);

/* coef * t */
static lanes scale(lanes t, int64_t coef, int64_t w)
{
    if (t.kind == CG_LANES_UNIFORM || coef == 0)
        return (lanes){CG_LANES_UNIFORM, coef % w == 0 || (t.kind == CG_LANES_UNIFORM && t.multw)};
    if (t.kind == CG_LANES_CONTIGUOUS && coef == 1) return t;
    return (lanes){CG_LANES_NONE, 0};
}

/* x + y */
static lanes add(lanes x, lanes y)
{
    if (x.kind == CG_LANES_NONE || y.kind == CG_LANES_NONE) return (lanes){CG_LANES_NONE, 0};
    if (x.kind == CG_LANES_CONTIGUOUS && y.kind == CG_LANES_CONTIGUOUS)
        return (lanes){CG_LANES_NONE, 0}; /* moves by 2 a lane */
    if (x.kind == CG_LANES_UNIFORM && y.kind == CG_LANES_UNIFORM)
        return (lanes){CG_LANES_UNIFORM, x.multw && y.multw};
    return (lanes){CG_LANES_CONTIGUOUS, x.multw && y.multw}; /* one of each */
}

static lanes classify(const cg_expr *e, int var, int64_t w)
{
    switch (e->kind) {
    case CG_CONST:
        return (lanes){CG_LANES_UNIFORM, e->k % w == 0};
    case CG_VAR: /* gid itself is w*q + r; another variable does not move */
        return e->var == var ? (lanes){CG_LANES_CONTIGUOUS, 1} : (lanes){CG_LANES_UNIFORM, 0};
    case CG_SUM: {
        lanes acc = {CG_LANES_UNIFORM, e->k % w == 0};
        for (int i = 0; i < e->n && acc.kind != CG_LANES_NONE; i++)
            acc = add(acc, scale(classify(e->t[i].x, var, w), e->t[i].coef, w));
        return acc;
    }
    case CG_DIV:
    case CG_MOD: {
        lanes t = classify(e->x, var, w);
        if (t.kind == CG_LANES_UNIFORM) return (lanes){CG_LANES_UNIFORM, 0};
        if (t.kind == CG_LANES_CONTIGUOUS && t.multw && e->k % w == 0)
            return e->kind == CG_DIV ? (lanes){CG_LANES_UNIFORM, 0}
                                     : (lanes){CG_LANES_CONTIGUOUS, 1};
        return (lanes){CG_LANES_NONE, 0};
    }
    case CG_LUT: {
        lanes t = classify(e->x, var, w);
        return t.kind == CG_LANES_UNIFORM ? (lanes){CG_LANES_UNIFORM, 0}
                                          : (lanes){CG_LANES_NONE, 0};
    }
    }
    return (lanes){CG_LANES_NONE, 0};
}

int cg_expr_lanes(const cg_expr *e, int var, int64_t w)
{
    if (w < 1) return CG_LANES_NONE;
    lanes l = classify(e, var, w);
    return l.kind == CG_LANES_CONTIGUOUS && l.multw ? CG_LANES_ALIGNED : l.kind;
}
