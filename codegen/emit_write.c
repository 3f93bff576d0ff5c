/* emit_write.c -- write-through: a block output stored into another
 * tensor's memory instead of its own (cg_block.wdest, cg_block.wmap;
 * docs/layout.md section 5).
 *
 * SmartMem folds a data-movement node into its *producer* when no reader
 * can take it: the pieces of a Concat written in place by the kernels
 * that compute them, a Transpose before a graph output absorbed by the
 * kernel before it.  The layout pass gives each such store a map from the
 * output's logical index to the destination's; here it becomes an offset
 * over the output's own row-major flat index f.
 *
 * Every template stores an output k as `aK[F] = value;`, F being the
 * element's flat index in that output (emit.c, emit_matmul.c,
 * emit_conv*.c, emit_reduce.c all do), so one rewrite of the finished
 * source serves every family: each `aK[F]` of a redirected output becomes
 * `aK[WK_(F)]`, with `#define WK_(f)` the offset expression, and argument
 * K is bound to the destination's buffer.  The rewrite happens before the
 * kernel is named, so the map is part of the body hash: two blocks that
 * differ only in where they write get two programs. */
#include "emit_impl.h"

#ifdef DNNF_HAVE_CODEGEN

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

char *cg_write_map_text(dn_arena *a, const cg_map *m, dn_err *e)
{
    cg_map fm;
    if (cg_map_flatten_domain(a, m, &fm, e)) return NULL;
    const cg_expr *off = cg_map_offset(a, &fm);
    static const char *const f[] = {"f"};
    int n = cg_print_debug(off, f, 1, NULL, 0);
    char *s = malloc((size_t)n + 1);
    if (!s) abort();
    cg_print_debug(off, f, 1, s, (size_t)n + 1);
    return s;
}

/* The OpenCL text of output k's offset macro body, over "(f)"; NULL with
   e when the block's text does not parse. */
static char *write_expr(dn_arena *a, const cg_block *b, int k, dn_err *e)
{
    static const char *const f[] = {"f"}, *const pf[] = {"(f)"};
    const cg_expr *x = cg_expr_parse(a, b->wmap[k], f, 1, e);
    if (!x) return NULL;
    int n = cg_print_cl(x, pf, 1, NULL, 0);
    char *s = malloc((size_t)n + 1);
    if (!s) abort();
    cg_print_cl(x, pf, 1, s, (size_t)n + 1);
    return s;
}

int ex_write_check(const cg_block *b, dn_err *e)
{
    if (!b->wdest) return 0;
    int rc = 0;
    dn_arena *a = dn_arena_new();
    for (int k = 0; k < b->noutputs && !rc; k++) {
        if (b->wdest[k] < 0) continue;
        char *s =
            b->wmap && b->wmap[k] ? write_expr(a, b, k, e) : (dn_errf(e, "no map"), (char *)NULL);
        if (!s) {
            dn_errpre(e, "write-through of output %d: ", k);
            rc = -1;
        }
        free(s);
    }
    dn_arena_free(a);
    return rc;
}

int ex_stores_contiguous_along(const cg_block *b, int64_t step)
{
    if (!b->wdest || b->noutputs == 0) return 0;
    int ok = 1;
    dn_arena *a = dn_arena_new();
    static const char *const f[] = {"f"};
    for (int k = 0; k < b->noutputs && ok; k++) {
        dn_err e;
        const cg_expr *x = b->wdest[k] >= 0 && b->wmap && b->wmap[k]
                               ? cg_expr_parse(a, b->wmap[k], f, 1, &e)
                               : NULL;
        /* the map's step at the first element stands for all of them: a
           choice of store order, not of what is stored */
        int64_t f0 = 0, f1 = step;
        ok = x && cg_expr_eval(x, &f1) - cg_expr_eval(x, &f0) == 1;
    }
    dn_arena_free(a);
    return ok;
}

/* src with every `aN[...]` of argument N (when wrap[N] is set) wrapped
   as `aN[WN_(...)]`, brackets nested inside the index kept balanced. */
static char *wrap_stores(const char *src, const int *wrap, int nargs)
{
    cg_sb out = {0};
    const char *p = src;
    while (*p) {
        int arg = -1;
        const char *q = p;
        if (*p == 'a' && (p == src || !ex_ident_char(p[-1])) && isdigit((unsigned char)p[1])) {
            char *end;
            long v = strtol(p + 1, &end, 10);
            if (*end == '[' && v >= 0 && v < nargs && wrap[v]) arg = (int)v, q = end;
        }
        if (arg < 0) {
            cg_sb_printf(&out, "%c", *p++);
            continue;
        }
        /* q is at the '['; find its partner */
        int depth = 0;
        const char *r = q;
        for (; *r; r++) {
            if (*r == '[') depth++;
            if (*r == ']' && --depth == 0) break;
        }
        if (!*r) { /* unbalanced: leave the text as it is */
            cg_sb_puts(&out, p);
            break;
        }
        cg_sb_printf(&out, "a%d[W%d_(%.*s)]", arg, arg, (int)(r - q - 1), q + 1);
        p = r + 1;
    }
    return cg_sb_take(&out);
}

char *ex_redirect_stores(const ex_ctx *x, const char *src)
{
    const cg_block *b = x->b;
    if (!b->wdest) return NULL;
    int *wrap = calloc((size_t)x->nargs + 1, sizeof *wrap);
    if (!wrap) abort();
    cg_sb defs = {0};
    dn_arena *a = dn_arena_new();
    for (int k = 0; k < b->noutputs; k++) {
        if (b->wdest[k] < 0) continue;
        dn_err e;
        char *body = write_expr(a, b, k, &e); /* checked by ex_write_check */
        if (!body) abort();
        int arg = x->argof[b->outputs[k]];
        wrap[arg] = 1;
        cg_sb_printf(&defs, "/* output %s is written into %s */\n#define W%d_(f) (%s)\n",
                     x->g->val[b->outputs[k]].name, x->g->val[b->wdest[k]].name, arg, body);
        free(body);
    }
    dn_arena_free(a);
    char *w = wrap_stores(src, wrap, x->nargs);
    cg_sb_puts(&defs, w);
    free(w);
    free(wrap);
    return cg_sb_take(&defs);
}

#endif
