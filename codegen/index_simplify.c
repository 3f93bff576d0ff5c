/* index_simplify.c -- the normal form of index expressions: div/mod
 * strength reduction with value ranges, and merging of loop dims.
 *
 * The simplifier rebuilds an expression bottom-up.  Every constructor
 * below (mk_sum, mk_div, mk_mod, mk_lut) takes operands already in normal
 * form and returns a normal form, so the rules only ever look one level
 * deep.  The rules, with the conditions that make each an identity of
 * integers (docs/index-maps.md has the proofs):
 *
 *   sums     flatten, fold constants, combine like terms, order terms;
 *            a*(y%c) + a*c*(y/c)       -> a*y             (pair: re-linearise)
 *            a*(y%c) + a*c*((y/c)%d)   -> a*(y%(c*d))     (pair: merge dims)
 *   x / c    c == 1 -> x;  x in [m*c, m*c+c) -> m;
 *            (y/a)/c -> y/(a*c);  (y%(c*d))/c -> (y/c)%d;
 *            x = g*y + r, g | c, r in [0, g) -> y/(c/g)   (with g == c: y)
 *            (c*q + r)/c -> q + r/c                 when r >= 0
 *   x % c    c == 1 -> 0;  x in [m*c, m*c+c) -> x - m*c;
 *            (y%(c*d))%c -> y%c;
 *            x = g*y + r, g | c, r in [0, g) -> g*(y%(c/g)) + r   (with g == c: r)
 *            (c*q + r)%c -> r%c, coefficients reduced mod c  when r >= 0
 *   tab[x]   x constant -> the entry;  the entries x can reach form an
 *            arithmetic progression -> affine.
 *
 * Non-negativity: a rewrite that creates a new div or mod checks that its
 * dividend's range is >= 0, so floor and C's truncation still agree. */
#include "codegen.h"

#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 256 /* recursion guard: past it, nodes are left as they are */

typedef struct sx {
    dn_arena *a;
    const cg_range *var;
    int nvar;
    int depth;
    int overflow; /* a constant would not fit: the caller keeps the original */
} sx;

static int64_t fdiv(int64_t a, int64_t c)
{
    return a / c - (a % c != 0 && a < 0);
}

static int64_t gcd64(int64_t x, int64_t y)
{
    if (x < 0) x = -x;
    if (y < 0) y = -y;
    while (y) {
        int64_t t = x % y;
        x = y;
        y = t;
    }
    return x;
}

static int64_t mul(sx *s, int64_t x, int64_t y)
{
    int64_t r;
    if (__builtin_mul_overflow(x, y, &r)) s->overflow = 1;
    return r;
}
static int64_t add(sx *s, int64_t x, int64_t y)
{
    int64_t r;
    if (__builtin_add_overflow(x, y, &r)) s->overflow = 1;
    return r;
}

static cg_range rng(sx *s, const cg_expr *e)
{
    return cg_expr_range(e, s->var, s->nvar);
}
static int finite(cg_range r)
{
    return r.lo > INT64_MIN && r.hi < INT64_MAX;
}
static int nonneg(sx *s, const cg_expr *e)
{
    return rng(s, e).lo >= 0;
}

/* ------------------------------------------------------------------ */
/* Term lists                                                          */
/* ------------------------------------------------------------------ */

typedef struct tlist {
    cg_term *t;
    int n, cap;
    int64_t k;
} tlist;

static void tl_init(sx *s, tlist *l, int cap)
{
    l->cap = cap < 8 ? 8 : cap;
    l->t = dn_arena_alloc(s->a, (size_t)l->cap * sizeof *l->t);
    l->n = 0;
    l->k = 0;
}

static void tl_push(sx *s, tlist *l, int64_t c, const cg_expr *x)
{
    if (l->n == l->cap) {
        cg_term *t = dn_arena_alloc(s->a, (size_t)l->cap * 2 * sizeof *t);
        memcpy(t, l->t, (size_t)l->n * sizeof *t);
        l->t = t;
        l->cap *= 2;
    }
    l->t[l->n++] = (cg_term){c, x};
}

/* Adds c*x with x in normal form: constants fold, sums flatten. */
static void tl_add(sx *s, tlist *l, int64_t c, const cg_expr *x)
{
    if (x->kind == CG_CONST) {
        l->k = add(s, l->k, mul(s, c, x->k));
    } else if (x->kind == CG_SUM) {
        l->k = add(s, l->k, mul(s, c, x->k));
        for (int i = 0; i < x->n; i++)
            tl_push(s, l, mul(s, c, x->t[i].coef), x->t[i].x);
    } else {
        tl_push(s, l, c, x);
    }
}

static int by_atom(const void *p, const void *q)
{
    const cg_term *x = p, *y = q;
    int c = cg_expr_cmp(x->x, y->x);
    return c ? c : (x->coef < y->coef ? -1 : x->coef > y->coef);
}

/* The printed order: larger strides first, which reads like row-major
   indexing ("7*(n/8) + i"); ties broken by the atoms' order. */
static int by_coef(const void *p, const void *q)
{
    const cg_term *x = p, *y = q;
    if (x->coef != y->coef) return x->coef > y->coef ? -1 : 1;
    return cg_expr_cmp(x->x, y->x);
}

static void tl_combine(sx *s, tlist *l)
{
    qsort(l->t, (size_t)l->n, sizeof *l->t, by_atom);
    int k = 0;
    for (int i = 0; i < l->n; i++) {
        if (k > 0 && cg_expr_cmp(l->t[k - 1].x, l->t[i].x) == 0)
            l->t[k - 1].coef = add(s, l->t[k - 1].coef, l->t[i].coef);
        else
            l->t[k++] = l->t[i];
    }
    int j = 0;
    for (int i = 0; i < k; i++)
        if (l->t[i].coef) l->t[j++] = l->t[i];
    l->n = j;
}

static void tl_remove(tlist *l, int i)
{
    memmove(&l->t[i], &l->t[i + 1], (size_t)(l->n - i - 1) * sizeof *l->t);
    l->n--;
}

/* ------------------------------------------------------------------ */
/* Constructors of normal forms                                         */
/* ------------------------------------------------------------------ */

static const cg_expr *mk_div(sx *s, const cg_expr *x, int64_t c);
static const cg_expr *mk_mod(sx *s, const cg_expr *x, int64_t c);

static const cg_expr *finish(sx *s, tlist *l)
{
    if (l->n == 0) return cg_const(s->a, l->k);
    if (l->n == 1 && l->t[0].coef == 1 && l->k == 0) return l->t[0].x;
    qsort(l->t, (size_t)l->n, sizeof *l->t, by_coef);
    return cg_sum(s->a, l->t, l->n, l->k);
}

/* y1 = y2 (mod c) for every value of the variables: their difference,
   as a normal sum, has only multiples of c. */
static int congruent(sx *s, const cg_expr *y1, const cg_expr *y2, int64_t c)
{
    tlist l;
    tl_init(s, &l, 8);
    tl_add(s, &l, 1, y1);
    tl_add(s, &l, -1, y2);
    tl_combine(s, &l);
    if (s->overflow || l.k % c) return 0;
    for (int i = 0; i < l.n; i++)
        if (l.t[i].coef % c) return 0;
    return 1;
}

/* The pair rules: a*(y%c) next to a*c*(y/c) or a*c*((y/c)%d).  Both say
   the same thing: the digits of y in a mixed radix, written next to each
   other at the right strides, are y itself (or y's lower digits).  Returns
   1 when a pair was replaced. */
static int pair_once(sx *s, tlist *l)
{
    for (int i = 0; i < l->n; i++) {
        const cg_expr *m = l->t[i].x;
        if (m->kind != CG_MOD) continue;
        int64_t a = l->t[i].coef, ac;
        if (__builtin_mul_overflow(a, m->k, &ac)) continue;
        const cg_expr *d = mk_div(s, m->x, m->k);
        for (int j = 0; j < l->n; j++) {
            if (j == i || l->t[j].coef != ac) continue;
            const cg_expr *x = l->t[j].x, *repl;
            const cg_expr *inner = x->kind == CG_MOD ? x->x : NULL;
            if (cg_expr_cmp(x, d) == 0) {
                repl = m->x; /* R1: a*(y%c) + a*c*(y/c) = a*y */
            } else if (x->kind == CG_DIV && x->k == m->k && congruent(s, x->x, m->x, m->k)) {
                /* R1 with y' = y (mod c), e.g. (2a+b)%4 next to (6a+b)/4
                   (the % had its coefficients reduced): a*y' */
                repl = x->x;
            } else if (inner && cg_expr_cmp(inner, d) == 0) {
                int64_t cd;
                if (__builtin_mul_overflow(m->k, x->k, &cd)) continue;
                repl = mk_mod(s, m->x, cd); /* R2: a*(y%c) + a*c*((y/c)%d) = a*(y%(c*d)) */
            } else if (inner && inner->kind == CG_DIV && inner->k == m->k &&
                       congruent(s, inner->x, m->x, m->k)) {
                int64_t cd;
                if (__builtin_mul_overflow(m->k, x->k, &cd)) continue;
                repl = mk_mod(s, inner->x, cd); /* R2 with y' = y (mod c) */
            } else {
                continue;
            }
            tl_remove(l, i > j ? i : j);
            tl_remove(l, i > j ? j : i);
            tl_add(s, l, a, repl);
            return 1;
        }
    }
    return 0;
}

static const cg_expr *mk_sum(sx *s, const cg_term *in, int n, int64_t k)
{
    tlist l;
    tl_init(s, &l, n * 2);
    l.k = k;
    for (int i = 0; i < n; i++)
        tl_add(s, &l, in[i].coef, in[i].x);
    tl_combine(s, &l);
    if (s->depth < MAX_DEPTH) {
        s->depth++;
        for (int it = 0; it < 64 && pair_once(s, &l); it++)
            tl_combine(s, &l);
        s->depth--;
    }
    return finish(s, &l);
}

static const cg_expr *sum2(sx *s, int64_t c1, const cg_expr *x1, int64_t c2, const cg_expr *x2,
                           int64_t k)
{
    cg_term t[2] = {{c1, x1}, {c2, x2}};
    return mk_sum(s, t, 2, k);
}

/* Candidate factors g of c for the split x = g*y + r: c itself and the
   gcds of c with the coefficients, closed under gcd (the best g is always
   the gcd of c with the coefficients it keeps).  Sorted, largest first. */
static int split_candidates(const cg_expr *x, int64_t c, int64_t *g, int max)
{
    int n = 0;
    g[n++] = c;
    for (int i = 0; i < x->n && n < max; i++) {
        int64_t v = gcd64(c, x->t[i].coef);
        int seen = 0;
        for (int j = 0; j < n; j++)
            seen |= g[j] == v;
        if (!seen && v > 1) g[n++] = v;
    }
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n && n < max; j++) {
            int64_t v = gcd64(g[i], g[j]);
            int seen = 0;
            for (int q = 0; q < n; q++)
                seen |= g[q] == v;
            if (!seen && v > 1) g[n++] = v;
        }
    for (int i = 1; i < n; i++) /* insertion sort, descending */
        for (int j = i; j > 0 && g[j] > g[j - 1]; j--) {
            int64_t t = g[j];
            g[j] = g[j - 1];
            g[j - 1] = t;
        }
    return n;
}

enum { OP_DIV, OP_MOD };

/* x = g*y + r with r in [0, g) and g | c:
     x / c = y / (c/g)        x % c = g*(y % (c/g)) + r
   NULL when no factor g > 1 splits x that way. */
static const cg_expr *split(sx *s, const cg_expr *x, int64_t c, int op)
{
    int64_t g[64];
    int ng = split_candidates(x, c, g, 64);
    for (int gi = 0; gi < ng; gi++) {
        int64_t G = g[gi];
        if (G <= 1) continue;
        tlist hi, lo;
        tl_init(s, &hi, x->n);
        tl_init(s, &lo, x->n);
        int64_t kh = fdiv(x->k, G);
        cg_range r = {x->k - kh * G, x->k - kh * G};
        for (int i = 0; i < x->n; i++) {
            if (x->t[i].coef % G == 0) {
                tl_push(s, &hi, x->t[i].coef / G, x->t[i].x);
            } else {
                tl_push(s, &lo, x->t[i].coef, x->t[i].x);
                cg_range t = rng(s, x->t[i].x);
                if (!finite(t)) goto next;
                int64_t p = mul(s, x->t[i].coef, t.lo), q = mul(s, x->t[i].coef, t.hi);
                r.lo = add(s, r.lo, p < q ? p : q);
                r.hi = add(s, r.hi, p < q ? q : p);
            }
        }
        if (s->overflow) return NULL;
        int64_t m = fdiv(r.lo, G);
        if (fdiv(r.hi, G) != m) continue;
        /* x = G*y + r' with y = hi + m and r' = lo - m*G in [0, G). */
        const cg_expr *y = mk_sum(s, hi.t, hi.n, add(s, kh, m));
        if (op == OP_DIV) {
            if (G == c) return y;
            if (!nonneg(s, y)) continue;
            return mk_div(s, y, c / G);
        }
        const cg_expr *rest = mk_sum(s, lo.t, lo.n, add(s, x->k - kh * G, -mul(s, m, G)));
        if (G == c) return rest;
        if (!nonneg(s, y)) continue;
        return sum2(s, G, mk_mod(s, y, c / G), 1, rest, 0);
    next:;
    }
    return NULL;
}

static const cg_expr *mk_div(sx *s, const cg_expr *x, int64_t c)
{
    if (c == 1) return x;
    if (x->kind == CG_CONST) return cg_const(s->a, fdiv(x->k, c));
    cg_range r = rng(s, x);
    if (finite(r) && fdiv(r.lo, c) == fdiv(r.hi, c)) return cg_const(s->a, fdiv(r.lo, c));
    if (s->depth >= MAX_DEPTH || s->overflow) return cg_div(s->a, x, c);
    s->depth++;
    const cg_expr *res = NULL;
    int64_t ac;
    if (x->kind == CG_DIV && !__builtin_mul_overflow(x->k, c, &ac)) {
        res = mk_div(s, x->x, ac); /* (y/a)/c = y/(a*c) */
    } else if (x->kind == CG_MOD && x->k % c == 0) {
        res = mk_mod(s, mk_div(s, x->x, c), x->k / c); /* (y%(c*d))/c = (y/c)%d */
    } else if (x->kind == CG_SUM) {
        res = split(s, x, c, OP_DIV);
        if (!res) {
            /* (c*q + r)/c = q + r/c: pull out the multiples of c. */
            tlist q, rest;
            tl_init(s, &q, x->n);
            tl_init(s, &rest, x->n);
            q.k = fdiv(x->k, c);
            rest.k = x->k - q.k * c;
            for (int i = 0; i < x->n; i++) {
                if (x->t[i].coef % c == 0)
                    tl_push(s, &q, x->t[i].coef / c, x->t[i].x);
                else
                    tl_push(s, &rest, x->t[i].coef, x->t[i].x);
            }
            if ((q.n || q.k) && rest.n) {
                const cg_expr *re = mk_sum(s, rest.t, rest.n, rest.k);
                if (nonneg(s, re))
                    res = sum2(s, 1, mk_sum(s, q.t, q.n, q.k), 1, mk_div(s, re, c), 0);
            }
        }
    }
    s->depth--;
    return res ? res : cg_div(s->a, x, c);
}

static const cg_expr *mk_mod(sx *s, const cg_expr *x, int64_t c)
{
    if (c == 1) return cg_const(s->a, 0);
    if (x->kind == CG_CONST) return cg_const(s->a, x->k - c * fdiv(x->k, c));
    cg_range r = rng(s, x);
    if (finite(r) && fdiv(r.lo, c) == fdiv(r.hi, c)) {
        int64_t m = fdiv(r.lo, c);
        return m == 0 ? x : sum2(s, 1, x, 0, x, -m * c); /* x - m*c */
    }
    if (s->depth >= MAX_DEPTH || s->overflow) return cg_mod(s->a, x, c);
    s->depth++;
    const cg_expr *res = NULL;
    if (x->kind == CG_MOD && x->k % c == 0) {
        res = mk_mod(s, x->x, c); /* (y%(c*d))%c = y%c */
    } else if (x->kind == CG_SUM) {
        res = split(s, x, c, OP_MOD);
        if (!res) {
            /* (c*q + r)%c = r%c, and each coefficient counts only mod c. */
            tlist l;
            tl_init(s, &l, x->n);
            l.k = x->k - c * fdiv(x->k, c);
            int changed = l.k != x->k;
            for (int i = 0; i < x->n; i++) {
                int64_t cf = x->t[i].coef - c * fdiv(x->t[i].coef, c);
                changed |= cf != x->t[i].coef;
                if (cf) tl_push(s, &l, cf, x->t[i].x);
            }
            if (changed) {
                const cg_expr *re = mk_sum(s, l.t, l.n, l.k);
                if (nonneg(s, re)) res = mk_mod(s, re, c);
            }
        }
    }
    s->depth--;
    return res ? res : cg_mod(s->a, x, c);
}

static const cg_expr *mk_lut(sx *s, const cg_expr *x, const cg_expr *orig)
{
    if (x->kind == CG_CONST && x->k >= 0 && x->k < orig->n) return cg_const(s->a, orig->tab[x->k]);
    cg_range r = rng(s, x);
    if (r.lo >= 0 && r.hi < orig->n && r.lo < r.hi) {
        /* The entries x can reach: an arithmetic progression is affine. */
        int64_t st = orig->tab[r.lo + 1] - orig->tab[r.lo];
        int ok = 1;
        for (int64_t i = r.lo + 1; i <= r.hi && ok; i++)
            ok = orig->tab[i] - orig->tab[i - 1] == st;
        if (ok) return sum2(s, st, x, 0, x, orig->tab[r.lo] - st * r.lo);
    }
    cg_expr *l = dn_arena_alloc(s->a, sizeof *l);
    *l = *orig;
    l->x = x;
    return l;
}

static const cg_expr *simp(sx *s, const cg_expr *e)
{
    switch (e->kind) {
    case CG_CONST:
        return e;
    case CG_VAR: /* a variable with one value is that value (a batch of 1) */
        if (e->var < s->nvar && s->var[e->var].lo == s->var[e->var].hi)
            return cg_const(s->a, s->var[e->var].lo);
        return e;
    case CG_SUM: {
        cg_term *t = dn_arena_alloc(s->a, (size_t)(e->n ? e->n : 1) * sizeof *t);
        for (int i = 0; i < e->n; i++)
            t[i] = (cg_term){e->t[i].coef, simp(s, e->t[i].x)};
        return mk_sum(s, t, e->n, e->k);
    }
    case CG_DIV:
        return mk_div(s, simp(s, e->x), e->k);
    case CG_MOD:
        return mk_mod(s, simp(s, e->x), e->k);
    default:
        return mk_lut(s, simp(s, e->x), e);
    }
}

const cg_expr *cg_simplify(dn_arena *a, const cg_expr *e, const cg_range *var, int nvar)
{
    sx s = {a, var, nvar, 0, 0};
    const cg_expr *r = simp(&s, e);
    return s.overflow ? e : r;
}

/* ------------------------------------------------------------------ */
/* Merging loop dims                                                   */
/* ------------------------------------------------------------------ */

static int divmods(dn_arena *a, const cg_map *m)
{
    cg_cost c = {0};
    cg_map_cost(a, m, &c);
    return c.div + c.mod + c.lut;
}

/* Dims k and k+1 of the loop walk as one variable u (v_k = u / d_{k+1},
   v_{k+1} = u % d_{k+1}) when the offset it reads costs no more div/mod
   that way: then they are contiguous in the source too, and one loop
   variable (and one div/mod fewer to recover it from a flat id) serves. */
int cg_map_merge_vars(dn_arena *a, const cg_map *m, cg_map *out, dn_err *e)
{
    (void)e;
    *out = *m;
    if (m->flat) return 0;
    cg_map cur = *m;
    int best = divmods(a, &cur);
    for (int k = cur.nvar - 2; k >= 0; k--) {
        int64_t dk = cur.out.d[k], dk1 = cur.out.d[k + 1];
        if (cur.var[k].lo != 0 || cur.var[k].hi != dk - 1 || cur.var[k + 1].lo != 0 ||
            cur.var[k + 1].hi != dk1 - 1 || dk == 0 || dk1 == 0)
            continue;
        cg_map nm = cur;
        const cg_expr *by[DN_MAX_RANK], *u = cg_var(a, k);
        for (int j = 0; j < k; j++)
            by[j] = cg_var(a, j);
        by[k] = cg_div(a, u, dk1);
        by[k + 1] = cg_mod(a, u, dk1);
        for (int j = k + 2; j < cur.nvar; j++)
            by[j] = cg_var(a, j - 1);
        nm.nvar = cur.nvar - 1;
        nm.out.rank = cur.out.rank - 1;
        nm.out.d[k] = dk * dk1;
        nm.var[k] = (cg_range){0, dk * dk1 - 1};
        for (int j = k + 1; j < nm.nvar; j++) {
            nm.out.d[j] = cur.out.d[j + 1];
            nm.var[j] = cur.var[j + 1];
        }
        /* Guards follow the renumbering; a guard on v_k or v_{k+1} has
           narrowed its range, so that pair was skipped above. */
        for (int g = 0; g < cur.nguard; g++)
            nm.guard[g].x = cg_subst(a, cur.guard[g].x, by, cur.nvar);
        for (int d = 0; d < cur.src.rank; d++)
            nm.idx[d] = cg_simplify(a, cg_subst(a, cur.idx[d], by, cur.nvar), nm.var, nm.nvar);
        int c = divmods(a, &nm);
        if (c <= best) {
            cur = nm;
            best = c;
        }
    }
    *out = cur;
    return 0;
}
