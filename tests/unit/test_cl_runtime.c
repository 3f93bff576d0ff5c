/* test_cl_runtime.c -- the OpenCL runtime on PoCL: device choice, the
 * program cache (in-process, on disk, corrupt entries), a kernel that runs,
 * and the messages of a build failure, an oversized buffer and a bad launch.
 * Two tiny kernels keep PoCL's compile time (a second or two each) small. */
#include "check.h"
#include "cl_impl.h" /* rt_cl_sha256 */
#include "runtime.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *VADD = "/* test: c = a + b */\n"
                          "__kernel void vadd(__global const float *a, __global const float *b,\n"
                          "                   __global float *c, int n) {\n"
                          "    int i = get_global_id(0);\n"
                          "    if (i < n) c[i] = a[i] + b[i];\n"
                          "}\n";

static const char *BROKEN = "__kernel void broken(__global float *x) {\n"
                            "    int i = get_global_id(0);\n"
                            "    x[i] = x[i] +* ;\n"
                            "}\n";

static char cache[256];

/* PoCL and its LLVM keep process-lifetime allocations that LeakSanitizer
   reports whenever a kernel is compiled (tests/unit/lsan.supp has the same
   list for the other programs); LSan calls this when it is linked in. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libpocl.so\nleak:libLLVM\nleak:libclang\nleak:libOpenCL.so\n";
}
/* ... without a table of them after the closing "N passed, N failed". */
const char *__lsan_default_options(void);
const char *__lsan_default_options(void)
{
    return "print_suppressions=0";
}

static int has(const char *s, const char *sub)
{
    if (!strstr(s, sub)) {
        fprintf(stderr, "expected \"%s\" in:\n%s\n", sub, s);
        return 0;
    }
    return 1;
}

/* The one entry in the cache folder; 0 when there is not exactly one. */
static int entry(char *path, size_t n)
{
    DIR *d = opendir(cache);
    int k = 0;
    struct dirent *de;
    while (d && (de = readdir(d)))
        if (strstr(de->d_name, ".clbin")) {
            snprintf(path, n, "%s/%s", cache, de->d_name);
            k++;
        }
    if (d) closedir(d);
    return k == 1;
}

/* The device under test: PoCL, or $DNNF_TEST_DEVICE (say "nvidia"). */
static const char *test_device(void)
{
    const char *d = getenv("DNNF_TEST_DEVICE");
    return d && *d ? d : "pocl";
}

static rt_cl_ctx *open_dev(void)
{
    dn_err e;
    rt_cl_opts o = {test_device(), NULL}; /* cache folder from DNNF_CACHE_DIR */
    rt_cl_ctx *c = rt_cl_create(&o, &e);
    if (!c) fprintf(stderr, "%s\n", e.msg);
    return c;
}

/* Builds vadd, runs it on n elements, checks c = a + b; 1 when right. */
static int run_vadd(rt_cl_ctx *c, int n)
{
    dn_err e;
    rt_cl_program *p;
    if (rt_cl_build(c, VADD, "-cl-fast-relaxed-math", "test vadd", &p, &e)) {
        fprintf(stderr, "%s\n", e.msg);
        return 0;
    }
    rt_cl_kernel *k = rt_cl_kernel_get(c, p, "vadd", &e);
    int64_t d = n;
    dn_tensor a = {DN_F32, dn_shape_make(1, &d), NULL}, b = a, r = a;
    dn_tensor_alloc(&a, &e);
    dn_tensor_alloc(&b, &e);
    for (int i = 0; i < n; i++) {
        ((float *)a.data)[i] = (float)i;
        ((float *)b.data)[i] = 0.5f * (float)i;
    }
    rt_cl_buf *ba = rt_cl_buf_new(c, dn_tensor_bytes(&a), &e);
    rt_cl_buf *bb = rt_cl_buf_new(c, dn_tensor_bytes(&b), &e);
    rt_cl_buf *bc = rt_cl_buf_new(c, dn_tensor_bytes(&a), &e);
    int ok = k && ba && bb && bc && !rt_cl_write(c, ba, &a, &e) && !rt_cl_write(c, bb, &b, &e);
    rt_cl_arg args[] = {rt_cl_arg_buf(ba), rt_cl_arg_buf(bb), rt_cl_arg_buf(bc), rt_cl_arg_i32(n)};
    size_t global = (size_t)(n + 63) / 64 * 64;
    ok = ok && !rt_cl_launch(c, k, args, 4, 1, &global, NULL, NULL, &e) && !rt_cl_finish(c, &e) &&
         !rt_cl_read(c, bc, &r, &e);
    if (!ok) fprintf(stderr, "%s\n", e.msg);
    for (int i = 0; ok && i < n; i++)
        if (((float *)r.data)[i] != 1.5f * (float)i) ok = 0;
    dn_tensor_free(&a);
    dn_tensor_free(&b);
    dn_tensor_free(&r);
    rt_cl_buf_free(ba);
    rt_cl_buf_free(bb);
    rt_cl_buf_free(bc);
    return ok;
}

static int sha_is(const void *data, size_t n, const char *hex)
{
    unsigned char h[32];
    char got[65];
    rt_cl_sha256(data, n, h);
    for (int i = 0; i < 32; i++)
        snprintf(got + 2 * i, 3, "%02x", h[i]);
    return !strcmp(got, hex);
}

static void test_sha256(void)
{
    CHECK(sha_is("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
    CHECK(sha_is("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    char big[1000];
    memset(big, 'a', sizeof big); /* crosses block boundaries */
    CHECK(sha_is(big, sizeof big,
                 "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3"));
}

static void test_devices(void)
{
    dn_err e;
    rt_cl_device_info *d;
    int n;
    CHECK(rt_cl_devices(&d, &n, &e) == 0);
    if (n < 1) return;
    int pocl = -1, cpu = -1;
    for (int i = 0; i < n; i++) {
        if (d[i].is_pocl && !strcmp(d[i].cls, "cpu") && pocl < 0) pocl = i;
        if (!strcmp(d[i].cls, "cpu") && cpu < 0) cpu = i;
    }
    CHECK(pocl >= 0 || getenv("DNNF_TEST_DEVICE"));
    CHECK(d[0].compute_units > 0 && d[0].global_mem > 0 && d[0].max_alloc > 0);
    CHECK(rt_cl_select(d, n, NULL, &e) == (pocl >= 0 ? pocl : 0));
    CHECK(rt_cl_select(d, n, "", &e) == (pocl >= 0 ? pocl : 0));
    CHECK(rt_cl_select(d, n, "0", &e) == 0);
    if (cpu >= 0) CHECK(rt_cl_select(d, n, "cpu", &e) == cpu);
    if (pocl >= 0) {
        CHECK(rt_cl_select(d, n, "PoCL", &e) == pocl); /* vendor "The pocl project" */
        CHECK(rt_cl_select(d, n, "portable computing", &e) == pocl);
    }
    char part[8];
    snprintf(part, sizeof part, "%.5s", d[n - 1].name);
    int pi = rt_cl_select(d, n, part, &e);
    CHECK(pi >= 0);
    CHECK(rt_cl_select(d, n, "no-such-device", &e) == -1);
    CHECK(has(e.msg, "no OpenCL device matches 'no-such-device'") && has(e.msg, d[n - 1].name));
    CHECK(rt_cl_select(d, n, "99", &e) == -1);
    free(d);

    setenv("DNNF_DEVICE", "no-such-device", 1);
    rt_cl_ctx *c = rt_cl_create(NULL, &e);
    CHECK(!c && has(e.msg, "DNNF_DEVICE: no OpenCL device matches"));
    rt_cl_free(c);
    setenv("DNNF_DEVICE", test_device(), 1);
    rt_cl_opts o = {NULL, "off"};
    c = rt_cl_create(&o, &e);
    CHECK(c && !rt_cl_cache_dir(c, NULL)[0]);
    rt_cl_free(c);
    unsetenv("DNNF_DEVICE");
}

static void test_run_and_errors(void)
{
    dn_err e;
    rt_cl_ctx *c = open_dev();
    CHECK(c != NULL);
    if (!c) return;
    CHECK(!strcmp(rt_cl_cache_dir(c, NULL), cache));
    CHECK(run_vadd(c, 1000));
    CHECK(run_vadd(c, 37)); /* same source: the in-process map */
    rt_cl_stats st;
    rt_cl_get_stats(c, &st);
    CHECK(st.cache_misses == 1 && st.cache_hits == 0 && st.mem_hits == 1 && st.programs == 1);
    CHECK(st.cache_writes == 1);
    CHECK(st.launches == 2 && st.nkernel == 1 && !strcmp(st.kernel[0].name, "vadd"));
    CHECK(st.kernel[0].launches == 2 && st.kernel[0].total_ms >= 0 &&
          st.kernel[0].min_ms <= st.kernel[0].max_ms);
    CHECK(st.live_bytes == 0 && st.peak_bytes == 3 * 4000);
    char path[1200];
    CHECK(entry(path, sizeof path));

    /* A launch whose local size does not divide the global size. */
    rt_cl_program *p;
    CHECK(rt_cl_build(c, VADD, "-cl-fast-relaxed-math", NULL, &p, &e) == 0);
    rt_cl_kernel *k = rt_cl_kernel_get(c, p, "vadd", &e);
    rt_cl_buf *b = rt_cl_buf_new(c, 40, &e);
    rt_cl_arg args[] = {rt_cl_arg_buf(b), rt_cl_arg_buf(b), rt_cl_arg_buf(b), rt_cl_arg_i32(10)};
    size_t global = 10, local = 3;
    double ms = -1;
    CHECK(rt_cl_launch(c, k, args, 4, 1, &global, &local, NULL, &e) == -1);
    CHECK(has(e.msg, "CL_INVALID_WORK_GROUP_SIZE") && has(e.msg, "vadd") && has(e.msg, "local 3"));
    CHECK(rt_cl_launch(c, k, args, 3, 1, &global, NULL, NULL, &e) == -1);
    CHECK(has(e.msg, "takes 4 arguments, 3 given"));
    CHECK(rt_cl_launch(c, k, args, 4, 1, &global, NULL, &ms, &e) == 0 && ms >= 0);
    CHECK(rt_cl_kernel_get(c, p, "nope", &e) == NULL && has(e.msg, "CL_INVALID_KERNEL_NAME"));
    rt_cl_buf_free(b);

    /* An absurd buffer. */
    CHECK(rt_cl_buf_new(c, (size_t)1 << 50, &e) == NULL);
    CHECK(has(e.msg, "out of device memory: wanted 1073741824.0 MB, device has"));

    /* Images: RGBA float texels, padded tensor round trip. */
    if (rt_cl_device(c)->image_support) {
        rt_cl_buf *img = rt_cl_image2d_new(c, 4, 2, &e);
        int64_t d = 30;
        dn_tensor t = {DN_F32, dn_shape_make(1, &d), NULL}, u = t;
        dn_tensor_alloc(&t, &e);
        for (int i = 0; i < 30; i++)
            ((float *)t.data)[i] = (float)i - 7.25f;
        CHECK(img && rt_cl_write(c, img, &t, &e) == 0 && rt_cl_read(c, img, &u, &e) == 0);
        CHECK(u.data && !memcmp(t.data, u.data, 30 * sizeof(float)));
        dn_tensor_free(&t);
        dn_tensor_free(&u);
        CHECK(rt_cl_image2d_new(c, (size_t)1 << 30, 1, &e) == NULL && has(e.msg, "at most"));

        /* An image over a buffer (cl_khr_image2d_from_buffer) shows the
           buffer's floats four to a texel; a device without the extension
           says so.  The copy that DNNF_IMAGE_COPY uses shows the same. */
        rt_cl_buf *buf = rt_cl_buf_new(c, 8 * 16, &e);
        float f[32];
        for (int i = 0; i < 32; i++)
            f[i] = (float)i * 0.5f - 3.0f;
        CHECK(buf && rt_cl_write_bytes(c, buf, 0, f, sizeof f, &e) == 0);
        rt_cl_buf *over = rt_cl_image2d_over(c, buf, 4, 2, &e);
        if (rt_cl_device(c)->image_from_buffer) {
            CHECK(over != NULL);
            CHECK(rt_cl_image2d_over(c, buf, 4, 3, &e) == NULL && has(e.msg, "does not fit"));
        } else
            CHECK(!over && has(e.msg, "cl_khr_image2d_from_buffer"));
        rt_cl_buf *cp = rt_cl_image2d_new(c, 4, 2, &e);
        CHECK(cp && rt_cl_copy_to_image(c, buf, cp, &e) == 0);
        rt_cl_buf *tall = rt_cl_image2d_new(c, 4, 4, &e);
        CHECK(tall && rt_cl_copy_to_image(c, buf, tall, &e) == -1 && has(e.msg, "an image of 4 x 4"));
        int64_t d32 = 32;
        dn_tensor g = {DN_F32, dn_shape_make(1, &d32), NULL}, h = g;
        for (int pass = 0; pass < 2; pass++) {
            rt_cl_buf *im = pass ? over : cp;
            if (!im) continue;
            memset(&h, 0, sizeof h);
            h.dtype = DN_F32;
            h.shape = g.shape;
            CHECK(rt_cl_read(c, im, &h, &e) == 0 && h.data && !memcmp(h.data, f, sizeof f));
            dn_tensor_free(&h);
        }
        rt_cl_buf_free(over);
        rt_cl_buf_free(cp);
        rt_cl_buf_free(tall);
        rt_cl_buf_free(buf);
    }

    /* A syntax error: the message quotes the generated line and the label. */
    CHECK(rt_cl_build(c, BROKEN, NULL, "block 3 (Add_7, Relu_8)", &p, &e) == -1);
    CHECK(has(e.msg, "OpenCL build failure in block 3 (Add_7, Relu_8)"));
    CHECK(has(e.msg, "x[i] = x[i] +* ;") && has(e.msg, "line 3") && has(e.msg, "build log:"));
    rt_cl_get_stats(c, &st);
    CHECK(st.programs == 1 && st.cache_writes == 1); /* failures are not cached */
    rt_cl_free(c);
}

static void test_disk_cache(void)
{
    char path[1200];
    rt_cl_stats st;
    /* A fresh context (as a new process would) loads the binary. */
    rt_cl_ctx *c = open_dev();
    CHECK(c && run_vadd(c, 100));
    if (c) rt_cl_get_stats(c, &st);
    CHECK(c && st.cache_hits == 1 && st.cache_misses == 0 && st.cache_corrupt == 0);
    rt_cl_free(c);

    /* A flipped payload byte fails the checksum: rebuilt and rewritten. */
    CHECK(entry(path, sizeof path));
    FILE *f = fopen(path, "r+b");
    CHECK(f != NULL);
    if (f) {
        fseek(f, -5, SEEK_END);
        int ch = fgetc(f);
        fseek(f, -5, SEEK_END);
        fputc(ch ^ 0x5a, f);
        fclose(f);
    }
    c = open_dev();
    CHECK(c && run_vadd(c, 100));
    if (c) rt_cl_get_stats(c, &st);
    CHECK(c && st.cache_corrupt == 1 && st.cache_misses == 1 && st.cache_writes == 1);
    rt_cl_free(c);

    /* A truncated file (a writer that died, without the rename) likewise. */
    CHECK(truncate(path, 30) == 0);
    c = open_dev();
    CHECK(c && run_vadd(c, 100));
    if (c) rt_cl_get_stats(c, &st);
    CHECK(c && st.cache_corrupt == 1 && st.cache_hits == 0 && st.cache_writes == 1);
    rt_cl_free(c);

    c = open_dev();
    CHECK(c && run_vadd(c, 100));
    if (c) rt_cl_get_stats(c, &st);
    CHECK(c && st.cache_hits == 1 && st.cache_corrupt == 0);
    rt_cl_free(c);
    CHECK(entry(path, sizeof path)); /* still one entry, no temporary left */
}

static void cleanup(void)
{
    DIR *d = opendir(cache);
    struct dirent *de;
    char path[1200];
    while (d && (de = readdir(d))) {
        if (de->d_name[0] == '.' && (!de->d_name[1] || !strcmp(de->d_name, ".."))) continue;
        snprintf(path, sizeof path, "%s/%s", cache, de->d_name);
        unlink(path);
    }
    if (d) closedir(d);
    rmdir(cache);
}

int main(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(cache, sizeof cache, "%s/dnnf-cl-test-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(cache)) {
        perror("mkdtemp");
        return 1;
    }
    setenv("DNNF_CACHE_DIR", cache, 1);
    test_sha256();
    test_devices();
    test_run_and_errors();
    test_disk_cache();
    cleanup();
    return DONE();
}
