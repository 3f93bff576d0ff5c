/* emit_expr.c -- the walk that turns the value of a tensor inside a block
 * into OpenCL text (emit_impl.h explains the idea).
 *
 * Every node result becomes one `const T tN = ...;` statement, memoised by
 * (value, index map): a value read twice at the same index is computed
 * once, a value read at two indices (x and its transpose) twice.  Concat
 * picks its input with an if/else chain on the concatenation axis, so a
 * branch's reads never run outside their own tensor; the memo is scoped
 * to the branch for the same reason.  Pad is a branch too (the input
 * inside, the constant outside; edge and reflect one chain per padded
 * axis), and a Gather with run-time indices loads its index first and
 * reads the data through a map with that index as one more variable. */
#include "emit_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- strings --------------------------------------------------------- */

void cg_sb_printf(cg_sb *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int need = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (need < 0) return;
    if (b->n + (size_t)need + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + (size_t)need + 1)
            cap *= 2;
        b->s = realloc(b->s, cap);
        if (!b->s) abort();
        b->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(b->s + b->n, (size_t)need + 1, fmt, ap);
    va_end(ap);
    b->n += (size_t)need;
}

void cg_sb_puts(cg_sb *b, const char *s)
{
    cg_sb_printf(b, "%s", s);
}

void cg_sb_free(cg_sb *b)
{
    free(b->s);
    memset(b, 0, sizeof *b);
}

char *cg_sb_take(cg_sb *b)
{
    char *s = b->s ? b->s : ir_strdup("");
    memset(b, 0, sizeof *b);
    return s;
}

char *cg_fill(const char *tmpl, const char *const *keys, const char *const *vals, int n)
{
    cg_sb out = {0};
    const char *p = tmpl;
    while (*p) {
        const char *q = strstr(p, "${");
        if (!q) {
            cg_sb_puts(&out, p);
            break;
        }
        cg_sb_printf(&out, "%.*s", (int)(q - p), p);
        const char *end = strchr(q, '}');
        int found = 0;
        for (int i = 0; end && i < n; i++)
            if ((size_t)(end - q - 2) == strlen(keys[i]) &&
                !strncmp(q + 2, keys[i], strlen(keys[i]))) {
                cg_sb_puts(&out, vals[i]);
                found = 1;
                break;
            }
        if (!found) {
            cg_sb_puts(&out, "${");
            p = q + 2;
        } else
            p = end + 1;
    }
    return cg_sb_take(&out);
}

char *cg_flit(char *buf, double v)
{
    if (isnan(v)) return strcpy(buf, "NAN");
    if (isinf(v)) return strcpy(buf, v > 0 ? "INFINITY" : "-INFINITY");
    snprintf(buf, 40, "%.9g", v);
    if (!strpbrk(buf, ".e")) strcat(buf, ".0");
    strcat(buf, "f");
    return buf;
}

const char *cg_ctype(int dtype)
{
    switch (dtype) {
    case DN_F32:
        return "float";
    case DN_I64:
        return "long";
    case DN_I32:
        return "int";
    case DN_BOOL:
    case DN_U8:
        return "uchar";
    case DN_I8:
        return "char";
    default:
        return NULL;
    }
}

/* ---- context --------------------------------------------------------- */

void ex_init(ex_ctx *x, const ir_graph *g, const cg_block *b, dn_arena *a)
{
    memset(x, 0, sizeof *x);
    x->g = g;
    x->b = b;
    x->a = a;
    x->prod = malloc((size_t)(g->nval + 1) * sizeof *x->prod);
    x->argof = malloc((size_t)(g->nval + 1) * sizeof *x->argof);
    x->args = malloc((size_t)(g->nval + 1) * sizeof *x->args);
    if (!x->prod || !x->argof || !x->args) abort();
    for (int v = 0; v < g->nval; v++)
        x->prod[v] = x->argof[v] = -1;
    for (int i = 0; i < b->nexec; i++) {
        const ir_node *n = &g->node[b->exec[i]];
        for (int k = 0; k < n->nout; k++)
            if (n->out[k] >= 0) x->prod[n->out[k]] = b->exec[i];
    }
    x->override_v = -1;
    /* the block's outputs are the kernel's first arguments, in order */
    for (int i = 0; i < b->noutputs; i++)
        ex_arg(x, b->outputs[i]);
    x->nout = x->nargs;
}

void ex_forget(ex_ctx *x)
{
    for (int i = 0; i < x->nmemo; i++)
        free(x->memo[i].key);
    x->nmemo = 0;
}

void ex_free(ex_ctx *x)
{
    ex_forget(x);
    free(x->prod);
    free(x->argof);
    free(x->args);
}

int ex_arg(ex_ctx *x, int v)
{
    if (x->argof[v] < 0) {
        x->argof[v] = x->nargs;
        x->args[x->nargs++] = v;
    }
    return x->argof[v];
}

char *ex_map_key(ex_ctx *x, const cg_map *m)
{
    cg_sb s = {0};
    for (int d = 0; d < m->src.rank; d++) {
        char buf[1024];
        const cg_expr *ix = cg_simplify(x->a, m->idx[d], m->var, m->nvar);
        cg_print_debug(ix, x->names, x->nnames, buf, sizeof buf);
        cg_sb_printf(&s, "%s;", buf);
    }
    return cg_sb_take(&s);
}

void ex_offset(ex_ctx *x, const cg_map *m, char *out, size_t n)
{
    const cg_expr *off = cg_map_offset(x->a, m);
    cg_print_cl(off, x->names, x->nnames, out, n);
}

int ex_lanes_on(void)
{
    const char *env = getenv("DNNF_LANES");
    return !(env && !strcmp(env, "0"));
}

/* e at the start of the lanes' loop, computed once before it
   (ex_ctx.hoist) into `const int <kind><N>_`; returns N. */
static int hoist_at_start(ex_ctx *x, const cg_expr *e, char kind)
{
    char text[2048];
    cg_print_cl(e, x->lane_names, x->lane_nvar, text, sizeof text);
    int id = x->nhoist++;
    cg_sb_printf(x->hoist, "    const int %c%d_ = %s;\n", kind, id, text);
    return id;
}

/* How e moves across the lanes; NONE for a map with more variables than
   the loop has (a Gather of computed indices adds one, gather_value: a
   run-time index that changes from lane to lane). */
static int lanes_of(const ex_ctx *x, const cg_map *m, const cg_expr *e)
{
    return m->nvar <= x->lane_nvar && x->nnames == x->lane_nvar
               ? cg_expr_lanes(e, x->lane_var, x->lanes)
               : CG_LANES_NONE;
}

/* The offset of a load in lanes form (ex_ctx.lanes): its value at the
   loop's start, computed once before the loop, plus the lane when it
   moves with them. */
static void lane_offset(ex_ctx *x, const cg_map *m, char *out, size_t n)
{
    const cg_expr *off = cg_map_offset(x->a, m);
    int k = lanes_of(x, m, off);
    if (k == CG_LANES_NONE) {
        x->lanes_failed = 1;
        ex_offset(x, m, out, n);
        return;
    }
    if (off->kind != CG_VAR && off->kind != CG_CONST) x->lanes_used = 1;
    int id = hoist_at_start(x, off, 'b');
    if (k == CG_LANES_CONTIGUOUS || k == CG_LANES_ALIGNED)
        snprintf(out, n, "b%d_ + %s", id, x->lane_r);
    else
        snprintf(out, n, "b%d_", id);
}

static void indent(ex_ctx *x)
{
    for (int i = 0; i < x->indent; i++)
        cg_sb_puts(x->body, "    ");
}

void ex_params(ex_ctx *x, cg_sb *s, int names)
{
    for (int i = 0; i < x->nargs; i++) {
        const ir_value *v = &x->g->val[x->args[i]];
        cg_sb_printf(s, "%s\n    __global %s%s *restrict a%d", i ? "," : "",
                     i < x->nout ? "" : "const ", cg_ctype(v->dtype), i);
        if (names) {
            cg_sb_puts(s, " /* ");
            for (const char *p = v->name; *p; p++)
                cg_sb_printf(s, "%c", p[0] == '*' && p[1] == '/' ? '_' : *p);
            cg_sb_puts(s, " */");
        }
    }
}

static void kernel_name(const char *family, const char *body, char *out, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (const char *p = body; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    snprintf(out, n, "%s_%08llx", family, (unsigned long long)(h & 0xffffffffull));
}

void ex_finish_kernel(cg_kernel *k, const ex_ctx *x, const char *tmpl, const char *prefix,
                      const char *family, const char *note, const char **keys, const char **vals,
                      int nkeys, const char *params, const char *named_params)
{
    const ir_graph *g = x->g;
    const char *t = cg_template(tmpl);
    /* The name hashes the body with neutral comment, name and parameter
       names, so blocks that differ only in those share one program. */
    vals[0] = "";
    vals[1] = "KERNEL";
    vals[2] = params;
    char *hs = cg_fill(t, keys, vals, nkeys), *w = ex_redirect_stores(x, hs);
    if (w) free(hs), hs = w;
    kernel_name(prefix, hs, k->name, sizeof k->name);
    free(hs);
    char comment[4096], head[4400];
    cg_block_nodes(g, x->b, comment, sizeof comment);
    for (char *p = comment; *p; p++) /* the nodes' names must not close the comment */
        if (p[0] == '*' && p[1] == '/') p[0] = '_';
    snprintf(head, sizeof head, "block %d: %s%s", x->b->id, comment, note ? note : "");
    vals[0] = head;
    vals[1] = k->name;
    vals[2] = named_params;
    k->source = cg_fill(t, keys, vals, nkeys);
    if ((w = ex_redirect_stores(x, k->source))) free(k->source), k->source = w;
    snprintf(k->family, sizeof k->family, "%s", family);
    k->nargs = x->nargs;
    k->nout = x->nout;
    k->args = malloc((size_t)(x->nargs ? x->nargs : 1) * sizeof *k->args);
    if (!k->args) abort();
    memcpy(k->args, x->args, (size_t)x->nargs * sizeof *k->args);
    for (int i = 0; i < x->nargs; i++)
        k->bytes += (double)dn_shape_numel(&g->val[x->args[i]].shape) *
                    (double)dn_dtype_size(g->val[x->args[i]].dtype);
    /* a written-through output's argument is the memory it is written into */
    for (int i = 0; i < x->b->noutputs; i++)
        k->args[x->argof[x->b->outputs[i]]] = cg_block_dest(x->b, i);
}

/* ---- operators ------------------------------------------------------- */

static const char *const unary_ops[] = {
    "Relu",      "Sigmoid",    "Tanh",     "Exp",   "Log",       "Sqrt", "Abs",
    "Neg",       "Reciprocal", "Erf",      "Floor", "Ceil",      "Sin",  "Cos",
    "Softplus",  "Not",        "Identity", "Cast",  "LeakyRelu", "Elu",  "HardSigmoid",
    "HardSwish", "Gelu",       "Sign",     "Round", "Clip",      "Mish", NULL};
static const char *const binary_ops[] = {"Add",  "Sub",     "Mul",         "Div",
                                         "Pow",  "Max",     "Min",         "Equal",
                                         "Less", "Greater", "LessOrEqual", "GreaterOrEqual",
                                         "And",  "Or",      "Xor",         "Where",
                                         "Sum",  "Mean",    NULL};
static const char *const move_ops[] = {
    "Reshape", "Flatten", "Squeeze", "Unsqueeze",    "Transpose",    "Slice", "Tile",
    "Expand",  "Concat",  "Gather",  "DepthToSpace", "SpaceToDepth", "Split", NULL};

static int in_list(const char *const *l, const char *s)
{
    for (; *l; l++)
        if (!strcmp(*l, s)) return 1;
    return 0;
}

int ex_node_ok(const ir_graph *g, const ir_node *n)
{
    if (n->domain[0]) return 0;
    for (int k = 0; k < n->nout; k++)
        if (n->out[k] >= 0 && !cg_ctype(g->val[n->out[k]].dtype)) return 0;
    if (!strcmp(n->op, "Gelu") && strcmp(ir_attr_str(n, "approximate", "none"), "none")) return 0;
    if (!strcmp(n->op, "Pad")) return n->nin >= 1 && n->in[0] >= 0;
    if (!strcmp(n->op, "BatchNormalization")) /* inference: one output, per-channel affine */
        return n->nin == 5 && !ir_attr_int(n, "training_mode", 0) && n->out[0] >= 0 &&
               (n->nout < 2 || (n->out[1] < 0 && (n->nout < 3 || n->out[2] < 0))) &&
               n->in[0] >= 0 && g->val[n->in[0]].dtype == DN_F32 &&
               g->val[n->in[0]].shape.rank >= 2;
    return in_list(unary_ops, n->op) || in_list(binary_ops, n->op) || in_list(move_ops, n->op);
}

static int is_float(int dt)
{
    return dt == DN_F32;
}

/* The expression of an elementwise node from its operands' expressions. */
static int op_text(ex_ctx *x, const ir_node *n, char **a, int na, const int *adt, int odt, cg_sb *o,
                   dn_err *e)
{
    const char *op = n->op;
    const char *T = cg_ctype(odt);
    int f = is_float(adt[0]);
#define A0 a[0]
#define A1 a[1]
    (void)x;
    if (!strcmp(op, "Relu"))
        cg_sb_printf(o, f ? "fmax(%s, 0.0f)" : "max(%s, (%s)0)", A0, T);
    else if (!strcmp(op, "Sigmoid"))
        cg_sb_printf(o, "1.0f / (1.0f + exp(-%s))", A0);
    else if (!strcmp(op, "Tanh"))
        cg_sb_printf(o, "tanh(%s)", A0);
    else if (!strcmp(op, "Exp"))
        cg_sb_printf(o, "exp(%s)", A0);
    else if (!strcmp(op, "Log"))
        cg_sb_printf(o, "log(%s)", A0);
    else if (!strcmp(op, "Sqrt"))
        cg_sb_printf(o, "sqrt(%s)", A0);
    else if (!strcmp(op, "Abs"))
        cg_sb_printf(o, f ? "fabs(%s)" : "(%s)abs(%s)", f ? A0 : T, A0);
    else if (!strcmp(op, "Neg"))
        cg_sb_printf(o, "-%s", A0);
    else if (!strcmp(op, "Reciprocal"))
        cg_sb_printf(o, "1.0f / %s", A0);
    else if (!strcmp(op, "Erf"))
        cg_sb_printf(o, "erf(%s)", A0);
    else if (!strcmp(op, "Floor"))
        cg_sb_printf(o, "floor(%s)", A0);
    else if (!strcmp(op, "Ceil"))
        cg_sb_printf(o, "ceil(%s)", A0);
    else if (!strcmp(op, "Round"))
        cg_sb_printf(o, "rint(%s)", A0);
    else if (!strcmp(op, "Sin"))
        cg_sb_printf(o, "sin(%s)", A0);
    else if (!strcmp(op, "Cos"))
        cg_sb_printf(o, "cos(%s)", A0);
    else if (!strcmp(op, "Sign"))
        cg_sb_printf(o, "(%s)((%s > 0) - (%s < 0))", T, A0, A0);
    else if (!strcmp(op, "Softplus"))
        cg_sb_printf(o, "log(1.0f + exp(%s))", A0);
    else if (!strcmp(op, "Mish"))
        cg_sb_printf(o, "%s * tanh(log(1.0f + exp(%s)))", A0, A0);
    else if (!strcmp(op, "Not"))
        cg_sb_printf(o, "(uchar)!%s", A0);
    else if (!strcmp(op, "Identity"))
        cg_sb_printf(o, "%s", A0);
    else if (!strcmp(op, "Cast")) {
        if (odt == DN_BOOL)
            cg_sb_printf(o, "(uchar)(%s != 0)", A0);
        else
            cg_sb_printf(o, "(%s)%s", T, A0);
    } else if (!strcmp(op, "LeakyRelu"))
        cg_sb_printf(o, "%s >= 0.0f ? %s : %s * %s", A0, A0, FL(ir_attr_float(n, "alpha", 0.01f)),
                     A0);
    else if (!strcmp(op, "Elu"))
        cg_sb_printf(o, "%s >= 0.0f ? %s : %s * (exp(%s) - 1.0f)", A0, A0,
                     FL(ir_attr_float(n, "alpha", 1.0f)), A0);
    else if (!strcmp(op, "HardSigmoid"))
        cg_sb_printf(o, "fmax(0.0f, fmin(1.0f, %s * %s + %s))", FL(ir_attr_float(n, "alpha", 0.2f)),
                     A0, FL(ir_attr_float(n, "beta", 0.5f)));
    else if (!strcmp(op, "HardSwish"))
        cg_sb_printf(o, "%s * fmax(0.0f, fmin(1.0f, %s / 6.0f + 0.5f))", A0, A0);
    else if (!strcmp(op, "Gelu"))
        cg_sb_printf(o, "0.5f * %s * (1.0f + erf(%s * 0.70710678118654752f))", A0, A0);
    else if (!strcmp(op, "Clip")) {
        const ir_attr *lo = ir_attr_get(n, "min"), *hi = ir_attr_get(n, "max");
        cg_sb s = {0};
        cg_sb_printf(&s, "%s", A0);
        char buf[64];
        const char *mn = f ? "fmax" : "max", *mx = f ? "fmin" : "min";
        if (na > 1 && a[1]) {
            char *t = cg_sb_take(&s);
            cg_sb_printf(&s, "%s(%s, %s)", mn, t, a[1]);
            free(t);
        } else if (lo) {
            char *t = cg_sb_take(&s);
            cg_flit(buf, lo->f);
            cg_sb_printf(&s, "%s(%s, %s)", mn, t, buf);
            free(t);
        }
        if (na > 2 && a[2]) {
            char *t = cg_sb_take(&s);
            cg_sb_printf(&s, "%s(%s, %s)", mx, t, a[2]);
            free(t);
        } else if (hi) {
            char *t = cg_sb_take(&s);
            cg_flit(buf, hi->f);
            cg_sb_printf(&s, "%s(%s, %s)", mx, t, buf);
            free(t);
        }
        cg_sb_puts(o, s.s);
        cg_sb_free(&s);
    } else if (!strcmp(op, "Add") || !strcmp(op, "Sum") || !strcmp(op, "Mean")) {
        if (!strcmp(op, "Mean")) cg_sb_puts(o, "(");
        for (int i = 0; i < na; i++)
            cg_sb_printf(o, "%s%s", i ? " + " : "", a[i]);
        if (!strcmp(op, "Mean")) cg_sb_printf(o, ") / %d.0f", na);
    } else if (!strcmp(op, "Sub"))
        cg_sb_printf(o, "%s - %s", A0, A1);
    else if (!strcmp(op, "Mul"))
        cg_sb_printf(o, "%s * %s", A0, A1);
    else if (!strcmp(op, "Div"))
        cg_sb_printf(o, "%s / %s", A0, A1);
    else if (!strcmp(op, "Pow")) {
        if (!f) return dn_errf(e, "integer Pow");
        /* A constant small integer exponent (GPT-2's GELU cubes its input)
           is products: pow is a scalar library call that PoCL does not
           widen, 20 ms a launch over gpt2's MLP against 2 ms for x*x*x. */
        char *end;
        float y = strtof(A1, &end);
        if (end != A1 && !strcmp(end, "f") && (y == 1.0f || y == 2.0f || y == 3.0f || y == 4.0f)) {
            cg_sb_printf(o, "(%s)", A0);
            for (int k = 1; k < (int)y; k++)
                cg_sb_printf(o, " * (%s)", A0);
        } else
            cg_sb_printf(o, "pow(%s, (float)%s)", A0, A1);
    } else if (!strcmp(op, "Max") || !strcmp(op, "Min")) {
        const char *fn = !strcmp(op, "Max") ? (f ? "fmax" : "max") : (f ? "fmin" : "min");
        cg_sb s = {0};
        cg_sb_puts(&s, a[0]);
        for (int i = 1; i < na; i++) {
            char *t = cg_sb_take(&s);
            cg_sb_printf(&s, "%s(%s, %s)", fn, t, a[i]);
            free(t);
        }
        cg_sb_puts(o, s.s);
        cg_sb_free(&s);
    } else if (!strcmp(op, "Equal"))
        cg_sb_printf(o, "(uchar)(%s == %s)", A0, A1);
    else if (!strcmp(op, "Less"))
        cg_sb_printf(o, "(uchar)(%s < %s)", A0, A1);
    else if (!strcmp(op, "Greater"))
        cg_sb_printf(o, "(uchar)(%s > %s)", A0, A1);
    else if (!strcmp(op, "LessOrEqual"))
        cg_sb_printf(o, "(uchar)(%s <= %s)", A0, A1);
    else if (!strcmp(op, "GreaterOrEqual"))
        cg_sb_printf(o, "(uchar)(%s >= %s)", A0, A1);
    else if (!strcmp(op, "And"))
        cg_sb_printf(o, "(uchar)(%s && %s)", A0, A1);
    else if (!strcmp(op, "Or"))
        cg_sb_printf(o, "(uchar)(%s || %s)", A0, A1);
    else if (!strcmp(op, "Xor"))
        cg_sb_printf(o, "(uchar)(!%s != !%s)", A0, A1);
    else if (!strcmp(op, "BatchNormalization")) /* X, scale, B, mean, var */
        cg_sb_printf(o, "(%s - %s) * (%s / sqrt(%s + %s)) + %s", A0, a[3], A1, a[4],
                     FL(ir_attr_float(n, "epsilon", 1e-5f)), a[2]);
    else if (!strcmp(op, "Where"))
        cg_sb_printf(o, "%s ? %s : %s", a[0], a[1], a[2]);
    else
        return dn_errf(e, "no elementwise form for %s", op);
#undef A0
#undef A1
    return 0;
}

/* ---- the walk -------------------------------------------------------- */

static const char *memo_get(ex_ctx *x, int v, const char *key)
{
    for (int i = x->nmemo - 1; i >= 0; i--)
        if (x->memo[i].v == v && !strcmp(x->memo[i].key, key)) return x->memo[i].name;
    return NULL;
}

static const char *memo_put(ex_ctx *x, int v, char *key)
{
    if (x->nmemo == EX_MAX_MEMO) ex_forget(x);
    ex_memo *m = &x->memo[x->nmemo++];
    m->v = v;
    m->key = key;
    m->depth = x->depth;
    snprintf(m->name, sizeof m->name, "t%d", x->ntmp++);
    return m->name;
}

static void memo_pop(ex_ctx *x, int depth)
{
    while (x->nmemo > 0 && x->memo[x->nmemo - 1].depth > depth) {
        free(x->memo[x->nmemo - 1].key);
        x->nmemo--;
    }
}

/* A constant of one element: its literal. */
static int scalar_literal(const ir_value *v, char *out, size_t n)
{
    if (v->kind != IR_VAL_CONST || !v->data || dn_shape_numel(&v->shape) != 1) return 0;
    dn_tensor t = {v->dtype, v->shape, v->data};
    if (v->dtype == DN_F32) {
        double d = dn_get(&t, 0);
        if (!isfinite(d)) {
            snprintf(out, n, d > 0 ? "INFINITY" : d < 0 ? "-INFINITY" : "NAN");
            return 1;
        }
        snprintf(out, n, d < 0 ? "(%s)" : "%s", FL(d)); /* "x - -1.0f", never "--1.0f" */
        return 1;
    }
    if (v->dtype == DN_I64 || v->dtype == DN_I32) {
        snprintf(out, n, "((%s)%lld)", cg_ctype(v->dtype), (long long)dn_geti(&t, 0));
        return 1;
    }
    if (v->dtype == DN_BOOL) {
        snprintf(out, n, "((uchar)%d)", (int)dn_geti(&t, 0) != 0);
        return 1;
    }
    return 0;
}

static int concat_value(ex_ctx *x, const ir_node *nd, int v, const cg_map *m, const char *name,
                        dn_err *e)
{
    const ir_graph *g = x->g;
    const ir_value *ov = &g->val[v];
    int ax;
    if (dn_axis(ir_attr_int(nd, "axis", 0), ov->shape.rank, &ax, e)) return -1;
    char idx[1024];
    const cg_expr *ix = cg_simplify(x->a, m->idx[ax], m->var, m->nvar);
    /* every lane takes the same piece when the index the test reads is
       the same for all of them, or moves with them from a multiple of the
       lane count and every boundary is one too: then the test, computed
       once before the loop, is invariant in it, and the compiler can take
       the branch out of the loop and widen what is left */
    int kx = x->lanes > 1 ? lanes_of(x, m, ix) : CG_LANES_NONE;
    int64_t bound = 0;
    for (int k = 0; kx == CG_LANES_ALIGNED && k < nd->nin; k++)
        if (nd->in[k] >= 0) {
            bound += g->val[nd->in[k]].shape.d[ax];
            if (bound % x->lanes) kx = CG_LANES_NONE;
        }
    if (kx == CG_LANES_UNIFORM || kx == CG_LANES_ALIGNED) {
        snprintf(idx, sizeof idx, "c%d_", hoist_at_start(x, ix, 'c'));
    } else {
        cg_print_cl(ix, x->names, x->nnames, idx, sizeof idx);
    }
    indent(x);
    cg_sb_printf(x->body, "%s %s;\n", cg_ctype(ov->dtype), name);
    int64_t off = 0;
    int first = 1, live = 0;
    for (int k = 0; k < nd->nin; k++)
        if (nd->in[k] >= 0 && g->val[nd->in[k]].shape.d[ax] > 0) live++;
    for (int k = 0; k < nd->nin; k++) {
        int iv = nd->in[k];
        if (iv < 0) continue;
        const dn_shape *is = &g->val[iv].shape;
        if (is->d[ax] == 0) continue;
        live--;
        cg_map cm, mk;
        if (cg_map_concat_input(x->a, is, &ov->shape, ax, off, &cm, e)) return -1;
        if (cg_map_compose(x->a, m, &cm, &mk, e)) return -1;
        mk.nguard = 0;
        off += is->d[ax];
        indent(x);
        if (live == 0)
            cg_sb_printf(x->body, first ? "{\n" : "else {\n");
        else
            cg_sb_printf(x->body, "%sif (%s < %lld) {\n", first ? "" : "else ", idx,
                         (long long)off);
        first = 0;
        x->indent++;
        x->depth++;
        char val[256];
        if (ex_value(x, iv, &mk, val, sizeof val, e)) return -1;
        indent(x);
        cg_sb_printf(x->body, "%s = %s;\n", name, val);
        memo_pop(x, x->depth - 1);
        x->depth--;
        x->indent--;
        indent(x);
        cg_sb_puts(x->body, "}\n");
    }
    return 0;
}

/* ---- Pad -------------------------------------------------------------- */

/* The value of a Pad outside its input (mode constant): the constant_value
   input, else the attribute of opset < 11, else 0; as OpenCL text. */
static int pad_constant(ex_ctx *x, const ir_node *nd, const cg_map *m, char *out, size_t n,
                        dn_err *e)
{
    const ir_graph *g = x->g;
    const ir_value *ov = &g->val[nd->out[0]];
    const char *T = cg_ctype(ov->dtype);
    if (nd->nin > 2 && nd->in[2] >= 0 && dn_shape_numel(&g->val[nd->in[2]].shape) > 0) {
        const ir_value *cv = &g->val[nd->in[2]];
        cg_map cm = *m; /* element 0 of the constant, wherever the loop is */
        cm.src = cv->shape;
        cm.nguard = 0;
        for (int d = 0; d < cv->shape.rank; d++)
            cm.idx[d] = cg_const(x->a, 0);
        char buf[256];
        if (ex_value(x, nd->in[2], &cm, buf, sizeof buf, e)) return -1;
        snprintf(out, n, "(%s)%s", T, buf);
        return 0;
    }
    double v = ir_attr_float(nd, "value", 0.0f);
    if (ov->dtype == DN_F32)
        snprintf(out, n, v < 0 ? "(%s)" : "%s", FL(v));
    else
        snprintf(out, n, "((%s)%lld)", T, (long long)v);
    return 0;
}

typedef struct pad_ctx {
    int xv;          /* the Pad's input */
    dn_shape xs, ys; /* its shape and the output's */
    int64_t pb[DN_MAX_RANK], pe[DN_MAX_RANK];
    int mode;
    const char *name; /* the temporary every branch assigns */
} pad_ctx;

static void open_branch(ex_ctx *x, const char *head)
{
    indent(x);
    cg_sb_printf(x->body, "%s\n", head);
    x->indent++;
    x->depth++;
}

static void close_branch(ex_ctx *x)
{
    memo_pop(x, x->depth - 1);
    x->depth--;
    x->indent--;
    indent(x);
    cg_sb_puts(x->body, "}\n");
}

/* Modes edge and reflect, one padded axis at a time: the value of the
   input padded along axes k.. only (m reads that tensor) is an if-chain
   on the position along axis k, one branch per piece (before, the input,
   after), each reading the tensor padded along the axes after k through
   an affine map.  Several padded axes nest. */
static int pad_axis(ex_ctx *x, const pad_ctx *p, int k, const cg_map *m, dn_err *e)
{
    int r = p->xs.rank;
    while (k < r && !p->pb[k] && !p->pe[k])
        k++;
    if (k == r) {
        char val[256];
        if (ex_value(x, p->xv, m, val, sizeof val, e)) return -1;
        indent(x);
        cg_sb_printf(x->body, "%s = %s;\n", p->name, val);
        return 0;
    }
    int64_t n = p->xs.d[k], P = p->pb[k], E = p->pe[k], O = p->ys.d[k];
    int reflect = p->mode == CG_PAD_REFLECT && n > 1; /* one element reflects as an edge */
    if (reflect && (P > n - 1 || E > n - 1))
        return dn_errf(e,
                       "Pad mode reflect by %lld, %lld along a dim of %lld (wider than the "
                       "input: not generated)",
                       (long long)P, (long long)E, (long long)n);
    /* pieces: lo, hi (positions along k), and the read coef * v + add */
    int64_t pc[3][4];
    int np = 0;
    if (P > 0) {
        int64_t hi = P - 1 < O - 1 ? P - 1 : O - 1;
        pc[np][0] = 0, pc[np][1] = hi, pc[np][2] = reflect ? -1 : 0, pc[np][3] = reflect ? P : 0;
        np++;
    }
    int64_t mlo = P > 0 ? P : 0, mhi = P + n - 1 < O - 1 ? P + n - 1 : O - 1;
    if (mlo <= mhi) {
        pc[np][0] = mlo, pc[np][1] = mhi, pc[np][2] = 1, pc[np][3] = -P;
        np++;
    }
    if (E > 0 && P + n <= O - 1) {
        int64_t lo = P + n > 0 ? P + n : 0;
        pc[np][0] = lo, pc[np][1] = O - 1, pc[np][2] = reflect ? -1 : 0;
        pc[np][3] = reflect ? 2 * n - 2 + P : n - 1;
        np++;
    }
    const cg_expr *ik = cg_simplify(x->a, m->idx[k], m->var, m->nvar);
    cg_range rr = cg_expr_range(ik, m->var, m->nvar);
    char it[1024];
    cg_print_cl(ik, x->names, x->nnames, it, sizeof it);
    int live[3], nlive = 0;
    for (int j = 0; j < np; j++)
        if (pc[j][1] >= rr.lo && pc[j][0] <= rr.hi) live[nlive++] = j;
    dn_shape s1 = m->src; /* the tensor padded along the axes after k */
    s1.d[k] = n;
    for (int i = 0; i < nlive; i++) {
        const int64_t *q = pc[live[i]];
        cg_map pm, mk;
        if (cg_map_pad_piece(x->a, &s1, &m->src, k, q[2], q[3], q[0], q[1], &pm, e) ||
            cg_map_compose(x->a, m, &pm, &mk, e))
            return -1;
        mk.nguard = 0;
        if (nlive > 1) {
            char head[1200];
            if (i == nlive - 1)
                snprintf(head, sizeof head, "else {");
            else
                snprintf(head, sizeof head, "%sif (%s <= %lld) {", i ? "else " : "", it,
                         (long long)q[1]);
            open_branch(x, head);
        }
        if (pad_axis(x, p, k + 1, &mk, e)) return -1;
        if (nlive > 1) close_branch(x);
    }
    return 0;
}

/* The value of Pad node nd (output v) at m.  Modes constant and wrap read
   through one map (cg_map_pad); constant adds one condition, the
   conjunction of the padded dims' ranges, and the constant in the else
   branch.  Takes key. */
static int pad_value(ex_ctx *x, const ir_node *nd, int v, const cg_map *m, char *key, char *out,
                     size_t n, dn_err *e)
{
    const ir_graph *g = x->g;
    e->msg[0] = 0; /* the checks below test it */
    pad_ctx p;
    memset(&p, 0, sizeof p);
    p.xv = nd->in[0];
    p.xs = g->val[p.xv].shape;
    p.ys = g->val[v].shape;
    dn_tensor tin[4];
    const dn_tensor *pin[4] = {0};
    int nin = nd->nin < 4 ? nd->nin : 4;
    for (int k = 0; k < nin; k++)
        pin[k] = ir_input_tensor(g, nd, k, &tin[k]) ? &tin[k] : NULL;
    char cval[320] = "";
    if (!dn_shape_known(&p.xs) || !dn_shape_known(&p.ys))
        dn_errf(e, "shapes are not known");
    else if (!cg_pad_params(nd, pin, nin, p.xs.rank, p.pb, p.pe, &p.mode, e) &&
             (p.mode != CG_PAD_CONSTANT || !pad_constant(x, nd, m, cval, sizeof cval, e)))
        e->msg[0] = 0;
    if (e->msg[0]) {
        free(key);
        return dn_errpre(e, "node '%s' (Pad): ", nd->name);
    }
    if (dn_shape_numel(&p.xs) == 0) { /* nothing to read: all constant */
        free(key);
        snprintf(out, n, "%s", cval);
        return 0;
    }
    const char *T = cg_ctype(g->val[v].dtype);
    char tname[24];
    if (p.mode == CG_PAD_EDGE || p.mode == CG_PAD_REFLECT) {
        snprintf(tname, sizeof tname, "%s", memo_put(x, v, key));
        p.name = tname;
        indent(x);
        cg_sb_printf(x->body, "%s %s;\n", T, tname);
        if (pad_axis(x, &p, 0, m, e)) return dn_errpre(e, "node '%s' (Pad): ", nd->name);
        x->ncompute++;
        snprintf(out, n, "%s", tname);
        return 0;
    }
    cg_map pm, mk;
    if (cg_map_pad(x->a, &p.xs, p.pb, p.pe, p.mode == CG_PAD_WRAP, &pm, e) ||
        cg_map_compose(x->a, m, &pm, &mk, e)) {
        free(key);
        return dn_errpre(e, "node '%s' (Pad): ", nd->name);
    }
    mk.nguard = 0;
    /* the condition, on the Pad's output position; sides the loop never
       reaches are left out */
    cg_sb cond = {0};
    int never = 0;
    for (int gi = 0; gi < pm.nguard; gi++) {
        int k = pm.guard[gi].x->var;
        int64_t lo = pm.guard[gi].lo, hi = pm.guard[gi].hi;
        const cg_expr *ik = cg_simplify(x->a, m->idx[k], m->var, m->nvar);
        cg_range rr = cg_expr_range(ik, m->var, m->nvar);
        if (rr.hi < lo || rr.lo > hi) never = 1;
        char it[1024];
        cg_print_cl(ik, x->names, x->nnames, it, sizeof it);
        if (rr.lo < lo)
            cg_sb_printf(&cond, "%s%s >= %lld", cond.n ? " && " : "", it, (long long)lo);
        if (rr.hi > hi)
            cg_sb_printf(&cond, "%s%s <= %lld", cond.n ? " && " : "", it, (long long)hi);
    }
    if (never || !cond.n) {
        cg_sb_free(&cond);
        free(key);
        if (never) {
            snprintf(out, n, "%s", cval);
            return 0;
        }
        return ex_value(x, p.xv, &mk, out, n, e); /* the input itself, moved */
    }
    snprintf(tname, sizeof tname, "%s", memo_put(x, v, key));
    indent(x);
    cg_sb_printf(x->body, "%s %s = %s;\n", T, tname, cval);
    cg_sb head = {0};
    cg_sb_printf(&head, "if (%s) {", cond.s);
    open_branch(x, head.s);
    cg_sb_free(&head);
    cg_sb_free(&cond);
    char val[256];
    if (ex_value(x, p.xv, &mk, val, sizeof val, e)) return -1;
    indent(x);
    cg_sb_printf(x->body, "%s = %s;\n", tname, val);
    close_branch(x);
    x->ncompute++;
    snprintf(out, n, "%s", tname);
    return 0;
}

/* ---- Gather with run-time indices ------------------------------------- */

/* The index is a value of the kernel, not an expression of its loop
   variables, so it enters the data's map as one more variable, named by
   the temporary that holds it and ranging over the gathered dim: the data
   is then read (or computed) through the usual walk.  The index is
   wrapped (negative counts from the end) and clamped, so that an index
   out of range reads inside the tensor rather than outside the buffer.
   Takes key. */
static int gather_value(ex_ctx *x, const ir_node *nd, int v, const cg_map *m, char *key, char *out,
                        size_t n, dn_err *e)
{
    const ir_graph *g = x->g;
    int dv = nd->in[0], iv = nd->in[1];
    e->msg[0] = 0; /* the checks below test it */
    const dn_shape *ds = &g->val[dv].shape, *is = &g->val[iv].shape;
    int axis = 0;
    if (!dn_shape_known(ds) || !dn_shape_known(is))
        dn_errf(e, "shapes are not known");
    else if (g->val[iv].dtype != DN_I64 && g->val[iv].dtype != DN_I32)
        dn_errf(e, "indices of dtype %s", dn_dtype_name(g->val[iv].dtype));
    else if (!dn_axis(ir_attr_int(nd, "axis", 0), ds->rank, &axis, e) && ds->d[axis] <= 0)
        dn_errf(e, "gathers along an empty dim");
    int p = m->nvar > x->nnames ? m->nvar : x->nnames;
    if (!e->msg[0] && p >= DN_MAX_RANK)
        dn_errf(e, "%d loop variables and a run-time index exceed %d", p, DN_MAX_RANK);
    if (e->msg[0]) {
        free(key);
        return dn_errpre(e, "node '%s' (Gather): ", nd->name);
    }
    int q = is->rank;
    int64_t D = ds->d[axis];
    cg_map mi = *m; /* the indices at the output's index dims */
    mi.src = *is;
    for (int i = 0; i < q; i++)
        mi.idx[i] = m->idx[axis + i];
    char it[256];
    if (ex_value(x, iv, &mi, it, sizeof it, e)) {
        free(key);
        return -1;
    }
    char jn[24];
    snprintf(jn, sizeof jn, "t%d", x->ntmp++);
    indent(x);
    cg_sb_printf(
        x->body,
        "const int %s = (int)clamp((long)%s < 0 ? (long)%s + %lldL : (long)%s, 0L, %lldL);\n", jn,
        it, it, (long long)D, it, (long long)(D - 1));
    cg_map md = *m;
    md.src = *ds;
    for (int u = m->nvar; u < p; u++) /* names without a variable: never read */
        md.var[u] = (cg_range){0, 0};
    md.var[p] = (cg_range){0, D - 1};
    md.nvar = p + 1;
    for (int i = 0; i < axis; i++)
        md.idx[i] = m->idx[i];
    md.idx[axis] = cg_var(x->a, p);
    for (int i = axis + 1; i < ds->rank; i++)
        md.idx[i] = m->idx[i - 1 + q];
    const char *nm[DN_MAX_RANK];
    char ib[DN_MAX_RANK][16];
    for (int u = 0; u < p; u++) {
        snprintf(ib[u], sizeof ib[u], "i%d", u);
        nm[u] = u < x->nnames && x->names ? x->names[u] : ib[u];
    }
    nm[p] = jn;
    const char *const *save = x->names;
    int nsave = x->nnames;
    x->names = nm;
    x->nnames = p + 1;
    char dt[256];
    int rc = ex_value(x, dv, &md, dt, sizeof dt, e);
    x->names = save;
    x->nnames = nsave;
    if (rc) {
        free(key);
        return -1;
    }
    const char *name = memo_put(x, v, key);
    indent(x);
    cg_sb_printf(x->body, "const %s %s = %s; /* %s */\n", cg_ctype(g->val[v].dtype), name, dt,
                 nd->name);
    snprintf(out, n, "%s", name);
    return 0;
}

/* BatchNormalization's scale, B, mean and var ([C]) at the channel (dim 1)
   of the output position m reads. */
static int channel_map(ex_ctx *x, const dn_shape *ps, const dn_shape *ys, const cg_map *m,
                       cg_map *im, dn_err *e)
{
    dn_shape cs = *ys;
    for (int d = 0; d < cs.rank; d++)
        cs.d[d] = d == 1 ? ys->d[1] : 1;
    cg_map rm, bm, cm;
    if (cg_map_reshape(x->a, ps, &cs, &rm, e) || cg_map_expand(x->a, &cs, ys, &bm, e) ||
        cg_map_compose(x->a, &bm, &rm, &cm, e) || cg_map_compose(x->a, m, &cm, im, e))
        return -1;
    return 0;
}

int ex_value(ex_ctx *x, int v, const cg_map *m, char *out, size_t n, dn_err *e)
{
    const ir_graph *g = x->g;
    const ir_value *val = &g->val[v];
    if (scalar_literal(val, out, n)) return 0;
    char *key = ex_map_key(x, m);
    if (v == x->override_v && !strcmp(key, x->override_key)) {
        free(key);
        snprintf(out, n, "(%s)", x->override_expr);
        return 0;
    }
    const char *have = memo_get(x, v, key);
    if (have) {
        free(key);
        snprintf(out, n, "%s", have);
        return 0;
    }
    int node = x->prod[v];
    if (node < 0) { /* read from memory */
        if (!cg_ctype(val->dtype)) {
            free(key);
            return dn_errf(e, "'%s' has dtype %s", val->name, dn_dtype_name(val->dtype));
        }
        int arg = ex_arg(x, v);
        char off[2048];
        if (x->lanes > 1) {
            lane_offset(x, m, off, sizeof off);
        } else {
            ex_offset(x, m, off, sizeof off);
        }
        const char *name = memo_put(x, v, key);
        indent(x);
        cg_sb_printf(x->body, "const %s %s = a%d[%s];\n", cg_ctype(val->dtype), name, arg, off);
        snprintf(out, n, "%s", name);
        return 0;
    }
    if (v == x->override_v) {
        free(key);
        return dn_errf(e, "'%s' is read at another index than it is computed", val->name);
    }
    const ir_node *nd = &g->node[node];
    if (!ex_node_ok(g, nd)) {
        free(key);
        return dn_errf(e, "no elementwise form for node '%s' (%s)", nd->name, nd->op);
    }
    int which = 0;
    for (int k = 0; k < nd->nout; k++)
        if (nd->out[k] == v) which = k;
    if (!strcmp(nd->op, "Pad")) return pad_value(x, nd, v, m, key, out, n, e);
    if (!strcmp(nd->op, "Gather") && nd->nin > 1 && nd->in[1] >= 0 && !g->val[nd->in[1]].data)
        return gather_value(x, nd, v, m, key, out, n, e);
    if (in_list(move_ops, nd->op) && strcmp(nd->op, "Concat") != 0) {
        dn_tensor tin[16];
        const dn_tensor *pin[16];
        if (nd->nin > 16) {
            free(key);
            return dn_errf(e, "node '%s' has too many inputs", nd->name);
        }
        for (int k = 0; k < nd->nin; k++)
            pin[k] = ir_input_tensor(g, nd, k, &tin[k]) ? &tin[k] : NULL;
        cg_map nm, cm;
        int src = !strcmp(nd->op, "Split") ? 0 : 0;
        if (cg_map_node(x->a, nd, pin, nd->nin, which, &nm, e) ||
            cg_map_compose(x->a, m, &nm, &cm, e)) {
            free(key);
            return dn_errpre(e, "node '%s' (%s): ", nd->name, nd->op);
        }
        free(key);
        return ex_value(x, nd->in[src], &cm, out, n, e);
    }
    const char *name = memo_put(x, v, key);
    char tname[24];
    snprintf(tname, sizeof tname, "%s", name);
    if (!strcmp(nd->op, "Concat")) {
        if (concat_value(x, nd, v, m, tname, e)) return -1;
        x->ncompute++;
        snprintf(out, n, "%s", tname);
        return 0;
    }
    /* elementwise: each input through its broadcast */
    char *args[16] = {0};
    int adt[16] = {0}, na = nd->nin, rc = 0;
    if (na > 16) return dn_errf(e, "node '%s' has too many inputs", nd->name);
    for (int k = 0; k < na && !rc; k++) {
        int iv = nd->in[k];
        if (iv < 0) continue;
        const ir_value *in = &g->val[iv];
        /* Clip's bounds and Cast's targets: inputs that are not tensors */
        adt[k] = in->dtype;
        cg_map im;
        if (k > 0 && !strcmp(nd->op, "BatchNormalization")) {
            if (channel_map(x, &in->shape, &val->shape, m, &im, e)) {
                rc = dn_errpre(e, "node '%s' (%s): ", nd->name, nd->op);
                break;
            }
        } else if (dn_shape_eq(&in->shape, &val->shape))
            im = *m;
        else {
            cg_map bm;
            if (cg_map_expand(x->a, &in->shape, &val->shape, &bm, e) ||
                cg_map_compose(x->a, m, &bm, &im, e)) {
                rc = dn_errpre(e, "node '%s' (%s): ", nd->name, nd->op);
                break;
            }
        }
        char buf[256];
        rc = ex_value(x, iv, &im, buf, sizeof buf, e);
        if (!rc) args[k] = ir_strdup(buf);
    }
    if (!rc && !args[0]) rc = dn_errf(e, "node '%s' lacks its first input", nd->name);
    if (!rc) {
        cg_sb o = {0};
        rc = op_text(x, nd, args, na, adt, val->dtype, &o, e);
        if (!rc) {
            indent(x);
            cg_sb_printf(x->body, "const %s %s = %s; /* %s */\n", cg_ctype(val->dtype), tname, o.s,
                         nd->name);
            x->ncompute++;
        }
        cg_sb_free(&o);
    }
    for (int k = 0; k < na; k++)
        free(args[k]);
    if (rc) return -1;
    snprintf(out, n, "%s", tname);
    return 0;
}
