/* ${COMMENT} */
/* reduction family, GPU shape (docs/gpu.md): one work-group of ${WG}
   work-items per row (the trailing dims reduced, ${L} elements), so that a
   few hundred rows still fill a GPU.  Each pass strides over the row
   (neighbouring work-items read neighbouring elements) through the
   prologue; its partial results are combined by a tree in local memory,
   and every work-item gets the row's value for the next pass.  The result
   of the reduction node feeds the epilogue in the last pass before the
   store.  ${WHAT} */
#define WG ${WG}

float grp_sum(float v, __local float *s)
{
    const int l = get_local_id(0);
    s[l] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int w = WG / 2; w > 0; w >>= 1) {
        if (l < w) s[l] += s[l + w];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const float r = s[0];
    barrier(CLK_LOCAL_MEM_FENCE); /* s is reused by the next pass */
    return r;
}

float grp_max(float v, __local float *s)
{
    const int l = get_local_id(0);
    s[l] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int w = WG / 2; w > 0; w >>= 1) {
        if (l < w) s[l] = fmax(s[l], s[l + w]);
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const float r = s[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return r;
}

float grp_min(float v, __local float *s)
{
    const int l = get_local_id(0);
    s[l] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int w = WG / 2; w > 0; w >>= 1) {
        if (l < w) s[l] = fmin(s[l], s[l + w]);
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const float r = s[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return r;
}

__kernel __attribute__((reqd_work_group_size(WG, 1, 1))) void ${NAME}(${PARAMS})
{
    const int row = get_group_id(0), lid_ = get_local_id(0);
    __local float red_[WG];
${INDEX}${PASSES}}
