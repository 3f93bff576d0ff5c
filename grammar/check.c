/* check.c -- the semantic checks of a `.rules` module, after every file
 * is read.  Each problem becomes one `file:line:col` message; checking
 * goes on after an error so that one run reports all of them.
 *
 *   - the lattice and layout groups: no name twice;
 *   - operators: declared once, properties sorted into mapping type,
 *     layout group, algebraic properties and cost; parameters and
 *     attributes unique; defaults of the declared type; composite bodies
 *     and costs use only the operator's own names;
 *   - the two tables: every type or group is declared; no pair twice;
 *   - rules: operators declared, arity right, attributes declared and of
 *     the right type, every variable on the right side, in the guard and
 *     in `with` bound by the left side (by both sides for <=>), a
 *     variable is either a tensor or an attribute, never both; two rules
 *     with the same left side (up to renaming) and the same guard at the
 *     same priority overlap -- the engine could not tell which to prefer.
 *
 * Also here: NAME(args) is an operator application when NAME is declared
 * and a builtin function call when it is a builtin; the parser cannot
 * know (parser.y says why), so this pass rewrites GM_APP into GM_CALL. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>
#include <uthash.h>

/* ------------------------------------------------------------------ */
/* Builtin functions                                                   */
/* ------------------------------------------------------------------ */

/* Words that stand for themselves in guards: dtypes and booleans. */
static int literal_word(const char *s)
{
    return dn_dtype_parse(s) != DN_UNDEF || !strcmp(s, "true") || !strcmp(s, "false") ||
           !strcmp(s, "nan") || !strcmp(s, "inf");
}

/* ------------------------------------------------------------------ */
/* Context and variable environments                                   */
/* ------------------------------------------------------------------ */

enum { V_TENSOR = 1, V_ATTR = 2 };

typedef struct var {
    const char *name;
    int kind;
    int atype; /* V_ATTR: IR_ATTR_* when known */
    gm_loc loc;
} var;

#define MAX_VARS 64

typedef struct env {
    var v[MAX_VARS];
    int n;
} env;

/* rule names seen so far (uthash; entries live in the module's arena) */
typedef struct rname {
    int idx;
    UT_hash_handle hh;
} rname;

typedef struct ctx {
    gm_rules *r;
    gm_diags *d;
    rname *names;
} ctx;

static var *lookup(env *E, const char *name)
{
    for (int i = 0; i < E->n; i++)
        if (!strcmp(E->v[i].name, name)) return &E->v[i];
    return NULL;
}

static var *bind(ctx *C, env *E, const char *name, int kind, gm_loc loc)
{
    var *v = lookup(E, name);
    if (v) {
        if (v->kind != kind)
            gm_error(C->d, loc, "'%s' is used as %s here but as %s at line %d", name,
                     kind == V_TENSOR ? "a tensor" : "an attribute",
                     v->kind == V_TENSOR ? "a tensor" : "an attribute", v->loc.line);
        return v;
    }
    if (E->n == MAX_VARS) {
        gm_error(C->d, loc, "more than %d variables in one rule", MAX_VARS);
        return NULL;
    }
    v = &E->v[E->n++];
    v->name = name;
    v->kind = kind;
    v->atype = 0;
    v->loc = loc;
    return v;
}

static const char *atype_name(int t)
{
    switch (t) {
    case IR_ATTR_INT:
        return "int";
    case IR_ATTR_FLOAT:
        return "float";
    case IR_ATTR_STRING:
        return "string";
    case IR_ATTR_INTS:
        return "ints";
    case IR_ATTR_FLOATS:
        return "floats";
    case IR_ATTR_STRINGS:
        return "strings";
    case IR_ATTR_TENSOR:
        return "tensor";
    default:
        return "?";
    }
}

/* The attribute type of a literal, or 0 when e is not a literal. */
static int literal_type(const gm_expr *e)
{
    if (e->kind == GM_UNARY && e->op == '-' && e->args[0]->kind == GM_NUM) e = e->args[0];
    if (e->kind == GM_NUM) return e->is_int ? IR_ATTR_INT : IR_ATTR_FLOAT;
    if (e->kind == GM_STR) return IR_ATTR_STRING;
    if (e->kind == GM_NAME && (!strcmp(e->str, "nan") || !strcmp(e->str, "inf")))
        return IR_ATTR_FLOAT;
    if (e->kind == GM_LIST) {
        int t = 0;
        for (int i = 0; i < e->nargs; i++) {
            int k = literal_type(e->args[i]);
            if (k == IR_ATTR_INT) {
                if (!t) t = IR_ATTR_INTS;
            } else if (k == IR_ATTR_FLOAT) {
                if (t == IR_ATTR_STRINGS) return 0;
                t = IR_ATTR_FLOATS;
            } else if (k == IR_ATTR_STRING) {
                if (t && t != IR_ATTR_STRINGS) return 0;
                t = IR_ATTR_STRINGS;
            } else
                return 0;
        }
        return t ? t : IR_ATTR_INTS; /* [] fits any list type */
    }
    return 0;
}

static int compatible(int decl, int got, const gm_expr *e)
{
    if (decl == got) return 1;
    if (decl == IR_ATTR_FLOAT && got == IR_ATTR_INT) return 1;
    if (decl == IR_ATTR_FLOATS && got == IR_ATTR_INTS) return 1;
    if ((decl == IR_ATTR_FLOATS || decl == IR_ATTR_STRINGS) && e->kind == GM_LIST && e->nargs == 0)
        return 1;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Resolving NAME(args): operator or builtin                           */
/* ------------------------------------------------------------------ */

static void resolve(ctx *C, gm_expr *e)
{
    if (!e) return;
    if (e->kind == GM_APP && !e->domain[0] && !gm_rules_find_op(C->r, "", e->str) &&
        gm_builtin(e->str, NULL, NULL)) {
        if (e->has_attrs) gm_error(C->d, e->loc, "function '%s' takes no attributes", e->str);
        e->kind = GM_CALL;
    }
    for (int i = 0; i < e->nargs; i++)
        resolve(C, e->args[i]);
    for (int i = 0; i < e->nattrs; i++)
        resolve(C, e->attrs[i].value);
}

/* ------------------------------------------------------------------ */
/* Expressions: guards, computed attributes, costs                     */
/* ------------------------------------------------------------------ */

static void expr(ctx *C, gm_expr *e, env *E)
{
    if (!e) return;
    switch (e->kind) {
    case GM_NUM:
    case GM_STR:
    case GM_OMIT:
    case GM_TENSOR:
        return;
    case GM_NAME:
        if (!lookup(E, e->str) && !literal_word(e->str))
            gm_error(C->d, e->loc, "unbound variable '%s'", e->str);
        return;
    case GM_CALL: {
        int lo = 0, hi = 0;
        gm_builtin(e->str, &lo, &hi);
        if (e->nargs < lo || e->nargs > hi) {
            if (lo == hi)
                gm_error(C->d, e->loc, "%s takes %d argument%s, got %d", e->str, lo,
                         lo == 1 ? "" : "s", e->nargs);
            else
                gm_error(C->d, e->loc, "%s takes %d to %d arguments, got %d", e->str, lo, hi,
                         e->nargs);
        }
        for (int i = 0; i < e->nargs; i++)
            expr(C, e->args[i], E);
        return;
    }
    case GM_APP:
        if (gm_rules_find_op(C->r, e->domain, e->str))
            gm_error(C->d, e->loc, "operator %s cannot appear in a guard or computed value",
                     e->str);
        else
            gm_error(C->d, e->loc, "unknown function '%s'", e->str);
        return;
    case GM_LIST:
    case GM_UNARY:
    case GM_BINARY:
        for (int i = 0; i < e->nargs; i++)
            expr(C, e->args[i], E);
        return;
    }
}

/* ------------------------------------------------------------------ */
/* Terms: the two sides of a rule, composite bodies                    */
/* ------------------------------------------------------------------ */

static void term(ctx *C, gm_expr *e, env *E, int binding);

static void app(ctx *C, gm_expr *e, env *E, int binding)
{
    const gm_opdecl *op = gm_rules_find_op(C->r, e->domain, e->str);
    if (!op) {
        if (e->domain[0])
            gm_error(C->d, e->loc, "unknown operator %s::%s", e->domain, e->str);
        else
            gm_error(C->d, e->loc, "unknown operator %s", e->str);
        for (int i = 0; i < e->nargs; i++)
            term(C, e->args[i], E, binding);
        return;
    }
    int req = 0, variadic = 0;
    for (int i = 0; i < op->nparams; i++) {
        if (op->params[i].variadic)
            variadic = 1;
        else if (!op->params[i].optional)
            req++;
    }
    int max = variadic ? -1 : op->nparams;
    if (e->nargs < req || (max >= 0 && e->nargs > max)) {
        if (max < 0)
            gm_error(C->d, e->loc, "%s takes at least %d input%s, got %d", e->str, req,
                     req == 1 ? "" : "s", e->nargs);
        else if (req == max)
            gm_error(C->d, e->loc, "%s takes %d input%s, got %d", e->str, req, req == 1 ? "" : "s",
                     e->nargs);
        else
            gm_error(C->d, e->loc, "%s takes %d to %d inputs, got %d", e->str, req, max, e->nargs);
    }
    for (int i = 0; i < e->nargs; i++) {
        gm_expr *a = e->args[i];
        if (e->argnames && e->argnames[i])
            gm_error(C->d, a->loc, "operator inputs are positional (got '%s=')", e->argnames[i]);
        if (a->kind == GM_OMIT) {
            const gm_param *p = i < op->nparams ? &op->params[i] : NULL;
            if (!p || !p->optional)
                gm_error(C->d, a->loc, "input %d of %s is not optional", i + 1, e->str);
            continue;
        }
        term(C, a, E, binding);
    }
    for (int i = 0; i < e->nattrs; i++) {
        gm_attrval *av = &e->attrs[i];
        for (int j = 0; j < i; j++)
            if (!strcmp(e->attrs[j].name, av->name))
                gm_error(C->d, av->loc, "attribute '%s' given twice", av->name);
        const gm_attrdecl *ad = NULL;
        for (int k = 0; k < op->nattrs; k++)
            if (!strcmp(op->attrs[k].name, av->name)) ad = &op->attrs[k];
        if (!ad) {
            gm_error(C->d, av->loc, "%s has no attribute '%s'", e->str, av->name);
            continue;
        }
        gm_expr *v = av->value;
        if (v->kind == GM_NAME && !literal_word(v->str)) {
            var *x = binding ? bind(C, E, v->str, V_ATTR, v->loc) : lookup(E, v->str);
            if (!x) {
                if (!binding) gm_error(C->d, v->loc, "unbound variable '%s'", v->str);
                continue;
            }
            if (x->kind != V_ATTR) {
                if (!binding)
                    gm_error(C->d, v->loc, "'%s' is a tensor, not an attribute value", v->str);
                continue;
            }
            if (x->atype && x->atype != ad->type)
                gm_error(C->d, v->loc,
                         "'%s' is bound to a %s attribute and used as %s attribute '%s' of %s",
                         v->str, atype_name(x->atype), atype_name(ad->type), av->name, e->str);
            x->atype = ad->type;
            continue;
        }
        int lt = literal_type(v);
        if (lt) {
            if (!compatible(ad->type, lt, v))
                gm_error(C->d, v->loc, "attribute '%s' of %s is %s, got %s", av->name, e->str,
                         atype_name(ad->type), atype_name(lt));
        } else if (binding)
            gm_error(C->d, v->loc, "a pattern attribute must be a literal or a variable");
        else
            expr(C, v, E);
    }
}

static void term(ctx *C, gm_expr *e, env *E, int binding)
{
    switch (e->kind) {
    case GM_NAME:
        if (binding)
            bind(C, E, e->str, V_TENSOR, e->loc);
        else if (!lookup(E, e->str))
            gm_error(C->d, e->loc, "unbound variable '%s'", e->str);
        return;
    case GM_NUM:
        return; /* a scalar constant */
    case GM_UNARY:
        if (e->op == '-' && e->args[0]->kind == GM_NUM) return;
        break;
    case GM_APP:
        app(C, e, E, binding);
        return;
    case GM_CALL:
        gm_error(C->d, e->loc,
                 "function %s() cannot be an operand (only operators, variables and numbers)",
                 e->str);
        return;
    default:
        break;
    }
    gm_error(C->d, e->loc, "expected an operator, a variable or a number");
}

/* ------------------------------------------------------------------ */
/* Declarations                                                        */
/* ------------------------------------------------------------------ */

static int is_mapping(const gm_rules *r, const char *s)
{
    return gm_rules_mapping_level(r, s) >= 0;
}

static int is_layout(const gm_rules *r, const char *s)
{
    for (int i = 0; i < r->all.nlay; i++)
        if (!strcmp(r->all.lay[i].name, s)) return 1;
    return 0;
}

static void check_lattice(ctx *C)
{
    gm_unit *u = &C->r->all;
    for (int i = 0; i < u->nmap; i++)
        for (int j = 0; j < i; j++)
            if (!strcmp(u->map[i].name, u->map[j].name))
                gm_error(C->d, u->map[i].loc, "mapping type '%s' appears twice in the lattice",
                         u->map[i].name);
    for (int i = 0; i < u->nlay; i++)
        for (int j = 0; j < i; j++)
            if (!strcmp(u->lay[i].name, u->lay[j].name))
                gm_error(C->d, u->lay[i].loc, "layout group '%s' declared twice", u->lay[i].name);
}

static void op_env(const gm_opdecl *o, env *E, int with_out)
{
    E->n = 0;
    for (int i = 0; i < o->nparams && E->n < MAX_VARS; i++)
        E->v[E->n++] = (var){o->params[i].name, V_TENSOR, 0, o->params[i].loc};
    for (int i = 0; i < o->nattrs && E->n < MAX_VARS; i++)
        E->v[E->n++] = (var){o->attrs[i].name, V_ATTR, o->attrs[i].type, o->attrs[i].loc};
    if (with_out && E->n < MAX_VARS) E->v[E->n++] = (var){"out", V_TENSOR, 0, o->loc};
}

static void check_op(ctx *C, gm_opdecl *o, int idx)
{
    gm_unit *u = &C->r->all;
    for (int j = 0; j < idx; j++)
        if (!strcmp(u->ops[j].name, o->name) && !strcmp(u->ops[j].domain, o->domain)) {
            gm_error(C->d, o->loc, "operator %s declared twice (first at %s:%d)", o->name,
                     gm_src_name(u->ops[j].loc.src), u->ops[j].loc.line);
            break;
        }
    for (int i = 0; i < o->nparams; i++) {
        for (int j = 0; j < i; j++)
            if (!strcmp(o->params[i].name, o->params[j].name))
                gm_error(C->d, o->params[i].loc, "input '%s' declared twice", o->params[i].name);
        if (o->params[i].variadic && i != o->nparams - 1)
            gm_error(C->d, o->params[i].loc, "only the last input can be variadic");
        if (o->params[i].dtype && dn_dtype_parse(o->params[i].dtype) == DN_UNDEF)
            gm_error(C->d, o->params[i].loc, "unknown dtype '%s'", o->params[i].dtype);
    }
    for (int i = 0; i < o->nattrs; i++) {
        gm_attrdecl *a = &o->attrs[i];
        for (int j = 0; j < i; j++)
            if (!strcmp(a->name, o->attrs[j].name))
                gm_error(C->d, a->loc, "attribute '%s' declared twice", a->name);
        if (a->dflt) {
            int lt = literal_type(a->dflt);
            if (!lt)
                gm_error(C->d, a->dflt->loc, "the default of '%s' must be a literal", a->name);
            else if (a->type && !compatible(a->type, lt, a->dflt))
                gm_error(C->d, a->dflt->loc, "default of attribute '%s' is %s, declared %s",
                         a->name, atype_name(lt), atype_name(a->type));
        }
    }
    int ndist = 0;
    for (int i = 0; i < o->nprops; i++) {
        gm_attrval *p = &o->props[i];
        const char *w = p->name;
        if (!p->value) {
            if (is_mapping(C->r, w)) {
                if (o->mapping)
                    gm_error(C->d, p->loc, "%s has two mapping types ('%s' and '%s')", o->name,
                             o->mapping, w);
                o->mapping = w;
            } else if (is_layout(C->r, w)) {
                if (o->layout)
                    gm_error(C->d, p->loc, "%s has two layout groups ('%s' and '%s')", o->name,
                             o->layout, w);
                o->layout = w;
            } else if (!strcmp(w, "commutative"))
                o->flags |= GM_PROP_COMMUTATIVE;
            else if (!strcmp(w, "associative"))
                o->flags |= GM_PROP_ASSOCIATIVE;
            else if (!strcmp(w, "broadcast"))
                o->flags |= GM_PROP_BROADCAST;
            else
                gm_error(C->d, p->loc,
                         "unknown property '%s' (not a mapping type, a layout group, commutative, "
                         "associative or broadcast)",
                         w);
            continue;
        }
        gm_expr *call = p->value;
        if (!strcmp(w, "distributes")) {
            for (int k = 0; k < call->nargs; k++) {
                gm_expr *a = call->args[k];
                if (a->kind != GM_NAME || !gm_rules_find_op(C->r, "", a->str))
                    gm_error(C->d, a->loc, "distributes() takes declared operator names");
                ndist++;
            }
            o->distributes_over = dn_arena_alloc(C->r->A, (size_t)(ndist ? ndist : 1) * sizeof(char *));
            o->ndistrib = 0;
            for (int k = 0; k < call->nargs; k++)
                if (call->args[k]->kind == GM_NAME)
                    o->distributes_over[o->ndistrib++] = call->args[k]->str;
        } else if (!strcmp(w, "cost")) {
            env E;
            op_env(o, &E, 1);
            for (int k = 0; k < call->nargs; k++) {
                const char *nm = call->argnames ? call->argnames[k] : NULL;
                resolve(C, call->args[k]);
                if (nm && !strcmp(nm, "flops"))
                    o->flops = call->args[k];
                else if (nm && !strcmp(nm, "bytes"))
                    o->bytes = call->args[k];
                else {
                    gm_error(C->d, call->args[k]->loc, "cost() takes flops=EXPR and bytes=EXPR");
                    continue;
                }
                expr(C, call->args[k], &E);
            }
        } else
            gm_error(C->d, p->loc, "unknown property '%s(...)' (distributes, cost)", w);
    }
    if (C->r->all.nmap && !o->mapping)
        gm_error(C->d, o->loc, "operator %s has no mapping type", o->name);
    if (C->r->all.nlay && !o->layout)
        gm_error(C->d, o->loc, "operator %s has no layout group", o->name);
    if (o->body) {
        env E;
        op_env(o, &E, 0);
        resolve(C, o->body);
        term(C, o->body, &E, 0);
    }
}

static void check_tables(ctx *C)
{
    gm_unit *u = &C->r->all;
    for (int i = 0; i < u->nfuse; i++) {
        gm_fuse *f = &u->fuse[i];
        const char *side[2] = {f->first, f->second};
        gm_loc sloc[2] = {f->loc_first, f->loc_second};
        for (int k = 0; k < 2; k++)
            if (strcmp(side[k], "*") && !is_mapping(C->r, side[k]))
                gm_error(C->d, sloc[k].src ? sloc[k] : f->loc,
                         "fuse entry names unknown mapping type '%s'", side[k]);
        if (f->result && strcmp(f->result, "first") && strcmp(f->result, "second") &&
            !is_mapping(C->r, f->result))
            gm_error(C->d, f->loc_result.src ? f->loc_result : f->loc,
                     "fuse entry result '%s' is not a mapping type (nor first / second)",
                     f->result);
        for (int j = 0; j < i; j++)
            if (!strcmp(u->fuse[j].first, f->first) && !strcmp(u->fuse[j].second, f->second)) {
                gm_error(C->d, f->loc, "duplicate fuse entry %s + %s (first at %s:%d)", f->first,
                         f->second, gm_src_name(u->fuse[j].loc.src), u->fuse[j].loc.line);
                break;
            }
    }
    for (int i = 0; i < u->nedges; i++) {
        gm_edge *e = &u->edges[i];
        const char *side[2] = {e->producer, e->consumer};
        gm_loc sloc[2] = {e->loc_producer, e->loc_consumer};
        for (int k = 0; k < 2; k++)
            if (strcmp(side[k], "*") && !is_layout(C->r, side[k]))
                gm_error(C->d, sloc[k].src ? sloc[k] : e->loc,
                         "edge entry names unknown layout group '%s'", side[k]);
        for (int j = 0; j < i; j++)
            if (!strcmp(u->edges[j].producer, e->producer) &&
                !strcmp(u->edges[j].consumer, e->consumer)) {
                gm_error(C->d, e->loc, "duplicate edge entry %s -> %s (first at %s:%d)",
                         e->producer, e->consumer, gm_src_name(u->edges[j].loc.src),
                         u->edges[j].loc.line);
                break;
            }
    }
}

/* ------------------------------------------------------------------ */
/* Rules                                                               */
/* ------------------------------------------------------------------ */

/* The left side with variables renamed in order of appearance, so that two
   patterns that match the same terms print the same. */
static void canon(const gm_expr *e, const char **names, int *n, FILE *f)
{
    if (e->kind == GM_NAME) {
        for (int i = 0; i < *n; i++)
            if (!strcmp(names[i], e->str)) {
                fprintf(f, "$%d", i);
                return;
            }
        if (*n < MAX_VARS) names[(*n)++] = e->str;
        fprintf(f, "$%d", *n - 1);
        return;
    }
    if (e->kind == GM_APP) {
        fprintf(f, "%s::%s(", e->domain, e->str);
        for (int i = 0; i < e->nargs; i++) {
            canon(e->args[i], names, n, f);
            fputc(',', f);
        }
        fputc(')', f);
        fputc('[', f);
        for (int i = 0; i < e->nattrs; i++) {
            fprintf(f, "%s=", e->attrs[i].name);
            canon(e->attrs[i].value, names, n, f);
            fputc(',', f);
        }
        fputc(']', f);
        return;
    }
    if (e->kind == GM_LIST || e->kind == GM_UNARY || e->kind == GM_BINARY || e->kind == GM_CALL) {
        fprintf(f, "%d:%d:%s(", (int)e->kind, e->op, e->str ? e->str : "");
        for (int i = 0; i < e->nargs; i++) {
            canon(e->args[i], names, n, f);
            fputc(',', f);
        }
        fputc(')', f);
        return;
    }
    gm_expr_print(e, f);
}

static char *canon_str(const gm_rule *r)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) abort();
    const char *names[MAX_VARS];
    int n = 0;
    canon(r->lhs, names, &n, f);
    fputs(" if ", f);
    if (r->guard) canon(r->guard, names, &n, f);
    fclose(f);
    return buf;
}

static void check_rule(ctx *C, gm_rule *r, int idx)
{
    gm_unit *u = &C->r->all;
    rname *h = NULL;
    HASH_FIND_STR(C->names, r->name, h);
    if (h)
        gm_error(C->d, r->loc, "rule '%s' defined twice (first at %s:%d)", r->name,
                 gm_src_name(u->rules[h->idx].loc.src), u->rules[h->idx].loc.line);
    else {
        h = dn_arena_alloc(C->r->A, sizeof *h);
        h->idx = idx;
        HASH_ADD_KEYPTR(hh, C->names, r->name, strlen(r->name), h);
    }
    resolve(C, r->lhs);
    resolve(C, r->rhs);
    resolve(C, r->guard);
    env L = {0}, R = {0};
    if (r->lhs->kind != GM_APP)
        gm_error(C->d, r->lhs->loc, "the left side of a rule must be an operator application");
    else
        term(C, r->lhs, &L, 1);
    if (r->bidir) {
        if (r->rhs->kind != GM_APP)
            gm_error(C->d, r->rhs->loc, "both sides of a <=> rule must be operator applications");
        else
            term(C, r->rhs, &R, 1);
        for (int i = 0; i < L.n; i++)
            if (!lookup(&R, L.v[i].name))
                gm_error(C->d, r->rhs->loc, "'%s' is bound on the left but not on the right of <=>",
                         L.v[i].name);
        for (int i = 0; i < R.n; i++)
            if (!lookup(&L, R.v[i].name))
                gm_error(C->d, R.v[i].loc, "unbound variable '%s'", R.v[i].name);
    } else
        term(C, r->rhs, &L, 0);
    if (r->guard) expr(C, r->guard, &L);
    for (int i = 0; i < r->ninst; i++)
        for (int k = 0; k < r->inst[i].n; k++) {
            gm_binding *b = &r->inst[i].b[k];
            var *v = lookup(&L, b->var);
            if (!v)
                gm_error(C->d, b->loc,
                         "'with' binds '%s', which is not a variable of the left side", b->var);
            else if (v->kind == V_TENSOR && !b->type)
                gm_error(C->d, b->loc, "tensor '%s' needs a type in 'with' (%s: f32[2,3])", b->var,
                         b->var);
            else if (v->kind == V_ATTR && (b->type || !b->value))
                gm_error(C->d, b->loc, "attribute '%s' takes a value in 'with' (%s = ...)", b->var,
                         b->var);
            if (b->type && b->type->dtype && dn_dtype_parse(b->type->dtype) == DN_UNDEF)
                gm_error(C->d, b->type->loc, "unknown dtype '%s'", b->type->dtype);
        }
}

/* Sorting the canonical keys finds equal ones in O(n log n), so a library
   of thousands of rules checks as fast as a small one. */
typedef struct okey {
    char *key;
    int prio, idx;
} okey;

static int okey_cmp(const void *pa, const void *pb)
{
    const okey *a = pa, *b = pb;
    int c = strcmp(a->key, b->key);
    if (c) return c;
    if (a->prio != b->prio) return a->prio < b->prio ? -1 : 1;
    return a->idx - b->idx;
}

static void check_overlaps(ctx *C)
{
    gm_unit *u = &C->r->all;
    int n = u->nrules;
    okey *k = calloc((size_t)(n ? n : 1), sizeof *k);
    int *first = malloc((size_t)(n ? n : 1) * sizeof *first); /* per rule: the rule it repeats, or -1 */
    if (!k || !first) abort();
    for (int i = 0; i < n; i++) {
        k[i] = (okey){canon_str(&u->rules[i]), u->rules[i].priority, i};
        first[i] = -1;
    }
    qsort(k, (size_t)n, sizeof *k, okey_cmp);
    for (int i = 1; i < n; i++) {
        int g = i;
        while (g > 0 && k[g - 1].prio == k[i].prio && !strcmp(k[g - 1].key, k[i].key)) g--;
        if (g != i) first[k[i].idx] = k[g].idx;
    }
    for (int i = 0; i < n; i++) /* report in file order */
        if (first[i] >= 0) {
            const gm_rule *a = &u->rules[first[i]], *b = &u->rules[i];
            gm_error(C->d, b->loc,
                     "rule '%s' overlaps rule '%s' (%s:%d): same pattern and guard at equal priority %d",
                     b->name, a->name, gm_src_name(a->loc.src), a->loc.line, b->priority);
        }
    for (int i = 0; i < n; i++) free(k[i].key);
    free(k);
    free(first);
}

void gm_check(gm_rules *r, gm_diags *d)
{
    ctx C = {r, d, NULL};
    check_lattice(&C);
    for (int i = 0; i < r->all.nops; i++)
        check_op(&C, &r->all.ops[i], i);
    check_tables(&C);
    for (int i = 0; i < r->all.nrules; i++)
        check_rule(&C, &r->all.rules[i], i);
    check_overlaps(&C);
    HASH_CLEAR(hh, C.names); /* the entries themselves are in the arena */
}
