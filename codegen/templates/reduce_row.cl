/* ${COMMENT} */
/* reduction family: one work-item per row (the trailing dims reduced,
   ${L} elements); the row's input is read through its prologue, once per
   pass; the result of the reduction node feeds the epilogue in the last
   pass before the store.  ${WHAT} */
__kernel void ${NAME}(${PARAMS})
{
    const int row = get_global_id(0);
    if (row >= ${ROWS}) return;
${INDEX}${PASSES}}
