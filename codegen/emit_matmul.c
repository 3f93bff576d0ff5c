/* emit_matmul.c -- the matmul family: one MatMul or Gemm (batched, with
 * broadcasting batch dims) with its operands' prologues and its epilogue
 * fused (templates/matmul_cpu.cl).
 *
 * The operands are the walk of emit_expr.c evaluated over (batch, m, k)
 * and (batch, k, n): a transpose or reshape that feeds the product costs
 * index arithmetic in the load, and an elementwise producer is recomputed
 * per load.  The epilogue is the walk over (batch, m, n) in which the
 * product's value at exactly its own index is the accumulator; a block
 * that needs the product at another index (a transpose after it) is left
 * to the host. */
#include "emit_impl.h"

#ifdef DNNF_HAVE_CODEGEN

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const bnames[] = {"i0", "i1", "i2", "i3", "i4", "i5"};

/* The map over dom (vars: batch..., x, y) into operand shape s; swap: the
   operand is stored transposed (Gemm transA / transB). */
static int operand_map(dn_arena *a, const dn_shape *dom, const dn_shape *s, int swap, cg_map *m,
                       dn_err *e)
{
    cg_map id, inner;
    if (cg_map_identity(a, dom, &id, e)) return -1;
    if (swap) {
        int64_t perm[2] = {1, 0};
        if (cg_map_transpose(a, s, perm, &inner, e)) return -1;
    } else if (cg_map_expand(a, s, dom, &inner, e))
        return -1;
    return cg_map_compose(a, &id, &inner, m, e);
}

int cg_emit_matmul(const ir_graph *g, const cg_block *b, const cg_device *d, cg_kernel *k,
                   dn_err *e)
{
    const ir_node *P = NULL;
    for (int i = 0; i < b->nexec; i++) {
        const ir_node *n = &g->node[b->exec[i]];
        if (!strcmp(n->op, "MatMul") || !strcmp(n->op, "Gemm")) P = n;
    }
    int gemm = !strcmp(P->op, "Gemm");
    int av = P->in[0], bv = P->in[1], pv = P->out[0];
    const dn_shape *SA = &g->val[av].shape, *SB = &g->val[bv].shape, *O = &g->val[pv].shape;
    if (g->val[av].dtype != DN_F32 || g->val[bv].dtype != DN_F32)
        return dn_errf(e, "MatMul of %s", dn_dtype_name(g->val[av].dtype)), 0;
    if (SA->rank < 2 || SB->rank < 2 || O->rank < 2 || O->rank > 6)
        return dn_errf(e, "MatMul of rank %d x %d", SA->rank, SB->rank), 0;
    int ta = gemm ? (int)ir_attr_int(P, "transA", 0) : 0,
        tb = gemm ? (int)ir_attr_int(P, "transB", 0) : 0;
    int nb = O->rank - 2;
    int64_t M = O->d[nb], N = O->d[nb + 1], K = ta ? SA->d[0] : SA->d[SA->rank - 1];
    int64_t batch = 1;
    for (int i = 0; i < nb; i++)
        batch *= O->d[i];
    int64_t numel = dn_shape_numel(O);
    if (numel <= 0 || numel > 0x7fffffff || K <= 0)
        return dn_errf(e, "MatMul of %lld outputs", (long long)numel), 0;
    for (int i = 0; i < b->noutputs; i++)
        if (dn_shape_numel(&g->val[b->outputs[i]].shape) != numel)
            return dn_errf(e, "MatMul block with outputs of another size"), 0;

    /* A batch of products with one shared B (a Linear applied to [seq,
       batch, dim]) is one product of batch*M rows: B is streamed once,
       not once per batch entry, and no rows of a 4-row block go to waste
       when M is 1.  O, nb, M and batch describe the folded product from
       here on; Ofull is the node's own output shape. */
    const dn_shape *Ofull = O;
    dn_shape O2 = *O;
    int fold = nb > 0 && batch > 1 && dn_shape_numel(SB) == K * N && !gemm;
    if (fold) {
        O2.rank = 2;
        O2.d[0] = batch * M;
        O2.d[1] = N;
        O = &O2;
        nb = 0;
        M *= batch;
        batch = 1;
    }
    dn_arena *a = dn_arena_new();
    ex_ctx x;
    ex_init(&x, g, b, a);
    cg_sb abody = {0}, bbody = {0}, ebody = {0}, stores = {0}, params = {0}, bidx = {0};
    char aexpr[256], bexpr[256], over[512];
    const char *names[8];
    int rc = 1;
    for (int i = 0; i < b->noutputs; i++)
        ex_arg(&x, b->outputs[i]);
    x.nout = x.nargs;
    for (int i = 0; i < nb; i++)
        names[i] = bnames[i];
    x.nnames = nb + 2;
    x.names = names;
    dn_shape DA = *O, DB = *O;
    DA.d[nb + 1] = K;
    DB.d[nb] = K;
    cg_map ma, mb, mo;
    /* A over (batch, m, k) */
    names[nb] = "m", names[nb + 1] = "k";
    x.body = &abody, x.indent = 3;
    if (fold) {
        dn_shape DAfull = *Ofull;
        DAfull.d[Ofull->rank - 1] = K;
        cg_map id, rs, ra, ex;
        if (cg_map_identity(a, &DA, &id, e) || cg_map_reshape(a, &DAfull, &DA, &rs, e) ||
            cg_map_compose(a, &id, &rs, &ra, e) || cg_map_expand(a, SA, &DAfull, &ex, e) ||
            cg_map_compose(a, &ra, &ex, &ma, e) || ex_value(&x, av, &ma, aexpr, sizeof aexpr, e))
            rc = 0;
    } else if (operand_map(a, &DA, SA, ta, &ma, e) || ex_value(&x, av, &ma, aexpr, sizeof aexpr, e))
        rc = 0;
    int rows = x.ncompute > 0 && !d->gpu && 64 * K <= 1 << 20; /* matmul_cpu_rows */
    /* B over (batch, k, n) */
    ex_forget(&x);
    names[nb] = "k", names[nb + 1] = "n";
    x.body = &bbody;
    if (rc && fold) {
        cg_map id, rs;
        if (cg_map_identity(a, &DB, &id, e) || cg_map_reshape(a, SB, &DB, &rs, e) ||
            cg_map_compose(a, &id, &rs, &mb, e) || ex_value(&x, bv, &mb, bexpr, sizeof bexpr, e))
            rc = 0;
    } else if (rc && (operand_map(a, &DB, SB, tb, &mb, e) ||
                      ex_value(&x, bv, &mb, bexpr, sizeof bexpr, e)))
        rc = 0;
    /* epilogue over (batch, m, n) */
    ex_forget(&x);
    names[nb] = "m", names[nb + 1] = "n";
    x.body = &ebody, x.indent = 3;
    char *key = NULL;
    if (rc && cg_map_identity(a, O, &mo, e)) rc = 0;
    if (rc) {
        cg_map mk;
        if (cg_map_reshape(a, Ofull, O, &mk, e)) rc = 0;
        key = ex_map_key(&x, rc ? &mk : &mo);
        snprintf(over, sizeof over, "acc");
        if (gemm) {
            float alpha = ir_attr_float(P, "alpha", 1.0f), beta = ir_attr_float(P, "beta", 1.0f);
            char cexpr[256] = "0.0f";
            if (P->nin > 2 && P->in[2] >= 0 && beta != 0.0f) {
                cg_map mc, bc;
                if (cg_map_expand(a, &g->val[P->in[2]].shape, O, &bc, e) ||
                    cg_map_compose(a, &mo, &bc, &mc, e) ||
                    ex_value(&x, P->in[2], &mc, cexpr, sizeof cexpr, e))
                    rc = 0;
            }
            snprintf(over, sizeof over, "%s * acc + %s * %s", FL(alpha), FL(beta), cexpr);
        }
        x.override_v = pv;
        x.override_key = key;
        x.override_expr = over;
    }
    for (int i = 0; i < b->noutputs && rc; i++) {
        int v = b->outputs[i];
        cg_map m;
        char expr[256];
        if (v == pv) {
            cg_sb_printf(&stores, "            a%d[(bz * %lld + m) * %lld + n] = %s;\n", x.argof[v],
                         (long long)M, (long long)N, over);
            continue;
        }
        if (cg_map_reshape(a, &g->val[v].shape, O, &m, e) ||
            ex_value(&x, v, &m, expr, sizeof expr, e)) {
            rc = 0;
            break;
        }
        cg_sb_printf(&stores, "            a%d[(bz * %lld + m) * %lld + n] = %s;\n", x.argof[v],
                     (long long)M, (long long)N, expr);
    }
    if (rc) {
        int64_t stride = 1;
        for (int i = nb - 1; i >= 0; i--) {
            cg_sb_printf(&bidx, "    const int i%d = bz / %lld %% %lld;\n", i, (long long)stride,
                         (long long)O->d[i]);
            stride *= O->d[i];
        }
        int RM = 4, RN = 16, RMR = M >= 32 ? 16 : 4;
        cg_sb rowa = {0}, accs = {0}, fmas = {0}, spill = {0};
        if (rows) {
            cg_sb_printf(&rowa,
                         "            float a_;\n            {\n                const int m = "
                         "min(m0 + r, %lld);\n%s                a_ = %s;\n            }\n",
                         (long long)M - 1, abody.s ? abody.s : "", aexpr);
            for (int r = 0; r < RMR; r++) {
                cg_sb_printf(&accs, "        float16 acc%d = 0.0f;\n", r);
                cg_sb_printf(&fmas,
                             "            acc%d = fma((float16)(as_[%d * %lld + k]), b_, acc%d);\n",
                             r, r, (long long)K, r);
                cg_sb_printf(&spill, "        vstore16(acc%d, 0, accs_[%d]);\n", r, r);
            }
        }
        char sRMR[16];
        snprintf(sRMR, sizeof sRMR, "%d", RMR);
        char sM[24], sN[24], sK[24];
        snprintf(sM, sizeof sM, "%lld", (long long)M);
        snprintf(sN, sizeof sN, "%lld", (long long)N);
        snprintf(sK, sizeof sK, "%lld", (long long)K);
        /* the operand loads, unrolled: A at rows m0..m0+3, B at columns
           n0..n0+15 (clamped at the edge), each copy in its own scope */
        cg_sb loads = {0}, bloads = {0};
        cg_sb_puts(&loads, "        float a_0, a_1, a_2, a_3;\n");
        for (int r = 0; r < RM; r++) {
            if (M % RM == 0)
                cg_sb_printf(&loads, "        {\n            const int m = m0 + %d;\n", r);
            else
                cg_sb_printf(&loads, "        {\n            const int m = min(m0 + %d, %lld);\n",
                             r, (long long)M - 1);
            cg_sb_printf(&loads, "%s            a_%d = %s;\n        }\n", abody.s ? abody.s : "", r,
                         aexpr);
        }
        cg_sb *bl = rows ? &bloads : &loads;
        /* a constant B without broadcast batch dims: read packed panels,
           one contiguous 16-wide load per k (the executor packs it) */
        int packed =
            x.prod[bv] < 0 && g->val[bv].kind == IR_VAL_CONST && dn_shape_numel(SB) == K * N;
        if (packed) {
            k->pack_arg = x.argof[bv] + 1;
            k->pack_trans = tb;
            k->pack_k = K;
            k->pack_n = N;
            cg_sb_printf(
                bl, "        const float16 b_ = vload16(0, a%d + ((n0 / 16) * %lld + k) * 16);\n",
                x.argof[bv], (long long)K);
        }
        for (int c = 0; c < RN && !packed; c++) {
            if (c == 0)
                cg_sb_puts(
                    bl,
                    "        float b_0, b_1, b_2, b_3, b_4, b_5, b_6, b_7, b_8, b_9, b_10, b_11, "
                    "b_12, b_13, b_14, b_15;\n");
            if (N % RN == 0)
                cg_sb_printf(bl, "        {\n            const int n = n0 + %d;\n", c);
            else
                cg_sb_printf(bl, "        {\n            const int n = min(n0 + %d, %lld);\n", c,
                             (long long)N - 1);
            cg_sb_printf(bl, "%s            b_%d = %s;\n        }\n", bbody.s ? bbody.s : "", c,
                         bexpr);
        }
        if (!packed)
            cg_sb_puts(
                bl, "        const float16 b_ = (float16)(b_0, b_1, b_2, b_3, b_4, b_5, b_6, b_7, "
                    "b_8, b_9, b_10, b_11, b_12, b_13, b_14, b_15);\n");
        ex_params(&x, &params, 0);
        cg_sb nparams = {0};
        ex_params(&x, &nparams, 1);
        const char *keys[] = {"COMMENT", "NAME",  "PARAMS", "M",      "N",      "K",
                              "BATCH",   "LOADS", "EBODY",  "STORES", "ALOADS", "BLOADS",
                              "RM",      "ACCS",  "FMAS",   "SPILL"};
        const char *vals[] = {"",
                              "KERNEL",
                              params.s,
                              sM,
                              sN,
                              sK,
                              bidx.s ? bidx.s : "",
                              loads.s,
                              ebody.s ? ebody.s : "",
                              stores.s,
                              rowa.s ? rowa.s : "",
                              bloads.s ? bloads.s : "",
                              sRMR,
                              accs.s ? accs.s : "",
                              fmas.s ? fmas.s : "",
                              spill.s ? spill.s : ""};
        ex_finish_kernel(k, &x, rows ? "matmul_cpu_rows" : "matmul_cpu", "mm", "matmul", NULL, keys,
                         vals, 16, params.s, nparams.s);
        cg_sb_free(&nparams);
        cg_sb_free(&loads);
        cg_sb_free(&bloads);
        cg_sb_free(&rowa);
        cg_sb_free(&accs);
        cg_sb_free(&fmas);
        cg_sb_free(&spill);
        k->dims = 3;
        /* CPU: one work-item per work-group, so that PoCL does not try to
           vectorise across work-items a body that is already 16 wide */
        k->has_local = !d->gpu;
        k->local[0] = k->local[1] = k->local[2] = 1;
        if (rows) {
            k->dims = 2;
            k->global[0] = (size_t)((M + RMR - 1) / RMR);
            k->global[1] = (size_t)batch;
        } else {
            k->global[0] = (size_t)((M + RM - 1) / RM);
            k->global[1] = (size_t)((N + RN - 1) / RN);
            k->global[2] = (size_t)batch;
        }
        k->flops = 2.0 * (double)batch * (double)M * (double)N * (double)K;
    }
    free(key);
    cg_sb_free(&abody);
    cg_sb_free(&bbody);
    cg_sb_free(&ebody);
    cg_sb_free(&stores);
    cg_sb_free(&params);
    cg_sb_free(&bidx);
    ex_free(&x);
    dn_arena_free(a);
    return rc;
}
#endif
