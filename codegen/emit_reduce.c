/* emit_reduce.c -- the reduction family (templates/reduce_row.cl):
 * Softmax (last axis), LayerNormalization, ReduceMean / ReduceSum /
 * ReduceMax / ReduceMin over trailing axes, GlobalAveragePool, each with
 * its prologue (the walk of emit_expr.c over the row being reduced) and
 * its epilogue (the walk over the output, where the reduction node's value
 * at its own index is the pass's result).
 *
 * A row is the trailing dims from the reduction axis on, of L elements;
 * the input is read as [rows..., L] through a reshape map, so a
 * GlobalAveragePool over H x W and a ReduceMean over the last axis are the
 * same kernel.  The passes recompute the prologue instead of keeping the
 * row: prologues are elementwise and cheap, the row can be long.
 *
 * On a GPU one work-item per row starves the machine (a LayerNorm of 197
 * rows is 197 threads), so rows of 64 elements or more take the group form
 * (templates/reduce_group.cl): one work-group per row, its work-items
 * striding over the row in each pass, the partial results combined by a
 * tree in local memory between passes (docs/gpu.md). */
#include "emit_impl.h"

#ifdef DNNF_HAVE_CODEGEN

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const rnames[] = {"i0", "i1", "i2", "i3", "i4", "i5", "i6", "i7"};

int cg_is_reduction(const ir_node *n)
{
    return !strcmp(n->op, "Softmax") || !strcmp(n->op, "LayerNormalization") ||
           !strcmp(n->op, "ReduceMean") || !strcmp(n->op, "ReduceSum") ||
           !strcmp(n->op, "ReduceMax") || !strcmp(n->op, "ReduceMin") ||
           !strcmp(n->op, "GlobalAveragePool");
}

/* The first reduced axis of n over an input of rank r; -1 (with e) when
   the reduced axes are not a trailing run. */
static int reduced_axis(const ir_graph *g, const ir_node *n, int r, dn_err *e)
{
    int ax;
    if (!strcmp(n->op, "Softmax")) {
        if (dn_axis(ir_attr_int(n, "axis", -1), r, &ax, e)) return -1;
        if (ax != r - 1) return dn_errf(e, "Softmax over axis %d of %d", ax, r);
        return ax;
    }
    if (!strcmp(n->op, "LayerNormalization")) {
        if (dn_axis(ir_attr_int(n, "axis", -1), r, &ax, e)) return -1;
        return ax;
    }
    if (!strcmp(n->op, "GlobalAveragePool")) return r >= 3 ? 2 : dn_errf(e, "rank %d", r);
    /* Reduce*: axes from the attribute (opset < 18) or the second input */
    int64_t axes[DN_MAX_RANK];
    int na = 0;
    const int64_t *at = ir_attr_ints(n, "axes", &na);
    if (at && na <= DN_MAX_RANK)
        memcpy(axes, at, (size_t)na * sizeof *axes);
    else if (n->nin > 1 && n->in[1] >= 0) {
        const ir_value *v = &g->val[n->in[1]];
        if (!v->data) return dn_errf(e, "axes not constant");
        dn_tensor t = {v->dtype, v->shape, v->data};
        na = (int)dn_shape_numel(&v->shape);
        if (na > DN_MAX_RANK) return dn_errf(e, "too many axes");
        for (int i = 0; i < na; i++)
            axes[i] = dn_geti(&t, i);
    } else
        na = 0;
    if (na == 0) {
        if (ir_attr_int(n, "noop_with_empty_axes", 0)) return dn_errf(e, "no-op reduction");
        return 0;
    }
    int seen[DN_MAX_RANK] = {0}, lo = r;
    for (int i = 0; i < na; i++) {
        if (dn_axis(axes[i], r, &ax, e)) return -1;
        seen[ax] = 1;
        lo = ax < lo ? ax : lo;
    }
    for (int a = lo; a < r; a++)
        if (!seen[a]) return dn_errf(e, "%s over axes that are not trailing", n->op);
    return lo;
}

/* ---- the CPU row form, strip-mined ----------------------------------------
 * PoCL runs one work-item's row loop as scalar code: a Softmax of 2364 rows
 * of 197 ran at ~1.3 GB/s, one scalar exp per element.  So on the CPU each
 * pass walks the row in strips of SV elements: the prologue (any
 * elementwise walk) fills a private strip, which is then reduced, or
 * exponentiated, as one float8 (PoCL's vector exp); a scalar loop takes
 * the tail.  The order of the additions changes (eight partial sums), well
 * inside the tolerance every check uses. */
#define SV 8

/* The row's prologue: body and e, the statements and the value for one
   element j; in strips, sbody and se for j = j0_ + jj_ with hoist (what
   the lanes compute once per strip, before its loop; ex_ctx.lanes) --
   the same as body and e when the strip has no lanes form. */
typedef struct xrow {
    const char *body, *e, *sbody, *se, *hoist;
} xrow;

/* One strip-mined pass over the row: decl declares the vector accumulator,
   vupd updates it from x8_ (the strip), fold folds it into the scalar
   accumulator, tail is the body of the scalar loop over the tail (after
   the prologue, with j set);
   with per (the last pass), vupd fills yv_[SV] and per runs once per
   element of the strip with j and y_ set. */
static void strip_pass(cg_sb *s, int64_t L, const xrow *x, const char *decl, const char *vupd,
                       const char *fold, const char *tail, const char *per)
{
    int64_t L8 = L / SV * SV;
    const char *xbody = x->body;
    cg_sb_printf(s,
                 "    {\n%s"
                 "    for (int j0_ = 0; j0_ < %lld; j0_ += %d) {\n%s"
                 "        float xv_[%d];\n"
                 "        for (int jj_ = 0; jj_ < %d; jj_++) {\n"
                 "        const int j = j0_ + jj_;\n%s"
                 "        xv_[jj_] = %s;\n"
                 "        }\n"
                 "        const float%d x8_ = vload%d(0, xv_);\n%s",
                 decl, (long long)L8, SV, x->hoist, SV, SV, x->sbody, x->se, SV, SV, vupd);
    if (per)
        cg_sb_printf(s,
                     "        for (int jj_ = 0; jj_ < %d; jj_++) {\n"
                     "        const int j = j0_ + jj_;\n"
                     "        const float y_ = yv_[jj_];\n%s"
                     "        }\n",
                     SV, per);
    cg_sb_printf(s, "    }\n%s    }\n", fold);
    if (L8 < L)
        cg_sb_printf(s, "    for (int j = %lld; j < %lld; j++) {\n%s%s    }\n", (long long)L8,
                     (long long)L, xbody, tail);
}

/* Folds a float8 accumulator v into the scalar acc with op ("+" or a
   two-argument function such as fmax). */
static void fold8(char *buf, size_t n, const char *acc, const char *v, const char *op)
{
    if (!strcmp(op, "+"))
        snprintf(buf, n,
                 "    { const float4 q4_ = %s.lo + %s.hi; const float2 q2_ = q4_.lo + q4_.hi;\n"
                 "      %s += q2_.x + q2_.y; }\n",
                 v, v, acc);
    else
        snprintf(buf, n,
                 "    { const float4 q4_ = %s(%s.lo, %s.hi); const float2 q2_ = %s(q4_.lo, "
                 "q4_.hi);\n      %s = %s(%s, %s(q2_.x, q2_.y)); }\n",
                 op, v, v, op, acc, op, acc, op);
}

/* One reducing pass over the row.  init declares the scalar accumulator;
   pre VALUE post is the statement that takes one element's value in (the
   prologue's, xe); grp combines the work-items' partial results in the
   group form.  In strips, the float8 accumulator a8_ starts at v8, vupd
   takes the strip x8_ in, and it is folded into acc with op (fold8). */
typedef struct rpass {
    const char *init, *pre, *post, *grp;
    const char *v8, *vupd, *acc, *op;
} rpass;

static void reduce_pass(cg_sb *s, int strip, int64_t L, const char *loop, const xrow *x,
                        const rpass *p)
{
    cg_sb upd = {0};
    cg_sb_printf(s, "    %s\n", p->init);
    cg_sb_printf(&upd, "        %s%s%s\n", p->pre, x->e, p->post);
    if (strip) {
        char fl[320], d8[64], u8[96];
        fold8(fl, sizeof fl, p->acc, "a8_", p->op);
        snprintf(d8, sizeof d8, "    float8 a8_ = %s;\n", p->v8);
        snprintf(u8, sizeof u8, "        %s\n", p->vupd);
        strip_pass(s, L, x, d8, u8, fl, upd.s, NULL);
    } else
        cg_sb_printf(s, "    %s {\n%s%s    }\n%s", loop, x->body, upd.s, p->grp);
    cg_sb_free(&upd);
}

int cg_emit_reduce(const ir_graph *g, const cg_block *b, const cg_device *d, cg_kernel *k,
                   dn_err *e)
{
    const ir_node *R = NULL;
    for (int i = 0; i < b->nexec; i++)
        if (cg_is_reduction(&g->node[b->exec[i]])) R = &g->node[b->exec[i]];
    int xv = R->in[0], rv = R->out[0];
    const dn_shape *XS = &g->val[xv].shape, *OS = &g->val[rv].shape;
    if (g->val[xv].dtype != DN_F32)
        return dn_errf(e, "%s of %s", R->op, dn_dtype_name(g->val[xv].dtype)), 0;
    int r = XS->rank;
    if (r < 1) return dn_errf(e, "%s of a scalar", R->op), 0;
    int ax = reduced_axis(g, R, r, e);
    if (ax < 0) return 0;
    for (int i = 0; i < R->nout; i++)
        if (i > 0 && R->out[i] >= 0) return dn_errf(e, "%s with statistics outputs", R->op), 0;
    int64_t L = 1, rows = 1;
    for (int a = ax; a < r; a++)
        L *= XS->d[a];
    for (int a = 0; a < ax; a++)
        rows *= XS->d[a];
    int full = !strcmp(R->op, "Softmax") || !strcmp(R->op, "LayerNormalization");
    int grp = d->gpu && L >= 64; /* the group form (reduce_group.cl) */
    /* the CPU row form in strips (strip_pass); DNNF_REDUCE_SCALAR=1 keeps
       the one-element loop, for before/after measurements */
    int strip = !d->gpu && L >= 2 * SV && !getenv("DNNF_REDUCE_SCALAR");
    int64_t onum = dn_shape_numel(OS);
    if (L <= 0 || rows <= 0 || rows > 0x7fffffff || L > 0x7fffffff)
        return dn_errf(e, "%s of %lld x %lld", R->op, (long long)rows, (long long)L), 0;
    for (int i = 0; i < b->noutputs; i++)
        if (dn_shape_numel(&g->val[b->outputs[i]].shape) != onum)
            return dn_errf(e, "%s block with outputs of another size", R->op), 0;

    /* the row domain [rows dims..., L] and, for reductions, the output domain
       [rows dims..., 1] */
    dn_shape RD, OD;
    RD.rank = OD.rank = ax + 1;
    for (int a = 0; a < ax; a++)
        RD.d[a] = OD.d[a] = XS->d[a];
    RD.d[ax] = L;
    OD.d[ax] = 1;
    const char *names[DN_MAX_RANK + 1];
    for (int a = 0; a < ax; a++)
        names[a] = rnames[a];
    dn_arena *a = dn_arena_new();
    ex_ctx x;
    ex_init(&x, g, b, a);
    x.names = names;
    x.nnames = ax + 1;
    int rc = 1;
    cg_sb passes = {0}, index = {0}, xb = {0}, eb = {0}, st = {0}, params = {0}, nparams = {0};
    char xe[256];
    cg_map id, rm, xm;
    /* X over (rows..., j) */
    names[ax] = "j";
    x.body = &xb;
    x.indent = 2;
    if (cg_map_identity(a, &RD, &id, e) || cg_map_reshape(a, XS, &RD, &rm, e) ||
        cg_map_compose(a, &id, &rm, &xm, e) || ex_value(&x, xv, &xm, xe, sizeof xe, e))
        rc = 0;
    const char *xbody = xb.s ? xb.s : "";
    /* the strips' prologue in lanes over j (ex_ctx.lanes): a read through
       a map whose offset moves by one along the row (a Concat's pieces,
       swin_t's patch merging) gets it once per strip and loads the strip
       contiguously; kept only when some read needs it and all allow it */
    cg_sb xl = {0}, xh = {0};
    char xel[256] = "";
    const char *lnames[DN_MAX_RANK + 1];
    xrow xr = {xbody, xe, xbody, xe, ""};
    if (rc && strip && ex_lanes_on()) {
        for (int q = 0; q <= ax; q++)
            lnames[q] = q == ax ? "j0_" : names[q];
        ex_forget(&x);
        x.body = &xl;
        x.hoist = &xh;
        x.lanes = SV;
        x.lane_var = ax;
        x.lane_nvar = ax + 1;
        x.lane_names = lnames;
        x.lane_r = "jj_";
        dn_err le;
        if (!ex_value(&x, xv, &xm, xel, sizeof xel, &le) && !x.lanes_failed && x.lanes_used)
            xr = (xrow){xbody, xe, xl.s ? xl.s : "", xel, xh.s ? xh.s : ""};
        x.lanes = 0;
    }
    /* the value of the reduction node in the last pass */
    char val[640] = "" /* room for both 256-byte operands */, scale[256] = "", bias[256] = "";
    float eps = ir_attr_float(R, "epsilon", 1e-5f);
    ex_forget(&x);
    x.body = &eb;
    x.indent = 2;
    const dn_shape *ED = full ? &RD : &OD; /* the epilogue's domain */
    names[ax] = full ? "j" : "jz";
    cg_map ed;
    if (rc && cg_map_identity(a, ED, &ed, e)) rc = 0;
    cg_sb sb = {0}; /* LayerNormalization's scale and bias, before y_ */
    if (rc && !strcmp(R->op, "LayerNormalization")) {
        x.body = &sb;
        for (int q = 1; q <= 2 && rc; q++) {
            char *dst = q == 1 ? scale : bias;
            if (R->nin <= q || R->in[q] < 0) {
                strcpy(dst, q == 1 ? "1.0f" : "0.0f");
                continue;
            }
            cg_map bm, cm, om;
            /* scale and bias broadcast against X, read over (rows..., j) */
            if (cg_map_expand(a, &g->val[R->in[q]].shape, XS, &bm, e) ||
                cg_map_reshape(a, XS, &RD, &om, e) || cg_map_compose(a, &ed, &om, &cm, e)) {
                rc = 0;
                break;
            }
            cg_map fm;
            if (cg_map_compose(a, &cm, &bm, &fm, e) || ex_value(&x, R->in[q], &fm, dst, 256, e))
                rc = 0;
        }
        x.body = &eb;
    }
    const char *what = R->op;
    if (rc) {
        if (!strcmp(R->op, "Softmax"))
            snprintf(val, sizeof val, "exp(x_ - mx_) * inv_");
        else if (!strcmp(R->op, "LayerNormalization"))
            snprintf(val, sizeof val, "(x_ - mean_) * rstd_ * %s + %s", scale, bias);
        else if (!strcmp(R->op, "ReduceSum"))
            snprintf(val, sizeof val, "s_");
        else if (!strcmp(R->op, "ReduceMax") || !strcmp(R->op, "ReduceMin"))
            snprintf(val, sizeof val, "mx_");
        else
            snprintf(val, sizeof val, "s_ / %lld.0f", (long long)L);
        /* the reduction's output, read at its own index, is val */
        cg_map om, oid;
        if (cg_map_identity(a, ED, &oid, e) || cg_map_reshape(a, OS, ED, &om, e) ||
            cg_map_compose(a, &oid, &om, &om, e))
            rc = 0;
        else {
            x.override_v = rv;
            x.override_key = ex_map_key(&x, &om);
            x.override_expr = "y_";
        }
    }
    for (int i = 0; i < b->noutputs && rc; i++) {
        int v = b->outputs[i];
        cg_map m;
        char ex[256];
        if (cg_map_reshape(a, &g->val[v].shape, ED, &m, e) ||
            ex_value(&x, v, &m, ex, sizeof ex, e)) {
            rc = 0;
            break;
        }
        if (full)
            cg_sb_printf(&st, "        a%d[row * %lld + j] = %s;\n", x.argof[v], (long long)L, ex);
        else
            cg_sb_printf(&st, "        a%d[row] = %s;\n", x.argof[v], ex);
    }
    const char *ebody = eb.s ? eb.s : "";
    if (rc) {
        int64_t stride = 1;
        for (int q = ax - 1; q >= 0; q--) {
            cg_sb_printf(&index, "    const int i%d = row / %lld %% %lld;\n", q, (long long)stride,
                         (long long)XS->d[q]);
            stride *= XS->d[q];
        }
        /* the group form: each pass strides over the row, and its partial
           result is combined across the work-group before the next pass */
        int wg = 1;
        while (grp && wg < 256 && wg < L)
            wg *= 2;
        char loop[96], gmx[64] = "", gs[64] = "", gv[64] = "", one[32] = "";
        if (grp) {
            snprintf(loop, sizeof loop, "for (int j = lid_; j < %lld; j += %d)", (long long)L, wg);
            int mn = !strcmp(R->op, "ReduceMin");
            snprintf(gmx, sizeof gmx, "    mx_ = grp_%s(mx_, red_);\n", mn ? "min" : "max");
            snprintf(gs, sizeof gs, "    s_ = grp_sum(s_, red_);\n");
            snprintf(gv, sizeof gv, "    v_ = grp_sum(v_, red_);\n");
            snprintf(one, sizeof one, "if (lid_ == 0) ");
        } else
            snprintf(loop, sizeof loop, "for (int j = 0; j < %lld; j++)", (long long)L);
        /* The reducing passes: max and sum for Softmax, mean and variance
           for LayerNorm, one for a reduction; then the pass that writes. */
        int mn = !strcmp(R->op, "ReduceMin");
        const char *mxop = mn ? "fmin" : "fmax", *mxinit = mn ? "INFINITY" : "-INFINITY";
        char mxpre[32], mxv8[32], mxvupd[48], mxinit_s[40];
        snprintf(mxinit_s, sizeof mxinit_s, "float mx_ = %s;", mxinit);
        snprintf(mxpre, sizeof mxpre, "mx_ = %s(mx_, ", mxop);
        snprintf(mxv8, sizeof mxv8, "(float8)(%s)", mxinit);
        snprintf(mxvupd, sizeof mxvupd, "a8_ = %s(a8_, x8_);", mxop);
        const rpass pmax = {mxinit_s, mxpre, ");", gmx, mxv8, mxvupd, "mx_", mxop};
        const rpass psum = {"float s_ = 0.0f;", "s_ += ", ";", gs, "0.0f",
                            "a8_ += x8_;",      "s_",     "+"};
        const rpass pexp = {"float s_ = 0.0f;",       "s_ += exp(", " - mx_);", gs, "0.0f",
                            "a8_ += exp(x8_ - mx_);", "s_",         "+"};
        const rpass pvar = {"float v_ = 0.0f;",
                            "const float d_ = ",
                            " - mean_; v_ += d_ * d_;",
                            gv,
                            "0.0f",
                            "const float8 d8_ = x8_ - mean_; a8_ += d8_ * d8_;",
                            "v_",
                            "+"};
        int full_write = 0;
        if (!strcmp(R->op, "Softmax")) {
            reduce_pass(&passes, strip, L, loop, &xr, &pmax);
            reduce_pass(&passes, strip, L, loop, &xr, &pexp);
            cg_sb_puts(&passes, "    const float inv_ = 1.0f / s_;\n");
            full_write = 1;
        } else if (!strcmp(R->op, "LayerNormalization")) {
            char epsl[40];
            cg_flit(epsl, eps);
            reduce_pass(&passes, strip, L, loop, &xr, &psum);
            cg_sb_printf(&passes, "    const float mean_ = s_ / %lld.0f;\n", (long long)L);
            reduce_pass(&passes, strip, L, loop, &xr, &pvar);
            cg_sb_printf(&passes, "    const float rstd_ = rsqrt(v_ / %lld.0f + %s);\n",
                         (long long)L, epsl);
            full_write = 1;
        } else {
            int mx = mn || !strcmp(R->op, "ReduceMax");
            reduce_pass(&passes, strip, L, loop, &xr, mx ? &pmax : &psum);
            cg_sb_printf(
                &passes,
                "    %s{\n        const int jz = 0;\n        const float y_ = %s;\n%s%s    }\n",
                one, val, ebody, st.s);
        }
        if (full_write) {
            /* the row again, each element's result through the epilogue to
               the stores; in strips, Softmax's exp on the whole strip */
            cg_sb write = {0};
            cg_sb_printf(&write,
                         "        const float x_ = %s;\n%s        const float y_ = %s;\n%s%s", xe,
                         sb.s ? sb.s : "", val, ebody, st.s);
            if (strip && !strcmp(R->op, "Softmax")) {
                cg_sb per = {0};
                cg_sb_printf(&per, "%s%s", ebody, st.s);
                strip_pass(&passes, L, &xr, "",
                           "        float yv_[8];\n        vstore8(exp(x8_ - mx_) * inv_, 0, "
                           "yv_);\n",
                           "", write.s, per.s);
                cg_sb_free(&per);
            } else
                cg_sb_printf(&passes, "    %s {\n%s%s    }\n", loop, xbody, write.s);
            cg_sb_free(&write);
        }
        ex_params(&x, &params, 0);
        ex_params(&x, &nparams, 1);
        char sL[24], sR[24], sW[16];
        snprintf(sL, sizeof sL, "%lld", (long long)L);
        snprintf(sR, sizeof sR, "%lld", (long long)rows);
        snprintf(sW, sizeof sW, "%d", wg);
        const char *keys[] = {"COMMENT", "NAME",   "PARAMS", "L", "ROWS",
                              "INDEX",   "PASSES", "WHAT",   "WG"};
        const char *vals[] = {"",       "KERNEL", params.s, sL, sR, index.s ? index.s : "",
                              passes.s, what,     sW};
        ex_finish_kernel(k, &x, grp ? "reduce_group" : "reduce_row", "red", "reduction",
                         grp ? " (one work-group per row)" : NULL, keys, vals, 9, params.s,
                         nparams.s);
        k->dims = 1;
        k->global[0] = (size_t)rows * (size_t)wg;
        k->has_local = grp;
        k->local[0] = (size_t)wg;
        k->flops = (double)rows * (double)L * (full ? 8.0 : 1.0);
    }
    free((char *)x.override_key);
    cg_sb_free(&passes);
    cg_sb_free(&sb);
    cg_sb_free(&index);
    cg_sb_free(&xb);
    cg_sb_free(&xl);
    cg_sb_free(&xh);
    cg_sb_free(&eb);
    cg_sb_free(&st);
    cg_sb_free(&params);
    cg_sb_free(&nparams);
    ex_free(&x);
    dn_arena_free(a);
    return rc;
}
#endif
