/* devices.c -- `dnnf devices [--json] [--device D]`: the OpenCL platforms
 * and devices dnnf can run on, what selects each, and which one a run
 * would use now (--device, else $DNNF_DEVICE, else the default). */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static void mem(char *buf, size_t n, int64_t bytes)
{
    if (bytes >= (int64_t)1 << 30)
        snprintf(buf, n, "%.1f GB", bytes / 1073741824.0);
    else if (bytes >= (int64_t)1 << 20)
        snprintf(buf, n, "%.1f MB", bytes / 1048576.0);
    else
        snprintf(buf, n, "%.0f KB", bytes / 1024.0);
}

static void text(const rt_cl_device_info *d, int n, int chosen, const char *sel, const char *src)
{
    int plat = -1;
    for (int i = 0; i < n; i++) {
        const rt_cl_device_info *x = &d[i];
        if (x->platform_index != plat) {
            plat = x->platform_index;
            printf("%splatform %d: %s (%s)\n  %s\n", i ? "\n" : "", plat, x->platform,
                   x->platform_vendor, x->platform_version);
        }
        char g[32], l[32], a[32];
        mem(g, sizeof g, x->global_mem);
        mem(l, sizeof l, x->local_mem);
        mem(a, sizeof a, x->max_alloc);
        printf("  %c --device %d   %s  %s\n", i == chosen ? '*' : ' ', i, x->cls, x->name);
        printf(
            "      compute units %d, global memory %s (one buffer at most %s), local memory %s\n",
            x->compute_units, g, a, l);
        if (x->image_support)
            printf("      images yes, image2d at most %lld x %lld, %s\n", (long long)x->image2d_max_w,
                   (long long)x->image2d_max_h,
                   x->image_from_buffer ? "over a buffer yes" : "over a buffer no");
        else
            printf("      images no\n");
        printf("      %s, %s, driver %s\n", x->version, x->c_version, x->driver);
    }
    printf("\n* = the device a run uses now (%s%s%s)\n", src, sel && *sel ? " " : "",
           sel && *sel ? sel : "");
    printf("select with --device or DNNF_DEVICE: an index, cpu, gpu, or part of a platform or "
           "device name (pocl, nvidia)\n");
}

static void kv_str(const char *k, const char *v, int comma)
{
    printf("      \"%s\": ", k);
    cli_json_str(stdout, v);
    printf("%s\n", comma ? "," : "");
}

static void json(const rt_cl_device_info *d, int n, int chosen)
{
    printf("{\n  \"selected\": %d,\n  \"devices\": [\n", chosen);
    for (int i = 0; i < n; i++) {
        const rt_cl_device_info *x = &d[i];
        char sel[16];
        snprintf(sel, sizeof sel, "%d", i);
        printf("    {\n      \"index\": %d,\n", i);
        kv_str("select", sel, 1);
        kv_str("name", x->name, 1);
        kv_str("class", x->cls, 1);
        kv_str("vendor", x->vendor, 1);
        printf("      \"platform_index\": %d,\n", x->platform_index);
        kv_str("platform", x->platform, 1);
        kv_str("platform_vendor", x->platform_vendor, 1);
        kv_str("platform_version", x->platform_version, 1);
        kv_str("opencl_version", x->version, 1);
        kv_str("opencl_c_version", x->c_version, 1);
        kv_str("driver_version", x->driver, 1);
        printf("      \"compute_units\": %d,\n", x->compute_units);
        printf("      \"global_mem_bytes\": %lld,\n", (long long)x->global_mem);
        printf("      \"local_mem_bytes\": %lld,\n", (long long)x->local_mem);
        printf("      \"max_alloc_bytes\": %lld,\n", (long long)x->max_alloc);
        printf("      \"max_work_group_size\": %lld,\n", (long long)x->max_wg_size);
        printf("      \"image_support\": %s,\n", x->image_support ? "true" : "false");
        printf("      \"image2d_max_width\": %lld,\n", (long long)x->image2d_max_w);
        printf("      \"image2d_max_height\": %lld,\n", (long long)x->image2d_max_h);
        printf("      \"image2d_from_buffer\": %s,\n", x->image_from_buffer ? "true" : "false");
        printf("      \"is_pocl\": %s,\n", x->is_pocl ? "true" : "false");
        printf("      \"selected\": %s\n", i == chosen ? "true" : "false");
        printf("    }%s\n", i + 1 < n ? "," : "");
    }
    printf("  ]\n}\n");
}

int cli_devices(int argc, char **argv)
{
    int as_json = 0;
    const char *sel = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            as_json = 1;
        else if (!strcmp(argv[i], "--device") && i + 1 < argc)
            sel = argv[++i];
        else
            return cli_usage("devices", "unexpected argument '%s'", argv[i]);
    }
    const char *src = "--device";
    if (!sel) {
        sel = getenv("DNNF_DEVICE");
        src = sel && *sel ? "DNNF_DEVICE" : "the default: the first PoCL CPU device";
    }
    dn_err e;
    rt_cl_device_info *d;
    int n;
    if (rt_cl_devices(&d, &n, &e)) return cli_fail(&e);
    int chosen = rt_cl_select(d, n, sel, &e);
    if (chosen < 0) {
        free(d);
        if (strcmp(src, "--device")) dn_errpre(&e, "%s: ", src);
        return cli_fail(&e);
    }
    if (as_json)
        json(d, n, chosen);
    else
        text(d, n, chosen, sel, src);
    free(d);
    return CLI_OK;
}
