/*
 * cl_device.c -- which OpenCL device dnnf runs on, and the context that
 * holds everything for it.
 *
 * Devices are numbered across platforms in the order the ICD loader lists
 * them; that number, a class ("cpu", "gpu") or a piece of a platform or
 * device name selects one.  The default is PoCL's CPU device: it exists
 * on every machine dnnf is set up on (README), so a run with no selector
 * gives the same numbers everywhere; a GPU is always asked for by name.
 */
#include "cl_impl.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static void str_info_p(cl_platform_id p, cl_platform_info what, char *buf, size_t n)
{
    buf[0] = 0;
    if (clGetPlatformInfo(p, what, n, buf, NULL) != CL_SUCCESS) buf[0] = 0;
    buf[n - 1] = 0;
}

static void str_info_d(cl_device_id d, cl_device_info what, char *buf, size_t n)
{
    buf[0] = 0;
    if (clGetDeviceInfo(d, what, n, buf, NULL) != CL_SUCCESS) buf[0] = 0;
    buf[n - 1] = 0;
    /* Some drivers pad names with spaces. */
    size_t k = strlen(buf);
    while (k && buf[k - 1] == ' ')
        buf[--k] = 0;
}

static int64_t u64_info(cl_device_id d, cl_device_info what)
{
    cl_ulong v = 0;
    if (clGetDeviceInfo(d, what, sizeof v, &v, NULL) != CL_SUCCESS) return 0;
    return (int64_t)v;
}

static int64_t size_info(cl_device_id d, cl_device_info what)
{
    size_t v = 0;
    if (clGetDeviceInfo(d, what, sizeof v, &v, NULL) != CL_SUCCESS) return 0;
    return (int64_t)v;
}

static int64_t uint_info(cl_device_id d, cl_device_info what)
{
    cl_uint v = 0;
    if (clGetDeviceInfo(d, what, sizeof v, &v, NULL) != CL_SUCCESS) return 0;
    return (int64_t)v;
}

static int ci_contains(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    if (!n) return 0;
    for (; *hay; hay++) {
        size_t i = 0;
        while (i < n && hay[i] &&
               tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[i]))
            i++;
        if (i == n) return 1;
    }
    return 0;
}

static void fill_info(rt_cl_device_info *d, cl_platform_id p, cl_device_id id)
{
    str_info_p(p, CL_PLATFORM_NAME, d->platform, sizeof d->platform);
    str_info_p(p, CL_PLATFORM_VENDOR, d->platform_vendor, sizeof d->platform_vendor);
    str_info_p(p, CL_PLATFORM_VERSION, d->platform_version, sizeof d->platform_version);
    str_info_d(id, CL_DEVICE_NAME, d->name, sizeof d->name);
    str_info_d(id, CL_DEVICE_VENDOR, d->vendor, sizeof d->vendor);
    str_info_d(id, CL_DEVICE_VERSION, d->version, sizeof d->version);
    str_info_d(id, CL_DRIVER_VERSION, d->driver, sizeof d->driver);
    str_info_d(id, CL_DEVICE_OPENCL_C_VERSION, d->c_version, sizeof d->c_version);
    cl_device_type t = 0;
    clGetDeviceInfo(id, CL_DEVICE_TYPE, sizeof t, &t, NULL);
    snprintf(d->cls, sizeof d->cls, "%s",
             (t & CL_DEVICE_TYPE_GPU)           ? "gpu"
             : (t & CL_DEVICE_TYPE_CPU)         ? "cpu"
             : (t & CL_DEVICE_TYPE_ACCELERATOR) ? "accelerator"
                                                : "other");
    d->compute_units = (int)uint_info(id, CL_DEVICE_MAX_COMPUTE_UNITS);
    d->global_mem = u64_info(id, CL_DEVICE_GLOBAL_MEM_SIZE);
    d->local_mem = u64_info(id, CL_DEVICE_LOCAL_MEM_SIZE);
    d->max_alloc = u64_info(id, CL_DEVICE_MAX_MEM_ALLOC_SIZE);
    d->max_wg_size = size_info(id, CL_DEVICE_MAX_WORK_GROUP_SIZE);
    cl_bool img = CL_FALSE;
    clGetDeviceInfo(id, CL_DEVICE_IMAGE_SUPPORT, sizeof img, &img, NULL);
    d->image_support = img == CL_TRUE;
    d->image2d_max_w = d->image_support ? size_info(id, CL_DEVICE_IMAGE2D_MAX_WIDTH) : 0;
    d->image2d_max_h = d->image_support ? size_info(id, CL_DEVICE_IMAGE2D_MAX_HEIGHT) : 0;
    /* the extension list can run to kilobytes (NVIDIA's does) */
    char *ext = calloc(1, 16384);
    if (!ext) abort();
    str_info_d(id, CL_DEVICE_EXTENSIONS, ext, 16384);
    d->image_pitch_align = uint_info(id, CL_DEVICE_IMAGE_PITCH_ALIGNMENT);
    d->image_from_buffer = d->image_support && strstr(ext, "cl_khr_image2d_from_buffer") &&
                           d->image_pitch_align > 0;
    free(ext);
    d->is_pocl =
        ci_contains(d->platform_vendor, "pocl") || ci_contains(d->platform_version, "pocl");
}

int rt_cl_enum(rt_cl_device_info **devs, cl_platform_id **plat, cl_device_id **dev, int *n,
               dn_err *e)
{
    *devs = NULL;
    *n = 0;
    if (plat) *plat = NULL;
    if (dev) *dev = NULL;
    cl_uint np = 0;
    cl_int r = clGetPlatformIDs(0, NULL, &np);
    if (r == -1001 /* CL_PLATFORM_NOT_FOUND_KHR */ || (r == CL_SUCCESS && np == 0))
        return dn_errf(e, "no OpenCL platform found: install an OpenCL driver such as PoCL "
                          "(scripts/setup.sh does) and check /etc/OpenCL/vendors");
    if (r != CL_SUCCESS) return rt_cl_fail(e, "clGetPlatformIDs failed", r);
    cl_platform_id *ps = calloc(np, sizeof *ps);
    if (!ps) return dn_errf(e, "out of memory");
    clGetPlatformIDs(np, ps, NULL);

    int cap = 0, cnt = 0;
    rt_cl_device_info *out = NULL;
    cl_platform_id *op = NULL;
    cl_device_id *od = NULL;
    for (cl_uint i = 0; i < np; i++) {
        cl_uint nd = 0;
        if (clGetDeviceIDs(ps[i], CL_DEVICE_TYPE_ALL, 0, NULL, &nd) != CL_SUCCESS || !nd)
            continue; /* a platform without devices (a driver with no hardware) */
        cl_device_id *ids = calloc(nd, sizeof *ids);
        if (!ids) goto oom;
        clGetDeviceIDs(ps[i], CL_DEVICE_TYPE_ALL, nd, ids, NULL);
        for (cl_uint j = 0; j < nd; j++) {
            if (cnt == cap) {
                cap = cap ? 2 * cap : 4;
                void *a = realloc(out, cap * sizeof *out), *b = realloc(op, cap * sizeof *op),
                     *c = realloc(od, cap * sizeof *od);
                if (a) out = a;
                if (b) op = b;
                if (c) od = c;
                if (!a || !b || !c) {
                    free(ids);
                    goto oom;
                }
            }
            memset(&out[cnt], 0, sizeof out[cnt]);
            out[cnt].index = cnt;
            out[cnt].platform_index = (int)i;
            fill_info(&out[cnt], ps[i], ids[j]);
            op[cnt] = ps[i];
            od[cnt] = ids[j];
            cnt++;
        }
        free(ids);
    }
    free(ps);
    if (!cnt) {
        free(out);
        free(op);
        free(od);
        return dn_errf(e, "no OpenCL device found on %u platform%s", np, np == 1 ? "" : "s");
    }
    *devs = out;
    *n = cnt;
    if (plat)
        *plat = op;
    else
        free(op);
    if (dev)
        *dev = od;
    else
        free(od);
    return 0;
oom:
    free(ps);
    free(out);
    free(op);
    free(od);
    return dn_errf(e, "out of memory listing OpenCL devices");
}

int rt_cl_devices(rt_cl_device_info **devs, int *n, dn_err *e)
{
    return rt_cl_enum(devs, NULL, NULL, n, e);
}

static int no_match(const rt_cl_device_info *devs, int n, const char *sel, dn_err *e)
{
    char list[1536];
    size_t k = 0;
    list[0] = 0;
    for (int i = 0; i < n && k < sizeof list; i++)
        k += snprintf(list + k, sizeof list - k, "\n  %d  %-4s %s (%s)", i, devs[i].cls,
                      devs[i].name, devs[i].platform);
    return dn_errf(e,
                   "no OpenCL device matches '%s' (an index, cpu, gpu, or part of a platform or "
                   "device name); the devices are:%s",
                   sel, list);
}

int rt_cl_select(const rt_cl_device_info *devs, int n, const char *sel, dn_err *e)
{
    if (n <= 0) return dn_errf(e, "no OpenCL device found");
    if (!sel || !*sel) {
        for (int i = 0; i < n; i++)
            if (devs[i].is_pocl && !strcmp(devs[i].cls, "cpu")) return i;
        return 0;
    }
    const char *s = sel;
    while (isdigit((unsigned char)*s))
        s++;
    if (!*s) {
        long i = strtol(sel, NULL, 10);
        if (i >= 0 && i < n) return (int)i;
        return no_match(devs, n, sel, e);
    }
    static const char *const classes[] = {"cpu", "gpu", "accelerator"};
    for (int c = 0; c < 3; c++) {
        if (strcmp(sel, classes[c]) != 0) continue;
        for (int i = 0; i < n; i++)
            if (!strcmp(devs[i].cls, classes[c])) return i;
        return no_match(devs, n, sel, e);
    }
    for (int i = 0; i < n; i++)
        if (ci_contains(devs[i].name, sel) || ci_contains(devs[i].platform, sel) ||
            ci_contains(devs[i].platform_vendor, sel) || ci_contains(devs[i].vendor, sel))
            return i;
    return no_match(devs, n, sel, e);
}

rt_cl_ctx *rt_cl_create(const rt_cl_opts *o, dn_err *e)
{
    rt_cl_device_info *devs;
    cl_platform_id *plat;
    cl_device_id *ids;
    int n;
    if (rt_cl_enum(&devs, &plat, &ids, &n, e)) return NULL;
    const char *sel = o && o->device ? o->device : getenv("DNNF_DEVICE");
    int i = rt_cl_select(devs, n, sel, e);
    if (i < 0) {
        if (!(o && o->device) && sel) dn_errpre(e, "DNNF_DEVICE: ");
        free(devs);
        free(plat);
        free(ids);
        return NULL;
    }
    rt_cl_ctx *c = calloc(1, sizeof *c);
    if (!c) {
        free(devs);
        free(plat);
        free(ids);
        dn_errf(e, "out of memory");
        return NULL;
    }
    c->info = devs[i];
    c->platform = plat[i];
    c->device = ids[i];
    free(devs);
    free(plat);
    free(ids);

    cl_int r;
    cl_context_properties props[] = {CL_CONTEXT_PLATFORM, (cl_context_properties)c->platform, 0};
    c->context = clCreateContext(props, 1, &c->device, NULL, NULL, &r);
    if (!c->context) {
        rt_cl_fail(e, "clCreateContext failed", r);
        dn_errpre(e, "OpenCL device %d '%s': ", c->info.index, c->info.name);
        free(c);
        return NULL;
    }
    c->queue = clCreateCommandQueue(c->context, c->device, CL_QUEUE_PROFILING_ENABLE, &r);
    if (!c->queue) {
        rt_cl_fail(e, "clCreateCommandQueue failed", r);
        dn_errpre(e, "OpenCL device %d '%s': ", c->info.index, c->info.name);
        clReleaseContext(c->context);
        free(c);
        return NULL;
    }
    const char *dir = o && o->cache_dir ? o->cache_dir : getenv("DNNF_CACHE_DIR");
    rt_cl_cache_init(c, dir);
    return c;
}

void rt_cl_free(rt_cl_ctx *c)
{
    if (!c) return;
    if (c->queue) clFinish(c->queue);
    for (int i = 0; i < c->npend; i++)
        clReleaseEvent(c->pend[i].ev);
    free(c->pend);
    free(c->kstat);
    rt_cl_bufs_free(c);
    rt_cl_kernels_free(c);
    rt_cl_programs_free(c);
    if (c->queue) clReleaseCommandQueue(c->queue);
    if (c->context) clReleaseContext(c->context);
    free(c);
}

const rt_cl_device_info *rt_cl_device(const rt_cl_ctx *c)
{
    return &c->info;
}

const char *rt_cl_cache_dir(const rt_cl_ctx *c, const char **why)
{
    if (why) *why = c->cache_why;
    return c->cache_dir;
}

void rt_cl_get_stats(const rt_cl_ctx *c, rt_cl_stats *st)
{
    *st = c->st;
    st->nkernel = c->nkstat;
    st->kernel = c->kstat;
}

void rt_cl_set_timing(rt_cl_ctx *c, int on)
{
    c->untimed = !on;
}

void rt_cl_reset_kernel_stats(rt_cl_ctx *c)
{
    c->nkstat = 0;
    c->st.launches = 0;
    c->st.kernel_ms = 0;
    for (rt_cl_kernel *k = c->kernels; k; k = k->next)
        k->stat = -1;
}
