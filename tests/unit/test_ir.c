/* test_ir.c -- the graph IR, shapes and broadcasting, .npy files. */
#include "check.h"
#include "engine.h"
#include "runtime.h"

#include <stdlib.h>
#include <string.h>

static void test_shapes(void)
{
    dn_err e;
    int64_t a[] = {1, 64, 56, 56}, b[] = {64, 1, 1}, c[] = {3}, d[] = {2, 4};
    dn_shape sa = dn_shape_make(4, a), sb = dn_shape_make(3, b), sc = dn_shape_make(1, c),
             sd = dn_shape_make(2, d), o;
    CHECK(dn_broadcast(&sa, &sb, &o, &e) == 0 && o.rank == 4 && o.d[1] == 64 && o.d[3] == 56);
    CHECK(dn_broadcast(&sd, &sc, &o, &e) == -1 && strstr(e.msg, "cannot broadcast"));
    CHECK(dn_shape_numel(&sa) == 64 * 56 * 56);
    int ax;
    CHECK(dn_axis(-1, 4, &ax, &e) == 0 && ax == 3);
    CHECK(dn_axis(4, 4, &ax, &e) == -1);
    char buf[64];
    dn_shape u = dn_shape_make(2, (int64_t[]){-1, 3});
    CHECK(!strcmp(dn_shape_str(&u, buf, sizeof buf), "[?,3]"));
    CHECK(!dn_shape_known(&u) && dn_shape_numel(&u) == -1);
    CHECK(dn_dtype_parse("i64") == DN_I64 && !strcmp(dn_dtype_name(DN_BOOL), "bool"));
}

/* x -> A -> t -> B -> y, plus an unused node; then a cycle. */
static void test_graph(void)
{
    dn_err e;
    ir_graph *g = ir_new("t");
    dn_shape s = dn_shape_make(1, (int64_t[]){4});
    int x = ir_add_value(g, "x", IR_VAL_INPUT, DN_F32, &s);
    ir_add_input(g, x);
    CHECK(ir_add_value(g, "x", IR_VAL_NODE, DN_F32, NULL) == -1); /* names are unique */
    int t = ir_add_value(g, "t", IR_VAL_NODE, DN_UNDEF, NULL);
    int y = ir_add_value(g, "y", IR_VAL_NODE, DN_UNDEF, NULL);
    int z = ir_add_value(g, NULL, IR_VAL_NODE, DN_UNDEF, NULL);
    CHECK(z >= 0 && g->val[z].name[0] == '%');
    /* stored out of order on purpose: B before A */
    int nb = ir_add_node(g, "Neg", "B", &t, 1, &y, 1);
    int na = ir_add_node(g, "Relu", "A", &x, 1, &t, 1);
    ir_add_node(g, "Neg", "unused", &x, 1, &z, 1);
    ir_add_output(g, y);
    ir_add_attr(g, na, "alpha", IR_ATTR_FLOAT)->f = 0.5f;
    CHECK(ir_attr_float(&g->node[na], "alpha", 0) == 0.5f);
    CHECK(ir_attr_int(&g->node[na], "missing", 7) == 7);
    int *order = NULL;
    int n = ir_topo_order(g, &order, &e);
    CHECK(n == 3);
    int pa = -1, pb = -1;
    for (int i = 0; i < n; i++) {
        if (order[i] == na) pa = i;
        if (order[i] == nb) pb = i;
    }
    CHECK(pa >= 0 && pb > pa);
    free(order);
    int *use = ir_use_counts(g);
    CHECK(use[x] == 2 && use[t] == 1 && use[y] == 1 && use[z] == 0);
    free(use);
    /* folding drops the unused node and keeps the rest */
    ir_fold_stats st;
    if (op_lookup("", "Relu") && op_lookup("", "Neg")) {
        CHECK(ir_infer(g, 1, &st, &e) == 0);
        CHECK(st.nodes_after == 2);
        CHECK(ir_find_value(g, "y") >= 0 && g->val[ir_find_value(g, "y")].shape.d[0] == 4);
    }
    ir_free(g);

    /* a cycle is reported, not looped on */
    g = ir_new("cyc");
    int p = ir_add_value(g, "p", IR_VAL_NODE, DN_F32, NULL);
    int q = ir_add_value(g, "q", IR_VAL_NODE, DN_F32, NULL);
    ir_add_node(g, "Neg", "n1", &p, 1, &q, 1);
    ir_add_node(g, "Neg", "n2", &q, 1, &p, 1);
    ir_add_output(g, q);
    CHECK(ir_topo_order(g, &order, &e) == -1 && strstr(e.msg, "cycle"));
    ir_free(g);
}

static void test_npy(void)
{
    dn_err e;
    dn_tensor t = {DN_F32, dn_shape_make(2, (int64_t[]){2, 3}), NULL};
    CHECK(dn_tensor_alloc(&t, &e) == 0);
    for (int i = 0; i < 6; i++) ((float *)t.data)[i] = (float)i * 0.5f - 1;
    const char *path = "/tmp/dnnf_test_ir.npy";
    CHECK(rt_npy_write(path, &t, &e) == 0);
    dn_tensor r;
    CHECK(rt_npy_read(path, &r, &e) == 0);
    CHECK(r.dtype == DN_F32 && dn_shape_eq(&r.shape, &t.shape));
    CHECK(r.data && !memcmp(r.data, t.data, 24));
    dn_tensor_free(&r);
    dn_tensor_free(&t);
    dn_tensor s = {DN_I64, dn_shape_make(0, NULL), NULL}; /* a scalar */
    CHECK(dn_tensor_alloc(&s, &e) == 0);
    ((int64_t *)s.data)[0] = -42;
    CHECK(rt_npy_write(path, &s, &e) == 0 && rt_npy_read(path, &r, &e) == 0);
    CHECK(r.shape.rank == 0 && ((int64_t *)r.data)[0] == -42);
    dn_tensor_free(&r);
    dn_tensor_free(&s);
    FILE *f = fopen(path, "w");
    fputs("garbage", f);
    fclose(f);
    CHECK(rt_npy_read(path, &r, &e) == -1 && strstr(e.msg, "not a .npy"));
    remove(path);
}

int main(void)
{
    test_shapes();
    test_graph();
    test_npy();
    return DONE();
}
