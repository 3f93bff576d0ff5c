/* index_print.c -- index expressions as text: OpenCL C for kernels, and a
 * compact debug form that tests compare and cg_expr_parse reads back.
 *
 * Both forms print a sum's terms in the order the simplifier left them
 * (larger strides first), and always parenthesise the operand of a / or %
 * unless it is a variable or a constant, so the text needs no knowledge
 * of C's left-to-right rule for * / % to be read correctly. */
#include "codegen.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef struct wr {
    char *buf;
    size_t cap, len;
    const char *const *names;
    int nnames;
    int cl; /* OpenCL form: spaces around operators, selects for tables */
} wr;

static void put(wr *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(wr *w, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t room = w->len < w->cap ? w->cap - w->len : 0;
    int k = vsnprintf(room ? w->buf + w->len : NULL, room, fmt, ap);
    va_end(ap);
    if (k > 0) w->len += (size_t)k;
}

static void expr(wr *w, const cg_expr *e);

static void name(wr *w, int v)
{
    if (w->names && v < w->nnames && w->names[v])
        put(w, "%s", w->names[v]);
    else
        put(w, "i%d", v);
}

static int simple(const cg_expr *e)
{
    return e->kind == CG_VAR || (e->kind == CG_CONST && e->k >= 0);
}

static void operand(wr *w, const cg_expr *e)
{
    if (simple(e)) {
        expr(w, e);
        return;
    }
    put(w, "(");
    expr(w, e);
    put(w, ")");
}

static void term(wr *w, int64_t c, const cg_expr *x, int first)
{
    const char *plus = w->cl ? " + " : "+", *minus = w->cl ? " - " : "-";
    if (!first)
        put(w, "%s", c < 0 ? minus : plus);
    else if (c < 0)
        put(w, "-");
    uint64_t a = c < 0 ? (uint64_t)0 - (uint64_t)c : (uint64_t)c;
    if (a != 1) {
        put(w, w->cl ? "%llu * " : "%llu*", (unsigned long long)a);
        operand(w, x);
    } else if (x->kind == CG_SUM) {
        operand(w, x);
    } else {
        expr(w, x);
    }
}

static void expr(wr *w, const cg_expr *e)
{
    switch (e->kind) {
    case CG_CONST:
        put(w, "%lld", (long long)e->k);
        return;
    case CG_VAR:
        name(w, e->var);
        return;
    case CG_SUM:
        if (e->n == 0) {
            put(w, "%lld", (long long)e->k);
            return;
        }
        if (e->k > 0 && e->t[0].coef < 0) {
            /* "9 - i" reads better than "-i + 9" */
            put(w, "%lld", (long long)e->k);
            for (int i = 0; i < e->n; i++)
                term(w, e->t[i].coef, e->t[i].x, 0);
            return;
        }
        for (int i = 0; i < e->n; i++)
            term(w, e->t[i].coef, e->t[i].x, i == 0);
        if (e->k) {
            uint64_t a = e->k < 0 ? (uint64_t)0 - (uint64_t)e->k : (uint64_t)e->k;
            put(w, "%s%llu", e->k < 0 ? (w->cl ? " - " : "-") : (w->cl ? " + " : "+"),
                (unsigned long long)a);
        }
        return;
    case CG_DIV:
    case CG_MOD:
        operand(w, e->x);
        put(w, w->cl ? " %c %lld" : "%c%lld", e->kind == CG_DIV ? '/' : '%', (long long)e->k);
        return;
    default:
        if (w->cl) {
            /* A select chain: OpenCL C has no constant array literals in
               expressions, and the tables are small (CG_LUT_MAX). */
            put(w, "(");
            for (int i = 0; i + 1 < e->n; i++) {
                operand(w, e->x);
                put(w, " == %d ? %lld : ", i, (long long)e->tab[i]);
            }
            put(w, "%lld)", (long long)e->tab[e->n - 1]);
        } else {
            put(w, "{");
            for (int i = 0; i < e->n; i++)
                put(w, i ? ",%lld" : "%lld", (long long)e->tab[i]);
            put(w, "}[");
            expr(w, e->x);
            put(w, "]");
        }
        return;
    }
}

static int run(const cg_expr *e, const char *const *names, int nnames, char *buf, size_t n, int cl)
{
    wr w = {buf, n, 0, names, nnames, cl};
    if (n) buf[0] = 0;
    expr(&w, e);
    return (int)w.len;
}

int cg_print_cl(const cg_expr *e, const char *const *names, int nnames, char *buf, size_t n)
{
    return run(e, names, nnames, buf, n, 1);
}

int cg_print_debug(const cg_expr *e, const char *const *names, int nnames, char *buf, size_t n)
{
    return run(e, names, nnames, buf, n, 0);
}

int cg_map_print_debug(const cg_map *m, const char *const *names, int nnames, char *buf, size_t n)
{
    wr w = {buf, n, 0, names, nnames, 0};
    if (n) buf[0] = 0;
    if (m->src.rank == 0) put(&w, "()"); /* a scalar: no index at all */
    for (int d = 0; d < m->src.rank; d++) {
        if (d) put(&w, " ; ");
        expr(&w, m->idx[d]);
    }
    for (int g = 0; g < m->nguard; g++) {
        put(&w, " if %lld<=", (long long)m->guard[g].lo);
        expr(&w, m->guard[g].x);
        put(&w, "<=%lld", (long long)m->guard[g].hi);
    }
    return (int)w.len;
}
