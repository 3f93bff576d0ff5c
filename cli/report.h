/* report.h -- private to `dnnf report` and `dnnf batch` (cli/report*.c,
 * cli/batch.c).  Prefix rp_.
 *
 *   report_pipeline.c  one model through the pipeline: load and fold,
 *                      rewrite (with the trace kept in memory), fusion
 *                      plans before and after, GUIDE §7's numbers;
 *   report_dot.c       a graph as Graphviz DOT (blocks as coloured
 *                      clusters, or collapsed when the graph is large),
 *                      and `dot -Tsvg` run as a subprocess;
 *   report_html.c      the self-contained HTML page;
 *   report_assets.c    its stylesheet and script;
 *   report_file.c      output files written under a temporary name and
 *                      renamed, so that no reader ever sees half a file;
 *   report.c           `dnnf report MODEL -o FILE.html`.
 *
 * The pipeline converts fusion plans into the plain arrays below, so that
 * only report_pipeline.c depends on fusion/ (which joins the build only
 * when DNNF_HAVE_FUSION is defined).
 */
#ifndef DNNF_CLI_REPORT_H
#define DNNF_CLI_REPORT_H

#include "cli.h"
#include "grammar.h"

#include <stdio.h>

/* Block kinds, as fusion.h's FU_KERNEL / FU_LAYOUT / FU_VIEW. */
enum { RP_KERNEL = 1, RP_LAYOUT, RP_VIEW };

typedef struct rp_block {
    int id;
    int kind;           /* RP_KERNEL, RP_LAYOUT, RP_VIEW */
    char type[64];      /* mapping type of the block */
    char ops[256];      /* "Conv+Relu" */
    int nnodes, *nodes; /* member node ids, topological order */
    int nrecomp, *recomp;
    double flops, bytes;
    char *kernel;      /* generated OpenCL source, or NULL (not generated) */
    char *kernel_note; /* why there is none, or NULL */
} rp_block;

/* GUIDE §7 for one plan. */
typedef struct rp_summary {
    int have; /* 0 when dnnf was built without fusion/ */
    int nodes, compute_ops, kernels, layout_kernels, view_blocks, recomputed;
    long long irs_bytes, irs_bytes_unfused;
    double flops;
} rp_summary;

/* One graph with its plan (when there is one). */
typedef struct rp_view {
    const ir_graph *g;
    int nblocks;
    rp_block *blocks;
    int *block_of; /* per node id: owning block, -1 for none */
    rp_summary s;
} rp_view;

typedef struct rp_options {
    const char *model;
    const char *rules[64];
    int nrules;
    int weights; /* load weights (needed by --run / --check) */
    int random;  /* fill missing weights with pseudo-random values */
    uint64_t seed;
    eg_limits limits;
    int trace; /* keep the rewrite trace in memory */
} rp_options;

typedef struct rp_model {
    const char *path;
    gm_rules *rules;
    ir_graph *g; /* as given, folded */
    ir_graph *h; /* after rewriting */
    int given;   /* compute ops of the model as given (before folding) */
    int nodes_given;
    ir_fold_stats fold;
    eg_result res;
    int have_res;
    char *trace; /* JSON Lines, or NULL */
    size_t trace_len;
    rp_view before, after;
    double load_ms, rewrite_ms, fuse_ms, optimize_ms;
    void *plans[2]; /* fu_plan * when fusion is built */
} rp_model;

void rp_options_default(rp_options *o);
/* Runs the model through the pipeline.  0, or -1 with a message (the
   rules' diagnostics included) and m half-filled: call rp_model_free. */
int rp_model_run(const rp_options *o, rp_model *m, dn_err *e);
void rp_model_free(rp_model *m);
/* 1 when this dnnf has fusion/ (plans and summaries are real). */
int rp_have_fusion(void);
/* Runs g and the optimized graph under the reference interpreter with
   the same inputs; *worst and *scale get max |a-b| and max |a|.  0, or -1
   with a message. */
int rp_check(rp_model *m, double *worst, double *scale, dn_err *e);
/* "fusion rate": compute ops as given / kernels (0 when no kernels). */
double rp_fusion_rate(const rp_model *m, const rp_summary *s);

/* --- report_dot.c --- */

typedef struct rp_draw {
    int max_nodes; /* draw nodes one by one up to this many, else collapse blocks */
    int collapsed; /* out: blocks drawn as single nodes */
    int omitted;   /* out: nodes (or blocks) left out beyond the limit */
    int drawn;     /* out: boxes drawn */
} rp_draw;

/* DOT text of v; element ids in the SVG start with prefix ("a" / "b"). */
void rp_dot_write(const rp_view *v, const char *prefix, rp_draw *d, FILE *f);
/* Runs `dot -Tsvg` on dot; *svg gets the SVG (malloc'd, without the XML
   prologue).  -1 with a message when Graphviz is missing or fails. */
int rp_dot_svg(const char *dot, size_t len, char **svg, dn_err *e);
/* A colour per mapping type name (fill, then border). */
const char *rp_type_fill(const char *type);
const char *rp_type_border(const char *type);

/* --- report_html.c --- */

/* The page.  svg_a / svg_b may be NULL (Graphviz failed: msg says why). */
int rp_html_write(const rp_model *m, const char *svg_a, const rp_draw *da, const char *svg_b,
                  const rp_draw *db, const char *dot_msg, FILE *f);
/* s as a JSON string safe inside a <script> element. */
void rp_js_str(FILE *f, const char *s);
/* s with & < > " escaped. */
void rp_html_str(FILE *f, const char *s);
/* The whole report of m into path (temporary name, then rename).  When
   Graphviz fails the page is written without pictures and *warn says why
   (warn->msg empty otherwise). */
int rp_report_write(const rp_model *m, const char *path, int max_nodes, dn_err *warn, dn_err *e);

/* --- report_assets.c --- */
extern const char rp_css[];
extern const char rp_js[];

/* --- report_file.c --- */

/* An output file written under PATH.part and renamed to PATH on close. */
typedef struct rp_file {
    FILE *f;
    char path[4096], tmp[4200];
} rp_file;

int rp_file_open(rp_file *o, const char *path, dn_err *e);
/* Closes and renames; on a write error removes the temporary file. */
int rp_file_commit(rp_file *o, dn_err *e);
/* Closes and removes the temporary file. */
void rp_file_abort(rp_file *o);
/* Writes len bytes to path the same way. */
int rp_file_put(const char *path, const char *data, size_t len, dn_err *e);
/* The suffix of temporary files (batch removes them after an interrupt). */
#define RP_PART ".part"

#endif
