/*
 * cl_cache.c -- building OpenCL programs, each at most once.
 *
 * Two levels.  Within a context, a map from key to cl_program: a plan that
 * uses one kernel source for many blocks compiles it once.  Across
 * processes, the program binary on disk, so the second `dnnf run` of a
 * model (and every CI run after the first) skips the OpenCL compiler,
 * which costs PoCL a second or more per kernel.
 *
 * The key is the SHA-256 of everything that can change the binary: the
 * source, the build options, the device name and version, the driver
 * version and the platform's name and version.  A new driver therefore
 * misses instead of loading a binary it cannot run.
 *
 * An entry is one file, KEY.clbin:
 *
 *     offset  size  field
 *          0     8  magic "DNNFCLB1"
 *          8    32  key (the file name, again: a renamed file is not trusted)
 *         40     8  payload length in bytes (little-endian)
 *         48     8  FNV-1a 64 checksum of the payload (little-endian)
 *         56     n  payload: the binary from CL_PROGRAM_BINARIES
 *
 * Entries are written to a temporary file in the same folder and renamed
 * into place, which is atomic on POSIX file systems: a concurrent reader
 * (ctest -j) sees the old entry, no entry, or the whole new one.  A file
 * that is short, has the wrong magic, key, length or checksum, or that the
 * driver refuses to load, is counted as corrupt and rebuilt from source
 * (and rewritten); it never stops a run.
 */
#include "cl_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- SHA-256 (FIPS 180-4) ---------------------------------------------- */

typedef struct {
    uint32_t h[8];
    unsigned char buf[64];
    size_t nbuf;
    uint64_t len;
} sha256;

static const uint32_t K256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha_block(sha256 *s, const unsigned char *p)
{
    uint32_t w[64];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
               (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = s->h[0], b = s->h[1], c = s->h[2], d = s->h[3], e = s->h[4], f = s->h[5],
             g = s->h[6], h = s->h[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 =
            h + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) + K256[i] + w[i];
        uint32_t t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        h = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    s->h[0] += a, s->h[1] += b, s->h[2] += c, s->h[3] += d;
    s->h[4] += e, s->h[5] += f, s->h[6] += g, s->h[7] += h;
}

static void sha_init(sha256 *s)
{
    static const uint32_t h0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(s->h, h0, sizeof h0);
    s->nbuf = 0;
    s->len = 0;
}

static void sha_add(sha256 *s, const void *data, size_t n)
{
    const unsigned char *p = data;
    s->len += n;
    while (n) {
        size_t k = 64 - s->nbuf < n ? 64 - s->nbuf : n;
        memcpy(s->buf + s->nbuf, p, k);
        s->nbuf += k;
        p += k;
        n -= k;
        if (s->nbuf == 64) {
            sha_block(s, s->buf);
            s->nbuf = 0;
        }
    }
}

static void sha_done(sha256 *s, unsigned char out[32])
{
    uint64_t bits = s->len * 8;
    unsigned char pad = 0x80, zero = 0, lenb[8];
    sha_add(s, &pad, 1);
    while (s->nbuf != 56)
        sha_add(s, &zero, 1);
    for (int i = 0; i < 8; i++)
        lenb[i] = (unsigned char)(bits >> (56 - 8 * i));
    sha_add(s, lenb, 8);
    for (int i = 0; i < 8; i++) {
        out[4 * i] = (unsigned char)(s->h[i] >> 24);
        out[4 * i + 1] = (unsigned char)(s->h[i] >> 16);
        out[4 * i + 2] = (unsigned char)(s->h[i] >> 8);
        out[4 * i + 3] = (unsigned char)s->h[i];
    }
}

void rt_cl_sha256(const void *data, size_t n, unsigned char out[32])
{
    sha256 s;
    sha_init(&s);
    sha_add(&s, data, n);
    sha_done(&s, out);
}

/* A field of the key: its length first, so "ab"+"c" and "a"+"bc" differ. */
static void sha_field(sha256 *s, const char *str)
{
    uint64_t n = strlen(str);
    unsigned char nb[8];
    for (int i = 0; i < 8; i++)
        nb[i] = (unsigned char)(n >> (8 * i));
    sha_add(s, nb, 8);
    sha_add(s, str, n);
}

static uint64_t fnv1a(const unsigned char *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

static void put64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* ---- the cache folder --------------------------------------------------- */

#define MAGIC "DNNFCLB1"
#define HDR 56

static int mkdir_p(char *path)
{
    for (char *p = path + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        int r = mkdir(path, 0755);
        *p = '/';
        if (r && errno != EEXIST) return -1;
    }
    if (mkdir(path, 0755) && errno != EEXIST) return -1;
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode) ? 0 : -1;
}

void rt_cl_cache_init(rt_cl_ctx *c, const char *dir)
{
    c->cache_dir[0] = 0;
    c->cache_why[0] = 0;
    char path[sizeof c->cache_dir];
    if (dir && !strcmp(dir, "off")) {
        snprintf(c->cache_why, sizeof c->cache_why, "turned off");
        return;
    }
    if (dir && *dir) {
        snprintf(path, sizeof path, "%s", dir);
    } else {
        const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
        if (xdg && xdg[0] == '/')
            snprintf(path, sizeof path, "%s/dnnf/kernels", xdg);
        else if (home && *home)
            snprintf(path, sizeof path, "%s/.cache/dnnf/kernels", home);
        else {
            snprintf(c->cache_why, sizeof c->cache_why,
                     "neither DNNF_CACHE_DIR, XDG_CACHE_HOME nor HOME is set");
            return;
        }
    }
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/')
        path[--n] = 0;
    if (mkdir_p(path)) {
        snprintf(c->cache_why, sizeof c->cache_why, "cannot create %.180s: %s", path,
                 strerror(errno));
        return;
    }
    memcpy(c->cache_dir, path, sizeof path);
}

static void entry_path(const rt_cl_ctx *c, const unsigned char *key, char *buf, size_t n)
{
    char hex[2 * RT_CL_KEY + 1];
    for (int i = 0; i < RT_CL_KEY; i++)
        snprintf(hex + 2 * i, 3, "%02x", key[i]);
    snprintf(buf, n, "%s/%s.clbin", c->cache_dir, hex);
}

/* The payload of a valid entry (malloc'd), NULL when absent; *corrupt set
   when a file exists but fails a check. */
static unsigned char *entry_read(const rt_cl_ctx *c, const unsigned char *key, size_t *len,
                                 int *corrupt)
{
    char path[1200];
    *corrupt = 0;
    entry_path(c, key, path, sizeof path);
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    unsigned char *data = NULL;
    unsigned char h[HDR];
    *corrupt = 1;
    if (fread(h, 1, HDR, f) != HDR || memcmp(h, MAGIC, 8) || memcmp(h + 8, key, RT_CL_KEY))
        goto out;
    uint64_t n = get64(h + 40), sum = get64(h + 48);
    if (fseek(f, 0, SEEK_END) || ftell(f) != (long)(HDR + n) || n == 0 || fseek(f, HDR, SEEK_SET))
        goto out;
    data = malloc(n);
    if (!data || fread(data, 1, n, f) != n || fnv1a(data, n) != sum) {
        free(data);
        data = NULL;
        goto out;
    }
    *corrupt = 0;
    *len = n;
out:
    fclose(f);
    return data;
}

static int write_all(int fd, const unsigned char *p, size_t n)
{
    while (n) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* Temporary file, then rename: readers never see half an entry. */
static int entry_write(rt_cl_ctx *c, const unsigned char *key, const unsigned char *bin, size_t n)
{
    char path[1200], tmp[1200];
    entry_path(c, key, path, sizeof path);
    snprintf(tmp, sizeof tmp, "%s/.tmp-XXXXXX", c->cache_dir);
    int fd = mkstemp(tmp);
    if (fd < 0) return -1;
    unsigned char h[HDR];
    memcpy(h, MAGIC, 8);
    memcpy(h + 8, key, RT_CL_KEY);
    put64(h + 40, n);
    put64(h + 48, fnv1a(bin, n));
    int bad = write_all(fd, h, HDR) || write_all(fd, bin, n);
    fchmod(fd, 0644);
    if (close(fd)) bad = 1;
    if (bad || rename(tmp, path)) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

/* ---- build errors -------------------------------------------------------- */

typedef struct {
    char *p;
    size_t n, cap;
} sbuf;

static void sb_add(sbuf *b, const char *s, size_t n)
{
    if (b->n + 1 >= b->cap) return;
    if (n > b->cap - 1 - b->n) n = b->cap - 1 - b->n;
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

static void sb_str(sbuf *b, const char *s)
{
    sb_add(b, s, strlen(s));
}

/* Line `line` (1-based) of src, without its newline. */
static const char *src_line(const char *src, long line, size_t *len)
{
    for (long l = 1; l < line && *src; src++)
        if (*src == '\n') l++;
    if (!*src && line > 1) return NULL;
    const char *end = strchr(src, '\n');
    *len = end ? (size_t)(end - src) : strlen(src);
    return src;
}

/*
 * "OpenCL build failure in LABEL on DEVICE: ...", then for each
 * "FILE:LINE:COL: error: WHAT" of the log the message and the generated
 * line it points at, then as much of the log as fits.  The quoted lines
 * come first: the message is bounded and a long log must not push them out.
 */
static int build_failure(rt_cl_ctx *c, cl_program p, const char *src, const char *label,
                         cl_int code, const char *what, dn_err *e)
{
    size_t loglen = 0;
    char *log = NULL;
    if (clGetProgramBuildInfo(p, c->device, CL_PROGRAM_BUILD_LOG, 0, NULL, &loglen) == CL_SUCCESS &&
        loglen) {
        log = malloc(loglen + 1);
        if (log && clGetProgramBuildInfo(p, c->device, CL_PROGRAM_BUILD_LOG, loglen, log, NULL))
            log[0] = 0;
        if (log) log[loglen] = 0;
    }
    char msg[sizeof e->msg];
    sbuf b = {msg, 0, sizeof msg};
    msg[0] = 0;
    char head[512];
    snprintf(head, sizeof head, "OpenCL build failure in %s on %s: %s: %s (%d)",
             label && *label ? label : "a program", c->info.name, what, rt_cl_errname(code),
             (int)code);
    sb_str(&b, head);

    int shown = 0;
    long last = -1;
    for (const char *l = log; l && *l && shown < 6;) {
        const char *eol = strchr(l, '\n');
        size_t ll = eol ? (size_t)(eol - l) : strlen(l);
        /* Clang writes "FILE:LINE:COL: error: WHAT", PoCL "error: FILE:LINE:COL: WHAT". */
        int is_err = 0;
        for (const char *q = l; q + 5 <= l + ll && !is_err; q++)
            is_err = !strncmp(q, "error", 5);
        for (const char *q = l; is_err && q < l + ll; q++) {
            if (*q != ':' || q[1] < '0' || q[1] > '9') continue;
            char *end;
            long line = strtol(q + 1, &end, 10), col = 0;
            if (*end != ':' || end[1] < '0' || end[1] > '9') continue;
            col = strtol(end + 1, &end, 10);
            if (*end != ':') continue;
            const char *desc = end + 1;
            while (*desc == ' ')
                desc++;
            int n = (int)(l + ll - desc);
            if (n < 0) n = 0;
            if (n > 200) n = 200;
            int pre = strncmp(desc, "error", 5) && strncmp(desc, "fatal error", 11);
            char tmp[400];
            snprintf(tmp, sizeof tmp, "\n  line %ld:%ld: %s%.*s", line, col, pre ? "error: " : "",
                     n, desc);
            sb_str(&b, tmp);
            size_t sl;
            const char *s = src_line(src, line, &sl);
            if (s && line != last) {
                snprintf(tmp, sizeof tmp, "\n    %5ld | %.*s", line, (int)(sl > 200 ? 200 : sl), s);
                sb_str(&b, tmp);
            }
            last = line;
            shown++;
            break;
        }
        l = eol ? eol + 1 : l + ll;
    }
    if (log && *log) {
        sb_str(&b, "\nbuild log:\n");
        size_t room = b.cap - 1 - b.n, n = strlen(log);
        while (n && (log[n - 1] == '\n' || log[n - 1] == ' '))
            n--;
        if (n > room) {
            sb_add(&b, log, room > 16 ? room - 16 : 0);
            sb_str(&b, "\n[log truncated]");
        } else {
            sb_add(&b, log, n);
        }
    } else {
        sb_str(&b, "\n(the driver gave no build log)");
    }
    free(log);
    return dn_errf(e, "%s", msg);
}

/* ---- build ----------------------------------------------------------------- */

static cl_program build_binary(rt_cl_ctx *c, const unsigned char *bin, size_t n, const char *opts)
{
    cl_int r, st;
    cl_program p = clCreateProgramWithBinary(c->context, 1, &c->device, &n, &bin, &st, &r);
    if (!p) return NULL;
    if (r != CL_SUCCESS || st != CL_SUCCESS ||
        clBuildProgram(p, 1, &c->device, opts, NULL, NULL) != CL_SUCCESS) {
        clReleaseProgram(p);
        return NULL;
    }
    return p;
}

/* The binary of a built program (malloc'd), NULL when the driver has none. */
static unsigned char *program_binary(rt_cl_ctx *c, cl_program p, size_t *n)
{
    size_t sz = 0;
    if (clGetProgramInfo(p, CL_PROGRAM_BINARY_SIZES, sizeof sz, &sz, NULL) != CL_SUCCESS || !sz)
        return NULL;
    unsigned char *bin = malloc(sz);
    if (!bin) return NULL;
    if (clGetProgramInfo(p, CL_PROGRAM_BINARIES, sizeof bin, &bin, NULL) != CL_SUCCESS) {
        free(bin);
        return NULL;
    }
    (void)c;
    *n = sz;
    return bin;
}

int rt_cl_build(rt_cl_ctx *c, const char *source, const char *options, const char *label,
                rt_cl_program **prog, dn_err *e)
{
    *prog = NULL;
    if (!source) return dn_errf(e, "rt_cl_build: no source");
    if (!options) options = "";
    const rt_cl_device_info *d = &c->info;
    unsigned char key[RT_CL_KEY];
    sha256 s;
    sha_init(&s);
    sha_field(&s, "dnnf OpenCL program 1");
    sha_field(&s, source);
    sha_field(&s, options);
    sha_field(&s, d->name);
    sha_field(&s, d->version);
    sha_field(&s, d->driver);
    sha_field(&s, d->platform);
    sha_field(&s, d->platform_version);
    sha_done(&s, key);

    rt_cl_program *hit;
    HASH_FIND(hh, c->progs, key, RT_CL_KEY, hit);
    if (hit) {
        c->st.mem_hits++;
        *prog = hit;
        return 0;
    }

    double t0 = rt_cl_now_ms();
    cl_program p = NULL;
    if (c->cache_dir[0]) {
        size_t n;
        int corrupt;
        unsigned char *bin = entry_read(c, key, &n, &corrupt);
        if (bin) {
            p = build_binary(c, bin, n, options);
            if (!p) corrupt = 1; /* valid file the driver refuses: rebuild and replace */
            free(bin);
        }
        if (p)
            c->st.cache_hits++;
        else if (corrupt)
            c->st.cache_corrupt++;
    }
    if (!p) {
        cl_int r;
        size_t len = strlen(source);
        p = clCreateProgramWithSource(c->context, 1, &source, &len, &r);
        if (!p) {
            rt_cl_fail(e, "clCreateProgramWithSource failed", r);
            return dn_errpre(e, "OpenCL build of %s: ", label && *label ? label : "a program");
        }
        r = clBuildProgram(p, 1, &c->device, options, NULL, NULL);
        if (r != CL_SUCCESS) {
            build_failure(c, p, source, label, r, "clBuildProgram failed", e);
            clReleaseProgram(p);
            c->st.build_ms += rt_cl_now_ms() - t0;
            return -1;
        }
        c->st.cache_misses++;
        size_t n;
        unsigned char *bin = c->cache_dir[0] ? program_binary(c, p, &n) : NULL;
        if (bin) {
            if (entry_write(c, key, bin, n) == 0)
                c->st.cache_writes++;
            else
                snprintf(c->cache_why, sizeof c->cache_why, "writing to %.180s failed: %s",
                         c->cache_dir, strerror(errno));
            free(bin);
        }
    }
    c->st.build_ms += rt_cl_now_ms() - t0;

    rt_cl_program *rp = calloc(1, sizeof *rp);
    if (!rp) {
        clReleaseProgram(p);
        return dn_errf(e, "out of memory");
    }
    memcpy(rp->key, key, RT_CL_KEY);
    rp->prog = p;
    snprintf(rp->label, sizeof rp->label, "%s", label ? label : "");
    HASH_ADD(hh, c->progs, key, RT_CL_KEY, rp);
    c->st.programs++;
    *prog = rp;
    return 0;
}

void rt_cl_programs_free(rt_cl_ctx *c)
{
    rt_cl_program *p, *t;
    HASH_ITER(hh, c->progs, p, t)
    {
        HASH_DEL(c->progs, p);
        clReleaseProgram(p->prog);
        free(p);
    }
}
