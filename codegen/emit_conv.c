/* emit_conv.c -- the conv family (templates/conv_direct.cl): Conv of any
 * group count and 1 to 3 spatial dims, MaxPool and AveragePool, with the
 * input's prologue (the walk of emit_expr.c, over the input tensor's own
 * index) and the epilogue (the walk over the output, where the conv's
 * value at its own index is the accumulated sum).  Explicit pads only
 * (auto_pad NOTSET or VALID); a block that needs SAME padding is left to
 * the host with that reason. */
#include "emit_impl.h"

#ifdef DNNF_HAVE_CODEGEN

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* emit_conv_cpu.c */
int cg_emit_conv_cpu(const ir_graph *g, const cg_block *b, const ir_node *C, int ns,
                     const int64_t *ks, const int64_t *st, const int64_t *pd, const int64_t *dl,
                     int64_t G, cg_kernel *k, dn_err *e);

static const char *const onames[] = {"o0", "o1", "o2", "o3", "o4"};
static const char *const xnames[] = {"x0", "x1", "x2", "x3", "x4"};

int cg_is_window(const ir_node *n)
{
    return !strcmp(n->op, "Conv") || !strcmp(n->op, "MaxPool") || !strcmp(n->op, "AveragePool");
}

/* Conv with one group and 2 spatial dims as an implicit GEMM in the
 * matmul family's CPU template (templates/matmul_cpu.cl): rows m are the
 * output pixels, columns n the output channels, k runs over (channel,
 * kh, kw); B is the weight tensor read as packed panels (the executor
 * packs it once, transposed: W is [OC][K]); A is the input at the tap,
 * through its prologue, 0 outside the image.  The epilogue sees the output
 * index (o0 = batch, o1 = channel, o2, o3 = pixel). */
static int emit_conv_gemm(const ir_graph *g, const cg_block *b, const ir_node *C, const int64_t *ks,
                          const int64_t *st, const int64_t *pd, const int64_t *dl, cg_kernel *k,
                          const cg_device *d, dn_err *e)
{
    int xv = C->in[0], yv = C->out[0];
    const dn_shape *XS = &g->val[xv].shape, *YS = &g->val[yv].shape;
    int64_t B = YS->d[0], OC = YS->d[1], OH = YS->d[2], OW = YS->d[3], P = OH * OW;
    int64_t IC = XS->d[1], IH = XS->d[2], IW = XS->d[3], KK = ks[0] * ks[1], K = IC * KK;
    int pointwise =
        KK == 1 && st[0] == 1 && st[1] == 1 && pd[0] == 0 && pd[1] == 0 && IH == OH && IW == OW;
    dn_arena *a = dn_arena_new();
    ex_ctx x;
    ex_init(&x, g, b, a);
    int rc = 1;
    cg_sb xb = {0}, loads = {0}, eb = {0}, stores = {0}, params = {0}, nparams = {0}, bidx = {0};
    char xe[256];
    cg_map xm;
    const char *pwn[] = {"bz", "k", "m"};
    if (pointwise) {
        /* the input viewed as [batch, IC, pixels]: A(m, k) = X[bz][k][m] */
        dn_shape V = {3, {B, IC, P}};
        cg_map id, rm;
        x.names = pwn;
        x.nnames = 3;
        x.body = &xb;
        x.indent = 3;
        if (cg_map_identity(a, &V, &id, e) || cg_map_reshape(a, XS, &V, &rm, e) ||
            cg_map_compose(a, &id, &rm, &xm, e) || ex_value(&x, xv, &xm, xe, sizeof xe, e))
            rc = 0;
    } else {
        x.names = xnames;
        x.nnames = 4;
        x.body = &xb;
        x.indent = 4;
        if (cg_map_identity(a, XS, &xm, e) || ex_value(&x, xv, &xm, xe, sizeof xe, e)) rc = 0;
    }
    /* a computed prologue (an activation before the conv) is evaluated once
       per input tap in local memory (matmul_cpu_rows.cl) rather than once
       per block of 16 output channels */
    int rows = x.ncompute > 0 && 64 * K <= 1 << 20;
    int RMR = P >= 32 ? 16 : 4;
    int warg = rc ? ex_arg(&x, C->in[1]) : -1, barg = -1;
    if (rc && C->nin > 2 && C->in[2] >= 0) barg = ex_arg(&x, C->in[2]);
    /* A loads, rows m0..m0+3 */
    cg_sb_puts(&loads, "        float a_0, a_1, a_2, a_3;\n");
    if (rc && !pointwise)
        cg_sb_printf(&loads,
                     "        const int x1 = k / %lld, k0 = k / %lld %% %lld, k1 = k %% %lld;\n",
                     (long long)KK, (long long)ks[1], (long long)ks[0], (long long)ks[1]);
    for (int r = 0; r < 4 && rc; r++) {
        if (P % 4)
            cg_sb_printf(&loads, "        {\n            const int m = min(m0 + %d, %lld);\n", r,
                         (long long)P - 1);
        else
            cg_sb_printf(&loads, "        {\n            const int m = m0 + %d;\n", r);
        if (pointwise)
            cg_sb_printf(&loads, "%s            a_%d = %s;\n        }\n", xb.s ? xb.s : "", r, xe);
        else
            cg_sb_printf(&loads,
                         "            const int x0 = bz;\n"
                         "            const int x2 = m / %lld * %lld - %lld + k0 * %lld;\n"
                         "            const int x3 = m %% %lld * %lld - %lld + k1 * %lld;\n"
                         "            a_%d = 0.0f;\n"
                         "            if (x2 >= 0 && x2 < %lld && x3 >= 0 && x3 < %lld) {\n%s"
                         "                a_%d = %s;\n            }\n        }\n",
                         (long long)OW, (long long)st[0], (long long)pd[0], (long long)dl[0],
                         (long long)OW, (long long)st[1], (long long)pd[1], (long long)dl[1], r,
                         (long long)IH, (long long)IW, xb.s ? xb.s : "", r, xe);
    }
    cg_sb_printf(&loads,
                 "        const float16 b_ = vload16(0, a%d + ((n0 / 16) * %lld + k) * 16);\n",
                 warg, (long long)K);
    cg_sb rowa = {0}, bl = {0}, accs = {0}, fmas = {0}, spill = {0};
    if ((rows || d->gpu) && rc) { /* the GPU form (matmul_gpu.cl) reads these too */
        cg_sb_printf(&rowa,
                     "            float a_;\n            {\n                const int m = min(m0 + "
                     "r, %lld);\n",
                     (long long)P - 1);
        if (pointwise)
            cg_sb_printf(&rowa, "%s                a_ = %s;\n            }\n", xb.s ? xb.s : "",
                         xe);
        else
            cg_sb_printf(
                &rowa,
                "                const int x1 = k / %lld, k0 = k / %lld %% %lld, k1 = k %% %lld;\n"
                "                const int x0 = bz;\n"
                "                const int x2 = m / %lld * %lld - %lld + k0 * %lld;\n"
                "                const int x3 = m %% %lld * %lld - %lld + k1 * %lld;\n"
                "                a_ = 0.0f;\n"
                "                if (x2 >= 0 && x2 < %lld && x3 >= 0 && x3 < %lld) {\n%s"
                "                    a_ = %s;\n                }\n            }\n",
                (long long)KK, (long long)ks[1], (long long)ks[0], (long long)ks[1], (long long)OW,
                (long long)st[0], (long long)pd[0], (long long)dl[0], (long long)OW,
                (long long)st[1], (long long)pd[1], (long long)dl[1], (long long)IH, (long long)IW,
                xb.s ? xb.s : "", xe);
        cg_sb_printf(
            &bl, "            const float16 b_ = vload16(0, a%d + ((n0 / 16) * %lld + k) * 16);\n",
            warg, (long long)K);
        for (int r = 0; r < RMR; r++) {
            cg_sb_printf(&accs, "        float16 acc%d = 0.0f;\n", r);
            cg_sb_printf(&fmas,
                         "            acc%d = fma((float16)(as_[%d * %lld + k]), b_, acc%d);\n", r,
                         r, (long long)K, r);
            cg_sb_printf(&spill, "        vstore16(acc%d, 0, accs_[%d]);\n", r, r);
        }
    }
    /* epilogue over the output index */
    ex_forget(&x);
    x.names = onames;
    x.nnames = 4;
    x.body = &eb;
    x.indent = 3;
    cg_map om;
    char *key = NULL, over[128];
    if (rc && cg_map_identity(a, YS, &om, e)) rc = 0;
    if (rc) {
        cg_sb_puts(&eb, "            const int o0 = bz, o1 = n;\n");
        cg_sb_printf(&eb, "            const int o2 = m / %lld, o3 = m %% %lld;\n", (long long)OW,
                     (long long)OW);
        key = ex_map_key(&x, &om);
        if (barg >= 0)
            snprintf(over, sizeof over, "acc + a%d[n]", barg);
        else
            snprintf(over, sizeof over, "acc");
        x.override_v = yv;
        x.override_key = key;
        x.override_expr = over;
    }
    for (int i = 0; i < b->noutputs && rc; i++) {
        int ov = b->outputs[i];
        cg_map m;
        char ex[256];
        if (ov == yv)
            snprintf(ex, sizeof ex, "%s", over);
        else if (cg_map_reshape(a, &g->val[ov].shape, YS, &m, e) ||
                 ex_value(&x, ov, &m, ex, sizeof ex, e)) {
            rc = 0;
            break;
        }
        cg_sb_printf(&stores, "            a%d[(bz * %lld + n) * %lld + m] = %s;\n", x.argof[ov],
                     (long long)OC, (long long)P, ex);
    }
    if (rc) {
        ex_params(&x, &params, 0);
        ex_params(&x, &nparams, 1);
        char sM[24], sN[24], sK[24];
        snprintf(sM, sizeof sM, "%lld", (long long)P);
        snprintf(sN, sizeof sN, "%lld", (long long)OC);
        snprintf(sK, sizeof sK, "%lld", (long long)K);
        char sRMR[16];
        snprintf(sRMR, sizeof sRMR, "%d", RMR);
        const char **keys = cg_matmul_cpu_keys;
        const char *vals[] = {"",
                              "KERNEL",
                              params.s,
                              sM,
                              sN,
                              sK,
                              "",
                              loads.s,
                              eb.s,
                              stores.s,
                              rowa.s ? rowa.s : "",
                              bl.s ? bl.s : "",
                              sRMR,
                              accs.s ? accs.s : "",
                              fmas.s ? fmas.s : "",
                              spill.s ? spill.s : ""};
        if (!d->gpu)
            ex_finish_kernel(k, &x, rows ? "matmul_cpu_rows" : "matmul_cpu", "convmm", "conv-gemm",
                             " (Conv as implicit GEMM: pixels x channels)", keys, vals, 16,
                             params.s, nparams.s);
        k->pack_arg = warg + 1;
        k->pack_trans = 1;
        k->pack_k = K;
        k->pack_n = OC;
        k->dims = 3;
        k->has_local = 1;
        k->local[0] = k->local[1] = k->local[2] = 1;
        if (rows) {
            k->dims = 2;
            k->global[0] = (size_t)((P + RMR - 1) / RMR);
            k->global[1] = (size_t)B;
        } else {
            k->global[0] = (size_t)((P + 3) / 4);
            k->global[1] = (size_t)((OC + 15) / 16);
            k->global[2] = (size_t)B;
        }
        /* a pointwise Conv's input, A(m, k) = X[bz][k][m], is contiguous
           along the pixels m: four at a time (AVEC 2), or through an image */
        cg_mm_vec va = {0};
        if (d->gpu && pointwise) {
            const char *nm[] = {"bz", "k", "m"};
            cg_mm_vec_operand(&x, a, d, xv, &xm, nm, 1, K, 2, P, &va);
        }
        if (d->gpu) /* GPU tiles (emit_matmul.c): fills the source and the launch */
            cg_matmul_gpu_finish(k, &x, d,
                                 &(cg_mm_gpu){.M = P,
                                              .a = va,
                                              .N = OC,
                                              .K = K,
                                              .batch = B,
                                              .aload = rowa.s,
                                              .bload = bl.s,
                                              .ebody = eb.s,
                                              .stores = stores.s,
                                              .bpacked = 1,
                                              .barg = warg,
                                              .mfast = 1,
                                              .prefix = "convmm",
                                              .family = "conv-gemm",
                                              .note = " (Conv as implicit GEMM, GPU tiles)"});
        k->flops = 2.0 * (double)B * (double)P * (double)OC * (double)K;
    }
    free(key);
    cg_sb_free(&rowa);
    cg_sb_free(&bl);
    cg_sb_free(&accs);
    cg_sb_free(&fmas);
    cg_sb_free(&spill);
    cg_sb_free(&xb);
    cg_sb_free(&loads);
    cg_sb_free(&eb);
    cg_sb_free(&stores);
    cg_sb_free(&params);
    cg_sb_free(&nparams);
    cg_sb_free(&bidx);
    ex_free(&x);
    dn_arena_free(a);
    return rc;
}

int cg_emit_conv(const ir_graph *g, const cg_block *b, const cg_device *d, cg_kernel *k, dn_err *e)
{
    const ir_node *C = NULL;
    for (int i = 0; i < b->nexec; i++)
        if (cg_is_window(&g->node[b->exec[i]])) C = &g->node[b->exec[i]];
    int conv = !strcmp(C->op, "Conv"), maxp = !strcmp(C->op, "MaxPool");
    int xv = C->in[0], yv = C->out[0];
    const dn_shape *XS = &g->val[xv].shape, *YS = &g->val[yv].shape;
    int r = XS->rank, ns = r - 2;
    if (g->val[xv].dtype != DN_F32 || ns < 1 || ns > 3)
        return dn_errf(e, "%s of rank %d", C->op, r), 0;
    for (int i = 1; i < C->nout; i++)
        if (C->out[i] >= 0) return dn_errf(e, "%s with indices output", C->op), 0;
    const char *ap = ir_attr_str(C, "auto_pad", "NOTSET");
    if (strcmp(ap, "NOTSET") && strcmp(ap, "VALID"))
        return dn_errf(e, "%s with auto_pad %s", C->op, ap), 0;
    int64_t ks[3], st[3], pd[3], dl[3];
    int cnt;
    const int64_t *a_ks = ir_attr_ints(C, "kernel_shape", &cnt);
    const ir_value *wv = conv ? &g->val[C->in[1]] : NULL;
    for (int s = 0; s < ns; s++) {
        ks[s] = a_ks && cnt == ns ? a_ks[s] : conv ? wv->shape.d[2 + s] : 1;
        st[s] = 1, pd[s] = 0, dl[s] = 1;
    }
    const int64_t *v;
    if ((v = ir_attr_ints(C, "strides", &cnt)) && cnt == ns) memcpy(st, v, sizeof(int64_t) * ns);
    if ((v = ir_attr_ints(C, "dilations", &cnt)) && cnt == ns) memcpy(dl, v, sizeof(int64_t) * ns);
    if ((v = ir_attr_ints(C, "pads", &cnt)) && cnt == 2 * ns) memcpy(pd, v, sizeof(int64_t) * ns);
    int64_t G = conv ? ir_attr_int(C, "group", 1) : 1;
    int64_t OC = YS->d[1], ICg = conv ? wv->shape.d[1] : 1, OCg = OC / (G > 0 ? G : 1);
    int64_t N = dn_shape_numel(YS);
    if (N <= 0 || N > 0x7fffffff) return dn_errf(e, "%s of %lld outputs", C->op, (long long)N), 0;
    for (int i = 0; i < b->noutputs; i++)
        if (dn_shape_numel(&g->val[b->outputs[i]].shape) != N)
            return dn_errf(e, "%s block with outputs of another size", C->op), 0;

    /* the CPU forms (emit_conv_cpu.c): register-blocked implicit GEMM,
       row-staged depthwise and pooling; -1 leaves the block to the forms
       below */
    if (!d->gpu) {
        int rcpu = cg_emit_conv_cpu(g, b, C, ns, ks, st, pd, dl, G, k, e);
        if (rcpu >= 0) return rcpu;
    }
    if (conv && G == 1 && ns == 2 && wv->kind == IR_VAL_CONST && wv->dtype == DN_F32 &&
        (C->nin < 3 || C->in[2] < 0 || g->val[C->in[2]].kind == IR_VAL_CONST))
        return emit_conv_gemm(g, b, C, ks, st, pd, dl, k, d, e);

    dn_arena *a = dn_arena_new();
    ex_ctx x;
    ex_init(&x, g, b, a);
    int rc = 1;
    cg_sb body = {0}, xb = {0}, stores = {0}, index = {0}, params = {0}, nparams = {0};
    char xe[256], we[64] = "", be[256] = "0.0f";
    /* the input at (x0 = batch, x1 = channel, x2.. = spatial) */
    x.names = xnames;
    x.nnames = r;
    x.body = &xb;
    x.indent = 3 + ns;
    cg_map xm;
    if (cg_map_identity(a, XS, &xm, e) || ex_value(&x, xv, &xm, xe, sizeof xe, e)) rc = 0;
    ex_forget(&x);
    /* weights and bias: plain reads (constants, or other blocks' outputs) */
    int warg = -1, barg = -1;
    if (rc && conv) {
        if (x.prod[C->in[1]] >= 0) {
            rc = dn_errf(e, "Conv weights computed in the block") ? 0 : 0;
        } else {
            warg = ex_arg(&x, C->in[1]);
            snprintf(we, sizeof we, "a%d", warg);
        }
        if (rc && C->nin > 2 && C->in[2] >= 0) {
            if (x.prod[C->in[2]] >= 0)
                rc = dn_errf(e, "Conv bias computed in the block") ? 0 : 0;
            else {
                barg = ex_arg(&x, C->in[2]);
                snprintf(be, sizeof be, "a%d[o1]", barg);
            }
        }
    }
    /* epilogue over the output's index */
    x.names = onames;
    x.nnames = r;
    x.body = &body;
    x.indent = 1;
    cg_map om;
    char *key = NULL;
    if (rc && cg_map_identity(a, YS, &om, e)) rc = 0;
    cg_sb loop = {0};
    if (rc) {
        key = ex_map_key(&x, &om);
        x.override_v = yv;
        x.override_key = key;
        x.override_expr = "y_";
        /* the accumulation loop */
        int avg = !strcmp(C->op, "AveragePool");
        int cip = avg && ir_attr_int(C, "count_include_pad", 0);
        cg_sb_printf(&loop, "    float acc_ = %s;\n", maxp ? "-INFINITY" : "0.0f");
        if (avg) cg_sb_puts(&loop, "    int cnt_ = 0;\n");
        cg_sb_printf(&loop, "    const int x0 = o0;\n");
        int ind = 1;
        if (conv) {
            cg_sb_printf(&loop, "    const int g_ = o1 / %lld;\n", (long long)OCg);
            cg_sb_printf(
                &loop,
                "    for (int c_ = 0; c_ < %lld; c_++) {\n        const int x1 = g_ * %lld + c_;\n",
                (long long)ICg, (long long)ICg);
            ind = 2;
        } else
            cg_sb_printf(&loop, "    const int x1 = o1;\n");
        for (int s = 0; s < ns; s++) {
            for (int q = 0; q < ind; q++)
                cg_sb_puts(&loop, "    ");
            cg_sb_printf(&loop, "for (int k%d = 0; k%d < %lld; k%d++) {\n", s, s, (long long)ks[s],
                         s);
            ind++;
            for (int q = 0; q < ind; q++)
                cg_sb_puts(&loop, "    ");
            cg_sb_printf(&loop, "const int x%d = o%d * %lld - %lld + k%d * %lld;\n", s + 2, s + 2,
                         (long long)st[s], (long long)pd[s], s, (long long)dl[s]);
            for (int q = 0; q < ind; q++)
                cg_sb_puts(&loop, "    ");
            cg_sb_printf(&loop, "if (x%d < 0 || x%d >= %lld) continue;\n", s + 2, s + 2,
                         (long long)XS->d[s + 2]);
        }
        cg_sb_puts(&loop, xb.s ? xb.s : "");
        for (int q = 0; q < ind; q++)
            cg_sb_puts(&loop, "    ");
        if (conv) {
            /* W[oc][c][k...] */
            char wi[256];
            snprintf(wi, sizeof wi, "o1 * %lld + c_", (long long)ICg);
            for (int s = 0; s < ns; s++) {
                char t[400];
                snprintf(t, sizeof t, "(%.200s) * %lld + k%d", wi, (long long)ks[s], s);
                snprintf(wi, sizeof wi, "%.255s", t);
            }
            cg_sb_printf(&loop, "acc_ = fma(%s, %s[%s], acc_);\n", xe, we, wi);
        } else if (maxp)
            cg_sb_printf(&loop, "acc_ = fmax(acc_, %s);\n", xe);
        else
            cg_sb_printf(&loop, "acc_ += %s;\n%scnt_++;\n", xe, "");
        for (int q = ind - 1; q >= 1; q--) {
            for (int w = 0; w < q; w++)
                cg_sb_puts(&loop, "    ");
            cg_sb_puts(&loop, "}\n");
        }
        if (conv)
            cg_sb_printf(&loop, "    const float y_ = acc_ + %s;\n", be);
        else if (maxp)
            cg_sb_puts(&loop, "    const float y_ = acc_;\n");
        else {
            double win = 1;
            for (int s = 0; s < ns; s++)
                win *= (double)ks[s];
            /* count_include_pad: the window's size (taps past the pads of
               ceil_mode would count too; ONNX leaves them out -- rare) */
            if (cip)
                cg_sb_printf(&loop, "    const float y_ = acc_ / %.1ff;\n", win);
            else
                cg_sb_puts(&loop, "    const float y_ = acc_ / (float)cnt_;\n");
        }
    }
    for (int i = 0; i < b->noutputs && rc; i++) {
        int ov = b->outputs[i];
        cg_map m;
        char ex[256];
        if (cg_map_reshape(a, &g->val[ov].shape, YS, &m, e) ||
            ex_value(&x, ov, &m, ex, sizeof ex, e)) {
            rc = 0;
            break;
        }
        cg_sb_printf(&stores, "    a%d[gid] = %s;\n", x.argof[ov], ex);
    }
    if (rc) {
        int64_t stride = 1;
        for (int dd = r - 1; dd >= 0; dd--) {
            cg_sb_printf(&index, "    const int o%d = gid / %lld %% %lld;\n", dd, (long long)stride,
                         (long long)YS->d[dd]);
            stride *= YS->d[dd];
        }
        cg_sb all = {0};
        cg_sb_printf(&all, "%s%s", loop.s, body.s ? body.s : "");
        ex_params(&x, &params, 0);
        ex_params(&x, &nparams, 1);
        char sN[24], what[128];
        snprintf(sN, sizeof sN, "%lld", (long long)N);
        snprintf(what, sizeof what, "%s group=%lld", C->op, (long long)G);
        const char *keys[] = {"COMMENT", "NAME", "PARAMS", "N", "INDEX", "BODY", "STORES", "WHAT"};
        const char *vals[] = {"", "KERNEL", params.s, sN, index.s, all.s, stores.s, what};
        ex_finish_kernel(k, &x, "conv_direct", conv ? "conv" : "pool", conv ? "conv" : "pool", NULL,
                         keys, vals, 8, params.s, nparams.s);
        cg_sb_free(&all);
        k->dims = 1;
        k->global[0] = (size_t)((N + 63) / 64 * 64);
        double win = 1;
        for (int s = 0; s < ns; s++)
            win *= (double)ks[s];
        k->flops = (double)N * win * (double)ICg * (conv ? 2.0 : 1.0);
    }
    free(key);
    cg_sb_free(&loop);
    cg_sb_free(&body);
    cg_sb_free(&xb);
    cg_sb_free(&stores);
    cg_sb_free(&index);
    cg_sb_free(&params);
    cg_sb_free(&nparams);
    ex_free(&x);
    dn_arena_free(a);
    return rc;
}
#endif
