/* cli.h -- shared by the subcommands of the dnnf command (cli/). */
#ifndef DNNF_CLI_H
#define DNNF_CLI_H

#include "engine.h"
#include "runtime.h"

/* GUIDE §6 exit status: 0 success, 1 user error, 2 usage error. */
enum { CLI_OK = 0, CLI_ERR = 1, CLI_USAGE = 2 };

int cli_info(int argc, char **argv);
int cli_run(int argc, char **argv);
int cli_weights(int argc, char **argv);
int cli_devices(int argc, char **argv);
int cli_rules(int argc, char **argv);
int cli_optimize(int argc, char **argv);
int cli_trace(int argc, char **argv);
int cli_fuse(int argc, char **argv);
int cli_layout(int argc, char **argv);
#ifdef DNNF_HAVE_LAYOUT
struct gm_rules;
struct ly_options;
/* The permuted layouts the layout pass chooses for activations, made graph
   structure in g before fusion (layout/apply.c), as `dnnf run` and `dnnf
   layout` both do; none (*applied 0) when o turns selection or
   elimination off, or DNNF_APPLY_LAYOUTS=0 (for comparison).  fused: the
   run forms fusion blocks (an elementwise epilogue then shares its
   product's kernel).  CLI_OK, or CLI_ERR after reporting the error
   prefixed with path (cli/layout.c). */
int cli_apply_layouts(const char *path, ir_graph *g, const struct gm_rules *R,
                      const struct ly_options *o, int fused, int *applied);
#endif
#if defined(DNNF_HAVE_LAYOUT) && defined(DNNF_HAVE_FUSION)
#include "fusion.h"
#include "layout.h"
/* The layout blocks of a fusion plan (cli/layout.c); free with the next. */
ly_blocks *cli_layout_blocks(const fu_plan *fp, const ir_graph *G, ly_blocks *B);
void cli_layout_blocks_free(ly_blocks *B);
/* Runs the layout pass over a fusion plan and prints its summary line and
   every data-movement operator that survives as its own kernel, with why. */
int cli_layout_of_plan(const fu_plan *fp, const ir_graph *G, const gm_rules *R, FILE *out,
                       dn_err *e);
#endif
int cli_report(int argc, char **argv);
int cli_batch(int argc, char **argv);

/* Shared by the subcommands (cli/common.c). */
double cli_now_ms(void);
int cli_ends_with(const char *s, const char *suf);
/* mkdir -p: creates path and its missing parents. */
int cli_mkdirs(const char *path, dn_err *e);
/* DNNF_RULES, else the standard library's all.rules. */
const char *cli_default_rules(void);
struct gm_rules;
/* Reads rule files (none: the default), printing every diagnostic; NULL on
   any error. */
struct gm_rules *cli_load_rules(const char *const *paths, int n);
typedef struct cli_model_opts {
    int weights; /* read (or fill) the weights */
    int random;  /* ox_load_weights' mode for ONNX files (.graph: always random) */
    uint64_t seed;
    int composites; /* tolerate composite operators that only the e-graph infers */
} cli_model_opts;
/* Nodes and compute ops of a model as given, before folding (GUIDE §7). */
typedef struct cli_model_counts {
    int nodes, compute_ops;
} cli_model_counts;
/* An ONNX file or a `.graph`, folded; *given (may be NULL) gets its counts
   as given. */
ir_graph *cli_load_model(const char *path, const cli_model_opts *o, cli_model_counts *given,
                         ir_fold_stats *st, dn_err *e);

/* Prints "dnnf: MESSAGE" on stderr; returns CLI_ERR. */
int cli_fail(const dn_err *e);
/* Prints "dnnf CMD: MESSAGE" and the command's usage; returns CLI_USAGE. */
int cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* "--random-weights [SEED]": consumes an optional numeric argument. */
int cli_opt_seed(int argc, char **argv, int *i, uint64_t *seed);

/* Loads an ONNX model and infers/folds it; NULL after printing the error. */
ir_graph *cli_load(const char *path, int weights, int random, uint64_t seed, ir_fold_stats *st);

/* The file name of an output: characters outside [A-Za-z0-9._-] become '_'. */
void cli_out_name(const char *name, char *buf, size_t n);

/* JSON string (quoted and escaped) on f. */
void cli_json_str(FILE *f, const char *s);

#if defined(DNNF_HAVE_FUSION) && defined(DNNF_HAVE_CODEGEN)
#include "codegen.h"
struct fu_plan;
struct gm_rules;
/* The pipeline up to executable blocks (cli/pipeline.c). */
typedef struct cli_pipeline {
    ir_graph *g; /* the model as loaded and folded: the reference */
    ir_graph *h; /* rewritten, composites expanded (fused runs) */
    struct gm_rules *R;
    struct fu_plan *p;
    cg_block *b;
    int nb;
    cg_block *b0; /* the blocks before preparation (fusion plan or per node) */
    int nb0;
    cg_device dev;         /* the device class b was prepared for */
    const ir_graph *run;   /* the graph the blocks refer to */
    int compute_ops;       /* of the model as given */
    int layout;            /* cross-block read-through of the layout plan (fused runs) */
    int layouts_applied;   /* permuted activation layouts made graph structure
                              (layout/apply.c) */
    rt_prepare_stats prep; /* what rt_blocks_prepare did */
    double optimize_ms;    /* load + rewrite + fuse + block preparation */
} cli_pipeline;
/* fuse 0: one block per node of the model as given (neither rewriting nor
   the layout pass); layout 0: the layout pass's read-through off. */
int cli_pipeline_build(const char *path, int fuse, int layout, int random, uint64_t seed,
                       cli_pipeline *pl);
void cli_pipeline_free(cli_pipeline *pl);
/* Prepares the blocks again when c's device is of another class than the
   one they were prepared for (a GPU: the CPU class is the default, as for
   `dnnf codegen`); CLI_OK or CLI_ERR. */
int cli_pipeline_for_device(cli_pipeline *pl, const char *path, rt_cl_ctx *c);
/* --forbid OP,...: 0 when no launching block is made only of those
   operators, else CLI_ERR after naming each such block on stderr. */
int cli_pipeline_forbid(const cli_pipeline *pl, const char *ops);
/* Runs the pipeline's blocks on the OpenCL device (cli/run_opencl.c):
   prints the run's figures, with check > 0 the comparison with the reference
   interpreter (failing beyond check x max |output|); out receives the outputs. */
int cli_run_opencl(cli_pipeline *pl, const char *path, const char *device, int nofuse, double check,
                   int verbose, const dn_tensor *in, dn_tensor *out);
/* Worst |a - b| over one output (equal infinities and two NaNs agree), and
   max |a| over its finite elements. */
void cli_compare(const dn_tensor *a, const dn_tensor *b, double *worst, double *scale);
#endif
int cli_codegen(int argc, char **argv);
int cli_bench(int argc, char **argv);
int cli_profile(int argc, char **argv); /* cli/profile.c */

#endif
