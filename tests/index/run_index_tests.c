/* run_index_tests.c -- the index-map tests, written as data in
 * tests/index/NAME.txt (the file header of each explains the syntax), and a
 * property test.
 *
 * The ground truth of every map is the engine's own operators: a chain of
 * data-movement ops is run through op_run_node on an "iota" tensor whose
 * element i holds i, so the result tensor holds, at each position, the
 * flat index of the element it came from -- it IS the map.  Every chain
 * case and every random chain compares the composed, simplified map with
 * that tensor at every output position, in three forms: one variable per
 * dim, one flat variable, and with dims merged.  Concat's other inputs are
 * filled with -1, so a guard that fails must meet a -1.
 *
 * Usage: run_index_tests [--seed N] [--random N] FILE...
 * --random N: N random chains and 5N random expressions (default 2000;
 * 0 runs the files only).
 * The last line printed is "N passed, N failed"; exit status 1 on failure. */
#include "codegen.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct stats {
    int pass, fail;
} stats;

#define FAIL(st, ...)                                                                              \
    do {                                                                                           \
        (st)->fail++;                                                                              \
        fprintf(stderr, __VA_ARGS__);                                                              \
        fputc('\n', stderr);                                                                       \
    } while (0)

/* ------------------------------------------------------------------ */
/* Op lines: "Name key=v,v,v key=v"                                    */
/* ------------------------------------------------------------------ */

#define MAXKV 8
#define MAXV 64

typedef struct kv {
    char key[32];
    char s[32]; /* the text, for string attributes */
    int64_t v[MAXV];
    int n;
} kv;

typedef struct opspec {
    char name[32];
    kv kv[MAXKV];
    int nkv;
} opspec;

static const kv *get(const opspec *o, const char *key)
{
    for (int i = 0; i < o->nkv; i++)
        if (!strcmp(o->kv[i].key, key)) return &o->kv[i];
    return NULL;
}

/* "1,2,-3" -> values; "" -> none.  Returns the count or -1. */
static int parse_ints(const char *s, int64_t *v, int max)
{
    int n = 0;
    while (*s) {
        char *end;
        long long x = strtoll(s, &end, 10);
        if (end == s || n == max) return -1;
        v[n++] = x;
        s = end;
        if (*s == ',')
            s++;
        else if (*s)
            return -1;
    }
    return n;
}

static int parse_op(const char *line, opspec *o, dn_err *e)
{
    memset(o, 0, sizeof *o);
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", line);
    char *save, *tok = strtok_r(buf, " \t", &save);
    if (!tok) return dn_errf(e, "empty op line");
    snprintf(o->name, sizeof o->name, "%s", tok);
    while ((tok = strtok_r(NULL, " \t", &save))) {
        char *eq = strchr(tok, '=');
        if (!eq || o->nkv == MAXKV) return dn_errf(e, "bad attribute '%s'", tok);
        *eq = 0;
        kv *k = &o->kv[o->nkv++];
        snprintf(k->key, sizeof k->key, "%s", tok);
        snprintf(k->s, sizeof k->s, "%s", eq + 1);
        k->n = isalpha((unsigned char)eq[1]) ? 0 : parse_ints(eq + 1, k->v, MAXV);
        if (k->n < 0) return dn_errf(e, "bad values in '%s'", eq + 1);
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Nodes and constant inputs for op_run_node                            */
/* ------------------------------------------------------------------ */

typedef struct nodebuf {
    ir_node n;
    int in[16], out[16];
    ir_attr attr[MAXKV];
    dn_tensor cin[16]; /* the node's inputs; cin[0] (or Concat's) is data */
    const dn_tensor *pin[16];
    int nin;
} nodebuf;

static ir_attr *attr(nodebuf *b, const char *name, int type)
{
    ir_attr *a = &b->attr[b->n.nattr++];
    a->name = (char *)name;
    a->type = type;
    return a;
}

static dn_tensor ivec(const kv *k, int scalar_ok)
{
    dn_tensor t;
    memset(&t, 0, sizeof t);
    t.dtype = DN_I64;
    int64_t d = k->n;
    t.shape = scalar_ok && k->n == 1 ? dn_shape_make(0, NULL) : dn_shape_make(1, &d);
    t.data = (void *)k->v;
    return t;
}

/* Keys that are ONNX inputs (in this order) rather than attributes. */
static const char *const *input_keys(const char *op)
{
    static const char *const shape[] = {"shape", NULL}, *const axes[] = {"axes", NULL},
                             *const slice[] = {"starts", "ends", "axes", "steps", NULL},
                             *const gather[] = {"indices", NULL}, *const none[] = {NULL},
                             *const split[] = {"split", NULL}, *const tile[] = {"repeats", NULL},
                             *const pad[] = {"pads", "constant_value", "axes", NULL};
    if (!strcmp(op, "Reshape") || !strcmp(op, "Expand")) return shape;
    if (!strcmp(op, "Squeeze") || !strcmp(op, "Unsqueeze")) return axes;
    if (!strcmp(op, "Slice")) return slice;
    if (!strcmp(op, "Gather")) return gather;
    if (!strcmp(op, "Split")) return split;
    if (!strcmp(op, "Tile")) return tile;
    if (!strcmp(op, "Pad")) return pad;
    return none;
}

/* Builds the node for o with data x (for Concat: x at position `input`
   among fillers of -1 whose sizes along the axis are `sizes`).  Fillers
   are allocated into fill[] (caller frees). */
static int build_node(const opspec *o, const dn_tensor *x, nodebuf *b, dn_tensor *fill, int *nfill,
                      int *which, dn_err *e)
{
    memset(b, 0, sizeof *b);
    *nfill = 0;
    *which = 0;
    b->n.name = "n";
    b->n.op = (char *)o->name;
    b->n.domain = "";
    const kv *nouts = get(o, "outputs"), *outk = get(o, "output");
    b->n.nout = nouts ? (int)nouts->v[0] : 1;
    if (b->n.nout < 1 || b->n.nout > 16) return dn_errf(e, "outputs= must be 1..16");
    for (int i = 0; i < b->n.nout; i++)
        b->out[i] = 99 + i;
    /* Split: the map goes from output `output=` to the one input */
    if (outk) *which = (int)outk->v[0];
    b->n.out = b->out;
    b->n.in = b->in;
    b->n.attr = b->attr;
    const char *const *ik = input_keys(o->name);
    if (!strcmp(o->name, "Concat")) {
        const kv *sz = get(o, "sizes"), *inp = get(o, "input"), *ax = get(o, "axis");
        if (!sz || !inp || !ax) return dn_errf(e, "Concat needs axis=, sizes= and input=");
        int axis;
        if (dn_axis(ax->v[0], x->shape.rank, &axis, e)) return -1;
        *which = (int)inp->v[0];
        if (*which < 0 || *which >= sz->n || sz->n > 16)
            return dn_errf(e, "Concat input= out of range");
        if (sz->v[*which] != x->shape.d[axis])
            return dn_errf(e, "Concat sizes[%d] = %lld but the tensor has %lld", *which,
                           (long long)sz->v[*which], (long long)x->shape.d[axis]);
        for (int i = 0; i < sz->n; i++) {
            if (i == *which) {
                b->cin[i] = *x;
                continue;
            }
            dn_tensor *f = &fill[(*nfill)++];
            memset(f, 0, sizeof *f);
            f->dtype = DN_I64;
            f->shape = x->shape;
            f->shape.d[axis] = sz->v[i];
            if (dn_tensor_alloc(f, e)) return -1;
            for (int64_t j = 0; j < dn_shape_numel(&f->shape); j++)
                dn_seti(f, j, -1);
            b->cin[i] = *f;
        }
        b->nin = sz->n;
        ir_attr *a = attr(b, "axis", IR_ATTR_INT);
        a->i = ax->v[0];
    } else {
        b->cin[0] = *x;
        b->nin = 1;
        int last = 0;
        for (int i = 0; ik[i]; i++) {
            const kv *k = get(o, ik[i]);
            b->in[i + 1] = k ? i + 1 : -1;
            if (k) {
                /* a Gather index given as one value without a shape is a scalar */
                int scalar = !strcmp(ik[i], "indices") && !get(o, "indices_shape");
                b->cin[i + 1] = ivec(k, scalar);
                last = i + 1;
            }
        }
        b->nin = last + 1;
        const kv *ish = get(o, "indices_shape");
        if (ish) b->cin[1].shape = dn_shape_make(ish->n, ish->v);
        for (int i = 0; i < o->nkv; i++) {
            const kv *k = &o->kv[i];
            int is_input = !strcmp(k->key, "indices_shape") || !strcmp(k->key, "outputs") ||
                           !strcmp(k->key, "output");
            for (int j = 0; ik[j]; j++)
                is_input |= !strcmp(ik[j], k->key);
            if (is_input) continue;
            if (!strcmp(k->key, "mode")) {
                attr(b, k->key, IR_ATTR_STRING)->s = (char *)k->s;
            } else if (!strcmp(k->key, "perm")) {
                ir_attr *a = attr(b, k->key, IR_ATTR_INTS);
                a->ints = (int64_t *)k->v;
                a->n = k->n;
            } else {
                attr(b, k->key, IR_ATTR_INT)->i = k->v[0];
            }
        }
    }
    b->n.nin = b->nin;
    for (int i = 0; i < b->nin; i++) {
        if (strcmp(o->name, "Concat"))
            b->in[0] = 0;
        else
            b->in[i] = i;
        b->pin[i] = b->in[i] < 0 ? NULL : &b->cin[i];
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Chains: the engine's result on an iota tensor vs the composed map     */
/* ------------------------------------------------------------------ */

typedef struct chain {
    dn_arena *a;
    dn_tensor y; /* the current tensor (int64), owned */
    dn_shape in; /* the shape of the iota input */
    cg_map m;    /* from y's positions to the iota input */
} chain;

static int chain_start(chain *c, const dn_shape *s, dn_arena *a, dn_err *e)
{
    memset(c, 0, sizeof *c);
    c->a = a;
    c->in = *s;
    c->y.dtype = DN_I64;
    c->y.shape = *s;
    if (dn_tensor_alloc(&c->y, e)) return -1;
    for (int64_t i = 0; i < dn_shape_numel(s); i++)
        dn_seti(&c->y, i, i);
    return cg_map_identity(a, s, &c->m, e);
}

static int chain_step(chain *c, const opspec *o, dn_err *e)
{
    nodebuf b;
    dn_tensor fill[16], outs[16], out;
    int nfill = 0, which, rc = -1;
    memset(&out, 0, sizeof out);
    memset(outs, 0, sizeof outs);
    if (build_node(o, &c->y, &b, fill, &nfill, &which, e)) goto done;
    cg_map mi, mc;
    if (cg_map_node(c->a, &b.n, b.pin, b.nin, which, &mi, e)) goto done;
    if (op_run_node(&b.n, b.pin, b.nin, outs, b.n.nout, e)) {
        dn_errpre(e, "engine %s: ", o->name);
        goto done;
    }
    /* the output followed: Split's output=, else the only one */
    int k = strcmp(o->name, "Split") ? 0 : which;
    out = outs[k];
    memset(&outs[k], 0, sizeof outs[k]);
    if (!dn_shape_eq(&out.shape, &mi.out)) {
        char s1[128], s2[128];
        dn_errf(e, "%s: engine output %s, map domain %s", o->name,
                dn_shape_str(&out.shape, s1, sizeof s1), dn_shape_str(&mi.out, s2, sizeof s2));
        goto done;
    }
    if (cg_map_compose(c->a, &mi, &c->m, &mc, e)) goto done;
    c->m = mc;
    dn_tensor_free(&c->y);
    c->y = out;
    memset(&out, 0, sizeof out);
    rc = 0;
done:
    dn_tensor_free(&out);
    for (int i = 0; i < 16; i++)
        dn_tensor_free(&outs[i]);
    for (int i = 0; i < nfill; i++)
        dn_tensor_free(&fill[i]);
    return rc;
}

static void chain_free(chain *c)
{
    dn_tensor_free(&c->y);
}

/* Every / and % of e has a non-negative dividend at vars (so C's
   truncating operators agree with floor there). */
static int dividends_nonneg(const cg_expr *e, const int64_t *vars)
{
    switch (e->kind) {
    case CG_CONST:
    case CG_VAR:
        return 1;
    case CG_SUM:
        for (int i = 0; i < e->n; i++)
            if (!dividends_nonneg(e->t[i].x, vars)) return 0;
        return 1;
    case CG_DIV:
    case CG_MOD:
        if (cg_expr_eval(e->x, vars) < 0) return 0;
        return dividends_nonneg(e->x, vars);
    default:
        return dividends_nonneg(e->x, vars);
    }
}

/* Compares map m (any domain whose row-major order is y's) with y. */
static int check_map(const cg_map *m, const chain *c, const char *form, char *why, size_t nwhy)
{
    int64_t n = dn_shape_numel(&c->y.shape), st[DN_MAX_RANK], vars[DN_MAX_RANK] = {0};
    int64_t idx[DN_MAX_RANK], sst[DN_MAX_RANK];
    dn_strides(&m->src, sst);
    if (dn_shape_numel(&m->out) != n) {
        snprintf(why, nwhy, "%s: domain has %lld elements, tensor %lld", form,
                 (long long)dn_shape_numel(&m->out), (long long)n);
        return 0;
    }
    dn_strides(&m->out, st);
    dn_arena *a = dn_arena_new();
    const cg_expr *off = cg_map_offset(a, m);
    int ok = 1;
    for (int64_t i = 0; i < n && ok; i++) {
        if (m->flat)
            vars[0] = i;
        else
            for (int k = 0; k < m->out.rank; k++)
                vars[k] = i / st[k] % m->out.d[k];
        int64_t want = dn_geti(&c->y, i), got = -1;
        int hold = cg_map_eval(m, vars, idx);
        if (hold) {
            got = 0;
            for (int d = 0; d < m->src.rank; d++)
                got += idx[d] * sst[d];
            for (int d = 0; d < m->src.rank && ok; d++)
                ok = dividends_nonneg(m->idx[d], vars);
            if (!ok) {
                snprintf(why, nwhy, "%s: a negative dividend at position %lld", form, (long long)i);
                break;
            }
            int64_t o = cg_expr_eval(off, vars);
            if (o != got || !dividends_nonneg(off, vars)) {
                snprintf(why, nwhy, "%s: offset gives %lld, index %lld at position %lld", form,
                         (long long)o, (long long)got, (long long)i);
                ok = 0;
                break;
            }
        }
        if (got != want) {
            snprintf(why, nwhy, "%s: position %lld reads %lld, the engine says %lld", form,
                     (long long)i, (long long)got, (long long)want);
            ok = 0;
        }
    }
    /* Normal forms are fixed points of the simplifier. */
    for (int d = 0; d < m->src.rank && ok; d++)
        if (cg_expr_cmp(cg_simplify(a, m->idx[d], m->var, m->nvar), m->idx[d])) {
            snprintf(why, nwhy, "%s: dim %d is not in normal form", form, d);
            ok = 0;
        }
    dn_arena_free(a);
    return ok;
}

/* The three forms of the chain's map against the engine. */
static int check_chain(const chain *c, char *why, size_t nwhy)
{
    dn_arena *a = dn_arena_new();
    cg_map f, mg;
    dn_err e;
    int ok = check_map(&c->m, c, "multi-dim", why, nwhy);
    if (ok && cg_map_flatten_domain(a, &c->m, &f, &e)) {
        snprintf(why, nwhy, "flatten: %.400s", e.msg);
        ok = 0;
    }
    if (ok) ok = check_map(&f, c, "flat", why, nwhy);
    if (ok && cg_map_merge_vars(a, &c->m, &mg, &e)) {
        snprintf(why, nwhy, "merge: %.400s", e.msg);
        ok = 0;
    }
    if (ok) ok = check_map(&mg, c, "merged", why, nwhy);
    dn_arena_free(a);
    return ok;
}

/* ------------------------------------------------------------------ */
/* Data files                                                          */
/* ------------------------------------------------------------------ */

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *t = s + strlen(s);
    while (t > s && isspace((unsigned char)t[-1]))
        *--t = 0;
    return s;
}

static void nospace(const char *s, char *out, size_t n)
{
    size_t k = 0;
    for (; *s && k + 1 < n; s++)
        if (!isspace((unsigned char)*s)) out[k++] = *s;
    out[k] = 0;
}

/* "i=0..99, j=0..3" */
static int parse_ranges(char *s, char names[][32], cg_range *r, int max)
{
    int n = 0;
    char *save, *tok;
    for (tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        long long lo, hi;
        char nm[32];
        if (n == max || sscanf(tok, " %31[A-Za-z_0-9] = %lld .. %lld", nm, &lo, &hi) != 3)
            return -1;
        snprintf(names[n], 32, "%s", nm);
        r[n].lo = lo;
        r[n].hi = hi;
        n++;
    }
    return n;
}

/* Evaluates x and y at every point of the ranges (up to a million). */
static int same_values(const cg_expr *x, const cg_expr *y, const cg_range *r, int n)
{
    int64_t total = 1, v[DN_MAX_RANK];
    for (int i = 0; i < n; i++) {
        total *= r[i].hi - r[i].lo + 1;
        if (total > 1000000) return 1; /* too many: trust the proofs */
    }
    for (int64_t p = 0; p < total; p++) {
        int64_t q = p;
        for (int i = n - 1; i >= 0; i--) {
            int64_t w = r[i].hi - r[i].lo + 1;
            v[i] = r[i].lo + q % w;
            q /= w;
        }
        if (cg_expr_eval(x, v) != cg_expr_eval(y, v)) return 0;
    }
    return 1;
}

/* expr E with RANGES => WANT   |   cl E with RANGES => WANT
   equal E1 == E2 with RANGES   |   bad E                      */
/* Is cg_expr_lanes's answer k for e over w lanes of variable 0 true at
   every w*q + r in [lo, hi] (other variables at vars[])?  Evaluated, so
   it checks the classifier's reasoning, not its text. */
static int lanes_hold(const cg_expr *e, int k, int64_t w, int64_t lo, int64_t hi, int64_t *vars)
{
    if (k == CG_LANES_NONE) return 1;
    for (int64_t q0 = (lo + w - 1) / w * w; q0 + w - 1 <= hi; q0 += w) {
        vars[0] = q0;
        int64_t base = cg_expr_eval(e, vars);
        if (k == CG_LANES_ALIGNED && base % w) return 0;
        for (int64_t r = 1; r < w; r++) {
            vars[0] = q0 + r;
            if (cg_expr_eval(e, vars) != base + (k == CG_LANES_UNIFORM ? 0 : r)) return 0;
        }
    }
    return 1;
}

static const char *const lane_names[] = {"none", "uniform", "contiguous", "aligned"};

/* lanes E with v=LO..HI over W => none|uniform|contiguous|aligned */
static void run_lanes_line(const char *file, int line, char *rest, stats *st)
{
    dn_arena *a = dn_arena_new();
    dn_err e;
    char *arrow = strstr(rest, "=>"), *with = strstr(rest, " with "),
         *over = strstr(rest, " over ");
    char names[DN_MAX_RANK][32];
    cg_range r[DN_MAX_RANK];
    const char *np[DN_MAX_RANK];
    for (int i = 0; i < DN_MAX_RANK; i++)
        np[i] = names[i];
    if (!arrow || !with || !over || !(with < over && over < arrow)) {
        FAIL(st, "%s:%d: expected 'lanes E with v=LO..HI over W => KIND'", file, line);
        dn_arena_free(a);
        return;
    }
    *with = *over = *arrow = 0;
    int nv = parse_ranges(with + 6, names, r, DN_MAX_RANK);
    int64_t w = strtoll(over + 6, NULL, 10);
    const char *want = trim(arrow + 2);
    const cg_expr *x = nv > 0 ? cg_expr_parse(a, trim(rest), np, nv, &e) : NULL;
    if (!x || w < 1) {
        FAIL(st, "%s:%d: %s", file, line, x ? "bad lane count" : nv > 0 ? e.msg : "bad ranges");
    } else {
        int k = cg_expr_lanes(x, 0, w);
        int64_t vars[DN_MAX_RANK] = {0};
        for (int i = 1; i < nv; i++)
            vars[i] = r[i].lo;
        if (strcmp(lane_names[k], want))
            FAIL(st, "%s:%d: got %s, want %s", file, line, lane_names[k], want);
        else if (!lanes_hold(x, k, w, r[0].lo, r[0].hi, vars))
            FAIL(st, "%s:%d: %s does not hold for every w*q + r", file, line, want);
        else
            st->pass++;
    }
    dn_arena_free(a);
}

static void run_expr_line(const char *file, int line, const char *kw, char *rest, stats *st)
{
    dn_arena *a = dn_arena_new();
    dn_err e;
    char names[DN_MAX_RANK][32], buf[4096], want[4096];
    const char *np[DN_MAX_RANK];
    cg_range r[DN_MAX_RANK];
    int nv = 0;
    for (int i = 0; i < DN_MAX_RANK; i++)
        np[i] = names[i];
    if (!strcmp(kw, "bad")) { /* with the variables i, j, k known */
        static const char *const ijk[] = {"i", "j", "k"};
        if (cg_expr_parse(a, trim(rest), ijk, 3, &e))
            FAIL(st, "%s:%d: '%s' parsed, expected an error", file, line, rest);
        else
            st->pass++;
        dn_arena_free(a);
        return;
    }
    char *arrow = strstr(rest, "=>"), *with = strstr(rest, " with ");
    char *eq = strstr(rest, "==");
    if (!with || (!arrow && strcmp(kw, "equal")) || (!eq && !strcmp(kw, "equal"))) {
        FAIL(st, "%s:%d: expected 'E with RANGES => WANT' or 'E1 == E2 with RANGES'", file, line);
        dn_arena_free(a);
        return;
    }
    *with = 0;
    if (arrow) *arrow = 0;
    nv = parse_ranges(with + 6, names, r, DN_MAX_RANK);
    if (nv < 0) {
        FAIL(st, "%s:%d: bad ranges", file, line);
        dn_arena_free(a);
        return;
    }
    if (!strcmp(kw, "equal")) {
        *eq = 0;
        const cg_expr *x = cg_expr_parse(a, trim(rest), np, nv, &e);
        const cg_expr *y = x ? cg_expr_parse(a, trim(eq + 2), np, nv, &e) : NULL;
        if (!y) {
            FAIL(st, "%s:%d: %s", file, line, e.msg);
        } else {
            const cg_expr *sx = cg_simplify(a, x, r, nv), *sy = cg_simplify(a, y, r, nv);
            if (cg_expr_cmp(sx, sy)) {
                char b2[4096];
                cg_print_debug(sx, np, nv, buf, sizeof buf);
                cg_print_debug(sy, np, nv, b2, sizeof b2);
                FAIL(st, "%s:%d: not equal after simplification: %s vs %s", file, line, buf, b2);
            } else {
                st->pass++;
            }
        }
        dn_arena_free(a);
        return;
    }
    const cg_expr *x = cg_expr_parse(a, trim(rest), np, nv, &e);
    if (!x) {
        FAIL(st, "%s:%d: %s", file, line, e.msg);
        dn_arena_free(a);
        return;
    }
    const cg_expr *s = cg_simplify(a, x, r, nv);
    if (!strcmp(kw, "cl")) {
        cg_print_cl(s, np, nv, buf, sizeof buf);
        snprintf(want, sizeof want, "%s", trim(arrow + 2));
    } else {
        cg_print_debug(s, np, nv, buf, sizeof buf);
        nospace(arrow + 2, want, sizeof want);
    }
    if (strcmp(buf, want))
        FAIL(st, "%s:%d: got %s, want %s", file, line, buf, want);
    else if (!same_values(x, s, r, nv))
        FAIL(st, "%s:%d: %s is not equal to the input over the ranges", file, line, buf);
    else if (cg_expr_cmp(cg_simplify(a, s, r, nv), s))
        FAIL(st, "%s:%d: %s is not a fixed point of the simplifier", file, line, buf);
    else
        st->pass++;
    dn_arena_free(a);
}

typedef struct chaincase {
    char name[128];
    int line;
    dn_shape in;
    int has_in;
    opspec ops[32];
    int nops;
    char vars[DN_MAX_RANK][32];
    int nvars;
    char flatvar[32];
    char want_error[256];
    /* expectations: key -> text */
    char key[16][32];
    char val[16][2048];
    int nexp;
} chaincase;

static const char *expect(const chaincase *cc, const char *key)
{
    for (int i = 0; i < cc->nexp; i++)
        if (!strcmp(cc->key[i], key)) return cc->val[i];
    return NULL;
}

static void cmp_text(stats *st, const char *file, const chaincase *cc, const char *key,
                     const char *got)
{
    const char *w = expect(cc, key);
    if (!w) return;
    char g[4096], ww[4096];
    nospace(got, g, sizeof g);
    nospace(w, ww, sizeof ww);
    if (strcmp(g, ww))
        FAIL(st, "%s:%d: chain %s: %s is %s, want %s", file, cc->line, cc->name, key, got, w);
    else
        st->pass++;
}

static void run_chaincase(const char *file, chaincase *cc, stats *st)
{
    dn_arena *a = dn_arena_new();
    chain c;
    dn_err e;
    char why[512], buf[4096];
    e.msg[0] = 0;
    int rc = chain_start(&c, &cc->in, a, &e);
    for (int i = 0; i < cc->nops && !rc; i++)
        rc = chain_step(&c, &cc->ops[i], &e);
    if (cc->want_error[0]) {
        if (!rc)
            FAIL(st, "%s:%d: chain %s: built, expected an error with '%s'", file, cc->line,
                 cc->name, cc->want_error);
        else if (!strstr(e.msg, cc->want_error))
            FAIL(st, "%s:%d: chain %s: error '%s' does not say '%s'", file, cc->line, cc->name,
                 e.msg, cc->want_error);
        else
            st->pass++;
        goto out;
    }
    if (rc) {
        FAIL(st, "%s:%d: chain %s: %s", file, cc->line, cc->name, e.msg);
        goto out;
    }
    if (!check_chain(&c, why, sizeof why))
        FAIL(st, "%s:%d: chain %s: %s", file, cc->line, cc->name, why);
    else
        st->pass++;
    const char *vn[DN_MAX_RANK], *fv[1] = {cc->flatvar[0] ? cc->flatvar : "o"};
    static const char *const mn[DN_MAX_RANK] = {"m0", "m1", "m2", "m3", "m4", "m5", "m6", "m7"};
    for (int i = 0; i < DN_MAX_RANK; i++)
        vn[i] = cc->vars[i];
    cg_map_print_debug(&c.m, vn, cc->nvars, buf, sizeof buf);
    cmp_text(st, file, cc, "map", buf);
    cg_print_debug(cg_map_offset(a, &c.m), vn, cc->nvars, buf, sizeof buf);
    cmp_text(st, file, cc, "offset", buf);
    cg_print_cl(cg_map_offset(a, &c.m), vn, cc->nvars, buf, sizeof buf);
    cmp_text(st, file, cc, "cl", buf);
    cg_map f, mg;
    if (cg_map_flatten_domain(a, &c.m, &f, &e) || cg_map_merge_vars(a, &c.m, &mg, &e)) {
        FAIL(st, "%s:%d: chain %s: %s", file, cc->line, cc->name, e.msg);
        goto out;
    }
    cg_map_print_debug(&f, fv, 1, buf, sizeof buf);
    cmp_text(st, file, cc, "flat_map", buf);
    const cg_expr *fo = cg_map_offset(a, &f);
    cg_print_debug(fo, fv, 1, buf, sizeof buf);
    cmp_text(st, file, cc, "flat_offset", buf);
    cg_cost cost = {0};
    cg_expr_cost(fo, &cost);
    snprintf(buf, sizeof buf, "%d", cost.div + cost.mod);
    cmp_text(st, file, cc, "divmod", buf);
    dn_shape_str(&mg.out, buf, sizeof buf);
    cmp_text(st, file, cc, "merged", buf);
    cg_print_debug(cg_map_offset(a, &mg), mn, DN_MAX_RANK, buf, sizeof buf);
    cmp_text(st, file, cc, "merged_offset", buf);
out:
    chain_free(&c);
    dn_arena_free(a);
}

static void run_file(const char *file, stats *st)
{
    FILE *f = fopen(file, "r");
    if (!f) {
        FAIL(st, "%s: cannot open", file);
        return;
    }
    char line[8192];
    int ln = 0;
    chaincase *cc = NULL;
    dn_err e;
    while (fgets(line, sizeof line, f)) {
        ln++;
        char *s = trim(line);
        if (!*s || *s == '#') continue;
        char kw[32] = "";
        int kl = 0;
        while (s[kl] && !isspace((unsigned char)s[kl]) && kl < 31)
            kl++;
        memcpy(kw, s, (size_t)kl);
        kw[kl] = 0;
        char *rest = trim(s + kl);
        if (!cc) {
            if (!strcmp(kw, "expr") || !strcmp(kw, "cl") || !strcmp(kw, "equal") ||
                !strcmp(kw, "bad")) {
                run_expr_line(file, ln, kw, rest, st);
            } else if (!strcmp(kw, "lanes")) {
                run_lanes_line(file, ln, rest, st);
            } else if (!strcmp(kw, "chain")) {
                cc = calloc(1, sizeof *cc);
                if (!cc) abort();
                snprintf(cc->name, sizeof cc->name, "%s", rest);
                cc->line = ln;
            } else {
                FAIL(st, "%s:%d: unknown directive '%s'", file, ln, kw);
            }
            continue;
        }
        if (!strcmp(kw, "end")) {
            if (!cc->has_in)
                FAIL(st, "%s:%d: chain %s has no 'in' line", file, cc->line, cc->name);
            else
                run_chaincase(file, cc, st);
            free(cc);
            cc = NULL;
        } else if (!strcmp(kw, "in")) {
            int64_t d[DN_MAX_RANK];
            int n = !strcmp(rest, "scalar") ? 0 : parse_ints(rest, d, DN_MAX_RANK);
            if (n < 0)
                FAIL(st, "%s:%d: bad shape", file, ln);
            else
                cc->in = dn_shape_make(n, d), cc->has_in = 1;
        } else if (!strcmp(kw, "op")) {
            if (cc->nops == 32 || parse_op(rest, &cc->ops[cc->nops], &e))
                FAIL(st, "%s:%d: %s", file, ln, cc->nops == 32 ? "too many ops" : e.msg);
            else
                cc->nops++;
        } else if (!strcmp(kw, "vars")) {
            char *save, *tok;
            for (tok = strtok_r(rest, ", ", &save); tok && cc->nvars < DN_MAX_RANK;
                 tok = strtok_r(NULL, ", ", &save))
                snprintf(cc->vars[cc->nvars++], 32, "%s", tok);
        } else if (!strcmp(kw, "flat")) {
            snprintf(cc->flatvar, sizeof cc->flatvar, "%s", rest);
        } else if (!strcmp(kw, "error")) {
            snprintf(cc->want_error, sizeof cc->want_error, "%s", rest);
        } else if (cc->nexp < 16 && (!strcmp(kw, "map") || !strcmp(kw, "offset") ||
                                     !strcmp(kw, "cl") || !strcmp(kw, "flat_map") ||
                                     !strcmp(kw, "flat_offset") || !strcmp(kw, "divmod") ||
                                     !strcmp(kw, "merged") || !strcmp(kw, "merged_offset"))) {
            snprintf(cc->key[cc->nexp], 32, "%s", kw);
            snprintf(cc->val[cc->nexp], 2048, "%s", rest);
            cc->nexp++;
        } else {
            FAIL(st, "%s:%d: unknown directive '%s' in a chain", file, ln, kw);
        }
    }
    if (cc) {
        FAIL(st, "%s:%d: chain %s has no 'end'", file, cc->line, cc->name);
        free(cc);
    }
    fclose(f);
}

/* ------------------------------------------------------------------ */
/* Property test: random chains                                        */
/* ------------------------------------------------------------------ */

typedef struct rng {
    uint64_t s;
} rng;

static uint32_t rnd(rng *r)
{
    r->s = r->s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(r->s >> 33);
}
static int64_t rint_(rng *r, int64_t lo, int64_t hi) /* in [lo, hi] */
{
    return lo + (int64_t)(rnd(r) % (uint64_t)(hi - lo + 1));
}

static int put_ints(char *p, size_t n, const int64_t *v, int k)
{
    int w = 0;
    for (int i = 0; i < k; i++)
        w += snprintf(p + w, n - (size_t)w, i ? ",%lld" : "%lld", (long long)v[i]);
    return w;
}

/* One random data-movement op on a tensor of shape s, as an op line. */
static void random_op(rng *r, const dn_shape *s, char *out, size_t n)
{
    int64_t numel = dn_shape_numel(s), v[DN_MAX_RANK * 2];
    int rank = s->rank;
    for (;;) {
        int w;
        switch (rnd(r) % 13) {
        case 0:
        case 1: { /* Reshape: the prime factors of numel dealt into k dims */
            int k = (int)rint_(r, 1, 5);
            for (int i = 0; i < k; i++)
                v[i] = 1;
            int64_t x = numel;
            for (int64_t p = 2; x > 1; p++)
                while (x % p == 0) {
                    v[rnd(r) % (unsigned)k] *= p;
                    x /= p;
                }
            w = snprintf(out, n, "Reshape shape=");
            put_ints(out + w, n - (size_t)w, v, k);
            return;
        }
        case 2:
        case 3: { /* Transpose */
            if (rank < 2) continue;
            for (int i = 0; i < rank; i++)
                v[i] = i;
            for (int i = rank - 1; i > 0; i--) {
                int j = (int)(rnd(r) % (unsigned)(i + 1));
                int64_t t = v[i];
                v[i] = v[j];
                v[j] = t;
            }
            w = snprintf(out, n, "Transpose perm=");
            put_ints(out + w, n - (size_t)w, v, rank);
            return;
        }
        case 4: { /* Slice on one or two axes, steps of either sign */
            if (rank < 1) continue;
            int k = (int)rint_(r, 1, rank < 2 ? 1 : 2);
            int64_t st[2], en[2], ax[2], sp[2];
            int a0 = (int)(rnd(r) % (unsigned)rank);
            for (int i = 0; i < k; i++) {
                ax[i] = (a0 + i) % rank;
                int64_t d = s->d[ax[i]];
                static const int64_t steps[] = {1, 1, 2, 3, -1, -2};
                sp[i] = steps[rnd(r) % 6];
                st[i] = rint_(r, -d - 1, d + 1);
                en[i] = rint_(r, -d - 1, d + 1);
                /* keep it non-empty: count as in engine/op_movement.c */
                int64_t s0 = st[i] < 0 ? st[i] + d : st[i], t0 = en[i] < 0 ? en[i] + d : en[i], cnt;
                if (sp[i] > 0) {
                    s0 = s0 < 0 ? 0 : s0 > d ? d : s0;
                    t0 = t0 < 0 ? 0 : t0 > d ? d : t0;
                    cnt = t0 > s0 ? (t0 - s0 - 1) / sp[i] + 1 : 0;
                } else {
                    s0 = s0 < 0 ? 0 : s0 > d - 1 ? d - 1 : s0;
                    t0 = t0 < -1 ? -1 : t0 > d - 1 ? d - 1 : t0;
                    cnt = s0 > t0 ? (s0 - t0 - 1) / -sp[i] + 1 : 0;
                }
                if (cnt == 0) st[i] = 0, en[i] = d, sp[i] = 1;
            }
            w = snprintf(out, n, "Slice starts=");
            w += put_ints(out + w, n - (size_t)w, st, k);
            w += snprintf(out + w, n - (size_t)w, " ends=");
            w += put_ints(out + w, n - (size_t)w, en, k);
            w += snprintf(out + w, n - (size_t)w, " axes=");
            w += put_ints(out + w, n - (size_t)w, ax, k);
            w += snprintf(out + w, n - (size_t)w, " steps=");
            put_ints(out + w, n - (size_t)w, sp, k);
            return;
        }
        case 5: { /* Expand: grow size-1 dims, maybe a new leading dim */
            int lead = rank < 5 && rnd(r) % 2;
            int64_t total = 1;
            if (lead) v[0] = rint_(r, 1, 3), total = v[0];
            for (int i = 0; i < rank; i++) {
                v[lead + i] = s->d[i] == 1 ? rint_(r, 1, 3) : s->d[i];
                total *= v[lead + i];
            }
            if (total > 2048) continue;
            w = snprintf(out, n, "Expand shape=");
            put_ints(out + w, n - (size_t)w, v, rank + lead);
            return;
        }
        case 6: { /* Squeeze some size-1 dims (or all, without axes) */
            int k = 0;
            for (int i = 0; i < rank; i++)
                if (s->d[i] == 1 && rnd(r) % 2) v[k++] = rnd(r) % 2 ? i : i - rank;
            if (!k) {
                int ones = 0;
                for (int i = 0; i < rank; i++)
                    ones += s->d[i] == 1;
                if (!ones) continue;
                snprintf(out, n, "Squeeze");
                return;
            }
            w = snprintf(out, n, "Squeeze axes=");
            put_ints(out + w, n - (size_t)w, v, k);
            return;
        }
        case 7: { /* Unsqueeze one axis */
            if (rank >= 6) continue;
            v[0] = rint_(r, -(rank + 1), rank);
            w = snprintf(out, n, "Unsqueeze axes=");
            put_ints(out + w, n - (size_t)w, v, 1);
            return;
        }
        case 8: { /* Flatten */
            snprintf(out, n, "Flatten axis=%d", (int)rint_(r, 0, rank));
            return;
        }
        case 9: { /* Concat with fillers on either side */
            if (rank < 1) continue;
            int ax = (int)(rnd(r) % (unsigned)rank), which = (int)rint_(r, 0, 2);
            int64_t sz[3] = {rint_(r, 1, 2), rint_(r, 1, 2), rint_(r, 1, 2)};
            sz[which] = s->d[ax];
            snprintf(out, n, "Concat axis=%d sizes=%lld,%lld,%lld input=%d", ax, (long long)sz[0],
                     (long long)sz[1], (long long)sz[2], which);
            return;
        }
        case 11: { /* Tile */
            if (rank < 1 || numel > 512) continue;
            for (int i = 0; i < rank; i++)
                v[i] = rint_(r, 1, 2);
            w = snprintf(out, n, "Tile repeats=");
            put_ints(out + w, n - (size_t)w, v, rank);
            return;
        }
        case 12: { /* Split into 2 or 3 parts, follow one */
            if (rank < 1) continue;
            int ax = (int)(rnd(r) % (unsigned)rank);
            int64_t d = s->d[ax];
            if (d < 2) continue;
            int parts = d >= 3 && rnd(r) % 2 ? 3 : 2;
            int64_t left = d;
            for (int i = 0; i < parts - 1; i++) {
                v[i] = rint_(r, 1, left - (parts - 1 - i));
                left -= v[i];
            }
            v[parts - 1] = left;
            w = snprintf(out, n, "Split axis=%d split=", ax);
            w += put_ints(out + w, n - (size_t)w, v, parts);
            snprintf(out + w, n - (size_t)w, " outputs=%d output=%d", parts,
                     (int)(rnd(r) % (unsigned)parts));
            return;
        }
        default: { /* Gather, DepthToSpace, SpaceToDepth */
            int pick = rnd(r) % 3;
            if (pick == 0 && rank >= 1 && rank < DN_MAX_RANK) {
                int ax = (int)(rnd(r) % (unsigned)rank), k = (int)rint_(r, 1, 3);
                int64_t d = s->d[ax];
                for (int i = 0; i < k; i++)
                    v[i] = rint_(r, -d, d - 1);
                w = snprintf(out, n, "Gather axis=%d indices=", ax);
                w += put_ints(out + w, n - (size_t)w, v, k);
                if (k == 1 && rnd(r) % 2) snprintf(out + w, n - (size_t)w, " indices_shape=1");
                return;
            }
            if (pick == 1 && rank == 4 && s->d[1] % 4 == 0) {
                snprintf(out, n, "DepthToSpace blocksize=2 mode=%s", rnd(r) % 2 ? "DCR" : "CRD");
                return;
            }
            if (pick == 2 && rank == 4 && s->d[2] % 2 == 0 && s->d[3] % 2 == 0) {
                snprintf(out, n, "SpaceToDepth blocksize=2");
                return;
            }
            continue;
        }
        }
    }
}

static void property(uint64_t seed, int count, stats *st)
{
    rng r = {seed * 2654435761u + 1};
    int failed = 0;
    for (int t = 0; t < count; t++) {
        dn_arena *a = dn_arena_new();
        chain c;
        dn_err e;
        int64_t d[DN_MAX_RANK];
        int rank = (int)rint_(&r, 1, 4);
        for (int i = 0; i < rank; i++)
            d[i] = rint_(&r, 1, 4);
        dn_shape s = dn_shape_make(rank, d);
        char lines[8][256], sb[128], why[512] = "";
        int nops = (int)rint_(&r, 1, 6), ok = chain_start(&c, &s, a, &e) == 0;
        for (int i = 0; i < nops && ok; i++) {
            opspec o;
            random_op(&r, &c.y.shape, lines[i], sizeof lines[i]);
            ok = parse_op(lines[i], &o, &e) == 0 && chain_step(&c, &o, &e) == 0;
            if (!ok) {
                snprintf(why, sizeof why, "%.400s", e.msg);
                nops = i + 1;
            }
        }
        if (ok) ok = check_chain(&c, why, sizeof why);
        if (ok) {
            st->pass++;
        } else {
            st->fail++;
            if (failed++ < 10) { /* the chain as a test case, ready to paste */
                fprintf(stderr, "property test %d failed: %s\nchain random_%d\nin %s\n", t, why, t,
                        dn_shape_str(&s, sb, sizeof sb));
                for (int i = 0; i < nops; i++)
                    fprintf(stderr, "op %s\n", lines[i]);
                fprintf(stderr, "end\n");
            }
        }
        chain_free(&c);
        dn_arena_free(a);
    }
}

/* A random expression: sums with small coefficients of either sign,
   divisions and remainders by small constants, over nv variables. */
static const cg_expr *random_expr(rng *r, dn_arena *a, int nv, int depth)
{
    unsigned pick = depth <= 0 ? rnd(r) % 2 : rnd(r) % 7;
    if (pick == 0) return cg_var(a, (int)(rnd(r) % (unsigned)nv));
    if (pick == 1) return cg_const(a, rint_(r, 0, 9));
    if (pick <= 3) {
        cg_term t[3];
        int n = (int)rint_(r, 2, 3);
        for (int i = 0; i < n; i++) {
            static const int64_t cf[] = {1, 1, 2, 3, 4, 6, 8, 12, -1, -2};
            t[i] = (cg_term){cf[rnd(r) % 10], random_expr(r, a, nv, depth - 1)};
        }
        return cg_sum(a, t, n, rint_(r, -2, 9));
    }
    static const int64_t dv[] = {1, 2, 3, 4, 5, 6, 8, 12, 16, 24};
    const cg_expr *x = random_expr(r, a, nv, depth - 1);
    return pick <= 5 ? cg_div(a, x, dv[rnd(r) % 10]) : cg_mod(a, x, dv[rnd(r) % 10]);
}

/* The simplifier on random expressions: the same value at every point of
   the ranges; non-negative dividends stay non-negative; the result is a
   fixed point. */
static void property_exprs(uint64_t seed, int count, stats *st)
{
    rng r = {seed * 40503u + 7};
    int failed = 0;
    for (int t = 0; t < count; t++) {
        dn_arena *a = dn_arena_new();
        int nv = (int)rint_(&r, 1, 3);
        cg_range rg[3];
        for (int i = 0; i < nv; i++) {
            rg[i].lo = rint_(&r, 0, 4) * (rnd(&r) % 3 == 0);
            rg[i].hi = rg[i].lo + rint_(&r, 0, 30);
        }
        const cg_expr *x = random_expr(&r, a, nv, (int)rint_(&r, 1, 4));
        const cg_expr *y = cg_simplify(a, x, rg, nv);
        int64_t v[3] = {0, 0, 0};
        int ok = 1, x_nonneg = 1, y_nonneg = 1;
        const char *why = "";
        for (v[0] = rg[0].lo; ok && v[0] <= rg[0].hi; v[0]++)
            for (v[1] = nv > 1 ? rg[1].lo : 0; ok && v[1] <= (nv > 1 ? rg[1].hi : 0); v[1]++)
                for (v[2] = nv > 2 ? rg[2].lo : 0; ok && v[2] <= (nv > 2 ? rg[2].hi : 0); v[2]++) {
                    if (cg_expr_eval(x, v) != cg_expr_eval(y, v)) ok = 0, why = "values differ";
                    x_nonneg &= dividends_nonneg(x, v);
                    y_nonneg &= dividends_nonneg(y, v);
                }
        if (ok && x_nonneg && !y_nonneg) ok = 0, why = "a dividend became negative";
        if (ok && cg_expr_cmp(cg_simplify(a, y, rg, nv), y)) ok = 0, why = "not a fixed point";
        /* the lane classifier (cg_expr_lanes), over variable 0 from 0 */
        static const int64_t lw[] = {2, 4, 8, 16};
        int64_t w = lw[rnd(&r) % 4], lv[3] = {0, nv > 1 ? rg[1].lo : 0, nv > 2 ? rg[2].lo : 0};
        if (ok && !lanes_hold(x, cg_expr_lanes(x, 0, w), w, 0, 4 * w * 16 - 1, lv))
            ok = 0, why = "a lane classification does not hold";
        if (ok) {
            st->pass++;
        } else {
            st->fail++;
            if (failed++ < 10) {
                static const char *const nm[] = {"i", "j", "k"};
                char b1[4096], b2[4096];
                cg_print_debug(x, nm, 3, b1, sizeof b1);
                cg_print_debug(y, nm, 3, b2, sizeof b2);
                fprintf(stderr, "random expression %d: %s\nexpr %s with", t, why, b1);
                for (int i = 0; i < nv; i++)
                    fprintf(stderr, "%s %s=%lld..%lld", i ? "," : "", nm[i], (long long)rg[i].lo,
                            (long long)rg[i].hi);
                fprintf(stderr, " => %s\n", b2);
            }
        }
        dn_arena_free(a);
    }
}

int main(int argc, char **argv)
{
    stats st = {0, 0};
    uint64_t seed = 1;
    int count = 2000;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--seed") && i + 1 < argc)
            seed = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--random") && i + 1 < argc)
            count = atoi(argv[++i]);
        else
            run_file(argv[i], &st);
    }
    if (count > 0) {
        property(seed, count, &st);
        property_exprs(seed, count * 5, &st);
    }
    printf("%d passed, %d failed\n", st.pass, st.fail);
    return st.fail != 0;
}
