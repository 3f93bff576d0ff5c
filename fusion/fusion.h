/*
 * fusion.h -- the one public header of fusion/: DNNFusion's operator
 * fusion, driven entirely by the rules (docs/fusion.md).
 *
 *   mapping.c   the mapping type of every node, from its declaration in
 *               the rules, refined per input edge (a broadcasting operator
 *               whose input already has the output's shape is One-to-One
 *               on that edge);
 *   cost.c      FLOPs and bytes of one node from the cost(...) its
 *               declaration gives;
 *   profile.c   the profile database (measured block latencies keyed by
 *               device and block signature) and the static cost model
 *               that settles `profile` verdicts when nothing is measured;
 *   plan.c      plan generation: seeds, growth through successors then
 *               predecessors, the fusion table, the constraints, and
 *               recomputation of cheap One-to-One producers;
 *   validate.c  every node in exactly one block, blocks form a DAG, every
 *               join allowed by the table;
 *   report.c    the summary of GUIDE §7 and the block listing.
 *
 * A plan refers to its graph by node and value ids: it stays valid as long
 * as the graph is not changed.  Library code never prints (except the
 * report functions, onto the stream they are given) and never exits.
 */
#ifndef DNNF_FUSION_H
#define DNNF_FUSION_H

#include "engine.h"
#include "grammar.h"

#include <stdio.h>

/* ------------------------------------------------------------------ */
/* Mapping types (mapping.c)                                           */
/* ------------------------------------------------------------------ */

/* Types are indices into the rules' lattice (gm_rules_mapping(r, i, ..)). */
typedef struct fu_mapping fu_mapping;

/*
 * The type of every live node of g and of each of its input edges.  Every
 * operator of g must be declared in r: when some are not, returns NULL
 * with an error that names each missing operator once.
 */
fu_mapping *fu_mapping_build(const ir_graph *g, const gm_rules *r, dn_err *e);
void fu_mapping_free(fu_mapping *m);
/* The node's type: the most complex of its (input, output) pairs, counting
   only inputs that are not constants (a parameter is read by index, it is
   no intermediate result, so it does not make a bias Add One-to-Many). */
int fu_node_type(const fu_mapping *m, int node);
/* The type on input edge k of node (the declared type, except for a
   broadcasting operator: One-to-One when that input has the output's
   shape, One-to-Many when it is broadcast). */
int fu_edge_type(const fu_mapping *m, int node, int k);
/* The node's declared type, before any refinement. */
int fu_decl_type(const fu_mapping *m, int node);
const gm_opdecl *fu_node_decl(const fu_mapping *m, int node);
const char *fu_type_name(const fu_mapping *m, int type);
int fu_type_count(const fu_mapping *m);
int fu_type_level(const fu_mapping *m, int type);
/* The type of that name in the lattice, -1 if it has none. */
int fu_type_find(const fu_mapping *m, const char *name);
/* Pure views (Reshape, Squeeze, Unsqueeze, Flatten, Identity): an executor
   may alias their output to their input. */
int fu_is_view_op(const char *op);

/* ------------------------------------------------------------------ */
/* Cost of one node (cost.c)                                           */
/* ------------------------------------------------------------------ */

/* FLOPs and bytes moved by node i as its declaration's cost(...) gives
   them; 0 and 0 when the declaration has no cost or a shape is unknown. */
void fu_node_cost(const ir_graph *g, int node, const gm_opdecl *d, double *flops, double *bytes);
/* Bytes of value v (0 when its shape is not known). */
double fu_value_bytes(const ir_graph *g, int v);

/* ------------------------------------------------------------------ */
/* Profile database and static cost model (profile.c)                   */
/* ------------------------------------------------------------------ */

/* A device for the static model: what one kernel launch costs. */
typedef struct fu_device_model {
    char name[128];   /* key of the profile database ("static" without a device) */
    double gbytes_s;  /* memory bandwidth */
    double gflops_s;  /* arithmetic throughput */
    double launch_us; /* fixed cost of one launch */
    double tile;      /* outputs of a tiled Many-to-Many kernel that share one
                         load of an input element (what a fused prologue is
                         recomputed for) */
} fu_device_model;

/* The model used when no device is known (a 2-core CPU through PoCL). */
void fu_device_model_default(fu_device_model *d);
/* Estimated milliseconds of one kernel moving `bytes` and doing `flops`. */
double fu_estimate_ms(const fu_device_model *d, double bytes, double flops);

typedef struct fu_profile fu_profile;

/* Opens the database at path (missing file: empty), for device d.  path
   NULL: in memory only.  Lines are `DEVICE <TAB> SIGNATURE <TAB> MS`, and
   `@device <TAB> NAME <TAB> launch_us=X <TAB> gbytes_s=X <TAB> gflops_s=X
   [<TAB> tile=X]`: a device's measured constants (`dnnf profile`).  d NULL:
   the file's first @device (its constants drive the static model, its
   name keys the lookups), else fu_device_model_default.  A malformed line
   is an error naming path:line. */
fu_profile *fu_profile_open(const char *path, const fu_device_model *d, dn_err *e);
/* Sets the device (its constants are saved as its @device line). */
void fu_profile_set_device(fu_profile *p, const fu_device_model *d);
/* Measured entries of the database's device (its @device line aside). */
int fu_profile_entries(const fu_profile *p);
/* Measures a set of nodes of g (node ids, producers first) run as one
   block on the database's device: 0 and *ms, or -1 when it cannot (the
   static model then decides). */
typedef int (*fu_timer)(void *ctx, const ir_graph *g, const int *nodes, int n, double *ms);
/* With a timer, a signature the database lacks is measured when the
   planner asks for it, and recorded (`dnnf profile`). */
void fu_profile_set_timer(fu_profile *p, fu_timer t, void *ctx);
/* The database's latency of a block signature, else the timer's
   measurement of nodes (then recorded): 1 and *ms, or 0. */
int fu_profile_measure(fu_profile *p, const char *signature, const ir_graph *g, const int *nodes,
                       int n, double *ms);
void fu_profile_free(fu_profile *p);
const fu_device_model *fu_profile_device(const fu_profile *p);
/* The measured latency of a block signature on this device: 1 and *ms,
   or 0 when it was never measured. */
int fu_profile_lookup(const fu_profile *p, const char *signature, double *ms);
/* Records a measurement (kept in memory until fu_profile_save). */
void fu_profile_record(fu_profile *p, const char *signature, double ms);
int fu_profile_save(const fu_profile *p, dn_err *e);
/* Counters: decisions settled by a measurement / by the static model. */
void fu_profile_counts(const fu_profile *p, int *measured, int *estimated);
void fu_profile_count(fu_profile *p, int measured);

/* ------------------------------------------------------------------ */
/* Plans (plan.c)                                                       */
/* ------------------------------------------------------------------ */

typedef struct fu_limits {
    int max_args;           /* buffers a kernel may take (inputs + outputs) */
    double max_work;        /* FLOPs per output element of a block */
    int recompute;          /* recompute cheap One-to-One producers (1) or not */
    double recompute_flops; /* "cheap": FLOPs per element of such a producer */
    int other_seeds;        /* after the One-to-One seeds, seed at every other node */
} fu_limits;

void fu_limits_default(fu_limits *l);

enum { FU_KERNEL = 1, FU_LAYOUT, FU_VIEW };

typedef struct fu_block {
    int id;     /* its index: blocks are in an order where producers come first */
    int type;   /* the block's mapping type */
    int kind;   /* FU_KERNEL (does arithmetic), FU_LAYOUT (only moves data),
                   FU_VIEW (only views: no launch) */
    int seed;   /* the node it grew from */
    int nnodes; /* members, topological order */
    int *nodes;
    int nrecomp; /* nodes recomputed here (owned by no block), topological order */
    int *recomp;
    int nexec; /* members and recomputed nodes together, topological order */
    int *exec;
    int ninputs; /* values read from outside (other blocks' outputs, graph inputs) */
    int *inputs;
    int nparams; /* constants read */
    int *params;
    int noutputs; /* values written: read by another block, or graph outputs */
    int *outputs;
    double flops, bytes; /* bytes: inputs + params + outputs */
} fu_block;

/* One decision of the growth, in the order it was taken. */
enum { FU_STEP_SEED = 1, FU_STEP_JOIN, FU_STEP_STOP, FU_STEP_RECOMPUTE };
enum { FU_DIR_NONE = 0, FU_DIR_SUCC, FU_DIR_PRED };
enum {
    FU_WHY_TABLE = 1, /* the table's verdict (fuse, break, or profile settled) */
    FU_WHY_NOENTRY,   /* the table has no entry for the pair */
    FU_WHY_CYCLE,     /* joining would make a cycle between blocks */
    FU_WHY_ARGS,      /* too many kernel arguments */
    FU_WHY_WORK,      /* too much work per thread */
    FU_WHY_SLOWER,    /* profile: the fused block is not faster */
    FU_WHY_RECOMPUTE, /* a convolution's prologue that an epilogue computes once */
    FU_WHY_PINNED,    /* the edge is a tensor kept in memory in the layout the
                         layout pass chose for it (layout/apply.c) */
};

typedef struct fu_step {
    int kind;                  /* FU_STEP_* */
    int node;                  /* the node considered */
    int block;                 /* final block id of the block it grew into */
    int dir;                   /* FU_DIR_* */
    int from;                  /* the block member it was reached from, or -1 */
    int first, second;         /* the types looked up in the table (-1: none) */
    int verdict;               /* GM_FUSE / GM_PROFILE / GM_BREAK, 0: no entry */
    int why;                   /* FU_WHY_* */
    double ms_fused, ms_apart; /* profile verdicts: the two times (recompute steps: bytes) */
    int measured;              /* profile verdicts: both times came from the database */
} fu_step;

typedef struct fu_plan fu_plan;

/*
 * DNNFusion plan generation for g with the lattice, declarations and
 * fusion table of r.  db settles `profile` verdicts (NULL: the static
 * model with fu_device_model_default).  Returns NULL with a message when
 * an operator has no declaration (every missing one is named).
 */
fu_plan *fu_plan_build(const ir_graph *g, const gm_rules *r, const fu_limits *l, fu_profile *db,
                       dn_err *e);
void fu_plan_free(fu_plan *p);
const ir_graph *fu_plan_graph(const fu_plan *p);
const fu_mapping *fu_plan_mapping(const fu_plan *p);
const gm_rules *fu_plan_rules(const fu_plan *p);
int fu_plan_nblocks(const fu_plan *p);
const fu_block *fu_plan_block(const fu_plan *p, int i);
/* The block that owns node i; -1 for dead nodes and for nodes dissolved
   into their readers (only copies of them run). */
int fu_plan_block_of(const fu_plan *p, int node);
/* 1 when node i runs as a recomputed copy in some block (fu_block.recomp). */
int fu_plan_is_recomputed(const fu_plan *p, int node);
int fu_plan_nsteps(const fu_plan *p);
const fu_step *fu_plan_step(const fu_plan *p, int i);

/* ------------------------------------------------------------------ */
/* Validation (validate.c)                                              */
/* ------------------------------------------------------------------ */

/* 0 when every live node is owned by exactly one block (or, dissolved, by
   none, and recomputed in every block that reads it), the blocks form a DAG in
   the order given, every pair of producer and consumer inside a block is
   one the table allows, and each block's inputs and outputs are complete;
   -1 with the first violation otherwise. */
int fu_plan_validate(const fu_plan *p, const gm_rules *r, dn_err *e);

/* ------------------------------------------------------------------ */
/* Report (report.c)                                                    */
/* ------------------------------------------------------------------ */

/* GUIDE §7, for one plan. */
typedef struct fu_summary {
    int nodes;                 /* live nodes of the planned graph */
    int compute_ops;           /* of the planned graph: nodes other than Constant, Identity */
    int kernels;               /* blocks that launch: FU_KERNEL + FU_LAYOUT */
    int layout_kernels;        /* FU_LAYOUT */
    int view_blocks;           /* FU_VIEW: no launch */
    int recomputed;            /* nodes recomputed in their consumers */
    int64_t irs_bytes;         /* intermediate bytes written by the plan */
    int64_t irs_bytes_unfused; /* the same with one kernel per node */
    double flops;
    int lone_elementwise; /* kernels of one elementwise node (declared One-to-One)
                             next to a block the table lets it join (fuse or
                             profile), whatever stopped the join */
} fu_summary;

void fu_plan_summary(const fu_plan *p, fu_summary *s);
/* The block listing: one line per block (id, kind, type, nodes, inputs,
   outputs); with steps, the growth log after it. */
void fu_plan_print(const fu_plan *p, int steps, FILE *f);
/* A canonical, name-based listing for tests written as data: one line per
   block, `block TYPE [seed]: node node ... [recompute: node ...]`, then
   with steps one line per growth decision. */
void fu_plan_print_canonical(const fu_plan *p, int steps, FILE *f);
/* The block's nodes as a short text "Conv+Relu" (truncated to n). */
const char *fu_block_ops(const fu_plan *p, const fu_block *b, char *buf, size_t n);

#endif
