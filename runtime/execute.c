/* execute.c -- running a list of blocks on an OpenCL device: one
 * generated kernel per block (codegen/emit.c), the host fallback for the
 * rest (execute_host.c), buffers from the memory plan (memplan.c).
 *
 * Kernels are named by a hash of their body, so the identical blocks of
 * repeated layers share one program: a 12-layer transformer compiles each
 * distinct kernel once, and the binary cache of cl_cache.c makes the
 * second process load instead of compile. */
#include "exec_impl.h"

#ifdef DNNF_HAVE_CODEGEN

#ifdef DNNF_HAVE_FUSION
#include "fusion.h"
#endif

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct rt_exec {
    rt_cl_ctx *c;
    const ir_graph *g;
    const cg_block *b;
    int nb;
    rt_memplan mp;
    rt_cl_buf **bufs;    /* per slot */
    rt_cl_buf **param;   /* per constant value used by a kernel */
    rt_cl_buf **packed;  /* per constant value read in packed panels (cg_kernel.pack_arg) */
    rt_cl_buf **packimg; /* the same panels in an image2d_t (cg_kernel.pack_image) */
    rt_cl_buf **aimg;    /* per block, 2 each: activations' image2d_t over their slots (img_arg) */
    int aimg_copy;       /* DNNF_IMAGE_COPY: those images are copies, refreshed per launch */
    cg_kernel *kern;     /* per block (zeroed for views and host blocks) */
    rt_cl_kernel **kh;
    rt_exec_block *info;
    char **why;
    int verify; /* rt_exec_set_verify */
    rt_exec_stats st;
};

void rt_exec_set_verify(rt_exec *x, int on)
{
    x->verify = on;
}

/* Verification of one device block: its outputs against the host fallback
   run on the same inputs (which leaves the reference values in place, so
   that one wrong kernel does not hide the next). */
static int verify_block(rt_exec *x, int i, dn_err *e)
{
    const cg_block *b = &x->b[i];
    const ir_graph *g = x->g;
    /* the host fallback writes each output as itself: a block that writes
       through has no such memory, so it goes unverified here (--check
       still compares the model's outputs) */
    if (b->wdest) return 0;
    if (rt_cl_finish(x->c, e)) return -1;
    int nout = b->noutputs, rc = 0;
    float **dev = calloc((size_t)nout + 1, sizeof *dev);
    if (!dev) abort();
    for (int o = 0; o < nout && !rc; o++) {
        int v = b->outputs[o];
        size_t n = (size_t)dn_shape_numel(&g->val[v].shape) * dn_dtype_size(g->val[v].dtype);
        dev[o] = malloc(n ? n : 1);
        if (!dev[o]) abort();
        rc = rt_cl_read_bytes(x->c, x->bufs[x->mp.slot[x->mp.root[v]]], 0, dev[o], n, e);
    }
    if (!rc) rc = rt_exec_host_block(x->c, g, b, &x->mp, x->bufs, e);
    for (int o = 0; o < nout && !rc; o++) {
        int v = b->outputs[o];
        if (g->val[v].dtype != DN_F32) continue;
        int64_t n = dn_shape_numel(&g->val[v].shape);
        float *ref = malloc((size_t)(n ? n : 1) * sizeof *ref);
        if (!ref) abort();
        rc = rt_cl_read_bytes(x->c, x->bufs[x->mp.slot[x->mp.root[v]]], 0, ref, (size_t)n * 4, e);
        double worst = 0, scale = 0;
        int64_t at = 0;
        for (int64_t j = 0; j < n && !rc; j++) {
            double d = fabs((double)ref[j] - (double)dev[o][j]);
            if (fabs(ref[j]) > scale) scale = fabs(ref[j]);
            if (!(d <= worst)) worst = d, at = j;
        }
        if (!rc && !(worst <= 1e-3 * (scale > 0 ? scale : 1)))
            rc = dn_errf(e,
                         "block %d (kernel %s: %.400s): output '%s' differs from the host "
                         "fallback by %.3g at element %lld (max |ref| %.3g)",
                         b->id, x->kern[i].name, x->kern[i].nodes, g->val[v].name, worst,
                         (long long)at, scale);
        free(ref);
    }
    for (int o = 0; o < nout; o++)
        free(dev[o]);
    free(dev);
    return rc;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

void rt_exec_free(rt_exec *x)
{
    if (!x) return;
    if (x->aimg) /* before the buffers they are made over */
        for (int i = 0; i < 2 * x->nb; i++)
            rt_cl_buf_free(x->aimg[i]);
    free(x->aimg);
    if (x->bufs)
        for (int s = 0; s < x->mp.nslot; s++)
            rt_cl_buf_free(x->bufs[s]);
    if (x->param)
        for (int v = 0; v < x->g->nval; v++)
            rt_cl_buf_free(x->param[v]);
    if (x->packed)
        for (int v = 0; v < x->g->nval; v++)
            rt_cl_buf_free(x->packed[v]);
    if (x->packimg)
        for (int v = 0; v < x->g->nval; v++)
            rt_cl_buf_free(x->packimg[v]);
    for (int i = 0; i < x->nb; i++) {
        if (x->kern) cg_kernel_free(&x->kern[i]);
        if (x->why) free(x->why[i]);
    }
    rt_memplan_free(&x->mp);
    free(x->bufs);
    free(x->param);
    free(x->packed);
    free(x->packimg);
    free(x->kern);
    free(x->kh);
    free(x->info);
    free(x->why);
    free(x);
}

static int upload_param(rt_exec *x, int v, dn_err *e)
{
    const ir_value *p = &x->g->val[v];
    if (x->param[v]) return 0;
    if (!p->data) return dn_errf(e, "constant '%s' has no data (weights not loaded)", p->name);
    size_t n = (size_t)dn_shape_numel(&p->shape) * dn_dtype_size(p->dtype);
    x->param[v] = rt_cl_buf_new(x->c, n ? n : 4, e);
    if (!x->param[v]) return -1;
    x->st.param_bytes += (int64_t)n;
    return n ? rt_cl_write_bytes(x->c, x->param[v], 0, p->data, n, e) : 0;
}

/* The packed panels of a constant matrix (codegen.h, cg_kernel.pack_arg),
   in a buffer, or with cg_kernel.pack_image in an image2d_t of that many
   texels per row (docs/gpu.md, "Weights in image2d_t"): the same floats in
   the same order, 4 to a texel, the last row zero-padded.  A value read
   both ways (a tile kernel and a GEMV) gets both. */
static int upload_packed(rt_exec *x, const cg_kernel *k, dn_err *e)
{
    int v = k->args[k->pack_arg - 1];
    rt_cl_buf **slot = k->pack_image ? &x->packimg[v] : &x->packed[v];
    if (*slot) return 0;
    const ir_value *p = &x->g->val[v];
    if (!p->data || p->dtype != DN_F32)
        return dn_errf(e, "constant '%s' has no f32 data (weights not loaded)", p->name);
    int64_t K = k->pack_k, N = k->pack_n, NP = (N + 15) / 16 * 16;
    float *h = calloc((size_t)(K * NP), sizeof *h);
    if (!h) return dn_errf(e, "out of host memory packing '%s'", p->name);
    const float *src = p->data;
    for (int64_t kk = 0; kk < K; kk++)
        for (int64_t n = 0; n < N; n++)
            h[((n / 16) * K + kk) * 16 + n % 16] =
                k->pack_trans ? src[n * K + kk] : src[kk * N + n];
    size_t bytes = (size_t)(K * NP) * sizeof *h;
    int rc = 0;
    if (k->pack_image) {
        int64_t w = k->pack_image, texels = K * NP / 4, rows = (texels + w - 1) / w;
        *slot = rt_cl_image2d_new(x->c, (size_t)w, (size_t)rows, e);
        dn_tensor t = {.dtype = DN_F32, .shape = dn_shape_make(1, &(int64_t){K * NP}), .data = h};
        if (!*slot)
            rc = -1;
        else {
            x->st.param_bytes += w * rows * 16;
            rc = rt_cl_write(x->c, *slot, &t, e);
        }
    } else {
        *slot = rt_cl_buf_new(x->c, bytes, e);
        if (!*slot)
            rc = -1;
        else {
            x->st.param_bytes += (int64_t)bytes;
            rc = rt_cl_write_bytes(x->c, *slot, 0, h, bytes, e);
        }
    }
    free(h);
    if (rc) dn_errpre(e, "packing '%s': ", p->name);
    return rc;
}

/* DNNF_IMAGE_COPY=1 on a device with images but none over buffers (PoCL):
   an activation read as an image gets an image of its own, a copy of its
   buffer made before each launch that reads it.  That copy is a layout
   kernel in all but name, so this is for tests only: it runs the image
   kernels' texel addressing where CI runs (tests/codegen/run_gpu_images.sh). */
static int image_copy(const rt_cl_device_info *di)
{
    const char *env = getenv("DNNF_IMAGE_COPY");
    return di->image_support && !di->image_from_buffer && env && !strcmp(env, "1");
}

void rt_device_class(rt_cl_ctx *c, cg_device *d)
{
    const rt_cl_device_info *di = rt_cl_device(c);
    *d = (cg_device){.gpu = !strcmp(di->cls, "gpu") || getenv("DNNF_FORCE_GPU_TEMPLATES"),
                     .compute_units = di->compute_units,
                     .local_mem = di->local_mem,
                     .image_from_buffer = (image_copy(di) || (di->image_from_buffer &&
                                                              CG_AIMAGE_W % di->image_pitch_align == 0)) &&
                                          di->image2d_max_w >= CG_AIMAGE_W &&
                                          di->image2d_max_h >= CG_AIMAGE_ROWS};
}

/* Rows of CG_AIMAGE_W texels that an image over root r's buffer needs. */
static int64_t image_rows(const rt_exec *x, int r)
{
    int64_t texels = (dn_shape_numel(&x->g->val[r].shape) + 3) / 4;
    return (texels + CG_AIMAGE_W - 1) / CG_AIMAGE_W;
}

/* An activation read as an image2d_t over its buffer (cg_kernel.img_arg)
   needs whole rows of texels in that buffer: its slot grows to them. */
static void pad_image_slots(rt_exec *x)
{
    for (int i = 0; i < x->nb; i++)
        for (int j = 0; j < 2; j++) {
            const cg_kernel *k = &x->kern[i];
            if (!k->img_arg[j]) continue;
            int r = x->mp.root[k->args[k->img_arg[j] - 1]], s = x->mp.slot[r];
            int64_t need = image_rows(x, r) * CG_AIMAGE_W * 16;
            if (s >= 0 && x->mp.slot_bytes[s] < need) {
                x->mp.peak_bytes += need - x->mp.slot_bytes[s];
                x->mp.slot_bytes[s] = need;
            }
        }
}

/* The images of pad_image_slots, made over the slots once: a slot holds
   the same activations on every run. */
static int make_activation_images(rt_exec *x, dn_err *e)
{
    x->aimg = calloc(2 * (size_t)x->nb + 1, sizeof *x->aimg);
    if (!x->aimg) abort();
    x->aimg_copy = image_copy(rt_cl_device(x->c));
    for (int i = 0; i < x->nb; i++)
        for (int j = 0; j < 2; j++) {
            const cg_kernel *k = &x->kern[i];
            if (!k->img_arg[j]) continue;
            int v = k->args[k->img_arg[j] - 1], r = x->mp.root[v], s = x->mp.slot[r];
            if (s < 0 || x->g->val[r].kind == IR_VAL_CONST)
                return dn_errf(e, "block %d: '%s' is read as an image but has no activation buffer",
                               x->b[i].id, x->g->val[v].name);
            size_t rows = (size_t)image_rows(x, r);
            rt_cl_buf **im = &x->aimg[2 * i + j];
            *im = x->aimg_copy ? rt_cl_image2d_new(x->c, CG_AIMAGE_W, rows, e)
                               : rt_cl_image2d_over(x->c, x->bufs[s], CG_AIMAGE_W, rows, e);
            if (!*im)
                return dn_errpre(e, "block %d, '%s' read as an image (DNNF_IMAGES=1; unset it to "
                                    "read from buffers): ",
                                 x->b[i].id, x->g->val[v].name);
            x->st.image_activations++;
            x->st.image_copies += x->aimg_copy;
        }
    return 0;
}

rt_exec *rt_exec_new(rt_cl_ctx *c, const ir_graph *g, const cg_block *b, int nb, dn_err *e)
{
    double t0 = now_ms();
    rt_exec *x = calloc(1, sizeof *x);
    if (!x) abort();
    x->b = b;
    x->nb = nb;
    x->c = c;
    x->g = g;
    size_t n = (size_t)(nb ? nb : 1);
    x->kern = calloc(n, sizeof *x->kern);
    x->kh = calloc(n, sizeof *x->kh);
    x->info = calloc(n, sizeof *x->info);
    x->why = calloc(n, sizeof *x->why);
    x->param = calloc((size_t)g->nval + 1, sizeof *x->param);
    x->packed = calloc((size_t)g->nval + 1, sizeof *x->packed);
    x->packimg = calloc((size_t)g->nval + 1, sizeof *x->packimg);
    if (!x->packed || !x->packimg || !x->kern || !x->kh || !x->info || !x->why || !x->param)
        abort();
    const rt_cl_device_info *di = rt_cl_device(c);
    cg_device dev;
    rt_device_class(c, &dev);
    x->st.blocks = nb;
    for (int i = 0; i < nb; i++) {
        rt_exec_block *in = &x->info[i];
        in->id = b[i].id;
        if (b[i].view) {
            in->kind = 0;
            x->st.views++;
            continue;
        }
        dn_err why;
        why.msg[0] = 0;
        int r = cg_emit(g, &b[i], &dev, &x->kern[i], &why);
        if (r < 0) {
            *e = why;
            dn_errpre(e, "block %d: ", b[i].id);
            rt_exec_free(x);
            return NULL;
        }
        if (r == 0 && b[i].wdest) {
            dn_errf(e, "block %d writes through, but no template covers it: %s", b[i].id, why.msg);
            rt_exec_free(x);
            return NULL;
        }
        if (r == 0) {
            char nodes[1024];
            cg_block_nodes(g, &b[i], nodes, sizeof nodes);
            x->why[i] = ir_strdup(why.msg);
            x->kern[i].nodes = ir_strdup(nodes);
            in->kind = 2;
            in->nodes = x->kern[i].nodes;
            in->why = x->why[i];
            x->st.host_blocks++;
            continue;
        }
        in->kind = 1;
        x->st.kernels++;
        in->kernel = x->kern[i].name;
        in->family = x->kern[i].family;
        in->nodes = x->kern[i].nodes;
        in->source = x->kern[i].source;
        in->flops = x->kern[i].flops;
        in->bytes = x->kern[i].bytes;
        in->copy = rt_block_movement_only(g, &b[i]);
        for (int j = 0; j < i && !x->kh[i]; j++)
            if (x->kh[j] && !strcmp(x->kern[j].name, x->kern[i].name)) x->kh[i] = x->kh[j];
        if (!x->kh[i]) {
            rt_cl_program *p;
            char label[1200];
            snprintf(label, sizeof label, "block %d: %.1100s", b[i].id, x->kern[i].nodes);
            /* Softmax of random logits leaves denormal probabilities, and
               a product that reads them runs up to 70x slower on x86
               (microcode assists): flushing values below 1.2e-38 to zero
               is far inside any tolerance we check against. */
            if (rt_cl_build(c, x->kern[i].source, RT_KERNEL_BUILD_OPTIONS, label, &p, e) ||
                !(x->kh[i] = rt_cl_kernel_get(c, p, x->kern[i].name, e))) {
                rt_exec_free(x);
                return NULL;
            }
            x->st.programs++;
        }
        if (x->kern[i].pack_image && !di->image_support) {
            dn_errf(e, "DNNF_IMAGES=1, but device %s has no image support: unset it", di->name);
            rt_exec_free(x);
            return NULL;
        }
        x->st.image_weights += x->kern[i].pack_image > 0;
        if (x->kern[i].pack_arg && upload_packed(x, &x->kern[i], e)) {
            rt_exec_free(x);
            return NULL;
        }
        for (int a = x->kern[i].nout; a < x->kern[i].nargs; a++) {
            int v = x->kern[i].args[a];
            if (a == x->kern[i].pack_arg - 1) continue;
            if (g->val[v].kind == IR_VAL_CONST && upload_param(x, v, e)) {
                rt_exec_free(x);
                return NULL;
            }
        }
    }
    if (rt_memplan_build(g, b, nb, &x->mp, e)) {
        rt_exec_free(x);
        return NULL;
    }
    pad_image_slots(x);
    x->bufs = calloc((size_t)x->mp.nslot + 1, sizeof *x->bufs);
    if (!x->bufs) abort();
    for (int s = 0; s < x->mp.nslot; s++)
        if (!(x->bufs[s] = rt_cl_buf_new(c, (size_t)x->mp.slot_bytes[s], e))) {
            dn_errpre(e, "memory plan (%d buffers, %.1f MB): ", x->mp.nslot,
                      x->mp.peak_bytes / 1e6);
            rt_exec_free(x);
            return NULL;
        }
    /* kernel arguments that are views of constants */
    for (int i = 0; i < nb; i++)
        for (int a = 0; a < x->kern[i].nargs; a++) {
            if (a == x->kern[i].pack_arg - 1) continue;
            int r = x->mp.root[x->kern[i].args[a]];
            if (g->val[r].kind == IR_VAL_CONST && upload_param(x, r, e)) {
                rt_exec_free(x);
                return NULL;
            }
        }
    if (make_activation_images(x, e)) {
        rt_exec_free(x);
        return NULL;
    }
    x->st.peak_bytes = x->mp.peak_bytes;
    x->st.unplanned_bytes = x->mp.unplanned_bytes;
    x->st.prepare_ms = now_ms() - t0;
    return x;
}

static rt_cl_buf *buf_of(rt_exec *x, int v)
{
    int r = x->mp.root[v];
    if (x->g->val[r].kind == IR_VAL_CONST) return x->param[r];
    return x->mp.slot[r] >= 0 ? x->bufs[x->mp.slot[r]] : NULL;
}

int rt_exec_run(rt_exec *x, const dn_tensor *inputs, dn_tensor *outputs, dn_err *e)
{
    double t0 = now_ms();
    const ir_graph *g = x->g;
    x->st.host_ms = 0;
    for (int i = 0; i < g->ninput; i++) {
        int v = g->input[i];
        if (!inputs[i].data || inputs[i].dtype != g->val[v].dtype ||
            !dn_shape_eq(&inputs[i].shape, &g->val[v].shape))
            return dn_errf(e, "input '%s' does not match the graph's dtype and shape",
                           g->val[v].name);
        rt_cl_buf *b = buf_of(x, v);
        if (b && rt_cl_write(x->c, b, &inputs[i], e)) return -1;
    }
    for (int i = 0; i < x->nb; i++) {
        if (x->info[i].kind == 0) continue;
        if (x->info[i].kind == 2) {
            double h0 = now_ms();
            if (rt_exec_host_block(x->c, g, &x->b[i], &x->mp, x->bufs, e)) return -1;
            x->st.host_ms += now_ms() - h0;
            continue;
        }
        const cg_kernel *k = &x->kern[i];
        rt_cl_arg args[k->nargs > 0 ? k->nargs : 1];
        for (int a = 0; a < k->nargs; a++) {
            rt_cl_buf *b = a == k->img_arg[0] - 1 ? x->aimg[2 * i]
                           : a == k->img_arg[1] - 1 ? x->aimg[2 * i + 1]
                           : a != k->pack_arg - 1   ? buf_of(x, k->args[a])
                           : k->pack_image        ? x->packimg[k->args[a]]
                                                  : x->packed[k->args[a]];
            if (!b)
                return dn_errf(e, "block %d: no buffer for '%s'", x->b[i].id,
                               g->val[k->args[a]].name);
            args[a] = rt_cl_arg_buf(b);
        }
        for (int j = 0; j < 2 && x->aimg_copy; j++)
            if (k->img_arg[j] &&
                rt_cl_copy_to_image(x->c, buf_of(x, k->args[k->img_arg[j] - 1]), x->aimg[2 * i + j], e))
                return dn_errpre(e, "block %d: ", x->b[i].id);
        if (rt_cl_launch(x->c, x->kh[i], args, k->nargs, k->dims, k->global,
                         k->has_local ? k->local : NULL, NULL, e)) {
            char nodes[600];
            snprintf(nodes, sizeof nodes, "%.580s", k->nodes);
            return dn_errpre(e, "block %d (%s): ", x->b[i].id, nodes);
        }
        if (x->verify && verify_block(x, i, e)) return -1;
    }
    if (rt_cl_finish(x->c, e)) return -1;
    for (int i = 0; i < g->noutput; i++) {
        int v = g->output[i], r = x->mp.root[v];
        outputs[i] = (dn_tensor){g->val[v].dtype, g->val[v].shape, NULL};
        if (dn_tensor_alloc(&outputs[i], e)) return -1;
        if (g->val[r].kind == IR_VAL_CONST)
            memcpy(outputs[i].data, g->val[r].data, dn_tensor_bytes(&outputs[i]));
        else if (rt_cl_read_bytes(x->c, buf_of(x, v), 0, outputs[i].data,
                                  dn_tensor_bytes(&outputs[i]), e))
            return -1;
    }
    x->st.ms = now_ms() - t0;
    return 0;
}

void rt_exec_get_stats(const rt_exec *x, rt_exec_stats *st)
{
    *st = x->st;
}

int rt_exec_nblocks(const rt_exec *x)
{
    return x->nb;
}

const rt_exec_block *rt_exec_block_info(const rt_exec *x, int i)
{
    return &x->info[i];
}

/* ---- block lists -------------------------------------------------------- */

static int *dup_ints(const int *a, int n)
{
    int *p = malloc((size_t)(n > 0 ? n : 1) * sizeof *p);
    if (!p) abort();
    if (n > 0) memcpy(p, a, (size_t)n * sizeof *p);
    return p;
}

static int is_view_op(const char *op)
{
    return !strcmp(op, "Reshape") || !strcmp(op, "Squeeze") || !strcmp(op, "Unsqueeze") ||
           !strcmp(op, "Flatten") || !strcmp(op, "Identity");
}

int rt_blocks_per_node(const ir_graph *g, cg_block **out, int *nb, dn_err *e)
{
    int *order;
    int n = ir_topo_order(g, &order, e);
    if (n < 0) return -1;
    cg_block *b = calloc((size_t)(n > 0 ? n : 1), sizeof *b);
    if (!b) abort();
    int k = 0;
    for (int i = 0; i < n; i++) {
        const ir_node *nd = &g->node[order[i]];
        if (!strcmp(nd->op, "Constant")) continue;
        int ins[64], nin = 0, prm[64], npr = 0, outs[16], nout = 0;
        for (int j = 0; j < nd->nin && j < 64; j++) {
            int v = nd->in[j];
            if (v < 0) continue;
            if (g->val[v].kind == IR_VAL_CONST)
                prm[npr++] = v;
            else
                ins[nin++] = v;
        }
        for (int j = 0; j < nd->nout && j < 16; j++)
            if (nd->out[j] >= 0) outs[nout++] = nd->out[j];
        cg_block *B = &b[k];
        B->id = k++;
        B->view = is_view_op(nd->op) && nin == 1;
        B->nexec = 1;
        B->exec = dup_ints(&order[i], 1);
        B->ninputs = nin;
        B->inputs = dup_ints(ins, nin);
        B->nparams = npr;
        B->params = dup_ints(prm, npr);
        B->noutputs = nout;
        B->outputs = dup_ints(outs, nout);
    }
    free(order);
    *out = b;
    *nb = k;
    return 0;
}

void rt_block_drop_writes(cg_block *b)
{
    for (int k = 0; b->wmap && k < b->noutputs; k++)
        free(b->wmap[k]);
    free(b->wmap);
    free(b->wdest);
    b->wmap = NULL;
    b->wdest = NULL;
}

void rt_block_release(cg_block *b)
{
    rt_block_drop_writes(b);
    free((void *)b->exec);
    free((void *)b->inputs);
    free((void *)b->params);
    free((void *)b->outputs);
    memset(b, 0, sizeof *b);
}

void rt_blocks_free(cg_block *b, int nb)
{
    for (int i = 0; i < nb; i++)
        rt_block_release(&b[i]);
    free(b);
}

#ifdef DNNF_HAVE_FUSION
int rt_blocks_from_plan(const fu_plan *p, cg_block **out, int *nb)
{
    int n = fu_plan_nblocks(p);
    cg_block *b = calloc((size_t)(n > 0 ? n : 1), sizeof *b);
    if (!b) abort();
    for (int i = 0; i < n; i++) {
        const fu_block *F = fu_plan_block(p, i);
        b[i].id = F->id;
        b[i].view = F->kind == FU_VIEW;
        b[i].nexec = F->nexec;
        b[i].exec = dup_ints(F->exec, F->nexec);
        b[i].ninputs = F->ninputs;
        b[i].inputs = dup_ints(F->inputs, F->ninputs);
        b[i].nparams = F->nparams;
        b[i].params = dup_ints(F->params, F->nparams);
        b[i].noutputs = F->noutputs;
        b[i].outputs = dup_ints(F->outputs, F->noutputs);
    }
    *out = b;
    *nb = n;
    return 0;
}
#endif

#endif
