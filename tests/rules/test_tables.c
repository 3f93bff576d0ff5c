/* test_tables.c -- the standard library as the later stages will consume
 * it: the lattice, both tables through their look-ups, operator
 * classification, and rules that keep their file:line.  Run from the
 * source root (ctest sets the working directory). */
#include "grammar.h"

#include <stdio.h>
#include <string.h>

static int failures;

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #c);                  \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

static void fuse(const gm_rules *r, const char *a, const char *b, int verdict, const char *result)
{
    const char *res = NULL;
    int v = gm_rules_fuse(r, a, b, &res);
    if (v != verdict || (result && (!res || strcmp(res, result))) || (!result && res)) {
        fprintf(stderr, "fuse %s + %s: got %s -> %s, expected %s -> %s\n", a, b, gm_verdict_name(v),
                res ? res : "-", gm_verdict_name(verdict), result ? result : "-");
        failures++;
    }
}

int main(void)
{
    const char *files[] = {"rules/all.rules"};
    gm_diags *d = gm_diags_new();
    gm_rules *r = gm_rules_load(files, 1, d);
    CHECK(gm_diags_count(d) == 0);
    if (gm_diags_count(d)) fputs(gm_diags_text(d), stderr);

    /* the lattice */
    CHECK(gm_rules_mapping_level(r, "one_to_one") == 0);
    CHECK(gm_rules_mapping_level(r, "reorganize") == gm_rules_mapping_level(r, "shuffle"));
    CHECK(gm_rules_mapping_level(r, "one_to_many") < gm_rules_mapping_level(r, "many_to_many"));
    CHECK(gm_rules_mapping_level(r, "nonsense") == -1);
    CHECK(gm_rules_nlayouts(r) == 4);

    /* DNNFusion's table */
    fuse(r, "one_to_one", "many_to_many", GM_FUSE, "many_to_many");
    fuse(r, "many_to_many", "one_to_one", GM_FUSE, "many_to_many");
    fuse(r, "many_to_many", "many_to_many", GM_BREAK, NULL);
    fuse(r, "one_to_many", "many_to_many", GM_PROFILE, "many_to_many");
    fuse(r, "many_to_many", "one_to_many", GM_PROFILE, "many_to_many");
    fuse(r, "shuffle", "one_to_one", GM_FUSE, "shuffle");
    fuse(r, "reorganize", "many_to_many", GM_FUSE, "many_to_many");
    int cells = 0;
    for (int i = 0; i < gm_rules_nmapping(r); i++)
        for (int j = 0; j < gm_rules_nmapping(r); j++)
            cells += gm_rules_fuse(r, gm_rules_mapping(r, i, NULL), gm_rules_mapping(r, j, NULL),
                                   NULL) != 0;
    CHECK(cells == 25); /* every cell of the 5x5 table has an answer */

    /* SmartMem's table */
    int search = -1;
    CHECK(gm_rules_edge_action(r, "ild_var", "ild_fixed", &search) == GM_ELIM_SECOND);
    CHECK(search == GM_SEARCH_FIRST);
    CHECK(gm_rules_edge_action(r, "ild_fixed", "ild_fixed", NULL) == GM_ELIM_BOTH);
    CHECK(gm_rules_edge_action(r, "ili_var", "ili_var", NULL) == GM_TRY_FUSE);
    CHECK(gm_rules_edge_action(r, "ild_var", "ild_var", NULL) == GM_KEEP);

    /* operators */
    const gm_opdecl *add = gm_rules_find_op(r, "", "Add"), *conv = gm_rules_find_op(r, "", "Conv");
    const gm_opdecl *tr = gm_rules_find_op(r, "", "Transpose"),
                    *gelu = gm_rules_find_op(r, "dnnf", "Gelu");
    CHECK(add && (add->flags & GM_PROP_COMMUTATIVE) && (add->flags & GM_PROP_BROADCAST));
    CHECK(add && !strcmp(add->mapping, "one_to_one") && !strcmp(add->layout, "ili_var"));
    CHECK(conv && !strcmp(conv->mapping, "many_to_many") && conv->flops && conv->nparams == 3 &&
          conv->params[2].optional);
    CHECK(tr && !strcmp(tr->mapping, "shuffle") && !strcmp(tr->layout, "ild_fixed"));
    CHECK(gelu && gelu->body != NULL);
    const gm_opdecl *mul = gm_rules_find_op(r, "", "Mul");
    CHECK(mul && mul->ndistrib == 2 && !strcmp(mul->distributes_over[0], "Add"));

    /* rules keep their file and line */
    int algebra = 0;
    for (int i = 0; i < gm_rules_nrules(r); i++) {
        const gm_rule *ru = gm_rules_rule(r, i);
        CHECK(ru->loc.line > 0 && ru->loc.src);
        if (strstr(gm_src_name(ru->loc.src), "algebra.rules")) algebra++;
    }
    CHECK(algebra >= 60);

    /* the same text from memory gives the same errors as from a file */
    gm_diags *d2 = gm_diags_new();
    const char *bad = "rule x: Foo(a) => a;\n";
    gm_rules *r2 = gm_rules_parse("mem.rules", bad, strlen(bad), d2);
    CHECK(gm_diags_count(d2) == 1);
    CHECK(strstr(gm_diags_text(d2), "mem.rules:1:9: unknown operator Foo") != NULL);
    gm_rules_free(r2);
    gm_diags_free(d2);

    gm_rules_free(r);
    gm_diags_free(d);
    if (!failures) printf("test_tables: ok\n");
    return failures != 0;
}
