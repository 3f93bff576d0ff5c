/* emit_conv_cpu.c -- the conv family's CPU forms (templates/conv_cpu.cl):
 * register-blocked implicit GEMM for Conv with any spatial rank (1-D to
 * 3-D) and groups whose output channels fill whole vectors, and a
 * row-staged form for depthwise Conv and for pooling.  What they do and
 * why is in the template's comment; the choices of this file:
 *
 *   - the register tile: R pixels x NV vectors of VW channels, R x NV
 *     float accumulators held in the 32 AVX-512 registers (14 x 2, 8 x 3,
 *     6 x 4 or 24 x 1), R sized to the output row so that little of the
 *     last tile is wasted;
 *   - in place: a pointwise input, or one that stays in L2 beside a
 *     weight panel, is read from memory where it lies; every (tap,
 *     pixel) pair of a tile column is known at generation time to lie
 *     inside the image or in the padding, so tile columns fall into a few
 *     classes (left edge, interior, right edge, partial last tile), each
 *     with its own unrolled loop body; rows of taps of the outer spatial
 *     dims outside the image are skipped by one test each;
 *   - staged: an input with a prologue, or a larger one, is evaluated once
 *     per work-item into local memory (the input rows of OHT output rows,
 *     the columns of the R pixels, zero outside the image), and serves a
 *     chunk of output channel tiles whose packed weights stay in L2;
 *   - one loop over the input channels per kw, every load a constant
 *     displacement from one pointer (see gemm_body);
 *   - the epilogue per element, in the loop order that lets the compiler
 *     vectorise it, and a costly one in two passes so that stores still
 *     run along the row (see the epilogue's comment in emit_gemm);
 *   - rows form: 16 output rows a work-item, and on small images several
 *     channels, so that each work-item has enough work (see emit_rows).
 *
 * Returns as the emitters do (1, or 0 with the reason), or -1 when the
 * block is not one of these forms, for conv_direct.cl. */
#include "emit_impl.h"

#ifdef DNNF_HAVE_CODEGEN

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const onames[] = {"o0", "o1", "o2", "o3", "o4"};
static const char *const xnames[] = {"x0", "x1", "x2", "x3", "x4"};

int cg_emit_conv_cpu(const ir_graph *g, const cg_block *b, const ir_node *C, int ns,
                     const int64_t *ks, const int64_t *st, const int64_t *pd, const int64_t *dl,
                     int64_t G, cg_kernel *k, dn_err *e);

typedef long long ll;

/* ---- the epilogue: every block output at the conv's output index ----- */

/* The map from the conv's output index (domain YS) to the element of ov
   written there, and whether that element is at the same flat offset: a
   value computed at the conv's index keeps it (a reshape), the Transpose
   of one (convnext's NCHW -> NHWC) is written at the permuted offset. */
static int output_map(ex_ctx *x, int ov, const dn_shape *YS, cg_map *m, int *same, dn_err *e)
{
    const ir_graph *g = x->g;
    dn_arena *a = x->a;
    int node = x->prod[ov];
    *same = 1;
    if (node >= 0 && !strcmp(g->node[node].op, "Transpose")) {
        const ir_node *t = &g->node[node];
        const dn_shape *XS = &g->val[t->in[0]].shape, *OS = &g->val[ov].shape;
        int r = XS->rank, cnt = 0;
        const int64_t *perm = ir_attr_ints(t, "perm", &cnt);
        int64_t p[DN_MAX_RANK], q[DN_MAX_RANK];
        if (dn_shape_numel(XS) == dn_shape_numel(YS) && r == OS->rank && (!perm || cnt == r)) {
            for (int i = 0; i < r; i++)
                p[i] = perm ? perm[i] : r - 1 - i;
            for (int i = 0; i < r; i++)
                q[p[i]] = i;
            cg_map id, rm, tm, c1;
            if (cg_map_identity(a, YS, &id, e) || cg_map_reshape(a, XS, YS, &rm, e) ||
                cg_map_transpose(a, OS, q, &tm, e) || cg_map_compose(a, &id, &rm, &c1, e) ||
                cg_map_compose(a, &c1, &tm, m, e))
                return -1;
            *same = 0;
            return 0;
        }
    }
    cg_map id, rm;
    if (cg_map_identity(a, YS, &id, e) || cg_map_reshape(a, &g->val[ov].shape, YS, &rm, e) ||
        cg_map_compose(a, &id, &rm, m, e))
        return -1;
    return 0;
}

/* Fills eb (statements) and stores (one store per block output) for the
   element at o0..o{r-1} whose conv value is `acc`; flat is the C text of
   its row-major offset in the conv's output. */
static int epilogue(ex_ctx *x, int yv, int barg, const char *flat, cg_sb *eb, cg_sb *stores,
                    int indent, char *over, size_t nover, char **key, dn_err *e)
{
    const ir_graph *g = x->g;
    const cg_block *b = x->b;
    const dn_shape *YS = &g->val[yv].shape;
    ex_forget(x);
    x->names = onames;
    x->nnames = YS->rank;
    x->body = eb;
    x->indent = indent;
    cg_map om;
    if (cg_map_identity(x->a, YS, &om, e)) return -1;
    *key = ex_map_key(x, &om);
    if (barg >= 0)
        snprintf(over, nover, "acc + a%d[o1]", barg);
    else
        snprintf(over, nover, "acc");
    x->override_v = yv;
    x->override_key = *key;
    x->override_expr = over;
    for (int i = 0; i < b->noutputs; i++) {
        int ov = b->outputs[i], same = 1;
        char ex[256], off[2048];
        if (ov == yv)
            snprintf(ex, sizeof ex, "(%s)", over);
        else {
            cg_map m;
            if (output_map(x, ov, YS, &m, &same, e) || ex_value(x, ov, &m, ex, sizeof ex, e))
                return -1;
            if (!same) ex_offset(x, &m, off, sizeof off);
        }
        for (int q = 0; q < indent; q++)
            cg_sb_puts(stores, "    ");
        cg_sb_printf(stores, "a%d[%s] = %s;\n", x->argof[ov], same ? flat : off, ex);
    }
    return 0;
}

/* Whether stores is one store "aN[flat] = value;" at the conv's own
   offset; *eq then points at its " = ".  Such an epilogue can compute its
   values first and store them in a second, contiguous pass. */
static int single_store(const cg_block *b, const char *stores, const char *flat, const char **eq)
{
    char pat[200];
    snprintf(pat, sizeof pat, "[%s] = ", flat);
    const char *p = strstr(stores, pat);
    if (b->noutputs != 1 || !p || strchr(stores, '\n') != stores + strlen(stores) - 1) return 0;
    *eq = p + strlen(pat) - 4;
    return 1;
}

/* o2.. (the output's spatial index) from the flat pixel m_ */
static void spatial_index(cg_sb *s, const dn_shape *YS, int ind)
{
    int64_t stride = 1;
    for (int d = YS->rank - 1; d >= 2; d--) {
        for (int q = 0; q < ind; q++)
            cg_sb_puts(s, "    ");
        if (d == 2)
            cg_sb_printf(s, "const int o%d = m_ / %lld;\n", d, (ll)stride);
        else
            cg_sb_printf(s, "const int o%d = m_ / %lld %% %lld;\n", d, (ll)stride, (ll)YS->d[d]);
        stride *= YS->d[d];
    }
}

static void pad(cg_sb *s, int ind)
{
    for (int q = 0; q < ind; q++)
        cg_sb_puts(s, "    ");
}

/* ---- conv-gemm ---------------------------------------------------------- */

typedef struct gm_geom {
    int nd;                       /* spatial dims as the kernel sees them */
    int64_t I[3], O[3], k[3], s[3], p[3], d[3];
    int64_t B, IC, OC, G, ICg, OCg, KK, K, P, ISP;
    int VW, NV, R, OCT;
    int64_t NTW, NR, NROWK, NP, NTG, NCHg, TPC;
    int64_t WS, OHT, NHB, SRH, LWIN, NRB; /* the staged form */
} gm_geom;

/* The loops over the input channels for one row of taps, one loop per
   kw (within one loop body no two pixels read the same address, so the
   compiler keeps R broadcasts, NV weights and the R x NV accumulators in
   registers instead of sharing loads across kw and spilling): NV weight
   vectors and R broadcasts per channel.  mask[kw * R + r]: the pair reads
   the image (NULL: all do).  src[xo_ + c_ * cs] is the channel's row
   start (pixel 0, kw 0); wo_ the tap row's first tap. */
static void gemm_body(cg_sb *s, const gm_geom *q, const char *src, int64_t cs, int warg,
                      const unsigned char *mask, int ind)
{
    int64_t KW = q->k[q->nd - 1], sw = q->s[q->nd - 1], dw = q->d[q->nd - 1];
    char vt[16];
    snprintf(vt, sizeof vt, "float%d", q->VW);
    const char *space = strcmp(src, "win_") ? "__global" : "__local";
    for (int64_t kw = 0; kw < KW; kw++) {
        int r0 = -1;
        for (int r = 0; r < q->R && r0 < 0; r++)
            if (!mask || mask[kw * q->R + r]) r0 = r;
        if (r0 < 0) continue;
        pad(s, ind);
        cg_sb_printf(s, "for (int c_ = 0; c_ < %lld; c_++) {\n", (ll)q->ICg);
        /* pointers, so that every load is a constant displacement (int
           indices would be sign-extended per load); the input pointer at
           the first pixel this kw reads */
        pad(s, ind + 1);
        cg_sb_printf(s, "const %s float *xp_ = %s + (xo_ + c_ * %lld + %lld);\n", space, src,
                     (ll)cs, (ll)(kw * dw + r0 * sw));
        pad(s, ind + 1);
        cg_sb_printf(s, "const __global float *wp_ = a%d + (wb0_ + (c_ * %lld + wo_ + %lld) * 16);\n",
                     warg, (ll)q->KK, (ll)kw);
        for (int j = 0; j < q->NV; j++) {
            pad(s, ind + 1);
            cg_sb_printf(s, "const %s w%d_ = vload%d(0, wp_ + %lld);\n", vt, j, q->VW,
                         (ll)(j * q->K * 16));
        }
        for (int r = 0; r < q->R; r++) {
            if (mask && !mask[kw * q->R + r]) continue;
            pad(s, ind + 1);
            cg_sb_printf(s, "const %s b%d_ = (%s)(xp_[%lld]);\n", vt, r, vt, (ll)((r - r0) * sw));
            for (int j = 0; j < q->NV; j++) {
                pad(s, ind + 1);
                cg_sb_printf(s, "acc%d_%d = fma(b%d_, w%d_, acc%d_%d);\n", r, j, r, j, r, j);
            }
        }
        pad(s, ind);
        cg_sb_puts(s, "}\n");
    }
}

/* The outer tap coordinate names: for nd spatial dims, t_ runs over the
   taps of the first nd - 1 dims; their input coordinates are i0_.. */
static void tap_rows(cg_sb *s, const gm_geom *q, int ind, int check)
{
    int64_t rest = q->NROWK;
    for (int dd = 0; dd < q->nd - 1; dd++) {
        rest /= q->k[dd];
        pad(s, ind);
        cg_sb_printf(s, "const int i%d_ = y%d_ * %lld - %lld + (t_ / %lld %% %lld) * %lld;\n", dd,
                     dd, (ll)q->s[dd], (ll)q->p[dd], (ll)rest, (ll)q->k[dd], (ll)q->d[dd]);
        if (check) {
            pad(s, ind);
            cg_sb_printf(s, "if ((uint)i%d_ >= %lldu) continue;\n", dd, (ll)q->I[dd]);
        }
    }
}

/* The loops of the plain form for one class of tile columns (mask over
   (kw, pixel)): rows of taps outside, input channels inside. */
static void plain_loops(cg_sb *s, const gm_geom *q, int xarg, int warg, const unsigned char *mk,
                        int ind)
{
    int64_t KW = q->k[q->nd - 1], sw = q->s[q->nd - 1], pw = q->p[q->nd - 1];
    int64_t IW = q->I[q->nd - 1];
    int full = 1;
    for (int64_t i = 0; i < KW * q->R; i++)
        full &= mk[i];
    pad(s, ind);
    cg_sb_printf(s, "for (int t_ = 0; t_ < %lld; t_++) {\n", (ll)q->NROWK);
    int ii = ind + 1;
    tap_rows(s, q, ii, 1);
    pad(s, ii);
    cg_sb_printf(s, "const int xo_ = (bz * %lld + g_ * %lld) * %lld", (ll)q->IC, (ll)q->ICg, (ll)q->ISP);
    int64_t rowstride = IW;
    for (int dd = q->nd - 2; dd >= 0; dd--) {
        cg_sb_printf(s, " + i%d_ * %lld", dd, (ll)rowstride);
        rowstride *= q->I[dd];
    }
    cg_sb_printf(s, " + ow0_ * %lld - %lld;\n", (ll)sw, (ll)pw);
    pad(s, ii);
    cg_sb_printf(s, "const int wo_ = t_ * %lld;\n", (ll)KW);
    char src[16];
    snprintf(src, sizeof src, "a%d", xarg);
    gemm_body(s, q, src, q->ISP, warg, full ? NULL : mk, ii);
    pad(s, ind);
    cg_sb_puts(s, "}\n");
}

/* The staged form's window: for each plane kd of the taps along D (3-D),
   each of the SRH input rows the OHT output rows read along H, and each
   input channel of the group, WS columns from iw0_ on; zero outside the
   image.  The columns inside are one plain loop, so that the compiler
   can vectorise the prologue along the row. */
static void stage_window(cg_sb *s, const gm_geom *q, const char *xb, const char *xe, int pointwise,
                         int ind)
{
    int nd = q->nd;
    int64_t KD = nd == 3 ? q->k[0] : 1, IW = q->I[nd - 1];
    pad(s, ind);
    cg_sb_printf(s, "for (int kd_ = 0; kd_ < %lld; kd_++)\n", (ll)KD);
    pad(s, ind + 1);
    cg_sb_printf(s, "for (int hr_ = 0; hr_ < %lld; hr_++) {\n", (ll)q->SRH);
    int in = ind + 2;
    pad(s, in);
    cg_sb_puts(s, "int ok_ = 1;\n");
    if (nd == 3) {
        pad(s, in);
        cg_sb_printf(s, "const int id_ = od_ * %lld - %lld + kd_ * %lld;\n", (ll)q->s[0], (ll)q->p[0],
                     (ll)q->d[0]);
        pad(s, in);
        cg_sb_printf(s, "ok_ = ok_ && (uint)id_ < %lldu;\n", (ll)q->I[0]);
    }
    if (nd >= 2) {
        pad(s, in);
        cg_sb_printf(s, "const int ih_ = oh0_ * %lld - %lld + hr_;\n", (ll)q->s[nd - 2],
                     (ll)q->p[nd - 2]);
        pad(s, in);
        cg_sb_printf(s, "ok_ = ok_ && (uint)ih_ < %lldu;\n", (ll)q->I[nd - 2]);
    }
    pad(s, in);
    cg_sb_printf(s, "const int jlo_ = ok_ ? clamp(-iw0_, 0, %lld) : 0;\n", (ll)q->WS);
    pad(s, in);
    cg_sb_printf(s, "const int jhi_ = ok_ ? clamp(%lld - iw0_, jlo_, %lld) : 0;\n", (ll)IW,
                 (ll)q->WS);
    pad(s, in);
    cg_sb_printf(s, "for (int c_ = 0; c_ < %lld; c_++) {\n", (ll)q->ICg);
    pad(s, in + 1);
    cg_sb_printf(s, "__local float *wr_ = win_ + ((kd_ * %lld + hr_) * %lld + c_) * %lld;\n",
                 (ll)q->SRH, (ll)q->ICg, (ll)q->WS);
    pad(s, in + 1);
    cg_sb_puts(s, "for (int j_ = 0; j_ < jlo_; j_++)\n");
    pad(s, in + 2);
    cg_sb_puts(s, "wr_[j_] = 0.0f;\n");
    pad(s, in + 1);
    cg_sb_puts(s, "for (int j_ = jlo_; j_ < jhi_; j_++) {\n");
    pad(s, in + 2);
    cg_sb_printf(s, "const int x0 = bz, x1 = g_ * %lld + c_;\n", (ll)q->ICg);
    if (pointwise || nd == 1) {
        pad(s, in + 2);
        cg_sb_puts(s, "const int x2 = iw0_ + j_;\n");
    } else if (nd == 2) {
        pad(s, in + 2);
        cg_sb_puts(s, "const int x2 = ih_, x3 = iw0_ + j_;\n");
    } else {
        pad(s, in + 2);
        cg_sb_puts(s, "const int x2 = id_, x3 = ih_, x4 = iw0_ + j_;\n");
    }
    cg_sb_puts(s, xb ? xb : "");
    pad(s, in + 2);
    cg_sb_printf(s, "wr_[j_] = %s;\n", xe);
    pad(s, in + 1);
    cg_sb_puts(s, "}\n");
    pad(s, in + 1);
    cg_sb_printf(s, "for (int j_ = jhi_; j_ < %lld; j_++)\n", (ll)q->WS);
    pad(s, in + 2);
    cg_sb_puts(s, "wr_[j_] = 0.0f;\n");
    pad(s, in);
    cg_sb_puts(s, "}\n");
    pad(s, ind + 1);
    cg_sb_puts(s, "}\n");
}

/* Register tile, chunks and rows per work-item (docs/codegen.md).  For
   the staged form: a chunk of output channel tiles whose packed weights
   stay in L2 (1 MB), OHT output rows per work-item so that each weight
   panel loaded serves OHT x R pixels and the window's rows overlap, and
   at least 16 work-items for the two cores. */
static void plan_staged(gm_geom *q)
{
    int nd = q->nd;
    int64_t OH = nd >= 2 ? q->O[nd - 2] : 1, KH = nd >= 2 ? q->k[nd - 2] : 1;
    int64_t sH = nd >= 2 ? q->s[nd - 2] : 1, dH = nd >= 2 ? q->d[nd - 2] : 1;
    int64_t KD = nd == 3 ? q->k[0] : 1, OD = nd == 3 ? q->O[0] : 1;
    int64_t panel = q->K * q->OCT * 4;
    q->TPC = (1 << 20) / panel;
    if (q->TPC < 1) q->TPC = 1;
    if (q->TPC > q->NTG) q->TPC = q->NTG;
    q->OHT = OH < 4 ? OH : 4;
    for (;;) {
        q->NCHg = (q->NTG + q->TPC - 1) / q->TPC;
        q->NHB = (OH + q->OHT - 1) / q->OHT;
        q->SRH = (q->OHT - 1) * sH + (KH - 1) * dH + 1;
        q->LWIN = KD * q->SRH * q->ICg * q->WS;
        int64_t wis = q->B * q->G * q->NCHg * OD * q->NHB * q->NTW;
        if ((wis < 16 || q->LWIN * 4 > (1 << 20)) && q->OHT > 1)
            q->OHT = (q->OHT + 1) / 2;
        else if (wis < 16 && q->TPC > 1)
            q->TPC = (q->TPC + 1) / 2;
        else
            break;
    }
    q->NRB = OD * q->NHB;
}

static int emit_gemm(const ir_graph *g, const cg_block *b, const ir_node *C, int ns,
                     const int64_t *ks, const int64_t *st, const int64_t *pd, const int64_t *dl,
                     int64_t G, cg_kernel *k, dn_err *e)
{
    int xv = C->in[0], yv = C->out[0];
    const dn_shape *XS = &g->val[xv].shape, *YS = &g->val[yv].shape;
    gm_geom q;
    memset(&q, 0, sizeof q);
    q.B = YS->d[0];
    q.IC = XS->d[1];
    q.OC = YS->d[1];
    q.G = G;
    q.ICg = q.IC / G;
    q.OCg = q.OC / G;
    q.KK = 1;
    q.P = 1;
    q.ISP = 1;
    int pointwise = 1;
    for (int s = 0; s < ns; s++) {
        q.KK *= ks[s];
        q.P *= YS->d[2 + s];
        q.ISP *= XS->d[2 + s];
        if (ks[s] != 1 || st[s] != 1 || pd[s] != 0 || XS->d[2 + s] != YS->d[2 + s]) pointwise = 0;
    }
    q.K = q.ICg * q.KK;
    if (pointwise) { /* one row of P pixels */
        q.nd = 1;
        q.I[0] = q.O[0] = q.P;
        q.k[0] = q.s[0] = q.d[0] = 1;
        q.p[0] = 0;
    } else {
        q.nd = ns;
        for (int s = 0; s < ns; s++) {
            q.I[s] = XS->d[2 + s];
            q.O[s] = YS->d[2 + s];
            q.k[s] = ks[s];
            q.s[s] = st[s];
            q.p[s] = pd[s];
            q.d[s] = dl[s];
        }
    }
    /* the register tile */
    if (G == 1 || q.OCg % 16 == 0)
        q.VW = 16;
    else if (q.OCg % 8 == 0)
        q.VW = 8;
    else if (q.OCg % 4 == 0)
        q.VW = 4;
    else
        return -1;
    q.NP = (q.OCg + q.VW - 1) / q.VW;
    q.NV = 1;
    if (q.VW == 16) {
        static const int pref[] = {2, 3, 4, 1};
        for (int i = 0; i < 4; i++)
            if (q.NP % pref[i] == 0) {
                q.NV = pref[i];
                break;
            }
    }
    int maxr = q.NV == 1 ? 24 : q.NV == 2 ? 14 : q.NV == 3 ? 8 : 6;
    int64_t OW = q.O[q.nd - 1], IW = q.I[q.nd - 1];
    int64_t ntw = (OW + maxr - 1) / maxr;
    q.R = (int)((OW + ntw - 1) / ntw);
    q.NTW = (OW + q.R - 1) / q.R;
    q.OCT = q.NV * q.VW;
    q.NR = 1;
    q.NROWK = 1;
    for (int s = 0; s < q.nd - 1; s++) {
        q.NR *= q.O[s];
        q.NROWK *= q.k[s];
    }
    q.NTG = q.NP / q.NV;
    int64_t KW = q.k[q.nd - 1], sw = q.s[q.nd - 1], pw = q.p[q.nd - 1], dw = q.d[q.nd - 1];
    q.WS = (q.R - 1) * sw + (KW - 1) * dw + 1;

    dn_arena *a = dn_arena_new();
    ex_ctx x;
    ex_init(&x, g, b, a);
    int rc = 1;
    /* staged: an input with a prologue; or a window over an input that
       does not stay in L2 beside a weight panel, or a wide one (ResNet's
       7x7 stem: seven classes of edge columns); measured: in place wins
       when the input and panel stay in cache, or the conv is pointwise */
    int staged = x.prod[xv] >= 0 ||
                 (!pointwise && ((q.ICg * q.ISP + q.K * q.OCT) * 4 > 3 * (1 << 19) || KW >= 5));
    /* tile-column classes of the plain form */
    unsigned char *masks = NULL;
    int *cls = NULL, *rep = NULL, ncls = 0, dflt = 0;
    if (!staged) {
        int64_t MW = KW * q.R;
        masks = calloc((size_t)(q.NTW * MW), 1);
        cls = malloc((size_t)q.NTW * sizeof *cls);
        rep = malloc((size_t)q.NTW * sizeof *rep);
        int *cnt = calloc((size_t)q.NTW, sizeof *cnt);
        if (!masks || !cls || !rep || !cnt) abort();
        for (int64_t t = 0; t < q.NTW; t++) {
            unsigned char *mk = masks + t * MW;
            for (int64_t kw = 0; kw < KW; kw++)
                for (int r = 0; r < q.R; r++) {
                    int64_t ow = t * q.R + r, iw = ow * sw - pw + kw * dw;
                    mk[kw * q.R + r] = ow < OW && iw >= 0 && iw < IW;
                }
            cls[t] = -1;
            for (int c = 0; c < ncls && cls[t] < 0; c++)
                if (!memcmp(masks + (int64_t)rep[c] * MW, mk, (size_t)MW)) cls[t] = c;
            if (cls[t] < 0) rep[ncls] = (int)t, cls[t] = ncls++;
            cnt[cls[t]]++;
        }
        for (int c = 1; c < ncls; c++)
            if (cnt[c] > cnt[dflt]) dflt = c;
        free(cnt);
        /* many classes (dilations, odd strides): stage instead */
        if (ncls > 6) staged = 1;
    }
    if (staged) {
        plan_staged(&q);
        if (q.LWIN * 4 > (1 << 20)) rc = -1; /* a window over 1 MB: conv_direct */
    } else {
        q.NCHg = q.NTG;
        q.TPC = 1;
        q.OHT = 1;
        q.NRB = q.NR;
    }

    cg_sb body = {0}, xb = {0}, eb = {0}, stores = {0}, params = {0}, nparams = {0};
    char xe[256], over[128], *key = NULL, what[512];
    int xarg = -1;
    int warg = rc == 1 ? ex_arg(&x, C->in[1]) : -1, barg = -1;
    if (rc == 1 && C->nin > 2 && C->in[2] >= 0) barg = ex_arg(&x, C->in[2]);
    if (rc == 1 && staged) {
        /* the input at (x0 = batch, x1 = channel, x2.. = spatial) */
        x.names = xnames;
        x.body = &xb;
        x.indent = 6;
        cg_map xm;
        if (pointwise) {
            dn_shape V = {3, {q.B, q.IC, q.P}};
            cg_map id, rm;
            x.nnames = 3;
            if (cg_map_identity(a, &V, &id, e) || cg_map_reshape(a, XS, &V, &rm, e) ||
                cg_map_compose(a, &id, &rm, &xm, e) || ex_value(&x, xv, &xm, xe, sizeof xe, e))
                rc = 0;
        } else {
            x.nnames = XS->rank;
            if (cg_map_identity(a, XS, &xm, e) || ex_value(&x, xv, &xm, xe, sizeof xe, e))
                rc = 0;
        }
    } else if (rc == 1)
        xarg = ex_arg(&x, xv);
    if (rc == 1) {
        char flat[128];
        snprintf(flat, sizeof flat, "(bz * %lld + o1) * %lld + m_", (ll)q.OC, (ll)q.P);
        if (epilogue(&x, yv, barg, flat, &eb, &stores, staged ? 5 : 4, over, sizeof over, &key,
                     e))
            rc = 0;
    }
    if (rc == 1) {
        cg_sb *s = &body;
        int ind = 1;
        char vt[16];
        snprintf(vt, sizeof vt, "float%d", q.VW);
        pad(s, ind);
        cg_sb_puts(s, "const int tr_ = get_global_id(0), q_ = get_global_id(1), bz = "
                      "get_global_id(2);\n");
        pad(s, ind);
        cg_sb_printf(s, "const int rb_ = tr_ / %lld, twc_ = tr_ %% %lld, ow0_ = twc_ * %d;\n",
                     (ll)q.NTW, (ll)q.NTW, q.R);
        pad(s, ind);
        cg_sb_printf(s, "const int g_ = q_ / %lld, ch_ = q_ %% %lld;\n", (ll)q.NCHg, (ll)q.NCHg);
        if (staged) {
            int nd = q.nd;
            int64_t OH = nd >= 2 ? q.O[nd - 2] : 1, KH = nd >= 2 ? q.k[nd - 2] : 1;
            int64_t sH = nd >= 2 ? q.s[nd - 2] : 1, dH = nd >= 2 ? q.d[nd - 2] : 1;
            pad(s, ind);
            cg_sb_printf(s, "const int od_ = rb_ / %lld, oh0_ = rb_ %% %lld * %lld;\n",
                         (ll)q.NHB, (ll)q.NHB, (ll)q.OHT);
            pad(s, ind);
            cg_sb_printf(s, "const int iw0_ = ow0_ * %lld - %lld;\n", (ll)sw, (ll)pw);
            pad(s, ind);
            cg_sb_printf(s, "__local float win_[%lld];\n", (ll)q.LWIN);
            stage_window(s, &q, xb.s, xe, pointwise, ind);
            pad(s, ind);
            cg_sb_printf(s,
                         "for (int tt_ = ch_ * %lld; tt_ < min((ch_ + 1) * %lld, %lld); tt_++) {\n",
                         (ll)q.TPC, (ll)q.TPC, (ll)q.NTG);
            ind++;
            pad(s, ind);
            cg_sb_printf(s, "const int nb_ = g_ * %lld + tt_ * %d;\n", (ll)q.OCg, q.OCT);
            for (int j = 0; j < q.NV; j++) {
                pad(s, ind);
                cg_sb_printf(s, "const int wb%d_ = ((nb_ + %d) / 16) * %lld + (nb_ + %d) %% 16;\n",
                             j, j * q.VW, (ll)(q.K * 16), j * q.VW);
            }
            pad(s, ind);
            cg_sb_printf(s, "for (int or_ = 0; or_ < %lld; or_++) {\n", (ll)q.OHT);
            ind++;
            if (q.OHT > 1 && OH % q.OHT) {
                pad(s, ind);
                cg_sb_printf(s, "if (oh0_ + or_ >= %lld) break;\n", (ll)OH);
            }
            pad(s, ind);
            cg_sb_printf(s, "const int row_ = od_ * %lld + oh0_ + or_;\n", (ll)OH);
            for (int r = 0; r < q.R; r++) {
                pad(s, ind);
                cg_sb_printf(s, "%s", vt);
                for (int j = 0; j < q.NV; j++)
                    cg_sb_printf(s, "%s acc%d_%d = 0.0f", j ? "," : "", r, j);
                cg_sb_puts(s, ";\n");
            }
            pad(s, ind);
            cg_sb_printf(s, "for (int t_ = 0; t_ < %lld; t_++) {\n", (ll)q.NROWK);
            pad(s, ind + 1);
            cg_sb_printf(s,
                         "const int xo_ = ((t_ / %lld * %lld + or_ * %lld + t_ %% %lld * %lld) * "
                         "%lld) * %lld, wo_ = t_ * %lld;\n",
                         (ll)KH, (ll)q.SRH, (ll)sH, (ll)KH, (ll)dH, (ll)q.ICg, (ll)q.WS, (ll)KW);
            gemm_body(s, &q, "win_", q.WS, warg, NULL, ind + 1);
            pad(s, ind);
            cg_sb_puts(s, "}\n");
        } else {
            /* the row's outer output coordinates y0_.. */
            int64_t rs = q.NR;
            for (int dd = 0; dd < q.nd - 1; dd++) {
                rs /= q.O[dd];
                pad(s, ind);
                cg_sb_printf(s, "const int y%d_ = rb_ / %lld %% %lld;\n", dd, (ll)rs,
                             (ll)q.O[dd]);
            }
            pad(s, ind);
            cg_sb_puts(s, "{\n");
            ind++;
            pad(s, ind);
            cg_sb_puts(s, "const int tt_ = ch_, row_ = rb_;\n");
            pad(s, ind);
            cg_sb_printf(s, "const int nb_ = g_ * %lld + tt_ * %d;\n", (ll)q.OCg, q.OCT);
            for (int j = 0; j < q.NV; j++) {
                pad(s, ind);
                cg_sb_printf(s, "const int wb%d_ = ((nb_ + %d) / 16) * %lld + (nb_ + %d) %% 16;\n",
                             j, j * q.VW, (ll)(q.K * 16), j * q.VW);
            }
            for (int r = 0; r < q.R; r++) {
                pad(s, ind);
                cg_sb_printf(s, "%s", vt);
                for (int j = 0; j < q.NV; j++)
                    cg_sb_printf(s, "%s acc%d_%d = 0.0f", j ? "," : "", r, j);
                cg_sb_puts(s, ";\n");
            }
            for (int c = 0, first = 1; c < ncls; c++) {
                if (c == dflt && ncls > 1) continue;
                pad(s, ind);
                if (ncls == 1)
                    cg_sb_puts(s, "{\n");
                else {
                    cg_sb_printf(s, "%sif (", first ? "" : "else ");
                    int n = 0;
                    for (int64_t t = 0; t < q.NTW; t++)
                        if (cls[t] == c) cg_sb_printf(s, "%stwc_ == %lld", n++ ? " || " : "", (ll)t);
                    cg_sb_puts(s, ") {\n");
                }
                first = 0;
                plain_loops(s, &q, xarg, warg, masks + (int64_t)rep[c] * KW * q.R, ind + 1);
                pad(s, ind);
                cg_sb_puts(s, "}\n");
            }
            if (ncls > 1) { /* the default class: the interior */
                pad(s, ind);
                cg_sb_puts(s, "else {\n");
                plain_loops(s, &q, xarg, warg, masks + (int64_t)rep[dflt] * KW * q.R, ind + 1);
                pad(s, ind);
                cg_sb_puts(s, "}\n");
            }
        }
        /* the epilogue: output channels outer, so stores run along pixels */
        pad(s, ind);
        cg_sb_printf(s, "float accs_[%d];\n", q.R * q.OCT);
        for (int r = 0; r < q.R; r++)
            for (int j = 0; j < q.NV; j++) {
                pad(s, ind);
                cg_sb_printf(s, "vstore%d(acc%d_%d, 0, accs_ + %d);\n", q.VW, r, j,
                             r * q.OCT + j * q.VW);
            }
        /* a cheap epilogue (bias, ReLU, a residual): channels outside and
           pixels inside, so that stores run along a row; an epilogue with a
           transcendental (SiLU, GELU, sigmoid): pixels outside, channels
           inside, so that the inner loop reads the accumulators in order
           and the compiler vectorises it across channels (measured: 2.4x
           on a 1x1 conv with SiLU, 0.7x on one with a bias) */
        const char *es = eb.s ? eb.s : "";
        int costly = strstr(es, "exp(") || strstr(es, "tanh(") || strstr(es, "erf(") ||
                     strstr(es, "log(") || strstr(es, "pow(") || strstr(es, "sqrt(");
        char nloop[128], rloop[128];
        if (q.G == 1 && q.OC % q.OCT)
            snprintf(nloop, sizeof nloop, "for (int n_ = 0; n_ < min(%d, %lld - nb_); n_++) {\n",
                     q.OCT, (ll)q.OC);
        else
            snprintf(nloop, sizeof nloop, "for (int n_ = 0; n_ < %d; n_++) {\n", q.OCT);
        snprintf(rloop, sizeof rloop, "for (int r_ = 0; r_ < %d; r_++) {\n", q.R);
        if (OW % q.R) /* a bound, not a break: the loop stays vectorisable */
            snprintf(rloop, sizeof rloop, "for (int r_ = 0; r_ < min(%d, %lld - ow0_); r_++) {\n",
                     q.R, (ll)OW);
        /* a costly epilogue with one output at the conv's own offset runs
           in two passes: values in place (pixels outside, vectorised across
           channels), then stores channels outside so that they run along
           the row instead of striding by a channel plane */
        const char *st1 = stores.s ? stores.s : "", *eq = NULL;
        char flatst[160];
        snprintf(flatst, sizeof flatst, "(bz * %lld + o1) * %lld + m_", (ll)q.OC, (ll)q.P);
        int split = costly && single_store(b, st1, flatst, &eq);
        pad(s, ind);
        cg_sb_puts(s, costly ? rloop : nloop);
        pad(s, ind + 1);
        cg_sb_puts(s, costly ? nloop : rloop);
        pad(s, ind + 2);
        cg_sb_puts(s, "const int o0 = bz, o1 = nb_ + n_;\n");
        pad(s, ind + 2);
        cg_sb_printf(s, "const int m_ = row_ * %lld + ow0_ + r_;\n", (ll)OW);
        spatial_index(s, YS, ind + 2);
        pad(s, ind + 2);
        cg_sb_printf(s, "const float acc = accs_[r_ * %d + n_];\n", q.OCT);
        cg_sb_puts(s, eb.s ? eb.s : "");
        if (split) {
            pad(s, ind + 2);
            cg_sb_printf(s, "accs_[r_ * %d + n_] = %.*s;\n", q.OCT,
                         (int)(strlen(eq + 4) - 2), eq + 4);
        } else
            cg_sb_puts(s, st1);
        pad(s, ind + 1);
        cg_sb_puts(s, "}\n");
        pad(s, ind);
        cg_sb_puts(s, "}\n");
        if (split) {
            pad(s, ind);
            cg_sb_puts(s, nloop);
            pad(s, ind + 1);
            cg_sb_puts(s, rloop);
            pad(s, ind + 2);
            cg_sb_printf(s, "const int o1 = nb_ + n_, m_ = row_ * %lld + ow0_ + r_;\n", (ll)OW);
            pad(s, ind + 2);
            const char *lhs = st1 + strspn(st1, " "); /* "aN[flat] = " */
            cg_sb_printf(s, "%.*saccs_[r_ * %d + n_];\n", (int)(eq + 4 - lhs), lhs, q.OCT);
            pad(s, ind + 1);
            cg_sb_puts(s, "}\n");
            pad(s, ind);
            cg_sb_puts(s, "}\n");
        }
        while (--ind >= 1) {
            pad(s, ind);
            cg_sb_puts(s, "}\n");
        }

        ex_params(&x, &params, 0);
        ex_params(&x, &nparams, 1);
        if (staged)
            snprintf(what, sizeof what,
                     "conv-gemm staged: M=%lld N=%lld K=%lld groups=%lld, tile %d pixels x %d x "
                     "float%d, %lld output rows and %lld channel tiles per work-item, window %lld "
                     "floats; launch %lld x %lld x %lld",
                     (ll)q.P, (ll)q.OC, (ll)q.K, (ll)q.G, q.R, q.NV, q.VW, (ll)q.OHT, (ll)q.TPC,
                     (ll)q.LWIN, (ll)(q.NRB * q.NTW), (ll)(q.G * q.NCHg), (ll)q.B);
        else
            snprintf(what, sizeof what,
                     "conv-gemm plain: M=%lld N=%lld K=%lld groups=%lld, tile %d pixels x %d x "
                     "float%d, %lld tile columns in %d classes; launch %lld x %lld x %lld",
                     (ll)q.P, (ll)q.OC, (ll)q.K, (ll)q.G, q.R, q.NV, q.VW, (ll)q.NTW, ncls,
                     (ll)(q.NRB * q.NTW), (ll)(q.G * q.NCHg), (ll)q.B);
        const char *keys[] = {"COMMENT", "NAME", "PARAMS", "BODY", "WHAT"};
        const char *vals[] = {"", "", "", body.s, what};
        ex_finish_kernel(k, &x, "conv_cpu", "convmm", "conv-gemm",
                         " (Conv as implicit GEMM: pixels x channels)", keys, vals, 5, params.s,
                         nparams.s);
        k->pack_arg = warg + 1;
        k->pack_trans = 1;
        k->pack_k = q.K;
        k->pack_n = q.OC;
        k->dims = 3;
        k->has_local = 1;
        k->local[0] = k->local[1] = k->local[2] = 1;
        k->global[0] = (size_t)(q.NRB * q.NTW);
        k->global[1] = (size_t)(q.G * q.NCHg);
        k->global[2] = (size_t)q.B;
        k->flops = 2.0 * (double)q.B * (double)q.P * (double)q.OC * (double)q.K;
    }
    free(key);
    free(masks);
    free(cls);
    free(rep);
    cg_sb_free(&body);
    cg_sb_free(&xb);
    cg_sb_free(&eb);
    cg_sb_free(&stores);
    cg_sb_free(&params);
    cg_sb_free(&nparams);
    ex_free(&x);
    dn_arena_free(a);
    return rc;
}

/* ---- depthwise Conv and pooling: rows staged, 16 pixels a vector ---- */

static int emit_rows(const ir_graph *g, const cg_block *b, const ir_node *C, const int64_t *ks,
                     const int64_t *st, const int64_t *pd, const int64_t *dl, cg_kernel *k,
                     dn_err *e)
{
    int conv = !strcmp(C->op, "Conv"), maxp = !strcmp(C->op, "MaxPool");
    int avg = !strcmp(C->op, "AveragePool");
    int cip = avg && ir_attr_int(C, "count_include_pad", 0);
    int xv = C->in[0], yv = C->out[0];
    const dn_shape *XS = &g->val[xv].shape, *YS = &g->val[yv].shape;
    int64_t B = YS->d[0], CH = YS->d[1], OH = YS->d[2], OW = YS->d[3], IH = XS->d[2],
            IW = XS->d[3];
    int64_t KH = ks[0], KW = ks[1], sh = st[0], sw = st[1], ph = pd[0], pw = pd[1], dh = dl[0],
            dw = dl[1], KK = KH * KW, P = OH * OW;
    int64_t OWT = (OW + 15) / 16;
    int64_t WSP = OWT * 16 * sw + (KW - 1) * dw;
    /* 16 rows a work-item: fewer redundant staged rows and less overhead
       per work-item (measured on mobilenet_v2: 16 beat 8, 32 did not) */
    int64_t OHT = OH < 16 ? OH : 16;
    while (OHT > 1 && B * CH * ((OH + OHT - 1) / OHT) < 16)
        OHT = (OHT + 1) / 2;
    int64_t SR = (OHT - 1) * sh + (KH - 1) * dh + 1, NHB = (OH + OHT - 1) / OHT;
    /* small images (7x7, 14x14): several channels a work-item, so that the
       per-work-item cost is spread over more work; still >= 64 of them */
    int64_t CPW = 1;
    while (P <= 256 && CH % (CPW * 2) == 0 && B * NHB * CH / (CPW * 2) >= 64 && CPW < 8)
        CPW *= 2;
    if (SR * WSP * 4 > (1 << 20)) return -1;
    dn_arena *a = dn_arena_new();
    ex_ctx x;
    ex_init(&x, g, b, a);
    int rc = 1;
    cg_sb body = {0}, xb = {0}, eb = {0}, stores = {0}, params = {0}, nparams = {0};
    char xe[256], over[128], *key = NULL, what[512];
    int warg = -1, barg = -1;
    if (conv) {
        warg = ex_arg(&x, C->in[1]);
        if (C->nin > 2 && C->in[2] >= 0) barg = ex_arg(&x, C->in[2]);
    }
    x.names = xnames;
    x.nnames = 4;
    x.body = &xb;
    x.indent = 4;
    cg_map xm;
    if (cg_map_identity(a, XS, &xm, e) || ex_value(&x, xv, &xm, xe, sizeof xe, e)) rc = 0;
    if (rc == 1) {
        char flat[128];
        snprintf(flat, sizeof flat, "(bz * %lld + o1) * %lld + m_", (ll)CH, (ll)P);
        if (epilogue(&x, yv, barg, flat, &eb, &stores, 4, over, sizeof over, &key, e)) rc = 0;
    }
    if (rc == 1) {
        cg_sb *s = &body;
        const char *padv = maxp ? "-INFINITY" : "0.0f";
        cg_sb_puts(s, "    const int hb_ = get_global_id(0), cq_ = get_global_id(1), bz = "
                      "get_global_id(2);\n");
        cg_sb_printf(s, "    const int oh0_ = hb_ * %lld;\n", (ll)OHT);
        cg_sb_printf(s, "    __local float win_[%lld];\n", (ll)(SR * WSP));
        cg_sb_printf(s, "    for (int c_ = cq_ * %lld; c_ < cq_ * %lld + %lld; c_++) {\n", (ll)CPW,
                     (ll)CPW, (ll)CPW);
        /* the window: SR input rows from oh0_ * sh - ph, WSP columns from -pw */
        cg_sb_printf(s, "    for (int hr_ = 0; hr_ < %lld; hr_++) {\n", (ll)SR);
        cg_sb_printf(s, "        const int ih_ = oh0_ * %lld - %lld + hr_;\n", (ll)sh, (ll)ph);
        cg_sb_printf(s, "        const int ok_ = (uint)ih_ < %lldu;\n", (ll)IH);
        cg_sb_printf(s, "        const int jlo_ = ok_ ? %lld : %lld;\n", (ll)(pw < WSP ? pw : WSP),
                     (ll)WSP);
        int64_t jhi = IW + pw < WSP ? IW + pw : WSP;
        cg_sb_printf(s, "        const int jhi_ = ok_ ? %lld : %lld;\n", (ll)jhi, (ll)WSP);
        cg_sb_printf(s, "        __local float *wr_ = win_ + hr_ * %lld;\n", (ll)WSP);
        cg_sb_puts(s, "        for (int j_ = 0; j_ < jlo_; j_++)\n");
        cg_sb_printf(s, "            wr_[j_] = %s;\n", padv);
        cg_sb_puts(s, "        for (int j_ = jlo_; j_ < jhi_; j_++) {\n");
        cg_sb_printf(s, "            const int x0 = bz, x1 = c_, x2 = ih_, x3 = j_ - %lld;\n",
                     (ll)pw);
        cg_sb_puts(s, xb.s ? xb.s : "");
        cg_sb_printf(s, "            wr_[j_] = %s;\n", xe);
        cg_sb_puts(s, "        }\n");
        cg_sb_printf(s, "        for (int j_ = max(jlo_, jhi_); j_ < %lld; j_++)\n", (ll)WSP);
        cg_sb_printf(s, "            wr_[j_] = %s;\n", padv);
        cg_sb_puts(s, "    }\n");
        if (conv)
            cg_sb_printf(s, "    const __global float *wk_ = a%d + c_ * %lld;\n", warg, (ll)KK);
        cg_sb_printf(s, "    for (int or_ = 0; or_ < %lld; or_++) {\n", (ll)OHT);
        if (OH % OHT) cg_sb_printf(s, "        if (oh0_ + or_ >= %lld) break;\n", (ll)OH);
        cg_sb_puts(s, "        const int oh_ = oh0_ + or_;\n");
        cg_sb_printf(s, "        for (int tw_ = 0; tw_ < %lld; tw_++) {\n", (ll)OWT);
        cg_sb_printf(s, "            const __local float *rp_ = win_ + or_ * %lld + tw_ * %lld;\n",
                     (ll)(sh * WSP), (ll)(16 * sw));
        cg_sb_printf(s, "            float16 acc_ = %s;\n", maxp ? "-INFINITY" : "0.0f");
        for (int64_t kh = 0; kh < KH; kh++)
            for (int64_t kw = 0; kw < KW; kw++) {
                int64_t off = kh * dh * WSP + kw * dw;
                char v[256];
                if (sw == 1)
                    snprintf(v, sizeof v, "vload16(0, rp_ + %lld)", (ll)off);
                else if (sw == 2)
                    snprintf(v, sizeof v,
                             "(float16)(vload16(0, rp_ + %lld).even, vload16(0, rp_ + %lld).even)",
                             (ll)off, (ll)(off + 16));
                else {
                    int n = snprintf(v, sizeof v, "(float16)(");
                    for (int l = 0; l < 16; l++)
                        n += snprintf(v + n, sizeof v - (size_t)n, "%srp_[%lld]", l ? ", " : "",
                                      (ll)(off + l * sw));
                    snprintf(v + n, sizeof v - (size_t)n, ")");
                }
                if (conv)
                    cg_sb_printf(s, "            acc_ = fma(%s, (float16)(wk_[%lld]), acc_);\n", v,
                                 (ll)(kh * KW + kw));
                else if (maxp)
                    cg_sb_printf(s, "            acc_ = fmax(acc_, %s);\n", v);
                else
                    cg_sb_printf(s, "            acc_ += %s;\n", v);
            }
        cg_sb_puts(s, "            float accs_[16];\n            vstore16(acc_, 0, accs_);\n");
        /* a bound, not a break: the loop stays vectorisable */
        if (OW % 16)
            cg_sb_printf(s, "            for (int l_ = 0; l_ < min(16, %lld - tw_ * 16); l_++) {\n",
                         (ll)OW);
        else
            cg_sb_puts(s, "            for (int l_ = 0; l_ < 16; l_++) {\n");
        cg_sb_puts(s, "                const int ow_ = tw_ * 16 + l_;\n");
        cg_sb_printf(s, "                const int m_ = oh_ * %lld + ow_;\n", (ll)OW);
        if (avg && !cip) {
            /* taps inside the image (dilation 1) */
            cg_sb_printf(s,
                         "                const int h0_ = oh_ * %lld - %lld, w0_ = ow_ * %lld - "
                         "%lld;\n",
                         (ll)sh, (ll)ph, (ll)sw, (ll)pw);
            cg_sb_printf(s,
                         "                const float acc = accs_[l_] / (float)((min(h0_ + %lld, "
                         "%lld) - max(h0_, 0)) * (min(w0_ + %lld, %lld) - max(w0_, 0)));\n",
                         (ll)KH, (ll)IH, (ll)KW, (ll)IW);
        } else if (avg)
            cg_sb_printf(s, "                const float acc = accs_[l_] / %lld.0f;\n", (ll)KK);
        else
            cg_sb_puts(s, "                const float acc = accs_[l_];\n");
        cg_sb_puts(s, "                const int o0 = bz, o1 = c_, o2 = oh_, o3 = ow_;\n");
        cg_sb_puts(s, eb.s ? eb.s : "");
        cg_sb_puts(s, stores.s ? stores.s : "");
        cg_sb_puts(s, "            }\n        }\n    }\n    }\n");
        ex_params(&x, &params, 0);
        ex_params(&x, &nparams, 1);
        snprintf(what, sizeof what,
                 "%s rows: %lld channels, %lldx%lld window, stride %lldx%lld, %lld output rows of "
                 "%lld x 16 pixels in %lld channels per work-item; launch %lld x %lld x %lld",
                 conv ? "depthwise Conv" : C->op, (ll)CH, (ll)KH, (ll)KW, (ll)sh, (ll)sw, (ll)OHT,
                 (ll)OWT, (ll)CPW, (ll)NHB, (ll)(CH / CPW), (ll)B);
        const char *keys[] = {"COMMENT", "NAME", "PARAMS", "BODY", "WHAT"};
        const char *vals[] = {"", "", "", body.s, what};
        ex_finish_kernel(k, &x, "conv_cpu", conv ? "conv" : "pool", conv ? "conv" : "pool",
                         conv ? " (depthwise, rows staged)" : " (rows staged)", keys, vals, 5,
                         params.s, nparams.s);
        k->dims = 3;
        k->has_local = 1;
        k->local[0] = k->local[1] = k->local[2] = 1;
        k->global[0] = (size_t)NHB;
        k->global[1] = (size_t)(CH / CPW);
        k->global[2] = (size_t)B;
        k->flops = (double)B * (double)CH * (double)P * (double)KK * (conv ? 2.0 : 1.0);
    }
    free(key);
    cg_sb_free(&body);
    cg_sb_free(&xb);
    cg_sb_free(&eb);
    cg_sb_free(&stores);
    cg_sb_free(&params);
    cg_sb_free(&nparams);
    ex_free(&x);
    dn_arena_free(a);
    return rc;
}

int cg_emit_conv_cpu(const ir_graph *g, const cg_block *b, const ir_node *C, int ns,
                     const int64_t *ks, const int64_t *st, const int64_t *pd, const int64_t *dl,
                     int64_t G, cg_kernel *k, dn_err *e)
{
    if (!strcmp(C->op, "Conv")) {
        const ir_value *wv = &g->val[C->in[1]];
        if (wv->kind != IR_VAL_CONST || wv->dtype != DN_F32) return -1;
        if (C->nin > 2 && C->in[2] >= 0 && g->val[C->in[2]].kind != IR_VAL_CONST) return -1;
        int64_t IC = g->val[C->in[0]].shape.d[1], OC = g->val[C->out[0]].shape.d[1];
        if (G == 1 || (IC / G > 1 && (OC / G) % 4 == 0))
            return emit_gemm(g, b, C, ns, ks, st, pd, dl, G, k, e);
        if (ns == 2 && G == IC && G == OC) return emit_rows(g, b, C, ks, st, pd, dl, k, e);
        return -1;
    }
    /* pooling: 2-D, no dilation (AveragePool counts its taps in the image) */
    if (ns == 2 && dl[0] == 1 && dl[1] == 1) return emit_rows(g, b, C, ks, st, pd, dl, k, e);
    return -1;
}

#endif
