/* ${COMMENT} */
/* matmul family, GPU shape for a product of at most 4 rows with a
   constant B (docs/gpu.md): a classifier's Linear at batch 1, a
   squeeze-and-excite 1 x 1 convolution.  Tiles would waste all but a few
   of their rows and leave the memory system idle; here one work-group of
   256 work-items owns one 16-column panel of the packed B
   (P[((n / 16) * K + k) * 16 + n % 16], contiguous over k) and streams it:
   work-item t reads the float4 at column group t % 4 of panel rows
   t / 4, t / 4 + 64, ... (the group's loads are contiguous), times A at
   that k through its prologue, for every row; the partial sums of the
   work-items that share a column group meet in a tree in local memory, and
   the epilogue runs on each of the 16 x M results before the store.
   M=${M} N=${N} K=${K} */
#define MR ${M}
__kernel __attribute__((reqd_work_group_size(256, 1, 1))) void ${NAME}(${PARAMS})
{
    const int t_ = get_local_id(0), p_ = get_group_id(0), bz = get_group_id(1);
${BATCH}    float4 acc_[MR];
    for (int i = 0; i < MR; i++)
        acc_[i] = 0.0f;
    for (int q0_ = t_ / 4; q0_ < ${K}; q0_ += 256) {
        /* four panel rows in flight per work-item before the arithmetic */
        float4 b_[4];
#pragma unroll
        for (int u_ = 0; u_ < 4; u_++) {
            const int k = q0_ + 64 * u_;
            b_[u_] = k < ${K} ? vload4(0, a${BARG} + ((size_t)p_ * ${K} + k) * 16 + t_ % 4 * 4)
                              : (float4)0.0f;
        }
#pragma unroll
        for (int u_ = 0; u_ < 4; u_++) {
            const int k = q0_ + 64 * u_;
            if (k >= ${K}) break;
            for (int i_ = 0; i_ < MR; i_++) {
                /* what ALOAD reads: row min(m0 + r, M - 1), column k */
                const int m0 = i_, r = 0;
${ALOAD}                acc_[i_] = fma((float4)(a_), b_[u_], acc_[i_]);
            }
        }
    }
    __local float4 red_[MR][256];
    for (int i = 0; i < MR; i++)
        red_[i][t_] = acc_[i];
    barrier(CLK_LOCAL_MEM_FENCE);
    /* halve down to the 4 column groups; strides stay multiples of 4 */
    for (int w_ = 128; w_ >= 4; w_ >>= 1) {
        if (t_ < w_)
            for (int i = 0; i < MR; i++)
                red_[i][t_] += red_[i][t_ + w_];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (t_ < 16 * MR) {
        const int m = t_ / 16, c_ = t_ % 16, n = p_ * 16 + c_;
        const float4 s_ = red_[m][c_ / 4];
        const float acc = c_ % 4 == 0 ? s_.x : c_ % 4 == 1 ? s_.y : c_ % 4 == 2 ? s_.z : s_.w;
        if (n < ${N}) {
${EBODY}${STORES}        }
    }
}
