/*
 * cl_launch.c -- kernels, their arguments, launches and per-kernel time.
 *
 * Launches are asynchronous.  Each keeps its profiling event until
 * rt_cl_finish, which waits for the queue and reads START and END of every
 * event: device time per launch, summed per kernel name.  Reading an
 * event right after enqueueing it would serialise host and device, so only
 * a caller that asks for one launch's time (ms != NULL) pays for that.
 */
#include "cl_impl.h"

#include <stdlib.h>
#include <string.h>

rt_cl_kernel *rt_cl_kernel_get(rt_cl_ctx *c, rt_cl_program *p, const char *name, dn_err *e)
{
    for (rt_cl_kernel *k = c->kernels; k; k = k->next)
        if (k->prog == p && !strcmp(k->name, name)) return k;
    cl_int r;
    cl_kernel ck = clCreateKernel(p->prog, name, &r);
    if (!ck) {
        char what[200];
        snprintf(what, sizeof what, "kernel '%.100s'%s%.60s: clCreateKernel failed", name,
                 p->label[0] ? " of " : "", p->label);
        rt_cl_fail(e, what, r);
        return NULL;
    }
    rt_cl_kernel *k = calloc(1, sizeof *k);
    if (!k) {
        clReleaseKernel(ck);
        dn_errf(e, "out of memory");
        return NULL;
    }
    k->k = ck;
    k->prog = p;
    snprintf(k->name, sizeof k->name, "%s", name);
    clGetKernelInfo(ck, CL_KERNEL_NUM_ARGS, sizeof k->nargs, &k->nargs, NULL);
    k->stat = -1;
    k->next = c->kernels;
    c->kernels = k;
    return k;
}

void rt_cl_kernels_free(rt_cl_ctx *c)
{
    while (c->kernels) {
        rt_cl_kernel *k = c->kernels;
        c->kernels = k->next;
        clReleaseKernel(k->k);
        free(k);
    }
}

static int set_args(rt_cl_kernel *k, const rt_cl_arg *args, int nargs, dn_err *e)
{
    if ((cl_uint)nargs != k->nargs)
        return dn_errf(e, "kernel '%s' takes %u arguments, %d given", k->name, k->nargs, nargs);
    for (int i = 0; i < nargs; i++) {
        const rt_cl_arg *a = &args[i];
        cl_int r;
        switch (a->kind) {
        case RT_CL_ARG_BUF:
            if (!a->u.buf) return dn_errf(e, "kernel '%s' argument %d: no buffer", k->name, i);
            r = clSetKernelArg(k->k, (cl_uint)i, sizeof(cl_mem), &a->u.buf->mem);
            break;
        case RT_CL_ARG_I32:
            r = clSetKernelArg(k->k, (cl_uint)i, sizeof(cl_int), &a->u.i32);
            break;
        case RT_CL_ARG_I64:
            r = clSetKernelArg(k->k, (cl_uint)i, sizeof(cl_long), &a->u.i64);
            break;
        case RT_CL_ARG_F32:
            r = clSetKernelArg(k->k, (cl_uint)i, sizeof(cl_float), &a->u.f32);
            break;
        case RT_CL_ARG_LOCAL:
            r = clSetKernelArg(k->k, (cl_uint)i, a->u.local_bytes, NULL);
            break;
        default:
            return dn_errf(e, "kernel '%s' argument %d: unknown kind %d", k->name, i, a->kind);
        }
        if (r != CL_SUCCESS) {
            char what[200];
            snprintf(what, sizeof what, "kernel '%.120s' argument %d: clSetKernelArg failed",
                     k->name, i);
            return rt_cl_fail(e, what, r);
        }
    }
    return 0;
}

static int kstat_of(rt_cl_ctx *c, rt_cl_kernel *k)
{
    if (k->stat >= 0) return k->stat;
    for (int i = 0; i < c->nkstat; i++) /* another program may have a kernel of that name */
        if (!strcmp(c->kstat[i].name, k->name)) return k->stat = i;
    if (c->nkstat == c->capkstat) {
        int cap = c->capkstat ? 2 * c->capkstat : 16;
        void *p = realloc(c->kstat, cap * sizeof *c->kstat);
        if (!p) return -1;
        c->kstat = p;
        c->capkstat = cap;
    }
    rt_cl_kstat *s = &c->kstat[c->nkstat];
    memset(s, 0, sizeof *s);
    snprintf(s->name, sizeof s->name, "%s", k->name);
    return k->stat = c->nkstat++;
}

/* Device time of a finished launch, in ms; < 0 when the driver has none. */
static double event_ms(cl_event ev)
{
    cl_ulong t0 = 0, t1 = 0;
    if (clGetEventProfilingInfo(ev, CL_PROFILING_COMMAND_START, sizeof t0, &t0, NULL) ||
        clGetEventProfilingInfo(ev, CL_PROFILING_COMMAND_END, sizeof t1, &t1, NULL))
        return -1;
    return t1 >= t0 ? (t1 - t0) / 1e6 : 0;
}

static void account(rt_cl_ctx *c, rt_cl_kernel *k, double ms)
{
    c->st.launches++;
    int i = kstat_of(c, k);
    if (i < 0) return;
    rt_cl_kstat *s = &c->kstat[i];
    if (ms < 0) ms = 0;
    if (!s->launches || ms < s->min_ms) s->min_ms = ms;
    if (ms > s->max_ms) s->max_ms = ms;
    s->launches++;
    s->total_ms += ms;
    c->st.kernel_ms += ms;
}

int rt_cl_launch(rt_cl_ctx *c, rt_cl_kernel *k, const rt_cl_arg *args, int nargs, int dims,
                 const size_t *global, const size_t *local, double *ms, dn_err *e)
{
    if (dims < 1 || dims > 3)
        return dn_errf(e, "kernel '%s': %d work dimensions (1 to 3 allowed)", k->name, dims);
    if (set_args(k, args, nargs, e)) return -1;
    if (c->npend == c->cappend) {
        int cap = c->cappend ? 2 * c->cappend : 64;
        void *p = realloc(c->pend, cap * sizeof *c->pend);
        if (!p) return dn_errf(e, "out of memory");
        c->pend = p;
        c->cappend = cap;
    }
    cl_event ev = NULL;
    int untimed = c->untimed && !ms;
    cl_int r = clEnqueueNDRangeKernel(c->queue, k->k, (cl_uint)dims, NULL, global, local, 0, NULL,
                                      untimed ? NULL : &ev);
    if (r != CL_SUCCESS) {
        char sizes[160], what[400];
        size_t n = 0;
        n += snprintf(sizes + n, sizeof sizes - n, "global ");
        for (int d = 0; d < dims; d++)
            n += snprintf(sizes + n, sizeof sizes - n, "%s%zu", d ? "x" : "", global[d]);
        if (local) {
            n += snprintf(sizes + n, sizeof sizes - n, ", local ");
            for (int d = 0; d < dims; d++)
                n += snprintf(sizes + n, sizeof sizes - n, "%s%zu", d ? "x" : "", local[d]);
        }
        /* Lazy allocation fails here.  CL_OUT_OF_RESOURCES at a launch is as
           often registers or local memory, so it keeps its own name and hint. */
        if (r == CL_MEM_OBJECT_ALLOCATION_FAILURE) {
            snprintf(what, sizeof what,
                     "launching kernel '%.100s' (%s) failed with %s (%.1f MB held by this run)",
                     k->name, sizes, rt_cl_errname(r), c->st.live_bytes / 1048576.0);
            return rt_cl_oom(c, e, 0, what);
        }
        snprintf(what, sizeof what, "launch of kernel '%.100s' (%s): clEnqueueNDRangeKernel failed",
                 k->name, sizes);
        return rt_cl_fail(e, what, r);
    }
    if (ms) {
        r = clWaitForEvents(1, &ev);
        *ms = r == CL_SUCCESS ? event_ms(ev) : -1;
        if (r != CL_SUCCESS) {
            clReleaseEvent(ev);
            char what[200];
            snprintf(what, sizeof what, "kernel '%.100s' failed while running", k->name);
            return rt_cl_fail(e, what, r);
        }
        account(c, k, *ms);
        clReleaseEvent(ev);
        return 0;
    }
    if (untimed) {
        c->st.launches++;
        return 0;
    }
    c->pend[c->npend].ev = ev;
    c->pend[c->npend].k = k;
    c->npend++;
    return 0;
}

int rt_cl_finish(rt_cl_ctx *c, dn_err *e)
{
    cl_int r = clFinish(c->queue);
    int bad = -1;
    for (int i = 0; i < c->npend; i++) {
        cl_int st = CL_COMPLETE;
        clGetEventInfo(c->pend[i].ev, CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof st, &st, NULL);
        if (st < 0 && bad < 0) {
            bad = i;
            r = st;
        }
        account(c, c->pend[i].k, st < 0 ? -1 : event_ms(c->pend[i].ev));
        clReleaseEvent(c->pend[i].ev);
    }
    const char *who = bad >= 0 ? c->pend[bad].k->name : NULL;
    char what[200];
    snprintf(what, sizeof what, "kernel '%.100s' failed while running", who ? who : "?");
    c->npend = 0;
    if (r == CL_SUCCESS) return 0;
    if (r == CL_MEM_OBJECT_ALLOCATION_FAILURE)
        return rt_cl_oom(c, e, 0, who ? what : "clFinish failed");
    return rt_cl_fail(e, who ? what : "clFinish failed", r);
}
