/* print.c -- the `.graph` text form of a graph (docs/graph-format.md).
 *
 *   graph resnet50 opset 17 {
 *     input "input.1": f32[1,3,224,224];
 *     weight "conv1.weight": f32[64,3,7,7];
 *     const c0: i64[2] = [1, -1];
 *     "/conv1/Conv_output_0": f32[1,64,112,112] = Conv("input.1", "conv1.weight")
 *         [kernel_shape=[7,7], strides=[2,2]] @"/conv1/Conv";
 *     output "/fc/Gemm_output_0";
 *   }
 *
 * One statement per line (long ones are not wrapped): a reader can grep
 * it.  Names that are not plain identifiers are quoted.  Constants of at
 * most PRINT_INLINE elements show their values; larger ones are `weight`s
 * whose contents live elsewhere. */
#include "engine.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PRINT_INLINE 16

static void name(FILE *f, const char *s)
{
    int plain = (isalpha((unsigned char)s[0]) || s[0] == '_');
    for (const char *p = s; *p && plain; p++)
        if (!isalnum((unsigned char)*p) && *p != '_') plain = 0;
    if (plain) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (const char *p = s; *p; p++) {
        if (*p == '"' || *p == '\\') fputc('\\', f);
        fputc(*p, f);
    }
    fputc('"', f);
}

static void type(FILE *f, int dtype, const dn_shape *s)
{
    char buf[256];
    fprintf(f, "%s%s", dn_dtype_name(dtype), dn_shape_str(s, buf, sizeof buf));
}

/* Floats always carry a '.' or an exponent, so a reader can tell them from ints. */
static void flt(FILE *f, double v)
{
    if (isnan(v)) {
        fputs("nan", f);
        return;
    }
    if (isinf(v)) {
        fputs(v < 0 ? "-inf" : "inf", f);
        return;
    }
    char b[64];
    snprintf(b, sizeof b, "%.9g", v);
    fputs(b, f);
    if (!strpbrk(b, ".eE")) fputs(".0", f);
}

static void values(FILE *f, const dn_tensor *t)
{
    int64_t n = dn_shape_numel(&t->shape);
    fputc('[', f);
    for (int64_t i = 0; i < n; i++) {
        if (i) fputs(", ", f);
        if (dn_dtype_is_float(t->dtype))
            flt(f, dn_get(t, i));
        else if (t->dtype == DN_BOOL)
            fputs(dn_geti(t, i) ? "true" : "false", f);
        else
            fprintf(f, "%lld", (long long)dn_geti(t, i));
    }
    fputc(']', f);
}

static void attr(FILE *f, const ir_attr *a)
{
    name(f, a->name);
    fputc('=', f);
    switch (a->type) {
    case IR_ATTR_INT: fprintf(f, "%lld", (long long)a->i); break;
    case IR_ATTR_FLOAT: flt(f, a->f); break;
    case IR_ATTR_STRING: fputc('"', f);
        for (const char *p = a->s; *p; p++) {
            if (*p == '"' || *p == '\\') fputc('\\', f);
            fputc(*p, f);
        }
        fputc('"', f);
        break;
    case IR_ATTR_INTS:
        fputc('[', f);
        for (int i = 0; i < a->n; i++) fprintf(f, "%s%lld", i ? ", " : "", (long long)a->ints[i]);
        fputc(']', f);
        break;
    case IR_ATTR_FLOATS:
        fputc('[', f);
        for (int i = 0; i < a->n; i++) {
            if (i) fputs(", ", f);
            flt(f, a->floats[i]);
        }
        fputc(']', f);
        break;
    case IR_ATTR_STRINGS:
        fputc('[', f);
        for (int i = 0; i < a->n; i++) {
            if (i) fputs(", ", f);
            name(f, a->strings[i]);
        }
        fputc(']', f);
        break;
    case IR_ATTR_TENSOR:
        fputs("tensor(", f);
        type(f, a->t.dtype, &a->t.shape);
        if (a->t.data && dn_shape_numel(&a->t.shape) <= PRINT_INLINE) {
            fputs(", ", f);
            values(f, &a->t);
        }
        fputc(')', f);
        break;
    default: fputs("?", f);
    }
}

void ir_print(const ir_graph *g, FILE *f)
{
    fputs("graph ", f);
    name(f, g->name);
    fprintf(f, " opset %lld {\n", (long long)g->opset);
    for (int i = 0; i < g->ninput; i++) {
        const ir_value *v = &g->val[g->input[i]];
        fputs("  input ", f);
        name(f, v->name);
        fputs(": ", f);
        type(f, v->dtype, &v->shape);
        fputs(";\n", f);
    }
    for (int i = 0; i < g->nval; i++) {
        const ir_value *v = &g->val[i];
        if (v->kind != IR_VAL_CONST) continue;
        int64_t n = dn_shape_numel(&v->shape);
        int inl = v->data && n >= 0 && n <= PRINT_INLINE;
        fputs(inl ? "  const " : "  weight ", f);
        name(f, v->name);
        fputs(": ", f);
        type(f, v->dtype, &v->shape);
        if (inl) {
            dn_tensor t = {v->dtype, v->shape, v->data};
            fputs(" = ", f);
            values(f, &t);
        }
        fputs(";\n", f);
    }
    int *order = NULL;
    int count = ir_topo_order(g, &order, NULL);
    for (int i = 0; i < count; i++) {
        const ir_node *n = &g->node[order[i]];
        fputs("  ", f);
        for (int k = 0; k < n->nout; k++) {
            if (k) fputs(", ", f);
            if (n->out[k] < 0) {
                fputs("_", f);
                continue;
            }
            const ir_value *v = &g->val[n->out[k]];
            name(f, v->name);
            fputs(": ", f);
            type(f, v->dtype, &v->shape);
        }
        fputs(" = ", f);
        if (n->domain[0]) {
            name(f, n->domain);
            fputs("::", f);
        }
        fprintf(f, "%s(", n->op);
        for (int k = 0; k < n->nin; k++) {
            if (k) fputs(", ", f);
            if (n->in[k] < 0)
                fputs("_", f);
            else
                name(f, g->val[n->in[k]].name);
        }
        fputc(')', f);
        if (n->nattr) {
            fputs(" [", f);
            for (int k = 0; k < n->nattr; k++) {
                if (k) fputs(", ", f);
                attr(f, &n->attr[k]);
            }
            fputc(']', f);
        }
        fputs(" @", f);
        name(f, n->name);
        fputs(";\n", f);
    }
    free(order);
    for (int i = 0; i < g->noutput; i++) {
        fputs("  output ", f);
        name(f, g->val[g->output[i]].name);
        fputs(";\n", f);
    }
    fputs("}\n", f);
}
