/* profile_time.c -- measurements for `dnnf profile` on an OpenCL device.
 *
 * The device's constants for the static model of fusion/profile.c:
 *   - launch overhead: wall time per launch of an empty kernel, enqueued
 *     back to back and waited for once, as the executor launches;
 *   - bandwidth: a copy kernel over 64 MB (read + write), device time;
 *   - arithmetic: one generated MatMul (512 x 512 x 512, constant right
 *     side, as a layer's weights) through the executor, device time.
 * And the timer the planner calls for a block it has no measurement of:
 * the block's nodes become a graph of their own (what the block reads
 * from outside becomes inputs, what leaves it outputs), which runs as
 * one block through the normal executor.  A block's time is its runs'
 * kernel (event) time plus any host time, plus the launch overhead
 * per launch: events do not see the cost of a launch, and that cost is
 * half of what fusion saves.  Of the runs (at least --runs, more for short
 * blocks) the 10th percentile, not the median, because this machine is
 * shared: the fast runs are the least disturbed, and not the very fastest,
 * which one odd event time would decide. */
#include "profile.h"

#if defined(DNNF_HAVE_FUSION) && defined(DNNF_HAVE_CODEGEN)
#include "grammar.h"

#include <stdlib.h>
#include <string.h>

void pf_timer_init(pf_timer *t, rt_cl_ctx *c, const gm_rules *R, int runs)
{
    memset(t, 0, sizeof *t);
    t->c = c;
    t->R = R;
    t->runs = runs;
    /* as the executor emits for this device (runtime/execute.c) */
    rt_device_class(c, &t->dev);
}

/* ---- the nodes of a block as a graph of their own ----------------------- */

static int in_list(const int *a, int n, int x)
{
    for (int i = 0; i < n; i++)
        if (a[i] == x) return 1;
    return 0;
}

/* Is value v read by a live node of g outside the set? */
static int read_outside(const ir_graph *g, const int *nodes, int n, int v)
{
    for (int x = 0; x < g->nnode; x++) {
        const ir_node *nd = &g->node[x];
        if (nd->dead || in_list(nodes, n, x)) continue;
        for (int j = 0; j < nd->nin; j++)
            if (nd->in[j] == v) return 1;
    }
    return 0;
}

static ir_graph *subgraph(const ir_graph *g, const int *nodes, int n)
{
    ir_graph *h = ir_new("profile");
    h->opset = g->opset;
    int *map = malloc((size_t)(g->nval + 1) * sizeof *map);
    if (!map) abort();
    for (int v = 0; v < g->nval; v++)
        map[v] = -1;
    for (int i = 0; i < n; i++) {
        const ir_node *nd = &g->node[nodes[i]];
        for (int j = 0; j < nd->nout; j++) {
            int v = nd->out[j];
            if (v >= 0)
                map[v] =
                    ir_add_value(h, g->val[v].name, IR_VAL_NODE, g->val[v].dtype, &g->val[v].shape);
        }
    }
    for (int i = 0; i < n; i++) {
        const ir_node *nd = &g->node[nodes[i]];
        for (int j = 0; j < nd->nin; j++) {
            int v = nd->in[j];
            if (v < 0 || map[v] >= 0) continue;
            const ir_value *x = &g->val[v];
            if (x->kind == IR_VAL_CONST) {
                map[v] = ir_add_value(h, x->name, IR_VAL_CONST, x->dtype, &x->shape);
                ir_value *y = &h->val[map[v]];
                size_t bytes = (size_t)dn_shape_numel(&x->shape) * dn_dtype_size(x->dtype);
                if (x->data) {
                    y->data = malloc(bytes ? bytes : 1);
                    if (!y->data) abort();
                    memcpy(y->data, x->data, bytes);
                } else { /* weights not read: filled like a model without them */
                    y->ext_location = ir_strdup("profile.weights");
                    y->ext_length = -1;
                }
            } else {
                map[v] = ir_add_value(h, x->name, IR_VAL_INPUT, x->dtype, &x->shape);
                ir_add_input(h, map[v]);
            }
        }
    }
    int *in = NULL, *out = NULL;
    for (int i = 0; i < n; i++) {
        const ir_node *nd = &g->node[nodes[i]];
        in = realloc(in, (size_t)(nd->nin + 1) * sizeof *in);
        out = realloc(out, (size_t)(nd->nout + 1) * sizeof *out);
        if (!in || !out) abort();
        for (int j = 0; j < nd->nin; j++)
            in[j] = nd->in[j] < 0 ? -1 : map[nd->in[j]];
        for (int j = 0; j < nd->nout; j++)
            out[j] = nd->out[j] < 0 ? -1 : map[nd->out[j]];
        int id = ir_add_node(h, nd->op, nd->name, in, nd->nin, out, nd->nout);
        free(h->node[id].domain);
        h->node[id].domain = ir_strdup(nd->domain);
        for (int a = 0; a < nd->nattr; a++)
            ir_copy_attr(h, id, &nd->attr[a]);
    }
    /* what leaves the block: graph outputs and values read elsewhere */
    for (int i = 0; i < n; i++) {
        const ir_node *nd = &g->node[nodes[i]];
        for (int j = 0; j < nd->nout; j++) {
            int v = nd->out[j];
            if (v >= 0 && (g->val[v].is_output || read_outside(g, nodes, n, v)))
                ir_add_output(h, map[v]);
        }
    }
    /* nothing leaves (a dead end): keep the last result, or the block
       would be empty once the executor drops what nobody reads */
    const ir_node *last = &g->node[nodes[n - 1]];
    if (!h->noutput && last->nout > 0 && last->out[0] >= 0) ir_add_output(h, map[last->out[0]]);
    free(in);
    free(out);
    free(map);
    return h;
}

/* ---- running a graph as one block --------------------------------------- */

/* All live nodes of h as one block (the executor splits what it must). */
static int one_block(const ir_graph *h, cg_block *b, dn_err *e)
{
    int *order = NULL;
    int n = ir_topo_order(h, &order, e);
    if (n < 0) return -1;
    int *params = malloc((size_t)(h->nval + 1) * sizeof *params);
    if (!params) abort();
    int np = 0, view = 1;
    for (int i = 0; i < n; i++) {
        const ir_node *nd = &h->node[order[i]];
        view &= fu_is_view_op(nd->op);
        for (int j = 0; j < nd->nin; j++) {
            int v = nd->in[j];
            if (v >= 0 && h->val[v].kind == IR_VAL_CONST && !in_list(params, np, v))
                params[np++] = v;
        }
    }
    *b = (cg_block){0,  view,   n,          order,     h->ninput, h->input,
                    np, params, h->noutput, h->output, NULL,      NULL};
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The 10th percentile of the runs of h as one block, after two warm-ups:
   kernel time + host time in *ms, launches per run in *launches. */
static int time_graph(pf_timer *t, const ir_graph *h, double *ms, int *launches, dn_err *e)
{
    cg_block b, *bl = NULL;
    int nb = 0, rc = 0;
    if (one_block(h, &b, e)) return -1;
    rt_prepare_stats ps;
    rc = rt_blocks_prepare(h, t->R, &b, 1, &t->dev, 0, &bl, &nb, &ps, e);
    free((void *)b.exec);
    free((void *)b.params);
    if (rc) return -1;
    rt_exec *x = rt_exec_new(t->c, h, bl, nb, e);
    dn_tensor *in = calloc((size_t)h->ninput + 1, sizeof *in),
              *out = calloc((size_t)h->noutput + 1, sizeof *out);
    if (!in || !out) abort();
    if (!x) rc = -1;
    for (int i = 0; i < h->ninput && !rc; i++)
        rc = rt_make_input(h, h->input[i], 1, &in[i], e);
    *ms = -1;
    /* at least t->runs runs, and for short blocks more (up to 10x), until
       20 ms of runs: one disturbed run weighs less among many */
    double spent = 0, *runs = malloc((size_t)10 * t->runs * sizeof *runs);
    if (!runs) abort();
    int nr = 0;
    for (int r = -2; (r < t->runs || (spent < 20 && r < 10 * t->runs)) && !rc; r++) {
        rt_cl_reset_kernel_stats(t->c);
        rc = rt_exec_run(x, in, out, e);
        for (int k = 0; k < h->noutput; k++)
            dn_tensor_free(&out[k]);
        if (rc || r < 0) continue;
        rt_cl_stats cs;
        rt_exec_stats xs;
        rt_cl_get_stats(t->c, &cs);
        rt_exec_get_stats(x, &xs);
        runs[nr++] = cs.kernel_ms + xs.host_ms;
        spent += runs[nr - 1];
        *launches = xs.kernels;
    }
    if (nr) {
        qsort(runs, (size_t)nr, sizeof *runs, cmp_double);
        *ms = runs[nr / 10];
    }
    free(runs);
    for (int i = 0; i < h->ninput; i++)
        dn_tensor_free(&in[i]);
    free(in);
    free(out);
    rt_exec_free(x);
    rt_blocks_free(bl, nb);
    return rc;
}

int pf_time_nodes(void *ctx, const ir_graph *g, const int *nodes, int n, double *ms)
{
    pf_timer *t = ctx;
    if (n <= 0) return -1; /* too large a set to list: the static model decides */
    dn_err e;
    ir_graph *h = subgraph(g, nodes, n);
    int launches = 0;
    int rc = ox_load_weights(h, 2, 1, &e);
    if (!rc) rc = eg_expand_composites(h, t->R, &e);
    if (!rc) rc = ir_infer(h, 0, NULL, &e);
    if (!rc) rc = time_graph(t, h, ms, &launches, &e);
    if (rc) {
        /* the static model settles it; say which block, once */
        char ops[300] = "";
        size_t k = 0;
        for (int i = 0; i < n && k + 1 < sizeof ops; i++)
            k += (size_t)snprintf(ops + k, sizeof ops - k, "%s%s", i ? "+" : "",
                                  g->node[nodes[i]].op);
        fprintf(stderr, "dnnf profile: cannot time %s (%s): the static model decides\n", ops,
                e.msg);
        t->failed++;
    } else {
        *ms += launches * t->launch_ms;
        t->blocks++;
    }
    ir_free(h);
    return rc ? -1 : 0;
}

/* ---- the device's constants --------------------------------------------- */

static const char *probe_src =
    "__kernel void dnnf_empty(__global float *x) { }\n"
    "__kernel void dnnf_copy(__global const float4 *a, __global float4 *b)\n"
    "{ size_t i = get_global_id(0); b[i] = a[i]; }\n";

/* Launch overhead (ms per launch, wall) and copy bandwidth (GB/s). */
static int probe(pf_timer *t, double *launch_ms, double *gbytes_s, dn_err *e)
{
    enum { LAUNCHES = 200, COPY_BYTES = 64 << 20 };
    rt_cl_program *pr;
    if (rt_cl_build(t->c, probe_src, "", "device probe", &pr, e)) return -1;
    rt_cl_kernel *ke = rt_cl_kernel_get(t->c, pr, "dnnf_empty", e),
                 *kc = ke ? rt_cl_kernel_get(t->c, pr, "dnnf_copy", e) : NULL;
    if (!kc) return -1;
    rt_cl_buf *one = rt_cl_buf_new(t->c, 16, e),
              *a = one ? rt_cl_buf_new(t->c, COPY_BYTES, e) : NULL,
              *b = a ? rt_cl_buf_new(t->c, COPY_BYTES, e) : NULL;
    int rc = b ? 0 : -1;
    /* written first: pages never touched read as the shared zero page,
       which the caches serve */
    void *fill = malloc(COPY_BYTES);
    if (!fill) abort();
    memset(fill, 0x3f, COPY_BYTES);
    if (!rc) rc = rt_cl_write_bytes(t->c, a, 0, fill, COPY_BYTES, e);
    if (!rc) rc = rt_cl_write_bytes(t->c, b, 0, fill, COPY_BYTES, e);
    free(fill);
    size_t g1 = 1, gc = COPY_BYTES / 16;
    rt_cl_arg ae = rt_cl_arg_buf(one), ac[2] = {rt_cl_arg_buf(a), rt_cl_arg_buf(b)};
    *launch_ms = *gbytes_s = -1;
    for (int r = -1; r < t->runs && !rc; r++) {
        double t0 = cli_now_ms();
        for (int i = 0; i < LAUNCHES && !rc; i++)
            rc = rt_cl_launch(t->c, ke, &ae, 1, 1, &g1, NULL, NULL, e);
        if (!rc) rc = rt_cl_finish(t->c, e);
        double per = (cli_now_ms() - t0) / LAUNCHES;
        double ms = 0;
        if (!rc) rc = rt_cl_launch(t->c, kc, ac, 2, 1, &gc, NULL, &ms, e);
        if (rc || r < 0) continue; /* the first round warms up */
        if (*launch_ms < 0 || per < *launch_ms) *launch_ms = per;
        double gb = ms > 0 ? 2.0 * COPY_BYTES / (ms * 1e6) : 0;
        if (gb > *gbytes_s) *gbytes_s = gb;
    }
    if (!rc) rc = rt_cl_finish(t->c, e);
    rt_cl_buf_free(one);
    rt_cl_buf_free(a);
    rt_cl_buf_free(b);
    return rc;
}

/* GFLOP/s of a generated MatMul of a layer's size. */
static int matmul_rate(pf_timer *t, double *gflops_s, dn_err *e)
{
    enum { M = 512, K = 512, N = 512 };
    ir_graph *h = ir_new("profile_matmul");
    h->opset = 17;
    dn_shape sa = {2, {M, K}}, sb = {2, {K, N}}, sy = {2, {M, N}};
    int a = ir_add_value(h, "a", IR_VAL_INPUT, DN_F32, &sa),
        w = ir_add_value(h, "w", IR_VAL_CONST, DN_F32, &sb),
        y = ir_add_value(h, "y", IR_VAL_NODE, DN_F32, &sy);
    h->val[w].ext_location = ir_strdup("profile.weights");
    h->val[w].ext_length = -1;
    ir_add_input(h, a);
    int in[2] = {a, w};
    ir_add_node(h, "MatMul", "matmul", in, 2, &y, 1);
    ir_add_output(h, y);
    double ms = 0;
    int launches = 0;
    int rc = ox_load_weights(h, 2, 1, e);
    if (!rc) rc = ir_infer(h, 0, NULL, e);
    if (!rc) rc = time_graph(t, h, &ms, &launches, e);
    ir_free(h);
    if (!rc && !(ms > 0)) rc = dn_errf(e, "the MatMul took no measurable time");
    if (!rc) *gflops_s = 2.0 * M * N * K / (ms * 1e6);
    return rc;
}

int pf_device_constants(pf_timer *t, fu_device_model *d, dn_err *e)
{
    fu_device_model_default(d);
    /* the key of the database: the device's name, without tabs */
    const rt_cl_device_info *di = rt_cl_device(t->c);
    snprintf(d->name, sizeof d->name, "%s", di->name);
    for (char *s = d->name; *s; s++)
        if (*s == '\t' || *s == '\n') *s = ' ';
    double launch_ms, gb;
    if (probe(t, &launch_ms, &gb, e)) return dn_errpre(e, "device probe: ");
    if (matmul_rate(t, &d->gflops_s, e)) return dn_errpre(e, "matmul probe: ");
    t->launch_ms = launch_ms;
    d->launch_us = launch_ms * 1e3;
    d->gbytes_s = gb;
    return 0;
}
#endif
