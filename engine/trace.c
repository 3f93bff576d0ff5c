/* trace.c -- the rewrite trace: JSON Lines written by `dnnf optimize
 * --trace FILE`, explained in plain text by `dnnf trace FILE`.
 *
 * One record per line, each an object with a "type" (docs/engine.md has
 * every field):
 *
 *   rewrite    one applied rewrite: rule, loc (file:line), dir ("=>", or
 *              "<=" for a <=> rule read right to left), iter, the class
 *              matched, the matched e-nodes with the ONNX node each came
 *              from (or the rewrite that made it: "from"), the e-nodes
 *              added, and "text", the sentence `dnnf trace` prints;
 *   iteration  statistics of one saturation iteration;
 *   stop       why saturation stopped, and the totals;
 *   node       a node of the extracted graph that rules produced: its
 *              name and operator, the ONNX nodes it replaces ("onnx") and
 *              every rule on the way ("rules").
 *
 * Only rewrites that changed the e-graph are recorded (a union of two
 * classes already equal is not a rewrite).  Provenance follows the
 * records backwards: a node made by a rule whose match used nodes made by
 * other rules comes from the union of their ONNX nodes. */
#include "egraph_impl.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void jstr(FILE *f, const char *s)
{
    fputc('"', f);
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", f);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

static const char *node_op(eg_graph *E, int id)
{
    const eg_node *n = &E->node[id];
    if (n->kind == EG_INPUT) return "input";
    if (n->kind == EG_CONST) return "constant";
    return E->ops[n->op]->name;
}

/* ------------------------------------------------------------------ */
/* Provenance                                                          */
/* ------------------------------------------------------------------ */

typedef struct prov {
    eg_graph *E;
    eg_matcher *M;
    char *names;
    size_t nn, ln;
    char *rules;
    size_t nr, lr;
    unsigned char *seen_rec;
    int count;
} prov;

static void append(char *buf, size_t cap, size_t *len, const char *s)
{
    /* unique items, ", "-separated */
    size_t n = strlen(s);
    const char *p = buf;
    while ((p = strstr(p, s)) != NULL) {
        if ((p == buf || (p >= buf + 2 && p[-2] == ',' && p[-1] == ' ')) &&
            (p[n] == 0 || (p[n] == ',' && p[n + 1] == ' ')))
            return;
        p += n;
    }
    if (*len + n + 3 >= cap) return;
    if (*len) {
        memcpy(buf + *len, ", ", 2);
        *len += 2;
    }
    memcpy(buf + *len, s, n + 1);
    *len += n;
}

static void prov_node(prov *P, int id, int depth);

static void prov_rec(prov *P, int r, int depth)
{
    if (r < 0 || P->seen_rec[r] || depth > 200) return;
    P->seen_rec[r] = 1;
    const eg_record *R = &P->E->rec[r];
    eg_rule *rule = eg_matcher_rule(P->M, R->rule);
    char buf[400];
    snprintf(buf, sizeof buf, "%s (%s)", rule->name, rule->loc);
    for (int i = 0; i < R->nmatched; i++)
        prov_node(P, R->matched[i], depth + 1);
    append(P->rules, P->nr, &P->lr, buf);
}

static void prov_node(prov *P, int id, int depth)
{
    const eg_node *n = &P->E->node[id];
    if (n->origin >= 0)
        append(P->names, P->nn, &P->ln, P->E->src->node[n->origin].name);
    else if (n->record >= 0)
        prov_rec(P, n->record, depth);
}

void eg_provenance(eg_graph *E, eg_matcher *M, int enode, char *names, size_t nn, char *rules,
                   size_t nr)
{
    prov P = {E, M, names, nn, 0, rules, nr, 0, calloc((size_t)E->nrec + 1, 1), 0};
    if (!P.seen_rec) abort();
    names[0] = rules[0] = 0;
    prov_node(&P, enode, 0);
    free(P.seen_rec);
}

/* "/a/Mul_3 and /a/Erf_2" from "/a/Mul_3, /a/Erf_2" */
static void and_list(const char *in, char *out, size_t n)
{
    const char *last = NULL;
    for (const char *p = in; (p = strstr(p, ", ")) != NULL; p += 2)
        last = p;
    if (!last) {
        snprintf(out, n, "%s", in);
        return;
    }
    snprintf(out, n, "%.*s and %s", (int)(last - in), in, last + 2);
}

/* ------------------------------------------------------------------ */
/* Writing                                                             */
/* ------------------------------------------------------------------ */

static void jlist(FILE *f, const char *s, char *tmp, size_t nb)
{
    /* a ", "-joined list as a JSON array */
    int k = 0;
    fputc('[', f);
    while (*s) {
        const char *e = strstr(s, ", ");
        size_t L = e ? (size_t)(e - s) : strlen(s);
        snprintf(tmp, nb, "%.*s", (int)L, s);
        if (k++) fputc(',', f);
        jstr(f, tmp);
        s += L;
        if (*s) s += 2;
    }
    fputc(']', f);
}

/* Source nodes that are not in the result and that no `node` record
   accounts for: the rewrites that merged their value with something
   else (an input, a constant, another node). */
static void write_removed(eg_graph *E, eg_matcher *M, const ir_graph *out, const int *enode_of,
                          FILE *f, char *names, char *rules, char *text, char *tmp, size_t NB)
{
    const ir_graph *src = E->src;
    unsigned char *present = calloc((size_t)src->nnode + 1, 1);
    int *cls_node = malloc((size_t)E->ncls * sizeof *cls_node + 1);
    if (!present || !cls_node) abort();
    for (int c = 0; c < E->ncls; c++)
        cls_node[c] = -1;
    for (int i = 0; i < out->nnode; i++) {
        int id = enode_of[i];
        if (id < 0) continue;
        cls_node[eg_find(E, E->node[id].cls)] = i;
        if (E->node[id].origin >= 0)
            present[E->node[id].origin] = 1;
        else if (E->node[id].record >= 0) {
            /* covered by this node's record: its provenance */
            eg_provenance(E, M, id, names, NB, rules, NB);
            for (int s = 0; s < src->nnode; s++)
                if (!present[s] && !src->node[s].dead) {
                    const char *nm = src->node[s].name, *p = names;
                    size_t L = strlen(nm);
                    while ((p = strstr(p, nm)) != NULL) {
                        if ((p == names || p[-1] == ' ') && (p[L] == 0 || p[L] == ',')) {
                            present[s] = 2;
                            break;
                        }
                        p += L;
                    }
                }
        }
    }
    /* the e-node each source node became, by its origin */
    int *enode_of_src = malloc((size_t)src->nnode * sizeof(int) + 1);
    if (!enode_of_src) abort();
    for (int s = 0; s < src->nnode; s++)
        enode_of_src[s] = -1;
    for (int i = 0; i < E->nnode; i++)
        if (E->node[i].origin >= 0 && enode_of_src[E->node[i].origin] < 0)
            enode_of_src[E->node[i].origin] = i;
    for (int s = 0; s < src->nnode; s++) {
        if (present[s] || src->node[s].dead || enode_of_src[s] < 0) continue;
        int id = enode_of_src[s], c = eg_find(E, E->node[id].cls);
        size_t lr = 0;
        rules[0] = 0;
        for (int pass = 0; pass < 2 && !lr; pass++)
            for (int r = 0; r < E->nrec; r++) {
                const eg_record *R = &E->rec[r];
                /* first the rewrites of this node's own value, then any that used it */
                int hit = pass == 0 ? (R->nmatched && R->matched[0] == id) : 0;
                for (int k = 0; pass == 1 && k < R->nmatched && !hit; k++)
                    hit = R->matched[k] == id;
                if (!hit) continue;
                eg_rule *rule = eg_matcher_rule(M, R->rule);
                char buf[400];
                snprintf(buf, sizeof buf, "%s (%s)", rule->name, rule->loc);
                append(rules, NB, &lr, buf);
            }
        if (!lr) continue; /* dropped by folding or unused: no rule to name */
        char now[1200];
        if (cls_node[c] >= 0)
            snprintf(now, sizeof now, "its value is now computed by '%s' (%s)",
                     out->node[cls_node[c]].name, out->node[cls_node[c]].op);
        else if (E->cls[c].cst >= 0)
            snprintf(now, sizeof now, "its value is now a constant");
        else if (E->cls[c].has_leaf)
            snprintf(now, sizeof now, "its value is now a graph input");
        else
            snprintf(now, sizeof now, "its value is no longer needed");
        fprintf(f, "{\"type\":\"removed\",\"onnx\":");
        jstr(f, src->node[s].name);
        fprintf(f, ",\"op\":");
        jstr(f, src->node[s].op);
        fprintf(f, ",\"rules\":");
        jlist(f, rules, tmp, NB);
        snprintf(text, 2 * NB, "%s (%s) was removed by rule %s; %s", src->node[s].name,
                 src->node[s].op, rules, now);
        fprintf(f, ",\"text\":");
        jstr(f, text);
        fprintf(f, "}\n");
    }
    free(present);
    free(cls_node);
    free(enode_of_src);
}

void eg_trace_write(eg_graph *E, eg_matcher *M, const ir_graph *out, const int *enode_of,
                    const eg_result *res, FILE *f)
{
    static const size_t NB = 8192;
    char *names = malloc(NB), *rules = malloc(NB), *text = malloc(2 * NB), *tmp = malloc(NB);
    if (!names || !rules || !text || !tmp) abort();
    fprintf(f, "{\"type\":\"start\",\"graph\":");
    jstr(f, E->src->name ? E->src->name : "");
    fprintf(f, ",\"nodes\":%d,\"compute_ops\":%d}\n", ir_count_nodes(E->src, 0), res->nodes_before);
    for (int r = 0; r < E->nrec; r++) {
        const eg_record *R = &E->rec[r];
        eg_rule *rule = eg_matcher_rule(M, R->rule);
        fprintf(f, "{\"type\":\"rewrite\",\"id\":%d,\"rule\":", r);
        jstr(f, rule->name);
        fprintf(f, ",\"loc\":");
        jstr(f, rule->loc);
        fprintf(f, ",\"dir\":\"%s\",\"iter\":%d,\"class\":%d,\"matched\":[",
                rule->dir ? "<=" : "=>", R->iter, R->cls);
        size_t ln = 0;
        names[0] = 0;
        for (int i = 0; i < R->nmatched; i++) {
            const eg_node *n = &E->node[R->matched[i]];
            fprintf(f, "%s{\"enode\":%d,\"op\":", i ? "," : "", R->matched[i]);
            jstr(f, node_op(E, R->matched[i]));
            if (n->origin >= 0) {
                fprintf(f, ",\"onnx\":");
                jstr(f, E->src->node[n->origin].name);
                append(names, NB, &ln, E->src->node[n->origin].name);
            } else if (n->record >= 0) {
                fprintf(f, ",\"from\":%d", n->record);
                snprintf(tmp, NB, "%s made by rewrite %d", node_op(E, R->matched[i]), n->record);
                append(names, NB, &ln, tmp);
            }
            fputc('}', f);
        }
        fprintf(f, "],\"added\":[");
        const char *became = NULL;
        for (int j = R->first_new, k = 0; j < R->last_new; j++) {
            if (E->node[j].record != r) continue;
            fprintf(f, "%s{\"enode\":%d,\"op\":", k++ ? "," : "", j);
            jstr(f, node_op(E, j));
            fputc('}', f);
            if (E->node[j].kind == EG_OPNODE) became = node_op(E, j); /* the root comes last */
        }
        char list[NB];
        and_list(names, list, sizeof list);
        if (became)
            snprintf(text, 2 * NB, "%s became %s by rule %s, %s", list, became, rule->name,
                     rule->loc);
        else
            snprintf(text, 2 * NB, "%s became an existing value by rule %s, %s", list, rule->name,
                     rule->loc);
        fprintf(f, "],\"text\":");
        jstr(f, text);
        fprintf(f, "}\n");
    }
    for (int i = 0; i < res->niter; i++) {
        const eg_iter_stats *s = &res->iter[i];
        fprintf(f,
                "{\"type\":\"iteration\",\"iter\":%d,\"matches\":%d,\"applied\":%d,\"rejected\":%d,"
                "\"capped\":%d,"
                "\"banned\":%d,\"enodes\":%d,\"eclasses\":%d,\"search_ms\":%.3f,\"apply_ms\":%.3f,"
                "\"rebuild_ms\":%.3f}\n",
                s->iter, s->matches, s->applied, s->rejected, s->capped, s->banned, s->nodes,
                s->classes, s->search_ms, s->apply_ms, s->rebuild_ms);
    }
    fprintf(f, "{\"type\":\"stop\",\"reason\":");
    jstr(f, eg_stop_name(res->stop));
    fprintf(
        f,
        ",\"iterations\":%d,\"enodes\":%d,\"eclasses\":%d,\"applied\":%d,\"saturate_ms\":%.3f}\n",
        res->iterations, res->enodes, res->eclasses, res->applied, res->saturate_ms);
    for (int i = 0; i < out->nnode; i++) {
        int id = enode_of[i];
        if (id < 0 || E->node[id].origin >= 0 || E->node[id].record < 0) continue;
        eg_provenance(E, M, id, names, NB, rules, NB);
        const ir_node *n = &out->node[i];
        fprintf(f, "{\"type\":\"node\",\"name\":");
        jstr(f, n->name);
        fprintf(f, ",\"op\":");
        jstr(f, n->op);
        fprintf(f, ",\"onnx\":[");
        /* names and rules are ", "-joined: write them as arrays */
        for (int pass = 0; pass < 2; pass++) {
            const char *s = pass ? rules : names;
            int k = 0;
            while (*s) {
                const char *e = strstr(s, ", ");
                size_t L = e ? (size_t)(e - s) : strlen(s);
                snprintf(tmp, NB, "%.*s", (int)L, s);
                if (k++) fputc(',', f);
                jstr(f, tmp);
                s += L;
                if (*s) s += 2;
            }
            fprintf(f, pass ? "]" : "],\"rules\":[");
        }
        char list[NB];
        and_list(names, list, sizeof list);
        snprintf(text, 2 * NB, "%s became %s%s%s '%s' by rule %s", list[0] ? list : "(constants)",
                 n->domain[0] ? n->domain : "", n->domain[0] ? "::" : "", n->op, n->name, rules);
        fprintf(f, ",\"text\":");
        jstr(f, text);
        fprintf(f, "}\n");
    }
    write_removed(E, M, out, enode_of, f, names, rules, text, tmp, NB);
    free(names);
    free(rules);
    free(text);
    free(tmp);
}

/* ------------------------------------------------------------------ */
/* Reading: a small JSON reader for the records above                  */
/* ------------------------------------------------------------------ */

typedef struct jrec {
    char type[32], rule[256], text[8192], name[1024], reason[64];
    char onnx[8192]; /* every string under "onnx", '\n'-separated */
    int iter;
} jrec;

static const char *skip_ws(const char *p)
{
    while (*p && isspace((unsigned char)*p))
        p++;
    return p;
}

/* Reads a JSON string at p (after the quote) into out; returns the end. */
static const char *jread_str(const char *p, char *out, size_t n)
{
    size_t k = 0;
    while (*p && *p != '"') {
        char c = *p++;
        if (c == '\\' && *p) {
            c = *p++;
            if (c == 'n')
                c = '\n';
            else if (c == 'u') {
                unsigned v = 0;
                for (int i = 0; i < 4 && isxdigit((unsigned char)*p); i++, p++)
                    v = v * 16 + (unsigned)(isdigit((unsigned char)*p)
                                                ? *p - '0'
                                                : (tolower((unsigned char)*p) - 'a' + 10));
                c = v < 128 ? (char)v : '?';
            }
        }
        if (k + 1 < n) out[k++] = c;
    }
    if (n) out[k] = 0;
    return *p == '"' ? p + 1 : p;
}

/* Skips any JSON value; collects strings into `collect` when given. */
static const char *jskip(const char *p, char *collect, size_t n, int depth)
{
    p = skip_ws(p);
    if (depth > 64) return NULL;
    if (*p == '"') {
        char tmp[1024];
        p = jread_str(p + 1, tmp, sizeof tmp);
        if (collect) {
            size_t L = strlen(collect);
            snprintf(collect + L, n - L, "%s\n", tmp);
        }
        return p;
    }
    if (*p == '{' || *p == '[') {
        char close = *p == '{' ? '}' : ']';
        p = skip_ws(p + 1);
        while (p && *p && *p != close) {
            if (close == '}') {
                if (*p != '"') return NULL;
                char key[64];
                p = skip_ws(jread_str(p + 1, key, sizeof key));
                if (*p != ':') return NULL;
                p++;
                /* inside objects of an "onnx" array only the onnx strings count */
                p = jskip(p, collect && !strcmp(key, "onnx") ? collect : NULL, n, depth + 1);
            } else
                p = jskip(p, collect, n, depth + 1);
            if (!p) return NULL;
            p = skip_ws(p);
            if (*p == ',') p = skip_ws(p + 1);
        }
        return p && *p == close ? p + 1 : NULL;
    }
    while (*p && *p != ',' && *p != '}' && *p != ']')
        p++;
    return p;
}

static int jparse(const char *line, jrec *r)
{
    memset(r, 0, sizeof *r);
    const char *p = skip_ws(line);
    if (*p != '{') return -1;
    p = skip_ws(p + 1);
    while (*p && *p != '}') {
        if (*p != '"') return -1;
        char key[64];
        p = skip_ws(jread_str(p + 1, key, sizeof key));
        if (*p != ':') return -1;
        p = skip_ws(p + 1);
        char *dst = NULL;
        size_t dn = 0;
        if (!strcmp(key, "type"))
            dst = r->type, dn = sizeof r->type;
        else if (!strcmp(key, "rule"))
            dst = r->rule, dn = sizeof r->rule;
        else if (!strcmp(key, "text"))
            dst = r->text, dn = sizeof r->text;
        else if (!strcmp(key, "name"))
            dst = r->name, dn = sizeof r->name;
        else if (!strcmp(key, "reason"))
            dst = r->reason, dn = sizeof r->reason;
        if (dst && *p == '"')
            p = jread_str(p + 1, dst, dn);
        else if (!strcmp(key, "iter") || !strcmp(key, "iterations")) {
            r->iter = atoi(p);
            p = jskip(p, NULL, 0, 0);
        } else if (!strcmp(key, "onnx") || !strcmp(key, "matched"))
            p = jskip(p, r->onnx, sizeof r->onnx, 0);
        else
            p = jskip(p, NULL, 0, 0);
        if (!p) return -1;
        p = skip_ws(p);
        if (*p == ',') p = skip_ws(p + 1);
    }
    return r->type[0] ? 0 : -1;
}

static int has_line(const char *list, const char *s)
{
    size_t n = strlen(s);
    for (const char *p = list; (p = strstr(p, s)) != NULL; p++)
        if ((p == list || p[-1] == '\n') && p[n] == '\n') return 1;
    return 0;
}

int eg_trace_explain(const char *path, const char *rule, const char *node, FILE *out, dn_err *e)
{
    FILE *f = fopen(path, "r");
    if (!f) return dn_errf(e, "%s: cannot open: %s", path, strerror(errno));
    size_t cap = 1 << 16;
    char *line = malloc(cap);
    jrec *r = malloc(sizeof *r);
    if (!line || !r) abort();
    int lineno = 0, shown = 0, rewrites = 0, rc = 0;
    char stop[256] = "";
    for (;;) {
        /* whole lines, however long */
        size_t len = 0;
        int got = 0;
        while (fgets(line + len, (int)(cap - len), f)) {
            got = 1;
            len += strlen(line + len);
            if (len && line[len - 1] == '\n') break;
            if (len + 1 >= cap) {
                cap *= 2;
                line = realloc(line, cap);
                if (!line) abort();
            }
        }
        if (!got) break;
        lineno++;
        if (!line[strspn(line, " \t\r\n")]) continue;
        if (jparse(line, r)) {
            rc = dn_errf(e, "%s:%d: not a trace record", path, lineno);
            break;
        }
        if (!strcmp(r->type, "rewrite")) {
            rewrites++;
            if (rule && strcmp(rule, r->rule)) continue;
            if (node && !has_line(r->onnx, node)) continue;
            if (!rule && !node) continue; /* the summary shows the final nodes instead */
            fprintf(out, "iteration %d: %s\n", r->iter, r->text);
            shown++;
        } else if (!strcmp(r->type, "node") || !strcmp(r->type, "removed")) {
            if (rule && !strstr(r->text, rule)) continue;
            if (node && strcmp(node, r->name) && !has_line(r->onnx, node)) continue;
            if (rule && !strstr(r->text, rule)) continue;
            fprintf(out, "%s\n", r->text);
            shown++;
        } else if (!strcmp(r->type, "stop"))
            snprintf(stop, sizeof stop, "stopped: %s after %d iteration%s, %d rewrites", r->reason,
                     r->iter, r->iter == 1 ? "" : "s", rewrites);
    }
    fclose(f);
    free(line);
    free(r);
    if (rc) return -1;
    if (!lineno) return dn_errf(e, "%s: empty trace", path);
    if (!shown) {
        if (rule || node)
            fprintf(out, "no record matches%s%s%s%s\n", rule ? " rule " : "", rule ? rule : "",
                    node ? " node " : "", node ? node : "");
        else
            fprintf(out, "no rule changed the extracted graph\n");
    }
    if (stop[0] && !rule && !node) fprintf(out, "%s\n", stop);
    return 0;
}
