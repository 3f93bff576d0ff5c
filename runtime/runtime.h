/*
 * runtime.h -- the one public header of runtime/: tensors in and out of
 * files (NumPy .npy), and the reference interpreter, the oracle that every
 * optimized or fused execution is compared with.  (Later: the OpenCL
 * device, program cache, memory plan and launches.)
 */
#ifndef DNNF_RUNTIME_H
#define DNNF_RUNTIME_H

#include "engine.h"

/* NumPy .npy files, format versions 1-3, little-endian, C order. */
int rt_npy_read(const char *path, dn_tensor *t, dn_err *e);
int rt_npy_write(const char *path, const dn_tensor *t, dn_err *e);

typedef struct rt_ref_stats {
    int nodes;          /* nodes executed */
    int64_t peak_bytes; /* high-water mark of live intermediate tensors */
    double ms;          /* wall time of the run */
} rt_ref_stats;

/*
 * Runs g node by node with the operator semantics of engine/.  inputs[i]
 * feeds g->input[i] and must match its dtype and (known) dims; outputs[i]
 * receives g->output[i] (the caller frees with dn_tensor_free).  Every
 * constant must have its data (ox_load_weights first).  Intermediate
 * tensors are freed after their last reader, so memory stays near the
 * largest live set rather than the sum of all activations.
 */
int rt_reference_run(const ir_graph *g, const dn_tensor *inputs, dn_tensor *outputs,
                     rt_ref_stats *st, dn_err *e);

/* Deterministic test input for value v: token ids in [0, 1000) for integer
   inputs (the text models' vocabulary bound), uniform [-1, 1) floats else. */
int rt_make_input(const ir_graph *g, int v, uint64_t seed, dn_tensor *t, dn_err *e);

/* ================================================================== */
/* OpenCL runtime (runtime/cl_*.c; docs/runtime.md)                    */
/* ================================================================== */
/*
 * Everything lives in an rt_cl_ctx that the caller creates and frees: the
 * chosen device, its context and profiling queue, the program cache (an
 * in-process map and the on-disk binary cache), buffers, kernels and
 * per-kernel timing.  There is no global state, so two contexts (two
 * devices, two tests) never interfere.  The OpenCL headers stay private:
 * buffers, programs and kernels are opaque handles owned by the context.
 * A context is used by one thread at a time.
 */

typedef struct rt_cl_ctx rt_cl_ctx;
typedef struct rt_cl_program rt_cl_program; /* owned by the context */
typedef struct rt_cl_kernel rt_cl_kernel;   /* owned by the context */
typedef struct rt_cl_buf rt_cl_buf;         /* a buffer or an image2d */

/* One OpenCL device as `dnnf devices` shows it. */
typedef struct rt_cl_device_info {
    int index;          /* position in the list: what `--device INDEX` selects */
    int platform_index; /* position of its platform */
    char platform[128], platform_vendor[128], platform_version[160];
    char name[128], vendor[128];
    char cls[16];       /* "cpu", "gpu", "accelerator" or "other" */
    char version[160];  /* CL_DEVICE_VERSION, "OpenCL 3.0 ..." */
    char driver[128];   /* CL_DRIVER_VERSION */
    char c_version[64]; /* CL_DEVICE_OPENCL_C_VERSION */
    int compute_units;
    int64_t global_mem, local_mem, max_alloc; /* bytes */
    int64_t max_wg_size;                      /* work-items per work-group */
    int image_support;
    int64_t image2d_max_w, image2d_max_h;
    /* cl_khr_image2d_from_buffer: an image2d_t can be made over a buffer,
       its row pitch a multiple of image_pitch_align texels */
    int image_from_buffer;
    int64_t image_pitch_align;
    int is_pocl; /* the platform is PoCL (the default's first choice) */
} rt_cl_device_info;

/* Every device of every platform, in platform order; *devs is malloc'd (free()).
   No platform at all is an error that says so. */
int rt_cl_devices(rt_cl_device_info **devs, int *n, dn_err *e);

/* The device a selector names: NULL or "" is the default (the first CPU
   device of PoCL, else device 0); an index ("0"); a class ("cpu", "gpu",
   "accelerator"); else a case-insensitive substring of the platform or
   device name or vendor ("pocl", "nvidia").  Returns its index, or -1 with
   an error that lists the devices there are. */
int rt_cl_select(const rt_cl_device_info *devs, int n, const char *sel, dn_err *e);

/* The name of an OpenCL error code, "CL_INVALID_WORK_GROUP_SIZE"; never NULL. */
const char *rt_cl_errname(int code);

typedef struct rt_cl_opts {
    const char *device;    /* selector; NULL: $DNNF_DEVICE, else the default */
    const char *cache_dir; /* NULL: $DNNF_CACHE_DIR, else $XDG_CACHE_HOME/dnnf/kernels
                              or ~/.cache/dnnf/kernels; "off": no disk cache */
} rt_cl_opts;

/* Opens the selected device with a profiling queue.  o may be NULL. */
rt_cl_ctx *rt_cl_create(const rt_cl_opts *o, dn_err *e);
/* Frees everything the context owns: programs, kernels, leftover buffers. */
void rt_cl_free(rt_cl_ctx *c);
const rt_cl_device_info *rt_cl_device(const rt_cl_ctx *c);
/* The disk cache folder in use, or "" when the disk cache is off (and why,
   in *why, when it could not be created). */
const char *rt_cl_cache_dir(const rt_cl_ctx *c, const char **why);

/*
 * Builds an OpenCL C program for the context's device, once: the same
 * (source, options) returns the same program for the rest of the context's
 * life, and a binary cached on disk by a previous process is loaded instead
 * of compiling.  label names what the source is for (the ONNX nodes of a
 * fused block) and appears in error messages; it is not part of the key.
 * A build failure's message quotes the generated source line of every
 * `line:col: error` in the build log, then the log.
 */
/* The options every generated kernel is built with (runtime/execute.c). */
#define RT_KERNEL_BUILD_OPTIONS "-cl-denorms-are-zero"
int rt_cl_build(rt_cl_ctx *c, const char *source, const char *options, const char *label,
                rt_cl_program **prog, dn_err *e);
/* The kernel `name` of a program (created once, then reused). */
rt_cl_kernel *rt_cl_kernel_get(rt_cl_ctx *c, rt_cl_program *p, const char *name, dn_err *e);

/* Device memory.  Sizes above the device's limits, and allocation failures,
   give "out of device memory: wanted X MB, device has Y MB ...". */
rt_cl_buf *rt_cl_buf_new(rt_cl_ctx *c, size_t bytes, dn_err *e);
/* An image2d_t of float RGBA texels (4 floats each), width x height texels. */
rt_cl_buf *rt_cl_image2d_new(rt_cl_ctx *c, size_t width, size_t height, dn_err *e);
/* An image2d_t of RGBA float texels made over buffer b, no copy
   (cl_khr_image2d_from_buffer): texel (x, y) is floats 4 (y width + x)
   .. + 3 of b, which must hold width x height texels.  Release it before
   b. */
rt_cl_buf *rt_cl_image2d_over(rt_cl_ctx *c, rt_cl_buf *b, size_t width, size_t height, dn_err *e);
/* Copies buffer b's first width x height texels into image img (enqueued):
   what an image over b would show, for a device that cannot make one. */
int rt_cl_copy_to_image(rt_cl_ctx *c, rt_cl_buf *b, rt_cl_buf *img, dn_err *e);
void rt_cl_buf_free(rt_cl_buf *b); /* NULL is fine */
size_t rt_cl_buf_bytes(const rt_cl_buf *b);
/* Blocking copies.  Buffers: the tensor's bytes at offset 0 (must fit).
   Images: an f32 tensor of at most width*height*4 elements, in texel order
   (row-major, 4 per texel), zero-padded on write.  rt_cl_read allocates
   t->data from t's dtype and shape when it is NULL. */
int rt_cl_write(rt_cl_ctx *c, rt_cl_buf *b, const dn_tensor *t, dn_err *e);
int rt_cl_read(rt_cl_ctx *c, rt_cl_buf *b, dn_tensor *t, dn_err *e);
int rt_cl_write_bytes(rt_cl_ctx *c, rt_cl_buf *b, size_t off, const void *src, size_t n, dn_err *e);
int rt_cl_read_bytes(rt_cl_ctx *c, rt_cl_buf *b, size_t off, void *dst, size_t n, dn_err *e);

/* Kernel arguments, in order. */
enum { RT_CL_ARG_BUF = 1, RT_CL_ARG_I32, RT_CL_ARG_I64, RT_CL_ARG_F32, RT_CL_ARG_LOCAL };
typedef struct rt_cl_arg {
    int kind;
    union {
        rt_cl_buf *buf; /* RT_CL_ARG_BUF: a buffer or an image */
        int32_t i32;
        int64_t i64;
        float f32;
        size_t local_bytes; /* RT_CL_ARG_LOCAL: __local memory of this size */
    } u;
} rt_cl_arg;
static inline rt_cl_arg rt_cl_arg_buf(rt_cl_buf *b)
{
    rt_cl_arg a = {RT_CL_ARG_BUF, {.buf = b}};
    return a;
}
static inline rt_cl_arg rt_cl_arg_i32(int32_t v)
{
    rt_cl_arg a = {RT_CL_ARG_I32, {.i32 = v}};
    return a;
}
static inline rt_cl_arg rt_cl_arg_i64(int64_t v)
{
    rt_cl_arg a = {RT_CL_ARG_I64, {.i64 = v}};
    return a;
}
static inline rt_cl_arg rt_cl_arg_f32(float v)
{
    rt_cl_arg a = {RT_CL_ARG_F32, {.f32 = v}};
    return a;
}
static inline rt_cl_arg rt_cl_arg_local(size_t n)
{
    rt_cl_arg a = {RT_CL_ARG_LOCAL, {.local_bytes = n}};
    return a;
}

/*
 * Sets the arguments and enqueues an NDRange of dims (1-3) dimensions;
 * local may be NULL (the driver chooses).  The launch is asynchronous: its
 * time is read from its profiling event at the next rt_cl_finish, or at
 * once into *ms when ms is not NULL (which waits for it).
 */
int rt_cl_launch(rt_cl_ctx *c, rt_cl_kernel *k, const rt_cl_arg *args, int nargs, int dims,
                 const size_t *global, const size_t *local, double *ms, dn_err *e);
/* Waits for every launch and adds their times to the per-kernel stats. */
int rt_cl_finish(rt_cl_ctx *c, dn_err *e);

typedef struct rt_cl_kstat {
    char name[128]; /* kernel function name */
    int launches;
    double total_ms, min_ms, max_ms; /* device time, event START..END */
} rt_cl_kstat;

typedef struct rt_cl_stats {
    int programs;                   /* distinct programs built or loaded in this context */
    int mem_hits;                   /* rt_cl_build answered from the in-process map */
    int cache_hits;                 /* programs loaded from the disk cache */
    int cache_misses;               /* programs compiled from source */
    int cache_corrupt;              /* disk entries found damaged or unusable, rebuilt */
    int cache_writes;               /* entries written to the disk cache */
    double build_ms;                /* wall time spent creating and building programs */
    int64_t live_bytes, peak_bytes; /* device memory held by rt_cl_buf now / at most */
    int launches;
    double kernel_ms; /* sum of the finished launches' device times */
    int nkernel;
    const rt_cl_kstat *kernel; /* per kernel name, in first-launch order; valid
                                  until the next launch or rt_cl_free */
} rt_cl_stats;

void rt_cl_get_stats(const rt_cl_ctx *c, rt_cl_stats *st);
/* Clears the launch counts and times (not the cache counts), e.g. after warm-up. */
void rt_cl_reset_kernel_stats(rt_cl_ctx *c);
/* on (the default): every asynchronous launch takes a profiling event, read
   at rt_cl_finish for the per-kernel times, and a failing kernel is named.
   off: launches take no event and only count.  On NVIDIA's OpenCL an event
   per launch costs host time that, with hundreds of small kernels, shows
   in the latency: dnnf bench times its runs with timing off and profiles
   in separate runs. */
void rt_cl_set_timing(rt_cl_ctx *c, int on);

/* ========================= end OpenCL runtime ===================== */

/* ================================================================== */
/* Block-by-block execution of a fusion plan (runtime/blocks.c)        */
/* ================================================================== */
/*
 * Runs the graph of a fusion plan (fusion/fusion.h) block by block with
 * the reference operators: each block sees only graph inputs, constants
 * and the outputs of earlier blocks; the values its nodes produce inside
 * never leave it.  Inputs and outputs as for rt_reference_run.  r expands
 * composite operators (the `dnnf` domain) of a rewritten graph; it may be
 * NULL for graphs of standard operators.  Available when dnnf is built
 * with fusion/fusion.cmake (DNNF_HAVE_FUSION).
 */
struct fu_plan;
struct gm_rules;

typedef struct rt_block_stats {
    int blocks;         /* blocks run */
    int launches;       /* blocks that are not pure views */
    int64_t irs_bytes;  /* intermediate bytes written between blocks */
    int64_t peak_bytes; /* high-water mark of live tensors */
    double ms;
} rt_block_stats;

int rt_blocks_run(const struct fu_plan *p, const struct gm_rules *r, const dn_tensor *inputs,
                  dn_tensor *outputs, rt_block_stats *st, dn_err *e);

/* ===================== end block-by-block execution ================= */

/* ================================================================== */
/* Executing kernels on an OpenCL device (runtime/execute.c,           */
/* runtime/execute_host.c, runtime/memplan.c; docs/codegen.md)         */
/* ================================================================== */
/*
 * Runs a graph as a list of blocks (codegen.h cg_block: a fusion plan's
 * blocks, or one per node) on an rt_cl_ctx: one generated kernel per
 * block that a template covers; a block no template covers runs on the
 * host with the reference operators on copies of its inputs -- counted
 * and listed as a "host block", never hidden.  View blocks (Reshape and
 * friends) alias their input's buffer and launch nothing.  Parameters are
 * uploaded once; activations live in buffers reused by liveness (the
 * memory plan), whose total is the peak reported.  Available when dnnf is
 * built with tests/codegen/codegen.cmake (DNNF_HAVE_CODEGEN).
 */
struct cg_block;

/* The memory plan (memplan.c): every activation value gets a slot; values
   whose lifetimes do not overlap share one; views share their input's. */
typedef struct rt_memplan {
    int nval;
    int *root; /* value -> the value whose storage it uses (itself unless a view) */
    int *slot; /* value (a root) -> slot, -1 for constants and unused values */
    int nslot;
    int64_t *slot_bytes;
    int64_t peak_bytes;      /* sum of the slots: the high-water mark */
    int64_t unplanned_bytes; /* the same with one buffer per value */
} rt_memplan;

int rt_memplan_build(const ir_graph *g, const struct cg_block *b, int nb, rt_memplan *mp,
                     dn_err *e);
void rt_memplan_free(rt_memplan *mp);

typedef struct rt_exec rt_exec;

typedef struct rt_exec_stats {
    int blocks;              /* blocks of the graph */
    int kernels;             /* launches per inference (device blocks) */
    int host_blocks;         /* blocks run on the host (no template yet) */
    int views;               /* blocks that launch nothing */
    int programs;            /* distinct kernels (identical blocks share one) */
    int64_t peak_bytes;      /* activations: the memory plan's high-water mark */
    int64_t unplanned_bytes; /* activations with one buffer per value */
    int64_t param_bytes;     /* parameters uploaded */
    double prepare_ms;       /* emit + build (or cache load) + upload */
    double ms;               /* wall time of the last rt_exec_run */
    double host_ms;          /* of which host blocks (incl. copies) */
    /* 2.5-D memory (docs/layout.md §4): kernels reading constant weights
       from an image2d_t, and activations (aimg_copy: images that are
       copies, DNNF_IMAGE_COPY, not made over the buffer) */
    int image_weights, image_activations, image_copies;
} rt_exec_stats;

/* One block as executed: what it is and, for host blocks, why. */
typedef struct rt_exec_block {
    int id;
    int kind;            /* 0 view, 1 device kernel, 2 host */
    const char *kernel;  /* the kernel's name (device) */
    const char *family;  /* "elementwise", "matmul", ... */
    const char *nodes;   /* "name (Op), ..." */
    const char *why;     /* host blocks: the reason no template covers it */
    const char *source;  /* the kernel's OpenCL text (device) */
    double flops, bytes; /* per launch */
    int copy;            /* made only of data movement: a layout kernel */
} rt_exec_block;

/* Emits and builds every block's kernel and uploads the constants.  The
   graph and blocks must outlive the executor; blocks come from
   rt_blocks_prepare (a block whose outputs differ in size has no template
   and runs on the host). */
/* The template family and tile parameters of c's device (codegen.h
   cg_device): the GPU family on a GPU, or anywhere with
   DNNF_FORCE_GPU_TEMPLATES set.  Blocks must be prepared
   (rt_blocks_prepare) for the class they will run on: which blocks a
   template covers, and so how they are split, depends on it. */
struct cg_device;
void rt_device_class(rt_cl_ctx *c, struct cg_device *d);
rt_exec *rt_exec_new(rt_cl_ctx *c, const ir_graph *g, const struct cg_block *b, int nb, dn_err *e);
void rt_exec_free(rt_exec *x);
/* One inference: inputs and outputs as for rt_reference_run. */
int rt_exec_run(rt_exec *x, const dn_tensor *inputs, dn_tensor *outputs, dn_err *e);
void rt_exec_get_stats(const rt_exec *x, rt_exec_stats *st);
/* With on, every device block's outputs are compared with the host
   fallback's right after it runs; the first that differs by more than
   1e-3 x max |ref| fails the run with the block, kernel and value named
   (`dnnf run --verify-blocks`: finds the wrong kernel). */
void rt_exec_set_verify(rt_exec *x, int on);
int rt_exec_nblocks(const rt_exec *x);
const rt_exec_block *rt_exec_block_info(const rt_exec *x, int i);

/* Block lists: one block per live node (unfused execution); caller frees
   with rt_blocks_free. */
int rt_blocks_per_node(const ir_graph *g, struct cg_block **b, int *nb, dn_err *e);
void rt_blocks_free(struct cg_block *b, int nb);
#ifdef DNNF_HAVE_FUSION
/* The blocks of a fusion plan. */
int rt_blocks_from_plan(const struct fu_plan *p, struct cg_block **b, int *nb);
#endif

/* The block list that runs (runtime/split.c; docs/codegen.md, "Block
   splitting"; docs/layout.md section 5), made from the fusion plan's blocks
   or one per node:
     - a block no template covers because of its shape, with one anchor
       (MatMul/Gemm, reduction, Conv or pool), is split at the anchor: the
       prologue values other blocks read (elementwise), the anchor with its
       prologue and own-index epilogue, the rest reading its result;
     - a block whose outputs differ in size becomes one block per size;
     - with layout on (and rules r, for the layout plan's groups), a block
       made only of data movement whose nodes the layout plan reads
       through launches nothing: its readers take its nodes and read the
       source tensor (docs/layout.md section 2).  layout 0 is the pass off:
       such blocks run as copy kernels.
   d is the device the emitter writes for (the split is decided by which
   blocks a template covers).  Blocks are renumbered 0..n-1.  The caller
   frees *out with rt_blocks_free. */
struct gm_rules;
struct cg_device;
typedef struct rt_prepare_stats {
    int anchor_splits;   /* blocks split at their anchor */
    int size_splits;     /* blocks split by output size */
    int read_through;    /* data-movement blocks folded into their readers */
    int write_through;   /* data-movement blocks folded into their producers */
    int epilogue_merges; /* elementwise blocks merged into the kernel before them */
    int kernels;         /* launching blocks (kernels and host blocks) */
    int layout_kernels;  /* launching blocks made only of data movement */
    /* the layout plan's own count over these blocks (ly_summary): layout
       kernels before the pass and after it; after == layout_kernels when
       what runs agrees with the plan */
    int plan_before, plan_after;
    /* why no layout plan could be built (then nothing is read through);
       empty when it was */
    char layout_error[200];
} rt_prepare_stats;
/* flags of rt_blocks_prepare: the layout pass's read- and write-through,
   and blocks that come from a fusion plan (elementwise blocks that the
   split leaves alone may then join the kernel before them) */
enum { RT_PREP_LAYOUT = 1, RT_PREP_FUSED = 2 };
int rt_blocks_prepare(const ir_graph *g, const struct gm_rules *r, const struct cg_block *b, int nb,
                      const struct cg_device *d, int flags, struct cg_block **out, int *nout,
                      rt_prepare_stats *st, dn_err *e);
/* 1 when block b launches work (kernel or host) made only of operators in
   the comma-separated list ops ("Transpose,Reshape"). */
int rt_block_only_ops(const ir_graph *g, const struct cg_block *b, const char *ops);
/* 1 when block b launches a kernel made only of data movement (Transpose,
   Reshape, Concat, Slice, ...): a copy kernel, what the layout pass removes. */
int rt_block_movement_only(const ir_graph *g, const struct cg_block *b);

/* ===================== end executing kernels ======================== */

#endif
