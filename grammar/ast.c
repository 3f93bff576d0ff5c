/* ast.c -- the memory and the messages of the language: an arena that
 * holds every AST node of a module (so a module is freed in one sweep and
 * the parser never frees on error paths), the source texts that locations
 * point into, diagnostics with a caret under the offending column, and
 * the printer that turns an expression back into source text. */
#include "internal.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Arena                                                               */
/* ------------------------------------------------------------------ */

void gm_push(dn_arena *a, void *arrp, int *n, int *cap, const void *elem, size_t sz)
{
    unsigned char **arr = arrp;
    if (*n == *cap) {
        int nc = *cap ? 2 * *cap : 4;
        unsigned char *na = dn_arena_alloc(a, (size_t)nc * sz);
        if (*n) memcpy(na, *arr, (size_t)*n * sz);
        *arr = na;
        *cap = nc;
    }
    memcpy(*arr + (size_t)*n * sz, elem, sz);
    (*n)++;
}

gm_plist *gm_plist_new(dn_arena *a)
{
    return dn_arena_alloc(a, sizeof(gm_plist));
}

gm_plist *gm_plist_add(dn_arena *a, gm_plist *l, void *p)
{
    gm_push(a, &l->v, &l->n, &l->cap, &p, sizeof p);
    return l;
}

/* ------------------------------------------------------------------ */
/* Sources                                                             */
/* ------------------------------------------------------------------ */

gm_src *gm_src_new(dn_arena *a, const char *name, const char *text, size_t len)
{
    gm_src *s = dn_arena_alloc(a, sizeof *s);
    s->name = dn_arena_strdup(a, name);
    s->text = dn_arena_strndup(a, text, len);
    s->len = len;
    return s;
}

const char *gm_src_name(const gm_src *s)
{
    return s ? s->name : "?";
}

/* ------------------------------------------------------------------ */
/* Diagnostics                                                         */
/* ------------------------------------------------------------------ */

struct gm_diags {
    char *buf;
    size_t len, cap;
    int count;
};

gm_diags *gm_diags_new(void)
{
    gm_diags *d = calloc(1, sizeof *d);
    if (!d) abort();
    return d;
}

void gm_diags_free(gm_diags *d)
{
    if (!d) return;
    free(d->buf);
    free(d);
}

int gm_diags_count(const gm_diags *d)
{
    return d->count;
}
const char *gm_diags_text(const gm_diags *d)
{
    return d->buf ? d->buf : "";
}

static void append(gm_diags *d, const char *s, size_t n)
{
    if (d->len + n + 1 > d->cap) {
        size_t nc = d->cap ? d->cap : 1024;
        while (nc < d->len + n + 1)
            nc *= 2;
        d->buf = realloc(d->buf, nc);
        if (!d->buf) abort();
        d->cap = nc;
    }
    memcpy(d->buf + d->len, s, n);
    d->len += n;
    d->buf[d->len] = 0;
}

static void appendf(gm_diags *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void appendf(gm_diags *d, const char *fmt, ...)
{
    char tmp[4096];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    append(d, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* The source line under a location, and a caret under its column; tabs in
   the line are kept in the caret line so the caret lines up. */
static void source_line(gm_diags *d, gm_loc loc)
{
    const char *p = loc.src->text, *end = loc.src->text + loc.src->len;
    for (int l = 1; l < loc.line && p < end; p++)
        if (*p == '\n') l++;
    const char *q = p;
    while (q < end && *q != '\n' && *q != '\r')
        q++;
    size_t n = (size_t)(q - p);
    if (n > 240) n = 240; /* a minified line would drown the message */
    append(d, "  ", 2);
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        append(d, (c >= 0x20 && c < 0x7f) || c == '\t' || (unsigned char)c >= 0x80 ? &c : "?", 1);
    }
    append(d, "\n  ", 3);
    for (int i = 1; i < loc.col && (size_t)(i - 1) < n; i++)
        append(d, p[i - 1] == '\t' ? "\t" : " ", 1);
    append(d, "^\n", 2);
}

void gm_error(gm_diags *d, gm_loc loc, const char *fmt, ...)
{
    if (!d) return;
    d->count++;
    if (d->count > GM_MAX_ERRORS) {
        if (d->count == GM_MAX_ERRORS + 1) appendf(d, "too many errors; stopping here\n");
        return;
    }
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (loc.src)
        appendf(d, "%s:%d:%d: %s\n", loc.src->name, loc.line, loc.col, msg);
    else
        appendf(d, "%s\n", msg);
    if (loc.src && loc.line > 0) source_line(d, loc);
}

/* ------------------------------------------------------------------ */
/* Expressions                                                         */
/* ------------------------------------------------------------------ */

gm_expr *gm_mk(gm_parser *P, gm_ekind k, gm_loc loc)
{
    gm_expr *e = dn_arena_alloc(P->A, sizeof *e);
    e->kind = k;
    e->loc = loc;
    e->domain = "";
    return e;
}

gm_expr *gm_mk_bin(gm_parser *P, int op, gm_expr *a, gm_expr *b, gm_loc loc)
{
    gm_expr *e = gm_mk(P, GM_BINARY, loc);
    e->op = op;
    e->nargs = 2;
    e->args = dn_arena_alloc(P->A, 2 * sizeof *e->args);
    e->args[0] = a;
    e->args[1] = b;
    return e;
}

gm_expr *gm_mk_un(gm_parser *P, int op, gm_expr *a, gm_loc loc)
{
    gm_expr *e = gm_mk(P, GM_UNARY, loc);
    e->op = op;
    e->nargs = 1;
    e->args = dn_arena_alloc(P->A, sizeof *e->args);
    e->args[0] = a;
    return e;
}

static const char *opname(int op)
{
    switch (op) {
    case GM_OP_LE:
        return "<=";
    case GM_OP_GE:
        return ">=";
    case GM_OP_EQ:
        return "==";
    case GM_OP_NE:
        return "!=";
    case GM_OP_AND:
        return "&&";
    case GM_OP_OR:
        return "||";
    case '+':
        return "+";
    case '-':
        return "-";
    case '*':
        return "*";
    case '/':
        return "/";
    case '%':
        return "%";
    case '<':
        return "<";
    case '>':
        return ">";
    case '!':
        return "!";
    default:
        return "?";
    }
}

static void print_num(const gm_expr *e, FILE *f)
{
    if (e->is_int) {
        fprintf(f, "%lld", (long long)e->inum);
        return;
    }
    char b[64];
    snprintf(b, sizeof b, "%.9g", e->num);
    fputs(b, f);
    if (!strpbrk(b, ".eEn")) fputs(".0", f); /* n: nan, inf */
}

void gm_expr_print(const gm_expr *e, FILE *f)
{
    if (!e) return;
    switch (e->kind) {
    case GM_NUM:
        print_num(e, f);
        break;
    case GM_STR:
        fprintf(f, "\"%s\"", e->str);
        break;
    case GM_NAME:
        fputs(e->str, f);
        break;
    case GM_OMIT:
        fputs("_", f);
        break;
    case GM_CALL:
    case GM_APP:
        if (e->domain && e->domain[0]) fprintf(f, "%s::", e->domain);
        fprintf(f, "%s(", e->str);
        for (int i = 0; i < e->nargs; i++) {
            if (i) fputs(", ", f);
            if (e->argnames && e->argnames[i]) fprintf(f, "%s=", e->argnames[i]);
            gm_expr_print(e->args[i], f);
        }
        fputc(')', f);
        if (e->has_attrs) {
            fputc('[', f);
            for (int i = 0; i < e->nattrs; i++) {
                if (i) fputs(", ", f);
                fprintf(f, "%s=", e->attrs[i].name);
                gm_expr_print(e->attrs[i].value, f);
            }
            fputc(']', f);
        }
        break;
    case GM_LIST:
        fputc('[', f);
        for (int i = 0; i < e->nargs; i++) {
            if (i) fputs(", ", f);
            gm_expr_print(e->args[i], f);
        }
        fputc(']', f);
        break;
    case GM_UNARY:
        fputs(opname(e->op), f);
        gm_expr_print(e->args[0], f);
        break;
    case GM_BINARY:
        fputc('(', f);
        gm_expr_print(e->args[0], f);
        fprintf(f, " %s ", opname(e->op));
        gm_expr_print(e->args[1], f);
        fputc(')', f);
        break;
    case GM_TENSOR:
        fputs("tensor(...)", f);
        break;
    }
}

const char *gm_expr_str(const gm_expr *e, char *buf, size_t n)
{
    if (!n) return buf;
    buf[0] = 0;
    FILE *f = fmemopen(buf, n, "w");
    if (!f) return buf;
    gm_expr_print(e, f);
    fclose(f);
    buf[n - 1] = 0;
    return buf;
}

const char *gm_verdict_name(int v)
{
    return v == GM_FUSE ? "fuse" : v == GM_PROFILE ? "profile" : v == GM_BREAK ? "break" : "?";
}

const char *gm_action_name(int a)
{
    switch (a) {
    case GM_KEEP:
        return "keep";
    case GM_TRY_FUSE:
        return "try_fuse";
    case GM_ELIM_FIRST:
        return "eliminate first";
    case GM_ELIM_SECOND:
        return "eliminate second";
    case GM_ELIM_BOTH:
        return "eliminate both";
    default:
        return "?";
    }
}

const char *gm_search_name(int s)
{
    switch (s) {
    case GM_SEARCH_FIRST:
        return "first";
    case GM_SEARCH_SECOND:
        return "second";
    case GM_SEARCH_BOTH:
        return "both";
    default:
        return "none";
    }
}
