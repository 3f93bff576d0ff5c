/* profile.c -- settling DNNFusion's `profile` (yellow) verdicts.
 *
 * A yellow pair is legal to fuse but profitable only for some shapes and
 * devices.  The paper times the candidate block once on the device and
 * remembers the answer; here the answers live in a plain text database,
 * one line per measurement:
 *
 *     DEVICE <TAB> BLOCK SIGNATURE <TAB> MILLISECONDS
 *
 * keyed by the device's name and the block's signature (its operators and
 * shapes, fusion/candidate.c writes it), so one file serves several
 * devices and later runs reuse every measurement.  `dnnf profile`
 * (cli/profile.c) fills it: it measures the device's constants, written
 * as one line per device,
 *
 *     @device <TAB> NAME <TAB> launch_us=X <TAB> gbytes_s=X <TAB> gflops_s=X <TAB> tile=X
 *
 * and, through a timer it hands the database, every block signature the
 * planner asks for while it plans the models.  Whatever is not measured
 * is settled by the static model below: one launch costs a fixed
 * overhead plus the slower of moving its bytes and doing its FLOPs (a
 * roofline), with the device's measured constants when the file has
 * them.  That is the first-order reason fusion pays at all -- fewer
 * launches and fewer intermediate bytes -- and the first-order reason it
 * does not -- recomputation. */
#include "fusion.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef struct entry {
    char *device, *sig;
    double ms;
} entry;

struct fu_profile {
    char *path;
    fu_device_model dev;  /* the device whose entries the planner reads */
    fu_device_model *dvs; /* every @device of the file (and set_device's) */
    int ndv;
    entry *e;
    int n, cap;
    int measured, estimated;
    fu_timer timer;
    void *tctx;
};

void fu_device_model_default(fu_device_model *d)
{
    memset(d, 0, sizeof *d);
    /* GUIDE §5's development machine: 2 cores through PoCL, a few tens of
       GB/s of memory bandwidth, ~100-200 GFLOP/s in register-blocked
       kernels, and a launch overhead in the tens of microseconds */
    snprintf(d->name, sizeof d->name, "static");
    d->gbytes_s = 20;
    d->gflops_s = 100;
    d->launch_us = 20;
    /* register-blocked CPU kernels and local-memory GPU tiles both reuse
       a loaded element for a few dozen outputs (GUIDE §5) */
    d->tile = 32;
}

double fu_estimate_ms(const fu_device_model *d, double bytes, double flops)
{
    double tb = bytes / (d->gbytes_s * 1e9), tf = flops / (d->gflops_s * 1e9);
    return 1e3 * ((tb > tf ? tb : tf) + d->launch_us * 1e-6);
}

static char *dup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (!p) abort();
    memcpy(p, s, n);
    return p;
}

static void add(fu_profile *p, const char *dev, const char *sig, double ms)
{
    for (int i = 0; i < p->n; i++)
        if (!strcmp(p->e[i].device, dev) && !strcmp(p->e[i].sig, sig)) {
            p->e[i].ms = ms;
            return;
        }
    if (p->n == p->cap) {
        p->cap = p->cap ? 2 * p->cap : 32;
        p->e = realloc(p->e, (size_t)p->cap * sizeof *p->e);
        if (!p->e) abort();
    }
    p->e[p->n++] = (entry){dup(dev), dup(sig), ms};
}

/* Adds or replaces a device's constants. */
static void put_device(fu_profile *p, const fu_device_model *d)
{
    for (int i = 0; i < p->ndv; i++)
        if (!strcmp(p->dvs[i].name, d->name)) {
            p->dvs[i] = *d;
            return;
        }
    p->dvs = realloc(p->dvs, (size_t)(p->ndv + 1) * sizeof *p->dvs);
    if (!p->dvs) abort();
    p->dvs[p->ndv++] = *d;
}

/* "NAME<TAB>key=value<TAB>...": a device's constants; the three that the
   static model cannot do without must be there, tile is optional. */
static int parse_device(fu_profile *p, char *s, const char *path, int lineno, dn_err *e)
{
    fu_device_model d;
    fu_device_model_default(&d);
    char *tab = strchr(s, '\t');
    if (!tab || tab == s || (size_t)(tab - s) >= sizeof d.name)
        return dn_errf(e,
                       "%s:%d: expected @device<TAB>NAME<TAB>launch_us=X<TAB>gbytes_s=X<TAB>"
                       "gflops_s=X",
                       path, lineno);
    memcpy(d.name, s, (size_t)(tab - s)); /* fits: checked above */
    d.name[tab - s] = 0;
    int have = 0;
    for (char *f = tab + 1; f;) {
        char *next = strchr(f, '\t');
        if (next) *next++ = 0;
        char *eq = strchr(f, '='), *end = NULL;
        double v = eq ? strtod(eq + 1, &end) : 0;
        if (!eq || !end || end == eq + 1 || *end || !(v > 0))
            return dn_errf(e, "%s:%d: expected KEY=VALUE with a positive number, got '%s'", path,
                           lineno, f);
        *eq = 0;
        if (!strcmp(f, "launch_us"))
            d.launch_us = v, have |= 1;
        else if (!strcmp(f, "gbytes_s"))
            d.gbytes_s = v, have |= 2;
        else if (!strcmp(f, "gflops_s"))
            d.gflops_s = v, have |= 4;
        else if (!strcmp(f, "tile"))
            d.tile = v;
        else
            return dn_errf(e,
                           "%s:%d: unknown device constant '%s' (launch_us, gbytes_s, "
                           "gflops_s, tile)",
                           path, lineno, f);
        f = next;
    }
    if (have != 7)
        return dn_errf(e, "%s:%d: device '%s' lacks %s", path, lineno, d.name,
                       !(have & 1)   ? "launch_us"
                       : !(have & 2) ? "gbytes_s"
                                     : "gflops_s");
    put_device(p, &d);
    return 0;
}

fu_profile *fu_profile_open(const char *path, const fu_device_model *d, dn_err *e)
{
    fu_profile *p = calloc(1, sizeof *p);
    if (!p) abort();
    if (d)
        p->dev = *d;
    else
        fu_device_model_default(&p->dev);
    if (!path) return p;
    p->path = dup(path);
    FILE *f = fopen(path, "r");
    if (!f) {
        if (errno == ENOENT) return p; /* a new database */
        dn_errf(e, "%s: cannot read the profile database", path);
        fu_profile_free(p);
        return NULL;
    }
    char line[8192];
    int lineno = 0, rc = 0;
    while (!rc && fgets(line, sizeof line, f)) {
        lineno++;
        size_t len = strlen(line);
        if (len + 1 == sizeof line && line[len - 1] != '\n') {
            rc = dn_errf(e, "%s:%d: line longer than %d characters", path, lineno,
                         (int)sizeof line - 2);
            break;
        }
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = 0;
        if (!len || line[0] == '#') continue;
        if (!strncmp(line, "@device\t", 8)) {
            rc = parse_device(p, line + 8, path, lineno, e);
            continue;
        }
        char *t1 = strchr(line, '\t'), *t2 = t1 ? strrchr(line, '\t') : NULL;
        char *end = NULL;
        double ms = t2 && t2 != t1 ? strtod(t2 + 1, &end) : 0;
        if (!t2 || t2 == t1 || !end || end == t2 + 1 || *end || !(ms >= 0)) {
            rc = dn_errf(e, "%s:%d: expected DEVICE<TAB>SIGNATURE<TAB>MS (MS a number >= 0)", path,
                         lineno);
            break;
        }
        *t1 = *t2 = 0;
        add(p, line, t1 + 1, ms);
    }
    if (rc) {
        fclose(f);
        fu_profile_free(p);
        return NULL;
    }
    if (!d && p->ndv) p->dev = p->dvs[0];
    fclose(f);
    return p;
}

void fu_profile_free(fu_profile *p)
{
    if (!p) return;
    for (int i = 0; i < p->n; i++)
        free(p->e[i].device), free(p->e[i].sig);
    free(p->e);
    free(p->dvs);
    free(p->path);
    free(p);
}

const fu_device_model *fu_profile_device(const fu_profile *p)
{
    return &p->dev;
}

void fu_profile_set_device(fu_profile *p, const fu_device_model *d)
{
    p->dev = *d;
    put_device(p, d);
}

int fu_profile_entries(const fu_profile *p)
{
    int n = 0;
    for (int i = 0; i < p->n; i++)
        n += !strcmp(p->e[i].device, p->dev.name);
    return n;
}

void fu_profile_set_timer(fu_profile *p, fu_timer t, void *ctx)
{
    p->timer = t;
    p->tctx = ctx;
}

int fu_profile_measure(fu_profile *p, const char *sig, const ir_graph *g, const int *nodes, int n,
                       double *ms)
{
    if (fu_profile_lookup(p, sig, ms)) return 1;
    if (!p->timer || p->timer(p->tctx, g, nodes, n, ms)) return 0;
    fu_profile_record(p, sig, *ms);
    return 1;
}

int fu_profile_lookup(const fu_profile *p, const char *sig, double *ms)
{
    for (int i = 0; i < p->n; i++)
        if (!strcmp(p->e[i].device, p->dev.name) && !strcmp(p->e[i].sig, sig)) {
            *ms = p->e[i].ms;
            return 1;
        }
    return 0;
}

void fu_profile_record(fu_profile *p, const char *sig, double ms)
{
    add(p, p->dev.name, sig, ms);
}

int fu_profile_save(const fu_profile *p, dn_err *e)
{
    if (!p->path) return 0;
    FILE *f = fopen(p->path, "w");
    if (!f) return dn_errf(e, "%s: cannot write the profile database", p->path);
    fprintf(f, "# dnnf fusion profile database: DEVICE<TAB>BLOCK SIGNATURE<TAB>MS\n");
    for (int i = 0; i < p->ndv; i++) {
        const fu_device_model *d = &p->dvs[i];
        fprintf(f, "@device\t%s\tlaunch_us=%.4g\tgbytes_s=%.4g\tgflops_s=%.4g\ttile=%g\n", d->name,
                d->launch_us, d->gbytes_s, d->gflops_s, d->tile);
    }
    for (int i = 0; i < p->n; i++)
        fprintf(f, "%s\t%s\t%.6g\n", p->e[i].device, p->e[i].sig, p->e[i].ms);
    if (fclose(f)) return dn_errf(e, "%s: cannot write the profile database", p->path);
    return 0;
}

void fu_profile_counts(const fu_profile *p, int *measured, int *estimated)
{
    *measured = p->measured;
    *estimated = p->estimated;
}

void fu_profile_count(fu_profile *p, int measured)
{
    if (measured)
        p->measured++;
    else
        p->estimated++;
}
