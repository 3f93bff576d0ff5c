/* test_layout.c -- the layout pass through its C API (label unit).
 *
 * The listings of tests/layout/NAME.expect cover every data-movement kind as
 * data; this file checks what a listing cannot: the groups and edge
 * actions come from the rules, the chains of Swin and ShuffleNet end as
 * ONE access whose index expressions equal the expected ones
 * structurally, the physical read composes the layout in, the texel map
 * and the image limits, and turning elimination off keeps every node.
 * Run from the source root (it reads rules/ and tests/layout/). */
#include "layout.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c);                  \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

static gm_rules *rules(void)
{
    const char *path = "rules/all.rules";
    gm_diags *d = gm_diags_new();
    gm_rules *r = gm_rules_load(&path, 1, d);
    if (!r || gm_diags_count(d)) {
        fprintf(stderr, "%s", gm_diags_text(d));
        exit(1);
    }
    gm_diags_free(d);
    return r;
}

static ir_graph *graph(const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "tests/layout/%s.graph", name);
    gm_diags *d = gm_diags_new();
    ir_graph *g = gm_graph_read(path, d);
    dn_err e;
    if (!g || ir_infer(g, 1, NULL, &e)) {
        fprintf(stderr, "%s: %s\n", path, g ? e.msg : gm_diags_text(d));
        exit(1);
    }
    gm_diags_free(d);
    return g;
}

static int node(const ir_graph *g, const char *name)
{
    for (int i = 0; i < g->nnode; i++)
        if (!g->node[i].dead && !strcmp(g->node[i].name, name)) return i;
    fprintf(stderr, "no node %s\n", name);
    exit(1);
}

/* idx[d] of m equals the parsed text (variables i0, i1, ...). */
static int idx_is(const cg_map *m, int d, const char *text)
{
    static const char *const names[] = {"i0", "i1", "i2", "i3", "i4", "i5", "i6", "i7"};
    dn_arena *a = dn_arena_new();
    dn_err e;
    const cg_expr *x = cg_expr_parse(a, text, names, 8, &e);
    int ok = 0;
    if (x) {
        x = cg_simplify(a, x, m->var, m->nvar);
        ok = cg_expr_cmp(x, m->idx[d]) == 0;
        if (!ok) {
            char buf[256];
            cg_print_debug(m->idx[d], names, 8, buf, sizeof buf);
            fprintf(stderr, "  idx[%d] is %s, expected %s\n", d, buf, text);
        }
    }
    dn_arena_free(a);
    return ok;
}

static void test_groups(const gm_rules *r)
{
    ir_graph *g = graph("transpose");
    dn_err e;
    ly_groups *gr = ly_groups_build(g, r, &e);
    CHECK(gr != NULL);
    if (!gr) return;
    int r0 = node(g, "r0"), t = node(g, "transpose"), r1 = node(g, "r1"), mm = node(g, "mm");
    CHECK(!strcmp(ly_node_group(gr, r0), "ili_var"));
    CHECK(!strcmp(ly_node_group(gr, t), "ild_fixed"));
    CHECK(!strcmp(ly_node_group(gr, mm), "ild_var"));
    int search;
    /* elementwise -> Transpose: the producer writes the permuted layout */
    CHECK(ly_edge_action(gr, t, 0, &search) == GM_ELIM_SECOND && search == GM_SEARCH_FIRST);
    /* Transpose -> elementwise: the consumer reads through it */
    CHECK(ly_edge_action(gr, r1, 0, &search) == GM_ELIM_FIRST && search == GM_SEARCH_SECOND);
    CHECK(ly_edge_action(gr, mm, 0, &search) == GM_TRY_FUSE);
    CHECK(ly_edge_action(gr, r0, 0, &search) == 0); /* from a graph input: no edge */
    CHECK(ly_groups_nedges(gr) == 3);
    CHECK(ly_is_movement("DepthToSpace") && !ly_is_movement("Conv"));
    CHECK(ly_is_view("Squeeze") && !ly_is_view("Transpose"));
    ly_groups_free(gr);
    ir_free(g);
}

/* The chain folds into one read whose index expressions are expected. */
static void test_chain(const gm_rules *r, const char *file, const char *reader,
                       const char *const *want)
{
    ir_graph *g = graph(file);
    dn_err e;
    ly_plan *p = ly_plan_build(g, r, NULL, NULL, &e);
    CHECK(p != NULL);
    if (!p) {
        fprintf(stderr, "%s\n", e.msg);
        return;
    }
    const ly_access *a = ly_plan_read(p, node(g, reader), 0);
    CHECK(a && a->npath == 3);
    if (a) {
        CHECK(!strcmp(g->val[a->source].name, "a"));
        for (int d = 0; want[d]; d++)
            CHECK(idx_is(&a->map, d, want[d]));
        for (int i = 0; i < a->npath; i++)
            CHECK(ly_plan_node_fate(p, a->path[i].node)->fate == LY_ELIM_READ);
    }
    ly_summary s;
    ly_plan_summary(p, &s);
    CHECK(s.standalone == 0 && s.layout_kernels_after == 0);
    CHECK(s.layout_kernels_before == s.movement);
    int checked, skipped;
    CHECK(ly_plan_verify(p, 1 << 22, &checked, &skipped, &e) == 0 && checked >= 1);
    ly_plan_free(p);
    ir_free(g);
}

static void test_select(const gm_rules *r)
{
    ir_graph *g = graph("select");
    dn_err e;
    ly_options o;
    ly_options_default(&o);
    o.image_max_w = o.image_max_h = 64;
    ly_plan *p = ly_plan_build(g, r, NULL, &o, &e);
    CHECK(p != NULL);
    if (!p) return;
    int b = ir_find_value(g, "b"), a = ir_find_value(g, "a"), w = ir_find_value(g, "w");
    /* two readers disagree about b: row-major for the MatMul, columns
       innermost for the Softmax over axis 0 */
    CHECK(ly_plan_ncopies(p, b) == 2);
    const ly_layout *l = ly_plan_layout(p, b, 1);
    CHECK(l && l->kind == LY_PERMUTED && l->phys.d[0] == 24 && l->phys.d[1] == 100);
    const ly_access *ac = ly_plan_read(p, node(g, "softmax_cols"), 0);
    CHECK(ac && ac->copy == 1);
    if (ac) {
        dn_arena *ar = dn_arena_new();
        cg_map phys;
        CHECK(ly_access_physical(p, ac, ar, &phys, &e) == 0);
        int64_t v[2] = {7, 5}, idx[2];
        CHECK(cg_map_eval(&phys, v, idx) && idx[0] == 5 && idx[1] == 7);
        dn_arena_free(ar);
    }
    /* Conv operands blocked by 4 along channels */
    CHECK(ly_plan_layout(p, a, 0)->kind == LY_BLOCKED4 && ly_plan_layout(p, a, 0)->phys.rank == 5);
    CHECK(ly_plan_layout(p, w, 0)->kind == LY_BLOCKED4);
    /* 2.5-D: the weights fit in 64x64 texels, the activation does not */
    CHECK(ly_plan_texture(p, w) && ly_plan_texture(p, w)->mem == LY_MEM_IMAGE);
    CHECK(ly_plan_texture(p, a) && ly_plan_texture(p, a)->mem == LY_MEM_BUFFER);
    ly_plan_free(p);
    ir_free(g);
}

static void test_texture(void)
{
    dn_arena *a = dn_arena_new();
    dn_err e;
    ly_texture t;
    int64_t d[4] = {2, 6, 5, 7};
    dn_shape s = dn_shape_make(4, d);
    CHECK(ly_texture_map(a, &s, 1, 16384, 16384, &t, &e) == 0);
    CHECK(t.width == 2 * 7 && t.height == 2 * 5);
    int64_t v[4] = {1, 5, 2, 3}, idx[3];
    CHECK(cg_map_eval(&t.map, v, idx));
    CHECK(idx[0] == 1 * 7 + 3 && idx[1] == 1 * 5 + 2 && idx[2] == 1);
    /* every element gets its own texel channel: the map is injective */
    char *seen = calloc((size_t)(t.width * t.height * 4), 1);
    int dup = 0;
    for (int64_t i = 0; i < dn_shape_numel(&s); i++) {
        int64_t x = i, u[4];
        for (int k = 3; k >= 0; k--)
            u[k] = x % d[k], x /= d[k];
        cg_map_eval(&t.map, u, idx);
        int64_t at = (idx[1] * t.width + idx[0]) * 4 + idx[2];
        dup += seen[at]++;
    }
    CHECK(dup == 0);
    free(seen);
    CHECK(ly_texture_map(a, &s, 1, 8, 16384, &t, &e) == 1 && t.mem == LY_MEM_BUFFER);
    int64_t m[3] = {3, 10, 9};
    s = dn_shape_make(3, m);
    CHECK(ly_texture_map(a, &s, 2, 100, 100, &t, &e) == 0 && t.width == 3 && t.height == 30);
    dn_arena_free(a);
}

static void test_off(const gm_rules *r)
{
    ir_graph *g = graph("window");
    dn_err e;
    ly_options o;
    ly_options_default(&o);
    o.eliminate = 0;
    ly_plan *p = ly_plan_build(g, r, NULL, &o, &e);
    CHECK(p != NULL);
    if (!p) return;
    ly_summary s;
    ly_plan_summary(p, &s);
    CHECK(s.movement == 6 && s.standalone == 6 && s.layout_kernels_after == 6);
    CHECK(ly_plan_fate(p, 0)->why == LY_WHY_OFF);
    ly_plan_free(p);
    ir_free(g);
}

static void test_output(const gm_rules *r)
{
    ir_graph *g = graph("output");
    dn_err e;
    ly_plan *p = ly_plan_build(g, r, NULL, NULL, &e);
    CHECK(p != NULL);
    if (!p) return;
    const ly_store *st = ly_plan_write(p, node(g, "r0"), 0);
    CHECK(st && st->npath == 2 && !strcmp(g->val[st->dest].name, "c"));
    CHECK(ly_plan_node_fate(p, node(g, "transpose_input"))->why == LY_WHY_OUTPUT);
    CHECK(!ly_plan_materialized(p, ir_find_value(g, "a")));
    ly_plan_free(p);
    ir_free(g);
}

int main(void)
{
    gm_rules *r = rules();
    test_groups(r);
    static const char *const window[] = {"0", "7*(i0/8)+i1", "7*(i0%8)+i2", "i3", NULL};
    test_chain(r, "window", "r1", window);
    static const char *const shuffle[] = {"0", "58*(i1%2)+i1/2", "i2", "i3", NULL};
    test_chain(r, "shuffle", "r1", shuffle);
    test_select(r);
    test_texture();
    test_off(r);
    test_output(r);
    gm_rules_free(r);
    if (failures)
        fprintf(stderr, "%d checks failed\n", failures);
    else
        printf("layout unit tests: ok\n");
    return failures ? 1 : 0;
}
