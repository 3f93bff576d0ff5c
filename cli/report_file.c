/* report_file.c -- outputs written under a temporary name (PATH.part) and
 * renamed when complete.  rename() within one folder is atomic, so a
 * reader (or a batch interrupted half-way) sees either the old file or
 * the whole new one, never half of it; `dnnf batch` removes the *.part
 * files a killed worker leaves behind. */
#include "report.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

int rp_file_open(rp_file *o, const char *path, dn_err *e)
{
    if (strlen(path) >= sizeof o->path) return dn_errf(e, "%s: path too long", path);
    snprintf(o->path, sizeof o->path, "%s", path);
    snprintf(o->tmp, sizeof o->tmp, "%s%s", path, RP_PART);
    o->f = fopen(o->tmp, "w");
    if (!o->f) return dn_errf(e, "%s: cannot create: %s", o->tmp, strerror(errno));
    return 0;
}

int rp_file_commit(rp_file *o, dn_err *e)
{
    int bad = ferror(o->f);
    if (fclose(o->f) || bad) {
        o->f = NULL;
        unlink(o->tmp);
        return dn_errf(e, "%s: write error", o->path);
    }
    o->f = NULL;
    if (rename(o->tmp, o->path)) {
        int err = errno;
        unlink(o->tmp);
        return dn_errf(e, "%s: cannot rename: %s", o->path, strerror(err));
    }
    return 0;
}

void rp_file_abort(rp_file *o)
{
    if (o->f) fclose(o->f);
    o->f = NULL;
    unlink(o->tmp);
}

int rp_file_put(const char *path, const char *data, size_t len, dn_err *e)
{
    rp_file o;
    if (rp_file_open(&o, path, e)) return -1;
    if (len && fwrite(data, 1, len, o.f) != len) {
        rp_file_abort(&o);
        return dn_errf(e, "%s: write error", path);
    }
    return rp_file_commit(&o, e);
}
