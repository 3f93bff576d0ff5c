/* parser.y -- the grammar of `.rules` and `.graph` files (Bison).
 *
 * A file is a sequence of statements, each ended by `;`:
 *
 *   include "ops.rules";
 *   mapping one_to_one < reorganize, shuffle < one_to_many < many_to_many;
 *   layouts ild_var, ild_fixed, ili_var, ili_fixed;
 *   op Conv(X, W, B?) [group:int=1, strides:ints] : many_to_many, ild_var,
 *      cost(flops = 2 * numel(out) * numel(W) / dim(W, 0));
 *   fuse one_to_one + * => second;
 *   edge ild_var -> ild_fixed : eliminate second, search first;
 *   rule mul_comm: Mul(a, b) => Mul(b, a);
 *   graph g opset 17 { input x: f32[1,4]; y: f32[1,4] = Relu(x) @r; output y; }
 *
 * docs/rules-language.md is the reference; this file is the grammar it
 * describes.  Decisions worth a paragraph:
 *
 * - Keywords are reserved only where a statement needs them.  `name`
 *   accepts every keyword, so a graph may call a value `input` or
 *   `output` -- exporters do -- and ir_print's output always parses.
 *   Variables in rules are plain identifiers.
 *
 * - Operator applications and builtin calls share one production,
 *   NAME(args)[attrs]: whether `compose(p, q)` is a function or an
 *   operator is a question of declarations, answered in check.c, not of
 *   syntax.  That keeps the grammar LALR(1) with no conflicts and lets a
 *   rule library add operators without touching the grammar.
 *
 * - Error recovery is per statement (`error ';'`), so one run reports
 *   every broken statement, not only the first.
 *
 * - Expressions nest at most GM_MAX_DEPTH deep; deeper input is an error
 *   and the excess is dropped, so no later walk can exhaust the C stack.
 */
%define api.pure full
%define parse.error detailed
%locations
%param {gm_parser *P}

%code requires {
#include "internal.h"
}

%code provides {
int gm_lex(YYSTYPE *lval, YYLTYPE *lloc, gm_parser *P);
}

%code {
#include <string.h>

#define yylex gm_lex

static gm_loc L(gm_parser *P, YYLTYPE l)
{
    gm_loc r = {P->src, l.first_line, l.first_column};
    return r;
}

static void yyerror(YYLTYPE *l, gm_parser *P, const char *msg)
{
    gm_error(P->d, L(P, *l), "%s", msg);
}

/* Depth of an expression made of the given children; an expression that
   would nest too deeply is reported and replaced by its first child. */
static gm_expr *bound(gm_parser *P, gm_expr *e)
{
    int d = 0;
    for (int i = 0; i < e->nargs; i++)
        if (e->args[i] && e->args[i]->depth > d) d = e->args[i]->depth;
    for (int i = 0; i < e->nattrs; i++)
        if (e->attrs[i].value && e->attrs[i].value->depth > d) d = e->attrs[i].value->depth;
    e->depth = d + 1;
    if (e->depth > GM_MAX_DEPTH) {
        if (e->depth == GM_MAX_DEPTH + 1)
            gm_error(P->d, e->loc, "expression nested more than %d deep", GM_MAX_DEPTH);
        return e->nargs ? e->args[0] : gm_mk(P, GM_OMIT, e->loc);
    }
    return e;
}

static gm_expr *app(gm_parser *P, YYLTYPE l, const char *dom, const char *name, gm_plist *args,
                    gm_plist *attrs)
{
    gm_expr *e = gm_mk(P, GM_APP, L(P, l));
    e->domain = dom ? dom : "";
    e->str = name;
    if (args) {
        e->nargs = args->n;
        e->args = dn_arena_alloc(P->A, (size_t)(args->n ? args->n : 1) * sizeof *e->args);
        for (int i = 0; i < args->n; i++) {
            gm_attrval *a = args->v[i]; /* arguments come as (name?, value) pairs */
            e->args[i] = a->value;
            if (a->name) {
                if (!e->argnames) e->argnames = dn_arena_alloc(P->A, (size_t)args->n * sizeof(char *));
                e->argnames[i] = a->name;
            }
        }
    }
    if (attrs) {
        e->has_attrs = 1;
        e->nattrs = attrs->n;
        e->attrs = dn_arena_alloc(P->A, (size_t)(attrs->n ? attrs->n : 1) * sizeof *e->attrs);
        for (int i = 0; i < attrs->n; i++) e->attrs[i] = *(gm_attrval *)attrs->v[i];
    }
    return bound(P, e);
}

static gm_attrval *av(gm_parser *P, YYLTYPE l, const char *name, gm_expr *v)
{
    gm_attrval *a = dn_arena_alloc(P->A, sizeof *a);
    a->name = name;
    a->value = v;
    a->loc = L(P, l);
    return a;
}

static gm_expr *list(gm_parser *P, YYLTYPE l, gm_plist *items)
{
    gm_expr *e = gm_mk(P, GM_LIST, L(P, l));
    if (items) {
        e->nargs = items->n;
        e->args = dn_arena_alloc(P->A, (size_t)(items->n ? items->n : 1) * sizeof *e->args);
        for (int i = 0; i < items->n; i++) e->args[i] = items->v[i];
    }
    return bound(P, e);
}

static gm_expr *bin(gm_parser *P, int op, gm_expr *a, gm_expr *b, YYLTYPE l)
{
    return bound(P, gm_mk_bin(P, op, a, b, L(P, l)));
}

static gm_expr *un(gm_parser *P, int op, gm_expr *a, YYLTYPE l)
{
    return bound(P, gm_mk_un(P, op, a, L(P, l)));
}

static gm_type *mktype(gm_parser *P, YYLTYPE l, const char *dtype, gm_plist *dims)
{
    gm_type *t = dn_arena_alloc(P->A, sizeof *t);
    t->dtype = dtype;
    t->loc = L(P, l);
    int n = dims ? dims->n : 0;
    if (n == 1 && (intptr_t)dims->v[0] == -2) { /* [*]: rank unknown */
        t->rank = -1;
        return t;
    }
    if (n > DN_MAX_RANK) {
        gm_error(P->d, t->loc, "rank %d exceeds the maximum %d", n, DN_MAX_RANK);
        n = DN_MAX_RANK;
    }
    t->rank = n;
    double total = 1; /* element counts must fit int64 everywhere downstream */
    for (int i = 0; i < n; i++) {
        intptr_t v = (intptr_t)dims->v[i];
        if (v == -2) {
            gm_error(P->d, t->loc, "'*' (unknown rank) must be the only dim");
            v = -1;
        }
        if (v > 0) total *= (double)v;
        t->d[i] = v;
    }
    if (total > 4611686018427387904.0) {
        gm_error(P->d, t->loc, "a shape of more than 2^62 elements");
        for (int i = 0; i < n; i++) t->d[i] = 1;
    }
    return t;
}

#define U (P->unit)
#define PUSH(arr, n, cap, x) gm_push(P->A, &U->arr, &U->n, &U->cap, &(x), sizeof(x))

static void add_fuse(gm_parser *P, YYLTYPE l, const char *a, const char *b, gm_plist *words)
{
    gm_fuse f = {a, b, NULL, GM_FUSE, L(P, l), {0}, {0}, {0}};
    int have_verdict = 0;
    for (int i = 0; i < words->n; i++) {
        const char *w = words->v[i];
        if (!strcmp(w, "fuse") || !strcmp(w, "profile") || !strcmp(w, "break")) {
            if (have_verdict++) gm_error(P->d, f.loc, "two verdicts in one fuse entry");
            f.verdict = !strcmp(w, "fuse") ? GM_FUSE : !strcmp(w, "profile") ? GM_PROFILE : GM_BREAK;
        } else if (f.result)
            gm_error(P->d, f.loc, "two result types ('%s' and '%s') in one fuse entry", f.result, w);
        else
            f.result = w;
    }
    if (f.verdict == GM_BREAK && f.result)
        gm_error(P->d, f.loc, "a 'break' entry has no result type (got '%s')", f.result);
    PUSH(fuse, nfuse, capfuse, f);
}

/* edge P -> C : action [, search first|second|both|none] */
static void add_edge(gm_parser *P, YYLTYPE l, const char *a, const char *b, gm_plist *groups)
{
    gm_edge e = {a, b, 0, GM_SEARCH_NONE, L(P, l), {0}, {0}};
    int bad = 0;
    for (int g = 0; g < groups->n; g++) {
        gm_plist *w = groups->v[g];
        const char *w0 = w->v[0], *w1 = w->n > 1 ? w->v[1] : NULL;
        int act = 0, ok = w->n <= 2;
        if (!strcmp(w0, "keep") && !w1)
            act = GM_KEEP;
        else if (!strcmp(w0, "try_fuse") && !w1)
            act = GM_TRY_FUSE;
        else if (!strcmp(w0, "try") && w1 && !strcmp(w1, "fuse"))
            act = GM_TRY_FUSE;
        else if (!strcmp(w0, "eliminate") && w1 && !strcmp(w1, "first"))
            act = GM_ELIM_FIRST;
        else if (!strcmp(w0, "eliminate") && w1 && !strcmp(w1, "second"))
            act = GM_ELIM_SECOND;
        else if (!strcmp(w0, "eliminate") && w1 && !strcmp(w1, "both"))
            act = GM_ELIM_BOTH;
        else if (!strcmp(w0, "search") && w1) {
            int s = !strcmp(w1, "first") ? GM_SEARCH_FIRST : !strcmp(w1, "second") ? GM_SEARCH_SECOND
                    : !strcmp(w1, "both") ? GM_SEARCH_BOTH : !strcmp(w1, "none") ? GM_SEARCH_NONE : -1;
            if (s < 0 || !ok)
                gm_error(P->d, e.loc, "expected 'search first', 'search second', 'search both' or 'search none'");
            else
                e.search = s;
            continue;
        } else
            ok = 0;
        if (!ok) {
            bad = 1;
            gm_error(P->d, e.loc, "unknown edge action '%s%s%s' (expected keep, try fuse, eliminate first, eliminate second or eliminate both)",
                     w0, w1 ? " " : "", w1 ? w1 : "");
            continue;
        }
        if (e.action) gm_error(P->d, e.loc, "two actions in one edge entry");
        e.action = act;
    }
    if (!e.action && !bad) gm_error(P->d, e.loc, "edge entry without an action");
    PUSH(edges, nedges, capedges, e);
}
}

%union {
    const char *str;
    int64_t inum;
    double num;
    gm_expr *e;
    gm_plist *list;
    gm_type *type;
    gm_attrval *av;
    void *ptr;
    int i;
}

%token GM_EOF 0 "end of file"
%token <str> T_IDENT "identifier" T_STRING "string"
%token <inum> T_INT "integer"
%token <num> T_FLOAT "number"
%token <str> KW_INCLUDE "include" KW_MAPPING "mapping" KW_LAYOUTS "layouts" KW_OP "op"
%token <str> KW_FUSE "fuse" KW_EDGE "edge" KW_RULE "rule" KW_IF "if" KW_PRIORITY "priority"
%token <str> KW_WITH "with" KW_GRAPH "graph" KW_OPSET "opset" KW_INPUT "input"
%token <str> KW_OUTPUT "output" KW_WEIGHT "weight" KW_CONST "const" KW_TENSOR "tensor"
%token T_ARROW "=>" T_BIARROW "<=>" T_EDGEARROW "->" T_LE "<=" T_GE ">=" T_EQ "=="
%token T_NE "!=" T_AND "&&" T_OR "||" T_DCOLON "::" T_ELLIPSIS "..."

%left T_OR
%left T_AND
%nonassoc '<' '>' T_LE T_GE T_EQ T_NE
%left '+' '-'
%left '*' '/' '%'
%precedence UNARY

%type <str> name keyword mtype word
%type <e> expr primary guard_opt body_opt
%type <list> maplevels maplevel idlist words wordgroups params attrdecls args args_opt
%type <list> attrdecl_list attrvals attrvals_opt attrs_opt exprs exprs_opt dims dims_opt props withs bindings
%type <list> gstmts gouts gargs gargs_opt
%type <ptr> param attrdecl binding gstmt gout
%type <av> arg attrval prop
%type <type> type
%type <i> prio_opt dim arrow
%type <inum> signed_int

%%

file: %empty
    | file item
    ;

item: KW_INCLUDE T_STRING ';' {
        gm_include inc = {$2, L(P, @2)};
        PUSH(inc, ninc, capinc, inc);
      }
    | KW_MAPPING maplevels ';' {
        if (U->nmapdecl++)
            gm_error(P->d, L(P, @1), "the mapping lattice is declared twice (first at %s:%d)",
                     gm_src_name(U->mapdecl_loc.src), U->mapdecl_loc.line);
        else {
            U->mapdecl_loc = L(P, @1);
            for (int lv = 0; lv < $2->n; lv++) {
                gm_plist *level = $2->v[lv];
                for (int k = 0; k < level->n; k++) {
                    gm_maplevel m = *(gm_maplevel *)level->v[k];
                    m.level = lv;
                    PUSH(map, nmap, capmap, m);
                }
            }
        }
      }
    | KW_LAYOUTS idlist ';' {
        for (int k = 0; k < $2->n; k++) {
            gm_maplevel *m = $2->v[k];
            gm_layoutname ln = {m->name, m->loc};
            PUSH(lay, nlay, caplay, ln);
        }
      }
    | opdecl
    | KW_FUSE mtype '+' mtype T_ARROW words ';' {
        add_fuse(P, @1, $2, $4, $6);
        U->fuse[U->nfuse - 1].loc_first = L(P, @2);
        U->fuse[U->nfuse - 1].loc_second = L(P, @4);
        U->fuse[U->nfuse - 1].loc_result = L(P, @6);
      }
    | KW_EDGE mtype T_EDGEARROW mtype ':' wordgroups ';' {
        add_edge(P, @1, $2, $4, $6);
        U->edges[U->nedges - 1].loc_producer = L(P, @2);
        U->edges[U->nedges - 1].loc_consumer = L(P, @4);
      }
    | rule
    | graph
    | error ';' { yyerrok; }
    | error '}' { yyerrok; }
    ;

/* ---- the mapping lattice ---- */

maplevels: maplevel { $$ = gm_plist_add(P->A, gm_plist_new(P->A), $1); }
    | maplevels '<' maplevel { $$ = gm_plist_add(P->A, $1, $3); }
    ;
maplevel: idlist
    ;
idlist: T_IDENT {
        gm_maplevel *m = dn_arena_alloc(P->A, sizeof *m);
        m->name = $1; m->loc = L(P, @1);
        $$ = gm_plist_add(P->A, gm_plist_new(P->A), m);
      }
    | idlist ',' T_IDENT {
        gm_maplevel *m = dn_arena_alloc(P->A, sizeof *m);
        m->name = $3; m->loc = L(P, @3);
        $$ = gm_plist_add(P->A, $1, m);
      }
    ;

mtype: T_IDENT | '*' { $$ = "*"; }
    ;

/* verdicts and actions are plain words; `fuse` is one of them, so a word
   may be a keyword */
word: T_IDENT | keyword
    ;
words: word { $$ = gm_plist_add(P->A, gm_plist_new(P->A), (void *)$1); }
    | words word { $$ = gm_plist_add(P->A, $1, (void *)$2); }
    | words ',' word { $$ = gm_plist_add(P->A, $1, (void *)$3); }
    ;
wordgroups: word {
        $$ = gm_plist_add(P->A, gm_plist_new(P->A), gm_plist_add(P->A, gm_plist_new(P->A), (void *)$1));
      }
    | wordgroups word {
        gm_plist *last = $1->v[$1->n - 1];
        gm_plist_add(P->A, last, (void *)$2);
        $$ = $1;
      }
    | wordgroups ',' word {
        $$ = gm_plist_add(P->A, $1, gm_plist_add(P->A, gm_plist_new(P->A), (void *)$3));
      }
    ;

/* ---- operator declarations ---- */

opdecl: KW_OP name '(' params ')' attrdecls ':' props body_opt ';' {
        gm_opdecl *o = dn_arena_alloc(P->A, sizeof *o);
        o->nprops = $8->n;
        o->props = dn_arena_alloc(P->A, (size_t)$8->n * sizeof *o->props);
        for (int i = 0; i < $8->n; i++) o->props[i] = *(gm_attrval *)$8->v[i];
        o->domain = "";
        o->name = $2;
        o->loc = L(P, @2);
        o->nparams = $4->n;
        o->params = dn_arena_alloc(P->A, (size_t)($4->n ? $4->n : 1) * sizeof *o->params);
        for (int i = 0; i < $4->n; i++) o->params[i] = *(gm_param *)$4->v[i];
        o->nattrs = $6->n;
        o->attrs = dn_arena_alloc(P->A, (size_t)($6->n ? $6->n : 1) * sizeof *o->attrs);
        for (int i = 0; i < $6->n; i++) o->attrs[i] = *(gm_attrdecl *)$6->v[i];
        o->body = $9;
        PUSH(ops, nops, capops, *o);
      }
    | KW_OP name T_DCOLON name '(' params ')' attrdecls ':' props body_opt ';' {
        gm_opdecl *o = dn_arena_alloc(P->A, sizeof *o);
        o->nprops = $10->n;
        o->props = dn_arena_alloc(P->A, (size_t)$10->n * sizeof *o->props);
        for (int i = 0; i < $10->n; i++) o->props[i] = *(gm_attrval *)$10->v[i];
        o->domain = $2;
        o->name = $4;
        o->loc = L(P, @4);
        o->nparams = $6->n;
        o->params = dn_arena_alloc(P->A, (size_t)($6->n ? $6->n : 1) * sizeof *o->params);
        for (int i = 0; i < $6->n; i++) o->params[i] = *(gm_param *)$6->v[i];
        o->nattrs = $8->n;
        o->attrs = dn_arena_alloc(P->A, (size_t)($8->n ? $8->n : 1) * sizeof *o->attrs);
        for (int i = 0; i < $8->n; i++) o->attrs[i] = *(gm_attrdecl *)$8->v[i];
        o->body = $11;
        PUSH(ops, nops, capops, *o);
      }
    ;

params: %empty { $$ = gm_plist_new(P->A); }
    | param { $$ = gm_plist_add(P->A, gm_plist_new(P->A), $1); }
    | params ',' param { $$ = gm_plist_add(P->A, $1, $3); }
    ;
param: name {
        gm_param *p = dn_arena_alloc(P->A, sizeof *p);
        p->name = $1; p->loc = L(P, @1);
        $$ = p;
      }
    | param '?' { ((gm_param *)$1)->optional = 1; $$ = $1; }
    | param T_ELLIPSIS { ((gm_param *)$1)->variadic = 1; $$ = $1; }
    | param ':' T_IDENT { ((gm_param *)$1)->dtype = $3; $$ = $1; }
    ;

attrdecls: %empty { $$ = gm_plist_new(P->A); }
    | '[' ']' { $$ = gm_plist_new(P->A); }
    | '[' attrdecl_list ']' { $$ = $2; }
    ;
attrdecl_list: attrdecl { $$ = gm_plist_add(P->A, gm_plist_new(P->A), $1); }
    | attrdecl_list ',' attrdecl { $$ = gm_plist_add(P->A, $1, $3); }
    ;
attrdecl: name ':' T_IDENT {
        gm_attrdecl *a = dn_arena_alloc(P->A, sizeof *a);
        a->name = $1; a->loc = L(P, @1);
        const char *t = $3;
        a->type = !strcmp(t, "int") ? IR_ATTR_INT : !strcmp(t, "float") ? IR_ATTR_FLOAT
                : !strcmp(t, "string") ? IR_ATTR_STRING : !strcmp(t, "ints") ? IR_ATTR_INTS
                : !strcmp(t, "floats") ? IR_ATTR_FLOATS : !strcmp(t, "strings") ? IR_ATTR_STRINGS : 0;
        if (!a->type) gm_error(P->d, L(P, @3), "unknown attribute type '%s' (int, float, string, ints, floats, strings)", t);
        $$ = a;
      }
    | name ':' T_IDENT '=' expr {
        gm_attrdecl *a = dn_arena_alloc(P->A, sizeof *a);
        a->name = $1; a->loc = L(P, @1); a->dflt = $5;
        const char *t = $3;
        a->type = !strcmp(t, "int") ? IR_ATTR_INT : !strcmp(t, "float") ? IR_ATTR_FLOAT
                : !strcmp(t, "string") ? IR_ATTR_STRING : !strcmp(t, "ints") ? IR_ATTR_INTS
                : !strcmp(t, "floats") ? IR_ATTR_FLOATS : !strcmp(t, "strings") ? IR_ATTR_STRINGS : 0;
        if (!a->type) gm_error(P->d, L(P, @3), "unknown attribute type '%s' (int, float, string, ints, floats, strings)", t);
        $$ = a;
      }
    ;

/* Properties are kept as written; check.c sorts them into mapping type,
   layout group, algebraic properties and cost, once every file is read. */
props: prop { $$ = gm_plist_add(P->A, gm_plist_new(P->A), $1); }
    | props ',' prop { $$ = gm_plist_add(P->A, $1, $3); }
    ;
prop: T_IDENT { $$ = av(P, @1, $1, NULL); }
    | T_IDENT '(' args_opt ')' { $$ = av(P, @1, $1, app(P, @1, NULL, $1, $3, NULL)); }
    ;

body_opt: %empty { $$ = NULL; }
    | '=' expr { $$ = $2; }
    ;

/* ---- rewrite rules ---- */

rule: KW_RULE name prio_opt ':' expr arrow expr guard_opt withs ';' {
        gm_rule r = {0};
        r.name = $2;
        r.loc = L(P, @2);
        r.priority = $3;
        r.lhs = $5;
        r.bidir = $6;
        r.rhs = $7;
        r.guard = $8;
        r.ninst = $9->n;
        r.inst = dn_arena_alloc(P->A, (size_t)($9->n ? $9->n : 1) * sizeof *r.inst);
        for (int i = 0; i < $9->n; i++) r.inst[i] = *(gm_instance *)$9->v[i];
        PUSH(rules, nrules, caprules, r);
      }
    ;
arrow: T_ARROW { $$ = 0; } | T_BIARROW { $$ = 1; }
    ;
prio_opt: %empty { $$ = 0; }
    | KW_PRIORITY signed_int {
        if ($2 < -1000000 || $2 > 1000000) gm_error(P->d, L(P, @2), "priority out of range");
        $$ = (int)($2 < -1000000 ? -1000000 : $2 > 1000000 ? 1000000 : $2);
      }
    ;
signed_int: T_INT | '-' T_INT { $$ = -$2; }
    ;
guard_opt: %empty { $$ = NULL; }
    | KW_IF expr { $$ = $2; }
    ;
withs: %empty { $$ = gm_plist_new(P->A); }
    | withs KW_WITH bindings {
        gm_instance *in = dn_arena_alloc(P->A, sizeof *in);
        in->loc = L(P, @2);
        in->n = $3->n;
        in->b = dn_arena_alloc(P->A, (size_t)$3->n * sizeof *in->b);
        for (int i = 0; i < $3->n; i++) in->b[i] = *(gm_binding *)$3->v[i];
        $$ = gm_plist_add(P->A, $1, in);
      }
    ;
bindings: binding { $$ = gm_plist_add(P->A, gm_plist_new(P->A), $1); }
    | bindings ',' binding { $$ = gm_plist_add(P->A, $1, $3); }
    ;
binding: T_IDENT ':' type {
        gm_binding *b = dn_arena_alloc(P->A, sizeof *b);
        b->var = $1; b->type = $3; b->loc = L(P, @1);
        $$ = b;
      }
    | T_IDENT ':' type '=' expr {
        gm_binding *b = dn_arena_alloc(P->A, sizeof *b);
        b->var = $1; b->type = $3; b->value = $5; b->loc = L(P, @1);
        $$ = b;
      }
    | T_IDENT '=' expr {
        gm_binding *b = dn_arena_alloc(P->A, sizeof *b);
        b->var = $1; b->value = $3; b->loc = L(P, @1);
        $$ = b;
      }
    ;

/* ---- expressions: terms, guards, computed attributes, costs, literals ---- */

expr: primary
    | '-' expr %prec UNARY { $$ = un(P, '-', $2, @1); }
    | '!' expr %prec UNARY { $$ = un(P, '!', $2, @1); }
    | expr '+' expr { $$ = bin(P, '+', $1, $3, @2); }
    | expr '-' expr { $$ = bin(P, '-', $1, $3, @2); }
    | expr '*' expr { $$ = bin(P, '*', $1, $3, @2); }
    | expr '/' expr { $$ = bin(P, '/', $1, $3, @2); }
    | expr '%' expr { $$ = bin(P, '%', $1, $3, @2); }
    | expr '<' expr { $$ = bin(P, '<', $1, $3, @2); }
    | expr '>' expr { $$ = bin(P, '>', $1, $3, @2); }
    | expr T_LE expr { $$ = bin(P, GM_OP_LE, $1, $3, @2); }
    | expr T_GE expr { $$ = bin(P, GM_OP_GE, $1, $3, @2); }
    | expr T_EQ expr { $$ = bin(P, GM_OP_EQ, $1, $3, @2); }
    | expr T_NE expr { $$ = bin(P, GM_OP_NE, $1, $3, @2); }
    | expr T_AND expr { $$ = bin(P, GM_OP_AND, $1, $3, @2); }
    | expr T_OR expr { $$ = bin(P, GM_OP_OR, $1, $3, @2); }
    ;

primary: T_INT {
        $$ = gm_mk(P, GM_NUM, L(P, @1));
        $$->is_int = 1; $$->inum = $1; $$->num = (double)$1; $$->depth = 1;
      }
    | T_FLOAT {
        $$ = gm_mk(P, GM_NUM, L(P, @1));
        $$->num = $1; $$->depth = 1;
      }
    | T_STRING { $$ = gm_mk(P, GM_STR, L(P, @1)); $$->str = $1; $$->depth = 1; }
    | T_IDENT {
        $$ = gm_mk(P, strcmp($1, "_") ? GM_NAME : GM_OMIT, L(P, @1));
        $$->str = $1; $$->depth = 1;
      }
    | keyword { $$ = gm_mk(P, GM_NAME, L(P, @1)); $$->str = $1; $$->depth = 1; }
    | T_IDENT '(' args_opt ')' attrs_opt { $$ = app(P, @1, NULL, $1, $3, $5); }
    | T_IDENT T_DCOLON T_IDENT '(' args_opt ')' attrs_opt { $$ = app(P, @1, $1, $3, $5, $7); }
    | '[' exprs_opt ']' { $$ = list(P, @1, $2); }
    | '(' expr ')' { $$ = $2; }
    | KW_TENSOR '(' type ')' {
        $$ = gm_mk(P, GM_TENSOR, L(P, @1)); $$->type = $3; $$->depth = 1;
      }
    | KW_TENSOR '(' type ',' expr ')' {
        $$ = gm_mk(P, GM_TENSOR, L(P, @1)); $$->type = $3;
        $$->nargs = 1; $$->args = dn_arena_alloc(P->A, sizeof *$$->args); $$->args[0] = $5;
        $$ = bound(P, $$);
      }
    ;

args_opt: %empty { $$ = gm_plist_new(P->A); }
    | args
    ;
args: arg { $$ = gm_plist_add(P->A, gm_plist_new(P->A), $1); }
    | args ',' arg { $$ = gm_plist_add(P->A, $1, $3); }
    ;
arg: expr { $$ = av(P, @1, NULL, $1); }
    | T_IDENT '=' expr { $$ = av(P, @1, $1, $3); }
    ;

attrs_opt: %empty { $$ = NULL; }
    | '[' attrvals_opt ']' { $$ = $2; }
    ;
attrvals_opt: %empty { $$ = gm_plist_new(P->A); }
    | attrvals
    ;
attrvals: attrval { $$ = gm_plist_add(P->A, gm_plist_new(P->A), $1); }
    | attrvals ',' attrval { $$ = gm_plist_add(P->A, $1, $3); }
    ;
attrval: name '=' expr { $$ = av(P, @1, $1, $3); }
    ;

exprs_opt: %empty { $$ = gm_plist_new(P->A); }
    | exprs
    ;
exprs: expr { $$ = gm_plist_add(P->A, gm_plist_new(P->A), $1); }
    | exprs ',' expr { $$ = gm_plist_add(P->A, $1, $3); }
    ;

/* ---- types: f32[1,3,?,224]; [*] is a value of unknown rank ---- */

type: name '[' dims_opt ']' { $$ = mktype(P, @1, $1, $3); }
    | '?' '[' dims_opt ']' { $$ = mktype(P, @1, "?", $3); }
    | '[' dims_opt ']' { $$ = mktype(P, @1, NULL, $2); }
    ;
dims_opt: %empty { $$ = gm_plist_new(P->A); }
    | dims
    ;
dims: dim { $$ = gm_plist_add(P->A, gm_plist_new(P->A), (void *)(intptr_t)$1); }
    | dims ',' dim { $$ = gm_plist_add(P->A, $1, (void *)(intptr_t)$3); }
    ;
dim: T_INT {
        if ($1 > 1000000000) { gm_error(P->d, L(P, @1), "dim %lld is too large", (long long)$1); $$ = 1; }
        else $$ = (int)$1;
      }
    | '?' { $$ = -1; }
    | '*' { $$ = -2; }
    ;

/* ---- graphs ---- */

graph: KW_GRAPH name KW_OPSET T_INT '{' gstmts '}' {
        gm_graph g = {0};
        g.name = $2;
        g.opset = $4;
        g.loc = L(P, @1);
        g.nstmts = $6->n;
        g.stmts = dn_arena_alloc(P->A, (size_t)($6->n ? $6->n : 1) * sizeof *g.stmts);
        for (int i = 0; i < $6->n; i++) g.stmts[i] = *(gm_gstmt *)$6->v[i];
        PUSH(graphs, ngraphs, capgraphs, g);
      }
    ;
gstmts: %empty { $$ = gm_plist_new(P->A); }
    | gstmts gstmt { $$ = $2 ? gm_plist_add(P->A, $1, $2) : $1; }
    ;
gstmt: KW_INPUT name ':' type ';' {
        gm_gstmt *s = dn_arena_alloc(P->A, sizeof *s);
        s->kind = GM_G_INPUT; s->name = $2; s->type = $4; s->loc = L(P, @2);
        $$ = s;
      }
    | KW_WEIGHT name ':' type ';' {
        gm_gstmt *s = dn_arena_alloc(P->A, sizeof *s);
        s->kind = GM_G_WEIGHT; s->name = $2; s->type = $4; s->loc = L(P, @2);
        $$ = s;
      }
    | KW_CONST name ':' type '=' expr ';' {
        gm_gstmt *s = dn_arena_alloc(P->A, sizeof *s);
        s->kind = GM_G_CONST; s->name = $2; s->type = $4; s->value = $6; s->loc = L(P, @2);
        $$ = s;
      }
    | KW_OUTPUT name ';' {
        gm_gstmt *s = dn_arena_alloc(P->A, sizeof *s);
        s->kind = GM_G_OUTPUT; s->name = $2; s->loc = L(P, @2);
        $$ = s;
      }
    | gouts '=' name '(' gargs_opt ')' attrs_opt gat_opt ';' {
        gm_gstmt *s = dn_arena_alloc(P->A, sizeof *s);
        s->kind = GM_G_NODE; s->loc = L(P, @3);
        s->nouts = $1->n;
        s->outs = dn_arena_alloc(P->A, (size_t)$1->n * sizeof *s->outs);
        for (int i = 0; i < $1->n; i++) s->outs[i] = *(gm_gout *)$1->v[i];
        s->app = app(P, @3, NULL, $3, $5, $7);
        s->name = $<str>8;
        $$ = s;
      }
    | gouts '=' name T_DCOLON name '(' gargs_opt ')' attrs_opt gat_opt ';' {
        gm_gstmt *s = dn_arena_alloc(P->A, sizeof *s);
        s->kind = GM_G_NODE; s->loc = L(P, @5);
        s->nouts = $1->n;
        s->outs = dn_arena_alloc(P->A, (size_t)$1->n * sizeof *s->outs);
        for (int i = 0; i < $1->n; i++) s->outs[i] = *(gm_gout *)$1->v[i];
        s->app = app(P, @5, $3, $5, $7, $9);
        s->name = $<str>10;
        $$ = s;
      }
    | error ';' { yyerrok; $$ = NULL; }
    ;
gat_opt: %empty { $<str>$ = NULL; }
    | '@' name { $<str>$ = $2; }
    ;
gouts: gout { $$ = gm_plist_add(P->A, gm_plist_new(P->A), $1); }
    | gouts ',' gout { $$ = gm_plist_add(P->A, $1, $3); }
    ;
gout: name ':' type {
        gm_gout *o = dn_arena_alloc(P->A, sizeof *o);
        o->name = $1; o->type = $3; o->loc = L(P, @1);
        $$ = o;
      }
    | name {
        gm_gout *o = dn_arena_alloc(P->A, sizeof *o);
        o->loc = L(P, @1);
        if (strcmp($1, "_")) gm_error(P->d, o->loc, "output '%s' needs a type (NAME: TYPE), or `_` to leave it out", $1);
        $$ = o;
      }
    ;
gargs_opt: %empty { $$ = gm_plist_new(P->A); }
    | gargs
    ;
gargs: name {
        gm_expr *e = gm_mk(P, strcmp($1, "_") ? GM_NAME : GM_OMIT, L(P, @1));
        e->str = $1; e->depth = 1;
        $$ = gm_plist_add(P->A, gm_plist_new(P->A), av(P, @1, NULL, e));
      }
    | gargs ',' name {
        gm_expr *e = gm_mk(P, strcmp($3, "_") ? GM_NAME : GM_OMIT, L(P, @3));
        e->str = $3; e->depth = 1;
        $$ = gm_plist_add(P->A, $1, av(P, @3, NULL, e));
      }
    ;

name: T_IDENT | T_STRING | keyword
    ;
keyword: KW_INCLUDE | KW_MAPPING | KW_LAYOUTS | KW_OP | KW_FUSE | KW_EDGE | KW_RULE | KW_IF
    | KW_PRIORITY | KW_WITH | KW_GRAPH | KW_OPSET | KW_INPUT | KW_OUTPUT | KW_WEIGHT
    | KW_CONST | KW_TENSOR
    ;

%%

int gm_parse(dn_arena *A, const gm_src *src, gm_unit *unit, gm_diags *d)
{
    gm_parser P;
    memset(&P, 0, sizeof P);
    P.A = A;
    P.d = d;
    P.src = src;
    P.unit = unit;
    P.cur = P.line_start = src->text;
    P.lim = src->text + src->len;
    P.line = 1;
    int before = gm_diags_count(d);
    int rc = yyparse(&P);
    int n = gm_diags_count(d) - before;
    return rc && !n ? 1 : n;
}
