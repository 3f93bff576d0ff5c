/* ${COMMENT} */
/* elementwise family: one work-item per output element; every read goes
   through the index map of the block's reshapes, transposes, slices,
   broadcasts and concats (docs/codegen.md). */
__kernel void ${NAME}(${PARAMS})
{
    const int gid = get_global_id(0);
${GUARD}${INDEX}${BODY}${STORES}}
