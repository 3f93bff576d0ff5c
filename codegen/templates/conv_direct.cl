/* ${COMMENT} */
/* conv family, direct form: one work-item per output element, the window
   (and for Conv the input channels of its group) summed in a loop; the
   input is read through its prologue, out-of-range taps skipped (zero
   padding); the epilogue runs on the result before the store.
   Covers grouped and depthwise Conv, 1-D to 3-D, MaxPool, AveragePool.
   ${WHAT} */
__kernel void ${NAME}(${PARAMS})
{
    const int gid = get_global_id(0);
    if (gid >= ${N}) return;
${INDEX}${BODY}${STORES}}
