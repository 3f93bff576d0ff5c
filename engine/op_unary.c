/* op_unary.c -- the one-input elementwise operators (math, activations,
 * IsNaN/IsInf, Not), Cast/CastLike, Clip, Identity and Dropout.  Their
 * op_def entries are in op_elementwise.c's table.
 *
 * Float math is evaluated in double and rounded once to the output dtype:
 * simpler than per-dtype code and at least as accurate as ORT's float
 * kernels, which is what the results are compared against. */
#include "op_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int is_int_dtype(int dt)
{
    return dt == DN_I8 || dt == DN_U8 || dt == DN_I16 || dt == DN_U16 || dt == DN_I32 ||
           dt == DN_I64 || dt == DN_U32 || dt == DN_U64;
}

/* ------------------------------------------------------------------ */
/* Unary math                                                          */
/* ------------------------------------------------------------------ */

/* clang-format off */
enum {
    /* also on integers */ U_ABS, U_NEG, U_SIGN, U_RELU,
    /* floats only */      U_EXP, U_LOG, U_SQRT, U_RECIP, U_FLOOR, U_CEIL, U_ROUND, U_LEAKY,
                           U_ELU, U_SELU, U_SIGMOID, U_HSIGMOID, U_HSWISH, U_TANH, U_ERF, U_SIN,
                           U_COS, U_TAN, U_SOFTPLUS, U_GELU, U_MISH,
    /* float -> bool */    U_ISNAN, U_ISINF,
    /* bool -> bool */     U_NOT,
};
/* clang-format on */

static const struct {
    const char *name;
    int op;
} un_ops[] = {
    {"Abs", U_ABS},           {"Neg", U_NEG},
    {"Sign", U_SIGN},         {"Relu", U_RELU},
    {"Exp", U_EXP},           {"Log", U_LOG},
    {"Sqrt", U_SQRT},         {"Reciprocal", U_RECIP},
    {"Floor", U_FLOOR},       {"Ceil", U_CEIL},
    {"Round", U_ROUND},       {"LeakyRelu", U_LEAKY},
    {"Elu", U_ELU},           {"Selu", U_SELU},
    {"Sigmoid", U_SIGMOID},   {"HardSigmoid", U_HSIGMOID},
    {"HardSwish", U_HSWISH},  {"Tanh", U_TANH},
    {"Erf", U_ERF},           {"Sin", U_SIN},
    {"Cos", U_COS},           {"Tan", U_TAN},
    {"Softplus", U_SOFTPLUS}, {"Gelu", U_GELU},
    {"Mish", U_MISH},         {"IsNaN", U_ISNAN},
    {"IsInf", U_ISINF},       {"Not", U_NOT},
};

typedef struct un_par {
    int op;
    int tanh_approx; /* Gelu approximate="tanh" */
    double alpha, beta, gamma;
    int neg, pos; /* IsInf detect_negative / detect_positive */
} un_par;

static int un_params(const ir_node *n, un_par *p, dn_err *e)
{
    memset(p, 0, sizeof *p);
    p->op = -1;
    for (size_t i = 0; i < sizeof un_ops / sizeof un_ops[0]; i++)
        if (strcmp(un_ops[i].name, n->op) == 0) p->op = un_ops[i].op;
    if (p->op < 0) return dn_errf(e, "unknown unary operator %s", n->op);
    switch (p->op) {
    case U_LEAKY:
        p->alpha = ir_attr_float(n, "alpha", 0.01f);
        break;
    case U_ELU:
        p->alpha = ir_attr_float(n, "alpha", 1.0f);
        break;
    case U_SELU:
        p->alpha = ir_attr_float(n, "alpha", 1.67326319217681884765625f);
        p->gamma = ir_attr_float(n, "gamma", 1.05070102214813232421875f);
        break;
    case U_HSIGMOID:
        p->alpha = ir_attr_float(n, "alpha", 0.2f);
        p->beta = ir_attr_float(n, "beta", 0.5f);
        break;
    case U_GELU: {
        const char *a = ir_attr_str(n, "approximate", "none");
        if (strcmp(a, "tanh") == 0)
            p->tanh_approx = 1;
        else if (strcmp(a, "none") != 0)
            return dn_errf(e, "Gelu: approximate must be 'none' or 'tanh', got '%s'", a);
        break;
    }
    case U_ISINF:
        p->neg = (int)ir_attr_int(n, "detect_negative", 1);
        p->pos = (int)ir_attr_int(n, "detect_positive", 1);
        break;
    default:
        break;
    }
    return 0;
}

static double softplus(double x)
{
    return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x));
}

static double clamp01(double v)
{
    return v < 0 ? 0 : v > 1 ? 1 : v;
}

static double un_d(const un_par *p, double x)
{
    switch (p->op) {
    case U_ABS:
        return fabs(x);
    case U_NEG:
        return -x;
    case U_SIGN:
        return x > 0 ? 1 : x < 0 ? -1 : x == 0 ? 0 : x; /* NaN stays NaN */
    case U_RELU:
        return x > 0 || isnan(x) ? x : 0;
    case U_EXP:
        return exp(x);
    case U_LOG:
        return log(x);
    case U_SQRT:
        return sqrt(x);
    case U_RECIP:
        return 1.0 / x;
    case U_FLOOR:
        return floor(x);
    case U_CEIL:
        return ceil(x);
    case U_ROUND:
        return rint(x); /* the default rounding mode rounds half to even */
    case U_LEAKY:
        return x >= 0 ? x : p->alpha * x;
    case U_ELU:
        return x >= 0 ? x : p->alpha * (exp(x) - 1);
    case U_SELU:
        return x > 0 ? p->gamma * x : p->gamma * p->alpha * (exp(x) - 1);
    case U_SIGMOID:
        return 1 / (1 + exp(-x));
    case U_HSIGMOID:
        return clamp01(p->alpha * x + p->beta);
    case U_HSWISH:
        return x * clamp01(x / 6 + 0.5);
    case U_TANH:
        return tanh(x);
    case U_ERF:
        return erf(x);
    case U_SIN:
        return sin(x);
    case U_COS:
        return cos(x);
    case U_TAN:
        return tan(x);
    case U_SOFTPLUS:
        return softplus(x);
    case U_GELU:
        if (p->tanh_approx)
            return 0.5 * x * (1 + tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)));
        return 0.5 * x * (1 + erf(x * 0.7071067811865476));
    case U_MISH:
        return x * tanh(softplus(x));
    case U_ISNAN:
        return isnan(x);
    case U_ISINF:
        return isinf(x) && ((x > 0 && p->pos) || (x < 0 && p->neg));
    }
    return 0;
}

static int64_t un_i(int op, int64_t x)
{
    switch (op) {
    case U_ABS:
        return x < 0 ? (int64_t)(0 - (uint64_t)x) : x;
    case U_NEG:
        return (int64_t)(0 - (uint64_t)x);
    case U_SIGN:
        return (x > 0) - (x < 0);
    case U_RELU:
        return x > 0 ? x : 0;
    }
    return 0;
}

int op_ew_unary_infer(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out,
                      int nout, dn_err *e)
{
    (void)nin;
    (void)nout;
    un_par p;
    if (un_params(n, &p, e)) return -1;
    int dt = in[0]->dtype;
    const char *need = NULL;
    if (p.op == U_NOT) {
        if (dt != DN_BOOL) need = "bool";
    } else if (p.op <= U_RELU) {
        if (!(dt == DN_F32 || dt == DN_F64 || is_int_dtype(dt))) need = "f32, f64 or integer";
    } else if (!(dt == DN_F32 || dt == DN_F64)) {
        need = "f32 or f64";
    }
    if (need) return dn_errf(e, "%s needs a %s input, got %s", n->op, need, dn_dtype_name(dt));
    out[0].dtype = (p.op == U_ISNAN || p.op == U_ISINF) ? DN_BOOL : dt;
    out[0].shape = in[0]->shape;
    return 0;
}

int op_ew_unary_eval(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out,
                     int nout, dn_err *e)
{
    (void)nin;
    (void)nout;
    un_par p;
    if (un_params(n, &p, e)) return -1;
    const dn_tensor *x = in[0];
    int64_t m = dn_shape_numel(&x->shape);
    if (p.op == U_NOT) {
        const uint8_t *a = x->data;
        uint8_t *o = out->data;
        for (int64_t i = 0; i < m; i++)
            o[i] = !a[i];
    } else if (x->dtype == DN_F32 && out->dtype == DN_F32) {
        const float *a = x->data;
        float *o = out->data;
        if (p.op == U_RELU) /* the hottest activation gets a loop of its own */
            for (int64_t i = 0; i < m; i++)
                o[i] = a[i] > 0 || isnan(a[i]) ? a[i] : 0.0f;
        else
            for (int64_t i = 0; i < m; i++)
                o[i] = (float)un_d(&p, a[i]);
    } else if (dn_dtype_is_float(x->dtype)) {
        for (int64_t i = 0; i < m; i++)
            dn_set(out, i, un_d(&p, dn_get(x, i)));
    } else {
        for (int64_t i = 0; i < m; i++)
            dn_seti(out, i, un_i(p.op, dn_geti(x, i)));
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Cast, CastLike                                                      */
/* ------------------------------------------------------------------ */

static float f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, ex = (h >> 10) & 0x1f, man = h & 0x3ff, x;
    if (ex == 0) {
        float f = ldexpf((float)man, -24); /* zero or subnormal */
        return sign ? -f : f;
    }
    if (ex == 0x1f)
        x = sign | 0x7f800000u | (man << 13);
    else
        x = sign | ((ex - 15 + 127) << 23) | (man << 13);
    float f;
    memcpy(&f, &x, sizeof f);
    return f;
}

/* Round to nearest, ties to even, as hardware conversions do. */
static uint16_t f32_to_f16(float f)
{
    uint32_t x;
    memcpy(&x, &f, sizeof x);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000);
    uint32_t ex = (x >> 23) & 0xff, man = x & 0x7fffff;
    if (ex == 0xff) return sign | 0x7c00 | (man ? 0x200 : 0);
    int eh = (int)ex - 127 + 15;
    if (eh >= 0x1f) return sign | 0x7c00;
    if (eh <= 0) {
        if (eh < -10) return sign;
        man |= 0x800000;
        int shift = 14 - eh;
        uint32_t h = man >> shift, rem = man & ((1u << shift) - 1), half = 1u << (shift - 1);
        if (rem > half || (rem == half && (h & 1))) h++;
        return (uint16_t)(sign | h);
    }
    uint32_t h = ((uint32_t)eh << 10) | (man >> 13), rem = man & 0x1fff;
    if (rem > 0x1000 || (rem == 0x1000 && (h & 1))) h++; /* a carry may round up to inf: right */
    return (uint16_t)(sign | h);
}

static double rd_float(const dn_tensor *t, int64_t i)
{
    if (t->dtype == DN_F16) return f16_to_f32(((const uint16_t *)t->data)[i]);
    return dn_get(t, i);
}

static void wr_float(dn_tensor *t, int64_t i, double v)
{
    switch (t->dtype) {
    case DN_F32:
        ((float *)t->data)[i] = (float)v;
        break;
    case DN_F64:
        ((double *)t->data)[i] = v;
        break;
    case DN_F16:
        ((uint16_t *)t->data)[i] = f32_to_f16((float)v);
        break;
    }
}

/* Integers wrap to the narrower type (two's complement), as a C++ cast does. */
static void wr_int(dn_tensor *t, int64_t i, int64_t v)
{
    void *p = t->data;
    switch (t->dtype) {
    case DN_I8:
        ((int8_t *)p)[i] = (int8_t)v;
        break;
    case DN_U8:
        ((uint8_t *)p)[i] = (uint8_t)v;
        break;
    case DN_I16:
        ((int16_t *)p)[i] = (int16_t)v;
        break;
    case DN_U16:
        ((uint16_t *)p)[i] = (uint16_t)v;
        break;
    case DN_I32:
        ((int32_t *)p)[i] = (int32_t)v;
        break;
    case DN_U32:
        ((uint32_t *)p)[i] = (uint32_t)v;
        break;
    case DN_I64:
        ((int64_t *)p)[i] = v;
        break;
    case DN_U64:
        ((uint64_t *)p)[i] = (uint64_t)v;
        break;
    case DN_BOOL:
        ((uint8_t *)p)[i] = v != 0;
        break;
    }
}

/* Float to integer truncates toward zero.  Out of range (and NaN) gives
   what x86's cvtt* instructions give ORT: the most negative value of the
   32-bit conversion for types up to 32 bits, of the 64-bit one above. */
static int64_t float_to_int(double v, int dt)
{
    if (dt == DN_I64 || dt == DN_U32 || dt == DN_U64) {
        if (dt == DN_U64 && v >= 9223372036854775808.0 && v < 18446744073709551616.0)
            return (int64_t)(uint64_t)v;
        if (!(v > -9223372036854775808.0 - 1.0 && v < 9223372036854775808.0)) return INT64_MIN;
        return (int64_t)v;
    }
    if (!(v > -2147483649.0 && v < 2147483648.0)) return INT32_MIN;
    return (int64_t)v;
}

static int castable(int dt)
{
    return dt != DN_STRING && dn_dtype_size(dt) > 0;
}

int op_ew_cast_infer(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out,
                     int nout, dn_err *e)
{
    (void)nin;
    (void)nout;
    int to;
    if (strcmp(n->op, "CastLike") == 0) {
        to = in[1]->dtype;
    } else {
        if (!ir_attr_get(n, "to")) return dn_errf(e, "Cast: attribute 'to' is required");
        to = (int)ir_attr_int(n, "to", 0);
    }
    if (!castable(to)) return dn_errf(e, "%s: unsupported target dtype %d", n->op, to);
    if (!castable(in[0]->dtype))
        return dn_errf(e, "%s: unsupported input dtype %s", n->op, dn_dtype_name(in[0]->dtype));
    out[0].dtype = to;
    out[0].shape = in[0]->shape;
    return 0;
}

int op_ew_cast_eval(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out, int nout,
                    dn_err *e)
{
    (void)n;
    (void)nin;
    (void)nout;
    (void)e;
    const dn_tensor *x = in[0];
    int64_t m = dn_shape_numel(&x->shape);
    int src = x->dtype, dst = out->dtype;
    if (src == dst) {
        memcpy(out->data, x->data, dn_tensor_bytes(x));
        return 0;
    }
    if (src == DN_F32 && dst == DN_I64) { /* shape arithmetic goes this way often */
        const float *a = x->data;
        int64_t *o = out->data;
        for (int64_t i = 0; i < m; i++)
            o[i] = float_to_int(a[i], DN_I64);
        return 0;
    }
    int sf = dn_dtype_is_float(src), df = dn_dtype_is_float(dst);
    for (int64_t i = 0; i < m; i++) {
        if (sf) {
            double v = rd_float(x, i);
            if (df)
                wr_float(out, i, v);
            else if (dst == DN_BOOL)
                wr_int(out, i, v != 0); /* NaN is true, as in C++ */
            else
                wr_int(out, i, float_to_int(v, dst));
        } else if (df) {
            /* one rounding, straight from the integer (via double would round twice) */
            if (src == DN_U64) {
                uint64_t v = ((const uint64_t *)x->data)[i];
                if (dst == DN_F64)
                    wr_float(out, i, (double)v);
                else
                    wr_float(out, i, (float)v);
            } else {
                int64_t v = dn_geti(x, i);
                if (dst == DN_F64)
                    wr_float(out, i, (double)v);
                else
                    wr_float(out, i, (float)v);
            }
        } else {
            wr_int(out, i, dn_geti(x, i));
        }
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Clip                                                                */
/* ------------------------------------------------------------------ */

int op_ew_clip_infer(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out,
                     int nout, dn_err *e)
{
    (void)n;
    (void)nout;
    int dt = in[0]->dtype;
    if (!(dt == DN_F32 || dt == DN_F64 || is_int_dtype(dt)))
        return dn_errf(e, "Clip does not support dtype %s", dn_dtype_name(dt));
    for (int i = 1; i < nin && i < 3; i++) {
        if (!in[i]) continue;
        if (in[i]->dtype != dt)
            return dn_errf(e, "Clip: %s has dtype %s, input has %s", i == 1 ? "min" : "max",
                           dn_dtype_name(in[i]->dtype), dn_dtype_name(dt));
        int64_t k = dn_shape_numel(&in[i]->shape);
        if (k > 1 || k == 0) return dn_errf(e, "Clip: %s must be a scalar", i == 1 ? "min" : "max");
    }
    out[0].dtype = dt;
    out[0].shape = in[0]->shape;
    return 0;
}

int op_ew_clip_eval(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out, int nout,
                    dn_err *e)
{
    (void)nout;
    (void)e;
    const dn_tensor *x = in[0];
    const dn_tensor *tmin = nin > 1 ? in[1] : NULL, *tmax = nin > 2 ? in[2] : NULL;
    int64_t m = dn_shape_numel(&x->shape);
    if (dn_dtype_is_float(x->dtype)) {
        /* the opset-6 attributes, when an old-style node comes through */
        double lo = tmin ? dn_get(tmin, 0) : ir_attr_float(n, "min", -INFINITY);
        double hi = tmax ? dn_get(tmax, 0) : ir_attr_float(n, "max", INFINITY);
        /* written so that NaN passes through, as in ORT; min > max gives max */
        if (x->dtype == DN_F32) {
            const float *a = x->data;
            float *o = out->data, fl = (float)lo, fh = (float)hi;
            for (int64_t i = 0; i < m; i++) {
                float v = a[i] < fl ? fl : a[i];
                o[i] = v > fh ? fh : v;
            }
        } else {
            for (int64_t i = 0; i < m; i++) {
                double v = dn_get(x, i);
                v = v < lo ? lo : v;
                dn_set(out, i, v > hi ? hi : v);
            }
        }
    } else {
        int64_t lo = tmin ? dn_geti(tmin, 0) : INT64_MIN, hi = tmax ? dn_geti(tmax, 0) : INT64_MAX;
        for (int64_t i = 0; i < m; i++) {
            int64_t v = dn_geti(x, i);
            v = v < lo ? lo : v;
            dn_seti(out, i, v > hi ? hi : v);
        }
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Identity, Dropout                                                   */
/* ------------------------------------------------------------------ */

int op_ew_identity_infer(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out,
                         int nout, dn_err *e)
{
    (void)nin;
    (void)nout;
    if (dn_dtype_size(in[0]->dtype) == 0)
        return dn_errf(e, "%s: unsupported dtype %s", n->op, dn_dtype_name(in[0]->dtype));
    out[0].dtype = in[0]->dtype;
    out[0].shape = in[0]->shape;
    return 0;
}

int op_ew_identity_eval(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out,
                        int nout, dn_err *e)
{
    (void)n;
    (void)nin;
    (void)nout;
    (void)e;
    memcpy(out[0].data, in[0]->data, dn_tensor_bytes(in[0]));
    return 0;
}

static int dropout_training(const dn_tensor *const *in, int nin)
{
    return nin > 2 && in[2] && in[2]->data && dn_shape_numel(&in[2]->shape) > 0 &&
           dn_get(in[2], 0) != 0;
}

int op_ew_dropout_infer(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out,
                        int nout, dn_err *e)
{
    if (dropout_training(in, nin))
        return dn_errf(e, "Dropout: training_mode=true is not supported (inference only)");
    if (op_ew_identity_infer(n, in, 1, out, 1, e)) return -1;
    if (nout > 1) {
        out[1].dtype = DN_BOOL;
        out[1].shape = in[0]->shape;
    }
    return 0;
}

int op_ew_dropout_eval(const ir_node *n, const dn_tensor *const *in, int nin, dn_tensor *out,
                       int nout, dn_err *e)
{
    (void)n;
    if (dropout_training(in, nin))
        return dn_errf(e, "Dropout: training_mode=true is not supported (inference only)");
    memcpy(out[0].data, in[0]->data, dn_tensor_bytes(in[0]));
    if (nout > 1) memset(out[1].data, 1, dn_tensor_bytes(&out[1]));
    return 0;
}
