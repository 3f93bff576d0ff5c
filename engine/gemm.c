/* gemm.c -- single-precision GEMM for MatMul, Gemm and Conv.
 *
 * The layout follows the usual BLIS scheme: B is packed into KC x NR
 * column panels, A into MR x KC row panels (alpha folded in), and a
 * register-blocked micro-kernel computes one MR x NR tile of C from them.
 * Packing makes every transpose/leading-dim combination look the same to
 * the kernel and keeps its operands in cache, which is where the speed
 * comes from.
 *
 * Two micro-kernels share the driver: a portable one written with GCC
 * vector extensions (SSE2 on the x86-64 baseline, whatever the target
 * offers elsewhere) and, on x86, an AVX2+FMA one compiled with a target
 * attribute and picked at run time, so the binary still runs on any
 * x86-64 while using the wider units where they exist.
 *
 * Large problems are split in two halves run on two threads; each half is
 * an independent GEMM on a disjoint block of C, so no synchronisation is
 * needed beyond the join.
 */
#include "op_impl.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define GEMM_X86 1
#include <immintrin.h>
#endif

/* KC x NR panels of B stay in L1, MC x KC of A in L2, KC x NC of B in L3. */
#define KC 256
#define MC 120  /* a multiple of every MR */
#define NC 3072 /* a multiple of every NR */
#define MAX_MR 6
#define MAX_NR 16

/* C (m x n tile, ldc) = acc + beta*C, or acc alone when beta == 0 (C unread). */
typedef void (*kern_fn)(int64_t kc, const float *a, const float *b, float *c, int64_t ldc,
                        float beta);

typedef struct kern {
    int mr, nr;
    kern_fn fn;
} kern;

/* ---- portable micro-kernel: 4 x 8 with 4-wide vectors ---------------- */

typedef float v4f __attribute__((vector_size(16)));
typedef float v4f_u __attribute__((vector_size(16), aligned(4)));

static void kern_generic(int64_t kc, const float *a, const float *b, float *c, int64_t ldc,
                         float beta)
{
    v4f c00 = {0}, c01 = {0}, c10 = {0}, c11 = {0};
    v4f c20 = {0}, c21 = {0}, c30 = {0}, c31 = {0};
    for (int64_t k = 0; k < kc; k++) {
        v4f b0 = *(const v4f *)b, b1 = *(const v4f *)(b + 4);
        v4f a0 = {a[0], a[0], a[0], a[0]};
        c00 += a0 * b0;
        c01 += a0 * b1;
        v4f a1 = {a[1], a[1], a[1], a[1]};
        c10 += a1 * b0;
        c11 += a1 * b1;
        v4f a2 = {a[2], a[2], a[2], a[2]};
        c20 += a2 * b0;
        c21 += a2 * b1;
        v4f a3 = {a[3], a[3], a[3], a[3]};
        c30 += a3 * b0;
        c31 += a3 * b1;
        a += 4;
        b += 8;
    }
    v4f acc[4][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}};
    if (beta == 0.0f) {
        for (int r = 0; r < 4; r++) {
            *(v4f_u *)(c + r * ldc) = acc[r][0];
            *(v4f_u *)(c + r * ldc + 4) = acc[r][1];
        }
    } else {
        v4f bv = {beta, beta, beta, beta};
        for (int r = 0; r < 4; r++) {
            v4f_u *p0 = (v4f_u *)(c + r * ldc), *p1 = (v4f_u *)(c + r * ldc + 4);
            *p0 = acc[r][0] + bv * *p0;
            *p1 = acc[r][1] + bv * *p1;
        }
    }
}

/* ---- x86 AVX2+FMA micro-kernel: 6 x 16 (12 ymm accumulators) ------- */

#ifdef GEMM_X86
__attribute__((target("avx2,fma"))) static void
kern_avx2(int64_t kc, const float *a, const float *b, float *c, int64_t ldc, float beta)
{
    __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
    __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
    __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
    __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
    __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
    __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
    for (int64_t k = 0; k < kc; k++) {
        __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8);
        __m256 av = _mm256_broadcast_ss(a);
        c00 = _mm256_fmadd_ps(av, b0, c00);
        c01 = _mm256_fmadd_ps(av, b1, c01);
        av = _mm256_broadcast_ss(a + 1);
        c10 = _mm256_fmadd_ps(av, b0, c10);
        c11 = _mm256_fmadd_ps(av, b1, c11);
        av = _mm256_broadcast_ss(a + 2);
        c20 = _mm256_fmadd_ps(av, b0, c20);
        c21 = _mm256_fmadd_ps(av, b1, c21);
        av = _mm256_broadcast_ss(a + 3);
        c30 = _mm256_fmadd_ps(av, b0, c30);
        c31 = _mm256_fmadd_ps(av, b1, c31);
        av = _mm256_broadcast_ss(a + 4);
        c40 = _mm256_fmadd_ps(av, b0, c40);
        c41 = _mm256_fmadd_ps(av, b1, c41);
        av = _mm256_broadcast_ss(a + 5);
        c50 = _mm256_fmadd_ps(av, b0, c50);
        c51 = _mm256_fmadd_ps(av, b1, c51);
        a += 6;
        b += 16;
    }
    __m256 acc[6][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
    if (beta == 0.0f) {
        for (int r = 0; r < 6; r++) {
            _mm256_storeu_ps(c + r * ldc, acc[r][0]);
            _mm256_storeu_ps(c + r * ldc + 8, acc[r][1]);
        }
    } else {
        __m256 bv = _mm256_set1_ps(beta);
        for (int r = 0; r < 6; r++) {
            float *p = c + r * ldc;
            _mm256_storeu_ps(p, _mm256_fmadd_ps(bv, _mm256_loadu_ps(p), acc[r][0]));
            _mm256_storeu_ps(p + 8, _mm256_fmadd_ps(bv, _mm256_loadu_ps(p + 8), acc[r][1]));
        }
    }
}
#endif

static kern pick_kernel(void)
{
#ifdef GEMM_X86
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return (kern){6, 16, kern_avx2};
#endif
    return (kern){4, 8, kern_generic};
}

/* ---- packing ---------------------------------------------------------- */

/* mc x kc block of alpha*op(A) starting at (i0, k0) into MR-row panels,
   zero-padded to a multiple of mr rows so the kernel never branches. */
static void pack_a(int transA, const float *A, int64_t lda, int64_t i0, int64_t mc, int64_t k0,
                   int64_t kc, float alpha, int mr, float *buf)
{
    for (int64_t p = 0; p < mc; p += mr) {
        int64_t rows = mc - p < mr ? mc - p : mr;
        float *dst = buf + p * kc;
        if (rows < mr) memset(dst, 0, sizeof(float) * (size_t)(kc * mr));
        if (transA) { /* rows of the stored A are columns of op(A): read them contiguously */
            for (int64_t k = 0; k < kc; k++) {
                const float *src = A + (k0 + k) * lda + i0 + p;
                for (int64_t r = 0; r < rows; r++)
                    dst[k * mr + r] = alpha * src[r];
            }
            continue;
        }
        for (int64_t r = 0; r < rows; r++) {
            const float *src = A + (i0 + p + r) * lda + k0;
            for (int64_t k = 0; k < kc; k++)
                dst[k * mr + r] = alpha * src[k];
        }
    }
}

/* kc x nc block of op(B) starting at (k0, j0) into NR-column panels. */
static void pack_b(int transB, const float *B, int64_t ldb, int64_t k0, int64_t kc, int64_t j0,
                   int64_t nc, int nr, float *buf)
{
    for (int64_t q = 0; q < nc; q += nr) {
        int64_t cols = nc - q < nr ? nc - q : nr;
        float *dst = buf + q * kc;
        if (transB) {
            if (cols < nr) memset(dst, 0, sizeof(float) * (size_t)(kc * nr));
            for (int64_t c = 0; c < cols; c++) {
                const float *src = B + (j0 + q + c) * ldb + k0;
                for (int64_t k = 0; k < kc; k++)
                    dst[k * nr + c] = src[k];
            }
        } else if (cols == nr) {
            /* full panel: whole-vector row copies (nr is a multiple of 4) */
            for (int64_t k = 0; k < kc; k++) {
                const float *src = B + (k0 + k) * ldb + j0 + q;
                float *d = dst + k * nr;
                for (int c = 0; c < nr; c += 4)
                    *(v4f *)(d + c) = *(const v4f_u *)(src + c);
            }
        } else {
            for (int64_t k = 0; k < kc; k++) {
                const float *src = B + (k0 + k) * ldb + j0 + q;
                float *d = dst + k * nr;
                int64_t c = 0;
                for (; c < cols; c++)
                    d[c] = src[c];
                for (; c < nr; c++)
                    d[c] = 0.0f;
            }
        }
    }
}

/* ---- driver ----------------------------------------------------------- */

typedef struct gemm_job {
    int transA, transB;
    int64_t M, N, K;
    float alpha, beta;
    const float *A, *B;
    int64_t lda, ldb, ldc;
    float *C;
    int ok; /* 0 when the buffers could not be allocated */
} gemm_job;

/* C = beta*C without reading C when beta == 0 (so NaN garbage cannot leak). */
static void scale_c(int64_t M, int64_t N, float beta, float *C, int64_t ldc)
{
    for (int64_t i = 0; i < M; i++) {
        float *c = C + i * ldc;
        if (beta == 0.0f)
            memset(c, 0, sizeof(float) * (size_t)N);
        else if (beta != 1.0f)
            for (int64_t j = 0; j < N; j++)
                c[j] *= beta;
    }
}

/* Slow but allocation-free; the fallback when buffers cannot be had. */
static void gemm_naive(const gemm_job *j)
{
    for (int64_t i = 0; i < j->M; i++)
        for (int64_t n = 0; n < j->N; n++) {
            float acc = 0;
            for (int64_t k = 0; k < j->K; k++)
                acc += (j->transA ? j->A[k * j->lda + i] : j->A[i * j->lda + k]) *
                       (j->transB ? j->B[n * j->ldb + k] : j->B[k * j->ldb + n]);
            float *c = &j->C[i * j->ldc + n];
            *c = j->alpha * acc + (j->beta != 0.0f ? j->beta * *c : 0.0f);
        }
}

static void gemm_serial(gemm_job *j)
{
    const kern kr = pick_kernel();
    const int mr = kr.mr, nr = kr.nr;
    int64_t M = j->M, N = j->N, K = j->K;
    int64_t ncap = N < NC ? (N + nr - 1) / nr * nr : NC;
    int64_t kcap = K < KC ? K : KC;
    int64_t mcap = M < MC ? (M + mr - 1) / mr * mr : MC;
    /* aligned_alloc wants a size that is a multiple of the alignment */
    size_t bbytes = ((size_t)(kcap * ncap) * sizeof(float) + 63) / 64 * 64;
    size_t abytes = ((size_t)(kcap * mcap) * sizeof(float) + 63) / 64 * 64;
    float *bp = aligned_alloc(64, bbytes), *ap = aligned_alloc(64, abytes);
    if (!bp || !ap) {
        free(bp);
        free(ap);
        j->ok = 0;
        return;
    }
    float tile[MAX_MR * MAX_NR];
    for (int64_t jc = 0; jc < N; jc += NC) {
        int64_t nc = N - jc < NC ? N - jc : NC;
        for (int64_t pc = 0; pc < K; pc += KC) {
            int64_t kc = K - pc < KC ? K - pc : KC;
            /* The first K block applies the caller's beta; later ones accumulate. */
            float beta = pc == 0 ? j->beta : 1.0f;
            pack_b(j->transB, j->B, j->ldb, pc, kc, jc, nc, nr, bp);
            for (int64_t ic = 0; ic < M; ic += MC) {
                int64_t mc = M - ic < MC ? M - ic : MC;
                pack_a(j->transA, j->A, j->lda, ic, mc, pc, kc, j->alpha, mr, ap);
                for (int64_t jr = 0; jr < nc; jr += nr) {
                    int64_t n = nc - jr < nr ? nc - jr : nr;
                    for (int64_t ir = 0; ir < mc; ir += mr) {
                        int64_t m = mc - ir < mr ? mc - ir : mr;
                        float *c = j->C + (ic + ir) * j->ldc + jc + jr;
                        const float *a = ap + ir * kc, *b = bp + jr * kc;
                        if (m == mr && n == nr) {
                            kr.fn(kc, a, b, c, j->ldc, beta);
                            continue;
                        }
                        /* Edge tile: compute in full into a scratch tile, merge the part that
                         * exists. */
                        kr.fn(kc, a, b, tile, nr, 0.0f);
                        for (int64_t r = 0; r < m; r++)
                            for (int64_t q = 0; q < n; q++) {
                                float *cp = c + r * j->ldc + q;
                                float t = tile[r * nr + q];
                                *cp = beta == 0.0f ? t : t + beta * *cp;
                            }
                    }
                }
            }
        }
    }
    free(bp);
    free(ap);
    j->ok = 1;
}

/* Unit-stride dot product; four vector accumulators hide the add latency
   (a scalar loop cannot be reassociated by the compiler without -ffast-math). */
static float dot(const float *a, const float *b, int64_t n)
{
    v4f s0 = {0}, s1 = {0}, s2 = {0}, s3 = {0};
    int64_t k = 0;
    for (; k + 16 <= n; k += 16) {
        s0 += *(const v4f_u *)(a + k) * *(const v4f_u *)(b + k);
        s1 += *(const v4f_u *)(a + k + 4) * *(const v4f_u *)(b + k + 4);
        s2 += *(const v4f_u *)(a + k + 8) * *(const v4f_u *)(b + k + 8);
        s3 += *(const v4f_u *)(a + k + 12) * *(const v4f_u *)(b + k + 12);
    }
    v4f s = (s0 + s1) + (s2 + s3);
    float acc = (s[0] + s[1]) + (s[2] + s[3]);
    for (; k < n; k++)
        acc += a[k] * b[k];
    return acc;
}

/* y += a * x over n unit-stride floats. */
static void axpy(float *y, const float *x, float a, int64_t n)
{
    v4f av = {a, a, a, a};
    int64_t k = 0;
    for (; k + 8 <= n; k += 8) {
        *(v4f_u *)(y + k) += av * *(const v4f_u *)(x + k);
        *(v4f_u *)(y + k + 4) += av * *(const v4f_u *)(x + k + 4);
    }
    for (; k < n; k++)
        y[k] += a * x[k];
}

/* Matrix-vector shapes would spend more time packing than computing. */
static int gemm_small(const gemm_job *j)
{
    if (j->M == 1 && j->transB && (!j->transA || j->lda == 1)) {
        /* c[n] = alpha * dot(a, B row n) */
        for (int64_t n = 0; n < j->N; n++) {
            float *c = &j->C[n];
            float acc = dot(j->A, j->B + n * j->ldb, j->K);
            *c = j->alpha * acc + (j->beta != 0.0f ? j->beta * *c : 0.0f);
        }
        return 1;
    }
    if (j->M == 1 && !j->transB) {
        /* c = beta*c + sum_k (alpha*a[k]) * B row k */
        scale_c(1, j->N, j->beta, j->C, j->ldc);
        for (int64_t k = 0; k < j->K; k++) {
            float a = j->alpha * (j->transA ? j->A[k * j->lda] : j->A[k]);
            axpy(j->C, j->B + k * j->ldb, a, j->N);
        }
        return 1;
    }
    if (j->N == 1 && !j->transA && (j->transB || j->ldb == 1)) {
        for (int64_t i = 0; i < j->M; i++) {
            float *c = &j->C[i * j->ldc];
            float acc = dot(j->A + i * j->lda, j->B, j->K);
            *c = j->alpha * acc + (j->beta != 0.0f ? j->beta * *c : 0.0f);
        }
        return 1;
    }
    return 0;
}

static void gemm_run(gemm_job *j)
{
    if (gemm_small(j)) {
        j->ok = 1;
        return;
    }
    gemm_serial(j);
}

static void *gemm_thread(void *arg)
{
    gemm_run(arg);
    return NULL;
}

/* Below this many multiply-adds a second thread costs more than it saves. */
#define THREAD_MIN_WORK (1LL << 21)

void op_sgemm(int transA, int transB, int64_t M, int64_t N, int64_t K, float alpha, const float *A,
              int64_t lda, const float *B, int64_t ldb, float beta, float *C, int64_t ldc)
{
    if (M <= 0 || N <= 0) return;
    if (K <= 0) {
        scale_c(M, N, beta, C, ldc);
        return;
    }
    gemm_job job = {transA, transB, M, N, K, alpha, beta, A, B, lda, ldb, ldc, C, 0};
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    if (ncpu >= 2 && M * N * K >= THREAD_MIN_WORK && (M >= 32 || N >= 64)) {
        /* Two independent halves of C: rows when M is the longer side, else columns. */
        gemm_job h[2] = {job, job};
        if (M >= N) {
            int64_t m0 = (M / 2 + 23) / 24 * 24;
            if (m0 >= M) m0 = M / 2;
            h[0].M = m0;
            h[1].M = M - m0;
            h[1].A = transA ? A + m0 : A + m0 * lda;
            h[1].C = C + m0 * ldc;
        } else {
            int64_t n0 = (N / 2 + 15) / 16 * 16;
            if (n0 >= N) n0 = N / 2;
            h[0].N = n0;
            h[1].N = N - n0;
            h[1].B = transB ? B + n0 * ldb : B + n0;
            h[1].C = C + n0;
        }
        pthread_t th;
        int threaded = pthread_create(&th, NULL, gemm_thread, &h[1]) == 0;
        gemm_run(&h[0]);
        if (threaded)
            pthread_join(th, NULL);
        else
            gemm_run(&h[1]);
        for (int i = 0; i < 2; i++)
            if (!h[i].ok) gemm_naive(&h[i]);
        return;
    }
    gemm_run(&job);
    if (!job.ok) gemm_naive(&job);
}
