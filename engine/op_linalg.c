/* op_linalg.c -- MatMul, Gemm and Einsum.
 * f32 goes through op_sgemm (gemm.c); other dtypes through plain typed
 * loops, which are rare enough in real models not to need speed. */
#include "op_impl.h"

#include <stdlib.h>
#include <string.h>

static int is_matmul_dtype(int dt)
{
    return dt == DN_F32 || dt == DN_F64 || dt == DN_I32 || dt == DN_I64 || dt == DN_U32 ||
           dt == DN_U64;
}

/* ------------------------------------------------------------------ */
/* MatMul                                                               */
/* ------------------------------------------------------------------ */

/* numpy matmul geometry: 1-D operands promoted to matrices, batch dims broadcast. */
typedef struct mm_geom {
    dn_shape a2, b2; /* operands as matrices with their own batch dims */
    dn_shape batch;  /* broadcast batch shape */
    int64_t M, N, K;
} mm_geom;

static int mm_geometry(const dn_shape *a, const dn_shape *b, mm_geom *g, dn_shape *out, dn_err *e)
{
    if (a->rank == 0 || b->rank == 0) return dn_errf(e, "MatMul does not accept rank-0 inputs");
    int64_t one = 1;
    g->a2 = *a;
    g->b2 = *b;
    if (a->rank == 1) { /* [K] -> [1,K] */
        g->a2 = dn_shape_make(2, (int64_t[]){one, a->d[0]});
    }
    if (b->rank == 1) { /* [K] -> [K,1] */
        g->b2 = dn_shape_make(2, (int64_t[]){b->d[0], one});
    }
    int ra = g->a2.rank, rb = g->b2.rank;
    g->M = g->a2.d[ra - 2];
    g->K = g->a2.d[ra - 1];
    int64_t kb = g->b2.d[rb - 2];
    g->N = g->b2.d[rb - 1];
    if (g->K >= 0 && kb >= 0 && g->K != kb) {
        char sa[128], sb[128];
        return dn_errf(e, "MatMul inner dimensions differ: %s x %s (%lld vs %lld)",
                       dn_shape_str(a, sa, sizeof sa), dn_shape_str(b, sb, sizeof sb),
                       (long long)g->K, (long long)kb);
    }
    if (g->K < 0) g->K = kb;
    dn_shape ba = dn_shape_make(ra - 2, g->a2.d), bb = dn_shape_make(rb - 2, g->b2.d);
    if (dn_broadcast(&ba, &bb, &g->batch, e)) return -1;
    int r = g->batch.rank + (a->rank > 1) + (b->rank > 1);
    if (r > DN_MAX_RANK) return dn_errf(e, "MatMul result rank %d exceeds %d", r, DN_MAX_RANK);
    dn_shape o = g->batch;
    if (a->rank > 1) o.d[o.rank++] = g->M;
    if (b->rank > 1) o.d[o.rank++] = g->N;
    *out = o;
    return 0;
}

static int matmul_infer(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out,
                        int nout, dn_err *e)
{
    (void)n, (void)nin, (void)nout;
    if (in[0]->dtype != in[1]->dtype)
        return dn_errf(e, "MatMul input dtypes differ (%s vs %s)", dn_dtype_name(in[0]->dtype),
                       dn_dtype_name(in[1]->dtype));
    if (!is_matmul_dtype(in[0]->dtype))
        return dn_errf(e, "MatMul: dtype %s not supported", dn_dtype_name(in[0]->dtype));
    out[0].dtype = in[0]->dtype;
    if (in[0]->shape.rank < 0 || in[1]->shape.rank < 0) {
        out[0].shape = dn_shape_unknown();
        return 0;
    }
    mm_geom g;
    return mm_geometry(&in[0]->shape, &in[1]->shape, &g, &out[0].shape, e);
}

/* One (M x K) x (K x N) product on non-f32 data; a, b, c are element offsets. */
#define MM_LOOP(T)                                                                                 \
    do {                                                                                           \
        const T *pa = (const T *)A->data + a, *pb = (const T *)B->data + b;                        \
        T *pc = (T *)C->data + c;                                                                  \
        for (int64_t i = 0; i < M; i++)                                                            \
            for (int64_t k = 0; k < K; k++) {                                                      \
                T av = pa[i * K + k];                                                              \
                for (int64_t j = 0; j < N; j++)                                                    \
                    pc[i * N + j] += av * pb[k * N + j];                                           \
            }                                                                                      \
    } while (0)

static void mm_block(const dn_tensor *A, const dn_tensor *B, dn_tensor *C, int64_t a, int64_t b,
                     int64_t c, int64_t M, int64_t N, int64_t K)
{
    switch (C->dtype) {
    case DN_F32:
        op_sgemm(0, 0, M, N, K, 1.0f, (const float *)A->data + a, K, (const float *)B->data + b, N,
                 0.0f, (float *)C->data + c, N);
        break;
    case DN_F64:
        MM_LOOP(double);
        break;
    case DN_I32:
        MM_LOOP(int32_t);
        break;
    case DN_I64:
        MM_LOOP(int64_t);
        break;
    case DN_U32:
        MM_LOOP(uint32_t);
        break;
    case DN_U64:
        MM_LOOP(uint64_t);
        break;
    default:
        break;
    }
}

static int matmul_eval(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out,
                       int nout, dn_err *e)
{
    (void)n, (void)nin, (void)nout;
    mm_geom g;
    dn_shape o;
    if (mm_geometry(&in[0]->shape, &in[1]->shape, &g, &o, e)) return -1;
    int64_t M = g.M, N = g.N, K = g.K;
    int64_t nb = dn_shape_numel(&g.batch);
    if (nb == 0 || M == 0 || N == 0) return 0;
    /* Batch strides in whole matrices: op_bcast_strides on the batch shapes. */
    dn_shape ba = dn_shape_make(g.a2.rank - 2, g.a2.d), bb = dn_shape_make(g.b2.rank - 2, g.b2.d);
    int64_t sa[DN_MAX_RANK], sb[DN_MAX_RANK];
    op_bcast_strides(&g.batch, &ba, sa);
    op_bcast_strides(&g.batch, &bb, sb);
    int b_shared = 1;
    for (int i = 0; i < g.batch.rank; i++)
        if (sb[i]) b_shared = 0;
    if (b_shared && dn_shape_numel(&ba) == nb) {
        /* Every batch uses the same B ([b,s,k] x [k,n]): stack A's batches into one tall GEMM. */
        mm_block(in[0], in[1], &out[0], 0, 0, 0, nb * M, N, K);
        return 0;
    }
    int64_t idx[DN_MAX_RANK] = {0};
    int64_t bi = 0;
    do {
        int64_t oa = 0, ob = 0;
        for (int i = 0; i < g.batch.rank; i++) {
            oa += idx[i] * sa[i];
            ob += idx[i] * sb[i];
        }
        mm_block(in[0], in[1], &out[0], oa * M * K, ob * K * N, bi * M * N, M, N, K);
        bi++;
    } while (op_next_index(&g.batch, idx));
    return 0;
}

/* ------------------------------------------------------------------ */
/* Gemm                                                                 */
/* ------------------------------------------------------------------ */

static int gemm_dims(const ir_node *n, const dn_tensor *const *in, int64_t *M, int64_t *N,
                     int64_t *K, dn_err *e)
{
    const dn_shape *a = &in[0]->shape, *b = &in[1]->shape;
    int tA = ir_attr_int(n, "transA", 0) != 0, tB = ir_attr_int(n, "transB", 0) != 0;
    if (a->rank >= 0 && a->rank != 2)
        return dn_errf(e, "Gemm: A must be 2-D, got rank %d", a->rank);
    if (b->rank >= 0 && b->rank != 2)
        return dn_errf(e, "Gemm: B must be 2-D, got rank %d", b->rank);
    int64_t ka = -1, kb = -1;
    *M = *N = -1;
    if (a->rank == 2) {
        *M = a->d[tA ? 1 : 0];
        ka = a->d[tA ? 0 : 1];
    }
    if (b->rank == 2) {
        *N = b->d[tB ? 0 : 1];
        kb = b->d[tB ? 1 : 0];
    }
    if (ka >= 0 && kb >= 0 && ka != kb)
        return dn_errf(e, "Gemm inner dimensions differ (%lld vs %lld)", (long long)ka,
                       (long long)kb);
    *K = ka >= 0 ? ka : kb;
    return 0;
}

static int gemm_infer(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out,
                      int nout, dn_err *e)
{
    (void)nout;
    int dt = in[0]->dtype;
    if (in[1]->dtype != dt || (nin > 2 && in[2] && in[2]->dtype != dt))
        return dn_errf(e, "Gemm input dtypes differ");
    if (dt != DN_F32 && dt != DN_F64)
        return dn_errf(e, "Gemm: dtype %s not supported", dn_dtype_name(dt));
    int64_t M, N, K;
    if (gemm_dims(n, in, &M, &N, &K, e)) return -1;
    if (nin > 2 && in[2] && in[2]->shape.rank >= 0) {
        /* C broadcasts one way only: to [M, N]. */
        const dn_shape *c = &in[2]->shape;
        if (c->rank > 2) return dn_errf(e, "Gemm: C must have rank <= 2, got %d", c->rank);
        int64_t want[2] = {M, N};
        for (int i = 0; i < c->rank; i++) {
            int64_t d = c->d[i], w = want[2 - c->rank + i];
            if (d >= 0 && w >= 0 && d != 1 && d != w) {
                char sc[128];
                return dn_errf(e, "Gemm: C of shape %s cannot broadcast to [%lld,%lld]",
                               dn_shape_str(c, sc, sizeof sc), (long long)M, (long long)N);
            }
        }
    }
    out[0].dtype = dt;
    out[0].shape = dn_shape_make(2, (int64_t[]){M, N});
    return 0;
}

static int gemm_eval(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out,
                     int nout, dn_err *e)
{
    (void)nout;
    int64_t M, N, K;
    if (gemm_dims(n, in, &M, &N, &K, e)) return -1;
    int tA = ir_attr_int(n, "transA", 0) != 0, tB = ir_attr_int(n, "transB", 0) != 0;
    float alpha = ir_attr_float(n, "alpha", 1.0f), beta = ir_attr_float(n, "beta", 1.0f);
    const dn_tensor *C = nin > 2 ? in[2] : NULL;
    /* beta == 0 leaves C out entirely, as ORT does: NaN/Inf in C must not leak. */
    int use_c = C && beta != 0.0f;
    dn_tensor *Y = &out[0];
    if (use_c) {
        int64_t st[DN_MAX_RANK] = {0};
        op_bcast_strides(&Y->shape, &C->shape, st);
        for (int64_t i = 0; i < M; i++)
            for (int64_t j = 0; j < N; j++) {
                int64_t src = i * st[0] + j * st[1];
                if (Y->dtype == DN_F32)
                    ((float *)Y->data)[i * N + j] = ((const float *)C->data)[src];
                else
                    ((double *)Y->data)[i * N + j] = ((const double *)C->data)[src];
            }
    }
    int64_t lda = in[0]->shape.d[1], ldb = in[1]->shape.d[1];
    if (Y->dtype == DN_F32) {
        op_sgemm(tA, tB, M, N, K, alpha, in[0]->data, lda, in[1]->data, ldb, use_c ? beta : 0.0f,
                 Y->data, N);
        return 0;
    }
    const double *a = in[0]->data, *b = in[1]->data;
    double *y = Y->data;
    for (int64_t i = 0; i < M; i++)
        for (int64_t j = 0; j < N; j++) {
            double acc = 0;
            for (int64_t k = 0; k < K; k++)
                acc +=
                    (tA ? a[k * lda + i] : a[i * lda + k]) * (tB ? b[j * ldb + k] : b[k * ldb + j]);
            y[i * N + j] = alpha * acc + (use_c ? beta * y[i * N + j] : 0.0);
        }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Einsum                                                               */
/* ------------------------------------------------------------------ */

/* Label ids: 'a'..'z' -> 0..25, 'A'..'Z' -> 26..51, ellipsis dims -> 52.. */
#define ES_LETTERS 52
#define ES_LABELS (ES_LETTERS + DN_MAX_RANK)
#define ES_MAXOP 16

typedef struct es_plan {
    int nop;
    int rank[ES_MAXOP];
    int lab[ES_MAXOP][DN_MAX_RANK]; /* label of every operand dim */
    int out_rank;
    int out_lab[DN_MAX_RANK];
    int used[ES_LABELS];    /* label appears in some operand */
    int64_t dim[ES_LABELS]; /* size of each label; -1 unknown */
} es_plan;

static int es_letter(char c)
{
    if (c >= 'a' && c <= 'z') return c - 'a';
    if (c >= 'A' && c <= 'Z') return 26 + (c - 'A');
    return -1;
}

/* Letters of one term into lab[]; *ell gets the position of "..." or -1. */
static int es_term(const char *s, size_t len, int *lab, int *nl, int *ell, dn_err *e)
{
    *nl = 0;
    *ell = -1;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == ' ') continue;
        if (s[i] == '.') {
            if (i + 2 >= len || s[i + 1] != '.' || s[i + 2] != '.' || *ell >= 0)
                return dn_errf(e, "Einsum: malformed ellipsis in '%.*s'", (int)len, s);
            *ell = *nl;
            i += 2;
            continue;
        }
        int l = es_letter(s[i]);
        if (l < 0) return dn_errf(e, "Einsum: bad subscript character '%c'", s[i]);
        if (*nl >= DN_MAX_RANK) return dn_errf(e, "Einsum: too many subscripts in a term");
        lab[(*nl)++] = l;
    }
    return 0;
}

static int es_parse(const char *eq, const dn_tensor *const *in, int nin, es_plan *p, dn_err *e)
{
    memset(p, 0, sizeof *p);
    if (nin > ES_MAXOP) return dn_errf(e, "Einsum: at most %d operands supported", ES_MAXOP);
    const char *arrow = strstr(eq, "->");
    size_t lhs_len = arrow ? (size_t)(arrow - eq) : strlen(eq);
    int letters[ES_MAXOP][DN_MAX_RANK], nl[ES_MAXOP], ell[ES_MAXOP];
    int ell_rank = 0, op = 0;
    const char *s = eq;
    while (1) {
        const char *comma = memchr(s, ',', lhs_len - (size_t)(s - eq));
        size_t len = comma ? (size_t)(comma - s) : lhs_len - (size_t)(s - eq);
        if (op >= nin)
            return dn_errf(e, "Einsum: equation '%s' has more terms than the %d inputs", eq, nin);
        if (es_term(s, len, letters[op], &nl[op], &ell[op], e)) return -1;
        int r = in[op]->shape.rank;
        if (ell[op] < 0 ? r != nl[op] : r < nl[op])
            return dn_errf(e, "Einsum: term %d of '%s' does not match input rank %d", op, eq, r);
        if (ell[op] >= 0 && r - nl[op] > ell_rank) ell_rank = r - nl[op];
        op++;
        if (!comma) break;
        s = comma + 1;
    }
    if (op != nin)
        return dn_errf(e, "Einsum: equation '%s' has %d terms for %d inputs", eq, op, nin);
    p->nop = nin;
    int count[ES_LABELS] = {0};
    for (int i = 0; i < nin; i++) {
        int r = in[i]->shape.rank, ne = ell[i] < 0 ? 0 : r - nl[i], k = 0;
        p->rank[i] = r;
        for (int t = 0; t < nl[i]; t++) {
            if (t == ell[i])
                for (int x = 0; x < ne; x++)
                    p->lab[i][k++] = ES_LETTERS + ell_rank - ne + x;
            p->lab[i][k++] = letters[i][t];
        }
        if (ell[i] == nl[i])
            for (int x = 0; x < ne; x++)
                p->lab[i][k++] = ES_LETTERS + ell_rank - ne + x;
        for (int d = 0; d < r; d++) {
            p->used[p->lab[i][d]] = 1;
            count[p->lab[i][d]]++;
        }
    }
    if (arrow) {
        int ol[DN_MAX_RANK], onl, oell;
        if (es_term(arrow + 2, strlen(arrow + 2), ol, &onl, &oell, e)) return -1;
        int k = 0;
        for (int t = 0; t <= onl; t++) {
            if (t == oell) {
                if (k + ell_rank > DN_MAX_RANK) return dn_errf(e, "Einsum: output rank too large");
                for (int x = 0; x < ell_rank; x++)
                    p->out_lab[k++] = ES_LETTERS + x;
            }
            if (t == onl) break;
            int l = ol[t];
            if (!p->used[l])
                return dn_errf(e, "Einsum: output subscript %d of '%s' is in no input", t, eq);
            for (int q = 0; q < k; q++)
                if (p->out_lab[q] == l) return dn_errf(e, "Einsum: output subscript repeated");
            if (k >= DN_MAX_RANK) return dn_errf(e, "Einsum: output rank too large");
            p->out_lab[k++] = l;
        }
        p->out_rank = k;
    } else {
        /* Implicit output: broadcast dims, then letters seen once, in ASCII order (numpy). */
        int k = 0;
        for (int x = 0; x < ell_rank; x++)
            p->out_lab[k++] = ES_LETTERS + x;
        for (int q = 0; q < 52; q++) {
            int l = q < 26 ? 26 + q : q - 26; /* 'A'..'Z' sort before 'a'..'z' */
            if (count[l] != 1) continue;
            if (k >= DN_MAX_RANK) return dn_errf(e, "Einsum: output rank too large");
            p->out_lab[k++] = l;
        }
        p->out_rank = k;
    }
    /* Sizes: equal across operands, or 1 (broadcast).  Unknown dims stay unknown
       unless some operand knows a size other than 1. */
    int64_t known[ES_LABELS];
    int unk[ES_LABELS] = {0};
    for (int l = 0; l < ES_LABELS; l++)
        known[l] = 1;
    for (int i = 0; i < nin; i++)
        for (int d = 0; d < p->rank[i]; d++) {
            int l = p->lab[i][d];
            int64_t v = in[i]->shape.d[d];
            if (v < 0) {
                unk[l] = 1;
                continue;
            }
            if (v == 1) continue;
            if (known[l] != 1 && known[l] != v)
                return dn_errf(e, "Einsum: subscript sizes differ (%lld vs %lld) in '%s'",
                               (long long)known[l], (long long)v, eq);
            known[l] = v;
        }
    for (int l = 0; l < ES_LABELS; l++)
        p->dim[l] = (known[l] == 1 && unk[l]) ? -1 : known[l];
    return 0;
}

static int einsum_infer(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out,
                        int nout, dn_err *e)
{
    (void)nout;
    const char *eq = ir_attr_str(n, "equation", NULL);
    if (!eq) return dn_errf(e, "Einsum: missing 'equation' attribute");
    int dt = in[0]->dtype;
    for (int i = 0; i < nin; i++) {
        if (!in[i]) return dn_errf(e, "Einsum: input %d missing", i);
        if (in[i]->dtype != dt) return dn_errf(e, "Einsum input dtypes differ");
    }
    if (dt != DN_F32 && dt != DN_F64 && dt != DN_I32 && dt != DN_I64)
        return dn_errf(e, "Einsum: dtype %s not supported", dn_dtype_name(dt));
    out[0].dtype = dt;
    for (int i = 0; i < nin; i++)
        if (in[i]->shape.rank < 0) {
            out[0].shape = dn_shape_unknown();
            return 0;
        }
    es_plan p;
    if (es_parse(eq, in, nin, &p, e)) return -1;
    out[0].shape = dn_shape_make(p.out_rank, NULL);
    for (int k = 0; k < p.out_rank; k++)
        out[0].shape.d[k] = p.dim[p.out_lab[k]];
    return 0;
}

/* dst = src with its dims reordered: dst dim i is src dim perm[i]. */
static void permute_f32(const float *src, const dn_shape *s, const int *perm, float *dst)
{
    int r = s->rank;
    int64_t st[DN_MAX_RANK], pst[DN_MAX_RANK];
    dn_strides(s, st);
    dn_shape ds = dn_shape_make(r, NULL);
    for (int i = 0; i < r; i++) {
        ds.d[i] = s->d[perm[i]];
        pst[i] = st[perm[i]];
    }
    int64_t n = dn_shape_numel(&ds);
    if (n == 0) return;
    if (r == 0) {
        dst[0] = src[0];
        return;
    }
    int64_t idx[DN_MAX_RANK] = {0}, inner = ds.d[r - 1], ist = pst[r - 1];
    dn_shape outer = dn_shape_make(r - 1, ds.d);
    do {
        int64_t off = 0;
        for (int i = 0; i < r - 1; i++)
            off += idx[i] * pst[i];
        for (int64_t j = 0; j < inner; j++)
            *dst++ = src[off + j * ist];
    } while (op_next_index(&outer, idx));
}

/* Two operands without diagonals, broadcasting or one-sided sums map onto a
   batched GEMM: labels split into batch (A,B,out), M (A,out), N (B,out), K (A,B).
   Operands are reordered into [batch, M, K] x [batch, K, N] when they are not
   already in such a layout; returns 1 when it handled the node. */
static int einsum_gemm(const es_plan *p, const dn_tensor *A, const dn_tensor *B, dn_tensor *Y)
{
    int inA[ES_LABELS] = {0}, inB[ES_LABELS] = {0}, inO[ES_LABELS] = {0};
    for (int d = 0; d < p->rank[0]; d++) {
        int l = p->lab[0][d];
        if (inA[l] || A->shape.d[d] != p->dim[l]) return 0;
        inA[l] = 1;
    }
    for (int d = 0; d < p->rank[1]; d++) {
        int l = p->lab[1][d];
        if (inB[l] || B->shape.d[d] != p->dim[l]) return 0;
        inB[l] = 1;
    }
    for (int k = 0; k < p->out_rank; k++)
        inO[p->out_lab[k]] = 1;
    int bat[DN_MAX_RANK], ml[DN_MAX_RANK], nl[DN_MAX_RANK], kl[DN_MAX_RANK];
    int nb = 0, nm = 0, nn = 0, nk = 0;
    int64_t Bt = 1, M = 1, N = 1, K = 1;
    /* Order each group as it appears in the output (batch, M, N) or in A (K). */
    for (int k = 0; k < p->out_rank; k++) {
        int l = p->out_lab[k];
        if (inA[l] && inB[l])
            bat[nb++] = l, Bt *= p->dim[l];
        else if (inA[l])
            ml[nm++] = l, M *= p->dim[l];
        else if (inB[l])
            nl[nn++] = l, N *= p->dim[l];
        else
            return 0;
    }
    for (int d = 0; d < p->rank[0]; d++) {
        int l = p->lab[0][d];
        if (inO[l]) continue;
        if (!inB[l]) return 0;
        kl[nk++] = l, K *= p->dim[l];
    }
    for (int d = 0; d < p->rank[1]; d++) {
        int l = p->lab[1][d];
        if (!inO[l] && !inA[l]) return 0;
    }
    /* Dim positions of a label sequence within an operand. */
    int pa[DN_MAX_RANK], pb[DN_MAX_RANK], po[DN_MAX_RANK], ka = 0, kb = 0, ko = 0;
#define POS(dst, cnt, opi, labs, nlabs)                                                            \
    for (int q = 0; q < (nlabs); q++)                                                              \
        for (int d = 0; d < p->rank[opi]; d++)                                                     \
            if (p->lab[opi][d] == (labs)[q]) (dst)[(cnt)++] = d;
    /* A as [batch, M, K] (or [batch, K, M] with transA) */
    int tA = 0, tB = 0;
    POS(pa, ka, 0, bat, nb);
    POS(pa, ka, 0, ml, nm);
    POS(pa, ka, 0, kl, nk);
    int identA = 1;
    for (int i = 0; i < ka; i++)
        identA &= pa[i] == i;
    if (!identA) {
        int alt[DN_MAX_RANK], c = 0, ok = 1;
        POS(alt, c, 0, bat, nb);
        POS(alt, c, 0, kl, nk);
        POS(alt, c, 0, ml, nm);
        for (int i = 0; i < c; i++)
            ok &= alt[i] == i;
        if (ok) tA = 1, identA = 1;
    }
    POS(pb, kb, 1, bat, nb);
    POS(pb, kb, 1, kl, nk);
    POS(pb, kb, 1, nl, nn);
    int identB = 1;
    for (int i = 0; i < kb; i++)
        identB &= pb[i] == i;
    if (!identB) {
        int alt[DN_MAX_RANK], c = 0, ok = 1;
        POS(alt, c, 1, bat, nb);
        POS(alt, c, 1, nl, nn);
        POS(alt, c, 1, kl, nk);
        for (int i = 0; i < c; i++)
            ok &= alt[i] == i;
        if (ok) tB = 1, identB = 1;
    }
    /* Output order relative to [batch, M, N] */
    int canon[DN_MAX_RANK], nc = 0;
    for (int q = 0; q < nb; q++)
        canon[nc++] = bat[q];
    for (int q = 0; q < nm; q++)
        canon[nc++] = ml[q];
    for (int q = 0; q < nn; q++)
        canon[nc++] = nl[q];
    int identO = 1;
    for (int k = 0; k < p->out_rank; k++) {
        for (int q = 0; q < nc; q++)
            if (canon[q] == p->out_lab[k]) po[ko++] = q;
        identO &= po[k] == k;
    }
#undef POS
    const float *a = A->data, *b = B->data;
    float *ta = NULL, *tb = NULL, *tc = NULL;
    if (!identA) {
        ta = malloc(sizeof(float) * ((size_t)(Bt * M * K) + 1));
        if (!ta) return 0;
        permute_f32(a, &A->shape, pa, ta);
        a = ta;
    }
    if (!identB) {
        tb = malloc(sizeof(float) * ((size_t)(Bt * K * N) + 1));
        if (!tb) {
            free(ta);
            return 0;
        }
        permute_f32(b, &B->shape, pb, tb);
        b = tb;
    }
    float *c = Y->data;
    if (!identO) {
        tc = malloc(sizeof(float) * ((size_t)(Bt * M * N) + 1));
        if (!tc) {
            free(ta);
            free(tb);
            return 0;
        }
        c = tc;
    }
    for (int64_t i = 0; i < Bt; i++)
        op_sgemm(tA, tB, M, N, K, 1.0f, a + i * M * K, tA ? M : K, b + i * K * N, tB ? K : N, 0.0f,
                 c + i * M * N, N);
    if (!identO) {
        dn_shape cs = dn_shape_make(nc, NULL);
        for (int q = 0; q < nc; q++)
            cs.d[q] = p->dim[canon[q]];
        permute_f32(tc, &cs, po, Y->data);
    }
    free(ta);
    free(tb);
    free(tc);
    return 1;
}

static int einsum_eval(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out,
                       int nout, dn_err *e)
{
    (void)nout;
    es_plan p;
    if (es_parse(ir_attr_str(n, "equation", ""), in, nin, &p, e)) return -1;
    dn_tensor *Y = &out[0];
    if (Y->dtype == DN_F32 && nin == 2 && einsum_gemm(&p, in[0], in[1], Y)) return 0;
    /* General case: one loop over output labels then summed labels.  Each
       operand's stride for a label adds up over its dims carrying it, which is
       what makes repeated subscripts (diagonals) work. */
    int labs[ES_LABELS], nl = 0, inO[ES_LABELS] = {0};
    for (int k = 0; k < p.out_rank; k++)
        labs[nl++] = p.out_lab[k], inO[p.out_lab[k]] = 1;
    for (int l = 0; l < ES_LABELS; l++)
        if (p.used[l] && !inO[l]) labs[nl++] = l;
    if (nl > DN_MAX_RANK * 2) return dn_errf(e, "Einsum: too many distinct subscripts");
    int64_t st[ES_MAXOP][2 * DN_MAX_RANK];
    memset(st, 0, sizeof st);
    for (int i = 0; i < nin; i++) {
        int64_t s[DN_MAX_RANK];
        dn_strides(&in[i]->shape, s);
        for (int d = 0; d < p.rank[i]; d++)
            for (int q = 0; q < nl; q++)
                if (labs[q] == p.lab[i][d] && in[i]->shape.d[d] != 1) st[i][q] += s[d];
    }
    int64_t dims[2 * DN_MAX_RANK], total = 1, inner = 1;
    for (int q = 0; q < nl; q++) {
        dims[q] = p.dim[labs[q]];
        total *= dims[q];
        if (q >= p.out_rank) inner *= dims[q];
    }
    if (total == 0) return 0;
    int isf = dn_dtype_is_float(Y->dtype);
    int64_t idx[2 * DN_MAX_RANK] = {0}, oi = 0;
    for (int64_t it = 0; it < total; it += inner, oi++) {
        double accf = 0;
        int64_t acci = 0;
        for (int64_t r = 0; r < inner; r++) {
            double pf = 1;
            int64_t pi = 1;
            for (int i = 0; i < nin; i++) {
                int64_t off = 0;
                for (int q = 0; q < nl; q++)
                    off += idx[q] * st[i][q];
                if (isf)
                    pf *= dn_get(in[i], off);
                else
                    pi *= dn_geti(in[i], off);
            }
            accf += pf;
            acci += pi;
            for (int q = nl - 1; q >= 0; q--) {
                if (++idx[q] < dims[q]) break;
                idx[q] = 0;
            }
        }
        if (isf)
            dn_set(Y, oi, accf);
        else
            dn_seti(Y, oi, acci);
    }
    return 0;
}

const op_def op_defs_linalg[] = {
    {"MatMul", 2, 2, 1, 1, matmul_infer, matmul_eval},
    {"Gemm", 2, 3, 1, 1, gemm_infer, gemm_eval},
    {"Einsum", 1, -1, 1, 1, einsum_infer, einsum_eval},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};
