/* ${COMMENT} */
/* matmul family, CPU shape (GUIDE §5): each work-item owns a 4 x 16 block
   of the output in four float16 registers, no local memory; per k it loads
   4 values of A and one 16-wide row piece of B (contiguous B rows become
   one vector load) and does four 16-wide FMAs.  Operands are read through
   their index maps (prologue); the epilogue runs on each accumulator
   element before the store.  M=${M} N=${N} K=${K} */
__kernel void ${NAME}(${PARAMS})
{
    /* dim 0 walks the rows, so consecutive work-groups reuse one column
       strip of B from the cache */
    const int m0 = get_global_id(0) * 4;
    const int n0 = get_global_id(1) * 16;
    const int bz = get_global_id(2);
${BATCH}    float16 acc0 = 0.0f, acc1 = 0.0f, acc2 = 0.0f, acc3 = 0.0f;
    for (int k = 0; k < ${K}; k++) {
${LOADS}        acc0 = fma((float16)(a_0), b_, acc0);
        acc1 = fma((float16)(a_1), b_, acc1);
        acc2 = fma((float16)(a_2), b_, acc2);
        acc3 = fma((float16)(a_3), b_, acc3);
    }
    float accs_[4][16];
    vstore16(acc0, 0, accs_[0]);
    vstore16(acc1, 0, accs_[1]);
    vstore16(acc2, 0, accs_[2]);
    vstore16(acc3, 0, accs_[3]);
    for (int r = 0; r < 4; r++) {
        const int m = m0 + r;
        if (m >= ${M}) break;
        for (int c = 0; c < 16; c++) {
            const int n = n0 + c;
            if (n >= ${N}) break;
            const float acc = accs_[r][c];
${EBODY}${STORES}        }
    }
}
