/* index.c -- index expressions and index maps: arenas, node builders,
 * substitution, evaluation, ranges, linearisation, and the maps of the
 * data-movement operators with their composition.
 *
 * A map of Y = op(X) answers "which element of X does Y[v] hold?".  The
 * builders write that answer in the most literal form (a Reshape is
 * "linearise over Y, delinearise over X"); cg_simplify is what makes it
 * cheap.  Keeping the builders literal keeps them obviously right, and the
 * property test in tests/index checks the simplifier against the engine's
 * own operators. */
#include "codegen.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Builders                                                            */
/* ------------------------------------------------------------------ */

static cg_expr *node(dn_arena *a, int kind)
{
    cg_expr *e = dn_arena_alloc(a, sizeof *e);
    e->kind = kind;
    return e;
}

const cg_expr *cg_const(dn_arena *a, int64_t k)
{
    cg_expr *e = node(a, CG_CONST);
    e->k = k;
    return e;
}

const cg_expr *cg_var(dn_arena *a, int var)
{
    cg_expr *e = node(a, CG_VAR);
    e->var = var;
    return e;
}

const cg_expr *cg_sum(dn_arena *a, const cg_term *t, int n, int64_t k)
{
    cg_expr *e = node(a, CG_SUM);
    cg_term *c = dn_arena_alloc(a, (size_t)(n ? n : 1) * sizeof *c);
    if (n) memcpy(c, t, (size_t)n * sizeof *c);
    e->t = c;
    e->n = n;
    e->k = k;
    return e;
}

const cg_expr *cg_add(dn_arena *a, const cg_expr *x, const cg_expr *y)
{
    cg_term t[2] = {{1, x}, {1, y}};
    return cg_sum(a, t, 2, 0);
}

const cg_expr *cg_mul(dn_arena *a, const cg_expr *x, int64_t c)
{
    cg_term t = {c, x};
    return cg_sum(a, &t, 1, 0);
}

const cg_expr *cg_div(dn_arena *a, const cg_expr *x, int64_t k)
{
    cg_expr *e = node(a, CG_DIV);
    e->x = x;
    e->k = k;
    return e;
}

const cg_expr *cg_mod(dn_arena *a, const cg_expr *x, int64_t k)
{
    cg_expr *e = node(a, CG_MOD);
    e->x = x;
    e->k = k;
    return e;
}

const cg_expr *cg_lut(dn_arena *a, const cg_expr *x, const int64_t *tab, int n)
{
    cg_expr *e = node(a, CG_LUT);
    int64_t *t = dn_arena_alloc(a, (size_t)(n ? n : 1) * sizeof *t);
    if (n) memcpy(t, tab, (size_t)n * sizeof *t);
    e->x = x;
    e->tab = t;
    e->n = n;
    return e;
}

const cg_expr *cg_subst(dn_arena *a, const cg_expr *e, const cg_expr *const *by, int nby)
{
    switch (e->kind) {
    case CG_CONST:
        return e;
    case CG_VAR:
        return e->var < nby && by[e->var] ? by[e->var] : e;
    case CG_SUM: {
        cg_term *t = dn_arena_alloc(a, (size_t)(e->n ? e->n : 1) * sizeof *t);
        for (int i = 0; i < e->n; i++) {
            t[i].coef = e->t[i].coef;
            t[i].x = cg_subst(a, e->t[i].x, by, nby);
        }
        cg_expr *s = node(a, CG_SUM);
        s->t = t;
        s->n = e->n;
        s->k = e->k;
        return s;
    }
    case CG_DIV:
        return cg_div(a, cg_subst(a, e->x, by, nby), e->k);
    case CG_MOD:
        return cg_mod(a, cg_subst(a, e->x, by, nby), e->k);
    default: { /* CG_LUT: the table is immutable, share it */
        cg_expr *l = node(a, CG_LUT);
        l->x = cg_subst(a, e->x, by, nby);
        l->tab = e->tab;
        l->n = e->n;
        return l;
    }
    }
}

/* ------------------------------------------------------------------ */
/* Order, evaluation, ranges, costs                                     */
/* ------------------------------------------------------------------ */

static int cmp64(int64_t x, int64_t y)
{
    return x < y ? -1 : x > y;
}

int cg_expr_cmp(const cg_expr *x, const cg_expr *y)
{
    if (x == y) return 0;
    if (x->kind != y->kind) return cmp64(x->kind, y->kind);
    int c;
    switch (x->kind) {
    case CG_CONST:
        return cmp64(x->k, y->k);
    case CG_VAR:
        return cmp64(x->var, y->var);
    case CG_SUM:
        if ((c = cmp64(x->n, y->n))) return c;
        for (int i = 0; i < x->n; i++) {
            if ((c = cg_expr_cmp(x->t[i].x, y->t[i].x))) return c;
            if ((c = cmp64(x->t[i].coef, y->t[i].coef))) return c;
        }
        return cmp64(x->k, y->k);
    case CG_DIV:
    case CG_MOD:
        if ((c = cg_expr_cmp(x->x, y->x))) return c;
        return cmp64(x->k, y->k);
    default:
        if ((c = cg_expr_cmp(x->x, y->x))) return c;
        if ((c = cmp64(x->n, y->n))) return c;
        for (int i = 0; i < x->n; i++)
            if ((c = cmp64(x->tab[i], y->tab[i]))) return c;
        return 0;
    }
}

/* Floor division and remainder by a positive constant. */
static int64_t fdiv(int64_t a, int64_t c)
{
    return a / c - (a % c != 0 && a < 0);
}
static int64_t fmod64(int64_t a, int64_t c)
{
    return a - c * fdiv(a, c);
}

int64_t cg_expr_eval(const cg_expr *e, const int64_t *vars)
{
    switch (e->kind) {
    case CG_CONST:
        return e->k;
    case CG_VAR:
        return vars[e->var];
    case CG_SUM: {
        int64_t s = e->k;
        for (int i = 0; i < e->n; i++)
            s += e->t[i].coef * cg_expr_eval(e->t[i].x, vars);
        return s;
    }
    case CG_DIV:
        return fdiv(cg_expr_eval(e->x, vars), e->k);
    case CG_MOD:
        return fmod64(cg_expr_eval(e->x, vars), e->k);
    default: {
        int64_t i = cg_expr_eval(e->x, vars);
        return i >= 0 && i < e->n ? e->tab[i] : INT64_MIN;
    }
    }
}

/* Saturating arithmetic: an interval widened to the int64 limits is
   still a sound bound, and no rewrite trusts such a wide one. */
static int64_t sat_add(int64_t x, int64_t y)
{
    int64_t r;
    if (__builtin_add_overflow(x, y, &r)) return x > 0 ? INT64_MAX : INT64_MIN;
    return r;
}
static int64_t sat_mul(int64_t x, int64_t y)
{
    int64_t r;
    if (__builtin_mul_overflow(x, y, &r)) return (x > 0) == (y > 0) ? INT64_MAX : INT64_MIN;
    return r;
}

cg_range cg_expr_range(const cg_expr *e, const cg_range *var, int nvar)
{
    cg_range r = {INT64_MIN, INT64_MAX};
    switch (e->kind) {
    case CG_CONST:
        r.lo = r.hi = e->k;
        return r;
    case CG_VAR:
        return e->var < nvar ? var[e->var] : r;
    case CG_SUM:
        r.lo = r.hi = e->k;
        for (int i = 0; i < e->n; i++) {
            cg_range x = cg_expr_range(e->t[i].x, var, nvar);
            int64_t c = e->t[i].coef;
            int64_t a = sat_mul(c, x.lo), b = sat_mul(c, x.hi);
            r.lo = sat_add(r.lo, a < b ? a : b);
            r.hi = sat_add(r.hi, a < b ? b : a);
        }
        return r;
    case CG_DIV: {
        cg_range x = cg_expr_range(e->x, var, nvar);
        r.lo = fdiv(x.lo, e->k);
        r.hi = fdiv(x.hi, e->k);
        return r;
    }
    case CG_MOD: {
        cg_range x = cg_expr_range(e->x, var, nvar);
        if (x.lo > INT64_MIN && x.hi < INT64_MAX && fdiv(x.lo, e->k) == fdiv(x.hi, e->k)) {
            r.lo = fmod64(x.lo, e->k);
            r.hi = fmod64(x.hi, e->k);
        } else {
            r.lo = 0;
            r.hi = e->k - 1;
            if (x.lo >= 0 && x.hi < r.hi) r.hi = x.hi;
        }
        return r;
    }
    default: {
        cg_range x = cg_expr_range(e->x, var, nvar);
        int64_t lo = x.lo < 0 ? 0 : x.lo, hi = x.hi >= e->n ? e->n - 1 : x.hi;
        if (lo > hi) lo = 0, hi = e->n - 1;
        r.lo = INT64_MAX, r.hi = INT64_MIN;
        for (int64_t i = lo; i <= hi; i++) {
            if (e->tab[i] < r.lo) r.lo = e->tab[i];
            if (e->tab[i] > r.hi) r.hi = e->tab[i];
        }
        return r;
    }
    }
}

int cg_expr_uses(const cg_expr *e, int v)
{
    switch (e->kind) {
    case CG_CONST:
        return 0;
    case CG_VAR:
        return e->var == v;
    case CG_SUM:
        for (int i = 0; i < e->n; i++)
            if (cg_expr_uses(e->t[i].x, v)) return 1;
        return 0;
    default:
        return cg_expr_uses(e->x, v);
    }
}

void cg_expr_cost(const cg_expr *e, cg_cost *c)
{
    switch (e->kind) {
    case CG_CONST:
    case CG_VAR:
        return;
    case CG_SUM: {
        int terms = e->n + (e->k != 0);
        if (terms > 1) c->add += terms - 1;
        for (int i = 0; i < e->n; i++) {
            if (e->t[i].coef != 1 && e->t[i].coef != -1) c->mul++;
            cg_expr_cost(e->t[i].x, c);
        }
        return;
    }
    case CG_DIV:
        c->div++;
        break;
    case CG_MOD:
        c->mod++;
        break;
    default:
        c->lut++;
        break;
    }
    cg_expr_cost(e->x, c);
}

/* ------------------------------------------------------------------ */
/* Linearisation                                                       */
/* ------------------------------------------------------------------ */

const cg_expr *cg_linearize(dn_arena *a, const cg_expr *const *idx, const dn_shape *s)
{
    int64_t st[DN_MAX_RANK];
    dn_strides(s, st);
    cg_term t[DN_MAX_RANK];
    for (int k = 0; k < s->rank; k++)
        t[k] = (cg_term){st[k], idx[k]};
    return cg_sum(a, t, s->rank, 0);
}

void cg_delinearize(dn_arena *a, const cg_expr *flat, const dn_shape *s, const cg_expr **idx)
{
    int64_t st[DN_MAX_RANK];
    dn_strides(s, st);
    for (int k = 0; k < s->rank; k++) {
        const cg_expr *q = st[k] == 1 ? flat : cg_div(a, flat, st[k]);
        /* The outermost index needs no %: flat < numel already bounds it. */
        idx[k] = k == 0 ? q : cg_mod(a, q, s->d[k] > 0 ? s->d[k] : 1);
    }
}

/* ------------------------------------------------------------------ */
/* Maps of the data-movement operators                                 */
/* ------------------------------------------------------------------ */

static int need_known(const dn_shape *s, const char *what, dn_err *e)
{
    char b[128];
    if (!dn_shape_known(s))
        return dn_errf(e, "%s shape %s is not fully known", what, dn_shape_str(s, b, sizeof b));
    return 0;
}

/* A map over out's multi-dim domain, idx still to be filled. */
static int start_map(const dn_shape *in, const dn_shape *out, cg_map *m, dn_err *e)
{
    memset(m, 0, sizeof *m);
    if (need_known(in, "input", e) || need_known(out, "output", e)) return -1;
    m->out = *out;
    m->src = *in;
    m->nvar = out->rank;
    for (int k = 0; k < out->rank; k++)
        m->var[k] = (cg_range){0, out->d[k] - 1};
    return 0;
}

int cg_map_identity(dn_arena *a, const dn_shape *s, cg_map *m, dn_err *e)
{
    if (start_map(s, s, m, e)) return -1;
    for (int k = 0; k < s->rank; k++)
        m->idx[k] = cg_var(a, k);
    return 0;
}

int cg_map_reshape(dn_arena *a, const dn_shape *in, const dn_shape *out, cg_map *m, dn_err *e)
{
    if (start_map(in, out, m, e)) return -1;
    if (dn_shape_numel(in) != dn_shape_numel(out)) {
        char b1[128], b2[128];
        return dn_errf(e, "cannot reshape %s to %s: element counts differ",
                       dn_shape_str(in, b1, sizeof b1), dn_shape_str(out, b2, sizeof b2));
    }
    const cg_expr *v[DN_MAX_RANK];
    for (int k = 0; k < out->rank; k++)
        v[k] = cg_var(a, k);
    cg_delinearize(a, cg_linearize(a, v, out), in, m->idx);
    cg_map_simplify(a, m);
    return 0;
}

int cg_map_squeeze(dn_arena *a, const dn_shape *in, const int64_t *axes, int naxes, cg_map *m,
                   dn_err *e)
{
    if (need_known(in, "input", e)) return -1;
    int drop[DN_MAX_RANK] = {0};
    for (int i = 0; i < naxes; i++) {
        int ax;
        if (dn_axis(axes[i], in->rank, &ax, e)) return -1;
        if (in->d[ax] != 1)
            return dn_errf(e, "Squeeze: dim %d has size %lld, not 1", ax, (long long)in->d[ax]);
        drop[ax] = 1;
    }
    dn_shape o = dn_shape_make(0, NULL);
    for (int k = 0; k < in->rank; k++)
        if (!(naxes ? drop[k] : in->d[k] == 1)) o.d[o.rank++] = in->d[k];
    return cg_map_reshape(a, in, &o, m, e);
}

int cg_map_unsqueeze(dn_arena *a, const dn_shape *in, const int64_t *axes, int naxes, cg_map *m,
                     dn_err *e)
{
    if (need_known(in, "input", e)) return -1;
    int r = in->rank + naxes, ins[DN_MAX_RANK] = {0};
    if (r > DN_MAX_RANK) return dn_errf(e, "Unsqueeze to rank %d exceeds %d", r, DN_MAX_RANK);
    for (int i = 0; i < naxes; i++) {
        int ax;
        if (dn_axis(axes[i], r, &ax, e)) return -1;
        if (ins[ax]) return dn_errf(e, "Unsqueeze: axis %d repeated", ax);
        ins[ax] = 1;
    }
    dn_shape o = dn_shape_make(r, NULL);
    for (int k = 0, j = 0; k < r; k++)
        o.d[k] = ins[k] ? 1 : in->d[j++];
    return cg_map_reshape(a, in, &o, m, e);
}

int cg_map_flatten(dn_arena *a, const dn_shape *in, int64_t axis, cg_map *m, dn_err *e)
{
    if (need_known(in, "input", e)) return -1;
    int ax;
    if (axis < -in->rank || axis > in->rank)
        return dn_errf(e, "Flatten axis %lld out of range for rank %d", (long long)axis, in->rank);
    ax = (int)(axis < 0 ? axis + in->rank : axis);
    int64_t d[2] = {1, 1};
    for (int k = 0; k < in->rank; k++)
        d[k >= ax] *= in->d[k];
    dn_shape o = dn_shape_make(2, d);
    return cg_map_reshape(a, in, &o, m, e);
}

int cg_map_transpose(dn_arena *a, const dn_shape *in, const int64_t *perm, cg_map *m, dn_err *e)
{
    if (need_known(in, "input", e)) return -1;
    int seen[DN_MAX_RANK] = {0};
    dn_shape o = dn_shape_make(in->rank, NULL);
    for (int k = 0; k < in->rank; k++) {
        if (perm[k] < 0 || perm[k] >= in->rank || seen[perm[k]])
            return dn_errf(e, "Transpose perm is not a permutation of 0..%d", in->rank - 1);
        seen[perm[k]] = 1;
        o.d[k] = in->d[perm[k]];
    }
    if (start_map(in, &o, m, e)) return -1;
    for (int k = 0; k < in->rank; k++)
        m->idx[perm[k]] = cg_var(a, k);
    return 0;
}

int cg_map_slice(dn_arena *a, const dn_shape *in, const int64_t *start, const int64_t *step,
                 const dn_shape *out, cg_map *m, dn_err *e)
{
    if (start_map(in, out, m, e)) return -1;
    if (in->rank != out->rank)
        return dn_errf(e, "Slice changes rank %d to %d", in->rank, out->rank);
    for (int k = 0; k < in->rank; k++) {
        if (out->d[k] == 0) { /* nothing is read: any index will do */
            m->idx[k] = cg_const(a, 0);
            continue;
        }
        int64_t last = start[k] + step[k] * (out->d[k] - 1);
        if (start[k] < 0 || start[k] >= in->d[k] || last < 0 || last >= in->d[k])
            return dn_errf(e, "Slice along dim %d reads outside [0, %lld)", k, (long long)in->d[k]);
        /* One element: the step is moot (and step * v could overflow). */
        int64_t st = out->d[k] > 1 ? step[k] : 0;
        cg_term t = {st, cg_var(a, k)};
        m->idx[k] = st ? cg_sum(a, &t, 1, start[k]) : cg_const(a, start[k]);
    }
    cg_map_simplify(a, m);
    return 0;
}

int cg_map_tile(dn_arena *a, const dn_shape *in, const int64_t *repeats, cg_map *m, dn_err *e)
{
    if (need_known(in, "input", e)) return -1;
    dn_shape o = *in;
    for (int k = 0; k < in->rank; k++) {
        if (repeats[k] < 0) return dn_errf(e, "Tile repeats[%d] is negative", k);
        o.d[k] = in->d[k] * repeats[k];
    }
    if (start_map(in, &o, m, e)) return -1;
    for (int k = 0; k < in->rank; k++)
        m->idx[k] =
            repeats[k] == 1 ? cg_var(a, k) : cg_mod(a, cg_var(a, k), in->d[k] ? in->d[k] : 1);
    cg_map_simplify(a, m);
    return 0;
}

int cg_map_expand(dn_arena *a, const dn_shape *in, const dn_shape *out, cg_map *m, dn_err *e)
{
    if (start_map(in, out, m, e)) return -1;
    int lead = out->rank - in->rank;
    if (lead < 0) return dn_errf(e, "Expand to a lower rank (%d < %d)", out->rank, in->rank);
    for (int k = 0; k < in->rank; k++) {
        if (in->d[k] == 1 && out->d[k + lead] != 1)
            m->idx[k] = cg_const(a, 0); /* broadcast: stride 0 */
        else if (in->d[k] == out->d[k + lead])
            m->idx[k] = cg_var(a, k + lead);
        else
            return dn_errf(e, "Expand: dim %d of size %lld cannot become %lld", k,
                           (long long)in->d[k], (long long)out->d[k + lead]);
    }
    return 0;
}

int cg_map_concat_input(dn_arena *a, const dn_shape *in, const dn_shape *out, int axis,
                        int64_t offset, cg_map *m, dn_err *e)
{
    if (start_map(in, out, m, e)) return -1;
    if (in->rank != out->rank || axis < 0 || axis >= in->rank)
        return dn_errf(e, "Concat input of rank %d, output rank %d, axis %d", in->rank, out->rank,
                       axis);
    for (int k = 0; k < in->rank; k++) {
        if (k == axis) continue;
        if (in->d[k] != out->d[k])
            return dn_errf(e, "Concat input dim %d is %lld, output has %lld", k,
                           (long long)in->d[k], (long long)out->d[k]);
        m->idx[k] = cg_var(a, k);
    }
    if (offset < 0 || offset + in->d[axis] > out->d[axis])
        return dn_errf(e, "Concat input at offset %lld does not fit the output", (long long)offset);
    cg_term t = {1, cg_var(a, axis)};
    m->idx[axis] = cg_sum(a, &t, 1, -offset);
    m->guard[0] = (cg_guard){cg_var(a, axis), offset, offset + in->d[axis] - 1};
    m->nguard = 1;
    cg_map_simplify(a, m);
    return 0;
}

/* Pad: output position v reads input position v - begin.  In constant
   mode a guard keeps each padded dim inside the input (elsewhere the
   output is the constant, which the map does not know); cropped sides
   (negative pads) need none.  In wrap mode the position is taken modulo
   the dim: the dividend is lifted by a multiple of the dim so that it
   is never negative. */
int cg_map_pad(dn_arena *a, const dn_shape *in, const int64_t *pb, const int64_t *pe, int wrap,
               cg_map *m, dn_err *e)
{
    if (need_known(in, "input", e)) return -1;
    if (dn_shape_numel(in) == 0)
        return dn_errf(e, "Pad of an empty tensor reads nothing: every element is the constant");
    dn_shape o = *in;
    for (int k = 0; k < in->rank; k++) {
        o.d[k] = in->d[k] + pb[k] + pe[k];
        if (o.d[k] < 0) return dn_errf(e, "Pad makes dim %d negative", k);
    }
    if (start_map(in, &o, m, e)) return -1;
    for (int k = 0; k < in->rank; k++) {
        int64_t n = in->d[k];
        if (o.d[k] == 0) {
            m->idx[k] = cg_const(a, 0);
            continue;
        }
        if (wrap) {
            int64_t lift = pb[k] > 0 ? (pb[k] + n - 1) / n * n : 0;
            cg_term t = {1, cg_var(a, k)};
            m->idx[k] = cg_mod(a, cg_sum(a, &t, 1, lift - pb[k]), n);
            continue;
        }
        cg_term t = {1, cg_var(a, k)};
        m->idx[k] = cg_sum(a, &t, 1, -pb[k]);
        int64_t lo = pb[k] > 0 ? pb[k] : 0, hi = pb[k] + n - 1;
        if (hi > o.d[k] - 1) hi = o.d[k] - 1;
        if (lo == 0 && hi == o.d[k] - 1) continue;
        if (lo > hi) return dn_errf(e, "Pad reads nothing of dim %d: all of it is the constant", k);
        if (m->nguard == CG_MAX_GUARDS)
            return dn_errf(e, "Pad on more than %d dims", CG_MAX_GUARDS);
        m->guard[m->nguard++] = (cg_guard){cg_var(a, k), lo, hi};
    }
    cg_map_simplify(a, m);
    return 0;
}

int cg_map_pad_piece(dn_arena *a, const dn_shape *in, const dn_shape *out, int axis, int64_t coef,
                     int64_t add, int64_t lo, int64_t hi, cg_map *m, dn_err *e)
{
    if (start_map(in, out, m, e)) return -1;
    if (in->rank != out->rank || axis < 0 || axis >= in->rank)
        return dn_errf(e, "Pad piece of rank %d, output rank %d, axis %d", in->rank, out->rank,
                       axis);
    for (int k = 0; k < in->rank; k++) {
        if (k != axis && in->d[k] != out->d[k])
            return dn_errf(e, "Pad piece: dim %d is %lld, output has %lld", k, (long long)in->d[k],
                           (long long)out->d[k]);
        m->idx[k] = cg_var(a, k);
    }
    if (lo < 0 || hi >= out->d[axis] || lo > hi)
        return dn_errf(e, "Pad piece [%lld, %lld] outside the output's %lld", (long long)lo,
                       (long long)hi, (long long)out->d[axis]);
    /* both ends of the piece must read inside the input */
    int64_t r0 = coef * lo + add, r1 = coef * hi + add;
    if (r0 < 0 || r0 >= in->d[axis] || r1 < 0 || r1 >= in->d[axis])
        return dn_errf(e, "Pad piece reads outside [0, %lld)", (long long)in->d[axis]);
    cg_term t = {coef, cg_var(a, axis)};
    m->idx[axis] = coef ? cg_sum(a, &t, 1, add) : cg_const(a, add);
    m->guard[0] = (cg_guard){cg_var(a, axis), lo, hi};
    m->nguard = 1;
    cg_map_simplify(a, m);
    return 0;
}

int cg_map_gather(dn_arena *a, const dn_shape *data, int axis, const dn_shape *ishape,
                  const int64_t *ind, cg_map *m, dn_err *e)
{
    if (need_known(data, "data", e) || need_known(ishape, "indices", e)) return -1;
    if (axis < 0 || axis >= data->rank) return dn_errf(e, "Gather axis %d out of range", axis);
    int r = data->rank - 1 + ishape->rank;
    if (r > DN_MAX_RANK) return dn_errf(e, "Gather output rank %d exceeds %d", r, DN_MAX_RANK);
    dn_shape o = dn_shape_make(r, NULL);
    int k = 0;
    for (int i = 0; i < axis; i++)
        o.d[k++] = data->d[i];
    for (int i = 0; i < ishape->rank; i++)
        o.d[k++] = ishape->d[i];
    for (int i = axis + 1; i < data->rank; i++)
        o.d[k++] = data->d[i];
    if (start_map(data, &o, m, e)) return -1;
    int64_t ni = dn_shape_numel(ishape), dim = data->d[axis];
    int64_t *tab = dn_arena_alloc(a, (size_t)(ni ? ni : 1) * sizeof *tab);
    for (int64_t j = 0; j < ni; j++) {
        int64_t v = ind[j] < 0 ? ind[j] + dim : ind[j];
        if (v < 0 || v >= dim)
            return dn_errf(e, "Gather index %lld out of range for a dim of %lld", (long long)ind[j],
                           (long long)dim);
        tab[j] = v;
    }
    /* Which entry of the table: the indices dims of the output, linearised. */
    const cg_expr *iv[DN_MAX_RANK] = {0};
    for (int i = 0; i < ishape->rank; i++)
        iv[i] = cg_var(a, axis + i);
    const cg_expr *j = cg_linearize(a, iv, ishape);
    int progression = 1; /* tab[j] = tab[0] + s*j: affine, no table needed */
    int64_t s = ni > 1 ? tab[1] - tab[0] : 0;
    for (int64_t i = 2; i < ni && progression; i++)
        progression = tab[i] - tab[i - 1] == s;
    if (ni == 0)
        m->idx[axis] = cg_const(a, 0);
    else if (progression) {
        cg_term t = {s, j};
        m->idx[axis] = cg_sum(a, &t, 1, tab[0]);
    } else if (ni <= CG_LUT_MAX)
        m->idx[axis] = cg_lut(a, j, tab, (int)ni);
    else
        return dn_errf(e, "Gather with %lld irregular indices (at most %d fold into a map)",
                       (long long)ni, CG_LUT_MAX);
    for (int i = 0; i < axis; i++)
        m->idx[i] = cg_var(a, i);
    for (int i = axis + 1; i < data->rank; i++)
        m->idx[i] = cg_var(a, i - 1 + ishape->rank);
    cg_map_simplify(a, m);
    return 0;
}

/* DepthToSpace and SpaceToDepth are literally Reshape -> Transpose ->
   Reshape (the ONNX specification defines them so); building them by
   composition is the shortest correct definition and exercises the
   very machinery the layout pass relies on. */
static int chain3(dn_arena *a, const dn_shape *in, const dn_shape *mid, const int64_t *perm,
                  const dn_shape *out, cg_map *m, dn_err *e)
{
    cg_map r1, t, r2, x;
    if (cg_map_reshape(a, in, mid, &r1, e)) return -1;
    if (cg_map_transpose(a, mid, perm, &t, e)) return -1;
    if (cg_map_reshape(a, &t.out, out, &r2, e)) return -1;
    if (cg_map_compose(a, &r2, &t, &x, e)) return -1;
    return cg_map_compose(a, &x, &r1, m, e);
}

int cg_map_depth_to_space(dn_arena *a, const dn_shape *in, int64_t b, int crd, cg_map *m, dn_err *e)
{
    if (need_known(in, "input", e)) return -1;
    if (in->rank != 4 || b <= 0 || in->d[1] % (b * b))
        return dn_errf(e, "DepthToSpace needs a 4-D input with channels divisible by %lld",
                       (long long)(b * b));
    int64_t N = in->d[0], C = in->d[1] / (b * b), H = in->d[2], W = in->d[3];
    int64_t dcr[6] = {N, b, b, C, H, W}, crdm[6] = {N, C, b, b, H, W};
    int64_t pdcr[6] = {0, 3, 4, 1, 5, 2}, pcrd[6] = {0, 1, 4, 2, 5, 3};
    int64_t od[4] = {N, C, H * b, W * b};
    dn_shape mid = dn_shape_make(6, crd ? crdm : dcr), out = dn_shape_make(4, od);
    return chain3(a, in, &mid, crd ? pcrd : pdcr, &out, m, e);
}

int cg_map_space_to_depth(dn_arena *a, const dn_shape *in, int64_t b, cg_map *m, dn_err *e)
{
    if (need_known(in, "input", e)) return -1;
    if (in->rank != 4 || b <= 0 || in->d[2] % b || in->d[3] % b)
        return dn_errf(e, "SpaceToDepth needs a 4-D input with H and W divisible by %lld",
                       (long long)b);
    int64_t N = in->d[0], C = in->d[1], H = in->d[2] / b, W = in->d[3] / b;
    int64_t md[6] = {N, C, H, b, W, b}, perm[6] = {0, 3, 5, 1, 2, 4};
    int64_t od[4] = {N, C * b * b, H, W};
    dn_shape mid = dn_shape_make(6, md), out = dn_shape_make(4, od);
    return chain3(a, in, &mid, perm, &out, m, e);
}

/* ------------------------------------------------------------------ */
/* Composition and whole-map operations                                */
/* ------------------------------------------------------------------ */

/* A guard that bounds one variable narrows its range: the map is only
   asked about points where the guard holds, and the narrower range is
   what lets `v - offset` of a Concat input count as non-negative. */
static void narrow(cg_map *m)
{
    for (int g = 0; g < m->nguard; g++) {
        const cg_expr *x = m->guard[g].x;
        if (x->kind != CG_VAR || x->var >= m->nvar) continue;
        cg_range *r = &m->var[x->var];
        if (m->guard[g].lo > r->lo) r->lo = m->guard[g].lo;
        if (m->guard[g].hi < r->hi) r->hi = m->guard[g].hi;
    }
}

void cg_map_simplify(dn_arena *a, cg_map *m)
{
    /* A guard on one variable is left as it is: simplified with the range
       it narrowed itself, it would fold to a constant and vanish. */
    for (int g = 0; g < m->nguard; g++)
        if (m->guard[g].x->kind != CG_VAR)
            m->guard[g].x = cg_simplify(a, m->guard[g].x, m->var, m->nvar);
    narrow(m);
    int k = 0;
    for (int g = 0; g < m->nguard; g++) {
        cg_range r = cg_expr_range(m->guard[g].x, m->var, m->nvar);
        int always = r.lo >= m->guard[g].lo && r.hi <= m->guard[g].hi;
        /* A guard on a variable stays, even when its range now makes it
           true: the emitter needs it to pick this piece of a Concat. */
        if (always && m->guard[g].x->kind != CG_VAR) continue;
        m->guard[k++] = m->guard[g];
    }
    m->nguard = k;
    for (int d = 0; d < m->src.rank; d++)
        m->idx[d] = cg_simplify(a, m->idx[d], m->var, m->nvar);
}

int cg_map_compose(dn_arena *a, const cg_map *outer, const cg_map *inner, cg_map *out, dn_err *e)
{
    char b1[128], b2[128];
    if (!dn_shape_eq(&outer->src, &inner->out))
        return dn_errf(e, "cannot compose: the consumer reads %s, the producer writes %s",
                       dn_shape_str(&outer->src, b1, sizeof b1),
                       dn_shape_str(&inner->out, b2, sizeof b2));
    if (outer->nguard + inner->nguard > CG_MAX_GUARDS)
        return dn_errf(e, "cannot compose: more than %d guards", CG_MAX_GUARDS);
    const cg_expr *by[DN_MAX_RANK];
    int nby;
    if (inner->flat) {
        by[0] = cg_linearize(a, outer->idx, &outer->src);
        nby = 1;
    } else {
        for (int k = 0; k < inner->nvar; k++)
            by[k] = outer->idx[k];
        nby = inner->nvar;
    }
    cg_map m = *outer;
    m.src = inner->src;
    for (int g = 0; g < inner->nguard; g++) {
        cg_guard gd = inner->guard[g];
        gd.x = cg_subst(a, gd.x, by, nby);
        m.guard[m.nguard++] = gd;
    }
    for (int d = 0; d < inner->src.rank; d++)
        m.idx[d] = cg_subst(a, inner->idx[d], by, nby);
    cg_map_simplify(a, &m);
    *out = m;
    return 0;
}

int cg_map_flatten_domain(dn_arena *a, const cg_map *m, cg_map *out, dn_err *e)
{
    (void)e;
    if (m->flat) {
        *out = *m;
        return 0;
    }
    const cg_expr *by[DN_MAX_RANK];
    cg_delinearize(a, cg_var(a, 0), &m->out, by);
    cg_map f = *m;
    f.flat = 1;
    f.nvar = 1;
    f.var[0] = (cg_range){0, dn_shape_numel(&m->out) - 1};
    /* A range narrowed on one dim becomes a guard on its delinearised form. */
    for (int v = 0; v < m->nvar; v++) {
        if (m->var[v].lo == 0 && m->var[v].hi == m->out.d[v] - 1) continue;
        int seen = 0;
        for (int g = 0; g < m->nguard; g++)
            seen |= m->guard[g].x->kind == CG_VAR && m->guard[g].x->var == v;
        if (seen) continue;
        if (f.nguard == CG_MAX_GUARDS) return dn_errf(e, "more than %d guards", CG_MAX_GUARDS);
        f.guard[f.nguard++] = (cg_guard){cg_var(a, v), m->var[v].lo, m->var[v].hi};
    }
    for (int g = 0; g < f.nguard; g++)
        f.guard[g].x = cg_subst(a, f.guard[g].x, by, m->nvar);
    for (int d = 0; d < m->src.rank; d++)
        f.idx[d] = cg_subst(a, m->idx[d], by, m->nvar);
    cg_map_simplify(a, &f);
    *out = f;
    return 0;
}

const cg_expr *cg_map_offset(dn_arena *a, const cg_map *m)
{
    return cg_simplify(a, cg_linearize(a, m->idx, &m->src), m->var, m->nvar);
}

int cg_map_eval(const cg_map *m, const int64_t *vars, int64_t *idx)
{
    for (int g = 0; g < m->nguard; g++) {
        int64_t v = cg_expr_eval(m->guard[g].x, vars);
        if (v < m->guard[g].lo || v > m->guard[g].hi) return 0;
    }
    for (int d = 0; d < m->src.rank; d++)
        idx[d] = cg_expr_eval(m->idx[d], vars);
    return 1;
}

void cg_map_cost(dn_arena *a, const cg_map *m, cg_cost *c)
{
    cg_expr_cost(cg_map_offset(a, m), c);
}
