/* npy.c -- NumPy .npy files, the way tensors enter and leave dnnf.
 * The format is a magic string, a version, a Python-dict header
 * ({'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }) padded to
 * a multiple of 64 bytes, then the raw little-endian data. */
#include "runtime.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *descr;
    int dtype;
} descrs[] = {
    {"<f4", DN_F32}, {"<f8", DN_F64}, {"<i8", DN_I64}, {"<i4", DN_I32}, {"<i2", DN_I16},
    {"|i1", DN_I8},  {"|u1", DN_U8},  {"|b1", DN_BOOL}, {"<u2", DN_U16}, {"<u4", DN_U32},
    {"<u8", DN_U64}, {"<f2", DN_F16},
};

int rt_npy_read(const char *path, dn_tensor *t, dn_err *e)
{
    memset(t, 0, sizeof *t);
    FILE *f = fopen(path, "rb");
    if (!f) return dn_errf(e, "%s: cannot open: %s", path, strerror(errno));
    unsigned char pre[10];
    if (fread(pre, 1, 8, f) != 8 || memcmp(pre, "\x93NUMPY", 6) != 0) {
        fclose(f);
        return dn_errf(e, "%s: not a .npy file", path);
    }
    uint32_t hlen;
    if (pre[6] == 1) {
        unsigned char b[2];
        if (fread(b, 1, 2, f) != 2) goto trunc;
        hlen = b[0] | (uint32_t)b[1] << 8;
    } else {
        unsigned char b[4];
        if (fread(b, 1, 4, f) != 4) goto trunc;
        hlen = b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    }
    if (hlen > 65536) goto bad;
    char *h = malloc(hlen + 1);
    if (!h) abort();
    if (fread(h, 1, hlen, f) != hlen) {
        free(h);
        goto trunc;
    }
    h[hlen] = 0;
    const char *d = strstr(h, "'descr'"), *fo = strstr(h, "'fortran_order'"),
               *sh = strstr(h, "'shape'");
    if (!d || !fo || !sh) {
        free(h);
        goto bad;
    }
    d = strchr(d + 7, '\'');
    t->dtype = DN_UNDEF;
    for (size_t i = 0; d && i < sizeof descrs / sizeof descrs[0]; i++)
        if (!strncmp(d + 1, descrs[i].descr, 3) && d[4] == '\'') t->dtype = descrs[i].dtype;
    if (t->dtype == DN_UNDEF) {
        char got[16] = "?";
        if (d) snprintf(got, sizeof got, "%.6s", d);
        free(h);
        fclose(f);
        return dn_errf(e, "%s: unsupported dtype %s (little-endian numbers and bool only)", path,
                       got);
    }
    if (strstr(fo, "True")) {
        free(h);
        fclose(f);
        return dn_errf(e, "%s: Fortran-order arrays are not supported", path);
    }
    const char *p = strchr(sh, '(');
    t->shape.rank = 0;
    while (p && *++p && *p != ')') {
        if (isdigit((unsigned char)*p)) {
            if (t->shape.rank == DN_MAX_RANK) {
                free(h);
                fclose(f);
                return dn_errf(e, "%s: rank above %d", path, DN_MAX_RANK);
            }
            t->shape.d[t->shape.rank++] = strtoll(p, (char **)&p, 10);
            p--;
        }
    }
    free(h);
    if (dn_tensor_alloc(t, e)) {
        fclose(f);
        return dn_errpre(e, "%s: ", path);
    }
    size_t bytes = dn_tensor_bytes(t);
    if (fread(t->data, 1, bytes, f) != bytes) {
        dn_tensor_free(t);
        goto trunc;
    }
    fclose(f);
    return 0;
trunc:
    fclose(f);
    return dn_errf(e, "%s: truncated .npy file", path);
bad:
    fclose(f);
    return dn_errf(e, "%s: malformed .npy header", path);
}

int rt_npy_write(const char *path, const dn_tensor *t, dn_err *e)
{
    const char *descr = NULL;
    for (size_t i = 0; i < sizeof descrs / sizeof descrs[0]; i++)
        if (descrs[i].dtype == t->dtype) descr = descrs[i].descr;
    if (!descr) return dn_errf(e, "%s: cannot write dtype %s as .npy", path, dn_dtype_name(t->dtype));
    /* Python tuple syntax: "()", "(5,)", "(2, 3)" */
    char shape[512];
    size_t k = (size_t)snprintf(shape, sizeof shape, "(");
    for (int i = 0; i < t->shape.rank; i++)
        k += (size_t)snprintf(shape + k, sizeof shape - k, "%s%lld", i ? ", " : "",
                              (long long)t->shape.d[i]);
    snprintf(shape + k, sizeof shape - k, "%s)", t->shape.rank == 1 ? "," : "");
    char h[1024];
    int n = snprintf(h, sizeof h, "{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr,
                     shape);
    /* pad with spaces so that magic (6) + version (2) + len (2) + header is a multiple of 64 */
    int total = 10 + n + 1;
    int pad = (64 - total % 64) % 64;
    memset(h + n, ' ', (size_t)pad);
    h[n + pad] = '\n';
    int hlen = n + pad + 1;
    FILE *f = fopen(path, "wb");
    if (!f) return dn_errf(e, "%s: cannot create: %s", path, strerror(errno));
    unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)(hlen & 0xff),
                             (unsigned char)(hlen >> 8)};
    size_t bytes = dn_tensor_bytes(t);
    int ok = fwrite(pre, 1, 10, f) == 10 && fwrite(h, 1, (size_t)hlen, f) == (size_t)hlen &&
             fwrite(t->data, 1, bytes, f) == bytes;
    if (fclose(f) != 0) ok = 0;
    return ok ? 0 : dn_errf(e, "%s: write failed", path);
}
