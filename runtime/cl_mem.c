/*
 * cl_mem.c -- device buffers and images, and copies between them and
 * dn_tensors.
 *
 * Running out of device memory is an input problem (a model too large for
 * the device), so it gets a message a user can act on: how much was
 * wanted and how much the device has.  The limits are checked before
 * asking the driver, because drivers allocate lazily: an oversized
 * clCreateBuffer often "succeeds" and fails later, at the first copy or
 * launch, where the failure is reported the same way (cl_launch.c).
 */
#include "cl_impl.h"

#include <stdlib.h>
#include <string.h>

/* "clCreateBuffer failed with CL_MEM_OBJECT_ALLOCATION_FAILURE (N MB held)" */
static int driver_oom(rt_cl_ctx *c, size_t bytes, const char *what, cl_int r, dn_err *e)
{
    char why[160];
    snprintf(why, sizeof why, "%s failed with %s (%.1f MB held by this run)", what,
             rt_cl_errname(r), c->st.live_bytes / 1048576.0);
    return rt_cl_oom(c, e, bytes, why);
}

static rt_cl_buf *track(rt_cl_ctx *c, cl_mem m, size_t bytes)
{
    rt_cl_buf *b = calloc(1, sizeof *b);
    if (!b) return NULL;
    b->ctx = c;
    b->mem = m;
    b->bytes = bytes;
    b->next = c->bufs;
    if (c->bufs) c->bufs->prev = b;
    c->bufs = b;
    c->st.live_bytes += (int64_t)bytes;
    if (c->st.live_bytes > c->st.peak_bytes) c->st.peak_bytes = c->st.live_bytes;
    return b;
}

/* The limits every allocation is held to before the driver sees it. */
static int check_room(rt_cl_ctx *c, size_t bytes, dn_err *e)
{
    const rt_cl_device_info *d = &c->info;
    char why[200];
    if (d->max_alloc > 0 && (uint64_t)bytes > (uint64_t)d->max_alloc) {
        snprintf(why, sizeof why,
                 "one buffer may hold at most %.1f MB (CL_DEVICE_MAX_MEM_ALLOC_SIZE)",
                 d->max_alloc / 1048576.0);
        return rt_cl_oom(c, e, bytes, why);
    }
    if (d->global_mem > 0 &&
        (uint64_t)bytes + (uint64_t)c->st.live_bytes > (uint64_t)d->global_mem) {
        snprintf(why, sizeof why, "%.1f MB of it already held by this run",
                 c->st.live_bytes / 1048576.0);
        return rt_cl_oom(c, e, bytes, why);
    }
    return 0;
}

rt_cl_buf *rt_cl_buf_new(rt_cl_ctx *c, size_t bytes, dn_err *e)
{
    if (bytes == 0) bytes = 4; /* OpenCL rejects empty buffers; empty tensors exist */
    if (check_room(c, bytes, e)) return NULL;
    cl_int r;
    cl_mem m = clCreateBuffer(c->context, CL_MEM_READ_WRITE, bytes, NULL, &r);
    if (!m) {
        if (rt_cl_is_oom(r)) {
            driver_oom(c, bytes, "clCreateBuffer", r, e);
        } else {
            rt_cl_fail(e, "clCreateBuffer failed", r);
        }
        return NULL;
    }
    rt_cl_buf *b = track(c, m, bytes);
    if (!b) {
        clReleaseMemObject(m);
        dn_errf(e, "out of memory");
    }
    return b;
}

/* An RGBA float image2d of width x height texels: with storage of its own
   (over NULL), or made over buffer `over` (rows of width texels, no
   copy); tracked as `tracked` bytes. */
static rt_cl_buf *image2d(rt_cl_ctx *c, cl_mem over, size_t width, size_t height, size_t tracked,
                          dn_err *e)
{
    cl_image_format fmt = {CL_RGBA, CL_FLOAT};
    cl_image_desc desc;
    memset(&desc, 0, sizeof desc);
    desc.image_type = CL_MEM_OBJECT_IMAGE2D;
    desc.image_width = width;
    desc.image_height = height;
    if (over) {
        desc.image_row_pitch = width * 16;
        desc.buffer = over;
    }
    cl_int r;
    cl_mem m = clCreateImage(c->context, over ? CL_MEM_READ_ONLY : CL_MEM_READ_WRITE, &fmt, &desc,
                             NULL, &r);
    if (!m) {
        if (!over && rt_cl_is_oom(r))
            driver_oom(c, tracked, "clCreateImage", r, e);
        else
            rt_cl_fail(e,
                       over ? "clCreateImage (image2d over a buffer) failed"
                            : "clCreateImage (RGBA float image2d) failed",
                       r);
        return NULL;
    }
    rt_cl_buf *b = track(c, m, tracked);
    if (!b) {
        clReleaseMemObject(m);
        dn_errf(e, "out of memory");
        return NULL;
    }
    b->image = 1;
    b->width = width;
    b->height = height;
    return b;
}

rt_cl_buf *rt_cl_image2d_new(rt_cl_ctx *c, size_t width, size_t height, dn_err *e)
{
    const rt_cl_device_info *d = &c->info;
    if (!d->image_support) {
        dn_errf(e, "device %s has no image support: image2d_t cannot be used on it", d->name);
        return NULL;
    }
    if (!width || !height || (int64_t)width > d->image2d_max_w ||
        (int64_t)height > d->image2d_max_h) {
        dn_errf(e, "image2d of %zu x %zu texels does not fit device %s (at most %lld x %lld)",
                width, height, d->name, (long long)d->image2d_max_w, (long long)d->image2d_max_h);
        return NULL;
    }
    size_t bytes = width * height * 4 * sizeof(float);
    if (check_room(c, bytes, e)) return NULL;
    return image2d(c, NULL, width, height, bytes, e);
}

rt_cl_buf *rt_cl_image2d_over(rt_cl_ctx *c, rt_cl_buf *b, size_t width, size_t height, dn_err *e)
{
    const rt_cl_device_info *d = &c->info;
    if (!d->image_from_buffer) {
        dn_errf(e, "device %s cannot make an image2d_t over a buffer "
                   "(no cl_khr_image2d_from_buffer)",
                d->name);
        return NULL;
    }
    if (!width || !height || (int64_t)width > d->image2d_max_w ||
        (int64_t)height > d->image2d_max_h || width % (size_t)d->image_pitch_align ||
        width * height * 16 > b->bytes) {
        dn_errf(e,
                "image2d of %zu x %zu texels over a buffer of %zu bytes does not fit device %s "
                "(at most %lld x %lld, rows a multiple of %lld texels)",
                width, height, b->bytes, d->name, (long long)d->image2d_max_w,
                (long long)d->image2d_max_h, (long long)d->image_pitch_align);
        return NULL;
    }
    return image2d(c, b->mem, width, height, 0 /* the buffer's memory, counted there */, e);
}

static void untrack_release(rt_cl_buf *b)
{
    rt_cl_ctx *c = b->ctx;
    if (b->prev)
        b->prev->next = b->next;
    else
        c->bufs = b->next;
    if (b->next) b->next->prev = b->prev;
    c->st.live_bytes -= (int64_t)b->bytes;
    clReleaseMemObject(b->mem);
    free(b);
}

void rt_cl_buf_free(rt_cl_buf *b)
{
    if (b) untrack_release(b);
}

void rt_cl_bufs_free(rt_cl_ctx *c)
{
    while (c->bufs)
        untrack_release(c->bufs);
}

size_t rt_cl_buf_bytes(const rt_cl_buf *b)
{
    return b->bytes;
}

/* A failed copy: out of memory when the driver allocated lazily. */
static int copy_fail(rt_cl_ctx *c, rt_cl_buf *b, const char *what, cl_int r, dn_err *e)
{
    if (rt_cl_is_oom(r)) return driver_oom(c, b->bytes, what, r, e);
    char w[96];
    snprintf(w, sizeof w, "%s failed", what);
    return rt_cl_fail(e, w, r);
}

int rt_cl_write_bytes(rt_cl_ctx *c, rt_cl_buf *b, size_t off, const void *src, size_t n, dn_err *e)
{
    if (b->image) return dn_errf(e, "rt_cl_write_bytes: an image needs rt_cl_write");
    if (off > b->bytes || n > b->bytes - off)
        return dn_errf(e, "write of %zu bytes at offset %zu overruns a %zu-byte device buffer", n,
                       off, b->bytes);
    if (!n) return 0;
    cl_int r = clEnqueueWriteBuffer(c->queue, b->mem, CL_TRUE, off, n, src, 0, NULL, NULL);
    return r == CL_SUCCESS ? 0 : copy_fail(c, b, "clEnqueueWriteBuffer", r, e);
}

int rt_cl_copy_to_image(rt_cl_ctx *c, rt_cl_buf *b, rt_cl_buf *img, dn_err *e)
{
    if (b->image || !img->image || img->width * img->height * 16 > b->bytes)
        return dn_errf(e, "rt_cl_copy_to_image: a buffer of %zu bytes into an image of %zu x %zu",
                       b->bytes, img->width, img->height);
    size_t origin[3] = {0, 0, 0}, region[3] = {img->width, img->height, 1};
    cl_int r = clEnqueueCopyBufferToImage(c->queue, b->mem, img->mem, 0, origin, region, 0, NULL,
                                          NULL);
    return r == CL_SUCCESS ? 0 : rt_cl_fail(e, "clEnqueueCopyBufferToImage failed", r);
}

int rt_cl_read_bytes(rt_cl_ctx *c, rt_cl_buf *b, size_t off, void *dst, size_t n, dn_err *e)
{
    if (b->image) return dn_errf(e, "rt_cl_read_bytes: an image needs rt_cl_read");
    if (off > b->bytes || n > b->bytes - off)
        return dn_errf(e, "read of %zu bytes at offset %zu overruns a %zu-byte device buffer", n,
                       off, b->bytes);
    if (!n) return 0;
    cl_int r = clEnqueueReadBuffer(c->queue, b->mem, CL_TRUE, off, n, dst, 0, NULL, NULL);
    return r == CL_SUCCESS ? 0 : copy_fail(c, b, "clEnqueueReadBuffer", r, e);
}

static int image_fits(const rt_cl_buf *b, const dn_tensor *t, size_t *n, dn_err *e)
{
    int64_t numel = dn_shape_numel(&t->shape);
    if (t->dtype != DN_F32 || numel < 0)
        return dn_errf(e, "an image2d holds f32 tensors of known shape, not %s",
                       dn_dtype_name(t->dtype));
    if ((uint64_t)numel > (uint64_t)b->width * b->height * 4)
        return dn_errf(e, "%lld floats do not fit an image2d of %zu x %zu RGBA texels",
                       (long long)numel, b->width, b->height);
    *n = (size_t)numel;
    return 0;
}

int rt_cl_write(rt_cl_ctx *c, rt_cl_buf *b, const dn_tensor *t, dn_err *e)
{
    if (!t->data) return dn_errf(e, "rt_cl_write: the tensor has no data");
    if (!b->image) return rt_cl_write_bytes(c, b, 0, t->data, dn_tensor_bytes(t), e);
    size_t n, all = b->width * b->height * 4;
    if (image_fits(b, t, &n, e)) return -1;
    float *tmp = NULL;
    const void *src = t->data;
    if (n < all) { /* zero the padding texels: kernels may read them */
        tmp = calloc(all, sizeof *tmp);
        if (!tmp) return dn_errf(e, "out of memory");
        memcpy(tmp, t->data, n * sizeof *tmp);
        src = tmp;
    }
    size_t origin[3] = {0, 0, 0}, region[3] = {b->width, b->height, 1};
    cl_int r =
        clEnqueueWriteImage(c->queue, b->mem, CL_TRUE, origin, region, 0, 0, src, 0, NULL, NULL);
    free(tmp);
    return r == CL_SUCCESS ? 0 : copy_fail(c, b, "clEnqueueWriteImage", r, e);
}

int rt_cl_read(rt_cl_ctx *c, rt_cl_buf *b, dn_tensor *t, dn_err *e)
{
    if (!t->data && dn_tensor_alloc(t, e)) return -1;
    if (!b->image) return rt_cl_read_bytes(c, b, 0, t->data, dn_tensor_bytes(t), e);
    size_t n, all = b->width * b->height * 4;
    if (image_fits(b, t, &n, e)) return -1;
    float *dst = n < all ? malloc(all * sizeof *dst) : t->data;
    if (!dst) return dn_errf(e, "out of memory");
    size_t origin[3] = {0, 0, 0}, region[3] = {b->width, b->height, 1};
    cl_int r =
        clEnqueueReadImage(c->queue, b->mem, CL_TRUE, origin, region, 0, 0, dst, 0, NULL, NULL);
    if (dst != t->data) {
        if (r == CL_SUCCESS) memcpy(t->data, dst, n * sizeof(float));
        free(dst);
    }
    return r == CL_SUCCESS ? 0 : copy_fail(c, b, "clEnqueueReadImage", r, e);
}
