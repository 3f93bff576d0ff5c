/* op_impl.h -- private to the operator files of engine/ (op_*.c).
 * Shared helpers that several operator families need, and the family
 * tables that op_table.c joins into one registry. */
#ifndef DNNF_OP_IMPL_H
#define DNNF_OP_IMPL_H

#include "engine.h"

/* One table per family, each ended by an entry whose name is NULL. */
extern const op_def op_defs_elementwise[]; /* op_elementwise.c: unary, binary, Where, Cast, Clip */
extern const op_def op_defs_reduce[];      /* op_reduce.c: Reduce*, Softmax, LayerNorm, BatchNorm */
extern const op_def op_defs_movement[];    /* op_movement.c: Reshape, Transpose, Concat, Slice, Pad, ... */
extern const op_def op_defs_index[];       /* op_index.c: Gather*, ScatterND, Shape, Range, Constant* */
extern const op_def op_defs_linalg[];      /* op_linalg.c: MatMul, Gemm, Einsum */
extern const op_def op_defs_conv[];        /* op_conv.c: Conv (1-D, 2-D, 3-D, grouped) */
extern const op_def op_defs_pool[];        /* op_pool.c: MaxPool, AveragePool, Global*Pool */

/* Strides of `in` seen through `out`'s rank: 0 on broadcast dims, so that
   sum(idx[i] * st[i]) is the element of `in` that output index idx reads. */
void op_bcast_strides(const dn_shape *out, const dn_shape *in, int64_t *st);

/* Advances a row-major multi-index over shape s; returns 0 after the last. */
int op_next_index(const dn_shape *s, int64_t *idx);

/* C = A(MxK) * B(KxN) (+ C if accumulate), row-major with leading dims;
   transA / transB read A as KxM / B as NxK.  Blocked: used by MatMul,
   Gemm and Conv (gemm.c). */
void op_sgemm(int transA, int transB, int64_t M, int64_t N, int64_t K, float alpha,
              const float *A, int64_t lda, const float *B, int64_t ldb, float beta, float *C,
              int64_t ldc);

/* An ints attribute of exactly `want` entries into dst, or dflt in every
   entry when absent (Conv and pooling geometry). */
int op_ints_attr(const ir_node *n, const char *name, int want, int64_t dflt, int64_t *dst,
                 dn_err *e);

/* Functions shared between the two files of a family. */
/* elementwise family: defined in op_unary.c, listed in op_elementwise.c's table */
int op_ew_unary_infer(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out,
                      int nout, dn_err *e);
int op_ew_unary_eval(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out,
                     int nout, dn_err *e);
int op_ew_cast_infer(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out,
                     int nout, dn_err *e);
int op_ew_cast_eval(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out, int nout,
                    dn_err *e);
int op_ew_clip_infer(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out,
                     int nout, dn_err *e);
int op_ew_clip_eval(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out, int nout,
                    dn_err *e);
int op_ew_identity_infer(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out,
                         int nout, dn_err *e);
int op_ew_identity_eval(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out,
                        int nout, dn_err *e);
int op_ew_dropout_infer(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out,
                        int nout, dn_err *e);
int op_ew_dropout_eval(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out,
                       int nout, dn_err *e);
/* reduce family: defined in op_reduce_norm.c, listed in op_reduce.c's table */
int op_rn_layernorm_infer(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out,
                          int nout, dn_err *e);
int op_rn_layernorm_eval(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out,
                         int nout, dn_err *e);
int op_rn_chan_infer(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out,
                     int nout, dn_err *e);
int op_rn_batchnorm_eval(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out,
                         int nout, dn_err *e);
int op_rn_instnorm_eval(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out,
                        int nout, dn_err *e);
int op_rn_groupnorm_eval(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out,
                         int nout, dn_err *e);
int op_rn_lpnorm_infer(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out,
                       int nout, dn_err *e);
int op_rn_lpnorm_eval(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out,
                      int nout, dn_err *e);

#endif
