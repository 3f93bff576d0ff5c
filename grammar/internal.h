/* internal.h -- private to grammar/: the arena, source texts, the parser's
 * state and what one parsed file contains.  Nothing here is public. */
#ifndef DNNF_GRAMMAR_INTERNAL_H
#define DNNF_GRAMMAR_INTERNAL_H

#include "grammar.h"

#include <stddef.h>

/* ---- arena (ast.c): every AST node and string of a module lives here,
   freed at once with the module ---- */
/* AST memory: engine's dn_arena (engine/arena.c). */
/* Appends elem (of size sz) to an arena array *arr of *n elements with
   capacity *cap, doubling into a new arena block when full. */
void gm_push(dn_arena *a, void *arr, int *n, int *cap, const void *elem, size_t sz);

/* A list of pointers that the parser grows while it reads a sequence. */
typedef struct gm_plist {
    void **v;
    int n, cap;
} gm_plist;
gm_plist *gm_plist_new(dn_arena *a);
gm_plist *gm_plist_add(dn_arena *a, gm_plist *l, void *p); /* returns l */

/* ---- sources (ast.c) ---- */
struct gm_src {
    char *name;
    char *text; /* NUL-terminated copy; the lexer reads up to len */
    size_t len;
    struct gm_src *next;
};
gm_src *gm_src_new(dn_arena *a, const char *name, const char *text, size_t len);

/* ---- what one file declares (filled by the parser) ---- */
typedef struct gm_include {
    const char *path;
    gm_loc loc;
} gm_include;

typedef struct gm_maplevel {
    const char *name;
    int level;
    gm_loc loc;
} gm_maplevel;

typedef struct gm_layoutname {
    const char *name;
    gm_loc loc;
} gm_layoutname;

typedef struct gm_unit {
    gm_include *inc;
    int ninc, capinc;
    gm_maplevel *map;
    int nmap, capmap;
    int nmapdecl; /* `mapping` statements seen (only one allowed) */
    gm_loc mapdecl_loc;
    gm_layoutname *lay;
    int nlay, caplay;
    gm_opdecl *ops;
    int nops, capops;
    gm_fuse *fuse;
    int nfuse, capfuse;
    gm_edge *edges;
    int nedges, capedges;
    gm_rule *rules;
    int nrules, caprules;
    gm_graph *graphs;
    int ngraphs, capgraphs;
} gm_unit;

/* ---- the parser (parser.y) and lexer (lexer.re) ---- */
typedef struct gm_parser {
    dn_arena *A;
    gm_diags *d;
    const gm_src *src;
    gm_unit *unit;
    /* lexer state */
    const char *cur, *lim, *tok, *line_start;
    int line;
    int depth; /* nesting of ( [ { : bounds the parser stack on hostile input */
} gm_parser;

/* Parses src into unit; errors into d.  Returns the number of syntax errors. */
int gm_parse(dn_arena *A, const gm_src *src, gm_unit *unit, gm_diags *d);

/* Expression constructors used by the parser. */
gm_expr *gm_mk(gm_parser *P, gm_ekind k, gm_loc loc);
gm_expr *gm_mk_bin(gm_parser *P, int op, gm_expr *a, gm_expr *b, gm_loc loc);
gm_expr *gm_mk_un(gm_parser *P, int op, gm_expr *a, gm_loc loc);

/* Semantic checks of a loaded module (check.c). */
struct gm_rules {
    dn_arena *A;
    gm_src *srcs;
    gm_unit all; /* every file's declarations, concatenated in load order */
};
void gm_check(gm_rules *r, gm_diags *d);

/* Builtin functions of guards, computed attributes and costs (check.c):
   their arity; -1 when not a builtin.  min/max arity as out params. */
int gm_builtin(const char *name, int *min_args, int *max_args);

#endif
