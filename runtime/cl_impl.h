/*
 * cl_impl.h -- private to runtime/cl_*.c: the layout of the OpenCL context
 * and its handles.  Only these files include the OpenCL headers; the rest
 * of dnnf sees the opaque types of runtime.h.
 */
#ifndef DNNF_CL_IMPL_H
#define DNNF_CL_IMPL_H

#include "runtime.h"

#include <CL/cl.h>
#include <uthash.h>

#define RT_CL_KEY 32 /* SHA-256 of the cache key material */

struct rt_cl_program {
    unsigned char key[RT_CL_KEY];
    cl_program prog;
    char label[128];
    UT_hash_handle hh;
};

struct rt_cl_kernel {
    cl_kernel k;
    rt_cl_program *prog;
    char name[128];
    cl_uint nargs;
    int stat; /* index into ctx->kstat, -1 until its first launch */
    rt_cl_kernel *next;
};

/* OpenCL 2.0's name for the row-pitch alignment of an image made over a
   buffer; we build against the 1.2 API (CMakeLists.txt) */
#ifndef CL_DEVICE_IMAGE_PITCH_ALIGNMENT
#define CL_DEVICE_IMAGE_PITCH_ALIGNMENT 0x104A
#endif

struct rt_cl_buf {
    rt_cl_ctx *ctx;
    cl_mem mem;
    size_t bytes;
    int image;            /* image2d of CL_RGBA / CL_FLOAT */
    size_t width, height; /* texels, images only */
    rt_cl_buf *prev, *next;
};

/* A launch whose time is not yet read. */
typedef struct {
    cl_event ev;
    rt_cl_kernel *k;
} rt_cl_pending;

struct rt_cl_ctx {
    rt_cl_device_info info;
    cl_platform_id platform;
    cl_device_id device;
    cl_context context;
    cl_command_queue queue;

    char cache_dir[1024]; /* "" when the disk cache is off */
    char cache_why[256];  /* why it is off, when it could not be made */
    rt_cl_program *progs; /* uthash by key */
    rt_cl_kernel *kernels;
    rt_cl_buf *bufs; /* live buffers, freed with the context */

    rt_cl_pending *pend;
    int npend, cappend;
    int untimed; /* launches take no event (rt_cl_set_timing) */
    rt_cl_kstat *kstat;
    int nkstat, capkstat;

    rt_cl_stats st; /* counters; kernel/nkernel filled on rt_cl_get_stats */
};

/* cl_device.c: platform and device discovery with the ids behind each entry. */
int rt_cl_enum(rt_cl_device_info **devs, cl_platform_id **plat, cl_device_id **dev, int *n,
               dn_err *e);

/* cl_error.c: "clFoo failed: CL_NAME (-N)" with a hint for common codes. */
int rt_cl_fail(dn_err *e, const char *what, cl_int code);
/* Allocation failures and requests above the device's limits. */
int rt_cl_oom(rt_cl_ctx *c, dn_err *e, size_t wanted, const char *detail);
int rt_cl_is_oom(cl_int code);

/* cl_cache.c */
void rt_cl_cache_init(rt_cl_ctx *c, const char *dir);
void rt_cl_programs_free(rt_cl_ctx *c);
void rt_cl_sha256(const void *data, size_t n, unsigned char out[32]); /* for the tests */

/* cl_mem.c / cl_launch.c */
void rt_cl_bufs_free(rt_cl_ctx *c);
void rt_cl_kernels_free(rt_cl_ctx *c);

double rt_cl_now_ms(void);

#endif
