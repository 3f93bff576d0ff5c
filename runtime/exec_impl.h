/* exec_impl.h -- private to runtime/execute*.c and runtime/split.c. */
#ifndef DNNF_EXEC_IMPL_H
#define DNNF_EXEC_IMPL_H

#include "codegen.h"
#include "runtime.h"

/* Runs block b on the host with the reference operators: reads its inputs
   from their device buffers (constants from the graph), writes its outputs
   back.  bufs[slot] are the memory plan's buffers. */
int rt_exec_host_block(rt_cl_ctx *c, const ir_graph *g, const cg_block *b, const rt_memplan *mp,
                       rt_cl_buf *const *bufs, dn_err *e);

/* One block's memory (execute.c, beside rt_blocks_free): release frees
   every array the block owns and zeroes it; drop_writes frees only its
   write-through (cg_block.wdest, wmap), leaving it writing as itself. */
void rt_block_release(cg_block *b);
void rt_block_drop_writes(cg_block *b);

#endif
