/* show.c -- `dnnf rules show`: the lattice, the fusion table and the
 * layout edge table as a reader wants to see them, i.e. as tables, with
 * every cell resolved through the same look-ups (gm_rules_fuse,
 * gm_rules_edge_action) that fusion/ and layout/ use, so wildcards and
 * overrides show as they will act. */
#include "internal.h"

#include <string.h>

void rl_show(const gm_rules *r, FILE *f)
{
    int nm = gm_rules_nmapping(r);
    fprintf(f, "mapping lattice (least to most complex):\n  ");
    int last = -1;
    for (int i = 0; i < nm; i++) {
        int lv;
        const char *name = gm_rules_mapping(r, i, &lv);
        fprintf(f, "%s%s", i == 0 ? "" : lv == last ? ", " : " < ", name);
        last = lv;
    }
    fprintf(f, "%s\n\n", nm ? "" : "(none)");

    fprintf(f, "fusion table (row: first operator, column: second; verdict -> block type):\n");
    fprintf(f, "  %-14s", "");
    for (int j = 0; j < nm; j++)
        fprintf(f, " %-22s", gm_rules_mapping(r, j, NULL));
    fputc('\n', f);
    for (int i = 0; i < nm; i++) {
        const char *a = gm_rules_mapping(r, i, NULL);
        fprintf(f, "  %-14s", a);
        for (int j = 0; j < nm; j++) {
            const char *b = gm_rules_mapping(r, j, NULL), *res = NULL;
            int v = gm_rules_fuse(r, a, b, &res);
            char cell[64];
            if (!v)
                snprintf(cell, sizeof cell, "-");
            else if (v == GM_BREAK)
                snprintf(cell, sizeof cell, "break");
            else
                snprintf(cell, sizeof cell, "%s->%s", gm_verdict_name(v), res ? res : "?");
            fprintf(f, " %-22s", cell);
        }
        fputc('\n', f);
    }

    int nl = gm_rules_nlayouts(r);
    fprintf(f, "\nlayout groups:");
    for (int i = 0; i < nl; i++)
        fprintf(f, " %s", gm_rules_layout(r, i));
    fprintf(f, "%s\n", nl ? "" : " (none)");
    fprintf(f, "layout edge table (row: producer, column: consumer; action / layout searched):\n");
    fprintf(f, "  %-10s", "");
    for (int j = 0; j < nl; j++)
        fprintf(f, " %-28s", gm_rules_layout(r, j));
    fputc('\n', f);
    for (int i = 0; i < nl; i++) {
        fprintf(f, "  %-10s", gm_rules_layout(r, i));
        for (int j = 0; j < nl; j++) {
            int search = 0;
            int a = gm_rules_edge_action(r, gm_rules_layout(r, i), gm_rules_layout(r, j), &search);
            char cell[64];
            if (!a)
                snprintf(cell, sizeof cell, "-");
            else
                snprintf(cell, sizeof cell, "%s / %s", gm_action_name(a), gm_search_name(search));
            fprintf(f, " %-28s", cell);
        }
        fputc('\n', f);
    }

    /* which operators fall where, so a reader can check the classification */
    fprintf(f, "\noperators by mapping type and layout group:\n");
    for (int i = 0; i < nm; i++) {
        const char *m = gm_rules_mapping(r, i, NULL);
        for (int j = 0; j < nl || (nl == 0 && j == 0); j++) {
            const char *g = nl ? gm_rules_layout(r, j) : NULL;
            int count = 0, col = 0;
            for (int k = 0; k < gm_rules_nops(r); k++) {
                const gm_opdecl *o = gm_rules_op(r, k);
                if (!o->mapping || strcmp(o->mapping, m) || (g && (!o->layout || strcmp(o->layout, g))))
                    continue;
                if (!count++) col = fprintf(f, "  %s / %s:", m, g ? g : "-");
                if (col > 90) col = fprintf(f, "\n     ");
                col += fprintf(f, " %s%s%s", o->domain, o->domain[0] ? "::" : "", o->name);
            }
            if (count) fputc('\n', f);
        }
    }

    int composites = 0, bidir = 0;
    for (int i = 0; i < gm_rules_nops(r); i++)
        composites += gm_rules_op(r, i)->body != NULL;
    for (int i = 0; i < gm_rules_nrules(r); i++)
        bidir += gm_rules_rule(r, i)->bidir;
    fprintf(f,
            "\n%d operators (%d composites with a definition), %d fusion entries, %d edge entries, "
            "%d rules (%d both ways)\n",
            gm_rules_nops(r), composites, gm_rules_nfuse(r), gm_rules_nedges(r), gm_rules_nrules(r),
            bidir);
    /* rules per file */
    const gm_src *seen[64];
    int nseen = 0;
    for (int i = 0; i < gm_rules_nrules(r); i++) {
        const gm_src *s = gm_rules_rule(r, i)->loc.src;
        int k = 0;
        while (k < nseen && seen[k] != s)
            k++;
        if (k == nseen && nseen < 64) seen[nseen++] = s;
    }
    for (int k = 0; k < nseen; k++) {
        int c = 0;
        for (int i = 0; i < gm_rules_nrules(r); i++)
            c += gm_rules_rule(r, i)->loc.src == seen[k];
        fprintf(f, "  %4d rules in %s\n", c, gm_src_name(seen[k]));
    }
}
