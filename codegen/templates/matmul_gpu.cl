/* ${COMMENT} */
/* matmul family, GPU shape (GUIDE §5; docs/gpu.md): a W x W work-group
   computes a BM x BN = W*TM x W*TN tile of the output.  Per K-tile of BK
   the group stages the A tile (BM x BK) and the B tile (BK x BN) in local
   memory -- its work-items load them together, element by element through
   the operands' prologues (zero past K), or, for a constant B packed in
   16-column panels, four contiguous floats at a time -- then each work-item
   accumulates TM x TN outputs in registers: rows tm + W i, columns
   tn + W j, so that neighbouring work-items read neighbouring local words
   and store neighbouring outputs.  The epilogue runs on each accumulator
   before the store.  A deep K-tile (BK up to 64) gives each trip through
   global memory more work: at batch 1 a product has few work-groups per
   compute unit, and the loads' latency is what they wait for.  Also the
   conv-gemm form (Conv as implicit GEMM).
   With BIW > 0 the packed panels are an image2d_t (DNNF_IMAGES=1,
   docs/gpu.md): texel t holds floats 4t .. 4t + 3 of the packed order, at
   (t % BIW, t / BIW), read through the texture cache with read_imagef.
   With AVEC (BVEC), operand A (B) is a plain read, contiguous from a
   multiple of 4 along k (AVEC 1, BVEC 1) or along m (AVEC 2) or n
   (BVEC 2), whose extent is a multiple of 4: four floats at a time,
   vload4 from the buffer or, with AIW (BVIW) > 0, one RGBA texel of an
   image2d_t made over the operand's buffer (cl_khr_image2d_from_buffer:
   no copy; texel t = floats 4t .. 4t + 3 at (t % AIW, t / AIW);
   docs/layout.md, "2.5-D memory").
   M=${M} N=${N} K=${K} W=${W} TM=${TM} TN=${TN} BK=${BK} MFAST=${MFAST}
   AVEC=${AVEC} AIW=${AIMAGE} BVEC=${BVEC} BVIW=${BVIMAGE} */
#define W ${W}
#define TM ${TM}
#define TN ${TN}
#define BK ${BK}
#define BM (W * TM)
#define BN (W * TN)
#define NT (W * W)
#define PW (BN < 16 ? BN : 16) /* columns of a packed panel in the tile */
#define NA ((BM * BK + NT - 1) / NT)      /* A elements a work-item loads */
#define NB ((BN * BK + NT - 1) / NT)      /* B elements */
#define NB4 ((BN * BK / 4 + NT - 1) / NT) /* packed B: float4s */
#define BIW ${BIMAGE} /* > 0: packed B in an image2d_t this many texels wide */
#define AIW ${AIMAGE} /* > 0: A in an image2d_t over its buffer, this many texels wide */
#define BVIW ${BVIMAGE} /* > 0: B, an activation, likewise */
#define NA4 ((BM * BK / 4 + NT - 1) / NT) /* A: float4s (AVEC) */
__kernel __attribute__((reqd_work_group_size(W, W, 1))) void ${NAME}(${PARAMS})
{
    const int t_ = get_local_id(1) * W + get_local_id(0);
#if ${MFAST}
    /* the output is contiguous along m: local dim 0 walks the rows */
    const int tm = get_local_id(0), tn = get_local_id(1);
    const int tm0 = get_group_id(0) * BM, tn0 = get_group_id(1) * BN;
#else
    const int tn = get_local_id(0), tm = get_local_id(1);
    const int tn0 = get_group_id(0) * BN, tm0 = get_group_id(1) * BM;
#endif
    const int bz = get_group_id(2);
#if BIW || AIW || BVIW
    const sampler_t smp_ = CLK_NORMALIZED_COORDS_FALSE | CLK_ADDRESS_NONE | CLK_FILTER_NEAREST;
#endif
${BATCH}    __local float As[BK][BM + 1]; /* +1: no bank conflicts on k-fast stores */
    __local float Bs[BK][BN + 4]; /* +4: rows stay 16-byte aligned for vstore4 */
    float acc_[TM][TN];
    for (int i = 0; i < TM; i++)
        for (int j = 0; j < TN; j++)
            acc_[i][j] = 0.0f;
    /* Software pipeline: the loads of K-tile k0 are issued into registers,
       the previous tile is multiplied from local memory while they are in
       flight, then they are stored to local memory for the next trip. */
#if ${AVEC}
    float4 pa_[NA4];
#else
    float pa_[NA];
#endif
#if ${BPACKED} || ${BVEC}
    float4 pb_[NB4];
#else
    float pb_[NB];
#endif
    for (int k0 = 0; k0 < ${K} + BK; k0 += BK) {
        if (k0 < ${K}) {
#if ${AVEC}
#pragma unroll
            for (int i_ = 0; i_ < NA4; i_++) {
                const int e_ = t_ + NT * i_;
                if (NA4 * NT > BM * BK / 4 && e_ >= BM * BK / 4) break;
#if ${AVEC} == 1 /* A(m, k .. k + 3) */
                const int m = min(tm0 + e_ / (BK / 4), ${M} - 1), k = k0 + e_ % (BK / 4) * 4;
                const int in_ = k < ${K};
#else /* A(m .. m + 3, k) */
                const int m = tm0 + e_ % (BM / 4) * 4, k = min(k0 + e_ / (BM / 4), ${K} - 1);
                const int in_ = m < ${M} && k0 + e_ / (BM / 4) < ${K};
#endif
                const int ao_ = ${AOFFSET}; /* A's offset at (m, k), a multiple of 4 */
#if AIW
                pa_[i_] = in_ ? read_imagef(a${AARG}, smp_, (int2)(ao_ / 4 % AIW, ao_ / 4 / AIW))
                              : (float4)0.0f;
#else
                pa_[i_] = in_ ? vload4(0, a${AARG} + ao_) : (float4)0.0f;
#endif
            }
#else
#pragma unroll
            for (int i_ = 0; i_ < NA; i_++) {
                const int e_ = t_ + NT * i_;
                if (NA * NT > BM * BK && e_ >= BM * BK) break;
#if ${AKFAST}
                const int row_ = e_ / BK, kk_ = e_ % BK; /* A is contiguous along k */
#else
                const int row_ = e_ % BM, kk_ = e_ / BM; /* A is contiguous along m */
#endif
                /* what ALOAD reads: row min(m0 + r, M - 1), column k */
                const int m0 = tm0 + row_, r = 0, k = min(k0 + kk_, ${K} - 1);
${ALOAD}                pa_[i_] = k0 + kk_ < ${K} ? a_ : 0.0f;
            }
#endif
#if ${BPACKED}
            /* packed panels P[((n / 16) * K + k) * 16 + n % 16]: the tile's
               rows of a panel (or of the half panel that BN = 8 covers) are
               contiguous, read 4 floats at a time */
#pragma unroll
            for (int i_ = 0; i_ < NB4; i_++) {
                const int e_ = t_ + NT * i_;
                if (NB4 * NT > BN * BK / 4 && e_ >= BN * BK / 4) break;
                const int q_ = e_ % (PW * BK / 4), kk_ = q_ / (PW / 4);
                const int c_ = e_ / (PW * BK / 4) * PW + q_ % (PW / 4) * 4, n = tn0 + c_;
                const int k = k0 + kk_;
#if BIW
                const int tx_ = ((n / 16) * ${K} + k) * 4 + n % 16 / 4;
                pb_[i_] = n < ${N} && k < ${K}
                              ? read_imagef(a${BARG}, smp_, (int2)(tx_ % BIW, tx_ / BIW))
                              : (float4)0.0f;
#else
                pb_[i_] = n < ${N} && k < ${K}
                              ? vload4(0, a${BARG} + ((n / 16) * ${K} + k) * 16 + n % 16)
                              : (float4)0.0f;
#endif
            }
#elif ${BVEC}
#pragma unroll
            for (int i_ = 0; i_ < NB4; i_++) {
                const int e_ = t_ + NT * i_;
                if (NB4 * NT > BN * BK / 4 && e_ >= BN * BK / 4) break;
#if ${BVEC} == 1 /* B(k .. k + 3, n) */
                const int n = min(tn0 + e_ / (BK / 4), ${N} - 1), k = k0 + e_ % (BK / 4) * 4;
                const int in_ = k < ${K};
#else /* B(k, n .. n + 3) */
                const int n = tn0 + e_ % (BN / 4) * 4, k = min(k0 + e_ / (BN / 4), ${K} - 1);
                const int in_ = n < ${N} && k0 + e_ / (BN / 4) < ${K};
#endif
                const int bo_ = ${BOFFSET}; /* B's offset at (k, n), a multiple of 4 */
#if BVIW
                pb_[i_] = in_ ? read_imagef(a${BVARG}, smp_, (int2)(bo_ / 4 % BVIW, bo_ / 4 / BVIW))
                              : (float4)0.0f;
#else
                pb_[i_] = in_ ? vload4(0, a${BVARG} + bo_) : (float4)0.0f;
#endif
            }
#else
#pragma unroll
            for (int i_ = 0; i_ < NB; i_++) {
                const int e_ = t_ + NT * i_;
                if (NB * NT > BN * BK && e_ >= BN * BK) break;
#if ${BKFAST}
                const int col_ = e_ / BK, kk_ = e_ % BK; /* B is contiguous along k */
#else
                const int col_ = e_ % BN, kk_ = e_ / BN; /* B is contiguous along n */
#endif
                const int n = min(tn0 + col_, ${N} - 1), k = min(k0 + kk_, ${K} - 1);
${BLOAD}                pb_[i_] = k0 + kk_ < ${K} ? b_ : 0.0f;
            }
#endif
        }
        if (k0 > 0) {
#pragma unroll
            for (int kk = 0; kk < BK; kk++) {
                float a[TM], b[TN];
                for (int i = 0; i < TM; i++)
                    a[i] = As[kk][tm + W * i];
                for (int j = 0; j < TN; j++)
                    b[j] = Bs[kk][tn + W * j];
                for (int i = 0; i < TM; i++)
                    for (int j = 0; j < TN; j++)
                        acc_[i][j] = fma(a[i], b[j], acc_[i][j]);
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        if (k0 < ${K}) {
#if ${AVEC}
#pragma unroll
            for (int i_ = 0; i_ < NA4; i_++) {
                const int e_ = t_ + NT * i_;
                if (NA4 * NT > BM * BK / 4 && e_ >= BM * BK / 4) break;
#if ${AVEC} == 1
                const int row_ = e_ / (BK / 4), kk_ = e_ % (BK / 4) * 4;
                As[kk_][row_] = pa_[i_].s0;
                As[kk_ + 1][row_] = pa_[i_].s1;
                As[kk_ + 2][row_] = pa_[i_].s2;
                As[kk_ + 3][row_] = pa_[i_].s3;
#else
                const int kk_ = e_ / (BM / 4), row_ = e_ % (BM / 4) * 4;
                As[kk_][row_] = pa_[i_].s0;
                As[kk_][row_ + 1] = pa_[i_].s1;
                As[kk_][row_ + 2] = pa_[i_].s2;
                As[kk_][row_ + 3] = pa_[i_].s3;
#endif
            }
#else
#pragma unroll
            for (int i_ = 0; i_ < NA; i_++) {
                const int e_ = t_ + NT * i_;
                if (NA * NT > BM * BK && e_ >= BM * BK) break;
#if ${AKFAST}
                As[e_ % BK][e_ / BK] = pa_[i_];
#else
                As[e_ / BM][e_ % BM] = pa_[i_];
#endif
            }
#endif
#if ${BPACKED}
#pragma unroll
            for (int i_ = 0; i_ < NB4; i_++) {
                const int e_ = t_ + NT * i_;
                if (NB4 * NT > BN * BK / 4 && e_ >= BN * BK / 4) break;
                const int q_ = e_ % (PW * BK / 4), c_ = e_ / (PW * BK / 4) * PW + q_ % (PW / 4) * 4;
                vstore4(pb_[i_], 0, &Bs[q_ / (PW / 4)][c_]);
            }
#elif ${BVEC}
#pragma unroll
            for (int i_ = 0; i_ < NB4; i_++) {
                const int e_ = t_ + NT * i_;
                if (NB4 * NT > BN * BK / 4 && e_ >= BN * BK / 4) break;
#if ${BVEC} == 1
                const int col_ = e_ / (BK / 4), kk_ = e_ % (BK / 4) * 4;
                Bs[kk_][col_] = pb_[i_].s0;
                Bs[kk_ + 1][col_] = pb_[i_].s1;
                Bs[kk_ + 2][col_] = pb_[i_].s2;
                Bs[kk_ + 3][col_] = pb_[i_].s3;
#else
                vstore4(pb_[i_], 0, &Bs[e_ / (BN / 4)][e_ % (BN / 4) * 4]);
#endif
            }
#else
#pragma unroll
            for (int i_ = 0; i_ < NB; i_++) {
                const int e_ = t_ + NT * i_;
                if (NB * NT > BN * BK && e_ >= BN * BK) break;
#if ${BKFAST}
                Bs[e_ % BK][e_ / BK] = pb_[i_];
#else
                Bs[e_ / BN][e_ % BN] = pb_[i_];
#endif
            }
#endif
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    for (int i = 0; i < TM; i++) {
        const int m = tm0 + tm + W * i;
        if (m >= ${M}) break;
        for (int j = 0; j < TN; j++) {
            const int n = tn0 + tn + W * j;
            if (n >= ${N}) break;
            const float acc = acc_[i][j];
${EBODY}${STORES}        }
    }
}
