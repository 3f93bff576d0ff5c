/* profile.h -- what the files of `dnnf profile` share (cli/profile.c, the
 * command; cli/profile_time.c, timing on the device); private to cli/. */
#ifndef DNNF_CLI_PROFILE_H
#define DNNF_CLI_PROFILE_H

#include "cli.h"

#if defined(DNNF_HAVE_FUSION) && defined(DNNF_HAVE_CODEGEN)
#include "codegen.h"
#include "fusion.h"

/* A device being profiled, and the timer the planner calls (fu_timer). */
typedef struct pf_timer {
    rt_cl_ctx *c;
    const struct gm_rules *R; /* expands composite operators of rewritten graphs */
    cg_device dev;            /* what the emitter writes for */
    int runs;                 /* timed runs per measurement (after warm-ups) */
    double launch_ms;         /* the measured launch overhead, added per launch */
    int blocks, failed;       /* node sets measured / that could not run */
} pf_timer;

void pf_timer_init(pf_timer *t, rt_cl_ctx *c, const struct gm_rules *R, int runs);
/* The device's constants for the static model (launch overhead, copy
   bandwidth, the matmul family's GFLOP/s); t->launch_ms is set too. */
int pf_device_constants(pf_timer *t, fu_device_model *d, dn_err *e);
/* fu_timer: nodes of g (producers first) as one block (split where no
   template covers it, as `dnnf run` would), through the executor: the
   10th percentile of the runs' kernel time plus host time, plus the
   launch overhead per launch.  ctx is a pf_timer. */
int pf_time_nodes(void *ctx, const ir_graph *g, const int *nodes, int n, double *ms);
#endif

#endif
