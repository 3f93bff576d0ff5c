/*
 * grammar.h -- the one public header of grammar/: the `.rules` and
 * `.graph` language (docs/rules-language.md, docs/graph-format.md).
 *
 * One re2c lexer (lexer.re) and one Bison grammar (parser.y) read both
 * kinds of file into an AST whose every node carries its source location.
 * From there:
 *
 *   gm_  the AST, the arena it lives in, diagnostics, loading a set of
 *        `.rules` files (with `include`) and checking them (check.c);
 *        reading a `.graph` file into the engine's graph IR (graph_read.c);
 *   rl_  numerical verification of every rewrite rule with the reference
 *        operators of engine/ (verify.c), and the text dump of the
 *        lattice and tables (show.c).
 *
 * The AST types are public on purpose: later stages (the e-graph matcher,
 * fusion, layout) compile rules, tables and operator declarations from
 * them.  The module that owns them (gm_rules) is opaque.
 *
 * Library code never prints or exits: errors go into a gm_diags as
 * `file:line:col: message` lines, each followed by the source line and a
 * caret under the offending column.
 */
#ifndef DNNF_GRAMMAR_H
#define DNNF_GRAMMAR_H

#include "engine.h"

#include <stdint.h>
#include <stdio.h>

/* ------------------------------------------------------------------ */
/* Sources, locations, diagnostics (ast.c)                              */
/* ------------------------------------------------------------------ */

typedef struct gm_src gm_src; /* one source text and its file name */

typedef struct gm_loc {
    const gm_src *src; /* NULL: no location */
    int line, col;     /* 1-based; col counts bytes */
} gm_loc;

const char *gm_src_name(const gm_src *s);

/* A growing list of error messages. */
typedef struct gm_diags gm_diags;
gm_diags *gm_diags_new(void);
void gm_diags_free(gm_diags *d);
int gm_diags_count(const gm_diags *d);
/* All messages, in the order reported, each ending in '\n'. */
const char *gm_diags_text(const gm_diags *d);
/* Adds "file:line:col: message\n  <source line>\n  <caret>\n". */
void gm_error(gm_diags *d, gm_loc loc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Stops collecting after this many errors (default 50), so that a
   garbage input cannot produce megabytes of messages. */
#define GM_MAX_ERRORS 50

/* ------------------------------------------------------------------ */
/* The AST                                                              */
/* ------------------------------------------------------------------ */

/* One expression type serves terms (patterns), guards, computed
   attributes, costs and the literal values of `.graph` files. */
typedef enum gm_ekind {
    GM_NUM,    /* number: is_int tells 3 from 3.0 */
    GM_STR,    /* "text" */
    GM_NAME,   /* identifier: a variable, or a word such as f32 / true */
    GM_CALL,   /* name(args) where name is a builtin function */
    GM_APP,    /* an operator application: [domain::]Op(args)[attrs] */
    GM_LIST,   /* [a, b, ...] */
    GM_UNARY,  /* op is '-' or '!' */
    GM_BINARY, /* op is one of + - * / % < > and the GM_OP_* codes below */
    GM_OMIT,   /* `_`: an omitted optional operand */
    GM_TENSOR, /* tensor(TYPE[, [values]]) in .graph attributes */
} gm_ekind;

enum { GM_OP_LE = 256, GM_OP_GE, GM_OP_EQ, GM_OP_NE, GM_OP_AND, GM_OP_OR };

typedef struct gm_expr gm_expr;
typedef struct gm_type gm_type;

typedef struct gm_attrval {
    const char *name;
    gm_expr *value;
    gm_loc loc;
} gm_attrval;

struct gm_type {
    const char *dtype;      /* "f32", ... or "?" */
    int rank;               /* -1: unknown rank (written [*]) */
    int64_t d[DN_MAX_RANK]; /* -1: unknown dim (written ?) */
    gm_loc loc;
};

struct gm_expr {
    gm_ekind kind;
    gm_loc loc;
    int op;             /* GM_UNARY / GM_BINARY */
    int is_int;         /* GM_NUM */
    double num;         /* GM_NUM */
    int64_t inum;       /* GM_NUM when is_int */
    const char *str;    /* GM_STR text, GM_NAME / GM_CALL / GM_APP name */
    const char *domain; /* GM_APP: "" or the domain before :: */
    int nargs;
    gm_expr **args;        /* operands; GM_UNARY/GM_BINARY use args[0..1] */
    const char **argnames; /* GM_CALL named arguments (NULL entries for positional) */
    int nattrs;
    gm_attrval *attrs; /* GM_APP */
    int has_attrs;     /* GM_APP written with [...] */
    gm_type *type;     /* GM_TENSOR */
    int depth;         /* nesting depth (the parser bounds it: GM_MAX_DEPTH) */
};

/* Deepest expression nesting the parser accepts, so that every walk over
   an expression can recurse without fear of the C stack. */
#define GM_MAX_DEPTH 200

/* ---- operator declarations ---- */

typedef struct gm_param {
    const char *name;
    int optional;      /* X? */
    int variadic;      /* X... */
    const char *dtype; /* X: i64 -- the operand's dtype when not the data dtype, or NULL */
    gm_loc loc;
} gm_param;

typedef struct gm_attrdecl {
    const char *name;
    int type;      /* IR_ATTR_INT, _FLOAT, _STRING, _INTS, _FLOATS, _STRINGS */
    gm_expr *dflt; /* NULL: no default (required, or absent) */
    gm_loc loc;
} gm_attrdecl;

enum {
    GM_PROP_COMMUTATIVE = 1,
    GM_PROP_ASSOCIATIVE = 2,
    GM_PROP_BROADCAST = 4,
};

typedef struct gm_opdecl {
    const char *domain; /* "" for ONNX */
    const char *name;
    int nparams;
    gm_param *params;
    int nattrs;
    gm_attrdecl *attrs;
    const char *mapping; /* a mapping type of the lattice */
    const char *layout;  /* a SmartMem layout group */
    int flags;           /* GM_PROP_* */
    int ndistrib;
    const char **distributes_over; /* operator names */
    gm_expr *flops, *bytes;        /* cost; NULL when not given */
    gm_expr *body;                 /* composite: its definition in other operators, or NULL */
    int nprops;
    gm_attrval *props; /* the property list as written (value NULL for a bare word) */
    gm_loc loc;
} gm_opdecl;

/* ---- the two tables ---- */

enum { GM_FUSE = 1, GM_PROFILE = 2, GM_BREAK = 3 };

typedef struct gm_fuse {
    const char *first, *second; /* mapping types, or "*" */
    const char *result;         /* "first", "second", a mapping type, or NULL (break) */
    int verdict;                /* GM_FUSE / GM_PROFILE / GM_BREAK */
    gm_loc loc;                 /* the statement */
    gm_loc loc_first, loc_second, loc_result;
} gm_fuse;

enum {
    GM_KEEP = 1,
    GM_TRY_FUSE,
    GM_ELIM_FIRST,
    GM_ELIM_SECOND,
    GM_ELIM_BOTH,
};
enum { GM_SEARCH_NONE = 0, GM_SEARCH_FIRST, GM_SEARCH_SECOND, GM_SEARCH_BOTH };

typedef struct gm_edge {
    const char *producer, *consumer; /* layout groups, or "*" */
    int action;                      /* GM_KEEP ... */
    int search;                      /* whose layout is searched */
    gm_loc loc;                      /* the statement */
    gm_loc loc_producer, loc_consumer;
} gm_edge;

/* ---- rewrite rules ---- */

/* `with` clause: one explicit verification instance. */
typedef struct gm_binding {
    const char *var;
    gm_type *type;  /* x: f32[2,3] (data random) or x: i64[2] = [...] */
    gm_expr *value; /* attribute / constant value, or NULL */
    gm_loc loc;
} gm_binding;

typedef struct gm_instance {
    int n;
    gm_binding *b;
    gm_loc loc;
} gm_instance;

typedef struct gm_rule {
    const char *name;
    gm_expr *lhs, *rhs;
    int bidir;      /* <=> */
    gm_expr *guard; /* NULL: always */
    int priority;   /* default 0; higher wins */
    int ninst;
    gm_instance *inst;
    gm_loc loc;
} gm_rule;

/* ---- graphs (.graph) ---- */

typedef enum { GM_G_INPUT, GM_G_WEIGHT, GM_G_CONST, GM_G_NODE, GM_G_OUTPUT } gm_gkind;

typedef struct gm_gout {
    const char *name; /* NULL: `_`, an omitted output */
    gm_type *type;
    gm_loc loc;
} gm_gout;

typedef struct gm_gstmt {
    gm_gkind kind;
    const char *name; /* input / weight / const / output; node: its @name or NULL */
    gm_type *type;
    gm_expr *value; /* const: the list of values */
    int nouts;
    gm_gout *outs; /* node */
    gm_expr *app;  /* node: a GM_APP whose args are GM_NAME / GM_OMIT */
    gm_loc loc;
} gm_gstmt;

typedef struct gm_graph {
    const char *name;
    int64_t opset;
    int nstmts;
    gm_gstmt *stmts;
    gm_loc loc;
} gm_graph;

/* ------------------------------------------------------------------ */
/* Loading and checking .rules (rules.c, check.c)                      */
/* ------------------------------------------------------------------ */

typedef struct gm_rules gm_rules;

/* Parses each file (following `include "f"` relative to the including
   file, each file once) and checks the whole set.  Returns the module, or
   NULL if any file could not be read.  Errors (syntax and semantic) go to
   d; the module is usable for inspection even when d has errors, but
   callers should not verify or apply rules then. */
gm_rules *gm_rules_load(const char *const *paths, int npaths, gm_diags *d);
/* Same, from text in memory (name is used in messages); includes are
   resolved relative to the current directory. */
gm_rules *gm_rules_parse(const char *name, const char *text, size_t len, gm_diags *d);
void gm_rules_free(gm_rules *r);

int gm_rules_nops(const gm_rules *r);
const gm_opdecl *gm_rules_op(const gm_rules *r, int i);
const gm_opdecl *gm_rules_find_op(const gm_rules *r, const char *domain, const char *name);
int gm_rules_nrules(const gm_rules *r);
const gm_rule *gm_rules_rule(const gm_rules *r, int i);
int gm_rules_nfuse(const gm_rules *r);
const gm_fuse *gm_rules_fuse_entry(const gm_rules *r, int i);
int gm_rules_nedges(const gm_rules *r);
const gm_edge *gm_rules_edge(const gm_rules *r, int i);
/* The mapping-type lattice: levels from least to most complex; each level
   holds one or more types of equal rank. */
int gm_rules_nmapping(const gm_rules *r);
const char *gm_rules_mapping(const gm_rules *r, int i, int *level);
int gm_rules_mapping_level(const gm_rules *r, const char *type); /* -1 if unknown */
int gm_rules_nlayouts(const gm_rules *r);
const char *gm_rules_layout(const gm_rules *r, int i);

/* The fusion table's answer for (first, second): the most specific
   entry (exact pair over wildcards, later over earlier).  *result gets
   the block's mapping type (NULL on break).  0 when no entry matches. */
int gm_rules_fuse(const gm_rules *r, const char *first, const char *second, const char **result);
/* The edge table's action (and *search) for (producer, consumer); 0 if none. */
int gm_rules_edge_action(const gm_rules *r, const char *producer, const char *consumer,
                         int *search);

/* Names for printing. */
const char *gm_verdict_name(int verdict);
const char *gm_action_name(int action);
const char *gm_search_name(int search);
/* Writes e as source text (used by `rules show`, messages and tests). */
void gm_expr_print(const gm_expr *e, FILE *f);
/* Same into a buffer (truncated); returns buf. */
const char *gm_expr_str(const gm_expr *e, char *buf, size_t n);

/* ------------------------------------------------------------------ */
/* .graph files (graph_read.c)                                          */
/* ------------------------------------------------------------------ */

/* Reads a `.graph` text (exactly what ir_print writes, and hand-written
   graphs) into a new graph.  NULL with every error in d. */
ir_graph *gm_graph_parse(const char *name, const char *text, size_t len, gm_diags *d);
ir_graph *gm_graph_read(const char *path, gm_diags *d);

/* ------------------------------------------------------------------ */
/* Expressions: evaluation (eval.c)                                     */
/* ------------------------------------------------------------------ */

/* The one evaluator of guards, computed attributes and costs, with every
   builtin of docs/rules-language.md.  `rules check` (verify.c) and the
   e-graph engine (engine/match.c, extract.c) both call it, so a rule is
   applied under exactly the meaning it was verified under; they differ
   only in how names get values (a gm_lookup_fn). */

#define GM_MAXL 16 /* longest list value (pads of a 3-D conv: 6; room to spare) */

enum {
    GM_V_NONE,   /* no usable value (e.g. a list longer than GM_MAXL) */
    GM_V_TENSOR, /* t: dtype and shape (dims may be unknown); t.data NULL: contents unknown */
    GM_V_INT,    /* i */
    GM_V_FLOAT,  /* f */
    GM_V_INTS,   /* ints[0..n) (floats[] kept in step by eval.c, not relied on) */
    GM_V_FLOATS, /* floats[0..n) (ints[] likewise) */
    GM_V_STR,    /* s; also dtype names (f32 ...) */
    GM_V_BOOL,   /* i: 0 or 1 */
    GM_V_ABSENT, /* an optional input or attribute that is not there */
};

/* A value.  It never owns memory: a tensor is a view of the caller's, a
   string points into the AST or into an attribute. */
typedef struct gm_val {
    int kind; /* GM_V_* */
    dn_tensor t;
    int64_t i;
    double f;
    int n;
    int64_t ints[GM_MAXL];
    double floats[GM_MAXL];
    const char *s;
} gm_val;

/* The value of a variable: 0 with *out set (GM_V_ABSENT is allowed: using
   it is then an error), or -1 when name is not the caller's, after which
   the words true, false, nan, inf and the dtype names are tried. */
typedef int (*gm_lookup_fn)(void *ctx, const char *name, gm_val *out);

/* Evaluates e; lk may be NULL (literals only, e.g. declared defaults).
   -1 with a message in err when e has no value (a wrong type, a builtin
   that does not apply, an unknown name). */
int gm_eval(const gm_expr *e, gm_lookup_fn lk, void *ctx, gm_val *out, dn_err *err);
/* A guard's verdict: nonzero numbers and every tensor are true; absent
   and unusable values are false. */
int gm_truth(const gm_val *v);
/* `==` of the language: numbers by value, strings by text, lists (int or
   float, or an integer tensor of known contents) elementwise. */
int gm_val_eq(const gm_val *a, const gm_val *b);
/* int, float or bool */
int gm_val_is_num(const gm_val *v);
/* A number's value (the first element of a tensor of known contents,
   else NaN for a tensor). */
double gm_val_num(const gm_val *v);
/* An int list, or an integer tensor of known contents and at most
   GM_MAXL elements, into out (GM_MAXL room); -1 otherwise. */
int gm_val_ints(const gm_val *v, int64_t *out, int *n);

/* An attribute's value (GM_V_ABSENT for NULL; GM_V_NONE for lists longer
   than GM_MAXL and string lists). */
void gm_attr_val(const ir_attr *a, gm_val *v);
/* The attribute type a value takes when no declaration gives one. */
int gm_val_attr_type(const gm_val *v);
/* v as an attribute of IR_ATTR_* type `type` called name.  Lists are
   written to ints or floats (caller storage, GM_MAXL elements) and
   out->ints / out->floats point there; out->s points at v->s: the caller
   copies what it keeps.  -1 with a message when v does not convert. */
int gm_val_attr(const gm_val *v, const char *name, int type, ir_attr *out, int64_t *ints,
                float *floats, dn_err *err);

/* ------------------------------------------------------------------ */
/* Numerical verification (verify.c) and the text dump (show.c)         */
/* ------------------------------------------------------------------ */

typedef struct rl_options {
    int instances; /* instances per rule (at least 3) */
    uint64_t seed; /* random data and shapes */
    int max_tries; /* candidate instances tried per rule */
    double rtol, atol;
    int verbose;      /* one line per rule on the report stream */
    const char *only; /* verify only the rule of this name, or NULL */
} rl_options;

void rl_options_default(rl_options *o);

typedef struct rl_stats {
    int rules, sound, unsound, skipped;
} rl_stats;

/* Verifies every rule of r (both directions of <=>): evaluates both sides
   on random inputs for o->instances instances satisfying the guard, and
   reports each unsound rule (or a rule for which no instance could be
   found) as an error in d, with its counterexample.  Progress lines go
   to report when it is not NULL.  Returns the number of failing rules. */
int rl_verify(const gm_rules *r, const rl_options *o, FILE *report, rl_stats *st, gm_diags *d);

/* `dnnf rules show`: the lattice, both tables, operator and rule counts. */
void rl_show(const gm_rules *r, FILE *f);

#endif
