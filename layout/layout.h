/*
 * layout.h -- the one public header of layout/ (prefix ly_): SmartMem's
 * layout pass (ASPLOS 2024), driven by the layout groups and the edge
 * table of the rules (rules/ops.rules, rules/layout.rules).
 *
 *   groups.c     every node's SmartMem group (ILD/ILI x Variable/Fixed)
 *                from its declaration; for every producer-consumer edge
 *                the edge table's action and the side whose layout is
 *                searched;
 *   eliminate.c  elimination by index comprehension: each data-movement
 *                node (Reshape, Flatten, Squeeze, Unsqueeze, Transpose,
 *                DepthToSpace, SpaceToDepth, Slice, Split, Expand, Tile,
 *                Gather on constants, Concat) is folded into the read
 *                access of its consumers or the write access of its
 *                producer (codegen's index maps, composed and simplified),
 *                or survives with a recorded reason;
 *   select.c     each materialised tensor's layout (a permutation or a
 *                4-blocking of its logical shape, with the index map that
 *                reads it) chosen from its consumers' reduction dims;
 *   texture.c    2.5-D memory: which tensors live in OpenCL image2d_t
 *                (RGBA float texels), the texel map, the device limits;
 *   verify.c     eliminated chains re-read through their composed maps
 *                against the reference operators on iota tensors;
 *   report.c     the summary (layout kernels before and after), the
 *                listing and JSON.
 *
 * What the emitter consumes (docs/layout.md has the whole contract):
 *
 *   - ly_plan_read(p, node, k): how node reads its input k.  `source` is
 *     the tensor really in memory (the input after walking back through
 *     eliminated data movement) and `map` sends the node's logical input
 *     index to source's logical index.  No entry: read the input as is.
 *   - ly_plan_write(p, node, k): node's output k is not stored as itself
 *     but into `dest` through `map` (a producer absorbing a Transpose or
 *     Reshape before a graph output, or writing its piece of a Concat).
 *   - ly_plan_layout(p, v, c): copy c of tensor v in memory: its physical
 *     shape and the map logical index -> physical index.  Copy 0 is what
 *     the producer writes; ly_access.copy says which copy a read uses.
 *   - ly_plan_texture(p, v): image2d or buffer, with the texel map.
 *
 * A plan refers to its graph by node and value ids; it stays valid while
 * the graph is not changed.  The plan does not depend on fusion/: blocks
 * are passed as plain arrays (ly_blocks), so unfused execution (one block
 * per node) uses the same pass.  Nothing here prints except the report
 * functions (onto the stream they are given); errors come back in dn_err.
 */
#ifndef DNNF_LAYOUT_H
#define DNNF_LAYOUT_H

#include "codegen.h"
#include "engine.h"
#include "grammar.h"

#include <stdio.h>

/* ------------------------------------------------------------------ */
/* Options                                                              */
/* ------------------------------------------------------------------ */

typedef struct ly_options {
    /* A composed access that costs more than this many div + mod per
       element is not absorbed: a copy kernel that pays them once is then
       cheaper than every reader paying them (SmartMem bounds it too). */
    int max_divmod;
    /* Physical copies of one tensor when its consumers want different
       layouts; the consumers beyond it read copy 0. */
    int max_copies;
    /* 0: every tensor row-major (selection off). */
    int select;
    /* Blocked NC4HW4 for Conv activations (the image2d and vector-width
       family); 0: NHWC (channels innermost) instead. */
    int conv_blocked;
    /* 2.5-D memory: 0 off; image limits of the device in texels. */
    int images;
    int64_t image_max_w, image_max_h;
    /* Elimination: 0 keeps every data-movement node (the "off" side of a
       benchmark). */
    int eliminate;
} ly_options;

/* Elimination and selection on, cost bound 8, 2 copies, NC4HW4, images
   on with 16384 x 16384 (what NVIDIA's OpenCL reports; PoCL 8192 x 8192
   is smaller, so pass the device's own limits where one is known). */
void ly_options_default(ly_options *o);

/* ------------------------------------------------------------------ */
/* Groups and edges (groups.c)                                          */
/* ------------------------------------------------------------------ */

typedef struct ly_groups ly_groups;

/* One producer -> consumer edge: the value, the consumer's input slot,
   both groups and the edge table's answer for them. */
typedef struct ly_edge {
    int producer, consumer; /* node ids */
    int value, slot;
    const char *pgroup, *cgroup;
    int action; /* GM_KEEP ... GM_ELIM_BOTH; 0: the table has no entry */
    int search; /* GM_SEARCH_* */
} ly_edge;

/* Every live node's group from its declaration in r; NULL with a message
   naming every undeclared operator (or declared without a group). */
ly_groups *ly_groups_build(const ir_graph *g, const gm_rules *r, dn_err *e);
void ly_groups_free(ly_groups *gr);
const char *ly_node_group(const ly_groups *gr, int node); /* NULL: dead node */
int ly_groups_nedges(const ly_groups *gr);
const ly_edge *ly_groups_edge(const ly_groups *gr, int i);
/* The edge table's action on the edge into input `slot` of consumer
   (0 when its producer is no node: graph inputs and constants). */
int ly_edge_action(const ly_groups *gr, int consumer, int slot, int *search);

/* 1 for the operators elimination knows: the data-movement operators
   codegen has index maps for. */
int ly_is_movement(const char *op);
/* 1 for pure views (Reshape, Flatten, Squeeze, Unsqueeze, Identity): an
   executor may alias their output to their input, so even surviving they
   launch nothing. */
int ly_is_view(const char *op);

/* ------------------------------------------------------------------ */
/* Plans                                                                */
/* ------------------------------------------------------------------ */

/* Blocks of a fusion plan, as plain arrays (kind numbers as fusion's
   FU_KERNEL = 1, FU_LAYOUT = 2, FU_VIEW = 3).  NULL: one block per node. */
enum { LY_BLOCK_KERNEL = 1, LY_BLOCK_LAYOUT, LY_BLOCK_VIEW };
typedef struct ly_blocks {
    int nblocks;
    const int *block_of; /* per node id: its block, -1 for none */
    const int *kind;     /* per block */
} ly_blocks;

#define LY_MAX_PATH 24
/* A read through a Concat is split into one guarded piece per input
   (cg_map guards); at most this many pieces per access. */
#define LY_MAX_PIECES 64
/* Inputs of one data-movement node the pass looks at (DenseNet-121's
   Concats take up to 33 feature maps); more are reported, not dropped. */
#define LY_MAX_INPUTS LY_MAX_PIECES

/* A step of an eliminated chain: node, and for Split which output. */
typedef struct ly_step {
    int node, which;
} ly_step;

/* How node `node` reads its input `slot` (value `value`).  Through a
   Concat one read becomes several pieces, each with its own source and a
   map whose guards say where it applies (exactly one piece applies at
   each index); ly_plan_read_pieces lists them. */
typedef struct ly_access {
    int node, slot, value;
    int source; /* the tensor in memory */
    int npath;  /* eliminated nodes between, source side first */
    ly_step path[LY_MAX_PATH];
    cg_map map;   /* value's logical index -> source's logical index */
    cg_cost cost; /* per element, of the offset into source */
    int copy;     /* which of source's layouts it reads */
} ly_access;

/* Node `node` writes its output `slot` (value `value`) into `dest`. */
typedef struct ly_store {
    int node, slot, value;
    int dest;
    int npath;
    ly_step path[LY_MAX_PATH]; /* eliminated nodes, value side first */
    cg_map map;                /* value's logical index -> dest's logical index */
    cg_cost cost;
} ly_store;

/* What became of one data-movement node. */
enum {
    LY_KEEP = 0,   /* survives as its own kernel (reason says why) */
    LY_ELIM_READ,  /* folded into its consumers' read accesses */
    LY_ELIM_WRITE, /* folded into its producer's write access */
    LY_ELIM_BLOCK, /* fused with arithmetic in one block by the fusion plan */
    LY_VIEW,       /* survives, but as a view: no launch */
};
enum {
    LY_WHY_NONE = 0,
    LY_WHY_OFF,    /* elimination turned off */
    LY_WHY_NOMAP,  /* no index map (unknown shape, data-dependent indices) */
    LY_WHY_OUTPUT, /* feeds a graph output and no producer kernel can write it */
    LY_WHY_COST,   /* composing would exceed the div/mod bound */
    LY_WHY_PATH,   /* the chain is longer than LY_MAX_PATH */
    LY_WHY_CONCAT, /* a Concat input no producer kernel can write in place, and
                      the Concat's output cannot be read in pieces (a graph output) */
    LY_WHY_PIECES, /* reading through would split an access into too many pieces */
};

typedef struct ly_fate {
    int node;
    int fate; /* LY_KEEP ... */
    int why;  /* LY_WHY_* for LY_KEEP and LY_VIEW */
    char reason[160];
} ly_fate;

/* Layout kinds of a tensor copy. */
enum {
    LY_ROW_MAJOR = 0, /* as the logical shape */
    LY_PERMUTED,      /* dims permuted: phys.d[k] = logical.d[perm[k]] */
    LY_BLOCKED4,      /* dim `dim` split into (d/4 outer, 4 innermost), NC4HW4-style */
};

typedef struct ly_layout {
    int kind;
    int perm[DN_MAX_RANK]; /* LY_PERMUTED */
    int dim;               /* LY_BLOCKED4: the blocked dim; LY_PERMUTED: the dim made innermost */
    dn_shape phys;
    cg_map map;   /* logical index -> physical index (out = logical, src = phys) */
    int readers;  /* accesses that read this copy */
    char why[96]; /* which consumer asked for it */
} ly_layout;

/* 2.5-D memory of one tensor. */
enum { LY_MEM_BUFFER = 0, LY_MEM_IMAGE };
typedef struct ly_texture {
    int value;
    int mem;
    int64_t width, height; /* texels */
    int vec_dim;           /* the logical dim packed 4 to a texel */
    cg_map map;            /* logical index -> (x, y, channel) over [width, height, 4] */
    char why[96];          /* why a candidate stayed a buffer, or who reads it */
} ly_texture;

typedef struct ly_plan ly_plan;

/*
 * The layout pass over g: groups and edges from r, elimination, layout
 * selection and 2.5-D memory, within o (NULL: defaults).  Returns NULL
 * with a message on an error (an undeclared operator).
 */
ly_plan *ly_plan_build(const ir_graph *g, const gm_rules *r, const ly_blocks *b,
                       const ly_options *o, dn_err *e);
void ly_plan_free(ly_plan *p);
const ir_graph *ly_plan_graph(const ly_plan *p);
const ly_groups *ly_plan_groups(const ly_plan *p);

/* Elimination (eliminate.c). */
const ly_access *ly_plan_read(const ly_plan *p, int node, int slot); /* NULL: read as is */
/* All pieces of that read (contiguous, *n of them; NULL and 0: as is). */
const ly_access *ly_plan_read_pieces(const ly_plan *p, int node, int slot, int *n);
const ly_store *ly_plan_write(const ly_plan *p, int node, int slot); /* NULL: store as is */
int ly_plan_naccesses(const ly_plan *p);
const ly_access *ly_plan_access(const ly_plan *p, int i);
int ly_plan_nstores(const ly_plan *p);
const ly_store *ly_plan_store(const ly_plan *p, int i);
int ly_plan_nfates(const ly_plan *p);
const ly_fate *ly_plan_fate(const ly_plan *p, int i);
const ly_fate *ly_plan_node_fate(const ly_plan *p, int node); /* NULL: no data movement */
/* Per block (ids of the ly_blocks given; unfused: node ids): the reads of
   its kernel that cross its boundary -- accesses of member nodes whose
   source is not written inside the block.  Writes up to max indices for
   ly_plan_access into out and returns how many there are. */
int ly_plan_block_reads(const ly_plan *p, int block, int *out, int max);
/* 1 when v is in memory (not the output of an eliminated node). */
int ly_plan_materialized(const ly_plan *p, int v);

/* The permuted layouts selection chose for activations, as graph structure
   (apply.c): for each such v, v/layout = Transpose(v) pinned in memory and
   v/logical = Transpose(v/layout) back, read by v's former readers; a plan
   built on the result has v's producer write v/layout and the readers read
   it through.
   Only where a matmul-family kernel will store v: v is a MatMul/Gemm
   output or, with fused set (the run forms fusion blocks), an elementwise
   chain's end that only such a product feeds.
   Call before fusion (g changes: 2 nodes and 2 values each).  *napplied:
   how many. */
int ly_apply_layouts(ir_graph *g, const gm_rules *r, const ly_options *o, int fused, int *napplied,
                     dn_err *e);

/* Selection (select.c). */
int ly_plan_ncopies(const ly_plan *p, int v); /* 0 for values not in memory */
const ly_layout *ly_plan_layout(const ly_plan *p, int v, int copy);

/* 2.5-D memory (texture.c). */
const ly_texture *ly_plan_texture(const ly_plan *p, int v); /* NULL: not a candidate */
int ly_plan_ntextures(const ly_plan *p);
const ly_texture *ly_plan_texture_at(const ly_plan *p, int i);

/* The texel map of a tensor of logical shape s packing dim vec_dim by 4:
   vec_dim 1 of a rank-4 NCHW tensor: x = (c/4)*W + w, y = n*H + h (MNN's
   image layout); any other: x = idx[vec]/4 (+ the dims after vec), y = the
   dims before.  Fills *t (value -1, mem LY_MEM_IMAGE) and checks the size
   against max_w x max_h: 0 when it fits, 1 when not (t->why says which
   side), -1 on an error. */
int ly_texture_map(dn_arena *a, const dn_shape *s, int vec_dim, int64_t max_w, int64_t max_h,
                   ly_texture *t, dn_err *e);

/* The physical read of an access: its map composed with the layout of the
   copy it reads (out = the value's logical shape, src = the copy's
   physical shape).  Expressions live in a. */
int ly_access_physical(const ly_plan *p, const ly_access *ac, dn_arena *a, cg_map *out, dn_err *e);

/* Runs every eliminated chain of the plan under the reference operators
   (op_run_node) on an iota tensor of its source (or, for a write, of the
   value written) and compares with the composed map, element by element.
   Chains over more than max_numel elements are skipped.  Returns 0 with
   the count checked, or -1 with the first mismatch. */
int ly_plan_verify(const ly_plan *p, int64_t max_numel, int *checked, int *skipped, dn_err *e);

/* ------------------------------------------------------------------ */
/* Report (report.c)                                                    */
/* ------------------------------------------------------------------ */

typedef struct ly_summary {
    int movement;              /* data-movement nodes: the layout kernels of unfused
                                  execution, one launch each (GUIDE §7 counts
                                  Reshape among them) */
    int layout_kernels_before; /* the blocks' layout kernels before the pass (the
                                  fusion plan's FU_LAYOUT blocks; unfused: = movement) */
    int layout_kernels_after;  /* blocks still launching a surviving data-movement node */
    int standalone;            /* surviving data-movement nodes outside any kernel (LY_KEEP) */
    int eliminated_read, eliminated_write, eliminated_block;
    int surviving;                 /* LY_KEEP */
    int views;                     /* LY_VIEW */
    int accesses;                  /* composed reads */
    int stores;                    /* composed writes */
    int max_divmod;                /* the costliest composed access */
    int permuted, blocked, copies; /* tensors in a non-row-major layout; extra copies */
    int images, image_rejected;    /* image2d tensors; candidates kept in buffers */
} ly_summary;

void ly_plan_summary(const ly_plan *p, ly_summary *s);
/* The human listing: summary, each surviving node with its reason, the
   accesses, the chosen layouts, the image2d tensors. */
void ly_plan_print(const ly_plan *p, int verbose, FILE *f);
/* For tests written as data: names only, one line per fact, in id order. */
void ly_plan_print_canonical(const ly_plan *p, FILE *f);
/* One JSON object's members (no braces): GUIDE §7 keys plus the pass's. */
void ly_plan_json(const ly_plan *p, FILE *f);
const char *ly_fate_name(int fate);
const char *ly_why_name(int why);

#endif
