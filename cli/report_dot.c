/* report_dot.c -- a graph as Graphviz DOT, and `dot -Tsvg` as a subprocess.
 *
 * Each fusion block is a cluster filled with the colour of its mapping
 * type; a layout kernel (a block that only moves data) gets a thick red
 * dashed border, a view block (no launch) a dotted one.  Constants are
 * not drawn: a model's hundreds of weights would hide its structure.
 *
 * Large graphs: above rp_draw.max_nodes nodes, each block is drawn as one
 * box ("#12 Conv+Add+Relu, 3 nodes") and edges join blocks; above the
 * limit in boxes too, the first max_nodes boxes in topological order are
 * drawn and the page says how many were left out.  dot's layout time grows
 * faster than linearly, and a page with thousands of boxes is unusable
 * anyway; the block listing beside the picture stays complete.
 *
 * Every element gets an id the page's script uses: PREFIX n NODE for a
 * node, PREFIX b BLOCK for a block (cluster or collapsed box). */
#include "report.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Colour-blind-safe pastel fills, one per mapping type of the standard
   lattice; other (user-defined) types get a grey. */
static const struct {
    const char *type, *fill, *border;
} palette[] = {
    {"one_to_one", "#c7e9c0", "#31a354"},   {"reorganize", "#fdd0a2", "#e6550d"},
    {"shuffle", "#fde0ef", "#c51b7d"},      {"one_to_many", "#c6dbef", "#3182bd"},
    {"many_to_many", "#dadaeb", "#756bb1"},
};

const char *rp_type_fill(const char *type)
{
    for (size_t i = 0; i < sizeof palette / sizeof palette[0]; i++)
        if (!strcmp(palette[i].type, type)) return palette[i].fill;
    return "#e0e0e0";
}

const char *rp_type_border(const char *type)
{
    for (size_t i = 0; i < sizeof palette / sizeof palette[0]; i++)
        if (!strcmp(palette[i].type, type)) return palette[i].border;
    return "#777777";
}

/* A DOT string literal's contents: quotes and backslashes escaped. */
static void dot_str(FILE *f, const char *s, size_t max)
{
    size_t n = 0;
    for (; *s && n < max; s++, n++) {
        if (*s == '"' || *s == '\\') fputc('\\', f);
        fputc(*s == '\n' ? ' ' : *s, f);
    }
    if (*s) fputs("...", f);
}

/* The last component of an ONNX name ("/m/layer.0/attn/MatMul_1" ->
   "MatMul_1"); the tooltip keeps the whole name. */
static const char *short_name(const char *s)
{
    const char *p = strrchr(s, '/');
    return p && p[1] ? p + 1 : s;
}

/* sep: ", " inside a node's [...], "; " between a cluster's statements */
static void block_style(FILE *f, const rp_block *b, const char *sep)
{
    fprintf(f, "fillcolor=\"%s\"%scolor=\"%s\"%s", rp_type_fill(b->type), sep,
            b->kind == RP_LAYOUT ? "#c0392b" : rp_type_border(b->type), sep);
    if (b->kind == RP_LAYOUT)
        fprintf(f, "penwidth=3%sstyle=\"filled,dashed,rounded\"", sep);
    else if (b->kind == RP_VIEW)
        fprintf(f, "penwidth=1.5%sstyle=\"filled,dotted,rounded\"", sep);
    else
        fprintf(f, "penwidth=1.5%sstyle=\"filled,rounded\"", sep);
}

static void node_box(FILE *f, const ir_graph *g, int i, const char *prefix, int in_block)
{
    const ir_node *n = &g->node[i];
    char sh[128] = "";
    if (n->nout > 0 && n->out[0] >= 0) dn_shape_str(&g->val[n->out[0]].shape, sh, sizeof sh);
    fprintf(f, "  n%d [id=\"%sn%d\", label=\"", i, prefix, i);
    dot_str(f, n->op, 40);
    fputs("\\n", f);
    dot_str(f, short_name(n->name), 28);
    fputs("\", tooltip=\"", f);
    dot_str(f, n->name, 300);
    fprintf(f, " %s\"%s];\n", sh, in_block ? "" : ", fillcolor=\"#ffffff\"");
}

/* The box that stands for node i in the picture: the node itself, its
   block when blocks are collapsed, or -1 when it is not drawn. */
static int box_of(const rp_view *v, int i, int collapse, const char *drawn)
{
    if (collapse && v->block_of[i] >= 0) {
        int b = v->block_of[i];
        return drawn[v->g->nnode + b] ? v->g->nnode + b : -1;
    }
    return drawn[i] ? i : -1;
}

static void box_name(FILE *f, const rp_view *v, int box)
{
    if (box >= v->g->nnode)
        fprintf(f, "b%d", box - v->g->nnode);
    else
        fprintf(f, "n%d", box);
}

void rp_dot_write(const rp_view *v, const char *prefix, rp_draw *d, FILE *f)
{
    const ir_graph *g = v->g;
    dn_err e;
    int *order = NULL;
    int n = ir_topo_order(g, &order, &e);
    if (n < 0) n = 0;
    int collapse = n > d->max_nodes && v->nblocks > 0;
    /* drawn[]: nodes 0..nnode-1, then blocks */
    char *drawn = calloc((size_t)g->nnode + (size_t)v->nblocks + 1, 1);
    if (!drawn) abort();
    int boxes = 0;
    d->omitted = 0;
    for (int k = 0; k < n; k++) {
        int i = order[k], b = v->block_of[i];
        int box = collapse && b >= 0 ? g->nnode + b : i;
        if (drawn[box]) continue;
        if (boxes >= d->max_nodes) {
            d->omitted++;
            continue;
        }
        drawn[box] = 1;
        boxes++;
    }
    d->collapsed = collapse;
    d->drawn = boxes;

    fputs("digraph G {\n"
          "  graph [fontname=\"Helvetica\", fontsize=10, ranksep=0.3, nodesep=0.25, "
          "bgcolor=\"transparent\"];\n"
          "  node [shape=box, style=\"filled,rounded\", fontname=\"Helvetica\", fontsize=10, "
          "height=0.3, margin=\"0.08,0.03\"];\n"
          "  edge [color=\"#555555\", arrowsize=0.6];\n",
          f);
    /* graph inputs and outputs */
    for (int k = 0; k < g->ninput; k++) {
        const ir_value *x = &g->val[g->input[k]];
        char sh[128];
        fprintf(f,
                "  i%d [id=\"%si%d\", shape=ellipse, style=filled, fillcolor=\"#ffffcc\", "
                "label=\"",
                g->input[k], prefix, g->input[k]);
        dot_str(f, x->name, 28);
        fprintf(f, "\\n%s\"];\n", dn_shape_str(&x->shape, sh, sizeof sh));
    }
    for (int k = 0; k < g->noutput; k++) {
        const ir_value *x = &g->val[g->output[k]];
        fprintf(f,
                "  o%d [id=\"%so%d\", shape=ellipse, style=filled, fillcolor=\"#ffffcc\", "
                "label=\"",
                k, prefix, k);
        dot_str(f, x->name, 28);
        fputs("\"];\n", f);
    }
    /* boxes */
    if (collapse) {
        for (int b = 0; b < v->nblocks; b++) {
            if (!drawn[g->nnode + b]) continue;
            const rp_block *B = &v->blocks[b];
            fprintf(f, "  b%d [id=\"%sb%d\", label=\"#%d %s", b, prefix, b, B->id,
                    B->kind == RP_LAYOUT ? "LAYOUT " : "");
            dot_str(f, B->ops, 40);
            fprintf(f, "\\n%d node%s\", tooltip=\"block %d: %s\", ", B->nnodes,
                    B->nnodes == 1 ? "" : "s", B->id, B->type);
            block_style(f, B, ", ");
            fputs("];\n", f);
        }
    } else {
        for (int b = 0; b < v->nblocks; b++) {
            const rp_block *B = &v->blocks[b];
            int any = 0;
            for (int k = 0; k < B->nnodes; k++)
                any |= drawn[B->nodes[k]];
            if (!any) continue;
            fprintf(f,
                    "  subgraph cluster_b%d {\n  id=\"%sb%d\"; label=\"#%d %s%s\"; "
                    "labeljust=l; fontsize=9; ",
                    b, prefix, b, B->id, B->kind == RP_LAYOUT ? "LAYOUT " : "", B->type);
            block_style(f, B, "; ");
            fputs(";\n  node [fillcolor=\"#ffffff\"];\n", f);
            for (int k = 0; k < B->nnodes; k++)
                if (drawn[B->nodes[k]]) node_box(f, g, B->nodes[k], prefix, 1);
            fputs("  }\n", f);
        }
        for (int k = 0; k < n; k++) {
            int i = order[k];
            if (drawn[i] && v->block_of[i] < 0) node_box(f, g, i, prefix, 0);
        }
    }
    /* edges: one per (producer box, consumer box) pair; constants left out */
    char *seen = NULL;
    size_t nb = (size_t)g->nnode + (size_t)v->nblocks;
    int dedup = collapse && nb <= 4096; /* a bit matrix is cheap at that size */
    if (dedup && !(seen = calloc(nb * nb / 8 + 1, 1))) abort();
    char *seen_in = NULL;
    if (collapse && (size_t)g->nval * nb <= (size_t)1 << 26 &&
        !(seen_in = calloc((size_t)g->nval * nb / 8 + 1, 1)))
        abort();
    for (int k = 0; k < n; k++) {
        int i = order[k];
        int to = box_of(v, i, collapse, drawn);
        if (to < 0) continue;
        const ir_node *x = &g->node[i];
        for (int j = 0; j < x->nin; j++) {
            int val = x->in[j];
            if (val < 0) continue;
            const ir_value *y = &g->val[val];
            if (y->kind == IR_VAL_INPUT) {
                /* a collapsed block reading an input twice: one edge */
                if (seen_in) {
                    size_t bit = (size_t)val * nb + (size_t)to;
                    if (seen_in[bit / 8] & (1 << (bit % 8))) continue;
                    seen_in[bit / 8] |= (char)(1 << (bit % 8));
                }
                fprintf(f, "  i%d -> ", val);
                box_name(f, v, to);
                fputs(";\n", f);
                continue;
            }
            if (y->kind != IR_VAL_NODE || y->producer < 0) continue;
            int from = box_of(v, y->producer, collapse, drawn);
            if (from < 0 || from == to) continue;
            if (seen) {
                size_t bit = (size_t)from * nb + (size_t)to;
                if (seen[bit / 8] & (1 << (bit % 8))) continue;
                seen[bit / 8] |= (char)(1 << (bit % 8));
            }
            fputs("  ", f);
            box_name(f, v, from);
            fputs(" -> ", f);
            box_name(f, v, to);
            char sh[128];
            fputs(" [tooltip=\"", f);
            dot_str(f, y->name, 200);
            fprintf(f, " %s\"];\n", dn_shape_str(&y->shape, sh, sizeof sh));
        }
    }
    for (int k = 0; k < g->noutput; k++) {
        const ir_value *y = &g->val[g->output[k]];
        int from = y->kind == IR_VAL_NODE && y->producer >= 0
                       ? box_of(v, y->producer, collapse, drawn)
                       : -1;
        if (y->kind == IR_VAL_INPUT)
            fprintf(f, "  i%d -> o%d;\n", g->output[k], k);
        else if (from >= 0) {
            fputs("  ", f);
            box_name(f, v, from);
            fprintf(f, " -> o%d;\n", k);
        }
    }
    fputs("}\n", f);
    free(seen);
    free(seen_in);
    free(drawn);
    free(order);
}

/* Reads fd to the end into a malloc'd string. */
static char *read_all(int fd, size_t *len)
{
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    if (!buf) abort();
    for (;;) {
        if (n + 4096 > cap && !(buf = realloc(buf, cap *= 2))) abort();
        ssize_t k = read(fd, buf + n, cap - n - 1);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) break;
        n += (size_t)k;
    }
    buf[n] = 0;
    *len = n;
    return buf;
}

int rp_dot_svg(const char *dot, size_t len, char **svg, dn_err *e)
{
    *svg = NULL;
    /* the DOT text goes through a temporary file, so that writing it and
       reading the SVG cannot block each other on full pipes */
    FILE *in = tmpfile(), *err = tmpfile();
    if (!in || !err) {
        if (in) fclose(in);
        if (err) fclose(err);
        return dn_errf(e, "cannot create a temporary file for Graphviz");
    }
    fwrite(dot, 1, len, in);
    fflush(in);
    rewind(in);
    int out[2];
    if (pipe(out)) {
        fclose(in);
        fclose(err);
        return dn_errf(e, "pipe: %s", strerror(errno));
    }
    pid_t pid = fork();
    if (pid < 0) {
        close(out[0]);
        close(out[1]);
        fclose(in);
        fclose(err);
        return dn_errf(e, "fork: %s", strerror(errno));
    }
    if (pid == 0) {
        dup2(fileno(in), 0);
        dup2(out[1], 1);
        dup2(fileno(err), 2);
        close(out[0]);
        close(out[1]);
        execlp("dot", "dot", "-Tsvg", (char *)NULL);
        _exit(127);
    }
    close(out[1]);
    size_t n;
    char *text = read_all(out[0], &n);
    close(out[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    fclose(in);
    int ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (!ok) {
        char msg[512] = "";
        rewind(err);
        size_t k = fread(msg, 1, sizeof msg - 1, err);
        msg[k] = 0;
        char *nl = strchr(msg, '\n');
        if (nl) *nl = 0;
        fclose(err);
        free(text);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
            return dn_errf(e, "Graphviz 'dot' not found (install the graphviz package)");
        return dn_errf(e, "Graphviz dot failed%s%s", msg[0] ? ": " : "", msg);
    }
    fclose(err);
    char *start = strstr(text, "<svg");
    if (!start) {
        free(text);
        return dn_errf(e, "Graphviz dot wrote no SVG");
    }
    memmove(text, start, strlen(start) + 1);
    *svg = text;
    return 0;
}
