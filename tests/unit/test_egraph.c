/* test_egraph.c -- the e-graph engine: hash-consing, union-find and
 * rebuild, the analyses (shape, constants), the matcher, and the checks a
 * user meets: an unsound rule named with its file:line at union time,
 * bad limits, an empty graph.  Run from the source root (ctest does). */
#include "check.h"
#include "egraph_impl.h"

#include <stdlib.h>
#include <string.h>

static gm_rules *rules_from(const char *name, const char *text)
{
    gm_diags *d = gm_diags_new();
    gm_rules *r = gm_rules_parse(name, text, strlen(text), d);
    if (gm_diags_count(d)) fprintf(stderr, "%s", gm_diags_text(d));
    int bad = gm_diags_count(d) != 0;
    gm_diags_free(d);
    if (bad) {
        gm_rules_free(r);
        return NULL;
    }
    return r;
}

static ir_graph *graph_from(const char *text)
{
    gm_diags *d = gm_diags_new();
    ir_graph *g = gm_graph_parse("test.graph", text, strlen(text), d);
    if (!g) fprintf(stderr, "%s", gm_diags_text(d));
    gm_diags_free(d);
    dn_err e;
    ir_fold_stats st;
    if (g && ir_infer(g, 1, &st, &e)) {
        fprintf(stderr, "%s\n", e.msg);
        ir_free(g);
        return NULL;
    }
    return g;
}

static char *print(const ir_graph *g)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    ir_print(g, f);
    fclose(f);
    return buf;
}

static const char *OPS = "include \"rules/ops.rules\";\n";

/* hash-consing, union-find, congruence after rebuild */
static void test_core(void)
{
    gm_rules *R = rules_from("core.rules", OPS);
    CHECK(R != NULL);
    eg_graph *E = eg_graph_new(R);
    dn_err e;
    dn_shape s = dn_shape_make(2, (int64_t[]){2, 3});
    int a = eg_add_input(E, 0, DN_F32, &s), b = eg_add_input(E, 1, DN_F32, &s);
    CHECK(a != b);
    CHECK(eg_add_input(E, 0, DN_F32, &s) == a); /* the same leaf twice: one class */
    int relu = eg_op_intern(E, "", "Relu");
    int fa = eg_add_op(E, relu, 0, 1, NULL, 0, &a, 1, -1, &e);
    int fb = eg_add_op(E, relu, 0, 1, NULL, 0, &b, 1, -1, &e);
    CHECK(fa >= 0 && fb >= 0 && fa != fb);
    CHECK(eg_add_op(E, relu, 0, 1, NULL, 0, &a, 1, -1, &e) == fa); /* hash-consed */
    CHECK(eg_union(E, a, b, &e) == 1);
    CHECK(eg_union(E, a, b, &e) == 0);
    CHECK(eg_find(E, fa) != eg_find(E, fb)); /* congruence waits for rebuild */
    CHECK(eg_rebuild(E, &e) == 0);
    CHECK(eg_find(E, fa) == eg_find(E, fb)); /* Relu(a) == Relu(b) once a == b */
    CHECK(E->cls[eg_find(E, fa)].shape.rank == 2 && E->cls[eg_find(E, fa)].shape.d[1] == 3);

    /* constant analysis: Add(2, 3) folds to 5 and gets a constant leaf */
    float two = 2, three = 3;
    dn_tensor t2 = {DN_F32, dn_shape_make(0, NULL), &two},
              t3 = {DN_F32, dn_shape_make(0, NULL), &three};
    int c2 = eg_add_const(E, &t2, -1, 1), c3 = eg_add_const(E, &t3, -1, 1);
    CHECK(eg_add_const(E, &t2, -1, 1) == c2); /* equal constants: one class */
    int add = eg_op_intern(E, "", "Add");
    int ch[2] = {c2, c3};
    int sum = eg_add_op(E, add, 0, 1, NULL, 0, ch, 2, -1, &e);
    CHECK(sum >= 0);
    const dn_tensor *k = eg_class_const(E, sum);
    CHECK(k && dn_get(k, 0) == 5.0);
    CHECK(E->cls[eg_find(E, sum)].has_leaf);

    /* a union of two shapes is refused, naming the rule being applied */
    dn_shape s2 = dn_shape_make(2, (int64_t[]){3, 2});
    int x = eg_add_input(E, 2, DN_F32, &s2);
    E->cur_rule = "my_rule";
    E->cur_loc = "my.rules:7";
    CHECK(eg_union(E, a, x, &e) == -1);
    CHECK(strstr(e.msg, "my.rules:7") && strstr(e.msg, "my_rule") && strstr(e.msg, "unsound"));
    eg_graph_free(E);
    gm_rules_free(R);
}

static const char *G_TRANSPOSE = "graph t opset 17 {\n"
                                 "  input x: f32[2,3];\n"
                                 "  y: f32[3,2] = Transpose(x) [perm=[1,0]];\n"
                                 "  z: f32[3,2] = Relu(y);\n"
                                 "  output z;\n"
                                 "}\n";

/* a rule that changes a shape is caught when its union is attempted */
static void test_unsound_rule(void)
{
    char text[512];
    snprintf(text, sizeof text,
             "%s# a rule that forgets the guard is_identity(p)\nrule squash: Transpose(x)[perm=p] "
             "=> x;\n",
             OPS);
    gm_rules *R = rules_from("bad.rules", text);
    ir_graph *g = graph_from(G_TRANSPOSE);
    CHECK(R && g);
    if (!R || !g) return;
    eg_result res;
    dn_err e;
    CHECK(eg_optimize(g, R, NULL, NULL, &res, &e) == -1);
    CHECK(strstr(e.msg, "bad.rules:3") != NULL);
    CHECK(strstr(e.msg, "squash") != NULL);
    CHECK(strstr(e.msg, "f32[3,2]") && strstr(e.msg, "f32[2,3]"));
    printf("unsound rule reported as: %s\n", e.msg);
    ir_free(g);
    gm_rules_free(R);
}

/* the matcher: commutative operands in both orders, guards, computed attributes */
static void test_match(void)
{
    char text[1024];
    snprintf(
        text, sizeof text,
        "%s"
        "op dnnf::Swish(x) : one_to_one, ili_var, cost(flops = numel(out), bytes = 8 * numel(out)) "
        "= Mul(x, Sigmoid(x));\n"
        "rule swish: Mul(x, Sigmoid(x)) => dnnf::Swish(x);\n"
        "rule tpair: Transpose(Transpose(x)[perm=p])[perm=q] => Transpose(x)[perm=compose(p, q)];\n"
        "rule tnoop: Transpose(x)[perm=p] => x if is_identity(p);\n",
        OPS);
    gm_rules *R = rules_from("m.rules", text);
    ir_graph *g =
        graph_from("graph t opset 17 {\n"
                   "  input x: f32[2,3,4];\n"
                   "  s: f32[2,3,4] = Sigmoid(x);\n"
                   "  m: f32[2,3,4] = Mul(s, x);\n" /* operands swapped against the rule */
                   "  a: f32[4,2,3] = Transpose(m) [perm=[2,0,1]];\n"
                   "  b: f32[2,3,4] = Transpose(a) [perm=[1,2,0]];\n"
                   "  output b;\n"
                   "}\n");
    CHECK(R && g);
    if (!R || !g) return;
    eg_result res;
    dn_err e;
    int rc = eg_optimize(g, R, NULL, NULL, &res, &e);
    CHECK(rc == 0);
    if (rc) {
        fprintf(stderr, "%s\n", e.msg);
        return;
    }
    char *text_out = print(res.graph);
    CHECK(strstr(text_out, "dnnf::Swish(x)") != NULL);
    CHECK(strstr(text_out, "Transpose") ==
          NULL); /* the pair composed to the identity, then vanished */
    CHECK(res.nodes_after == 1);
    CHECK(res.stop == EG_STOP_SATURATED);
    /* deterministic: the same input gives the same output */
    eg_result res2;
    CHECK(eg_optimize(g, R, NULL, NULL, &res2, &e) == 0);
    char *text2 = print(res2.graph);
    CHECK(!strcmp(text_out, text2));
    free(text_out);
    free(text2);
    ir_free(res.graph);
    ir_free(res2.graph);
    eg_result_free(&res);
    eg_result_free(&res2);
    ir_free(g);
    gm_rules_free(R);
}

/* bounds and bad input */
static void test_bounds(void)
{
    eg_limits L;
    dn_err e;
    eg_limits_default(&L);
    CHECK(eg_limits_check(&L, &e) == 0);
    L.max_iters = 0;
    CHECK(eg_limits_check(&L, &e) == -1 && strstr(e.msg, "--max-iters"));
    eg_limits_default(&L);
    L.max_nodes = 0;
    CHECK(eg_limits_check(&L, &e) == -1 && strstr(e.msg, "--max-nodes"));
    eg_limits_default(&L);
    L.max_ms = 0;
    CHECK(eg_limits_check(&L, &e) == -1 && strstr(e.msg, "--max-ms"));

    char text[512];
    snprintf(text, sizeof text,
             "%srule add_comm2: Add(a, b) => Add(b, a);\nrule assoc: Add(Add(a, b), c) <=> Add(a, "
             "Add(b, c));\n",
             OPS);
    gm_rules *R = rules_from("b.rules", text);
    ir_graph *g = graph_from(
        "graph t opset 17 {\n"
        "  input a: f32[4];\n  input b: f32[4];\n  input c: f32[4];\n  input d: f32[4];\n"
        "  input f: f32[4];\n"
        "  s1: f32[4] = Add(a, b);\n  s2: f32[4] = Add(s1, c);\n  s3: f32[4] = Add(s2, d);\n"
        "  s4: f32[4] = Add(s3, f);\n  output s4;\n}\n");
    CHECK(R && g);
    if (!R || !g) return;
    eg_result res;
    eg_limits_default(&L);
    L.max_nodes = 12;
    CHECK(eg_optimize(g, R, &L, NULL, &res, &e) == 0);
    CHECK(res.stop == EG_STOP_NODES);
    CHECK(res.enodes <= 12 + 8); /* checked before each application: at most one right side over */
    CHECK(res.graph && res.nodes_after == 4);
    ir_free(res.graph);
    eg_result_free(&res);
    eg_limits_default(&L);
    L.max_iters = 1;
    CHECK(eg_optimize(g, R, &L, NULL, &res, &e) == 0);
    CHECK(res.stop == EG_STOP_ITERS && res.iterations == 1);
    ir_free(res.graph);
    eg_result_free(&res);
    ir_free(g);

    /* a graph with no outputs */
    ir_graph *empty = ir_new("empty");
    CHECK(eg_optimize(empty, R, NULL, NULL, &res, &e) == -1 && strstr(e.msg, "no outputs"));
    ir_free(empty);
    gm_rules_free(R);
}

int main(void)
{
    test_core();
    test_unsound_rule();
    test_match();
    test_bounds();
    return DONE();
}
