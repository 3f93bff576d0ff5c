/* match.c -- rules compiled into one matching trie, the search over the
 * e-graph, guards and computed attributes, and instantiating right sides.
 *
 * Compilation.  A left side becomes a straight-line program over class
 * registers, as in egg's machine: BIND r op -> for each node of operator
 * op in the class in register r, put its children in fresh registers;
 * CMP r s -> a variable seen twice must name one class; NUM r v -> the
 * class is a constant whose every element is v; OMIT r -> an optional
 * input left out; YIELD -> a match of rule k.  Registers are numbered in
 * the order the pattern is walked, so two rules that start alike compile
 * to identical instruction prefixes, and the programs of all rules are
 * merged into one trie: a common prefix (say `Mul(Mul(x, ...`, shared by
 * the GELU patterns and the associativity rules) is searched once for all
 * of them.  A BIND of a commutative operator with two inputs tries both
 * orders, so `Mul(a, Sigmoid(a))` also finds `Mul(Sigmoid(a), a)`, and
 * plain commutativity rules are not needed (they are marked subsumed).
 *
 * Attributes.  A pattern attribute is a literal (compared with the
 * node's value, or the declared default when the node leaves it out) or
 * a variable (bound to the node's attribute or the default; a second use
 * compares).  An attribute the pattern does not write must have its
 * default on the node (docs/rules-language.md: "has its default" on the
 * left side), otherwise `Transpose(x)` would match every Transpose.
 *
 * Guards and computed attributes are evaluated by grammar/'s gm_eval,
 * the evaluator `rules check` verifies rules with, over the classes'
 * analyses (dtype, shape, constant contents, which guard_lookup and
 * node_lookup hand it): a rule is applied under the meaning it was
 * verified under. */
#include "egraph_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAXIO_RHS 64

/* ------------------------------------------------------------------ */
/* Attribute values                                                    */
/* ------------------------------------------------------------------ */

/* gm_val_attr (grammar/eval.c) decides the conversion; the engine only
   copies the result into its arena, where attributes live as long as the
   e-graph. */
int eg_val_attr(dn_arena *A, const gm_val *v, const char *name, int type, ir_attr *a, dn_err *e)
{
    int64_t ints[GM_MAXL];
    float floats[GM_MAXL];
    if (gm_val_attr(v, name, type, a, ints, floats, e)) return -1;
    if (type == IR_ATTR_STRING) {
        a->s = dn_arena_strdup(A, a->s);
    } else if (type == IR_ATTR_INTS) {
        a->ints = dn_arena_alloc(A, (size_t)(a->n ? a->n : 1) * sizeof *a->ints);
        memcpy(a->ints, ints, (size_t)a->n * sizeof *ints);
    } else if (type == IR_ATTR_FLOATS) {
        a->floats = dn_arena_alloc(A, (size_t)(a->n ? a->n : 1) * sizeof *a->floats);
        memcpy(a->floats, floats, (size_t)a->n * sizeof *floats);
    }
    return 0;
}

const ir_attr *eg_default_attr(dn_arena *A, const gm_attrdecl *d)
{
    if (!d || !d->dflt) return NULL;
    gm_val v;
    dn_err e;
    if (gm_eval(d->dflt, NULL, NULL, &v, &e)) return NULL;
    ir_attr *a = dn_arena_alloc(A, sizeof *a);
    if (eg_val_attr(A, &v, d->name, d->type, a, &e)) return NULL;
    a->name = dn_arena_strdup(A, d->name);
    return a;
}

/* ------------------------------------------------------------------ */
/* Costs and composite shapes                                          */
/* ------------------------------------------------------------------ */

typedef struct node_env {
    const gm_opdecl *decl;
    const ir_node *n;
    const dn_tensor *const *in;
    int nin;
    const dn_tensor *out;
} node_env;

static const gm_attrdecl *find_attrdecl(const gm_opdecl *d, const char *name)
{
    for (int k = 0; d && k < d->nattrs; k++)
        if (!strcmp(d->attrs[k].name, name)) return &d->attrs[k];
    return NULL;
}

static int default_val(const gm_attrdecl *ad, gm_val *out)
{
    dn_err e;
    if (!ad || !ad->dflt) {
        memset(out, 0, sizeof *out);
        out->kind = GM_V_ABSENT;
        return 0;
    }
    return gm_eval(ad->dflt, NULL, NULL, out, &e);
}

static int node_lookup(void *ctx, const char *name, gm_val *out)
{
    node_env *N = ctx;
    memset(out, 0, sizeof *out);
    if (!strcmp(name, "out") && N->out) {
        out->kind = GM_V_TENSOR;
        out->t = *N->out;
        return 0;
    }
    for (int i = 0; N->decl && i < N->decl->nparams; i++)
        if (!strcmp(N->decl->params[i].name, name)) {
            if (i >= N->nin || !N->in[i]) {
                out->kind = GM_V_ABSENT;
                return 0;
            }
            out->kind = GM_V_TENSOR;
            out->t = *N->in[i];
            return 0;
        }
    const ir_attr *a = ir_attr_get(N->n, name);
    if (a) {
        gm_attr_val(a, out);
        return 0;
    }
    const gm_attrdecl *ad = find_attrdecl(N->decl, name);
    if (ad) return default_val(ad, out);
    return -1;
}

void eg_node_cost(const gm_opdecl *decl, const ir_node *n, const dn_tensor *const *in, int nin,
                  const dn_tensor *out, double *flops, double *bytes)
{
    double ne = (double)dn_shape_numel(&out->shape);
    if (ne < 0) ne = 1;
    *flops = ne;
    *bytes = 8 * ne;
    if (!decl) return;
    node_env N = {decl, n, in, nin, out};
    gm_val v;
    dn_err e;
    if (decl->flops && !gm_eval(decl->flops, node_lookup, &N, &v, &e) && gm_val_is_num(&v))
        *flops = gm_val_num(&v);
    if (decl->bytes && !gm_eval(decl->bytes, node_lookup, &N, &v, &e) && gm_val_is_num(&v))
        *bytes = gm_val_num(&v);
    if (!(*flops >= 0)) *flops = 0;
    if (!(*bytes >= 0)) *bytes = 0;
}

/* Shape inference through a composite's body: operands are shapes only,
   numbers are scalar constants of the data dtype. */
typedef struct body_ctx {
    const gm_rules *R;
    const gm_opdecl *decl;
    const ir_node *n;
    const dn_tensor *const *in;
    int nin;
    dn_arena *A;
    int depth;
} body_ctx;

static int body_lookup(void *ctx, const char *name, gm_val *out)
{
    body_ctx *B = ctx;
    node_env N = {B->decl, B->n, B->in, B->nin, NULL};
    return node_lookup(&N, name, out);
}

static int body_term(body_ctx *B, const gm_expr *e, int dtype, dn_tensor *out, dn_err *err)
{
    memset(out, 0, sizeof *out);
    if (B->depth > 32) return dn_errf(err, "composite definitions nest too deeply");
    if (e->kind == GM_NUM || (e->kind == GM_UNARY && e->op == '-' && e->args[0]->kind == GM_NUM)) {
        double x = e->kind == GM_NUM ? e->num : -e->args[0]->num;
        out->dtype = dtype ? dtype : DN_F32;
        out->shape = dn_shape_make(0, NULL);
        out->data = dn_arena_alloc(B->A, 8);
        dn_set(out, 0, x);
        return 0;
    }
    if (e->kind == GM_NAME) {
        gm_val v;
        if (body_lookup(B, e->str, &v) || v.kind == GM_V_ABSENT)
            return dn_errf(err, "'%s' has no value", e->str);
        if (v.kind == GM_V_TENSOR) {
            *out = v.t;
            return 0;
        }
        if (!gm_val_is_num(&v)) return dn_errf(err, "'%s' is not a tensor", e->str);
        out->dtype = dtype ? dtype : DN_F32;
        out->shape = dn_shape_make(0, NULL);
        out->data = dn_arena_alloc(B->A, 8);
        dn_set(out, 0, gm_val_num(&v));
        return 0;
    }
    if (e->kind != GM_APP) return dn_errf(err, "cannot infer this term");
    const op_def *def = op_lookup(e->domain, e->str);
    const gm_opdecl *od = gm_rules_find_op(B->R, e->domain, e->str);
    int n = e->nargs;
    if (n > 32) return dn_errf(err, "too many operands");
    dn_tensor args[32];
    const dn_tensor *argp[32];
    int inid[32], outid = 0;
    /* tensors first, so that numbers take their dtype */
    int dt = 0;
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < n; i++) {
            const gm_expr *a = e->args[i];
            int lit = a->kind == GM_NUM || a->kind == GM_UNARY;
            if ((pass == 0) == lit) continue;
            if (a->kind == GM_OMIT) {
                argp[i] = NULL;
                inid[i] = -1;
                continue;
            }
            B->depth++;
            int rc = body_term(B, a, dt ? dt : dtype, &args[i], err);
            B->depth--;
            if (rc) return -1;
            if (!dt && pass == 0) dt = args[i].dtype;
            argp[i] = &args[i];
            inid[i] = i;
        }
    ir_attr *attrs = dn_arena_alloc(B->A, (size_t)(e->nattrs + 1) * sizeof *attrs);
    int na = 0;
    for (int i = 0; i < e->nattrs; i++) {
        gm_val v;
        if (gm_eval(e->attrs[i].value, body_lookup, B, &v, err)) return -1;
        if (v.kind == GM_V_ABSENT) continue;
        const gm_attrdecl *ad = find_attrdecl(od, e->attrs[i].name);
        int type = ad ? ad->type : gm_val_attr_type(&v);
        if (eg_val_attr(B->A, &v, e->attrs[i].name, type, &attrs[na], err)) return -1;
        na++;
    }
    ir_node t;
    memset(&t, 0, sizeof t);
    t.name = "body";
    t.op = (char *)e->str;
    t.domain = (char *)e->domain;
    t.nin = n;
    t.in = inid;
    t.nout = 1;
    t.out = &outid;
    t.nattr = na;
    t.attr = attrs;
    if (def) {
        dn_tensor o;
        memset(&o, 0, sizeof o);
        o.shape = dn_shape_unknown();
        if (def->infer(&t, argp, n, &o, 1, err)) return -1;
        if (o.data) {
            size_t sz = dn_tensor_bytes(&o);
            void *p = dn_arena_alloc(B->A, sz ? sz : 1);
            memcpy(p, o.data, sz);
            free(o.data);
            o.data = p;
        }
        *out = o;
        return 0;
    }
    if (od && od->body) {
        body_ctx C = {B->R, od, &t, argp, n, B->A, B->depth + 1};
        return body_term(&C, od->body, dt ? dt : dtype, out, err);
    }
    return dn_errf(err, "operator %s has no shape inference", e->str);
}

int eg_body_infer(const gm_rules *R, const gm_opdecl *decl, const ir_node *n,
                  const dn_tensor *const *in, int nin, dn_tensor *out, dn_err *e)
{
    dn_arena A = {0};
    body_ctx B = {R, decl, n, in, nin, &A, 0};
    int dt = 0;
    for (int i = 0; i < nin && !dt; i++)
        if (in[i]) dt = in[i]->dtype;
    dn_tensor o;
    int rc = body_term(&B, decl->body, dt, &o, e);
    if (!rc) {
        out->dtype = o.dtype;
        out->shape = o.shape;
        out->data = NULL;
    }
    dn_arena_clear(&A);
    return rc;
}

/* ------------------------------------------------------------------ */
/* The trie                                                            */
/* ------------------------------------------------------------------ */

enum { I_BIND, I_CMP, I_NUM, I_OMIT, I_YIELD };
enum { A_LIT, A_VAR, A_VAREQ };

typedef struct attrspec {
    const char *name;
    int mode; /* A_LIT: compare with lit; A_VAR: bind areg; A_VAREQ: compare with areg */
    gm_val lit;
    int areg;
    const ir_attr *dflt; /* the declared default, or NULL */
} attrspec;

typedef struct instr {
    int kind;
    int reg, reg2;
    int op, nch, out0, nbind;
    int nattr;
    attrspec *attrs;
    int ndecl; /* the operator's declared attributes, for "unwritten means default" */
    const gm_attrdecl *decl;
    const ir_attr **decl_dflt;
    double num;
    int rule;
    char key[512];
} instr;

typedef struct tnode {
    instr in;
    struct tnode **kid;
    int nkid, cap;
    eg_ivec rules; /* rules below this node */
    int live;
} tnode;

struct eg_matcher {
    eg_graph *E;
    const gm_rules *R;
    dn_arena A;
    eg_rule *rule;
    int nrule;
    int *nregs, *naregs, *nbinds; /* per rule */
    tnode **root;                 /* BIND reg 0 nodes */
    int nroot, caproot;
    int maxregs, maxaregs, maxbinds;
    int *seen; /* per class: last generation visited */
    int seen_cap, gen;
    /* search state */
    int *reg;
    const ir_attr **areg;
    int *nodes;
    eg_matches *out;
    int iter;
    int *count; /* guard-passing matches per rule this iteration */
    int *limit;
    dn_err *err;
    int failed;
    int64_t steps, step_limit;
    int ban_length;
    int over; /* the current root ran out of steps: unwind */
};

void eg_matcher_budget(eg_matcher *M, int steps, int ban_length)
{
    M->step_limit = steps;
    M->ban_length = ban_length;
}

int eg_matcher_nrules(const eg_matcher *M)
{
    return M->nrule;
}
eg_rule *eg_matcher_rule(eg_matcher *M, int i)
{
    return &M->rule[i];
}

typedef struct comp {
    eg_matcher *M;
    eg_rule *r;
    instr *prog;
    int n, cap;
    int nregs, naregs, nbinds;
    const char *avar[64];
    int avar_reg[64];
    int navar;
    dn_err *e;
    int bad;
} comp;

static instr *emit(comp *C, int kind)
{
    if (C->n == C->cap) {
        C->cap = C->cap ? 2 * C->cap : 16;
        C->prog = realloc(C->prog, (size_t)C->cap * sizeof *C->prog);
        if (!C->prog) abort();
    }
    instr *I = &C->prog[C->n++];
    memset(I, 0, sizeof *I);
    I->kind = kind;
    return I;
}

static int is_number(const gm_expr *e, double *v)
{
    if (e->kind == GM_NUM) {
        *v = e->num;
        return 1;
    }
    if (e->kind == GM_UNARY && e->op == '-' && e->args[0]->kind == GM_NUM) {
        *v = -e->args[0]->num;
        return 1;
    }
    return 0;
}

static int tensor_var(comp *C, const char *name)
{
    for (int i = 0; i < C->r->nvars; i++)
        if (!strcmp(C->r->var[i], name) && C->r->var_kind[i] == 1) return i;
    return -1;
}

/* preg, out0, nch: the BIND whose operand e is (preg < 0 at the root) */
static void comp_term(comp *C, const gm_expr *e, int reg, int preg, int out0_, int nch_)
{
    double v;
    if (C->bad) return;
    if (is_number(e, &v)) {
        instr *I = emit(C, I_NUM);
        I->reg = reg;
        I->num = v;
        I->reg2 = preg;
        I->out0 = out0_;
        I->nch = nch_;
        snprintf(I->key, sizeof I->key, "N r%d %.17g p%d o%d n%d", reg, v, preg, out0_, nch_);
        C->r->has_literal = 1;
        return;
    }
    if (e->kind == GM_OMIT) {
        instr *I = emit(C, I_OMIT);
        I->reg = reg;
        snprintf(I->key, sizeof I->key, "O r%d", reg);
        return;
    }
    if (e->kind == GM_NAME) {
        int k = tensor_var(C, e->str);
        if (k >= 0) {
            instr *I = emit(C, I_CMP);
            I->reg = C->r->var_reg[k];
            I->reg2 = reg;
            snprintf(I->key, sizeof I->key, "C r%d r%d", I->reg, reg);
            return;
        }
        if (C->r->nvars == 64) {
            C->bad = 1;
            dn_errf(C->e, "%s: rule '%s': too many variables", C->r->loc, C->r->name);
            return;
        }
        C->r->var[C->r->nvars] = e->str;
        C->r->var_kind[C->r->nvars] = 1;
        C->r->var_reg[C->r->nvars++] = reg;
        return;
    }
    if (e->kind != GM_APP) {
        C->bad = 1;
        dn_errf(C->e, "%s: rule '%s': the left side may hold operators, variables and numbers only",
                C->r->loc, C->r->name);
        return;
    }
    eg_matcher *M = C->M;
    int op = eg_op_intern(M->E, e->domain, e->str);
    const gm_opdecl *decl = M->E->ops[op]->decl;
    int nch = e->nargs;
    while (nch > 0 && e->args[nch - 1]->kind == GM_OMIT)
        nch--;
    instr *I = emit(C, I_BIND);
    int at = C->n - 1;
    I->reg = reg;
    I->op = op;
    I->nch = nch;
    I->out0 = C->nregs;
    I->nbind = C->nbinds++;
    C->nregs += nch;
    I->nattr = e->nattrs;
    I->attrs = dn_arena_alloc(&M->A, (size_t)(e->nattrs + 1) * sizeof *I->attrs);
    if (decl) {
        I->ndecl = decl->nattrs;
        I->decl = decl->attrs;
        I->decl_dflt = dn_arena_alloc(&M->A, (size_t)(decl->nattrs + 1) * sizeof *I->decl_dflt);
        for (int k = 0; k < decl->nattrs; k++)
            I->decl_dflt[k] = eg_default_attr(&M->A, &decl->attrs[k]);
    }
    size_t kl = (size_t)snprintf(I->key, sizeof I->key, "B r%d %s::%s n%d o%d [", reg, e->domain,
                                 e->str, nch, I->out0);
    for (int i = 0; i < e->nattrs; i++) {
        attrspec *s = &I->attrs[i];
        const gm_attrval *av = &e->attrs[i];
        s->name = av->name;
        s->dflt = decl ? eg_default_attr(&M->A, find_attrdecl(decl, av->name)) : NULL;
        const gm_expr *x = av->value;
        if (x->kind == GM_NAME && dn_dtype_parse(x->str) == DN_UNDEF && strcmp(x->str, "true") &&
            strcmp(x->str, "false") && strcmp(x->str, "nan") && strcmp(x->str, "inf")) {
            int k = -1;
            for (int j = 0; j < C->navar; j++)
                if (!strcmp(C->avar[j], x->str)) k = j;
            if (k >= 0) {
                s->mode = A_VAREQ;
                s->areg = C->avar_reg[k];
            } else {
                s->mode = A_VAR;
                s->areg = C->naregs++;
                if (C->navar < 64) {
                    C->avar[C->navar] = x->str;
                    C->avar_reg[C->navar++] = s->areg;
                }
                if (C->r->nvars < 64) {
                    C->r->var[C->r->nvars] = x->str;
                    C->r->var_kind[C->r->nvars] = 2;
                    C->r->var_reg[C->r->nvars++] = s->areg;
                }
            }
            if (kl < sizeof I->key)
                kl += (size_t)snprintf(I->key + kl, sizeof I->key - kl, "%s=%c%d;", s->name,
                                       s->mode == A_VAR ? 'V' : 'E', s->areg);
        } else {
            s->mode = A_LIT;
            dn_err tmp;
            if (gm_eval(x, NULL, NULL, &s->lit, &tmp)) {
                C->bad = 1;
                dn_errf(C->e, "%s: rule '%s': attribute %s: %s", C->r->loc, C->r->name, s->name,
                        tmp.msg);
                return;
            }
            char buf[200];
            if (kl < sizeof I->key)
                kl += (size_t)snprintf(I->key + kl, sizeof I->key - kl, "%s=L%s;", s->name,
                                       gm_expr_str(x, buf, sizeof buf));
        }
    }
    (void)at;
    int out0 = C->prog[at].out0;
    for (int i = 0; i < nch; i++)
        comp_term(C, e->args[i], out0 + i, reg, out0, nch);
}

static tnode *tnode_new(eg_matcher *M, const instr *in)
{
    tnode *t = dn_arena_alloc(&M->A, sizeof *t);
    t->in = *in;
    return t;
}

static tnode *tnode_child(eg_matcher *M, tnode ***kids, int *nkid, int *cap, const instr *in)
{
    for (int i = 0; i < *nkid; i++)
        if (in->kind != I_YIELD && !strcmp((*kids)[i]->in.key, in->key)) return (*kids)[i];
    if (*nkid == *cap) {
        *cap = *cap ? 2 * *cap : 4;
        *kids = realloc(*kids, (size_t)*cap * sizeof **kids);
        if (!*kids) abort();
    }
    tnode *t = tnode_new(M, in);
    (*kids)[(*nkid)++] = t;
    return t;
}

/* Commutativity written as a rule -- Op(a, b) => Op(b, a) for an operator
   declared commutative -- adds nothing: BIND tries both orders. */
static int is_comm_rule(eg_matcher *M, const gm_expr *l, const gm_expr *r)
{
    if (l->kind != GM_APP || r->kind != GM_APP || strcmp(l->str, r->str) ||
        strcmp(l->domain, r->domain))
        return 0;
    if (l->nargs != 2 || r->nargs != 2 || l->nattrs || r->nattrs) return 0;
    const gm_opdecl *d = gm_rules_find_op(M->R, l->domain, l->str);
    if (!d || !(d->flags & GM_PROP_COMMUTATIVE)) return 0;
    const gm_expr *a = l->args[0], *b = l->args[1];
    return a->kind == GM_NAME && b->kind == GM_NAME && strcmp(a->str, b->str) &&
           r->args[0]->kind == GM_NAME && r->args[1]->kind == GM_NAME &&
           !strcmp(r->args[0]->str, b->str) && !strcmp(r->args[1]->str, a->str);
}

static void free_trie(tnode *t)
{
    for (int i = 0; i < t->nkid; i++)
        free_trie(t->kid[i]);
    free(t->kid);
    eg_ivec_free(&t->rules);
}

void eg_matcher_free(eg_matcher *M)
{
    if (!M) return;
    for (int i = 0; i < M->nroot; i++)
        free_trie(M->root[i]);
    free(M->root);
    free(M->rule);
    free(M->nregs);
    free(M->naregs);
    free(M->nbinds);
    free(M->seen);
    free(M->reg);
    free(M->areg);
    free(M->nodes);
    free(M->count);
    free(M->limit);
    dn_arena_clear(&M->A);
    free(M);
}

static void collect_rules(tnode *t)
{
    for (int i = 0; i < t->nkid; i++) {
        tnode *k = t->kid[i];
        collect_rules(k);
        if (k->in.kind == I_YIELD) eg_ivec_push(&t->rules, k->in.rule);
        for (int j = 0; j < k->rules.n; j++)
            eg_ivec_push(&t->rules, k->rules.v[j]);
    }
}

eg_matcher *eg_matcher_new(eg_graph *E, const gm_rules *R, dn_err *e)
{
    eg_matcher *M = calloc(1, sizeof *M);
    if (!M) abort();
    M->E = E;
    M->R = R;
    int nsrc = gm_rules_nrules(R);
    char cwd[4096];
    if (!getcwd(cwd, sizeof cwd)) cwd[0] = 0;
    M->rule = calloc((size_t)(2 * nsrc + 1), sizeof *M->rule);
    M->nregs = calloc((size_t)(2 * nsrc + 1), sizeof(int));
    M->naregs = calloc((size_t)(2 * nsrc + 1), sizeof(int));
    M->nbinds = calloc((size_t)(2 * nsrc + 1), sizeof(int));
    if (!M->rule || !M->nregs || !M->naregs || !M->nbinds) abort();
    for (int i = 0; i < nsrc; i++) {
        const gm_rule *g = gm_rules_rule(R, i);
        for (int dir = 0; dir < 1 + (g->bidir != 0); dir++) {
            eg_rule *r = &M->rule[M->nrule];
            memset(r, 0, sizeof *r);
            r->src = g;
            r->dir = dir;
            r->lhs = dir ? g->rhs : g->lhs;
            r->rhs = dir ? g->lhs : g->rhs;
            r->name = g->name;
            r->priority = g->priority;
            const char *file = g->loc.src ? gm_src_name(g->loc.src) : "?";
            /* rules/cleanup.rules:42 rather than an absolute path under the
               working directory: that is how users refer to them */
            size_t cl = strlen(cwd);
            if (cl > 1 && !strncmp(file, cwd, cl) && file[cl] == '/') file += cl + 1;
            snprintf(r->loc, sizeof r->loc, "%s:%d", file, g->loc.line);
            if (r->lhs->kind != GM_APP)
                continue; /* a variable as left side matches everything: skip */
            r->subsumed = is_comm_rule(M, r->lhs, r->rhs);
            comp C = {0};
            C.M = M;
            C.r = r;
            C.e = e;
            C.nregs = 1;
            comp_term(&C, r->lhs, 0, -1, 0, 0);
            if (C.bad) {
                free(C.prog);
                eg_matcher_free(M);
                return NULL;
            }
            instr *y = emit(&C, I_YIELD);
            y->rule = M->nrule;
            M->nregs[M->nrule] = C.nregs;
            M->naregs[M->nrule] = C.naregs;
            M->nbinds[M->nrule] = C.nbinds;
            if (C.nregs > M->maxregs) M->maxregs = C.nregs;
            if (C.naregs > M->maxaregs) M->maxaregs = C.naregs;
            if (C.nbinds > M->maxbinds) M->maxbinds = C.nbinds;
            /* insert the program into the trie */
            tnode *t = tnode_child(M, &M->root, &M->nroot, &M->caproot, &C.prog[0]);
            for (int k = 1; k < C.n; k++)
                t = tnode_child(M, &t->kid, &t->nkid, &t->cap, &C.prog[k]);
            free(C.prog);
            M->nrule++;
        }
    }
    for (int i = 0; i < M->nroot; i++)
        collect_rules(M->root[i]);
    /* the roots themselves: rules below */
    M->reg = calloc((size_t)M->maxregs + 1, sizeof *M->reg);
    M->areg = calloc((size_t)M->maxaregs + 1, sizeof *M->areg);
    M->nodes = calloc((size_t)M->maxbinds + 1, sizeof *M->nodes);
    M->count = calloc((size_t)M->nrule + 1, sizeof *M->count);
    M->limit = calloc((size_t)M->nrule + 1, sizeof *M->limit);
    if (!M->reg || !M->areg || !M->nodes || !M->count || !M->limit) abort();
    return M;
}

/* ------------------------------------------------------------------ */
/* Search                                                              */
/* ------------------------------------------------------------------ */

typedef struct guard_env {
    eg_matcher *M;
    const eg_rule *r;
    const int *reg;
    const ir_attr *const *areg;
} guard_env;

static int guard_lookup(void *ctx, const char *name, gm_val *out)
{
    guard_env *G = ctx;
    memset(out, 0, sizeof *out);
    for (int i = 0; i < G->r->nvars; i++)
        if (!strcmp(G->r->var[i], name)) {
            if (G->r->var_kind[i] == 1) {
                int c = G->reg[G->r->var_reg[i]];
                if (c < 0) {
                    out->kind = GM_V_ABSENT;
                    return 0;
                }
                out->kind = GM_V_TENSOR;
                eg_class_view(G->M->E, c, &out->t);
            } else
                gm_attr_val(G->areg[G->r->var_reg[i]], out);
            return 0;
        }
    return -1;
}

static int val_eq_attr(const gm_val *lit, const ir_attr *a)
{
    gm_val v;
    gm_attr_val(a, &v);
    if (v.kind == GM_V_ABSENT) return 0;
    if (a->type == IR_ATTR_FLOAT && gm_val_is_num(lit)) return (float)gm_val_num(lit) == a->f;
    return gm_val_eq(lit, &v);
}

static int attrs_ok(eg_matcher *M, const instr *I, const eg_node *n)
{
    /* written attributes */
    for (int i = 0; i < I->nattr; i++) {
        const attrspec *s = &I->attrs[i];
        const ir_attr *a = NULL;
        for (int k = 0; k < n->nattr; k++)
            if (!strcmp(n->attr[k].name, s->name)) a = &n->attr[k];
        if (!a) a = s->dflt;
        if (s->mode == A_LIT) {
            if (!a || !val_eq_attr(&s->lit, a)) return 0;
        } else if (s->mode == A_VAR)
            M->areg[s->areg] = a;
        else {
            const ir_attr *b = M->areg[s->areg];
            if (!a || !b) {
                if (a != b) return 0;
            } else {
                gm_val x, y;
                gm_attr_val(a, &x);
                gm_attr_val(b, &y);
                if (!gm_val_eq(&x, &y)) return 0;
            }
        }
    }
    /* unwritten attributes have their default */
    for (int k = 0; k < n->nattr; k++) {
        const ir_attr *a = &n->attr[k];
        int written = 0;
        for (int i = 0; i < I->nattr && !written; i++)
            written = !strcmp(I->attrs[i].name, a->name);
        if (written) continue;
        int found = 0;
        for (int d = 0; d < I->ndecl; d++)
            if (!strcmp(I->decl[d].name, a->name)) {
                found = 1;
                const ir_attr *dflt = I->decl_dflt[d];
                if (!dflt) return 0;
                gm_val x;
                gm_attr_val(dflt, &x);
                if (!val_eq_attr(&x, a)) return 0;
            }
        if (!found) return 0;
    }
    return 1;
}

/* A number in a pattern matches a constant all of whose elements equal
   it (docs/rules-language.md), as long as the constant behaves like the
   scalar that `rules check` verified the rule with: it must not make its
   node's result larger than that node's other operand, or a rule such as
   Mul(a, 1.0) => a would change a shape ([4] * ones[1,1,1] is [1,1,4]). */
static int num_ok(eg_matcher *M, const instr *I)
{
    eg_graph *E = M->E;
    int c = M->reg[I->reg];
    if (c < 0) return 0;
    const dn_tensor *t = eg_class_const(E, c);
    if (!t) return 0;
    int64_t n = dn_shape_numel(&t->shape);
    if (n < 1 || n > (1 << 16)) return 0;
    double v = I->num, tol = 1e-6 * fmax(1.0, fabs(v));
    for (int64_t i = 0; i < n; i++)
        if (!(fabs(dn_get(t, i) - v) <= tol)) return 0;
    if (I->reg2 < 0 || (n == 1 && t->shape.rank == 0)) return 1;
    const dn_shape *out = &E->cls[eg_find(E, M->reg[I->reg2])].shape;
    for (int k = 0; k < I->nch; k++) {
        int s = M->reg[I->out0 + k];
        if (I->out0 + k == I->reg || s < 0) continue;
        const dn_shape *sh = &E->cls[eg_find(E, s)].shape;
        dn_shape b;
        dn_err tmp;
        if (dn_shape_known(sh) && dn_shape_eq(sh, out) && !dn_broadcast(&t->shape, sh, &b, &tmp) &&
            dn_shape_eq(&b, sh))
            return 1;
    }
    return 0;
}

static void exec(eg_matcher *M, const tnode *t);

static void kids(eg_matcher *M, const tnode *t)
{
    for (int i = 0; i < t->nkid && !M->failed && !M->over; i++)
        if (t->kid[i]->live) exec(M, t->kid[i]);
}

static void yield(eg_matcher *M, int rule)
{
    eg_rule *r = &M->rule[rule];
    if (M->count[rule] > M->limit[rule]) {
        M->count[rule]++; /* over its limit: counted, not kept (it is banned) */
        return;
    }
    if (r->src->guard) {
        guard_env G = {M, r, M->reg, M->areg};
        gm_val v;
        dn_err tmp;
        if (gm_eval(r->src->guard, guard_lookup, &G, &v, &tmp) || !gm_truth(&v)) return;
    }
    M->count[rule]++;
    eg_matches *o = M->out;
    if (o->n == o->cap) {
        o->cap = o->cap ? 2 * o->cap : 256;
        o->m = realloc(o->m, (size_t)o->cap * sizeof *o->m);
        if (!o->m) abort();
    }
    eg_match *m = &o->m[o->n++];
    m->rule = rule;
    int nr = M->nregs[rule], na = M->naregs[rule], nb = M->nbinds[rule];
    m->reg = dn_arena_alloc(&o->arena, (size_t)(nr + 1) * sizeof *m->reg);
    for (int i = 0; i < nr; i++)
        m->reg[i] = M->reg[i] >= 0 ? eg_find(M->E, M->reg[i]) : -1;
    m->areg = dn_arena_alloc(&o->arena, (size_t)(na + 1) * sizeof *m->areg);
    if (na) memcpy(m->areg, M->areg, (size_t)na * sizeof *m->areg);
    m->nodes = dn_arena_alloc(&o->arena, (size_t)(nb + 1) * sizeof *m->nodes);
    if (nb) memcpy(m->nodes, M->nodes, (size_t)nb * sizeof *m->nodes);
    m->nnodes = nb;
}

static void exec(eg_matcher *M, const tnode *t)
{
    const instr *I = &t->in;
    eg_graph *E = M->E;
    switch (I->kind) {
    case I_YIELD:
        yield(M, I->rule);
        return;
    case I_CMP:
        if (M->reg[I->reg] >= 0 && M->reg[I->reg2] >= 0 &&
            eg_find(E, M->reg[I->reg]) == eg_find(E, M->reg[I->reg2]))
            kids(M, t);
        else if (M->reg[I->reg] < 0 && M->reg[I->reg2] < 0)
            kids(M, t);
        return;
    case I_NUM:
        if (num_ok(M, I)) kids(M, t);
        return;
    case I_OMIT:
        if (M->reg[I->reg] < 0) kids(M, t);
        return;
    case I_BIND: {
        int c = M->reg[I->reg];
        if (c < 0) return;
        c = eg_find(E, c);
        int comm = E->ops[I->op]->commutative && I->nch == 2;
        /* the class's node list may grow while we walk it? no: search
           does not change the e-graph; take its length once */
        int nn = E->cls[c].nodes.n;
        for (int k = 0; k < nn && !M->failed && !M->over; k++) {
            int id = E->cls[c].nodes.v[k];
            if (M->step_limit && ++M->steps > M->step_limit) {
                M->over = 1;
                return;
            }
            const eg_node *n = &E->node[id];
            if (n->dup || n->kind != EG_OPNODE || n->op != I->op || n->nch != I->nch ||
                n->nout != 1)
                continue;
            if (!attrs_ok(M, I, n)) continue;
            M->nodes[I->nbind] = id;
            for (int i = 0; i < I->nch; i++)
                M->reg[I->out0 + i] = n->ch[i] >= 0 ? eg_find(E, n->ch[i]) : -1;
            kids(M, t);
            if (comm && M->reg[I->out0] != M->reg[I->out0 + 1]) {
                int a = M->reg[I->out0];
                M->reg[I->out0] = M->reg[I->out0 + 1];
                M->reg[I->out0 + 1] = a;
                kids(M, t);
            }
        }
        return;
    }
    }
}

static void set_live(eg_matcher *M, tnode *t, int iter)
{
    t->live = 0;
    if (t->in.kind == I_YIELD) {
        eg_rule *r = &M->rule[t->in.rule];
        t->live = !r->subsumed && r->banned_until <= iter;
        return;
    }
    for (int i = 0; i < t->nkid; i++) {
        set_live(M, t->kid[i], iter);
        t->live |= t->kid[i]->live;
    }
}

void eg_matches_free(eg_matches *m)
{
    free(m->m);
    dn_arena_clear(&m->arena);
    memset(m, 0, sizeof *m);
}

int eg_search(eg_matcher *M, int iter, eg_matches *out, dn_err *e)
{
    eg_graph *E = M->E;
    M->out = out;
    M->iter = iter;
    for (int i = 0; i < M->nrule; i++) {
        M->count[i] = 0;
        M->limit[i] = M->rule[i].match_limit > 0 ? M->rule[i].match_limit : 1 << 30;
    }
    M->err = e;
    M->failed = 0;
    for (int i = 0; i < M->nroot; i++)
        set_live(M, M->root[i], iter);
    if (M->seen_cap < E->ncls) {
        M->seen = realloc(M->seen, (size_t)E->ncls * sizeof *M->seen);
        if (!M->seen) abort();
        for (int i = M->seen_cap; i < E->ncls; i++)
            M->seen[i] = 0;
        M->seen_cap = E->ncls;
    }
    /* roots grouped by operator: each class holding that operator once */
    for (int r = 0; r < M->nroot; r++) {
        tnode *t = M->root[r];
        if (!t->live) continue;
        int op = t->in.op;
        M->gen++;
        M->steps = 0;
        M->over = 0;
        const eg_ivec *L = &E->ops[op]->nodes;
        int nn = L->n;
        for (int k = 0; k < nn && !M->over; k++) {
            int id = L->v[k];
            if (E->node[id].dup) continue;
            int c = eg_find(E, E->node[id].cls);
            if (M->seen[c] == M->gen) continue;
            M->seen[c] = M->gen;
            M->reg[0] = c;
            exec(M, t);
        }
        if (M->over) {
            /* this root's patterns explode here: ban its rules, drop
               what they found this iteration (backoff, by work) */
            for (int j = 0; j < t->rules.n; j++) {
                eg_rule *x = &M->rule[t->rules.v[j]];
                if (x->banned_until > iter) continue;
                x->banned_until =
                    iter + (M->ban_length << (x->times_banned < 20 ? x->times_banned : 20));
                x->times_banned++;
            }
            M->over = 0;
        }
    }
    for (int i = 0; i < M->nrule; i++)
        M->rule[i].iter_count = M->count[i];
    return M->failed ? -1 : 0;
}

/* ------------------------------------------------------------------ */
/* Right sides                                                         */
/* ------------------------------------------------------------------ */

typedef struct inst_ctx {
    eg_matcher *M;
    const eg_match *m;
    const eg_rule *r;
    int root_dtype;
} inst_ctx;

static int scalar_const(eg_graph *E, double v, int dtype)
{
    dn_tensor t;
    memset(&t, 0, sizeof t);
    t.dtype = dtype ? dtype : DN_F32;
    t.shape = dn_shape_make(0, NULL);
    unsigned char buf[16];
    memset(buf, 0, sizeof buf);
    t.data = buf;
    dn_set(&t, 0, v);
    return eg_add_const(E, &t, -1, 1);
}

static int var_index(const eg_rule *r, const char *name)
{
    for (int i = 0; i < r->nvars; i++)
        if (!strcmp(r->var[i], name)) return i;
    return -1;
}

static int inst(inst_ctx *X, const gm_expr *e, int dtype, dn_err *err)
{
    eg_graph *E = X->M->E;
    double v;
    if (is_number(e, &v)) return scalar_const(E, v, dtype ? dtype : X->root_dtype);
    if (e->kind == GM_NAME) {
        int k = var_index(X->r, e->str);
        if (k < 0) return dn_errf(err, "'%s' is not bound", e->str), -2;
        if (X->r->var_kind[k] == 1) {
            int c = X->m->reg[X->r->var_reg[k]];
            return c >= 0 ? eg_find(E, c) : -1;
        }
        gm_val a;
        gm_attr_val(X->m->areg[X->r->var_reg[k]], &a);
        if (!gm_val_is_num(&a)) return dn_errf(err, "'%s' is not a number", e->str), -2;
        return scalar_const(E, gm_val_num(&a), dtype ? dtype : X->root_dtype);
    }
    if (e->kind == GM_OMIT) return -1;
    if (e->kind != GM_APP) return dn_errf(err, "cannot build this term"), -2;
    int op = eg_op_intern(E, e->domain, e->str);
    const gm_opdecl *decl = E->ops[op]->decl;
    int n = e->nargs;
    if (n > MAXIO_RHS) return dn_errf(err, "too many operands"), -2;
    int ch[MAXIO_RHS];
    int dt = 0;
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < n; i++) {
            double dummy;
            int lit = is_number(e->args[i], &dummy) ||
                      (e->args[i]->kind == GM_NAME && var_index(X->r, e->args[i]->str) >= 0 &&
                       X->r->var_kind[var_index(X->r, e->args[i]->str)] == 2);
            if ((pass == 0) == lit) continue;
            int c = inst(X, e->args[i], dt, err);
            if (c == -2) return -2;
            ch[i] = c;
            if (pass == 0 && c >= 0 && !dt) dt = E->cls[eg_find(E, c)].dtype;
        }
    ir_attr *attrs = dn_arena_alloc(&E->arena, (size_t)(e->nattrs + 1) * sizeof *attrs);
    int na = 0;
    for (int i = 0; i < e->nattrs; i++) {
        const gm_attrval *av = &e->attrs[i];
        const gm_attrdecl *ad = find_attrdecl(decl, av->name);
        const gm_expr *x = av->value;
        if (x->kind == GM_NAME) {
            int k = var_index(X->r, x->str);
            if (k >= 0 && X->r->var_kind[k] == 2) {
                const ir_attr *a = X->m->areg[X->r->var_reg[k]];
                if (!a) continue; /* absent stays absent */
                attrs[na] = *a;
                attrs[na].name = (char *)av->name;
                if (ad && ad->type != a->type) {
                    gm_val val;
                    gm_attr_val(a, &val);
                    if (eg_val_attr(&E->arena, &val, av->name, ad->type, &attrs[na], err))
                        return -2;
                }
                na++;
                continue;
            }
        }
        guard_env G = {X->M, X->r, X->m->reg, X->m->areg};
        gm_val val;
        if (gm_eval(x, guard_lookup, &G, &val, err)) return -2;
        int type = ad ? ad->type : gm_val_attr_type(&val);
        if (eg_val_attr(&E->arena, &val, av->name, type, &attrs[na], err)) return -2;
        na++;
    }
    eg_sort_attrs(attrs, na);
    int c = eg_add_op(E, op, 0, 1, attrs, na, ch, n, -1, err);
    return c < 0 ? -2 : c;
}

int eg_instantiate(eg_matcher *M, const eg_match *m, dn_err *e)
{
    inst_ctx X = {M, m, &M->rule[m->rule], M->E->cls[eg_find(M->E, m->reg[0])].dtype};
    int c = inst(&X, X.r->rhs, 0, e);
    if (c == -1) return dn_errf(e, "the right side is an omitted input"), -1;
    return c < 0 ? -1 : c;
}
