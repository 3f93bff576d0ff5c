/* ${COMMENT} */
/* elementwise family, CPU lanes: each work-item computes ${LANES}
   consecutive output elements.  A read through an index map whose offset
   is the same for all of them, or moves by one from lane to lane
   (codegen/index_lanes.c), has that offset computed once, before the
   loop; the loop's loads are then contiguous, which the compiler turns
   into vector loads instead of a gather per element (docs/codegen.md,
   "Lanes"). */
__kernel void ${NAME}(${PARAMS})
{
    const int gid0 = get_global_id(0) * ${LANES};
${GUARD}${HOIST}    for (int r_ = 0; r_ < ${LANES}; r_++) {
        const int gid = gid0 + r_;
${BODY}${STORES}    }
}
