/* saturate.c -- the runner: equality saturation within bounds, with a
 * backoff scheduler, then extraction.
 *
 * One iteration (egg's Runner): search every active rule through the
 * shared trie (match.c) on a frozen e-graph, apply all matches, rebuild
 * once.  It stops for the first of these reasons (docs/engine.md):
 *
 *   saturated        an iteration changed nothing and no rule is banned
 *   iteration limit  max_iters iterations ran
 *   node limit       the e-graph reached max_nodes e-nodes (checked
 *                    before every application, so the bound holds)
 *   time limit       saturation ran max_ms milliseconds
 *
 * The backoff scheduler (egg's BackoffScheduler) keeps rules such as
 * associativity from flooding the e-graph: a rule whose guard-passing
 * matches in one iteration exceed match_limit << bans is banned for
 * ban_length << bans iterations and its matches of that iteration are
 * dropped.  Only matches whose guard passed count: a rule with a cheap
 * pattern and a selective guard (LayerNorm's) is not punished for the
 * candidates its guard rejects.  When an iteration changes nothing while
 * rules are banned, the bans are lifted instead of stopping.
 *
 * Determinism: classes, nodes and matches are visited in id order, and
 * matches are applied by rule priority then discovery order; the time
 * limit is the only bound that depends on the machine.
 *
 * Keeping real models in bounds.  DNNFusion applies its identities per
 * region, split at operators with no algebraic property, because AC
 * rewriting explodes on long chains.  Here the whole model is one
 * e-graph, but three things keep it small: commutativity is done by the
 * matcher (both operand orders) instead of by rules that double every
 * class; the backoff scheduler bans the rules that flood; and the node
 * limit is checked before each application.  A rule whose left side
 * starts at an operator with no algebraic property only ever sees the
 * few classes of that operator (the trie roots are indexed by operator),
 * so regions of Conv or Transpose cost nothing to the Add/Mul rules. */
#include "egraph_impl.h"

#include <stdlib.h>
#include <string.h>

void eg_limits_default(eg_limits *l)
{
    l->max_iters = 30;
    l->max_nodes = 200000;
    l->max_ms = 10000;
    l->match_limit = 1000;
    l->ban_length = 5;
    l->max_class_nodes = 16;
    l->search_steps = 200000;
}

int eg_limits_check(const eg_limits *l, dn_err *e)
{
    if (l->max_iters < 1)
        return dn_errf(e, "--max-iters must be at least 1 (got %d)", l->max_iters);
    if (l->max_nodes < 1)
        return dn_errf(e, "--max-nodes must be at least 1 (got %d)", l->max_nodes);
    if (!(l->max_ms > 0)) return dn_errf(e, "--max-ms must be positive (got %g)", l->max_ms);
    if (l->match_limit < 1) return dn_errf(e, "the match limit must be at least 1");
    if (l->ban_length < 1) return dn_errf(e, "the ban length must be at least 1");
    if (l->max_class_nodes < 1 || l->search_steps < 1)
        return dn_errf(e, "the class and search limits must be at least 1");
    return 0;
}

const char *eg_stop_name(int stop)
{
    switch (stop) {
    case EG_STOP_SATURATED:
        return "saturated";
    case EG_STOP_ITERS:
        return "iteration limit";
    case EG_STOP_NODES:
        return "node limit";
    case EG_STOP_TIME:
        return "time limit";
    default:
        return "?";
    }
}

void eg_result_free(eg_result *res)
{
    free(res->rules);
    free(res->iter);
    res->rules = NULL;
    res->iter = NULL;
    res->nrules = res->niter = 0;
}

typedef struct order {
    int idx, prio;
} order;

static int order_cmp(const void *x, const void *y)
{
    const order *a = x, *b = y;
    if (a->prio != b->prio) return b->prio - a->prio;
    return a->idx - b->idx;
}

static int push_record(eg_graph *E, const eg_match *m, int iter)
{
    if (E->nrec == E->cap_rec) {
        E->cap_rec = E->cap_rec ? 2 * E->cap_rec : 256;
        E->rec = realloc(E->rec, (size_t)E->cap_rec * sizeof *E->rec);
        if (!E->rec) abort();
    }
    eg_record *r = &E->rec[E->nrec];
    r->rule = m->rule;
    r->rule_name = NULL;
    r->iter = iter;
    r->cls = m->reg[0];
    r->nmatched = m->nnodes;
    r->matched = dn_arena_alloc(&E->arena, (size_t)(m->nnodes + 1) * sizeof *r->matched);
    if (m->nnodes) memcpy(r->matched, m->nodes, (size_t)m->nnodes * sizeof *m->nodes);
    r->first_new = r->last_new = E->nnode;
    return E->nrec++;
}

/* Runs saturation; *stop gets the reason.  -1 on an unsound rule. */
static int saturate(eg_graph *E, eg_matcher *M, const eg_limits *L, eg_result *res, dn_err *e)
{
    double t0 = eg_now_ms();
    int nr = eg_matcher_nrules(M);
    for (int i = 0; i < nr; i++)
        eg_matcher_rule(M, i)->match_limit = L->match_limit;
    eg_matcher_budget(M, L->search_steps, L->ban_length);
    int cap_iter = L->max_iters < 1000 ? L->max_iters : 1000;
    res->iter = calloc((size_t)cap_iter + 1, sizeof *res->iter);
    if (!res->iter) abort();
    res->stop = EG_STOP_ITERS;
    int quiet = 0;
    for (int iter = 1;; iter++) {
        if (iter > L->max_iters) {
            res->stop = EG_STOP_ITERS;
            break;
        }
        eg_iter_stats *st = &res->iter[res->niter < cap_iter ? res->niter : cap_iter - 1];
        memset(st, 0, sizeof *st);
        st->iter = iter;
        double ts = eg_now_ms();
        eg_matches ms = {0};
        if (eg_search(M, iter, &ms, e)) {
            eg_matches_free(&ms);
            return -1;
        }
        /* backoff: ban the rules that found too many matches */
        int banned_now = 0;
        for (int i = 0; i < nr; i++) {
            eg_rule *r = eg_matcher_rule(M, i);
            r->matches += r->iter_count;
            st->matches += r->iter_count;
            int64_t lim = (int64_t)r->match_limit << (r->times_banned < 20 ? r->times_banned : 20);
            if (r->iter_count > lim) {
                r->banned_until =
                    iter + (L->ban_length << (r->times_banned < 20 ? r->times_banned : 20));
                r->times_banned++;
            }
            if (r->banned_until > iter) banned_now++;
        }
        st->banned = banned_now;
        double ta = eg_now_ms();
        st->search_ms = ta - ts;
        order *ord = malloc((size_t)(ms.n ? ms.n : 1) * sizeof *ord);
        if (!ord) abort();
        int nm = 0;
        for (int i = 0; i < ms.n; i++) {
            eg_rule *r = eg_matcher_rule(M, ms.m[i].rule);
            if (r->banned_until > iter) continue; /* banned in this very iteration */
            ord[nm].idx = i;
            ord[nm++].prio = r->priority;
        }
        if (nm > 1) qsort(ord, (size_t)nm, sizeof *ord, order_cmp);
        int nodes0 = E->nnode, hit_nodes = 0;
        for (int k = 0; k < nm; k++) {
            if (E->nnode >= L->max_nodes) {
                hit_nodes = 1;
                break;
            }
            const eg_match *m = &ms.m[ord[k].idx];
            eg_rule *r = eg_matcher_rule(M, m->rule);
            if (E->cls[eg_find(E, m->reg[0])].nodes.n >= L->max_class_nodes) {
                st->capped++; /* a full class: more forms of it only feed the AC explosion */
                continue;
            }
            if (((k & 255) == 255) && eg_now_ms() - t0 >= L->max_ms) break;
            int rec = push_record(E, m, iter);
            E->rec[rec].rule_name = r->name;
            E->cur_record = rec;
            E->cur_rule = r->name;
            E->cur_loc = r->loc;
            dn_err tmp;
            int c = eg_instantiate(M, m, &tmp);
            int u = 0;
            if (c < 0) {
                st->rejected++; /* the right side does not apply here (its inference says no) */
            } else {
                u = eg_union(E, m->reg[0], c, e);
                if (u < 0) {
                    free(ord);
                    eg_matches_free(&ms);
                    return -1;
                }
            }
            if (u > 0) {
                E->rec[rec].last_new = E->nnode;
                r->applied++;
                st->applied++;
            } else {
                for (int j = E->rec[rec].first_new; j < E->nnode; j++)
                    E->node[j].record = -1;
                E->nrec--;
            }
        }
        E->cur_record = -1;
        E->cur_rule = NULL;
        E->cur_loc = NULL;
        free(ord);
        eg_matches_free(&ms);
        double tb = eg_now_ms();
        st->apply_ms = tb - ta;
        if (eg_rebuild(E, e)) return -1;
        st->rebuild_ms = eg_now_ms() - tb;
        st->nodes = E->nnode;
        st->classes = E->live_classes;
        if (res->niter < cap_iter) res->niter++;
        res->iterations = iter;
        if (hit_nodes || E->nnode >= L->max_nodes) {
            res->stop = EG_STOP_NODES;
            break;
        }
        if (eg_now_ms() - t0 >= L->max_ms) {
            res->stop = EG_STOP_TIME;
            break;
        }
        int changed = st->applied > 0 || E->nnode != nodes0;
        if (!changed) {
            if (banned_now && !quiet) {
                /* nothing left but banned rules: lift the bans, once */
                for (int i = 0; i < nr; i++)
                    eg_matcher_rule(M, i)->banned_until = 0;
                quiet = 1;
                continue;
            }
            res->stop = EG_STOP_SATURATED;
            break;
        }
        quiet = 0;
    }
    res->saturate_ms = eg_now_ms() - t0;
    return 0;
}

int eg_optimize(const ir_graph *g, const struct gm_rules *r, const eg_limits *l, FILE *trace,
                eg_result *res, dn_err *e)
{
    double t0 = eg_now_ms();
    memset(res, 0, sizeof *res);
    eg_limits def;
    if (!l) {
        eg_limits_default(&def);
        l = &def;
    }
    if (eg_limits_check(l, e)) return -1;
    if (!r) return dn_errf(e, "no rules");
    if (g->noutput == 0) return dn_errf(e, "the graph has no outputs: nothing to optimize");
    res->nodes_before = ir_count_nodes(g, 1);
    eg_graph_cost(g, r, &res->flops_before, &res->bytes_before);

    eg_graph *E = eg_graph_new(r);
    int *cv = NULL;
    if (eg_from_ir(E, g, &cv, e)) {
        eg_graph_free(E);
        return -1;
    }
    eg_matcher *M = eg_matcher_new(E, r, e);
    if (!M) {
        free(cv);
        eg_graph_free(E);
        return -1;
    }
    int rc = saturate(E, M, l, res, e);
    if (rc == 0) {
        res->enodes = E->nnode;
        res->eclasses = E->live_classes;
        int nr = eg_matcher_nrules(M);
        res->rules = calloc((size_t)nr + 1, sizeof *res->rules);
        if (!res->rules) abort();
        res->nrules = nr;
        for (int i = 0; i < nr; i++) {
            eg_rule *x = eg_matcher_rule(M, i);
            res->rules[i].name = x->name;
            snprintf(res->rules[i].loc, sizeof res->rules[i].loc, "%s", x->loc);
            res->rules[i].dir = x->dir;
            res->rules[i].matches = x->matches;
            res->rules[i].applied = x->applied;
            res->rules[i].bans = x->times_banned;
            res->applied += x->applied;
        }
        double tx = eg_now_ms();
        int *enode_of = NULL;
        rc = eg_extract(E, cv, &res->graph, &enode_of, e);
        res->extract_ms = eg_now_ms() - tx;
        if (rc == 0) {
            res->nodes_after = ir_count_nodes(res->graph, 1);
            eg_graph_cost(res->graph, r, &res->flops_after, &res->bytes_after);
            res->ms = eg_now_ms() - t0;
            if (trace) eg_trace_write(E, M, res->graph, enode_of, res, trace);
        }
        free(enode_of);
    }
    eg_matcher_free(M);
    free(cv);
    eg_graph_free(E);
    if (rc) {
        eg_result_free(res);
        return -1;
    }
    res->ms = eg_now_ms() - t0;
    return 0;
}
