/*
 * engine.h -- the one public header of engine/.
 *
 * engine/ owns what every later stage reads: errors, dtypes, shapes and
 * dense tensors (dn_), the graph IR (ir_), ONNX import and export (ox_),
 * and the semantics of every operator (op_): its shape inference and its
 * evaluation.  One implementation of each operator serves constant
 * folding here, the reference interpreter in runtime/ and, later, rule
 * checking; that is why the operator code lives in engine/ and not in
 * runtime/ (dependencies point one way: down the pipeline, never up).
 *
 * Conventions: functions that can fail return 0 on success and -1 on
 * failure, with a message in a caller-owned dn_err.  No function here
 * prints or calls exit().
 */
#ifndef DNNF_ENGINE_H
#define DNNF_ENGINE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ------------------------------------------------------------------ */
/* Errors (engine/err.c)                                               */
/* ------------------------------------------------------------------ */

typedef struct dn_err {
    char msg[2048];
} dn_err;

/* Sets the message; always returns -1 so that `return dn_errf(...)` reads well. */
int dn_errf(dn_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prepends context ("node 'x' (Conv): ") to a message already set. */
int dn_errpre(dn_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ------------------------------------------------------------------ */
/* Arenas (engine/arena.c)                                             */
/* ------------------------------------------------------------------ */

/* Memory freed all at once: an AST, an e-graph, index expressions.  Make
   one with dn_arena_new (free with dn_arena_free), or embed one by value
   initialised to {0} (release with dn_arena_clear). */
typedef struct dn_arena {
    struct dn_arena_block *head;
    size_t used; /* bytes handed out */
} dn_arena;

dn_arena *dn_arena_new(void);
void dn_arena_free(dn_arena *a);             /* an arena from dn_arena_new */
void dn_arena_clear(dn_arena *a);            /* frees the memory, keeps the arena usable */
void *dn_arena_alloc(dn_arena *a, size_t n); /* zeroed, 16-byte aligned; aborts on OOM */
char *dn_arena_strdup(dn_arena *a, const char *s);
char *dn_arena_strndup(dn_arena *a, const char *s, size_t n);

/* ------------------------------------------------------------------ */
/* Dtypes, shapes, tensors (engine/tensor.c)                           */
/* ------------------------------------------------------------------ */

/* ONNX TensorProto.DataType numbers, so no translation table is needed. */
enum {
    DN_UNDEF = 0,
    DN_F32 = 1,
    DN_U8 = 2,
    DN_I8 = 3,
    DN_U16 = 4,
    DN_I16 = 5,
    DN_I32 = 6,
    DN_I64 = 7,
    DN_STRING = 8,
    DN_BOOL = 9,
    DN_F16 = 10,
    DN_F64 = 11,
    DN_U32 = 12,
    DN_U64 = 13,
};

size_t dn_dtype_size(int dtype);      /* bytes per element; 0 when unsupported */
const char *dn_dtype_name(int dtype); /* "f32", "i64", "bool", ...; "?" if unknown */
int dn_dtype_parse(const char *name); /* inverse of dn_dtype_name; DN_UNDEF if none */
int dn_dtype_is_float(int dtype);

#define DN_MAX_RANK 8

/* rank < 0: rank unknown.  d[i] < 0: that dim unknown. */
typedef struct dn_shape {
    int rank;
    int64_t d[DN_MAX_RANK];
} dn_shape;

dn_shape dn_shape_make(int rank, const int64_t *d);
dn_shape dn_shape_unknown(void);
int dn_shape_known(const dn_shape *s);     /* rank and every dim known */
int64_t dn_shape_numel(const dn_shape *s); /* -1 when not known */
int dn_shape_eq(const dn_shape *a, const dn_shape *b);
/* "[1,3,224,224]"; "[?]" for unknown rank, "?" for unknown dims. */
const char *dn_shape_str(const dn_shape *s, char *buf, size_t n);
/* Multidirectional (numpy) broadcast of a and b into out. */
int dn_broadcast(const dn_shape *a, const dn_shape *b, dn_shape *out, dn_err *e);
/* Normalises a possibly negative axis against rank; -1 with message if out of range. */
int dn_axis(int64_t axis, int rank, int *out, dn_err *e);
/* Row-major strides of s (elements). */
void dn_strides(const dn_shape *s, int64_t *strides);

/* A dense value.  data == NULL means "contents not known" (shape only). */
typedef struct dn_tensor {
    int dtype;
    dn_shape shape;
    void *data;
} dn_tensor;

size_t dn_tensor_bytes(const dn_tensor *t);   /* 0 when shape unknown */
int dn_tensor_alloc(dn_tensor *t, dn_err *e); /* zeroed data from dtype and shape */
void dn_tensor_free(dn_tensor *t);            /* frees data, leaves dtype and shape */
/* Element i (row-major) of any numeric or bool tensor, as double / int64. */
double dn_get(const dn_tensor *t, int64_t i);
int64_t dn_geti(const dn_tensor *t, int64_t i);
void dn_set(dn_tensor *t, int64_t i, double v);
void dn_seti(dn_tensor *t, int64_t i, int64_t v);

/* ------------------------------------------------------------------ */
/* Graph IR (engine/ir.c, engine/topo.c, engine/print.c)               */
/* ------------------------------------------------------------------ */

/* ONNX AttributeProto.AttributeType numbers. */
enum {
    IR_ATTR_UNDEF = 0,
    IR_ATTR_FLOAT = 1,
    IR_ATTR_INT = 2,
    IR_ATTR_STRING = 3,
    IR_ATTR_TENSOR = 4,
    IR_ATTR_GRAPH = 5,
    IR_ATTR_FLOATS = 6,
    IR_ATTR_INTS = 7,
    IR_ATTR_STRINGS = 8,
};

typedef struct ir_attr {
    char *name;
    int type;
    int64_t i;
    float f;
    char *s;
    int n; /* element count of ints / floats / strings */
    int64_t *ints;
    float *floats;
    char **strings;
    dn_tensor t; /* IR_ATTR_TENSOR: owns t.data */
} ir_attr;

enum {
    IR_VAL_INPUT = 1, /* graph input, fed at run time */
    IR_VAL_CONST = 2, /* initializer or folded constant */
    IR_VAL_NODE = 3,  /* produced by a node */
};

typedef struct ir_value {
    char *name;
    int kind;
    int dtype;
    dn_shape shape;
    void *data;    /* known contents (owned), or NULL */
    int producer;  /* node id for IR_VAL_NODE, else -1 */
    int is_output; /* listed among the graph outputs */
    /* kept in memory as itself, like an output, though none: a tensor in
       the layout the layout pass chose (layout/apply.c) */
    int pinned;
    /* ONNX external data not read yet (data == NULL until ox_load_weights). */
    char *ext_location;
    int64_t ext_offset, ext_length;
} ir_value;

typedef struct ir_node {
    char *name;   /* ONNX node name, never empty (one is made up if missing) */
    char *op;     /* op_type */
    char *domain; /* "" for the default ONNX domain */
    int nin, nout;
    int *in;  /* value ids; -1 marks an optional input left out */
    int *out; /* value ids; -1 marks an optional output left out */
    int nattr;
    ir_attr *attr;
    int dead; /* removed; skipped by every pass, dropped by ir_compact */
} ir_node;

struct ir_name; /* uthash entry, private to ir.c */

typedef struct ir_graph {
    char *name;
    char *path;    /* the file it came from, or NULL */
    char *dir;     /* that file's folder: external data is relative to it */
    int64_t opset; /* default-domain opset */
    ir_value *val;
    int nval, cap_val;
    ir_node *node;
    int nnode, cap_node;
    int *input, ninput;   /* value ids of graph inputs (not initializers) */
    int *output, noutput; /* value ids of graph outputs */
    struct ir_name *names;
} ir_graph;

ir_graph *ir_new(const char *name);
void ir_free(ir_graph *g);
char *ir_strdup(const char *s); /* aborts on out-of-memory, like every allocator here */
/* Adds a value; name NULL or "" makes a unique one.  Returns its id, -1 if the name exists. */
int ir_add_value(ir_graph *g, const char *name, int kind, int dtype, const dn_shape *shape);
int ir_find_value(const ir_graph *g, const char *name);
/* Adds a node and sets producer of its outputs; returns its id. */
int ir_add_node(ir_graph *g, const char *op, const char *name, const int *in, int nin,
                const int *out, int nout);
ir_attr *ir_add_attr(ir_graph *g, int node, const char *name, int type);
/* Adds to node a deep copy of attribute s (of any graph). */
ir_attr *ir_copy_attr(ir_graph *g, int node, const ir_attr *s);
void ir_add_input(ir_graph *g, int value);
void ir_add_output(ir_graph *g, int value);

const ir_attr *ir_attr_get(const ir_node *n, const char *name);
int64_t ir_attr_int(const ir_node *n, const char *name, int64_t dflt);
float ir_attr_float(const ir_node *n, const char *name, float dflt);
const char *ir_attr_str(const ir_node *n, const char *name, const char *dflt);
/* NULL (and *count = 0) when absent. */
const int64_t *ir_attr_ints(const ir_node *n, const char *name, int *count);
const float *ir_attr_floats(const ir_node *n, const char *name, int *count);

/* The value of input i of n as a tensor view (data may be NULL); NULL if left out. */
int ir_input_tensor(const ir_graph *g, const ir_node *n, int i, dn_tensor *t);

/* Live nodes in an order where producers come first.  *order gets ids
   (caller frees); returns the count, or -1 with a message on a cycle. */
int ir_topo_order(const ir_graph *g, int **order, dn_err *e);
/* Number of live consumers of each value (+1 per graph-output listing); caller frees. */
int *ir_use_counts(const ir_graph *g);
/* Replaces every use of value `from` by value `to` (node inputs and graph outputs). */
void ir_replace_uses(ir_graph *g, int from, int to);
/* Drops dead nodes and values no longer reachable; renumbers ids. */
void ir_compact(ir_graph *g);
/* Counts live nodes; with compute_only, Constant and Identity are not counted. */
int ir_count_nodes(const ir_graph *g, int compute_only);
/* Total bytes of constant values (parameters). */
int64_t ir_param_bytes(const ir_graph *g);

/* The `.graph` text form (docs/graph-format.md). */
void ir_print(const ir_graph *g, FILE *f);

/* ------------------------------------------------------------------ */
/* Operators (engine/op_*.c, engine/op_table.c)                         */
/* ------------------------------------------------------------------ */

/*
 * infer: sets dtype and shape of every out[i] from the inputs.  in[i] is
 *   NULL for an optional input left out; in[i]->data is NULL when that
 *   input's contents are not known (not a constant).  Unknown dims are
 *   propagated as -1, never guessed.  An operator whose result follows
 *   from shapes alone (Shape, Size) may also set out[i].data (malloc'd).
 * eval: computes the outputs.  Every present input has data; every
 *   out[i] comes with dtype and shape from infer and zeroed data.
 * Both return 0, or -1 with a message (the caller adds the node's name).
 */
typedef int (*op_infer_fn)(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out,
                           int nout, dn_err *e);
typedef int (*op_eval_fn)(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out,
                          int nout, dn_err *e);

typedef struct op_def {
    const char *name;
    int min_in, max_in; /* max_in < 0: variadic */
    int min_out, max_out;
    op_infer_fn infer;
    op_eval_fn eval;
} op_def;

/* The operator of (domain, op_type); NULL when dnnf does not implement it. */
const op_def *op_lookup(const char *domain, const char *op);
/* All operators, terminated by an entry with name NULL. */
const op_def *const *op_families(void);

/* Infers n's outputs from the graph's values (shape/dtype and any known
   data), checking arity first.  Writes results into g->val. */
int op_infer_node(ir_graph *g, int node, dn_err *e);
/* Evaluates n on tensors (used by folding and the reference interpreter):
   allocates out[i] (dtype/shape/data) and runs infer + eval. */
int op_run_node(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out, int nout,
                dn_err *e);

/* ------------------------------------------------------------------ */
/* Shape and constant inference (engine/fold.c)                         */
/* ------------------------------------------------------------------ */

typedef struct ir_fold_stats {
    int nodes_before, nodes_after; /* live nodes */
    int folded;                    /* nodes replaced by constants */
    int identities;                /* Identity nodes removed */
    int unknown_dims;              /* values with a dim still unknown */
} ir_fold_stats;

/* Infers every value's dtype and shape in topological order; with fold,
   evaluates every node whose inputs are all known constants (up to
   max_fold_bytes per output), removes Identity and dead nodes. */
int ir_infer(ir_graph *g, int fold, ir_fold_stats *st, dn_err *e);

/* ------------------------------------------------------------------ */
/* ONNX (engine/onnx.c, engine/weights.c)                               */
/* ------------------------------------------------------------------ */

ir_graph *ox_load(const char *path, dn_err *e);
/* Reads every initializer stored as external data.  With random != 0,
   tensors whose file is missing (or all of them, if random == 2) get
   deterministic pseudo-random values from seed instead (weights.c says
   how they are scaled). */
int ox_load_weights(ir_graph *g, int random, uint64_t seed, dn_err *e);
/* Writes a copy of the ONNX file src with every external initializer's
   contents taken from g and stored in one external-data file next to out
   (named after out, with ".weights"). */
int ox_save_weights_copy(const char *src, const ir_graph *g, const char *out, dn_err *e);

/* ------------------------------------------------------------------ */
/* E-graph engine (engine/egraph.c, match.c, saturate.c, extract.c,    */
/* trace.c, onnx_export.c; docs/engine.md)                             */
/* ------------------------------------------------------------------ */

struct gm_rules; /* grammar.h: a loaded set of .rules files */

/* The bounds of equality saturation (docs/engine.md has the defaults). */
typedef struct eg_limits {
    int max_iters;       /* saturation iterations */
    int max_nodes;       /* e-nodes in the e-graph */
    double max_ms;       /* wall time of saturation */
    int match_limit;     /* backoff: guard-passing matches of one rule per iteration before a ban */
    int ban_length;      /* backoff: iterations of the first ban (doubles with each ban) */
    int max_class_nodes; /* a class this large takes no more rewrites (AC explosion guard) */
    int search_steps;    /* node visits one trie root may make per iteration before its rules are
                            banned */
} eg_limits;

void eg_limits_default(eg_limits *l);
/* 0 when every bound is usable; -1 with a message otherwise. */
int eg_limits_check(const eg_limits *l, dn_err *e);

enum { EG_STOP_SATURATED = 0, EG_STOP_ITERS, EG_STOP_NODES, EG_STOP_TIME };
const char *eg_stop_name(int stop); /* "saturated", "iteration limit", ... */

typedef struct eg_iter_stats {
    int iter, matches, applied, rejected, capped, nodes, classes, banned;
    double search_ms, apply_ms, rebuild_ms;
} eg_iter_stats;

typedef struct eg_rule_stats {
    const char *name;
    char loc[300]; /* file:line */
    int dir;       /* 1: a <=> rule read right to left */
    int matches, applied, bans;
} eg_rule_stats;

typedef struct eg_result {
    ir_graph *graph; /* the optimized graph (the caller frees it with ir_free) */
    int stop;
    int iterations, enodes, eclasses, applied;
    int nodes_before, nodes_after; /* compute ops (GUIDE 7) */
    double flops_before, flops_after, bytes_before, bytes_after;
    double ms, saturate_ms, extract_ms;
    int nrules;
    eg_rule_stats *rules;
    int niter;
    eg_iter_stats *iter;
} eg_result;

/* Equality saturation of g with the rewrite rules of r within l, then
   extraction of the cheapest equivalent graph.  When trace is not NULL, a
   JSON Lines record is written to it for every applied rewrite and every
   extracted node a rule produced.  g is not changed.  Returns 0, or -1
   with a message (an unsound rule is named with its file:line). */
int eg_optimize(const ir_graph *g, const struct gm_rules *r, const eg_limits *l, FILE *trace,
                eg_result *res, dn_err *e);
void eg_result_free(eg_result *res); /* frees the statistics, not res->graph */

/* FLOPs and bytes moved of g by the operators' declared costs. */
void eg_graph_cost(const ir_graph *g, const struct gm_rules *r, double *flops, double *bytes);
/* Replaces every node whose operator the reference interpreter lacks by
   its composite definition (the body in the rules), so that rt_reference_run
   can run an optimized graph. */
int eg_expand_composites(ir_graph *g, const struct gm_rules *r, dn_err *e);
/* Writes g as an ONNX ModelProto: standard operators in the default
   domain, composites in the "dnnf" domain; constants inline, or in
   OUT.weights next to the file when larger than inline_max bytes. */
int eg_onnx_write(const ir_graph *g, const char *path, int64_t inline_max, dn_err *e);
/* `dnnf trace`: explains a trace file in plain text, optionally only the
   rewrites of rule `rule` and the nodes named `node` (either may be NULL). */
int eg_trace_explain(const char *path, const char *rule, const char *node, FILE *out, dn_err *e);

#endif
