/* op_movement.h -- private to the data-movement and indexing operator files
 * (op_movement*.c, op_index*.c): small helpers they share, kept out of
 * op_impl.h because no other family needs them. */
#ifndef DNNF_OP_MOVEMENT_H
#define DNNF_OP_MOVEMENT_H

#include "op_impl.h"

/* Reads a 1-D (or scalar) int32/int64 tensor with known data into v (at
   most max values); returns the count, or -1 with a message naming `what`. */
int op_mv_ints(const dn_tensor *t, int64_t *v, int max, const char *what, dn_err *e);

/* The most dims a strided view may have: Tile views rank r as 2r dims. */
#define OP_MV_VIEW_MAX (2 * DN_MAX_RANK)

/* Copies a strided view of src into dense row-major dst:
   dst[i0..ik] = src[base + sum(i_j * st[j])] (strides in elements, may be
   0 or negative), es bytes per element.  Merges contiguous dims and tiles
   transposes, so it serves Transpose, Slice, Expand, Tile and friends. */
void op_mv_view_copy(void *dst, const void *src, int rank, const int64_t *dims, const int64_t *st,
                     int64_t base, size_t es);

/* Operators of op_defs_movement defined in op_movement_spatial.c. */
int op_pad_infer(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out, int nout,
                 dn_err *e);
int op_pad_eval(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out, int nout,
                dn_err *e);
int op_d2s_infer(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out, int nout,
                 dn_err *e);
int op_d2s_eval(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out, int nout,
                dn_err *e);
int op_s2d_infer(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out, int nout,
                 dn_err *e);
int op_s2d_eval(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out, int nout,
                dn_err *e);
int op_resize_infer(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out,
                    int nout, dn_err *e);
int op_resize_eval(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out, int nout,
                   dn_err *e);
int op_trilu_infer(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out, int nout,
                   dn_err *e);
int op_trilu_eval(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out, int nout,
                  dn_err *e);

/* Operators of op_defs_index defined in op_index_misc.c. */
int op_topk_infer(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out, int nout,
                  dn_err *e);
int op_topk_eval(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out, int nout,
                 dn_err *e);
int op_cumsum_infer(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out,
                    int nout, dn_err *e);
int op_cumsum_eval(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out, int nout,
                   dn_err *e);
int op_nonzero_infer(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out,
                     int nout, dn_err *e);
int op_nonzero_eval(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out,
                    int nout, dn_err *e);
int op_onehot_infer(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out,
                    int nout, dn_err *e);
int op_onehot_eval(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out, int nout,
                   dn_err *e);
int op_eyelike_infer(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out,
                     int nout, dn_err *e);
int op_eyelike_eval(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out,
                    int nout, dn_err *e);

#endif
