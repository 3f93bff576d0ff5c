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
 * shapes, fusion/plan.c writes it), so one file serves several devices and
 * later runs reuse every measurement.  Until the OpenCL code generator can
 * time a block, nothing gets measured and the static model below decides:
 * one launch costs a fixed overhead plus the slower of moving its bytes and
 * doing its FLOPs (a roofline), which is the first-order reason fusion pays
 * at all -- fewer launches and fewer intermediate bytes -- and the first-
 * order reason it does not -- recomputation. */
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
    fu_device_model dev;
    entry *e;
    int n, cap;
    int measured, estimated;
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
    int lineno = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        size_t len = strlen(line);
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = 0;
        if (!len || line[0] == '#') continue;
        char *t1 = strchr(line, '\t'), *t2 = t1 ? strrchr(line, '\t') : NULL;
        char *end = NULL;
        double ms = t2 && t2 != t1 ? strtod(t2 + 1, &end) : 0;
        if (!t2 || t2 == t1 || !end || *end || ms < 0) {
            dn_errf(e, "%s:%d: expected DEVICE<TAB>SIGNATURE<TAB>MS", path, lineno);
            fclose(f);
            fu_profile_free(p);
            return NULL;
        }
        *t1 = *t2 = 0;
        add(p, line, t1 + 1, ms);
    }
    fclose(f);
    return p;
}

void fu_profile_free(fu_profile *p)
{
    if (!p) return;
    for (int i = 0; i < p->n; i++)
        free(p->e[i].device), free(p->e[i].sig);
    free(p->e);
    free(p->path);
    free(p);
}

const fu_device_model *fu_profile_device(const fu_profile *p)
{
    return &p->dev;
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
