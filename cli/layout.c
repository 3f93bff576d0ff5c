/* layout.c -- `dnnf layout MODEL`: SmartMem's layout pass and its report.
 *
 * Folding (ir_infer), rewriting with the rules (eg_optimize; --no-rewrite
 * skips it), DNNFusion's plan when fusion/ is built in (its layout blocks
 * are the "before"), then the layout pass (layout/): per model the layout
 * kernels before and after, every surviving data-movement node with its
 * reason, the chosen layouts and the image2d tensors.  --check re-reads
 * every eliminated chain through its composed map on iota tensors against
 * the reference operators; --forbid OP,... fails when a node of those
 * operators survives as a kernel of its own (what the model tests
 * assert). */
#include "cli.h"

#ifdef DNNF_HAVE_LAYOUT
#include "grammar.h"
#include "layout.h"
#ifdef DNNF_HAVE_FUSION
#include "fusion.h"
#endif

#include <stdlib.h>
#include <string.h>

int cli_apply_layouts(const char *path, ir_graph *g, const gm_rules *R, const ly_options *o,
                      int fused, int *applied)
{
    *applied = 0;
    const char *env = getenv("DNNF_APPLY_LAYOUTS");
    if (!o->select || !o->eliminate || (env && !strcmp(env, "0"))) return CLI_OK;
    dn_err e;
    if (ly_apply_layouts(g, R, o, fused, applied, &e)) {
        dn_errpre(&e, "%s: applying layouts: ", path);
        return cli_fail(&e);
    }
    return CLI_OK;
}

#ifdef DNNF_HAVE_FUSION
ly_blocks *cli_layout_blocks(const fu_plan *fp, const ir_graph *G, ly_blocks *B)
{
    int nb = fu_plan_nblocks(fp);
    int *block_of = malloc(((size_t)G->nnode + 1) * sizeof *block_of);
    int *kind = malloc(((size_t)nb + 1) * sizeof *kind);
    if (!block_of || !kind) abort();
    for (int i = 0; i < G->nnode; i++)
        block_of[i] = fu_plan_block_of(fp, i);
    for (int b = 0; b < nb; b++)
        kind[b] = fu_plan_block(fp, b)->kind; /* FU_* are LY_BLOCK_* */
    B->nblocks = nb;
    B->block_of = block_of;
    B->kind = kind;
    return B;
}

void cli_layout_blocks_free(ly_blocks *B)
{
    free((int *)B->block_of);
    free((int *)B->kind);
}

int cli_layout_of_plan(const fu_plan *fp, const ir_graph *G, const gm_rules *R, FILE *out,
                       dn_err *e)
{
    ly_blocks B;
    cli_layout_blocks(fp, G, &B);
    ly_plan *P = ly_plan_build(G, R, &B, NULL, e);
    if (P) ly_plan_print(P, 0, out);
    ly_plan_free(P);
    cli_layout_blocks_free(&B);
    return P ? 0 : -1;
}
#endif

/* Is op in the comma-separated list? */
static int listed(const char *list, const char *op)
{
    size_t n = strlen(op);
    for (const char *s = list; s && *s;) {
        const char *c = strchr(s, ',');
        size_t k = c ? (size_t)(c - s) : strlen(s);
        if (k == n && !strncmp(s, op, n)) return 1;
        s = c ? c + 1 : NULL;
    }
    return 0;
}

int cli_layout(int argc, char **argv)
{
    const char *model = NULL, *forbid = NULL, *device = NULL, *rules[64];
    int nrules = 0, json = 0, summary = 0, canonical = 0, verbose = 0, check = 0, rewrite = 1,
        fuse = 1;
    ly_options O;
    ly_options_default(&O);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-r") || !strcmp(a, "--rules")) {
            if (i + 1 >= argc) return cli_usage("layout", "%s needs a file", a);
            if (nrules == 64) return cli_usage("layout", "too many rule files");
            rules[nrules++] = argv[++i];
        } else if (!strcmp(a, "--json"))
            json = 1;
        else if (!strcmp(a, "--summary"))
            summary = 1;
        else if (!strcmp(a, "--plan"))
            canonical = 1;
        else if (!strcmp(a, "-v") || !strcmp(a, "--verbose"))
            verbose = 1;
        else if (!strcmp(a, "--check"))
            check = 1;
        else if (!strcmp(a, "--no-rewrite"))
            rewrite = 0;
        else if (!strcmp(a, "--no-fuse"))
            fuse = 0;
        else if (!strcmp(a, "--no-eliminate"))
            O.eliminate = 0;
        else if (!strcmp(a, "--no-select"))
            O.select = 0;
        else if (!strcmp(a, "--no-images"))
            O.images = 0;
        else if (!strcmp(a, "--nhwc"))
            O.conv_blocked = 0;
        else if (!strcmp(a, "--forbid")) {
            if (i + 1 >= argc) return cli_usage("layout", "--forbid needs OP[,OP...]");
            forbid = argv[++i];
        } else if (!strcmp(a, "--max-divmod") || !strcmp(a, "--max-copies")) {
            char *end;
            if (i + 1 >= argc) return cli_usage("layout", "%s needs a number", a);
            long v = strtol(argv[++i], &end, 10);
            if (*end || v < 0 || v > 1000)
                return cli_usage("layout", "%s needs a number 0..1000", a);
            if (a[6] == 'd')
                O.max_divmod = (int)v;
            else
                O.max_copies = (int)v;
        } else if (!strcmp(a, "--device")) {
            if (i + 1 >= argc) return cli_usage("layout", "--device needs a selector");
            device = argv[++i];
        } else if (!strcmp(a, "--image-max")) {
            long long w, h;
            if (i + 1 >= argc || sscanf(argv[++i], "%lldx%lld", &w, &h) != 2 || w <= 0 || h <= 0)
                return cli_usage("layout", "--image-max needs WxH");
            O.image_max_w = w;
            O.image_max_h = h;
        } else if (a[0] == '-' && a[1])
            return cli_usage("layout", "unknown option %s", a);
        else if (model)
            return cli_usage("layout", "one model at a time (got %s and %s)", model, a);
        else
            model = a;
    }
    if (!model) return cli_usage("layout", "no model given");
    dn_err e;
    if (device) {
        /* the image limits of a real device instead of the defaults */
        rt_cl_device_info *devs = NULL;
        int ndev = 0, k;
        if (rt_cl_devices(&devs, &ndev, &e) || (k = rt_cl_select(devs, ndev, device, &e)) < 0) {
            free(devs);
            return cli_fail(&e);
        }
        O.images = devs[k].image_support;
        O.image_max_w = devs[k].image2d_max_w;
        O.image_max_h = devs[k].image2d_max_h;
        free(devs);
    }
    if (canonical) rewrite = 0, fuse = 0; /* listings as data are of the graph as written */
    gm_rules *R = cli_load_rules(rules, nrules);
    if (!R) return CLI_ERR;
    cli_model_opts mo = {0, 0, 0, 0};
    ir_graph *g = cli_load_model(model, &mo, NULL, NULL, &e), *h = NULL;
    if (!g) {
        gm_rules_free(R);
        return cli_fail(&e);
    }
    int rc = CLI_OK;
    const ir_graph *G = g;
    if (rewrite) {
        eg_limits EL;
        eg_limits_default(&EL);
        eg_result res;
        if (eg_optimize(g, R, &EL, NULL, &res, &e)) {
            dn_errpre(&e, "%s: rewriting: ", model);
            rc = cli_fail(&e);
        } else {
            h = res.graph;
            eg_result_free(&res);
            G = h;
            /* the graph a run executes: composites expanded (cli/pipeline.c) */
            if (eg_expand_composites(h, R, &e) || ir_infer(h, 1, NULL, &e)) {
                dn_errpre(&e, "%s: expanding composites: ", model);
                rc = cli_fail(&e);
            }
        }
    }
    /* as in a run: the chosen activation layouts become graph structure */
    int applied = 0;
    if (rc == CLI_OK && cli_apply_layouts(model, h ? h : g, R, &O, fuse, &applied)) rc = CLI_ERR;
    ly_blocks *Bp = NULL, B;
#ifdef DNNF_HAVE_FUSION
    fu_plan *fp = NULL;
    if (rc == CLI_OK && fuse) {
        fu_limits L;
        fu_limits_default(&L);
        fp = fu_plan_build(G, R, &L, NULL, &e);
        if (!fp) {
            dn_errpre(&e, "%s: fusion: ", model);
            rc = cli_fail(&e);
        } else
            Bp = cli_layout_blocks(fp, G, &B);
    }
#else
    (void)fuse;
    memset(&B, 0, sizeof B);
#endif
    ly_plan *P = NULL;
    if (rc == CLI_OK && !(P = ly_plan_build(G, R, Bp, &O, &e))) {
        dn_errpre(&e, "%s: layout: ", model);
        rc = cli_fail(&e);
    }
    FILE *out = json ? stderr : stdout;
    if (P && canonical)
        ly_plan_print_canonical(P, out);
    else if (P && !json) {
        fprintf(out, "%s (%s%s):\n", model, rewrite ? "rewritten" : "as given",
                Bp ? ", fused" : ", unfused");
        ly_plan_print(P, !summary || verbose, out);
        if (applied)
            fprintf(out,
                    "layouts applied: %d activations written in the layout their "
                    "readers read best (v/layout, pinned)\n",
                    applied);
    }
    int checked = 0, skipped = 0;
    if (P && check) {
        if (ly_plan_verify(P, 1 << 22, &checked, &skipped, &e)) {
            dn_errpre(&e, "%s: check: ", model);
            rc = cli_fail(&e);
        } else if (!json)
            fprintf(out,
                    "check: %d composed accesses equal the reference operators on iota "
                    "tensors (%d too large, skipped)\n",
                    checked, skipped);
    }
    int forbidden = 0;
    if (P && forbid)
        for (int i = 0; i < ly_plan_nfates(P); i++) {
            const ly_fate *f = ly_plan_fate(P, i);
            const ir_node *n = &G->node[f->node];
            if (f->fate == LY_KEEP && listed(forbid, n->op)) {
                fprintf(stderr, "dnnf: %s: %s (%s) survives as a kernel: %s\n", model, n->name,
                        n->op, f->reason);
                forbidden++;
            }
        }
    if (forbidden) rc = CLI_ERR;
    if (json) {
        printf("{\"model\": ");
        cli_json_str(stdout, model);
        printf(", \"rewritten\": %s, \"fused\": %s, ", h ? "true" : "false", Bp ? "true" : "false");
        if (P) {
            ly_plan_json(P, stdout);
            printf(", ");
        }
        if (check) printf("\"checked\": %d, ", checked);
        printf("\"layouts_applied\": %d, ", applied);
        printf("\"status\": \"%s\"}\n", rc == CLI_OK ? "ok" : "error");
    }
    ly_plan_free(P);
#ifdef DNNF_HAVE_FUSION
    fu_plan_free(fp);
#endif
    if (Bp) cli_layout_blocks_free(Bp);
    ir_free(h);
    ir_free(g);
    gm_rules_free(R);
    return rc;
}

#else
int cli_layout(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr,
            "dnnf layout: this dnnf was built without layout/ (include layout/layout.cmake)\n");
    return CLI_ERR;
}
#endif
