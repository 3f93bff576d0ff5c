/* op_elementwise.c -- binary arithmetic, comparisons and logic with numpy
 * broadcasting, the variadic Sum/Mean/Min/Max, Where, and the family table
 * (the unary operators, Cast, Clip, Identity and Dropout live in
 * op_unary.c).
 *
 * Broadcasting is planned once per node: output dims of size 1 are dropped
 * and neighbouring dims whose strides line up in every operand are merged,
 * so that the work becomes rows of the innermost dim in which each operand
 * either advances by one or stays put.  [1,128,768] + [768] becomes 128 rows
 * of 768 against one row; [1,64,56,56] * [1,64,1,1] becomes 64 rows of 3136
 * against one scalar each.  f32 rows have typed loops; other dtypes go
 * through dn_get/dn_set, computing in double (float dtypes) or int64. */
#include "op_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Broadcast plan                                                      */
/* ------------------------------------------------------------------ */

#define BC_MAX_IN 3

typedef struct bc_plan {
    int nd; /* >= 1 */
    int64_t d[DN_MAX_RANK];
    int64_t st[BC_MAX_IN][DN_MAX_RANK];
} bc_plan;

static void bc_plan_make(bc_plan *p, const dn_shape *out, const dn_shape *const *in, int k)
{
    int64_t st[BC_MAX_IN][DN_MAX_RANK];
    for (int j = 0; j < k; j++)
        op_bcast_strides(out, in[j], st[j]);
    p->nd = 0;
    for (int i = 0; i < out->rank; i++) {
        if (out->d[i] == 1) continue;
        if (p->nd > 0) {
            int m = p->nd - 1, ok = 1;
            for (int j = 0; j < k; j++)
                if (p->st[j][m] != st[j][i] * out->d[i]) ok = 0;
            if (ok) {
                p->d[m] *= out->d[i];
                for (int j = 0; j < k; j++)
                    p->st[j][m] = st[j][i];
                continue;
            }
        }
        p->d[p->nd] = out->d[i];
        for (int j = 0; j < k; j++)
            p->st[j][p->nd] = st[j][i];
        p->nd++;
    }
    if (p->nd == 0) {
        p->nd = 1;
        p->d[0] = 1;
        for (int j = 0; j < k; j++)
            p->st[j][0] = 0;
    }
}

/* One contiguous output row [oo, oo+n): operand j starts at element off[j]
   and advances by step[j] (0 or 1, since inputs are dense row-major). */
typedef void (*bc_row_fn)(const void *ctx, const int64_t *off, int64_t oo, int64_t n,
                          const int *step);

static void bc_run(const bc_plan *p, int k, bc_row_fn fn, const void *ctx)
{
    int last = p->nd - 1;
    int64_t n = p->d[last], rows = 1, idx[DN_MAX_RANK] = {0}, off[BC_MAX_IN] = {0};
    int step[BC_MAX_IN];
    for (int j = 0; j < k; j++)
        step[j] = p->st[j][last] != 0;
    for (int i = 0; i < last; i++)
        rows *= p->d[i];
    for (int64_t r = 0; r < rows; r++) {
        fn(ctx, off, r * n, n, step);
        for (int i = last - 1; i >= 0; i--) {
            for (int j = 0; j < k; j++)
                off[j] += p->st[j][i];
            if (++idx[i] < p->d[i]) break;
            for (int j = 0; j < k; j++)
                off[j] -= p->st[j][i] * p->d[i];
            idx[i] = 0;
        }
    }
}

/* ------------------------------------------------------------------ */
/* Binary operators                                                    */
/* ------------------------------------------------------------------ */

/* clang-format off */
enum {
    /* arithmetic */ B_ADD, B_SUB, B_MUL, B_DIV, B_POW, B_MOD, B_FMOD, B_MIN, B_MAX,
    /* comparison */ B_EQ, B_LT, B_LE, B_GT, B_GE,
    /* logic */      B_AND, B_OR, B_XOR,
};
/* clang-format on */

enum { K_ARITH, K_CMP, K_LOGIC };

static const struct {
    const char *name;
    int op, kind;
} bin_ops[] = {
    {"Add", B_ADD, K_ARITH},      {"Sub", B_SUB, K_ARITH},  {"Mul", B_MUL, K_ARITH},
    {"Div", B_DIV, K_ARITH},      {"Pow", B_POW, K_ARITH},  {"Mod", B_MOD, K_ARITH},
    {"Min", B_MIN, K_ARITH},      {"Max", B_MAX, K_ARITH},  {"Sum", B_ADD, K_ARITH},
    {"Mean", B_ADD, K_ARITH},     {"Equal", B_EQ, K_CMP},   {"Less", B_LT, K_CMP},
    {"LessOrEqual", B_LE, K_CMP}, {"Greater", B_GT, K_CMP}, {"GreaterOrEqual", B_GE, K_CMP},
    {"And", B_AND, K_LOGIC},      {"Or", B_OR, K_LOGIC},    {"Xor", B_XOR, K_LOGIC},
};

static int bin_lookup(const ir_node *n, int *op, int *kind)
{
    for (size_t i = 0; i < sizeof bin_ops / sizeof bin_ops[0]; i++)
        if (strcmp(bin_ops[i].name, n->op) == 0) {
            *op = bin_ops[i].op;
            *kind = bin_ops[i].kind;
            if (*op == B_MOD && ir_attr_int(n, "fmod", 0)) *op = B_FMOD;
            return 0;
        }
    return -1;
}

static int is_int_dtype(int dt)
{
    return dt == DN_I8 || dt == DN_U8 || dt == DN_I16 || dt == DN_U16 || dt == DN_I32 ||
           dt == DN_I64 || dt == DN_U32 || dt == DN_U64;
}

/* NaN propagates through Min/Max as in numpy (and ORT). */
static double min_d(double x, double y)
{
    return isnan(x) || x < y ? x : y;
}
static double max_d(double x, double y)
{
    return isnan(x) || x > y ? x : y;
}
static float min_f(float x, float y)
{
    return isnan(x) || x < y ? x : y;
}
static float max_f(float x, float y)
{
    return isnan(x) || x > y ? x : y;
}

static double bin_d(int op, double x, double y)
{
    switch (op) {
    case B_ADD:
        return x + y;
    case B_SUB:
        return x - y;
    case B_MUL:
        return x * y;
    case B_DIV:
        return x / y;
    case B_POW:
        return pow(x, y);
    case B_MOD: /* infer refuses fmod=0 on floats, as ORT does */
    case B_FMOD:
        return fmod(x, y);
    case B_MIN:
        return min_d(x, y);
    case B_MAX:
        return max_d(x, y);
    case B_EQ:
        return x == y;
    case B_LT:
        return x < y;
    case B_LE:
        return x <= y;
    case B_GT:
        return x > y;
    case B_GE:
        return x >= y;
    case B_AND:
        return x != 0 && y != 0;
    case B_OR:
        return x != 0 || y != 0;
    case B_XOR:
        return (x != 0) != (y != 0);
    }
    return 0;
}

static int64_t ipow(int64_t x, int64_t y)
{
    /* Negative exponents: what std::pow then a cast to the integer gives. */
    if (y < 0) return x == 1 ? 1 : x == -1 ? ((y & 1) ? -1 : 1) : 0;
    uint64_t r = 1, b = (uint64_t)x; /* unsigned: overflow wraps instead of being UB */
    for (uint64_t k = (uint64_t)y; k; k >>= 1) {
        if (k & 1) r *= b;
        b *= b;
    }
    return (int64_t)r;
}

static int64_t bin_i(int op, int64_t x, int64_t y)
{
    switch (op) {
    case B_ADD:
        return (int64_t)((uint64_t)x + (uint64_t)y);
    case B_SUB:
        return (int64_t)((uint64_t)x - (uint64_t)y);
    case B_MUL:
        return (int64_t)((uint64_t)x * (uint64_t)y);
    case B_DIV:
        /* Division by zero has no defined result; 0 keeps the run alive. */
        if (y == 0) return 0;
        if (y == -1) return (int64_t)(0 - (uint64_t)x);
        return x / y; /* C truncates toward zero, as ORT does */
    case B_POW:
        return ipow(x, y);
    case B_FMOD:
        if (y == 0 || y == -1) return 0;
        return x % y;
    case B_MOD: {
        /* fmod=0: the result takes the divisor's sign (Python's %). */
        if (y == 0 || y == -1) return 0;
        int64_t r = x % y;
        if (r != 0 && ((r < 0) != (y < 0))) r += y;
        return r;
    }
    case B_MIN:
        return x < y ? x : y;
    case B_MAX:
        return x > y ? x : y;
    case B_EQ:
        return x == y;
    case B_LT:
        return x < y;
    case B_LE:
        return x <= y;
    case B_GT:
        return x > y;
    case B_GE:
        return x >= y;
    case B_AND:
        return x && y;
    case B_OR:
        return x || y;
    case B_XOR:
        return !x != !y;
    }
    return 0;
}

typedef struct bin_ctx {
    int op;
    int fl; /* compute in double (else int64) on the generic path */
    const dn_tensor *a, *b;
    dn_tensor *o;
} bin_ctx;

/* EXPR of float x, y into O[i] for the four step patterns, so that each
   loop has fixed strides and can be vectorised. */
#define ROW(O, EXPR)                                                                               \
    do {                                                                                           \
        if (sa && sb)                                                                              \
            for (int64_t i = 0; i < n; i++) {                                                      \
                float x = a[i], y = b[i];                                                          \
                O[i] = EXPR;                                                                       \
            }                                                                                      \
        else if (sa) {                                                                             \
            float y = b[0];                                                                        \
            for (int64_t i = 0; i < n; i++) {                                                      \
                float x = a[i];                                                                    \
                O[i] = EXPR;                                                                       \
            }                                                                                      \
        } else if (sb) {                                                                           \
            float x = a[0];                                                                        \
            for (int64_t i = 0; i < n; i++) {                                                      \
                float y = b[i];                                                                    \
                O[i] = EXPR;                                                                       \
            }                                                                                      \
        } else {                                                                                   \
            float x = a[0], y = b[0];                                                              \
            for (int64_t i = 0; i < n; i++)                                                        \
                O[i] = EXPR;                                                                       \
        }                                                                                          \
    } while (0)

static void row_f32(const void *vc, const int64_t *off, int64_t oo, int64_t n, const int *step)
{
    const bin_ctx *c = vc;
    const float *a = (const float *)c->a->data + off[0];
    const float *b = (const float *)c->b->data + off[1];
    float *o = (float *)c->o->data + oo;
    uint8_t *ob = (uint8_t *)c->o->data + oo;
    int sa = step[0], sb = step[1];
    switch (c->op) {
    case B_ADD:
        ROW(o, x + y);
        break;
    case B_SUB:
        ROW(o, x - y);
        break;
    case B_MUL:
        ROW(o, x * y);
        break;
    case B_DIV:
        ROW(o, x / y);
        break;
    case B_POW:
        ROW(o, (float)pow(x, y));
        break;
    case B_FMOD:
        ROW(o, fmodf(x, y));
        break;
    case B_MIN:
        ROW(o, min_f(x, y));
        break;
    case B_MAX:
        ROW(o, max_f(x, y));
        break;
    case B_EQ:
        ROW(ob, x == y);
        break;
    case B_LT:
        ROW(ob, x < y);
        break;
    case B_LE:
        ROW(ob, x <= y);
        break;
    case B_GT:
        ROW(ob, x > y);
        break;
    case B_GE:
        ROW(ob, x >= y);
        break;
    default:
        break; /* B_MOD on floats is refused by infer; logic is bool only */
    }
}

#undef ROW

static void row_gen(const void *vc, const int64_t *off, int64_t oo, int64_t n, const int *step)
{
    const bin_ctx *c = vc;
    int64_t ia = off[0], ib = off[1];
    for (int64_t i = 0; i < n; i++, ia += step[0], ib += step[1]) {
        if (c->fl)
            dn_set(c->o, oo + i, bin_d(c->op, dn_get(c->a, ia), dn_get(c->b, ib)));
        else
            dn_seti(c->o, oo + i, bin_i(c->op, dn_geti(c->a, ia), dn_geti(c->b, ib)));
    }
}

/* out = a (op) b, with out's shape already the broadcast of both.  out may
   be a itself (the variadic operators fold into their output). */
static void bin_apply(int op, const dn_tensor *a, const dn_tensor *b, dn_tensor *out)
{
    if (dn_shape_numel(&out->shape) == 0) return;
    const dn_shape *sh[2] = {&a->shape, &b->shape};
    bc_plan p;
    bc_plan_make(&p, &out->shape, sh, 2);
    bin_ctx c = {op, 0, a, b, out};
    if (a->dtype == DN_F32 && b->dtype == DN_F32) {
        bc_run(&p, 2, row_f32, &c);
        return;
    }
    c.fl = dn_dtype_is_float(a->dtype) || dn_dtype_is_float(b->dtype);
    bc_run(&p, 2, row_gen, &c);
}

static int check_dtype(const ir_node *n, int kind, int op, int dt, dn_err *e)
{
    if (dt == DN_F16)
        return dn_errf(e, "%s: dtype f16 is not supported (only f32 and f64 floats)", n->op);
    if (kind == K_LOGIC) {
        if (dt != DN_BOOL)
            return dn_errf(e, "%s needs bool inputs, got %s", n->op, dn_dtype_name(dt));
        return 0;
    }
    int ok = dn_dtype_is_float(dt) || is_int_dtype(dt) || (kind == K_CMP && dt == DN_BOOL);
    if (!ok) return dn_errf(e, "%s does not support dtype %s", n->op, dn_dtype_name(dt));
    if (op == B_MOD && dn_dtype_is_float(dt))
        return dn_errf(e, "Mod on floating point needs attribute fmod=1");
    return 0;
}

/* Binary and variadic (Sum, Mean, Min, Max) operators share one infer. */
static int bin_infer(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out,
                     int nout, dn_err *e)
{
    (void)nout;
    int op, kind;
    if (bin_lookup(n, &op, &kind)) return dn_errf(e, "unknown elementwise operator %s", n->op);
    while (nin > 0 && !in[nin - 1])
        nin--;
    dn_shape s = dn_shape_make(0, NULL);
    int dt = DN_UNDEF;
    for (int i = 0; i < nin; i++) {
        if (!in[i]) return dn_errf(e, "%s: input %d is missing", n->op, i);
        if (check_dtype(n, kind, op, in[i]->dtype, e)) return -1;
        if (i == 0)
            dt = in[i]->dtype;
        else if (in[i]->dtype != dt && op != B_POW) /* Pow's exponent may differ */
            return dn_errf(e, "%s: input dtypes differ (%s vs %s)", n->op, dn_dtype_name(dt),
                           dn_dtype_name(in[i]->dtype));
        if (dn_broadcast(&s, &in[i]->shape, &s, e)) return -1;
    }
    out[0].dtype = kind == K_ARITH ? dt : DN_BOOL;
    out[0].shape = s;
    return 0;
}

static int bin_eval(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out, int nout,
                    dn_err *e)
{
    (void)nout;
    (void)e;
    int op, kind;
    if (bin_lookup(n, &op, &kind)) return dn_errf(e, "unknown elementwise operator %s", n->op);
    while (nin > 0 && !in[nin - 1])
        nin--;
    if (nin == 1) {
        /* a single input of a variadic operator: a (broadcast) copy */
        bin_apply(B_MIN, in[0], in[0], out);
        return 0;
    }
    bin_apply(op, in[0], in[1], out);
    for (int i = 2; i < nin; i++)
        bin_apply(op, out, in[i], out);
    if (strcmp(n->op, "Mean") == 0) {
        int64_t m = dn_shape_numel(&out->shape);
        if (out->dtype == DN_F32) {
            float *o = out->data, k = (float)nin;
            for (int64_t i = 0; i < m; i++)
                o[i] /= k;
        } else if (dn_dtype_is_float(out->dtype)) {
            for (int64_t i = 0; i < m; i++)
                dn_set(out, i, dn_get(out, i) / nin);
        } else {
            for (int64_t i = 0; i < m; i++)
                dn_seti(out, i, dn_geti(out, i) / nin);
        }
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Where                                                               */
/* ------------------------------------------------------------------ */

typedef struct where_ctx {
    const uint8_t *c;
    const char *x, *y;
    char *o;
    size_t es;
} where_ctx;

#define WHERE_ROW(T)                                                                               \
    do {                                                                                           \
        const T *x = (const T *)w->x + off[1], *y = (const T *)w->y + off[2];                      \
        T *o = (T *)w->o + oo;                                                                     \
        for (int64_t i = 0; i < n; i++)                                                            \
            o[i] = c[i * sc] ? x[i * sx] : y[i * sy];                                              \
    } while (0)

static void row_where(const void *vc, const int64_t *off, int64_t oo, int64_t n, const int *step)
{
    const where_ctx *w = vc;
    const uint8_t *c = w->c + off[0];
    int64_t sc = step[0], sx = step[1], sy = step[2];
    switch (w->es) {
    case 1:
        WHERE_ROW(uint8_t);
        break;
    case 2:
        WHERE_ROW(uint16_t);
        break;
    case 4:
        WHERE_ROW(uint32_t);
        break;
    case 8:
        WHERE_ROW(uint64_t);
        break;
    default:
        for (int64_t i = 0; i < n; i++) {
            const char *src =
                c[i * sc] ? w->x + (off[1] + i * sx) * w->es : w->y + (off[2] + i * sy) * w->es;
            memcpy(w->o + (oo + i) * w->es, src, w->es);
        }
    }
}

#undef WHERE_ROW

static int where_infer(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out,
                       int nout, dn_err *e)
{
    (void)n;
    (void)nin;
    (void)nout;
    if (in[0]->dtype != DN_BOOL)
        return dn_errf(e, "Where: condition must be bool, got %s", dn_dtype_name(in[0]->dtype));
    if (in[1]->dtype != in[2]->dtype)
        return dn_errf(e, "Where: X and Y dtypes differ (%s vs %s)", dn_dtype_name(in[1]->dtype),
                       dn_dtype_name(in[2]->dtype));
    if (dn_dtype_size(in[1]->dtype) == 0)
        return dn_errf(e, "Where: unsupported dtype %s", dn_dtype_name(in[1]->dtype));
    dn_shape s;
    if (dn_broadcast(&in[0]->shape, &in[1]->shape, &s, e)) return -1;
    if (dn_broadcast(&s, &in[2]->shape, &s, e)) return -1;
    out[0].dtype = in[1]->dtype;
    out[0].shape = s;
    return 0;
}

static int where_eval(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out,
                      int nout, dn_err *e)
{
    (void)n;
    (void)nin;
    (void)nout;
    (void)e;
    if (dn_shape_numel(&out->shape) == 0) return 0;
    const dn_shape *sh[3] = {&in[0]->shape, &in[1]->shape, &in[2]->shape};
    bc_plan p;
    bc_plan_make(&p, &out->shape, sh, 3);
    where_ctx w = {in[0]->data, in[1]->data, in[2]->data, out->data, dn_dtype_size(out->dtype)};
    bc_run(&p, 3, row_where, &w);
    return 0;
}

/* ------------------------------------------------------------------ */
/* The family table                                                    */
/* ------------------------------------------------------------------ */

#define BIN(name)                                                                                  \
    {                                                                                              \
        name, 2, 2, 1, 1, bin_infer, bin_eval                                                      \
    }
#define VAR(name)                                                                                  \
    {                                                                                              \
        name, 1, -1, 1, 1, bin_infer, bin_eval                                                     \
    }
#define UN(name)                                                                                   \
    {                                                                                              \
        name, 1, 1, 1, 1, op_ew_unary_infer, op_ew_unary_eval                                      \
    }

const op_def op_defs_elementwise[] = {
    BIN("Add"),
    BIN("Sub"),
    BIN("Mul"),
    BIN("Div"),
    BIN("Pow"),
    BIN("Mod"),
    VAR("Min"),
    VAR("Max"),
    VAR("Sum"),
    VAR("Mean"),
    BIN("Equal"),
    BIN("Less"),
    BIN("LessOrEqual"),
    BIN("Greater"),
    BIN("GreaterOrEqual"),
    BIN("And"),
    BIN("Or"),
    BIN("Xor"),
    {"Where", 3, 3, 1, 1, where_infer, where_eval},
    UN("Not"),
    UN("Abs"),
    UN("Neg"),
    UN("Exp"),
    UN("Log"),
    UN("Sqrt"),
    UN("Reciprocal"),
    UN("Floor"),
    UN("Ceil"),
    UN("Round"),
    UN("Sign"),
    UN("Relu"),
    UN("LeakyRelu"),
    UN("Elu"),
    UN("Selu"),
    UN("Sigmoid"),
    UN("HardSigmoid"),
    UN("HardSwish"),
    UN("Tanh"),
    UN("Erf"),
    UN("Sin"),
    UN("Cos"),
    UN("Tan"),
    UN("Softplus"),
    UN("Gelu"),
    UN("Mish"),
    UN("IsNaN"),
    UN("IsInf"),
    {"Cast", 1, 1, 1, 1, op_ew_cast_infer, op_ew_cast_eval},
    {"CastLike", 2, 2, 1, 1, op_ew_cast_infer, op_ew_cast_eval},
    {"Clip", 1, 3, 1, 1, op_ew_clip_infer, op_ew_clip_eval},
    {"Identity", 1, 1, 1, 1, op_ew_identity_infer, op_ew_identity_eval},
    {"Dropout", 1, 3, 1, 2, op_ew_dropout_infer, op_ew_dropout_eval},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};
