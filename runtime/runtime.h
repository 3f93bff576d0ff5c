/*
 * runtime.h -- the one public header of runtime/: tensors in and out of
 * files (NumPy .npy), and the reference interpreter, the oracle that every
 * optimized or fused execution is compared with.  (Later: the OpenCL
 * device, program cache, memory plan and launches.)
 */
#ifndef DNNF_RUNTIME_H
#define DNNF_RUNTIME_H

#include "engine.h"

/* NumPy .npy files, format versions 1-3, little-endian, C order. */
int rt_npy_read(const char *path, dn_tensor *t, dn_err *e);
int rt_npy_write(const char *path, const dn_tensor *t, dn_err *e);

typedef struct rt_ref_stats {
    int nodes;          /* nodes executed */
    int64_t peak_bytes; /* high-water mark of live intermediate tensors */
    double ms;          /* wall time of the run */
} rt_ref_stats;

/*
 * Runs g node by node with the operator semantics of engine/.  inputs[i]
 * feeds g->input[i] and must match its dtype and (known) dims; outputs[i]
 * receives g->output[i] (the caller frees with dn_tensor_free).  Every
 * constant must have its data (ox_load_weights first).  Intermediate
 * tensors are freed after their last reader, so memory stays near the
 * largest live set rather than the sum of all activations.
 */
int rt_reference_run(const ir_graph *g, const dn_tensor *inputs, dn_tensor *outputs,
                     rt_ref_stats *st, dn_err *e);

/* Deterministic test input for value v: token ids in [0, 1000) for integer
   inputs (the text models' vocabulary bound), uniform [-1, 1) floats else. */
int rt_make_input(const ir_graph *g, int v, uint64_t seed, dn_tensor *t, dn_err *e);

#endif
