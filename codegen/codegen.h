/*
 * codegen.h -- the one public header of codegen/ (prefix cg_).
 *
 * codegen/ turns fusion blocks into OpenCL kernels.  This header has one
 * section per concept, in pipeline order:
 *
 *   1. Arenas              (index.c)           memory for expression nodes
 *   2. Index expressions   (index.c)           integer terms over loop variables
 *   3. Simplification      (index_simplify.c)  div/mod strength reduction with ranges
 *   4. Index maps          (index.c, index_node.c)
 *                                              output index -> element read, per
 *                                              data-movement operator; composition
 *   5. Printing, parsing   (index_print.c, index_parse.c)
 *   6. (reserved) the kernel emitter (emit.c, templates/NAME.cl)
 *
 * docs/index-maps.md explains the representation and why every
 * simplification rule is sound.
 *
 * Conventions as in engine.h: functions that can fail return 0 (or a
 * pointer) on success and -1 (or NULL) with a message in a caller-owned
 * dn_err.  Nothing here prints or calls exit(); allocation failure aborts,
 * like every allocator of the project.
 */
#ifndef DNNF_CODEGEN_H
#define DNNF_CODEGEN_H

#include "engine.h"

#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------------ */
/* 1. Arenas (codegen/index.c)                                          */
/* ------------------------------------------------------------------ */

/* Expression nodes are immutable and shared freely between expressions,
   so they are never freed one by one: everything built while compiling
   one block lives in an arena that is dropped as a whole.  The arena is
   engine's dn_arena (engine/arena.c). */

/* ------------------------------------------------------------------ */
/* 2. Index expressions (codegen/index.c)                               */
/* ------------------------------------------------------------------ */

/*
 * An index expression is an integer term over loop variables v0..vN-1:
 *
 *   CONST k            a constant
 *   VAR   v            loop variable number `var`
 *   SUM   k + sum(coef_i * x_i)   a linear combination of sub-expressions
 *   DIV   x / k        floor division by a positive constant k
 *   MOD   x % k        the matching remainder, in [0, k)
 *   LUT   tab[x]       a small constant table (Gather on constant indices)
 *
 * Products of two variables never occur: index maps of data movement are
 * affine up to div/mod.  DIV and MOD are floor operations; every builder
 * and every rewrite keeps their dividends provably non-negative over the
 * variables' ranges, which is why the OpenCL text can use C's truncating
 * `/` and `%` for them.
 *
 * Simplified ("normal form") expressions are canonical: a SUM has its
 * like terms combined, no nested SUM and no CONST term, and its terms in
 * one fixed order, so two equal normal forms are structurally equal
 * (cg_expr_cmp == 0) and print the same text.
 */
enum { CG_CONST = 0, CG_VAR, CG_SUM, CG_DIV, CG_MOD, CG_LUT };

typedef struct cg_expr cg_expr;

typedef struct cg_term {
    int64_t coef;
    const cg_expr *x;
} cg_term;

struct cg_expr {
    int kind;
    int var;            /* VAR: the variable's number */
    int64_t k;          /* CONST: value; SUM: constant addend; DIV, MOD: divisor (> 0) */
    int n;              /* SUM: term count; LUT: table length */
    const cg_term *t;   /* SUM: the terms */
    const cg_expr *x;   /* DIV, MOD, LUT: the operand */
    const int64_t *tab; /* LUT: the table */
};

/* Value range of a variable or expression, both ends included. */
typedef struct cg_range {
    int64_t lo, hi;
} cg_range;

/* Builders: plain nodes, no simplification (cg_simplify does that). */
const cg_expr *cg_const(dn_arena *a, int64_t k);
const cg_expr *cg_var(dn_arena *a, int var);
const cg_expr *cg_add(dn_arena *a, const cg_expr *x, const cg_expr *y);
const cg_expr *cg_mul(dn_arena *a, const cg_expr *x, int64_t c);
const cg_expr *cg_sum(dn_arena *a, const cg_term *t, int n, int64_t k);          /* copies t */
const cg_expr *cg_div(dn_arena *a, const cg_expr *x, int64_t k);                 /* k > 0 */
const cg_expr *cg_mod(dn_arena *a, const cg_expr *x, int64_t k);                 /* k > 0 */
const cg_expr *cg_lut(dn_arena *a, const cg_expr *x, const int64_t *tab, int n); /* copies tab */

/* e with every VAR v replaced by by[v] (v < nby; others kept). */
const cg_expr *cg_subst(dn_arena *a, const cg_expr *e, const cg_expr *const *by, int nby);

/* A total order on expressions; 0 exactly when structurally equal. */
int cg_expr_cmp(const cg_expr *x, const cg_expr *y);
/* The value at vars[] (floor semantics).  A LUT index outside its table
   gives INT64_MIN, which no index map produces. */
int64_t cg_expr_eval(const cg_expr *e, const int64_t *vars);
/* An interval containing every value of e when each variable v lies in
   var[v] (interval arithmetic: sound, not always tight). */
cg_range cg_expr_range(const cg_expr *e, const cg_range *var, int nvar);
/* How e moves across w consecutive values of variable var, from w*q on
   (index_lanes.c): CG_LANES_UNIFORM, e(w*q + r) = e(w*q); CONTIGUOUS,
   e(w*q + r) = e(w*q) + r; ALIGNED, contiguous and e(w*q) a multiple of
   w; NONE, none of these is certain.  For 0 <= r < w. */
enum { CG_LANES_NONE = 0, CG_LANES_UNIFORM, CG_LANES_CONTIGUOUS, CG_LANES_ALIGNED };
int cg_expr_lanes(const cg_expr *e, int var, int64_t w);
/* 1 when variable v occurs in e. */
int cg_expr_uses(const cg_expr *e, int v);

/* Operation counts, what a kernel pays per access. */
typedef struct cg_cost {
    int div, mod, mul, add, lut;
} cg_cost;
void cg_expr_cost(const cg_expr *e, cg_cost *c); /* adds to *c */

/* Row-major linearisation of idx over s, and its inverse: idx[k] =
   (flat / stride_k) % s.d[k] (outermost without the %).  Not simplified. */
const cg_expr *cg_linearize(dn_arena *a, const cg_expr *const *idx, const dn_shape *s);
void cg_delinearize(dn_arena *a, const cg_expr *flat, const dn_shape *s, const cg_expr **idx);

/* ------------------------------------------------------------------ */
/* 3. Simplification (codegen/index_simplify.c)                         */
/* ------------------------------------------------------------------ */

/* The normal form of e when variable v ranges over var[v] (v < nvar).
   Every rewrite is an identity of integers under those ranges
   (docs/index-maps.md lists them with their side conditions).  Never
   fails: a rewrite whose constants would overflow is simply not taken. */
const cg_expr *cg_simplify(dn_arena *a, const cg_expr *e, const cg_range *var, int nvar);

/* ------------------------------------------------------------------ */
/* 4. Index maps (codegen/index.c, codegen/index_node.c)                */
/* ------------------------------------------------------------------ */

#define CG_MAX_GUARDS 8
#define CG_LUT_MAX 16 /* largest Gather index table folded into a map */

/* The map holds only where lo <= x <= hi (a Concat input's piece). */
typedef struct cg_guard {
    const cg_expr *x;
    int64_t lo, hi;
} cg_guard;

/*
 * An index map sends the loop index of a kernel's output to the element
 * of a tensor that the access reads:
 *
 *   out      the loop domain: the shape of the output being computed;
 *   flat     0: one variable per dim of out (nvar == out.rank);
 *            1: one variable, the row-major flat index over out;
 *   var[v]   the range of variable v (the loop range, narrowed by guards
 *            that bound one variable directly);
 *   src      the shape of the tensor read;
 *   idx[d]   the index along src's dim d, one expression per dim;
 *   guard    conditions under which the map applies (all must hold).
 *
 * The emitter may add variables past out's dims (nvar > out.rank, flat
 * 0): a data-dependent Gather's index, a value loaded by the kernel,
 * with the range of the gathered dim (codegen/emit_expr.c); such a map
 * is only composed, simplified and printed, never flattened or merged.
 *
 * Builders return the map of one data-movement operator Y = op(X): out is
 * Y's shape, src is X's.  Maps are values; their expressions live in the
 * arena they were built in.
 */
typedef struct cg_map {
    dn_shape out;
    int flat;
    int nvar;
    cg_range var[DN_MAX_RANK];
    dn_shape src;
    const cg_expr *idx[DN_MAX_RANK];
    int nguard;
    cg_guard guard[CG_MAX_GUARDS];
} cg_map;

int cg_map_identity(dn_arena *a, const dn_shape *s, cg_map *m, dn_err *e);
/* Reshape, Flatten, Squeeze, Unsqueeze: any change of shape that keeps
   the row-major order (in and out have the same element count). */
int cg_map_reshape(dn_arena *a, const dn_shape *in, const dn_shape *out, cg_map *m, dn_err *e);
int cg_map_squeeze(dn_arena *a, const dn_shape *in, const int64_t *axes, int naxes, cg_map *m,
                   dn_err *e); /* naxes == 0: every dim of size 1 */
int cg_map_unsqueeze(dn_arena *a, const dn_shape *in, const int64_t *axes, int naxes, cg_map *m,
                     dn_err *e);
int cg_map_flatten(dn_arena *a, const dn_shape *in, int64_t axis, cg_map *m, dn_err *e);
/* out.d[k] = in.d[perm[k]]. */
int cg_map_transpose(dn_arena *a, const dn_shape *in, const int64_t *perm, cg_map *m, dn_err *e);
/* Slice with start and step per dim of in already normalised (ONNX
   clamping done: start is a valid index, out.d[k] elements). */
int cg_map_slice(dn_arena *a, const dn_shape *in, const int64_t *start, const int64_t *step,
                 const dn_shape *out, cg_map *m, dn_err *e);
/* Tile: out.d[k] = in.d[k] * repeats[k], read at v[k] % in.d[k]. */
int cg_map_tile(dn_arena *a, const dn_shape *in, const int64_t *repeats, cg_map *m, dn_err *e);
/* Expand / broadcast of in to out (numpy rules): stride 0 on broadcast dims. */
int cg_map_expand(dn_arena *a, const dn_shape *in, const dn_shape *out, cg_map *m, dn_err *e);
/* Input `in` of a Concat along axis whose output is out, placed at offset. */
int cg_map_concat_input(dn_arena *a, const dn_shape *in, const dn_shape *out, int axis,
                        int64_t offset, cg_map *m, dn_err *e);
/* Gather(data, indices) along axis with constant indices (negative ones
   counted from the end); at most CG_LUT_MAX of them unless they form an
   arithmetic progression. */
int cg_map_gather(dn_arena *a, const dn_shape *data, int axis, const dn_shape *ishape,
                  const int64_t *ind, cg_map *m, dn_err *e);
/* Pad of in by begin pads pb[] and end pads pe[] per dim (negative: that
   side is cropped).  wrap == 0 is mode constant: idx[k] = v[k] - pb[k],
   with a guard per padded dim keeping it inside in; the map holds only
   there, elsewhere the output is the constant value (the emitter's
   `else`).  wrap == 1 is mode wrap: idx[k] = (v[k] - pb[k]) mod in.d[k],
   no guard.  Modes edge and reflect read piecewise (cg_map_pad_piece). */
int cg_map_pad(dn_arena *a, const dn_shape *in, const int64_t *pb, const int64_t *pe, int wrap,
               cg_map *m, dn_err *e);
/* One piece of a Pad along axis (edge, reflect, or the input itself):
   out is in with out.d[axis] elements along axis; the map reads
   idx[axis] = coef * v[axis] + add where lo <= v[axis] <= hi (one guard),
   the same position along every other dim. */
int cg_map_pad_piece(dn_arena *a, const dn_shape *in, const dn_shape *out, int axis, int64_t coef,
                     int64_t add, int64_t lo, int64_t hi, cg_map *m, dn_err *e);
/* Pad modes, and a Pad node's begin/end pads per dim of an input of rank
   r, read as engine/op_movement_spatial.c reads them (the pads input or,
   before opset 11, the attribute; the optional axes input).  The pads
   must be constants. */
enum { CG_PAD_CONSTANT = 0, CG_PAD_REFLECT, CG_PAD_EDGE, CG_PAD_WRAP };
int cg_pad_params(const ir_node *n, const dn_tensor *const *in, int nin, int r, int64_t *pb,
                  int64_t *pe, int *mode, dn_err *e);
int cg_map_depth_to_space(dn_arena *a, const dn_shape *in, int64_t blocksize, int crd, cg_map *m,
                          dn_err *e);
int cg_map_space_to_depth(dn_arena *a, const dn_shape *in, int64_t blocksize, cg_map *m, dn_err *e);

/* The map from the output of node n to its input number `which`, for the
   data-movement operators above (Identity, Reshape, Flatten, Squeeze,
   Unsqueeze, Transpose, Slice, Tile, Expand, Concat, Gather, DepthToSpace,
   SpaceToDepth; Pad in modes constant and wrap, see cg_map_pad), with
   attributes and constant inputs read as the engine's operators read them.
   Split has one data input and many outputs: for it, `which` names the
   output, and the map goes from that output to the input (a slice along
   the split axis).  in[] as for op_run_node: shapes must be known, and
   inputs that are shapes, axes or indices must have data.  An error
   names the reason a node has no map (another operator, unknown shape). */
int cg_map_node(dn_arena *a, const ir_node *n, const dn_tensor *const *in, int nin, int which,
                cg_map *m, dn_err *e);

/* A consumer's access through a producer's reorganisation: outer reads a
   tensor T (outer->src), inner says where T's elements come from
   (inner->out == T's shape).  The result reads inner->src over outer's
   loop domain; guards of both are kept; everything simplified. */
int cg_map_compose(dn_arena *a, const cg_map *outer, const cg_map *inner, cg_map *out, dn_err *e);
/* Simplifies idx and guards in place; a guard on one variable narrows
   that variable's range, a guard always true is dropped. */
void cg_map_simplify(dn_arena *a, cg_map *m);
/* The same map over one flat (row-major) variable. */
int cg_map_flatten_domain(dn_arena *a, const cg_map *m, cg_map *out, dn_err *e);
/* The row-major element offset into src that m reads, simplified. */
const cg_expr *cg_map_offset(dn_arena *a, const cg_map *m);
/* Merges adjacent loop dims of a multi-dim map wherever that costs no
   div/mod in the offset: dims contiguous in both the output and the
   source collapse into one, so a transpose of two merged blocks becomes
   a 2-D transpose.  The merged out has the same element count and the
   same row-major order. */
int cg_map_merge_vars(dn_arena *a, const cg_map *m, cg_map *out, dn_err *e);
/* Evaluates m at vars[]: writes src's index to idx and returns 1, or
   returns 0 when a guard fails (that output element is not read here). */
int cg_map_eval(const cg_map *m, const int64_t *vars, int64_t *idx);
/* Sum of the costs of the offset expression. */
void cg_map_cost(dn_arena *a, const cg_map *m, cg_cost *c);

/* ------------------------------------------------------------------ */
/* 5. Printing and parsing (codegen/index_print.c, index_parse.c)       */
/* ------------------------------------------------------------------ */

/*
 * Variables are named by names[v] when names != NULL and v < nnames,
 * else "i<v>".  Both printers write at most n bytes (always terminated)
 * and return the length the full text needs, like snprintf.
 *
 * OpenCL form: spaces around + and -, parentheses around every operand
 * of / and % that is not a variable, so it reads well and its C parse is
 * the intended one: "7 * (n / 8) + i".
 * Debug form: compact, the syntax cg_expr_parse reads back: "7*(n/8)+i".
 */
int cg_print_cl(const cg_expr *e, const char *const *names, int nnames, char *buf, size_t n);
int cg_print_debug(const cg_expr *e, const char *const *names, int nnames, char *buf, size_t n);
/* A map in debug form: "idx0 ; idx1 ; ... [if lo<=g<=hi ...]". */
int cg_map_print_debug(const cg_map *m, const char *const *names, int nnames, char *buf, size_t n);

/* Reads the debug form (integers, names, + - * / % and parentheses, with
   C precedence; * needs a constant side, / and % a positive constant
   right side).  Names are looked up in names[0..nnames-1]. */
const cg_expr *cg_expr_parse(dn_arena *a, const char *text, const char *const *names, int nnames,
                             dn_err *e);

/* ------------------------------------------------------------------ */
/* 6. Kernel emitter (codegen/emit*.c, templates/NAME.cl; docs/codegen.md) */
/* ------------------------------------------------------------------ */

/* What a kernel is made from: a fusion block (fusion/fusion.h fu_block)
   or one node, by value and node ids of g.  Kept independent of fusion/
   so that unfused execution (one block per node) uses the same emitter. */
typedef struct cg_block {
    int id;
    int view; /* 1: only views (Reshape, Squeeze, ...): nothing to launch */
    int nexec;
    const int *exec; /* nodes, topological order (recomputed ones included) */
    int ninputs;
    const int *inputs; /* values read from other blocks or graph inputs */
    int nparams;
    const int *params; /* constants read */
    int noutputs;
    const int *outputs; /* values written */
    /* Write-through (docs/layout.md, section 5): NULL, or per output k,
       wdest[k] < 0 to store output k as itself, or the value whose memory
       it is stored into instead (a Concat's output, written in place; a
       graph output behind a Transpose), at the row-major element offset
       wmap[k]: an index expression in the debug form of section 5 over
       one variable, f, output k's own row-major flat index.  Block lists
       own both arrays and the strings (rt_blocks_free). */
    int *wdest;
    char **wmap;
} cg_block;

/* The value whose memory output k of b is stored in: wdest[k] when it is
   written through, else the output itself. */
static inline int cg_block_dest(const cg_block *b, int k)
{
    return b->wdest && b->wdest[k] >= 0 ? b->wdest[k] : b->outputs[k];
}

/* The device a kernel is written for: the template family and its tile
   parameters. */
typedef struct cg_device {
    int gpu; /* 0: the CPU family (register blocks, no local memory) */
    int compute_units;
    int64_t local_mem;
    /* an image2d_t can be made over a buffer (cl_khr_image2d_from_buffer,
       with a row pitch of CG_AIMAGE_W texels allowed): activations can be
       read as images without a copy */
    int image_from_buffer;
} cg_device;

/* Width in texels of the image2d_t made over an activation's buffer
   (cg_kernel.img_arg), and of the one packed weights are held in
   (cg_kernel.pack_image): a power of two, so the texel coordinates are a
   mask and a shift; with at most CG_AIMAGE_ROWS rows (the 8192 every
   image device allows) it holds 134M floats. */
#define CG_AIMAGE_W 4096
#define CG_AIMAGE_ROWS 8192

typedef struct cg_kernel {
    char name[64];   /* kernel function: family and a hash of the body, so
                        identical blocks (repeated layers) share one program */
    char family[32]; /* "elementwise", "matmul", ... */
    char *source;    /* the whole program, with a comment naming the nodes */
    char *nodes;     /* "name (Op), name (Op), ..." */
    int nargs;
    int *args; /* value ids, in argument order: the nout outputs first */
    int nout;
    int dims;
    size_t global[3], local[3];
    int has_local;
    double flops, bytes; /* per launch, for the roofline figure */
    /* A constant argument the kernel reads packed (the executor packs it
       once, at upload): pack_arg is its argument number + 1 (0: none).
       Packed layout of a K x N matrix B (or N x K with pack_trans):
       16-column panels, panel-major, P[((n / 16) * K + k) * 16 + n % 16],
       zero-padded to a multiple of 16 columns. */
    int pack_arg;
    int pack_trans;
    int64_t pack_k, pack_n;
    /* > 0: the packed panels live in an image2d_t of RGBA float texels,
       pack_image texels wide, in the packed order (texel t = floats
       4t .. 4t + 3 at (t % pack_image, t / pack_image)), as many rows as
       they need; 0: a buffer (docs/gpu.md, "Weights in image2d_t"). */
    int64_t pack_image;
    /* Activations read through an image2d_t (a product's A and B): > 0,
       argument img_arg[i] - 1 is declared image2d_t, and the executor
       binds an image of RGBA float texels made over the buffer that holds
       it, CG_AIMAGE_W texels wide (texel t = floats 4t .. 4t + 3 at
       (t % CG_AIMAGE_W, t / CG_AIMAGE_W)), with the buffer padded to whole
       rows.  No copy: the producer writes the buffer. */
    int img_arg[2];
} cg_kernel;

/* The kernel of block b.  Returns 1 with *k filled; 0 when no template
   covers the block (e->msg says why: the executor then runs it on the host
   and reports it); -1 on an error. */
int cg_emit(const ir_graph *g, const cg_block *b, const cg_device *d, cg_kernel *k, dn_err *e);
/* The wmap text of a write-through: m (logical index of a block output ->
   logical index of the tensor written into) as the flat offset over one
   variable f (cg_block.wmap); NULL with e on a map that cannot be
   flattened.  The text is malloc'd. */
char *cg_write_map_text(dn_arena *a, const cg_map *m, dn_err *e);
void cg_kernel_free(cg_kernel *k);
/* "name (Op), ..." of a block's nodes, truncated to n. */
void cg_block_nodes(const ir_graph *g, const cg_block *b, char *buf, size_t n);

#endif
