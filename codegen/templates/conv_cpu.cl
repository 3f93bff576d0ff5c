/* ${COMMENT} */
/* conv family, CPU forms (docs/codegen.md, GUIDE §5): no work-item computes
   one output alone.
   ${WHAT}
   conv-gemm: Conv as an implicit GEMM in registers.  A work-item owns R
   adjacent output pixels of one row times NV vectors of VW output
   channels; per input channel and tap it broadcasts R input values and
   loads NV packed weight vectors (cg_kernel.pack_arg: panels of 16 output
   channels, k = input channel x taps), R x NV FMAs.  Taps are unrolled
   along the row (kw) and looped over the outer spatial dims, so every
   input address is a constant offset from one index.  A plain input is
   read from memory with the padding decided at generation time per class
   of tile column (interior tiles carry no test); an input with a prologue
   (an activation, a concatenation, a scaling) is evaluated once into
   local memory for the tile's window, zero-padded, and serves every
   output channel of the work-item, so the prologue runs once per tap row,
   not once per tap and channel block.
   depthwise / pool: a work-item owns OHT output rows of one channel (of
   CPW channels in turn on small images); it stages their input rows
   (through the prologue, padded) in local memory and sweeps them 16
   pixels at a time: one vector load and one FMA (or max, or add) per
   tap.  The epilogue runs per output element. */
__kernel void ${NAME}(${PARAMS})
{
${BODY}}
