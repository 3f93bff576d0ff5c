/* report_html.c -- the page of `dnnf report`: one self-contained HTML file.
 *
 * Everything it needs is inside it: the two graphs as inline SVG (drawn
 * by Graphviz), the stylesheet and script (report_assets.c), and the data
 * the script reads as one JSON object (the blocks of both plans, the
 * rules that fired with their patterns, the rewrite trace).  No network,
 * no external file: it can be mailed, archived, opened years later.
 *
 * The static parts (summary table, rule statistics) are plain HTML, so
 * the page is readable even with scripts off; the script adds the
 * interactive parts (block panel, trace stepper, rule filter). */
#include "report.h"

#include <stdlib.h>
#include <string.h>

/* Trace records embedded at most: beyond that the page would grow past
   what a browser opens comfortably; the note says the rest is in the
   trace file. */
#define MAX_STEPS 20000

void rp_html_str(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&':
            fputs("&amp;", f);
            break;
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        default:
            fputc(*s, f);
        }
    }
}

/* A JSON string that can sit inside <script>: '<' is written \u003c, so
   no "</script>" or "<!--" can end the element early. */
void rp_js_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20 || c == '<' || c == '>' || c == '&')
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

/* ---- data for the script ---- */

static void json_view(FILE *f, const rp_view *v)
{
    const ir_graph *g = v->g;
    fputs("{\"nodes\":[", f);
    for (int i = 0; i < g->nnode; i++) {
        const ir_node *n = &g->node[i];
        if (i) fputc(',', f);
        if (n->dead) {
            fputs("null", f);
            continue;
        }
        char sh[128] = "";
        if (n->nout > 0 && n->out[0] >= 0) dn_shape_str(&g->val[n->out[0]].shape, sh, sizeof sh);
        fputc('[', f);
        rp_js_str(f, n->op);
        fputc(',', f);
        rp_js_str(f, n->name);
        fputc(',', f);
        rp_js_str(f, sh);
        fprintf(f, ",%d]", v->block_of ? v->block_of[i] : -1);
    }
    fputs("],\"blocks\":[", f);
    for (int b = 0; b < v->nblocks; b++) {
        const rp_block *B = &v->blocks[b];
        fprintf(f, "%s{\"id\":%d,\"kind\":\"%s\",\"type\":", b ? "," : "", B->id,
                B->kind == RP_LAYOUT ? "layout"
                : B->kind == RP_VIEW ? "view"
                                     : "kernel");
        rp_js_str(f, B->type);
        fputs(",\"ops\":", f);
        rp_js_str(f, B->ops);
        fputs(",\"nodes\":[", f);
        for (int k = 0; k < B->nnodes; k++)
            fprintf(f, "%s%d", k ? "," : "", B->nodes[k]);
        fputs("],\"recomp\":[", f);
        for (int k = 0; k < B->nrecomp; k++)
            fprintf(f, "%s%d", k ? "," : "", B->recomp[k]);
        fprintf(f, "],\"flops\":%.0f,\"bytes\":%.0f,\"kernel\":", B->flops, B->bytes);
        if (B->kernel)
            rp_js_str(f, B->kernel);
        else
            fputs("null", f);
        if (B->kernel_note) {
            fputs(",\"kernel_note\":", f);
            rp_js_str(f, B->kernel_note);
        }
        fputc('}', f);
    }
    fputs("]}", f);
}

/* A pattern as a tree for the script's small pictures:
   {"op":"Mul","a":"axes=x","c":[...]} or {"v":"x"} for a leaf. */
static void json_pattern(FILE *f, const gm_expr *x)
{
    char buf[512];
    if (x->kind == GM_APP) {
        fputs("{\"op\":", f);
        if (x->domain && x->domain[0]) {
            snprintf(buf, sizeof buf, "%s::%s", x->domain, x->str);
            rp_js_str(f, buf);
        } else
            rp_js_str(f, x->str);
        size_t k = 0;
        buf[0] = 0;
        for (int i = 0; i < x->nattrs && k < sizeof buf; i++) {
            char v[200];
            k += (size_t)snprintf(buf + k, sizeof buf - k, "%s%s=%s", i ? ", " : "",
                                  x->attrs[i].name, gm_expr_str(x->attrs[i].value, v, sizeof v));
        }
        fputs(",\"a\":", f);
        rp_js_str(f, buf);
        fputs(",\"c\":[", f);
        for (int i = 0; i < x->nargs; i++) {
            if (i) fputc(',', f);
            json_pattern(f, x->args[i]);
        }
        fputs("]}", f);
        return;
    }
    fputs("{\"v\":", f);
    rp_js_str(f, x->kind == GM_OMIT ? "_" : gm_expr_str(x, buf, sizeof buf));
    fputc('}', f);
}

static const gm_rule *find_rule(const gm_rules *R, const char *name)
{
    for (int i = 0; i < gm_rules_nrules(R); i++)
        if (!strcmp(gm_rules_rule(R, i)->name, name)) return gm_rules_rule(R, i);
    return NULL;
}

static void json_rules(FILE *f, const rp_model *m)
{
    fputs("{", f);
    int first = 1;
    for (int i = 0; m->have_res && i < m->res.nrules; i++) {
        const eg_rule_stats *s = &m->res.rules[i];
        const gm_rule *r = find_rule(m->rules, s->name);
        char key[300], buf[2048];
        snprintf(key, sizeof key, "%s %s", s->name, s->dir ? "<=" : "=>");
        if (!first) fputc(',', f);
        first = 0;
        rp_js_str(f, key);
        fputs(":{\"name\":", f);
        rp_js_str(f, s->name);
        fprintf(f, ",\"dir\":\"%s\",\"loc\":", s->dir ? "<=" : "=>");
        rp_js_str(f, s->loc);
        fprintf(f, ",\"matches\":%d,\"applied\":%d,\"bans\":%d", s->matches, s->applied, s->bans);
        if (r) {
            /* read right to left, a <=> rule's "before" is its right side */
            const gm_expr *from = s->dir ? r->rhs : r->lhs, *to = s->dir ? r->lhs : r->rhs;
            fputs(",\"from\":", f);
            rp_js_str(f, gm_expr_str(from, buf, sizeof buf));
            fputs(",\"to\":", f);
            rp_js_str(f, gm_expr_str(to, buf, sizeof buf));
            if (r->guard) {
                fputs(",\"guard\":", f);
                rp_js_str(f, gm_expr_str(r->guard, buf, sizeof buf));
            }
            fputs(",\"lhs\":", f);
            json_pattern(f, from);
            fputs(",\"rhs\":", f);
            json_pattern(f, to);
        }
        fputc('}', f);
    }
    fputs("}", f);
}

/* The trace's records, one per line, each already a JSON object: they are
   copied, not parsed, with '<' escaped (only ever inside strings). */
static int json_trace(FILE *f, const rp_model *m)
{
    fputs("[", f);
    int steps = 0, left = 0, first = 1;
    const char *p = m->trace, *end = m->trace ? m->trace + m->trace_len : NULL;
    while (p && p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl) nl = end;
        int rewrite = !strncmp(p, "{\"type\":\"rewrite\"", 17);
        if (rewrite && steps >= MAX_STEPS)
            left++;
        else if (nl > p && *p == '{') {
            steps += rewrite;
            if (!first) fputs(",\n", f);
            first = 0;
            for (const char *q = p; q < nl; q++) {
                if (*q == '<')
                    fputs("\\u003c", f);
                else if (*q == '>')
                    fputs("\\u003e", f);
                else
                    fputc(*q, f);
            }
        }
        p = nl + 1;
    }
    fputs("]", f);
    return left;
}

/* ---- static HTML ---- */

static void fmt_bytes(char *buf, size_t n, double b)
{
    if (b >= 1e6)
        snprintf(buf, n, "%.2f MB", b / 1e6);
    else if (b >= 1e3)
        snprintf(buf, n, "%.1f kB", b / 1e3);
    else
        snprintf(buf, n, "%.0f B", b);
}

static void summary_row(FILE *f, const rp_model *m, const char *what, const rp_view *v)
{
    const rp_summary *s = &v->s;
    char irs[64], unf[64];
    fprintf(f, "<tr><th>%s</th><td>%d</td><td>%d</td>", what, s->nodes, s->compute_ops);
    if (s->have) {
        fmt_bytes(irs, sizeof irs, (double)s->irs_bytes);
        fmt_bytes(unf, sizeof unf, (double)s->irs_bytes_unfused);
        fprintf(f,
                "<td>%d</td><td>%.2fx</td><td>%d</td><td>%d</td><td title=\"%lld bytes\">%s</td>"
                "<td title=\"%lld bytes\">%s</td><td>%.4g</td><td>%d</td>",
                s->kernels, rp_fusion_rate(m, s), s->layout_kernels, s->view_blocks, s->irs_bytes,
                irs, s->irs_bytes_unfused, unf, s->flops / 1e9, s->recomputed);
    } else
        fputs("<td colspan=\"8\" class=\"muted\">not planned: this dnnf was built without "
              "fusion/</td>",
              f);
    fputs("</tr>\n", f);
}

static void summary_table(FILE *f, const rp_model *m)
{
    fputs("<section id=\"summary\"><h2>Fusion summary</h2>\n"
          "<table class=\"num\"><thead><tr><th></th><th>nodes</th><th>compute_ops</th>"
          "<th>kernels</th><th>fusion_rate</th><th>layout_kernels</th><th>view_blocks</th>"
          "<th>irs_bytes</th><th>irs_bytes_unfused</th><th>GFLOPs</th><th>recomputed</th>"
          "</tr></thead><tbody>\n",
          f);
    summary_row(f, m, "as given (folded)", &m->before);
    summary_row(f, m, "after rewriting", &m->after);
    fputs("</tbody></table>\n", f);
    fprintf(f,
            "<p class=\"muted\">The model as given has %d compute ops (%d nodes) before folding; "
            "fusion_rate = compute ops as given &divide; kernels (GUIDE &sect;7). ",
            m->given, m->nodes_given);
    if (m->have_res)
        fprintf(f,
                "Rewriting: %d rewrites in %d iterations, %d e-nodes, stop: %s. "
                "optimize_ms %.1f (load %.1f, rewrite %.1f, fuse %.1f).",
                m->res.applied, m->res.iterations, m->res.enodes, eg_stop_name(m->res.stop),
                m->optimize_ms, m->load_ms, m->rewrite_ms, m->fuse_ms);
    fputs("</p></section>\n", f);
}

static void rule_table(FILE *f, const rp_model *m)
{
    int fired = 0, total = m->have_res ? m->res.nrules : 0;
    int *ord = malloc(((size_t)total + 1) * sizeof *ord);
    if (!ord) abort();
    for (int i = 0; i < total; i++)
        if (m->res.rules[i].applied || m->res.rules[i].matches || m->res.rules[i].bans)
            ord[fired++] = i;
    /* most applied first; ties in declaration order (insertion sort: stable) */
    for (int i = 1; i < fired; i++)
        for (int j = i; j > 0 && m->res.rules[ord[j]].applied > m->res.rules[ord[j - 1]].applied;
             j--) {
            int t = ord[j];
            ord[j] = ord[j - 1];
            ord[j - 1] = t;
        }
    int maxa = fired ? m->res.rules[ord[0]].applied : 0;
    fprintf(f,
            "<section id=\"rules\"><h2>Per-rule statistics</h2>\n<p class=\"muted\">%d of %d "
            "rule directions matched; applied = rewrites that changed the e-graph, matches = "
            "guard-passing matches, bans = backoff bans. Click a rule to filter the trace.</p>\n"
            "<table class=\"num\" id=\"rule-table\"><thead><tr><th>rule</th><th>dir</th>"
            "<th>where</th><th>applied</th><th></th><th>matches</th><th>bans</th></tr></thead>"
            "<tbody>\n",
            fired, total);
    for (int k = 0; k < fired; k++) {
        const eg_rule_stats *s = &m->res.rules[ord[k]];
        fputs("<tr><td><a href=\"#trace\" class=\"rule-link\" data-rule=\"", f);
        rp_html_str(f, s->name);
        fputs("\">", f);
        rp_html_str(f, s->name);
        fprintf(f, "</a></td><td>%s</td><td class=\"l\"><code>", s->dir ? "&lt;=" : "=&gt;");
        rp_html_str(f, s->loc);
        fprintf(f,
                "</code></td><td>%d</td><td class=\"bar\"><span style=\"width:%.0f%%\"></span>"
                "</td><td>%d</td><td>%d</td></tr>\n",
                s->applied, maxa ? 100.0 * s->applied / maxa : 0, s->matches, s->bans);
    }
    fputs("</tbody></table></section>\n", f);
    free(ord);
}

static void legend(FILE *f)
{
    static const char *types[] = {"one_to_one", "reorganize", "shuffle", "one_to_many",
                                  "many_to_many"};
    fputs("<div class=\"legend\">Blocks by mapping type:", f);
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        fprintf(f, " <span class=\"swatch\" style=\"background:%s;border-color:%s\">%s</span>",
                rp_type_fill(types[i]), rp_type_border(types[i]), types[i]);
    fputs(" <span class=\"swatch layout\">layout kernel</span>"
          " <span class=\"swatch view\">view block (no launch)</span>"
          " <span class=\"swatch plain\">node in no block</span></div>\n",
          f);
}

static void graph_div(FILE *f, const char *id, const char *title, const rp_view *v, const char *svg,
                      const rp_draw *d, const char *msg)
{
    fprintf(f, "<div class=\"graph\" id=\"%s\"><h3>%s: %d nodes", id, title, v->s.nodes);
    if (v->s.have) fprintf(f, ", %d blocks, %d kernels", v->nblocks, v->s.kernels);
    fputs("</h3>\n<div class=\"zoom\"><button data-zoom=\"0.8\">&minus;</button>"
          "<button data-zoom=\"1.25\">+</button><button data-zoom=\"fit\">fit</button></div>\n",
          f);
    if (d && d->collapsed)
        fprintf(f,
                "<p class=\"note\">Large graph: %d nodes are more than the drawing limit (%d), so "
                "each fusion block is drawn as one box. The block panel lists every node.</p>\n",
                v->s.nodes, d->max_nodes);
    if (d && d->omitted)
        fprintf(f,
                "<p class=\"note\">Drawing limit: only the first %d boxes (in topological order) "
                "are drawn; %d more are left out. Raise it with --max-draw.</p>\n",
                d->drawn, d->omitted);
    if (svg) {
        fputs("<div class=\"svgbox\">", f);
        fputs(svg, f);
        fputs("</div>\n", f);
    } else {
        fputs("<p class=\"note\">No picture: ", f);
        rp_html_str(f, msg ? msg : "Graphviz failed");
        fputs("</p>\n", f);
    }
    fputs("</div>\n", f);
}

int rp_html_write(const rp_model *m, const char *svg_a, const rp_draw *da, const char *svg_b,
                  const rp_draw *db, const char *dot_msg, FILE *f)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
          "<title>dnnf report: ",
          f);
    rp_html_str(f, m->path);
    fputs("</title>\n<style>\n", f);
    fputs(rp_css, f);
    fputs("</style>\n</head>\n<body>\n<header><h1>dnnf report: <code>", f);
    rp_html_str(f, m->path);
    fputs("</code></h1>\n<nav><a href=\"#summary\">summary</a> <a href=\"#graphs\">graphs</a> "
          "<a href=\"#trace\">rewrite trace</a> <a href=\"#rules\">rule statistics</a></nav>"
          "</header>\n<main>\n",
          f);
    summary_table(f, m);

    fputs("<section id=\"graphs\"><h2>The graph before and after</h2>\n", f);
    legend(f);
    fputs("<p class=\"muted\">Click a block (or a node) to see its nodes and its kernel.</p>\n"
          "<div class=\"graphs\">\n",
          f);
    graph_div(f, "graph-a", "As given (folded)", &m->before, svg_a, da, dot_msg);
    graph_div(f, "graph-b", "After rewriting", &m->after, svg_b, db, dot_msg);
    fputs("</div>\n<div id=\"block-panel\" class=\"panel\"><p class=\"muted\">No block selected."
          "</p></div>\n</section>\n",
          f);

    fputs("<section id=\"trace\"><h2>Rewrite trace</h2>\n"
          "<div class=\"controls\"><label>rule <select id=\"rule-filter\"><option value=\"\">"
          "all rules</option></select></label> <button id=\"step-prev\">&larr; previous</button>"
          " <button id=\"step-next\">next &rarr;</button> <span id=\"step-count\"></span></div>\n"
          "<div class=\"trace\"><ol id=\"steps\"></ol><div id=\"step-detail\" class=\"panel\">"
          "<p class=\"muted\">Choose a step.</p></div></div>\n",
          f);
    fputs("<p class=\"muted\" id=\"trace-note\"></p>\n</section>\n", f);
    rule_table(f, m);
    fputs("</main>\n<pre id=\"selftest-result\" hidden></pre>\n", f);

    /* the data, then the code that reads it */
    fputs("<script id=\"dnnf-data\">\nconst DNNF = {\"model\":", f);
    rp_js_str(f, m->path);
    fprintf(f, ",\n\"fusion\":%s,\n\"a\":", rp_have_fusion() ? "true" : "false");
    json_view(f, &m->before);
    fprintf(f, ",\n\"a_collapsed\":%s,\n\"b\":", da && da->collapsed ? "true" : "false");
    json_view(f, &m->after);
    fprintf(f, ",\n\"b_collapsed\":%s,\n\"rules\":", db && db->collapsed ? "true" : "false");
    json_rules(f, m);
    fputs(",\n\"trace\":", f);
    int left = json_trace(f, m);
    fprintf(f, ",\n\"trace_left\":%d};\n</script>\n<script>\n", left);
    fputs(rp_js, f);
    fputs("</script>\n</body>\n</html>\n", f);
    return ferror(f) ? -1 : 0;
}

/* DOT of v, through Graphviz; NULL with *msg set when that fails. */
static char *draw(const rp_view *v, const char *prefix, rp_draw *d, dn_err *msg)
{
    char *dot = NULL, *svg = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&dot, &len);
    if (!f) {
        dn_errf(msg, "out of memory");
        return NULL;
    }
    rp_dot_write(v, prefix, d, f);
    fclose(f);
    if (rp_dot_svg(dot, len, &svg, msg)) svg = NULL;
    free(dot);
    return svg;
}

int rp_report_write(const rp_model *m, const char *path, int max_nodes, dn_err *warn, dn_err *e)
{
    rp_draw da = {.max_nodes = max_nodes}, db = {.max_nodes = max_nodes};
    dn_err ma, mb;
    ma.msg[0] = mb.msg[0] = 0;
    char *sa = draw(&m->before, "a", &da, &ma);
    char *sb = draw(&m->after, "b", &db, &mb);
    snprintf(warn->msg, sizeof warn->msg, "%s", ma.msg[0] ? ma.msg : mb.msg);
    rp_file o;
    int rc = rp_file_open(&o, path, e);
    if (!rc) {
        rp_html_write(m, sa, &da, sb, &db, ma.msg[0] ? ma.msg : mb.msg, o.f);
        rc = rp_file_commit(&o, e);
    }
    free(sa);
    free(sb);
    return rc;
}
