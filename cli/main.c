/* main.c -- the dnnf command: dispatch to a subcommand (GUIDE §6). */
#include "cli.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static const char *usage_text =
    "usage: dnnf COMMAND [ARGS]\n"
    "\n"
    "  info MODEL [--json]          operators, shapes, sizes after folding\n"
    "  run MODEL [--reference | --no-fuse] [--no-layout] [--forbid OP,...] [--check] [--device D]\n"
    "            [--random-weights [SEED]] [--input NAME=FILE.npy]... [--output-dir DIR]\n"
    "            [--input-seed N] [--tolerance R] [-v]\n"
    "                               run fused OpenCL kernels (or the reference interpreter),\n"
    "                               write .npy outputs; --check compares with the reference\n"
    "  weights MODEL -o OUT.onnx [--random-weights [SEED]]\n"
    "                               write a copy of MODEL with its weights in OUT.weights\n"
    "  rules check FILE... [-v] [--no-verify] [--seed N] [--instances N] [--rule NAME]\n"
    "                               parse, type-check and numerically verify rule files\n"
    "  rules show [FILE...]         the mapping lattice, fusion table and layout edge table\n"
    "  optimize MODEL [-r RULES]... [--trace FILE] [-o OUT.graph|OUT.onnx] [--max-iters N]\n"
    "           [--max-nodes N] [--max-ms N] [--stats] [--json] [--random-weights [SEED]] [--check]\n"
    "                               rewrite with the rules by equality saturation (docs/engine.md)\n"
    "  trace FILE [--rule R] [--node N]  explain a rewrite trace in plain text\n"
    "  fuse MODEL [-r RULES]... [--json] [--summary] [--steps] [--plan] [--no-rewrite]\n"
    "       [--check] [--random-weights [SEED]] [--profile-db FILE] [--max-args N] [--max-ms N]\n"
    "                               DNNFusion fusion plan and report (docs/fusion.md)\n"
    "  layout MODEL [-r RULES]... [--json] [--summary] [-v] [--plan] [--check] [--forbid OP,...]\n"
    "         [--no-rewrite] [--no-fuse] [--no-eliminate] [--no-select] [--no-images] [--nhwc]\n"
    "         [--max-divmod N] [--max-copies N] [--image-max WxH] [--device D]\n"
    "                               SmartMem layout pass and report (docs/layout.md)\n"
    "  codegen MODEL -o DIR [--no-fuse] [--no-layout] [--forbid OP,...] [--random-weights [SEED]]\n"
    "                               one OpenCL file per block, and the plan\n"
    "  bench MODEL... [--json] [--device D] [--runs N] [--top N] [--no-fuse] [--no-layout]\n"
    "                               latency, kernels, host blocks, memory, roofline\n"
    "  profile MODEL... -o FILE [--device D] [--runs N] [-r RULES]... [-v]\n"
    "                               measure the device and the fusion plans' profile verdicts\n"
    "                               into a database for fuse --profile-db (docs/fusion.md)\n"
    "  report MODEL -o FILE.html [-r RULES]... [--random-weights [SEED]] [--max-draw N] [--max-ms N]\n"
    "                               one HTML page: graphs before/after, fusion blocks, trace, rules\n"
    "  batch DIR -o OUT [-j N] [--run] [-r RULES]...\n"
    "                               optimize (and with --run check) every model of DIR, summary table\n"
    "  devices [--json] [--device D]\n"
    "                               OpenCL platforms and devices, and the one a run uses\n"
    "\n"
    "Exit status: 0 success, 1 error in the input, 2 usage error.\n";

int cli_fail(const dn_err *e)
{
    fprintf(stderr, "dnnf: %s\n", e->msg);
    return CLI_ERR;
}

int cli_usage(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "dnnf %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n\n%s", usage_text);
    return CLI_USAGE;
}

int cli_opt_seed(int argc, char **argv, int *i, uint64_t *seed)
{
    if (*i + 1 < argc && isdigit((unsigned char)argv[*i + 1][0])) {
        char *end;
        *seed = strtoull(argv[*i + 1], &end, 10);
        if (*end) return -1;
        (*i)++;
    }
    return 0;
}

ir_graph *cli_load(const char *path, int weights, int random, uint64_t seed, ir_fold_stats *st)
{
    dn_err e;
    ir_graph *g = ox_load(path, &e);
    if (!g) {
        cli_fail(&e);
        return NULL;
    }
    if ((weights && ox_load_weights(g, random, seed, &e)) || ir_infer(g, 1, st, &e)) {
        if (strncmp(e.msg, path, strlen(path)) != 0) dn_errpre(&e, "%s: ", path);
        cli_fail(&e);
        ir_free(g);
        return NULL;
    }
    return g;
}

void cli_out_name(const char *name, char *buf, size_t n)
{
    size_t k = 0;
    for (; name[k] && k + 1 < n; k++) {
        char c = name[k];
        buf[k] = (isalnum((unsigned char)c) || c == '.' || c == '_' || c == '-') ? c : '_';
    }
    buf[k] = 0;
}

void cli_json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        fputs(usage_text, argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_USAGE : CLI_OK;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "info")) return cli_info(argc - 1, argv + 1);
    if (!strcmp(cmd, "run")) return cli_run(argc - 1, argv + 1);
    if (!strcmp(cmd, "weights")) return cli_weights(argc - 1, argv + 1);
    if (!strcmp(cmd, "devices")) return cli_devices(argc - 1, argv + 1);
    if (!strcmp(cmd, "rules")) return cli_rules(argc - 1, argv + 1);
    if (!strcmp(cmd, "optimize")) return cli_optimize(argc - 1, argv + 1);
    if (!strcmp(cmd, "trace")) return cli_trace(argc - 1, argv + 1);
    if (!strcmp(cmd, "fuse")) return cli_fuse(argc - 1, argv + 1);
    if (!strcmp(cmd, "layout")) return cli_layout(argc - 1, argv + 1);
    if (!strcmp(cmd, "report")) return cli_report(argc - 1, argv + 1);
    if (!strcmp(cmd, "batch")) return cli_batch(argc - 1, argv + 1);
    if (!strcmp(cmd, "codegen")) return cli_codegen(argc - 1, argv + 1);
    if (!strcmp(cmd, "bench")) return cli_bench(argc - 1, argv + 1);
    if (!strcmp(cmd, "profile")) return cli_profile(argc - 1, argv + 1);
    return cli_usage(cmd, "unknown command");
}
