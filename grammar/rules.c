/* rules.c -- loading a set of `.rules` files into one module: reading
 * files, following `include` (relative to the including file, each file
 * once, so include cycles are harmless), concatenating every file's
 * declarations, then checking the whole (check.c).  Also the module's
 * accessors and the two table look-ups that fusion/ and layout/ use. */
#define _XOPEN_SOURCE 700 /* realpath */
#include "internal.h"

#include <errno.h>
#include <sys/stat.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define MAX_INCLUDE_DEPTH 32

typedef struct loader {
    gm_rules *r;
    gm_diags *d;
    char **seen; /* canonical paths already loaded */
    int nseen;
} loader;

/* Only regular files, at most MAX_FILE bytes: `include "/dev/zero"` must
   not hang the loader. */
#define MAX_FILE (64u << 20)

static int read_file(const char *path, char **text, size_t *len)
{
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) return -2;
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    if (!buf) abort();
    for (;;) {
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            if (!buf) abort();
        }
        size_t k = fread(buf + n, 1, cap - n, f);
        n += k;
        if (k == 0) break;
        if (n > MAX_FILE) {
            fclose(f);
            free(buf);
            errno = EFBIG;
            return -1;
        }
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return -1;
    }
    *text = buf;
    *len = n;
    return 0;
}

static void append_unit(gm_rules *r, const gm_unit *u)
{
    dn_arena *A = r->A;
    gm_unit *a = &r->all;
    for (int i = 0; i < u->nmap; i++)
        gm_push(A, &a->map, &a->nmap, &a->capmap, &u->map[i], sizeof u->map[i]);
    if (u->nmapdecl) {
        a->nmapdecl += u->nmapdecl;
        if (!a->mapdecl_loc.src) a->mapdecl_loc = u->mapdecl_loc;
    }
    for (int i = 0; i < u->nlay; i++)
        gm_push(A, &a->lay, &a->nlay, &a->caplay, &u->lay[i], sizeof u->lay[i]);
    for (int i = 0; i < u->nops; i++)
        gm_push(A, &a->ops, &a->nops, &a->capops, &u->ops[i], sizeof u->ops[i]);
    for (int i = 0; i < u->nfuse; i++)
        gm_push(A, &a->fuse, &a->nfuse, &a->capfuse, &u->fuse[i], sizeof u->fuse[i]);
    for (int i = 0; i < u->nedges; i++)
        gm_push(A, &a->edges, &a->nedges, &a->capedges, &u->edges[i], sizeof u->edges[i]);
    for (int i = 0; i < u->nrules; i++)
        gm_push(A, &a->rules, &a->nrules, &a->caprules, &u->rules[i], sizeof u->rules[i]);
    for (int i = 0; i < u->ngraphs; i++)
        gm_push(A, &a->graphs, &a->ngraphs, &a->capgraphs, &u->graphs[i], sizeof u->graphs[i]);
}

static int load_text(loader *L, const char *name, const char *dir, const char *text, size_t len,
                     int depth);

/* "a/b/../c/./d" -> "a/c/d", lexically, so that messages name included
   files the way a reader would write them.  */
static void normalize(char *path)
{
    char *seg[256];
    int n = 0, abs = path[0] == '/';
    char buf[PATH_MAX];
    snprintf(buf, sizeof buf, "%s", path);
    char *save = NULL;
    for (char *t = strtok_r(buf, "/", &save); t && n < 256; t = strtok_r(NULL, "/", &save)) {
        if (!strcmp(t, ".")) continue;
        if (!strcmp(t, "..") && n > 0 && strcmp(seg[n - 1], "..")) {
            n--;
            continue;
        }
        if (!strcmp(t, "..") && abs) continue;
        seg[n++] = t;
    }
    char out[PATH_MAX];
    size_t k = 0;
    out[0] = 0;
    if (abs) out[k++] = '/', out[k] = 0;
    for (int i = 0; i < n && k < sizeof out; i++)
        k += (size_t)snprintf(out + k, sizeof out - k, "%s%s", i ? "/" : "", seg[i]);
    if (!n && !abs) snprintf(out, sizeof out, ".");
    snprintf(path, PATH_MAX, "%s", out);
}

static int seen(loader *L, const char *path)
{
    char buf[PATH_MAX];
    const char *canon = realpath(path, buf) ? buf : path;
    for (int i = 0; i < L->nseen; i++)
        if (!strcmp(L->seen[i], canon)) return 1;
    L->seen = realloc(L->seen, (size_t)(L->nseen + 1) * sizeof *L->seen);
    if (!L->seen) abort();
    L->seen[L->nseen++] = strdup(canon);
    return 0;
}

static int load_path(loader *L, const char *path, gm_loc from, int depth)
{
    if (seen(L, path)) return 0;
    char *text;
    size_t len;
    int rc = read_file(path, &text, &len);
    if (rc) {
        const char *why = rc == -2 ? "not a regular file" : strerror(errno);
        if (from.src)
            gm_error(L->d, from, "cannot read included file %s: %s", path, why);
        else
            gm_error(L->d, from, "%s: cannot read: %s", path, why);
        return -1;
    }
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        slash[1] = 0;
    else
        dir[0] = 0;
    rc = load_text(L, path, dir, text, len, depth);
    free(text);
    return rc;
}

static int load_text(loader *L, const char *name, const char *dir, const char *text, size_t len,
                     int depth)
{
    gm_src *src = gm_src_new(L->r->A, name, text, len);
    src->next = L->r->srcs;
    L->r->srcs = src;
    gm_unit u;
    memset(&u, 0, sizeof u);
    gm_parse(L->r->A, src, &u, L->d);
    int rc = 0;
    /* includes first: what a file includes is declared before it */
    for (int i = 0; i < u.ninc; i++) {
        if (depth >= MAX_INCLUDE_DEPTH) {
            gm_error(L->d, u.inc[i].loc, "includes nested more than %d deep", MAX_INCLUDE_DEPTH);
            rc = -1;
            continue;
        }
        char path[PATH_MAX];
        if (u.inc[i].path[0] == '/')
            snprintf(path, sizeof path, "%s", u.inc[i].path);
        else
            snprintf(path, sizeof path, "%s%s", dir, u.inc[i].path);
        normalize(path);
        if (load_path(L, path, u.inc[i].loc, depth + 1)) rc = -1;
    }
    if (u.nmapdecl && L->r->all.nmapdecl) {
        gm_error(L->d, u.mapdecl_loc, "the mapping lattice is declared twice (first at %s:%d)",
                 gm_src_name(L->r->all.mapdecl_loc.src), L->r->all.mapdecl_loc.line);
        u.nmap = 0;
        u.nmapdecl = 0;
    }
    append_unit(L->r, &u);
    return rc;
}

static gm_rules *finish(loader *L)
{
    for (int i = 0; i < L->nseen; i++)
        free(L->seen[i]);
    free(L->seen);
    gm_check(L->r, L->d);
    return L->r;
}

gm_rules *gm_rules_load(const char *const *paths, int npaths, gm_diags *d)
{
    loader L = {0};
    L.d = d;
    L.r = calloc(1, sizeof *L.r);
    if (!L.r) abort();
    L.r->A = dn_arena_new();
    int bad = 0;
    for (int i = 0; i < npaths; i++) {
        gm_loc none = {0};
        if (load_path(&L, paths[i], none, 0)) bad = 1;
    }
    gm_rules *r = finish(&L);
    (void)bad;
    return r;
}

gm_rules *gm_rules_parse(const char *name, const char *text, size_t len, gm_diags *d)
{
    loader L = {0};
    L.d = d;
    L.r = calloc(1, sizeof *L.r);
    if (!L.r) abort();
    L.r->A = dn_arena_new();
    load_text(&L, name, "", text, len, 0);
    return finish(&L);
}

void gm_rules_free(gm_rules *r)
{
    if (!r) return;
    dn_arena_free(r->A);
    free(r);
}

/* ------------------------------------------------------------------ */
/* Accessors                                                           */
/* ------------------------------------------------------------------ */

int gm_rules_nops(const gm_rules *r)
{
    return r->all.nops;
}
const gm_opdecl *gm_rules_op(const gm_rules *r, int i)
{
    return &r->all.ops[i];
}
int gm_rules_nrules(const gm_rules *r)
{
    return r->all.nrules;
}
const gm_rule *gm_rules_rule(const gm_rules *r, int i)
{
    return &r->all.rules[i];
}
int gm_rules_nfuse(const gm_rules *r)
{
    return r->all.nfuse;
}
const gm_fuse *gm_rules_fuse_entry(const gm_rules *r, int i)
{
    return &r->all.fuse[i];
}
int gm_rules_nedges(const gm_rules *r)
{
    return r->all.nedges;
}
const gm_edge *gm_rules_edge(const gm_rules *r, int i)
{
    return &r->all.edges[i];
}
int gm_rules_nmapping(const gm_rules *r)
{
    return r->all.nmap;
}
int gm_rules_nlayouts(const gm_rules *r)
{
    return r->all.nlay;
}
const char *gm_rules_layout(const gm_rules *r, int i)
{
    return r->all.lay[i].name;
}

const char *gm_rules_mapping(const gm_rules *r, int i, int *level)
{
    if (level) *level = r->all.map[i].level;
    return r->all.map[i].name;
}

int gm_rules_mapping_level(const gm_rules *r, const char *type)
{
    for (int i = 0; i < r->all.nmap; i++)
        if (!strcmp(r->all.map[i].name, type)) return r->all.map[i].level;
    return -1;
}

const gm_opdecl *gm_rules_find_op(const gm_rules *r, const char *domain, const char *name)
{
    if (!domain) domain = "";
    for (int i = 0; i < r->all.nops; i++)
        if (!strcmp(r->all.ops[i].name, name) && !strcmp(r->all.ops[i].domain, domain))
            return &r->all.ops[i];
    return NULL;
}

/* Specificity: an exact name beats `*`; among equals the later entry wins,
   so a user file included after the standard library can override it. */
int gm_rules_fuse(const gm_rules *r, const char *first, const char *second, const char **result)
{
    int best = -1, bestspec = -1;
    for (int i = 0; i < r->all.nfuse; i++) {
        const gm_fuse *f = &r->all.fuse[i];
        int a = !strcmp(f->first, first), b = !strcmp(f->second, second);
        if ((!a && strcmp(f->first, "*")) || (!b && strcmp(f->second, "*"))) continue;
        int spec = 2 * a + b;
        if (spec >= bestspec) {
            bestspec = spec;
            best = i;
        }
    }
    if (best < 0) return 0;
    const gm_fuse *f = &r->all.fuse[best];
    if (result) {
        if (f->verdict == GM_BREAK)
            *result = NULL;
        else if (!f->result) /* the larger of the two in the lattice */
            *result = gm_rules_mapping_level(r, first) >= gm_rules_mapping_level(r, second)
                          ? first
                          : second;
        else if (!strcmp(f->result, "first"))
            *result = first;
        else if (!strcmp(f->result, "second"))
            *result = second;
        else
            *result = f->result;
    }
    return f->verdict;
}

int gm_rules_edge_action(const gm_rules *r, const char *producer, const char *consumer, int *search)
{
    int best = -1, bestspec = -1;
    for (int i = 0; i < r->all.nedges; i++) {
        const gm_edge *e = &r->all.edges[i];
        int a = !strcmp(e->producer, producer), b = !strcmp(e->consumer, consumer);
        if ((!a && strcmp(e->producer, "*")) || (!b && strcmp(e->consumer, "*"))) continue;
        int spec = 2 * a + b;
        if (spec >= bestspec) {
            bestspec = spec;
            best = i;
        }
    }
    if (best < 0) return 0;
    if (search) *search = r->all.edges[best].search;
    return r->all.edges[best].action;
}
