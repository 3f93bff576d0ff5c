/* ${COMMENT} */
/* matmul family, CPU register tiles (GUIDE §5, docs/codegen.md): a
   work-group (one work-item) owns rows mb0..mb1-1 (at most MR) x NC
   columns of the output and
   walks them in RM x PW register tiles -- RM*PW/16 float16 accumulators
   (24 of AVX-512's 32 registers at 6 x 64), so that per k one broadcast of
   A feeds PW/16 FMAs and one 16-wide load of B feeds RM FMAs.  B is read
   from packed 16-column panels (a constant) or staged per PW-column panel
   in local memory; A is read through its index map, or -- when a prologue
   computes it -- evaluated once per work-group into local memory, 16
   values of k at a time.  The epilogue runs on each accumulator element
   before the store.  RM=${RM} PW=${PW} MR=${MR} NC=${NC} M=${M} N=${N} K=${K} */
__kernel void ${NAME}(${PARAMS})
{
    /* dim 0 walks the row blocks, so consecutive work-groups reuse one
       column strip of B from the cache */
    const int mb0 = ${MB0}, mb1 = ${MB1};
    const int nb0 = get_global_id(1) * ${NC};
    const int bz = get_global_id(2);
${BATCH}${ASTAGE}${BDECL}    for (int n0 = nb0; n0 < nb0 + ${NC} && n0 < ${N}; n0 += ${PW}) {
${BSTAGE}        for (int m0 = mb0; m0 < mb1 && m0 < ${M}; m0 += ${RM}) {
${ACCS}            for (int k = 0; k < ${K}; k++) {
${BLOADS}${FMAS}            }
            float accs_[${RM}][${PW}];
${SPILL}            for (int r = 0; r < ${RM}; r++) {
                const int m = m0 + r;
                if (m >= ${M}) break;
                for (int c = 0; c < ${PW}; c++) {
                    const int n = n0 + c;
                    if (n >= ${N}) break;
                    const float acc = accs_[r][c];
${EBODY}${STORES}                }
            }
        }
    }
}
