/* index_parse.c -- reads the debug form of index expressions back, so that
 * tests (tests/index/NAME.txt) can state inputs and expectations as text.
 *
 * Grammar, with C's precedence and left associativity:
 *   sum     := product (('+' | '-') product)*
 *   product := unary (('*' | '/' | '%') unary)*
 *   unary   := '-' unary | primary
 *   primary := INT | NAME | '(' sum ')' | '{' INT (',' INT)* '}' '[' sum ']'
 * Index expressions are affine up to div/mod, so one side of every * must
 * be constant and the right side of / and % a positive constant. */
#include "codegen.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

typedef struct ps {
    dn_arena *a;
    const char *s, *p;
    const char *const *names;
    int nnames;
    dn_err *e;
    int failed;
} ps;

static const cg_expr *sum(ps *p);

static void ws(ps *p)
{
    while (isspace((unsigned char)*p->p))
        p->p++;
}

static const cg_expr *fail(ps *p, const char *what)
{
    if (!p->failed) dn_errf(p->e, "%s at column %d of '%s'", what, (int)(p->p - p->s) + 1, p->s);
    p->failed = 1;
    return NULL;
}

static int integer(ps *p, int64_t *v)
{
    ws(p);
    if (!isdigit((unsigned char)*p->p)) return 0;
    char *end;
    long long x = strtoll(p->p, &end, 10);
    p->p = end;
    *v = x;
    return 1;
}

static const cg_expr *primary(ps *p)
{
    ws(p);
    int64_t v;
    if (integer(p, &v)) return cg_const(p->a, v);
    if (*p->p == '(') {
        p->p++;
        const cg_expr *x = sum(p);
        ws(p);
        if (!x || *p->p != ')') return fail(p, "expected ')'");
        p->p++;
        return x;
    }
    if (*p->p == '{') {
        int64_t tab[CG_LUT_MAX];
        int n = 0;
        p->p++;
        for (;;) {
            int neg = 0;
            ws(p);
            if (*p->p == '-') neg = 1, p->p++;
            if (n == CG_LUT_MAX || !integer(p, &tab[n])) return fail(p, "expected a table entry");
            if (neg) tab[n] = -tab[n];
            n++;
            ws(p);
            if (*p->p == ',') {
                p->p++;
                continue;
            }
            if (*p->p == '}') break;
            return fail(p, "expected ',' or '}'");
        }
        p->p++;
        ws(p);
        if (*p->p != '[') return fail(p, "expected '[' after a table");
        p->p++;
        const cg_expr *x = sum(p);
        ws(p);
        if (!x || *p->p != ']') return fail(p, "expected ']'");
        p->p++;
        return cg_lut(p->a, x, tab, n);
    }
    if (isalpha((unsigned char)*p->p) || *p->p == '_') {
        const char *b = p->p;
        while (isalnum((unsigned char)*p->p) || *p->p == '_')
            p->p++;
        size_t len = (size_t)(p->p - b);
        for (int i = 0; i < p->nnames; i++)
            if (p->names[i] && strlen(p->names[i]) == len && !strncmp(p->names[i], b, len))
                return cg_var(p->a, i);
        p->p = b;
        return fail(p, "unknown variable");
    }
    return fail(p, "expected a number, a variable or '('");
}

static const cg_expr *unary(ps *p)
{
    ws(p);
    if (*p->p == '-') {
        p->p++;
        const cg_expr *x = unary(p);
        if (!x) return NULL;
        return x->kind == CG_CONST ? cg_const(p->a, -x->k) : cg_mul(p->a, x, -1);
    }
    return primary(p);
}

static const cg_expr *product(ps *p)
{
    const cg_expr *x = unary(p);
    for (;;) {
        if (!x) return NULL;
        ws(p);
        char op = *p->p;
        if (op != '*' && op != '/' && op != '%') return x;
        p->p++;
        const cg_expr *y = unary(p);
        if (!y) return NULL;
        if (op == '*') {
            if (x->kind == CG_CONST && y->kind == CG_CONST)
                x = cg_const(p->a, x->k * y->k);
            else if (y->kind == CG_CONST)
                x = cg_mul(p->a, x, y->k);
            else if (x->kind == CG_CONST)
                x = cg_mul(p->a, y, x->k);
            else
                return fail(p, "a product of two variables is not an index expression");
        } else {
            if (y->kind != CG_CONST || y->k <= 0)
                return fail(p, "'/' and '%' need a positive constant on the right");
            x = op == '/' ? cg_div(p->a, x, y->k) : cg_mod(p->a, x, y->k);
        }
    }
}

static const cg_expr *sum(ps *p)
{
    const cg_expr *x = product(p);
    for (;;) {
        if (!x) return NULL;
        ws(p);
        char op = *p->p;
        if (op != '+' && op != '-') return x;
        p->p++;
        const cg_expr *y = product(p);
        if (!y) return NULL;
        x = op == '+' ? cg_add(p->a, x, y) : cg_add(p->a, x, cg_mul(p->a, y, -1));
    }
}

const cg_expr *cg_expr_parse(dn_arena *a, const char *text, const char *const *names, int nnames,
                             dn_err *e)
{
    ps p = {a, text, text, names, nnames, e, 0};
    const cg_expr *x = sum(&p);
    if (!x) return NULL;
    ws(&p);
    if (*p.p) return fail(&p, "unexpected text");
    return x;
}
