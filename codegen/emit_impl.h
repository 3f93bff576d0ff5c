/* emit_impl.h -- private to the kernel emitter (codegen/emit*.c).
 *
 * The emitter's one idea: the value of any tensor computed inside a block
 * is an OpenCL expression of the kernel's loop variables, obtained by
 * walking the block's nodes backwards from what is written, carrying an
 * index map (codegen.h section 4).  An elementwise node passes the map on
 * to its inputs (through a broadcast map); a data-movement node composes
 * its own map into it (cg_map_node); a block input or a parameter is read
 * from memory at the map's offset.  So Reshape, Transpose, Slice, Expand,
 * Concat, Split and Gather on constants cost index arithmetic, never a
 * copy, and every template (elementwise, the operands and epilogue of
 * MatMul, ...) uses the same walk (emit_expr.c). */
#ifndef DNNF_EMIT_IMPL_H
#define DNNF_EMIT_IMPL_H

#include "codegen.h"

#include <stdarg.h>

/* A growing string. */
typedef struct cg_sb {
    char *s;
    size_t n, cap;
} cg_sb;
void cg_sb_printf(cg_sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cg_sb_puts(cg_sb *b, const char *s);
void cg_sb_free(cg_sb *b);
char *cg_sb_take(cg_sb *b); /* the text (caller frees); b is emptied */

/* Replaces every ${KEY} of tmpl by the matching value (keys[i] -> vals[i]). */
char *cg_fill(const char *tmpl, const char *const *keys, const char *const *vals, int n);
/* The text of codegen/templates/NAME.cl, embedded at build time; NULL if none. */
const char *cg_template(const char *name);

/* The OpenCL C type of a dtype ("float", "long", "int", "uchar"); NULL when
   the emitter does not handle it. */
const char *cg_ctype(int dtype);
/* A float as an OpenCL literal ("2.0f", "0.5f", "1e-05f") written into buf
   (at least 40 bytes), which it returns; FL(v) for a call's argument. */
char *cg_flit(char *buf, double v);
#define FL(v) cg_flit((char[40]){0}, (v))

#define EX_MAX_MEMO 4096

typedef struct ex_memo {
    int v;
    char *key; /* the map's index text */
    char name[24];
    int depth;
} ex_memo;

/* One kernel being written. */
typedef struct ex_ctx {
    const ir_graph *g;
    const cg_block *b;
    dn_arena *a;
    int *prod;  /* value -> exec node that computes it in the block, or -1 */
    int *argof; /* value -> kernel argument number, or -1 */
    int nargs, *args;
    int nout;                 /* the first nout arguments are the outputs */
    const char *const *names; /* loop variable names */
    int nnames;
    cg_sb *body; /* statements go here */
    int indent;
    int ntmp;
    int ncompute; /* statements that compute (not loads) emitted so far */
    int depth;
    ex_memo memo[EX_MAX_MEMO];
    int nmemo;
    /* a value whose expression is given (MatMul's accumulator): used when
       it is asked for at exactly the map override_key */
    int override_v;
    const char *override_key, *override_expr;
    /* Lanes: > 1 when the code is inside a loop over `lanes` consecutive
       values of variable lane_var, lane_names[lane_var] + lane_r (the CPU
       elementwise form, emit.c: gid = gid0 + r_; the reduction strips,
       emit_reduce.c: j = j0_ + jj_).  A read whose offset is uniform or
       contiguous across them (cg_expr_lanes) gets its offset at the
       loop's start computed once, into hoist (lane_names are the other
       variables' names and the start's), and loads at b<N>_ or b<N>_ +
       lane_r; any other sets lanes_failed (the caller tries fewer lanes,
       or none).  lanes_used: some read is more than the plain variable or
       a constant offset. */
    int64_t lanes;
    int lane_var, lane_nvar; /* lane_nvar: the loop's variables (names) */
    const char *const *lane_names;
    const char *lane_r;
    cg_sb *hoist;
    int nhoist, lanes_failed, lanes_used;
} ex_ctx;

/* Starts the walk over block b; the block's outputs become arguments
   0..nout-1. */
void ex_init(ex_ctx *x, const ir_graph *g, const cg_block *b, dn_arena *a);
void ex_free(ex_ctx *x);
/* Argument number of a value read or written from memory (added on first use). */
int ex_arg(ex_ctx *x, int v);
/* Writes into out the expression of value v at map m (m->src is v's shape),
   emitting whatever statements it needs into x->body.  0, or -1 with the
   reason the block is beyond the walk (an operator it does not know). */
int ex_value(ex_ctx *x, int v, const cg_map *m, char *out, size_t n, dn_err *e);
/* The text of a map's indices (the memo key), and its offset as OpenCL text. */
char *ex_map_key(ex_ctx *x, const cg_map *m);
void ex_offset(ex_ctx *x, const cg_map *m, char *out, size_t n);
void ex_forget(ex_ctx *x); /* clears the memo (a new loop scope) */
/* 1 when every node of the block is one the walk handles. */
int ex_node_ok(const ir_graph *g, const ir_node *n);
/* Kernel parameter list for the arguments (outputs first, then reads). */
void ex_params(ex_ctx *x, cg_sb *s, int names); /* names: comments naming the tensors */
/* Fills template tmpl into k (its keys[0..2] are COMMENT, NAME, PARAMS;
   vals[0..2] are set here): names the kernel prefix_HASH after its body,
   heads it with a comment naming the block's nodes (and note), sets the
   family, the arguments and the bytes they move. */
void ex_finish_kernel(cg_kernel *k, const ex_ctx *x, const char *tmpl, const char *prefix,
                      const char *family, const char *note, const char **keys, const char **vals,
                      int nkeys, const char *params, const char *named_params);
/* Write-through (emit_write.c): 0 when every wmap of b parses, else -1
   with e; and the finished source src with the stores of written-through
   outputs redirected (malloc'd), or NULL when b has none. */
/* 0 when DNNF_LANES=0 turns the lanes off (for comparison; ex_ctx.lanes). */
int ex_lanes_on(void);
int ex_write_check(const cg_block *b, dn_err *e);
char *ex_redirect_stores(const ex_ctx *x, const char *src);
/* 1 when every output of b is written through, and a step of `step` in
   each output's flat index moves its store by exactly one element: the
   stores are contiguous along the index that `step` walks (a product's m,
   when its output is written transposed). */
int ex_stores_contiguous_along(const cg_block *b, int64_t step);
/* A character of an OpenCL identifier: the passes that rewrite finished
   source (emit_write.c, emit_math.c, emit_matmul.c's float16 prologue)
   match whole names with it. */
static inline int ex_ident_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}
/* The CPU family's own math (emit_math.c): k->source with erf( calls
   replaced by dn_erf, whose definitions it adds before the kernel. */
void ex_cpu_math(cg_kernel *k);
/* The placeholders of matmul_cpu.cl and matmul_cpu_rows.cl in the order
   their values are given: the matmul family and conv-gemm fill both
   (emit_matmul.c). */
extern const char *cg_matmul_cpu_keys[16];

int cg_emit_elementwise(const ir_graph *g, const cg_block *b, const cg_device *d, cg_kernel *k,
                        dn_err *e);
int cg_emit_reduce(const ir_graph *g, const cg_block *b, const cg_device *d, cg_kernel *k,
                   dn_err *e);
int cg_is_reduction(const ir_node *n);
int cg_emit_conv(const ir_graph *g, const cg_block *b, const cg_device *d, cg_kernel *k, dn_err *e);
int cg_is_window(const ir_node *n); /* Conv, MaxPool, AveragePool */
int cg_emit_matmul(const ir_graph *g, const cg_block *b, const cg_device *d, cg_kernel *k,
                   dn_err *e);

/* The GPU form of a product (templates/matmul_gpu.cl; docs/gpu.md), shared
   by the matmul family and conv-gemm.  The template defines, around each
   piece: for aload, m0 (the row, unclamped), r (0) and k (clamped), and
   aload declares `float a_` for row min(m0 + r, M - 1); for bload, n
   (clamped) and k, and bload declares `float b_`; with bpacked, B is
   argument barg in packed panels and bload is not used; ebody and stores
   see m, n, bz and `acc`. */
/* How a product's tile may load an operand four floats at a time
   (templates/matmul_gpu.cl, AVEC and BVEC): mode 1 along k, 2 along m
   (A) or n (B), 0 not at all; the operand is argument arg, read from
   memory at offset off (text over the template's names), contiguous from
   a multiple of 4 along that dim, whose extent is a multiple of 4.
   image: through an image2d_t made over its buffer (cg_kernel.img_arg). */
typedef struct cg_mm_vec {
    int mode, image, arg;
    char off[1024];
} cg_mm_vec;
/* Fills o for operand v read at map m (nvar == nnames variables named
   names; kvar and ovar are k's and the other dim's, kext and oext their
   extents): only with DNNF_IMAGES=1 (then as an image where the device
   makes images over buffers, d->image_from_buffer) or DNNF_GPU_AVEC=1. */
void cg_mm_vec_operand(const ex_ctx *x, dn_arena *a, const cg_device *d, int v, const cg_map *m,
                       const char *const *names, int kvar, int64_t kext, int ovar, int64_t oext,
                       cg_mm_vec *o);

typedef struct cg_mm_gpu {
    int64_t M, N, K, batch;
    const char *batch_index; /* statements naming batch indices from bz */
    const char *aload, *bload, *ebody, *stores;
    int bpacked;        /* B is read as packed panels (cg_kernel.pack_arg) */
    int barg;           /* with bpacked: B's argument number */
    int akfast, bkfast; /* the operand is contiguous along k in memory */
    int mfast;          /* the output is contiguous along m (conv-gemm) */
    /* An operand the tile loads four floats at a time (cg_mm_vec_operand):
       a (b) for A (B), in place of aload (bload). */
    cg_mm_vec a, b;
    const char *prefix, *family, *note;
} cg_mm_gpu;
/* Fills matmul_gpu.cl into k (the tile chosen from d, M, N, K and batch)
   and sets its launch: one W x W work-group per output tile and batch
   entry; a product of at most 4 rows with a packed B takes
   matmul_gpu_gemv.cl instead (one work-group per 16-column panel;
   DNNF_GPU_NO_GEMV=1 keeps the tiles, for comparison). */
void cg_matmul_gpu_finish(cg_kernel *k, ex_ctx *x, const cg_device *d, const cg_mm_gpu *p);

#endif
