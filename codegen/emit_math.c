/* emit_math.c -- math functions the CPU family writes itself.
 *
 * PoCL's erf is a scalar library call that its vectoriser cannot widen:
 * on the 2-core development machine a GELU's Erf over swin_t's first MLP
 * (1.2 M elements) took 13 ms, 11 ns an element, more than the MatMul
 * before it.  Every GELU model (vit_b_16, swin_t, convnext_tiny, bert,
 * distilbert, gpt2) spends a large part of its CPU time there.  So kernels
 * of the CPU family call dn_erf instead: arithmetic, one exp and a
 * select, which PoCL widens like any other expression.  The GPU family
 * keeps the device's erf (NVIDIA's is fast).
 *
 * The approximation (coefficients fitted for dnnf by least squares on
 * Chebyshev nodes, then checked in float32 against the double erf at
 * 400,000 points of [-6, 6]: at most 1.2e-7 absolute, 2.2 ulp):
 *   |x| < 1:   erf(x) = x * P(x^2), P of degree 5;
 *   |x| >= 1:  erf(x) = sign(x) * (1 - exp(-b^2) * Q(1/b)), b = min(|x|, 4),
 *              Q of degree 8 fitting erfc(b) * exp(b^2) on [1, 4];
 *              past 4, 1 - erf is below half a float ulp of 1.
 * NaN passes through.  tests/codegen/cpu_math.graph checks it against the
 * reference interpreter's erff over that whole range. */
#include "emit_impl.h"

#include <stdlib.h>
#include <string.h>

/* One overload per width the CPU templates compute erf in: scalars, the
   float8 strips of the reductions and the float16 prologue of MatMul.  The
   branches meet in select(): written as nested ?: the same Erf took
   1.1-1.4 ms against 0.74-0.95 ms, PoCL widening the function less. */
#define DN_ERF_BODY(T)                                                                             \
    "inline " T " __attribute__((overloadable)) dn_erf(" T " x)\n"                                 \
    "{\n"                                                                                          \
    "    const " T " a = fabs(x), s = a * a;\n"                                                    \
    "    const " T " p = x * (1.128379127e+00f + s * (-3.761234987e-01f + s * (1.128036476e-01f"   \
    " + s * (-2.671639070e-02f + s * (4.923280883e-03f + s * -5.654108881e-04f)))));\n"            \
    "    const " T " b = clamp(a, 1.0f, 4.0f), u = 1.0f / b;\n"                                    \
    "    const " T " r = 2.926099683e-04f + u * (5.586771068e-01f + u * (4.451618520e-02f"         \
    " + u * (-4.810545146e-01f + u * (5.181655051e-01f + u * (-2.714495741e-01f"                   \
    " + u * (4.869700624e-02f + u * (1.684645118e-02f + u * -7.107211408e-03f)))))));\n"           \
    "    const " T " q = copysign(1.0f - exp(-(b * b)) * r, x);\n"                                 \
    "    return select(select(q, x, isnan(x)), p, a < 1.0f);\n"                                    \
    "}\n"

static const char dn_erf_defs[] = "/* dn_erf: codegen/emit_math.c */\n" DN_ERF_BODY("float")
    DN_ERF_BODY("float4") DN_ERF_BODY("float8") DN_ERF_BODY("float16");

/* The next call of erf in src from p on, as a whole name; NULL if none. */
static const char *next_erf(const char *src, const char *p)
{
    for (p = strstr(p, "erf("); p; p = strstr(p + 4, "erf("))
        if (p == src || !ex_ident_char(p[-1])) return p;
    return NULL;
}

void ex_cpu_math(cg_kernel *k)
{
    /* the definitions go before the kernel, after the comment naming the
       block, which stays the first line of the program */
    const char *src = k->source, *kern = strstr(src, "__kernel");
    if (!kern) kern = src;
    const char *p = next_erf(src, kern), *q = kern;
    if (!p) return;
    cg_sb out = {0};
    cg_sb_printf(&out, "%.*s%s", (int)(kern - src), src, dn_erf_defs);
    for (; p; p = next_erf(src, q)) {
        cg_sb_printf(&out, "%.*sdn_erf(", (int)(p - q), q);
        q = p + 4;
    }
    cg_sb_puts(&out, q);
    free(k->source);
    k->source = cg_sb_take(&out);
}
