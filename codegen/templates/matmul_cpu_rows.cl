/* ${COMMENT} */
/* matmul family, CPU shape for a left operand with a computed prologue
   (an activation fused into the product that reads it): each work-item
   owns RM rows of the output, evaluates their prologue once into local
   memory (RM x K), then sweeps the columns 16 at a time in RM float16
   registers -- so the prologue is not recomputed per column block, and B
   is streamed M / RM times.  RM=${RM} M=${M} N=${N} K=${K} */
__kernel void ${NAME}(${PARAMS})
{
    const int m0 = get_global_id(0) * ${RM};
    const int bz = get_global_id(1);
${BATCH}    __local float as_[${RM} * ${K}];
    for (int r = 0; r < ${RM}; r++)
        for (int k = 0; k < ${K}; k++) {
${ALOADS}            as_[r * ${K} + k] = a_;
        }
    for (int n0 = 0; n0 < ${N}; n0 += 16) {
${ACCS}        for (int k = 0; k < ${K}; k++) {
${BLOADS}${FMAS}        }
        float accs_[${RM}][16];
${SPILL}        for (int r = 0; r < ${RM}; r++) {
            const int m = m0 + r;
            if (m >= ${M}) break;
            for (int c = 0; c < 16; c++) {
                const int n = n0 + c;
                if (n >= ${N}) break;
                const float acc = accs_[r][c];
${EBODY}${STORES}            }
        }
    }
}
