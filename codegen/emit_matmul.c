/* emit_matmul.c -- the matmul family: one MatMul or Gemm (batched, with
 * broadcasting batch dims) with its operands' prologues and its epilogue
 * fused (templates/matmul_cpu.cl).
 *
 * The operands are the walk of emit_expr.c evaluated over (batch, m, k)
 * and (batch, k, n): a transpose or reshape that feeds the product costs
 * index arithmetic in the load, and an elementwise producer is recomputed
 * per load.  The epilogue is the walk over (batch, m, n) in which the
 * product's value at exactly its own index is the accumulator; a block
 * that needs the product at another index (a transpose after it) is left
 * to the host. */
#include "emit_impl.h"

#ifdef DNNF_HAVE_CODEGEN

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *cg_matmul_cpu_keys[16] = {"COMMENT", "NAME",  "PARAMS", "M",      "N",      "K",
                                      "BATCH",   "LOADS", "EBODY",  "STORES", "ALOADS", "BLOADS",
                                      "RM",      "ACCS",  "FMAS",   "SPILL"};

static const char *const bnames[] = {"i0", "i1", "i2", "i3", "i4", "i5"};

/* The map over dom (vars: batch..., x, y) into operand shape s; swap: the
   operand is stored transposed (Gemm transA / transB). */
static int operand_map(dn_arena *a, const dn_shape *dom, const dn_shape *s, int swap, cg_map *m,
                       dn_err *e)
{
    cg_map id, inner;
    if (cg_map_identity(a, dom, &id, e)) return -1;
    if (swap) {
        int64_t perm[2] = {1, 0};
        if (cg_map_transpose(a, s, perm, &inner, e)) return -1;
    } else if (cg_map_expand(a, s, dom, &inner, e))
        return -1;
    return cg_map_compose(a, &id, &inner, m, e);
}

/* The GPU branch (below cg_emit_matmul): the operands' and epilogue's
   pieces of the CPU branch, put into templates/matmul_gpu.cl. */
typedef struct mm_gpu_in {
    const dn_shape *O;
    int nb, av, bv, tb, packed;
    int64_t M, N, K, batch;
    const cg_map *ma, *mb;
    const char *abody, *aexpr, *bbody, *bexpr, *ebody, *stores;
} mm_gpu_in;
static void emit_matmul_gpu(cg_kernel *k, ex_ctx *x, dn_arena *a, const cg_device *d,
                            const mm_gpu_in *in);

/* ---- CPU register tiles (templates/matmul_cpu_tile.cl; issue 6) -------- */

/* The CPU branch's pieces of one product (cg_emit_matmul). */
typedef struct mm_cpu_in {
    const dn_shape *O;
    int nb;
    int64_t M, N, K, batch;
    const char *abody, *aexpr, *bbody, *bexpr, *ebody, *stores;
    int acompute;         /* A's prologue computes, not only loads */
    int packed, barg, tb; /* B is a constant read from packed panels (argument barg) */
    int bkfast;           /* B's read moves by one along k (the order to stage it in) */
} mm_cpu_in;

/* The register tile RM x 16 NV with the least padded work, weighted by the
   share of peak each shape reached on AVX-512 PoCL (6 x 64: 24
   accumulators, 4 loads of B and 6 broadcasts of A per k, reached 80% of
   peak; 12 x 32 nearly as much, and wastes less where N is 96 or 32;
   16 x 16 loads B for every 16 FMAs and only wins where N <= 16). */
static void mm_cpu_tile(int64_t M, int64_t N, int *rm, int *nv)
{
    static const struct {
        int rm, nv;
        double eff;
    } t[] = {{6, 4, 1.0}, {12, 2, 0.97}, {8, 2, 0.9}, {16, 1, 0.75}};
    double best = 0;
    for (int i = 0; i < 4; i++) {
        int64_t r = t[i].rm < M ? t[i].rm : M, w = 16 * t[i].nv;
        double cost = (double)((M + r - 1) / r * r) * (double)((N + w - 1) / w * w) / t[i].eff;
        if (i == 0 || cost < best) best = cost, *rm = (int)r, *nv = t[i].nv;
    }
}

/* A prologue's statements as float16 code over 16 consecutive k: the
   statements that read memory (or are not a plain `const float tN = ...;`,
   or use more than + - * / and the float16 overloads of a few functions),
   with whatever they use, run per lane into arrays; the rest -- pure
   arithmetic on float temporaries -- runs once on float16, so that erf,
   exp and tanh take the vector library's path rather than one call per
   element.  Writes the body of one 16-wide step to out, ending with the
   value in `const float16 av_`. */
static const char *const mm_vfuncs[] = {
    "erf",  "erfc",  "exp",  "exp2",  "expm1", "log",        "log1p",      "log2", "tanh", "tan",
    "sinh", "cosh",  "sin",  "cos",   "atan",  "sqrt",       "rsqrt",      "fabs", "fmax", "fmin",
    "pow",  "floor", "ceil", "round", "trunc", "native_exp", "native_log", NULL};

typedef struct mm_vline {
    const char *s; /* the statement, trimmed, not terminated */
    int len;
    int decl; /* declares a float temporary: its name is name[] */
    char name[24];
    const char *rhs; /* `const float name = rhs;` (NULL for `float name;`) */
    int rlen;
} mm_vline;

static int mm_vtemp(const mm_vline *l, int n, const char *id, int len)
{
    for (int i = 0; i < n; i++)
        if (l[i].decl && (int)strlen(l[i].name) == len && !strncmp(l[i].name, id, (size_t)len))
            return i;
    return -1;
}

/* Appends rhs rewritten for float16 (literals widened) to o; marks in used
   the scalar-section temporaries it reads; 0 on anything else. */
static int mm_vexpr(const mm_vline *l, int nl, int nscalar, const char *p, int len, char *used,
                    cg_sb *o)
{
    const char *e = p + len;
    while (p < e) {
        if (isspace((unsigned char)*p) || strchr("+-*/(),", *p)) {
            cg_sb_printf(o, "%c", *p++);
        } else if (isdigit((unsigned char)*p) || (*p == '.' && isdigit((unsigned char)p[1]))) {
            const char *q = p;
            while (q < e && (isdigit((unsigned char)*q) || *q == '.'))
                q++;
            if (q < e && (*q == 'e' || *q == 'E')) {
                q++;
                if (q < e && (*q == '+' || *q == '-')) q++;
                while (q < e && isdigit((unsigned char)*q))
                    q++;
            }
            if (q < e && *q == 'f') q++;
            cg_sb_printf(o, "((float16)(%.*s))", (int)(q - p), p);
            p = q;
        } else if (isalpha((unsigned char)*p) || *p == '_') {
            const char *q = p;
            while (q < e && ex_ident_char(*q))
                q++;
            int n = (int)(q - p), t = mm_vtemp(l, nl, p, n), fn = 0;
            for (int i = 0; mm_vfuncs[i]; i++)
                if ((int)strlen(mm_vfuncs[i]) == n && !strncmp(mm_vfuncs[i], p, (size_t)n)) fn = 1;
            const char *r = q;
            while (r < e && isspace((unsigned char)*r))
                r++;
            if (t >= 0) {
                if (t < nscalar) used[t] = 1;
                cg_sb_printf(o, "%.*s", n, p);
            } else if (fn && r < e && *r == '(')
                cg_sb_printf(o, "%.*s", n, p);
            else if ((n == 8 && !strncmp(p, "INFINITY", 8)) || (n == 3 && !strncmp(p, "NAN", 3)))
                cg_sb_printf(o, "((float16)(%.*s))", n, p);
            else
                return 0;
            p = q;
        } else
            return 0;
    }
    return 1;
}

static void mm_cpu_vec(const char *abody, const char *aexpr, int kclamp, int64_t K, cg_sb *out)
{
    cg_sb all = {0};
    cg_sb_printf(&all, "%sconst float av_ = %s;\n", abody, aexpr);
    int cap = 8, nl = 0;
    for (const char *p = all.s; *p; p++)
        cap += *p == '\n';
    mm_vline *l = calloc((size_t)cap, sizeof *l);
    char *used = calloc((size_t)cap, 1);
    if (!l || !used) abort();
    for (const char *p = all.s; *p;) {
        const char *e = strchr(p, '\n');
        if (!e) e = p + strlen(p);
        while (p < e && isspace((unsigned char)*p))
            p++;
        const char *c = p, *ce = e;
        for (const char *q = p; q + 1 < e; q++)
            if (q[0] == '/' && q[1] == '*') {
                ce = q;
                break;
            }
        while (ce > c && isspace((unsigned char)ce[-1]))
            ce--;
        if (ce > c) {
            mm_vline *v = &l[nl++];
            v->s = c;
            v->len = (int)(ce - c);
            int n = 0;
            if (sscanf(c, "const float %23[A-Za-z0-9_] = %n", v->name, &n) == 1 && n > 0 &&
                ce[-1] == ';') {
                v->decl = 1;
                v->rhs = c + n;
                v->rlen = (int)(ce - 1 - v->rhs);
            } else if (sscanf(c, "float %23[A-Za-z0-9_]%n", v->name, &n) == 1 && c + n < ce &&
                       c[n] == ';')
                v->decl = 1;
        }
        p = *e ? e + 1 : e;
    }
    /* per lane: the statements that read memory or are not plain float
       definitions, those beyond the float16 subset, and whatever they use */
    char *scal = calloc((size_t)cap, 1);
    if (!scal) abort();
    for (int i = 0; i < nl; i++) {
        cg_sb dry = {0};
        scal[i] = !l[i].rhs || !mm_vexpr(l, nl, 0, l[i].rhs, l[i].rlen, used, &dry);
        for (const char *q = l[i].s; q < l[i].s + l[i].len && !scal[i]; q++)
            if (*q == 'a' && (q == l[i].s || !ex_ident_char(q[-1])) &&
                isdigit((unsigned char)q[1])) {
                const char *r = q + 1;
                while (isdigit((unsigned char)*r))
                    r++;
                if (*r == '[') scal[i] = 1;
            }
        cg_sb_free(&dry);
    }
    for (int changed = 1; changed;) {
        changed = 0;
        for (int i = 0; i < nl; i++) {
            if (!scal[i]) continue;
            for (const char *q = l[i].s; q < l[i].s + l[i].len;) {
                if (!(isalpha((unsigned char)*q) || *q == '_')) {
                    q++;
                    continue;
                }
                const char *r = q;
                while (r < l[i].s + l[i].len && ex_ident_char(*r))
                    r++;
                int t =
                    q == l[i].s || !ex_ident_char(q[-1]) ? mm_vtemp(l, nl, q, (int)(r - q)) : -1;
                if (t >= 0 && t != i && !scal[t]) scal[t] = 1, changed = 1;
                q = r;
            }
        }
    }
    memset(used, 0, (size_t)cap);
    cg_sb vec = {0};
    for (int i = 0; i < nl; i++) {
        if (scal[i]) continue;
        cg_sb_printf(&vec, "            const float16 %s = ", l[i].name);
        mm_vexpr(l, nl, nl, l[i].rhs, l[i].rlen, used, &vec);
        cg_sb_puts(&vec, ";\n");
    }
    for (int i = 0; i < nl; i++) /* used: the lane temporaries the vector code reads */
        used[i] = used[i] && scal[i];
    if (scal[nl - 1]) used[nl - 1] = 1; /* av_ itself comes from the lanes */
    cg_sb_puts(out, "            ");
    int any = 0;
    for (int i = 0; i < nl; i++)
        if (used[i]) cg_sb_printf(out, "%s l_%s[16]", any++ ? "," : "float", l[i].name);
    cg_sb_puts(out, any ? ";\n" : "\n");
    cg_sb_puts(out, "            for (int j = 0; j < 16; j++) {\n");
    if (kclamp)
        cg_sb_printf(out, "                const int k = min(k0 + j, %lld);\n", (long long)K - 1);
    else
        cg_sb_puts(out, "                const int k = k0 + j;\n");
    for (int i = 0; i < nl; i++)
        if (scal[i]) cg_sb_printf(out, "                %.*s\n", l[i].len, l[i].s);
    for (int i = 0; i < nl; i++)
        if (used[i]) cg_sb_printf(out, "                l_%s[j] = %s;\n", l[i].name, l[i].name);
    cg_sb_puts(out, "            }\n");
    for (int i = 0; i < nl; i++)
        if (used[i])
            cg_sb_printf(out, "            const float16 %s = vload16(0, l_%s);\n", l[i].name,
                         l[i].name);
    if (vec.s) cg_sb_puts(out, vec.s);
    cg_sb_free(&vec);
    cg_sb_free(&all);
    free(l);
    free(used);
    free(scal);
}

/* 1 when the first memory read in body moves by one as variable v does
   (v a term "+ v" of its index): the order in which to stage B. */
static int mm_cpu_unit(const char *body, char v)
{
    for (const char *p = body; *p; p++) {
        if (*p != 'a' || (p > body && ex_ident_char(p[-1])) || !isdigit((unsigned char)p[1]))
            continue;
        const char *q = p + 1;
        while (isdigit((unsigned char)*q))
            q++;
        if (*q != '[') continue;
        int depth = 0;
        char prev = '+';
        for (q++; *q && !(*q == ']' && depth == 0); q++) {
            if (isspace((unsigned char)*q)) continue;
            if (*q == '(' || *q == '[') depth++;
            if (*q == ')' || *q == ']') depth--;
            if (ex_ident_char(*q)) {
                const char *r = q;
                while (ex_ident_char(*r))
                    r++;
                const char *t = r;
                while (isspace((unsigned char)*t))
                    t++;
                if (r - q == 1 && *q == v && depth == 0 && prev == '+' && (*t == '+' || *t == ']'))
                    return 1;
                prev = 'x';
                q = r - 1;
                continue;
            }
            prev = *q;
        }
        return 0;
    }
    return 0;
}

/* A read straight from memory as aN[E] where E is a sum of terms each of
   which uses m or k but not both (768 * m + k; 12608 * (k / 64) + 64 * m +
   k % 64 after a head split): writes to out the row's base pointer (the
   terms without k, m replaced by row) and to kout the terms with k, so
   that the k loop computes the k part once for all rows and reads
   ap_[ko_] rather than evaluating E (clamped row included) per row and k.
   0 when A is anything else. */
static int mm_cpu_aptr(const char *abody, const char *aexpr, const char *row, char *out, size_t n,
                       char *kout, size_t kn)
{
    char name[24], arg[16];
    const char *load = aexpr;
    int len = 0;
    while (*abody && isspace((unsigned char)*abody))
        abody++;
    if (*abody) {
        if (sscanf(abody, "const float %23[A-Za-z0-9_] = %n", name, &len) != 1 || !len ||
            strcmp(name, aexpr))
            return 0;
        load = abody + len;
        const char *e = strchr(load, '\n');
        if (e && e[strspn(e, " \t\n")]) return 0; /* one statement only */
    }
    len = 0;
    if (sscanf(load, "a%15[0-9][%n", arg, &len) != 1 || !len) return 0;
    const char *p = load + len, *end = strchr(p, ']');
    if (!end || (*abody ? strncmp(end, "];", 2) : end[1] != '\0')) return 0;
    cg_sb base = {0}, kpart = {0};
    int ok = 1;
    while (p < end && ok) {
        /* one term: up to the next '+' outside parentheses */
        const char *t = p;
        int depth = 0, hasm = 0, hask = 0;
        cg_sb term = {0};
        for (; p < end && !(depth == 0 && *p == '+'); p++) {
            if (isalpha((unsigned char)*p) || *p == '_') {
                const char *q = p;
                while (q < end && ex_ident_char(*q))
                    q++;
                int l = (int)(q - p);
                if (l == 1 && *p == 'k')
                    hask = 1, cg_sb_puts(&term, "k");
                else if (l == 1 && *p == 'm')
                    hasm = 1, cg_sb_printf(&term, "(%s)", row);
                else if ((l == 2 && p[0] == 'b' && p[1] == 'z') ||
                         (l == 2 && p[0] == 'i' && isdigit((unsigned char)p[1])))
                    cg_sb_printf(&term, "%.*s", l, p);
                else
                    ok = 0;
                p = q - 1;
            } else if (isdigit((unsigned char)*p) || isspace((unsigned char)*p) ||
                       strchr("*/%()", *p)) {
                depth += *p == '(' ? 1 : *p == ')' ? -1 : 0;
                cg_sb_printf(&term, "%c", *p);
            } else
                ok = 0;
        }
        if (hasm && hask) ok = 0;
        if (ok && term.s && p > t) {
            const char *b = term.s, *e = term.s + strlen(term.s);
            while (b < e && isspace((unsigned char)*b))
                b++;
            while (e > b && isspace((unsigned char)e[-1]))
                e--;
            cg_sb *to = hask ? &kpart : &base;
            cg_sb_printf(to, "%s%.*s", to->s ? " + " : "", (int)(e - b), b);
        }
        cg_sb_free(&term);
        if (p < end) p++; /* the '+' */
    }
    ok = ok && kpart.s && strlen(kpart.s) + 1 < kn &&
         (size_t)snprintf(out, n, "a%s + (%s)", arg, base.s ? base.s : "0") < n;
    if (ok) snprintf(kout, kn, "%s", kpart.s);
    cg_sb_free(&base);
    cg_sb_free(&kpart);
    return ok;
}

static void emit_matmul_cpu(cg_kernel *k, ex_ctx *x, const cg_device *d, const mm_cpu_in *in)
{
    int64_t M = in->M, N = in->N, K = in->K, KP = (K + 15) / 16 * 16;
    int rm, nv;
    mm_cpu_tile(M, N, &rm, &nv);
    int pw = 16 * nv;
    int64_t tm = (M + rm - 1) / rm, panels = (N + pw - 1) / pw;
    int64_t cu = d->compute_units > 0 ? d->compute_units : 2;
    int64_t lmem = d->local_mem > 0 ? d->local_mem : 2 << 20, cap = lmem * 3 / 4;
    int bstage = !in->packed && K * pw * 4 <= cap / 2;
    int64_t bbytes = bstage ? K * pw * 4 : 0;
    int astage = in->acompute && rm * KP * 4 <= cap - bbytes;
    int64_t MR = rm, NC = pw, groups = tm;
    if (astage || bstage) {
        /* row groups, of whole tiles and balanced: with B packed and A
           staged, one column group (the prologue runs once per row) and
           three row groups per compute unit (each group streams all of B;
           one per unit left a core idle whenever the other was late); with
           B staged, enough groups of (rows, panel, batch) to fill the
           machine */
        int64_t other = astage && !bstage ? in->batch : panels * in->batch;
        int64_t want = astage && !bstage ? 3 * cu : 4 * cu;
        int64_t G = (want + other - 1) / other;
        if (G < 1) G = 1;
        while (astage && G < tm && (tm + G - 1) / G * rm * KP * 4 > cap - bbytes)
            G++;
        if (G > tm) G = tm;
        MR = rm * ((tm + G - 1) / G);
        groups = G;
        NC = astage && !bstage ? panels * pw : pw;
    }
    cg_sb bidx = {0}, astg = {0}, bdecl = {0}, bstg = {0}, accs = {0}, bl = {0}, fmas = {0},
          spill = {0};
    int64_t stride = 1;
    for (int i = in->nb - 1; i >= 0; i--) {
        cg_sb_printf(&bidx, "    const int i%d = bz / %lld %% %lld;\n", i, (long long)stride,
                     (long long)in->O->d[i]);
        stride *= in->O->d[i];
    }
    if (astage) {
        cg_sb v = {0};
        cg_sb_printf(&astg,
                     "    /* A's prologue, evaluated once per row of the group */\n"
                     "    __local float as_[%lld * %lld];\n"
                     "    for (int r = 0; r < mb1 - mb0; r++) {\n"
                     "        const int m = min(mb0 + r, %lld);\n",
                     (long long)MR, (long long)KP, (long long)M - 1);
        mm_cpu_vec(in->abody, in->aexpr, K % 16 != 0, K, &v);
        cg_sb_printf(&astg,
                     "        for (int k0 = 0; k0 < %lld; k0 += 16) {\n%s"
                     "            vstore16(av_, 0, as_ + r * %lld + k0);\n        }\n",
                     (long long)KP, v.s, (long long)KP);
        cg_sb_puts(&astg, "    }\n");
        cg_sb_free(&v);
    }
    if (bstage) {
        cg_sb_printf(&bdecl, "    __local float bs_[%lld * %d];\n", (long long)K, pw);
        const char *outer = in->bkfast ? "c" : "k", *inner = in->bkfast ? "k" : "c";
        int64_t no = in->bkfast ? pw : K, ni = in->bkfast ? K : pw;
        cg_sb_printf(&bstg,
                     "        /* B's panel of %d columns, staged */\n"
                     "        for (int %s = 0; %s < %lld; %s++)\n"
                     "            for (int %s = 0; %s < %lld; %s++) {\n"
                     "                const int n = min(n0 + c, %lld);\n"
                     "                float b_;\n                {\n%s"
                     "                    b_ = %s;\n                }\n"
                     "                bs_[k * %d + c] = b_;\n            }\n",
                     pw, outer, outer, (long long)no, outer, inner, inner, (long long)ni, inner,
                     (long long)N - 1, in->bbody, in->bexpr, pw);
    }
    int64_t npan = (N + 15) / 16;
    for (int v = 0; v < nv; v++) {
        if (in->packed) {
            char pan[64];
            if (npan % nv)
                snprintf(pan, sizeof pan, "min(n0 / 16 + %d, %lld)", v, (long long)npan - 1);
            else
                snprintf(pan, sizeof pan, "(n0 / 16 + %d)", v);
            cg_sb_printf(
                &bl,
                "                const float16 b_%d = vload16(0, a%d + (%s * %lld + k) * 16);\n", v,
                in->barg, pan, (long long)K);
        } else if (bstage)
            cg_sb_printf(&bl, "                const float16 b_%d = vload16(%d, bs_ + k * %d);\n",
                         v, v, pw);
        else {
            /* B too large to stage: 16 reads per k */
            cg_sb_printf(&bl, "                float bv%d_[16];\n", v);
            cg_sb_printf(&bl,
                         "                for (int c = 0; c < 16; c++) {\n"
                         "                    const int n = min(n0 + %d + c, %lld);\n%s"
                         "                    bv%d_[c] = %s;\n                }\n",
                         16 * v, (long long)N - 1, in->bbody, v, in->bexpr);
            cg_sb_printf(&bl, "                const float16 b_%d = vload16(0, bv%d_);\n", v, v);
        }
    }
    for (int r = 0; r < rm; r++) {
        for (int v = 0; v < nv; v++) {
            cg_sb_printf(&accs, "            float16 acc%d_%d = 0.0f;\n", r, v);
            cg_sb_printf(&spill, "            vstore16(acc%d_%d, 0, accs_[%d] + %d);\n", r, v, r,
                         16 * v);
        }
        char row[64], ap[512], kpart[256];
        if (M % rm == 0)
            snprintf(row, sizeof row, "m0 + %d", r);
        else
            snprintf(row, sizeof row, "min(m0 + %d, %lld)", r, (long long)M - 1);
        if (astage)
            cg_sb_printf(&fmas,
                         "                {\n"
                         "                    const float a_ = as_[(m0 - mb0 + %d) * %lld + k];\n",
                         r, (long long)KP);
        else if (mm_cpu_aptr(in->abody, in->aexpr, row, ap, sizeof ap, kpart, sizeof kpart)) {
            cg_sb_printf(&accs, "            __global const float *ap%d_ = %s;\n", r, ap);
            if (r == 0) cg_sb_printf(&bl, "                const int ko_ = %s;\n", kpart);
            cg_sb_printf(
                &fmas, "                {\n                    const float a_ = ap%d_[ko_];\n", r);
        } else if (M % rm == 0)
            cg_sb_printf(&fmas,
                         "                {\n                    const int m = m0 + %d;\n%s"
                         "                    const float a_ = %s;\n",
                         r, in->abody, in->aexpr);
        else
            cg_sb_printf(
                &fmas,
                "                {\n                    const int m = min(m0 + %d, %lld);\n%s"
                "                    const float a_ = %s;\n",
                r, (long long)M - 1, in->abody, in->aexpr);
        for (int v = 0; v < nv; v++)
            cg_sb_printf(&fmas,
                         "                    acc%d_%d = fma((float16)(a_), b_%d, acc%d_%d);\n", r,
                         v, v, r, v);
        cg_sb_puts(&fmas, "                }\n");
    }
    if (in->packed) {
        k->pack_arg = in->barg + 1;
        k->pack_trans = in->tb;
        k->pack_k = K;
        k->pack_n = N;
    }
    char sM[24], sN[24], sK[24], sRM[16], sPW[16], sMR[24], sNC[24], sMB0[96], sMB1[96];
    if (groups == tm) {
        snprintf(sMB0, sizeof sMB0, "get_global_id(0) * %lld", (long long)MR);
        snprintf(sMB1, sizeof sMB1, "mb0 + %lld", (long long)MR);
    } else { /* group g: tiles g tm / G .. (g + 1) tm / G - 1 */
        snprintf(sMB0, sizeof sMB0, "(int)get_global_id(0) * %lld / %lld * %d", (long long)tm,
                 (long long)groups, rm);
        snprintf(sMB1, sizeof sMB1, "((int)get_global_id(0) + 1) * %lld / %lld * %d", (long long)tm,
                 (long long)groups, rm);
    }
    snprintf(sM, sizeof sM, "%lld", (long long)M);
    snprintf(sN, sizeof sN, "%lld", (long long)N);
    snprintf(sK, sizeof sK, "%lld", (long long)K);
    snprintf(sRM, sizeof sRM, "%d", rm);
    snprintf(sPW, sizeof sPW, "%d", pw);
    snprintf(sMR, sizeof sMR, "%lld", (long long)MR);
    snprintf(sNC, sizeof sNC, "%lld", (long long)NC);
    cg_sb params = {0}, nparams = {0};
    ex_params(x, &params, 0);
    ex_params(x, &nparams, 1);
    const char *keys[] = {"COMMENT", "NAME",   "PARAMS", "M",      "N",     "K",
                          "RM",      "PW",     "MR",     "NC",     "BATCH", "ASTAGE",
                          "BDECL",   "BSTAGE", "ACCS",   "BLOADS", "FMAS",  "SPILL",
                          "EBODY",   "STORES", "MB0",    "MB1"};
    const char *vals[] = {"",
                          "KERNEL",
                          params.s,
                          sM,
                          sN,
                          sK,
                          sRM,
                          sPW,
                          sMR,
                          sNC,
                          bidx.s ? bidx.s : "",
                          astg.s ? astg.s : "",
                          bdecl.s ? bdecl.s : "",
                          bstg.s ? bstg.s : "",
                          accs.s,
                          bl.s,
                          fmas.s,
                          spill.s,
                          in->ebody,
                          in->stores,
                          sMB0,
                          sMB1};
    ex_finish_kernel(k, x, "matmul_cpu_tile", "mm", "matmul", NULL, keys, vals, 22, params.s,
                     nparams.s);
    k->dims = 3;
    /* one work-item per work-group, so that PoCL does not try to vectorise
       across work-items a body that is already 16 wide */
    k->has_local = 1;
    k->local[0] = k->local[1] = k->local[2] = 1;
    k->global[0] = (size_t)groups;
    k->global[1] = (size_t)((N + NC - 1) / NC);
    k->global[2] = (size_t)in->batch;
    k->flops = 2.0 * (double)in->batch * (double)M * (double)N * (double)K;
    cg_sb_free(&params);
    cg_sb_free(&nparams);
    cg_sb_free(&bidx);
    cg_sb_free(&astg);
    cg_sb_free(&bdecl);
    cg_sb_free(&bstg);
    cg_sb_free(&accs);
    cg_sb_free(&bl);
    cg_sb_free(&fmas);
    cg_sb_free(&spill);
}

int cg_emit_matmul(const ir_graph *g, const cg_block *b, const cg_device *d, cg_kernel *k,
                   dn_err *e)
{
    const ir_node *P = NULL;
    for (int i = 0; i < b->nexec; i++) {
        const ir_node *n = &g->node[b->exec[i]];
        if (!strcmp(n->op, "MatMul") || !strcmp(n->op, "Gemm")) P = n;
    }
    int gemm = !strcmp(P->op, "Gemm");
    int av = P->in[0], bv = P->in[1], pv = P->out[0];
    const dn_shape *SA = &g->val[av].shape, *SB = &g->val[bv].shape, *O = &g->val[pv].shape;
    if (g->val[av].dtype != DN_F32 || g->val[bv].dtype != DN_F32)
        return dn_errf(e, "MatMul of %s", dn_dtype_name(g->val[av].dtype)), 0;
    if (SA->rank < 2 || SB->rank < 2 || O->rank < 2 || O->rank > 6)
        return dn_errf(e, "MatMul of rank %d x %d", SA->rank, SB->rank), 0;
    int ta = gemm ? (int)ir_attr_int(P, "transA", 0) : 0,
        tb = gemm ? (int)ir_attr_int(P, "transB", 0) : 0;
    int nb = O->rank - 2;
    int64_t M = O->d[nb], N = O->d[nb + 1], K = ta ? SA->d[0] : SA->d[SA->rank - 1];
    int64_t batch = 1;
    for (int i = 0; i < nb; i++)
        batch *= O->d[i];
    int64_t numel = dn_shape_numel(O);
    if (numel <= 0 || numel > 0x7fffffff || K <= 0)
        return dn_errf(e, "MatMul of %lld outputs", (long long)numel), 0;
    for (int i = 0; i < b->noutputs; i++)
        if (dn_shape_numel(&g->val[b->outputs[i]].shape) != numel)
            return dn_errf(e, "MatMul block with outputs of another size"), 0;

    /* A batch of products with one shared B (a Linear applied to [seq,
       batch, dim]) is one product of batch*M rows: B is streamed once,
       not once per batch entry, and no rows of a 4-row block go to waste
       when M is 1.  O, nb, M and batch describe the folded product from
       here on; Ofull is the node's own output shape. */
    const dn_shape *Ofull = O;
    dn_shape O2 = *O;
    int fold = nb > 0 && batch > 1 && dn_shape_numel(SB) == K * N && !gemm;
    if (fold) {
        O2.rank = 2;
        O2.d[0] = batch * M;
        O2.d[1] = N;
        O = &O2;
        nb = 0;
        M *= batch;
        batch = 1;
    }
    dn_arena *a = dn_arena_new();
    ex_ctx x;
    ex_init(&x, g, b, a);
    cg_sb abody = {0}, bbody = {0}, ebody = {0}, stores = {0}, params = {0}, bidx = {0};
    char aexpr[256], bexpr[256], over[512];
    const char *names[8];
    int rc = 1;
    for (int i = 0; i < nb; i++)
        names[i] = bnames[i];
    x.nnames = nb + 2;
    x.names = names;
    dn_shape DA = *O, DB = *O;
    DA.d[nb + 1] = K;
    DB.d[nb] = K;
    cg_map ma, mb, mo;
    /* A over (batch, m, k) */
    names[nb] = "m", names[nb + 1] = "k";
    x.body = &abody, x.indent = 3;
    if (fold) {
        dn_shape DAfull = *Ofull;
        DAfull.d[Ofull->rank - 1] = K;
        cg_map id, rs, ra, ex;
        if (cg_map_identity(a, &DA, &id, e) || cg_map_reshape(a, &DAfull, &DA, &rs, e) ||
            cg_map_compose(a, &id, &rs, &ra, e) || cg_map_expand(a, SA, &DAfull, &ex, e) ||
            cg_map_compose(a, &ra, &ex, &ma, e) || ex_value(&x, av, &ma, aexpr, sizeof aexpr, e))
            rc = 0;
    } else if (operand_map(a, &DA, SA, ta, &ma, e) || ex_value(&x, av, &ma, aexpr, sizeof aexpr, e))
        rc = 0;
    int rows = x.ncompute > 0 && !d->gpu && 64 * K <= 1 << 20; /* matmul_cpu_rows */
    /* B over (batch, k, n) */
    ex_forget(&x);
    names[nb] = "k", names[nb + 1] = "n";
    x.body = &bbody;
    if (rc && fold) {
        cg_map id, rs;
        if (cg_map_identity(a, &DB, &id, e) || cg_map_reshape(a, SB, &DB, &rs, e) ||
            cg_map_compose(a, &id, &rs, &mb, e) || ex_value(&x, bv, &mb, bexpr, sizeof bexpr, e))
            rc = 0;
    } else if (rc && (operand_map(a, &DB, SB, tb, &mb, e) ||
                      ex_value(&x, bv, &mb, bexpr, sizeof bexpr, e)))
        rc = 0;
    /* epilogue over (batch, m, n) */
    ex_forget(&x);
    names[nb] = "m", names[nb + 1] = "n";
    x.body = &ebody, x.indent = 3;
    char *key = NULL;
    if (rc && cg_map_identity(a, O, &mo, e)) rc = 0;
    if (rc) {
        cg_map mk;
        if (cg_map_reshape(a, Ofull, O, &mk, e)) rc = 0;
        key = ex_map_key(&x, rc ? &mk : &mo);
        snprintf(over, sizeof over, "acc");
        if (gemm) {
            float alpha = ir_attr_float(P, "alpha", 1.0f), beta = ir_attr_float(P, "beta", 1.0f);
            char cexpr[256] = "0.0f";
            if (P->nin > 2 && P->in[2] >= 0 && beta != 0.0f) {
                cg_map mc, bc;
                if (cg_map_expand(a, &g->val[P->in[2]].shape, O, &bc, e) ||
                    cg_map_compose(a, &mo, &bc, &mc, e) ||
                    ex_value(&x, P->in[2], &mc, cexpr, sizeof cexpr, e))
                    rc = 0;
            }
            snprintf(over, sizeof over, "%s * acc + %s * %s", FL(alpha), FL(beta), cexpr);
        }
        x.override_v = pv;
        x.override_key = key;
        x.override_expr = over;
    }
    for (int i = 0; i < b->noutputs && rc; i++) {
        int v = b->outputs[i];
        cg_map m;
        char expr[256];
        if (v == pv) {
            cg_sb_printf(&stores, "            a%d[(bz * %lld + m) * %lld + n] = %s;\n", x.argof[v],
                         (long long)M, (long long)N, over);
            continue;
        }
        if (cg_map_reshape(a, &g->val[v].shape, O, &m, e) ||
            ex_value(&x, v, &m, expr, sizeof expr, e)) {
            rc = 0;
            break;
        }
        cg_sb_printf(&stores, "            a%d[(bz * %lld + m) * %lld + n] = %s;\n", x.argof[v],
                     (long long)M, (long long)N, expr);
    }
    if (rc && d->gpu) {
        mm_gpu_in gi = {O,
                        nb,
                        av,
                        bv,
                        tb,
                        0,
                        M,
                        N,
                        K,
                        batch,
                        &ma,
                        &mb,
                        abody.s ? abody.s : "",
                        aexpr,
                        bbody.s ? bbody.s : "",
                        bexpr,
                        ebody.s ? ebody.s : "",
                        stores.s};
        gi.packed =
            x.prod[bv] < 0 && g->val[bv].kind == IR_VAL_CONST && dn_shape_numel(SB) == K * N;
        emit_matmul_gpu(k, &x, a, d, &gi);
    } else if (rc && !getenv("DNNF_MM_OLD")) {
        /* CPU register tiles (emit_matmul_cpu); DNNF_MM_OLD=1 keeps the
           earlier 4 x 16 kernels below, for before/after measurements */
        int packed =
            x.prod[bv] < 0 && g->val[bv].kind == IR_VAL_CONST && dn_shape_numel(SB) == K * N;
        mm_cpu_in ci = {O,
                        nb,
                        M,
                        N,
                        K,
                        batch,
                        abody.s ? abody.s : "",
                        aexpr,
                        bbody.s ? bbody.s : "",
                        bexpr,
                        ebody.s ? ebody.s : "",
                        stores.s ? stores.s : "",
                        rows,
                        packed,
                        x.argof[bv],
                        tb,
                        !packed && mm_cpu_unit(bbody.s ? bbody.s : bexpr, 'k')};
        emit_matmul_cpu(k, &x, d, &ci);
    } else if (rc) {
        int64_t stride = 1;
        for (int i = nb - 1; i >= 0; i--) {
            cg_sb_printf(&bidx, "    const int i%d = bz / %lld %% %lld;\n", i, (long long)stride,
                         (long long)O->d[i]);
            stride *= O->d[i];
        }
        int RM = 4, RN = 16, RMR = M >= 32 ? 16 : 4;
        cg_sb rowa = {0}, accs = {0}, fmas = {0}, spill = {0};
        if (rows) {
            cg_sb_printf(&rowa,
                         "            float a_;\n            {\n                const int m = "
                         "min(m0 + r, %lld);\n%s                a_ = %s;\n            }\n",
                         (long long)M - 1, abody.s ? abody.s : "", aexpr);
            for (int r = 0; r < RMR; r++) {
                cg_sb_printf(&accs, "        float16 acc%d = 0.0f;\n", r);
                cg_sb_printf(&fmas,
                             "            acc%d = fma((float16)(as_[%d * %lld + k]), b_, acc%d);\n",
                             r, r, (long long)K, r);
                cg_sb_printf(&spill, "        vstore16(acc%d, 0, accs_[%d]);\n", r, r);
            }
        }
        char sRMR[16];
        snprintf(sRMR, sizeof sRMR, "%d", RMR);
        char sM[24], sN[24], sK[24];
        snprintf(sM, sizeof sM, "%lld", (long long)M);
        snprintf(sN, sizeof sN, "%lld", (long long)N);
        snprintf(sK, sizeof sK, "%lld", (long long)K);
        /* the operand loads, unrolled: A at rows m0..m0+3, B at columns
           n0..n0+15 (clamped at the edge), each copy in its own scope */
        cg_sb loads = {0}, bloads = {0};
        cg_sb_puts(&loads, "        float a_0, a_1, a_2, a_3;\n");
        for (int r = 0; r < RM; r++) {
            if (M % RM == 0)
                cg_sb_printf(&loads, "        {\n            const int m = m0 + %d;\n", r);
            else
                cg_sb_printf(&loads, "        {\n            const int m = min(m0 + %d, %lld);\n",
                             r, (long long)M - 1);
            cg_sb_printf(&loads, "%s            a_%d = %s;\n        }\n", abody.s ? abody.s : "", r,
                         aexpr);
        }
        cg_sb *bl = rows ? &bloads : &loads;
        /* a constant B without broadcast batch dims: read packed panels,
           one contiguous 16-wide load per k (the executor packs it) */
        int packed =
            x.prod[bv] < 0 && g->val[bv].kind == IR_VAL_CONST && dn_shape_numel(SB) == K * N;
        if (packed) {
            k->pack_arg = x.argof[bv] + 1;
            k->pack_trans = tb;
            k->pack_k = K;
            k->pack_n = N;
            cg_sb_printf(
                bl, "        const float16 b_ = vload16(0, a%d + ((n0 / 16) * %lld + k) * 16);\n",
                x.argof[bv], (long long)K);
        }
        for (int c = 0; c < RN && !packed; c++) {
            if (c == 0)
                cg_sb_puts(
                    bl,
                    "        float b_0, b_1, b_2, b_3, b_4, b_5, b_6, b_7, b_8, b_9, b_10, b_11, "
                    "b_12, b_13, b_14, b_15;\n");
            if (N % RN == 0)
                cg_sb_printf(bl, "        {\n            const int n = n0 + %d;\n", c);
            else
                cg_sb_printf(bl, "        {\n            const int n = min(n0 + %d, %lld);\n", c,
                             (long long)N - 1);
            cg_sb_printf(bl, "%s            b_%d = %s;\n        }\n", bbody.s ? bbody.s : "", c,
                         bexpr);
        }
        if (!packed)
            cg_sb_puts(
                bl, "        const float16 b_ = (float16)(b_0, b_1, b_2, b_3, b_4, b_5, b_6, b_7, "
                    "b_8, b_9, b_10, b_11, b_12, b_13, b_14, b_15);\n");
        ex_params(&x, &params, 0);
        cg_sb nparams = {0};
        ex_params(&x, &nparams, 1);
        const char **keys = cg_matmul_cpu_keys;
        const char *vals[] = {"",
                              "KERNEL",
                              params.s,
                              sM,
                              sN,
                              sK,
                              bidx.s ? bidx.s : "",
                              loads.s,
                              ebody.s ? ebody.s : "",
                              stores.s,
                              rowa.s ? rowa.s : "",
                              bloads.s ? bloads.s : "",
                              sRMR,
                              accs.s ? accs.s : "",
                              fmas.s ? fmas.s : "",
                              spill.s ? spill.s : ""};
        ex_finish_kernel(k, &x, rows ? "matmul_cpu_rows" : "matmul_cpu", "mm", "matmul", NULL, keys,
                         vals, 16, params.s, nparams.s);
        cg_sb_free(&nparams);
        cg_sb_free(&loads);
        cg_sb_free(&bloads);
        cg_sb_free(&rowa);
        cg_sb_free(&accs);
        cg_sb_free(&fmas);
        cg_sb_free(&spill);
        k->dims = 3;
        /* CPU: one work-item per work-group, so that PoCL does not try to
           vectorise across work-items a body that is already 16 wide */
        k->has_local = !d->gpu;
        k->local[0] = k->local[1] = k->local[2] = 1;
        if (rows) {
            k->dims = 2;
            k->global[0] = (size_t)((M + RMR - 1) / RMR);
            k->global[1] = (size_t)batch;
        } else {
            k->global[0] = (size_t)((M + RM - 1) / RM);
            k->global[1] = (size_t)((N + RN - 1) / RN);
            k->global[2] = (size_t)batch;
        }
        k->flops = 2.0 * (double)batch * (double)M * (double)N * (double)K;
    }
    free(key);
    cg_sb_free(&abody);
    cg_sb_free(&bbody);
    cg_sb_free(&ebody);
    cg_sb_free(&stores);
    cg_sb_free(&params);
    cg_sb_free(&bidx);
    ex_free(&x);
    dn_arena_free(a);
    return rc;
}

/* ---- GPU family (templates/matmul_gpu.cl; docs/gpu.md) ------------------ */

/* The tile of a work-group: W x W work-items (W = 16 or 8), each owning
   TM x TN outputs (TM, TN = 1, 2 or 4), a W TM x W TN tile of the output.
   Large tiles do the most arithmetic per local-memory read; small ones make
   more work-groups.  The table is in order of preference; the first whose
   grid has at least 128 work-items per compute unit wins, and when none
   has (a batch-1 product of 49 pixels x 2048 channels), the one with the
   most work-groups.  Of two tiles that tie, the one that pads the product
   less.  On the H100 (docs/gpu.md) this rule beat both "always 64 x 64"
   and "256 work-items per compute unit": a batch-1 BERT's 128 x 768 x 768
   products run best on 32 x 32 tiles of 16 x 16 work-items, 96 groups for
   132 compute units.  The K-tile BK is 64 (32, 16 for short K), as deep as
   local memory allows -- both tiles take BK x (BM + 1) + BK x (BN + 4)
   floats, 34 KB at 16 x 4 x 4 with BK 64 -- except on a grid of at least
   four work-groups per compute unit, which hides the loads' latency by
   itself and runs faster with BK 16 (4096^3 SGEMM on the H100: 24.9 and
   22.1 TFLOP/s against 21.3 and 20.0; docs/gpu.md).  DNNF_GPU_TILE=W,TM,TN[,BK]
   overrides the choice (tuning experiments). */
typedef struct gpu_tile_t {
    int w, tm, tn, bk;
} gpu_tile_t;

static gpu_tile_t gpu_tile(const cg_device *d, int64_t M, int64_t N, int64_t K, int64_t batch)
{
    static const gpu_tile_t table[] = {{16, 4, 4, 0}, {16, 2, 4, 0}, {16, 4, 2, 0}, {16, 2, 2, 0},
                                       {8, 4, 4, 0},  {16, 1, 2, 0}, {16, 2, 1, 0}, {8, 2, 2, 0},
                                       {8, 1, 2, 0},  {8, 2, 1, 0},  {8, 1, 1, 0}};
    int bk0 = K >= 48 ? 64 : K >= 24 ? 32 : 16;
    const char *env = getenv("DNNF_GPU_TILE");
    gpu_tile_t o = {0, 0, 0, bk0};
    if (env && sscanf(env, "%d,%d,%d,%d", &o.w, &o.tm, &o.tn, &o.bk) >= 3 &&
        (o.w == 8 || o.w == 16) && o.tm >= 1 && o.tm <= 8 && o.tn >= 1 && o.tn <= 8 &&
        (o.bk == 16 || o.bk == 32 || o.bk == 64))
        return o;
    int64_t cu = d->compute_units > 0 ? d->compute_units : 1;
    int best = -1, most = -1;
    int64_t bestpad = 0, mostg = 0;
    for (int i = 0; i < (int)(sizeof table / sizeof *table); i++) {
        const gpu_tile_t *t = &table[i];
        int64_t bm = t->w * t->tm, bn = t->w * t->tn;
        int64_t lmem = (16 * (bm + 1) + 16 * (bn + 4)) * 4; /* at BK 16 */
        if (d->local_mem > 0 && lmem > d->local_mem) continue;
        int64_t gm = (M + bm - 1) / bm, gn = (N + bn - 1) / bn, g = gm * gn * batch;
        int64_t pad = gm * bm * gn * bn - M * N;
        if (most < 0 || g > mostg) most = i, mostg = g;
        if (g * t->w * t->w < cu * 128) continue;
        if (best >= 0) { /* only the twin of the first that qualified, if it pads less */
            const gpu_tile_t *b = &table[best];
            if (b->w != t->w || b->tm * b->tn != t->tm * t->tn || pad >= bestpad) continue;
        }
        best = i, bestpad = pad;
    }
    o = table[best >= 0 ? best : most >= 0 ? most : (int)(sizeof table / sizeof *table) - 1];
    int64_t bm = o.w * o.tm, bn = o.w * o.tn;
    /* a grid of many waves hides the loads' latency by itself, and the
       shallow K-tile leaves room for more groups per compute unit */
    if ((M + bm - 1) / bm * ((N + bn - 1) / bn) * batch >= 4 * cu) bk0 = 16;
    for (o.bk = bk0; o.bk > 16; o.bk /= 2)
        if (d->local_mem <= 0 || o.bk * (bm + 1 + bn + 4) * 4 <= d->local_mem) break;
    return o;
}

/* Weights in an image2d_t (DNNF_IMAGES=1; docs/gpu.md): the width in
   texels of the image that holds a K x N matrix's packed panels, or 0 to
   keep the buffer (images off, or more texels than fit).  The limits are
   the 8192 x 8192 texels that OpenCL 1.2 guarantees every device with
   image support (the H100 allows 16384 x 16384, PoCL here 8192 x 8192),
   so that a kernel fits every device it may be cached for; the width is
   a power of two so that the kernel's texel coordinates are a mask and a
   shift.  4096 x 8192 texels hold 134M floats: vgg16's 25088 x 4096
   classifier (103M) fits. */
static int images_on(void)
{
    const char *on = getenv("DNNF_IMAGES");
    return on && !strcmp(on, "1");
}

static int64_t image_width(int64_t K, int64_t N)
{
    if (!images_on()) return 0;
    const int64_t w = CG_AIMAGE_W, texels = K * ((N + 15) / 16 * 16) / 4;
    return (texels + w - 1) / w <= CG_AIMAGE_ROWS ? w : 0;
}

/* params with argument arg declared as a read-only image2d_t instead of a
   buffer of floats. */
static void image_param(cg_sb *s, int arg)
{
    char pat[64];
    snprintf(pat, sizeof pat, "__global const float *restrict a%d", arg);
    size_t n = strlen(pat);
    for (char *q = s->s ? strstr(s->s, pat) : NULL; q; q = strstr(q + 1, pat)) {
        if (q[n] >= '0' && q[n] <= '9') continue; /* a12 is not a1 */
        cg_sb o = {0};
        cg_sb_printf(&o, "%.*s__read_only image2d_t a%d%s", (int)(q - s->s), s->s, arg, q + n);
        cg_sb_free(s);
        *s = o;
        return;
    }
}

void cg_mm_vec_operand(const ex_ctx *x, dn_arena *a, const cg_device *d, int v, const cg_map *m,
                       const char *const *names, int kvar, int64_t kext, int ovar, int64_t oext,
                       cg_mm_vec *o)
{
    memset(o, 0, sizeof *o);
    const char *vec = getenv("DNNF_GPU_AVEC");
    int images = images_on();
    if (!images && !(vec && !strcmp(vec, "1"))) return;
    if (m->nvar != (kvar > ovar ? kvar : ovar) + 1) return;
    /* through data movement in the block (the Transpose of K in attention
       scores) to the tensor in memory, as the scalar load goes */
    cg_map cm = *m;
    for (int hop = 0; hop < 16 && x->prod[v] >= 0; hop++) {
        const ir_node *nd = &x->g->node[x->prod[v]];
        int which = 0; /* which output v is (a Split has several) */
        for (int q = 0; q < nd->nout; q++)
            if (nd->out[q] == v) which = q;
        if ((nd->nout != 1 && strcmp(nd->op, "Split")) || nd->nin > 16 ||
            !strcmp(nd->op, "Concat") || !strcmp(nd->op, "Pad") || !strcmp(nd->op, "Gather"))
            return;
        dn_tensor tin[16];
        const dn_tensor *pin[16];
        for (int q = 0; q < nd->nin; q++)
            pin[q] = ir_input_tensor(x->g, nd, q, &tin[q]) ? &tin[q] : NULL;
        cg_map nm, next;
        dn_err e;
        if (cg_map_node(a, nd, pin, nd->nin, which, &nm, &e) ||
            cg_map_compose(a, &cm, &nm, &next, &e))
            return; /* computes: not a plain read */
        cm = next;
        v = nd->in[0];
    }
    const ir_value *val = &x->g->val[v];
    if (x->prod[v] >= 0 || x->argof[v] < 0 || val->dtype != DN_F32 || cm.nvar != m->nvar ||
        cm.nguard)
        return;
    const cg_expr *off = cg_map_offset(a, &cm);
    if (kext % 4 == 0 && cg_expr_lanes(off, kvar, 4) == CG_LANES_ALIGNED)
        o->mode = 1;
    else if (oext % 4 == 0 && cg_expr_lanes(off, ovar, 4) == CG_LANES_ALIGNED)
        o->mode = 2;
    else
        return;
    cg_print_cl(off, names, cm.nvar, o->off, sizeof o->off);
    o->arg = x->argof[v];
    o->image = d->image_from_buffer && images && val->kind != IR_VAL_CONST &&
               dn_shape_numel(&val->shape) / 4 <= (int64_t)CG_AIMAGE_W * CG_AIMAGE_ROWS;
}

/* Does text s name argument arg (a12, not a1 or a123)? */
static int mentions_arg(const char *s, int arg)
{
    char pat[24];
    int n = snprintf(pat, sizeof pat, "a%d", arg);
    for (const char *q = s ? strstr(s, pat) : NULL; q; q = strstr(q + 1, pat))
        if ((q == s || !ex_ident_char(q[-1])) && !ex_ident_char(q[n])) return 1;
    return 0;
}

void cg_matmul_gpu_finish(cg_kernel *k, ex_ctx *x, const cg_device *d, const cg_mm_gpu *p)
{
    gpu_tile_t t = gpu_tile(d, p->M, p->N, p->K, p->batch);
    int tm = t.tm, tn = t.tn;
    char sM[24], sN[24], sK[24], sTM[16], sTN[16], sW[16], sB[16], sBK[16];
    snprintf(sM, sizeof sM, "%lld", (long long)p->M);
    snprintf(sN, sizeof sN, "%lld", (long long)p->N);
    snprintf(sK, sizeof sK, "%lld", (long long)p->K);
    snprintf(sTM, sizeof sTM, "%d", tm);
    snprintf(sTN, sizeof sTN, "%d", tn);
    snprintf(sW, sizeof sW, "%d", t.w);
    snprintf(sBK, sizeof sBK, "%d", t.bk);
    snprintf(sB, sizeof sB, "%d", p->barg);
    /* at most 4 rows and a constant B: stream B's panels (matmul_gpu_gemv.cl) */
    int gemv = p->bpacked && p->M <= 4 && !getenv("DNNF_GPU_NO_GEMV");
    k->pack_image = p->bpacked && !gemv ? image_width(p->K, p->N) : 0;
    /* an operand as an image only where nothing else in the kernel reads
       its argument as a buffer (a residual Add of A in the epilogue would) */
    cg_mm_vec av = p->a, bv = p->b;
    /* the float4 loads split the tile's sides in fours: so with every
       tile gpu_tile allows (W 8 or 16, BK 16 to 64); kept should it grow */
    int bm = t.w * tm, bn = t.w * tn;
    if ((av.mode == 1 && t.bk % 4) || (av.mode == 2 && bm % 4)) av.mode = 0;
    if ((bv.mode == 1 && t.bk % 4) || (bv.mode == 2 && bn % 4)) bv.mode = 0;
    const cg_mm_vec *va = &av, *vb = &bv;
    int aimage = va->mode && va->image && !gemv && !mentions_arg(p->ebody, va->arg) &&
                 !mentions_arg(p->stores, va->arg) &&
                 !(vb->mode ? vb->arg == va->arg : mentions_arg(p->bload, va->arg)) &&
                 !(p->bpacked && p->barg == va->arg);
    int bimage = vb->mode && vb->image && !gemv && !mentions_arg(p->ebody, vb->arg) &&
                 !mentions_arg(p->stores, vb->arg) &&
                 !(va->mode ? va->arg == vb->arg : mentions_arg(p->aload, vb->arg));
    k->img_arg[0] = aimage ? va->arg + 1 : 0;
    k->img_arg[1] = bimage ? vb->arg + 1 : 0;
    char sI[24], sAI[24], sAA[16], sBI[24], sBA[16], sAV[8], sBV[8];
    snprintf(sI, sizeof sI, "%lld", (long long)k->pack_image);
    snprintf(sAI, sizeof sAI, "%d", aimage ? CG_AIMAGE_W : 0);
    snprintf(sBI, sizeof sBI, "%d", bimage ? CG_AIMAGE_W : 0);
    snprintf(sAA, sizeof sAA, "%d", va->mode ? va->arg : -1);
    snprintf(sBA, sizeof sBA, "%d", vb->mode ? vb->arg : -1);
    snprintf(sAV, sizeof sAV, "%d", gemv ? 0 : va->mode);
    snprintf(sBV, sizeof sBV, "%d", gemv || p->bpacked ? 0 : vb->mode);
    cg_sb params = {0}, nparams = {0};
    ex_params(x, &params, 0);
    ex_params(x, &nparams, 1);
    if (k->pack_image) {
        image_param(&params, p->barg);
        image_param(&nparams, p->barg);
    }
    for (int q = 0; q < 2; q++)
        if (k->img_arg[q]) {
            image_param(&params, k->img_arg[q] - 1);
            image_param(&nparams, k->img_arg[q] - 1);
        }
    const char *keys[] = {"COMMENT", "NAME",   "PARAMS",  "M",      "N",       "K",     "TM",
                          "TN",      "MFAST",  "AKFAST",  "BKFAST", "BPACKED", "BATCH", "ALOAD",
                          "BLOAD",   "BARG",   "EBODY",   "STORES", "W",       "BK",    "BIMAGE",
                          "AVEC",    "AIMAGE", "AOFFSET", "AARG",   "BVEC",    "BVIMAGE", "BOFFSET",
                          "BVARG"};
    const char *vals[] = {"",
                          "KERNEL",
                          params.s,
                          sM,
                          sN,
                          sK,
                          sTM,
                          sTN,
                          p->mfast ? "1" : "0",
                          p->akfast ? "1" : "0",
                          p->bkfast ? "1" : "0",
                          p->bpacked ? "1" : "0",
                          p->batch_index ? p->batch_index : "",
                          p->aload,
                          p->bpacked ? "" : p->bload,
                          sB,
                          p->ebody ? p->ebody : "",
                          p->stores ? p->stores : "",
                          sW,
                          sBK,
                          sI,
                          sAV,
                          sAI,
                          va->mode ? va->off : "0",
                          sAA,
                          sBV,
                          sBI,
                          vb->mode ? vb->off : "0",
                          sBA};
    ex_finish_kernel(k, x, gemv ? "matmul_gpu_gemv" : "matmul_gpu", p->prefix, p->family, p->note,
                     keys, vals, 29, params.s, nparams.s);
    cg_sb_free(&params);
    cg_sb_free(&nparams);
    k->flops = 2.0 * (double)p->batch * (double)p->M * (double)p->N * (double)p->K;
    if (gemv) {
        k->dims = 2;
        k->has_local = 1;
        k->local[0] = 256;
        k->local[1] = k->local[2] = 1;
        k->global[0] = (size_t)((p->N + 15) / 16) * 256;
        k->global[1] = (size_t)p->batch;
        return;
    }
    size_t w = (size_t)t.w, gm = (size_t)((p->M + t.w * tm - 1) / (t.w * tm)) * w,
           gn = (size_t)((p->N + t.w * tn - 1) / (t.w * tn)) * w;
    k->dims = 3;
    k->has_local = 1;
    k->local[0] = k->local[1] = w;
    k->local[2] = 1;
    k->global[0] = p->mfast ? gm : gn;
    k->global[1] = p->mfast ? gn : gm;
    k->global[2] = (size_t)p->batch;
}

/* 1 when the element of memory that operand v is read from at map m moves
   by one as variable var moves by one (at the origin): the operand is
   contiguous along var, and the work-items of a tile load should run along
   it.  The walk follows the operand's producers inside the block through
   data movement (a Transpose of K in attention scores) and through
   elementwise nodes of the same shape, as the emitted load does. */
static int contiguous_along(ex_ctx *x, dn_arena *a, int v, const cg_map *m0, int var)
{
    const ir_graph *g = x->g;
    cg_map m = *m0;
    if (var >= m.nvar || m.var[var].hi < 1) return 0;
    for (int hop = 0; hop < 16 && x->prod[v] >= 0; hop++) {
        const ir_node *nd = &g->node[x->prod[v]];
        if (nd->nout != 1 || nd->nin > 16 || !strcmp(nd->op, "Concat")) return 0;
        dn_tensor tin[16];
        const dn_tensor *pin[16];
        for (int q = 0; q < nd->nin; q++)
            pin[q] = ir_input_tensor(g, nd, q, &tin[q]) ? &tin[q] : NULL;
        cg_map nm, cm;
        dn_err e;
        if (!cg_map_node(a, nd, pin, nd->nin, 0, &nm, &e) && !cg_map_compose(a, &m, &nm, &cm, &e)) {
            m = cm;
            v = nd->in[0];
            continue;
        }
        int next = -1;
        for (int q = 0; q < nd->nin && next < 0; q++)
            if (nd->in[q] >= 0 && dn_shape_eq(&g->val[nd->in[q]].shape, &g->val[v].shape))
                next = nd->in[q];
        if (next < 0) return 0;
        v = next;
    }
    const cg_expr *off = cg_map_offset(a, &m);
    int64_t at[DN_MAX_RANK] = {0};
    int64_t o = cg_expr_eval(off, at);
    at[var] = 1;
    return cg_expr_eval(off, at) - o == 1;
}

static void emit_matmul_gpu(cg_kernel *k, ex_ctx *x, dn_arena *a, const cg_device *d,
                            const mm_gpu_in *in)
{
    cg_sb bidx = {0}, al = {0}, bl = {0};
    int64_t stride = 1;
    for (int i = in->nb - 1; i >= 0; i--) {
        cg_sb_printf(&bidx, "    const int i%d = bz / %lld %% %lld;\n", i, (long long)stride,
                     (long long)in->O->d[i]);
        stride *= in->O->d[i];
    }
    cg_sb_printf(&al,
                 "            float a_;\n            {\n                const int m = min(m0 + r, "
                 "%lld);\n%s                a_ = %s;\n            }\n",
                 (long long)in->M - 1, in->abody, in->aexpr);
    if (in->packed) {
        k->pack_arg = x->argof[in->bv] + 1;
        k->pack_trans = in->tb;
        k->pack_k = in->K;
        k->pack_n = in->N;
    } else
        cg_sb_printf(
            &bl,
            "            float b_;\n            {\n%s                b_ = %s;\n            }\n",
            in->bbody, in->bexpr);
    /* operands read straight from memory, four floats at a time where
       their layout allows (2.5-D memory, docs/layout.md §4) */
    const char *nm[DN_MAX_RANK + 2];
    for (int i = 0; i < in->nb; i++)
        nm[i] = x->names[i];
    cg_mm_vec va, vb;
    nm[in->nb] = "m", nm[in->nb + 1] = "k";
    cg_mm_vec_operand(x, a, d, in->av, in->ma, nm, in->nb + 1, in->K, in->nb, in->M, &va);
    nm[in->nb] = "k", nm[in->nb + 1] = "n";
    memset(&vb, 0, sizeof vb);
    if (!in->packed)
        cg_mm_vec_operand(x, a, d, in->bv, in->mb, nm, in->nb, in->K, in->nb + 1, in->N, &vb);
    cg_mm_gpu p = {.M = in->M,
                   .N = in->N,
                   .K = in->K,
                   .batch = in->batch,
                   .batch_index = bidx.s,
                   .aload = al.s,
                   .bload = bl.s,
                   .ebody = in->ebody,
                   .stores = in->stores,
                   .bpacked = in->packed,
                   .barg = in->packed ? x->argof[in->bv] : -1,
                   .akfast = contiguous_along(x, a, in->av, in->ma, in->nb + 1),
                   .bkfast = !in->packed && contiguous_along(x, a, in->bv, in->mb, in->nb),
                   /* an output written transposed (a layout the pass
                      chose, layout/apply.c) is contiguous along m: put
                      neighbouring work-items there, so stores coalesce */
                   .mfast = in->M > 1 && in->N > 1 && ex_stores_contiguous_along(x->b, in->N),
                   .a = va,
                   .b = vb,
                   .prefix = "mm",
                   .family = "matmul",
                   .note = " (GPU tiles)"};
    cg_matmul_gpu_finish(k, x, d, &p);
    cg_sb_free(&bidx);
    cg_sb_free(&al);
    cg_sb_free(&bl);
}
#endif
