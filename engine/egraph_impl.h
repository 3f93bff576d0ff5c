/* egraph_impl.h -- private to the e-graph engine (egraph.c, match.c,
 * saturate.c, extract.c, trace.c, onnx_export.c).
 *
 * Everything an e-graph owns lives in its arena or in growable arrays
 * addressed by integer ids: e-nodes and e-classes are never freed one by
 * one, and ids stay valid when the arrays move.  The e-graph reads the
 * rules' AST (grammar.h) but never changes it. */
#ifndef DNNF_EGRAPH_IMPL_H
#define DNNF_EGRAPH_IMPL_H

#include "engine.h"
#include "grammar.h"

#include <uthash.h>

/* ------------------------------------------------------------------ */
/* Memory: an arena (per e-graph) and int vectors                       */
/* ------------------------------------------------------------------ */

/* The arena is engine/arena.c's dn_arena, embedded by value. */

typedef struct eg_ivec {
    int *v;
    int n, cap;
} eg_ivec;
void eg_ivec_push(eg_ivec *v, int x);
void eg_ivec_free(eg_ivec *v);

double eg_now_ms(void);

/* ------------------------------------------------------------------ */
/* E-nodes and e-classes                                               */
/* ------------------------------------------------------------------ */

enum { EG_OPNODE = 0, EG_INPUT = 1, EG_CONST = 2 };

typedef struct eg_node {
    int kind; /* EG_OPNODE, or a leaf: EG_INPUT / EG_CONST */
    int op;   /* EG_OPNODE: index into eg_graph.ops */
    int oidx; /* which output of a multi-output operator this node stands for */
    int nout; /* how many outputs that operator has */
    int nattr;
    const ir_attr *attr; /* sorted by name; shared, never freed one by one */
    int nch;
    int *ch;  /* child classes (canonical at the last rebuild); -1: omitted input */
    int leaf; /* EG_INPUT: source value id; EG_CONST: index into eg_graph.cst */
    uint64_t hash;
    int cls;             /* the class it was added to (eg_find gives the current one) */
    int next_hash;       /* next node in its hash-cons bucket, -1 at the end */
    int dup;             /* a congruent duplicate found by rebuild: ignored from then on */
    int origin;          /* source ir node id, or -1 */
    int record;          /* the rewrite (eg_graph.rec) that added it, or -1 */
    double flops, bytes; /* its cost, from the operator's declaration */
} eg_node;

typedef struct eg_const {
    dn_tensor t; /* data owned by the arena, or borrowed from the source graph */
    int value;   /* source value id, or -1 (folded or written by a rule) */
} eg_const;

typedef struct eg_class {
    int parent;      /* union-find */
    eg_ivec nodes;   /* its e-nodes (merged lists; dup nodes skipped) */
    eg_ivec parents; /* e-nodes that have this class as a child */
    int dtype;
    dn_shape shape;
    int cst;      /* index into eg_graph.cst when its contents are known, else -1 */
    int name;     /* a source value that names it, or -1 */
    int has_leaf; /* holds a constant or input leaf */
} eg_class;

typedef struct eg_bucket {
    uint64_t h;
    int first;
    UT_hash_handle hh;
} eg_bucket;

typedef struct eg_opinfo {
    const char *domain, *name;
    const op_def *def;     /* the reference operator, or NULL (a composite) */
    const gm_opdecl *decl; /* its declaration in the rules, or NULL */
    int commutative;
    eg_ivec nodes; /* every e-node of this operator */
    UT_hash_handle hh;
    char key[96];
} eg_opinfo;

/* One applied rewrite (trace.c writes them as JSON Lines). */
typedef struct eg_record {
    int rule; /* index into the compiled rules */
    const char *rule_name;
    int iter;
    int cls; /* the class the left side matched */
    int nmatched;
    int *matched;            /* e-nodes the left side matched, root first */
    int first_new, last_new; /* e-nodes added: [first_new, last_new) */
} eg_record;

typedef struct eg_graph {
    dn_arena arena;
    const ir_graph *src;
    const gm_rules *rules;
    eg_node *node;
    int nnode, cap_node;
    eg_class *cls;
    int ncls, cap_cls;
    eg_const *cst;
    int ncst, cap_cst;
    eg_opinfo **ops;
    int nops, cap_ops;
    eg_opinfo *opidx; /* uthash by "domain::name" */
    eg_bucket *hc;    /* hash-cons: node hash -> chain of nodes */
    eg_ivec pending;  /* classes whose parents must be re-canonicalised */
    eg_ivec analysis; /* nodes whose constant value may now be computable */
    int live_classes;
    int64_t fold_max_elems; /* largest constant folded inside the e-graph */
    /* the rule being applied: named when a union proves it unsound */
    const char *cur_rule;
    const char *cur_loc;
    int cur_record; /* the record new nodes belong to, or -1 */
    eg_record *rec;
    int nrec, cap_rec;
} eg_graph;

eg_graph *eg_graph_new(const gm_rules *rules);
void eg_graph_free(eg_graph *E);
int eg_find(eg_graph *E, int c);
/* The operator index for (domain, name), interned on first use. */
int eg_op_intern(eg_graph *E, const char *domain, const char *name);
/* Adds an operator node (children canonicalised here); returns its class.
   An existing equal node's class is returned instead.  -1 with a message
   when the operator's shape inference rejects the node. */
int eg_add_op(eg_graph *E, int op, int oidx, int nout, const ir_attr *attr, int nattr,
              const int *ch, int nch, int origin, dn_err *e);
int eg_add_input(eg_graph *E, int value, int dtype, const dn_shape *s);
/* A constant leaf; t.data is copied into the arena when copy != 0. */
int eg_add_const(eg_graph *E, const dn_tensor *t, int value, int copy);
/* 1: merged, 0: already one class, -1: the two disagree on dtype or shape
   (the rule being applied is unsound; message names it). */
int eg_union(eg_graph *E, int a, int b, dn_err *e);
/* Restores congruence and propagates analyses; -1 on an unsound merge. */
int eg_rebuild(eg_graph *E, dn_err *e);
/* Builds the e-graph of a whole graph; *cls_of_value gets the class of
   every value id (-1 for unused), caller frees. */
int eg_from_ir(eg_graph *E, const ir_graph *g, int **cls_of_value, dn_err *e);
/* The contents of class c when known, else NULL. */
const dn_tensor *eg_class_const(eg_graph *E, int c);
/* A tensor view of class c: dtype, shape and data when known. */
void eg_class_view(eg_graph *E, int c, dn_tensor *t);
/* Sorts attributes by name (the canonical order in e-node keys). */
void eg_sort_attrs(ir_attr *a, int n);
int eg_attr_eq(const ir_attr *a, const ir_attr *b);

/* ------------------------------------------------------------------ */
/* Expressions: guards, computed attributes, costs                     */
/* ------------------------------------------------------------------ */

/* The evaluator is grammar/'s (gm_eval, gm_val, grammar.h): the engine
   applies a rule under the very semantics `rules check` verified it with. */
/* A gm_val converted to an attribute of the given type (lists and
   strings copied into the arena). */
int eg_val_attr(dn_arena *A, const gm_val *v, const char *name, int type, ir_attr *out, dn_err *e);
/* An attribute declaration's default as an attribute (arena), or NULL. */
const ir_attr *eg_default_attr(dn_arena *A, const gm_attrdecl *d);

/* Cost of one node: flops and bytes from its declaration (defaults when
   it declares none). */
void eg_node_cost(const gm_opdecl *decl, const ir_node *n, const dn_tensor *const *in, int nin,
                  const dn_tensor *out, double *flops, double *bytes);
/* Shape inference of a composite through its body: out gets dtype and shape. */
int eg_body_infer(const gm_rules *R, const gm_opdecl *decl, const ir_node *n,
                  const dn_tensor *const *in, int nin, dn_tensor *out, dn_err *e);

/* ------------------------------------------------------------------ */
/* Compiled rules and the matcher (match.c)                            */
/* ------------------------------------------------------------------ */

typedef struct eg_rule {
    const gm_rule *src;
    const gm_expr *lhs, *rhs; /* one direction of the source rule */
    int dir;                  /* 0: =>, 1: the <=> rule read right to left */
    const char *name;
    char loc[300];   /* file:line */
    int has_literal; /* the left side holds a number */
    int nvars;
    const char *var[64];
    int var_kind[64]; /* 1 tensor, 2 attribute */
    int var_reg[64];
    int subsumed; /* commutativity of a commutative op: the matcher does it */
    int priority;
    /* scheduler */
    int banned_until, times_banned;
    int match_limit;      /* guard-passing matches allowed per iteration before a ban */
    int iter_count;       /* guard-passing matches found by the last search */
    int matches, applied; /* totals over the run */
} eg_rule;

typedef struct eg_matcher eg_matcher;

/* Compiles every rule into one decision trie; a rule the matcher cannot
   express is reported in e and compilation fails. */
eg_matcher *eg_matcher_new(eg_graph *E, const gm_rules *R, dn_err *e);
void eg_matcher_free(eg_matcher *M);
int eg_matcher_nrules(const eg_matcher *M);
/* Search budget: node visits per trie root and iteration; rules under a
   root that exceeds it are banned for ban_length << bans iterations. */
void eg_matcher_budget(eg_matcher *M, int steps, int ban_length);
eg_rule *eg_matcher_rule(eg_matcher *M, int i);

typedef struct eg_match {
    int rule;
    int *reg;             /* tensor registers (classes) */
    const ir_attr **areg; /* attribute registers */
    int *nodes;           /* matched e-nodes, root first */
    int nnodes;
} eg_match;

typedef struct eg_matches {
    eg_match *m;
    int n, cap;
    dn_arena arena;
} eg_matches;

/* Every match of every rule active at iteration iter whose guard passes. */
int eg_search(eg_matcher *M, int iter, eg_matches *out, dn_err *e);
void eg_matches_free(eg_matches *m);
/* Instantiates the right side of the match's rule; returns its class or
   -1 (e set, *fatal 0 when the right side merely does not apply here). */
int eg_instantiate(eg_matcher *M, const eg_match *m, dn_err *e);

/* ------------------------------------------------------------------ */
/* Extraction (extract.c) and the trace (trace.c)                      */
/* ------------------------------------------------------------------ */

/* The cheapest graph equivalent to E's source graph: its outputs are the
   classes cls_of_value[output].  *enode_of gets, per node of the result,
   the e-node it came from (caller frees). */
int eg_extract(eg_graph *E, const int *cls_of_value, ir_graph **out, int **enode_of, dn_err *e);
/* Writes the JSON Lines trace of a run. */
void eg_trace_write(eg_graph *E, eg_matcher *M, const ir_graph *out, const int *enode_of,
                    const eg_result *res, FILE *f);
/* The ONNX node names an e-node comes from (through the rewrites that
   made it) and the rules on the way, as ", "-joined text. */
void eg_provenance(eg_graph *E, eg_matcher *M, int enode, char *names, size_t nn, char *rules,
                   size_t nr);

#endif
